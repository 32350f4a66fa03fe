/* SPDX-License-Identifier: MIT */
/**
 * @file server.h
 * @brief The one libmicrohttpd adapter: a listener that turns each HTTP
 * request into a mock_request, calls a handler, and sends its mock_response
 * (applying delays, connection resets and truncated bodies).
 */
#ifndef MSIKV_MOCK_SERVER_H
#define MSIKV_MOCK_SERVER_H

#include <stddef.h>

#include "mock_http.h"
#include "msikv/result.h"

typedef void (*mock_handler_fn)(void *ctx, mock_request *req,
                                mock_response *resp);

typedef struct mock_server_options {
  mock_listener listener;
  int listen_fd;               /**< From mock_listen_loopback; the server
                                    owns it from then on. */
  const char *tls_cert_pem;    /**< Non-NULL: serve https. */
  const char *tls_key_pem;
  size_t body_max_bytes;       /**< Larger request bodies get 413. */
  unsigned connection_timeout_s; /**< Idle/slow connections are closed. */
  unsigned connection_limit;
  mock_handler_fn handler;
  void *handler_ctx;
} mock_server_options;

typedef struct mock_server mock_server;

/** Binds 127.0.0.1:@p port (0 = any) and listens; writes the socket and the
 * bound port. */
MSIKV_NODISCARD msikv_result mock_listen_loopback(int port, int *out_fd,
                                                  int *out_port,
                                                  msikv_error *out_err);

/** Starts serving @p opts->listen_fd on its own threads. */
MSIKV_NODISCARD msikv_result mock_server_start(const mock_server_options *opts,
                                               mock_server **out_server,
                                               msikv_error *out_err);
/** Stops, closes the socket and frees. NULL-safe. */
void mock_server_stop(mock_server *server);

#endif /* MSIKV_MOCK_SERVER_H */
