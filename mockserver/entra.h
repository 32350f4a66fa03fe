/* SPDX-License-Identifier: MIT */
/**
 * @file entra.h
 * @brief Mock Entra ID on login.localhost: the client-credentials token
 * endpoint (v2.0 and v1), OpenID configuration, instance discovery and JWKS.
 */
#ifndef MSIKV_MOCK_ENTRA_H
#define MSIKV_MOCK_ENTRA_H

#include <stdint.h>

#include "jwt.h"
#include "mock_http.h"
#include "principals.h"

typedef struct mock_entra_config {
  const mock_principals *principals; /**< Borrowed. */
  const mock_jwt_key *key;           /**< Borrowed. */
  const char *authority;             /**< "https://login.localhost:PORT" */
  int64_t token_lifetime_s;
} mock_entra_config;

/**
 * Routes:
 * - POST /{tenant}/oauth2/v2.0/token (scope) and /{tenant}/oauth2/token
 *   (resource): grant_type=client_credentials with client_secret, or with
 *   client_assertion (a certificate-signed JWT or a federated token; see
 *   assertion.h and docs/mockserver-assertions.md);
 * - GET /{tenant}/v2.0/.well-known/openid-configuration and
 *   /{tenant}/.well-known/openid-configuration;
 * - GET /{tenant}/discovery/v2.0/keys, /{tenant}/discovery/keys,
 *   /common/discovery/keys (JWKS);
 * - GET /common/discovery/instance.
 */
void mock_entra_handle(const mock_entra_config *cfg, const mock_request *req,
                       mock_response *resp);

#endif /* MSIKV_MOCK_ENTRA_H */
