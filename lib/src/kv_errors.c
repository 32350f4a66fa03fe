/* SPDX-License-Identifier: MIT */
/* Local validation and the mapping of Key Vault error answers to results. */
#include <stdio.h>
#include <string.h>

#include "kv_internal.h"

bool msikv_kv_name_is_valid(const char *name) {
  if (!name)
    return false;
  size_t len = 0;
  for (const char *c = name; *c; c++, len++) {
    bool ok = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z') || *c == '-';
    if (!ok || len >= MSIKV_KV_NAME_MAX)
      return false;
  }
  return len > 0;
}

msikv_result msikv__kv_check_name(const char *name, const char *what,
                                  msikv_error *out_err) {
  if (msikv_kv_name_is_valid(name))
    return MSIKV_OK;
  return msikv_error_set(out_err, MSIKV_ERR_ARG,
                         "invalid %s '%.130s': use 1-127 characters from "
                         "0-9, a-z, A-Z and '-'",
                         what, name ? name : "(null)");
}

static const char *hint(int status, const char *inner) {
  switch (status) {
  case 401:
    return "The vault rejected the token: check that the identity belongs to "
           "the vault's tenant and that the token is for "
           "https://vault.azure.net.";
  case 403:
    if (strcmp(inner, "ForbiddenByFirewall") == 0)
      return "The vault's firewall blocks this client: allow its network or "
             "address.";
    if (strcmp(inner, "SecretDisabled") == 0)
      return "The secret is disabled: enable it with an update.";
    return "Grant this identity the needed secrets permission (an access "
           "policy, or an RBAC role such as Key Vault Secrets User).";
  case 404:
    return "Check the name and version; a deleted secret can be recovered "
           "or purged.";
  case 409:
    return "The name is taken by a deleted secret or an operation is in "
           "progress: recover or purge it, or retry later.";
  case 429:
    return "The vault throttled the request and the retries ran out: slow "
           "down and try again later.";
  default:
    return status >= 500 ? "The service failed: try again later."
                         : "Check the request.";
  }
}

msikv_result msikv__kv_error_from_response(const msikv_http_response *resp,
                                           const char *op, const char *name,
                                           msikv_error *out_err) {
  int status = resp->status;
  msikv_result rc;
  switch (status) {
  case 401:
    rc = MSIKV_ERR_AUTH;
    break;
  case 403:
    rc = MSIKV_ERR_FORBIDDEN;
    break;
  case 404:
    rc = MSIKV_ERR_NOT_FOUND;
    break;
  case 409:
    rc = MSIKV_ERR_CONFLICT;
    break;
  case 429:
    rc = MSIKV_ERR_THROTTLED;
    break;
  default:
    rc = MSIKV_ERR_HTTP;
    break;
  }
  if (!out_err)
    return rc;
  msikv_error_clear(out_err);
  out_err->http_status = status;
  char message[768];
  msikv__kv_error_body_parse(resp->body.data, resp->body.len, out_err, message,
                             sizeof(message));
  char where[192];
  if (name)
    snprintf(where, sizeof(where), "%s '%s'", op, name);
  else
    snprintf(where, sizeof(where), "%s", op);
  const char *code = out_err->code[0] ? out_err->code : "no error code";
  size_t mlen = strlen(message);
  bool has_stop =
      mlen > 0 && (message[mlen - 1] == '.' || message[mlen - 1] == '!');
  msikv_error_set(
      out_err, rc, "%s: Key Vault answered HTTP %d (%s%s%s)%s%s%s %s", where,
      status, code, out_err->inner_code[0] ? "/" : "", out_err->inner_code,
      message[0] ? ": " : ".", message, message[0] && !has_stop ? "." : "",
      hint(status, out_err->inner_code));
  return rc;
}
