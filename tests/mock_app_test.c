/* SPDX-License-Identifier: MIT */
/* The whole mock without sockets: routing, faults, log, clock and admin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mockserver/app.h"
#include "msikv/alloc.h"

static mock_jwt_key *key;
static mock_app *app;

static int setup(void **state) {
  (void)state;
  if (msikv_global_init() || mock_jwt_key_load_or_create("tests/testdata/mock_signing_key.pem", &key, NULL))
    return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  mock_jwt_key_free(key);
  return 0;
}

static int app_up(void **state) {
  (void)state;
  mock_app_config cfg = {.dns_suffix = "vault.localhost",
                         .tls_port = 8443,
                         .msi_port = 8081,
                         .admin_port = 8082,
                         .key = key,
                         .ca_path = "/tmp/ca.pem"};
  return mock_app_new(&cfg, &app, NULL) ? -1 : 0;
}

static int app_down(void **state) {
  (void)state;
  mock_app_free(app);
  app = NULL;
  return 0;
}

typedef struct exchange {
  int status;
  cJSON *json;
  char retry_after[16];
  bool reset;
  bool truncated;
} exchange;

static exchange call(mock_listener l, const char *method, const char *host,
                     const char *path, const char *query, const char *hname,
                     const char *hvalue, const char *body) {
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = l;
  req.method = method;
  req.host = host;
  req.path = path;
  req.query = query;
  req.body = body ? body : "";
  req.body_len = strlen(req.body);
  if (hname) {
    req.headers[0].name = hname;
    req.headers[0].value = hvalue;
    req.header_count = 1;
  }
  mock_response resp;
  mock_response_init(&resp);
  mock_app_handle(app, &req, &resp);
  exchange x = {.status = resp.status,
                .json = resp.body.data ? cJSON_Parse(resp.body.data) : NULL,
                .reset = resp.reset_connection,
                .truncated = resp.truncate_body};
  const char *ra = mock_response_get_header(&resp, "Retry-After");
  snprintf(x.retry_after, sizeof(x.retry_after), "%s", ra ? ra : "");
  mock_response_free(&resp);
  return x;
}

static exchange admin(const char *method, const char *path, const char *query,
                      const char *body) {
  return call(MOCK_LISTENER_ADMIN, method, "127.0.0.1:8082", path, query, NULL,
              NULL, body);
}

static char *msi_token(void) {
  exchange x = call(MOCK_LISTENER_MSI, "GET", "127.0.0.1:8081", "/msi/token",
                    "api-version=2019-08-01&resource=https%3A%2F%2Fvault."
                    "localhost%3A8443",
                    "X-IDENTITY-HEADER", app->identity_header, NULL);
  assert_int_equal(x.status, 200);
  char *tok = strdup(
      cJSON_GetObjectItem(x.json, "access_token")->valuestring);
  cJSON_Delete(x.json);
  return tok;
}

static exchange get_secret(const char *tok) {
  char auth[8192];
  snprintf(auth, sizeof(auth), "Bearer %s", tok);
  return call(MOCK_LISTENER_TLS, "GET", "demo.vault.localhost:8443",
              "/secrets/secret", "api-version=7.4", "Authorization", auth,
              NULL);
}

static void test_app_msi_token_reads_secret_200(void **state) {
  (void)state;
  assert_string_equal(app->resource, "https://vault.localhost:8443");
  assert_string_equal(app->authority, "https://login.localhost:8443");
  assert_int_equal(strlen(app->identity_header), 32);
  assert_string_not_equal(app->identity_header, app->msi_secret);
  char *tok = msi_token();
  exchange x = get_secret(tok);
  assert_int_equal(x.status, 200);
  assert_string_equal(cJSON_GetObjectItem(x.json, "value")->valuestring,
                      "Hello from the msikv mock Key Vault");
  cJSON_Delete(x.json);
  free(tok);
}

static void test_app_unknown_host_404(void **state) {
  (void)state;
  exchange x = call(MOCK_LISTENER_TLS, "GET", "example.com", "/", "", NULL,
                    NULL, NULL);
  assert_int_equal(x.status, 404);
  cJSON_Delete(x.json);
  x = admin("GET", "/nothing", "", NULL);
  assert_int_equal(x.status, 404);
  cJSON_Delete(x.json);
}

static void test_app_fault_applies_and_is_logged(void **state) {
  (void)state;
  char *tok = msi_token();
  exchange x = admin("POST", "/admin/faults", "",
                     "[{\"route\":\"kv\",\"status\":429,\"retry_after\":1,"
                     "\"count\":1},{\"route\":\"kv\",\"kind\":\"truncated\","
                     "\"count\":1}]");
  assert_int_equal(x.status, 201);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(x.json, "ids")), 2);
  cJSON_Delete(x.json);
  x = get_secret(tok);
  assert_int_equal(x.status, 429);
  assert_string_equal(x.retry_after, "1");
  cJSON_Delete(x.json);
  x = get_secret(tok);
  assert_int_equal(x.status, 200);
  assert_true(x.truncated);
  cJSON_Delete(x.json);
  x = get_secret(tok);
  assert_false(x.truncated);
  cJSON_Delete(x.json);
  x = admin("GET", "/admin/requests", "since=1", NULL);
  const cJSON *reqs = cJSON_GetObjectItem(x.json, "requests");
  assert_int_equal(cJSON_GetArraySize(reqs), 3);
  const cJSON *e = cJSON_GetArrayItem(reqs, 0);
  assert_string_equal(cJSON_GetObjectItem(e, "fault")->valuestring, "status");
  assert_int_equal(cJSON_GetObjectItem(e, "status")->valueint, 429);
  cJSON_Delete(x.json);
  free(tok);
}

static void test_app_clock_shift_expires_tokens(void **state) {
  (void)state;
  char *tok = msi_token();
  exchange x = admin("POST", "/admin/clock", "", "{\"shift_s\":7200}");
  assert_int_equal(x.status, 200);
  assert_int_equal((int64_t)cJSON_GetObjectItem(x.json, "shift_ms")->valuedouble,
                   7200000);
  cJSON_Delete(x.json);
  x = get_secret(tok);
  assert_int_equal(x.status, 401);
  cJSON_Delete(x.json);
  x = admin("POST", "/admin/clock", "", "{\"nope\":1}");
  assert_int_equal(x.status, 400);
  cJSON_Delete(x.json);
  x = admin("POST", "/admin/reset", "", NULL);
  assert_int_equal(x.status, 204);
  cJSON_Delete(x.json);
  x = get_secret(tok);
  assert_int_equal(x.status, 200);
  cJSON_Delete(x.json);
  free(tok);
}

static void test_app_config_lists_endpoints(void **state) {
  (void)state;
  exchange x = admin("GET", "/admin/config", "", NULL);
  assert_int_equal(x.status, 200);
  const cJSON *j = x.json;
  assert_string_equal(cJSON_GetObjectItem(j, "key_vault_url")->valuestring,
                      "https://demo.vault.localhost:8443");
  assert_string_equal(cJSON_GetObjectItem(j, "identity_endpoint")->valuestring,
                      "http://127.0.0.1:8081/msi/token");
  assert_string_equal(cJSON_GetObjectItem(j, "tenant_id")->valuestring,
                      MOCK_DEFAULT_TENANT);
  assert_string_equal(cJSON_GetObjectItem(j, "ca_file")->valuestring,
                      "/tmp/ca.pem");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "principals")),
                   6);
  char *text = cJSON_PrintUnformatted(j);
  assert_null(strstr(text, MOCK_SP_SECRET));
  cJSON_free(text);
  cJSON_Delete(x.json);
}

static void test_app_admin_token_and_errors(void **state) {
  (void)state;
  exchange x = admin("POST", "/admin/token", "",
                     "{\"client_id\":\"" MOCK_SP_CLIENT_ID "\"}");
  assert_int_equal(x.status, 200);
  char *tok = strdup(cJSON_GetObjectItem(x.json, "access_token")->valuestring);
  cJSON_Delete(x.json);
  x = get_secret(tok);
  assert_int_equal(x.status, 200);
  cJSON_Delete(x.json);
  free(tok);
  x = admin("POST", "/admin/token", "", "{\"client_id\":\"nobody\"}");
  assert_int_equal(x.status, 400);
  cJSON_Delete(x.json);
  x = admin("POST", "/admin/faults", "", "not json");
  assert_int_equal(x.status, 400);
  cJSON_Delete(x.json);
  x = admin("DELETE", "/admin/faults/12345", "", NULL);
  assert_int_equal(x.status, 404);
  cJSON_Delete(x.json);
  x = admin("POST", "/admin/replication-lag", "", "{\"ms\":-1}");
  assert_int_equal(x.status, 400);
  cJSON_Delete(x.json);
  x = admin("GET", "/admin/requests", "since=x", NULL);
  assert_int_equal(x.status, 400);
  cJSON_Delete(x.json);
}

static void test_app_seed_replaces_principals(void **state) {
  (void)state;
  cJSON *seed = cJSON_Parse(
      "{\"tenant_id\":\"22222222-2222-3333-4444-555555555555\","
      "\"principals\":[{\"type\":\"managed_identity\",\"system_assigned\":"
      "true,\"client_id\":\"c1\",\"object_id\":\"o1\"},{\"type\":"
      "\"service_principal\",\"client_id\":\"c2\",\"object_id\":\"o2\","
      "\"client_secret\":\"s2\",\"secret_expires_on\":1}],"
      "\"vaults\":[{\"name\":\"demo\",\"secrets\":[],\"access_policies\":[]}]}");
  assert_non_null(seed);
  mock_app_config cfg = {.dns_suffix = "vault.localhost",
                         .tls_port = 443,
                         .key = key,
                         .seed = seed};
  mock_app *a = NULL;
  msikv_error err;
  msikv_error_clear(&err);
  msikv_result rc = mock_app_new(&cfg, &a, &err);
  if (rc)
    fail_msg("seed rejected: %s", err.message);
  assert_string_equal(a->principals.tenant_id,
                      "22222222-2222-3333-4444-555555555555");
  assert_int_equal(a->principals.count, 2);
  assert_string_equal(mock_principals_system(&a->principals)->client_id, "c1");
  assert_string_equal(a->resource, "https://vault.localhost");
  assert_string_equal(a->authority, "https://login.localhost");
  mock_app_free(a);
  cJSON_Delete(seed);
}

static void test_app_bad_seed_principal_config_error(void **state) {
  (void)state;
  cJSON *seed =
      cJSON_Parse("{\"principals\":[{\"type\":\"robot\",\"client_id\":\"c\","
                  "\"object_id\":\"o\"}]}");
  mock_app_config cfg = {.dns_suffix = "vault.localhost",
                         .tls_port = 1,
                         .key = key,
                         .seed = seed};
  mock_app *a = NULL;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(mock_app_new(&cfg, &a, &err), MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "principals[0].type"));
  cJSON_Delete(seed);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_app_msi_token_reads_secret_200,
                                      app_up, app_down),
      cmocka_unit_test_setup_teardown(test_app_unknown_host_404, app_up,
                                      app_down),
      cmocka_unit_test_setup_teardown(test_app_fault_applies_and_is_logged,
                                      app_up, app_down),
      cmocka_unit_test_setup_teardown(test_app_clock_shift_expires_tokens,
                                      app_up, app_down),
      cmocka_unit_test_setup_teardown(test_app_config_lists_endpoints, app_up,
                                      app_down),
      cmocka_unit_test_setup_teardown(test_app_admin_token_and_errors, app_up,
                                      app_down),
      cmocka_unit_test(test_app_seed_replaces_principals),
      cmocka_unit_test(test_app_bad_seed_principal_config_error),
  };
  return cmocka_run_group_tests_name("mock_app", tests, setup, teardown);
}
