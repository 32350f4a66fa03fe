/* SPDX-License-Identifier: MIT */
/* Secret hygiene: every credential flow of the web app and the CLI, at the
 * most verbose log level (LOG_LEVEL=debug, -v), with failures, stale
 * serving and token refreshes on the way; then the web app's log (stderr and
 * its access log), the mock's log and request log, and the CLI's stderr are
 * searched for the secret value, any token the mock issued, the client
 * secret, IDENTITY_HEADER and MSI_SECRET. Bodies and CLI output that carry
 * a secret on purpose are left out. Also: the web app runs with core dumps
 * off (RLIMIT_CORE 0, not dumpable). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app_harness.h"
#include "harness.h"
#include "it_target.h"

#define VALUE "hygiene-canary-Zq9-value-0451"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* What must never appear in a log. */
typedef struct needles {
  const char *name[8];
  char value[8][4200];
  size_t count;
} needles;

static void add_needle(needles *n, const char *name, const char *value) {
  if (!value || strlen(value) < 8 || n->count == 8)
    return;
  n->name[n->count] = name;
  snprintf(n->value[n->count], sizeof(n->value[0]), "%s", value);
  n->count++;
}

/* Drops the mock's start-up lines that hand out the credentials on purpose
 * ("export NAME=value" and "NAME=value"). */
static void drop_export_lines(char *text) {
  char *out = text;
  for (char *line = text; *line;) {
    char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
    bool var = strncmp(line, "export ", 7) == 0;
    if (!var) {
      size_t i = 0;
      while (i < len && ((line[i] >= 'A' && line[i] <= 'Z') || line[i] == '_'))
        i++;
      var = i > 0 && i < len && line[i] == '=';
    }
    if (!var) {
      memmove(out, line, len);
      out += len;
    }
    line += len;
  }
  *out = '\0';
}

static int checked;

static void assert_clean(const char *what, const char *text, const needles *n) {
  assert_non_null(text);
  for (size_t i = 0; i < n->count; i++) {
    const char *hit = strstr(text, n->value[i]);
    if (hit)
      fail_msg("%s contains the %s: ...%.80s...", what, n->name[i],
               hit > text + 40 ? hit - 40 : text);
  }
  checked++;
}

/* The header of a token the mock issues: the same for every token it
 * signs (alg, kid), so it finds any token in a log. */
static void token_header(const it_mock *m, char *out, size_t size) {
  char *tok = it_token_appservice(m, NULL);
  if (!tok)
    tok = it_token_legacy(m, NULL);
  if (!tok)
    tok = it_token_imds(m, NULL);
  assert_non_null(tok);
  char *dot = strchr(tok, '.');
  assert_non_null(dot);
  snprintf(out, size, "%.*s", (int)(dot - tok), tok);
  free(tok);
}

static void run_cli(const it_mock *m, const char *const *args, const needles *n,
                    bool stdout_clean, bool may_fail, const char *stdout_has) {
  const char *extra[] = {NULL};
  char **env = it_mock_env(m, extra);
  assert_non_null(env);
  it_proc p;
  assert_int_equal(
      it_run("cli/msikv", args, (const char *const *)env, 30000, &p), 0);
  it_env_free(env);
  if (p.exit_code != 0 && !may_fail)
    fail_msg("msikv %s %s: exit %d: %s", args[0], args[1] ? args[1] : "",
             p.exit_code, p.err);
  char what[128];
  snprintf(what, sizeof(what), "msikv %s %s stderr", args[0],
           args[1] ? args[1] : "");
  assert_clean(what, p.err, n);
  if (stdout_clean)
    assert_clean("msikv stdout", p.out, n);
  /* The control: the search does find what is there on purpose. */
  if (stdout_has && !strstr(p.out, stdout_has))
    fail_msg("msikv %s: expected %s on stdout", args[0], stdout_has);
  it_proc_free(&p);
}

static void check_no_core(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  char line[256];
  bool seen = false;
  while (fgets(line, sizeof(line), fp)) {
    if (strncmp(line, "Max core file size", 18) == 0) {
      seen = true;
      unsigned long soft = 1, hard = 1;
      assert_int_equal(sscanf(line + 18, "%lu %lu", &soft, &hard), 2);
      assert_int_equal(soft, 0);
      assert_int_equal(hard, 0);
    }
  }
  fclose(fp);
  assert_true(seen);
  /* Not dumpable: /proc/PID/{mem,environ} belong to root, not the user. */
  if (getuid() != 0) {
    snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
    assert_null(fopen(path, "r"));
  }
}

static void flow(const char *profile) {
  const char *args[] = {"--profile", profile, NULL};
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), 0);
  assert_int_equal(it_kv_set_secret(&m, "secret", VALUE), 200);

  needles n = {0};
  char header[4096];
  token_header(&m, header, sizeof(header));
  add_needle(&n, "secret value", VALUE);
  add_needle(&n, "token", header);
  add_needle(&n, "IDENTITY_HEADER", m.identity_header);
  add_needle(&n, "MSI_SECRET", m.msi_secret);
  add_needle(&n, "client secret", it_mock_var(&m, "AZURE_CLIENT_SECRET"));
  add_needle(&n, "client secret", "msikv-mock-sp-secret");

  /* The web app: pages, a vault failure served stale, a token refresh. */
  const char *extra[] = {"SECRET_CACHE_TTL=1", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  check_no_core(w.pid);
  it_http r;
  it_webapp_get(&w, "/", "text/html", &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, VALUE)); /* On purpose: not searched. */
  it_http_free(&r);
  it_webapp_get(&w, "/", "application/json", &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  assert_true(it_admin_fault(&m, "{\"route\":\"kv\",\"kind\":\"status\","
                                 "\"status\":503,\"count\":20}") >= 0);
  sleep_ms(1200);
  it_webapp_get(&w, "/", "text/html", &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  assert_int_equal(it_admin(&m, "DELETE", "/admin/faults", NULL, NULL), 204);
  assert_int_equal(it_admin_shift_clock(&m, 7200), 200);
  sleep_ms(1200);
  it_webapp_get(&w, "/", "text/html", &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  const char *paths[] = {"/metrics", "/healthz", "/ping", "/nope"};
  for (size_t i = 0; i < 4; i++) {
    it_webapp_get(&w, paths[i], NULL, &r);
    assert_clean(paths[i], r.body, &n);
    it_http_free(&r);
  }
  assert_int_equal(it_webapp_stop(&w), 0);
  char *log = it_webapp_log(&w);
  assert_non_null(strstr(log, "access 127.0.0.1"));
  assert_clean("web app log", log, &n);
  free(log);

  /* The CLI at -v: its output carries the secret or token on purpose. */
  const char *get[] = {"secret", "get", "secret", "-v", NULL};
  run_cli(&m, get, &n, false, false, VALUE);
  const char *tok[] = {"token", "-v", NULL};
  run_cli(&m, tok, &n, false, false, header);
  const char *list[] = {"secret", "list", "-v", NULL};
  /* The managed identity may not list (403): its error path counts too. */
  run_cli(&m, list, &n, true, true, NULL);
  const char *missing[] = {"secret", "get", "no-such-secret", "-v", NULL};
  run_cli(&m, missing, &n, true, true, NULL);

  /* The mock's request log (admin API) and its own log. */
  cJSON *reqs = it_admin_requests(&m, 0);
  assert_non_null(reqs);
  char *text = cJSON_PrintUnformatted(reqs);
  assert_true(strlen(text) > 100);
  assert_clean("mock request log", text, &n);
  free(text);
  cJSON_Delete(reqs);
  it_mock_stop(&m);
  FILE *fp = fopen(m.log_file, "r");
  assert_non_null(fp);
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *mlog = calloc(1, (size_t)len + 1);
  assert_int_equal(fread(mlog, 1, (size_t)len, fp), (size_t)len);
  fclose(fp);
  drop_export_lines(mlog);
  assert_clean("mock log", mlog, &n);
  free(mlog);
}

static void test_appService_debugLogs_noSecret(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  flow("appservice");
}

static void test_legacy_debugLogs_noSecret(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  flow("legacy");
}

static void test_clientSecret_debugLogs_noSecret(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  flow("sp");
  assert_true(checked > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_appService_debugLogs_noSecret),
      cmocka_unit_test(test_legacy_debugLogs_noSecret),
      cmocka_unit_test(test_clientSecret_debugLogs_noSecret),
  };
  return cmocka_run_group_tests_name("hygiene", tests, NULL, NULL);
}
