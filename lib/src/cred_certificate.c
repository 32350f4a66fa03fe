/* SPDX-License-Identifier: MIT */
/* The client-certificate credential: Entra ID client credentials with a
 * signed client assertion in place of a secret. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "credential_internal.h"
#include "identity_internal.h"
#include "msikv/alloc.h"

#define CC_NAME "ClientCertificateCredential"

typedef struct cc_ctx {
  char *authority;
  char *tenant;
  char *client_id;
  char *path;
  bool rs256;
  bool send_x5c;
  msikv__cert_key *key;
  const msikv_transport *transport;
  const msikv_clock *clock;
  double delay_scale;
  msikv__token_cache *cache;
  /* The last assertion, reused until MSIKV__ASSERTION_REBUILD_MARGIN_S
   * before it expires. */
  pthread_mutex_t lock;
  char *assertion; /* Secret. */
  char *assertion_aud;
  int64_t assertion_exp_s;
} cc_ctx;

static void cc_destroy(void *vctx) {
  cc_ctx *ctx = vctx;
  if (!ctx)
    return;
  msikv__token_cache_free(ctx->cache);
  msikv__cert_key_free(ctx->key);
  msikv_free(ctx->authority);
  msikv_free(ctx->tenant);
  msikv_free(ctx->client_id);
  msikv_free(ctx->path);
  msikv_secret_free(ctx->assertion);
  msikv_free(ctx->assertion_aud);
  pthread_mutex_destroy(&ctx->lock);
  msikv_free(ctx);
}

/* Copies the current assertion for @p aud, rebuilding it when needed. */
static msikv_result get_assertion(cc_ctx *ctx, const char *aud, char **out_copy,
                                  msikv_error *out_err) {
  int64_t now_s = msikv_clock_now_ms(ctx->clock) / 1000;
  msikv_result rc = MSIKV_OK;
  pthread_mutex_lock(&ctx->lock);
  bool fresh = ctx->assertion && ctx->assertion_aud &&
               strcmp(ctx->assertion_aud, aud) == 0 &&
               now_s < ctx->assertion_exp_s - MSIKV__ASSERTION_REBUILD_MARGIN_S;
  if (!fresh) {
    char *jwt = NULL;
    char *aud_copy = msikv_strdup(aud);
    rc = aud_copy ? msikv__jwt_assertion_build(ctx->key, aud, ctx->client_id,
                                               now_s, ctx->rs256, ctx->send_x5c,
                                               &jwt, out_err)
                  : msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    if (rc) {
      msikv_free(aud_copy);
      goto out;
    }
    msikv_secret_free(ctx->assertion);
    msikv_free(ctx->assertion_aud);
    ctx->assertion = jwt;
    ctx->assertion_aud = aud_copy;
    ctx->assertion_exp_s = now_s + MSIKV__ASSERTION_LIFETIME_S;
  }
  *out_copy = msikv_strdup(ctx->assertion);
  if (!*out_copy)
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
out:
  pthread_mutex_unlock(&ctx->lock);
  return rc;
}

static msikv_result cc_fetch(void *vctx, const char *scope,
                             const char *tenant_id, msikv_token *out_token,
                             msikv_error *out_err) {
  cc_ctx *ctx = vctx;
  msikv__id_request r;
  msikv__id_request_init(&r);
  char *assertion = NULL;
  msikv_buf aud;
  msikv_buf_init(&aud, 4096);
  msikv_result rc = msikv_buf_appendf(&aud, "%s/%s/oauth2/v2.0/token",
                                      ctx->authority, tenant_id);
  if (rc) {
    msikv_error_set(out_err, rc, "out of memory");
    goto out;
  }
  rc = get_assertion(ctx, aud.data, &assertion, out_err);
  if (!rc)
    rc = msikv__aad_build_assertion_request(ctx->authority, tenant_id,
                                            ctx->client_id, assertion, scope,
                                            &r, out_err);
  if (!rc)
    rc = msikv__aad_send(ctx->transport, ctx->clock, ctx->delay_scale, &r,
                         out_token, out_err);
out:
  if (rc)
    msikv_error_prefix(
        out_err,
        CC_NAME ": POST %.100s/%.40s/oauth2/v2.0/token for "
                "client_id %.40s with the certificate %s%s",
        ctx->authority, tenant_id, ctx->client_id,
        strlen(ctx->path) > 60 ? "..." : "",
        ctx->path + (strlen(ctx->path) > 60 ? strlen(ctx->path) - 60 : 0));
  msikv_buf_free(&aud);
  msikv_secret_free(assertion);
  msikv__id_request_free(&r);
  return rc;
}

static msikv_result cc_get_token(void *vctx, const char *scope,
                                 const char *tenant_id, msikv_token *out_token,
                                 msikv_error *out_err) {
  (void)tenant_id; /* Tokens always come from the configured tenant. */
  cc_ctx *ctx = vctx;
  return msikv__entra_get_token(CC_NAME, ctx->cache, scope, ctx->tenant,
                                cc_fetch, ctx, out_token, out_err);
}

static void cc_invalidate(void *vctx, const char *scope, const char *tenant_id,
                          const char *rejected_token) {
  (void)scope;
  (void)tenant_id;
  msikv__token_cache_invalidate(((cc_ctx *)vctx)->cache, rejected_token);
}

static const msikv_credential_ops cc_ops = {CC_NAME, cc_get_token, cc_destroy,
                                            cc_invalidate};

static bool bad_id(const char *s) {
  if (!s || !*s)
    return true;
  for (; *s; s++) {
    if ((unsigned char)*s <= 0x20 || *s == 0x7f)
      return true;
  }
  return false;
}

msikv_result msikv_cred_client_certificate_new(
    const msikv_identity_options *opts, const char *tenant_id,
    const char *client_id, const char *certificate_path,
    const msikv_client_certificate_options *cert_opts,
    msikv_credential **out_cred, msikv_error *out_err) {
  msikv_credential *cred = NULL;
  msikv_error_clear(out_err);
  msikv_result rc = msikv__identity_options_check(opts, CC_NAME, out_err);
  if (rc)
    return rc;
  if (!out_cred)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CC_NAME ": out_cred is NULL");
  if (!msikv__tenant_is_valid(tenant_id))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CC_NAME ": the tenant id is empty or malformed; "
                                   "set AZURE_TENANT_ID to a GUID or a "
                                   "domain (letters, digits, '.', '-')");
  if (bad_id(client_id))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CC_NAME ": the client id is empty or malformed; "
                                   "set AZURE_CLIENT_ID to the app's "
                                   "Application (client) ID");
  if (!certificate_path || !*certificate_path)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CC_NAME ": the certificate path is empty; set "
                                   "AZURE_CLIENT_CERTIFICATE_PATH");
  cc_ctx *ctx = msikv_calloc(1, sizeof(*ctx));
  if (!ctx)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
    msikv_free(ctx);
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  }
  ctx->transport = opts->transport;
  ctx->clock = opts->clock;
  ctx->delay_scale =
      opts->retry_delay_scale > 0 ? opts->retry_delay_scale : 1.0;
  ctx->rs256 = cert_opts && cert_opts->use_rs256;
  ctx->send_x5c = cert_opts && cert_opts->send_certificate_chain;
  rc = msikv__authority_normalize(msikv__authority_pick(opts), &ctx->authority,
                                  out_err);
  if (rc) {
    msikv_error_prefix(out_err, CC_NAME);
    goto out;
  }
  rc = msikv__cert_key_load(certificate_path,
                            cert_opts ? cert_opts->password : NULL, &ctx->key,
                            out_err);
  if (rc) {
    msikv_error_prefix(out_err, CC_NAME);
    goto out;
  }
  ctx->tenant = msikv_strdup(tenant_id);
  ctx->client_id = msikv_strdup(client_id);
  ctx->path = msikv_strdup(certificate_path);
  if (!ctx->tenant || !ctx->client_id || !ctx->path) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto out;
  }
  rc = msikv__token_cache_new(opts->clock, &ctx->cache);
  if (!rc)
    rc = msikv_cred_new_custom(&cc_ops, ctx, &cred);
  if (rc) {
    msikv_error_set(out_err, rc, "out of memory");
    goto out;
  }
  *out_cred = cred;
  return MSIKV_OK;
out:
  cc_destroy(ctx);
  return rc;
}
