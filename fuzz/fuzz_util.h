/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the fuzz targets (header-only). */
#ifndef MSIKV_FUZZ_UTIL_H
#define MSIKV_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "msikv/result.h"

/* Aborts the fuzzer (a finding) when an invariant does not hold. */
#define FUZZ_CHECK(cond)                                                      \
  do {                                                                        \
    if (!(cond))                                                              \
      __builtin_trap();                                                       \
  } while (0)

/* True when @p s is NUL-terminated within @p size bytes. */
static inline bool fuzz_terminated(const char *s, size_t size) {
  return memchr(s, '\0', size) != NULL;
}

/* An error must be terminated, and must not repeat @p secret (a token or
 * value of at least 8 bytes, the shortest we can look for without chance
 * matches). */
static inline void fuzz_check_error(const msikv_error *err,
                                    const char *secret) {
  FUZZ_CHECK(fuzz_terminated(err->code, sizeof(err->code)));
  FUZZ_CHECK(fuzz_terminated(err->inner_code, sizeof(err->inner_code)));
  FUZZ_CHECK(fuzz_terminated(err->message, sizeof(err->message)));
  if (secret && strlen(secret) >= 8)
    FUZZ_CHECK(strstr(err->message, secret) == NULL);
}

#endif /* MSIKV_FUZZ_UTIL_H */
