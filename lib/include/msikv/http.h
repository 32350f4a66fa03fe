/* SPDX-License-Identifier: MIT */
/**
 * @file http.h
 * @brief Plain HTTP request and response values, and the transport seam.
 *
 * Protocol code builds an msikv_http_request and reads an msikv_http_response;
 * only the transport touches the network. Tests plug in a fake transport.
 */
#ifndef MSIKV_HTTP_H
#define MSIKV_HTTP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>

#include "msikv/buffer.h"
#include "msikv/result.h"

/** One request header. Both strings are borrowed. */
typedef struct msikv_http_header {
  const char *name;
  const char *value;
} msikv_http_header;

/** Largest number of headers a request may carry. */
#define MSIKV_HTTP_MAX_HEADERS 16

/**
 * A request. Every pointer is borrowed for the duration of the send.
 * Headers with a NULL value are skipped.
 */
typedef struct msikv_http_request {
  const char *method;       /**< "GET", "POST", "PUT", "PATCH", "DELETE". */
  const char *url;          /**< Absolute URL, already encoded. */
  msikv_http_header headers[MSIKV_HTTP_MAX_HEADERS];
  size_t header_count;
  const char *body;         /**< May be NULL when body_len is 0. */
  size_t body_len;
  bool has_body;            /**< Send Content-Length even when body_len is 0. */
  long timeout_ms;          /**< Whole request; 0 means the transport's default. */
  long connect_timeout_ms;  /**< 0 means the transport's default. */
  bool no_proxy;            /**< Bypass any proxy (identity endpoints). */
  bool allow_http;          /**< Permit plain http (local identity endpoints). */
} msikv_http_request;

/** Initialises @p req: method GET, no headers, no body, defaults. */
void msikv_http_request_init(msikv_http_request *req, const char *method,
                             const char *url);

/**
 * Adds a header (borrowed strings).
 * @retval MSIKV_ERR_TOO_LARGE when MSIKV_HTTP_MAX_HEADERS are already set.
 */
MSIKV_NODISCARD msikv_result msikv_http_request_add_header(
    msikv_http_request *req, const char *name, const char *value);

/** @return the value of header @p name (case-insensitive), or NULL. */
const char *msikv_http_request_header(const msikv_http_request *req,
                                      const char *name);

/** Default cap on a response body: 10 MiB. */
#define MSIKV_HTTP_DEFAULT_MAX_BODY ((size_t)10 << 20)

/**
 * A response. The body may hold a token or a secret, so it is a secret buffer.
 * Headers are stored as "name\0value\0" pairs with lower-case names.
 */
typedef struct msikv_http_response {
  int status;          /**< HTTP status, 0 until a response arrived. */
  msikv_buf headers;   /**< Owned; read with msikv_http_response_header(). */
  size_t header_count;
  msikv_buf body;      /**< Owned, NUL-terminated, capped. */
} msikv_http_response;

/** Initialises an empty response whose body holds at most @p max_body bytes
 * (0 means MSIKV_HTTP_DEFAULT_MAX_BODY). */
void msikv_http_response_init(msikv_http_response *resp, size_t max_body);

/** Empties status, headers and body, keeping the caps. */
void msikv_http_response_reset(msikv_http_response *resp);

/** Frees what @p resp owns (body zeroed). NULL-safe. */
void msikv_http_response_free(msikv_http_response *resp);

/** Records a header; the name is lower-cased. For transports. */
MSIKV_NODISCARD msikv_result msikv_http_response_add_header(
    msikv_http_response *resp, const char *name, size_t name_len,
    const char *value, size_t value_len);

/**
 * @return the first value of header @p name (case-insensitive), borrowed
 * until @p resp is reset or freed; NULL when absent.
 */
const char *msikv_http_response_header(const msikv_http_response *resp,
                                       const char *name);

/** @return true for 200-299. */
bool msikv_http_status_ok(int status);

/**
 * The transport seam. `send` performs one request and fills @p out_resp.
 * A non-2xx status is not an error: it returns MSIKV_OK with the status set.
 * It returns MSIKV_ERR_TRANSPORT, MSIKV_ERR_TIMEOUT, MSIKV_ERR_TLS,
 * MSIKV_ERR_INSECURE or MSIKV_ERR_TOO_LARGE when no whole answer came.
 * It must be safe to call from several threads at once.
 */
typedef struct msikv_transport {
  msikv_result (*send)(void *ctx, const msikv_http_request *req,
                       msikv_http_response *out_resp, msikv_error *out_err);
  /** Frees ctx; may be NULL for a borrowed or static transport. */
  void (*destroy)(void *ctx);
  void *ctx;
} msikv_transport;

/** Calls @p transport->send (after checking arguments). */
MSIKV_NODISCARD msikv_result msikv_transport_send(
    const msikv_transport *transport, const msikv_http_request *req,
    msikv_http_response *out_resp, msikv_error *out_err);

/** Destroys the transport's context and the struct itself. NULL-safe. */
void msikv_transport_free(msikv_transport *transport);

/** @return true when the header carries a credential and must be redacted. */
bool msikv_http_header_is_sensitive(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_HTTP_H */
