/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "msikv/alloc.h"
#include "msikv/buffer.h"

void msikv_buf_init(msikv_buf *buf, size_t max) {
  memset(buf, 0, sizeof(*buf));
  buf->max = max;
}

void msikv_buf_init_secret(msikv_buf *buf, size_t max) {
  msikv_buf_init(buf, max);
  buf->secret = true;
}

/* Makes room for @p extra more bytes plus the NUL. A secret buffer never uses
 * realloc, which could leave a copy of the secret behind in freed memory. */
static msikv_result reserve(msikv_buf *buf, size_t extra) {
  if (extra > buf->max - buf->len || buf->len > buf->max)
    return MSIKV_ERR_TOO_LARGE;
  size_t need = buf->len + extra + 1;
  if (need <= buf->cap)
    return MSIKV_OK;
  size_t cap = buf->cap ? buf->cap : 64;
  while (cap < need)
    cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
  if (cap > buf->max + 1)
    cap = buf->max + 1;
  char *data;
  if (buf->secret) {
    data = msikv_malloc(cap);
    if (!data)
      return MSIKV_ERR_NOMEM;
    if (buf->data) {
      memcpy(data, buf->data, buf->len + 1);
      msikv_secure_zero(buf->data, buf->cap);
      msikv_free(buf->data);
    }
  } else {
    data = msikv_realloc(buf->data, cap);
    if (!data)
      return MSIKV_ERR_NOMEM;
  }
  buf->data = data;
  buf->cap = cap;
  return MSIKV_OK;
}

msikv_result msikv_buf_append(msikv_buf *buf, const void *data, size_t len) {
  msikv_result rc = reserve(buf, len);
  if (rc)
    return rc;
  if (len)
    memcpy(buf->data + buf->len, data, len);
  buf->len += len;
  buf->data[buf->len] = '\0';
  return MSIKV_OK;
}

msikv_result msikv_buf_append_str(msikv_buf *buf, const char *str) {
  return msikv_buf_append(buf, str, strlen(str));
}

msikv_result msikv_buf_appendf(msikv_buf *buf, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0)
    return MSIKV_ERR_ARG;
  if ((size_t)n < sizeof(small)) {
    msikv_result rc = msikv_buf_append(buf, small, (size_t)n);
    if (buf->secret)
      msikv_secure_zero(small, sizeof(small));
    return rc;
  }
  msikv_result rc = reserve(buf, (size_t)n);
  if (rc)
    return rc;
  va_start(ap, fmt);
  vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  buf->len += (size_t)n;
  return MSIKV_OK;
}

void msikv_buf_reset(msikv_buf *buf) {
  if (buf->data) {
    if (buf->secret)
      msikv_secure_zero(buf->data, buf->cap);
    buf->data[0] = '\0';
  }
  buf->len = 0;
}

void msikv_buf_free(msikv_buf *buf) {
  if (buf->data && buf->secret)
    msikv_secure_zero(buf->data, buf->cap);
  msikv_free(buf->data);
  buf->data = NULL;
  buf->len = 0;
  buf->cap = 0;
}

char *msikv_buf_detach(msikv_buf *buf) {
  char *data = buf->data;
  if (!data)
    data = msikv_strdup("");
  buf->data = NULL;
  buf->len = 0;
  buf->cap = 0;
  return data;
}
