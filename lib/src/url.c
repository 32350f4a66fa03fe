/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msikv/parse.h"
#include "msikv/url.h"

static bool is_unreserved(unsigned char c) {
  return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

msikv_result msikv_url_parse(const char *url, msikv_url *out_url,
                             msikv_error *out_err) {
  if (!url || !out_url)
    return msikv_error_set(out_err, MSIKV_ERR_ARG, "URL is missing");
  msikv_url parsed;
  memset(&parsed, 0, sizeof(parsed));
  for (const char *c = url; *c; c++) {
    if ((unsigned char)*c <= 0x20 || *c == 0x7f)
      return msikv_error_set(out_err, MSIKV_ERR_ARG,
                             "URL contains a space or control character");
  }
  const char *rest;
  if (strncasecmp(url, "https://", 8) == 0) {
    snprintf(parsed.scheme, sizeof(parsed.scheme), "https");
    parsed.port = 443;
    rest = url + 8;
  } else if (strncasecmp(url, "http://", 7) == 0) {
    snprintf(parsed.scheme, sizeof(parsed.scheme), "http");
    parsed.port = 80;
    rest = url + 7;
  } else {
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "URL must start with https:// (or http:// for a "
                           "local identity endpoint)");
  }
  size_t auth_len = strcspn(rest, "/?#");
  parsed.path = rest + auth_len;
  if (memchr(rest, '@', auth_len))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "URL must not contain user information");
  const char *host = rest;
  size_t host_len;
  const char *port_text = NULL;
  if (auth_len > 0 && rest[0] == '[') {
    const char *close = memchr(rest, ']', auth_len);
    if (!close)
      return msikv_error_set(out_err, MSIKV_ERR_ARG,
                             "URL has an unterminated IPv6 address");
    host = rest + 1;
    host_len = (size_t)(close - host);
    if (close + 1 < rest + auth_len) {
      if (close[1] != ':')
        return msikv_error_set(out_err, MSIKV_ERR_ARG,
                               "URL has junk after the IPv6 address");
      port_text = close + 2;
    }
  } else {
    const char *colon = memchr(rest, ':', auth_len);
    host_len = colon ? (size_t)(colon - rest) : auth_len;
    if (colon)
      port_text = colon + 1;
  }
  if (host_len == 0)
    return msikv_error_set(out_err, MSIKV_ERR_ARG, "URL has no host");
  if (host_len >= sizeof(parsed.host))
    return msikv_error_set(out_err, MSIKV_ERR_ARG, "URL host is too long");
  for (size_t i = 0; i < host_len; i++)
    parsed.host[i] = (char)tolower((unsigned char)host[i]);
  parsed.host[host_len] = '\0';
  if (port_text) {
    size_t port_len = (size_t)(rest + auth_len - port_text);
    int64_t port;
    if (port_len == 0 ||
        msikv_parse_int64(port_text, port_len, 1, 65535, &port) != MSIKV_OK)
      return msikv_error_set(out_err, MSIKV_ERR_ARG,
                             "URL port must be a number from 1 to 65535");
    parsed.port = (int)port;
    parsed.port_explicit = true;
  }
  *out_url = parsed;
  return MSIKV_OK;
}

msikv_result msikv_url_authority(const msikv_url *url, char *out,
                                 size_t out_size) {
  bool https = strcmp(url->scheme, "https") == 0;
  bool default_port = url->port == (https ? 443 : 80);
  bool ipv6 = strchr(url->host, ':') != NULL;
  int n;
  if (default_port)
    n = snprintf(out, out_size, ipv6 ? "[%s]" : "%s", url->host);
  else
    n = snprintf(out, out_size, ipv6 ? "[%s]:%d" : "%s:%d", url->host,
                 url->port);
  return (n < 0 || (size_t)n >= out_size) ? MSIKV_ERR_TOO_LARGE : MSIKV_OK;
}

bool msikv_host_is_local(const char *host) {
  size_t len = strlen(host);
  if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
      strcmp(host, "[::1]") == 0)
    return true;
  if (len > 10 && strcasecmp(host + len - 10, ".localhost") == 0)
    return true;
  return strncmp(host, "127.", 4) == 0 || strncmp(host, "169.254.", 8) == 0;
}

msikv_result msikv_url_encode(msikv_buf *out, const char *text, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    msikv_result rc;
    if (is_unreserved(c)) {
      rc = msikv_buf_append(out, &c, 1);
    } else {
      char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
      rc = msikv_buf_append(out, esc, 3);
    }
    if (rc)
      return rc;
  }
  return MSIKV_OK;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

msikv_result msikv_url_decode(msikv_buf *out, const char *text, size_t len,
                              bool plus_is_space) {
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= len)
        return MSIKV_ERR_ARG;
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return MSIKV_ERR_ARG;
      c = (char)(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    msikv_result rc = msikv_buf_append(out, &c, 1);
    if (rc)
      return rc;
  }
  return MSIKV_OK;
}

static msikv_result add_pair(msikv_buf *buf, char separator, const char *name,
                             const char *value) {
  msikv_result rc = MSIKV_OK;
  if (separator)
    rc = msikv_buf_append(buf, &separator, 1);
  if (!rc)
    rc = msikv_url_encode(buf, name, strlen(name));
  if (!rc)
    rc = msikv_buf_append(buf, "=", 1);
  if (!rc)
    rc = msikv_url_encode(buf, value, strlen(value));
  return rc;
}

msikv_result msikv_url_add_query(msikv_buf *url, const char *name,
                                 const char *value) {
  if (!name || !value)
    return MSIKV_ERR_ARG;
  size_t mark = url->len;
  char sep = (url->data && memchr(url->data, '?', url->len)) ? '&' : '?';
  msikv_result rc = add_pair(url, sep, name, value);
  if (rc && url->data) {
    url->len = mark;
    url->data[mark] = '\0';
  }
  return rc;
}

msikv_result msikv_form_add(msikv_buf *form, const char *name,
                            const char *value) {
  if (!name || !value)
    return MSIKV_ERR_ARG;
  size_t mark = form->len;
  msikv_result rc = add_pair(form, form->len ? '&' : '\0', name, value);
  if (rc && form->data) {
    form->len = mark;
    form->data[mark] = '\0';
  }
  return rc;
}
