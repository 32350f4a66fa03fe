/* SPDX-License-Identifier: MIT */
/**
 * @file kv_internal.h
 * @brief Shared between the mock Key Vault's files (kv_*.c) only.
 *
 * Locking: mock_kv.lock guards vaults, lag_ms and everything below them.
 * Handlers take it after token verification and hold it for the rest of the
 * request.
 */
#ifndef MSIKV_MOCK_KV_INTERNAL_H
#define MSIKV_MOCK_KV_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kv.h"
#include "msikv/buffer.h"

#define KV_NAME_MAX 127
#define KV_VERSION_LEN 32
#define KV_MAX_TAGS 15
#define KV_TAG_NAME_MAX 512
#define KV_TAG_VALUE_MAX 512
#define KV_CONTENT_TYPE_MAX 255
#define KV_PAGE_MAX 25

/** Secret permissions, one bit each. */
enum {
  KV_PERM_GET = 1u << 0,
  KV_PERM_LIST = 1u << 1,
  KV_PERM_SET = 1u << 2,
  KV_PERM_DELETE = 1u << 3,
  KV_PERM_RECOVER = 1u << 4,
  KV_PERM_PURGE = 1u << 5,
  KV_PERM_BACKUP = 1u << 6,
  KV_PERM_RESTORE = 1u << 7,
  KV_PERM_ALL = (1u << 8) - 1
};

/** One version of a secret. */
typedef struct kv_version {
  char version[KV_VERSION_LEN + 1];
  char *value;        /**< owned; freed with msikv_secret_free */
  char *content_type; /**< owned or NULL */
  cJSON *tags;        /**< owned object or NULL */
  bool enabled;
  bool has_nbf, has_exp;
  int64_t nbf_s, exp_s;
  int64_t created_s, updated_s;
  char previous[KV_VERSION_LEN + 1]; /**< "" when first */
} kv_version;

/** A secret: its versions in creation order (the last is the latest). */
typedef struct kv_secret {
  char name[KV_NAME_MAX + 1]; /**< as first created */
  kv_version *versions;
  size_t version_count, version_cap;
  bool deleted;
  int64_t deleted_s, purge_s;
  /** Replication lag: 404 until this time (ms) for GET /deletedsecrets/{n}
   * when deleted, and for GET /secrets/{n} after a recover. */
  int64_t hidden_until_ms;
} kv_secret;

typedef struct kv_policy {
  char object_id[64];
  unsigned perms;
} kv_policy;

typedef struct kv_vault {
  char name[32]; /**< lower-case */
  char location[64];
  kv_secret **secrets;
  size_t secret_count, secret_cap;
  kv_policy *policies;
  size_t policy_count;
} kv_vault;

struct mock_kv {
  char *dns_suffix; /**< lower-case */
  int port;
  char *authority; /**< without trailing slash */
  char *tenant_id;
  size_t max_value_bytes;
  int recoverable_days;
  mock_verify_fn verify;
  void *verify_ctx;
  char resource[320];  /**< "https://vault.localhost:8443" */
  char challenge[768]; /**< the WWW-Authenticate value */
  pthread_mutex_t lock;
  kv_vault **vaults;
  size_t vault_count;
  int64_t lag_ms;
  char *state_file; /**< owned; NULL: not persisted */
};

/* kv_store.c */
void mock_kv__vaults_free(kv_vault **vaults, size_t count);
void mock_kv__secret_free(kv_secret *secret);
kv_vault *mock_kv__vault_find(const mock_kv *kv, const char *name);
/** @return the secret named @p name (case-insensitive), deleted or not. */
kv_secret *mock_kv__secret_find(const kv_vault *vault, const char *name);
/** Creates an empty secret in @p vault. @retval MSIKV_ERR_NOMEM. */
MSIKV_NODISCARD msikv_result mock_kv__secret_add(kv_vault *vault,
                                                 const char *name,
                                                 kv_secret **out);
/** Removes (and frees) @p secret from @p vault. */
void mock_kv__secret_remove(kv_vault *vault, kv_secret *secret);
/** Appends a zeroed version (enabled) and fills in a fresh version id. */
MSIKV_NODISCARD msikv_result mock_kv__version_add(kv_secret *secret,
                                                  kv_version **out);
void mock_kv__version_clear(kv_version *v);
kv_version *mock_kv__version_find(const kv_secret *secret, const char *version);
static inline kv_version *mock_kv__latest(const kv_secret *s) {
  return s->version_count ? &s->versions[s->version_count - 1] : NULL;
}
/** Purges deleted secrets whose scheduled purge date has passed. */
void mock_kv__auto_purge(kv_vault *vault, int64_t now_s);
unsigned mock_kv__perms_for(const kv_vault *vault, const char *object_id);
/** @return true when @p name matches ^[0-9a-zA-Z-]{1,127}$. */
bool mock_kv__name_valid(const char *name);
/** Fills @p out with @p n_bytes random bytes as lower-case hex. */
void mock_kv__random_hex(char *out, size_t n_bytes);

/* kv_json.c */
/** Base64url without padding. */
MSIKV_NODISCARD msikv_result mock_kv__b64url_encode(msikv_buf *out,
                                                    const unsigned char *data,
                                                    size_t len);
/** Accepts base64url or base64, with or without padding. */
MSIKV_NODISCARD msikv_result mock_kv__b64_decode(msikv_buf *out,
                                                 const char *text, size_t len);

/** What mock_kv__secret_json() writes. */
enum {
  KV_F_VALUE = 1u << 0,      /**< "value" (SecretBundle from get/set) */
  KV_F_VERSION_ID = 1u << 1, /**< id ends in /{version} (bundles, versions) */
  KV_F_DELETED = 1u << 2,    /**< recoveryId, deletedDate, scheduledPurgeDate */
  KV_F_PREVIOUS = 1u << 3    /**< previousVersion (2025 api-versions) */
};
/**
 * Builds a SecretBundle / SecretItem / Deleted* object for version @p v of
 * @p s; @p base is "https://{vault host}". @return owned, or NULL on OOM.
 */
cJSON *mock_kv__secret_json(const mock_kv *kv, const char *base,
                            const kv_secret *s, const kv_version *v,
                            unsigned flags);
/** {"error":{"code","message","innererror":{"code"}}}; @p inner may be NULL.
 * @return owned, or NULL on OOM. */
cJSON *mock_kv__error_json(const char *code, const char *inner,
                           const char *message);

/* kv_backup.c */
/** Writes the opaque backup blob of @p secret (base64url) into @p out. */
MSIKV_NODISCARD msikv_result mock_kv__backup_encode(const kv_secret *secret,
                                                    msikv_buf *out);
/**
 * Decodes a blob into a new, unlinked secret (free with
 * mock_kv__secret_free). @retval MSIKV_ERR_PARSE corrupt, MSIKV_ERR_NOMEM.
 */
MSIKV_NODISCARD msikv_result mock_kv__backup_decode(const char *blob,
                                                    size_t len,
                                                    kv_secret **out);
/** One version as JSON (value included; shared by backups and the state
 * file). @return owned, or NULL on OOM. */
cJSON *mock_kv__version_json(const kv_version *v);
/** Appends the version @p jv describes to @p s (version id kept).
 * @retval MSIKV_ERR_PARSE malformed or duplicate, MSIKV_ERR_NOMEM. */
MSIKV_NODISCARD msikv_result mock_kv__version_from_json(kv_secret *s,
                                                        const cJSON *jv);

/* kv_persist.c */
/** Saves the whole state to kv->state_file; the caller holds kv->lock.
 * No-op without a state file. */
MSIKV_NODISCARD msikv_result mock_kv__persist_locked(mock_kv *kv,
                                                     msikv_error *out_err);

#endif /* MSIKV_MOCK_KV_INTERNAL_H */
