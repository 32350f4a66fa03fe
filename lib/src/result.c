/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "msikv/result.h"

const char *msikv_result_str(msikv_result rc) {
  switch (rc) {
#define MSIKV_RESULT_STR(name, desc) \
  case MSIKV_##name:                 \
    return desc;
    MSIKV_RESULT_MAP(MSIKV_RESULT_STR)
#undef MSIKV_RESULT_STR
  default:
    return "unknown error";
  }
}

const char *msikv_result_name(msikv_result rc) {
  switch (rc) {
#define MSIKV_RESULT_NAME(name, desc) \
  case MSIKV_##name:                  \
    return #name;
    MSIKV_RESULT_MAP(MSIKV_RESULT_NAME)
#undef MSIKV_RESULT_NAME
  default:
    return "UNKNOWN";
  }
}

void msikv_error_clear(msikv_error *err) {
  if (err)
    memset(err, 0, sizeof(*err));
}

msikv_result msikv_error_vset(msikv_error *err, msikv_result rc,
                              const char *fmt, va_list ap) {
  if (err)
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
  return rc;
}

msikv_result msikv_error_set(msikv_error *err, msikv_result rc,
                             const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  msikv_error_vset(err, rc, fmt, ap);
  va_end(ap);
  return rc;
}

void msikv_error_prefix(msikv_error *err, const char *fmt, ...) {
  if (!err)
    return;
  char prefix[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  size_t plen = strnlen(prefix, sizeof(prefix) - 1);
  size_t cap = sizeof(err->message) - 1;
  size_t mlen = strnlen(err->message, cap);
  if (plen + 2 > cap)
    plen = cap - 2;
  if (mlen > cap - plen - 2)
    mlen = cap - plen - 2;
  memmove(err->message + plen + 2, err->message, mlen);
  memcpy(err->message, prefix, plen);
  err->message[plen] = ':';
  err->message[plen + 1] = ' ';
  err->message[plen + 2 + mlen] = '\0';
}
