/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *it_runfile(const char *rel, char *out, size_t out_size) {
  const char *srcdir = getenv("TEST_SRCDIR");
  const char *ws = getenv("TEST_WORKSPACE");
  if (srcdir && ws)
    snprintf(out, out_size, "%s/%s/%s", srcdir, ws, rel);
  else
    snprintf(out, out_size, "bazel-bin/%s", rel);
  return out;
}

const char *it_tmp_path(const char *name, char *out, size_t out_size) {
  static int counter;
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(out, out_size, "%s/%s.%ld.%d", tmp && tmp[0] ? tmp : "/tmp", name,
           (long)getpid(), counter++);
  return out;
}

static char *read_file(const char *path, size_t *out_len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, len = 0;
  char *data = malloc(cap);
  while (data) {
    if (len + 1024 >= cap) {
      char *n = realloc(data, cap * 2);
      if (!n) {
        free(data);
        data = NULL;
        break;
      }
      data = n;
      cap *= 2;
    }
    size_t r = fread(data + len, 1, cap - len - 1, f);
    len += r;
    if (r == 0)
      break;
  }
  fclose(f);
  if (data)
    data[len] = '\0';
  if (out_len)
    *out_len = len;
  return data;
}

const char *it_mock_var(const it_mock *m, const char *name) {
  for (size_t i = 0; i < m->var_count; i++)
    if (strcmp(m->names[i], name) == 0)
      return m->values[i];
  return NULL;
}

static int parse_env_file(it_mock *m) {
  char *text = read_file(m->env_file, NULL);
  if (!text)
    return -1;
  m->var_count = 0;
  for (char *line = text; *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    char *eq = strchr(line, '=');
    if (eq && line[0] != '#' && m->var_count < IT_MAX_VARS) {
      *eq = '\0';
      char *v = eq + 1;
      size_t vl = strlen(v);
      if (vl >= 2 && v[0] == '\'' && v[vl - 1] == '\'') {
        v[vl - 1] = '\0';
        v++;
      }
      snprintf(m->names[m->var_count], sizeof(m->names[0]), "%s", line);
      snprintf(m->values[m->var_count], sizeof(m->values[0]), "%s", v);
      m->var_count++;
    }
    if (!nl)
      break;
    line = nl + 1;
  }
  free(text);
  return 0;
}

static void copy_json_str(const cJSON *o, const char *name, char *out,
                          size_t size) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
  if (cJSON_IsString(it))
    snprintf(out, size, "%s", it->valuestring);
}

static int read_config(it_mock *m) {
  cJSON *cfg = NULL;
  if (it_admin(m, "GET", "/admin/config", NULL, &cfg) != 200 || !cfg) {
    cJSON_Delete(cfg);
    return -1;
  }
  copy_json_str(cfg, "key_vault_url", m->kv_url, sizeof(m->kv_url));
  copy_json_str(cfg, "ca_file", m->ca_file, sizeof(m->ca_file));
  copy_json_str(cfg, "authority", m->authority, sizeof(m->authority));
  copy_json_str(cfg, "resource", m->resource, sizeof(m->resource));
  copy_json_str(cfg, "tenant_id", m->tenant_id, sizeof(m->tenant_id));
  copy_json_str(cfg, "identity_endpoint", m->identity_endpoint,
                sizeof(m->identity_endpoint));
  copy_json_str(cfg, "identity_header", m->identity_header,
                sizeof(m->identity_header));
  copy_json_str(cfg, "msi_secret", m->msi_secret, sizeof(m->msi_secret));
  copy_json_str(cfg, "imds_authority_host", m->imds_host, sizeof(m->imds_host));
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(cfg, "tls_port");
  m->tls_port = cJSON_IsNumber(p) ? p->valueint : 0;
  p = cJSON_GetObjectItemCaseSensitive(cfg, "msi_port");
  m->msi_port = cJSON_IsNumber(p) ? p->valueint : 0;
  p = cJSON_GetObjectItemCaseSensitive(cfg, "admin_port");
  m->admin_port = cJSON_IsNumber(p) ? p->valueint : 0;
  cJSON_Delete(cfg);
  return 0;
}

static void dump_log(const it_mock *m) {
  char *log = read_file(m->log_file, NULL);
  fprintf(stderr, "--- mockserver output ---\n%s\n---\n", log ? log : "");
  free(log);
}

int it_mock_start(it_mock *m, const char *const *extra_args) {
  static bool curl_ready;
  if (!curl_ready) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ready = true;
  }
  memset(m, 0, sizeof(*m));
  char bin[4096], state[4096];
  it_runfile("mockserver/mockserver", bin, sizeof(bin));
  it_tmp_path("mock.env", m->env_file, sizeof(m->env_file));
  it_tmp_path("mock.log", m->log_file, sizeof(m->log_file));
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(state, sizeof(state), "%s/mock-state", tmp && tmp[0] ? tmp : "/tmp");
  const char *argv[64];
  size_t n = 0;
  argv[n++] = bin;
  argv[n++] = "--state-dir";
  argv[n++] = state;
  argv[n++] = "--env-file";
  argv[n++] = m->env_file;
  for (size_t i = 0; extra_args && extra_args[i] && n < 62; i++)
    argv[n++] = extra_args[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int fd = open(m->log_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(bin, (char *const *)(uintptr_t)argv);
    fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
    _exit(127);
  }
  m->pid = pid;
  long long deadline = now_ms() + 10000;
  struct stat st;
  while (stat(m->env_file, &st) != 0) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      fprintf(stderr, "mockserver exited during start-up\n");
      dump_log(m);
      m->pid = 0;
      return -1;
    }
    if (now_ms() > deadline) {
      fprintf(stderr, "mockserver was not ready within 10 s\n");
      dump_log(m);
      it_mock_stop(m);
      return -1;
    }
    sleep_ms(5);
  }
  if (parse_env_file(m) != 0) {
    it_mock_stop(m);
    return -1;
  }
  const char *admin = it_mock_var(m, "MSIKV_MOCK_ADMIN");
  snprintf(m->admin, sizeof(m->admin), "%s", admin ? admin : "");
  if (!admin || read_config(m) != 0) {
    fprintf(stderr, "mockserver admin API did not answer\n");
    dump_log(m);
    it_mock_stop(m);
    return -1;
  }
  return 0;
}

void it_mock_stop(it_mock *m) {
  if (m->pid <= 0)
    return;
  kill(m->pid, SIGTERM);
  long long deadline = now_ms() + 5000;
  int status;
  while (waitpid(m->pid, &status, WNOHANG) == 0) {
    if (now_ms() > deadline) {
      kill(m->pid, SIGKILL);
      waitpid(m->pid, &status, 0);
      break;
    }
    sleep_ms(5);
  }
  m->pid = 0;
}

int it_run(const char *rel, const char *const *argv, const char *const *envp,
           int timeout_ms, it_proc *out) {
  memset(out, 0, sizeof(*out));
  char bin[4096], out_path[4096], err_path[4096];
  it_runfile(rel, bin, sizeof(bin));
  it_tmp_path("proc.out", out_path, sizeof(out_path));
  it_tmp_path("proc.err", err_path, sizeof(err_path));
  const char *args[128];
  size_t n = 0;
  args[n++] = bin;
  for (size_t i = 0; argv && argv[i] && n < 127; i++)
    args[n++] = argv[i];
  args[n] = NULL;
  static const char *const empty_env[] = {NULL};
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fi = open("/dev/null", O_RDONLY);
    if (fo < 0 || fe < 0 || fi < 0)
      _exit(126);
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    execve(bin, (char *const *)(uintptr_t)args,
           (char *const *)(uintptr_t)(envp ? envp : empty_env));
    fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
    _exit(127);
  }
  long long deadline = now_ms() + timeout_ms;
  int status = 0;
  bool timed_out = false;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (now_ms() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      timed_out = true;
      break;
    }
    sleep_ms(2);
  }
  if (timed_out)
    out->exit_code = -1;
  else if (WIFEXITED(status))
    out->exit_code = WEXITSTATUS(status);
  else
    out->exit_code = 128 + WTERMSIG(status);
  out->out = read_file(out_path, NULL);
  out->err = read_file(err_path, NULL);
  unlink(out_path);
  unlink(err_path);
  if (!out->out)
    out->out = calloc(1, 1);
  if (!out->err)
    out->err = calloc(1, 1);
  return 0;
}

void it_proc_free(it_proc *p) {
  free(p->out);
  free(p->err);
  p->out = NULL;
  p->err = NULL;
}

static void env_put(char **env, size_t *n, size_t max, const char *kv) {
  size_t name_len = strcspn(kv, "=");
  for (size_t i = 0; i < *n; i++) {
    if (strncmp(env[i], kv, name_len) == 0 && env[i][name_len] == '=') {
      free(env[i]);
      env[i] = strdup(kv);
      return;
    }
  }
  if (*n < max)
    env[(*n)++] = strdup(kv);
}

char **it_mock_env(const it_mock *m, const char *const *extra) {
  size_t max = IT_MAX_VARS + 64;
  char **env = calloc(max + 1, sizeof(char *));
  size_t n = 0;
  char buf[8192];
  if (!env)
    return NULL;
  const char *path = getenv("PATH");
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(buf, sizeof(buf), "PATH=%s", path ? path : "/usr/bin:/bin");
  env_put(env, &n, max, buf);
  if (tmp) {
    snprintf(buf, sizeof(buf), "TEST_TMPDIR=%s", tmp);
    env_put(env, &n, max, buf);
    snprintf(buf, sizeof(buf), "HOME=%s", tmp);
    env_put(env, &n, max, buf);
  }
  for (size_t i = 0; m && i < m->var_count; i++) {
    snprintf(buf, sizeof(buf), "%s=%s", m->names[i], m->values[i]);
    env_put(env, &n, max, buf);
  }
  for (size_t i = 0; extra && extra[i]; i++)
    env_put(env, &n, max, extra[i]);
  return env;
}

bool it_target_is_azure(void) {
  const char *t = getenv("MSIKV_TEST_TARGET");
  return t && strcmp(t, "azure") == 0;
}

static bool has(const char *name) {
  const char *v = getenv(name);
  return v && *v;
}

bool it_azure_env_ready(char *out, size_t out_size) {
  bool vault = has("KEY_VAULT_URL") || has("KEY_VAULT_URI");
  bool sp =
      has("AZURE_TENANT_ID") && has("AZURE_CLIENT_ID") &&
      (has("AZURE_CLIENT_SECRET") || has("AZURE_CLIENT_CERTIFICATE_PATH") ||
       has("AZURE_FEDERATED_TOKEN_FILE"));
  bool mi = (has("IDENTITY_ENDPOINT") && has("IDENTITY_HEADER")) ||
            has("MSI_ENDPOINT");
  bool cli = has("AZURE_CONFIG_DIR");
  if (!cli && has("HOME")) {
    char dir[4096];
    struct stat st;
    snprintf(dir, sizeof(dir), "%s/.azure", getenv("HOME"));
    cli = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
  }
  bool cred = sp || mi || cli;
  if (out && out_size)
    out[0] = '\0';
  if (vault && cred)
    return true;
  if (out && out_size)
    snprintf(out, out_size,
             "MSIKV_TEST_TARGET=azure (bazel test --config=azure) needs "
             "%s%s%s. Export them in the shell that runs bazel (see "
             "docs/integration.md).",
             vault ? "" : "KEY_VAULT_URL=https://NAME.vault.azure.net",
             vault || cred ? "" : " and ",
             cred ? ""
                  : "a credential: AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                    "AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH), "
                    "or an Azure CLI login (az login; HOME is passed)");
  return false;
}

void it_skip_note(const char *reason) {
  printf("[  SKIPPED ] reason: %s\n", reason ? reason : "(none given)");
  fflush(stdout);
}

char **it_azure_env(const char *const *extra) {
  static const char *const pass[] = {"KEY_VAULT_URL",
                                     "KEY_VAULT_URI",
                                     "SECRET_NAME",
                                     "AZURE_TENANT_ID",
                                     "AZURE_CLIENT_ID",
                                     "AZURE_CLIENT_SECRET",
                                     "AZURE_CLIENT_CERTIFICATE_PATH",
                                     "AZURE_CLIENT_CERTIFICATE_PASSWORD",
                                     "AZURE_FEDERATED_TOKEN_FILE",
                                     "AZURE_AUTHORITY_HOST",
                                     "AZURE_CONFIG_DIR",
                                     "AZURE_TOKEN_CREDENTIALS",
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
  size_t max = 64;
  char **env = calloc(max + 1, sizeof(char *));
  size_t n = 0;
  char buf[8192];
  if (!env)
    return NULL;
  const char *path = getenv("PATH");
  const char *tmp = getenv("TEST_TMPDIR");
  const char *home = getenv("HOME");
  snprintf(buf, sizeof(buf), "PATH=%s", path ? path : "/usr/bin:/bin");
  env_put(env, &n, max, buf);
  if (tmp) {
    snprintf(buf, sizeof(buf), "TEST_TMPDIR=%s", tmp);
    env_put(env, &n, max, buf);
  }
  if (home || tmp) {
    snprintf(buf, sizeof(buf), "HOME=%s", home ? home : tmp);
    env_put(env, &n, max, buf);
  }
  for (size_t i = 0; pass[i]; i++) {
    if (!getenv(pass[i]))
      continue;
    snprintf(buf, sizeof(buf), "%s=%s", pass[i], getenv(pass[i]));
    env_put(env, &n, max, buf);
  }
  for (size_t i = 0; extra && extra[i]; i++)
    env_put(env, &n, max, extra[i]);
  return env;
}

void it_env_free(char **env) {
  for (size_t i = 0; env && env[i]; i++)
    free(env[i]);
  free(env);
}

typedef struct growbuf {
  char *data;
  size_t len;
} growbuf;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
  growbuf *b = userdata;
  size_t n = size * nmemb;
  char *d = realloc(b->data, b->len + n + 1);
  if (!d)
    return 0;
  memcpy(d + b->len, ptr, n);
  b->len += n;
  d[b->len] = '\0';
  b->data = d;
  return n;
}

void it_http_do(const it_mock *m, const char *method, const char *url,
                const char *const *headers, const char *body, it_http *out) {
  memset(out, 0, sizeof(*out));
  growbuf hb = {NULL, 0}, bb = {NULL, 0};
  CURL *c = curl_easy_init();
  struct curl_slist *hl = NULL;
  if (!c) {
    out->curl_code = CURLE_FAILED_INIT;
    return;
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (m && m->ca_file[0])
    curl_easy_setopt(c, CURLOPT_CAINFO, m->ca_file);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
  if (strcmp(method, "HEAD") == 0)
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  for (size_t i = 0; headers && headers[i]; i++)
    hl = curl_slist_append(hl, headers[i]);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    bool has_ct = false;
    for (size_t i = 0; headers && headers[i]; i++)
      if (strncasecmp(headers[i], "Content-Type:", 13) == 0)
        has_ct = true;
    if (!has_ct)
      hl = curl_slist_append(hl, "Content-Type: application/json");
  }
  if (hl)
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  out->curl_code = (int)curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->seconds);
  curl_slist_free_all(hl);
  curl_easy_cleanup(c);
  out->headers = hb.data ? hb.data : calloc(1, 1);
  out->body = bb.data ? bb.data : calloc(1, 1);
  out->body_len = bb.len;
}

void it_http_free(it_http *r) {
  free(r->headers);
  free(r->body);
  r->headers = NULL;
  r->body = NULL;
}

char *it_http_header(const it_http *r, const char *name) {
  size_t nl = strlen(name);
  const char *p = r->headers;
  char *found = NULL;
  while (p && *p) {
    const char *end = strstr(p, "\r\n");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ')
        v++;
      free(found); /* the last one wins (after redirects/100-continue) */
      found = strndup(v, len - (size_t)(v - p));
    }
    p = end ? end + 2 : NULL;
  }
  return found;
}

cJSON *it_http_json(const it_http *r) {
  return r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
}

long it_admin(const it_mock *m, const char *method, const char *path,
              const char *json_body, cJSON **out_json) {
  char url[512];
  snprintf(url, sizeof(url), "%s%s", m->admin, path);
  it_http r;
  it_http_do(NULL, method, url, NULL, json_body, &r);
  long status = r.curl_code ? 0 : r.status;
  if (out_json)
    *out_json = status ? it_http_json(&r) : NULL;
  it_http_free(&r);
  return status;
}

int it_admin_fault(const it_mock *m, const char *json_fault) {
  cJSON *resp = NULL;
  long st = it_admin(m, "POST", "/admin/faults", json_fault, &resp);
  int id = -1;
  const cJSON *ids = cJSON_GetObjectItemCaseSensitive(resp, "ids");
  if (st == 201 && cJSON_GetArraySize(ids) > 0)
    id = cJSON_GetArrayItem(ids, 0)->valueint;
  else
    fprintf(stderr, "POST /admin/faults %s -> %ld\n", json_fault, st);
  cJSON_Delete(resp);
  return id;
}

long it_admin_shift_clock(const it_mock *m, long long seconds) {
  char body[64];
  snprintf(body, sizeof(body), "{\"shift_s\":%lld}", seconds);
  return it_admin(m, "POST", "/admin/clock", body, NULL);
}

cJSON *it_admin_requests(const it_mock *m, long long since) {
  char path[128];
  snprintf(path, sizeof(path), "/admin/requests?since=%lld", since);
  cJSON *j = NULL;
  it_admin(m, "GET", path, NULL, &j);
  return j;
}

long it_admin_reset(const it_mock *m) {
  return it_admin(m, "POST", "/admin/reset", NULL, NULL);
}

static char *token_from(it_http *r) {
  char *tok = NULL;
  if (r->curl_code == 0 && r->status == 200) {
    cJSON *j = it_http_json(r);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
    if (cJSON_IsString(t))
      tok = strdup(t->valuestring);
    cJSON_Delete(j);
  }
  if (!tok)
    fprintf(stderr, "token request failed: curl %d, HTTP %ld: %s\n",
            r->curl_code, r->status, r->body ? r->body : "");
  it_http_free(r);
  return tok;
}

static void resource_enc(const it_mock *m, char *out, size_t size) {
  char *e = curl_easy_escape(NULL, m->resource, 0);
  snprintf(out, size, "%s", e ? e : "");
  curl_free(e);
}

char *it_token_appservice(const it_mock *m, const char *query_extra) {
  char url[2048], res[512], hdr[256];
  resource_enc(m, res, sizeof(res));
  snprintf(url, sizeof(url), "%s?api-version=2019-08-01&resource=%s%s",
           m->identity_endpoint, res, query_extra ? query_extra : "");
  snprintf(hdr, sizeof(hdr), "X-IDENTITY-HEADER: %s", m->identity_header);
  const char *h[] = {hdr, NULL};
  it_http r;
  it_http_do(NULL, "GET", url, h, NULL, &r);
  return token_from(&r);
}

char *it_token_legacy(const it_mock *m, const char *query_extra) {
  char url[2048], res[512], hdr[256];
  resource_enc(m, res, sizeof(res));
  snprintf(url, sizeof(url), "%s?api-version=2017-09-01&resource=%s%s",
           m->identity_endpoint, res, query_extra ? query_extra : "");
  snprintf(hdr, sizeof(hdr), "secret: %s", m->msi_secret);
  const char *h[] = {hdr, NULL};
  it_http r;
  it_http_do(NULL, "GET", url, h, NULL, &r);
  return token_from(&r);
}

char *it_token_imds(const it_mock *m, const char *query_extra) {
  char url[2048], res[512];
  resource_enc(m, res, sizeof(res));
  snprintf(url, sizeof(url),
           "%s/metadata/identity/oauth2/token?api-version=2018-02-01&"
           "resource=%s%s",
           m->imds_host, res, query_extra ? query_extra : "");
  const char *h[] = {"Metadata: true", NULL};
  it_http r;
  it_http_do(NULL, "GET", url, h, NULL, &r);
  return token_from(&r);
}

char *it_token_client_secret(const it_mock *m, const char *client_id,
                             const char *secret, const char *scope) {
  char url[1024], body[2048], scope_buf[512];
  if (!scope) {
    snprintf(scope_buf, sizeof(scope_buf), "%s/.default", m->resource);
    scope = scope_buf;
  }
  char *es = curl_easy_escape(NULL, secret, 0);
  char *esc = curl_easy_escape(NULL, scope, 0);
  snprintf(url, sizeof(url), "%s/%s/oauth2/v2.0/token", m->authority,
           m->tenant_id);
  snprintf(body, sizeof(body),
           "grant_type=client_credentials&client_id=%s&client_secret=%s&"
           "scope=%s",
           client_id, es ? es : "", esc ? esc : "");
  curl_free(es);
  curl_free(esc);
  const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
  it_http r;
  it_http_do(m, "POST", url, h, body, &r);
  return token_from(&r);
}
