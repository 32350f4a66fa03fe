/* SPDX-License-Identifier: MIT */
/*
 * Get-secret requests per second against the real mockserver, with token
 * validation on, over keep-alive TLS connections (one libcurl handle per
 * thread). Target: at least 10,000/s.
 *
 *   bazel run -c opt //bench:mock_getsecret_bench -- [--threads N]
 *       [--seconds S] [--check]
 *
 * --check exits 1 when the rate is below 10,000/s.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define TARGET_PER_S 10000.0

static char kv_url[512], ca_file[4096], identity_endpoint[512],
    identity_header[128], tls_port[16];
static char auth_header[8192];
static atomic_long ok_count, err_count, connects;
static atomic_bool stop;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* CPU seconds the process has used (user + system), from /proc. */
static double cpu_seconds(pid_t pid) {
  char path[64], buf[2048];
  snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = strrchr(buf, ')');
  unsigned long long ut = 0, st = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
                          "%llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t s, size_t n, void *u) {
  (void)p;
  (void)u;
  return s * n;
}

typedef struct grow {
  char data[65536];
  size_t len;
} grow;

static size_t collect(char *p, size_t s, size_t n, void *u) {
  grow *g = u;
  size_t k = s * n;
  if (g->len + k >= sizeof(g->data))
    return 0;
  memcpy(g->data + g->len, p, k);
  g->len += k;
  g->data[g->len] = '\0';
  return k;
}

static void *worker(void *arg) {
  (void)arg;
  char url[1024];
  snprintf(url, sizeof(url), "%s/secrets/secret?api-version=7.4", kv_url);
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, auth_header);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  while (!atomic_load(&stop)) {
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status == 200)
      atomic_fetch_add(&ok_count, 1);
    else
      atomic_fetch_add(&err_count, 1);
    long n = 0;
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &n);
    atomic_fetch_add(&connects, n);
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return NULL;
}

static void read_env(const char *path) {
  FILE *f = fopen(path, "r");
  char line[8192];
  while (f && fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = '\0';
    char *eq = strchr(line, '=');
    if (!eq)
      continue;
    *eq = '\0';
    const char *v = eq + 1;
    if (strcmp(line, "KEY_VAULT_URL") == 0)
      snprintf(kv_url, sizeof(kv_url), "%s", v);
    else if (strcmp(line, "SSL_CERT_FILE") == 0)
      snprintf(ca_file, sizeof(ca_file), "%s", v);
    else if (strcmp(line, "IDENTITY_ENDPOINT") == 0)
      snprintf(identity_endpoint, sizeof(identity_endpoint), "%s", v);
    else if (strcmp(line, "IDENTITY_HEADER") == 0)
      snprintf(identity_header, sizeof(identity_header), "%s", v);
    else if (strcmp(line, "MSIKV_MOCK_TLS_PORT") == 0)
      snprintf(tls_port, sizeof(tls_port), "%s", v);
  }
  if (f)
    fclose(f);
}

static int get_token(void) {
  char url[1024], hdr[256];
  snprintf(url, sizeof(url),
           "%s?api-version=2019-08-01&resource=https%%3A%%2F%%2Fvault."
           "localhost%%3A%s",
           identity_endpoint, tls_port);
  snprintf(hdr, sizeof(hdr), "X-IDENTITY-HEADER: %s", identity_header);
  static grow g;
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, hdr);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  const char *k = strstr(g.data, "\"access_token\":\"");
  if (rc != CURLE_OK || !k)
    return -1;
  k += 16;
  size_t n = strcspn(k, "\"");
  snprintf(auth_header, sizeof(auth_header), "Authorization: Bearer %.*s",
           (int)n, k);
  return 0;
}

int main(int argc, char **argv) {
  int threads = 4;
  double seconds = 5;
  bool check = false;
  const char *mock = "mockserver/mockserver";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
      threads = (int)strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = strtod(argv[++i], NULL);
    else if (strcmp(argv[i], "--mock") == 0 && i + 1 < argc)
      mock = argv[++i];
    else if (strcmp(argv[i], "--check") == 0)
      check = true;
    else {
      fprintf(stderr,
              "usage: mock_getsecret_bench [--threads N] [--seconds S] "
              "[--mock PATH] [--check]\n");
      return 2;
    }
  }
  if (threads < 1 || threads > 256 || !(seconds > 0)) {
    fprintf(stderr, "mock_getsecret_bench: bad --threads or --seconds\n");
    return 2;
  }
  char dir[] = "/tmp/msikv-bench-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  char env[4200], state[4200];
  snprintf(env, sizeof(env), "%s/mock.env", dir);
  snprintf(state, sizeof(state), "%s/state", dir);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  pid_t pid = fork();
  if (pid == 0) {
    execl(mock, mock, "--quiet", "--state-dir", state, "--env-file", env,
          (char *)NULL);
    perror(mock);
    _exit(127);
  }
  struct stat st;
  for (int i = 0; i < 1000 && stat(env, &st) != 0; i++)
    sleep_ms(10);
  read_env(env);
  int rc = 1;
  if (!kv_url[0] || get_token() != 0) {
    fprintf(stderr, "mock_getsecret_bench: the mock did not start or gave "
                    "no token\n");
    goto out;
  }
  pthread_t tids[256];
  double cpu0 = cpu_seconds(pid);
  double t0 = now_s();
  for (int i = 0; i < threads; i++)
    pthread_create(&tids[i], NULL, worker, NULL);
  while (now_s() - t0 < seconds)
    sleep_ms(20);
  atomic_store(&stop, true);
  for (int i = 0; i < threads; i++)
    pthread_join(tids[i], NULL);
  double elapsed = now_s() - t0;
  double cpu = cpu_seconds(pid) - cpu0;
  double rate = (double)atomic_load(&ok_count) / elapsed;
  printf("get-secret over keep-alive TLS, token validation on: %ld ok, %ld "
         "errors in %.2f s with %d threads (%ld connections) = %.0f "
         "requests/s (target %.0f)\n",
         atomic_load(&ok_count), atomic_load(&err_count), elapsed, threads,
         atomic_load(&connects), rate, TARGET_PER_S);
  if (cpu > 0)
    printf("mockserver used %.2f CPU-seconds: %.0f requests per CPU-second "
           "of the mock (%ld online CPUs; the rate above is capped by what "
           "the client and the rest of the machine leave)\n",
           cpu, (double)atomic_load(&ok_count) / cpu,
           sysconf(_SC_NPROCESSORS_ONLN));
  rc = (check && (rate < TARGET_PER_S || atomic_load(&err_count))) ? 1 : 0;
out:
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  curl_global_cleanup();
  return rc;
}
