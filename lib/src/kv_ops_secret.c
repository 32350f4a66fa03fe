/* SPDX-License-Identifier: MIT */
/* Secret operations: get, set, update properties. */
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
    rc =
        msikv__kv_call_secret(client, "get_secret", name, "GET", url.data, NULL,
                              MSIKV__KV_BUNDLE, true, out_secret, out_err);
  msikv_buf_free(&url);
  return rc;
}

msikv_result msikv_kv_set_secret(msikv_kv_client *client, const char *name,
                                 const char *value,
                                 const msikv_kv_secret_options *opts,
                                 msikv_kv_secret **out_secret,
                                 msikv_error *out_err) {
  if (!client || !value)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "set_secret needs a client and a value");
  msikv_result rc = msikv__kv_check_name(name, "secret name", out_err);
  if (rc)
    return rc;
  size_t len = strlen(value);
  if (len > client->max_value_bytes)
    return msikv_error_set(out_err, MSIKV_ERR_TOO_LARGE,
                           "secret value is %zu bytes; Key Vault accepts at "
                           "most %zu",
                           len, client->max_value_bytes);
  if (!msikv__kv_utf8_valid(value, len))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "secret value is not valid UTF-8 text: encode "
                           "binary data (e.g. base64) first");
  rc = msikv__kv_check_options(opts, out_err);
  if (rc)
    return rc;
  msikv_buf url, body;
  msikv_buf_init(&url, 4096);
  msikv_buf_init_secret(&body, MSIKV_BUF_DEFAULT_MAX);
  rc = msikv__kv_url(client, &url, "/secrets/%s", name);
  if (!rc)
    rc = msikv__kv_build_body(&body, value, opts);
  if (!rc) {
    msikv__kv_body b = {body.data, body.len};
    rc = msikv__kv_call_secret(client, "set_secret", name, "PUT", url.data, &b,
                               MSIKV__KV_BUNDLE, false, out_secret, out_err);
  }
  msikv_buf_free(&body);
  msikv_buf_free(&url);
  return rc;
}

msikv_result msikv_kv_update_secret_properties(
    msikv_kv_client *client, const char *name, const char *version,
    const msikv_kv_secret_options *opts, msikv_kv_secret **out_secret,
    msikv_error *out_err) {
  if (!client)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "update_secret_properties needs a client");
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
  rc = msikv__kv_check_options(opts, out_err);
  if (rc)
    return rc;
  msikv_buf url, body;
  msikv_buf_init(&url, 4096);
  msikv_buf_init(&body, MSIKV_BUF_DEFAULT_MAX);
  rc = msikv__kv_url(client, &url, "/secrets/%s/%s", name, version);
  if (!rc)
    rc = msikv__kv_build_body(&body, NULL, opts);
  if (!rc) {
    msikv__kv_body b = {body.data, body.len};
    rc = msikv__kv_call_secret(client, "update_secret_properties", name,
                               "PATCH", url.data, &b, MSIKV__KV_BUNDLE, false,
                               out_secret, out_err);
  }
  msikv_buf_free(&body);
  msikv_buf_free(&url);
  return rc;
}
