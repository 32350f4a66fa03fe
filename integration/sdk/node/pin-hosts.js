// SPDX-License-Identifier: MIT
// Preload with `node -r ./pin-hosts.js`: resolves login.localhost, localhost
// and *.vault.localhost to 127.0.0.1 inside this process only (glibc's
// resolver does not know *.localhost here), and fails every other name, so
// an SDK that tries to reach a real Azure host fails fast instead of leaving
// loopback. The SDK code itself stays unmodified. Names it was asked for are
// kept in globalThis.__pinnedHostsLookedUp for the conformance program.
"use strict";
const dns = require("dns");

const realLookup = dns.lookup;
const lookedUp = new Set();
globalThis.__pinnedHostsLookedUp = lookedUp;

function isPinned(host) {
  const h = String(host || "").toLowerCase().replace(/\.$/, "");
  if (h === "login.microsoftonline.com") return process.env.MSIKV_PIN_MICROSOFT_LOGIN === "1";
  return h === "login.localhost" || h === "localhost" || h.endsWith(".vault.localhost");
}

function pinnedLookup(hostname, options, callback) {
  if (typeof options === "function") {
    callback = options;
    options = {};
  }
  const host = String(hostname || "").toLowerCase();
  if (host === "127.0.0.1" || host === "::1") {
    return realLookup.call(dns, hostname, options, callback);
  }
  lookedUp.add(host);
  if (!isPinned(host)) {
    const err = new Error(`conformance test: ${hostname} is not pinned to loopback`);
    err.code = "ENOTFOUND";
    err.hostname = hostname;
    process.nextTick(callback, err);
    return undefined;
  }
  const opts = typeof options === "number" ? { family: options } : options || {};
  if (opts.all) {
    process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }]);
  } else {
    process.nextTick(callback, null, "127.0.0.1", 4);
  }
  return undefined;
}

dns.lookup = pinnedLookup;
dns.promises.lookup = async (hostname, options) =>
  new Promise((resolve, reject) =>
    pinnedLookup(hostname, options || {}, (err, address, family) => {
      if (err) reject(err);
      else if (Array.isArray(address)) resolve(address);
      else resolve({ address, family });
    }),
  );
