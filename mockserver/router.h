/* SPDX-License-Identifier: MIT */
/**
 * @file router.h
 * @brief Which handler serves a request: listener + host + path -> route.
 */
#ifndef MSIKV_MOCK_ROUTER_H
#define MSIKV_MOCK_ROUTER_H

#include <stdbool.h>

#include "mock_http.h"

typedef enum mock_route {
  MOCK_ROUTE_NONE = 0, /**< 404: nothing here. */
  MOCK_ROUTE_KV,       /**< {vault}.{dns_suffix} on the TLS listener. */
  MOCK_ROUTE_ENTRA,    /**< login.localhost (or localhost) on TLS. */
  MOCK_ROUTE_MSI,      /**< /msi/token on the MSI listener (App Service). */
  MOCK_ROUTE_IMDS,     /**< /metadata/identity/oauth2/token (MSI listener). */
  MOCK_ROUTE_ADMIN     /**< /admin/... on the admin listener. */
} mock_route;

/** @return "kv", "entra", "msi", "imds", "admin" or "none". */
const char *mock_route_name(mock_route route);
/** Parses a route name; "*" is not a route. @return false if unknown. */
bool mock_route_parse(const char *name, mock_route *out_route);

typedef struct mock_router {
  /** Is @p host ("demo.vault.localhost:8443") a vault host? */
  bool (*kv_host_matches)(void *ctx, const char *host);
  void *kv_ctx;
} mock_router;

/** Pure: routes by listener, Host header and path. */
mock_route mock_router_match(const mock_router *router,
                             const mock_request *req);

#endif /* MSIKV_MOCK_ROUTER_H */
