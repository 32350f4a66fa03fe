/* SPDX-License-Identifier: MIT */
/* The managed-identity credential: picks its source from the environment,
 * then fetches through the token cache with that source's request. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "credential_internal.h"
#include "identity_internal.h"
#include "msikv/alloc.h"
#include "msikv/log.h"
#include "msikv/url.h"

typedef struct mi_ctx {
  msikv__mi_source source;
  char *endpoint;     /* IDENTITY_ENDPOINT, MSI_ENDPOINT or the IMDS host. */
  char *header_value; /* IDENTITY_HEADER or MSI_SECRET: secret. */
  msikv__mi_id_kind id_kind;
  char *id_value;
  const msikv_transport *transport;
  const msikv_clock *clock;
  double delay_scale;
  msikv__token_cache *cache;
  char name[64];
  /* App Service hosts that also set MSI_*: the 2017-09-01 fallback for
   * hosts answering UnsupportedApiVersion (Functions on Linux, 2020). */
  char *legacy_endpoint;
  char *legacy_secret; /* Secret. */
  atomic_bool use_legacy;
  /* In a chain: probe IMDS first (1 s connect timeout, no retries). */
  bool probe;
  atomic_bool probed;
} mi_ctx;

static void mi_destroy(void *vctx) {
  mi_ctx *ctx = vctx;
  if (!ctx)
    return;
  msikv__token_cache_free(ctx->cache);
  msikv_free(ctx->endpoint);
  msikv_secret_free(ctx->header_value);
  msikv_free(ctx->id_value);
  msikv_free(ctx->legacy_endpoint);
  msikv_secret_free(ctx->legacy_secret);
  msikv_free(ctx);
}

/* "the user-assigned identity client_id=..." or "the system-assigned ...". */
static void describe_id(const mi_ctx *ctx, msikv__mi_source source, char *out,
                        size_t size) {
  const char *param = msikv__mi_id_param(source, ctx->id_kind);
  if (param)
    snprintf(out, size, "user-assigned identity %s=%.200s", param,
             ctx->id_value);
  else
    snprintf(out, size, "system-assigned identity");
}

static msikv_result fetch_from(mi_ctx *ctx, msikv__mi_source source,
                               const char *endpoint, const char *header_value,
                               const char *resource, msikv_token *out_token,
                               msikv_error *out_err) {
  msikv__id_request r;
  msikv__id_request_init(&r);
  msikv_http_response resp;
  msikv_http_response_init(&resp, 1 << 20);
  char who[300];
  describe_id(ctx, source, who, sizeof(who));
  msikv_result rc =
      msikv__mi_build_request(source, endpoint, header_value, resource,
                              ctx->id_kind, ctx->id_value, &r, out_err);
  if (rc)
    goto out;
  msikv_retry_policy policy = msikv__mi_retry_policy(source, ctx->delay_scale);
  int64_t sent_ms = msikv_clock_now_ms(ctx->clock);
  int attempts = 0;
  if (source == MSIKV__MI_IMDS && ctx->probe && !atomic_load(&ctx->probed)) {
    /* The probe is the real request, sent once with a short connect
     * timeout: off Azure the chain moves on in about a second. */
    msikv_retry_policy none = msikv_retry_policy_none();
    long connect_ms = r.req.connect_timeout_ms;
    r.req.connect_timeout_ms = MSIKV__IMDS_PROBE_CONNECT_MS;
    rc = msikv_http_send_with_retry(ctx->transport, &none, ctx->clock, &r.req,
                                    &resp, &attempts, out_err);
    r.req.connect_timeout_ms = connect_ms;
    if (rc == MSIKV_ERR_TRANSPORT || rc == MSIKV_ERR_TIMEOUT) {
      rc = MSIKV_ERR_UNAVAILABLE;
      msikv_error_prefix(out_err,
                         "no response from the IMDS endpoint within %d ms "
                         "(not an Azure VM, or no managed identity here)",
                         MSIKV__IMDS_PROBE_CONNECT_MS);
      goto out;
    }
    if (rc)
      goto out;
    atomic_store(&ctx->probed, true);
    if (msikv_retry_status_is_retriable(&policy, resp.status)) {
      /* IMDS is there but busy: the normal retries from here. */
      msikv_http_response_reset(&resp);
      attempts = 0;
      rc = msikv_http_send_with_retry(ctx->transport, &policy, ctx->clock,
                                      &r.req, &resp, &attempts, out_err);
    }
  } else {
    rc = msikv_http_send_with_retry(ctx->transport, &policy, ctx->clock, &r.req,
                                    &resp, &attempts, out_err);
  }
  if (rc) {
    if (rc == MSIKV_ERR_TRANSPORT || rc == MSIKV_ERR_TIMEOUT) {
      if (source == MSIKV__MI_IMDS)
        rc = MSIKV_ERR_UNAVAILABLE;
      msikv_error_prefix(out_err,
                         "no response from the endpoint after %d attempt%s "
                         "(is this an Azure host with a managed identity?)",
                         attempts, attempts == 1 ? "" : "s");
    }
    goto out;
  }
  if (!msikv_http_status_ok(resp.status)) {
    rc = msikv__mi_map_error(source, ctx->id_kind, ctx->id_value, resp.status,
                             resp.body.data, resp.body.len, out_err);
    who[0] = '\0'; /* The mapped message names the identity already. */
    goto out;
  }
  int64_t now_s = msikv_clock_now_ms(ctx->clock) / 1000;
  int64_t sent_s = sent_ms / 1000;
  rc = msikv__token_parse(resp.body.data, resp.body.len, sent_s, now_s,
                          out_token, out_err);
  if (rc)
    goto out;
  int64_t lifetime_s = out_token->expires_on_s - sent_s;
  if (out_token->refresh_on_s == 0 && lifetime_s >= MSIKV__HALF_LIFE_MIN_S)
    out_token->refresh_on_s = sent_s + lifetime_s / 2;
out:
  if (rc)
    msikv_error_prefix(out_err, "ManagedIdentityCredential (%s): GET %.80s%s%s",
                       msikv__mi_source_name(source), endpoint,
                       who[0] ? " for the " : "", who);
  msikv_http_response_free(&resp);
  msikv__id_request_free(&r);
  return rc;
}

static msikv_result mi_fetch(void *vctx, const char *resource,
                             const char *tenant_id, msikv_token *out_token,
                             msikv_error *out_err) {
  (void)tenant_id;
  mi_ctx *ctx = vctx;
  if (ctx->legacy_endpoint && atomic_load(&ctx->use_legacy))
    return fetch_from(ctx, MSIKV__MI_LEGACY, ctx->legacy_endpoint,
                      ctx->legacy_secret, resource, out_token, out_err);
  msikv_result rc = fetch_from(ctx, ctx->source, ctx->endpoint,
                               ctx->header_value, resource, out_token, out_err);
  if (rc == MSIKV_ERR_UNSUPPORTED && ctx->legacy_endpoint) {
    msikv_log(MSIKV_LOG_WARN,
              "%s: the host does not support api-version 2019-08-01; "
              "using MSI_ENDPOINT (2017-09-01) from now on",
              ctx->name);
    atomic_store(&ctx->use_legacy, true);
    msikv_error_clear(out_err);
    rc = fetch_from(ctx, MSIKV__MI_LEGACY, ctx->legacy_endpoint,
                    ctx->legacy_secret, resource, out_token, out_err);
  }
  return rc;
}

static msikv_result mi_get_token(void *vctx, const char *scope,
                                 const char *tenant_id, msikv_token *out_token,
                                 msikv_error *out_err) {
  (void)tenant_id; /* A managed identity belongs to one tenant. */
  mi_ctx *ctx = vctx;
  msikv_error_clear(out_err);
  char *resource = NULL;
  msikv_result rc = msikv__scope_to_resource(scope, &resource, out_err);
  if (rc) {
    msikv_error_prefix(out_err, "%s", ctx->name);
    return rc;
  }
  rc = msikv__token_cache_get(ctx->cache, resource, NULL, mi_fetch, ctx,
                              out_token, out_err);
  msikv_free(resource);
  return rc;
}

static void mi_invalidate(void *vctx, const char *scope,
                          const char *tenant_id, const char *rejected_token) {
  (void)scope;
  (void)tenant_id;
  msikv__token_cache_invalidate(((mi_ctx *)vctx)->cache, rejected_token);
}

static const msikv_credential_ops mi_ops = {"ManagedIdentityCredential",
                                            mi_get_token, mi_destroy,
                                            mi_invalidate};

/* Copies an endpoint after checking it: http only for local hosts. */
static msikv_result take_endpoint(const char *value, const char *var,
                                  bool allow_remote_http, char **out,
                                  msikv_error *out_err) {
  msikv_url url;
  msikv_error url_err;
  msikv_error_clear(&url_err);
  if (msikv_url_parse(value, &url, &url_err) != MSIKV_OK)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "ManagedIdentityCredential: %s is not a valid "
                           "URL: %s",
                           var, url_err.message);
  if (strcmp(url.scheme, "http") == 0 && !allow_remote_http &&
      !msikv_host_is_local(url.host))
    return msikv_error_set(out_err, MSIKV_ERR_INSECURE,
                           "ManagedIdentityCredential: %s uses plain http to "
                           "a non-local host (%s); only local managed "
                           "identity endpoints may use http",
                           var, url.host);
  *out = msikv_strdup(value);
  return *out ? MSIKV_OK
              : msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
}

/* Picks the source; fills ctx->source and ctx->endpoint/header_value. */
static msikv_result detect_source(const msikv_identity_options *opts,
                                  mi_ctx *ctx, msikv_error *out_err) {
  const char *ie = msikv__identity_getenv(opts, "IDENTITY_ENDPOINT");
  const char *ih = msikv__identity_getenv(opts, "IDENTITY_HEADER");
  const char *thumb =
      msikv__identity_getenv(opts, "IDENTITY_SERVER_THUMBPRINT");
  const char *imds_ep = msikv__identity_getenv(opts, "IMDS_ENDPOINT");
  const char *me = msikv__identity_getenv(opts, "MSI_ENDPOINT");
  const char *ms = msikv__identity_getenv(opts, "MSI_SECRET");
  const char *site =
      msikv__identity_getenv(opts, "APPSETTING_WEBSITE_SITE_NAME");
  const char *pod =
      msikv__identity_getenv(opts, "AZURE_POD_IDENTITY_AUTHORITY_HOST");
  msikv_result rc;
  if (ie && ih && thumb)
    return msikv_error_set(
        out_err, MSIKV_ERR_UNSUPPORTED,
        "ManagedIdentityCredential: IDENTITY_ENDPOINT, IDENTITY_HEADER and "
        "IDENTITY_SERVER_THUMBPRINT are set, so this is Service Fabric, whose "
        "managed identity is not supported; use a client secret instead");
  if (ie && ih) {
    ctx->source = MSIKV__MI_APP_SERVICE;
    rc = take_endpoint(ie, "IDENTITY_ENDPOINT", false, &ctx->endpoint, out_err);
    if (rc)
      return rc;
    ctx->header_value = msikv_strdup(ih);
    if (me && ms && ctx->header_value) {
      /* A bad MSI_ENDPOINT only means no fallback. */
      rc =
          take_endpoint(me, "MSI_ENDPOINT", false, &ctx->legacy_endpoint, NULL);
      if (rc == MSIKV_OK)
        ctx->legacy_secret = msikv_strdup(ms);
      if (rc == MSIKV_ERR_NOMEM || (rc == MSIKV_OK && !ctx->legacy_secret))
        return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    }
  } else if (ie && imds_ep && !me) {
    return msikv_error_set(
        out_err, MSIKV_ERR_UNSUPPORTED,
        "ManagedIdentityCredential: IDENTITY_ENDPOINT and IMDS_ENDPOINT are "
        "set, so this is Azure Arc, whose managed identity is not supported "
        "yet; use a client secret instead");
  } else if (me && ms) {
    ctx->source = MSIKV__MI_LEGACY;
    rc = take_endpoint(me, "MSI_ENDPOINT", false, &ctx->endpoint, out_err);
    if (rc)
      return rc;
    ctx->header_value = msikv_strdup(ms);
  } else if (ie || me) {
    return msikv_error_set(
        out_err, me ? MSIKV_ERR_UNSUPPORTED : MSIKV_ERR_CONFIG,
        "ManagedIdentityCredential: %s",
        me ? "MSI_ENDPOINT is set without MSI_SECRET, so this is Cloud "
             "Shell, whose managed identity is not supported"
           : "IDENTITY_ENDPOINT is set but IDENTITY_HEADER is missing: "
             "restart the app after enabling its managed identity");
  } else if (site) {
    return msikv_error_set(
        out_err, MSIKV_ERR_UNAVAILABLE,
        "ManagedIdentityCredential: this is App Service "
        "(APPSETTING_WEBSITE_SITE_NAME is set) but its managed identity is "
        "not enabled: IDENTITY_ENDPOINT and IDENTITY_HEADER (or MSI_ENDPOINT "
        "and MSI_SECRET) are missing. Turn the identity on (Identity: "
        "System assigned = On, or add a user-assigned identity), then "
        "restart the app");
  } else {
    ctx->source = MSIKV__MI_IMDS;
    return take_endpoint(pod ? pod : MSIKV_IMDS_HOST_DEFAULT,
                         pod ? "AZURE_POD_IDENTITY_AUTHORITY_HOST"
                             : "the IMDS host",
                         pod != NULL, &ctx->endpoint, out_err);
  }
  if (!ctx->header_value)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  return MSIKV_OK;
}

msikv_result msikv__cred_mi_new(const msikv_identity_options *opts,
                                msikv__mi_id_kind id_kind, const char *id_value,
                                msikv_credential **out_cred,
                                msikv_error *out_err) {
  return msikv__cred_mi_new_ex(opts, id_kind, id_value, NULL, out_cred,
                               out_err);
}

msikv_result msikv__cred_mi_new_ex(const msikv_identity_options *opts,
                                   msikv__mi_id_kind id_kind,
                                   const char *id_value,
                                   const msikv__mi_flags *flags,
                                   msikv_credential **out_cred,
                                   msikv_error *out_err) {
  msikv_credential *cred = NULL;
  msikv_result rc =
      msikv__identity_options_check(opts, "ManagedIdentityCredential", out_err);
  if (rc)
    return rc;
  if (!out_cred)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "ManagedIdentityCredential: out_cred is NULL");
  mi_ctx *ctx = msikv_calloc(1, sizeof(*ctx));
  if (!ctx)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  atomic_init(&ctx->use_legacy, false);
  atomic_init(&ctx->probed, false);
  ctx->probe = flags && flags->probe_imds;
  ctx->transport = opts->transport;
  ctx->clock = opts->clock;
  ctx->delay_scale =
      opts->retry_delay_scale > 0 ? opts->retry_delay_scale : 1.0;
  ctx->id_kind = id_kind;
  rc = detect_source(opts, ctx, out_err);
  if (rc)
    goto out;
  snprintf(ctx->name, sizeof(ctx->name), "ManagedIdentityCredential (%s)",
           msikv__mi_source_name(ctx->source));
  if (id_kind != MSIKV__MI_ID_NONE) {
    if (!msikv__mi_id_param(ctx->source, id_kind)) {
      rc = msikv_error_set(
          out_err, MSIKV_ERR_UNSUPPORTED,
          "%s: the 2017-09-01 protocol (MSI_ENDPOINT) can select a "
          "user-assigned identity only by client id (clientid); set "
          "client_id instead of %s",
          ctx->name,
          id_kind == MSIKV__MI_ID_OBJECT ? "object_id" : "resource_id");
      goto out;
    }
    if (!msikv__mi_id_param(MSIKV__MI_LEGACY, id_kind)) {
      /* The 2017 protocol cannot select this identity: no fallback. */
      msikv_free(ctx->legacy_endpoint);
      ctx->legacy_endpoint = NULL;
      msikv_secret_free(ctx->legacy_secret);
      ctx->legacy_secret = NULL;
    }
    ctx->id_value = msikv_strdup(id_value);
    if (!ctx->id_value) {
      rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
      goto out;
    }
  }
  rc = msikv__token_cache_new(opts->clock, &ctx->cache);
  if (rc) {
    msikv_error_set(out_err, rc, "out of memory");
    goto out;
  }
  rc = msikv_cred_new_custom(&mi_ops, ctx, &cred);
  if (rc) {
    msikv_error_set(out_err, rc, "out of memory");
    goto out;
  }
  rc = msikv__cred_set_name(cred, ctx->name);
  if (rc) {
    msikv_error_set(out_err, rc, "out of memory");
    goto out;
  }
  msikv_log(MSIKV_LOG_INFO, "%s for the %s", ctx->name,
            id_kind == MSIKV__MI_ID_NONE ? "system-assigned identity"
                                         : "user-assigned identity");
  *out_cred = cred;
  return MSIKV_OK;
out:
  if (cred)
    msikv_cred_free(cred); /* Also destroys ctx. */
  else
    mi_destroy(ctx);
  return rc;
}

msikv_result
msikv_cred_managed_identity_new(const msikv_identity_options *opts,
                                const msikv_managed_identity_options *mi,
                                msikv_credential **out_cred,
                                msikv_error *out_err) {
  msikv_error_clear(out_err);
  msikv__mi_id_kind kind = MSIKV__MI_ID_NONE;
  const char *value = NULL;
  int count = 0;
  if (mi) {
    if (mi->client_id && *mi->client_id) {
      kind = MSIKV__MI_ID_CLIENT;
      value = mi->client_id;
      count++;
    }
    if (mi->object_id && *mi->object_id) {
      kind = MSIKV__MI_ID_OBJECT;
      value = mi->object_id;
      count++;
    }
    if (mi->resource_id && *mi->resource_id) {
      kind = MSIKV__MI_ID_RESOURCE;
      value = mi->resource_id;
      count++;
    }
  }
  if (count > 1)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "ManagedIdentityCredential: set at most one of "
                           "client_id, object_id and resource_id");
  if (value) {
    for (const char *c = value; *c; c++) {
      if ((unsigned char)*c <= 0x20 || *c == 0x7f)
        return msikv_error_set(out_err, MSIKV_ERR_ARG,
                               "ManagedIdentityCredential: the identity id "
                               "contains a space or control character");
    }
  }
  return msikv__cred_mi_new(opts, kind, value, out_cred, out_err);
}
