/* SPDX-License-Identifier: MIT */
/* Key Vault authentication and authorisation against the real mockserver:
 * the 401 challenge, AKV100xx / TokenExpired 401s, 403 AccessDenied, and the
 * clock shift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "it_target.h"

#define SP_CLIENT "bbbbbbbb-0000-4000-8000-000000000001"
#define SP_SECRET "msikv-mock-sp-secret"
#define DENIED_CLIENT "dddddddd-0000-4000-8000-000000000001"
#define DENIED_SECRET "msikv-mock-denied-secret"

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

static int reset(void **state) {
  (void)state;
  return it_admin_reset(&mock) == 204 ? 0 : -1;
}

static void kv(const char *method, const char *path, const char *token,
               const char *body, it_http *r) {
  char url[1024], auth[8192];
  snprintf(url, sizeof(url), "%s%s", mock.kv_url, path);
  snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
  const char *h[] = {auth, NULL};
  it_http_do(&mock, method, url, token ? h : NULL, body, r);
  assert_int_equal(r->curl_code, 0);
}

static void expect_error(const it_http *r, long status, const char *code,
                         const char *message_prefix) {
  assert_int_equal(r->status, status);
  cJSON *j = it_http_json(r);
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
  assert_non_null(err);
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(err, "code")->valuestring, code);
  const char *msg =
      cJSON_GetObjectItemCaseSensitive(err, "message")->valuestring;
  if (strncmp(msg, message_prefix, strlen(message_prefix)) != 0)
    fail_msg("message '%s' does not start with '%s'", msg, message_prefix);
  cJSON_Delete(j);
}

static char *admin_token(const char *json) {
  cJSON *resp = NULL;
  assert_int_equal(it_admin(&mock, "POST", "/admin/token", json, &resp), 200);
  char *tok = strdup(
      cJSON_GetObjectItemCaseSensitive(resp, "access_token")->valuestring);
  cJSON_Delete(resp);
  return tok;
}

static void test_no_token_gets_exact_challenge(void **state) {
  (void)state;
  it_http r;
  kv("GET", "/secrets/secret/?api-version=7.4", NULL, NULL, &r);
  expect_error(&r, 401, "Unauthorized",
               "AKV10000: Request is missing a Bearer or PoP token.");
  char *www = it_http_header(&r, "WWW-Authenticate");
  char want[512];
  snprintf(want, sizeof(want),
           "Bearer authorization=\"https://login.localhost:%d/%s\", "
           "resource=\"https://vault.localhost:%d\"",
           mock.tls_port, mock.tenant_id, mock.tls_port);
  assert_non_null(www);
  assert_string_equal(www, want);
  free(www);
  it_http_free(&r);
}

static void test_wrong_audience_akv10022(void **state) {
  (void)state;
  char *tok = it_token_client_secret(&mock, SP_CLIENT, SP_SECRET,
                                     "https://vault.azure.net/.default");
  assert_non_null(tok);
  it_http r;
  kv("GET", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  expect_error(&r, 401, "Unauthorized", "AKV10022: Invalid audience.");
  assert_non_null(strstr(r.body, "found: https://vault.azure.net"));
  it_http_free(&r);
  free(tok);
}

static void test_wrong_tenant_akv10032(void **state) {
  (void)state;
  char *tok = admin_token("{\"client_id\":\"" SP_CLIENT
                          "\",\"tid\":\"99999999-2222-3333-4444-"
                          "555555555555\"}");
  it_http r;
  kv("GET", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  expect_error(&r, 401, "Unauthorized", "AKV10032: Invalid issuer.");
  it_http_free(&r);
  free(tok);
}

static void test_tampered_token_401(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_non_null(tok);
  char *dot = strrchr(tok, '.');
  dot[5] = dot[5] == 'A' ? 'B' : 'A';
  it_http r;
  kv("GET", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  expect_error(&r, 401, "Unauthorized",
               "Error validating token: the signature does not verify");
  it_http_free(&r);
  free(tok);
}

static void test_clock_shift_expires_token_token_expired(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  it_http r;
  kv("GET", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  assert_int_equal(it_admin_shift_clock(&mock, 3601), 200);
  kv("GET", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  expect_error(&r, 401, "Unauthorized",
               "[TokenExpired] Error validating token: 'S2S12086'.");
  it_http_free(&r);
  free(tok);
  /* A token minted on the shifted clock works again. */
  tok = it_token_appservice(&mock, NULL);
  kv("GET", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  free(tok);
}

static void test_not_yet_valid_token_401(void **state) {
  (void)state;
  char *tok =
      admin_token("{\"client_id\":\"" SP_CLIENT "\",\"nbf_offset_s\":600}");
  it_http r;
  kv("GET", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 401);
  it_http_free(&r);
  free(tok);
}

static void test_denied_principal_403_access_denied(void **state) {
  (void)state;
  char *tok = it_token_client_secret(&mock, DENIED_CLIENT, DENIED_SECRET, NULL);
  assert_non_null(tok);
  it_http r;
  kv("GET", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  expect_error(&r, 403, "Forbidden", "The user, group or application 'appid=");
  assert_non_null(strstr(r.body, "oid=dddddddd-0000-4000-8000-000000000002"));
  assert_non_null(strstr(r.body, "does not have secrets get permission"));
  assert_non_null(strstr(r.body, "\"innererror\":{\"code\":\"AccessDenied\"}"));
  it_http_free(&r);
  free(tok);
}

static void test_managed_identity_cannot_set_403(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  it_http r;
  kv("PUT", "/secrets/other?api-version=7.4", tok, "{\"value\":\"x\"}", &r);
  expect_error(&r, 403, "Forbidden", "The user, group or application");
  assert_non_null(strstr(r.body, "does not have secrets set permission"));
  it_http_free(&r);
  free(tok);
}

static void test_service_principal_manages_secrets(void **state) {
  (void)state;
  char *tok = it_token_client_secret(&mock, SP_CLIENT, SP_SECRET, NULL);
  it_http r;
  kv("PUT", "/secrets/it-new?api-version=7.4", tok, "{\"value\":\"v1\"}", &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  kv("GET", "/secrets/it-new/?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"value\":\"v1\""));
  it_http_free(&r);
  kv("DELETE", "/secrets/it-new?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "recoveryId"));
  it_http_free(&r);
  free(tok);
}

static void test_replication_lag_hides_deleted_secret(void **state) {
  (void)state;
  char *tok = it_token_client_secret(&mock, SP_CLIENT, SP_SECRET, NULL);
  it_http r;
  assert_int_equal(
      it_admin(&mock, "POST", "/admin/replication-lag", "{\"ms\":60000}", NULL),
      204);
  kv("DELETE", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  kv("GET", "/deletedsecrets/secret?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 404);
  it_http_free(&r);
  assert_int_equal(it_admin_shift_clock(&mock, 61), 200);
  /* The token is still valid (3600 s); the lag has passed. */
  kv("GET", "/deletedsecrets/secret?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  free(tok);
}

static void test_reset_restores_default_state(void **state) {
  (void)state;
  char *tok = it_token_client_secret(&mock, SP_CLIENT, SP_SECRET, NULL);
  it_http r;
  kv("DELETE", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  assert_int_equal(it_admin_reset(&mock), 204);
  kv("GET", "/secrets/secret?api-version=7.4", tok, NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  free(tok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_no_token_gets_exact_challenge, reset),
      cmocka_unit_test_setup(test_wrong_audience_akv10022, reset),
      cmocka_unit_test_setup(test_wrong_tenant_akv10032, reset),
      cmocka_unit_test_setup(test_tampered_token_401, reset),
      cmocka_unit_test_setup(test_clock_shift_expires_token_token_expired,
                             reset),
      cmocka_unit_test_setup(test_not_yet_valid_token_401, reset),
      cmocka_unit_test_setup(test_denied_principal_403_access_denied, reset),
      cmocka_unit_test_setup(test_managed_identity_cannot_set_403, reset),
      cmocka_unit_test_setup(test_service_principal_manages_secrets, reset),
      cmocka_unit_test_setup(test_replication_lag_hides_deleted_secret, reset),
      cmocka_unit_test_setup(test_reset_restores_default_state, reset),
  };
  return IT_RUN_MOCK_ONLY_SUITE("mock_kv_auth_integration", tests, setup,
                                teardown, "tests the mock itself");
}
