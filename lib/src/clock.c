/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <time.h>

#include "msikv/clock.h"

static int64_t system_now_ms(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void system_sleep_ms(void *ctx, int64_t ms) {
  (void)ctx;
  if (ms <= 0)
    return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static const msikv_clock system_clock = {system_now_ms, system_sleep_ms, NULL};

const msikv_clock *msikv_clock_system(void) { return &system_clock; }

int64_t msikv_clock_now_ms(const msikv_clock *clock) {
  if (!clock)
    clock = &system_clock;
  return clock->now_ms(clock->ctx);
}

void msikv_clock_sleep_ms(const msikv_clock *clock, int64_t ms) {
  if (!clock)
    clock = &system_clock;
  clock->sleep_ms(clock->ctx, ms);
}
