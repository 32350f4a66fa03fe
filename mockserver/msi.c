/* SPDX-License-Identifier: MIT */
#include "msi.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "msikv/alloc.h"
#include "util.h"

static const char *const FORMAT_NAMES[MOCK_EXPIRES_FORMAT_COUNT] = {
    "windows", "docs", "linux", "iso", "int", "epoch"};

const char *mock_expires_format_name(mock_expires_format format) {
  if ((unsigned)format >= MOCK_EXPIRES_FORMAT_COUNT)
    return "?";
  return FORMAT_NAMES[format];
}

bool mock_expires_format_parse(const char *name, mock_expires_format *out) {
  for (int i = 0; i < MOCK_EXPIRES_FORMAT_COUNT; i++) {
    if (strcasecmp(name, FORMAT_NAMES[i]) == 0) {
      *out = (mock_expires_format)i;
      return true;
    }
  }
  return false;
}

void mock_expires_format_value(mock_expires_format format, int64_t epoch_s,
                               char *out, size_t out_size) {
  int y, mo, d, h, mi, s;
  mock_civil_from_epoch(epoch_s, &y, &mo, &d, &h, &mi, &s);
  switch (format) {
  case MOCK_EXPIRES_WINDOWS: {
    int h12 = h % 12 == 0 ? 12 : h % 12;
    snprintf(out, out_size, "%d/%d/%04d %d:%02d:%02d %s +00:00", mo, d, y, h12,
             mi, s, h < 12 ? "AM" : "PM");
    break;
  }
  case MOCK_EXPIRES_DOCS:
    snprintf(out, out_size, "%02d/%02d/%04d %02d:%02d:%02d %s +00:00", mo, d,
             y, h, mi, s, h < 12 ? "AM" : "PM");
    break;
  case MOCK_EXPIRES_LINUX:
    snprintf(out, out_size, "%02d/%02d/%04d %02d:%02d:%02d +00:00", mo, d, y,
             h, mi, s);
    break;
  case MOCK_EXPIRES_ISO:
    snprintf(out, out_size, "%04d-%02d-%02d %02d:%02d:%02dZ", y, mo, d, h, mi,
             s);
    break;
  default:
    snprintf(out, out_size, "%lld", (long long)epoch_s);
    break;
  }
}

static bool header_equals(const mock_request *req, const char *name,
                          const char *want) {
  const char *got = mock_request_header(req, name);
  if (!got || !want)
    return false;
  size_t n = strlen(want);
  return strlen(got) == n && CRYPTO_memcmp(got, want, n) == 0;
}

/* App Service errors: {"statusCode":N,"message":"...","correlationId":"..."} */
static void appservice_error(mock_response *resp, int status,
                             const char *message) {
  char corr[37];
  mock_uuid(corr);
  cJSON *o = cJSON_CreateObject();
  if (o && (!cJSON_AddNumberToObject(o, "statusCode", status) ||
            !cJSON_AddStringToObject(o, "message", message) ||
            !cJSON_AddStringToObject(o, "correlationId", corr))) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, status, o);
}

/* IMDS errors: {"error":"...","error_description":"..."} */
static void imds_error(mock_response *resp, int status, const char *error,
                       const char *description) {
  cJSON *o = cJSON_CreateObject();
  if (o && (!cJSON_AddStringToObject(o, "error", error) ||
            !cJSON_AddStringToObject(o, "error_description", description))) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, status, o);
}

typedef struct selector {
  const char *param; /* which parameter selected the identity, or NULL */
  msikv_buf value;
} selector;

/* Reads at most one of @p names; @return the count of those present. */
static int read_selector(const mock_request *req, const char *const *names,
                         size_t n, selector *sel) {
  int present = 0;
  msikv_buf tmp;
  msikv_buf_init(&tmp, 1024);
  for (size_t i = 0; i < n; i++) {
    if (mock_query_get(req, names[i], &tmp)) {
      present++;
      if (!sel->param) {
        sel->param = names[i];
        msikv_buf_reset(&sel->value);
        if (msikv_buf_append(&sel->value, tmp.data, tmp.len))
          present = -1;
      }
    }
  }
  msikv_buf_free(&tmp);
  return present;
}

static const mock_principal *find_identity(const mock_principals *p,
                                           const selector *sel) {
  const mock_principal *who = NULL;
  if (!sel->param)
    who = mock_principals_system(p);
  else if (strcmp(sel->param, "client_id") == 0 ||
           strcmp(sel->param, "clientid") == 0)
    who = mock_principals_by_client_id(p, sel->value.data);
  else if (strcmp(sel->param, "mi_res_id") == 0 ||
           strcmp(sel->param, "msi_res_id") == 0)
    who = mock_principals_by_resource_id(p, sel->value.data);
  else
    who = mock_principals_by_object_id(p, sel->value.data);
  if (who && who->kind != MOCK_PRINCIPAL_MANAGED_IDENTITY)
    who = NULL;
  return who;
}

static void appservice(const mock_msi_config *cfg, const mock_request *req,
                       mock_response *resp, bool legacy) {
  msikv_buf resource;
  msikv_buf token;
  selector sel = {NULL, {0}};
  msikv_buf_init(&resource, 4096);
  msikv_buf_init_secret(&token, 1 << 16);
  msikv_buf_init(&sel.value, 1024);
  if (legacy ? !header_equals(req, "secret", cfg->msi_secret)
             : !header_equals(req, "X-IDENTITY-HEADER", cfg->identity_header)) {
    appservice_error(resp, 401,
                     legacy ? "The 'secret' header is missing or does not "
                              "match MSI_SECRET."
                            : "The 'X-IDENTITY-HEADER' header is missing or "
                              "does not match IDENTITY_HEADER.");
    goto out;
  }
  if (!mock_query_get(req, "resource", &resource) || resource.len == 0) {
    appservice_error(resp, 400,
                     "The 'resource' query parameter is required, for "
                     "example resource=https://vault.azure.net.");
    goto out;
  }
  static const char *const NEW_SEL[] = {"client_id", "principal_id",
                                        "object_id", "mi_res_id"};
  static const char *const OLD_SEL[] = {"clientid"};
  int n = legacy ? read_selector(req, OLD_SEL, 1, &sel)
                 : read_selector(req, NEW_SEL, 4, &sel);
  if (n < 0) {
    resp->status = 500;
    goto out;
  }
  if (n > 1) {
    appservice_error(resp, 400,
                     "Only one of client_id, principal_id (object_id) or "
                     "mi_res_id may be given.");
    goto out;
  }
  const mock_principal *who = find_identity(cfg->principals, &sel);
  if (!who) {
    appservice_error(resp, 400, "Unable to load requested managed identity.");
    goto out;
  }
  int64_t now_s = req->now_ms / 1000;
  int64_t exp = now_s + cfg->token_lifetime_s;
  if (mock_jwt_mint(cfg->key, cfg->principals->tenant_id, who, resource.data,
                    now_s, cfg->token_lifetime_s, &token)) {
    resp->status = 500;
    goto out;
  }
  cJSON *o = cJSON_CreateObject();
  char expires[64];
  bool ok = o && cJSON_AddStringToObject(o, "access_token", token.data);
  if (legacy) {
    mock_expires_format_value(cfg->legacy_format, exp, expires,
                              sizeof(expires));
    ok = ok && (cfg->legacy_format == MOCK_EXPIRES_INT
                    ? cJSON_AddNumberToObject(o, "expires_on", (double)exp) !=
                          NULL
                    : cJSON_AddStringToObject(o, "expires_on", expires) !=
                          NULL);
  } else {
    snprintf(expires, sizeof(expires), "%lld", (long long)exp);
    ok = ok && cJSON_AddStringToObject(o, "expires_on", expires);
  }
  ok = ok && cJSON_AddStringToObject(o, "resource", resource.data) &&
       cJSON_AddStringToObject(o, "token_type", "Bearer");
  if (!legacy)
    ok = ok && cJSON_AddStringToObject(o, "client_id", who->client_id);
  if (!ok) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, 200, o);
out:
  msikv_buf_free(&resource);
  msikv_buf_free(&token);
  msikv_buf_free(&sel.value);
}

void mock_msi_handle(const mock_msi_config *cfg, const mock_request *req,
                     mock_response *resp) {
  msikv_buf version;
  msikv_buf_init(&version, 256);
  if (!mock_query_get(req, "api-version", &version) || version.len == 0) {
    appservice_error(resp, 400,
                     "The 'api-version' query parameter is required: "
                     "2019-08-01 (X-IDENTITY-HEADER) or 2017-09-01 (secret).");
  } else if (strcmp(version.data, "2019-08-01") == 0) {
    appservice(cfg, req, resp, false);
  } else if (strcmp(version.data, "2017-09-01") == 0) {
    appservice(cfg, req, resp, true);
  } else {
    char msg[512];
    snprintf(msg, sizeof(msg),
             "(UnsupportedApiVersion) The HTTP resource that matches the "
             "request URI '%s' does not support the API version '%.64s'.",
             req->path, version.data);
    appservice_error(resp, 400, msg);
  }
  msikv_buf_free(&version);
}

void mock_imds_handle(const mock_msi_config *cfg, const mock_request *req,
                      mock_response *resp) {
  msikv_buf version;
  msikv_buf resource;
  msikv_buf token;
  selector sel = {NULL, {0}};
  msikv_buf_init(&version, 256);
  msikv_buf_init(&resource, 4096);
  msikv_buf_init_secret(&token, 1 << 16);
  msikv_buf_init(&sel.value, 1024);
  const char *metadata = mock_request_header(req, "Metadata");
  if (!metadata || strcasecmp(metadata, "true") != 0) {
    imds_error(resp, 400, "invalid_request",
               "Required metadata header not specified");
    goto out;
  }
  if (!mock_query_get(req, "api-version", &version) || version.len == 0) {
    imds_error(resp, 400, "invalid_request",
               "Required query variable 'api-version' is missing");
    goto out;
  }
  if (!mock_query_get(req, "resource", &resource) || resource.len == 0) {
    imds_error(resp, 400, "invalid_request",
               "Required query variable 'resource' is missing");
    goto out;
  }
  static const char *const SEL[] = {"client_id", "object_id", "msi_res_id",
                                    "mi_res_id"};
  int n = read_selector(req, SEL, 4, &sel);
  if (n < 0) {
    resp->status = 500;
    goto out;
  }
  if (n > 1) {
    imds_error(resp, 400, "invalid_request",
               "Only one of client_id, object_id or msi_res_id may be given");
    goto out;
  }
  const mock_principal *who = find_identity(cfg->principals, &sel);
  if (!who) {
    imds_error(resp, 400, "invalid_request", "Identity not found");
    goto out;
  }
  int64_t now_s = req->now_ms / 1000;
  if (mock_jwt_mint(cfg->key, cfg->principals->tenant_id, who, resource.data,
                    now_s, cfg->token_lifetime_s, &token)) {
    resp->status = 500;
    goto out;
  }
  char expires_in[32], expires_on[32], not_before[32];
  snprintf(expires_in, sizeof(expires_in), "%lld",
           (long long)cfg->token_lifetime_s);
  snprintf(expires_on, sizeof(expires_on), "%lld",
           (long long)(now_s + cfg->token_lifetime_s));
  snprintf(not_before, sizeof(not_before), "%lld", (long long)now_s);
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "access_token", token.data) &&
            cJSON_AddStringToObject(o, "client_id", who->client_id) &&
            cJSON_AddStringToObject(o, "expires_in", expires_in) &&
            cJSON_AddStringToObject(o, "expires_on", expires_on) &&
            cJSON_AddStringToObject(o, "ext_expires_in", expires_in) &&
            cJSON_AddStringToObject(o, "not_before", not_before) &&
            cJSON_AddStringToObject(o, "resource", resource.data) &&
            cJSON_AddStringToObject(o, "token_type", "Bearer");
  if (!ok) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, 200, o);
out:
  msikv_buf_free(&version);
  msikv_buf_free(&resource);
  msikv_buf_free(&token);
  msikv_buf_free(&sel.value);
}
