/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "msikv/parse.h"

static void test_parse_int64_valid_values(void **state) {
  (void)state;
  int64_t v = 0;
  assert_int_equal(msikv_parse_int64_str("0", 0, 10, &v), MSIKV_OK);
  assert_int_equal(v, 0);
  assert_int_equal(msikv_parse_int64_str("1505347200", 0, INT64_MAX, &v),
                   MSIKV_OK);
  assert_int_equal(v, 1505347200);
  assert_int_equal(msikv_parse_int64_str("-42", -100, 100, &v), MSIKV_OK);
  assert_int_equal(v, -42);
  assert_int_equal(msikv_parse_int64_str("06", 0, 100, &v), MSIKV_OK);
  assert_int_equal(v, 6);
  assert_int_equal(msikv_parse_int64_str("9223372036854775807", INT64_MIN,
                                         INT64_MAX, &v),
                   MSIKV_OK);
  assert_true(v == INT64_MAX);
  assert_int_equal(msikv_parse_int64_str("-9223372036854775808", INT64_MIN,
                                         INT64_MAX, &v),
                   MSIKV_OK);
  assert_true(v == INT64_MIN);
}

static void test_parse_int64_rejects_junk(void **state) {
  (void)state;
  int64_t v = 7;
  const char *bad[] = {"", "-", "+1", " 1", "1 ", "1.5", "1e3", "0x10", "abc"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(msikv_parse_int64_str(bad[i], INT64_MIN, INT64_MAX, &v),
                     MSIKV_ERR_ARG);
  assert_int_equal(v, 7);
  assert_int_equal(msikv_parse_int64_str(NULL, 0, 1, &v), MSIKV_ERR_ARG);
}

static void test_parse_int64_range_and_overflow(void **state) {
  (void)state;
  int64_t v = 7;
  assert_int_equal(msikv_parse_int64_str("11", 0, 10, &v),
                   MSIKV_ERR_TOO_LARGE);
  assert_int_equal(msikv_parse_int64_str("-1", 0, 10, &v),
                   MSIKV_ERR_TOO_LARGE);
  assert_int_equal(msikv_parse_int64_str("9223372036854775808", INT64_MIN,
                                         INT64_MAX, &v),
                   MSIKV_ERR_TOO_LARGE);
  assert_int_equal(msikv_parse_int64_str("99999999999999999999999", INT64_MIN,
                                         INT64_MAX, &v),
                   MSIKV_ERR_TOO_LARGE);
  assert_int_equal(v, 7);
}

static void test_parse_int64_length_bounded(void **state) {
  (void)state;
  int64_t v = 0;
  assert_int_equal(msikv_parse_int64("12345", 2, 0, 100, &v), MSIKV_OK);
  assert_int_equal(v, 12);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_int64_valid_values),
      cmocka_unit_test(test_parse_int64_rejects_junk),
      cmocka_unit_test(test_parse_int64_range_and_overflow),
      cmocka_unit_test(test_parse_int64_length_bounded),
  };
  return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
