/* SPDX-License-Identifier: MIT */
#include "oom.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "msikv/alloc.h"

/* Each block carries its size in a 16-byte header. */
#define HEADER 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static size_t live;
static size_t allocations;
static size_t fail_at;
static bool hit;

static bool should_fail(void) {
  allocations++;
  if (fail_at && allocations == fail_at) {
    hit = true;
    return true;
  }
  return false;
}

static void *count_malloc(size_t size, void *ctx) {
  (void)ctx;
  pthread_mutex_lock(&lock);
  bool fail = should_fail();
  if (!fail)
    live++;
  pthread_mutex_unlock(&lock);
  if (fail)
    return NULL;
  unsigned char *p = malloc(size + HEADER);
  if (!p)
    return NULL;
  memcpy(p, &size, sizeof(size));
  return p + HEADER;
}

static void count_free(void *ptr, void *ctx) {
  (void)ctx;
  if (!ptr)
    return;
  pthread_mutex_lock(&lock);
  live--;
  pthread_mutex_unlock(&lock);
  free((unsigned char *)ptr - HEADER);
}

static void *count_realloc(void *ptr, size_t size, void *ctx) {
  if (!ptr)
    return count_malloc(size, ctx);
  pthread_mutex_lock(&lock);
  bool fail = should_fail();
  pthread_mutex_unlock(&lock);
  if (fail)
    return NULL;
  unsigned char *old = (unsigned char *)ptr - HEADER;
  unsigned char *p = realloc(old, size + HEADER);
  if (!p)
    return NULL;
  memcpy(p, &size, sizeof(size));
  return p + HEADER;
}

void oom_install(void) {
  pthread_mutex_lock(&lock);
  live = 0;
  allocations = 0;
  fail_at = 0;
  hit = false;
  pthread_mutex_unlock(&lock);
  msikv_allocator a = {count_malloc, count_realloc, count_free, NULL};
  msikv_set_allocator(&a);
}

void oom_uninstall(void) {
  size_t left = oom_live_blocks();
  msikv_set_allocator(NULL);
  assert_int_equal(left, 0);
}

size_t oom_live_blocks(void) {
  pthread_mutex_lock(&lock);
  size_t n = live;
  pthread_mutex_unlock(&lock);
  return n;
}

void oom_fail_at(size_t n) {
  pthread_mutex_lock(&lock);
  allocations = 0;
  fail_at = n;
  hit = false;
  pthread_mutex_unlock(&lock);
}

bool oom_failure_hit(void) {
  pthread_mutex_lock(&lock);
  bool h = hit;
  pthread_mutex_unlock(&lock);
  return h;
}

size_t oom_sweep(oom_fn fn, void *ctx, bool allow_other_errors) {
  oom_install();
  oom_fail_at(0);
  assert_int_equal(fn(ctx), MSIKV_OK);
  assert_int_equal(oom_live_blocks(), 0);
  size_t total = allocations;
  for (size_t n = 1; n <= total; n++) {
    oom_fail_at(n);
    msikv_result rc = fn(ctx);
    /* A failure the code absorbs (and still succeeds) is fine too. */
    if (oom_failure_hit() && rc != MSIKV_OK && !allow_other_errors)
      assert_int_equal(rc, MSIKV_ERR_NOMEM);
    assert_int_equal(oom_live_blocks(), 0);
  }
  oom_fail_at(0);
  oom_uninstall();
  return total;
}
