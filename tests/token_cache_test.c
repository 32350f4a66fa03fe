/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "identity_internal.h"
#include "msikv/alloc.h"
#include "msikv/identity.h"
#include "oom.h"

#define T0_MS 1700000000000LL
#define T0 (T0_MS / 1000)
#define THREADS 16

/* A scripted fetch: each call returns the next outcome. */
typedef struct outcome {
  msikv_result rc;
  int64_t lifetime_s;   /* From the clock's now. */
  int64_t refresh_in_s; /* 0 = none. */
} outcome;

typedef struct fake_fetch {
  pthread_mutex_t lock;
  fake_clock *fc;
  outcome script[16];
  size_t n;
  size_t calls;
  long delay_ms;
  char last_scope[128];
  char last_tenant[64];
} fake_fetch;

static msikv_result fetch(void *vctx, const char *scope, const char *tenant,
                          msikv_token *out, msikv_error *err) {
  fake_fetch *f = vctx;
  if (f->delay_ms) {
    struct timespec ts = {0, f->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
  }
  pthread_mutex_lock(&f->lock);
  size_t i = f->calls++;
  outcome o = f->script[i < f->n ? i : f->n - 1];
  snprintf(f->last_scope, sizeof(f->last_scope), "%s", scope);
  snprintf(f->last_tenant, sizeof(f->last_tenant), "%s",
           tenant ? tenant : "(null)");
  pthread_mutex_unlock(&f->lock);
  if (o.rc)
    return msikv_error_set(err, o.rc, "scripted failure %zu", i + 1);
  char text[32];
  snprintf(text, sizeof(text), "token-%zu", i + 1);
  int64_t now = fake_clock_now(f->fc) / 1000;
  out->token = msikv_strdup(text);
  if (!out->token)
    return MSIKV_ERR_NOMEM;
  out->expires_on_s = now + o.lifetime_s;
  out->refresh_on_s = o.refresh_in_s ? now + o.refresh_in_s : 0;
  return MSIKV_OK;
}

static size_t calls(fake_fetch *f) {
  pthread_mutex_lock(&f->lock);
  size_t n = f->calls;
  pthread_mutex_unlock(&f->lock);
  return n;
}

typedef struct fixture {
  fake_clock fc;
  fake_fetch f;
  msikv__token_cache *cache;
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof(*fx));
  fake_clock_init(&fx->fc, T0_MS);
  pthread_mutex_init(&fx->f.lock, NULL);
  fx->f.fc = &fx->fc;
  fx->f.script[0] = (outcome){MSIKV_OK, 3600, 0};
  fx->f.n = 1;
  assert_int_equal(msikv__token_cache_new(&fx->fc.clock, &fx->cache), MSIKV_OK);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  msikv__token_cache_free(fx->cache);
  pthread_mutex_destroy(&fx->f.lock);
  fake_clock_free(&fx->fc);
  free(fx);
  return 0;
}

/* Gets a token and checks its text ("" expects failure with @p want_rc). */
static void get_expect(fixture *fx, const char *scope, const char *tenant,
                       const char *want, msikv_result want_rc) {
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  msikv_error_clear(&err);
  msikv_result rc = msikv__token_cache_get(fx->cache, scope, tenant, fetch,
                                           &fx->f, &tok, &err);
  if (rc != want_rc)
    fail_msg("got %s (%s), want %s", msikv_result_name(rc), err.message,
             msikv_result_name(want_rc));
  if (want_rc == MSIKV_OK)
    assert_string_equal(tok.token, want);
  else
    assert_null(tok.token);
  msikv_token_clear(&tok);
}

static void test_cache_get_second_call_served_from_cache(void **state) {
  fixture *fx = *state;
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  fake_clock_advance(&fx->fc, 1000);
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 1);
  assert_int_equal(msikv__token_cache_size(fx->cache), 1);
}

static void test_cache_get_scope_and_tenant_are_keys(void **state) {
  fixture *fx = *state;
  get_expect(fx, "a", NULL, "token-1", MSIKV_OK);
  get_expect(fx, "b", NULL, "token-2", MSIKV_OK);
  get_expect(fx, "a", "t1", "token-3", MSIKV_OK);
  get_expect(fx, "a", "t2", "token-4", MSIKV_OK);
  get_expect(fx, "a", "t1", "token-3", MSIKV_OK);
  get_expect(fx, "b", NULL, "token-2", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 4);
  assert_string_equal(fx->f.last_tenant, "t2");
  assert_int_equal(msikv__token_cache_size(fx->cache), 4);
}

static void test_cache_get_refreshes_five_minutes_before_expiry(void **s) {
  fixture *fx = *s;
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  fake_clock_set(&fx->fc, T0_MS + (3600 - 300) * 1000LL - 1);
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 1);
  fake_clock_set(&fx->fc, T0_MS + (3600 - 300) * 1000LL);
  get_expect(fx, "s", NULL, "token-2", MSIKV_OK);
  get_expect(fx, "s", NULL, "token-2", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 2);
}

static void test_cache_get_refresh_on_honoured(void **s) {
  fixture *fx = *s;
  fx->f.script[0] = (outcome){MSIKV_OK, 3600, 600};
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  fake_clock_set(&fx->fc, T0_MS + 599 * 1000LL);
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  fake_clock_set(&fx->fc, T0_MS + 600 * 1000LL);
  get_expect(fx, "s", NULL, "token-2", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 2);
}

static void
test_cache_get_failed_refresh_serves_valid_then_backs_off(void **s) {
  fixture *fx = *s;
  fx->f.script[0] = (outcome){MSIKV_OK, 3600, 0};
  fx->f.script[1] = (outcome){MSIKV_ERR_HTTP, 0, 0};
  fx->f.script[2] = (outcome){MSIKV_ERR_HTTP, 0, 0};
  fx->f.script[3] = (outcome){MSIKV_OK, 3600, 0};
  fx->f.n = 4;
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  int64_t due = T0_MS + 3300 * 1000LL;
  fake_clock_set(&fx->fc, due);
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK); /* Attempt 2 fails. */
  assert_int_equal(calls(&fx->f), 2);
  fake_clock_set(&fx->fc, due + 29999);
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK); /* Backing off. */
  assert_int_equal(calls(&fx->f), 2);
  fake_clock_set(&fx->fc, due + 30000);
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK); /* Attempt 3 fails. */
  assert_int_equal(calls(&fx->f), 3);
  fake_clock_set(&fx->fc, due + 45000);
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 3);
  fake_clock_set(&fx->fc, due + 60000);
  get_expect(fx, "s", NULL, "token-4", MSIKV_OK); /* Attempt 4 works. */
  assert_int_equal(calls(&fx->f), 4);
}

static void test_cache_get_expired_token_never_returned(void **s) {
  fixture *fx = *s;
  fx->f.script[0] = (outcome){MSIKV_OK, 3600, 0};
  fx->f.script[1] = (outcome){MSIKV_ERR_UNAVAILABLE, 0, 0};
  fx->f.n = 2;
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  fake_clock_set(&fx->fc, T0_MS + 3600 * 1000LL);
  get_expect(fx, "s", NULL, "", MSIKV_ERR_UNAVAILABLE);
  /* An expired token is retried at once: no back-off without a valid one. */
  fake_clock_advance(&fx->fc, 1);
  get_expect(fx, "s", NULL, "", MSIKV_ERR_UNAVAILABLE);
  assert_int_equal(calls(&fx->f), 3);
}

static void test_cache_get_error_message_passed_through(void **s) {
  fixture *fx = *s;
  fx->f.script[0] = (outcome){MSIKV_ERR_AUTH, 0, 0};
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(
      msikv__token_cache_get(fx->cache, "s", NULL, fetch, &fx->f, &tok, &err),
      MSIKV_ERR_AUTH);
  assert_string_equal(err.message, "scripted failure 1");
  assert_int_equal(
      msikv__token_cache_get(fx->cache, "s", NULL, fetch, &fx->f, &tok, NULL),
      MSIKV_ERR_AUTH);
}

static void test_cache_get_many_keys_bounded(void **state) {
  fixture *fx = *state;
  for (int i = 0; i < 100; i++) {
    char scope[32], want[32];
    snprintf(scope, sizeof(scope), "scope-%d", i);
    snprintf(want, sizeof(want), "token-%d", i + 1);
    get_expect(fx, scope, NULL, want, MSIKV_OK);
  }
  assert_true(msikv__token_cache_size(fx->cache) <= 64);
  /* The newest entry survived; an evicted one is fetched again. */
  get_expect(fx, "scope-99", NULL, "token-100", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 100);
  get_expect(fx, "scope-0", NULL, "token-101", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 101);
}

/* ---- Invalidation -------------------------------------------------------- */

static void test_cache_invalidate_matching_token_fetches_new(void **s) {
  fixture *fx = *s;
  get_expect(fx, "s", "t", "token-1", MSIKV_OK);
  get_expect(fx, "s", "t", "token-1", MSIKV_OK);
  assert_int_equal(msikv__token_cache_invalidate(fx->cache, "token-1"), 1);
  get_expect(fx, "s", "t", "token-2", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 2);
  /* Rejecting the old token again drops nothing. */
  assert_int_equal(msikv__token_cache_invalidate(fx->cache, "token-1"), 0);
  get_expect(fx, "s", "t", "token-2", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 2);
}

static void test_cache_invalidate_other_token_keeps_entry(void **s) {
  fixture *fx = *s;
  get_expect(fx, "a", NULL, "token-1", MSIKV_OK);
  get_expect(fx, "b", NULL, "token-2", MSIKV_OK);
  assert_int_equal(msikv__token_cache_invalidate(fx->cache, "token-9"), 0);
  assert_int_equal(msikv__token_cache_invalidate(fx->cache, "token-"), 0);
  assert_int_equal(msikv__token_cache_invalidate(fx->cache, ""), 0);
  assert_int_equal(msikv__token_cache_invalidate(fx->cache, NULL), 0);
  assert_int_equal(msikv__token_cache_invalidate(NULL, "token-1"), 0);
  /* Only the entry holding the rejected token loses it. */
  assert_int_equal(msikv__token_cache_invalidate(fx->cache, "token-2"), 1);
  get_expect(fx, "a", NULL, "token-1", MSIKV_OK);
  get_expect(fx, "b", NULL, "token-3", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 3);
}

/* A failed early refresh starts a backoff; a rejection must not wait for
 * it: the next get fetches at once. */
static void test_cache_invalidate_skips_refresh_backoff(void **s) {
  fixture *fx = *s;
  fx->f.script[0] = (outcome){MSIKV_OK, 3600, 0};
  fx->f.script[1] = (outcome){MSIKV_ERR_UNAVAILABLE, 0, 0};
  fx->f.script[2] = (outcome){MSIKV_OK, 3600, 0};
  fx->f.n = 3;
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  fake_clock_set(&fx->fc, T0_MS + 3400 * 1000LL); /* Refresh due. */
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK); /* Refresh fails. */
  assert_int_equal(calls(&fx->f), 2);
  assert_int_equal(msikv__token_cache_invalidate(fx->cache, "token-1"), 1);
  get_expect(fx, "s", NULL, "token-3", MSIKV_OK);
  assert_int_equal(calls(&fx->f), 3);
}

/* Through a real credential: the managed identity's cache forgets the
 * rejected token and the next get asks the endpoint again. */
static void test_cred_invalidate_token_next_get_fetches(void **s) {
  (void)s;
  fake_transport ft;
  fake_transport_init(&ft);
  char body[2][256];
  for (int i = 0; i < 2; i++) {
    snprintf(body[i], sizeof(body[i]),
             "{\"access_token\":\"mi-token-%d\",\"expires_in\":\"3599\","
             "\"expires_on\":\"%lld\",\"token_type\":\"Bearer\"}",
             i + 1, (long long)(time(NULL) + 3599));
    fake_transport_push(&ft, 200, NULL, body[i]);
  }
  msikv_identity_options opts = msikv_identity_options_default();
  opts.transport = &ft.transport;
  msikv_credential *cred = NULL;
  msikv_error err;
  assert_int_equal(msikv_cred_managed_identity_new(&opts, NULL, &cred, &err),
                   MSIKV_OK);
  const char *scope = "https://vault.azure.net/.default";
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(cred, scope, NULL, &tok, &err),
                   MSIKV_OK);
  assert_string_equal(tok.token, "mi-token-1");
  msikv_cred_invalidate_token(cred, scope, NULL, "not-the-token");
  msikv_token again = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(cred, scope, NULL, &again, &err),
                   MSIKV_OK);
  assert_string_equal(again.token, "mi-token-1");
  msikv_token_clear(&again);
  assert_int_equal(fake_transport_count(&ft), 1);
  msikv_cred_invalidate_token(cred, scope, NULL, tok.token);
  assert_int_equal(msikv_cred_get_token(cred, scope, NULL, &again, &err),
                   MSIKV_OK);
  assert_string_equal(again.token, "mi-token-2");
  assert_int_equal(fake_transport_count(&ft), 2);
  msikv_token_clear(&again);
  msikv_token_clear(&tok);
  /* NULL-safe, and a custom credential without the op ignores it. */
  msikv_cred_invalidate_token(NULL, scope, NULL, "x");
  msikv_cred_invalidate_token(cred, NULL, NULL, "x");
  msikv_cred_invalidate_token(cred, scope, NULL, NULL);
  msikv_cred_free(cred);
  fake_transport_free(&ft);
}

static msikv_result plain_get(void *ctx, const char *scope, const char *tenant,
                              msikv_token *out, msikv_error *err) {
  (void)ctx;
  (void)scope;
  (void)tenant;
  (void)err;
  out->token = msikv_strdup("plain");
  out->expires_on_s = T0 + 3600;
  return out->token ? MSIKV_OK : MSIKV_ERR_NOMEM;
}

static void test_cred_invalidate_token_custom_without_op_ignored(void **s) {
  (void)s;
  static const msikv_credential_ops ops = {"Plain", plain_get, NULL, NULL};
  msikv_credential *cred = NULL;
  assert_int_equal(msikv_cred_new_custom(&ops, NULL, &cred), MSIKV_OK);
  msikv_cred_invalidate_token(cred, "s", NULL, "plain");
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(cred, "s", NULL, &tok, NULL), MSIKV_OK);
  assert_string_equal(tok.token, "plain");
  msikv_token_clear(&tok);
  msikv_cred_free(cred);
}

/* ---- Threads ------------------------------------------------------------ */

typedef struct worker {
  fixture *fx;
  pthread_barrier_t *barrier;
  const char *invalidate_first; /* A token to reject before the get. */
  msikv_result rc;
  char token[32];
  char message[MSIKV_ERROR_MESSAGE_MAX];
} worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  pthread_barrier_wait(w->barrier);
  if (w->invalidate_first)
    msikv__token_cache_invalidate(w->fx->cache, w->invalidate_first);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  msikv_error_clear(&err);
  w->rc = msikv__token_cache_get(w->fx->cache, "s", NULL, fetch, &w->fx->f,
                                 &tok, &err);
  snprintf(w->token, sizeof(w->token), "%s", tok.token ? tok.token : "");
  snprintf(w->message, sizeof(w->message), "%s", err.message);
  msikv_token_clear(&tok);
  return NULL;
}

static void run_threads(fixture *fx, worker *workers) {
  pthread_t threads[THREADS];
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    workers[i].fx = fx;
    workers[i].barrier = &barrier;
    assert_int_equal(
        pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&barrier);
}

static void test_cache_get_waiters_share_one_failure(void **s) {
  fixture *fx = *s;
  fx->f.script[0] = (outcome){MSIKV_ERR_THROTTLED, 0, 0};
  fx->f.delay_ms = 100;
  worker workers[THREADS];
  memset(workers, 0, sizeof(workers));
  run_threads(fx, workers);
  assert_int_equal(calls(&fx->f), 1);
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(workers[i].rc, MSIKV_ERR_THROTTLED);
    assert_string_equal(workers[i].message, "scripted failure 1");
  }
}

static void test_cache_get_refresh_in_flight_others_keep_valid(void **s) {
  fixture *fx = *s;
  fx->f.script[0] = (outcome){MSIKV_OK, 3600, 0};
  fx->f.n = 1;
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  fake_clock_set(&fx->fc, T0_MS + 3400 * 1000LL); /* Refresh due. */
  fx->f.delay_ms = 300;
  worker workers[THREADS];
  memset(workers, 0, sizeof(workers));
  run_threads(fx, workers);
  assert_int_equal(calls(&fx->f), 2);
  int fresh = 0, old = 0;
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(workers[i].rc, MSIKV_OK);
    if (strcmp(workers[i].token, "token-2") == 0)
      fresh++;
    else if (strcmp(workers[i].token, "token-1") == 0)
      old++;
  }
  /* The refresher got the new token; the others did not wait for it. */
  assert_int_equal(fresh + old, THREADS);
  assert_true(fresh >= 1);
  assert_true(old >= 1);
}

/* Sixteen callers all got 401 for token-1 and reject it at once: one new
 * fetch, and everyone gets its token (later rejections of token-1 find
 * token-2 or a fetch in flight, and drop nothing). */
static void test_cache_invalidate_stampede_one_fetch(void **s) {
  fixture *fx = *s;
  get_expect(fx, "s", NULL, "token-1", MSIKV_OK);
  fx->f.delay_ms = 100;
  worker workers[THREADS];
  memset(workers, 0, sizeof(workers));
  for (int i = 0; i < THREADS; i++)
    workers[i].invalidate_first = "token-1";
  run_threads(fx, workers);
  assert_int_equal(calls(&fx->f), 2);
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(workers[i].rc, MSIKV_OK);
    assert_string_equal(workers[i].token, "token-2");
  }
}

/* The stampede: 16 threads, no token yet, a slow endpoint: one request. */
typedef struct stampede_arg {
  msikv_credential *cred;
  pthread_barrier_t *barrier;
  msikv_result rc;
  int match;
} stampede_arg;

static void *stampede_thread(void *arg) {
  stampede_arg *a = arg;
  pthread_barrier_wait(a->barrier);
  msikv_token tok = {NULL, 0, 0};
  a->rc = msikv_cred_get_token(a->cred, "https://vault.azure.net/.default",
                               NULL, &tok, NULL);
  a->match = tok.token && strcmp(tok.token, "stampede") == 0;
  msikv_token_clear(&tok);
  return NULL;
}

static void test_cred_get_token_stampede_one_request(void **s) {
  (void)s;
  fake_transport ft;
  fake_transport_init(&ft);
  ft.send_delay_ms = 150;
  char body[256];
  snprintf(body, sizeof(body),
           "{\"access_token\":\"stampede\",\"expires_in\":\"3599\","
           "\"expires_on\":\"%lld\",\"token_type\":\"Bearer\"}",
           (long long)(time(NULL) + 3599));
  fake_transport_push(&ft, 200, NULL, body);
  msikv_identity_options opts = msikv_identity_options_default();
  opts.transport = &ft.transport;
  msikv_credential *cred = NULL;
  msikv_error err;
  assert_int_equal(msikv_cred_managed_identity_new(&opts, NULL, &cred, &err),
                   MSIKV_OK);
  assert_string_equal(msikv_cred_name(cred),
                      "ManagedIdentityCredential (IMDS)");
  pthread_t threads[THREADS];
  stampede_arg args[THREADS];
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    args[i] = (stampede_arg){cred, &barrier, MSIKV_ERR_ARG, 0};
    assert_int_equal(
        pthread_create(&threads[i], NULL, stampede_thread, &args[i]), 0);
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&barrier);
  assert_int_equal(fake_transport_count(&ft), 1);
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(args[i].rc, MSIKV_OK);
    assert_int_equal(args[i].match, 1);
  }
  msikv_cred_free(cred);
  fake_transport_free(&ft);
}

/* ---- OOM ----------------------------------------------------------------- */

static msikv_result oom_cache_run(void *ctx) {
  fixture *fx = ctx;
  msikv__token_cache *cache = NULL;
  msikv_result rc = msikv__token_cache_new(&fx->fc.clock, &cache);
  if (rc)
    return rc;
  msikv_token tok = {NULL, 0, 0};
  rc = msikv__token_cache_get(cache, "scope", "tenant", fetch, &fx->f, &tok,
                              NULL);
  msikv_token_clear(&tok);
  if (!rc)
    rc = msikv__token_cache_get(cache, "scope", "tenant", fetch, &fx->f, &tok,
                                NULL);
  msikv_token_clear(&tok);
  msikv__token_cache_free(cache);
  return rc;
}

static void test_cache_get_oom_sweep_no_leak(void **s) {
  fixture *fx = *s;
  assert_true(oom_sweep(oom_cache_run, fx, false) >= 5);
}

int main(void) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_cache_get_second_call_served_from_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache_get_scope_and_tenant_are_keys,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_cache_get_refreshes_five_minutes_before_expiry, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache_get_refresh_on_honoured, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_cache_get_failed_refresh_serves_valid_then_backs_off, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_cache_get_expired_token_never_returned, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_cache_get_error_message_passed_through, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache_get_many_keys_bounded, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_cache_get_waiters_share_one_failure,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_cache_get_refresh_in_flight_others_keep_valid, setup, teardown),
      cmocka_unit_test(test_cred_get_token_stampede_one_request),
      cmocka_unit_test_setup_teardown(
          test_cache_invalidate_matching_token_fetches_new, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_cache_invalidate_other_token_keeps_entry, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_cache_invalidate_skips_refresh_backoff, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache_invalidate_stampede_one_fetch,
                                      setup, teardown),
      cmocka_unit_test(test_cred_invalidate_token_next_get_fetches),
      cmocka_unit_test(test_cred_invalidate_token_custom_without_op_ignored),
      cmocka_unit_test_setup_teardown(test_cache_get_oom_sweep_no_leak, setup,
                                      teardown),
  };
  return cmocka_run_group_tests_name("token_cache", tests, NULL, NULL);
}
