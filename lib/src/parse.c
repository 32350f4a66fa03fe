/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <string.h>

#include "msikv/parse.h"

msikv_result msikv_parse_int64(const char *text, size_t len, int64_t min,
                               int64_t max, int64_t *out) {
  if (!text || len == 0)
    return MSIKV_ERR_ARG;
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    i = 1;
    if (len == 1)
      return MSIKV_ERR_ARG;
  }
  /* Accumulate as a negative number so INT64_MIN fits. */
  int64_t value = 0;
  bool overflow = false;
  for (; i < len; i++) {
    char c = text[i];
    if (c < '0' || c > '9')
      return MSIKV_ERR_ARG;
    int digit = c - '0';
    if (value < (INT64_MIN + digit) / 10)
      overflow = true;
    else
      value = value * 10 - digit;
  }
  if (overflow)
    return MSIKV_ERR_TOO_LARGE;
  if (!negative) {
    if (value == INT64_MIN)
      return MSIKV_ERR_TOO_LARGE;
    value = -value;
  }
  if (value < min || value > max)
    return MSIKV_ERR_TOO_LARGE;
  *out = value;
  return MSIKV_OK;
}

msikv_result msikv_parse_int64_str(const char *text, int64_t min, int64_t max,
                                   int64_t *out) {
  if (!text)
    return MSIKV_ERR_ARG;
  return msikv_parse_int64(text, strlen(text), min, max, out);
}
