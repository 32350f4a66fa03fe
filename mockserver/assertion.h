/* SPDX-License-Identifier: MIT */
/**
 * @file assertion.h
 * @brief Client assertions for the mock Entra ID: JWTs signed by a
 * principal's registered certificate (RS256/PS256, x5t or x5t#S256), and
 * federated tokens for workload identity (signed by the mock's issuer key and
 * matched against a principal's federated identity credentials). Also mints
 * the federated tokens (the projected service-account token file).
 * Pure functions; thread-safe.
 */
#ifndef MSIKV_MOCK_ASSERTION_H
#define MSIKV_MOCK_ASSERTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msikv/buffer.h"
#include "msikv/result.h"

struct mock_jwt_key;
struct mock_principal;

/** The issuer of the federated tokens the mock mints by default. */
#define MOCK_FEDERATED_ISSUER "https://oidc.localhost/msikv-mock"
/** The audience Entra ID expects in a federated token. */
#define MOCK_FEDERATED_AUDIENCE "api://AzureADTokenExchange"
/** Entra ID accepts an assertion's nbf this far in the future (clock skew). */
#define MOCK_ASSERTION_SKEW_S 300

/** A registered certificate: what Entra ID keeps of it. */
typedef struct mock_cert {
  unsigned char sha1[20];   /**< x5t (SHA-1 of the DER certificate). */
  unsigned char sha256[32]; /**< x5t#S256. */
  unsigned char spki[800];  /**< The public key (DER SubjectPublicKeyInfo). */
  size_t spki_len;
  int64_t not_before_s, not_after_s;
} mock_cert;

/** A federated identity credential registered on a principal. */
typedef struct mock_federated_credential {
  char name[64];
  char issuer[256];
  char subject[256];
  char audience[128]; /**< Default api://AzureADTokenExchange. */
} mock_federated_credential;

/**
 * Reads the first CERTIFICATE block of @p pem (other blocks, such as the
 * private key of a combined PEM file, are ignored). RSA keys only.
 * @retval MSIKV_ERR_CONFIG with a message when there is no usable certificate.
 */
MSIKV_NODISCARD msikv_result mock_cert_from_pem(const char *pem, size_t len,
                                                mock_cert *out,
                                                msikv_error *out_err);

/** Why an assertion was refused: an AADSTS error, ready to send. */
typedef struct mock_assertion_error {
  int status;         /**< 400 or 401. */
  const char *error;  /**< "invalid_client", "invalid_request". */
  int code;           /**< The AADSTS number. */
  char message[1024]; /**< Without the "AADSTS<code>: " prefix. */
} mock_assertion_error;

/**
 * Checks the client_assertion @p assertion presented for @p who at the token
 * endpoint @p token_url (its `aud`), at mock time @p now_s.
 * - `iss` equal to the client id: a certificate assertion. Needs `sub` =
 *   `iss` = client id, `aud` = @p token_url, a valid `exp` (and `nbf`), an
 *   `x5t#S256` or `x5t` header matching the registered certificate, and an
 *   RS256 or PS256 signature by it.
 * - otherwise: a federated token. Needs an RS256 signature by @p issuer_key,
 *   valid times, and a federated credential of @p who whose issuer, subject
 *   and audience match `iss`, `sub` and (one of) `aud`.
 * @return true when accepted; false with @p out filled.
 */
bool mock_assertion_check(const struct mock_principal *who,
                          const struct mock_jwt_key *issuer_key,
                          const char *assertion, const char *token_url,
                          int64_t now_s, mock_assertion_error *out);

/** What a minted federated token says. Strings borrowed. */
typedef struct mock_federated_claims {
  const char *issuer;   /**< NULL: MOCK_FEDERATED_ISSUER. */
  const char *subject;  /**< Required. */
  const char *audience; /**< NULL: MOCK_FEDERATED_AUDIENCE. */
  int64_t iat, nbf, exp;
} mock_federated_claims;

/**
 * Mints a federated token (a projected Kubernetes service-account token)
 * signed RS256 by @p key, into @p out (reset first).
 */
MSIKV_NODISCARD msikv_result
mock_federated_token_mint(const struct mock_jwt_key *key,
                          const mock_federated_claims *claims, msikv_buf *out);

#endif /* MSIKV_MOCK_ASSERTION_H */
