/* SPDX-License-Identifier: MIT */
/**
 * @file kv_internal.h
 * @brief Key Vault client internals: the client object, the authenticated
 * send, and the pure challenge and JSON parsers (fuzzed).
 */
#ifndef MSIKV_KV_INTERNAL_H
#define MSIKV_KV_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "msikv/keyvault.h"
#include "msikv/url.h"

/* ---- Challenge (kv_challenge.c, pure) ---- */

#define MSIKV__KV_CHALLENGE_FIELD_MAX 512

/** A parsed Bearer challenge. */
typedef struct msikv__kv_challenge {
  char scope[MSIKV__KV_CHALLENGE_FIELD_MAX];  /**< e.g.
                                                 "https://vault.azure.net/.default"
                                               */
  char tenant[MSIKV__KV_CHALLENGE_FIELD_MAX]; /**< First path segment of the
                                                   authorization URI; "" = none.
                                               */
  char resource_host[MSIKV_URL_HOST_MAX];     /**< Host of the scope URL. */
} msikv__kv_challenge;

/**
 * Parses a WWW-Authenticate value: the Bearer challenge's authorization |
 * authorization_uri and resource | scope parameters (quoted or not).
 * scope = scope, or resource without trailing '/' + "/.default".
 * tenant = first path segment of the authorization URI ("adfs" = none).
 * @retval MSIKV_ERR_AUTH with a message when it is not a usable challenge.
 */
MSIKV_NODISCARD msikv_result msikv__kv_challenge_parse(const char *header,
                                                       msikv__kv_challenge *out,
                                                       msikv_error *out_err);

/**
 * @return true when @p vault_host (lower-case) ends with "." +
 * @p challenge->resource_host (case-insensitive).
 */
bool msikv__kv_challenge_host_matches(const msikv__kv_challenge *challenge,
                                      const char *vault_host);

/* ---- JSON (kv_parse.c, pure) ---- */

typedef enum msikv__kv_kind {
  MSIKV__KV_BUNDLE = 0,      /**< SecretBundle. */
  MSIKV__KV_DELETED = 1,     /**< DeletedSecretBundle. */
  MSIKV__KV_ITEM = 2,        /**< SecretItem (list). */
  MSIKV__KV_DELETED_ITEM = 3 /**< DeletedSecretItem (list deleted). */
} msikv__kv_kind;

/**
 * Parses a SecretBundle / DeletedSecretBundle / item from JSON text.
 * Required: "id" (a secrets URL naming the secret) and "attributes" (an
 * object); unknown fields are ignored; a field of the wrong type is an error.
 * @param[in] require_value also require a "value" string.
 * @param[out] out_secret owned; free with msikv_kv_secret_free().
 * @retval MSIKV_ERR_PARSE with a message, MSIKV_ERR_NOMEM.
 */
MSIKV_NODISCARD msikv_result msikv__kv_secret_parse(
    const char *json, size_t len, msikv__kv_kind kind, bool require_value,
    msikv_kv_secret **out_secret, msikv_error *out_err);

/** As msikv__kv_secret_parse() over an already parsed object (cJSON *). */
MSIKV_NODISCARD msikv_result msikv__kv_secret_from_json(
    const void *obj, msikv__kv_kind kind, bool require_value,
    msikv_kv_secret **out_secret, msikv_error *out_err);

/**
 * Reads a Key Vault error body {"error":{"code","message","innererror":
 * {"code"}}} into @p err's code, inner_code and @p out_message (borrowed
 * size). Never fails: missing parts stay empty.
 */
void msikv__kv_error_body_parse(const char *json, size_t len, msikv_error *err,
                                char *out_message, size_t message_size);

/* ---- Request bodies (kv_body.c, pure) ---- */

/** @return true when @p len bytes of @p text are well-formed UTF-8. */
bool msikv__kv_utf8_valid(const char *text, size_t len);

/** Appends @p text as a JSON string literal (quotes and escapes). */
MSIKV_NODISCARD msikv_result msikv__kv_json_string(msikv_buf *out,
                                                   const char *text);

/** Checks content type, tags and times against the service limits. */
MSIKV_NODISCARD msikv_result msikv__kv_check_options(
    const msikv_kv_secret_options *opts, msikv_error *out_err);

/**
 * Writes {"value":..,"contentType":..,"attributes":{..},"tags":{..}} into
 * @p out (a secret buffer when @p value is set). @p value NULL leaves it
 * out (update); @p opts NULL sends no property.
 */
MSIKV_NODISCARD msikv_result msikv__kv_build_body(
    msikv_buf *out, const char *value, const msikv_kv_secret_options *opts);

/* ---- Errors and validation (kv_errors.c) ---- */

/** Checks a secret name; sets an MSIKV_ERR_ARG message naming @p what. */
MSIKV_NODISCARD msikv_result msikv__kv_check_name(const char *name,
                                                  const char *what,
                                                  msikv_error *out_err);

/**
 * Maps a non-2xx response to a result and fills @p out_err (status, code,
 * inner code, message with what to do). @p op is e.g. "get_secret".
 */
msikv_result msikv__kv_error_from_response(const msikv_http_response *resp,
                                           const char *op, const char *name,
                                           msikv_error *out_err);

/* ---- The client (kv_client.c) ---- */

struct msikv_kv_client {
  msikv_credential *cred;           /**< Borrowed. */
  const msikv_transport *transport; /**< Borrowed. */
  const msikv_clock *clock;         /**< Borrowed; NULL = system. */
  msikv_retry_policy retry;
  char *api_version; /**< Owned. */
  char *vault_url;   /**< Owned: "https://authority". */
  char authority[MSIKV_URL_HOST_MAX + 8];
  char host[MSIKV_URL_HOST_MAX];
  bool verify_challenge_resource;
  long poll_timeout_ms;
  long poll_interval_ms;
  size_t max_value_bytes;
  size_t max_response_bytes;
  long timeout_ms;
  int page_size;
  pthread_mutex_t lock; /**< Guards everything below. */
  bool has_challenge;
  msikv__kv_challenge challenge;
  msikv_token token; /**< Cached token (secret). */
};

/** A request body; may be secret (it is never logged). */
typedef struct msikv__kv_body {
  const char *data;
  size_t len;
} msikv__kv_body;

/**
 * Sends one authenticated request to @p url (which must be on the vault's
 * authority), doing the challenge dance and retries. On MSIKV_OK,
 * @p out_resp holds the final response, whatever its status.
 * @param[in] body NULL for no body.
 */
MSIKV_NODISCARD msikv_result msikv__kv_send(msikv_kv_client *client,
                                            const char *method, const char *url,
                                            const msikv__kv_body *body,
                                            msikv_http_response *out_resp,
                                            msikv_error *out_err);

/**
 * Builds "vault_url + path + ?api-version=V" into @p out (initialised by the
 * caller). @p path is already safe (names checked).
 */
MSIKV_NODISCARD msikv_result msikv__kv_url(const msikv_kv_client *client,
                                           msikv_buf *out, const char *fmt, ...)
    MSIKV_PRINTF(3, 4);

/**
 * Waits until GET @p url answers 200 (404 or 403 keep/stop waiting as the
 * SDK pollers do), up to the client's poll_timeout_ms.
 * @retval MSIKV_ERR_TIMEOUT when still 404 at the deadline.
 */
MSIKV_NODISCARD msikv_result msikv__kv_poll_until_found(msikv_kv_client *client,
                                                        const char *op,
                                                        const char *name,
                                                        const char *url,
                                                        msikv_error *out_err);

/** Initialises @p resp with the client's body cap. */
void msikv__kv_response_init(const msikv_kv_client *client,
                             msikv_http_response *resp);

/**
 * Sends and, on 2xx, parses the body as a secret of @p kind. On non-2xx
 * maps the error. The common path of most operations.
 */
MSIKV_NODISCARD msikv_result msikv__kv_call_secret(
    msikv_kv_client *client, const char *op, const char *name,
    const char *method, const char *url, const msikv__kv_body *body,
    msikv__kv_kind kind, bool require_value, msikv_kv_secret **out_secret,
    msikv_error *out_err);

#endif /* MSIKV_KV_INTERNAL_H */
