/* SPDX-License-Identifier: MIT */
#include "fake_transport.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char *dup_n(const char *s, size_t n) {
  char *copy = malloc(n + 1);
  assert_non_null(copy);
  if (n)
    memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

static char *dup_s(const char *s) { return s ? dup_n(s, strlen(s)) : NULL; }

static msikv_result add_headers(msikv_http_response *resp, const char *text) {
  while (text && *text) {
    const char *eol = strchr(text, '\n');
    size_t line_len = eol ? (size_t)(eol - text) : strlen(text);
    const char *colon = memchr(text, ':', line_len);
    if (colon) {
      const char *value = colon + 1;
      while (*value == ' ')
        value++;
      size_t value_len = line_len - (size_t)(value - text);
      if (value_len && value[value_len - 1] == '\r')
        value_len--;
      msikv_result rc = msikv_http_response_add_header(
          resp, text, (size_t)(colon - text), value, value_len);
      if (rc)
        return rc;
    }
    text = eol ? eol + 1 : text + line_len;
  }
  return MSIKV_OK;
}

static void record(fake_transport *ft, const msikv_http_request *req) {
  if (ft->record_count >= FAKE_MAX_RECORDS)
    return;
  fake_record *rec = &ft->records[ft->record_count++];
  rec->method = dup_s(req->method);
  rec->url = dup_s(req->url);
  size_t total = 1;
  for (size_t i = 0; i < req->header_count; i++) {
    if (req->headers[i].value)
      total += strlen(req->headers[i].name) + strlen(req->headers[i].value) + 3;
  }
  rec->headers = malloc(total);
  assert_non_null(rec->headers);
  rec->headers[0] = '\0';
  size_t used = 0;
  for (size_t i = 0; i < req->header_count; i++) {
    if (req->headers[i].value)
      used += (size_t)snprintf(rec->headers + used, total - used, "%s: %s\n",
                               req->headers[i].name, req->headers[i].value);
  }
  rec->has_body = req->has_body || req->body_len > 0;
  rec->body = rec->has_body ? dup_n(req->body ? req->body : "", req->body_len)
                            : NULL;
  rec->body_len = req->body_len;
  rec->allow_http = req->allow_http;
  rec->no_proxy = req->no_proxy;
  rec->timeout_ms = req->timeout_ms;
  rec->connect_timeout_ms = req->connect_timeout_ms;
}

static msikv_result fake_send(void *ctx, const msikv_http_request *req,
                              msikv_http_response *out_resp,
                              msikv_error *out_err) {
  fake_transport *ft = ctx;
  if (ft->send_delay_ms > 0) {
    struct timespec ts = {ft->send_delay_ms / 1000,
                          (ft->send_delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (ft->on_send)
    ft->on_send(ft->on_send_ctx, req);
  pthread_mutex_lock(&ft->lock);
  record(ft, req);
  const fake_reply *reply = NULL;
  if (ft->next_reply < ft->reply_count)
    reply = &ft->replies[ft->next_reply++];
  else if (ft->repeat_last && ft->reply_count > 0)
    reply = &ft->replies[ft->reply_count - 1];
  pthread_mutex_unlock(&ft->lock);
  if (!reply)
    return msikv_error_set(out_err, MSIKV_ERR_TRANSPORT,
                           "fake transport: no scripted reply for %s %s",
                           req->method, req->url);
  if (reply->rc)
    return msikv_error_set(out_err, reply->rc, "fake transport error %s",
                           msikv_result_name(reply->rc));
  msikv_result rc = add_headers(out_resp, reply->headers);
  if (!rc && reply->body)
    rc = msikv_buf_append(&out_resp->body, reply->body, reply->body_len);
  if (rc)
    return msikv_error_set(out_err, rc, "fake transport: response too large");
  out_resp->status = reply->status;
  return MSIKV_OK;
}

void fake_transport_init(fake_transport *ft) {
  memset(ft, 0, sizeof(*ft));
  pthread_mutex_init(&ft->lock, NULL);
  ft->transport.send = fake_send;
  ft->transport.ctx = ft;
}

void fake_transport_free(fake_transport *ft) {
  for (size_t i = 0; i < ft->reply_count; i++) {
    free(ft->replies[i].headers);
    free(ft->replies[i].body);
  }
  for (size_t i = 0; i < ft->record_count; i++) {
    free(ft->records[i].method);
    free(ft->records[i].url);
    free(ft->records[i].headers);
    free(ft->records[i].body);
  }
  pthread_mutex_destroy(&ft->lock);
  memset(ft, 0, sizeof(*ft));
}

void fake_transport_push(fake_transport *ft, int status, const char *headers,
                         const char *body) {
  assert_true(ft->reply_count < FAKE_MAX_REPLIES);
  fake_reply *reply = &ft->replies[ft->reply_count++];
  memset(reply, 0, sizeof(*reply));
  reply->status = status;
  reply->headers = dup_s(headers);
  reply->body = dup_s(body);
  reply->body_len = body ? strlen(body) : 0;
}

void fake_transport_push_error(fake_transport *ft, msikv_result rc) {
  assert_true(ft->reply_count < FAKE_MAX_REPLIES);
  fake_reply *reply = &ft->replies[ft->reply_count++];
  memset(reply, 0, sizeof(*reply));
  reply->rc = rc;
}

size_t fake_transport_count(fake_transport *ft) {
  pthread_mutex_lock(&ft->lock);
  size_t n = ft->record_count;
  pthread_mutex_unlock(&ft->lock);
  return n;
}

const fake_record *fake_transport_request(fake_transport *ft, size_t i) {
  assert_true(i < ft->record_count);
  return &ft->records[i];
}

const char *fake_record_header(const fake_record *rec, const char *name) {
  static char value[4096];
  size_t name_len = strlen(name);
  const char *line = rec->headers;
  while (line && *line) {
    const char *eol = strchr(line, '\n');
    if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
      const char *v = line + name_len + 2;
      size_t len = eol ? (size_t)(eol - v) : strlen(v);
      if (len >= sizeof(value))
        len = sizeof(value) - 1;
      memcpy(value, v, len);
      value[len] = '\0';
      return value;
    }
    line = eol ? eol + 1 : NULL;
  }
  return NULL;
}
