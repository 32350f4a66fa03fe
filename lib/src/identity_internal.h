/* SPDX-License-Identifier: MIT */
/**
 * @file identity_internal.h
 * @brief Pure protocol pieces behind identity.h: expiry parsing, token
 * response parsing, request builders, error mapping, and the token cache.
 */
#ifndef MSIKV_IDENTITY_INTERNAL_H
#define MSIKV_IDENTITY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msikv/buffer.h"
#include "msikv/clock.h"
#include "msikv/credential.h"
#include "msikv/http.h"
#include "msikv/identity.h"
#include "msikv/result.h"
#include "msikv/retry.h"

/* ---- Timing rules ------------------------------------------------------ */

/** Refresh this long before expiry (Go, msal, py). */
#define MSIKV__REFRESH_WINDOW_S 300
/** Wait this long after a refresh attempt before the next one. */
#define MSIKV__REFRESH_BACKOFF_MS 30000
/** Managed-identity tokens living at least this long refresh at half-life. */
#define MSIKV__HALF_LIFE_MIN_S 7200
/** An expiry further than this from now is rejected as mis-parsed. */
#define MSIKV__MAX_TOKEN_LIFETIME_S (48 * 3600)
/** IMDS keeps retrying 410 until this much time has passed. */
#define MSIKV__IMDS_410_PERSIST_MS 70000

/* ---- Environment ------------------------------------------------------- */

/** @return the value of @p name through opts->getenv_fn (or getenv);
 * NULL when unset or empty. Borrowed until the next environment change. */
const char *msikv__identity_getenv(const msikv_identity_options *opts,
                                   const char *name);

/** Checks the shared options: transport set, scale sane.
 * @retval MSIKV_ERR_ARG with a message. */
MSIKV_NODISCARD msikv_result msikv__identity_options_check(
    const msikv_identity_options *opts, const char *who, msikv_error *out_err);

/* ---- Parsing ------------------------------------------------------------ */

/**
 * Parses an expires_on value in any form seen in the wild: epoch seconds;
 * "M/D/YYYY h:mm:ss [AM|PM] +HH:MM" (AM/PM only for hours 1-12, 12 AM is 0,
 * other hours are 24-hour and the designator is ignored); "YYYY-MM-DD
 * HH:MM:SSZ"; RFC 3339 ("T", fractions, Z or +HH:MM); RFC 1123.
 * @retval MSIKV_ERR_PARSE otherwise.
 */
MSIKV_NODISCARD msikv_result msikv__expires_on_parse(const char *text,
                                                     int64_t *out_s);

/**
 * Parses a token response: requires "access_token" and one of "expires_in"
 * (preferred, relative to @p request_time_s) or "expires_on". "refresh_in"
 * sets refresh_on_s. Numbers may be JSON numbers or strings. The expiry must
 * lie in (now_s, now_s + 48 h].
 * @param[out] out_token written only on success; token owned (secret).
 * @retval MSIKV_ERR_PARSE with a message naming the field (never the
 * token), MSIKV_ERR_NOMEM.
 */
MSIKV_NODISCARD msikv_result msikv__token_parse(const char *body, size_t len,
                                                int64_t request_time_s,
                                                int64_t now_s,
                                                msikv_token *out_token,
                                                msikv_error *out_err);

/**
 * Turns a scope into a managed-identity resource: strips one trailing
 * "/.default". Exactly one scope: whitespace inside is rejected.
 * @param[out] out_resource owned (msikv_free).
 * @retval MSIKV_ERR_ARG empty or several scopes, MSIKV_ERR_NOMEM.
 */
MSIKV_NODISCARD msikv_result msikv__scope_to_resource(const char *scope,
                                                      char **out_resource,
                                                      msikv_error *out_err);

/** @return true when @p tenant is non-empty [A-Za-z0-9.-] of sane length. */
bool msikv__tenant_is_valid(const char *tenant);

/* ---- Requests ----------------------------------------------------------- */

/** A built request and the storage its borrowed pointers point into. */
typedef struct msikv__id_request {
  msikv_http_request req;
  msikv_buf url;
  msikv_buf body; /**< Secret buffer (may hold a client secret). */
} msikv__id_request;

void msikv__id_request_init(msikv__id_request *r);
void msikv__id_request_free(msikv__id_request *r);

typedef enum msikv__mi_source {
  MSIKV__MI_APP_SERVICE = 0, /**< 2019-08-01, X-IDENTITY-HEADER. */
  MSIKV__MI_LEGACY = 1,      /**< 2017-09-01, secret header, clientid. */
  MSIKV__MI_IMDS = 2         /**< 2018-02-01, Metadata: true. */
} msikv__mi_source;

typedef enum msikv__mi_id_kind {
  MSIKV__MI_ID_NONE = 0,
  MSIKV__MI_ID_CLIENT = 1,
  MSIKV__MI_ID_OBJECT = 2,
  MSIKV__MI_ID_RESOURCE = 3
} msikv__mi_id_kind;

/** @return the query parameter @p source uses for @p kind ("client_id",
 * "principal_id", "mi_res_id", "object_id", "msi_res_id", "clientid"), or
 * NULL when the source cannot select that kind (or kind is NONE). */
const char *msikv__mi_id_param(msikv__mi_source source, msikv__mi_id_kind kind);

/** @return "App Service", "App Service 2017" or "IMDS". */
const char *msikv__mi_source_name(msikv__mi_source source);

/**
 * Builds a managed-identity token request (pure: no I/O).
 * @param[in] endpoint IDENTITY_ENDPOINT, MSI_ENDPOINT, or for IMDS the host
 * ("http://169.254.169.254"), to which the token path is appended.
 * @param[in] header_value IDENTITY_HEADER or MSI_SECRET (borrowed by the
 * request; must outlive it); ignored for IMDS.
 * @param[in] id_value required unless @p id_kind is NONE.
 * The request sets no_proxy and allow_http.
 */
MSIKV_NODISCARD msikv_result msikv__mi_build_request(
    msikv__mi_source source, const char *endpoint, const char *header_value,
    const char *resource, msikv__mi_id_kind id_kind, const char *id_value,
    msikv__id_request *out, msikv_error *out_err);

/** The retry policy for @p source (IMDS: 404/410/429/5xx, 410 persisting
 * 70 s; others: the default). */
msikv_retry_policy msikv__mi_retry_policy(msikv__mi_source source,
                                          double delay_scale);

/**
 * Maps a non-2xx managed-identity response to a result and message.
 * Docker Desktop's 403 "unreachable network" and IMDS 400 "Identity not
 * found" for a system-assigned identity give MSIKV_ERR_UNAVAILABLE; with an
 * id given the latter is MSIKV_ERR_AUTH naming the parameter sent.
 */
msikv_result msikv__mi_map_error(msikv__mi_source source,
                                 msikv__mi_id_kind id_kind,
                                 const char *id_value, int status,
                                 const char *body, size_t body_len,
                                 msikv_error *out_err);

/**
 * Builds the client-credentials request: POST
 * {authority}/{tenant}/oauth2/v2.0/token, form body grant_type, client_id,
 * client_secret, scope. The body is a secret buffer.
 */
MSIKV_NODISCARD msikv_result msikv__aad_build_request(
    const char *authority, const char *tenant, const char *client_id,
    const char *client_secret, const char *scope, msikv__id_request *out,
    msikv_error *out_err);

/** Maps a non-2xx Entra ID response: the error code into out_err->code, the
 * AADSTS code into inner_code, the description's first line and a hint
 * (7000215 wrong secret, 7000222 expired secret, 700016 unknown app, 90002
 * unknown tenant) into the message. */
msikv_result msikv__aad_map_error(int status, const char *body, size_t body_len,
                                  msikv_error *out_err);

/**
 * Normalises and checks an authority host: https only, no query, trailing
 * '/' removed. @param[out] out owned (msikv_free).
 */
MSIKV_NODISCARD msikv_result msikv__authority_normalize(const char *authority,
                                                        char **out,
                                                        msikv_error *out_err);

/* ---- Token cache -------------------------------------------------------- */

/** Fetches a fresh token; the same contract as msikv_credential_ops. */
typedef msikv_result (*msikv__token_fetch_fn)(void *ctx, const char *scope,
                                              const char *tenant_id,
                                              msikv_token *out_token,
                                              msikv_error *out_err);

typedef struct msikv__token_cache msikv__token_cache;

/** @param[in] clock borrowed; NULL = system. */
MSIKV_NODISCARD msikv_result msikv__token_cache_new(
    const msikv_clock *clock, msikv__token_cache **out_cache);

void msikv__token_cache_free(msikv__token_cache *cache);

/**
 * Returns a valid token for (@p scope, @p tenant_id), calling @p fetch when
 * none is cached or a refresh is due; only one fetch per key runs at a time.
 * Callers keep the still-valid token while another refreshes and wait only
 * when none is valid; waiters on a failed fetch get its error. A failed
 * early refresh is logged and the valid token served; the next attempt waits
 * MSIKV__REFRESH_BACKOFF_MS. Refresh is due at min(refresh_on, expires_on -
 * 5 min) (refresh_on 0: expires_on - 5 min).
 * @param[out] out_token owned copy on success.
 */
MSIKV_NODISCARD msikv_result msikv__token_cache_get(
    msikv__token_cache *cache, const char *scope, const char *tenant_id,
    msikv__token_fetch_fn fetch, void *fetch_ctx, msikv_token *out_token,
    msikv_error *out_err);

/** Number of entries (for tests). */
size_t msikv__token_cache_size(msikv__token_cache *cache);

/* ---- Credential constructors shared with the app default --------------- */

/** As msikv_cred_managed_identity_new() with an explicit id kind. */
MSIKV_NODISCARD msikv_result msikv__cred_mi_new(
    const msikv_identity_options *opts, msikv__mi_id_kind id_kind,
    const char *id_value, msikv_credential **out_cred, msikv_error *out_err);

#endif /* MSIKV_IDENTITY_INTERNAL_H */
