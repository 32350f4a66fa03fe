/* SPDX-License-Identifier: MIT */
/**
 * @file keyvault.h
 * @brief Key Vault secrets client: challenge-based auth, retries, all
 * secret operations.
 *
 * A client is bound to one vault URL and one credential. The first request
 * to the vault goes out without a token and with an empty body; the 401
 * challenge names the tenant and scope, which are cached for the vault's
 * authority ("host" and "host:443" are one). The vault host must end with
 * "." + the challenge resource's host unless verify_challenge_resource is
 * turned off. Bearer tokens are never sent over plain http.
 *
 * Every call is thread-safe on one client. Every returned msikv_kv_secret is
 * owned by the caller and freed with msikv_kv_secret_free(), which zeroes the
 * value.
 */
#ifndef MSIKV_KEYVAULT_H
#define MSIKV_KEYVAULT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msikv/clock.h"
#include "msikv/credential.h"
#include "msikv/http.h"
#include "msikv/result.h"
#include "msikv/retry.h"

/** The api-version sent by default. */
#define MSIKV_KV_API_VERSION_DEFAULT "2025-07-01"
/** Largest secret value accepted by default: 25 KB. */
#define MSIKV_KV_MAX_VALUE_BYTES_DEFAULT ((size_t)25600)
/** Longest secret name (names match ^[0-9a-zA-Z-]{1,127}$). */
#define MSIKV_KV_NAME_MAX 127

/** A Key Vault secrets client: an opaque handle, thread-safe. */
typedef struct msikv_kv_client msikv_kv_client;

/** Client settings. Get them from msikv_kv_client_options_default(). */
typedef struct msikv_kv_client_options {
  /** Borrowed, required: must outlive the client. */
  const msikv_transport *transport;
  /** Borrowed; NULL means the system clock. Used for retries, polling and
   * token lifetimes. */
  const msikv_clock *clock;
  /** Default MSIKV_KV_API_VERSION_DEFAULT ("2025-07-01"). Copied. */
  const char *api_version;
  /** Check that the vault host ends with "." + the challenge resource's
   * host. Default true; set false only for test servers you trust. */
  bool verify_challenge_resource;
  /** Retries for 408, 429 and 5xx (Retry-After, retry-after-ms and
   * x-ms-retry-after-ms honoured; otherwise backoff with jitter). Default
   * msikv_retry_policy_default(). */
  msikv_retry_policy retry;
  /** How long delete and recover wait for the operation to complete
   * (polling 404 then 200). Default 60000. 0 = do not wait. */
  long poll_timeout_ms;
  /** Pause between polls. Default 2000. */
  long poll_interval_ms;
  /** Largest value set_secret accepts. Default 25600 (25 KB). */
  size_t max_value_bytes;
  /** Cap on a response body. Default 0 = MSIKV_HTTP_DEFAULT_MAX_BODY. */
  size_t max_response_bytes;
  /** Per-request timeout passed to the transport; 0 = its default. */
  long timeout_ms;
  /** maxresults for list calls (1-25); 0 = not sent (service default). */
  int page_size;
} msikv_kv_client_options;

/** @return the defaults described above (transport NULL: set it). */
msikv_kv_client_options msikv_kv_client_options_default(void);

/**
 * Creates a client for @p vault_url ("https://NAME.vault.azure.net", with or
 * without a trailing slash, no path).
 * @param[in] ref_cred borrowed; must outlive the client.
 * @param[in] opts required (for the transport); copied.
 * @param[out] out_client owned; free with msikv_kv_client_free().
 * @retval MSIKV_ERR_INSECURE for a non-https vault URL.
 * @retval MSIKV_ERR_ARG for a malformed URL or missing transport/credential.
 */
MSIKV_NODISCARD msikv_result msikv_kv_client_new(
    const char *vault_url, msikv_credential *ref_cred,
    const msikv_kv_client_options *opts, msikv_kv_client **out_client,
    msikv_error *out_err);

/** Frees the client (zeroing any cached token). NULL-safe. */
void msikv_kv_client_free(msikv_kv_client *client);

/** @return the normalised vault URL ("https://host[:port]"), owned by the
 * client, valid while it lives. */
const char *msikv_kv_client_vault_url(const msikv_kv_client *client);

/** One tag: both strings owned by the secret that holds them. */
typedef struct msikv_kv_tag {
  char *name;
  char *value;
} msikv_kv_tag;

/**
 * A secret, a secret's properties (list items, update results carry no
 * value) or a deleted secret. Every pointer is owned by the struct and
 * freed by msikv_kv_secret_free(); absent strings are NULL; absent times
 * are 0. Times are Unix seconds.
 */
typedef struct msikv_kv_secret {
  char *value;            /**< Secret: zeroed on free. NULL when not sent. */
  char *id;               /**< "https://vault/secrets/NAME[/VERSION]". */
  char *name;             /**< From the id. */
  char *version;          /**< From the id; NULL for versionless list items. */
  char *content_type;
  msikv_kv_tag *tags;     /**< tag_count entries; NULL when none. */
  size_t tag_count;
  bool enabled;           /**< attributes.enabled (true when not sent). */
  int64_t nbf;            /**< Not before, Unix seconds; 0 = absent. */
  int64_t exp;            /**< Expires, Unix seconds; 0 = absent. */
  int64_t created;        /**< Unix seconds; 0 = absent. */
  int64_t updated;        /**< Unix seconds; 0 = absent. */
  char *recovery_level;   /**< e.g. "Recoverable+Purgeable". */
  int recoverable_days;   /**< 0 = absent. */
  bool managed;           /**< Backs a certificate. */
  char *kid;              /**< Certificate-backed secrets only. */
  char *previous_version; /**< 2025-07-01 only. */
  /* Deleted secrets only. */
  char *recovery_id;            /**< "https://vault/deletedsecrets/NAME". */
  int64_t deleted_date;         /**< Unix seconds; 0 = absent. */
  int64_t scheduled_purge_date; /**< Unix seconds; 0 = absent. */
} msikv_kv_secret;

/** Frees @p secret and all it owns, zeroing the value. NULL-safe. */
void msikv_kv_secret_free(msikv_kv_secret *secret);

/** @return true when @p name matches ^[0-9a-zA-Z-]{1,127}$. */
bool msikv_kv_name_is_valid(const char *name);

/**
 * Gets a secret with its value.
 * @param[in] version NULL or "" for the latest version.
 * @param[out] out_secret owned; free with msikv_kv_secret_free().
 * @retval MSIKV_ERR_ARG bad name or version (no request is sent).
 * @retval MSIKV_ERR_NOT_FOUND 404 (SecretNotFound).
 * @retval MSIKV_ERR_FORBIDDEN 403: the message names the principal when the
 * service did.
 * @retval MSIKV_ERR_AUTH 401 after re-authenticating, or a bad challenge.
 * @retval MSIKV_ERR_THROTTLED 429 after the retries.
 * @retval MSIKV_ERR_PARSE the answer was not a SecretBundle with a value.
 */
MSIKV_NODISCARD msikv_result msikv_kv_get_secret(msikv_kv_client *client,
                                                 const char *name,
                                                 const char *version,
                                                 msikv_kv_secret **out_secret,
                                                 msikv_error *out_err);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_KEYVAULT_H */
