/* SPDX-License-Identifier: MIT */
/* Backup and restore. */
#include <string.h>

#include "json_internal.h"
#include "kv_internal.h"
#include "msikv/alloc.h"

msikv_result msikv_kv_backup_secret(msikv_kv_client *client, const char *name,
                                    char **out_blob, msikv_error *out_err) {
  if (!client || !out_blob)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "backup_secret needs a client and an output "
                           "pointer");
  msikv_result rc = msikv__kv_check_name(name, "secret name", out_err);
  if (rc)
    return rc;
  cJSON *root = NULL;
  msikv_buf url;
  msikv_buf_init(&url, 4096);
  msikv_http_response resp;
  msikv__kv_response_init(client, &resp);
  msikv__kv_body empty = {"", 0};
  rc = msikv__kv_url(client, &url, "/secrets/%s/backup", name);
  if (!rc)
    rc = msikv__kv_send(client, "POST", url.data, &empty, &resp, out_err);
  if (rc)
    goto out;
  if (!msikv_http_status_ok(resp.status)) {
    rc = msikv__kv_error_from_response(&resp, "backup_secret", name, out_err);
    goto out;
  }
  rc = msikv__json_parse(resp.body.data, resp.body.len, &root);
  const char *blob = rc ? NULL : msikv__json_string(root, "value");
  if (rc == MSIKV_ERR_NOMEM)
    goto out;
  if (!blob || !*blob) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "backup_secret '%s': Key Vault answered without a "
                         "backup blob ('value')",
                         name);
    goto out;
  }
  char *copy = msikv_strdup(blob);
  if (!copy) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  *out_blob = copy;
out:
  msikv__json_delete_secret(root);
  msikv_http_response_free(&resp);
  msikv_buf_free(&url);
  return rc;
}

msikv_result msikv_kv_restore_secret(msikv_kv_client *client, const char *blob,
                                     msikv_kv_secret **out_secret,
                                     msikv_error *out_err) {
  if (!client || !blob || !*blob)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "restore_secret needs a client and a backup blob");
  for (const char *c = blob; *c; c++) {
    bool ok = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z') || *c == '-' || *c == '_' || *c == '+' ||
              *c == '/' || *c == '=';
    if (!ok)
      return msikv_error_set(out_err, MSIKV_ERR_ARG,
                             "backup blob is not base64url text: pass the "
                             "blob backup produced, unchanged");
  }
  msikv_buf url, body;
  msikv_buf_init(&url, 4096);
  msikv_buf_init_secret(&body, MSIKV_HTTP_DEFAULT_MAX_BODY);
  msikv_result rc = msikv__kv_url(client, &url, "/secrets/restore");
  if (!rc)
    rc = msikv_buf_append_str(&body, "{\"value\":");
  if (!rc)
    rc = msikv__kv_json_string(&body, blob);
  if (!rc)
    rc = msikv_buf_append(&body, "}", 1);
  if (rc == MSIKV_ERR_TOO_LARGE)
    rc = msikv_error_set(out_err, rc, "backup blob is too large");
  if (!rc) {
    msikv__kv_body b = {body.data, body.len};
    rc =
        msikv__kv_call_secret(client, "restore_secret", NULL, "POST", url.data,
                              &b, MSIKV__KV_BUNDLE, false, out_secret, out_err);
  }
  msikv_buf_free(&body);
  msikv_buf_free(&url);
  return rc;
}
