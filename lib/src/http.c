/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "msikv/alloc.h"
#include "msikv/http.h"

void msikv_http_request_init(msikv_http_request *req, const char *method,
                             const char *url) {
  memset(req, 0, sizeof(*req));
  req->method = method ? method : "GET";
  req->url = url;
}

msikv_result msikv_http_request_add_header(msikv_http_request *req,
                                           const char *name,
                                           const char *value) {
  if (!name)
    return MSIKV_ERR_ARG;
  if (req->header_count >= MSIKV_HTTP_MAX_HEADERS)
    return MSIKV_ERR_TOO_LARGE;
  req->headers[req->header_count].name = name;
  req->headers[req->header_count].value = value;
  req->header_count++;
  return MSIKV_OK;
}

const char *msikv_http_request_header(const msikv_http_request *req,
                                      const char *name) {
  for (size_t i = 0; i < req->header_count; i++) {
    if (req->headers[i].value && strcasecmp(req->headers[i].name, name) == 0)
      return req->headers[i].value;
  }
  return NULL;
}

void msikv_http_response_init(msikv_http_response *resp, size_t max_body) {
  memset(resp, 0, sizeof(*resp));
  msikv_buf_init(&resp->headers, 64 * 1024);
  msikv_buf_init_secret(&resp->body,
                        max_body ? max_body : MSIKV_HTTP_DEFAULT_MAX_BODY);
}

void msikv_http_response_reset(msikv_http_response *resp) {
  resp->status = 0;
  resp->header_count = 0;
  msikv_buf_reset(&resp->headers);
  msikv_buf_reset(&resp->body);
}

void msikv_http_response_free(msikv_http_response *resp) {
  if (!resp)
    return;
  msikv_buf_free(&resp->headers);
  msikv_buf_free(&resp->body);
  resp->status = 0;
  resp->header_count = 0;
}

msikv_result msikv_http_response_add_header(msikv_http_response *resp,
                                            const char *name, size_t name_len,
                                            const char *value,
                                            size_t value_len) {
  size_t mark = resp->headers.len;
  msikv_result rc = MSIKV_OK;
  for (size_t i = 0; i < name_len && !rc; i++) {
    char c = (char)tolower((unsigned char)name[i]);
    rc = msikv_buf_append(&resp->headers, &c, 1);
  }
  if (!rc)
    rc = msikv_buf_append(&resp->headers, "", 1);
  if (!rc)
    rc = msikv_buf_append(&resp->headers, value, value_len);
  if (!rc)
    rc = msikv_buf_append(&resp->headers, "", 1);
  if (rc) {
    /* Leave the headers as they were. */
    resp->headers.len = mark;
    if (resp->headers.data)
      resp->headers.data[mark] = '\0';
    return rc;
  }
  resp->header_count++;
  return MSIKV_OK;
}

const char *msikv_http_response_header(const msikv_http_response *resp,
                                       const char *name) {
  const char *p = resp->headers.data;
  for (size_t i = 0; p && i < resp->header_count; i++) {
    const char *value = p + strlen(p) + 1;
    if (strcasecmp(p, name) == 0)
      return value;
    p = value + strlen(value) + 1;
  }
  return NULL;
}

bool msikv_http_status_ok(int status) { return status >= 200 && status < 300; }

msikv_result msikv_transport_send(const msikv_transport *transport,
                                  const msikv_http_request *req,
                                  msikv_http_response *out_resp,
                                  msikv_error *out_err) {
  if (!transport || !transport->send || !req || !req->url || !out_resp)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "transport_send: missing transport or request");
  return transport->send(transport->ctx, req, out_resp, out_err);
}

void msikv_transport_free(msikv_transport *transport) {
  if (!transport)
    return;
  if (transport->destroy)
    transport->destroy(transport->ctx);
  msikv_free(transport);
}

bool msikv_http_header_is_sensitive(const char *name) {
  static const char *const sensitive[] = {
      "authorization", "x-identity-header", "secret", "cookie", "set-cookie",
      "proxy-authorization", "x-ms-authorization-auxiliary"};
  for (size_t i = 0; i < sizeof(sensitive) / sizeof(sensitive[0]); i++) {
    if (strcasecmp(name, sensitive[i]) == 0)
      return true;
  }
  return false;
}
