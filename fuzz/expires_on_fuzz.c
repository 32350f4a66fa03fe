/* SPDX-License-Identifier: MIT */
/* expires_on in every form: epoch seconds, US dates with AM/PM, ISO and RFC
 * 3339, RFC 1123. A parsed value lies in [0, 9999-12-31] and, printed as
 * epoch seconds and parsed again, gives itself back. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "fuzz_util.h"
#include "identity_internal.h"
#include "msikv/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = msikv_strndup((const char *)data, size);
  if (!text)
    return 0;
  int64_t s = -1;
  msikv_result rc = msikv__expires_on_parse(text, &s);
  if (rc == MSIKV_OK) {
    FUZZ_CHECK(s >= 0 && s <= 253402300799LL);
    char again[32];
    snprintf(again, sizeof(again), "%" PRId64, s);
    int64_t s2 = -1;
    FUZZ_CHECK(msikv__expires_on_parse(again, &s2) == MSIKV_OK);
    FUZZ_CHECK(s2 == s);
  } else {
    FUZZ_CHECK(rc == MSIKV_ERR_PARSE);
  }
  msikv_free(text);
  return 0;
}
