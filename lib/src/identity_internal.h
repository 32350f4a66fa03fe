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

/* ---- Timing rules -------------------------------------------------------- */

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

/* ---- Environment --------------------------------------------------------- */

/** @return the value of @p name through opts->getenv_fn (or getenv);
 * NULL when unset or empty. Borrowed until the next environment change. */
const char *msikv__identity_getenv(const msikv_identity_options *opts,
                                   const char *name);

/** Checks the shared options: transport set, scale sane.
 * @retval MSIKV_ERR_ARG with a message. */
MSIKV_NODISCARD msikv_result msikv__identity_options_check(
    const msikv_identity_options *opts, const char *who, msikv_error *out_err);

/* ---- Parsing ------------------------------------------------------------- */

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

/* ---- Requests ------------------------------------------------------------ */

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

/**
 * Builds the client-assertion request (certificate, workload identity):
 * POST {authority}/{tenant}/oauth2/v2.0/token, form body grant_type,
 * client_id, client_assertion_type (jwt-bearer), client_assertion, scope.
 * The body is a secret buffer.
 */
MSIKV_NODISCARD msikv_result msikv__aad_build_assertion_request(
    const char *authority, const char *tenant, const char *client_id,
    const char *assertion, const char *scope, msikv__id_request *out,
    msikv_error *out_err);

/** The client_assertion_type value for a JWT assertion. */
#define MSIKV__ASSERTION_TYPE_JWT                                              \
  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/**
 * Sends a built Entra ID token request with the default retry policy, maps
 * a non-2xx answer (msikv__aad_map_error) and parses the token.
 */
MSIKV_NODISCARD msikv_result msikv__aad_send(const msikv_transport *transport,
                                             const msikv_clock *clock,
                                             double delay_scale,
                                             const msikv__id_request *r,
                                             msikv_token *out_token,
                                             msikv_error *out_err);

/** @return the authority to use: @p opts->authority_host, else
 * $AZURE_AUTHORITY_HOST, else MSIKV_AUTHORITY_HOST_DEFAULT (borrowed). */
const char *msikv__authority_pick(const msikv_identity_options *opts);

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

/* ---- Token cache --------------------------------------------------------- */

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

/**
 * get_token for the Entra ID credentials (secret, certificate, workload
 * identity): clears @p out_err, refuses a scope with a control character
 * (messages start with @p name), then serves from @p cache, fetching with
 * @p fetch for the credential's own @p tenant_id.
 */
MSIKV_NODISCARD msikv_result msikv__entra_get_token(
    const char *name, msikv__token_cache *cache, const char *scope,
    const char *tenant_id, msikv__token_fetch_fn fetch, void *fetch_ctx,
    msikv_token *out_token, msikv_error *out_err);

/**
 * Forgets @p rejected_token: every entry that still holds exactly that token
 * loses it (its next get fetches at once, with no backoff); entries holding
 * another token, and fetches in flight, are left alone. Keys are not
 * compared, so credentials that map the scope or tenant to their own key
 * need no mapping here. NULL-safe.
 * @return the number of entries that dropped the token.
 */
size_t msikv__token_cache_invalidate(msikv__token_cache *cache,
                                     const char *rejected_token);

/** Number of entries (for tests). */
size_t msikv__token_cache_size(msikv__token_cache *cache);

/* ---- Credential constructors shared with the app default ----------------- */

/** As msikv_cred_managed_identity_new() with an explicit id kind. */
MSIKV_NODISCARD msikv_result msikv__cred_mi_new(
    const msikv_identity_options *opts, msikv__mi_id_kind id_kind,
    const char *id_value, msikv_credential **out_cred, msikv_error *out_err);

/** Managed-identity creation flags. */
typedef struct msikv__mi_flags {
  /** Inside a chain: probe IMDS once (1 s connect timeout, no retries);
   * no answer is MSIKV_ERR_UNAVAILABLE. Ignored for other sources. */
  bool probe_imds;
} msikv__mi_flags;

/** As msikv__cred_mi_new() with flags (NULL = none). */
MSIKV_NODISCARD msikv_result msikv__cred_mi_new_ex(
    const msikv_identity_options *opts, msikv__mi_id_kind id_kind,
    const char *id_value, const msikv__mi_flags *flags,
    msikv_credential **out_cred, msikv_error *out_err);

/** Connect timeout of the chain's IMDS probe. */
#define MSIKV__IMDS_PROBE_CONNECT_MS 1000

/* ---- Client assertions (jwt_assertion.c) --------------------------------- */

/** Lifetime of a client assertion (nbf to exp). */
#define MSIKV__ASSERTION_LIFETIME_S 600
/** Rebuild a cached assertion once it has less than this left. */
#define MSIKV__ASSERTION_REBUILD_MARGIN_S 60

/** A certificate's RSA private key, leaf certificate and chain, loaded from
 * PEM. Opaque (OpenSSL types stay in jwt_assertion.c). Read-only once
 * loaded, so signing from several threads is safe. */
typedef struct msikv__cert_key msikv__cert_key;

/**
 * Loads a PEM file holding a private key (PKCS#8 or PKCS#1, optionally
 * encrypted) and one or more certificates; the leaf is the certificate
 * whose public key matches the key, the others form the chain (x5c).
 * @param[in] password NULL for an unencrypted key. Never prompts.
 * @retval MSIKV_ERR_CONFIG unreadable file, not PEM, no key, no matching
 * certificate, wrong or missing password; MSIKV_ERR_UNSUPPORTED a non-RSA
 * key; MSIKV_ERR_NOMEM.
 */
MSIKV_NODISCARD msikv_result msikv__cert_key_load(const char *path,
                                                  const char *password,
                                                  msikv__cert_key **out,
                                                  msikv_error *out_err);
void msikv__cert_key_free(msikv__cert_key *ck);

/** @return the leaf's SHA-1 and SHA-256 thumbprints, base64url without
 * padding (borrowed from @p ck). */
const char *msikv__cert_key_x5t(const msikv__cert_key *ck);
const char *msikv__cert_key_x5t_s256(const msikv__cert_key *ck);

/**
 * Builds and signs a client assertion: header {"alg":"PS256","typ":"JWT",
 * "x5t#S256"} (RS256: {"alg":"RS256","typ":"JWT","x5t"}) plus "x5c" (the
 * leaf first, standard base64 DER) when @p send_x5c; payload {"aud":
 * token_url, "iss": client_id, "sub": client_id, "jti": random UUID v4,
 * "iat" = "nbf" = now_s, "exp": now_s + MSIKV__ASSERTION_LIFETIME_S}.
 * @param[out] out_jwt owned secret (msikv_secret_free).
 */
MSIKV_NODISCARD msikv_result
msikv__jwt_assertion_build(const msikv__cert_key *ck, const char *token_url,
                           const char *client_id, int64_t now_s, bool rs256,
                           bool send_x5c, char **out_jwt, msikv_error *out_err);

/** Base64url without padding (RFC 7515). */
MSIKV_NODISCARD msikv_result msikv__b64url_encode(msikv_buf *out,
                                                  const void *data, size_t len);

/* ---- Chain and environment (cred_chain.c, cred_environment.c) ------------ */

/**
 * As msikv_cred_environment_new(); @p out_selected (optional) receives the
 * name of the credential the environment configures ("ClientSecretCredential"
 * or "ClientCertificateCredential", static) or NULL when it is incomplete.
 */
MSIKV_NODISCARD msikv_result msikv__cred_environment_new(
    const msikv_identity_options *opts, msikv_credential **out_cred,
    const char **out_selected, msikv_error *out_err);

/** A credential that always answers @p rc with @p message (a link that
 * could not be created: "not configured here"). Name copied. */
MSIKV_NODISCARD msikv_result
msikv__cred_placeholder_new(const char *name, msikv_result rc,
                            const char *message, msikv_credential **out_cred);

/** @return the index of the link that succeeded last (the chain uses only
 * it from then on), or -1; @p chain must come from a chain constructor. */
int msikv__cred_chain_selected(const msikv_credential *chain);

/** Builds the default chain; @p app_default keeps the app-default rule
 * (App Service without an identity fails at creation). */
MSIKV_NODISCARD msikv_result
msikv__cred_default_new(const msikv_identity_options *opts, bool app_default,
                        msikv_credential **out_cred, msikv_error *out_err);

/* ---- Azure CLI (cred_azure_cli.c) ---------------------------------------- */

/** @return true when @p scope is non-empty [A-Za-z0-9_\-.:/]. */
bool msikv__cli_scope_is_valid(const char *scope);

/**
 * Parses `az account get-access-token --output json`: "accessToken", and
 * "expires_on" (epoch seconds, preferred) or "expiresOn" (local time
 * "YYYY-MM-DD HH:MM:SS[.ffffff]").
 * @retval MSIKV_ERR_PARSE naming the field (never the token).
 */
MSIKV_NODISCARD msikv_result msikv__cli_parse_token(const char *out, size_t len,
                                                    int64_t now_s,
                                                    msikv_token *out_token,
                                                    msikv_error *out_err);

#endif /* MSIKV_IDENTITY_INTERNAL_H */
