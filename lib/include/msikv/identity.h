/* SPDX-License-Identifier: MIT */
/**
 * @file identity.h
 * @brief Entra ID credentials: managed identity (App Service, legacy
 * 2017-09-01, IMDS), client secret, the application default, and a JWT
 * claims reader for display.
 *
 * Every credential here is an msikv_credential (see credential.h) with a
 * thread-safe token cache modelled on Go's azidentity: one entry per
 * (scope, tenant), one request in flight per entry, refresh 5 minutes before
 * expiry (or at the server's refresh_in; at half-life for managed-identity
 * tokens living 2 h or more), a 30 s back-off after a failed early refresh
 * while the still-valid token is served, and never an expired token.
 *
 * Environment variables (read through msikv_identity_options::getenv_fn):
 * | Variable                          | Used by                            |
 * |-----------------------------------|------------------------------------|
 * | IDENTITY_ENDPOINT, IDENTITY_HEADER| managed identity, App Service 2019 |
 * | IDENTITY_SERVER_THUMBPRINT        | Service Fabric: not supported      |
 * | MSI_ENDPOINT, MSI_SECRET          | managed identity, legacy 2017-09-01|
 * | AZURE_POD_IDENTITY_AUTHORITY_HOST | IMDS host override                 |
 * | APPSETTING_WEBSITE_SITE_NAME      | App Service detection (app default)|
 * | AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET | client secret  |
 * | AZURE_AUTHORITY_HOST              | client secret authority (https)    |
 */
#ifndef MSIKV_IDENTITY_H
#define MSIKV_IDENTITY_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "msikv/clock.h"
#include "msikv/credential.h"
#include "msikv/http.h"
#include "msikv/result.h"

/** The default Entra ID authority. */
#define MSIKV_AUTHORITY_HOST_DEFAULT "https://login.microsoftonline.com"
/** The default IMDS host (scheme and host, no path). */
#define MSIKV_IMDS_HOST_DEFAULT "http://169.254.169.254"

/** Options shared by every credential in this header. */
typedef struct msikv_identity_options {
  /** Borrowed, required: must outlive the credential. */
  const msikv_transport *transport;
  /** Borrowed; NULL means the system clock. Must outlive the credential. */
  const msikv_clock *clock;
  /** Multiplies every retry delay (1.0). Tests only: scale it down. */
  double retry_delay_scale;
  /** Client-secret authority, https only. NULL means $AZURE_AUTHORITY_HOST,
   * then MSIKV_AUTHORITY_HOST_DEFAULT. Copied at creation. */
  const char *authority_host;
  /** Environment lookup; NULL means getenv(). The returned string is
   * borrowed only for the call: credentials copy what they keep. */
  const char *(*getenv_fn)(void *ctx, const char *name);
  void *getenv_ctx;
} msikv_identity_options;

/** @return transport NULL (must be set), system clock, scale 1.0, authority
 * from the environment, getenv(). */
msikv_identity_options msikv_identity_options_default(void);

/**
 * Which managed identity to use. All NULL (or passing NULL options) means
 * the system-assigned identity; at most one may be set. Each source sends
 * it under its own parameter name: App Service client_id / principal_id /
 * mi_res_id; IMDS client_id / object_id / msi_res_id; legacy 2017-09-01
 * clientid (client id only). Copied at creation.
 */
typedef struct msikv_managed_identity_options {
  const char *client_id;   /**< User-assigned identity's client (app) id. */
  const char *object_id;   /**< Its object (principal) id. */
  const char *resource_id; /**< Its ARM resource id. */
} msikv_managed_identity_options;

/**
 * Creates a managed-identity credential. The source is picked from the
 * environment at creation, as the Azure SDKs do:
 * - IDENTITY_ENDPOINT + IDENTITY_HEADER: App Service / Functions 2019-08-01
 *   ("ManagedIdentityCredential (App Service)"); with
 *   IDENTITY_SERVER_THUMBPRINT too it is Service Fabric: MSIKV_ERR_UNSUPPORTED;
 *   if the host answers UnsupportedApiVersion and MSI_ENDPOINT + MSI_SECRET
 *   are set too, the credential switches to the 2017-09-01 protocol;
 * - MSI_ENDPOINT + MSI_SECRET: the 2017-09-01 protocol
 *   ("ManagedIdentityCredential (App Service 2017)");
 * - APPSETTING_WEBSITE_SITE_NAME alone: App Service without an identity:
 *   MSIKV_ERR_UNAVAILABLE saying how to enable it;
 * - otherwise IMDS ("ManagedIdentityCredential (IMDS)").
 * Plain http is accepted only for a local endpoint (loopback, link-local).
 * get_token takes exactly one scope; "X/.default" is sent as resource "X";
 * the tenant argument is ignored.
 * @param[in] opts required (transport set).
 * @param[in] mi NULL for the system-assigned identity.
 * @param[out] out_cred owned; free with msikv_cred_free().
 * @param[out] out_err optional; cleared first, then filled on failure.
 * @retval MSIKV_ERR_ARG bad options (two ids, no transport), MSIKV_ERR_CONFIG
 * a malformed endpoint, MSIKV_ERR_INSECURE http to a non-local endpoint,
 * MSIKV_ERR_UNSUPPORTED Service Fabric, Cloud Shell, Azure Arc, or a
 * non-client id on the legacy protocol, MSIKV_ERR_UNAVAILABLE as above.
 */
MSIKV_NODISCARD msikv_result msikv_cred_managed_identity_new(
    const msikv_identity_options *opts,
    const msikv_managed_identity_options *mi, msikv_credential **out_cred,
    msikv_error *out_err);

/**
 * Creates a client-secret credential ("ClientSecretCredential"):
 * POST {authority}/{tenant}/oauth2/v2.0/token with client_credentials.
 * The tenant must match [A-Za-z0-9.-]+; the authority must be https.
 * Tokens are always requested from @p tenant_id (a tenant named by a
 * challenge is only used as part of the cache key when equal).
 * @param[in] tenant_id, client_id, client_secret required, copied (the
 * secret is zeroed when the credential is freed).
 * @param[out] out_cred owned; free with msikv_cred_free().
 * @retval MSIKV_ERR_ARG empty or invalid values, MSIKV_ERR_INSECURE an http
 * authority, MSIKV_ERR_CONFIG a malformed authority.
 */
MSIKV_NODISCARD msikv_result msikv_cred_client_secret_new(
    const msikv_identity_options *opts, const char *tenant_id,
    const char *client_id, const char *client_secret,
    msikv_credential **out_cred, msikv_error *out_err);

/**
 * The application's credential, chosen from the environment with no code
 * change between laptop and App Service:
 * - managed identity when IDENTITY_ENDPOINT, MSI_ENDPOINT or
 *   APPSETTING_WEBSITE_SITE_NAME is set (user-assigned by AZURE_CLIENT_ID
 *   when AZURE_CLIENT_SECRET is not set); when only
 *   APPSETTING_WEBSITE_SITE_NAME is set, MSIKV_ERR_UNAVAILABLE explains that
 *   the managed identity is not enabled;
 * - otherwise the client secret from AZURE_TENANT_ID, AZURE_CLIENT_ID and
 *   AZURE_CLIENT_SECRET; when any is missing, MSIKV_ERR_CONFIG lists which
 *   are set and which are missing (never their values).
 * @param[out] out_cred owned; free with msikv_cred_free().
 */
MSIKV_NODISCARD msikv_result
msikv_cred_app_default_new(const msikv_identity_options *opts,
                           msikv_credential **out_cred, msikv_error *out_err);

/** Claims of an access token, for display ("principal behind the
 * credential"). Strings are truncated to fit and empty when absent. */
typedef struct msikv_token_claims {
  char oid[64];    /**< Object id of the principal. */
  char appid[64];  /**< Client id: "appid" (v1) or "azp" (v2). */
  char tid[64];    /**< Tenant id. */
  char upn[256];   /**< "upn", else "unique_name", else
                        "preferred_username". */
  char sub[128];   /**< Subject. */
  char aud[256];   /**< Audience. */
  char iss[256];   /**< Issuer. */
  char idtyp[16];  /**< "app" or "user" when present. */
  char mirid[512]; /**< "xms_mirid": a managed identity's resource id. */
  int64_t exp;     /**< Expiry, Unix seconds; 0 when absent. */
  int64_t iat;     /**< Issued at; 0 when absent. */
  int64_t nbf;     /**< Not before; 0 when absent. */
} msikv_token_claims;

/**
 * Decodes the payload of a JWT access token WITHOUT verifying its signature:
 * for display and diagnostics only, never for authorization.
 * @param[in] token "header.payload.signature" (base64url, padding optional).
 * @param[out] out_claims written only on success.
 * @retval MSIKV_ERR_PARSE not a JWT or a payload that is not a JSON object,
 * MSIKV_ERR_ARG NULL input, MSIKV_ERR_NOMEM.
 */
MSIKV_NODISCARD msikv_result
msikv_token_claims_parse(const char *token, msikv_token_claims *out_claims);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_IDENTITY_H */
