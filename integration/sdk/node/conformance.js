// SPDX-License-Identifier: MIT
// Conformance of the mock Azure against the official JS SDKs.
//
// Runs @azure/identity + @azure/keyvault-secrets, unmodified, against a
// running //mockserver with challenge-resource verification on. The mock's
// variables (KEY_VAULT_URL, AZURE_*, IDENTITY_*) come from the environment;
// the CA is trusted through NODE_EXTRA_CA_CERTS. Start it with
// `node -r ./pin-hosts.js conformance.js sp|mi`, which pins the mock's names
// to 127.0.0.1 in this process and fails every other name.
//
//   sp        ClientSecretCredential through the mock Entra ID: every operation
//             passes.
//   mi        ManagedIdentityCredential (App Service): get passes, writes 403.
//   cert      ClientCertificateCredential (AZURE_CLIENT_CERTIFICATE_PATH):
//             get and set pass.
//   workload  WorkloadIdentityCredential (AZURE_FEDERATED_TOKEN_FILE, minted
//             by POST /admin/federated-token): get passes, set 403.
//   default   new DefaultAzureCredential() and new SecretClient(url, cred)
//             with no options: the mock plays login.microsoftonline.com on
//             port 443 in a private network namespace; get and set pass.
//
// Prints cmocka-style lines and a "[  PASSED  ] N test(s)." summary; exits 1
// if any step failed.
"use strict";

let identity;
let secrets;
try {
  identity = require("@azure/identity");
  secrets = require("@azure/keyvault-secrets");
} catch (e) {
  console.log(`SDK-MISSING: ${e.message.split("\n")[0]}`);
  process.exit(77);
}
const {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} = identity;
const fs = require("fs");
const http = require("http");
const { SecretClient } = secrets;

const SEEDED_NAME = "secret";
const SEEDED_VALUE = "Hello from the msikv mock Key Vault";
const POLL = { intervalInMs: 50 };

class Runner {
  constructor(label) {
    this.label = label;
    this.passed = [];
    this.failed = [];
  }

  async step(name, fn) {
    console.log(`[ RUN      ] ${name}`);
    try {
      await fn();
    } catch (e) {
      this.failed.push(name);
      console.log(`${e && e.name}: ${e && e.message}`);
      if (e && e.stack) console.log(e.stack.split("\n").slice(1, 5).join("\n"));
      console.log(`[  FAILED  ] ${name}`);
      return;
    }
    this.passed.push(name);
    console.log(`[       OK ] ${name}`);
  }

  finish() {
    console.log(`[==========] ${this.label}: ${this.passed.length + this.failed.length} test(s) run.`);
    console.log(`[  PASSED  ] ${this.passed.length} test(s).`);
    if (this.failed.length) {
      console.log(`[  FAILED  ] ${this.failed.length} test(s), listed below:`);
      for (const name of this.failed) console.log(`[  FAILED  ] ${name}`);
    }
    console.log(`${this.label}: ${this.failed.length ? "FAIL" : "PASS"}`);
    return this.failed.length ? 1 : 0;
  }
}

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

async function expectStatus(fn, status, what) {
  let result;
  try {
    result = await fn();
  } catch (e) {
    expect(e.statusCode === status, `${what}: expected HTTP ${status}, got ${e.statusCode}: ${e.message}`);
    return e;
  }
  throw new Error(`${what}: expected HTTP ${status}, but it succeeded (${JSON.stringify(result)})`);
}

function makeCredential(mode) {
  if (mode === "sp") {
    // The standard class with documented options: the mock authority, and no
    // instance discovery at login.microsoftonline.com (as for private clouds).
    return new ClientSecretCredential(
      process.env.AZURE_TENANT_ID,
      process.env.AZURE_CLIENT_ID,
      process.env.AZURE_CLIENT_SECRET,
      { authorityHost: process.env.AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true },
    );
  }
  const common = { authorityHost: process.env.AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true };
  if (mode === "cert") {
    return new ClientCertificateCredential(
      process.env.AZURE_TENANT_ID,
      process.env.AZURE_CLIENT_ID,
      { certificatePath: process.env.AZURE_CLIENT_CERTIFICATE_PATH },
      common,
    );
  }
  if (mode === "workload") {
    // AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE from the environment.
    return new WorkloadIdentityCredential(common);
  }
  // IDENTITY_ENDPOINT + IDENTITY_HEADER: the App Service flavour.
  return new ManagedIdentityCredential();
}

function makeClient(mode) {
  if (mode === "default") {
    return new SecretClient(process.env.KEY_VAULT_URL, new DefaultAzureCredential());
  }
  return new SecretClient(process.env.KEY_VAULT_URL, makeCredential(mode), {
    disableChallengeResourceVerification: false,
  });
}

async function collectPages(iter, maxPageSize) {
  const pages = [];
  for await (const page of iter.byPage({ maxPageSize })) pages.push(page);
  return pages;
}

async function runSp(r) {
  const client = makeClient("sp");
  const st = {};

  await r.step("get_seeded_secret", async () => {
    const s = await client.getSecret(SEEDED_NAME);
    expect(s.value === SEEDED_VALUE, `seeded value is ${s.value}`);
    expect(s.properties.version && s.properties.version.length === 32, `version ${s.properties.version}`);
  });

  await r.step("set_then_get_latest_and_by_version", async () => {
    const a = await client.setSecret("conformance", "value-1", {
      contentType: "text/plain",
      tags: { sdk: "node" },
    });
    const b = await client.setSecret("conformance", "value-2");
    expect(a.value === "value-1" && b.value === "value-2", "set echoes the value");
    expect(a.properties.version !== b.properties.version, "a new version each set");
    expect(a.properties.contentType === "text/plain", "content type kept");
    expect(a.properties.tags && a.properties.tags.sdk === "node", "tags kept");
    const latest = await client.getSecret("conformance");
    expect(latest.value === "value-2", `latest is value-2, got ${latest.value}`);
    expect(latest.properties.version === b.properties.version, "latest version id");
    const old = await client.getSecret("conformance", { version: a.properties.version });
    expect(old.value === "value-1", `by version is value-1, got ${old.value}`);
    st.v1 = a.properties.version;
    st.v2 = b.properties.version;
  });

  await r.step("list_secrets_across_pages", async () => {
    const names = [];
    for (let i = 0; i < 8; i++) names.push(`page-${String(i).padStart(2, "0")}`);
    for (const n of names) await client.setSecret(n, `v-${n}`);
    const pages = await collectPages(client.listPropertiesOfSecrets(), 3);
    const got = pages.flat().map((p) => p.name);
    expect(pages.length >= 4, `expected at least 4 pages of 3, got ${pages.length}`);
    for (const n of [...names, SEEDED_NAME, "conformance"]) expect(got.includes(n), `${n} listed (got ${got})`);
    expect(new Set(got).size === got.length, `no duplicates across pages: ${got}`);
  });

  await r.step("list_versions", async () => {
    const pages = await collectPages(client.listPropertiesOfSecretVersions("conformance"), 1);
    const versions = pages.flat().map((p) => p.version).sort();
    expect(pages.length >= 2, `two pages of one, got ${pages.length}`);
    expect(JSON.stringify(versions) === JSON.stringify([st.v1, st.v2].sort()), `versions ${versions}`);
  });

  await r.step("delete_get_deleted_list_deleted_recover", async () => {
    const poller = await client.beginDeleteSecret("page-00", POLL);
    const deleted = await poller.pollUntilDone();
    expect(deleted.name === "page-00", "deleted name");
    expect(deleted.recoveryId && deleted.recoveryId.endsWith("/deletedsecrets/page-00"), `recoveryId ${deleted.recoveryId}`);
    expect(deleted.scheduledPurgeDate instanceof Date, "scheduled purge date");
    const got = await client.getDeletedSecret("page-00");
    expect(got.name === "page-00" && got.properties.deletedOn instanceof Date, "get deleted");
    const pages = await collectPages(client.listDeletedSecrets(), 1);
    const names = pages.flat().map((d) => d.name);
    expect(names.includes("page-00"), `list deleted has page-00: ${names}`);
    await expectStatus(() => client.getSecret("page-00"), 404, "get after delete");
    await expectStatus(() => client.setSecret("page-00", "x"), 409, "set onto a soft-deleted name");
    const rec = await (await client.beginRecoverDeletedSecret("page-00", POLL)).pollUntilDone();
    expect(rec.name === "page-00", "recovered name");
    expect((await client.getSecret("page-00")).value === "v-page-00", "value after recover");
  });

  await r.step("purge", async () => {
    await (await client.beginDeleteSecret("page-01", POLL)).pollUntilDone();
    await client.purgeDeletedSecret("page-01");
    await expectStatus(() => client.getDeletedSecret("page-01"), 404, "get deleted after purge");
    await expectStatus(() => client.getSecret("page-01"), 404, "get after purge");
  });

  await r.step("backup_purge_restore", async () => {
    const blob = await client.backupSecret("conformance");
    expect(blob instanceof Uint8Array && blob.length > 16, "backup is bytes");
    await (await client.beginDeleteSecret("conformance", POLL)).pollUntilDone();
    await client.purgeDeletedSecret("conformance");
    await expectStatus(() => client.getSecret("conformance"), 404, "gone before restore");
    const props = await client.restoreSecretBackup(blob);
    expect(props.name === "conformance", `restored name ${props.name}`);
    expect((await client.getSecret("conformance")).value === "value-2", "latest after restore");
    expect((await client.getSecret("conformance", { version: st.v1 })).value === "value-1", "old version after restore");
    await expectStatus(() => client.restoreSecretBackup(blob), 409, "restore onto a live secret");
  });

  await r.step("fresh_client_first_request_is_put", async () => {
    const fresh = makeClient("sp");
    const s = await fresh.setSecret("first-put", "written by a fresh client");
    expect(s.value === "written by a fresh client", "value echoed");
    expect((await fresh.getSecret("first-put")).value === s.value, "read back");
  });

  await r.step("unknown_secret_is_404_secretnotfound", async () => {
    const e = await expectStatus(() => client.getSecret("no-such-secret"), 404, "unknown secret");
    expect(e.code === "SecretNotFound", `code ${e.code}`);
  });
}

async function runMi(r) {
  const client = makeClient("mi");

  await r.step("managed_identity_get_seeded_secret", async () => {
    const s = await client.getSecret(SEEDED_NAME);
    expect(s.value === SEEDED_VALUE, `seeded value is ${s.value}`);
  });

  const forbidden = async (what, fn, perm) =>
    r.step(`managed_identity_${what}_is_403`, async () => {
      const e = await expectStatus(fn, 403, what);
      expect(e.code === "Forbidden", `code ${e.code}`);
      // The paging helper replaces the service's message with "Pagination
      // failed with unexpected statusCode 403"; the code is all it keeps.
      if (!e.message.startsWith("Pagination failed")) {
        expect(e.message.includes(`does not have secrets ${perm} permission`), `the 403 names ${perm}: ${e.message}`);
      }
    });
  await forbidden("set", () => client.setSecret("mi-write", "x"), "set");
  await forbidden("list", () => collectPages(client.listPropertiesOfSecrets(), 25), "list");
  await forbidden("delete", () => client.beginDeleteSecret(SEEDED_NAME, POLL), "delete");
  await forbidden("backup", () => client.backupSecret(SEEDED_NAME), "backup");
  await forbidden("purge", () => client.purgeDeletedSecret(SEEDED_NAME), "purge");

  await r.step("managed_identity_fresh_client_first_put_is_403", async () => {
    const fresh = makeClient("mi");
    const e = await expectStatus(() => fresh.setSecret("first-put", "x"), 403, "a fresh client's first PUT");
    expect(e.code === "Forbidden", `code ${e.code}`);
  });

  await r.step("managed_identity_get_after_denied_writes", async () => {
    expect((await client.getSecret(SEEDED_NAME)).value === SEEDED_VALUE, "still readable");
  });
}

async function runCert(r) {
  const client = makeClient("cert");
  await r.step("certificate_get_seeded_secret", async () => {
    const s = await client.getSecret(SEEDED_NAME);
    expect(s.value === SEEDED_VALUE, `seeded value is ${s.value}`);
  });
  await r.step("certificate_set_then_get", async () => {
    const s = await client.setSecret("cert-written", "by a certificate credential");
    expect((await client.getSecret("cert-written")).value === s.value, "read back");
  });
  await r.step("certificate_fresh_client_first_request_is_put", async () => {
    const s = await makeClient("cert").setSecret("cert-first-put", "x");
    expect(s.value === "x", "value echoed");
  });
}

function mintFederatedToken() {
  // POST /admin/federated-token writes the projected token file.
  const body = JSON.stringify({ path: process.env.AZURE_FEDERATED_TOKEN_FILE });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${process.env.MSIKV_MOCK_ADMIN}/admin/federated-token`,
      { method: "POST", headers: { "Content-Type": "application/json" } },
      (res) => {
        let data = "";
        res.on("data", (c) => (data += c));
        res.on("end", () => {
          try {
            expect(res.statusCode === 200, `admin answered ${res.statusCode}: ${data}`);
            const minted = JSON.parse(data);
            const file = fs.readFileSync(process.env.AZURE_FEDERATED_TOKEN_FILE, "utf8");
            expect(file === minted.token, "the file holds the minted token");
            resolve();
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function runWorkload(r) {
  await r.step("workload_mint_federated_token_file", mintFederatedToken);
  const client = makeClient("workload");
  await r.step("workload_identity_get_seeded_secret", async () => {
    const s = await client.getSecret(SEEDED_NAME);
    expect(s.value === SEEDED_VALUE, `seeded value is ${s.value}`);
  });
  await r.step("workload_identity_set_is_403", async () => {
    const e = await expectStatus(() => client.setSecret("wl-write", "x"), 403, "set");
    expect(e.message.includes("does not have secrets set permission"), `403 text: ${e.message}`);
  });
}

async function runDefault(r) {
  const client = makeClient("default");
  await r.step("default_credential_get_seeded_secret", async () => {
    const s = await client.getSecret(SEEDED_NAME);
    expect(s.value === SEEDED_VALUE, `seeded value is ${s.value}`);
  });
  await r.step("default_credential_set_then_get", async () => {
    const s = await client.setSecret("zero-config", "no options anywhere");
    expect((await client.getSecret("zero-config")).value === s.value, "read back");
  });
  await r.step("default_credential_fresh_client_first_request_is_put", async () => {
    expect((await makeClient("default").setSecret("zc-put", "x")).value === "x", "value echoed");
  });
}

async function main() {
  const mode = process.argv[2];
  const runs = { sp: runSp, mi: runMi, cert: runCert, workload: runWorkload, default: runDefault };
  if (!runs[mode]) {
    console.log("usage: node -r ./pin-hosts.js conformance.js sp|mi|cert|workload|default");
    return 2;
  }
  for (const v of ["KEY_VAULT_URL", "NODE_EXTRA_CA_CERTS"]) {
    if (!process.env[v]) {
      console.log(`conformance.js: ${v} is not set (run it through run_sdk_test.sh)`);
      return 2;
    }
  }
  if (!globalThis.__pinnedHostsLookedUp) {
    console.log("conformance.js: start it with node -r ./pin-hosts.js");
    return 2;
  }
  const ver = (p) => require(`${p}/package.json`).version;
  console.log(
    `node ${process.version}, @azure/identity ${ver("@azure/identity")}, ` +
      `@azure/keyvault-secrets ${ver("@azure/keyvault-secrets")}, mode ${mode}`,
  );
  const r = new Runner(`node-sdk ${mode}`);
  await runs[mode](r);
  await r.step("no_name_outside_loopback_was_looked_up", async () => {
    const microsoft = process.env.MSIKV_PIN_MICROSOFT_LOGIN === "1";
    const outside = [...globalThis.__pinnedHostsLookedUp].filter(
      (h) =>
        h !== "login.localhost" &&
        h !== "localhost" &&
        !h.endsWith(".vault.localhost") &&
        !(microsoft && h === "login.microsoftonline.com"),
    );
    expect(outside.length === 0, `looked up: ${outside}`);
  });
  return r.finish();
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.log(`conformance.js: ${e && e.stack}`);
    process.exit(1);
  },
);
