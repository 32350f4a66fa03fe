/* SPDX-License-Identifier: MIT */
/* The environment credential: a client secret or a client certificate
 * from AZURE_* variables, in the SDKs' order; "unavailable" otherwise. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "credential_internal.h"
#include "identity_internal.h"
#include "msikv/alloc.h"
#include "msikv/log.h"

#define ENV_NAME "EnvironmentCredential"

typedef struct env_ctx {
  msikv_credential *inner; /* NULL when the variables are incomplete. */
  char reason[768];        /* Why it is unavailable. */
} env_ctx;

static void env_destroy(void *vctx) {
  env_ctx *ctx = vctx;
  if (!ctx)
    return;
  msikv_cred_free(ctx->inner);
  msikv_free(ctx);
}

static msikv_result env_get_token(void *vctx, const char *scope,
                                  const char *tenant_id, msikv_token *out_token,
                                  msikv_error *out_err) {
  env_ctx *ctx = vctx;
  if (!ctx->inner) {
    msikv_error_clear(out_err);
    return msikv_error_set(out_err, MSIKV_ERR_UNAVAILABLE, "%s", ctx->reason);
  }
  return msikv_cred_get_token(ctx->inner, scope, tenant_id, out_token, out_err);
}

static void env_invalidate(void *vctx, const char *scope,
                           const char *tenant_id, const char *rejected_token) {
  msikv_cred_invalidate_token(((env_ctx *)vctx)->inner, scope, tenant_id,
                              rejected_token);
}

static const msikv_credential_ops env_ops = {ENV_NAME, env_get_token,
                                             env_destroy, env_invalidate};

static void list_add(char *list, size_t size, const char *name) {
  size_t used = strlen(list);
  snprintf(list + used, size - used, "%s%s", used ? ", " : "", name);
}

static bool is_true(const char *v) {
  return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
               strcasecmp(v, "yes") == 0);
}

msikv_result msikv__cred_environment_new(const msikv_identity_options *opts,
                                         msikv_credential **out_cred,
                                         const char **out_selected,
                                         msikv_error *out_err) {
  msikv_credential *cred = NULL;
  msikv_error_clear(out_err);
  msikv_result rc = msikv__identity_options_check(opts, ENV_NAME, out_err);
  if (rc)
    return rc;
  if (!out_cred)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           ENV_NAME ": out_cred is NULL");
  const char *tenant = msikv__identity_getenv(opts, "AZURE_TENANT_ID");
  const char *client = msikv__identity_getenv(opts, "AZURE_CLIENT_ID");
  const char *secret = msikv__identity_getenv(opts, "AZURE_CLIENT_SECRET");
  const char *cert =
      msikv__identity_getenv(opts, "AZURE_CLIENT_CERTIFICATE_PATH");
  const char *password =
      msikv__identity_getenv(opts, "AZURE_CLIENT_CERTIFICATE_PASSWORD");
  const char *chain =
      msikv__identity_getenv(opts, "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN");
  env_ctx *ctx = msikv_calloc(1, sizeof(*ctx));
  if (!ctx)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  const char *selected = NULL;
  if (tenant && client && secret) {
    selected = "ClientSecretCredential";
    rc = msikv_cred_client_secret_new(opts, tenant, client, secret, &ctx->inner,
                                      out_err);
  } else if (tenant && client && cert) {
    selected = "ClientCertificateCredential";
    msikv_client_certificate_options co;
    memset(&co, 0, sizeof(co));
    co.password = password;
    co.send_certificate_chain = is_true(chain);
    rc = msikv_cred_client_certificate_new(opts, tenant, client, cert, &co,
                                           &ctx->inner, out_err);
  } else {
    char set[256] = "", missing[160] = "";
    list_add(tenant ? set : missing, sizeof(set), "AZURE_TENANT_ID");
    list_add(client ? set : missing, sizeof(set), "AZURE_CLIENT_ID");
    if (secret)
      list_add(set, sizeof(set), "AZURE_CLIENT_SECRET");
    if (cert)
      list_add(set, sizeof(set), "AZURE_CLIENT_CERTIFICATE_PATH");
    if (password)
      list_add(set, sizeof(set), "AZURE_CLIENT_CERTIFICATE_PASSWORD");
    if (!secret && !cert)
      list_add(missing, sizeof(missing),
               "AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)");
    snprintf(ctx->reason, sizeof(ctx->reason),
             ENV_NAME ": environment variables are not fully configured: "
                      "set: %s; missing: %s",
             set[0] ? set : "none", missing);
  }
  if (rc) {
    msikv_error_prefix(out_err, ENV_NAME);
    goto out;
  }
  rc = msikv_cred_new_custom(&env_ops, ctx, &cred);
  if (rc) {
    msikv_error_set(out_err, rc, "out of memory");
    goto out;
  }
  if (selected)
    msikv_log(MSIKV_LOG_INFO, ENV_NAME ": %s from AZURE_*", selected);
  if (out_selected)
    *out_selected = selected;
  *out_cred = cred;
  return MSIKV_OK;
out:
  env_destroy(ctx);
  return rc;
}

msikv_result msikv_cred_environment_new(const msikv_identity_options *opts,
                                        msikv_credential **out_cred,
                                        msikv_error *out_err) {
  return msikv__cred_environment_new(opts, out_cred, NULL, out_err);
}
