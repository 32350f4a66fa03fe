/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "json_internal.h"
#include "msikv/alloc.h"
#include "oom.h"

static cJSON *parse(const char *text) {
  cJSON *json = NULL;
  assert_int_equal(msikv__json_parse(text, strlen(text), &json), MSIKV_OK);
  return json;
}

static void test_json_parse_rejects_trailing_garbage(void **state) {
  (void)state;
  cJSON *json = NULL;
  const char *bad[] = {"", "{", "{\"a\":1} x", "[1,]", "nul"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(msikv__json_parse(bad[i], strlen(bad[i]), &json),
                     MSIKV_ERR_PARSE);
  assert_null(json);
  json = parse(" {\"a\":1}\r\n ");
  cJSON_Delete(json);
}

static void test_json_parse_respects_length(void **state) {
  (void)state;
  cJSON *json = NULL;
  const char *text = "{\"a\":1}{\"b\":2}";
  assert_int_equal(msikv__json_parse(text, 7, &json), MSIKV_OK);
  assert_non_null(cJSON_GetObjectItem(json, "a"));
  cJSON_Delete(json);
}

static void test_json_int64_number_or_string(void **state) {
  (void)state;
  cJSON *json = parse("{\"n\":3599,\"s\":\"3599\",\"e\":\"\",\"z\":null,"
                      "\"f\":1.5,\"b\":true,\"x\":\"12a\",\"big\":1e300}");
  int64_t v = -1;
  assert_int_equal(msikv__json_int64(json, "n", 0, INT64_MAX, &v), MSIKV_OK);
  assert_int_equal(v, 3599);
  v = -1;
  assert_int_equal(msikv__json_int64(json, "s", 0, INT64_MAX, &v), MSIKV_OK);
  assert_int_equal(v, 3599);
  assert_int_equal(msikv__json_int64(json, "e", 0, 10, &v),
                   MSIKV_ERR_NOT_FOUND);
  assert_int_equal(msikv__json_int64(json, "z", 0, 10, &v),
                   MSIKV_ERR_NOT_FOUND);
  assert_int_equal(msikv__json_int64(json, "missing", 0, 10, &v),
                   MSIKV_ERR_NOT_FOUND);
  assert_int_equal(msikv__json_int64(json, "f", 0, 10, &v), MSIKV_ERR_PARSE);
  assert_int_equal(msikv__json_int64(json, "b", 0, 10, &v), MSIKV_ERR_PARSE);
  assert_int_equal(msikv__json_int64(json, "x", 0, 10, &v), MSIKV_ERR_PARSE);
  assert_int_equal(msikv__json_int64(json, "n", 0, 10, &v),
                   MSIKV_ERR_TOO_LARGE);
  assert_int_equal(msikv__json_int64(json, "big", 0, INT64_MAX, &v),
                   MSIKV_ERR_TOO_LARGE);
  assert_int_equal(v, 3599);
  cJSON_Delete(json);
}

static void test_json_string_and_bool(void **state) {
  (void)state;
  cJSON *json = parse("{\"s\":\"v\",\"n\":1,\"t\":true,\"f\":\"false\","
                      "\"bad\":\"yes\"}");
  assert_string_equal(msikv__json_string(json, "s"), "v");
  assert_null(msikv__json_string(json, "n"));
  assert_null(msikv__json_string(json, "none"));
  bool b = false;
  assert_int_equal(msikv__json_bool(json, "t", &b), MSIKV_OK);
  assert_true(b);
  assert_int_equal(msikv__json_bool(json, "f", &b), MSIKV_OK);
  assert_false(b);
  assert_int_equal(msikv__json_bool(json, "bad", &b), MSIKV_ERR_PARSE);
  assert_int_equal(msikv__json_bool(json, "none", &b), MSIKV_ERR_NOT_FOUND);
  cJSON_Delete(json);
}

static msikv_result parse_and_free(void *ctx) {
  const char *text = ctx;
  cJSON *json = NULL;
  msikv_result rc = msikv__json_parse(text, strlen(text), &json);
  if (rc)
    return rc;
  msikv__json_delete_secret(json);
  return MSIKV_OK;
}

static void test_json_parse_oom_reports_nomem(void **state) {
  (void)state;
  assert_int_equal(msikv_global_init(), MSIKV_OK);
  assert_true(oom_sweep(parse_and_free,
                        (void *)"{\"access_token\":\"abc\",\"list\":[1,2,{}]}",
                        false) > 3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_parse_rejects_trailing_garbage),
      cmocka_unit_test(test_json_parse_respects_length),
      cmocka_unit_test(test_json_int64_number_or_string),
      cmocka_unit_test(test_json_string_and_bool),
      cmocka_unit_test(test_json_parse_oom_reports_nomem),
  };
  return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
