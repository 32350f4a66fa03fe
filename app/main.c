/* SPDX-License-Identifier: MIT */
/* The web app: GET / shows the Key Vault secret, as the Python sample does.
 * Configuration comes from environment variables (docs/webapp.md). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include "config.h"
#include "kv_source.h"
#include "metrics.h"
#include "msikv/alloc.h"
#include "msikv/clock.h"
#include "msikv/log.h"
#include "render.h"
#include "routes.h"
#include "secret_cache.h"
#include "server.h"

/* A process holding a secret must not leave it in a core file. */
static void disable_core_dumps(void) {
  struct rlimit rl = {0, 0};
  if (setrlimit(RLIMIT_CORE, &rl) != 0)
    fprintf(stderr, "webapp: warning: setrlimit(RLIMIT_CORE): %s\n",
            strerror(errno));
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    fprintf(stderr, "webapp: warning: prctl(PR_SET_DUMPABLE): %s\n",
            strerror(errno));
}

static void log_line(msikv_log_level level, const char *line, void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char when[32];
  app_format_time((int64_t)ts.tv_sec * 1000, when);
  fprintf(stderr, "%s webapp %s: %s\n", when, msikv_log_level_name(level),
          line);
}

static int write_port_file(const char *path, int port) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  int ok = fprintf(f, "%d\n", port) > 0;
  if (fclose(f) != 0)
    ok = 0;
  return ok ? 0 : -1;
}

int main(int argc, char **argv) {
  (void)argv;
  disable_core_dumps();
  if (argc > 1) {
    fprintf(stderr, "usage: webapp\n"
                    "Configured by environment variables only: KEY_VAULT_URL, "
                    "SECRET_NAME, PORT, HOST, ... (see docs/webapp.md).\n");
    return APP_EXIT_CONFIG;
  }
  if (msikv_global_init()) {
    fprintf(stderr, "webapp: could not initialise msikv\n");
    return 1;
  }

  app_config cfg;
  msikv_error err;
  msikv_error_clear(&err);
  if (app_config_load(NULL, NULL, &cfg, &err)) {
    fprintf(stderr, "webapp: configuration error: %s\n", err.message);
    return APP_EXIT_CONFIG;
  }
  msikv_log_set_handler(log_line, NULL, cfg.log_level);

  /* Block the stop signals before any thread starts, so that only
   * sigwait() below receives them. */
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
  signal(SIGPIPE, SIG_IGN);

  int exit_code = 1;
  app_metrics *metrics = NULL;
  app_kv_source *source = NULL;
  app_server *server = NULL;
  app_state app;
  memset(&app, 0, sizeof(app));
  app.config = &cfg;

  if (app_metrics_new(&metrics)) {
    fprintf(stderr, "webapp: out of memory\n");
    goto out;
  }
  app.metrics = metrics;

  if (!cfg.vault_url[0]) {
    msikv_log(MSIKV_LOG_WARN,
              "KEY_VAULT_URL is not set: / will explain how to set it");
  } else {
    msikv_error_clear(&err);
    msikv_result rc = app_kv_source_new(&cfg, metrics, &source, &err);
    if (rc) {
      app.setup_rc = rc;
      app.setup_err = err;
      msikv_log(MSIKV_LOG_WARN, "no credential (%s): %s; / will explain",
                msikv_result_name(rc), err.message);
    } else {
      app.credential_name = app_kv_source_credential_name(source);
      app_secret_source seam = app_kv_source_seam(source);
      app_cache_options co = app_cache_options_default();
      co.ttl_ms = cfg.cache_ttl_s * 1000;
      co.stale_ms = cfg.stale_ttl_s * 1000;
      if (co.ttl_ms > 0 && co.retry_ms > co.ttl_ms)
        co.retry_ms = co.ttl_ms;
      /* Keep at least one worker free for /ping, /healthz and /metrics
       * while a cold fetch is slow. */
      co.max_waiters = cfg.threads > 2 ? cfg.threads - 2 : 0;
      if (app_cache_new(&seam, &co, &app.cache)) {
        fprintf(stderr, "webapp: out of memory\n");
        goto out;
      }
    }
  }

  app_server_options so = {cfg.host, cfg.port, cfg.threads, cfg.max_connections,
                           cfg.connection_timeout_s};
  msikv_error_clear(&err);
  msikv_result rc = app_server_start(&app, &so, &server, &err);
  if (rc) {
    fprintf(stderr, "webapp: %s\n", err.message);
    exit_code = rc == MSIKV_ERR_CONFIG ? APP_EXIT_CONFIG : 1;
    goto out;
  }
  int port = app_server_port(server);
  if (cfg.port_file[0] && write_port_file(cfg.port_file, port) != 0) {
    fprintf(stderr, "webapp: cannot write WEBAPP_PORT_FILE %s: %s\n",
            cfg.port_file, strerror(errno));
    goto out;
  }
  msikv_log(MSIKV_LOG_INFO,
            "listening on http://%s:%d/ (vault %s, secret %s, credential %s, "
            "cache ttl %llds, stale %llds, display %s)",
            cfg.host, port, cfg.vault_url[0] ? cfg.vault_url : "(not set)",
            cfg.secret_name,
            app.credential_name ? app.credential_name : "(none)",
            (long long)cfg.cache_ttl_s, (long long)cfg.stale_ttl_s,
            app_display_name(cfg.display));
  printf("webapp: listening on http://%s:%d/\n", cfg.host, port);
  fflush(stdout);

  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  msikv_log(MSIKV_LOG_INFO, "%s: finishing requests in progress, stopping",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
  exit_code = 0;

out:
  app_server_stop(server, 10000);
  app_cache_free(app.cache);
  app_kv_source_free(source);
  app_metrics_free(metrics);
  return exit_code;
}
