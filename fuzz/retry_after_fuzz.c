/* SPDX-License-Identifier: MIT */
/* Retry-After in its three headers: seconds, milliseconds, HTTP dates. */
#include <stdint.h>
#include <string.h>

#include "msikv/retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const names[] = {"retry-after", "retry-after-ms",
                                      "x-ms-retry-after-ms"};
  if (size < 1)
    return 0;
  msikv_http_response resp;
  msikv_http_response_init(&resp, 0);
  const char *name = names[data[0] % 3];
  if (msikv_http_response_add_header(&resp, name, strlen(name),
                                     (const char *)data + 1, size - 1) ==
      MSIKV_OK) {
    int64_t ms = -1;
    if (msikv_retry_after_ms(&resp, 1796342400000LL, &ms) &&
        (ms < 0 || ms > 24LL * 3600 * 1000))
      __builtin_trap();
  }
  msikv_http_response_free(&resp);
  return 0;
}
