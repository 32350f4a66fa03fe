/* SPDX-License-Identifier: MIT */
/* The libcurl transport against real libmicrohttpd servers on loopback:
 * plain http (allowed only when the request says so) and https with a
 * certificate made here, trusted only through ca_file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msikv/alloc.h"
#include "msikv/transport_curl.h"

typedef struct server {
  struct MHD_Daemon *daemon;
  int port;
  pthread_mutex_t lock;
  int connections;
  char last_method[16];
  char last_content_length[32];
  char last_test_header[64];
  char last_proxy_free[8];
  size_t last_body_len;
} server;

typedef struct request_state {
  size_t body_len;
} request_state;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls) {
  (void)version;
  (void)upload;
  server *s = cls;
  request_state *st = *req_cls;
  if (!st) {
    st = calloc(1, sizeof(*st));
    *req_cls = st;
    return MHD_YES;
  }
  if (*upload_size) {
    st->body_len += *upload_size;
    *upload_size = 0;
    return MHD_YES;
  }
  const char *cl =
      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
  const char *th = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Test");
  pthread_mutex_lock(&s->lock);
  snprintf(s->last_method, sizeof(s->last_method), "%s", method);
  snprintf(s->last_content_length, sizeof(s->last_content_length), "%s",
           cl ? cl : "(none)");
  snprintf(s->last_test_header, sizeof(s->last_test_header), "%s",
           th ? th : "(none)");
  s->last_body_len = st->body_len;
  pthread_mutex_unlock(&s->lock);

  static char big[4096];
  const char *body = "hello world";
  size_t len = strlen(body);
  if (strcmp(url, "/big") == 0) {
    memset(big, 'b', sizeof(big));
    body = big;
    len = sizeof(big);
  } else if (strcmp(url, "/slow") == 0) {
    struct timespec ts = {1, 500000000L};
    nanosleep(&ts, NULL);
  }
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(resp, "X-Reply", "Yes Indeed");
  MHD_add_response_header(resp, "Retry-After", "3");
  enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **req_cls, enum MHD_RequestTerminationCode code) {
  (void)cls;
  (void)conn;
  (void)code;
  free(*req_cls);
  *req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code) {
  (void)conn;
  (void)socket_ctx;
  server *s = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    pthread_mutex_lock(&s->lock);
    s->connections++;
    pthread_mutex_unlock(&s->lock);
  }
}

static void server_start(server *s, const char *key_pem, const char *cert_pem) {
  memset(s, 0, sizeof(*s));
  pthread_mutex_init(&s->lock, NULL);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                   MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
  if (key_pem)
    flags |= MHD_USE_TLS;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (key_pem)
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
        MHD_OPTION_END);
  else
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
  assert_non_null(s->daemon);
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info->port;
}

static void server_stop(server *s) {
  MHD_stop_daemon(s->daemon);
  pthread_mutex_destroy(&s->lock);
}

typedef struct fixture {
  server plain;
  msikv_transport *transport;
  msikv_http_response resp;
  char url[128];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  server_start(&f->plain, NULL, NULL);
  msikv_curl_options opts = msikv_curl_options_default();
  opts.max_response_bytes = 1024;
  assert_int_equal(msikv_transport_curl_new(&opts, &f->transport, NULL),
                   MSIKV_OK);
  msikv_http_response_init(&f->resp, 1024);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  msikv_http_response_free(&f->resp);
  msikv_transport_free(f->transport);
  server_stop(&f->plain);
  free(f);
  return 0;
}

static const char *url(fixture *f, const char *path) {
  snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d%s", f->plain.port,
           path);
  return f->url;
}

static void test_curl_get_reads_status_body_headers(void **state) {
  fixture *f = *state;
  msikv_http_request req;
  msikv_http_request_init(&req, "GET", url(f, "/hello"));
  req.allow_http = true;
  assert_int_equal(msikv_http_request_add_header(&req, "X-Test", "abc"), 0);
  assert_int_equal(msikv_transport_send(f->transport, &req, &f->resp, NULL),
                   MSIKV_OK);
  assert_int_equal(f->resp.status, 200);
  assert_string_equal(f->resp.body.data, "hello world");
  assert_string_equal(msikv_http_response_header(&f->resp, "x-reply"),
                      "Yes Indeed");
  assert_string_equal(msikv_http_response_header(&f->resp, "RETRY-AFTER"),
                      "3");
  assert_string_equal(f->plain.last_method, "GET");
  assert_string_equal(f->plain.last_test_header, "abc");
}

static void test_curl_plain_http_refused_by_default(void **state) {
  fixture *f = *state;
  msikv_http_request req;
  msikv_http_request_init(&req, "GET", url(f, "/hello"));
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(msikv_transport_send(f->transport, &req, &f->resp, &err),
                   MSIKV_ERR_INSECURE);
  assert_non_null(strstr(err.message, "https"));
  assert_int_equal(f->plain.connections, 0);
}

static void test_curl_put_empty_body_sends_content_length_zero(void **state) {
  fixture *f = *state;
  msikv_http_request req;
  msikv_http_request_init(&req, "PUT", url(f, "/hello"));
  req.allow_http = true;
  req.has_body = true;
  assert_int_equal(msikv_transport_send(f->transport, &req, &f->resp, NULL),
                   MSIKV_OK);
  assert_string_equal(f->plain.last_method, "PUT");
  assert_string_equal(f->plain.last_content_length, "0");
  assert_int_equal(f->plain.last_body_len, 0);
}

static void test_curl_patch_sends_body(void **state) {
  fixture *f = *state;
  msikv_http_request req;
  msikv_http_request_init(&req, "PATCH", url(f, "/hello"));
  req.allow_http = true;
  req.body = "{\"contentType\":\"x\"}";
  req.body_len = strlen(req.body);
  assert_int_equal(msikv_transport_send(f->transport, &req, &f->resp, NULL),
                   MSIKV_OK);
  assert_string_equal(f->plain.last_method, "PATCH");
  assert_int_equal(f->plain.last_body_len, strlen(req.body));
}

static void test_curl_body_over_cap_too_large(void **state) {
  fixture *f = *state;
  msikv_http_request req;
  msikv_http_request_init(&req, "GET", url(f, "/big"));
  req.allow_http = true;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(msikv_transport_send(f->transport, &req, &f->resp, &err),
                   MSIKV_ERR_TOO_LARGE);
  assert_non_null(strstr(err.message, "1024-byte cap"));
}

static void test_curl_timeout_reported(void **state) {
  fixture *f = *state;
  msikv_http_request req;
  msikv_http_request_init(&req, "GET", url(f, "/slow"));
  req.allow_http = true;
  req.timeout_ms = 200;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(msikv_transport_send(f->transport, &req, &f->resp, &err),
                   MSIKV_ERR_TIMEOUT);
  assert_non_null(strstr(err.message, "timed out"));
}

static void test_curl_header_injection_refused(void **state) {
  fixture *f = *state;
  msikv_http_request req;
  msikv_http_request_init(&req, "GET", url(f, "/hello"));
  req.allow_http = true;
  assert_int_equal(
      msikv_http_request_add_header(&req, "X-Test", "a\r\nEvil: yes"), 0);
  assert_int_equal(msikv_transport_send(f->transport, &req, &f->resp, NULL),
                   MSIKV_ERR_ARG);
  assert_int_equal(f->plain.connections, 0);
}

static void test_curl_connection_refused_is_transport_error(void **state) {
  fixture *f = *state;
  msikv_http_request req;
  /* Port 1 on loopback: nothing listens there. */
  msikv_http_request_init(&req, "GET", "http://127.0.0.1:1/");
  req.allow_http = true;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(msikv_transport_send(f->transport, &req, &f->resp, &err),
                   MSIKV_ERR_TRANSPORT);
  assert_non_null(strstr(err.message, "127.0.0.1:1"));
}

static void test_curl_reuses_connection(void **state) {
  fixture *f = *state;
  msikv_http_request req;
  msikv_http_request_init(&req, "GET", url(f, "/hello"));
  req.allow_http = true;
  for (int i = 0; i < 5; i++) {
    msikv_http_response_reset(&f->resp);
    assert_int_equal(msikv_transport_send(f->transport, &req, &f->resp, NULL),
                     MSIKV_OK);
  }
  assert_int_equal(f->plain.connections, 1);
}

typedef struct worker {
  fixture *f;
  int ok;
} worker;

static void *run_worker(void *arg) {
  worker *w = arg;
  msikv_http_response resp;
  msikv_http_response_init(&resp, 1024);
  msikv_http_request req;
  msikv_http_request_init(&req, "GET", w->f->url);
  req.allow_http = true;
  for (int i = 0; i < 20; i++) {
    msikv_http_response_reset(&resp);
    if (msikv_transport_send(w->f->transport, &req, &resp, NULL) == MSIKV_OK &&
        resp.status == 200 && strcmp(resp.body.data, "hello world") == 0)
      w->ok++;
  }
  msikv_http_response_free(&resp);
  return NULL;
}

static void test_curl_threads_share_transport(void **state) {
  fixture *f = *state;
  url(f, "/hello");
  pthread_t threads[8];
  worker workers[8];
  for (int i = 0; i < 8; i++) {
    workers[i] = (worker){f, 0};
    pthread_create(&threads[i], NULL, run_worker, &workers[i]);
  }
  int ok = 0;
  for (int i = 0; i < 8; i++) {
    pthread_join(threads[i], NULL);
    ok += workers[i].ok;
  }
  assert_int_equal(ok, 160);
  /* One pooled handle, and so one connection, per concurrent thread. */
  assert_true(f->plain.connections <= 8);
}

static char *bio_text(BIO *bio) {
  char *p;
  long n = BIO_get_mem_data(bio, &p);
  char *text = malloc((size_t)n + 1);
  assert_non_null(text);
  memcpy(text, p, (size_t)n);
  text[n] = '\0';
  return text;
}

/* A self-signed EC certificate for 127.0.0.1, as PEM strings. */
static void make_cert(char **out_key, char **out_cert) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  assert_non_null(key);
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)"127.0.0.1", -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
                                            "IP:127.0.0.1");
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
                                           "critical,CA:TRUE");
  X509_add_ext(x, bc, -1);
  X509_EXTENSION_free(bc);
  assert_true(X509_sign(x, key, EVP_sha256()) > 0);
  BIO *kb = BIO_new(BIO_s_mem());
  BIO *cb = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL);
  PEM_write_bio_X509(cb, x);
  *out_key = bio_text(kb);
  *out_cert = bio_text(cb);
  BIO_free(kb);
  BIO_free(cb);
  X509_free(x);
  EVP_PKEY_free(key);
}

static void test_curl_tls_untrusted_refused_trusted_ok(void **state) {
  (void)state;
  char *key, *cert;
  make_cert(&key, &cert);
  server tls;
  server_start(&tls, key, cert);
  char ca_path[256];
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", tmp ? tmp : "/tmp");
  FILE *fp = fopen(ca_path, "w");
  assert_non_null(fp);
  fputs(cert, fp);
  fclose(fp);
  char u[128];
  snprintf(u, sizeof(u), "https://127.0.0.1:%d/hello", tls.port);
  msikv_http_request req;
  msikv_http_request_init(&req, "GET", u);
  msikv_http_response resp;
  msikv_http_response_init(&resp, 0);
  msikv_error err;
  msikv_error_clear(&err);

  msikv_curl_options opts = msikv_curl_options_default();
  opts.ca_file = "/dev/null/none.pem";
  msikv_transport *untrusting;
  assert_int_equal(msikv_transport_curl_new(&opts, &untrusting, NULL), 0);
  assert_int_equal(msikv_transport_send(untrusting, &req, &resp, &err),
                   MSIKV_ERR_TLS);
  assert_non_null(strstr(err.message, "SSL_CERT_FILE"));
  msikv_transport_free(untrusting);

  /* SSL_CERT_FILE is honoured when no ca_file is given. */
  setenv("SSL_CERT_FILE", ca_path, 1);
  msikv_transport *trusting;
  assert_int_equal(msikv_transport_curl_new(NULL, &trusting, NULL), 0);
  unsetenv("SSL_CERT_FILE");
  msikv_http_response_reset(&resp);
  assert_int_equal(msikv_transport_send(trusting, &req, &resp, &err), MSIKV_OK);
  assert_int_equal(resp.status, 200);
  assert_string_equal(resp.body.data, "hello world");
  msikv_transport_free(trusting);

  msikv_http_response_free(&resp);
  server_stop(&tls);
  free(key);
  free(cert);
}

int main(void) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(test_curl_get_reads_status_body_headers),
      T(test_curl_plain_http_refused_by_default),
      T(test_curl_put_empty_body_sends_content_length_zero),
      T(test_curl_patch_sends_body),
      T(test_curl_body_over_cap_too_large),
      T(test_curl_timeout_reported),
      T(test_curl_header_injection_refused),
      T(test_curl_connection_refused_is_transport_error),
      T(test_curl_reuses_connection),
      T(test_curl_threads_share_transport),
#undef T
      cmocka_unit_test(test_curl_tls_untrusted_refused_trusted_ok),
  };
  return cmocka_run_group_tests_name("transport_curl", tests, NULL, NULL);
}
