/* SPDX-License-Identifier: MIT */
/**
 * @file mock_clock.h
 * @brief The mock's clock: real (or fixed, for tests) time plus a shift that
 * the admin API moves, so tests expire tokens without waiting.
 */
#ifndef MSIKV_MOCK_CLOCK_H
#define MSIKV_MOCK_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct mock_clock {
  _Atomic int64_t shift_ms; /**< Added to the base time. */
  int64_t fixed_ms;         /**< Base time for tests; 0 = the real clock. */
} mock_clock;

/** Real clock, no shift. */
void mock_clock_init(mock_clock *clock);
/** @return epoch milliseconds: base time plus shift. */
int64_t mock_clock_now_ms(mock_clock *clock);
/** Moves the clock by @p delta_ms (may be negative). */
void mock_clock_shift(mock_clock *clock, int64_t delta_ms);
void mock_clock_set_shift(mock_clock *clock, int64_t shift_ms);
int64_t mock_clock_get_shift(mock_clock *clock);
/** @return the real wall clock in epoch milliseconds. */
int64_t mock_clock_real_ms(void);

#endif /* MSIKV_MOCK_CLOCK_H */
