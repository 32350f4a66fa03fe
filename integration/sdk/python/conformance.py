# SPDX-License-Identifier: MIT
"""Conformance of the mock Azure against the official Python SDKs.

Runs azure-identity + azure-keyvault-secrets, unmodified, against a running
//mockserver with challenge-resource verification on. The mock's variables
(KEY_VAULT_URL, AZURE_*, IDENTITY_*) come from the environment; the CA is
trusted through REQUESTS_CA_BUNDLE. Host names are pinned to 127.0.0.1 inside
this process only (socket.getaddrinfo), and every other name fails to
resolve, so nothing leaves loopback.

usage: /usr/bin/python3 conformance.py sp|mi|cert|workload

  sp        ClientSecretCredential through the mock Entra ID: every operation
            passes.
  mi        ManagedIdentityCredential (App Service): get passes, writes get 403.
  cert      CertificateCredential (AZURE_CLIENT_CERTIFICATE_PATH; MSAL signs
            RS256 with x5t): get and set pass.
  workload  ManagedIdentityCredential with AZURE_FEDERATED_TOKEN_FILE (the
            token minted by POST /admin/federated-token): get passes, set 403.
  default   DefaultAzureCredential() and SecretClient(url, cred) with no
            options at all: the mock plays login.microsoftonline.com on port
            443 in a private network namespace (MSIKV_PIN_MICROSOFT_LOGIN=1
            pins that name too); get and set pass.

Prints cmocka-style lines ("[       OK ] step", "[  FAILED  ] step") and a
"[  PASSED  ] N test(s)." summary; exits 1 if any step failed.
"""
import json
import os
import socket
import urllib.request
import sys
import traceback

PINNED_SUFFIXES = (".vault.localhost",)
PINNED_NAMES = ("login.localhost", "localhost")
if os.environ.get("MSIKV_PIN_MICROSOFT_LOGIN") == "1":
    PINNED_NAMES += ("login.microsoftonline.com",)
_real_getaddrinfo = socket.getaddrinfo
resolved = []


def pinned_getaddrinfo(host, port, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    lname = (name or "").lower().rstrip(".")
    if lname in PINNED_NAMES or lname.endswith(PINNED_SUFFIXES):
        resolved.append(lname)
        return _real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
    if lname in ("127.0.0.1", "::1", ""):
        return _real_getaddrinfo(host, port, *args, **kwargs)
    resolved.append(lname)
    raise socket.gaierror(socket.EAI_NONAME,
                          "conformance test: %s is not pinned to loopback" % name)


socket.getaddrinfo = pinned_getaddrinfo

try:
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
    from azure.identity import (CertificateCredential, ClientSecretCredential,
                                DefaultAzureCredential,
                                ManagedIdentityCredential)
    from azure.keyvault.secrets import SecretClient
    import azure.identity
    import azure.keyvault.secrets
except ImportError as e:  # the launcher decides whether this is a skip
    print("SDK-MISSING: %s" % e)
    sys.exit(77)

SEEDED_NAME = "secret"
SEEDED_VALUE = "Hello from the msikv mock Key Vault"


class Runner:
    def __init__(self, label):
        self.label = label
        self.passed = []
        self.failed = []

    def step(self, name, fn):
        print("[ RUN      ] %s" % name, flush=True)
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - report every failure
            self.failed.append(name)
            print("%s: %s" % (type(e).__name__, e))
            traceback.print_exc(limit=4, file=sys.stdout)
            print("[  FAILED  ] %s" % name, flush=True)
            return
        self.passed.append(name)
        print("[       OK ] %s" % name, flush=True)

    def finish(self):
        print("[==========] %s: %d test(s) run." %
              (self.label, len(self.passed) + len(self.failed)))
        print("[  PASSED  ] %d test(s)." % len(self.passed))
        if self.failed:
            print("[  FAILED  ] %d test(s), listed below:" % len(self.failed))
            for name in self.failed:
                print("[  FAILED  ] %s" % name)
        print("%s: %s" % (self.label, "FAIL" if self.failed else "PASS"))
        return 1 if self.failed else 0


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_status(fn, status, what):
    try:
        fn()
    except HttpResponseError as e:
        expect(e.status_code == status,
               "%s: expected HTTP %d, got %s: %s" % (what, status,
                                                    e.status_code, e.message))
        return e
    raise AssertionError("%s: expected HTTP %d, but it succeeded" % (what, status))


def make_credential(mode):
    if mode == "sp":
        # The standard class with standard options. MSAL 1.21 validates any
        # authority it does not know against login.microsoftonline.com; the
        # documented switch for private clouds turns that off (azure-identity
        # 1.13 calls it instance_discovery=False; 1.14+ renamed it
        # disable_instance_discovery=True).
        return ClientSecretCredential(
            os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"],
            os.environ["AZURE_CLIENT_SECRET"],
            authority=os.environ["AZURE_AUTHORITY_HOST"],
            instance_discovery=False)
    if mode == "cert":
        return CertificateCredential(
            os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"],
            certificate_path=os.environ["AZURE_CLIENT_CERTIFICATE_PATH"],
            authority=os.environ["AZURE_AUTHORITY_HOST"],
            instance_discovery=False)
    # mi: IDENTITY_ENDPOINT + IDENTITY_HEADER, the App Service flavour.
    # workload: AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID
    # + AZURE_AUTHORITY_HOST, the workload identity flavour.
    return ManagedIdentityCredential()


def make_client(mode):
    if mode == "default":  # no options at all
        return SecretClient(os.environ["KEY_VAULT_URL"], DefaultAzureCredential())
    return SecretClient(os.environ["KEY_VAULT_URL"], make_credential(mode),
                        verify_challenge_resource=True)


def run_sp(r):
    client = make_client("sp")
    st = {}

    def get_seeded():
        s = client.get_secret(SEEDED_NAME)
        expect(s.value == SEEDED_VALUE, "seeded value is %r" % s.value)
        expect(s.properties.version and len(s.properties.version) == 32,
               "version id %r" % s.properties.version)
    r.step("get_seeded_secret", get_seeded)

    def set_and_get():
        a = client.set_secret("conformance", "value-1", content_type="text/plain",
                              tags={"sdk": "python"})
        b = client.set_secret("conformance", "value-2")
        expect(a.value == "value-1" and b.value == "value-2", "set echoes the value")
        expect(a.properties.version != b.properties.version, "a new version each set")
        expect(a.properties.content_type == "text/plain", "content type kept")
        expect(a.properties.tags == {"sdk": "python"}, "tags kept: %r" % a.properties.tags)
        latest = client.get_secret("conformance")
        expect(latest.value == "value-2", "latest is value-2, got %r" % latest.value)
        expect(latest.properties.version == b.properties.version, "latest version id")
        old = client.get_secret("conformance", a.properties.version)
        expect(old.value == "value-1", "by version is value-1, got %r" % old.value)
        st["v1"], st["v2"] = a.properties.version, b.properties.version
    r.step("set_then_get_latest_and_by_version", set_and_get)

    def list_pages():
        names = ["page-%02d" % i for i in range(8)]
        for n in names:
            client.set_secret(n, "v-" + n)
        pages = list(client.list_properties_of_secrets(max_page_size=3).by_page())
        got = [p.name for page in pages for p in page]
        expect(len(pages) >= 4, "expected at least 4 pages of 3, got %d" % len(pages))
        for n in names + [SEEDED_NAME, "conformance"]:
            expect(n in got, "%s listed (got %r)" % (n, got))
        expect(len(got) == len(set(got)), "no duplicates across pages: %r" % got)
    r.step("list_secrets_across_pages", list_pages)

    def list_versions():
        pages = list(client.list_properties_of_secret_versions(
            "conformance", max_page_size=1).by_page())
        versions = sorted(p.version for page in pages for p in page)
        expect(len(pages) >= 2, "two pages of one, got %d" % len(pages))
        expect(versions == sorted([st["v1"], st["v2"]]), "versions %r" % versions)
    r.step("list_versions", list_versions)

    def delete_recover():
        deleted = client.begin_delete_secret("page-00").result()
        expect(deleted.name == "page-00", "deleted name")
        expect(deleted.recovery_id and deleted.recovery_id.endswith("/deletedsecrets/page-00"),
               "recovery id %r" % deleted.recovery_id)
        expect(deleted.scheduled_purge_date is not None, "scheduled purge date")
        got = client.get_deleted_secret("page-00")
        expect(got.name == "page-00" and got.deleted_date is not None, "get deleted")
        names = [d.name for d in client.list_deleted_secrets(max_page_size=1)]
        expect("page-00" in names, "list deleted has page-00: %r" % names)
        expect_status(lambda: client.get_secret("page-00"), 404, "get after delete")
        expect_status(lambda: client.set_secret("page-00", "x"), 409,
                      "set onto a soft-deleted name")
        props = client.begin_recover_deleted_secret("page-00").result()
        expect(props.name == "page-00", "recovered name")
        expect(client.get_secret("page-00").value == "v-page-00", "value after recover")
    r.step("delete_get_deleted_list_deleted_recover", delete_recover)

    def purge():
        client.begin_delete_secret("page-01").result()
        client.purge_deleted_secret("page-01")
        expect_status(lambda: client.get_deleted_secret("page-01"), 404,
                      "get deleted after purge")
        expect_status(lambda: client.get_secret("page-01"), 404, "get after purge")
    r.step("purge", purge)

    def backup_restore():
        blob = client.backup_secret("conformance")
        expect(isinstance(blob, bytes) and len(blob) > 16, "backup is bytes")
        client.begin_delete_secret("conformance").result()
        client.purge_deleted_secret("conformance")
        expect_status(lambda: client.get_secret("conformance"), 404, "gone before restore")
        props = client.restore_secret_backup(blob)
        expect(props.name == "conformance", "restored name %r" % props.name)
        expect(client.get_secret("conformance").value == "value-2", "latest after restore")
        expect(client.get_secret("conformance", st["v1"]).value == "value-1",
               "old version after restore")
        expect_status(lambda: client.restore_secret_backup(blob), 409,
                      "restore onto a live secret")
    r.step("backup_purge_restore", backup_restore)

    def fresh_put():
        fresh = make_client("sp")  # new credential, new challenge cache entry
        s = fresh.set_secret("first-put", "written by a fresh client")
        expect(s.value == "written by a fresh client", "value echoed")
        expect(fresh.get_secret("first-put").value == s.value, "read back")
    r.step("fresh_client_first_request_is_put", fresh_put)

    def errors():
        e = expect_status(lambda: client.get_secret("no-such-secret"), 404, "unknown secret")
        expect(isinstance(e, ResourceNotFoundError), "ResourceNotFoundError")
        expect("SecretNotFound" in str(e), "SecretNotFound in %s" % e)
    r.step("unknown_secret_is_404_secretnotfound", errors)


def run_mi(r):
    client = make_client("mi")

    def get_seeded():
        s = client.get_secret(SEEDED_NAME)
        expect(s.value == SEEDED_VALUE, "seeded value is %r" % s.value)
    r.step("managed_identity_get_seeded_secret", get_seeded)

    def forbidden(what, fn, perm):
        def check():
            e = expect_status(fn, 403, what)
            expect("does not have secrets %s permission" % perm in str(e),
                   "the 403 names the %s permission: %s" % (perm, e))
        r.step("managed_identity_%s_is_403" % what, check)

    forbidden("set", lambda: client.set_secret("mi-write", "x"), "set")
    forbidden("list", lambda: list(client.list_properties_of_secrets()), "list")
    forbidden("delete", lambda: client.begin_delete_secret(SEEDED_NAME), "delete")
    forbidden("backup", lambda: client.backup_secret(SEEDED_NAME), "backup")
    forbidden("purge", lambda: client.purge_deleted_secret(SEEDED_NAME), "purge")

    def fresh_put():
        fresh = make_client("mi")
        e = expect_status(lambda: fresh.set_secret("first-put", "x"), 403,
                          "a fresh client's first PUT")
        expect("AccessDenied" in str(e) or "Forbidden" in str(e), "Forbidden: %s" % e)
    r.step("managed_identity_fresh_client_first_put_is_403", fresh_put)

    r.step("managed_identity_get_after_denied_writes",
           lambda: expect(client.get_secret(SEEDED_NAME).value == SEEDED_VALUE,
                          "still readable"))


def run_cert(r):
    client = make_client("cert")

    def get_seeded():
        s = client.get_secret(SEEDED_NAME)
        expect(s.value == SEEDED_VALUE, "seeded value is %r" % s.value)
    r.step("certificate_get_seeded_secret", get_seeded)

    def set_get():
        s = client.set_secret("cert-written", "by a certificate credential")
        expect(client.get_secret("cert-written").value == s.value, "read back")
    r.step("certificate_set_then_get", set_get)

    def fresh_put():
        fresh = make_client("cert")
        s = fresh.set_secret("cert-first-put", "x")
        expect(s.value == "x", "value echoed")
    r.step("certificate_fresh_client_first_request_is_put", fresh_put)


def mint_federated_token():
    """POST /admin/federated-token writes the projected token file."""
    body = json.dumps({"path": os.environ["AZURE_FEDERATED_TOKEN_FILE"]}).encode()
    req = urllib.request.Request(os.environ["MSIKV_MOCK_ADMIN"] + "/admin/federated-token",
                                 data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        expect(resp.status == 200, "admin answered %d" % resp.status)
        minted = json.load(resp)
    with open(os.environ["AZURE_FEDERATED_TOKEN_FILE"]) as f:
        expect(f.read() == minted["token"], "the file holds the minted token")


def run_workload(r):
    r.step("workload_mint_federated_token_file", mint_federated_token)
    client = make_client("workload")

    def get_seeded():
        s = client.get_secret(SEEDED_NAME)
        expect(s.value == SEEDED_VALUE, "seeded value is %r" % s.value)
    r.step("workload_identity_get_seeded_secret", get_seeded)

    def set_denied():
        e = expect_status(lambda: client.set_secret("wl-write", "x"), 403, "set")
        expect("does not have secrets set permission" in str(e), "403 text: %s" % e)
    r.step("workload_identity_set_is_403", set_denied)


def run_default(r):
    client = make_client("default")

    def get_seeded():
        s = client.get_secret(SEEDED_NAME)
        expect(s.value == SEEDED_VALUE, "seeded value is %r" % s.value)
        expect(s.id.startswith("https://demo.vault.localhost/secrets/"),
               "no port in ids on 443: %s" % s.id)
    r.step("default_credential_get_seeded_secret", get_seeded)

    def set_get():
        s = client.set_secret("zero-config", "no options anywhere")
        expect(client.get_secret("zero-config").value == s.value, "read back")
    r.step("default_credential_set_then_get", set_get)

    r.step("default_credential_fresh_client_first_request_is_put",
           lambda: expect(make_client("default").set_secret("zc-put", "x").value == "x",
                          "value echoed"))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("sp", "mi", "cert", "workload", "default"):
        print(__doc__)
        return 2
    for var in ("KEY_VAULT_URL", "REQUESTS_CA_BUNDLE"):
        if not os.environ.get(var):
            print("conformance.py: %s is not set (run it through run_sdk_test.sh)" % var)
            return 2
    print("python %s, azure-identity %s, azure-keyvault-secrets %s, mode %s" % (
        sys.version.split()[0], azure.identity.__version__,
        azure.keyvault.secrets.__version__, mode))
    r = Runner("python-sdk %s" % mode)
    {"sp": run_sp, "mi": run_mi, "cert": run_cert, "workload": run_workload,
     "default": run_default}[mode](r)
    outside = sorted(set(h for h in resolved
                         if h not in PINNED_NAMES and not h.endswith(PINNED_SUFFIXES)))
    r.step("no_name_outside_loopback_was_looked_up",
           lambda: expect(not outside, "looked up: %r" % outside))
    return r.finish()


if __name__ == "__main__":
    sys.exit(main())
