/* SPDX-License-Identifier: MIT */
/**
 * @file mock_http.h
 * @brief The plain request and response every mock handler works on.
 *
 * Handlers are pure functions: (state, mock_request) -> mock_response. Only
 * server.c touches libmicrohttpd, so handlers are tested and fuzzed without
 * sockets.
 */
#ifndef MSIKV_MOCK_HTTP_H
#define MSIKV_MOCK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "msikv/buffer.h"
#include "msikv/result.h"

#define MOCK_MAX_HEADERS 48

/** Which listener a request came in on. */
typedef enum mock_listener {
  MOCK_LISTENER_TLS = 0,   /**< Key Vault and Entra ID (https). */
  MOCK_LISTENER_MSI = 1,   /**< Managed identity endpoints (plain http). */
  MOCK_LISTENER_ADMIN = 2  /**< Admin API (plain http, loopback). */
} mock_listener;

typedef struct mock_header {
  const char *name;
  const char *value;
} mock_header;

/** A request; every pointer is borrowed for the handler call. */
typedef struct mock_request {
  mock_listener listener;
  const char *method;   /**< "GET", "PUT", ... */
  const char *host;     /**< Host header, lower-cased, port included if sent. */
  const char *path;     /**< Raw path, without the query, not decoded. */
  const char *query;    /**< Raw query after '?', or "" when none. */
  mock_header headers[MOCK_MAX_HEADERS];
  size_t header_count;
  const char *body;     /**< NUL-terminated; "" when none. */
  size_t body_len;
  bool has_body;        /**< A Content-Length or body was sent. */
  int64_t now_ms;       /**< The mock's clock (shifted), epoch ms. */
} mock_request;

/** A response the handler fills; owned strings, freed by mock_response_free. */
typedef struct mock_response {
  int status;
  char *header_names[MOCK_MAX_HEADERS];
  char *header_values[MOCK_MAX_HEADERS];
  size_t header_count;
  msikv_buf body;
  /* Fault effects applied by the server adapter. */
  int64_t delay_ms;     /**< Wait before answering. */
  bool reset_connection;/**< Drop the connection instead of answering. */
  bool truncate_body;   /**< Announce the whole body, send half of it, then
                             drop the connection. */
} mock_response;

/** @return header @p name (case-insensitive) or NULL. */
const char *mock_request_header(const mock_request *req, const char *name);

/**
 * Finds query parameter @p name, matching names after percent-decoding (JS
 * sends "api%2Dversion"), and writes its decoded value to @p out.
 * @return true when present.
 */
bool mock_query_get(const mock_request *req, const char *name, msikv_buf *out);

void mock_response_init(mock_response *resp);
void mock_response_free(mock_response *resp);
/** Adds a header (copied). @retval MSIKV_ERR_TOO_LARGE when full. */
msikv_result mock_response_header(mock_response *resp, const char *name,
                                  const char *value);
/** @return a header already set on @p resp, or NULL. */
const char *mock_response_get_header(const mock_response *resp,
                                     const char *name);
/** Sets status, "Content-Type: application/json; charset=utf-8" and the body
 * printed from @p json (not freed). */
msikv_result mock_response_json(mock_response *resp, int status,
                                const cJSON *json);
/** Sets status, Content-Type text/plain and @p text. */
msikv_result mock_response_text(mock_response *resp, int status,
                                const char *text);

#endif /* MSIKV_MOCK_HTTP_H */
