/* SPDX-License-Identifier: MIT */
/* Hostile input against the running web app and mockserver; every case
 * ends with a clear error and a live process:
 * - malformed, truncated and oversized (over the 10 MB cap) bodies from Key
 *   Vault and from the managed-identity endpoint, seen by the web app;
 * - slowloris (a request that never ends) and oversized requests (huge URL,
 *   huge header, huge body) against the web app and the mockserver;
 * - CRLF, NUL, HTML and very long secret names given to the CLI, and a
 *   value full of them shown by the web app. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app_harness.h"
#include "harness.h"
#include "it_target.h"

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void assert_contains(const char *hay, const char *needle) {
  if (!hay || !strstr(hay, needle))
    fail_msg("expected \"%s\" in:\n%.2000s", needle, hay ? hay : "(null)");
}

static void assert_webapp_alive(const it_webapp *w) {
  assert_int_equal(kill(w->pid, 0), 0);
  it_http r;
  it_webapp_get(w, "/ping", NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
}

/* ---- Bad upstream bodies ---- */

static void bad_body_case(it_mock *m, it_webapp *w, const char *fault,
                          const char *expect) {
  assert_true(it_admin_fault(m, fault) >= 0);
  it_http r;
  it_webapp_get(w, "/", "text/html", &r);
  assert_int_equal(r.curl_code, 0);
  if (r.status < 500)
    fail_msg("fault %s: status %ld, expected 5xx", fault, r.status);
  assert_contains(r.body, "id=\"detail\"");
  assert_contains(r.body, expect);
  const char *d = strstr(r.body, "id=\"detail\"");
  printf("%s -> %ld %.160s\n", fault, r.status, d);
  it_http_free(&r);
  assert_int_equal(it_admin(m, "DELETE", "/admin/faults", NULL, NULL), 204);
  assert_webapp_alive(w);
}

static void test_upstreamBadBodies_clearPageProcessLives(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  const char *extra[] = {"SECRET_CACHE_TTL=0", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  /* Key Vault: each answer of the GET is bad (the token comes first). */
  bad_body_case(&m, &w,
                "{\"route\":\"kv\",\"kind\":\"malformed\",\"method\":\"GET\","
                "\"path\":\"/secrets/\"}",
                "invalid JSON");
  bad_body_case(&m, &w,
                "{\"route\":\"kv\",\"kind\":\"truncated\",\"method\":\"GET\","
                "\"path\":\"/secrets/\"}",
                "could not be reached");
  bad_body_case(&m, &w,
                "{\"route\":\"kv\",\"kind\":\"oversized\",\"method\":\"GET\","
                "\"path\":\"/secrets/\",\"size\":12582912}",
                "too large");
  /* The managed-identity endpoint (a fresh web app: no cached token). */
  assert_int_equal(it_webapp_stop(&w), 0);
  const char *msi_expect[] = {"malformed response", "could not be reached",
                              "too large"};
  const char *msi_faults[] = {
      "{\"route\":\"msi\",\"kind\":\"malformed\"}",
      "{\"route\":\"msi\",\"kind\":\"truncated\"}",
      "{\"route\":\"msi\",\"kind\":\"oversized\",\"size\":12582912}"};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(it_webapp_start(&m, extra, &w), 0);
    bad_body_case(&m, &w, msi_faults[i], msi_expect[i]);
    char *log = it_webapp_log(&w);
    assert_int_equal(it_webapp_stop(&w), 0);
    free(log);
  }
  it_mock_stop(&m);
}

/* ---- Raw sockets: slowloris and oversized requests ---- */

static int connect_local(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  struct timeval tv = {20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

/* Sends a request that never ends; @return ms until the server closes. */
static long long slowloris(int port) {
  int fd = connect_local(port);
  const char *part = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a";
  assert_true(send(fd, part, strlen(part), MSG_NOSIGNAL) > 0);
  long long t0 = now_ms();
  char buf[512];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
    ;
  long long took = now_ms() - t0;
  close(fd);
  assert_true(n == 0 || n < 0);
  return took;
}

/* Sends @p head then @p body_len bytes of body (as far as the server lets
 * it); @return the status of the answer, or 0 when it closed without one. */
static int oversized(int port, const char *head, size_t body_len) {
  int fd = connect_local(port);
  size_t len = strlen(head);
  ssize_t sent = send(fd, head, len, MSG_NOSIGNAL);
  if (sent > 0 && body_len) {
    char chunk[65536];
    memset(chunk, 'a', sizeof(chunk));
    for (size_t done = 0; done < body_len;) {
      size_t n =
          body_len - done < sizeof(chunk) ? body_len - done : sizeof(chunk);
      ssize_t k = send(fd, chunk, n, MSG_NOSIGNAL);
      if (k <= 0)
        break;
      done += (size_t)k;
    }
  }
  char buf[256] = {0};
  ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
  close(fd);
  int status = 0;
  if (n > 12 && strncmp(buf, "HTTP/1.", 7) == 0)
    status = atoi(buf + 9);
  return status;
}

static char *big_request(const char *method, const char *path_prefix,
                         size_t path_len, size_t header_len,
                         size_t content_length) {
  size_t size = path_len + header_len + 512;
  char *s = malloc(size);
  assert_non_null(s);
  int n = snprintf(s, size, "%s %s", method, path_prefix);
  memset(s + n, 'a', path_len);
  n += (int)path_len;
  n += snprintf(s + n, size - (size_t)n, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (header_len) {
    n += snprintf(s + n, size - (size_t)n, "X-Big: ");
    memset(s + n, 'b', header_len);
    n += (int)header_len;
    n += snprintf(s + n, size - (size_t)n, "\r\n");
  }
  if (content_length)
    n += snprintf(s + n, size - (size_t)n, "Content-Length: %zu\r\n",
                  content_length);
  snprintf(s + n, size - (size_t)n, "\r\n");
  return s;
}

static void assert_refused(int status, const char *what) {
  /* A 4xx answer, or the connection closed without one. */
  if (status != 0 && (status < 400 || status > 499))
    fail_msg("%s: answered %d, expected 4xx or a closed connection", what,
             status);
}

static void
test_webapp_slowlorisAndOversized_refusedProcessLives(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  const char *extra[] = {"WEBAPP_CONNECTION_TIMEOUT=2", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  long long took = slowloris(w.port);
  assert_true(took >= 1000 && took < 8000);
  assert_webapp_alive(&w);
  char *req = big_request("GET", "/", 200000, 0, 0);
  assert_refused(oversized(w.port, req, 0), "web app, 200 kB URL");
  free(req);
  req = big_request("GET", "/", 0, 200000, 0);
  assert_refused(oversized(w.port, req, 0), "web app, 200 kB header");
  free(req);
  req = big_request("POST", "/", 0, 0, 50u << 20);
  int st = oversized(w.port, req, 2u << 20);
  if (st != 405)
    assert_refused(st, "web app, 50 MB body");
  free(req);
  assert_webapp_alive(&w);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void assert_mock_alive(const it_mock *m) {
  assert_int_equal(kill(m->pid, 0), 0);
  cJSON *cfg = NULL;
  assert_int_equal(it_admin(m, "GET", "/admin/config", NULL, &cfg), 200);
  cJSON_Delete(cfg);
}

static void test_mock_slowlorisAndOversized_refusedProcessLives(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  const char *args[] = {"--connection-timeout", "2", NULL};
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), 0);
  long long took = slowloris(m.msi_port);
  assert_true(took >= 1000 && took < 8000);
  assert_mock_alive(&m);
  char *req = big_request("GET", "/msi/token?", 200000, 0, 0);
  assert_refused(oversized(m.msi_port, req, 0), "mock, 200 kB URL");
  free(req);
  req = big_request("GET", "/msi/token", 0, 200000, 0);
  assert_refused(oversized(m.msi_port, req, 0), "mock, 200 kB header");
  free(req);
  req = big_request("POST", "/admin/faults", 0, 0, 50u << 20);
  assert_refused(oversized(m.admin_port, req, 2u << 20), "mock, 50 MB body");
  free(req);
  assert_mock_alive(&m);
  it_mock_stop(&m);
}

/* ---- Hostile secret names and values ---- */

static void test_cli_hostileNames_clearErrorNoRequest(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  char longname[400];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  const char *names[] = {"bad\r\nX-Injected: 1", "<script>alert(1)</script>",
                         "../../keys/k", "a b", longname};
  char **env = it_mock_env(&m, NULL);
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    const char *args[] = {"secret", "get", names[i], NULL};
    it_proc p;
    assert_int_equal(
        it_run("cli/msikv", args, (const char *const *)env, 30000, &p), 0);
    assert_int_equal(p.exit_code, 2);
    assert_contains(p.err, "name");
    assert_null(strstr(p.err, "X-Injected: 1\n"));
    it_proc_free(&p);
  }
  it_env_free(env);
  /* A value full of markup and control characters is shown escaped. */
  const char *value = "<script>alert(1)</script>\r\nX-Evil: 1 & \"q\"";
  assert_int_equal(it_kv_set_secret(&m, "secret", value), 200);
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, NULL, &w), 0);
  it_http r;
  it_webapp_get(&w, "/", "text/html", &r);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, "<script>alert"));
  assert_contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;");
  assert_null(strstr(r.headers, "X-Evil"));
  it_http_free(&r);
  assert_webapp_alive(&w);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_upstreamBadBodies_clearPageProcessLives),
      cmocka_unit_test(test_webapp_slowlorisAndOversized_refusedProcessLives),
      cmocka_unit_test(test_mock_slowlorisAndOversized_refusedProcessLives),
      cmocka_unit_test(test_cli_hostileNames_clearErrorNoRequest),
  };
  return cmocka_run_group_tests_name("app_hostile", tests, NULL, NULL);
}
