/* SPDX-License-Identifier: MIT */
/* The client-secret credential: Entra ID v2 client credentials. */
#include <stdio.h>
#include <string.h>

#include "credential_internal.h"
#include "identity_internal.h"
#include "msikv/alloc.h"

typedef struct cs_ctx {
  char *authority;
  char *tenant;
  char *client_id;
  char *secret; /* Zeroed on free. */
  const msikv_transport *transport;
  const msikv_clock *clock;
  double delay_scale;
  msikv__token_cache *cache;
} cs_ctx;

#define CS_NAME "ClientSecretCredential"

static void cs_destroy(void *vctx) {
  cs_ctx *ctx = vctx;
  if (!ctx)
    return;
  msikv__token_cache_free(ctx->cache);
  msikv_free(ctx->authority);
  msikv_free(ctx->tenant);
  msikv_free(ctx->client_id);
  msikv_secret_free(ctx->secret);
  msikv_free(ctx);
}

static msikv_result cs_fetch(void *vctx, const char *scope,
                             const char *tenant_id, msikv_token *out_token,
                             msikv_error *out_err) {
  cs_ctx *ctx = vctx;
  msikv__id_request r;
  msikv__id_request_init(&r);
  msikv_result rc =
      msikv__aad_build_request(ctx->authority, tenant_id, ctx->client_id,
                               ctx->secret, scope, &r, out_err);
  if (rc)
    goto out;
  rc = msikv__aad_send(ctx->transport, ctx->clock, ctx->delay_scale, &r,
                       out_token, out_err);
out:
  if (rc)
    msikv_error_prefix(out_err,
                       CS_NAME ": POST %.100s/%.40s/oauth2/v2.0/token "
                               "for client_id %.40s",
                       ctx->authority, tenant_id, ctx->client_id);
  msikv__id_request_free(&r);
  return rc;
}

static msikv_result cs_get_token(void *vctx, const char *scope,
                                 const char *tenant_id, msikv_token *out_token,
                                 msikv_error *out_err) {
  (void)tenant_id; /* Tokens always come from the configured tenant. */
  cs_ctx *ctx = vctx;
  return msikv__entra_get_token(CS_NAME, ctx->cache, scope, ctx->tenant,
                                cs_fetch, ctx, out_token, out_err);
}

msikv_result msikv__aad_send(const msikv_transport *transport,
                             const msikv_clock *clock, double delay_scale,
                             const msikv__id_request *r, msikv_token *out_token,
                             msikv_error *out_err) {
  msikv_http_response resp;
  msikv_http_response_init(&resp, 1 << 20);
  msikv_retry_policy policy = msikv_retry_policy_default();
  policy.delay_scale = delay_scale;
  int64_t sent_ms = msikv_clock_now_ms(clock);
  msikv_result rc = msikv_http_send_with_retry(transport, &policy, clock,
                                               &r->req, &resp, NULL, out_err);
  if (rc)
    goto out;
  if (!msikv_http_status_ok(resp.status)) {
    rc = msikv__aad_map_error(resp.status, resp.body.data, resp.body.len,
                              out_err);
    goto out;
  }
  rc = msikv__token_parse(resp.body.data, resp.body.len, sent_ms / 1000,
                          msikv_clock_now_ms(clock) / 1000, out_token, out_err);
out:
  msikv_http_response_free(&resp);
  return rc;
}

const char *msikv__authority_pick(const msikv_identity_options *opts) {
  const char *authority = opts->authority_host;
  if (!authority)
    authority = msikv__identity_getenv(opts, "AZURE_AUTHORITY_HOST");
  return authority ? authority : MSIKV_AUTHORITY_HOST_DEFAULT;
}

static void cs_invalidate(void *vctx, const char *scope, const char *tenant_id,
                          const char *rejected_token) {
  (void)scope;
  (void)tenant_id;
  msikv__token_cache_invalidate(((cs_ctx *)vctx)->cache, rejected_token);
}

static const msikv_credential_ops cs_ops = {CS_NAME, cs_get_token, cs_destroy,
                                            cs_invalidate};

static bool has_control(const char *s) {
  for (; *s; s++) {
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return true;
  }
  return false;
}

msikv_result msikv_cred_client_secret_new(const msikv_identity_options *opts,
                                          const char *tenant_id,
                                          const char *client_id,
                                          const char *client_secret,
                                          msikv_credential **out_cred,
                                          msikv_error *out_err) {
  msikv_credential *cred = NULL;
  msikv_error_clear(out_err);
  msikv_result rc = msikv__identity_options_check(opts, CS_NAME, out_err);
  if (rc)
    return rc;
  if (!out_cred)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CS_NAME ": out_cred is "
                                   "NULL");
  if (!tenant_id || !*tenant_id)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CS_NAME ": the tenant id is empty; set "
                                   "AZURE_TENANT_ID");
  if (!msikv__tenant_is_valid(tenant_id))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CS_NAME ": the tenant id may contain only "
                                   "letters, digits, '.' and '-' (a GUID or "
                                   "a domain such as contoso.onmicrosoft.com)");
  if (!client_id || !*client_id || has_control(client_id))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CS_NAME ": the client id is empty or malformed; "
                                   "set AZURE_CLIENT_ID to the app's "
                                   "Application (client) ID");
  if (!client_secret || !*client_secret)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CS_NAME ": the client secret is empty; set "
                                   "AZURE_CLIENT_SECRET");
  const char *authority = msikv__authority_pick(opts);
  cs_ctx *ctx = msikv_calloc(1, sizeof(*ctx));
  if (!ctx)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  ctx->transport = opts->transport;
  ctx->clock = opts->clock;
  ctx->delay_scale =
      opts->retry_delay_scale > 0 ? opts->retry_delay_scale : 1.0;
  rc = msikv__authority_normalize(authority, &ctx->authority, out_err);
  if (rc) {
    msikv_error_prefix(out_err, CS_NAME);
    goto out;
  }
  ctx->tenant = msikv_strdup(tenant_id);
  ctx->client_id = msikv_strdup(client_id);
  ctx->secret = msikv_strdup(client_secret);
  if (!ctx->tenant || !ctx->client_id || !ctx->secret) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto out;
  }
  rc = msikv__token_cache_new(opts->clock, &ctx->cache);
  if (!rc)
    rc = msikv_cred_new_custom(&cs_ops, ctx, &cred);
  if (rc) {
    msikv_error_set(out_err, rc, "out of memory");
    goto out;
  }
  *out_cred = cred;
  return MSIKV_OK;
out:
  cs_destroy(ctx);
  return rc;
}
