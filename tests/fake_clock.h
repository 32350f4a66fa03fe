/* SPDX-License-Identifier: MIT */
/**
 * @file fake_clock.h
 * @brief A clock that only moves when told to; sleeping advances it.
 */
#ifndef MSIKV_TESTS_FAKE_CLOCK_H
#define MSIKV_TESTS_FAKE_CLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "msikv/clock.h"

#define FAKE_CLOCK_MAX_SLEEPS 128

typedef struct fake_clock {
  msikv_clock clock;   /**< Pass &fc->clock to the code under test. */
  pthread_mutex_t lock;
  int64_t now_ms;
  int64_t sleeps[FAKE_CLOCK_MAX_SLEEPS]; /**< Every sleep, in order. */
  size_t sleep_count;
} fake_clock;

/** Starts at @p start_ms (epoch milliseconds). */
void fake_clock_init(fake_clock *fc, int64_t start_ms);
void fake_clock_free(fake_clock *fc);
void fake_clock_advance(fake_clock *fc, int64_t ms);
void fake_clock_set(fake_clock *fc, int64_t now_ms);
int64_t fake_clock_now(fake_clock *fc);

#endif
