/* SPDX-License-Identifier: MIT */
/* The libmicrohttpd adapter on a real loopback socket: routes, headers,
 * keep-alive, idle-connection timeout and graceful stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app/server.h"
#include "app/testing/fake_source.h"
#include "msikv/transport_curl.h"

typedef struct fixture {
  app_config cfg;
  fake_source source;
  app_metrics *metrics;
  app_state app;
  app_server *server;
  msikv_transport *transport;
  char base[64];
} fixture;

static const char *fake_getenv(void *ctx, const char *name) {
  (void)ctx;
  if (strcmp(name, "KEY_VAULT_URL") == 0)
    return "https://demo.vault.azure.net";
  return NULL;
}

static fixture *start(int timeout_s) {
  fixture *f = test_calloc(1, sizeof(*f));
  assert_int_equal(app_config_load(fake_getenv, NULL, &f->cfg, NULL), MSIKV_OK);
  fake_source_init(&f->source, "<b>s3cr3t</b>");
  assert_int_equal(app_metrics_new(&f->metrics), MSIKV_OK);
  app_secret_source seam = fake_source_seam(&f->source);
  f->app.config = &f->cfg;
  f->app.metrics = f->metrics;
  assert_int_equal(app_cache_new(&seam, NULL, &f->app.cache), MSIKV_OK);
  app_server_options o = {"127.0.0.1", 0, 2, 16, timeout_s};
  msikv_error err;
  assert_int_equal(app_server_start(&f->app, &o, &f->server, &err), MSIKV_OK);
  assert_true(app_server_port(f->server) > 0);
  snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d",
           app_server_port(f->server));
  assert_int_equal(msikv_transport_curl_new(NULL, &f->transport, NULL),
                   MSIKV_OK);
  return f;
}

static void stop(fixture *f) {
  msikv_transport_free(f->transport);
  app_server_stop(f->server, 1000);
  app_cache_free(f->app.cache);
  app_metrics_free(f->metrics);
  fake_source_free(&f->source);
  test_free(f);
}

static void fetch(fixture *f, const char *method, const char *path,
                  const char *accept, msikv_http_response *resp) {
  char url[128];
  snprintf(url, sizeof(url), "%s%s", f->base, path);
  msikv_http_request req;
  msikv_http_request_init(&req, method, url);
  req.allow_http = true;
  req.no_proxy = true;
  if (accept)
    assert_int_equal(msikv_http_request_add_header(&req, "Accept", accept),
                     MSIKV_OK);
  msikv_http_response_init(resp, 0);
  msikv_error err;
  assert_int_equal(msikv_transport_send(f->transport, &req, resp, &err),
                   MSIKV_OK);
}

static void test_app_server_ping_helloWorld(void **state) {
  (void)state;
  fixture *f = start(5);
  msikv_http_response resp;
  fetch(f, "GET", "/ping", NULL, &resp);
  assert_int_equal(resp.status, 200);
  assert_string_equal(resp.body.data, "Hello world");
  assert_string_equal(msikv_http_response_header(&resp, "content-type"),
                      "text/plain; charset=utf-8");
  assert_string_equal(
      msikv_http_response_header(&resp, "x-content-type-options"), "nosniff");
  msikv_http_response_free(&resp);
  stop(f);
}

static void test_app_server_root_escapedPageNoStore(void **state) {
  (void)state;
  fixture *f = start(5);
  msikv_http_response resp;
  fetch(f, "GET", "/", NULL, &resp);
  assert_int_equal(resp.status, 200);
  assert_non_null(
      strstr(resp.body.data, "My secret value is &lt;b&gt;s3cr3t&lt;/b&gt;"));
  assert_string_equal(msikv_http_response_header(&resp, "cache-control"),
                      "no-store");
  assert_non_null(
      strstr(msikv_http_response_header(&resp, "content-security-policy"),
             "default-src 'none'"));
  msikv_http_response_free(&resp);
  fetch(f, "GET", "/", "application/json", &resp);
  assert_int_equal(resp.status, 200);
  assert_non_null(strstr(resp.body.data, "\"cache\":\"hit\""));
  msikv_http_response_free(&resp);
  assert_int_equal(fake_source_calls(&f->source), 1);
  stop(f);
}

static void test_app_server_postAndHead_handled(void **state) {
  (void)state;
  fixture *f = start(5);
  msikv_http_response resp;
  fetch(f, "DELETE", "/", NULL, &resp);
  assert_int_equal(resp.status, 405);
  assert_string_equal(msikv_http_response_header(&resp, "allow"), "GET, HEAD");
  msikv_http_response_free(&resp);
  fetch(f, "GET", "/nope", NULL, &resp);
  assert_int_equal(resp.status, 404);
  msikv_http_response_free(&resp);
  stop(f);
}

static int connect_to(fixture *f) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)app_server_port(f->server));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  return fd;
}

/* Reads until @p want occurrences of "Hello world" or EOF/timeout. */
static int read_pings(int fd, int want, int timeout_ms, bool *out_closed) {
  char buf[4096];
  size_t len = 0;
  *out_closed = false;
  for (;;) {
    int seen = 0;
    for (const char *p = buf; len && (p = strstr(p, "Hello world")); p++)
      seen++;
    if (seen >= want)
      return seen;
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0)
      return seen;
    ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
    if (n <= 0) {
      *out_closed = true;
      return seen;
    }
    len += (size_t)n;
    buf[len] = '\0';
  }
}

static void test_app_server_keepAlive_twoRequestsOneConnection(void **state) {
  (void)state;
  fixture *f = start(5);
  int fd = connect_to(f);
  const char req[] = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
  assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
  bool closed = false;
  assert_int_equal(read_pings(fd, 2, 2000, &closed), 2);
  assert_false(closed);
  close(fd);
  stop(f);
}

static void test_app_server_slowClient_closedAfterTimeout(void **state) {
  (void)state;
  fixture *f = start(1);
  int fd = connect_to(f);
  const char partial[] = "GET /ping HTTP/1.1\r\nHost: x\r\n";
  assert_int_equal(write(fd, partial, sizeof(partial) - 1),
                   (ssize_t)sizeof(partial) - 1);
  bool closed = false;
  assert_int_equal(read_pings(fd, 1, 4000, &closed), 0);
  assert_true(closed);
  close(fd);
  /* The server still answers others. */
  msikv_http_response resp;
  fetch(f, "GET", "/healthz", NULL, &resp);
  assert_int_equal(resp.status, 200);
  msikv_http_response_free(&resp);
  stop(f);
}

static void test_app_server_start_badHost_configError(void **state) {
  (void)state;
  app_config cfg;
  assert_int_equal(app_config_load(fake_getenv, NULL, &cfg, NULL), MSIKV_OK);
  app_state app;
  memset(&app, 0, sizeof(app));
  app.config = &cfg;
  app_server_options o = {"not an address", 0, 1, 4, 5};
  app_server *s = NULL;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(app_server_start(&app, &o, &s, &err), MSIKV_ERR_CONFIG);
  assert_null(s);
  assert_non_null(strstr(err.message, "HOST=\"not an address\""));
}

static void test_app_server_start_portInUse_transportError(void **state) {
  (void)state;
  fixture *f = start(5);
  app_server_options o = {"127.0.0.1", app_server_port(f->server), 1, 4, 5};
  app_server *s = NULL;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(app_server_start(&f->app, &o, &s, &err),
                   MSIKV_ERR_TRANSPORT);
  assert_non_null(strstr(err.message, "set PORT to a free port"));
  stop(f);
}

int main(void) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
  msikv_log_set_level(MSIKV_LOG_ERROR);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_app_server_ping_helloWorld),
      cmocka_unit_test(test_app_server_root_escapedPageNoStore),
      cmocka_unit_test(test_app_server_postAndHead_handled),
      cmocka_unit_test(test_app_server_keepAlive_twoRequestsOneConnection),
      cmocka_unit_test(test_app_server_slowClient_closedAfterTimeout),
      cmocka_unit_test(test_app_server_start_badHost_configError),
      cmocka_unit_test(test_app_server_start_portInUse_transportError),
  };
  return cmocka_run_group_tests_name("app_server", tests, NULL, NULL);
}
