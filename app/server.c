/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "msikv/alloc.h"
#include "msikv/log.h"

struct app_server {
  struct MHD_Daemon *daemon;
  app_state *app;
  int port;
  pthread_mutex_t lock;
  long in_flight;
};

/* Per-request state, set on the first call and freed when it completes. */
typedef struct req_state {
  struct timespec start;
} req_state;

static double elapsed_s(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) +
         (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void free_body(void *cls) {
  msikv_secret_free(cls);
}

/* Copies @p in for a log line: printable ASCII only, at most n-1 bytes. */
static void log_safe(const char *in, char *out, size_t n) {
  size_t j = 0;
  for (size_t i = 0; in && in[i] && j + 1 < n; i++) {
    unsigned char c = (unsigned char)in[i];
    out[j++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
  }
  out[j] = '\0';
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t n) {
  snprintf(out, n, "%s", "-");
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr)
    return;
  socklen_t len = info->client_addr->sa_family == AF_INET6
                      ? (socklen_t)sizeof(struct sockaddr_in6)
                      : (socklen_t)sizeof(struct sockaddr_in);
  if (getnameinfo(info->client_addr, len, out, (socklen_t)n, NULL, 0,
                  NI_NUMERICHOST) != 0)
    snprintf(out, n, "%s", "-");
}

static void add_header(struct MHD_Response *r, const char *name,
                       const char *value) {
  if (value && MHD_add_response_header(r, name, value) != MHD_YES)
    msikv_log(MSIKV_LOG_WARN, "could not add header %s", name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
  app_server *s = cls;
  (void)version;
  (void)upload_data;
  if (!*req_cls) {
    /* First call: only the headers are in. Answering now would make
     * libmicrohttpd close the connection; answer on the next call. */
    req_state *st = msikv_malloc(sizeof(*st));
    if (!st)
      return MHD_NO;
    clock_gettime(CLOCK_MONOTONIC, &st->start);
    pthread_mutex_lock(&s->lock);
    s->in_flight++;
    pthread_mutex_unlock(&s->lock);
    *req_cls = st;
    return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0; /* No route takes a body: discard it. */
    return MHD_YES;
  }
  req_state *st = *req_cls;
  app_request req = {method, url,
                     MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_ACCEPT)};
  app_response resp;
  app_response_init(&resp);
  app_handle(s->app, &req, &resp);

  size_t len = resp.body.len;
  char *body = msikv_buf_detach(&resp.body);
  struct MHD_Response *r =
      body ? MHD_create_response_from_buffer_with_free_callback(len, body,
                                                                free_body)
           : NULL;
  if (!r) {
    msikv_secret_free(body);
    app_response_free(&resp);
    return MHD_NO;
  }
  char retry[24];
  snprintf(retry, sizeof(retry), "%d", resp.retry_after_s);
  add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
  add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, resp.cache_control);
  add_header(r, MHD_HTTP_HEADER_ALLOW, resp.allow);
  add_header(r, MHD_HTTP_HEADER_RETRY_AFTER,
             resp.retry_after_s > 0 ? retry : NULL);
  add_header(r, "X-Content-Type-Options", "nosniff");
  add_header(r, "X-Frame-Options", "DENY");
  add_header(r, "Referrer-Policy", "no-referrer");
  add_header(r, "Content-Security-Policy",
             "default-src 'none'; style-src 'unsafe-inline'");
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp.status, r);
  MHD_destroy_response(r);

  double secs = elapsed_s(&st->start);
  app_metrics_observe(s->app->metrics, resp.route, resp.status, secs);
  if (msikv_log_get_level() >= MSIKV_LOG_INFO) {
    char ip[64], path[160], m[16];
    client_ip(conn, ip, sizeof(ip));
    log_safe(url, path, sizeof(path));
    log_safe(method, m, sizeof(m));
    msikv_log(MSIKV_LOG_INFO, "access %s \"%s %s\" %d %zu %.1fms%s%s", ip, m,
              path, resp.status, len, secs * 1000.0,
              resp.cache_outcome ? " cache=" : "",
              resp.cache_outcome ? resp.cache_outcome : "");
  }
  app_response_free(&resp);
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
  app_server *s = cls;
  (void)conn;
  (void)toe;
  if (!*req_cls)
    return;
  msikv_free(*req_cls);
  *req_cls = NULL;
  pthread_mutex_lock(&s->lock);
  s->in_flight--;
  pthread_mutex_unlock(&s->lock);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof(line), fmt, ap);
  size_t n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  msikv_log(MSIKV_LOG_WARN, "http server: %s", line);
}

msikv_result app_server_start(app_state *app, const app_server_options *opts,
                              app_server **out_server, msikv_error *out_err) {
  msikv_result rc = MSIKV_OK;
  struct addrinfo *ai = NULL;
  app_server *s = NULL;
  char port_text[16];
  snprintf(port_text, sizeof(port_text), "%d", opts->port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  /* Addresses only (no DNS lookup that could hang start-up), and
   * "localhost". */
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST;
  const char *host = opts->host;
  if (strcmp(host, "localhost") == 0)
    host = "127.0.0.1";
  int gai = getaddrinfo(host, port_text, &hints, &ai);
  if (gai != 0 || !ai) {
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "HOST=\"%.64s\" is not an address this machine can "
                         "listen on (%s): use an IP address such as "
                         "127.0.0.1, 0.0.0.0 or ::",
                         opts->host, gai_strerror(gai));
    goto out;
  }
  s = msikv_calloc(1, sizeof(*s));
  if (!s) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  s->app = app;
  pthread_mutex_init(&s->lock, NULL);
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                       MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (ai->ai_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  unsigned int threads = opts->threads > 1 ? (unsigned)opts->threads : 0;
  s->daemon = MHD_start_daemon(
      flags, (uint16_t)opts->port, NULL, NULL, on_request, s,
      MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
      ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)opts->max_connections,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opts->connection_timeout_s,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
  if (!s->daemon) {
    rc = msikv_error_set(out_err, MSIKV_ERR_TRANSPORT,
                         "cannot listen on %s:%d (in use, or not allowed): "
                         "set PORT to a free port",
                         opts->host, opts->port);
    goto out;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? (int)info->port : opts->port;
  *out_server = s;
  s = NULL;
out:
  if (s) {
    pthread_mutex_destroy(&s->lock);
    msikv_free(s);
  }
  if (ai)
    freeaddrinfo(ai);
  return rc;
}

int app_server_port(const app_server *s) {
  return s->port;
}

void app_server_stop(app_server *s, int64_t drain_ms) {
  if (!s)
    return;
  /* The worker threads drop the listening socket from their polling sets
   * a little later: it may be closed only once they have stopped. */
  MHD_socket fd = MHD_quiesce_daemon(s->daemon);
  for (int64_t waited = 0; waited < drain_ms; waited += 10) {
    pthread_mutex_lock(&s->lock);
    long n = s->in_flight;
    pthread_mutex_unlock(&s->lock);
    if (n <= 0)
      break;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  MHD_stop_daemon(s->daemon);
  if (fd != MHD_INVALID_SOCKET)
    close(fd);
  pthread_mutex_destroy(&s->lock);
  msikv_free(s);
}
