/* SPDX-License-Identifier: MIT */
/* The web app's failure pages against the real mockserver (access denied,
 * identity endpoint down, identity not enabled, no credential, no vault URL,
 * secret missing, vault unreachable) and the retries that hide transient
 * faults (429 and 5xx from Key Vault, 5xx from the identity endpoint). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app_harness.h"
#include "harness.h"
#include "it_target.h"

#define MOCK_VALUE "Hello from the msikv mock Key Vault"
#define DENIED_OID "dddddddd-0000-4000-8000-000000000002"

static void assert_contains(const char *hay, const char *needle) {
  if (!hay || !strstr(hay, needle))
    fail_msg("expected \"%s\" in:\n%s", needle, hay ? hay : "(null)");
}

/* Starts a mock with @p args and the app with @p extra, GETs / as HTML and
 * as JSON, checks the status and the HTML, and returns the JSON error code
 * in @p code_out. */
static void expect_page(const char *const *args, const char *const *extra,
                        long status, const char *const *needles,
                        const char *json_code) {
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), 0);
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  it_http r;
  it_webapp_get(&w, "/", NULL, &r);
  assert_int_equal(r.curl_code, 0);
  if (r.status != status) {
    char *log = it_webapp_log(&w);
    fail_msg("status %ld, want %ld; body:\n%s\nlog:\n%s", r.status, status,
             r.body, log);
  }
  for (size_t i = 0; needles && needles[i]; i++)
    assert_contains(r.body, needles[i]);
  it_http_free(&r);
  if (json_code) {
    it_webapp_get(&w, "/", "application/json", &r);
    assert_int_equal(r.status, status);
    cJSON *j = it_http_json(&r);
    assert_non_null(j);
    cJSON *e = cJSON_GetObjectItem(j, "error");
    assert_non_null(e);
    assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring, json_code);
    cJSON_Delete(j);
    it_http_free(&r);
  }
  /* The app stays up: /ping still answers. */
  it_webapp_get(&w, "/ping", NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_accessDenied_403NamesPrincipal(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *args[] = {"--profile", "sp", NULL};
  const char *extra[] = {"AZURE_CLIENT_ID=dddddddd-0000-4000-8000-000000000001",
                         "AZURE_CLIENT_SECRET=msikv-mock-denied-secret", NULL};
  const char *needles[] = {
      "Access denied by Key Vault", "The principal " DENIED_OID " (object id)",
      "Grant it Get on secrets", "--object-id " DENIED_OID, NULL};
  expect_page(args, extra, 403, needles, "AccessDenied");
}

static void test_identityEndpointDown_502CouldNotGetToken(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *extra[] = {"IDENTITY_ENDPOINT=http://127.0.0.1:1/msi/token",
                         NULL};
  const char *needles[] = {"Could not get a token", NULL};
  expect_page(NULL, extra, 502, needles, "IdentityEndpointUnreachable");
}

static void test_identityNotEnabled_503ListsMissingVars(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *args[] = {"--profile", "imds", NULL};
  const char *extra[] = {"APPSETTING_WEBSITE_SITE_NAME=msikv-demo", NULL};
  const char *needles[] = {"Managed identity is not enabled",
                           "IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT, "
                           "MSI_SECRET",
                           "restart the app", NULL};
  expect_page(args, extra, 503, needles, "ManagedIdentityNotEnabled");
}

static void test_noCredential_503ListsAzureVars(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  /* The default chain (issue 8) tries IMDS too: point it at a closed port,
   * so that no credential answers (and no az is on PATH). */
  const char *args[] = {"--profile", "imds", NULL};
  const char *extra[] = {"AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:1",
                         NULL};
  const char *needles[] = {"No credential is configured",
                           "AZURE_TENANT_ID, AZURE_CLIENT_ID, "
                           "AZURE_CLIENT_SECRET",
                           "DefaultAzureCredential failed to retrieve a token",
                           NULL};
  expect_page(args, extra, 503, needles, "NoCredential");
}

static void test_noVaultUrl_500SaysSetIt(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *extra[] = {"KEY_VAULT_URL=", NULL};
  const char *needles[] = {"<h1>KEY_VAULT_URL is not set</h1>", NULL};
  expect_page(NULL, extra, 500, needles, "KeyVaultUrlNotSet");
}

static void test_secretMissing_404(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *extra[] = {"SECRET_NAME=does-not-exist", NULL};
  const char *needles[] = {"Secret not found",
                           "no secret named &quot;does-not-exist&quot;", NULL};
  expect_page(NULL, extra, 404, needles, "SecretNotFound");
}

static void test_vaultUnreachable_502(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *extra[] = {"KEY_VAULT_URL=https://demo.vault.localhost:1", NULL};
  const char *needles[] = {"Could not reach the vault",
                           "https://demo.vault.localhost:1 could not be "
                           "reached",
                           NULL};
  expect_page(NULL, extra, 502, needles, NULL);
}

/* Faults that retries hide: the page is still 200. */
static void expect_retried(const char *fault, double min_kv_requests,
                           double min_token_requests) {
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  assert_true(it_admin_fault(&m, fault) > 0);
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, NULL, &w), 0);
  it_http r;
  it_webapp_get(&w, "/", NULL, &r);
  if (r.status != 200) {
    char *log = it_webapp_log(&w);
    fail_msg("%s: status %ld; body:\n%s\nlog:\n%s", fault, r.status, r.body,
             log);
  }
  assert_contains(r.body, "My secret value is " MOCK_VALUE);
  it_http_free(&r);
  double kv = it_webapp_metric(&w, "msikv_webapp_keyvault_requests_total");
  double tok = it_webapp_metric(&w, "msikv_webapp_token_requests_total");
  if (kv < min_kv_requests || tok < min_token_requests)
    fail_msg("%s: %.0f Key Vault and %.0f token requests", fault, kv, tok);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_kvThrottled429_retriedThenShown(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  expect_retried("{\"route\":\"kv\",\"kind\":\"status\",\"status\":429,"
                 "\"retry_after\":1,\"count\":2}",
                 4, 1);
}

static void test_kv503_retriedThenShown(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  expect_retried("{\"route\":\"kv\",\"kind\":\"status\",\"status\":503,"
                 "\"retry_after\":0,\"count\":2}",
                 4, 1);
}

static void test_identity500_retriedThenShown(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  expect_retried("{\"route\":\"msi\",\"kind\":\"status\",\"status\":500,"
                 "\"retry_after\":0,\"count\":1}",
                 2, 2);
}

static void test_kvThrottledPersistently_503RetryAfter(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  assert_true(it_admin_fault(&m, "{\"route\":\"kv\",\"kind\":\"status\","
                                 "\"status\":429,\"retry_after\":0,"
                                 "\"count\":-1}") > 0);
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, NULL, &w), 0);
  it_http r;
  it_webapp_get(&w, "/", NULL, &r);
  assert_int_equal(r.status, 503);
  assert_contains(r.body, "Key Vault is throttling requests");
  char *ra = it_http_header(&r, "Retry-After");
  assert_non_null(ra);
  assert_string_equal(ra, "10");
  free(ra);
  it_http_free(&r);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accessDenied_403NamesPrincipal),
      cmocka_unit_test(test_identityEndpointDown_502CouldNotGetToken),
      cmocka_unit_test(test_identityNotEnabled_503ListsMissingVars),
      cmocka_unit_test(test_noCredential_503ListsAzureVars),
      cmocka_unit_test(test_noVaultUrl_500SaysSetIt),
      cmocka_unit_test(test_secretMissing_404),
      cmocka_unit_test(test_vaultUnreachable_502),
      cmocka_unit_test(test_kvThrottled429_retriedThenShown),
      cmocka_unit_test(test_kv503_retriedThenShown),
      cmocka_unit_test(test_identity500_retriedThenShown),
      cmocka_unit_test(test_kvThrottledPersistently_503RetryAfter),
  };
  return cmocka_run_group_tests_name("app_failures_integration", tests, NULL,
                                     NULL);
}
