/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "identity_internal.h"

typedef struct sample {
  const char *text;
  int64_t epoch;
} sample;

static void check_all(const sample *samples, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int64_t v = -1;
    if (msikv__expires_on_parse(samples[i].text, &v) != MSIKV_OK)
      fail_msg("could not parse \"%s\"", samples[i].text);
    if (v != samples[i].epoch)
      fail_msg("\"%s\" gave %lld, want %lld", samples[i].text, (long long)v,
               (long long)samples[i].epoch);
  }
}

static void test_expires_on_parse_issue_values_exact(void **state) {
  (void)state;
  static const sample samples[] = {
      {"09/14/2017 00:00:00 PM +00:00", 1505347200},
      {"1/16/2020 5:24:12 AM +00:00", 1579152252},
      {"06/20/2019 02:57:58 +00:00", 1560999478},
      {"2021-07-02 08:00:34Z", 1625212834},
      {"1586984735", 1586984735},
      {"12/5/2026 3:04:05 PM +00:00", 1796483045},
  };
  check_all(samples, sizeof(samples) / sizeof(samples[0]));
}

static void test_expires_on_parse_am_pm_rule_applied(void **state) {
  (void)state;
  static const sample samples[] = {
      /* 12 AM is hour 0; 12 PM is noon; 1-11 PM add 12. */
      {"1/16/2020 12:24:12 AM +00:00", 1579134252},
      {"1/16/2020 12:24:12 PM +00:00", 1579177452},
      {"9/14/2017 12:00:00 PM +00:00", 1505390400},
      /* Hours 0 and 13-23 are 24-hour values: the designator is ignored. */
      {"12/5/2026 15:04:05 PM +00:00", 1796483045},
      {"12/5/2026 13:04:05 AM +00:00", 1796475845},
      {"1/16/2020 0:24:12 AM +00:00", 1579134252},
      {"1/16/2020 5:24:12 am +00:00", 1579152252},
      {"1/16/2020 5:24:12 pm +00:00", 1579152252 + 12 * 3600},
  };
  check_all(samples, sizeof(samples) / sizeof(samples[0]));
}

static void test_expires_on_parse_other_forms_exact(void **state) {
  (void)state;
  static const sample samples[] = {
      {"2021-07-02T08:00:34Z", 1625212834},
      {"2021-07-02T08:00:34.1234567Z", 1625212834},
      {"2021-07-02T10:00:34+02:00", 1625212834},
      {"2021-07-02T03:00:34-05:00", 1625212834},
      {"2021-07-02 08:00:34 +00:00", 1625212834},
      {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
      {"06/20/2019 04:57:58 +02:00", 1560999478},
      {"2/29/2024 10:00:00 AM +00:00", 1709200800},
      {"1586984735.0", 1586984735},
      {" 1586984735 ", 1586984735},
  };
  check_all(samples, sizeof(samples) / sizeof(samples[0]));
}

static void test_expires_on_parse_junk_rejected(void **state) {
  (void)state;
  static const char *bad[] = {
      "",
      "   ",
      "abc",
      "-5",
      "1e9",
      "0x10",
      "13/01/2020 00:00:00 +00:00",
      "2/30/2020 00:00:00 +00:00",
      "1/16/2020 24:00:00 +00:00",
      "1/16/2020 5:24:12 AM",
      "1/16/2020 5:24:12 XM +00:00",
      "2021-07-02 08:00:34",
      "2021-7-2 08:00:34Z",
      "2021-07-02 08:61:34Z",
      "Sun, 06 Foo 1994 08:49:37 GMT",
      "99999999999999999999",
      "1/16/2020 5:24:12 AM +00:00 trailing",
      "1/16/2020 5:24:12 AM +25:00",
      "1586984735.",
      "1969-12-31 23:59:59Z",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int64_t v = 42;
    if (msikv__expires_on_parse(bad[i], &v) != MSIKV_ERR_PARSE)
      fail_msg("\"%s\" was accepted as %lld", bad[i], (long long)v);
    assert_int_equal(v, 42);
  }
  int64_t v;
  assert_int_equal(msikv__expires_on_parse(NULL, &v), MSIKV_ERR_PARSE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expires_on_parse_issue_values_exact),
      cmocka_unit_test(test_expires_on_parse_am_pm_rule_applied),
      cmocka_unit_test(test_expires_on_parse_other_forms_exact),
      cmocka_unit_test(test_expires_on_parse_junk_rejected),
  };
  return cmocka_run_group_tests_name("expires_on", tests, NULL, NULL);
}
