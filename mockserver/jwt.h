/* SPDX-License-Identifier: MIT */
/**
 * @file jwt.h
 * @brief RS256 access tokens: the mock's signing key, issuing tokens as
 * Entra ID does (v1 claims), and verifying them for the mock Key Vault with a
 * cache of verified signatures.
 */
#ifndef MSIKV_MOCK_JWT_H
#define MSIKV_MOCK_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv.h"
#include "msikv/buffer.h"
#include "msikv/result.h"
#include "principals.h"

/** An RSA signing key with its JWKS fields. Opaque. */
typedef struct mock_jwt_key mock_jwt_key;

/** Generates a fresh RSA key of @p bits (2048 in production; slow). */
MSIKV_NODISCARD msikv_result mock_jwt_key_generate(int bits,
                                                   mock_jwt_key **out_key,
                                                   msikv_error *out_err);
/**
 * Loads the PEM private key at @p path, or generates a 2048-bit key and
 * stores it there (mode 0600; a concurrent start wins the race cleanly and
 * both use the stored key).
 */
MSIKV_NODISCARD msikv_result mock_jwt_key_load_or_create(const char *path,
                                                         mock_jwt_key **out_key,
                                                         msikv_error *out_err);
void mock_jwt_key_free(mock_jwt_key *key);
/** @return the key id (borrowed). */
const char *mock_jwt_key_kid(const mock_jwt_key *key);
struct evp_pkey_st;
/** @return the key's OpenSSL EVP_PKEY (borrowed; lives as long as @p key). */
struct evp_pkey_st *mock_jwt_key_pkey(const mock_jwt_key *key);
/** Appends this key's JWK ({"kty":"RSA",...}) to the JSON array @p keys. */
MSIKV_NODISCARD msikv_result mock_jwt_key_add_jwk(const mock_jwt_key *key,
                                                  cJSON *keys);

/** Claims of an issued token; strings borrowed. */
typedef struct mock_jwt_claims {
  const char *aud;
  const char *tid;   /**< iss is https://sts.windows.net/{tid}/ */
  const char *oid;
  const char *appid;
  const char *mirid; /**< xms_mirid for user-assigned identities, or NULL. */
  int64_t iat, nbf, exp;
} mock_jwt_claims;

/** Signs a token into @p out (a secret buffer the caller frees). */
MSIKV_NODISCARD msikv_result mock_jwt_issue(const mock_jwt_key *key,
                                            const mock_jwt_claims *claims,
                                            msikv_buf *out);

/** Issues the access token of @p who for @p aud, valid from @p now_s for
 * @p lifetime_s seconds. */
MSIKV_NODISCARD msikv_result mock_jwt_mint(const mock_jwt_key *key,
                                           const char *tenant_id,
                                           const mock_principal *who,
                                           const char *aud, int64_t now_s,
                                           int64_t lifetime_s, msikv_buf *out);

/** Token verification for the mock Key Vault. Thread-safe. */
typedef struct mock_jwt_verifier mock_jwt_verifier;

/**
 * @param key borrowed, must outlive the verifier.
 * @param audience the accepted `aud` ("https://vault.localhost:8443"); the
 * same with a trailing slash is accepted too.
 * @param tenant_id the accepted `tid`; `iss` must be
 * https://sts.windows.net/{tenant_id}/.
 */
MSIKV_NODISCARD msikv_result mock_jwt_verifier_new(
    const mock_jwt_key *key, const char *audience, const char *tenant_id,
    mock_jwt_verifier **out_verifier);
void mock_jwt_verifier_free(mock_jwt_verifier *v);
/** @return how many signature checks were answered from the cache. */
uint64_t mock_jwt_verifier_cache_hits(mock_jwt_verifier *v);

/**
 * A mock_verify_fn: @p ctx is a mock_jwt_verifier. Checks, in order: shape,
 * signature (cached per token), aud, iss and tid, exp (expired when
 * now_s >= exp), nbf (now_s < nbf). Fills @p out_claims (may be NULL) when
 * the token parses, whatever the status.
 */
mock_token_status mock_jwt_verify(void *ctx, const char *token, int64_t now_s,
                                  mock_claims *out_claims);

/** Base64url without padding; helpers shared with the tests. */
MSIKV_NODISCARD msikv_result mock_b64url_encode(msikv_buf *out,
                                                const void *data, size_t len);
MSIKV_NODISCARD msikv_result mock_b64url_decode(msikv_buf *out,
                                                const char *text, size_t len);

#endif /* MSIKV_MOCK_JWT_H */
