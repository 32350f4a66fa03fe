/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mock_kv_fixture.h"
#include "oom.h"

/* ---- tests ---- */

static void test_seed_json_vaults_secrets_policies(void **state) {
  fx *f = *state;
  cJSON *vaults = cJSON_Parse(
      "[{\"name\":\"Alpha\",\"location\":\"westeurope\",\"secrets\":["
      "{\"name\":\"a\",\"value\":\"1\",\"contentType\":\"text/plain\","
      "\"tags\":{\"k\":\"v\"}},"
      "{\"name\":\"off\",\"value\":\"x\",\"enabled\":false},"
      "{\"name\":\"a\",\"value\":\"2\"}],"
      "\"accessPolicies\":[{\"objectId\":\"reader\",\"permissions\":"
      "{\"secrets\":[\"Get\",\"list\"]}}]},"
      "{\"name\":\"beta\"}]");
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(mock_kv_seed_json(f->kv, vaults, &err), MSIKV_OK);
  cJSON_Delete(vaults);
  f->host = "alpha.vault.localhost:8443";
  assert_int_equal(
      call(f, "GET", "/secrets/a?api-version=7.6", "oid:reader", NULL), 200);
  /* The same name twice makes two versions; the last is the latest. */
  assert_string_equal(jstr(f->json, "value"), "2");
  assert_int_equal(
      call(f, "GET", "/secrets/a/versions?api-version=7.6", "oid:reader", NULL),
      200);
  assert_int_equal(cJSON_GetArraySize(jobj(f->json, "value")), 2);
  assert_int_equal(
      call(f, "GET", "/secrets/off?api-version=7.6", "oid:reader", NULL), 403);
  assert_string_equal(inner_code(f), "SecretDisabled");
  assert_int_equal(call(f, "PUT", "/secrets/a?api-version=7.6", "oid:reader",
                        "{\"value\":\"v\"}"),
                   403);
  assert_non_null(strstr(err_message(f), "on key vault "
                                         "'alpha;location=westeurope'"));
  /* The old state is gone: the default vault and its principals. */
  assert_int_equal(call(f, "GET", "/secrets/a?api-version=7.6", "sp", NULL),
                   403);
  f->host = HOST;
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", "sp", NULL), 404);
  assert_string_equal(err_code(f), "VaultNotFound");
  f->host = "beta.vault.localhost:8443";
  assert_int_equal(
      call(f, "GET", "/secrets?api-version=7.6", "oid:reader", NULL), 403);
  /* Reseeding with the default restores the demo vault. */
  assert_int_equal(mock_kv_seed_default(f->kv), MSIKV_OK);
  f->host = HOST;
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", "mi", NULL), 200);
}

static void expect_seed_error(fx *f, const char *json, const char *needle) {
  cJSON *vaults = cJSON_Parse(json);
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(mock_kv_seed_json(f->kv, vaults, &err), MSIKV_ERR_CONFIG);
  cJSON_Delete(vaults);
  if (!strstr(err.message, needle))
    fail_msg("'%s' does not contain '%s'", err.message, needle);
  /* The state is unchanged. */
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", "mi", NULL), 200);
}

static void test_seed_json_errors_leave_state(void **state) {
  fx *f = *state;
  expect_seed_error(f, "{}", "\"vaults\" must be an array");
  expect_seed_error(f, "[{\"name\":\"x\"}]", "vaults[0].name");
  expect_seed_error(f, "[{\"name\":\"ok1\"},{\"name\":\"1bad\"}]",
                    "vaults[1].name");
  expect_seed_error(f, "[{\"name\":\"dup\"},{\"name\":\"DUP\"}]",
                    "defined twice");
  expect_seed_error(f,
                    "[{\"name\":\"v1v\",\"secrets\":[{\"name\":\"a_b\","
                    "\"value\":\"x\"}]}]",
                    "vaults[0].secrets[0].name");
  expect_seed_error(f,
                    "[{\"name\":\"v1v\",\"secrets\":[{\"name\":\"ab\","
                    "\"value\":3}]}]",
                    "vaults[0].secrets[0].value");
  expect_seed_error(f,
                    "[{\"name\":\"v1v\",\"secrets\":[{\"name\":\"ab\","
                    "\"value\":\"x\",\"enabled\":\"no\"}]}]",
                    "enabled");
  expect_seed_error(f,
                    "[{\"name\":\"v1v\",\"secrets\":[{\"name\":\"ab\","
                    "\"value\":\"x\",\"tags\":{\"a\":1}}]}]",
                    "tags");
  expect_seed_error(f,
                    "[{\"name\":\"v1v\",\"accessPolicies\":[{\"objectId\":"
                    "\"o\",\"permissions\":{\"secrets\":[\"read\"]}}]}]",
                    "unknown secret permission 'read'");
  expect_seed_error(f,
                    "[{\"name\":\"v1v\",\"accessPolicies\":[{\"permissions\""
                    ":{\"secrets\":[\"get\"]}}]}]",
                    "accessPolicies[0].objectId");
  expect_seed_error(f, "[{\"name\":\"v1v\",\"secrets\":{}}]",
                    "secrets must be an array");
}

static void test_seed_default_identities(void **state) {
  fx *f = *state;
  const char *get = "/secrets/secret?api-version=7.6";
  assert_int_equal(call(f, "GET", get, "mi", NULL), 200);
  assert_string_equal(jstr(f->json, "value"),
                      "Hello from the msikv mock Key Vault");
  assert_memory_equal(jstr(f->json, "id"), BASE "/secrets/secret/",
                      strlen(BASE "/secrets/secret/"));
  assert_int_equal(call(f, "GET", get, "uami", NULL), 200);
  assert_int_equal(call(f, "GET", "/secrets?api-version=7.6", "uami", NULL),
                   403);
  assert_int_equal(call(f, "GET", get, "denied", NULL), 403);
  assert_string_equal(inner_code(f), "AccessDenied");
  assert_int_equal(
      call(f, "POST", "/secrets/secret/backup?api-version=7.6", "sp", NULL),
      200);
  assert_int_equal(
      call(f, "DELETE", "/secrets/secret?api-version=7.6", "mi", NULL), 403);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_seed_json_vaults_secrets_policies,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_seed_json_errors_leave_state, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_seed_default_identities, setup,
                                      teardown),
  };
  return cmocka_run_group_tests_name("mock_kv_seed", tests, NULL, NULL);
}
