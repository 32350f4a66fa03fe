/* SPDX-License-Identifier: MIT */
#include "entra.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "msikv/alloc.h"
#include "util.h"

/* An AADSTS error as Entra ID sends it. */
static void aad_error(const mock_entra_config *cfg, const mock_request *req,
                      mock_response *resp, int status, const char *error,
                      int code, const char *message) {
  char trace[37], corr[37], ts[32], uri[256];
  char desc[2048];
  mock_uuid(trace);
  const char *client_corr = mock_request_header(req, "client-request-id");
  if (client_corr && strlen(client_corr) < sizeof(corr))
    snprintf(corr, sizeof(corr), "%s", client_corr);
  else
    mock_uuid(corr);
  mock_format_utc(req->now_ms / 1000, ts, sizeof(ts));
  snprintf(desc, sizeof(desc),
           "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\n"
           "Timestamp: %s",
           code, message, trace, corr, ts);
  snprintf(uri, sizeof(uri), "%s/error?code=%d", cfg->authority, code);
  cJSON *o = cJSON_CreateObject();
  cJSON *codes = o ? cJSON_AddArrayToObject(o, "error_codes") : NULL;
  cJSON *n = cJSON_CreateNumber(code);
  if (codes && n) {
    cJSON_AddItemToArray(codes, n);
    n = NULL;
  }
  bool ok = codes && cJSON_AddStringToObject(o, "error", error) &&
            cJSON_AddStringToObject(o, "error_description", desc) &&
            cJSON_AddStringToObject(o, "timestamp", ts) &&
            cJSON_AddStringToObject(o, "trace_id", trace) &&
            cJSON_AddStringToObject(o, "correlation_id", corr) &&
            cJSON_AddStringToObject(o, "error_uri", uri);
  cJSON_Delete(n);
  if (!ok) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, status, o);
}

static bool form_get(const mock_request *req, const char *name,
                     msikv_buf *out) {
  mock_request form;
  memset(&form, 0, sizeof(form));
  form.query = req->body ? req->body : "";
  return mock_query_get(&form, name, out);
}

static void missing_param(const mock_entra_config *cfg, const mock_request *req,
                          mock_response *resp, const char *name) {
  char msg[256];
  snprintf(msg, sizeof(msg),
           "The request body must contain the following parameter: '%s'.",
           name);
  aad_error(cfg, req, resp, 400, "invalid_request", 900144, msg);
}

/* client_assertion: a certificate-signed JWT or a federated token
 * (assertion.h). Its aud must be this token endpoint's URL. */
static bool check_assertion(const mock_entra_config *cfg,
                            const mock_request *req, mock_response *resp,
                            const mock_principal *who,
                            const msikv_buf *assertion, int64_t now_s) {
  static const char JWT_BEARER[] =
      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
  msikv_buf type;
  msikv_buf_init(&type, 256);
  bool ok = false;
  if (!form_get(req, "client_assertion_type", &type) || type.len == 0) {
    missing_param(cfg, req, resp, "client_assertion_type");
    goto out;
  }
  if (strcmp(type.data, JWT_BEARER) != 0) {
    char msg[512];
    snprintf(msg, sizeof(msg),
             "The client_assertion_type '%.128s' is not supported. Use "
             "'%s'.",
             type.data, JWT_BEARER);
    aad_error(cfg, req, resp, 400, "invalid_request", 50027, msg);
    goto out;
  }
  char url[512];
  const char *host = req->host && req->host[0] ? req->host : NULL;
  if (host)
    snprintf(url, sizeof(url), "https://%s%s", host, req->path);
  else
    snprintf(url, sizeof(url), "%s%s", cfg->authority, req->path);
  mock_assertion_error e;
  ok = mock_assertion_check(who, cfg->key, assertion->data, url, now_s, &e);
  if (!ok)
    aad_error(cfg, req, resp, e.status, e.error, e.code, e.message);
out:
  msikv_buf_free(&type);
  return ok;
}

static void token(const mock_entra_config *cfg, const mock_request *req,
                  mock_response *resp, const char *tenant, bool v1) {
  msikv_buf grant, client_id, secret, scope, tok;
  msikv_buf_init(&grant, 256);
  msikv_buf_init(&client_id, 256);
  msikv_buf_init_secret(&secret, 4096);
  msikv_buf_init(&scope, 4096);
  msikv_buf_init_secret(&tok, 1 << 16);
  msikv_buf assertion;
  msikv_buf_init_secret(&assertion, 1 << 16);
  char msg[1024];
  if (strcmp(req->method, "POST") != 0) {
    aad_error(cfg, req, resp, 405, "invalid_request", 900561,
              "The endpoint only accepts POST requests. Received a GET "
              "request.");
    goto out;
  }
  if (strcasecmp(tenant, cfg->principals->tenant_id) != 0) {
    snprintf(msg, sizeof(msg),
             "Tenant '%.64s' not found. Check to make sure you have the "
             "correct tenant ID and are signing into the correct cloud. Check "
             "with your subscription administrator, this may happen if there "
             "are no active subscriptions for the tenant.",
             tenant);
    aad_error(cfg, req, resp, 400, "invalid_request", 90002, msg);
    goto out;
  }
  if (!form_get(req, "grant_type", &grant) || grant.len == 0) {
    missing_param(cfg, req, resp, "grant_type");
    goto out;
  }
  if (strcmp(grant.data, "client_credentials") != 0) {
    snprintf(msg, sizeof(msg),
             "The app requested an unsupported grant type '%.64s'. The mock "
             "supports only client_credentials.",
             grant.data);
    aad_error(cfg, req, resp, 400, "unsupported_grant_type", 70003, msg);
    goto out;
  }
  if (!form_get(req, "client_id", &client_id) || client_id.len == 0) {
    missing_param(cfg, req, resp, "client_id");
    goto out;
  }
  const mock_principal *who =
      mock_principals_by_client_id(cfg->principals, client_id.data);
  if (!who) {
    snprintf(msg, sizeof(msg),
             "Application with identifier '%.64s' was not found in the "
             "directory '%s'. This can happen if the application has not been "
             "installed by the administrator of the tenant or consented to by "
             "any user in the tenant. You may have sent your authentication "
             "request to the wrong tenant.",
             client_id.data, cfg->principals->tenant_id);
    aad_error(cfg, req, resp, 400, "unauthorized_client", 700016, msg);
    goto out;
  }
  int64_t now_s = req->now_ms / 1000;
  if (form_get(req, "client_assertion", &assertion) && assertion.len > 0) {
    if (!check_assertion(cfg, req, resp, who, &assertion, now_s))
      goto out;
  } else {
    if (!form_get(req, "client_secret", &secret) || secret.len == 0) {
      aad_error(cfg, req, resp, 401, "invalid_client", 7000216,
                "'client_assertion', 'client_secret' or 'request' is required "
                "for the 'client_credentials' grant type.");
      goto out;
    }
    size_t want_len = strlen(who->client_secret);
    if (want_len == 0 || secret.len != want_len ||
        CRYPTO_memcmp(secret.data, who->client_secret, want_len) != 0) {
      snprintf(
          msg, sizeof(msg),
          "Invalid client secret provided. Ensure the secret being sent in "
          "the request is the client secret value, not the client secret "
          "ID, for a secret added to app '%s'.",
          who->client_id);
      aad_error(cfg, req, resp, 401, "invalid_client", 7000215, msg);
      goto out;
    }
    if (who->secret_expires_s && now_s >= who->secret_expires_s) {
      snprintf(
          msg, sizeof(msg),
          "The provided client secret keys for app '%s' are expired. Visit "
          "the Azure portal to create new keys for your app: "
          "https://aka.ms/NewClientSecret, or consider using certificate "
          "credentials for added security: https://aka.ms/certCreds.",
          who->client_id);
      aad_error(cfg, req, resp, 401, "invalid_client", 7000222, msg);
      goto out;
    }
  }
  const char *param = v1 ? "resource" : "scope";
  if (!form_get(req, param, &scope) || scope.len == 0) {
    missing_param(cfg, req, resp, param);
    goto out;
  }
  if (!v1) {
    /* client_credentials takes exactly one "<resource>/.default" scope. */
    static const char SUFFIX[] = "/.default";
    size_t sl = sizeof(SUFFIX) - 1;
    if (strchr(scope.data, ' ')) {
      snprintf(msg, sizeof(msg),
               "The provided value for the input parameter 'scope' is not "
               "valid. The scope %.512s is not valid.",
               scope.data);
      aad_error(cfg, req, resp, 400, "invalid_scope", 70011, msg);
      goto out;
    }
    if (scope.len <= sl || strcmp(scope.data + scope.len - sl, SUFFIX) != 0) {
      snprintf(msg, sizeof(msg),
               "The provided value for scope %.512s is not valid. Client "
               "credential flows must have a scope value with /.default "
               "suffixed to the resource identifier (application ID URI).",
               scope.data);
      aad_error(cfg, req, resp, 400, "invalid_scope", 1002012, msg);
      goto out;
    }
    scope.len -= sl;
    scope.data[scope.len] = '\0';
  }
  if (mock_jwt_mint(cfg->key, cfg->principals->tenant_id, who, scope.data,
                    now_s, cfg->token_lifetime_s, &tok)) {
    resp->status = 500;
    goto out;
  }
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "token_type", "Bearer");
  if (v1) {
    char in[32], on[32], nb[32];
    snprintf(in, sizeof(in), "%lld", (long long)cfg->token_lifetime_s);
    snprintf(on, sizeof(on), "%lld",
             (long long)(now_s + cfg->token_lifetime_s));
    snprintf(nb, sizeof(nb), "%lld", (long long)now_s);
    ok = ok && cJSON_AddStringToObject(o, "expires_in", in) &&
         cJSON_AddStringToObject(o, "ext_expires_in", in) &&
         cJSON_AddStringToObject(o, "expires_on", on) &&
         cJSON_AddStringToObject(o, "not_before", nb) &&
         cJSON_AddStringToObject(o, "resource", scope.data);
  } else {
    ok = ok &&
         cJSON_AddNumberToObject(o, "expires_in",
                                 (double)cfg->token_lifetime_s) &&
         cJSON_AddNumberToObject(o, "ext_expires_in",
                                 (double)cfg->token_lifetime_s);
  }
  ok = ok && cJSON_AddStringToObject(o, "access_token", tok.data);
  if (!ok) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, 200, o);
  (void)mock_response_header(resp, "Cache-Control", "no-store, no-cache");
out:
  msikv_buf_free(&assertion);
  msikv_buf_free(&grant);
  msikv_buf_free(&client_id);
  msikv_buf_free(&secret);
  msikv_buf_free(&scope);
  msikv_buf_free(&tok);
}

static bool add_strings(cJSON *o, const char *name, const char *const *items,
                        size_t n) {
  cJSON *arr = cJSON_AddArrayToObject(o, name);
  for (size_t i = 0; arr && i < n; i++) {
    cJSON *s = cJSON_CreateString(items[i]);
    if (!s)
      return false;
    cJSON_AddItemToArray(arr, s);
  }
  return arr != NULL;
}

static void openid_configuration(const mock_entra_config *cfg,
                                 mock_response *resp, const char *tenant,
                                 bool v2) {
  const char *a = cfg->authority;
  bool known = strcasecmp(tenant, cfg->principals->tenant_id) == 0;
  /* Multi-tenant aliases keep the "{tenantid}" placeholder, as Entra does. */
  const char *tid = known ? cfg->principals->tenant_id : "{tenantid}";
  const char *ver = v2 ? "/v2.0" : "";
  char issuer[512], token_ep[512], auth_ep[512], jwks[512], logout[512],
      device[512];
  if (v2)
    snprintf(issuer, sizeof(issuer), "%s/%s/v2.0", a, tid);
  else
    snprintf(issuer, sizeof(issuer), "https://sts.windows.net/%s/", tid);
  snprintf(token_ep, sizeof(token_ep), "%s/%s/oauth2%s/token", a, tenant, ver);
  snprintf(auth_ep, sizeof(auth_ep), "%s/%s/oauth2%s/authorize", a, tenant,
           ver);
  snprintf(device, sizeof(device), "%s/%s/oauth2%s/devicecode", a, tenant, ver);
  snprintf(logout, sizeof(logout), "%s/%s/oauth2%s/logout", a, tenant, ver);
  snprintf(jwks, sizeof(jwks), "%s/%s/discovery%s/keys", a, tenant, ver);
  static const char *const methods[] = {"client_secret_post", "private_key_jwt",
                                        "client_secret_basic"};
  static const char *const modes[] = {"query", "fragment", "form_post"};
  static const char *const subjects[] = {"pairwise"};
  static const char *const algs[] = {"RS256"};
  static const char *const types[] = {"code", "id_token", "code id_token",
                                      "id_token token"};
  static const char *const scopes[] = {"openid", "profile", "email",
                                       "offline_access"};
  cJSON *o = cJSON_CreateObject();
  bool ok =
      o && cJSON_AddStringToObject(o, "token_endpoint", token_ep) &&
      add_strings(o, "token_endpoint_auth_methods_supported", methods, 3) &&
      cJSON_AddStringToObject(o, "jwks_uri", jwks) &&
      add_strings(o, "response_modes_supported", modes, 3) &&
      add_strings(o, "subject_types_supported", subjects, 1) &&
      add_strings(o, "id_token_signing_alg_values_supported", algs, 1) &&
      add_strings(o, "response_types_supported", types, 4) &&
      add_strings(o, "scopes_supported", scopes, 4) &&
      cJSON_AddStringToObject(o, "issuer", issuer) &&
      cJSON_AddFalseToObject(o, "request_uri_parameter_supported") &&
      cJSON_AddStringToObject(o, "authorization_endpoint", auth_ep) &&
      cJSON_AddStringToObject(o, "device_authorization_endpoint", device) &&
      cJSON_AddTrueToObject(o, "http_logout_supported") &&
      cJSON_AddTrueToObject(o, "frontchannel_logout_supported") &&
      cJSON_AddStringToObject(o, "end_session_endpoint", logout) &&
      cJSON_AddStringToObject(o, "tenant_region_scope", "WW") &&
      cJSON_AddStringToObject(o, "cloud_instance_name", "login.localhost") &&
      cJSON_AddStringToObject(o, "cloud_graph_host_name", "graph.localhost") &&
      cJSON_AddStringToObject(o, "msgraph_host", "graph.localhost");
  if (!ok) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, 200, o);
}

static void jwks(const mock_entra_config *cfg, mock_response *resp) {
  cJSON *o = cJSON_CreateObject();
  cJSON *keys = o ? cJSON_AddArrayToObject(o, "keys") : NULL;
  if (!keys || mock_jwt_key_add_jwk(cfg->key, keys)) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, 200, o);
}

static void discovery_instance(const mock_entra_config *cfg,
                               mock_response *resp) {
  const char *host = strstr(cfg->authority, "://");
  host = host ? host + 3 : cfg->authority;
  char tde[512];
  snprintf(tde, sizeof(tde),
           "%s/{tenant}/v2.0/.well-known/openid-configuration", cfg->authority);
  cJSON *o = cJSON_CreateObject();
  cJSON *meta = o ? cJSON_CreateArray() : NULL;
  cJSON *entry = meta ? cJSON_CreateObject() : NULL;
  const char *const aliases[] = {host};
  bool ok = entry &&
            cJSON_AddStringToObject(o, "tenant_discovery_endpoint", tde) &&
            cJSON_AddStringToObject(o, "api-version", "1.1") &&
            cJSON_AddStringToObject(entry, "preferred_network", host) &&
            cJSON_AddStringToObject(entry, "preferred_cache", host) &&
            add_strings(entry, "aliases", aliases, 1);
  if (ok) {
    cJSON_AddItemToArray(meta, entry);
    entry = NULL;
    ok = cJSON_AddItemToObject(o, "metadata", meta);
    if (ok)
      meta = NULL;
  }
  if (!ok) {
    cJSON_Delete(entry);
    cJSON_Delete(meta);
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, 200, o);
}

void mock_entra_handle(const mock_entra_config *cfg, const mock_request *req,
                       mock_response *resp) {
  char tenant[128];
  const char *path = req->path ? req->path : "";
  if (path[0] != '/')
    goto not_found;
  size_t tl = strcspn(path + 1, "/");
  if (tl == 0 || tl >= sizeof(tenant))
    goto not_found;
  memcpy(tenant, path + 1, tl);
  tenant[tl] = '\0';
  const char *rest = path + 1 + tl;
  bool is_get = strcmp(req->method, "GET") == 0;
  if (strcmp(rest, "/oauth2/v2.0/token") == 0) {
    token(cfg, req, resp, tenant, false);
  } else if (strcmp(rest, "/oauth2/token") == 0) {
    token(cfg, req, resp, tenant, true);
  } else if (is_get &&
             strcmp(rest, "/v2.0/.well-known/openid-configuration") == 0) {
    openid_configuration(cfg, resp, tenant, true);
  } else if (is_get && strcmp(rest, "/.well-known/openid-configuration") == 0) {
    openid_configuration(cfg, resp, tenant, false);
  } else if (is_get && (strcmp(rest, "/discovery/v2.0/keys") == 0 ||
                        strcmp(rest, "/discovery/keys") == 0)) {
    jwks(cfg, resp);
  } else if (is_get && strcmp(tenant, "common") == 0 &&
             strcmp(rest, "/discovery/instance") == 0) {
    discovery_instance(cfg, resp);
  } else {
    goto not_found;
  }
  {
    char id[37];
    mock_uuid(id);
    (void)mock_response_header(resp, "x-ms-request-id", id);
  }
  return;
not_found:
  (void)mock_response_text(resp, 404,
                           "The mock Entra ID serves /{tenant}/oauth2/v2.0/"
                           "token, /{tenant}/v2.0/.well-known/openid-"
                           "configuration, /{tenant}/discovery/v2.0/keys and "
                           "/common/discovery/instance.\n");
}
