/* SPDX-License-Identifier: MIT */
/**
 * @file url.h
 * @brief URL parsing, percent-encoding and query building.
 */
#ifndef MSIKV_URL_H
#define MSIKV_URL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>

#include "msikv/buffer.h"
#include "msikv/result.h"

#define MSIKV_URL_HOST_MAX 256

/** The parts of an absolute http(s) URL. */
typedef struct msikv_url {
  char scheme[8];                 /**< "http" or "https", lower-case. */
  char host[MSIKV_URL_HOST_MAX];  /**< Lower-case; IPv6 without brackets. */
  int port;                       /**< Explicit port, or the scheme default. */
  bool port_explicit;             /**< The URL spelled the port out. */
  const char *path;               /**< Borrowed from the input: from the first
                                       '/', '?' or '#', or "" when none. */
} msikv_url;

/**
 * Parses an absolute http or https URL. Rejects user-info, spaces, control
 * characters and bad ports with MSIKV_ERR_ARG and a message.
 */
MSIKV_NODISCARD msikv_result msikv_url_parse(const char *url,
                                             msikv_url *out_url,
                                             msikv_error *out_err);

/**
 * Writes "host" or "host:port" into @p out (size @p out_size), leaving the
 * port out when it is the scheme's default; IPv6 hosts get brackets. This is
 * the normalised authority: "h" and "h:443" give the same text over https.
 */
MSIKV_NODISCARD msikv_result msikv_url_authority(const msikv_url *url,
                                                 char *out, size_t out_size);

/** @return true when @p host is a loopback or link-local literal or name
 * ("localhost", "*.localhost", 127.0.0.0/8, ::1, 169.254.0.0/16). */
bool msikv_host_is_local(const char *host);

/** Percent-encodes everything but RFC 3986 unreserved characters. */
MSIKV_NODISCARD msikv_result msikv_url_encode(msikv_buf *out, const char *text,
                                              size_t len);

/**
 * Decodes %XX escapes (and '+' as space when @p plus_is_space).
 * @retval MSIKV_ERR_ARG on a bad escape or an encoded NUL.
 */
MSIKV_NODISCARD msikv_result msikv_url_decode(msikv_buf *out, const char *text,
                                              size_t len, bool plus_is_space);

/**
 * Appends "?name=value" or "&name=value" to @p url (a buffer holding a URL),
 * percent-encoding both.
 */
MSIKV_NODISCARD msikv_result msikv_url_add_query(msikv_buf *url,
                                                 const char *name,
                                                 const char *value);

/** Appends "name=value" to a form body, with '&' between fields. */
MSIKV_NODISCARD msikv_result msikv_form_add(msikv_buf *form, const char *name,
                                            const char *value);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_URL_H */
