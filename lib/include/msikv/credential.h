/* SPDX-License-Identifier: MIT */
/**
 * @file credential.h
 * @brief One credential interface: get_token(scope) -> token, expiry, refresh.
 *
 * Every credential (managed identity, client secret, and the ones to come) is
 * an opaque msikv_credential with the same calls. Anyone can plug in their own
 * through msikv_cred_new_custom().
 */
#ifndef MSIKV_CREDENTIAL_H
#define MSIKV_CREDENTIAL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "msikv/result.h"

/** An access token. `token` is owned and secret: free with
 * msikv_token_clear(). */
typedef struct msikv_token {
  char *token;          /**< The bearer token; owned, zeroed on clear. */
  int64_t expires_on_s; /**< Unix seconds when it expires. */
  int64_t refresh_on_s; /**< Unix seconds to refresh from; 0 = not given. */
} msikv_token;

/** Zeroes and frees the token string and empties @p token. NULL-safe. */
void msikv_token_clear(msikv_token *token);

/** A credential: an opaque handle, thread-safe. */
typedef struct msikv_credential msikv_credential;

/** What a custom credential implements. */
typedef struct msikv_credential_ops {
  /** Short name used in messages, e.g. "MyCredential". Static. */
  const char *name;
  /**
   * Fetches a token for @p scope (e.g. "https://vault.azure.net/.default").
   * @p tenant_id is the tenant a challenge named, or NULL.
   * On success fills @p out_token (token allocated with msikv_malloc).
   * Return MSIKV_ERR_UNAVAILABLE when this credential does not apply here,
   * so that a chain moves on; any other error stops a chain.
   */
  msikv_result (*get_token)(void *ctx, const char *scope,
                            const char *tenant_id, msikv_token *out_token,
                            msikv_error *out_err);
  /** Frees ctx; may be NULL. */
  void (*destroy)(void *ctx);
  /**
   * Optional (NULL: nothing to drop). A resource rejected @p rejected_token
   * (e.g. Key Vault answered 401): forget it, if it is still the token cached
   * for (@p scope, @p tenant_id), so that the next get_token fetches a new
   * one. A newer token already cached stays. Never log the token.
   */
  void (*invalidate)(void *ctx, const char *scope, const char *tenant_id,
                     const char *rejected_token);
} msikv_credential_ops;

/**
 * Wraps @p ops/@p ctx in a credential (no caching is added: the ops decide).
 * @param[in] ops borrowed; must outlive the credential (usually static).
 * @param[out] out_cred owned; free with msikv_cred_free() (which calls
 * ops->destroy(ctx)).
 */
MSIKV_NODISCARD msikv_result msikv_cred_new_custom(
    const msikv_credential_ops *ops, void *ctx, msikv_credential **out_cred);

/**
 * Gets a token for @p scope. Thread-safe.
 * @param[in] tenant_id optional: the tenant named by a Key Vault challenge.
 * @param[out] out_token on success, an owned copy; clear it with
 * msikv_token_clear(). Untouched on failure.
 */
MSIKV_NODISCARD msikv_result msikv_cred_get_token(msikv_credential *cred,
                                                  const char *scope,
                                                  const char *tenant_id,
                                                  msikv_token *out_token,
                                                  msikv_error *out_err);

/**
 * Says that a resource rejected @p rejected_token, a token this credential
 * gave out for (@p scope, @p tenant_id) (e.g. Key Vault answered 401 with
 * "[TokenExpired]" after clock skew, or the token was revoked). The cache
 * forgets that token only if it still holds exactly it, so the next
 * msikv_cred_get_token() fetches a new one, and concurrent callers that
 * already got a newer token are not disturbed (calling this twice for the
 * same rejected token costs one fetch, not two). A chain forwards it to the
 * link in use; a custom credential without an invalidate op ignores it.
 * Thread-safe; NULL-safe; the token is compared, never logged or kept.
 * @param[in] scope as passed to msikv_cred_get_token().
 * @param[in] tenant_id as passed to msikv_cred_get_token(), or NULL.
 * @param[in] rejected_token the bearer token the resource refused.
 */
void msikv_cred_invalidate_token(msikv_credential *cred, const char *scope,
                                 const char *tenant_id,
                                 const char *rejected_token);

/** @return a static or credential-owned description, e.g.
 * "ManagedIdentityCredential (App Service)"; valid while @p cred lives. */
const char *msikv_cred_name(const msikv_credential *cred);

/** Frees the credential. NULL-safe. */
void msikv_cred_free(msikv_credential *cred);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_CREDENTIAL_H */
