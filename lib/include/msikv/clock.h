/* SPDX-License-Identifier: MIT */
/**
 * @file clock.h
 * @brief An injectable clock and sleep, so tests never wait.
 */
#ifndef MSIKV_CLOCK_H
#define MSIKV_CLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

/** Wall-clock time and sleep. Token expiry is wall-clock (epoch) time. */
typedef struct msikv_clock {
  /** @return milliseconds since the Unix epoch. */
  int64_t (*now_ms)(void *ctx);
  /** Sleeps for @p ms milliseconds (ms <= 0 returns at once). */
  void (*sleep_ms)(void *ctx, int64_t ms);
  void *ctx;
} msikv_clock;

/** @return the real clock (static; never NULL). */
const msikv_clock *msikv_clock_system(void);

/** Convenience: @p clock or the system clock when NULL. */
int64_t msikv_clock_now_ms(const msikv_clock *clock);
void msikv_clock_sleep_ms(const msikv_clock *clock, int64_t ms);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_CLOCK_H */
