/* SPDX-License-Identifier: MIT */
/* The Key Vault client: options, lifetime, and the authenticated send with
 * the 401 challenge flow. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kv_internal.h"
#include "msikv/alloc.h"
#include "msikv/log.h"

/* A cached token is reused while it has more than this left. */
#define TOKEN_REFRESH_MARGIN_S 300

msikv_kv_client_options msikv_kv_client_options_default(void) {
  msikv_kv_client_options opts;
  memset(&opts, 0, sizeof(opts));
  opts.api_version = MSIKV_KV_API_VERSION_DEFAULT;
  opts.verify_challenge_resource = true;
  opts.retry = msikv_retry_policy_default();
  opts.poll_timeout_ms = 60000;
  opts.poll_interval_ms = 2000;
  opts.max_value_bytes = MSIKV_KV_MAX_VALUE_BYTES_DEFAULT;
  return opts;
}

static bool api_version_ok(const char *v) {
  if (!v || !*v || strlen(v) > 32)
    return false;
  for (; *v; v++) {
    if (!((*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'z') ||
          (*v >= 'A' && *v <= 'Z') || *v == '-' || *v == '.'))
      return false;
  }
  return true;
}

msikv_result msikv_kv_client_new(const char *vault_url,
                                 msikv_credential *ref_cred,
                                 const msikv_kv_client_options *opts,
                                 msikv_kv_client **out_client,
                                 msikv_error *out_err) {
  if (!vault_url || !*vault_url)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "no Key Vault URL given: pass "
                           "https://NAME.vault.azure.net");
  if (!ref_cred || !opts || !opts->transport || !out_client)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "kv_client_new needs a credential, options with a "
                           "transport, and an output pointer");
  msikv_url url;
  msikv_result rc = msikv_url_parse(vault_url, &url, out_err);
  if (rc) {
    msikv_error_prefix(out_err, "invalid Key Vault URL");
    return rc;
  }
  if (strcmp(url.scheme, "https") != 0)
    return msikv_error_set(out_err, MSIKV_ERR_INSECURE,
                           "refusing Key Vault URL '%.200s': bearer tokens "
                           "are only sent over https; use "
                           "https://NAME.vault.azure.net",
                           vault_url);
  if (url.path[0] && strcmp(url.path, "/") != 0)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "invalid Key Vault URL '%.200s': give only the "
                           "vault, e.g. https://NAME.vault.azure.net, "
                           "without a path or query",
                           vault_url);
  const char *api_version =
      opts->api_version ? opts->api_version : MSIKV_KV_API_VERSION_DEFAULT;
  if (!api_version_ok(api_version))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "invalid api-version: use e.g. %s",
                           MSIKV_KV_API_VERSION_DEFAULT);
  if (opts->page_size < 0 || opts->page_size > 25)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "page_size must be from 1 to 25 (0 = the "
                           "service default)");
  msikv_kv_client *client = msikv_calloc(1, sizeof(*client));
  if (!client)
    return MSIKV_ERR_NOMEM;
  if (msikv_url_authority(&url, client->authority, sizeof(client->authority))) {
    msikv_free(client);
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "Key Vault URL host is "
                           "too long");
  }
  snprintf(client->host, sizeof(client->host), "%s", url.host);
  size_t url_len = strlen(client->authority) + 9;
  client->vault_url = msikv_malloc(url_len);
  client->api_version = msikv_strdup(api_version);
  if (!client->vault_url || !client->api_version) {
    msikv_free(client->vault_url);
    msikv_free(client->api_version);
    msikv_free(client);
    return MSIKV_ERR_NOMEM;
  }
  snprintf(client->vault_url, url_len, "https://%s", client->authority);
  client->cred = ref_cred;
  client->transport = opts->transport;
  client->clock = opts->clock;
  client->retry = opts->retry;
  client->verify_challenge_resource = opts->verify_challenge_resource;
  client->poll_timeout_ms =
      opts->poll_timeout_ms > 0 ? opts->poll_timeout_ms : 0;
  client->poll_interval_ms =
      opts->poll_interval_ms > 0 ? opts->poll_interval_ms : 2000;
  client->max_value_bytes = opts->max_value_bytes
                                ? opts->max_value_bytes
                                : MSIKV_KV_MAX_VALUE_BYTES_DEFAULT;
  client->max_response_bytes = opts->max_response_bytes;
  client->timeout_ms = opts->timeout_ms;
  client->page_size = opts->page_size;
  pthread_mutex_init(&client->lock, NULL);
  *out_client = client;
  return MSIKV_OK;
}

void msikv_kv_client_free(msikv_kv_client *client) {
  if (!client)
    return;
  msikv_token_clear(&client->token);
  pthread_mutex_destroy(&client->lock);
  msikv_free(client->api_version);
  msikv_free(client->vault_url);
  msikv_free(client);
}

const char *msikv_kv_client_vault_url(const msikv_kv_client *client) {
  return client ? client->vault_url : NULL;
}

msikv_result msikv__kv_url(const msikv_kv_client *client, msikv_buf *out,
                           const char *fmt, ...) {
  msikv_result rc = msikv_buf_append_str(out, client->vault_url);
  if (!rc) {
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(path))
      return MSIKV_ERR_TOO_LARGE;
    rc = msikv_buf_append_str(out, path);
  }
  if (!rc)
    rc = msikv_url_add_query(out, "api-version", client->api_version);
  return rc;
}

void msikv__kv_response_init(const msikv_kv_client *client,
                             msikv_http_response *resp) {
  msikv_http_response_init(resp, client->max_response_bytes);
}

/* One send through the retry policy. @p token NULL sends no Authorization;
 * @p strip sends an empty body in place of @p body. */
static msikv_result send_request(msikv_kv_client *client, const char *method,
                                 const char *url, const msikv__kv_body *body,
                                 bool strip, const char *token,
                                 msikv_http_response *resp,
                                 msikv_error *out_err) {
  char *auth = NULL;
  msikv_http_request req;
  msikv_http_request_init(&req, method, url);
  req.timeout_ms = client->timeout_ms;
  msikv_result rc =
      msikv_http_request_add_header(&req, "Accept", "application/json");
  if (!rc && body && body->len && !strip)
    rc = msikv_http_request_add_header(&req, "Content-Type",
                                       "application/json; charset=utf-8");
  if (!rc && token) {
    size_t len = strlen(token) + 8;
    auth = msikv_malloc(len);
    if (!auth) {
      rc = MSIKV_ERR_NOMEM;
      goto out;
    }
    snprintf(auth, len, "Bearer %s", token);
    rc = msikv_http_request_add_header(&req, "Authorization", auth);
  }
  if (rc)
    goto out;
  if (body) {
    req.has_body = true;
    if (!strip) {
      req.body = body->data;
      req.body_len = body->len;
    }
  }
  rc = msikv_http_send_with_retry(client->transport, &client->retry,
                                  client->clock, &req, resp, NULL, out_err);
  if (rc) {
    msikv_error_prefix(out_err, "%s %s", method, url);
  } else {
    msikv_log(MSIKV_LOG_DEBUG, "%s %s%s -> %d", method, url,
              token ? "" : " (no token)", resp->status);
  }
out:
  msikv_secret_free(auth);
  return rc;
}

/* Parses and checks the 401's challenge and caches it. */
static msikv_result accept_challenge(msikv_kv_client *client,
                                     const msikv_http_response *resp,
                                     msikv__kv_challenge *out_challenge,
                                     msikv_error *out_err) {
  msikv__kv_challenge challenge;
  msikv_result rc = msikv__kv_challenge_parse(
      msikv_http_response_header(resp, "www-authenticate"), &challenge,
      out_err);
  if (rc) {
    if (out_err)
      out_err->http_status = resp->status;
    return rc;
  }
  if (client->verify_challenge_resource &&
      !msikv__kv_challenge_host_matches(&challenge, client->host))
    return msikv_error_set(
        out_err, MSIKV_ERR_INSECURE,
        "The challenge resource '%s' does not match the requested domain "
        "'%s': the vault host must end with '.%s'. If this is a test vault "
        "you trust, set verify_challenge_resource = false in "
        "msikv_kv_client_options. See https://aka.ms/azsdk/blog/vault-uri",
        challenge.resource_host, client->host, challenge.resource_host);
  pthread_mutex_lock(&client->lock);
  bool changed = !client->has_challenge ||
                 strcmp(client->challenge.scope, challenge.scope) != 0 ||
                 strcmp(client->challenge.tenant, challenge.tenant) != 0;
  client->challenge = challenge;
  client->has_challenge = true;
  if (changed)
    msikv_token_clear(&client->token);
  pthread_mutex_unlock(&client->lock);
  *out_challenge = challenge;
  return MSIKV_OK;
}

/* Returns an owned copy of a usable token (secret). @p rejected: a token
 * the vault refused, dropped from the client's copy if it is still there
 * (a newer one another thread got is kept). */
static msikv_result get_token(msikv_kv_client *client,
                              const msikv__kv_challenge *challenge,
                              const char *rejected, char **out_token,
                              msikv_error *out_err) {
  int64_t now_s = msikv_clock_now_ms(client->clock) / 1000;
  char *copy = NULL;
  pthread_mutex_lock(&client->lock);
  if (rejected && client->token.token &&
      strcmp(client->token.token, rejected) == 0)
    msikv_token_clear(&client->token);
  if (client->token.token &&
             now_s < client->token.expires_on_s - TOKEN_REFRESH_MARGIN_S &&
             (client->token.refresh_on_s == 0 ||
              now_s < client->token.refresh_on_s)) {
    copy = msikv_strdup(client->token.token);
    pthread_mutex_unlock(&client->lock);
    if (!copy)
      return MSIKV_ERR_NOMEM;
    *out_token = copy;
    return MSIKV_OK;
  }
  pthread_mutex_unlock(&client->lock);
  msikv_token token = {NULL, 0, 0};
  msikv_result rc = msikv_cred_get_token(
      client->cred, challenge->scope,
      challenge->tenant[0] ? challenge->tenant : NULL, &token, out_err);
  if (rc) {
    msikv_error_prefix(out_err, "getting a token for Key Vault");
    return rc;
  }
  copy = msikv_strdup(token.token);
  if (!copy) {
    msikv_token_clear(&token);
    return MSIKV_ERR_NOMEM;
  }
  pthread_mutex_lock(&client->lock);
  msikv_token_clear(&client->token);
  client->token = token;
  pthread_mutex_unlock(&client->lock);
  *out_token = copy;
  return MSIKV_OK;
}

static msikv_result check_url(const msikv_kv_client *client, const char *url,
                              msikv_error *out_err) {
  msikv_url parsed;
  char authority[sizeof(client->authority)];
  if (msikv_url_parse(url, &parsed, NULL) ||
      msikv_url_authority(&parsed, authority, sizeof(authority)))
    return msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "Key Vault gave a malformed URL to follow");
  if (strcmp(parsed.scheme, "https") != 0)
    return msikv_error_set(out_err, MSIKV_ERR_INSECURE,
                           "refusing to send a token over plain http");
  if (strcmp(authority, client->authority) != 0)
    return msikv_error_set(out_err, MSIKV_ERR_INSECURE,
                           "refusing to send the vault's token to another "
                           "host ('%s' is not '%s')",
                           authority, client->authority);
  return MSIKV_OK;
}

msikv_result msikv__kv_send(msikv_kv_client *client, const char *method,
                            const char *url, const msikv__kv_body *body,
                            msikv_http_response *out_resp,
                            msikv_error *out_err) {
  char *token = NULL;
  char *rejected = NULL;
  msikv_result rc = check_url(client, url, out_err);
  if (rc)
    return rc;
  msikv__kv_challenge challenge;
  pthread_mutex_lock(&client->lock);
  bool have = client->has_challenge;
  if (have)
    challenge = client->challenge;
  pthread_mutex_unlock(&client->lock);
  if (!have) {
    /* First request to this vault: no token, empty body. */
    rc = send_request(client, method, url, body, true, NULL, out_resp, out_err);
    if (rc || out_resp->status != 401)
      goto out;
    rc = accept_challenge(client, out_resp, &challenge, out_err);
    if (rc)
      goto out;
  }
  rc = get_token(client, &challenge, NULL, &token, out_err);
  if (!rc)
    rc = send_request(client, method, url, body, false, token, out_resp,
                      out_err);
  if (rc || out_resp->status != 401)
    goto out;
  /* A later 401: take any new challenge and authenticate once more. */
  msikv_log(MSIKV_LOG_INFO, "Key Vault answered 401; re-authenticating");
  /* The credential may still consider the token valid (clock skew,
   * revocation): tell it, so that it fetches a new one. */
  msikv_cred_invalidate_token(client->cred, challenge.scope,
                              challenge.tenant[0] ? challenge.tenant : NULL,
                              token);
  if (msikv_http_response_header(out_resp, "www-authenticate")) {
    rc = accept_challenge(client, out_resp, &challenge, out_err);
    if (rc)
      goto out;
  }
  rejected = token;
  token = NULL;
  rc = get_token(client, &challenge, rejected, &token, out_err);
  if (!rc)
    rc = send_request(client, method, url, body, false, token, out_resp,
                      out_err);
out:
  msikv_secret_free(rejected);
  msikv_secret_free(token);
  return rc;
}

msikv_result msikv__kv_call_secret(msikv_kv_client *client, const char *op,
                                   const char *name, const char *method,
                                   const char *url, const msikv__kv_body *body,
                                   msikv__kv_kind kind, bool require_value,
                                   msikv_kv_secret **out_secret,
                                   msikv_error *out_err) {
  msikv_http_response resp;
  msikv__kv_response_init(client, &resp);
  msikv_result rc = msikv__kv_send(client, method, url, body, &resp, out_err);
  if (rc)
    goto out;
  if (!msikv_http_status_ok(resp.status)) {
    rc = msikv__kv_error_from_response(&resp, op, name, out_err);
    goto out;
  }
  msikv_kv_secret *secret = NULL;
  rc = msikv__kv_secret_parse(resp.body.data, resp.body.len, kind,
                              require_value, &secret, out_err);
  if (rc) {
    if (rc != MSIKV_ERR_NOMEM)
      msikv_error_prefix(out_err, "%s", op);
    goto out;
  }
  if (out_secret)
    *out_secret = secret;
  else
    msikv_kv_secret_free(secret);
out:
  msikv_http_response_free(&resp);
  return rc;
}
