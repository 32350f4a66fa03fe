/* SPDX-License-Identifier: MIT */
/**
 * @file kv_source.h
 * @brief The real secret source: application credential + Key Vault client.
 *
 * The credential is msikv_cred_app_default_new(): the managed identity on App
 * Service, the client secret from AZURE_* elsewhere. Every HTTP request goes
 * through one libcurl transport (SSL_CERT_FILE honoured), counted in the
 * metrics as a token request or a Key Vault request. The principal shown on
 * the page comes from the claims of the token the Key Vault client used.
 */
#ifndef MSIKV_APP_KV_SOURCE_H
#define MSIKV_APP_KV_SOURCE_H

#include "config.h"
#include "metrics.h"
#include "msikv/clock.h"
#include "msikv/http.h"
#include "msikv/result.h"
#include "secret_cache.h"

typedef struct app_kv_source app_kv_source;

/** Seams for tests; zero/NULL members take the real thing. */
typedef struct app_kv_source_options {
  /** Borrowed; NULL = a new libcurl transport (SSL_CERT_FILE honoured). */
  const msikv_transport *transport;
  /** Borrowed; NULL = the system clock. */
  const msikv_clock *clock;
  /** Environment for the credential; NULL = getenv(). */
  const char *(*getenv_fn)(void *ctx, const char *name);
  void *getenv_ctx;
  /** Multiplies retry delays; 0 means 1.0. */
  double retry_delay_scale;
} app_kv_source_options;

/**
 * Builds the transport, the credential and the Key Vault client for
 * @p cfg->vault_url and @p cfg->secret_name.
 * @param[in] cfg, metrics borrowed; must outlive the source (metrics may be
 * NULL).
 * @param[out] out_source owned; free with app_kv_source_free().
 * @return the credential's error (MSIKV_ERR_UNAVAILABLE: managed identity not
 * enabled; MSIKV_ERR_CONFIG: no service principal) or the client's, with a
 * message in @p out_err.
 */
MSIKV_NODISCARD msikv_result app_kv_source_new(const app_config *cfg,
                                               app_metrics *metrics,
                                               app_kv_source **out_source,
                                               msikv_error *out_err);

/** As app_kv_source_new(), with seams (@p opts may be NULL). */
MSIKV_NODISCARD msikv_result
app_kv_source_new_opts(const app_config *cfg, app_metrics *metrics,
                       const app_kv_source_options *opts,
                       app_kv_source **out_source, msikv_error *out_err);

/** @return the seam the cache uses; ctx is @p source. */
app_secret_source app_kv_source_seam(app_kv_source *source);

/** @return the credential's name, valid while @p source lives. */
const char *app_kv_source_credential_name(const app_kv_source *source);

void app_kv_source_free(app_kv_source *source);

#endif /* MSIKV_APP_KV_SOURCE_H */
