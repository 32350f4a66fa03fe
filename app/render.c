/* SPDX-License-Identifier: MIT */
#include "render.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

msikv_result app_html_append(msikv_buf *out, const char *text) {
  if (!text)
    return MSIKV_OK;
  const char *run = text;
  msikv_result rc = MSIKV_OK;
  for (const char *p = text; !rc && *p; p++) {
    const char *rep = NULL;
    switch (*p) {
    case '&':
      rep = "&amp;";
      break;
    case '<':
      rep = "&lt;";
      break;
    case '>':
      rep = "&gt;";
      break;
    case '"':
      rep = "&quot;";
      break;
    case '\'':
      rep = "&#39;";
      break;
    default:
      continue;
    }
    rc = msikv_buf_append(out, run, (size_t)(p - run));
    if (!rc)
      rc = msikv_buf_append_str(out, rep);
    run = p + 1;
  }
  if (!rc)
    rc = msikv_buf_append_str(out, run);
  return rc;
}

msikv_result app_json_append(msikv_buf *out, const char *text) {
  if (!text)
    return msikv_buf_append_str(out, "null");
  msikv_result rc = msikv_buf_append(out, "\"", 1);
  const char *run = text;
  for (const unsigned char *p = (const unsigned char *)text; !rc && *p; p++) {
    char esc[8];
    const char *rep = esc;
    switch (*p) {
    case '"':
      rep = "\\\"";
      break;
    case '\\':
      rep = "\\\\";
      break;
    case '\n':
      rep = "\\n";
      break;
    case '\r':
      rep = "\\r";
      break;
    case '\t':
      rep = "\\t";
      break;
    case '<':
    case '>':
    case '&':
      snprintf(esc, sizeof(esc), "\\u%04x", *p);
      break;
    default:
      if (*p >= 0x20 && *p != 0x7f)
        continue;
      snprintf(esc, sizeof(esc), "\\u%04x", *p);
      break;
    }
    rc = msikv_buf_append(out, run, (size_t)((const char *)p - run));
    if (!rc)
      rc = msikv_buf_append_str(out, rep);
    run = (const char *)p + 1;
  }
  if (!rc)
    rc = msikv_buf_append_str(out, run);
  if (!rc)
    rc = msikv_buf_append(out, "\"", 1);
  return rc;
}

void app_fingerprint(const char *value, char out[13]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!value)
    value = "";
  if (!EVP_Digest(value, strlen(value), md, &md_len, EVP_sha256(), NULL) ||
      md_len < 6) {
    snprintf(out, 13, "%s", "unavailable");
    return;
  }
  for (int i = 0; i < 6; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void app_mask_describe(const char *value, char *out, size_t out_size) {
  char fp[13];
  app_fingerprint(value, fp);
  snprintf(out, out_size, "%zu bytes, sha256:%s", value ? strlen(value) : 0,
           fp);
}

void app_format_time(int64_t epoch_ms, char out[32]) {
  time_t t = (time_t)(epoch_ms / 1000);
  struct tm tm;
  if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, 32, "%s", "unknown");
}
