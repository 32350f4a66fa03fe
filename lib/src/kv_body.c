/* SPDX-License-Identifier: MIT */
/* Request bodies for set, update and restore: pure JSON writers. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kv_internal.h"

#define CONTENT_TYPE_MAX 255
#define TAG_TEXT_MAX 512

msikv_kv_secret_options msikv_kv_secret_options_default(void) {
  msikv_kv_secret_options opts;
  memset(&opts, 0, sizeof(opts));
  opts.enabled = true;
  return opts;
}

bool msikv__kv_utf8_valid(const char *text, size_t len) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (len - i <= extra)
      return false;
    for (size_t k = 1; k <= extra; k++) {
      if ((s[i + k] & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    static const uint32_t min_cp[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += extra + 1;
  }
  return true;
}

msikv_result msikv__kv_json_string(msikv_buf *out, const char *text) {
  msikv_result rc = msikv_buf_append(out, "\"", 1);
  const char *run = text;
  for (const char *p = text; !rc && *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    rc = msikv_buf_append(out, run, (size_t)(p - run));
    if (rc)
      break;
    run = p + 1;
    switch (c) {
    case '"':
      rc = msikv_buf_append(out, "\\\"", 2);
      break;
    case '\\':
      rc = msikv_buf_append(out, "\\\\", 2);
      break;
    case '\n':
      rc = msikv_buf_append(out, "\\n", 2);
      break;
    case '\r':
      rc = msikv_buf_append(out, "\\r", 2);
      break;
    case '\t':
      rc = msikv_buf_append(out, "\\t", 2);
      break;
    default:
      rc = msikv_buf_appendf(out, "\\u%04x", c);
      break;
    }
  }
  if (!rc)
    rc = msikv_buf_append_str(out, run);
  if (!rc)
    rc = msikv_buf_append(out, "\"", 1);
  return rc;
}

static msikv_result check_text(const char *text, size_t max, const char *what,
                               msikv_error *out_err) {
  if (!text)
    return msikv_error_set(out_err, MSIKV_ERR_ARG, "%s is missing", what);
  size_t len = strlen(text);
  if (len > max)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "%s is %zu bytes long; the limit is %zu", what, len,
                           max);
  if (!msikv__kv_utf8_valid(text, len))
    return msikv_error_set(out_err, MSIKV_ERR_ARG, "%s is not valid UTF-8",
                           what);
  return MSIKV_OK;
}

msikv_result msikv__kv_check_options(const msikv_kv_secret_options *opts,
                                     msikv_error *out_err) {
  if (!opts)
    return MSIKV_OK;
  msikv_result rc = MSIKV_OK;
  if (opts->content_type)
    rc = check_text(opts->content_type, CONTENT_TYPE_MAX, "content type",
                    out_err);
  if (rc)
    return rc;
  if (opts->tag_count > MSIKV_KV_MAX_TAGS)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "%zu tags given; a secret can carry at most %d",
                           opts->tag_count, MSIKV_KV_MAX_TAGS);
  if (opts->tag_count && !opts->tags)
    return msikv_error_set(out_err, MSIKV_ERR_ARG, "tags are missing");
  for (size_t i = 0; i < opts->tag_count && !rc; i++) {
    rc = check_text(opts->tags[i].name, TAG_TEXT_MAX, "tag name", out_err);
    if (!rc && !opts->tags[i].name[0])
      rc = msikv_error_set(out_err, MSIKV_ERR_ARG, "a tag name is empty");
    if (!rc)
      rc = check_text(opts->tags[i].value, TAG_TEXT_MAX, "tag value", out_err);
  }
  if (!rc && (opts->nbf < 0 || opts->exp < 0))
    rc = msikv_error_set(out_err, MSIKV_ERR_ARG,
                         "nbf and exp must be Unix seconds (0 = not set)");
  return rc;
}

static msikv_result append_properties(msikv_buf *out,
                                      const msikv_kv_secret_options *opts,
                                      bool *first) {
  msikv_result rc = MSIKV_OK;
  if (opts->content_type) {
    rc = msikv_buf_append_str(out, *first ? "\"contentType\":"
                                          : ",\"contentType\":");
    if (!rc)
      rc = msikv__kv_json_string(out, opts->content_type);
    *first = false;
  }
  if (!rc && (opts->set_enabled || opts->nbf || opts->exp)) {
    rc = msikv_buf_append_str(out, *first ? "\"attributes\":{"
                                          : ",\"attributes\":{");
    *first = false;
    bool first_attr = true;
    if (!rc && opts->set_enabled) {
      rc = msikv_buf_appendf(out, "\"enabled\":%s",
                             opts->enabled ? "true" : "false");
      first_attr = false;
    }
    if (!rc && opts->nbf) {
      rc = msikv_buf_appendf(out, "%s\"nbf\":%" PRId64, first_attr ? "" : ",",
                             opts->nbf);
      first_attr = false;
    }
    if (!rc && opts->exp)
      rc = msikv_buf_appendf(out, "%s\"exp\":%" PRId64, first_attr ? "" : ",",
                             opts->exp);
    if (!rc)
      rc = msikv_buf_append(out, "}", 1);
  }
  if (!rc && (opts->set_tags || opts->tag_count)) {
    rc = msikv_buf_append_str(out, *first ? "\"tags\":{" : ",\"tags\":{");
    *first = false;
    for (size_t i = 0; i < opts->tag_count && !rc; i++) {
      if (i)
        rc = msikv_buf_append(out, ",", 1);
      if (!rc)
        rc = msikv__kv_json_string(out, opts->tags[i].name);
      if (!rc)
        rc = msikv_buf_append(out, ":", 1);
      if (!rc)
        rc = msikv__kv_json_string(out, opts->tags[i].value);
    }
    if (!rc)
      rc = msikv_buf_append(out, "}", 1);
  }
  return rc;
}

msikv_result msikv__kv_build_body(msikv_buf *out, const char *value,
                                  const msikv_kv_secret_options *opts) {
  bool first = true;
  msikv_result rc = msikv_buf_append(out, "{", 1);
  if (!rc && value) {
    rc = msikv_buf_append_str(out, "\"value\":");
    if (!rc)
      rc = msikv__kv_json_string(out, value);
    first = false;
  }
  if (!rc && opts)
    rc = append_properties(out, opts, &first);
  if (!rc)
    rc = msikv_buf_append(out, "}", 1);
  return rc;
}
