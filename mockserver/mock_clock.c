/* SPDX-License-Identifier: MIT */
#include "mock_clock.h"

#include <time.h>

int64_t mock_clock_real_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mock_clock_init(mock_clock *clock) {
  atomic_init(&clock->shift_ms, 0);
  clock->fixed_ms = 0;
}

int64_t mock_clock_now_ms(mock_clock *clock) {
  int64_t base = clock->fixed_ms ? clock->fixed_ms : mock_clock_real_ms();
  return base + atomic_load(&clock->shift_ms);
}

void mock_clock_shift(mock_clock *clock, int64_t delta_ms) {
  atomic_fetch_add(&clock->shift_ms, delta_ms);
}

void mock_clock_set_shift(mock_clock *clock, int64_t shift_ms) {
  atomic_store(&clock->shift_ms, shift_ms);
}

int64_t mock_clock_get_shift(mock_clock *clock) {
  return atomic_load(&clock->shift_ms);
}
