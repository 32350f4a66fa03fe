/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "msikv/alloc.h"

struct mock_server {
  struct MHD_Daemon *daemon;
  mock_server_options opts;
  int listen_fd;
};

/* Per-request state, in *req_cls; freed at NOTIFY_COMPLETED. */
typedef struct req_state {
  char *uri;
  msikv_buf body;
  bool seen;
  bool too_large;
  char host[256];
} req_state;

typedef struct truncated_body {
  char *data;
  size_t len;  /* announced */
  size_t send; /* actually sent */
} truncated_body;

msikv_result mock_listen_loopback(int port, int *out_fd, int *out_port,
                                  msikv_error *out_err) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "socket: %s",
                           strerror(errno));
  int one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof(sa);
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      listen(fd, 256) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
    int e = errno;
    close(fd);
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "cannot listen on 127.0.0.1:%d: %s (choose another "
                           "port, or 0 for any)",
                           port, strerror(e));
  }
  *out_fd = fd;
  *out_port = ntohs(sa.sin_port);
  return MSIKV_OK;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
  (void)conn;
  mock_server *srv = cls;
  req_state *st = msikv_calloc(1, sizeof(*st));
  if (!st)
    return NULL;
  st->uri = msikv_strdup(uri ? uri : "/");
  msikv_buf_init(&st->body, srv->opts.body_max_bytes);
  return st;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **req_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)conn;
  (void)toe;
  req_state *st = *req_cls;
  if (!st)
    return;
  msikv_free(st->uri);
  /* Bodies may carry client secrets: zero them. */
  if (st->body.data)
    msikv_secure_zero(st->body.data, st->body.len);
  msikv_buf_free(&st->body);
  msikv_free(st);
  *req_cls = NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
                                      const char *key, const char *value) {
  (void)kind;
  mock_request *req = cls;
  if (req->header_count >= MOCK_MAX_HEADERS)
    return MHD_NO;
  req->headers[req->header_count].name = key;
  req->headers[req->header_count].value = value ? value : "";
  req->header_count++;
  return MHD_YES;
}

static ssize_t truncated_reader(void *cls, uint64_t pos, char *buf,
                                size_t max) {
  truncated_body *t = cls;
  if (pos >= t->send)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  size_t n = t->send - (size_t)pos;
  if (n > max)
    n = max;
  memcpy(buf, t->data + pos, n);
  return (ssize_t)n;
}

static void truncated_free(void *cls) {
  truncated_body *t = cls;
  msikv_free(t->data);
  msikv_free(t);
}

static void sleep_ms(int64_t ms) {
  if (ms <= 0)
    return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static enum MHD_Result drop_connection(struct MHD_Connection *conn) {
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (info) {
    /* Linger 0 makes close() send a TCP RST: a real connection reset. */
    struct linger lg = {1, 0};
    (void)setsockopt(info->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  return MHD_NO;
}

static enum MHD_Result send_response(struct MHD_Connection *conn,
                                     mock_response *resp) {
  struct MHD_Response *r = NULL;
  const char *data = resp->body.data ? resp->body.data : "";
  size_t len = resp->body.len;
  if (resp->truncate_body && len > 1) {
    truncated_body *t = msikv_calloc(1, sizeof(*t));
    char *copy = msikv_malloc(len);
    if (!t || !copy) {
      msikv_free(t);
      msikv_free(copy);
      return MHD_NO;
    }
    memcpy(copy, data, len);
    t->data = copy;
    t->len = len;
    t->send = len / 2;
    r = MHD_create_response_from_callback(len, 4096, truncated_reader, t,
                                          truncated_free);
    if (!r)
      truncated_free(t);
  } else {
    r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data,
                                        MHD_RESPMEM_MUST_COPY);
  }
  if (!r)
    return MHD_NO;
  for (size_t i = 0; i < resp->header_count; i++)
    (void)MHD_add_response_header(r, resp->header_names[i],
                                  resp->header_values[i]);
  int status = resp->status >= 100 && resp->status <= 599 ? resp->status : 500;
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
  (void)version;
  mock_server *srv = cls;
  req_state *st = *req_cls;
  if (!st) {
    st = on_uri(srv, url, conn);
    if (!st)
      return MHD_NO;
    *req_cls = st;
  }
  if (!st->seen) {
    /* Queue on the second call, never the first: keeps keep-alive. */
    st->seen = true;
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (!st->too_large &&
        msikv_buf_append(&st->body, upload_data, *upload_data_size))
      st->too_large = true;
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (st->too_large) {
    char msg[256];
    snprintf(msg, sizeof(msg),
             "{\"error\":{\"code\":\"RequestTooLarge\",\"message\":\"The "
             "request body is larger than the mock's limit of %zu bytes.\"}}",
             srv->opts.body_max_bytes);
    mock_response resp;
    mock_response_init(&resp);
    (void)mock_response_text(&resp, 413, msg);
    enum MHD_Result ret = send_response(conn, &resp);
    mock_response_free(&resp);
    return ret;
  }
  if (!st->uri)
    return MHD_NO;
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = srv->opts.listener;
  req.method = method;
  MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &req);
  const char *host = mock_request_header(&req, "Host");
  size_t i = 0;
  for (; host && host[i] && i + 1 < sizeof(st->host); i++) {
    char c = host[i];
    st->host[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  st->host[i] = '\0';
  req.host = st->host;
  char *q = strchr(st->uri, '?');
  if (q) {
    *q = '\0';
    req.query = q + 1;
  } else {
    req.query = "";
  }
  char *frag = strchr(req.query, '#');
  if (frag)
    *frag = '\0';
  req.path = st->uri;
  req.body = st->body.data ? st->body.data : "";
  req.body_len = st->body.len;
  req.has_body = st->body.len > 0 ||
                 mock_request_header(&req, "Content-Length") != NULL;
  mock_response resp;
  mock_response_init(&resp);
  srv->opts.handler(srv->opts.handler_ctx, &req, &resp);
  sleep_ms(resp.delay_ms);
  enum MHD_Result ret = resp.reset_connection ? drop_connection(conn)
                                              : send_response(conn, &resp);
  mock_response_free(&resp);
  return ret;
}

msikv_result mock_server_start(const mock_server_options *opts,
                               mock_server **out_server,
                               msikv_error *out_err) {
  mock_server *srv = msikv_calloc(1, sizeof(*srv));
  if (!srv) {
    close(opts->listen_fd);
    return MSIKV_ERR_NOMEM;
  }
  srv->opts = *opts;
  if (!srv->opts.body_max_bytes)
    srv->opts.body_max_bytes = (size_t)1 << 20;
  if (!srv->opts.connection_timeout_s)
    srv->opts.connection_timeout_s = 30;
  if (!srv->opts.connection_limit)
    srv->opts.connection_limit = 512;
  srv->listen_fd = opts->listen_fd;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                   MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
  bool tls = opts->tls_cert_pem != NULL;
  if (tls)
    flags |= MHD_USE_TLS;
  struct MHD_OptionItem tls_opts[] = {
      {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)opts->tls_cert_pem},
      {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)opts->tls_key_pem},
      {MHD_OPTION_END, 0, NULL}};
  struct MHD_OptionItem no_opts[] = {{MHD_OPTION_END, 0, NULL}};
  srv->daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET,
      opts->listen_fd, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
      MHD_OPTION_CONNECTION_TIMEOUT, srv->opts.connection_timeout_s,
      MHD_OPTION_CONNECTION_LIMIT, srv->opts.connection_limit,
      MHD_OPTION_ARRAY, tls ? tls_opts : no_opts, MHD_OPTION_END);
  if (!srv->daemon) {
    close(opts->listen_fd);
    msikv_free(srv);
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "cannot start the %s listener (libmicrohttpd "
                           "refused the options%s)",
                           tls ? "https" : "http",
                           tls ? "; check the certificate and key" : "");
  }
  *out_server = srv;
  return MSIKV_OK;
}

void mock_server_stop(mock_server *server) {
  if (!server)
    return;
  MHD_stop_daemon(server->daemon);
  msikv_free(server);
}
