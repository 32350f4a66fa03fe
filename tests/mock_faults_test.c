/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mockserver/faults.h"
#include "msikv/alloc.h"

static void test_parse_spec_all_keys_ok(void **state) {
  (void)state;
  mock_fault f;
  assert_int_equal(
      mock_fault_parse_spec("route=kv,method=GET,path=/secrets/,kind=status,"
                            "status=429,retry_after=7,delay_ms=5,count=3,"
                            "probability=0.5",
                            &f, NULL),
      MSIKV_OK);
  assert_string_equal(f.route, "kv");
  assert_string_equal(f.method, "GET");
  assert_string_equal(f.path_prefix, "/secrets/");
  assert_int_equal(f.kind, MOCK_FAULT_STATUS);
  assert_int_equal(f.status, 429);
  assert_int_equal(f.retry_after_s, 7);
  assert_int_equal(f.delay_ms, 5);
  assert_int_equal(f.count, 3);
  assert_true(f.probability > 0.49 && f.probability < 0.51);
  assert_int_equal(mock_fault_parse_spec("kind=oversized", &f, NULL),
                   MSIKV_OK);
  assert_int_equal(f.size, (size_t)4 << 20);
  assert_string_equal(f.route, "*");
  assert_int_equal(f.count, -1);
}

static void test_parse_spec_bad_config_error(void **state) {
  (void)state;
  const char *bad[] = {"route=kv,kind=boom", "status=99",  "route=nowhere",
                       "count=0",            "probability=2", "nokey",
                       "color=red",          "retry_after=x"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    mock_fault f;
    msikv_error err;
    msikv_error_clear(&err);
    assert_int_equal(mock_fault_parse_spec(bad[i], &f, &err),
                     MSIKV_ERR_CONFIG);
    assert_true(strlen(err.message) > 0);
  }
}

static void test_from_json_numbers_and_strings(void **state) {
  (void)state;
  cJSON *j = cJSON_Parse("{\"route\":\"imds\",\"kind\":\"delay\","
                         "\"delay_ms\":250,\"count\":\"2\"}");
  mock_fault f;
  assert_int_equal(mock_fault_from_json(j, &f, NULL), MSIKV_OK);
  assert_string_equal(f.route, "imds");
  assert_int_equal(f.kind, MOCK_FAULT_DELAY);
  assert_int_equal(f.delay_ms, 250);
  assert_int_equal(f.count, 2);
  cJSON_Delete(j);
  j = cJSON_Parse("{\"route\":[1]}");
  assert_int_equal(mock_fault_from_json(j, &f, NULL), MSIKV_ERR_CONFIG);
  cJSON_Delete(j);
  j = cJSON_Parse("[]");
  assert_int_equal(mock_fault_from_json(j, &f, NULL), MSIKV_ERR_CONFIG);
  cJSON_Delete(j);
}

static void test_take_count_then_removed(void **state) {
  (void)state;
  mock_faults *fs = NULL;
  assert_int_equal(mock_faults_new(&fs), MSIKV_OK);
  mock_fault f, got;
  assert_int_equal(mock_fault_parse_spec("route=kv,count=2", &f, NULL),
                   MSIKV_OK);
  int id = 0;
  assert_int_equal(mock_faults_add(fs, &f, &id), MSIKV_OK);
  assert_true(id > 0);
  assert_false(mock_faults_take(fs, "msi", "GET", "/", 0.0, &got));
  assert_true(mock_faults_take(fs, "kv", "GET", "/", 0.0, &got));
  assert_int_equal(got.hits, 1);
  assert_true(mock_faults_take(fs, "kv", "GET", "/", 0.0, &got));
  assert_false(mock_faults_take(fs, "kv", "GET", "/", 0.0, &got));
  cJSON *arr = mock_faults_to_json(fs);
  assert_int_equal(cJSON_GetArraySize(arr), 0);
  cJSON_Delete(arr);
  mock_faults_free(fs);
}

/* Faults on one route share the roll: 10% 503, then 5% 429, then none. */
static void test_take_probabilities_share_roll_mixed(void **state) {
  (void)state;
  mock_faults *fs = NULL;
  assert_int_equal(mock_faults_new(&fs), MSIKV_OK);
  mock_fault f, got;
  int id = 0;
  assert_int_equal(mock_fault_parse_spec("route=kv,status=503,probability=0.1",
                                         &f, NULL),
                   MSIKV_OK);
  assert_int_equal(mock_faults_add(fs, &f, &id), MSIKV_OK);
  assert_int_equal(mock_fault_parse_spec(
                       "route=kv,status=429,retry_after=1,probability=0.05",
                       &f, NULL),
                   MSIKV_OK);
  assert_int_equal(mock_faults_add(fs, &f, &id), MSIKV_OK);
  assert_true(mock_faults_take(fs, "kv", "GET", "/", 0.05, &got));
  assert_int_equal(got.status, 503);
  assert_true(mock_faults_take(fs, "kv", "GET", "/", 0.12, &got));
  assert_int_equal(got.status, 429);
  assert_int_equal(got.retry_after_s, 1);
  assert_false(mock_faults_take(fs, "kv", "GET", "/", 0.16, &got));
  assert_false(mock_faults_take(fs, "kv", "GET", "/", 0.99, &got));
  mock_faults_free(fs);
}

static void test_take_filters_and_probability(void **state) {
  (void)state;
  mock_faults *fs = NULL;
  assert_int_equal(mock_faults_new(&fs), MSIKV_OK);
  mock_fault f, got;
  assert_int_equal(mock_fault_parse_spec("method=PUT,path=/secrets/a,"
                                         "probability=0.25",
                                         &f, NULL),
                   MSIKV_OK);
  int id = 0;
  assert_int_equal(mock_faults_add(fs, &f, &id), MSIKV_OK);
  assert_false(mock_faults_take(fs, "kv", "GET", "/secrets/a", 0.0, &got));
  assert_false(mock_faults_take(fs, "kv", "PUT", "/secrets/b", 0.0, &got));
  assert_true(mock_faults_take(fs, "entra", "put", "/secrets/abc", 0.1, &got));
  assert_false(mock_faults_take(fs, "kv", "PUT", "/secrets/a", 0.25, &got));
  assert_false(mock_faults_take(fs, "kv", "PUT", "/secrets/a", 0.9, &got));
  cJSON *arr = mock_faults_to_json(fs);
  const cJSON *e = cJSON_GetArrayItem(arr, 0);
  assert_int_equal(cJSON_GetObjectItem(e, "hits")->valueint, 1);
  assert_int_equal(cJSON_GetObjectItem(e, "count")->valueint, -1);
  cJSON_Delete(arr);
  assert_true(mock_faults_remove(fs, id));
  assert_false(mock_faults_remove(fs, id));
  assert_int_equal(mock_faults_add(fs, &f, &id), MSIKV_OK);
  mock_faults_clear(fs);
  assert_false(mock_faults_take(fs, "kv", "PUT", "/secrets/a", 0.0, &got));
  mock_faults_free(fs);
}

static void test_apply_before_status_and_reset(void **state) {
  (void)state;
  mock_fault f;
  mock_response resp;
  assert_int_equal(
      mock_fault_parse_spec("status=503,retry_after=2,delay_ms=10", &f, NULL),
      MSIKV_OK);
  mock_response_init(&resp);
  assert_true(mock_fault_apply_before(&f, &resp));
  assert_int_equal(resp.status, 503);
  assert_int_equal(resp.delay_ms, 10);
  assert_string_equal(mock_response_get_header(&resp, "Retry-After"), "2");
  assert_non_null(strstr(resp.body.data, "\"ServiceUnavailable\""));
  mock_response_free(&resp);

  assert_int_equal(mock_fault_parse_spec("status=500", &f, NULL), MSIKV_OK);
  mock_response_init(&resp);
  assert_true(mock_fault_apply_before(&f, &resp));
  assert_null(mock_response_get_header(&resp, "Retry-After"));
  mock_response_free(&resp);

  assert_int_equal(mock_fault_parse_spec("kind=reset", &f, NULL), MSIKV_OK);
  mock_response_init(&resp);
  assert_true(mock_fault_apply_before(&f, &resp));
  assert_true(resp.reset_connection);
  mock_response_free(&resp);

  assert_int_equal(mock_fault_parse_spec("kind=delay,delay_ms=7", &f, NULL),
                   MSIKV_OK);
  mock_response_init(&resp);
  assert_false(mock_fault_apply_before(&f, &resp));
  assert_int_equal(resp.delay_ms, 7);
  mock_response_free(&resp);
}

static void test_apply_after_body_kinds(void **state) {
  (void)state;
  mock_fault f;
  mock_response resp;
  const char body[] = "{\"value\":\"hello world\"}";

  assert_int_equal(mock_fault_parse_spec("kind=malformed", &f, NULL),
                   MSIKV_OK);
  mock_response_init(&resp);
  assert_int_equal(mock_response_text(&resp, 200, body), MSIKV_OK);
  mock_fault_apply_after(&f, &resp);
  assert_int_equal(resp.status, 200);
  cJSON *j = cJSON_Parse(resp.body.data);
  assert_null(j);
  mock_response_free(&resp);

  assert_int_equal(mock_fault_parse_spec("kind=truncated", &f, NULL),
                   MSIKV_OK);
  mock_response_init(&resp);
  assert_int_equal(mock_response_text(&resp, 200, body), MSIKV_OK);
  mock_fault_apply_after(&f, &resp);
  assert_true(resp.truncate_body);
  assert_string_equal(resp.body.data, body);
  mock_response_free(&resp);

  assert_int_equal(mock_fault_parse_spec("kind=oversized,size=100000", &f,
                                         NULL),
                   MSIKV_OK);
  mock_response_init(&resp);
  assert_int_equal(mock_response_text(&resp, 200, body), MSIKV_OK);
  mock_fault_apply_after(&f, &resp);
  assert_int_equal(resp.body.len, 100000);
  j = cJSON_Parse(resp.body.data);
  assert_non_null(j);
  cJSON_Delete(j);
  mock_response_free(&resp);
}

int main(void) {
  if (msikv_global_init())
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_spec_all_keys_ok),
      cmocka_unit_test(test_parse_spec_bad_config_error),
      cmocka_unit_test(test_from_json_numbers_and_strings),
      cmocka_unit_test(test_take_count_then_removed),
      cmocka_unit_test(test_take_filters_and_probability),
      cmocka_unit_test(test_take_probabilities_share_roll_mixed),
      cmocka_unit_test(test_apply_before_status_and_reset),
      cmocka_unit_test(test_apply_after_body_kinds),
  };
  return cmocka_run_group_tests_name("mock_faults", tests, NULL, NULL);
}
