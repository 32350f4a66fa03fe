/* SPDX-License-Identifier: MIT */
/* The application default: managed identity on App Service, the client
 * secret from AZURE_* elsewhere. Same code on a laptop and in Azure. */
#include <stdio.h>
#include <string.h>

#include "identity_internal.h"
#include "msikv/log.h"

static void list_add(char *list, size_t size, const char *name) {
  size_t used = strlen(list);
  snprintf(list + used, size - used, "%s%s", used ? ", " : "", name);
}

msikv_result msikv_cred_app_default_new(const msikv_identity_options *opts,
                                        msikv_credential **out_cred,
                                        msikv_error *out_err) {
  msikv_error_clear(out_err);
  msikv_result rc =
      msikv__identity_options_check(opts, "app default credential", out_err);
  if (rc)
    return rc;
  const char *ie = msikv__identity_getenv(opts, "IDENTITY_ENDPOINT");
  const char *me = msikv__identity_getenv(opts, "MSI_ENDPOINT");
  const char *site =
      msikv__identity_getenv(opts, "APPSETTING_WEBSITE_SITE_NAME");
  const char *tenant = msikv__identity_getenv(opts, "AZURE_TENANT_ID");
  const char *client_id = msikv__identity_getenv(opts, "AZURE_CLIENT_ID");
  const char *secret = msikv__identity_getenv(opts, "AZURE_CLIENT_SECRET");
  bool have_secret_config = tenant && client_id && secret;
  if (ie || me || (site && !have_secret_config)) {
    /* AZURE_CLIENT_ID alone selects a user-assigned identity, as in the
     * SDKs' DefaultAzureCredential; with a secret it belongs to that. */
    bool user_assigned = client_id && !secret;
    msikv_log(MSIKV_LOG_INFO, "app default: managed identity (%s)",
              user_assigned ? "user-assigned by AZURE_CLIENT_ID"
                            : "system-assigned");
    return msikv__cred_mi_new(
        opts, user_assigned ? MSIKV__MI_ID_CLIENT : MSIKV__MI_ID_NONE,
        user_assigned ? client_id : NULL, out_cred, out_err);
  }
  if (have_secret_config) {
    msikv_log(MSIKV_LOG_INFO, "app default: client secret from AZURE_*");
    return msikv_cred_client_secret_new(opts, tenant, client_id, secret,
                                        out_cred, out_err);
  }
  char set[128] = "", missing[128] = "";
  list_add(tenant ? set : missing, sizeof(set), "AZURE_TENANT_ID");
  list_add(client_id ? set : missing, sizeof(set), "AZURE_CLIENT_ID");
  list_add(secret ? set : missing, sizeof(set), "AZURE_CLIENT_SECRET");
  return msikv_error_set(
      out_err, MSIKV_ERR_CONFIG,
      "no credential is configured. Not on App Service with a managed "
      "identity (IDENTITY_ENDPOINT, MSI_ENDPOINT and "
      "APPSETTING_WEBSITE_SITE_NAME are unset), and a client secret needs "
      "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET: set: %s; "
      "missing: %s. Set the missing variables, or run on App Service with "
      "a managed identity enabled",
      set[0] ? set : "none", missing);
}
