/* SPDX-License-Identifier: MIT */
/* Token cache microbenchmark:
 * 1. the cost of one msikv_cred_get_token() cache hit, single-threaded and
 *    with 16 threads hammering the same credential;
 * 2. endpoint requests per refresh window with 16 threads: the fake clock
 *    jumps into each refresh window while the threads keep asking; every
 *    window must cost exactly one request (the endpoint answers slowly so
 *    that the threads pile up).
 * Usage: token_cache_bench [iterations]   (default 2000000) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/fake_clock.h"
#include "tests/fake_transport.h"
#include "msikv/msikv.h"

#define THREADS 16
#define WINDOWS 10
#define SCOPE "https://vault.azure.net/.default"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct shared {
  msikv_credential *cred;
  long iterations;
  pthread_barrier_t *barrier;
  volatile int *stop;
  long failures;
  long calls;
} shared;

static long hit_loop(msikv_credential *cred, long n) {
  long failures = 0;
  for (long i = 0; i < n; i++) {
    msikv_token tok = {NULL, 0, 0};
    if (msikv_cred_get_token(cred, SCOPE, NULL, &tok, NULL) != MSIKV_OK)
      failures++;
    msikv_token_clear(&tok);
  }
  return failures;
}

static void *hit_thread(void *arg) {
  shared *s = arg;
  pthread_barrier_wait(s->barrier);
  s->failures = hit_loop(s->cred, s->iterations);
  return NULL;
}

static void *window_thread(void *arg) {
  shared *s = arg;
  pthread_barrier_wait(s->barrier);
  while (!__atomic_load_n(s->stop, __ATOMIC_ACQUIRE)) {
    msikv_token tok = {NULL, 0, 0};
    if (msikv_cred_get_token(s->cred, SCOPE, NULL, &tok, NULL) != MSIKV_OK)
      s->failures++;
    msikv_token_clear(&tok);
    s->calls++;
  }
  return NULL;
}

static msikv_result make_cred(fake_transport *ft, fake_clock *fc,
                              msikv_credential **out) {
  msikv_identity_options opts = msikv_identity_options_default();
  opts.transport = &ft->transport;
  opts.clock = &fc->clock;
  msikv_error err;
  msikv_result rc = msikv_cred_managed_identity_new(&opts, NULL, out, &err);
  if (rc)
    fprintf(stderr, "create: %s\n", err.message);
  return rc;
}

static void push_token(fake_transport *ft, int64_t now_s_value, int i) {
  char body[256];
  snprintf(body, sizeof(body),
           "{\"access_token\":\"bench-%d\",\"expires_in\":\"3600\","
           "\"expires_on\":\"%lld\"}",
           i, (long long)(now_s_value + 3600));
  fake_transport_push(ft, 200, NULL, body);
}

int main(int argc, char **argv) {
  long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
  if (iterations <= 0)
    iterations = 2000000;
  if (msikv_global_init() != MSIKV_OK)
    return 1;
  const int64_t t0_ms = 1700000000000LL;
  int status = 0;

  /* 1. Cache hits. */
  fake_transport ft;
  fake_transport_init(&ft);
  fake_clock fc;
  fake_clock_init(&fc, t0_ms);
  msikv_credential *cred = NULL;
  if (make_cred(&ft, &fc, &cred))
    return 1;
  push_token(&ft, t0_ms / 1000, 0);
  long failures = hit_loop(cred, 1); /* Warm: the one request. */
  double a = now_s();
  failures += hit_loop(cred, iterations);
  double single_ns = (now_s() - a) * 1e9 / (double)iterations;

  pthread_t threads[THREADS];
  shared args[THREADS];
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, THREADS + 1);
  long per_thread = iterations / THREADS > 0 ? iterations / THREADS : 1;
  for (int i = 0; i < THREADS; i++) {
    memset(&args[i], 0, sizeof(args[i]));
    args[i].cred = cred;
    args[i].iterations = per_thread;
    args[i].barrier = &barrier;
    pthread_create(&threads[i], NULL, hit_thread, &args[i]);
  }
  pthread_barrier_wait(&barrier);
  a = now_s();
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    failures += args[i].failures;
  }
  double wall = now_s() - a;
  pthread_barrier_destroy(&barrier);
  double multi_ns = wall * 1e9 / (double)(per_thread * THREADS);
  size_t hit_requests = fake_transport_count(&ft);
  printf("cache hit, 1 thread:   %.1f ns/get_token (%ld calls)\n", single_ns,
         iterations);
  printf("cache hit, %d threads: %.1f ns/get_token wall, %.0f gets/s "
         "(%ld calls)\n",
         THREADS, multi_ns, (double)(per_thread * THREADS) / wall,
         per_thread * THREADS);
  printf("endpoint requests during hit runs: %zu (want 1)\n", hit_requests);
  if (hit_requests != 1 || failures)
    status = 1;
  msikv_cred_free(cred);
  fake_transport_free(&ft);

  /* 2. Refresh windows under 16 threads. */
  fake_transport_init(&ft);
  ft.send_delay_ms = 50;
  fake_clock_init(&fc, t0_ms);
  if (make_cred(&ft, &fc, &cred))
    return 1;
  /* Window w's token is issued when the clock is at t0 + w * 3400 s, and
   * its refresh is due 5 minutes before its hour ends. */
  for (int w = 0; w <= WINDOWS; w++)
    push_token(&ft, t0_ms / 1000 + (int64_t)w * 3400, w);
  volatile int stop = 0;
  pthread_barrier_init(&barrier, NULL, THREADS + 1);
  for (int i = 0; i < THREADS; i++) {
    memset(&args[i], 0, sizeof(args[i]));
    args[i].cred = cred;
    args[i].barrier = &barrier;
    args[i].stop = &stop;
    pthread_create(&threads[i], NULL, window_thread, &args[i]);
  }
  pthread_barrier_wait(&barrier);
  struct timespec pause = {0, 150 * 1000000L};
  nanosleep(&pause, NULL);
  size_t before = fake_transport_count(&ft);
  int bad_windows = 0;
  for (int w = 1; w <= WINDOWS; w++) {
    fake_clock_set(&fc, t0_ms + (int64_t)w * 3400 * 1000);
    nanosleep(&pause, NULL);
    size_t after = fake_transport_count(&ft);
    printf("refresh window %2d: %zu endpoint request(s)\n", w, after - before);
    if (after - before != 1)
      bad_windows++;
    before = after;
  }
  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  long calls = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    calls += args[i].calls;
    failures += args[i].failures;
  }
  pthread_barrier_destroy(&barrier);
  size_t total = fake_transport_count(&ft);
  printf("refresh windows: %d, endpoint requests: %zu, get_token calls: %ld, "
         "failures: %ld => %.2f requests per window (want 1.00)\n",
         WINDOWS, total, calls, failures,
         (double)(total - 1) / (double)WINDOWS);
  if (bad_windows || failures)
    status = 1;
  msikv_cred_free(cred);
  fake_transport_free(&ft);
  fake_clock_free(&fc);
  return status;
}
