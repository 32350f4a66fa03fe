/* SPDX-License-Identifier: MIT */
/**
 * @file identity.h
 * @brief Entra ID credentials: managed identity (App Service, legacy
 * 2017-09-01, IMDS), client secret, client certificate, workload identity,
 * Azure CLI, environment, chains and the default chain, the application
 * default, and a JWT claims reader for display.
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
 * | AZURE_AUTHORITY_HOST              | Entra ID authority (https)         |
 * | AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_CERTIFICATE_PASSWORD,     |
 * |   AZURE_CLIENT_SEND_CERTIFICATE_CHAIN | client certificate (environment)|
 * | AZURE_FEDERATED_TOKEN_FILE        | workload identity                  |
 * | AZURE_TOKEN_CREDENTIALS           | pins the default chain             |
 * See docs/credentials.md for the chain and its error format.
 */
#ifndef MSIKV_IDENTITY_H
#define MSIKV_IDENTITY_H

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
 * The application's credential, with no code change between laptop, CI,
 * Kubernetes and App Service: the default chain (msikv_cred_default_new():
 * environment, workload identity, managed identity, Azure CLI), plus one
 * App Service rule: when APPSETTING_WEBSITE_SITE_NAME is set but no managed
 * identity is (IDENTITY_ENDPOINT, MSI_ENDPOINT unset) and no environment or
 * workload-identity credential is configured, creation fails with
 * MSIKV_ERR_UNAVAILABLE explaining that the managed identity is not enabled.
 * So on App Service the managed identity is used (user-assigned by
 * AZURE_CLIENT_ID when set); with AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET the service principal. When nothing is configured,
 * get_token fails with the chain's error, which lists every link (the
 * environment link names the AZURE_* variables set and missing).
 * @param[out] out_cred owned; free with msikv_cred_free().
 */
MSIKV_NODISCARD msikv_result
msikv_cred_app_default_new(const msikv_identity_options *opts,
                           msikv_credential **out_cred, msikv_error *out_err);

/* ---- Client certificate -------------------------------------------------- */

/** Client-certificate options. NULL means all defaults. Copied at creation. */
typedef struct msikv_client_certificate_options {
  /** Password of an encrypted private key; NULL for none. Zeroed copy. */
  const char *password;
  /** Add the x5c header (the certificate chain): needed for subject
   * name/issuer (SNI) authentication. */
  bool send_certificate_chain;
  /** Sign RS256 with x5t (SHA-1 thumbprint) instead of PS256 with x5t#S256
   * (the default, as MSAL). */
  bool use_rs256;
} msikv_client_certificate_options;

/**
 * Creates a client-certificate credential ("ClientCertificateCredential"):
 * POST {authority}/{tenant}/oauth2/v2.0/token with client_credentials and a
 * client assertion: a JWT with aud = that URL, iss = sub = client id, a
 * random jti, nbf/iat = now and exp = now + 10 min, signed with the
 * certificate's RSA key. The assertion is reused until a minute before it
 * expires, then rebuilt.
 * @param[in] certificate_path a PEM file holding the private key (PKCS#8 or
 * PKCS#1, optionally encrypted) and the certificate (plus any chain); read
 * at creation.
 * @param[in] cert_opts NULL for defaults.
 * @param[out] out_cred owned; free with msikv_cred_free().
 * @retval MSIKV_ERR_ARG empty or invalid ids, MSIKV_ERR_CONFIG an
 * unreadable or malformed file or a wrong password, MSIKV_ERR_UNSUPPORTED a
 * non-RSA key, MSIKV_ERR_INSECURE an http authority.
 */
MSIKV_NODISCARD msikv_result msikv_cred_client_certificate_new(
    const msikv_identity_options *opts, const char *tenant_id,
    const char *client_id, const char *certificate_path,
    const msikv_client_certificate_options *cert_opts,
    msikv_credential **out_cred, msikv_error *out_err);

/* ---- Workload identity --------------------------------------------------- */

/**
 * Creates a workload-identity credential ("WorkloadIdentityCredential",
 * e.g. AKS): the client assertion is the contents of the federated token
 * file, reread when it changed (mtime, size or inode) and at least every
 * 10 minutes.
 * @param[in] tenant_id, client_id, token_file_path NULL means
 * AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE. The file is
 * first read at the first get_token.
 * @retval MSIKV_ERR_UNAVAILABLE when a value is missing (the message lists
 * which variables are set and which are missing), MSIKV_ERR_ARG an invalid
 * tenant or client id, MSIKV_ERR_INSECURE an http authority.
 */
MSIKV_NODISCARD msikv_result msikv_cred_workload_identity_new(
    const msikv_identity_options *opts, const char *tenant_id,
    const char *client_id, const char *token_file_path,
    msikv_credential **out_cred, msikv_error *out_err);

/* ---- Azure CLI ----------------------------------------------------------- */

/** Azure CLI options. NULL means all defaults. Copied at creation. */
typedef struct msikv_azure_cli_options {
  /** Passed as --tenant; NULL: the tenant get_token names, else az's
   * default. Must match [A-Za-z0-9.-]. */
  const char *tenant_id;
  /** Kill az after this long (default 10000 ms). */
  long timeout_ms;
  /** The program to run; NULL means "az" looked up on PATH. */
  const char *az_path;
} msikv_azure_cli_options;

/**
 * Creates an Azure CLI credential ("AzureCliCredential"): runs
 * `az account get-access-token --scope S --output json [--tenant T]`
 * directly (no shell), after checking the scope against [A-Za-z0-9_-.:/]
 * and the tenant against [A-Za-z0-9.-]. Tokens are cached like every other
 * credential's. Errors at get_token: az not found or not logged in
 * (MSIKV_ERR_UNAVAILABLE with what to do: install it / run `az login`), a
 * timeout (MSIKV_ERR_UNAVAILABLE), another az failure (MSIKV_ERR_AUTH with
 * az's first error line), unreadable output (MSIKV_ERR_PARSE).
 * @param[in] cli NULL for defaults.
 */
MSIKV_NODISCARD msikv_result msikv_cred_azure_cli_new(
    const msikv_identity_options *opts, const msikv_azure_cli_options *cli,
    msikv_credential **out_cred, msikv_error *out_err);

/* ---- Environment --------------------------------------------------------- */

/**
 * Creates an environment credential ("EnvironmentCredential"), in the SDKs'
 * order: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET give a
 * client secret; else AZURE_TENANT_ID + AZURE_CLIENT_ID +
 * AZURE_CLIENT_CERTIFICATE_PATH (with AZURE_CLIENT_CERTIFICATE_PASSWORD and
 * AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=1|true) a client certificate. When
 * neither is complete, creation succeeds and get_token returns
 * MSIKV_ERR_UNAVAILABLE listing which variables are set and which are
 * missing (never their values).
 * @retval creation errors of the configured credential (bad tenant, bad
 * certificate file, http authority).
 */
MSIKV_NODISCARD msikv_result
msikv_cred_environment_new(const msikv_identity_options *opts,
                           msikv_credential **out_cred, msikv_error *out_err);

/* ---- Chains -------------------------------------------------------------- */

/**
 * Creates a chain ("ChainedTokenCredential" or @p name): get_token tries
 * each link in order. A link returning MSIKV_ERR_UNAVAILABLE lets the chain
 * go on; any other error stops it. The first link that succeeds is
 * remembered and used alone from then on. When no link succeeds the error
 * lists every link and its reason:
 * "<name> failed to retrieve a token from the included credentials.\n
 * Attempted credentials:\n\t<Link>: <reason>\n\t...", ending with
 * "(not tried)" lines for links after a failed one; the result is
 * MSIKV_ERR_UNAVAILABLE when every link was unavailable, else the failed
 * link's result (its http_status and codes are kept).
 * @param[in] name NULL for "ChainedTokenCredential"; copied.
 * @param[in] links @p count credentials; ownership passes to the chain,
 * even on failure (they are freed then).
 */
MSIKV_NODISCARD msikv_result msikv_cred_chain_new(const char *name,
                                                  msikv_credential **links,
                                                  size_t count,
                                                  msikv_credential **out_cred,
                                                  msikv_error *out_err);

/**
 * Creates the default chain ("DefaultAzureCredential"): environment ->
 * workload identity -> managed identity (user-assigned by AZURE_CLIENT_ID
 * when set) -> Azure CLI. Inside the chain IMDS is probed with a 1 s connect
 * timeout and no retries; no answer makes it unavailable. A link that does
 * not apply here (variables missing, App Service without an identity,
 * Service Fabric/Arc/Cloud Shell) is kept as an unavailable link, so that
 * the final error names it. AZURE_TOKEN_CREDENTIALS (case-insensitive)
 * pins the chain: "dev" (Azure CLI only), "prod" (environment, workload
 * identity, managed identity), or one of EnvironmentCredential,
 * WorkloadIdentityCredential, ManagedIdentityCredential (then without the
 * probe, with full retries) or AzureCliCredential.
 * msikv_cred_name() gives the credential the environment selects (the first
 * link that is configured rather than probed, e.g.
 * "ManagedIdentityCredential (App Service)") or "DefaultAzureCredential".
 * @retval MSIKV_ERR_CONFIG an unknown AZURE_TOKEN_CREDENTIALS value; a
 * link's creation error that is a configuration mistake (bad tenant,
 * unreadable certificate, malformed endpoint) prefixed with its name.
 */
MSIKV_NODISCARD msikv_result
msikv_cred_default_new(const msikv_identity_options *opts,
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
