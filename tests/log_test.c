/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "msikv/log.h"

typedef struct captured {
  int count;
  msikv_log_level level;
  char line[1100];
} captured;

static void capture(msikv_log_level level, const char *line, void *ctx) {
  captured *c = ctx;
  c->count++;
  c->level = level;
  snprintf(c->line, sizeof(c->line), "%s", line);
}

static void test_log_handler_receives_enabled_levels(void **state) {
  (void)state;
  captured c = {0};
  msikv_log_set_handler(capture, &c, MSIKV_LOG_INFO);
  msikv_log(MSIKV_LOG_INFO, "token fetched from %s", "IMDS");
  assert_int_equal(c.count, 1);
  assert_int_equal(c.level, MSIKV_LOG_INFO);
  assert_string_equal(c.line, "token fetched from IMDS");
  msikv_log(MSIKV_LOG_DEBUG, "hidden");
  assert_int_equal(c.count, 1);
  msikv_log_set_level(MSIKV_LOG_DEBUG);
  assert_int_equal(msikv_log_get_level(), MSIKV_LOG_DEBUG);
  msikv_log(MSIKV_LOG_DEBUG, "shown");
  assert_int_equal(c.count, 2);
  msikv_log_set_handler(NULL, NULL, MSIKV_LOG_WARN);
}

static void test_log_long_line_truncated(void **state) {
  (void)state;
  captured c = {0};
  msikv_log_set_handler(capture, &c, MSIKV_LOG_DEBUG);
  char big[3000];
  memset(big, 'z', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  msikv_log(MSIKV_LOG_ERROR, "%s", big);
  assert_int_equal(strlen(c.line), 1023);
  msikv_log_set_handler(NULL, NULL, MSIKV_LOG_WARN);
}

static void test_log_level_parse_names(void **state) {
  (void)state;
  msikv_log_level level = MSIKV_LOG_ERROR;
  assert_int_equal(msikv_log_level_parse("DEBUG", &level), MSIKV_OK);
  assert_int_equal(level, MSIKV_LOG_DEBUG);
  assert_int_equal(msikv_log_level_parse("warning", &level), MSIKV_OK);
  assert_int_equal(level, MSIKV_LOG_WARN);
  assert_int_equal(msikv_log_level_parse("loud", &level), MSIKV_ERR_ARG);
  assert_int_equal(level, MSIKV_LOG_WARN);
  assert_int_equal(msikv_log_level_parse(NULL, &level), MSIKV_ERR_ARG);
  assert_string_equal(msikv_log_level_name(MSIKV_LOG_INFO), "info");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_log_handler_receives_enabled_levels),
      cmocka_unit_test(test_log_long_line_truncated),
      cmocka_unit_test(test_log_level_parse_names),
  };
  return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
