/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mockserver/entra.h"
#include "msikv/alloc.h"

#define NOW_MS 1800000000000LL
#define AUTH "https://login.localhost:8443"
#define T MOCK_DEFAULT_TENANT

static mock_jwt_key *key;
static mock_principals principals;

static int setup(void **state) {
  (void)state;
  if (msikv_global_init())
    return -1;
  mock_principals_default(&principals);
  return mock_jwt_key_load_or_create("tests/testdata/mock_signing_key.pem", &key, NULL) ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  mock_jwt_key_free(key);
  return 0;
}

static cJSON *run(const char *method, const char *path, const char *body,
                  int *out_status) {
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = MOCK_LISTENER_TLS;
  req.method = method;
  req.host = "login.localhost:8443";
  req.path = path;
  req.query = "";
  req.body = body ? body : "";
  req.body_len = strlen(req.body);
  req.now_ms = NOW_MS;
  mock_response resp;
  mock_response_init(&resp);
  mock_entra_config cfg = {.principals = &principals,
                           .key = key,
                           .authority = AUTH,
                           .token_lifetime_s = 3599};
  mock_entra_handle(&cfg, &req, &resp);
  *out_status = resp.status;
  cJSON *j = resp.body.data ? cJSON_Parse(resp.body.data) : NULL;
  mock_response_free(&resp);
  return j;
}

static const char *str(const cJSON *j, const char *name) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(j, name);
  return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void expect_aad(const char *path, const char *body, int status,
                       const char *error, int code, const char *desc_start) {
  int st = 0;
  cJSON *j = run("POST", path, body, &st);
  assert_int_equal(st, status);
  assert_string_equal(str(j, "error"), error);
  const cJSON *codes = cJSON_GetObjectItem(j, "error_codes");
  assert_int_equal(cJSON_GetArraySize(codes), 1);
  assert_int_equal(cJSON_GetArrayItem(codes, 0)->valueint, code);
  const char *desc = str(j, "error_description");
  if (strncmp(desc, desc_start, strlen(desc_start)) != 0)
    fail_msg("'%s' does not start with '%s'", desc, desc_start);
  assert_non_null(strstr(desc, "\r\nTrace ID: "));
  assert_non_null(strstr(desc, "\r\nCorrelation ID: "));
  assert_non_null(strstr(desc, "\r\nTimestamp: 2027-01-15 08:00:00Z"));
  assert_string_equal(str(j, "timestamp"), "2027-01-15 08:00:00Z");
  assert_non_null(str(j, "trace_id"));
  assert_non_null(str(j, "correlation_id"));
  char uri[128];
  snprintf(uri, sizeof(uri), AUTH "/error?code=%d", code);
  assert_string_equal(str(j, "error_uri"), uri);
  cJSON_Delete(j);
}

#define TOKEN_PATH "/" T "/oauth2/v2.0/token"
#define GOOD_SP "client_id=" MOCK_SP_CLIENT_ID "&client_secret=" MOCK_SP_SECRET
#define SCOPE "&scope=https%3A%2F%2Fvault.localhost%3A8443%2F.default"

static void test_token_v2_client_secret_200(void **state) {
  (void)state;
  int st = 0;
  cJSON *j = run("POST", TOKEN_PATH,
                 "grant_type=client_credentials&" GOOD_SP SCOPE
                 "&client_info=1&claims=%7B%7D",
                 &st);
  assert_int_equal(st, 200);
  assert_string_equal(str(j, "token_type"), "Bearer");
  assert_int_equal(cJSON_GetObjectItem(j, "expires_in")->valueint, 3599);
  assert_int_equal(cJSON_GetObjectItem(j, "ext_expires_in")->valueint, 3599);
  const char *tok = str(j, "access_token");
  assert_non_null(tok);
  mock_jwt_verifier *v = NULL;
  assert_int_equal(
      mock_jwt_verifier_new(key, "https://vault.localhost:8443", T, &v),
      MSIKV_OK);
  mock_claims c;
  assert_int_equal(mock_jwt_verify(v, tok, 1800000000, &c), MOCK_TOKEN_OK);
  assert_string_equal(c.appid, MOCK_SP_CLIENT_ID);
  assert_string_equal(c.oid, MOCK_SP_OBJECT_ID);
  assert_int_equal(c.exp, 1800003599);
  mock_jwt_verifier_free(v);
  cJSON_Delete(j);
}

static void test_token_v1_resource_string_numbers(void **state) {
  (void)state;
  int st = 0;
  cJSON *j = run("POST", "/" T "/oauth2/token",
                 "grant_type=client_credentials&" GOOD_SP
                 "&resource=https%3A%2F%2Fvault.azure.net",
                 &st);
  assert_int_equal(st, 200);
  assert_string_equal(str(j, "expires_in"), "3599");
  assert_string_equal(str(j, "expires_on"), "1800003599");
  assert_string_equal(str(j, "resource"), "https://vault.azure.net");
  cJSON_Delete(j);
}

static void test_token_wrong_secret_7000215(void **state) {
  (void)state;
  expect_aad(TOKEN_PATH,
             "grant_type=client_credentials&client_id=" MOCK_SP_CLIENT_ID
             "&client_secret=msikv-mock-sp-secreX" SCOPE,
             401, "invalid_client", 7000215,
             "AADSTS7000215: Invalid client secret provided. Ensure the "
             "secret being sent in the request is the client secret value, "
             "not the client secret ID, for a secret added to app '" MOCK_SP_CLIENT_ID
             "'.");
  /* A prefix of the right secret is wrong too. */
  expect_aad(TOKEN_PATH,
             "grant_type=client_credentials&client_id=" MOCK_SP_CLIENT_ID
             "&client_secret=msikv" SCOPE,
             401, "invalid_client", 7000215, "AADSTS7000215:");
  /* Managed identities have no client secrets. */
  expect_aad(TOKEN_PATH,
             "grant_type=client_credentials&client_id=" MOCK_APPSERVICE_MI_CLIENT_ID
             "&client_secret=x" SCOPE,
             401, "invalid_client", 7000215, "AADSTS7000215:");
}

static void test_token_expired_secret_7000222(void **state) {
  (void)state;
  expect_aad(TOKEN_PATH,
             "grant_type=client_credentials&client_id=" MOCK_EXPIRED_CLIENT_ID
             "&client_secret=" MOCK_EXPIRED_SECRET SCOPE,
             401, "invalid_client", 7000222,
             "AADSTS7000222: The provided client secret keys for app '" MOCK_EXPIRED_CLIENT_ID
             "' are expired.");
}

static void test_token_request_errors(void **state) {
  (void)state;
  expect_aad(TOKEN_PATH, GOOD_SP SCOPE, 400, "invalid_request", 900144,
             "AADSTS900144: The request body must contain the following "
             "parameter: 'grant_type'.");
  expect_aad(TOKEN_PATH, "grant_type=password&" GOOD_SP SCOPE, 400,
             "unsupported_grant_type", 70003,
             "AADSTS70003: The app requested an unsupported grant type "
             "'password'.");
  expect_aad(TOKEN_PATH, "grant_type=client_credentials" SCOPE, 400,
             "invalid_request", 900144, "AADSTS900144:");
  expect_aad(TOKEN_PATH,
             "grant_type=client_credentials&client_id=" MOCK_SP_CLIENT_ID SCOPE,
             401, "invalid_client", 7000216, "AADSTS7000216:");
  expect_aad(TOKEN_PATH,
             "grant_type=client_credentials&client_id=99999999-0000-4000-8000-"
             "000000000001&client_secret=x" SCOPE,
             400, "unauthorized_client", 700016,
             "AADSTS700016: Application with identifier "
             "'99999999-0000-4000-8000-000000000001' was not found in the "
             "directory '" T "'.");
  expect_aad("/00000000-1111-2222-3333-444444444444/oauth2/v2.0/token",
             "grant_type=client_credentials&" GOOD_SP SCOPE, 400,
             "invalid_request", 90002,
             "AADSTS90002: Tenant '00000000-1111-2222-3333-444444444444' not "
             "found.");
  expect_aad(TOKEN_PATH, "grant_type=client_credentials&" GOOD_SP, 400,
             "invalid_request", 900144,
             "AADSTS900144: The request body must contain the following "
             "parameter: 'scope'.");
  expect_aad(TOKEN_PATH,
             "grant_type=client_credentials&" GOOD_SP
             "&scope=https%3A%2F%2Fvault.azure.net%2Fuser_impersonation",
             400, "invalid_scope", 1002012,
             "AADSTS1002012: The provided value for scope "
             "https://vault.azure.net/user_impersonation is not valid.");
  expect_aad(TOKEN_PATH,
             "grant_type=client_credentials&" GOOD_SP
             "&scope=a%2F.default+b%2F.default",
             400, "invalid_scope", 70011, "AADSTS70011:");
}

static void test_token_get_405(void **state) {
  (void)state;
  int st = 0;
  cJSON *j = run("GET", TOKEN_PATH, NULL, &st);
  assert_int_equal(st, 405);
  assert_string_equal(str(j, "error"), "invalid_request");
  cJSON_Delete(j);
}

static void test_openid_configuration_v2_issuer_and_jwks(void **state) {
  (void)state;
  int st = 0;
  cJSON *j = run("GET", "/" T "/v2.0/.well-known/openid-configuration", NULL,
                 &st);
  assert_int_equal(st, 200);
  assert_string_equal(str(j, "issuer"), AUTH "/" T "/v2.0");
  assert_string_equal(str(j, "jwks_uri"), AUTH "/" T "/discovery/v2.0/keys");
  assert_string_equal(str(j, "token_endpoint"),
                      AUTH "/" T "/oauth2/v2.0/token");
  assert_string_equal(str(j, "authorization_endpoint"),
                      AUTH "/" T "/oauth2/v2.0/authorize");
  cJSON_Delete(j);
  j = run("GET", "/organizations/v2.0/.well-known/openid-configuration", NULL,
          &st);
  assert_int_equal(st, 200);
  assert_string_equal(str(j, "issuer"), AUTH "/{tenantid}/v2.0");
  cJSON_Delete(j);
  j = run("GET", "/" T "/.well-known/openid-configuration", NULL, &st);
  assert_string_equal(str(j, "issuer"), "https://sts.windows.net/" T "/");
  cJSON_Delete(j);
}

static void test_jwks_and_discovery_instance(void **state) {
  (void)state;
  int st = 0;
  cJSON *j = run("GET", "/" T "/discovery/v2.0/keys", NULL, &st);
  assert_int_equal(st, 200);
  const cJSON *k = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "keys"), 0);
  assert_string_equal(str(k, "kid"), mock_jwt_key_kid(key));
  assert_string_equal(str(k, "kty"), "RSA");
  cJSON_Delete(j);
  j = run("GET", "/common/discovery/instance", NULL, &st);
  assert_int_equal(st, 200);
  assert_string_equal(str(j, "tenant_discovery_endpoint"),
                      AUTH "/{tenant}/v2.0/.well-known/openid-configuration");
  const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "metadata"), 0);
  assert_string_equal(str(m, "preferred_network"), "login.localhost:8443");
  cJSON_Delete(j);
}

static void test_unknown_paths_404(void **state) {
  (void)state;
  const char *paths[] = {"/", "", "/" T, "/" T "/oauth2/v3/token",
                         "/common/discovery/other"};
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    int st = 0;
    cJSON *j = run("GET", paths[i], NULL, &st);
    assert_int_equal(st, 404);
    cJSON_Delete(j);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_token_v2_client_secret_200),
      cmocka_unit_test(test_token_v1_resource_string_numbers),
      cmocka_unit_test(test_token_wrong_secret_7000215),
      cmocka_unit_test(test_token_expired_secret_7000222),
      cmocka_unit_test(test_token_request_errors),
      cmocka_unit_test(test_token_get_405),
      cmocka_unit_test(test_openid_configuration_v2_issuer_and_jwks),
      cmocka_unit_test(test_jwks_and_discovery_instance),
      cmocka_unit_test(test_unknown_paths_404),
  };
  return cmocka_run_group_tests_name("mock_entra", tests, setup, teardown);
}
