/* SPDX-License-Identifier: MIT */
/**
 * @file server.h
 * @brief The one file that knows libmicrohttpd: it adapts app_handle().
 */
#ifndef MSIKV_APP_SERVER_H
#define MSIKV_APP_SERVER_H

#include <stdint.h>

#include "msikv/result.h"
#include "routes.h"

typedef struct app_server_options {
  const char *host;         /**< Address to bind: "127.0.0.1", "0.0.0.0"... */
  int port;                 /**< 0 picks a free port. */
  int threads;              /**< Worker threads (a pool when > 1). */
  int max_connections;      /**< Connections beyond this are refused. */
  int connection_timeout_s; /**< Idle connections are closed after this. */
} app_server_options;

typedef struct app_server app_server;

/**
 * Starts serving @p app (borrowed; must outlive the server).
 * @retval MSIKV_ERR_CONFIG bad host, @retval MSIKV_ERR_TRANSPORT cannot
 * listen (port in use...), with a message in @p out_err.
 */
MSIKV_NODISCARD msikv_result app_server_start(app_state *app,
                                              const app_server_options *opts,
                                              app_server **out_server,
                                              msikv_error *out_err);

/** @return the port actually bound. */
int app_server_port(const app_server *server);

/**
 * Stops accepting, waits up to @p drain_ms for requests in progress, closes
 * every connection and frees the server. NULL-safe.
 */
void app_server_stop(app_server *server, int64_t drain_ms);

#endif /* MSIKV_APP_SERVER_H */
