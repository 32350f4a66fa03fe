/* SPDX-License-Identifier: MIT */
/* The web app with the client certificate and workload identity
 * credentials against the mock (issue 6: "Certificate and workload identity
 * are added as those credentials land"): the page names the credential and
 * the principal from the token's claims. The certificate is generated here
 * and registered on a principal by a seed; the federated token is minted
 * by the mock into AZURE_FEDERATED_TOKEN_FILE. */
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

#include "app_harness.h"
#include "harness.h"
#include "it_target.h"

#define CERT_CLIENT "ffffffff-0000-4000-8000-000000000001"
#define CERT_OID "ffffffff-0000-4000-8000-000000000002"
#define WI_CLIENT "f0f0f0f0-0000-4000-8000-000000000001"
#define WI_OID "f0f0f0f0-0000-4000-8000-000000000002"
#define MOCK_VALUE "Hello from the msikv mock Key Vault"

static void assert_contains(const char *hay, const char *needle) {
  if (!hay || !strstr(hay, needle))
    fail_msg("expected \"%s\" in:\n%s", needle, hay ? hay : "(null)");
}

static void assert_page(const it_webapp *w, const char *credential,
                        const char *principal) {
  it_http r;
  it_webapp_get(w, "/", NULL, &r);
  assert_int_equal(r.curl_code, 0);
  if (r.status != 200) {
    char *log = it_webapp_log(w);
    fail_msg("status %ld, body:\n%s\nlog:\n%s", r.status, r.body, log);
  }
  assert_contains(r.body,
                  "<p id=\"secret\">My secret value is " MOCK_VALUE "</p>");
  assert_contains(r.body, credential);
  assert_contains(r.body, principal);
  it_http_free(&r);
}

/* A self-signed certificate: @p key_and_cert gets the key and the
 * certificate (what the app reads), @p cert_only the certificate (what the
 * mock's seed registers). */
static void make_certificate(const char *key_and_cert, const char *cert_only) {
  EVP_PKEY *key = EVP_RSA_gen(2048);
  assert_non_null(key);
  X509 *c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), 11);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 2 * 86400L);
  X509_set_pubkey(c, key);
  X509_NAME *name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)"msikv webapp it", -1, -1,
                             0);
  X509_set_issuer_name(c, name);
  X509_sign(c, key, EVP_sha256());
  FILE *f = fopen(key_and_cert, "w");
  assert_non_null(f);
  assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
  assert_int_equal(PEM_write_X509(f, c), 1);
  fclose(f);
  f = fopen(cert_only, "w");
  assert_non_null(f);
  assert_int_equal(PEM_write_X509(f, c), 1);
  fclose(f);
  X509_free(c);
  EVP_PKEY_free(key);
}

static void test_certificate_pageNamesCertificatePrincipal(void **state) {
  (void)state;
  char pem[4096], cert[4096], seed[4096];
  it_tmp_path("app-cert.pem", pem, sizeof(pem));
  it_tmp_path("app-cert-only.pem", cert, sizeof(cert));
  it_tmp_path("app-cert-seed.json", seed, sizeof(seed));
  make_certificate(pem, cert);
  FILE *f = fopen(seed, "w");
  assert_non_null(f);
  fprintf(f,
          "{\"principals\": [{\"type\": \"service_principal\", \"name\": "
          "\"msikv-cert\", \"client_id\": \"" CERT_CLIENT "\", "
          "\"object_id\": \"" CERT_OID "\", \"certificate_file\": \"%s\"}],\n"
          " \"vaults\": [{\"name\": \"demo\", \"secrets\": [{\"name\": "
          "\"secret\", \"value\": \"" MOCK_VALUE "\"}], \"accessPolicies\": "
          "[{\"objectId\": \"" CERT_OID "\", \"permissions\": {\"secrets\": "
          "[\"get\"]}}]}]}\n",
          cert);
  fclose(f);
  const char *args[] = {"--profile", "sp", "--seed", seed, NULL};
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), 0);
  char path_var[4200];
  snprintf(path_var, sizeof(path_var), "AZURE_CLIENT_CERTIFICATE_PATH=%s", pem);
  /* The sp profile's secret is emptied (empty = unset), so the environment
   * credential takes the certificate. */
  const char *extra[] = {"AZURE_CLIENT_SECRET=", "AZURE_CLIENT_ID=" CERT_CLIENT,
                         path_var, NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  assert_page(&w, "<dd>ClientCertificateCredential</dd>",
              CERT_OID " (object id)");
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_workload_pageNamesWorkloadPrincipal(void **state) {
  (void)state;
  char token_file[4096], body[4200];
  it_tmp_path("app-federated-token", token_file, sizeof(token_file));
  const char *args[] = {"--profile", "sp", NULL};
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), 0);
  snprintf(body, sizeof(body), "{\"path\": \"%s\"}", token_file);
  assert_int_equal(it_admin(&m, "POST", "/admin/federated-token", body, NULL),
                   200);
  char file_var[4200];
  snprintf(file_var, sizeof(file_var), "AZURE_FEDERATED_TOKEN_FILE=%s",
           token_file);
  const char *extra[] = {"AZURE_CLIENT_SECRET=", "AZURE_CLIENT_ID=" WI_CLIENT,
                         file_var, NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  assert_page(&w, "<dd>WorkloadIdentityCredential</dd>", WI_OID " (object id)");
  /* A warm cache: a second view makes no token call. */
  double tok = it_webapp_metric(&w, "msikv_webapp_token_requests_total");
  assert_true(tok >= 1);
  assert_page(&w, "<dd>WorkloadIdentityCredential</dd>", WI_OID);
  assert_true(it_webapp_metric(&w, "msikv_webapp_token_requests_total") == tok);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_certificate_pageNamesCertificatePrincipal),
      cmocka_unit_test(test_workload_pageNamesWorkloadPrincipal),
  };
  return IT_RUN_MOCK_ONLY_SUITE(
      "app_creds_integration", tests, NULL, NULL,
      "needs the mock (a seeded certificate principal; a minted federated "
      "token)");
}
