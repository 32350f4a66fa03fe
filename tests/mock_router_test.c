/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "mockserver/router.h"

/* A vault host is anything ending in ".vault.localhost" (port ignored). */
static bool fake_kv_host(void *ctx, const char *host) {
  (void)ctx;
  size_t n = strcspn(host, ":");
  const char *suffix = ".vault.localhost";
  size_t sl = strlen(suffix);
  return n > sl && strncasecmp(host + n - sl, suffix, sl) == 0;
}

static mock_route route(mock_listener l, const char *host, const char *path) {
  mock_router r = {fake_kv_host, NULL};
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = l;
  req.method = "GET";
  req.host = host;
  req.path = path;
  req.query = "";
  return mock_router_match(&r, &req);
}

static void test_router_match_table_expected_routes(void **state) {
  (void)state;
  struct {
    mock_listener l;
    const char *host, *path;
    mock_route want;
  } cases[] = {
      {MOCK_LISTENER_TLS, "demo.vault.localhost:8443", "/secrets/x",
       MOCK_ROUTE_KV},
      {MOCK_LISTENER_TLS, "demo.vault.localhost", "/", MOCK_ROUTE_KV},
      {MOCK_LISTENER_TLS, "login.localhost:8443", "/t/oauth2/v2.0/token",
       MOCK_ROUTE_ENTRA},
      {MOCK_LISTENER_TLS, "localhost:8443", "/x", MOCK_ROUTE_ENTRA},
      {MOCK_LISTENER_TLS, "127.0.0.1:8443", "/x", MOCK_ROUTE_ENTRA},
      {MOCK_LISTENER_TLS, "[::1]:8443", "/x", MOCK_ROUTE_ENTRA},
      {MOCK_LISTENER_TLS, "vault.localhost:8443", "/x", MOCK_ROUTE_NONE},
      {MOCK_LISTENER_TLS, "evil.example:8443", "/x", MOCK_ROUTE_NONE},
      {MOCK_LISTENER_TLS, "", "/x", MOCK_ROUTE_NONE},
      {MOCK_LISTENER_TLS, "login.localhost.evil:1", "/x", MOCK_ROUTE_NONE},
      {MOCK_LISTENER_MSI, "127.0.0.1:1", "/msi/token", MOCK_ROUTE_MSI},
      {MOCK_LISTENER_MSI, "127.0.0.1:1", "/msi/token/", MOCK_ROUTE_MSI},
      {MOCK_LISTENER_MSI, "127.0.0.1:1", "/MSI/token", MOCK_ROUTE_MSI},
      {MOCK_LISTENER_MSI, "127.0.0.1:1", "/msi/tokens", MOCK_ROUTE_NONE},
      {MOCK_LISTENER_MSI, "127.0.0.1:1", "/metadata/identity/oauth2/token",
       MOCK_ROUTE_IMDS},
      {MOCK_LISTENER_MSI, "demo.vault.localhost", "/secrets/x",
       MOCK_ROUTE_NONE},
      {MOCK_LISTENER_ADMIN, "127.0.0.1:1", "/admin/config", MOCK_ROUTE_ADMIN},
      {MOCK_LISTENER_ADMIN, "127.0.0.1:1", "/admin", MOCK_ROUTE_ADMIN},
      {MOCK_LISTENER_ADMIN, "127.0.0.1:1", "/msi/token", MOCK_ROUTE_NONE},
      {MOCK_LISTENER_TLS, "127.0.0.1:1", "/admin/config", MOCK_ROUTE_ENTRA},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    mock_route got = route(cases[i].l, cases[i].host, cases[i].path);
    if (got != cases[i].want)
      fail_msg("case %zu (%s %s): got %s, want %s", i, cases[i].host,
               cases[i].path, mock_route_name(got),
               mock_route_name(cases[i].want));
  }
}

static void test_router_null_host_and_path_none(void **state) {
  (void)state;
  mock_router r = {fake_kv_host, NULL};
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = MOCK_LISTENER_TLS;
  assert_int_equal(mock_router_match(&r, &req), MOCK_ROUTE_NONE);
  req.listener = MOCK_LISTENER_MSI;
  assert_int_equal(mock_router_match(&r, &req), MOCK_ROUTE_NONE);
}

static void test_route_names_roundtrip(void **state) {
  (void)state;
  for (int i = MOCK_ROUTE_KV; i <= MOCK_ROUTE_ADMIN; i++) {
    mock_route r;
    assert_true(mock_route_parse(mock_route_name((mock_route)i), &r));
    assert_int_equal(r, i);
  }
  mock_route r;
  assert_false(mock_route_parse("*", &r));
  assert_false(mock_route_parse("none", &r));
  assert_string_equal(mock_route_name((mock_route)99), "none");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_router_match_table_expected_routes),
      cmocka_unit_test(test_router_null_host_and_path_none),
      cmocka_unit_test(test_route_names_roundtrip),
  };
  return cmocka_run_group_tests_name("mock_router", tests, NULL, NULL);
}
