/* SPDX-License-Identifier: MIT */
#include "mock_http.h"

#include <string.h>
#include <strings.h>

#include "msikv/alloc.h"
#include "msikv/url.h"

const char *mock_request_header(const mock_request *req, const char *name) {
  for (size_t i = 0; i < req->header_count; i++) {
    if (strcasecmp(req->headers[i].name, name) == 0)
      return req->headers[i].value;
  }
  return NULL;
}

bool mock_query_get(const mock_request *req, const char *name,
                    msikv_buf *out) {
  const char *p = req->query ? req->query : "";
  bool found = false;
  msikv_buf key;
  msikv_buf_init(&key, 4096);
  while (*p && !found) {
    size_t pair_len = strcspn(p, "&");
    const char *eq = memchr(p, '=', pair_len);
    size_t key_len = eq ? (size_t)(eq - p) : pair_len;
    msikv_buf_reset(&key);
    if (msikv_url_decode(&key, p, key_len, true) == MSIKV_OK && key.data &&
        strcmp(key.data, name) == 0) {
      const char *value = eq ? eq + 1 : p + pair_len;
      size_t value_len = eq ? pair_len - key_len - 1 : 0;
      msikv_buf_reset(out);
      if (msikv_url_decode(out, value, value_len, true) == MSIKV_OK) {
        found = true;
        if (!out->data)
          found = msikv_buf_append(out, "", 0) == MSIKV_OK;
      }
    }
    p += pair_len;
    if (*p == '&')
      p++;
  }
  msikv_buf_free(&key);
  return found;
}

void mock_response_init(mock_response *resp) {
  memset(resp, 0, sizeof(*resp));
  resp->status = 500;
  msikv_buf_init(&resp->body, (size_t)64 << 20);
}

void mock_response_free(mock_response *resp) {
  for (size_t i = 0; i < resp->header_count; i++) {
    msikv_free(resp->header_names[i]);
    msikv_free(resp->header_values[i]);
  }
  resp->header_count = 0;
  msikv_buf_free(&resp->body);
}

msikv_result mock_response_header(mock_response *resp, const char *name,
                                  const char *value) {
  if (resp->header_count >= MOCK_MAX_HEADERS)
    return MSIKV_ERR_TOO_LARGE;
  char *n = msikv_strdup(name);
  char *v = msikv_strdup(value);
  if (!n || !v) {
    msikv_free(n);
    msikv_free(v);
    return MSIKV_ERR_NOMEM;
  }
  resp->header_names[resp->header_count] = n;
  resp->header_values[resp->header_count] = v;
  resp->header_count++;
  return MSIKV_OK;
}

const char *mock_response_get_header(const mock_response *resp,
                                     const char *name) {
  for (size_t i = 0; i < resp->header_count; i++) {
    if (strcasecmp(resp->header_names[i], name) == 0)
      return resp->header_values[i];
  }
  return NULL;
}

msikv_result mock_response_json(mock_response *resp, int status,
                                const cJSON *json) {
  char *text = cJSON_PrintUnformatted(json);
  if (!text)
    return MSIKV_ERR_NOMEM;
  msikv_buf_reset(&resp->body);
  msikv_result rc = msikv_buf_append_str(&resp->body, text);
  cJSON_free(text);
  if (!rc)
    rc = mock_response_header(resp, "Content-Type",
                              "application/json; charset=utf-8");
  if (!rc)
    resp->status = status;
  return rc;
}

msikv_result mock_response_text(mock_response *resp, int status,
                                const char *text) {
  msikv_buf_reset(&resp->body);
  msikv_result rc = msikv_buf_append_str(&resp->body, text);
  if (!rc)
    rc = mock_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
  if (!rc)
    resp->status = status;
  return rc;
}
