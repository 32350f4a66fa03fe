/* SPDX-License-Identifier: MIT */
/**
 * @file kv.h
 * @brief The mock Key Vault: vaults, secrets, access policies and the secrets
 * REST surface as a pure handler over mock_request / mock_response.
 *
 * The platform (server.c, jwt.c) owns sockets, TLS and token signing; it
 * routes every request whose host satisfies mock_kv_host_matches() to
 * mock_kv_handle() and supplies a verify function for bearer tokens.
 * Behaviour, error texts and the seed format: docs/mock-keyvault.md.
 */
#ifndef MSIKV_MOCK_KV_H
#define MSIKV_MOCK_KV_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mock_http.h"
#include "msikv/result.h"

/** What a token verifier found. */
typedef enum mock_token_status {
  MOCK_TOKEN_OK,
  MOCK_TOKEN_MALFORMED,
  MOCK_TOKEN_BAD_SIGNATURE,
  MOCK_TOKEN_WRONG_AUDIENCE,
  MOCK_TOKEN_WRONG_ISSUER,
  MOCK_TOKEN_EXPIRED,
  MOCK_TOKEN_NOT_YET_VALID
} mock_token_status;

/** The claims the mock Key Vault uses (NUL-terminated, truncated to fit). */
typedef struct mock_claims {
  char oid[64];
  char appid[64];
  char tid[64];
  char iss[160];
  char aud[256];
  int64_t iat, nbf, exp;
} mock_claims;

/**
 * Supplied by the platform: verifies signature, aud, iss, tid, nbf, exp
 * against @p now_s. Fills @p out_claims as far as the token could be read
 * (also on WRONG_AUDIENCE / WRONG_ISSUER, so the 401 can name what it found).
 * Called without any mock_kv lock held; must be thread-safe.
 */
typedef mock_token_status (*mock_verify_fn)(void *ctx, const char *token,
                                            int64_t now_s,
                                            mock_claims *out_claims);

/** Configuration; strings are copied by mock_kv_new(). */
typedef struct mock_kv_config {
  const char *dns_suffix; /**< "vault.localhost" */
  int port;               /**< TLS listener port (ids, nextLink, challenge) */
  const char *authority;  /**< "https://login.localhost:PORT" */
  const char *tenant_id;
  size_t max_value_bytes; /**< 25600; 0 means 25600 */
  int recoverable_days;   /**< 90; 0 means 90 */
  mock_verify_fn verify;  /**< NULL: every token is rejected as malformed */
  void *verify_ctx;
} mock_kv_config;

/** The mock Key Vault state. Thread-safe inside. */
typedef struct mock_kv mock_kv;

/** Default identities (docs/mock-keyvault.md). */
#define MOCK_KV_TENANT_ID "11111111-2222-3333-4444-555555555555"
#define MOCK_KV_MI_OBJECT_ID "aaaaaaaa-0000-4000-8000-000000000002"
#define MOCK_KV_MI_APP_ID "aaaaaaaa-0000-4000-8000-000000000001"
#define MOCK_KV_UAMI_OBJECT_ID "cccccccc-0000-4000-8000-000000000002"
#define MOCK_KV_SP_OBJECT_ID "bbbbbbbb-0000-4000-8000-000000000002"
#define MOCK_KV_SP_APP_ID "bbbbbbbb-0000-4000-8000-000000000001"
#define MOCK_KV_DENIED_OBJECT_ID "dddddddd-0000-4000-8000-000000000002"
/** The workload-identity service principal (federated credential): get. */
#define MOCK_KV_WORKLOAD_OBJECT_ID "f0f0f0f0-0000-4000-8000-000000000002"
#define MOCK_KV_DEFAULT_VAULT "demo"
#define MOCK_KV_DEFAULT_SECRET "secret"
#define MOCK_KV_DEFAULT_VALUE "Hello from the msikv mock Key Vault"

/**
 * Creates an empty mock Key Vault (no vaults: seed it).
 * @param[in] cfg copied; dns_suffix, authority and tenant_id are required.
 * @param[out] out owned; free with mock_kv_free().
 * @retval MSIKV_ERR_ARG bad config, MSIKV_ERR_NOMEM.
 */
MSIKV_NODISCARD msikv_result mock_kv_new(const mock_kv_config *cfg,
                                         mock_kv **out);

/** Frees everything (secret values zeroed). NULL-safe. */
void mock_kv_free(mock_kv *kv);

/**
 * Replaces all state with the default: vault "demo" holding secret "secret",
 * with the default identities' access policies.
 */
MSIKV_NODISCARD msikv_result mock_kv_seed_default(mock_kv *kv);

/**
 * Replaces all state with @p vaults, the seed file's "vaults" array (format
 * in docs/mock-keyvault.md). On failure the state is unchanged and
 * @p err says which element was wrong (MSIKV_ERR_CONFIG).
 */
MSIKV_NODISCARD msikv_result mock_kv_seed_json(mock_kv *kv, const cJSON *vaults,
                                               msikv_error *err);

/**
 * After each later delete (recover), GET /deletedsecrets/{n}
 * (GET /secrets/{n}) answers 404 for @p ms milliseconds of the mock clock.
 */
void mock_kv_set_replication_lag_ms(mock_kv *kv, int64_t ms);

/** @return true when @p host is {vault}.{dns_suffix}[:port]
 * (case-insensitive), whether or not that vault exists. */
bool mock_kv_host_matches(const mock_kv *kv, const char *host);

/**
 * Persistence. From now on every successful write (any request other than
 * GET that gets a 2xx) saves the whole state to @p path before its reply is
 * returned: temp file, fsync, rename, fsync of the directory. A failed save
 * turns the reply into a 500. NULL turns persistence off.
 * @retval MSIKV_ERR_NOMEM.
 */
MSIKV_NODISCARD msikv_result mock_kv_set_state_file(mock_kv *kv,
                                                    const char *path);
/**
 * Replaces all state with the state file @p path (written by this mock).
 * @retval MSIKV_ERR_NOT_FOUND the file does not exist (state unchanged);
 * MSIKV_ERR_CONFIG unreadable or malformed, with @p out_err naming what.
 */
MSIKV_NODISCARD msikv_result mock_kv_load_state(mock_kv *kv, const char *path,
                                                msikv_error *out_err);
/** Saves the state now (e.g. after seeding or a reset); no-op without a
 * state file. */
MSIKV_NODISCARD msikv_result mock_kv_save_state(mock_kv *kv,
                                                msikv_error *out_err);

/**
 * Answers one Key Vault request. Always fills @p resp (status, headers,
 * body); @p resp must have been initialised with mock_response_init().
 */
void mock_kv_handle(mock_kv *kv, const mock_request *req, mock_response *resp);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_MOCK_KV_H */
