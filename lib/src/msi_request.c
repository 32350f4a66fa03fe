/* SPDX-License-Identifier: MIT */
/* Managed-identity requests for each source, and how their errors map.
 * Pure: builds msikv_http_request values and reads response bodies. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "identity_internal.h"
#include "json_internal.h"
#include "msikv/alloc.h"
#include "msikv/url.h"

#define IMDS_TOKEN_PATH "/metadata/identity/oauth2/token"

void msikv__id_request_init(msikv__id_request *r) {
  memset(r, 0, sizeof(*r));
  msikv_buf_init(&r->url, 16 * 1024);
  msikv_buf_init_secret(&r->body, 64 * 1024);
}

void msikv__id_request_free(msikv__id_request *r) {
  if (!r)
    return;
  msikv_buf_free(&r->url);
  msikv_buf_free(&r->body);
  memset(&r->req, 0, sizeof(r->req));
}

const char *msikv__mi_id_param(msikv__mi_source source,
                               msikv__mi_id_kind kind) {
  switch (source) {
  case MSIKV__MI_APP_SERVICE:
    return kind == MSIKV__MI_ID_CLIENT     ? "client_id"
           : kind == MSIKV__MI_ID_OBJECT   ? "principal_id"
           : kind == MSIKV__MI_ID_RESOURCE ? "mi_res_id"
                                           : NULL;
  case MSIKV__MI_LEGACY:
    return kind == MSIKV__MI_ID_CLIENT ? "clientid" : NULL;
  case MSIKV__MI_IMDS:
    return kind == MSIKV__MI_ID_CLIENT     ? "client_id"
           : kind == MSIKV__MI_ID_OBJECT   ? "object_id"
           : kind == MSIKV__MI_ID_RESOURCE ? "msi_res_id"
                                           : NULL;
  }
  return NULL;
}

const char *msikv__mi_source_name(msikv__mi_source source) {
  switch (source) {
  case MSIKV__MI_APP_SERVICE:
    return "App Service";
  case MSIKV__MI_LEGACY:
    return "App Service 2017";
  case MSIKV__MI_IMDS:
    return "IMDS";
  }
  return "unknown";
}

msikv_result
msikv__mi_build_request(msikv__mi_source source, const char *endpoint,
                        const char *header_value, const char *resource,
                        msikv__mi_id_kind id_kind, const char *id_value,
                        msikv__id_request *out, msikv_error *out_err) {
  if (!endpoint || !*endpoint || !resource || !*resource)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "managed identity request needs an endpoint and a "
                           "resource");
  const char *id_param = msikv__mi_id_param(source, id_kind);
  if (id_kind != MSIKV__MI_ID_NONE && (!id_param || !id_value || !*id_value))
    return msikv_error_set(out_err, MSIKV_ERR_UNSUPPORTED,
                           "%s managed identity cannot select a user-assigned "
                           "identity that way",
                           msikv__mi_source_name(source));
  if (source != MSIKV__MI_IMDS && (!header_value || !*header_value))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "%s managed identity needs its secret header value",
                           msikv__mi_source_name(source));
  msikv_result rc = MSIKV_OK;
  if (source == MSIKV__MI_IMDS) {
    size_t len = strlen(endpoint);
    while (len > 0 && endpoint[len - 1] == '/')
      len--;
    rc = msikv_buf_append(&out->url, endpoint, len);
    if (!rc)
      rc = msikv_buf_append_str(&out->url, IMDS_TOKEN_PATH);
    if (!rc)
      rc = msikv_url_add_query(&out->url, "api-version", "2018-02-01");
    if (!rc)
      rc = msikv_url_add_query(&out->url, "resource", resource);
  } else if (source == MSIKV__MI_APP_SERVICE) {
    rc = msikv_buf_append_str(&out->url, endpoint);
    if (!rc)
      rc = msikv_url_add_query(&out->url, "api-version", "2019-08-01");
    if (!rc)
      rc = msikv_url_add_query(&out->url, "resource", resource);
  } else {
    rc = msikv_buf_append_str(&out->url, endpoint);
    if (!rc)
      rc = msikv_url_add_query(&out->url, "resource", resource);
    if (!rc)
      rc = msikv_url_add_query(&out->url, "api-version", "2017-09-01");
  }
  if (!rc && id_param)
    rc = msikv_url_add_query(&out->url, id_param, id_value);
  if (rc)
    return msikv_error_set(out_err, rc,
                           rc == MSIKV_ERR_NOMEM
                               ? "out of memory building a token request"
                               : "managed identity request URL is too long");
  msikv_http_request_init(&out->req, "GET", out->url.data);
  out->req.no_proxy = true;
  out->req.allow_http = true;
  /* Local endpoints answer at once or not at all: fail fast off Azure. */
  out->req.connect_timeout_ms = source == MSIKV__MI_IMDS ? 2000 : 5000;
  out->req.timeout_ms = 30000;
  if (source == MSIKV__MI_IMDS)
    rc = msikv_http_request_add_header(&out->req, "Metadata", "true");
  else if (source == MSIKV__MI_APP_SERVICE)
    rc = msikv_http_request_add_header(&out->req, "X-IDENTITY-HEADER",
                                       header_value);
  else
    rc = msikv_http_request_add_header(&out->req, "secret", header_value);
  if (!rc)
    rc = msikv_http_request_add_header(&out->req, "Accept", "application/json");
  return rc;
}

msikv_retry_policy msikv__mi_retry_policy(msikv__mi_source source,
                                          double delay_scale) {
  msikv_retry_policy policy = msikv_retry_policy_default();
  if (source == MSIKV__MI_IMDS) {
    /* The IMDS guidance: 404 (identity not yet there), 410 (IMDS updating,
     * back within 70 s), 429 and 5xx, with exponential backoff. */
    policy.max_retries = 5;
    policy.base_delay_ms = 1000;
    policy.max_delay_ms = 60000;
    size_t n = 0;
    policy.statuses[n++] = 404;
    policy.statuses[n++] = 410;
    policy.statuses[n++] = 429;
    for (int s = 500; s <= 511; s++)
      policy.statuses[n++] = s;
    policy.status_count = n;
    policy.persist_status = 410;
    policy.persist_total_ms = MSIKV__IMDS_410_PERSIST_MS;
  }
  policy.delay_scale = delay_scale > 0 ? delay_scale : 1.0;
  return policy;
}

/* Case-insensitive search within a body that need not be NUL-terminated. */
static bool body_contains(const char *body, size_t len, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; body && n <= len && i + n <= len; i++) {
    if (strncasecmp(body + i, needle, n) == 0)
      return true;
  }
  return false;
}

/* The service's message: "error_description", "message" or "error". */
static void service_detail(const char *body, size_t len, msikv_error *out_err,
                           char *detail, size_t detail_size) {
  detail[0] = '\0';
  cJSON *json = NULL;
  if (msikv__json_parse(body, len, &json) != MSIKV_OK)
    return;
  const char *code = msikv__json_string(json, "error");
  const cJSON *err_obj = cJSON_GetObjectItemCaseSensitive(json, "error");
  if (cJSON_IsObject(err_obj)) {
    code = msikv__json_string(err_obj, "code");
    const char *m = msikv__json_string(err_obj, "message");
    if (m)
      snprintf(detail, detail_size, "%.300s", m);
  }
  const char *desc = msikv__json_string(json, "error_description");
  if (!desc)
    desc = msikv__json_string(json, "message");
  if (!desc)
    desc = msikv__json_string(json, "Message");
  if (desc) {
    size_t line = strcspn(desc, "\r\n");
    snprintf(detail, detail_size, "%.*s", (int)(line > 300 ? 300 : line), desc);
  }
  if (code && out_err)
    snprintf(out_err->code, sizeof(out_err->code), "%s", code);
  cJSON_Delete(json);
}

msikv_result msikv__mi_map_error(msikv__mi_source source,
                                 msikv__mi_id_kind id_kind,
                                 const char *id_value, int status,
                                 const char *body, size_t body_len,
                                 msikv_error *out_err) {
  char detail[320];
  if (out_err) {
    out_err->http_status = status;
    out_err->code[0] = '\0';
  }
  service_detail(body, body_len, out_err, detail, sizeof(detail));
  const char *param = msikv__mi_id_param(source, id_kind);
  char sent[300];
  if (param)
    snprintf(sent, sizeof(sent), "the user-assigned identity %s=%.200s", param,
             id_value ? id_value : "");
  else
    snprintf(sent, sizeof(sent), "the system-assigned identity");
  const char *sep = detail[0] ? ": " : "";

  if (status == 403 && body_contains(body, body_len, "unreachable network"))
    return msikv_error_set(
        out_err, MSIKV_ERR_UNAVAILABLE,
        "HTTP 403 \"unreachable network\": no managed identity endpoint is "
        "reachable from here (Docker Desktop answers this way); run on an "
        "Azure host with a managed identity, or use a client secret");
  if (source == MSIKV__MI_IMDS && status == 400 &&
      body_contains(body, body_len, "identity not found")) {
    if (id_kind == MSIKV__MI_ID_NONE)
      return msikv_error_set(
          out_err, MSIKV_ERR_UNAVAILABLE,
          "HTTP 400 \"Identity not found\": no system-assigned identity is "
          "assigned to this resource; enable it, or select a user-assigned "
          "identity");
    return msikv_error_set(
        out_err, MSIKV_ERR_AUTH,
        "HTTP 400 \"Identity not found\" for %s: that identity is not "
        "assigned to this resource; assign it, or check the id",
        sent);
  }
  if (source == MSIKV__MI_IMDS && status == 410)
    return msikv_error_set(out_err, MSIKV_ERR_HTTP,
                           "HTTP 410 for %s: IMDS is being updated and did "
                           "not come back within %d s; try again later",
                           sent, MSIKV__IMDS_410_PERSIST_MS / 1000);
  if (source == MSIKV__MI_IMDS && status == 404)
    return msikv_error_set(out_err, MSIKV_ERR_UNAVAILABLE,
                           "HTTP 404 for %s%s%s: IMDS has no managed identity "
                           "token endpoint here (or the identity is still "
                           "being set up); check that this VM has an identity",
                           sent, sep, detail);
  if (status == 429)
    return msikv_error_set(out_err, MSIKV_ERR_THROTTLED,
                           "HTTP 429 for %s%s%s: the endpoint is throttling; "
                           "reuse one credential so that its cache works",
                           sent, sep, detail);
  if (status >= 500) {
    const char *hint =
        source == MSIKV__MI_IMDS && (status == 502 || status == 504)
            ? "a proxy may be in the way: IMDS must be reached directly "
              "(add 169.254.169.254 to NO_PROXY)"
            : "the endpoint failed; try again later";
    return msikv_error_set(out_err, MSIKV_ERR_HTTP, "HTTP %d for %s%s%s: %s",
                           status, sent, sep, detail, hint);
  }
  if (source == MSIKV__MI_APP_SERVICE && status == 400 &&
      body_contains(body, body_len, "UnsupportedApiVersion"))
    return msikv_error_set(
        out_err, MSIKV_ERR_UNSUPPORTED,
        "HTTP 400 for %s%s%s: this host does not support api-version "
        "2019-08-01; if MSI_ENDPOINT and MSI_SECRET are set, unset "
        "IDENTITY_ENDPOINT to use the 2017-09-01 protocol",
        sent, sep, detail);
  const char *hint;
  if (status == 401 || status == 403)
    hint = source == MSIKV__MI_APP_SERVICE
               ? "the endpoint rejected the X-IDENTITY-HEADER: restart the "
                 "app so that IDENTITY_HEADER is current"
           : source == MSIKV__MI_LEGACY
               ? "the endpoint rejected the secret header: restart the app "
                 "so that MSI_SECRET is current"
               : "IMDS refused the request";
  else if (param)
    hint = source == MSIKV__MI_LEGACY
               ? "check that this client id belongs to a user-assigned "
                 "identity assigned to the app"
               : "check that this identity is assigned to the app (for App "
                 "Service, a user-assigned identity is selected by its "
                 "client_id, principal_id or mi_res_id)";
  else
    hint = "check that the system-assigned identity is enabled (restart the "
           "app after enabling it) and that the scope names a resource, e.g. "
           "https://vault.azure.net/.default";
  return msikv_error_set(out_err, MSIKV_ERR_AUTH, "HTTP %d for %s%s%s; %s",
                         status, sent, sep, detail, hint);
}
