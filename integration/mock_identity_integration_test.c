/* SPDX-License-Identifier: MIT */
/* Every identity flavour against the real mockserver: get a token over raw
 * HTTP, then call Key Vault with it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"
#include "it_target.h"

#define UAMI_CLIENT "cccccccc-0000-4000-8000-000000000001"
#define UAMI_OBJECT "cccccccc-0000-4000-8000-000000000002"
#define UAMI_RES                                                               \
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/"        \
  "msikv-demo/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"     \
  "msikv-uami"
#define SP_CLIENT "bbbbbbbb-0000-4000-8000-000000000001"
#define SP_SECRET "msikv-mock-sp-secret"
#define DEFAULT_VALUE "Hello from the msikv mock Key Vault"

static it_mock mock;

static int setup(void **state) {
  (void)state;
  return it_mock_start(&mock, NULL);
}

static int teardown(void **state) {
  (void)state;
  it_mock_stop(&mock);
  return 0;
}

/* GET {vault}/secrets/secret with the token; returns the HTTP status. */
static long get_secret(const char *token, char **out_value) {
  char url[512], auth[8192];
  snprintf(url, sizeof(url), "%s/secrets/secret?api-version=7.4", mock.kv_url);
  snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
  const char *h[] = {auth, NULL};
  it_http r;
  it_http_do(&mock, "GET", url, h, NULL, &r);
  assert_int_equal(r.curl_code, 0);
  long status = r.status;
  if (out_value) {
    cJSON *j = it_http_json(&r);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "value");
    *out_value = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
    cJSON_Delete(j);
  }
  it_http_free(&r);
  return status;
}

static void expect_secret(const char *token) {
  char *value = NULL;
  assert_non_null(token);
  assert_int_equal(get_secret(token, &value), 200);
  assert_non_null(value);
  assert_string_equal(value, DEFAULT_VALUE);
  free(value);
}

static void test_appservice_system_assigned_reads_secret(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  expect_secret(tok);
  free(tok);
}

static void
test_appservice_user_assigned_each_selector_reads_secret(void **state) {
  (void)state;
  char q[512];
  char *enc = curl_easy_escape(NULL, UAMI_RES, 0);
  const char *selectors[] = {"&client_id=" UAMI_CLIENT,
                             "&principal_id=" UAMI_OBJECT,
                             "&object_id=" UAMI_OBJECT, NULL};
  for (size_t i = 0; selectors[i]; i++) {
    char *tok = it_token_appservice(&mock, selectors[i]);
    expect_secret(tok);
    free(tok);
  }
  snprintf(q, sizeof(q), "&mi_res_id=%s", enc);
  curl_free(enc);
  char *tok = it_token_appservice(&mock, q);
  expect_secret(tok);
  free(tok);
}

static void test_appservice_response_shape_has_string_expires_on(void **state) {
  (void)state;
  char url[1024], hdr[256];
  snprintf(url, sizeof(url),
           "%s?api-version=2019-08-01&resource=https://vault.azure.net",
           mock.identity_endpoint);
  snprintf(hdr, sizeof(hdr), "X-IDENTITY-HEADER: %s", mock.identity_header);
  const char *h[] = {hdr, NULL};
  it_http r;
  it_http_do(NULL, "GET", url, h, NULL, &r);
  assert_int_equal(r.status, 200);
  cJSON *j = it_http_json(&r);
  assert_non_null(j);
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(j, "expires_on");
  assert_true(cJSON_IsString(exp));
  assert_true(strtoll(exp->valuestring, NULL, 10) > 1700000000LL);
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(j, "resource")->valuestring,
      "https://vault.azure.net");
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(j, "token_type")->valuestring, "Bearer");
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(j, "client_id")->valuestring,
      "aaaaaaaa-0000-4000-8000-000000000001");
  assert_null(cJSON_GetObjectItemCaseSensitive(j, "expires_in"));
  cJSON_Delete(j);
  it_http_free(&r);
}

static void test_appservice_wrong_header_401(void **state) {
  (void)state;
  char url[1024];
  snprintf(url, sizeof(url),
           "%s?api-version=2019-08-01&resource=https://vault.azure.net",
           mock.identity_endpoint);
  const char *h[] = {"X-IDENTITY-HEADER: not-the-header", NULL};
  it_http r;
  it_http_do(NULL, "GET", url, h, NULL, &r);
  assert_int_equal(r.status, 401);
  cJSON *j = it_http_json(&r);
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "statusCode")->valueint,
                   401);
  cJSON_Delete(j);
  it_http_free(&r);
  it_http_do(NULL, "GET", url, NULL, NULL, &r);
  assert_int_equal(r.status, 401);
  it_http_free(&r);
}

static void test_appservice_unknown_identity_400(void **state) {
  (void)state;
  char url[1024], hdr[256];
  snprintf(url, sizeof(url),
           "%s?api-version=2019-08-01&resource=https://vault.azure.net&"
           "client_id=99999999-0000-4000-8000-000000000001",
           mock.identity_endpoint);
  snprintf(hdr, sizeof(hdr), "X-IDENTITY-HEADER: %s", mock.identity_header);
  const char *h[] = {hdr, NULL};
  it_http r;
  it_http_do(NULL, "GET", url, h, NULL, &r);
  assert_int_equal(r.status, 400);
  cJSON *j = it_http_json(&r);
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(j, "message")->valuestring,
      "Unable to load requested managed identity.");
  cJSON_Delete(j);
  it_http_free(&r);
}

static void test_legacy_secret_header_reads_secret(void **state) {
  (void)state;
  char *tok = it_token_legacy(&mock, NULL);
  expect_secret(tok);
  free(tok);
  tok = it_token_legacy(&mock, "&clientid=" UAMI_CLIENT);
  expect_secret(tok);
  free(tok);
}

static void test_legacy_expires_on_is_windows_date(void **state) {
  (void)state;
  char url[1024], hdr[256];
  snprintf(url, sizeof(url),
           "%s?api-version=2017-09-01&resource=https://vault.azure.net",
           mock.identity_endpoint);
  snprintf(hdr, sizeof(hdr), "secret: %s", mock.msi_secret);
  const char *h[] = {hdr, NULL};
  it_http r;
  it_http_do(NULL, "GET", url, h, NULL, &r);
  assert_int_equal(r.status, 200);
  cJSON *j = it_http_json(&r);
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(j, "expires_on");
  assert_true(cJSON_IsString(exp));
  /* "M/d/yyyy h:mm:ss AM +00:00" */
  assert_non_null(strstr(exp->valuestring, " +00:00"));
  assert_true(strstr(exp->valuestring, " AM ") ||
              strstr(exp->valuestring, " PM "));
  assert_non_null(strchr(exp->valuestring, '/'));
  cJSON_Delete(j);
  it_http_free(&r);
}

static void test_imds_reads_secret(void **state) {
  (void)state;
  char *tok = it_token_imds(&mock, NULL);
  expect_secret(tok);
  free(tok);
  tok = it_token_imds(&mock, "&client_id=" UAMI_CLIENT);
  expect_secret(tok);
  free(tok);
}

static void test_imds_errors_400(void **state) {
  (void)state;
  char url[1024];
  snprintf(url, sizeof(url),
           "%s/metadata/identity/oauth2/token?api-version=2018-02-01&"
           "resource=https://vault.azure.net",
           mock.imds_host);
  it_http r;
  it_http_do(NULL, "GET", url, NULL, NULL, &r);
  assert_int_equal(r.status, 400);
  assert_non_null(strstr(r.body, "Required metadata header not specified"));
  it_http_free(&r);
  snprintf(url, sizeof(url),
           "%s/metadata/identity/oauth2/token?api-version=2018-02-01&"
           "resource=https://vault.azure.net&client_id=%s",
           mock.imds_host, "99999999-0000-4000-8000-000000000001");
  const char *h[] = {"Metadata: true", NULL};
  it_http_do(NULL, "GET", url, h, NULL, &r);
  assert_int_equal(r.status, 400);
  cJSON *j = it_http_json(&r);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "error")->valuestring,
                      "invalid_request");
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(j, "error_description")->valuestring,
      "Identity not found");
  cJSON_Delete(j);
  it_http_free(&r);
}

static void test_client_secret_discovery_then_token_reads_secret(void **state) {
  (void)state;
  char url[1024];
  snprintf(url, sizeof(url), "%s/%s/v2.0/.well-known/openid-configuration",
           mock.authority, mock.tenant_id);
  it_http r;
  it_http_do(&mock, "GET", url, NULL, NULL, &r);
  assert_int_equal(r.curl_code, 0);
  assert_int_equal(r.status, 200);
  cJSON *j = it_http_json(&r);
  char want[512];
  snprintf(want, sizeof(want), "%s/%s/v2.0", mock.authority, mock.tenant_id);
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(j, "issuer")->valuestring, want);
  const cJSON *jwks = cJSON_GetObjectItemCaseSensitive(j, "jwks_uri");
  assert_true(cJSON_IsString(jwks));
  char jwks_url[512];
  snprintf(jwks_url, sizeof(jwks_url), "%s", jwks->valuestring);
  cJSON_Delete(j);
  it_http_free(&r);
  it_http_do(&mock, "GET", jwks_url, NULL, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"kty\":\"RSA\""));
  it_http_free(&r);
  char *tok = it_token_client_secret(&mock, SP_CLIENT, SP_SECRET, NULL);
  expect_secret(tok);
  free(tok);
}

static void test_client_secret_wrong_secret_aadsts7000215(void **state) {
  (void)state;
  char url[1024];
  snprintf(url, sizeof(url), "%s/%s/oauth2/v2.0/token", mock.authority,
           mock.tenant_id);
  const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
  it_http r;
  it_http_do(&mock, "POST", url, h,
             "grant_type=client_credentials&client_id=" SP_CLIENT
             "&client_secret=wrong&scope=https%3A%2F%2Fvault.azure.net%2F."
             "default",
             &r);
  assert_int_equal(r.status, 401);
  cJSON *j = it_http_json(&r);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "error")->valuestring,
                      "invalid_client");
  assert_int_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "error_codes"), 0)
          ->valueint,
      7000215);
  assert_true(
      strncmp(
          cJSON_GetObjectItemCaseSensitive(j, "error_description")->valuestring,
          "AADSTS7000215: Invalid client secret provided.", 46) == 0);
  cJSON_Delete(j);
  it_http_free(&r);
}

static void test_client_secret_expired_aadsts7000222(void **state) {
  (void)state;
  char url[1024];
  snprintf(url, sizeof(url), "%s/%s/oauth2/v2.0/token", mock.authority,
           mock.tenant_id);
  const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
  it_http r;
  it_http_do(&mock, "POST", url, h,
             "grant_type=client_credentials&client_id=eeeeeeee-0000-4000-8000-"
             "000000000001&client_secret=msikv-mock-expired-secret&scope="
             "https%3A%2F%2Fvault.azure.net%2F.default",
             &r);
  assert_int_equal(r.status, 401);
  assert_non_null(strstr(r.body, "AADSTS7000222: The provided client secret "
                                 "keys for app"));
  it_http_free(&r);
}

static void test_discovery_instance_names_authority(void **state) {
  (void)state;
  char url[1024];
  snprintf(url, sizeof(url),
           "%s/common/discovery/instance?api-version=1.1&"
           "authorization_endpoint=%s/%s/oauth2/v2.0/authorize",
           mock.authority, mock.authority, mock.tenant_id);
  it_http r;
  it_http_do(&mock, "GET", url, NULL, NULL, &r);
  assert_int_equal(r.status, 200);
  cJSON *j = it_http_json(&r);
  assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "metadata"));
  assert_non_null(
      strstr(cJSON_GetObjectItemCaseSensitive(j, "tenant_discovery_endpoint")
                 ->valuestring,
             "/v2.0/.well-known/openid-configuration"));
  cJSON_Delete(j);
  it_http_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_appservice_system_assigned_reads_secret),
      cmocka_unit_test(
          test_appservice_user_assigned_each_selector_reads_secret),
      cmocka_unit_test(test_appservice_response_shape_has_string_expires_on),
      cmocka_unit_test(test_appservice_wrong_header_401),
      cmocka_unit_test(test_appservice_unknown_identity_400),
      cmocka_unit_test(test_legacy_secret_header_reads_secret),
      cmocka_unit_test(test_legacy_expires_on_is_windows_date),
      cmocka_unit_test(test_imds_reads_secret),
      cmocka_unit_test(test_imds_errors_400),
      cmocka_unit_test(test_client_secret_discovery_then_token_reads_secret),
      cmocka_unit_test(test_client_secret_wrong_secret_aadsts7000215),
      cmocka_unit_test(test_client_secret_expired_aadsts7000222),
      cmocka_unit_test(test_discovery_instance_names_authority),
  };
  return IT_RUN_MOCK_ONLY_SUITE("mock_identity_integration", tests, setup,
                                teardown, "tests the mock itself");
}
