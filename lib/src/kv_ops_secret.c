/* SPDX-License-Identifier: MIT */
/* Secret operations: get. */
#include <string.h>

#include "kv_internal.h"
#include "msikv/alloc.h"

msikv_result msikv_kv_get_secret(msikv_kv_client *client, const char *name,
                                 const char *version,
                                 msikv_kv_secret **out_secret,
                                 msikv_error *out_err) {
  if (!client || !out_secret)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "get_secret needs a client and an output pointer");
  msikv_result rc = msikv__kv_check_name(name, "secret name", out_err);
  if (rc)
    return rc;
  if (!version)
    version = "";
  if (*version) {
    rc = msikv__kv_check_name(version, "secret version", out_err);
    if (rc)
      return rc;
  }
  msikv_buf url;
  msikv_buf_init(&url, 4096);
  rc = msikv__kv_url(client, &url, "/secrets/%s/%s", name, version);
  if (!rc)
    rc = msikv__kv_call_secret(client, "get_secret", name, "GET", url.data,
                               NULL, MSIKV__KV_BUNDLE, true, out_secret,
                               out_err);
  msikv_buf_free(&url);
  return rc;
}
