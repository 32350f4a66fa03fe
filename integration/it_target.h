/* SPDX-License-Identifier: MIT */
/**
 * @file it_target.h
 * @brief Mock or real Azure for cmocka suites: visible skips in azure mode.
 *
 * Include after <cmocka.h> and "harness.h". With MSIKV_TEST_TARGET=azure
 * (bazel test --config=azure), a flow that needs the mock reports
 * "[  SKIPPED ]" with a one-line reason instead of running.
 */
#ifndef MSIKV_INTEGRATION_IT_TARGET_H
#define MSIKV_INTEGRATION_IT_TARGET_H

#include <stdlib.h>

#include "harness.h"

/** In a test body: in azure mode, print @p reason and skip the test. */
#define IT_SKIP_ON_AZURE(reason)                                               \
  do {                                                                         \
    if (it_target_is_azure()) {                                                \
      it_skip_note(reason);                                                    \
      skip();                                                                  \
    }                                                                          \
  } while (0)

/** In a test body: outside azure mode, say so and skip; in azure mode,
 * fail at once naming any missing variable (never hang on a half
 * configuration). */
#define IT_REQUIRE_AZURE()                                                     \
  do {                                                                         \
    if (!it_target_is_azure()) {                                               \
      it_skip_note("runs with MSIKV_TEST_TARGET=azure only "                   \
                   "(bazel test --config=azure //integration/...)");           \
      skip();                                                                  \
    }                                                                          \
    char it_missing_[512];                                                     \
    if (!it_azure_env_ready(it_missing_, sizeof(it_missing_)))                 \
      fail_msg("%s", it_missing_);                                             \
  } while (0)

static inline const char **it_skip_reason_(void) {
  static const char *reason;
  return &reason;
}

static inline void it_skip_test_(void **state) {
  (void)state;
  it_skip_note(*it_skip_reason_());
  skip();
}

/* Runs every test as a named skip (no fixtures run: they start the mock). */
static inline int it_run_skipped_(const char *name,
                                  const struct CMUnitTest *tests, size_t n,
                                  const char *reason) {
  struct CMUnitTest *copy = calloc(n, sizeof(*copy));
  if (!copy)
    return 1;
  for (size_t i = 0; i < n; i++) {
    copy[i].name = tests[i].name;
    copy[i].test_func = it_skip_test_;
  }
  *it_skip_reason_() = reason;
  int rc = _cmocka_run_group_tests(name, copy, n, NULL, NULL);
  free(copy);
  return rc;
}

/**
 * cmocka_run_group_tests_name for a suite whose every flow needs the mock:
 * in azure mode each test is reported skipped with @p reason, and the group
 * fixtures (which start the mock) do not run.
 */
#define IT_RUN_MOCK_ONLY_SUITE(name, tests, setup, teardown, reason)           \
  (it_target_is_azure()                                                        \
       ? it_run_skipped_(name, tests, sizeof(tests) / sizeof((tests)[0]),      \
                         reason)                                               \
       : cmocka_run_group_tests_name(name, tests, setup, teardown))

#endif /* MSIKV_INTEGRATION_IT_TARGET_H */
