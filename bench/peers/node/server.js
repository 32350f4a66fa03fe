// SPDX-License-Identifier: MIT
// The Key Vault sample ("Use Key Vault from App Service with Managed Service
// Identity") on the official Azure SDKs for JavaScript, as a benchmark peer
// for msikv's web app: the same routes and the same output.
//
//   GET /ping  -> "Hello world"
//   GET /      -> "My secret value is <value>" (HTML)
//
// Environment:
//   PEER_MODE      "sample" (default): a new credential and client on every
//                  request, as the sample does; "reuse": one of each.
//   KEY_VAULT_URL  (or KEY_VAULT_URI) the vault; SECRET_NAME (default
//                  "secret").
//   IDENTITY_ENDPOINT, IDENTITY_HEADER  the App Service managed identity
//                  (the mockserver's --env-file gives both).
//   NODE_EXTRA_CA_CERTS  the mock's CA (set by bench/run).
//   PEER_PIN_LOCALHOST=1  resolve *.localhost to 127.0.0.1 inside this
//                  process (glibc does not; the SDKs stay unmodified).
//   HOST (127.0.0.1), PORT (8000; 0 = any), PEER_PORT_FILE (writes the port).
"use strict";

const dns = require("node:dns");
const fs = require("node:fs");
const http = require("node:http");

if (process.env.PEER_PIN_LOCALHOST === "1") {
  // Wrap dns.lookup before the SDKs load: net.connect calls dns.lookup.
  const original = dns.lookup;
  dns.lookup = function lookup(hostname, options, callback) {
    if (typeof options === "function") {
      callback = options;
      options = {};
    }
    const h = String(hostname).toLowerCase();
    if (h === "localhost" || h.endsWith(".localhost")) {
      if (options && options.all)
        return process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }]);
      return process.nextTick(callback, null, "127.0.0.1", 4);
    }
    return original.call(dns, hostname, options, callback);
  };
}

const { ManagedIdentityCredential } = require("@azure/identity");
const { SecretClient } = require("@azure/keyvault-secrets");

const mode = process.env.PEER_MODE || "sample";
if (mode !== "sample" && mode !== "reuse") {
  console.error(`peer: PEER_MODE must be "sample" or "reuse", not "${mode}"`);
  process.exit(2);
}
const vaultUrl = process.env.KEY_VAULT_URL || process.env.KEY_VAULT_URI;
const secretName = process.env.SECRET_NAME || "secret";

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

function makeClient() {
  return new SecretClient(vaultUrl, new ManagedIdentityCredential());
}

const shared = mode === "reuse" ? makeClient() : null;

async function secretPage() {
  const client = shared || makeClient();
  const secret = await client.getSecret(secretName);
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>My secret" +
    "</title></head><body><p>My secret value is " + escapeHtml(secret.value) +
    "</p></body></html>\n";
}

const server = http.createServer((req, res) => {
  const path = req.url.split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" });
    res.end();
  } else if (path === "/ping") {
    res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("Hello world");
  } else if (path === "/") {
    secretPage().then(
      (body) => {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        res.end(body);
      },
      (err) => {
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end(`Could not read the secret: ${err && err.message}\n`);
      });
  } else {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("Not found\n");
  }
});
server.keepAliveTimeout = 15000;

const port = Number(process.env.PORT || 8000);
server.listen(port, process.env.HOST || "127.0.0.1", () => {
  const bound = server.address().port;
  if (process.env.PEER_PORT_FILE)
    fs.writeFileSync(process.env.PEER_PORT_FILE, `${bound}\n`);
  console.error(`peer (node, ${mode}): listening on http://127.0.0.1:${bound}/`);
});

for (const sig of ["SIGTERM", "SIGINT"])
  process.on(sig, () => server.close(() => process.exit(0)));
