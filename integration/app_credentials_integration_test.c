/* SPDX-License-Identifier: MIT */
/* The real web app against the real mockserver, with each credential the
 * application default picks: App Service managed identity (2019), the
 * legacy 2017 protocol with every expires_on shape, and the client secret
 * through the mock Entra ID. Plus the plain routes and start-up errors. */
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
#define MI_OID "aaaaaaaa-0000-4000-8000-000000000002"
#define SP_OID "bbbbbbbb-0000-4000-8000-000000000002"

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

static void test_appservice_page_secretCredentialPrincipal(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, NULL, &w), 0);
  assert_page(&w, "<dd>ManagedIdentityCredential (App Service)</dd>",
              MI_OID " (object id)");

  /* JSON: the same data. */
  it_http r;
  it_webapp_get(&w, "/", "application/json", &r);
  assert_int_equal(r.status, 200);
  cJSON *j = it_http_json(&r);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "value")->valuestring, MOCK_VALUE);
  assert_string_equal(cJSON_GetObjectItem(j, "principal")->valuestring, MI_OID);
  assert_string_equal(cJSON_GetObjectItem(j, "vault")->valuestring, m.kv_url);
  assert_string_equal(cJSON_GetObjectItem(j, "cache")->valuestring, "hit");
  assert_true(strlen(cJSON_GetObjectItem(j, "version")->valuestring) == 32);
  cJSON_Delete(j);
  it_http_free(&r);

  /* A warm cache: page views make no Key Vault or token call. */
  double kv = it_webapp_metric(&w, "msikv_webapp_keyvault_requests_total");
  double tok = it_webapp_metric(&w, "msikv_webapp_token_requests_total");
  assert_true(kv >= 1);
  assert_int_equal((int)tok, 1);
  for (int i = 0; i < 5; i++) {
    it_webapp_get(&w, "/", NULL, &r);
    assert_int_equal(r.status, 200);
    it_http_free(&r);
  }
  assert_true(it_webapp_metric(&w, "msikv_webapp_keyvault_requests_total") ==
              kv);
  assert_true(it_webapp_metric(&w, "msikv_webapp_token_requests_total") == tok);
  assert_true(it_webapp_metric(&w, "msikv_webapp_secret_cache_hits_total") >=
              6);

  /* /ping, /healthz, /metrics. */
  it_webapp_get(&w, "/ping", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "Hello world");
  it_http_free(&r);
  it_webapp_get(&w, "/healthz", NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  it_webapp_get(&w, "/metrics", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_contains(r.body, "msikv_webapp_http_requests_total{route=\"/\","
                          "status=\"200\"} 7");
  assert_contains(r.body, "msikv_webapp_http_requests_total{route=\"/ping\","
                          "status=\"200\"} 1");
  assert_contains(r.body, "msikv_webapp_http_request_duration_seconds_count{"
                          "route=\"/\"} 7");
  it_http_free(&r);

  /* Graceful stop; the log has access lines but no secret or header. */
  assert_int_equal(it_webapp_stop(&w), 0);
  char *log = it_webapp_log(&w);
  assert_contains(log, "access 127.0.0.1 \"GET /\" 200");
  assert_contains(log, "SIGTERM");
  assert_null(strstr(log, MOCK_VALUE));
  assert_null(strstr(log, m.identity_header));
  free(log);
  it_mock_stop(&m);
}

static void test_legacy_eachExpiresOnFormat_pageShown(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *formats[] = {"windows", "docs", "linux", "iso", "int", "epoch"};
  for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
    const char *args[] = {"--profile", "legacy", "--legacy-expires-format",
                          formats[i], NULL};
    it_mock m;
    assert_int_equal(it_mock_start(&m, args), 0);
    assert_non_null(it_mock_var(&m, "MSI_ENDPOINT"));
    assert_null(it_mock_var(&m, "IDENTITY_ENDPOINT"));
    it_webapp w;
    assert_int_equal(it_webapp_start(&m, NULL, &w), 0);
    assert_page(&w, "<dd>ManagedIdentityCredential (App Service 2017)</dd>",
                MI_OID);
    assert_int_equal(it_webapp_stop(&w), 0);
    it_mock_stop(&m);
  }
}

/* IMDS (VMs, AKS pod identity), reached through the default chain. */
static void test_imds_pageNamesManagedIdentity(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *args[] = {"--profile", "imds", NULL};
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), 0);
  assert_non_null(it_mock_var(&m, "AZURE_POD_IDENTITY_AUTHORITY_HOST"));
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, NULL, &w), 0);
  assert_page(&w, "<dt>Credential</dt>", MI_OID " (object id)");
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_clientSecret_pageNamesServicePrincipal(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *args[] = {"--profile", "sp", NULL};
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), 0);
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, NULL, &w), 0);
  assert_page(&w, "<dd>ClientSecretCredential</dd>", SP_OID);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_maskedDisplay_valueHidden(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  const char *extra[] = {"SECRET_DISPLAY=masked", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  it_http r;
  it_webapp_get(&w, "/", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_contains(r.body, "My secret value is (masked: 35 bytes, sha256:");
  assert_null(strstr(r.body, MOCK_VALUE));
  it_http_free(&r);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_badConfig_exitCode2WithMessage(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const struct {
    const char *var;
    const char *expect;
  } cases[] = {
      {"PORT=http", "PORT=\"http\" is not a valid port"},
      {"SECRET_CACHE_TTL=5m", "SECRET_CACHE_TTL"},
      {"SECRET_DISPLAY=half", "SECRET_DISPLAY"},
      {"LOG_LEVEL=loud", "LOG_LEVEL"},
      {"HOST=no-such-host", "HOST=\"no-such-host\""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    /* getenv() takes the first of duplicates: the bad value goes first. */
    const char *env[] = {cases[i].var, "PATH=/usr/bin:/bin", "PORT=0", NULL};
    it_proc p;
    assert_int_equal(it_run("app/webapp", NULL, env, 10000, &p), 0);
    assert_int_equal(p.exit_code, 2);
    assert_contains(p.err, cases[i].expect);
    it_proc_free(&p);
  }
}

/* MSIKV_TEST_TARGET=azure: the web app reads `secret` (or SECRET_NAME)
 * from the real vault with the real credential. */
static void test_azure_page_readsSecret(void **state) {
  (void)state;
  IT_REQUIRE_AZURE();
  it_webapp w;
  assert_int_equal(it_webapp_start_azure(&w), 0);
  it_http r;
  it_webapp_get(&w, "/", NULL, &r);
  if (r.status != 200) {
    char *log = it_webapp_log(&w);
    fprintf(stderr, "log:\n%s\n", log);
    free(log);
    fail_msg("status %ld; body:\n%s", r.status, r.body);
  }
  assert_contains(r.body, "<p id=\"secret\">My secret value is ");
  assert_contains(r.body, "<dt>Principal</dt>");
  it_http_free(&r);
  it_webapp_get(&w, "/", "application/json", &r);
  assert_int_equal(r.status, 200);
  cJSON *j = it_http_json(&r);
  assert_non_null(j);
  assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "principal")));
  assert_string_equal(cJSON_GetObjectItem(j, "cache")->valuestring, "hit");
  cJSON_Delete(j);
  it_http_free(&r);
  it_webapp_get(&w, "/ping", NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  assert_int_equal(it_webapp_stop(&w), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_azure_page_readsSecret),
      cmocka_unit_test(test_appservice_page_secretCredentialPrincipal),
      cmocka_unit_test(test_legacy_eachExpiresOnFormat_pageShown),
      cmocka_unit_test(test_imds_pageNamesManagedIdentity),
      cmocka_unit_test(test_clientSecret_pageNamesServicePrincipal),
      cmocka_unit_test(test_maskedDisplay_valueHidden),
      cmocka_unit_test(test_badConfig_exitCode2WithMessage),
  };
  return cmocka_run_group_tests_name("app_credentials_integration", tests, NULL,
                                     NULL);
}
