/* SPDX-License-Identifier: MIT */
/* Delete, get deleted, recover and purge; delete and recover wait for the
 * service to finish, polling as the SDKs do (404 then 200). */
#include <string.h>

#include "kv_internal.h"
#include "msikv/alloc.h"
#include "msikv/log.h"

msikv_result msikv__kv_poll_until_found(msikv_kv_client *client, const char *op,
                                        const char *name, const char *url,
                                        msikv_error *out_err) {
  int64_t start_ms = msikv_clock_now_ms(client->clock);
  msikv_http_response resp;
  msikv__kv_response_init(client, &resp);
  msikv_result rc;
  for (;;) {
    rc = msikv__kv_send(client, "GET", url, NULL, &resp, out_err);
    if (rc)
      break;
    if (msikv_http_status_ok(resp.status))
      break;
    if (resp.status == 403) {
      /* No permission to read it: the SDK pollers call that done too. */
      msikv_log(MSIKV_LOG_INFO,
                "%s '%s': cannot poll for completion (403); not waiting", op,
                name);
      break;
    }
    if (resp.status != 404) {
      rc = msikv__kv_error_from_response(&resp, op, name, out_err);
      break;
    }
    int64_t elapsed = msikv_clock_now_ms(client->clock) - start_ms;
    if (elapsed >= client->poll_timeout_ms) {
      rc = msikv_error_set(out_err, MSIKV_ERR_TIMEOUT,
                           "%s '%s' was accepted but had not completed after "
                           "%ld ms; check again later",
                           op, name, client->poll_timeout_ms);
      break;
    }
    int64_t wait = client->poll_interval_ms;
    if (wait > client->poll_timeout_ms - elapsed)
      wait = client->poll_timeout_ms - elapsed;
    msikv_clock_sleep_ms(client->clock, wait);
  }
  msikv_http_response_free(&resp);
  return rc;
}

static msikv_result check(msikv_kv_client *client, const char *op,
                          const char *name, msikv_error *out_err) {
  if (!client)
    return msikv_error_set(out_err, MSIKV_ERR_ARG, "%s needs a client", op);
  return msikv__kv_check_name(name, "secret name", out_err);
}

msikv_result msikv_kv_delete_secret(msikv_kv_client *client, const char *name,
                                    msikv_kv_secret **out_deleted,
                                    msikv_error *out_err) {
  msikv_result rc = check(client, "delete_secret", name, out_err);
  if (rc)
    return rc;
  msikv_kv_secret *deleted = NULL;
  msikv_buf url;
  msikv_buf_init(&url, 4096);
  rc = msikv__kv_url(client, &url, "/secrets/%s", name);
  if (!rc)
    rc = msikv__kv_call_secret(client, "delete_secret", name, "DELETE",
                               url.data, NULL, MSIKV__KV_DELETED, false,
                               &deleted, out_err);
  if (!rc && deleted->recovery_id && client->poll_timeout_ms > 0) {
    msikv_buf_reset(&url);
    rc = msikv__kv_url(client, &url, "/deletedsecrets/%s", name);
    if (!rc)
      rc = msikv__kv_poll_until_found(client, "delete_secret", name, url.data,
                                      out_err);
  }
  msikv_buf_free(&url);
  if (rc || !out_deleted)
    msikv_kv_secret_free(deleted);
  else
    *out_deleted = deleted;
  return rc;
}

msikv_result msikv_kv_get_deleted_secret(msikv_kv_client *client,
                                         const char *name,
                                         msikv_kv_secret **out_deleted,
                                         msikv_error *out_err) {
  msikv_result rc = check(client, "get_deleted_secret", name, out_err);
  if (rc)
    return rc;
  if (!out_deleted)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "get_deleted_secret needs an output pointer");
  msikv_buf url;
  msikv_buf_init(&url, 4096);
  rc = msikv__kv_url(client, &url, "/deletedsecrets/%s", name);
  if (!rc)
    rc = msikv__kv_call_secret(client, "get_deleted_secret", name, "GET",
                               url.data, NULL, MSIKV__KV_DELETED, false,
                               out_deleted, out_err);
  msikv_buf_free(&url);
  return rc;
}

msikv_result msikv_kv_recover_deleted_secret(msikv_kv_client *client,
                                             const char *name,
                                             msikv_kv_secret **out_secret,
                                             msikv_error *out_err) {
  msikv_result rc = check(client, "recover_deleted_secret", name, out_err);
  if (rc)
    return rc;
  msikv_kv_secret *secret = NULL;
  msikv_buf url;
  msikv_buf_init(&url, 4096);
  msikv__kv_body empty = {"", 0};
  rc = msikv__kv_url(client, &url, "/deletedsecrets/%s/recover", name);
  if (!rc)
    rc = msikv__kv_call_secret(client, "recover_deleted_secret", name, "POST",
                               url.data, &empty, MSIKV__KV_BUNDLE, false,
                               &secret, out_err);
  if (!rc && client->poll_timeout_ms > 0) {
    msikv_buf_reset(&url);
    rc = msikv__kv_url(client, &url, "/secrets/%s/", name);
    if (!rc)
      rc = msikv__kv_poll_until_found(client, "recover_deleted_secret", name,
                                      url.data, out_err);
  }
  msikv_buf_free(&url);
  if (rc || !out_secret)
    msikv_kv_secret_free(secret);
  else
    *out_secret = secret;
  return rc;
}

msikv_result msikv_kv_purge_deleted_secret(msikv_kv_client *client,
                                           const char *name,
                                           msikv_error *out_err) {
  msikv_result rc = check(client, "purge_deleted_secret", name, out_err);
  if (rc)
    return rc;
  msikv_buf url;
  msikv_buf_init(&url, 4096);
  msikv_http_response resp;
  msikv__kv_response_init(client, &resp);
  rc = msikv__kv_url(client, &url, "/deletedsecrets/%s", name);
  if (!rc)
    rc = msikv__kv_send(client, "DELETE", url.data, NULL, &resp, out_err);
  if (!rc && !msikv_http_status_ok(resp.status))
    rc = msikv__kv_error_from_response(&resp, "purge_deleted_secret", name,
                                       out_err);
  msikv_http_response_free(&resp);
  msikv_buf_free(&url);
  return rc;
}
