/* SPDX-License-Identifier: MIT */
/* URL parsing, authority normalisation, percent-decoding and query building. */
#include <stdint.h>
#include <string.h>

#include "msikv/alloc.h"
#include "msikv/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = msikv_strndup((const char *)data, size);
  if (!text)
    return 0;
  msikv_url url;
  if (msikv_url_parse(text, &url, NULL) == MSIKV_OK) {
    char authority[300];
    if (msikv_url_authority(&url, authority, sizeof(authority)) == MSIKV_OK &&
        strlen(authority) < strlen(url.host))
      __builtin_trap();
    (void)msikv_host_is_local(url.host);
  }
  msikv_buf out;
  msikv_buf_init(&out, 1 << 16);
  if (msikv_url_decode(&out, (const char *)data, size, true) == MSIKV_OK &&
      out.len > size)
    __builtin_trap();
  msikv_buf_reset(&out);
  if (msikv_url_encode(&out, (const char *)data, size) == MSIKV_OK &&
      out.len < size)
    __builtin_trap();
  msikv_buf_reset(&out);
  if (msikv_url_add_query(&out, text, text) == MSIKV_OK && !out.data)
    __builtin_trap();
  msikv_buf_free(&out);
  msikv_free(text);
  return 0;
}
