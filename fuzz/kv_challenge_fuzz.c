/* SPDX-License-Identifier: MIT */
/* The WWW-Authenticate challenge parser and the resource-domain check. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "kv_internal.h"
#include "msikv/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = msikv_strndup((const char *)data, size);
  if (!text)
    return 0;
  msikv__kv_challenge ch;
  memset(&ch, 0x5a, sizeof(ch));
  msikv_error err;
  msikv_error_clear(&err);
  msikv_result rc = msikv__kv_challenge_parse(text, &ch, &err);
  fuzz_check_error(&err, NULL);
  if (rc == MSIKV_OK) {
    FUZZ_CHECK(fuzz_terminated(ch.scope, sizeof(ch.scope)));
    FUZZ_CHECK(fuzz_terminated(ch.tenant, sizeof(ch.tenant)));
    FUZZ_CHECK(fuzz_terminated(ch.resource_host, sizeof(ch.resource_host)));
    FUZZ_CHECK(ch.scope[0] != '\0' && ch.resource_host[0] != '\0');
    /* A vault under the resource domain matches; the domain itself, and a
     * host that merely ends with the same letters, do not. */
    char host[MSIKV_URL_HOST_MAX + 16];
    snprintf(host, sizeof(host), "demo.%s", ch.resource_host);
    FUZZ_CHECK(msikv__kv_challenge_host_matches(&ch, host));
    FUZZ_CHECK(!msikv__kv_challenge_host_matches(&ch, ch.resource_host));
    snprintf(host, sizeof(host), "evil%s", ch.resource_host);
    FUZZ_CHECK(!msikv__kv_challenge_host_matches(&ch, host));
  } else {
    FUZZ_CHECK(rc == MSIKV_ERR_AUTH);
    FUZZ_CHECK(err.message[0] != '\0');
  }
  msikv_free(text);
  return 0;
}
