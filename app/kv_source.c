/* SPDX-License-Identifier: MIT */
#include "kv_source.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "msikv/alloc.h"
#include "msikv/credential.h"
#include "msikv/identity.h"
#include "msikv/keyvault.h"
#include "msikv/log.h"
#include "msikv/transport_curl.h"
#include "msikv/url.h"

/* Counts each HTTP request as a Key Vault call (to the vault's host) or a
 * token call (anything else: identity endpoint, Entra ID). */
typedef struct counting_ctx {
  const msikv_transport *inner;
  msikv_transport *owned; /* inner, when this source created it. */
  app_metrics *metrics;
  char vault_host[MSIKV_URL_HOST_MAX];
} counting_ctx;

/* Wraps the application credential to learn who the token is for: the
 * claims of the token the Key Vault client asked for, at no extra call. */
typedef struct principal_ctx {
  msikv_credential *inner;
  pthread_mutex_t lock;
  char principal[64];
  const char *kind;
} principal_ctx;

struct app_kv_source {
  const app_config *cfg;
  msikv_transport counting;
  counting_ctx count_ctx;
  msikv_credential *cred; /* The wrapper; owns the inner credential. */
  principal_ctx *pctx;    /* Owned by cred. */
  char cred_name[128];
  msikv_identity_options identity_opts;
  msikv_kv_client *client;
};

/* Set when the credential failed during this thread's current fetch. */
static _Thread_local bool token_failed;

static msikv_result counting_send(void *ctx, const msikv_http_request *req,
                                  msikv_http_response *out_resp,
                                  msikv_error *out_err) {
  counting_ctx *c = ctx;
  msikv_url url;
  if (msikv_url_parse(req->url, &url, NULL) == MSIKV_OK &&
      strcmp(url.host, c->vault_host) == 0)
    app_metrics_count_kv_request(c->metrics);
  else
    app_metrics_count_token_request(c->metrics);
  return msikv_transport_send(c->inner, req, out_resp, out_err);
}

static msikv_result principal_get_token(void *ctx, const char *scope,
                                        const char *tenant_id,
                                        msikv_token *out_token,
                                        msikv_error *out_err) {
  principal_ctx *p = ctx;
  msikv_result rc =
      msikv_cred_get_token(p->inner, scope, tenant_id, out_token, out_err);
  if (rc) {
    token_failed = true;
    return rc;
  }
  msikv_token_claims claims;
  if (msikv_token_claims_parse(out_token->token, &claims) == MSIKV_OK) {
    pthread_mutex_lock(&p->lock);
    if (claims.oid[0]) {
      snprintf(p->principal, sizeof(p->principal), "%s", claims.oid);
      p->kind = "object id";
    } else if (claims.appid[0]) {
      snprintf(p->principal, sizeof(p->principal), "%s", claims.appid);
      p->kind = "app id";
    }
    pthread_mutex_unlock(&p->lock);
  }
  return MSIKV_OK;
}

static void principal_destroy(void *ctx) {
  principal_ctx *p = ctx;
  msikv_cred_free(p->inner);
  pthread_mutex_destroy(&p->lock);
  msikv_free(p);
}

/* The Key Vault client says the vault rejected a token (clock skew,
 * revocation): the library's credential drops it from its cache. */
static void principal_invalidate(void *ctx, const char *scope,
                                 const char *tenant_id,
                                 const char *rejected_token) {
  principal_ctx *p = ctx;
  msikv_cred_invalidate_token(p->inner, scope, tenant_id, rejected_token);
}

static const msikv_credential_ops principal_ops = {
    "AppCredential", principal_get_token, principal_destroy,
    principal_invalidate};

static msikv_result fetch(void *ctx, app_fetched *out, msikv_error *out_err) {
  app_kv_source *s = ctx;
  msikv_kv_secret *secret = NULL;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  token_failed = false;
  msikv_error err;
  msikv_error_clear(&err);
  /* A 401 on a cached token is handled by the client: it tells the
   * credential (principal_invalidate) and re-authenticates once. */
  msikv_result rc =
      msikv_kv_get_secret(s->client, s->cfg->secret_name, NULL, &secret, &err);
  if (out_err)
    *out_err = err;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1000.0 +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;

  out->credential = msikv_strdup(s->cred_name);
  pthread_mutex_lock(&s->pctx->lock);
  if (s->pctx->principal[0]) {
    out->principal = msikv_strdup(s->pctx->principal);
    out->principal_kind = s->pctx->kind;
  }
  pthread_mutex_unlock(&s->pctx->lock);
  if (!out->credential) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  if (rc) {
    out->stage = token_failed ? APP_STAGE_CREDENTIAL : APP_STAGE_VAULT;
    msikv_log(MSIKV_LOG_WARN,
              "reading secret %s failed after %.0f ms (%s%s): %s",
              s->cfg->secret_name, ms, msikv_result_name(rc),
              token_failed ? ", getting a token" : "", err.message);
    goto out;
  }
  out->value = msikv_strdup(secret->value ? secret->value : "");
  out->version = secret->version ? msikv_strdup(secret->version) : NULL;
  if (!out->value || (secret->version && !out->version)) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto out;
  }
  msikv_log(MSIKV_LOG_DEBUG, "read secret %s version %s in %.0f ms",
            s->cfg->secret_name, out->version ? out->version : "(none)", ms);
out:
  msikv_kv_secret_free(secret);
  return rc;
}

msikv_result app_kv_source_new(const app_config *cfg, app_metrics *metrics,
                               app_kv_source **out_source,
                               msikv_error *out_err) {
  return app_kv_source_new_opts(cfg, metrics, NULL, out_source, out_err);
}

msikv_result app_kv_source_new_opts(const app_config *cfg, app_metrics *metrics,
                                    const app_kv_source_options *opts,
                                    app_kv_source **out_source,
                                    msikv_error *out_err) {
  app_kv_source_options none;
  memset(&none, 0, sizeof(none));
  if (!opts)
    opts = &none;
  double scale = opts->retry_delay_scale > 0 ? opts->retry_delay_scale : 1.0;
  msikv_result rc;
  msikv_credential *inner = NULL;
  principal_ctx *pctx = NULL;
  app_kv_source *s = msikv_calloc(1, sizeof(*s));
  if (!s)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  s->cfg = cfg;
  msikv_url url;
  if ((rc = msikv_url_parse(cfg->vault_url, &url, out_err)))
    goto out;
  snprintf(s->count_ctx.vault_host, sizeof(s->count_ctx.vault_host), "%s",
           url.host);
  s->count_ctx.metrics = metrics;
  if (opts->transport) {
    s->count_ctx.inner = opts->transport;
  } else {
    if ((rc = msikv_transport_curl_new(NULL, &s->count_ctx.owned, out_err)))
      goto out;
    s->count_ctx.inner = s->count_ctx.owned;
  }
  s->counting.send = counting_send;
  s->counting.destroy = NULL;
  s->counting.ctx = &s->count_ctx;

  s->identity_opts = msikv_identity_options_default();
  s->identity_opts.transport = &s->counting;
  s->identity_opts.clock = opts->clock;
  s->identity_opts.retry_delay_scale = scale;
  if (opts->getenv_fn) {
    s->identity_opts.getenv_fn = opts->getenv_fn;
    s->identity_opts.getenv_ctx = opts->getenv_ctx;
  }
  if ((rc = msikv_cred_app_default_new(&s->identity_opts, &inner, out_err)))
    goto out;
  snprintf(s->cred_name, sizeof(s->cred_name), "%s", msikv_cred_name(inner));

  pctx = msikv_calloc(1, sizeof(*pctx));
  if (!pctx) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto out;
  }
  pthread_mutex_init(&pctx->lock, NULL);
  pctx->inner = inner;
  if ((rc = msikv_cred_new_custom(&principal_ops, pctx, &s->cred))) {
    pthread_mutex_destroy(&pctx->lock);
    msikv_free(pctx);
    pctx = NULL;
    goto out;
  }
  inner = NULL; /* Owned by the wrapper now. */
  s->pctx = pctx;

  msikv_kv_client_options ko = msikv_kv_client_options_default();
  ko.transport = &s->counting;
  ko.clock = opts->clock;
  ko.retry.delay_scale = scale;
  if ((rc = msikv_kv_client_new(cfg->vault_url, s->cred, &ko, &s->client,
                                out_err)))
    goto out;
  *out_source = s;
  s = NULL;
out:
  msikv_cred_free(inner);
  app_kv_source_free(s);
  return rc;
}

app_secret_source app_kv_source_seam(app_kv_source *source) {
  app_secret_source seam = {fetch, source};
  return seam;
}

const char *app_kv_source_credential_name(const app_kv_source *source) {
  return source->cred_name;
}

void app_kv_source_free(app_kv_source *s) {
  if (!s)
    return;
  msikv_kv_client_free(s->client);
  msikv_cred_free(s->cred);
  msikv_transport_free(s->count_ctx.owned);
  msikv_free(s);
}
