/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "credential_internal.h"
#include "msikv/alloc.h"

void msikv_token_clear(msikv_token *token) {
  if (!token)
    return;
  msikv_secret_free(token->token);
  memset(token, 0, sizeof(*token));
}

msikv_result msikv_cred_new_custom(const msikv_credential_ops *ops, void *ctx,
                                   msikv_credential **out_cred) {
  if (!ops || !ops->get_token || !out_cred)
    return MSIKV_ERR_ARG;
  msikv_credential *cred = msikv_calloc(1, sizeof(*cred));
  if (!cred)
    return MSIKV_ERR_NOMEM;
  cred->ops = ops;
  cred->ctx = ctx;
  *out_cred = cred;
  return MSIKV_OK;
}

msikv_result msikv__cred_set_name(msikv_credential *cred, const char *name) {
  char *copy = msikv_strdup(name);
  if (!copy)
    return MSIKV_ERR_NOMEM;
  msikv_free(cred->display_name);
  cred->display_name = copy;
  return MSIKV_OK;
}

msikv_result msikv_cred_get_token(msikv_credential *cred, const char *scope,
                                  const char *tenant_id,
                                  msikv_token *out_token,
                                  msikv_error *out_err) {
  if (!cred || !scope || !*scope || !out_token)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "get_token needs a credential, a scope and an "
                           "output token");
  msikv_token token = {NULL, 0, 0};
  msikv_result rc =
      cred->ops->get_token(cred->ctx, scope, tenant_id, &token, out_err);
  if (rc) {
    msikv_token_clear(&token);
    return rc;
  }
  if (!token.token)
    return msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "%s returned no token", msikv_cred_name(cred));
  *out_token = token;
  return MSIKV_OK;
}

void msikv_cred_invalidate_token(msikv_credential *cred, const char *scope,
                                 const char *tenant_id,
                                 const char *rejected_token) {
  if (!cred || !scope || !rejected_token || !*rejected_token ||
      !cred->ops->invalidate)
    return;
  cred->ops->invalidate(cred->ctx, scope, tenant_id, rejected_token);
}

const char *msikv_cred_name(const msikv_credential *cred) {
  if (!cred)
    return "(none)";
  return cred->display_name ? cred->display_name : cred->ops->name;
}

void msikv_cred_free(msikv_credential *cred) {
  if (!cred)
    return;
  if (cred->ops->destroy)
    cred->ops->destroy(cred->ctx);
  msikv_free(cred->display_name);
  msikv_free(cred);
}
