/* SPDX-License-Identifier: MIT */
/* A small HTTP load generator and cold-start timer for bench/run, on libcurl.
 *
 *   loadgen load --url U [--connections N] [--duration S | --requests N]
 *                [--header "Name: value"]... [--cacert F]
 *   loadgen coldstart --url U [--timeout S] [--cacert F] -- CMD [ARG...]
 *
 * load: N keep-alive connections, each sending its next request as soon as
 * the previous answer is in (what wrk does), for S seconds (default 1) or
 * for N requests in all. Prints one line:
 *   requests=R errors=E non2xx=X seconds=S rps=R p50_ms=A p99_ms=B
 * bench/run uses it where wrk is not installed, and for fixed request
 * counts. wrk is faster (less client CPU per request); use one or the other
 * for all contenders of one table.
 *
 * coldstart: starts CMD (it inherits the environment), asks U every
 * millisecond until an answer is 200, prints "coldstart_ms=T", then stops
 * CMD with SIGTERM (SIGKILL after 5 s). Exit 1 if CMD exits first or no
 * 200 comes within the timeout (default 30 s).
 *
 * Exit codes: 0 ok, 1 failure, 2 usage. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "msikv/parse.h"

#define MAX_HEADERS 16
#define MAX_SAMPLES (16u * 1024u * 1024u)

typedef struct options {
  const char *url;
  const char *cacert;
  const char *headers[MAX_HEADERS];
  int header_count;
  int64_t connections;
  int64_t requests; /* 0: run for duration_s. */
  double duration_s;
  double timeout_s;
  char **cmd;
} options;

typedef struct slot {
  CURL *easy;
  double start;
} slot;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *data, size_t size, size_t n, void *ctx) {
  (void)data;
  (void)ctx;
  return size * n;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static double percentile_ms(uint32_t *us, size_t n, double p) {
  if (!n)
    return 0.0;
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return (double)us[i] / 1000.0;
}

static void setup_easy(CURL *e, const options *o, struct curl_slist *hdrs) {
  curl_easy_setopt(e, CURLOPT_URL, o->url);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
  if (hdrs)
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
  if (o->cacert)
    curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
}

static int run_load(const options *o) {
  int status = 1;
  struct curl_slist *hdrs = NULL;
  for (int i = 0; i < o->header_count; i++) {
    struct curl_slist *n = curl_slist_append(hdrs, o->headers[i]);
    if (!n)
      goto out;
    hdrs = n;
  }
  CURLM *multi = curl_multi_init();
  size_t n = (size_t)o->connections;
  slot *slots = calloc(n, sizeof(*slots));
  uint32_t *samples = malloc(MAX_SAMPLES * sizeof(*samples));
  if (!multi || !slots || !samples) {
    fprintf(stderr, "loadgen: out of memory\n");
    goto cleanup;
  }
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)n);
  size_t kept = 0;
  long long done = 0, issued = 0, errors = 0, non2xx = 0;
  double t0 = now_s();
  for (size_t i = 0; i < n; i++) {
    slots[i].easy = curl_easy_init();
    if (!slots[i].easy)
      goto cleanup;
    setup_easy(slots[i].easy, o, hdrs);
    curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE, &slots[i]);
    if (o->requests && issued >= o->requests)
      continue;
    slots[i].start = t0;
    curl_multi_add_handle(multi, slots[i].easy);
    issued++;
  }
  double deadline = t0 + o->duration_s;
  int running = 1;
  while (running) {
    int still = 0;
    curl_multi_perform(multi, &still);
    CURLMsg *msg;
    int queued;
    double now = now_s();
    while ((msg = curl_multi_info_read(multi, &queued))) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      CURL *e = msg->easy_handle;
      slot *s = NULL;
      curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
      CURLcode rc = msg->data.result;
      long code = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
      curl_multi_remove_handle(multi, e);
      if (!o->requests && now > deadline)
        continue; /* Finished after the end: not counted. */
      done++;
      if (rc != CURLE_OK)
        errors++;
      else if (code < 200 || code > 299)
        non2xx++;
      if (kept < MAX_SAMPLES && rc == CURLE_OK) {
        double us = (now - s->start) * 1e6;
        samples[kept++] = us > 4e9 ? 4000000000u : (uint32_t)us;
      }
      if (o->requests ? issued < o->requests : now < deadline) {
        s->start = now;
        curl_multi_add_handle(multi, e);
        issued++;
      }
    }
    if (o->requests ? done >= o->requests : now >= deadline)
      running = 0;
    else
      curl_multi_poll(multi, NULL, 0, 50, NULL);
  }
  double secs = o->requests ? now_s() - t0 : o->duration_s;
  qsort(samples, kept, sizeof(*samples), cmp_u32);
  printf("requests=%lld errors=%lld non2xx=%lld seconds=%.3f rps=%.1f "
         "p50_ms=%.3f p99_ms=%.3f\n",
         done, errors, non2xx, secs, (double)done / secs,
         percentile_ms(samples, kept, 0.50),
         percentile_ms(samples, kept, 0.99));
  status = 0;
cleanup:
  for (size_t i = 0; slots && i < n; i++) {
    if (slots[i].easy) {
      curl_multi_remove_handle(multi, slots[i].easy);
      curl_easy_cleanup(slots[i].easy);
    }
  }
  free(samples);
  free(slots);
  if (multi)
    curl_multi_cleanup(multi);
out:
  curl_slist_free_all(hdrs);
  return status;
}

static void stop_child(pid_t pid) {
  kill(pid, SIGTERM);
  for (int i = 0; i < 500; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid)
      return;
    struct timespec ms10 = {0, 10 * 1000000L};
    nanosleep(&ms10, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static int run_coldstart(const options *o) {
  CURL *e = curl_easy_init();
  if (!e)
    return 1;
  setup_easy(e, o, NULL);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 200L);
  double t0 = now_s();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "loadgen: fork: %s\n", strerror(errno));
    curl_easy_cleanup(e);
    return 1;
  }
  if (pid == 0) {
    execvp(o->cmd[0], o->cmd);
    fprintf(stderr, "loadgen: cannot run %s: %s\n", o->cmd[0],
            strerror(errno));
    _exit(127);
  }
  int status = 1;
  for (;;) {
    int ws;
    if (waitpid(pid, &ws, WNOHANG) == pid) {
      fprintf(stderr, "loadgen: %s exited before answering 200 (status %d)\n",
              o->cmd[0], WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
      curl_easy_cleanup(e);
      return 1;
    }
    long code = 0;
    if (curl_easy_perform(e) == CURLE_OK &&
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
        code == 200) {
      printf("coldstart_ms=%.1f\n", (now_s() - t0) * 1000.0);
      status = 0;
      break;
    }
    if (now_s() - t0 > o->timeout_s) {
      fprintf(stderr, "loadgen: no 200 from %s within %.0f s (last status "
                      "%ld)\n",
              o->url, o->timeout_s, code);
      break;
    }
    struct timespec ms1 = {0, 1000000L};
    nanosleep(&ms1, NULL);
  }
  fflush(stdout);
  curl_easy_cleanup(e);
  stop_child(pid);
  return status;
}

static int usage(void) {
  fprintf(stderr,
          "usage: loadgen load --url U [--connections N] [--duration S | "
          "--requests N]\n"
          "                    [--header \"Name: value\"]... [--cacert F]\n"
          "       loadgen coldstart --url U [--timeout S] [--cacert F] -- "
          "CMD [ARG...]\n");
  return 2;
}

static int int_flag(const char *name, const char *v, int64_t min, int64_t max,
                    int64_t *out) {
  if (!v || msikv_parse_int64_str(v, min, max, out) != MSIKV_OK) {
    fprintf(stderr, "loadgen: %s needs an integer from %lld to %lld\n", name,
            (long long)min, (long long)max);
    return -1;
  }
  return 0;
}

static int seconds_flag(const char *name, const char *v, double *out) {
  char *end = NULL;
  double d = v ? strtod(v, &end) : 0.0;
  if (!v || end == v || *end || !(d > 0.0) || d > 86400.0) {
    fprintf(stderr, "loadgen: %s needs seconds (0 < S <= 86400)\n", name);
    return -1;
  }
  *out = d;
  return 0;
}

int main(int argc, char **argv) {
  options o = {.connections = 50, .duration_s = 1.0, .timeout_s = 30.0};
  if (argc < 2)
    return usage();
  const char *mode = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--") == 0) {
      o.cmd = &argv[i + 1];
      break;
    }
    if (!v)
      return usage();
    i++;
    if (strcmp(a, "--url") == 0) {
      o.url = v;
    } else if (strcmp(a, "--cacert") == 0) {
      o.cacert = v;
    } else if (strcmp(a, "--header") == 0 && o.header_count < MAX_HEADERS) {
      o.headers[o.header_count++] = v;
    } else if (strcmp(a, "--connections") == 0) {
      if (int_flag(a, v, 1, 10000, &o.connections))
        return 2;
    } else if (strcmp(a, "--requests") == 0) {
      if (int_flag(a, v, 1, INT64_C(1) << 40, &o.requests))
        return 2;
    } else if (strcmp(a, "--duration") == 0) {
      if (seconds_flag(a, v, &o.duration_s))
        return 2;
    } else if (strcmp(a, "--timeout") == 0) {
      if (seconds_flag(a, v, &o.timeout_s))
        return 2;
    } else {
      return usage();
    }
  }
  if (!o.url)
    return usage();
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return 1;
  int rc;
  if (strcmp(mode, "load") == 0) {
    rc = run_load(&o);
  } else if (strcmp(mode, "coldstart") == 0 && o.cmd && o.cmd[0]) {
    rc = run_coldstart(&o);
  } else {
    rc = usage();
  }
  curl_global_cleanup();
  return rc;
}
