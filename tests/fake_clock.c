/* SPDX-License-Identifier: MIT */
#include "fake_clock.h"

#include <string.h>

static int64_t fake_now(void *ctx) { return fake_clock_now(ctx); }

static void fake_sleep(void *ctx, int64_t ms) {
  fake_clock *fc = ctx;
  pthread_mutex_lock(&fc->lock);
  if (fc->sleep_count < FAKE_CLOCK_MAX_SLEEPS)
    fc->sleeps[fc->sleep_count++] = ms;
  if (ms > 0)
    fc->now_ms += ms;
  pthread_mutex_unlock(&fc->lock);
}

void fake_clock_init(fake_clock *fc, int64_t start_ms) {
  memset(fc, 0, sizeof(*fc));
  pthread_mutex_init(&fc->lock, NULL);
  fc->now_ms = start_ms;
  fc->clock.now_ms = fake_now;
  fc->clock.sleep_ms = fake_sleep;
  fc->clock.ctx = fc;
}

void fake_clock_free(fake_clock *fc) { pthread_mutex_destroy(&fc->lock); }

void fake_clock_advance(fake_clock *fc, int64_t ms) {
  pthread_mutex_lock(&fc->lock);
  fc->now_ms += ms;
  pthread_mutex_unlock(&fc->lock);
}

void fake_clock_set(fake_clock *fc, int64_t now_ms) {
  pthread_mutex_lock(&fc->lock);
  fc->now_ms = now_ms;
  pthread_mutex_unlock(&fc->lock);
}

int64_t fake_clock_now(fake_clock *fc) {
  pthread_mutex_lock(&fc->lock);
  int64_t now = fc->now_ms;
  pthread_mutex_unlock(&fc->lock);
  return now;
}
