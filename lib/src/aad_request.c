/* SPDX-License-Identifier: MIT */
/* Entra ID v2 client-credentials requests and their errors. Pure. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "identity_internal.h"
#include "json_internal.h"
#include "msikv/alloc.h"
#include "msikv/url.h"

msikv_result msikv__authority_normalize(const char *authority, char **out,
                                        msikv_error *out_err) {
  if (!authority || !*authority)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "the authority host is empty");
  if (strncasecmp(authority, "https://", 8) != 0)
    return msikv_error_set(
        out_err,
        strncasecmp(authority, "http://", 7) == 0 ? MSIKV_ERR_INSECURE
                                                  : MSIKV_ERR_CONFIG,
        "the authority host \"%.200s\" must be an https:// URL (e.g. %s); "
        "check AZURE_AUTHORITY_HOST",
        authority, MSIKV_AUTHORITY_HOST_DEFAULT);
  msikv_url url;
  msikv_error url_err;
  msikv_error_clear(&url_err);
  if (msikv_url_parse(authority, &url, &url_err) != MSIKV_OK)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "the authority host \"%.200s\" is not a valid URL: "
                           "%s; check AZURE_AUTHORITY_HOST",
                           authority, url_err.message);
  if (strpbrk(url.path, "?#"))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "the authority host \"%.200s\" must not have a "
                           "query or fragment",
                           authority);
  size_t len = strlen(authority);
  while (len > 8 && authority[len - 1] == '/')
    len--;
  char *copy = msikv_strndup(authority, len);
  if (!copy)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  *out = copy;
  return MSIKV_OK;
}

/* The shared part: URL, grant, client id; then the credential fields. */
static msikv_result build(const char *authority, const char *tenant,
                          const char *client_id, const char *secret,
                          const char *assertion, const char *scope,
                          msikv__id_request *out, msikv_error *out_err) {
  if (!msikv__tenant_is_valid(tenant))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "the tenant id may contain only letters, digits, "
                           "'.' and '-'");
  msikv_result rc = msikv_buf_appendf(&out->url, "%s/%s/oauth2/v2.0/token",
                                      authority, tenant);
  if (!rc)
    rc = msikv_form_add(&out->body, "grant_type", "client_credentials");
  if (!rc)
    rc = msikv_form_add(&out->body, "client_id", client_id);
  if (!rc && secret)
    rc = msikv_form_add(&out->body, "client_secret", secret);
  if (!rc && assertion)
    rc = msikv_form_add(&out->body, "client_assertion_type",
                        MSIKV__ASSERTION_TYPE_JWT);
  if (!rc && assertion)
    rc = msikv_form_add(&out->body, "client_assertion", assertion);
  if (!rc)
    rc = msikv_form_add(&out->body, "scope", scope);
  if (rc)
    return msikv_error_set(out_err, rc,
                           rc == MSIKV_ERR_NOMEM
                               ? "out of memory building a token request"
                               : "token request is too large");
  msikv_http_request_init(&out->req, "POST", out->url.data);
  out->req.body = out->body.data;
  out->req.body_len = out->body.len;
  out->req.has_body = true;
  rc = msikv_http_request_add_header(&out->req, "Content-Type",
                                     "application/x-www-form-urlencoded");
  if (!rc)
    rc = msikv_http_request_add_header(&out->req, "Accept", "application/json");
  return rc;
}

msikv_result msikv__aad_build_request(const char *authority, const char *tenant,
                                      const char *client_id,
                                      const char *client_secret,
                                      const char *scope, msikv__id_request *out,
                                      msikv_error *out_err) {
  if (!authority || !client_id || !*client_id || !client_secret ||
      !*client_secret || !scope || !*scope)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "client secret request needs an authority, a "
                           "client id, a secret and a scope");
  return build(authority, tenant, client_id, client_secret, NULL, scope, out,
               out_err);
}

msikv_result
msikv__aad_build_assertion_request(const char *authority, const char *tenant,
                                   const char *client_id, const char *assertion,
                                   const char *scope, msikv__id_request *out,
                                   msikv_error *out_err) {
  if (!authority || !client_id || !*client_id || !assertion || !*assertion ||
      !scope || !*scope)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "client assertion request needs an authority, a "
                           "client id, an assertion and a scope");
  return build(authority, tenant, client_id, NULL, assertion, scope, out,
               out_err);
}

static const char *aadsts_hint(const char *code) {
  static const struct {
    const char *code;
    const char *hint;
  } hints[] = {
      {"AADSTS7000215",
       "the client secret is wrong: set AZURE_CLIENT_SECRET to the secret's "
       "value (not its id) from the app registration's Certificates & "
       "secrets"},
      {"AADSTS7000222",
       "the client secret has expired: create a new one in the app "
       "registration and update AZURE_CLIENT_SECRET"},
      {"AADSTS700016",
       "no application with this client id exists in the tenant: check "
       "AZURE_CLIENT_ID and AZURE_TENANT_ID (the app must be registered, or "
       "consented to, in that tenant)"},
      {"AADSTS90002",
       "the tenant was not found: check AZURE_TENANT_ID and the authority "
       "host's cloud"},
      {"AADSTS900023", "the tenant id is malformed: check AZURE_TENANT_ID"},
      {"AADSTS500011",
       "the resource in the scope is not known in this tenant: check the "
       "scope"},
      {"AADSTS70011", "the scope is invalid: use \"<resource>/.default\""},
      {"AADSTS700027",
       "the client assertion's signature did not verify: upload this "
       "certificate (its public part) to the app registration, or check "
       "AZURE_CLIENT_CERTIFICATE_PATH"},
      {"AADSTS700024",
       "the client assertion is not within its valid time range: check this "
       "host's clock, or the federated token file is stale"},
      {"AADSTS70021",
       "no federated identity credential matches the token's issuer and "
       "subject: add one to the app registration (or the user-assigned "
       "identity) for this service account"},
      {"AADSTS700211",
       "no federated identity credential has this token's issuer: check the "
       "issuer (the cluster's OIDC issuer URL) in the federated credential"},
      {"AADSTS700212",
       "the assertion's audience does not match: federated credentials "
       "expect api://AzureADTokenExchange, and a certificate's assertion "
       "must name the token URL"},
      {"AADSTS700213",
       "no federated identity credential matches the token's subject: check "
       "the service account in the federated credential"},
  };
  for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
    if (strcmp(code, hints[i].code) == 0)
      return hints[i].hint;
  }
  return NULL;
}

msikv_result msikv__aad_map_error(int status, const char *body, size_t body_len,
                                  msikv_error *out_err) {
  char code[64] = "";
  char aadsts[32] = "";
  char desc[400] = "";
  cJSON *json = NULL;
  if (msikv__json_parse(body, body_len, &json) == MSIKV_OK &&
      cJSON_IsObject(json)) {
    const char *e = msikv__json_string(json, "error");
    if (e)
      snprintf(code, sizeof(code), "%s", e);
    const char *d = msikv__json_string(json, "error_description");
    if (d) {
      size_t line = strcspn(d, "\r\n");
      snprintf(desc, sizeof(desc), "%.*s", (int)(line > 350 ? 350 : line), d);
      if (strncmp(d, "AADSTS", 6) == 0) {
        size_t n = 6 + strspn(d + 6, "0123456789");
        snprintf(aadsts, sizeof(aadsts), "%.*s", (int)(n > 20 ? 20 : n), d);
      }
    }
    if (!aadsts[0]) {
      const cJSON *codes =
          cJSON_GetObjectItemCaseSensitive(json, "error_codes");
      const cJSON *first = cJSON_IsArray(codes) ? codes->child : NULL;
      if (cJSON_IsNumber(first) && first->valuedouble >= 0 &&
          first->valuedouble < 1e12)
        snprintf(aadsts, sizeof(aadsts), "AADSTS%lld",
                 (long long)first->valuedouble);
    }
  }
  cJSON_Delete(json);
  if (out_err) {
    out_err->http_status = status;
    snprintf(out_err->code, sizeof(out_err->code), "%s", code);
    snprintf(out_err->inner_code, sizeof(out_err->inner_code), "%s", aadsts);
  }
  const char *hint = aadsts[0] ? aadsts_hint(aadsts) : NULL;
  msikv_result rc;
  if (status == 429)
    rc = MSIKV_ERR_THROTTLED;
  else if (status >= 500)
    rc = MSIKV_ERR_HTTP;
  else
    rc = MSIKV_ERR_AUTH;
  if (!hint)
    hint = rc == MSIKV_ERR_THROTTLED ? "Entra ID is throttling; try later"
           : rc == MSIKV_ERR_HTTP    ? "Entra ID failed; try again later"
           : status == 400 || status == 401
               ? "check AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                 "AZURE_CLIENT_SECRET"
               : "the authority refused the request";
  /* The hint first: in a chain's message the description may be cut. */
  return msikv_error_set(out_err, rc, "HTTP %d %s: %s%s%s", status,
                         code[0] ? code : "error", hint,
                         desc[0] ? ". Entra ID said: " : "", desc);
}

msikv_result msikv__entra_get_token(const char *name, msikv__token_cache *cache,
                                    const char *scope, const char *tenant_id,
                                    msikv__token_fetch_fn fetch,
                                    void *fetch_ctx, msikv_token *out_token,
                                    msikv_error *out_err) {
  msikv_error_clear(out_err);
  for (const char *c = scope; *c; c++) {
    if ((unsigned char)*c < 0x20 || *c == 0x7f)
      return msikv_error_set(out_err, MSIKV_ERR_ARG,
                             "%s: the scope contains a control character",
                             name);
  }
  return msikv__token_cache_get(cache, scope, tenant_id, fetch, fetch_ctx,
                                out_token, out_err);
}
