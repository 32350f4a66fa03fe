/* SPDX-License-Identifier: MIT */
/* Regression tests for numbers too large for int64 reaching the mock: the
 * double-to-integer conversion would be undefined (UBSan; found by the
 * mock_app fuzzer). Each is refused with a clear error instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mockserver/app.h"
#include "mockserver/assertion.h"
#include "mockserver/principals.h"
#include "msikv/alloc.h"

static void test_admin_clock_hugeShift_400ClockUnchanged(void **state) {
  (void)state;
  mock_jwt_key *key = NULL;
  assert_int_equal(mock_jwt_key_load_or_create(
                       "tests/testdata/mock_signing_key.pem", &key, NULL),
                   MSIKV_OK);
  mock_app_config cfg = {.dns_suffix = "vault.localhost",
                         .tls_port = 8443,
                         .msi_port = 8081,
                         .admin_port = 8082,
                         .key = key,
                         .ca_path = "/tmp/ca.pem"};
  mock_app *app = NULL;
  assert_int_equal(mock_app_new(&cfg, &app, NULL), MSIKV_OK);
  const char *bodies[] = {"{\"shift_s\":3111111111111111111111111600}",
                          "{\"shift_s\":-1e300}", "{\"shift_s\":1e999}",
                          "{\"shift_s\":2541250321654359632}",
                          "{\"shift_ms\":\"9223372036854775807\"}",
                          "{\"set_shift_ms\":-9.2e18}"};
  for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    mock_request req;
    memset(&req, 0, sizeof(req));
    req.listener = MOCK_LISTENER_ADMIN;
    req.method = "POST";
    req.host = "127.0.0.1:8082";
    req.path = "/admin/clock";
    req.query = "";
    req.body = bodies[i];
    req.body_len = strlen(bodies[i]);
    req.has_body = true;
    mock_response resp;
    mock_response_init(&resp);
    mock_app_handle(app, &req, &resp);
    assert_int_equal(resp.status, 400);
    mock_response_free(&resp);
  }
  assert_int_equal(mock_clock_get_shift(&app->clock), 0);
  mock_app_free(app);
  mock_jwt_key_free(key);
}

static void test_principals_hugeSecretExpiry_configError(void **state) {
  (void)state;
  cJSON *principals = cJSON_Parse(
      "[{\"type\":\"service_principal\",\"client_id\":\"c2\",\"object_id\":"
      "\"o2\",\"client_secret\":\"s2\",\"secret_expires_on\":1e30}]");
  assert_non_null(principals);
  mock_principals p;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(mock_principals_from_json(NULL, principals, &p, &err),
                   MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "secret_expires_on"));
  cJSON_Delete(principals);
}

static void test_assertion_hugeExp_refused(void **state) {
  (void)state;
  mock_principals defaults;
  mock_principals_default(&defaults);
  const mock_principal *who =
      mock_principals_by_client_id(&defaults, MOCK_WORKLOAD_CLIENT_ID);
  assert_non_null(who);
  /* {"alg":"RS256","typ":"JWT"} . {"iss":"x","sub":"y","aud":"z",
   * "exp":1e30,"nbf":-1e30} . "sig" */
  const char *jwt =
      "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJpc3MiOiJ4Iiwic3ViIjoieSIsImF1ZCI6InoiLCJleHAiOjFlMzAsIm5iZiI6LTFl"
      "MzB9.c2ln";
  mock_assertion_error out;
  memset(&out, 0, sizeof(out));
  assert_false(mock_assertion_check(who, NULL, jwt,
                                    "https://login.localhost/t/oauth2/v2.0/"
                                    "token",
                                    1764864000, &out));
  assert_true(out.message[0] != '\0');
}

int main(void) {
  if (msikv_global_init())
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_admin_clock_hugeShift_400ClockUnchanged),
      cmocka_unit_test(test_principals_hugeSecretExpiry_configError),
      cmocka_unit_test(test_assertion_hugeExp_refused),
  };
  return cmocka_run_group_tests_name("mock_hostile", tests, NULL, NULL);
}
