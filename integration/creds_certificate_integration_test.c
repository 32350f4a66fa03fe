/* SPDX-License-Identifier: MIT */
/* The client-certificate credential end to end: certificates generated
 * here (no private key is committed) and registered on a principal by a
 * seed; the real msikv tool signs its assertion (PS256, x5t#S256; with the
 * chain; from an encrypted key) and reads the mock vault; an unregistered
 * certificate is refused with Entra's AADSTS700027 and a hint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"
#include "it_target.h"

#define CERT_CLIENT "ffffffff-0000-4000-8000-000000000001"
#define CERT_OID "ffffffff-0000-4000-8000-000000000002"
#define MOCK_VALUE "Hello from the msikv mock Key Vault"

static it_mock mock;
static char plain[4096], chain[4096], encrypted[4096], stranger[4096];

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                       EVP_PKEY *issuer_key) {
  X509 *c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 2 * 86400L);
  X509_set_pubkey(c, key);
  X509_NAME *name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
  X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256());
  return c;
}

static int write_pem(const char *path, EVP_PKEY *key, const char *password,
                     X509 *c1, X509 *c2) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  int ok = 1;
  if (key && password)
    ok = PEM_write_PKCS8PrivateKey(f, key, EVP_aes_256_cbc(), NULL, 0, NULL,
                                   (void *)password);
  else if (key)
    ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
  if (ok && c1)
    ok = PEM_write_X509(f, c1);
  if (ok && c2)
    ok = PEM_write_X509(f, c2);
  fclose(f);
  return ok == 1 ? 0 : -1;
}

static int setup(void **state) {
  (void)state;
  EVP_PKEY *ca_key = EVP_RSA_gen(2048), *key = EVP_RSA_gen(2048),
           *other = EVP_RSA_gen(2048);
  X509 *ca = make_cert(ca_key, "msikv it CA", NULL, NULL);
  X509 *leaf = make_cert(key, "msikv it app", ca, ca_key);
  X509 *other_cert = make_cert(other, "not registered", NULL, NULL);
  char leaf_only[4096], seed[4096];
  it_tmp_path("it-leaf.pem", leaf_only, sizeof(leaf_only));
  it_tmp_path("it-plain.pem", plain, sizeof(plain));
  it_tmp_path("it-chain.pem", chain, sizeof(chain));
  it_tmp_path("it-encrypted.pem", encrypted, sizeof(encrypted));
  it_tmp_path("it-stranger.pem", stranger, sizeof(stranger));
  it_tmp_path("it-seed.json", seed, sizeof(seed));
  int rc = write_pem(leaf_only, NULL, NULL, leaf, NULL) |
           write_pem(plain, key, NULL, leaf, NULL) |
           write_pem(chain, key, NULL, leaf, ca) |
           write_pem(encrypted, key, "it-pa55", leaf, NULL) |
           write_pem(stranger, other, NULL, other_cert, NULL);
  X509_free(ca);
  X509_free(leaf);
  X509_free(other_cert);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(key);
  EVP_PKEY_free(other);
  FILE *f = fopen(seed, "w");
  if (rc || !f)
    return -1;
  fprintf(f,
          "{\"principals\": [{\"type\": \"service_principal\", \"name\": "
          "\"msikv-cert\", \"client_id\": \"" CERT_CLIENT "\", "
          "\"object_id\": \"" CERT_OID "\", \"certificate_file\": \"%s\"}],\n"
          " \"vaults\": [{\"name\": \"demo\", \"secrets\": [{\"name\": "
          "\"secret\", \"value\": \"" MOCK_VALUE "\"}], \"accessPolicies\": "
          "[{\"objectId\": \"" CERT_OID "\", \"permissions\": {\"secrets\": "
          "[\"get\"]}}]}]}\n",
          leaf_only);
  fclose(f);
  const char *args[] = {"--profile", "sp", "--seed", seed, NULL};
  return it_mock_start(&mock, args);
}

static int teardown(void **state) {
  (void)state;
  it_mock_stop(&mock);
  return 0;
}

static void run_cli(const char *const *args, const char *cert,
                    const char *const *extra, it_proc *out) {
  static char vars[8][4300];
  const char *envp[14];
  size_t n = 0;
  snprintf(vars[n], sizeof(vars[n]), "KEY_VAULT_URL=%s", mock.kv_url);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "SSL_CERT_FILE=%s", mock.ca_file);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "AZURE_AUTHORITY_HOST=%s", mock.authority);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "AZURE_TENANT_ID=%s", mock.tenant_id);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "AZURE_CLIENT_CERTIFICATE_PATH=%s", cert);
  envp[n] = vars[n];
  n++;
  envp[n++] = "AZURE_CLIENT_ID=" CERT_CLIENT;
  envp[n++] = "PATH=/usr/bin:/bin";
  for (size_t i = 0; extra && extra[i]; i++)
    envp[n++] = extra[i];
  envp[n] = NULL;
  assert_int_equal(it_run("cli/msikv", args, envp, 30000, out), 0);
}

static void read_ok(const char *cert, const char *const *extra) {
  const char *get[] = {"secret", "get", "secret", NULL};
  it_proc p;
  run_cli(get, cert, extra, &p);
  if (p.exit_code != 0 || !strstr(p.out, MOCK_VALUE))
    fail_msg("%s: exit %d: %s", cert, p.exit_code, p.err);
  it_proc_free(&p);
}

static void test_certificate_secret_get_each_form(void **state) {
  (void)state;
  read_ok(plain, NULL);
  const char *send_chain[] = {"AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true", NULL};
  read_ok(chain, send_chain);
  const char *password[] = {"AZURE_CLIENT_CERTIFICATE_PASSWORD=it-pa55", NULL};
  read_ok(encrypted, password);
  const char *tok[] = {"token", "-o", "json", NULL};
  it_proc p;
  run_cli(tok, plain, NULL, &p);
  assert_int_equal(p.exit_code, 0);
  assert_non_null(strstr(p.out, "ClientCertificateCredential"));
  it_proc_free(&p);
}

static void test_certificate_refusals_explained(void **state) {
  (void)state;
  const char *get[] = {"secret", "get", "secret", NULL};
  it_proc p;
  run_cli(get, stranger, NULL, &p);
  assert_int_equal(p.exit_code, 3);
  if (!strstr(p.err, "AADSTS700027") ||
      !strstr(p.err, "upload this certificate"))
    fail_msg("stderr: %s", p.err);
  it_proc_free(&p);
  run_cli(get, encrypted, NULL, &p); /* No password. */
  assert_int_equal(p.exit_code, 3);
  if (!strstr(p.err, "AZURE_CLIENT_CERTIFICATE_PASSWORD"))
    fail_msg("stderr: %s", p.err);
  it_proc_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_certificate_secret_get_each_form),
      cmocka_unit_test(test_certificate_refusals_explained),
  };
  return IT_RUN_MOCK_ONLY_SUITE("creds_certificate_integration", tests, setup,
                                teardown,
                                "needs the mock (its certificate principal)");
}
