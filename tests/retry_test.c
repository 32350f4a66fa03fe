/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "msikv/retry.h"

/* 2026-12-04T00:00:00Z */
#define T0 1796342400000LL

static uint32_t fixed_random(void *ctx) { return *(uint32_t *)ctx; }

typedef struct fixture {
  fake_transport ft;
  fake_clock fc;
  msikv_retry_policy policy;
  uint32_t random_value;
  msikv_http_request req;
  msikv_http_response resp;
} fixture;

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof(*f));
  fake_transport_init(&f->ft);
  fake_clock_init(&f->fc, T0);
  f->policy = msikv_retry_policy_default();
  f->random_value = 5000; /* jitter factor exactly 1.0 */
  f->policy.random_fn = fixed_random;
  f->policy.random_ctx = &f->random_value;
  msikv_http_request_init(&f->req, "GET", "https://v.vault.azure.net/x");
  msikv_http_response_init(&f->resp, 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  msikv_http_response_free(&f->resp);
  fake_transport_free(&f->ft);
  fake_clock_free(&f->fc);
  test_free(f);
  return 0;
}

static msikv_result send(fixture *f, int *attempts) {
  return msikv_http_send_with_retry(&f->ft.transport, &f->policy, &f->fc.clock,
                                    &f->req, &f->resp, attempts, NULL);
}

static void test_retry_500_then_200_succeeds_after_backoff(void **state) {
  fixture *f = *state;
  fake_transport_push(&f->ft, 500, NULL, "oops");
  fake_transport_push(&f->ft, 200, NULL, "ok");
  int attempts = 0;
  assert_int_equal(send(f, &attempts), MSIKV_OK);
  assert_int_equal(attempts, 2);
  assert_int_equal(f->resp.status, 200);
  assert_string_equal(f->resp.body.data, "ok");
  assert_int_equal(f->fc.sleep_count, 1);
  assert_int_equal(f->fc.sleeps[0], 800);
}

static void test_retry_backoff_doubles_then_gives_up(void **state) {
  fixture *f = *state;
  fake_transport_push(&f->ft, 503, NULL, NULL);
  f->ft.repeat_last = true;
  int attempts = 0;
  assert_int_equal(send(f, &attempts), MSIKV_OK);
  assert_int_equal(attempts, 4);
  assert_int_equal(f->resp.status, 503);
  assert_int_equal(f->fc.sleep_count, 3);
  assert_int_equal(f->fc.sleeps[0], 800);
  assert_int_equal(f->fc.sleeps[1], 1600);
  assert_int_equal(f->fc.sleeps[2], 3200);
  assert_int_equal(fake_clock_now(&f->fc) - T0, 5600);
}

static void test_retry_jitter_stays_in_range(void **state) {
  fixture *f = *state;
  f->random_value = 0;
  assert_int_equal(msikv_retry_backoff_ms(&f->policy, 1), 640);
  f->random_value = 9999;
  int64_t high = msikv_retry_backoff_ms(&f->policy, 1);
  assert_true(high >= 959 && high < 960);
  f->policy.random_fn = NULL;
  for (int i = 0; i < 100; i++) {
    int64_t d = msikv_retry_backoff_ms(&f->policy, 3);
    assert_true(d >= 2560 && d < 3840);
  }
}

static void test_retry_backoff_capped_at_max(void **state) {
  fixture *f = *state;
  assert_int_equal(msikv_retry_backoff_ms(&f->policy, 30), 60000);
}

static void test_retry_after_seconds_honoured(void **state) {
  fixture *f = *state;
  fake_transport_push(&f->ft, 429, "Retry-After: 7\n", NULL);
  fake_transport_push(&f->ft, 200, NULL, "{}");
  assert_int_equal(send(f, NULL), MSIKV_OK);
  assert_int_equal(f->fc.sleeps[0], 7000);
}

static void test_retry_after_ms_headers_take_precedence(void **state) {
  fixture *f = *state;
  fake_transport_push(&f->ft, 429,
                      "Retry-After: 9\nx-ms-retry-after-ms: 250\n", NULL);
  fake_transport_push(&f->ft, 429,
                      "retry-after-ms: 120\nx-ms-retry-after-ms: 250\n", NULL);
  fake_transport_push(&f->ft, 200, NULL, "{}");
  assert_int_equal(send(f, NULL), MSIKV_OK);
  assert_int_equal(f->fc.sleeps[0], 250);
  assert_int_equal(f->fc.sleeps[1], 120);
}

static void test_retry_after_http_date(void **state) {
  fixture *f = *state;
  /* T0 + 30 s. */
  fake_transport_push(&f->ft, 503,
                      "Retry-After: Fri, 04 Dec 2026 00:00:30 GMT\n", NULL);
  fake_transport_push(&f->ft, 200, NULL, "{}");
  assert_int_equal(send(f, NULL), MSIKV_OK);
  assert_int_equal(f->fc.sleeps[0], 30000);
}

static void test_retry_after_invalid_falls_back_to_backoff(void **state) {
  fixture *f = *state;
  fake_transport_push(&f->ft, 429, "Retry-After: soon\n", NULL);
  fake_transport_push(&f->ft, 429, "Retry-After: -5\n", NULL);
  fake_transport_push(&f->ft, 200, NULL, "{}");
  assert_int_equal(send(f, NULL), MSIKV_OK);
  assert_int_equal(f->fc.sleeps[0], 800);
  assert_int_equal(f->fc.sleeps[1], 1600);
}

static void test_retry_429_without_retry_after_uses_backoff(void **state) {
  fixture *f = *state;
  fake_transport_push(&f->ft, 429, NULL, "{\"error\":{\"code\":\"Throttled\"}}");
  fake_transport_push(&f->ft, 200, NULL, "{}");
  int attempts;
  assert_int_equal(send(f, &attempts), MSIKV_OK);
  assert_int_equal(attempts, 2);
  assert_int_equal(f->fc.sleeps[0], 800);
}

static void test_retry_non_retriable_status_returned_at_once(void **state) {
  fixture *f = *state;
  fake_transport_push(&f->ft, 404, NULL, "{}");
  int attempts;
  assert_int_equal(send(f, &attempts), MSIKV_OK);
  assert_int_equal(attempts, 1);
  assert_int_equal(f->resp.status, 404);
  assert_int_equal(f->fc.sleep_count, 0);
}

static void test_retry_transport_error_retried_then_reported(void **state) {
  fixture *f = *state;
  fake_transport_push_error(&f->ft, MSIKV_ERR_TRANSPORT);
  f->ft.repeat_last = true;
  int attempts;
  assert_int_equal(send(f, &attempts), MSIKV_ERR_TRANSPORT);
  assert_int_equal(attempts, 4);
  f->policy.retry_transport_errors = false;
  assert_int_equal(send(f, &attempts), MSIKV_ERR_TRANSPORT);
  assert_int_equal(attempts, 1);
}

static void test_retry_persist_status_keeps_trying_70s(void **state) {
  fixture *f = *state;
  f->policy.statuses[f->policy.status_count++] = 410;
  f->policy.persist_status = 410;
  f->policy.persist_total_ms = 70000;
  fake_transport_push(&f->ft, 410, NULL, NULL);
  f->ft.repeat_last = true;
  int attempts;
  assert_int_equal(send(f, &attempts), MSIKV_OK);
  assert_int_equal(f->resp.status, 410);
  assert_true(fake_clock_now(&f->fc) - T0 >= 70000);
  assert_true(attempts > 4);
}

static void test_retry_delay_scale_shrinks_waits(void **state) {
  fixture *f = *state;
  f->policy.delay_scale = 0.001;
  fake_transport_push(&f->ft, 503, "Retry-After: 10\n", NULL);
  fake_transport_push(&f->ft, 200, NULL, NULL);
  assert_int_equal(send(f, NULL), MSIKV_OK);
  assert_int_equal(f->fc.sleeps[0], 10);
}

static void test_retry_policy_none_sends_once(void **state) {
  fixture *f = *state;
  f->policy = msikv_retry_policy_none();
  fake_transport_push(&f->ft, 503, NULL, NULL);
  int attempts;
  assert_int_equal(send(f, &attempts), MSIKV_OK);
  assert_int_equal(attempts, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(test_retry_500_then_200_succeeds_after_backoff),
      T(test_retry_backoff_doubles_then_gives_up),
      T(test_retry_jitter_stays_in_range),
      T(test_retry_backoff_capped_at_max),
      T(test_retry_after_seconds_honoured),
      T(test_retry_after_ms_headers_take_precedence),
      T(test_retry_after_http_date),
      T(test_retry_after_invalid_falls_back_to_backoff),
      T(test_retry_429_without_retry_after_uses_backoff),
      T(test_retry_non_retriable_status_returned_at_once),
      T(test_retry_transport_error_retried_then_reported),
      T(test_retry_persist_status_keeps_trying_70s),
      T(test_retry_delay_scale_shrinks_waits),
      T(test_retry_policy_none_sends_once),
#undef T
  };
  return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
