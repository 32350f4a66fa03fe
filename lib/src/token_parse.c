/* SPDX-License-Identifier: MIT */
/* Token responses (managed identity and Entra ID), scopes and tenants. */
#include <ctype.h>
#include <string.h>

#include "identity_internal.h"
#include "json_internal.h"
#include "msikv/alloc.h"

/* Same bound as expires_on.c: 9999-12-31T23:59:59Z. */
#define MAX_SECONDS 253402300799LL

static msikv_result read_expiry(const cJSON *json, int64_t request_time_s,
                                int64_t *out_s, const char **out_field,
                                msikv_error *out_err) {
  int64_t value = 0;
  msikv_result rc =
      msikv__json_int64(json, "expires_in", 0, MAX_SECONDS, &value);
  if (rc == MSIKV_OK) {
    *out_s = request_time_s + value;
    *out_field = "expires_in";
    return MSIKV_OK;
  }
  if (rc != MSIKV_ERR_NOT_FOUND)
    return msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "the token response's expires_in is not a "
                           "non-negative whole number of seconds");
  *out_field = "expires_on";
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, "expires_on");
  if (cJSON_IsNumber(item)) {
    rc = msikv__json_int64(json, "expires_on", 0, MAX_SECONDS, &value);
  } else if (cJSON_IsString(item) && item->valuestring && *item->valuestring) {
    rc = msikv__expires_on_parse(item->valuestring, &value);
    if (rc)
      return msikv_error_set(
          out_err, MSIKV_ERR_PARSE,
          "the token response's expires_on \"%.40s\" is in no known format "
          "(epoch seconds, \"M/D/YYYY h:mm:ss [AM|PM] +00:00\", RFC 3339 "
          "or RFC 1123)",
          item->valuestring);
  } else if (!item || cJSON_IsNull(item) || cJSON_IsString(item)) {
    return msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "the token response has neither expires_in nor "
                           "expires_on");
  } else {
    rc = MSIKV_ERR_PARSE;
  }
  if (rc)
    return msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "the token response's expires_on is not a valid "
                           "time");
  *out_s = value;
  return MSIKV_OK;
}

msikv_result msikv__token_parse(const char *body, size_t len,
                                int64_t request_time_s, int64_t now_s,
                                msikv_token *out_token, msikv_error *out_err) {
  cJSON *json = NULL;
  msikv_result rc = msikv__json_parse(body, len, &json);
  if (rc == MSIKV_ERR_NOMEM)
    return msikv_error_set(out_err, rc, "out of memory parsing a token");
  if (rc || !cJSON_IsObject(json)) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "the token response is not a JSON object");
    goto out;
  }
  const char *access_token = msikv__json_string(json, "access_token");
  if (!access_token || !*access_token) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "the token response has no access_token");
    goto out;
  }
  int64_t expires_on_s = 0;
  const char *field = "expires_on";
  rc = read_expiry(json, request_time_s, &expires_on_s, &field, out_err);
  if (rc)
    goto out;
  if (expires_on_s <= now_s) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "the token's %s gives an expiry %lld s in the past: "
                         "check this host's clock",
                         field, (long long)(now_s - expires_on_s));
    goto out;
  }
  if (expires_on_s > now_s + MSIKV__MAX_TOKEN_LIFETIME_S) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "the token's %s gives an expiry %lld s from now, "
                         "more than 48 h: refusing a mis-parsed expiry",
                         field, (long long)(expires_on_s - now_s));
    goto out;
  }
  int64_t refresh_in_s = 0;
  int64_t refresh_on_s = 0;
  if (msikv__json_int64(json, "refresh_in", 1, MAX_SECONDS, &refresh_in_s) ==
          MSIKV_OK &&
      request_time_s + refresh_in_s < expires_on_s)
    refresh_on_s = request_time_s + refresh_in_s;
  char *token = msikv_strdup(access_token);
  if (!token) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                         "out of memory copying a token");
    goto out;
  }
  out_token->token = token;
  out_token->expires_on_s = expires_on_s;
  out_token->refresh_on_s = refresh_on_s;
  rc = MSIKV_OK;
out:
  msikv__json_delete_secret(json);
  return rc;
}

msikv_result msikv__scope_to_resource(const char *scope, char **out_resource,
                                      msikv_error *out_err) {
  if (!scope || !*scope)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "a scope is required, e.g. "
                           "\"https://vault.azure.net/.default\"");
  for (const char *c = scope; *c; c++) {
    if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
      return msikv_error_set(out_err, MSIKV_ERR_ARG,
                             "managed identity takes exactly one scope; got "
                             "several (or whitespace) in \"%.200s\"",
                             scope);
  }
  static const char suffix[] = "/.default";
  size_t len = strlen(scope);
  size_t slen = sizeof(suffix) - 1;
  if (len > slen && strcmp(scope + len - slen, suffix) == 0)
    len -= slen;
  char *resource = msikv_strndup(scope, len);
  if (!resource)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  *out_resource = resource;
  return MSIKV_OK;
}

bool msikv__tenant_is_valid(const char *tenant) {
  if (!tenant || !*tenant)
    return false;
  size_t n = 0;
  for (const char *c = tenant; *c; c++, n++) {
    if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
      return false;
  }
  return n <= 256;
}
