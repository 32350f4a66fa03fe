/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/secret_cache.h"
#include "app/testing/fake_source.h"
#include "fake_clock.h"
#include "oom.h"

#define T0 1700000000000LL

typedef struct fixture {
  fake_clock clock;
  fake_source source;
  app_cache *cache;
} fixture;

static fixture *make(int64_t ttl_ms, int64_t stale_ms, int64_t retry_ms) {
  fixture *f = test_calloc(1, sizeof(*f));
  fake_clock_init(&f->clock, T0);
  fake_source_init(&f->source, "v1-value");
  app_secret_source seam = fake_source_seam(&f->source);
  app_cache_options o = {ttl_ms, stale_ms, retry_ms, &f->clock.clock, -1};
  assert_int_equal(app_cache_new(&seam, &o, &f->cache), MSIKV_OK);
  return f;
}

static void destroy(fixture *f) {
  app_cache_free(f->cache);
  fake_source_free(&f->source);
  fake_clock_free(&f->clock);
  test_free(f);
}

static app_cache_outcome get_ok(fixture *f, const char *want_value) {
  app_cache_result r;
  msikv_error err;
  assert_int_equal(app_cache_get(f->cache, &r, &err), MSIKV_OK);
  assert_string_equal(r.data.value, want_value);
  app_cache_outcome o = r.outcome;
  app_cache_result_clear(&r);
  return o;
}

static void test_app_cache_get_warm_noSecondFetch(void **state) {
  (void)state;
  fixture *f = make(300000, 0, 5000);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_MISS);
  fake_clock_advance(&f->clock, 299999);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_HIT);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_HIT);
  assert_int_equal(fake_source_calls(&f->source), 1);
  app_cache_stats s;
  app_cache_get_stats(f->cache, &s);
  assert_int_equal(s.hits, 2);
  assert_int_equal(s.misses, 1);
  assert_int_equal(s.fetches, 1);
  destroy(f);
}

static void test_app_cache_get_afterTtl_picksUpRotation(void **state) {
  (void)state;
  fixture *f = make(1000, 0, 5000);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_MISS);
  fake_source_set(&f->source, MSIKV_OK, "v2-value", "v2");
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_HIT);
  fake_clock_advance(&f->clock, 1000);
  app_cache_result r;
  assert_int_equal(app_cache_get(f->cache, &r, NULL), MSIKV_OK);
  assert_string_equal(r.data.value, "v2-value");
  assert_string_equal(r.data.version, "v2");
  assert_int_equal(r.fetched_at_ms, T0 + 1000);
  assert_int_equal(r.outcome, APP_CACHE_MISS);
  app_cache_result_clear(&r);
  assert_int_equal(fake_source_calls(&f->source), 2);
  destroy(f);
}

static void test_app_cache_get_ttlZero_fetchesEveryTime(void **state) {
  (void)state;
  fixture *f = make(0, 60000, 5000);
  for (int i = 0; i < 3; i++)
    assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_MISS);
  assert_int_equal(fake_source_calls(&f->source), 3);
  destroy(f);
}

static void
test_app_cache_get_coldFailure_returnsErrorAndPrincipal(void **state) {
  (void)state;
  fixture *f = make(1000, 60000, 5000);
  f->source.stage = APP_STAGE_VAULT;
  snprintf(f->source.message, sizeof(f->source.message), "%s",
           "caller is not authorized");
  fake_source_set(&f->source, MSIKV_ERR_FORBIDDEN, NULL, NULL);
  app_cache_result r;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(app_cache_get(f->cache, &r, &err), MSIKV_ERR_FORBIDDEN);
  assert_null(r.data.value);
  assert_string_equal(r.data.principal, "11111111-2222-3333-4444-555555555555");
  assert_int_equal(r.data.stage, APP_STAGE_VAULT);
  assert_string_equal(err.message, "caller is not authorized");
  app_cache_result_clear(&r);
  /* No negative caching: the next call asks again. */
  fake_source_set(&f->source, MSIKV_OK, NULL, NULL);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_MISS);
  assert_int_equal(fake_source_calls(&f->source), 2);
  app_cache_stats s;
  app_cache_get_stats(f->cache, &s);
  assert_int_equal(s.errors, 1);
  destroy(f);
}

static void test_app_cache_get_outage_servesStaleThenFails(void **state) {
  (void)state;
  fixture *f = make(1000, 10000, 2000);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_MISS);
  fake_source_set(&f->source, MSIKV_ERR_TRANSPORT, NULL, NULL);
  snprintf(f->source.message, sizeof(f->source.message), "%s",
           "connection refused");
  fake_clock_advance(&f->clock, 1500);

  app_cache_result r;
  assert_int_equal(app_cache_get(f->cache, &r, NULL), MSIKV_OK);
  assert_int_equal(r.outcome, APP_CACHE_STALE);
  assert_string_equal(r.data.value, "v1-value");
  assert_int_equal(r.fetched_at_ms, T0);
  assert_int_equal(r.stale_rc, MSIKV_ERR_TRANSPORT);
  assert_string_equal(r.stale_err.message, "connection refused");
  app_cache_result_clear(&r);
  assert_int_equal(fake_source_calls(&f->source), 2);

  /* Within retry_ms: stale, no new fetch. */
  fake_clock_advance(&f->clock, 1999);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_STALE);
  assert_int_equal(fake_source_calls(&f->source), 2);
  /* After retry_ms: one more attempt, still stale. */
  fake_clock_advance(&f->clock, 1);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_STALE);
  assert_int_equal(fake_source_calls(&f->source), 3);

  /* Past ttl + stale: the error comes through. */
  fake_clock_set(&f->clock, T0 + 1000 + 10000);
  msikv_error err;
  assert_int_equal(app_cache_get(f->cache, &r, &err), MSIKV_ERR_TRANSPORT);
  assert_null(r.data.value);
  app_cache_result_clear(&r);

  /* Recovery: fresh again. */
  fake_source_set(&f->source, MSIKV_OK, "v2-value", "v2");
  assert_int_equal(get_ok(f, "v2-value"), APP_CACHE_MISS);
  assert_int_equal(get_ok(f, "v2-value"), APP_CACHE_HIT);
  app_cache_stats s;
  app_cache_get_stats(f->cache, &s);
  assert_int_equal(s.stale, 3);
  destroy(f);
}

static void test_app_cache_get_staleZero_failsAtExpiry(void **state) {
  (void)state;
  fixture *f = make(1000, 0, 2000);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_MISS);
  fake_source_set(&f->source, MSIKV_ERR_UNAVAILABLE, NULL, NULL);
  fake_clock_advance(&f->clock, 1000);
  app_cache_result r;
  assert_int_equal(app_cache_get(f->cache, &r, NULL), MSIKV_ERR_UNAVAILABLE);
  app_cache_result_clear(&r);
  destroy(f);
}

static void test_app_cache_get_revokedAccess_dropsValue(void **state) {
  (void)state;
  fixture *f = make(1000, 60000, 2000);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_MISS);
  fake_source_set(&f->source, MSIKV_ERR_FORBIDDEN, NULL, NULL);
  fake_clock_advance(&f->clock, 1000);
  app_cache_result r;
  assert_int_equal(app_cache_get(f->cache, &r, NULL), MSIKV_ERR_FORBIDDEN);
  assert_null(r.data.value);
  app_cache_result_clear(&r);
  /* No stale value comes back later either. */
  assert_int_equal(app_cache_get(f->cache, &r, NULL), MSIKV_ERR_FORBIDDEN);
  app_cache_result_clear(&r);
  assert_int_equal(fake_source_calls(&f->source), 3);
  destroy(f);
}

static void test_app_result_is_outage_classified(void **state) {
  (void)state;
  assert_true(app_result_is_outage(MSIKV_ERR_TRANSPORT));
  assert_true(app_result_is_outage(MSIKV_ERR_TIMEOUT));
  assert_true(app_result_is_outage(MSIKV_ERR_THROTTLED));
  assert_true(app_result_is_outage(MSIKV_ERR_HTTP));
  assert_true(app_result_is_outage(MSIKV_ERR_UNAVAILABLE));
  assert_false(app_result_is_outage(MSIKV_ERR_FORBIDDEN));
  assert_false(app_result_is_outage(MSIKV_ERR_NOT_FOUND));
  assert_false(app_result_is_outage(MSIKV_ERR_AUTH));
}

typedef struct getter {
  fixture *f;
  pthread_t thread;
  msikv_result rc;
  app_cache_outcome outcome;
  char value[64];
} getter;

static void *getter_run(void *arg) {
  getter *g = arg;
  app_cache_result r;
  g->rc = app_cache_get(g->f->cache, &r, NULL);
  g->outcome = r.outcome;
  snprintf(g->value, sizeof(g->value), "%s", r.data.value ? r.data.value : "");
  app_cache_result_clear(&r);
  return NULL;
}

static void test_app_cache_get_coldConcurrent_singleFetch(void **state) {
  (void)state;
  fixture *f = make(1000, 0, 2000);
  fake_source_close(&f->source);
  getter g[4];
  memset(g, 0, sizeof(g));
  g[0].f = f;
  assert_int_equal(pthread_create(&g[0].thread, NULL, getter_run, &g[0]), 0);
  fake_source_wait_blocked(&f->source, 1);
  for (int i = 1; i < 4; i++) {
    g[i].f = f;
    assert_int_equal(pthread_create(&g[i].thread, NULL, getter_run, &g[i]), 0);
  }
  /* Give the waiters time to queue behind the refresh. */
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);
  fake_source_open(&f->source);
  for (int i = 0; i < 4; i++) {
    pthread_join(g[i].thread, NULL);
    assert_int_equal(g[i].rc, MSIKV_OK);
    assert_string_equal(g[i].value, "v1-value");
  }
  assert_int_equal(fake_source_calls(&f->source), 1);
  destroy(f);
}

static void test_app_cache_get_tooManyWaiters_busyAtOnce(void **state) {
  (void)state;
  fixture *f = make(1000, 0, 2000);
  app_cache_free(f->cache);
  app_secret_source seam = fake_source_seam(&f->source);
  app_cache_options o = {1000, 0, 2000, &f->clock.clock, 1};
  assert_int_equal(app_cache_new(&seam, &o, &f->cache), MSIKV_OK);
  fake_source_close(&f->source);
  getter g[2];
  memset(g, 0, sizeof(g));
  g[0].f = f;
  g[1].f = f;
  assert_int_equal(pthread_create(&g[0].thread, NULL, getter_run, &g[0]), 0);
  fake_source_wait_blocked(&f->source, 1); /* g[0] refreshes. */
  assert_int_equal(pthread_create(&g[1].thread, NULL, getter_run, &g[1]), 0);
  /* Wait until g[1] is the one allowed waiter. */
  for (;;) {
    app_cache_stats s;
    app_cache_get_stats(f->cache, &s);
    if (s.waiting == 1)
      break;
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  app_cache_result r;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(app_cache_get(f->cache, &r, &err), MSIKV_ERR_UNAVAILABLE);
  assert_string_equal(err.code, APP_CACHE_BUSY_CODE);
  assert_int_equal(r.data.stage, APP_STAGE_VAULT);
  app_cache_result_clear(&r);
  fake_source_open(&f->source);
  for (int i = 0; i < 2; i++) {
    pthread_join(g[i].thread, NULL);
    assert_int_equal(g[i].rc, MSIKV_OK);
    assert_string_equal(g[i].value, "v1-value");
  }
  assert_int_equal(fake_source_calls(&f->source), 1);
  destroy(f);
}

static void test_app_cache_get_whileRefreshing_servesCached(void **state) {
  (void)state;
  fixture *f = make(1000, 0, 2000);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_MISS);
  fake_clock_advance(&f->clock, 1000);
  fake_source_set(&f->source, MSIKV_OK, "v2-value", "v2");
  fake_source_close(&f->source);
  getter g = {.f = f};
  assert_int_equal(pthread_create(&g.thread, NULL, getter_run, &g), 0);
  fake_source_wait_blocked(&f->source, 1);
  /* The refresher is stuck in Key Vault: others get the cached value now,
   * even though it expired and stale serving is off. */
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_REFRESHING);
  assert_int_equal(get_ok(f, "v1-value"), APP_CACHE_REFRESHING);
  fake_source_open(&f->source);
  pthread_join(g.thread, NULL);
  assert_int_equal(g.rc, MSIKV_OK);
  assert_string_equal(g.value, "v2-value");
  assert_int_equal(g.outcome, APP_CACHE_MISS);
  assert_int_equal(get_ok(f, "v2-value"), APP_CACHE_HIT);
  assert_int_equal(fake_source_calls(&f->source), 2);
  destroy(f);
}

static msikv_result oom_get(void *ctx) {
  fixture *f = ctx;
  app_cache_result r;
  msikv_result rc = app_cache_get(f->cache, &r, NULL);
  app_cache_result_clear(&r);
  return rc;
}

static void test_app_cache_get_oom_returnsNomem(void **state) {
  (void)state;
  fixture *f = make(0, 0, 0); /* Uncached: the source allocates each call. */
  oom_install();
  size_t n = oom_sweep(oom_get, f, true);
  oom_uninstall();
  assert_true(n > 0);
  destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_app_cache_get_warm_noSecondFetch),
      cmocka_unit_test(test_app_cache_get_afterTtl_picksUpRotation),
      cmocka_unit_test(test_app_cache_get_ttlZero_fetchesEveryTime),
      cmocka_unit_test(test_app_cache_get_coldFailure_returnsErrorAndPrincipal),
      cmocka_unit_test(test_app_cache_get_outage_servesStaleThenFails),
      cmocka_unit_test(test_app_cache_get_staleZero_failsAtExpiry),
      cmocka_unit_test(test_app_cache_get_revokedAccess_dropsValue),
      cmocka_unit_test(test_app_result_is_outage_classified),
      cmocka_unit_test(test_app_cache_get_coldConcurrent_singleFetch),
      cmocka_unit_test(test_app_cache_get_whileRefreshing_servesCached),
      cmocka_unit_test(test_app_cache_get_tooManyWaiters_busyAtOnce),
      cmocka_unit_test(test_app_cache_get_oom_returnsNomem),
  };
  return cmocka_run_group_tests_name("app_cache", tests, NULL, NULL);
}
