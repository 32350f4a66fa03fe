/* SPDX-License-Identifier: MIT */
#include "app_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 8192, len = 0;
  char *data = malloc(cap);
  while (data) {
    if (len + 4096 >= cap) {
      char *grown = realloc(data, cap * 2);
      if (!grown) {
        free(data);
        data = NULL;
        break;
      }
      data = grown;
      cap *= 2;
    }
    size_t n = fread(data + len, 1, cap - len - 1, f);
    len += n;
    if (n == 0)
      break;
  }
  fclose(f);
  if (data)
    data[len] = '\0';
  return data;
}

char *it_webapp_log(const it_webapp *w) {
  char *s = slurp(w->log_file);
  return s ? s : strdup("");
}

int it_webapp_start(const it_mock *m, const char *const *extra, it_webapp *w) {
  memset(w, 0, sizeof(*w));
  char bin[4096], port_file[4096], port_kv[4200];
  it_runfile("app/webapp", bin, sizeof(bin));
  it_tmp_path("webapp.port", port_file, sizeof(port_file));
  it_tmp_path("webapp.log", w->log_file, sizeof(w->log_file));
  unlink(port_file);
  snprintf(port_kv, sizeof(port_kv), "WEBAPP_PORT_FILE=%s", port_file);
  const char *all[64];
  size_t n = 0;
  all[n++] = "PORT=0";
  all[n++] = "HOST=127.0.0.1";
  all[n++] = "LOG_LEVEL=debug";
  all[n++] = port_kv;
  for (size_t i = 0; extra && extra[i] && n < 63; i++)
    all[n++] = extra[i];
  all[n] = NULL;
  char **env = it_mock_env(m, all);
  if (!env)
    return -1;
  pid_t pid = fork();
  if (pid < 0) {
    it_env_free(env);
    return -1;
  }
  if (pid == 0) {
    int fo = open(w->log_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fi = open("/dev/null", O_RDONLY);
    if (fo < 0 || fi < 0)
      _exit(126);
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fo, 2);
    const char *argv[] = {bin, NULL};
    execve(bin, (char *const *)(uintptr_t)argv, env);
    fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
    _exit(127);
  }
  it_env_free(env);
  w->pid = pid;
  long long deadline = now_ms() + 10000;
  while (now_ms() < deadline) {
    char *text = slurp(port_file);
    if (text && text[0] && strchr(text, '\n')) {
      w->port = atoi(text);
      free(text);
      snprintf(w->base, sizeof(w->base), "http://127.0.0.1:%d", w->port);
      return 0;
    }
    free(text);
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      w->pid = 0;
      break;
    }
    sleep_ms(10);
  }
  char *log = it_webapp_log(w);
  fprintf(stderr, "webapp did not start; its log:\n%s\n", log);
  free(log);
  it_webapp_stop(w);
  return -1;
}

int it_webapp_stop(it_webapp *w) {
  if (w->pid <= 0)
    return -1;
  kill(w->pid, SIGTERM);
  long long deadline = now_ms() + 15000;
  int status = 0;
  int code = -1;
  for (;;) {
    pid_t r = waitpid(w->pid, &status, WNOHANG);
    if (r == w->pid) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (now_ms() > deadline) {
      kill(w->pid, SIGKILL);
      waitpid(w->pid, &status, 0);
      break;
    }
    sleep_ms(5);
  }
  w->pid = 0;
  return code;
}

void it_webapp_get(const it_webapp *w, const char *path, const char *accept,
                   it_http *out) {
  char url[512], hdr[256];
  snprintf(url, sizeof(url), "%s%s", w->base, path);
  snprintf(hdr, sizeof(hdr), "Accept: %s", accept ? accept : "text/html");
  const char *headers[] = {hdr, NULL};
  it_http_do(NULL, "GET", url, headers, NULL, out);
}

double it_webapp_metric(const it_webapp *w, const char *name) {
  it_http r;
  it_webapp_get(w, "/metrics", NULL, &r);
  double v = -1;
  size_t len = strlen(name);
  for (const char *line = r.body; line && *line;) {
    if (strncmp(line, name, len) == 0 && line[len] == ' ') {
      v = strtod(line + len + 1, NULL);
      break;
    }
    const char *nl = strchr(line, '\n');
    line = nl ? nl + 1 : NULL;
  }
  it_http_free(&r);
  return v;
}

bool it_target_azure(void) {
  return it_target_is_azure();
}

int it_webapp_start_azure(it_webapp *w) {
  static const char *const pass[] = {"KEY_VAULT_URL",
                                     "KEY_VAULT_URI",
                                     "SECRET_NAME",
                                     "AZURE_TENANT_ID",
                                     "AZURE_CLIENT_ID",
                                     "AZURE_CLIENT_SECRET",
                                     "AZURE_AUTHORITY_HOST",
                                     "IDENTITY_ENDPOINT",
                                     "IDENTITY_HEADER",
                                     "MSI_ENDPOINT",
                                     "MSI_SECRET",
                                     "APPSETTING_WEBSITE_SITE_NAME",
                                     "SSL_CERT_FILE",
                                     "CURL_CA_BUNDLE",
                                     "HTTPS_PROXY",
                                     "NO_PROXY",
                                     NULL};
  char *vars[32];
  const char *extra[33];
  size_t n = 0;
  for (size_t i = 0; pass[i] && n < 32; i++) {
    const char *v = getenv(pass[i]);
    if (!v)
      continue;
    size_t len = strlen(pass[i]) + strlen(v) + 2;
    vars[n] = malloc(len);
    if (!vars[n])
      break;
    snprintf(vars[n], len, "%s=%s", pass[i], v);
    extra[n] = vars[n];
    n++;
  }
  extra[n] = NULL;
  int rc = it_webapp_start(NULL, extra, w);
  for (size_t i = 0; i < n; i++)
    free(vars[i]);
  return rc;
}

long it_kv_set_secret(const it_mock *m, const char *name, const char *value) {
  char scope[300];
  snprintf(scope, sizeof(scope), "%s/.default", m->resource);
  char *tok = it_token_client_secret(m, "bbbbbbbb-0000-4000-8000-000000000001",
                                     "msikv-mock-sp-secret", scope);
  if (!tok)
    return 0;
  char url[1024];
  snprintf(url, sizeof(url), "%s/secrets/%s?api-version=7.4", m->kv_url, name);
  size_t auth_len = strlen(tok) + 32;
  char *auth = malloc(auth_len);
  snprintf(auth, auth_len, "Authorization: Bearer %s", tok);
  const char *h[] = {auth, "Content-Type: application/json", NULL};
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "value", value);
  char *text = cJSON_PrintUnformatted(body);
  it_http r;
  it_http_do(m, "PUT", url, h, text, &r);
  long status = r.status;
  it_http_free(&r);
  free(text);
  cJSON_Delete(body);
  free(auth);
  free(tok);
  return status;
}
