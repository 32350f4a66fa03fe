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
MSIKV_NODISCARD msikv_result
msikv_kv_client_new(const char *vault_url, msikv_credential *ref_cred,
                    const msikv_kv_client_options *opts,
                    msikv_kv_client **out_client, msikv_error *out_err);

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
  char *value;   /**< Secret: zeroed on free. NULL when not sent. */
  char *id;      /**< "https://vault/secrets/NAME[/VERSION]". */
  char *name;    /**< From the id. */
  char *version; /**< From the id; NULL for versionless list items. */
  char *content_type;
  msikv_kv_tag *tags; /**< tag_count entries; NULL when none. */
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

/** A tag to send: both strings borrowed for the call. */
typedef struct msikv_kv_tag_ref {
  const char *name;  /**< At most 512 characters. */
  const char *value; /**< At most 512 characters. */
} msikv_kv_tag_ref;

/** Most tags a secret may carry. */
#define MSIKV_KV_MAX_TAGS 15

/**
 * Properties to send with set_secret or update_secret_properties. Get it
 * from msikv_kv_secret_options_default() (sends nothing). All pointers are
 * borrowed for the call.
 */
typedef struct msikv_kv_secret_options {
  const char *content_type;     /**< NULL = not sent; at most 255 chars. */
  const msikv_kv_tag_ref *tags; /**< tag_count entries (at most 15). */
  size_t tag_count;
  /** Send "tags" even when tag_count is 0 (update: clears the tags). Tags
   * are always sent when tag_count > 0. */
  bool set_tags;
  bool set_enabled; /**< Send attributes.enabled = enabled. */
  bool enabled;
  int64_t nbf; /**< Not before, Unix seconds; 0 = not sent. */
  int64_t exp; /**< Expires, Unix seconds; 0 = not sent. */
} msikv_kv_secret_options;

/** @return options that send no property. */
msikv_kv_secret_options msikv_kv_secret_options_default(void);

/**
 * Sets a secret (PUT /secrets/NAME): a new version each call.
 * @param[in] value the secret (NUL-terminated); at most max_value_bytes.
 * @param[in] opts NULL for none.
 * @param[out] out_secret optional (NULL to ignore): the new version, owned;
 * free with msikv_kv_secret_free().
 * @retval MSIKV_ERR_TOO_LARGE value over max_value_bytes (nothing sent).
 * @retval MSIKV_ERR_CONFLICT 409: the name belongs to a deleted secret.
 */
MSIKV_NODISCARD msikv_result
msikv_kv_set_secret(msikv_kv_client *client, const char *name,
                    const char *value, const msikv_kv_secret_options *opts,
                    msikv_kv_secret **out_secret, msikv_error *out_err);

/**
 * Updates a version's properties (PATCH /secrets/NAME/VERSION): content
 * type, enabled, nbf, exp, tags. The value cannot change.
 * @param[in] version NULL or "" for the latest version.
 * @param[out] out_secret optional: the properties (no value), owned.
 */
MSIKV_NODISCARD msikv_result msikv_kv_update_secret_properties(
    msikv_kv_client *client, const char *name, const char *version,
    const msikv_kv_secret_options *opts, msikv_kv_secret **out_secret,
    msikv_error *out_err);

/**
 * Deletes a secret (all versions) and waits, up to poll_timeout_ms, until
 * the deleted secret can be read (polling GET /deletedsecrets/NAME: 404
 * then 200). Without soft delete (no recoveryId) it returns at once.
 * @param[out] out_deleted optional: the deleted secret, owned.
 * @retval MSIKV_ERR_TIMEOUT the delete started but was not complete in time
 * (out_deleted untouched).
 */
MSIKV_NODISCARD msikv_result
msikv_kv_delete_secret(msikv_kv_client *client, const char *name,
                       msikv_kv_secret **out_deleted, msikv_error *out_err);

/**
 * Gets a deleted secret (GET /deletedsecrets/NAME): properties, recovery id,
 * deletion and purge dates; no value.
 * @param[out] out_deleted owned; free with msikv_kv_secret_free().
 */
MSIKV_NODISCARD msikv_result msikv_kv_get_deleted_secret(
    msikv_kv_client *client, const char *name, msikv_kv_secret **out_deleted,
    msikv_error *out_err);

/**
 * Recovers a deleted secret (POST /deletedsecrets/NAME/recover) and waits,
 * up to poll_timeout_ms, until the secret can be read (GET /secrets/NAME/:
 * 404 then 200).
 * @param[out] out_secret optional: the recovered properties (no value).
 * @retval MSIKV_ERR_TIMEOUT the recovery was not complete in time.
 */
MSIKV_NODISCARD msikv_result msikv_kv_recover_deleted_secret(
    msikv_kv_client *client, const char *name, msikv_kv_secret **out_secret,
    msikv_error *out_err);

/** Purges a deleted secret for good (DELETE /deletedsecrets/NAME, 204). */
MSIKV_NODISCARD msikv_result msikv_kv_purge_deleted_secret(
    msikv_kv_client *client, const char *name, msikv_error *out_err);

/**
 * Backs up all versions of a secret (POST /secrets/NAME/backup).
 * @param[out] out_blob the opaque base64url blob, owned; free with
 * msikv_secret_free() (it is encrypted, but treat it with care).
 */
MSIKV_NODISCARD msikv_result msikv_kv_backup_secret(msikv_kv_client *client,
                                                    const char *name,
                                                    char **out_blob,
                                                    msikv_error *out_err);

/**
 * Restores a backup blob into this vault (POST /secrets/restore).
 * @param[in] blob as returned by msikv_kv_backup_secret().
 * @param[out] out_secret optional: the restored properties (no value).
 * @retval MSIKV_ERR_CONFLICT the name exists (or is deleted) in this vault.
 */
MSIKV_NODISCARD msikv_result
msikv_kv_restore_secret(msikv_kv_client *client, const char *blob,
                        msikv_kv_secret **out_secret, msikv_error *out_err);

/**
 * An iterator over a listing. It holds at most one page at a time and
 * follows nextLink until it is null (short or empty pages do not end the
 * list). Use it from one thread at a time; it borrows the client, which
 * must outlive it. Nothing is sent until the first next().
 */
typedef struct msikv_kv_secret_iter msikv_kv_secret_iter;

/** Lists the latest version of every secret (GET /secrets): items carry
 * properties, no value and no version. */
MSIKV_NODISCARD msikv_result
msikv_kv_list_secrets(msikv_kv_client *client, msikv_kv_secret_iter **out_iter,
                      msikv_error *out_err);

/** Lists every version of one secret (GET /secrets/NAME/versions). */
MSIKV_NODISCARD msikv_result msikv_kv_list_secret_versions(
    msikv_kv_client *client, const char *name, msikv_kv_secret_iter **out_iter,
    msikv_error *out_err);

/** Lists deleted secrets (GET /deletedsecrets), with recovery fields. */
MSIKV_NODISCARD msikv_result msikv_kv_list_deleted_secrets(
    msikv_kv_client *client, msikv_kv_secret_iter **out_iter,
    msikv_error *out_err);

/**
 * Advances the iterator.
 * @param[out] out_item the next item, owned (free with
 * msikv_kv_secret_free()), or NULL when the listing is over (MSIKV_OK).
 * @retval an error from fetching or parsing a page; the iterator may then
 * only be freed.
 */
MSIKV_NODISCARD msikv_result
msikv_kv_secret_iter_next(msikv_kv_secret_iter *iter,
                          msikv_kv_secret **out_item, msikv_error *out_err);

/** Frees the iterator. NULL-safe. */
void msikv_kv_secret_iter_free(msikv_kv_secret_iter *iter);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_KEYVAULT_H */
