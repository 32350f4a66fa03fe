/* SPDX-License-Identifier: MIT */
#include "router.h"

#include <string.h>
#include <strings.h>

static const char *const NAMES[] = {"none", "kv", "entra", "msi", "imds",
                                    "admin"};

const char *mock_route_name(mock_route route) {
  if ((unsigned)route >= sizeof(NAMES) / sizeof(NAMES[0]))
    return "none";
  return NAMES[route];
}

bool mock_route_parse(const char *name, mock_route *out_route) {
  for (size_t i = 1; i < sizeof(NAMES) / sizeof(NAMES[0]); i++) {
    if (strcasecmp(name, NAMES[i]) == 0) {
      *out_route = (mock_route)i;
      return true;
    }
  }
  return false;
}

/* Compares the host part of a Host header (port stripped) with @p name. */
static bool host_is(const char *host, const char *name) {
  size_t len;
  if (host[0] == '[') {
    const char *end = strchr(host, ']');
    if (!end)
      return false;
    host++;
    len = (size_t)(end - host);
  } else {
    len = strcspn(host, ":");
  }
  return strlen(name) == len && strncasecmp(host, name, len) == 0;
}

static bool path_is(const char *path, const char *want) {
  size_t n = strlen(want);
  if (strncasecmp(path, want, n) != 0)
    return false;
  return path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0');
}

mock_route mock_router_match(const mock_router *router,
                             const mock_request *req) {
  const char *path = req->path ? req->path : "";
  const char *host = req->host ? req->host : "";
  switch (req->listener) {
  case MOCK_LISTENER_TLS:
    if (router->kv_host_matches && host[0] &&
        router->kv_host_matches(router->kv_ctx, host))
      return MOCK_ROUTE_KV;
    /* login.microsoftonline.com too, for clients that pin that name to the
     * mock (with --tls-name login.microsoftonline.com): MSAL sends its
     * instance discovery there whatever the authority. */
    if (host_is(host, "login.localhost") || host_is(host, "localhost") ||
        host_is(host, "login.microsoftonline.com") ||
        host_is(host, "127.0.0.1") || host_is(host, "::1"))
      return MOCK_ROUTE_ENTRA;
    return MOCK_ROUTE_NONE;
  case MOCK_LISTENER_MSI:
    if (path_is(path, "/msi/token"))
      return MOCK_ROUTE_MSI;
    if (path_is(path, "/metadata/identity/oauth2/token"))
      return MOCK_ROUTE_IMDS;
    return MOCK_ROUTE_NONE;
  case MOCK_LISTENER_ADMIN:
    if (strncmp(path, "/admin/", 7) == 0 || strcmp(path, "/admin") == 0)
      return MOCK_ROUTE_ADMIN;
    return MOCK_ROUTE_NONE;
  }
  return MOCK_ROUTE_NONE;
}
