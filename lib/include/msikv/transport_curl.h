/* SPDX-License-Identifier: MIT */
/**
 * @file transport_curl.h
 * @brief The libcurl transport: TLS always verified, pooled connections.
 */
#ifndef MSIKV_TRANSPORT_CURL_H
#define MSIKV_TRANSPORT_CURL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "msikv/http.h"
#include "msikv/result.h"

typedef struct msikv_curl_options {
  long timeout_ms;          /**< Default per request: 30000. */
  long connect_timeout_ms;  /**< Default: 5000. */
  size_t max_response_bytes;/**< Default: MSIKV_HTTP_DEFAULT_MAX_BODY. */
  /** CA bundle. NULL means $SSL_CERT_FILE, then $CURL_CA_BUNDLE, then the
   * system store. Borrowed; copied at creation. */
  const char *ca_file;
  const char *user_agent;   /**< Default "msikv/<version>". Copied. */
  size_t max_idle_handles;  /**< Pooled handles kept for reuse; default 16. */
} msikv_curl_options;

/** @return the defaults described above. */
msikv_curl_options msikv_curl_options_default(void);

/**
 * Creates the libcurl transport. TLS peer and host verification are always
 * on. Plain http is refused unless the request sets allow_http.
 * @param[in] options NULL for defaults.
 * @param[out] out_transport owned; free with msikv_transport_free().
 */
MSIKV_NODISCARD msikv_result msikv_transport_curl_new(
    const msikv_curl_options *options, msikv_transport **out_transport,
    msikv_error *out_err);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_TRANSPORT_CURL_H */
