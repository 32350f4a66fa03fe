/* SPDX-License-Identifier: MIT */
#include "reqlog.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msikv/alloc.h"

struct mock_reqlog {
  pthread_mutex_t lock;
  cJSON **ring;
  size_t capacity;
  int64_t next_seq; /* seq of the next entry */
};

msikv_result mock_reqlog_new(size_t capacity, mock_reqlog **out_log) {
  mock_reqlog *log = msikv_calloc(1, sizeof(*log));
  if (!log || capacity == 0)
    goto fail;
  log->ring = msikv_calloc(capacity, sizeof(cJSON *));
  if (!log->ring)
    goto fail;
  log->capacity = capacity;
  pthread_mutex_init(&log->lock, NULL);
  *out_log = log;
  return MSIKV_OK;
fail:
  msikv_free(log);
  return capacity ? MSIKV_ERR_NOMEM : MSIKV_ERR_ARG;
}

void mock_reqlog_clear(mock_reqlog *log) {
  pthread_mutex_lock(&log->lock);
  for (size_t i = 0; i < log->capacity; i++) {
    cJSON_Delete(log->ring[i]);
    log->ring[i] = NULL;
  }
  pthread_mutex_unlock(&log->lock);
}

void mock_reqlog_free(mock_reqlog *log) {
  if (!log)
    return;
  mock_reqlog_clear(log);
  pthread_mutex_destroy(&log->lock);
  msikv_free(log->ring);
  msikv_free(log);
}

static const char *const SENSITIVE[] = {
    "authorization",       "proxy-authorization", "x-identity-header",
    "secret",              "cookie",              "set-cookie",
    "x-ms-authorization-auxiliary", "metadata-secret"};

bool mock_header_is_sensitive(const char *name) {
  for (size_t i = 0; i < sizeof(SENSITIVE) / sizeof(SENSITIVE[0]); i++)
    if (strcasecmp(name, SENSITIVE[i]) == 0)
      return true;
  return false;
}

void mock_header_redact(const char *name, const char *value, char *out,
                        size_t out_size) {
  if (!mock_header_is_sensitive(name)) {
    snprintf(out, out_size, "%s", value);
    return;
  }
  if (strcasecmp(name, "authorization") == 0 ||
      strcasecmp(name, "proxy-authorization") == 0) {
    size_t scheme = strcspn(value, " ");
    if (value[scheme] == ' ' && scheme > 0 && scheme < 16) {
      snprintf(out, out_size, "%.*s [redacted]", (int)scheme, value);
      return;
    }
  }
  snprintf(out, out_size, "[redacted]");
}

static const char *const SECRET_PARAMS[] = {
    "client_secret", "client_assertion", "secret", "access_token",
    "refresh_token", "password",         "code",   "assertion"};

static bool secret_param(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof(SECRET_PARAMS) / sizeof(SECRET_PARAMS[0]);
       i++)
    if (strlen(SECRET_PARAMS[i]) == len &&
        strncasecmp(name, SECRET_PARAMS[i], len) == 0)
      return true;
  return false;
}

void mock_query_redact(const char *query, char *out, size_t out_size) {
  size_t o = 0;
  const char *p = query ? query : "";
  if (out_size == 0)
    return;
  while (*p && o + 1 < out_size) {
    size_t pair = strcspn(p, "&");
    const char *eq = memchr(p, '=', pair);
    size_t key = eq ? (size_t)(eq - p) : pair;
    int n;
    if (eq && secret_param(p, key))
      n = snprintf(out + o, out_size - o, "%.*s=[redacted]", (int)key, p);
    else
      n = snprintf(out + o, out_size - o, "%.*s", (int)pair, p);
    if (n < 0 || (size_t)n >= out_size - o) {
      o = out_size - 1;
      break;
    }
    o += (size_t)n;
    p += pair;
    if (*p == '&' && o + 1 < out_size) {
      out[o++] = '&';
      p++;
    }
  }
  out[o] = '\0';
}

static const char *listener_name(mock_listener l) {
  switch (l) {
  case MOCK_LISTENER_TLS: return "tls";
  case MOCK_LISTENER_MSI: return "msi";
  case MOCK_LISTENER_ADMIN: return "admin";
  }
  return "?";
}

void mock_reqlog_add(mock_reqlog *log, const mock_request *req,
                     const char *route, int status, const char *fault) {
  cJSON *e = cJSON_CreateObject();
  cJSON *headers = e ? cJSON_AddObjectToObject(e, "headers") : NULL;
  char query[2048];
  char value[1024];
  if (!headers) {
    cJSON_Delete(e);
    return;
  }
  mock_query_redact(req->query, query, sizeof(query));
  bool ok =
      cJSON_AddNumberToObject(e, "time_ms", (double)req->now_ms) &&
      cJSON_AddStringToObject(e, "listener", listener_name(req->listener)) &&
      cJSON_AddStringToObject(e, "route", route) &&
      cJSON_AddStringToObject(e, "method", req->method ? req->method : "") &&
      cJSON_AddStringToObject(e, "host", req->host ? req->host : "") &&
      cJSON_AddStringToObject(e, "path", req->path ? req->path : "") &&
      cJSON_AddStringToObject(e, "query", query) &&
      cJSON_AddNumberToObject(e, "status", status) &&
      cJSON_AddNumberToObject(e, "body_bytes", (double)req->body_len);
  if (ok && fault)
    ok = cJSON_AddStringToObject(e, "fault", fault) != NULL;
  for (size_t i = 0; ok && i < req->header_count; i++) {
    mock_header_redact(req->headers[i].name, req->headers[i].value, value,
                       sizeof(value));
    /* Header names are lower-cased so tests can look them up directly. */
    char name[128];
    size_t j = 0;
    for (; req->headers[i].name[j] && j + 1 < sizeof(name); j++) {
      char c = req->headers[i].name[j];
      name[j] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    name[j] = '\0';
    cJSON_DeleteItemFromObjectCaseSensitive(headers, name);
    ok = cJSON_AddStringToObject(headers, name, value) != NULL;
  }
  if (!ok) {
    cJSON_Delete(e);
    return;
  }
  pthread_mutex_lock(&log->lock);
  int64_t seq = log->next_seq++;
  size_t slot = (size_t)(seq % (int64_t)log->capacity);
  cJSON *old = log->ring[slot];
  cJSON_AddNumberToObject(e, "seq", (double)seq);
  log->ring[slot] = e;
  pthread_mutex_unlock(&log->lock);
  cJSON_Delete(old);
}

cJSON *mock_reqlog_to_json(mock_reqlog *log, int64_t since) {
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = root ? cJSON_AddArrayToObject(root, "requests") : NULL;
  if (!arr) {
    cJSON_Delete(root);
    return NULL;
  }
  pthread_mutex_lock(&log->lock);
  int64_t first = log->next_seq - (int64_t)log->capacity;
  if (first < 0)
    first = 0;
  if (since > first)
    first = since;
  bool ok = true;
  for (int64_t s = first; ok && s < log->next_seq; s++) {
    cJSON *e = log->ring[(size_t)(s % (int64_t)log->capacity)];
    if (!e)
      continue;
    cJSON *copy = cJSON_Duplicate(e, true);
    ok = copy != NULL;
    if (ok)
      cJSON_AddItemToArray(arr, copy);
  }
  int64_t next = log->next_seq;
  pthread_mutex_unlock(&log->lock);
  if (!ok || !cJSON_AddNumberToObject(root, "next", (double)next)) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}
