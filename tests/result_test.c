/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "msikv/result.h"

static void test_result_name_every_code_named(void **state) {
  (void)state;
  assert_int_equal(MSIKV_OK, 0);
  assert_string_equal(msikv_result_name(MSIKV_OK), "OK");
  assert_string_equal(msikv_result_name(MSIKV_ERR_NOT_FOUND), "ERR_NOT_FOUND");
  assert_string_equal(msikv_result_str(MSIKV_ERR_FORBIDDEN), "access denied");
  for (int rc = 0; rc < MSIKV_RESULT_COUNT_; rc++) {
    assert_string_not_equal(msikv_result_name((msikv_result)rc), "UNKNOWN");
    assert_string_not_equal(msikv_result_str((msikv_result)rc),
                            "unknown error");
  }
  assert_string_equal(msikv_result_name((msikv_result)999), "UNKNOWN");
}

static void test_result_values_append_only(void **state) {
  (void)state;
  /* These numbers are ABI: a change here breaks users. */
  assert_int_equal(MSIKV_ERR_ARG, 1);
  assert_int_equal(MSIKV_ERR_NOMEM, 2);
  assert_int_equal(MSIKV_ERR_UNAVAILABLE, 11);
  assert_int_equal(MSIKV_ERR_INSECURE, 15);
  assert_int_equal(MSIKV_ERR_TLS, 17);
}

static void test_error_set_returns_rc_and_formats(void **state) {
  (void)state;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(msikv_error_set(&err, MSIKV_ERR_CONFIG, "missing %s", "X"),
                   MSIKV_ERR_CONFIG);
  assert_string_equal(err.message, "missing X");
  assert_int_equal(msikv_error_set(NULL, MSIKV_ERR_ARG, "ignored"),
                   MSIKV_ERR_ARG);
}

static void test_error_prefix_prepends(void **state) {
  (void)state;
  msikv_error err;
  msikv_error_clear(&err);
  msikv_error_set(&err, MSIKV_ERR_AUTH, "bad secret");
  msikv_error_prefix(&err, "ClientSecretCredential(%s)", "t1");
  assert_string_equal(err.message, "ClientSecretCredential(t1): bad secret");
  msikv_error_prefix(NULL, "nothing");
}

static void test_error_prefix_long_message_truncated(void **state) {
  (void)state;
  msikv_error err;
  msikv_error_clear(&err);
  char big[2000];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  msikv_error_set(&err, MSIKV_ERR_AUTH, "%s", big);
  assert_int_equal(strlen(err.message), MSIKV_ERROR_MESSAGE_MAX - 1);
  msikv_error_prefix(&err, "p");
  assert_int_equal(strlen(err.message), MSIKV_ERROR_MESSAGE_MAX - 1);
  assert_memory_equal(err.message, "p: xxx", 6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_result_name_every_code_named),
      cmocka_unit_test(test_result_values_append_only),
      cmocka_unit_test(test_error_set_returns_rc_and_formats),
      cmocka_unit_test(test_error_prefix_prepends),
      cmocka_unit_test(test_error_prefix_long_message_truncated),
  };
  return cmocka_run_group_tests_name("result", tests, NULL, NULL);
}
