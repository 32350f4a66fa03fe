/* SPDX-License-Identifier: MIT */
/* The ceiling for bench/run: libmicrohttpd answering "Hello world" from one
 * static response, with the web app's threading (an internal thread pool,
 * MHD_USE_AUTO) and keep-alive (the response is queued on the second call).
 * No routing, no headers, no metrics: what this hardware gives a C server.
 *
 *   ceiling [--port N] [--port-file F] [--threads N] [--body-bytes N]
 *
 * --body-bytes N answers N bytes ("Hello world" repeated) instead, to see
 * what the size of a page alone costs (the web app's / is about 1.7 KB).
 *
 * Binds 127.0.0.1 (port 0 = any; the bound port goes to --port-file), runs
 * until SIGTERM or SIGINT. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msikv/parse.h"

static const char kBody[] = "Hello world";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
  static int marker;
  (void)url;
  (void)method;
  (void)version;
  (void)upload_data;
  if (!*req_cls) {
    *req_cls = &marker; /* Answer on the second call: keeps the connection. */
    return MHD_YES;
  }
  *upload_data_size = 0;
  return MHD_queue_response(conn, MHD_HTTP_OK, cls);
}

static int flag_value(int argc, char **argv, int *i, int64_t min, int64_t max,
                      int64_t *out) {
  if (*i + 1 >= argc ||
      msikv_parse_int64_str(argv[*i + 1], min, max, out) != MSIKV_OK) {
    fprintf(stderr, "ceiling: %s needs an integer from %lld to %lld\n",
            argv[*i], (long long)min, (long long)max);
    return -1;
  }
  (*i)++;
  return 0;
}

int main(int argc, char **argv) {
  int64_t port = 0, threads = 4, body_bytes = 0;
  const char *port_file = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--port") == 0) {
      if (flag_value(argc, argv, &i, 0, 65535, &port))
        return 2;
    } else if (strcmp(argv[i], "--threads") == 0) {
      if (flag_value(argc, argv, &i, 1, 256, &threads))
        return 2;
    } else if (strcmp(argv[i], "--body-bytes") == 0) {
      if (flag_value(argc, argv, &i, 1, 1 << 20, &body_bytes))
        return 2;
    } else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
      port_file = argv[++i];
    } else {
      fprintf(stderr,
              "usage: ceiling [--port N] [--port-file F] [--threads N] "
              "[--body-bytes N]\n");
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  /* Blocked here, so the pool's threads inherit the mask and sigwait gets
   * the signal. */
  pthread_sigmask(SIG_BLOCK, &set, NULL);

  struct MHD_Response *resp = NULL;
  if (body_bytes) {
    char *big = malloc((size_t)body_bytes);
    if (!big)
      return 1;
    for (int64_t i = 0; i < body_bytes; i++)
      big[i] = kBody[i % (int64_t)(sizeof(kBody) - 1)];
    resp = MHD_create_response_from_buffer((size_t)body_bytes, big,
                                           MHD_RESPMEM_MUST_FREE);
    if (!resp)
      free(big);
  } else {
    resp = MHD_create_response_from_buffer(
        sizeof(kBody) - 1, (void *)(uintptr_t)kBody, MHD_RESPMEM_PERSISTENT);
  }
  if (!resp)
    return 1;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC, 0, NULL,
      NULL, on_request, resp, MHD_OPTION_SOCK_ADDR, &addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
      MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_TIMEOUT, 15u,
      MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "ceiling: could not listen on 127.0.0.1:%lld\n",
            (long long)port);
    MHD_destroy_response(resp);
    return 1;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  int bound = info ? (int)info->port : (int)port;
  if (port_file) {
    FILE *f = fopen(port_file, "w");
    if (!f || fprintf(f, "%d\n", bound) < 0 || fclose(f) != 0) {
      fprintf(stderr, "ceiling: could not write %s\n", port_file);
      MHD_stop_daemon(d);
      MHD_destroy_response(resp);
      return 1;
    }
  }
  fprintf(stderr, "ceiling: listening on http://127.0.0.1:%d/\n", bound);
  int sig = 0;
  sigwait(&set, &sig);
  MHD_stop_daemon(d);
  MHD_destroy_response(resp);
  return 0;
}
