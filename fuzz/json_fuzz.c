/* SPDX-License-Identifier: MIT */
/* The tolerant JSON readers every protocol parser builds on. */
#include <stdint.h>

#include "json_internal.h"
#include "msikv/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int64_t v;
  msikv_result rc =
      msikv_parse_int64((const char *)data, size, INT64_MIN, INT64_MAX, &v);
  cJSON *json = NULL;
  if (msikv__json_parse((const char *)data, size, &json) != MSIKV_OK)
    return 0;
  static const char *const keys[] = {"expires_in", "expires_on", "value",
                                     "enabled", "access_token"};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    bool b;
    rc = msikv__json_int64(json, keys[i], 0, INT64_MAX, &v);
    if (rc == MSIKV_OK && v < 0)
      __builtin_trap();
    rc = msikv__json_bool(json, keys[i], &b);
    (void)msikv__json_string(json, keys[i]);
  }
  (void)rc;
  msikv__json_delete_secret(json);
  return 0;
}
