/* SPDX-License-Identifier: MIT */
/* The Azure CLI credential against a fake `az` put first on PATH: the exact
 * argv (no shell), parsing of expires_on / expiresOn, caching, and the
 * errors (not installed, not logged in, other failures, timeout, bad
 * output, bad scope or tenant). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "fake_clock.h"
#include "identity_internal.h"
#include "msikv/identity.h"
#include "oom.h"

#define T0_MS 1700000000000LL
#define T0 (T0_MS / 1000)
#define SCOPE "https://vault.azure.net/.default"

typedef struct fixture {
  fake_clock fc;
  msikv_identity_options opts;
  msikv_credential *cred;
  char dir[512];
  char args_file[600];
  char count_file[600];
  char *old_path;
} fixture;

static int setup(void **state) {
  static int counter;
  fixture *fx = test_calloc(1, sizeof(*fx));
  fake_clock_init(&fx->fc, T0_MS);
  fx->opts = msikv_identity_options_default();
  fx->opts.clock = &fx->fc.clock;
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(fx->dir, sizeof(fx->dir), "%s/az-%d", tmp ? tmp : "/tmp", ++counter);
  mkdir(fx->dir, 0700);
  snprintf(fx->args_file, sizeof(fx->args_file), "%s/args", fx->dir);
  snprintf(fx->count_file, sizeof(fx->count_file), "%s/count", fx->dir);
  const char *path = getenv("PATH");
  fx->old_path = strdup(path ? path : "/usr/bin:/bin");
  char new_path[1200];
  snprintf(new_path, sizeof(new_path), "%s:/usr/bin:/bin", fx->dir);
  setenv("PATH", new_path, 1);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  msikv_cred_free(fx->cred);
  setenv("PATH", fx->old_path, 1);
  free(fx->old_path);
  fake_clock_free(&fx->fc);
  test_free(fx);
  return 0;
}

/* Writes the fake az: records its argv (one per line) and each run, then
 * runs @p body. */
static void fake_az(fixture *fx, const char *body) {
  char path[700];
  snprintf(path, sizeof(path), "%s/az", fx->dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f,
          "#!/bin/sh\n"
          "for a in \"$@\"; do printf '%%s\\n' \"$a\"; done > '%s'\n"
          "echo run >> '%s'\n"
          "%s\n",
          fx->args_file, fx->count_file, body);
  fclose(f);
  chmod(path, 0755);
}

static void fake_az_ok(fixture *fx, long long expires_on) {
  char body[512];
  snprintf(body, sizeof(body),
           "cat <<'EOF'\n{\n  \"accessToken\": \"cli-token\",\n"
           "  \"expiresOn\": \"2023-11-14 23:13:20.000000\",\n"
           "  \"expires_on\": %lld,\n  \"subscription\": \"sub\",\n"
           "  \"tenant\": \"tenant-1\",\n  \"tokenType\": \"Bearer\"\n}\nEOF",
           expires_on);
  fake_az(fx, body);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static int runs(fixture *fx) {
  const char *s = slurp(fx->count_file);
  int n = 0;
  for (; s && (s = strstr(s, "run")); s += 3)
    n++;
  return n;
}

static void create(fixture *fx, const msikv_azure_cli_options *o) {
  msikv_error err;
  if (msikv_cred_azure_cli_new(&fx->opts, o, &fx->cred, &err))
    fail_msg("create: %s", err.message);
}

static msikv_result get(fixture *fx, const char *scope, const char *tenant,
                        msikv_token *tok, msikv_error *err) {
  return msikv_cred_get_token(fx->cred, scope, tenant, tok, err);
}

static void test_cli_get_token_exact_argv_and_expires_on(void **state) {
  fixture *fx = *state;
  fake_az_ok(fx, T0 + 3600);
  create(fx, NULL);
  assert_string_equal(msikv_cred_name(fx->cred), "AzureCliCredential");
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, SCOPE, NULL, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "cli-token");
  assert_int_equal(tok.expires_on_s, T0 + 3600);
  msikv_token_clear(&tok);
  assert_string_equal(slurp(fx->args_file),
                      "account\nget-access-token\n--scope\n" SCOPE
                      "\n--output\njson\n");
  /* Cached: az runs once. */
  assert_int_equal(get(fx, SCOPE, NULL, &tok, &err), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(runs(fx), 1);
}

static void test_cli_tenant_passed_as_argument(void **state) {
  fixture *fx = *state;
  fake_az_ok(fx, T0 + 3600);
  msikv_azure_cli_options o = {"tenant-1.example.com", 0, NULL};
  create(fx, &o);
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(get(fx, SCOPE, "other-tenant", &tok, NULL), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_string_equal(slurp(fx->args_file),
                      "account\nget-access-token\n--scope\n" SCOPE
                      "\n--output\njson\n--tenant\ntenant-1.example.com\n");
  msikv_cred_free(fx->cred);
  fx->cred = NULL;
  create(fx, NULL); /* No tenant option: the challenge's tenant. */
  assert_int_equal(get(fx, SCOPE, "challenge-tenant", &tok, NULL), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_non_null(strstr(slurp(fx->args_file), "--tenant\nchallenge-tenant\n"));
}

static void test_cli_expires_on_local_time_when_no_epoch(void **state) {
  fixture *fx = *state;
  fake_az(fx, "echo '{\"accessToken\":\"t\",\"expiresOn\":"
              "\"2023-11-15 00:13:20.123456\"}'");
  create(fx, NULL);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  if (get(fx, SCOPE, NULL, &tok, &err))
    fail_msg("%s", err.message);
  struct tm tm = {0};
  tm.tm_year = 123;
  tm.tm_mon = 10;
  tm.tm_mday = 15;
  tm.tm_hour = 0;
  tm.tm_min = 13;
  tm.tm_sec = 20;
  tm.tm_isdst = -1;
  assert_int_equal(tok.expires_on_s, (int64_t)mktime(&tm));
  msikv_token_clear(&tok);
}

static void test_cli_parse_token_table(void **state) {
  (void)state;
  struct {
    const char *json;
    msikv_result rc;
    int64_t expires;
    const char *msg;
  } cases[] = {
      {"{\"accessToken\":\"a\",\"expires_on\":\"1700003600\"}", MSIKV_OK,
       T0 + 3600, NULL},
      {"{\"accessToken\":\"a\",\"expires_on\":1700003600,\"expiresOn\":"
       "\"garbage\"}",
       MSIKV_OK, T0 + 3600, NULL},
      {"{\"expires_on\":1700003600}", MSIKV_ERR_PARSE, 0, "no accessToken"},
      {"{\"accessToken\":\"a\"}", MSIKV_ERR_PARSE, 0, "neither"},
      {"{\"accessToken\":\"a\",\"expiresOn\":\"tomorrow\"}", MSIKV_ERR_PARSE, 0,
       "expiresOn is not a valid time"},
      {"{\"accessToken\":\"a\",\"expires_on\":1699999000}", MSIKV_ERR_PARSE, 0,
       "expired"},
      {"{\"accessToken\":\"a\",\"expires_on\":1800000000}", MSIKV_ERR_PARSE, 0,
       "48 h"},
      {"WARNING: something\n", MSIKV_ERR_PARSE, 0, "not a JSON object"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    msikv_token tok = {NULL, 0, 0};
    msikv_error err;
    msikv_error_clear(&err);
    assert_int_equal(msikv__cli_parse_token(
                         cases[i].json, strlen(cases[i].json), T0, &tok, &err),
                     cases[i].rc);
    if (cases[i].rc == MSIKV_OK) {
      assert_int_equal(tok.expires_on_s, cases[i].expires);
      assert_string_equal(tok.token, "a");
    } else {
      assert_non_null(strstr(err.message, cases[i].msg));
      assert_null(tok.token);
    }
    msikv_token_clear(&tok);
  }
}

static void test_cli_not_installed_unavailable(void **state) {
  fixture *fx = *state;
  setenv("PATH", fx->dir, 1); /* No az there. */
  create(fx, NULL);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, SCOPE, NULL, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "AzureCliCredential: "));
  assert_non_null(strstr(err.message, "not installed"));
  assert_non_null(strstr(err.message, "https://aka.ms/azure-cli"));
}

static void test_cli_not_logged_in_unavailable_with_hint(void **state) {
  fixture *fx = *state;
  fake_az(fx, "echo \"ERROR: Please run 'az login' to setup account.\" >&2\n"
              "exit 1");
  create(fx, NULL);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, SCOPE, NULL, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "not logged in: run `az login`"));
  assert_non_null(strstr(err.message, "Please run 'az login'"));
}

static void test_cli_other_failure_auth_first_error_line(void **state) {
  fixture *fx = *state;
  fake_az(fx, "echo 'WARNING: noise' >&2\n"
              "echo 'ERROR: AADSTS70043: The refresh token has expired' >&2\n"
              "exit 2");
  create(fx, NULL);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, SCOPE, NULL, &tok, &err), MSIKV_ERR_AUTH);
  assert_non_null(strstr(err.message, "az exited with status 2: ERROR: "
                                      "AADSTS70043: The refresh token has "
                                      "expired"));
}

static void test_cli_timeout_kills_az_unavailable(void **state) {
  fixture *fx = *state;
  fake_az(fx, "exec sleep 20");
  msikv_azure_cli_options o = {NULL, 300, NULL};
  create(fx, &o);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, SCOPE, NULL, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double s =
      (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  assert_true(s < 5.0);
  assert_non_null(strstr(err.message, "did not answer within 300 ms"));
}

static void test_cli_bad_output_parse_error(void **state) {
  fixture *fx = *state;
  fake_az(fx, "echo 'this is not json'");
  create(fx, NULL);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, SCOPE, NULL, &tok, &err), MSIKV_ERR_PARSE);
  assert_non_null(strstr(err.message, "not a JSON object"));
}

static void test_cli_bad_scope_or_tenant_rejected_before_running(void **state) {
  fixture *fx = *state;
  fake_az_ok(fx, T0 + 3600);
  create(fx, NULL);
  const char *scopes[] = {"https://vault.azure.net/.default; rm -rf ~", "a b",
                          "$(id)", "https://x/.default\n--tenant", "'quoted'"};
  for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
    msikv_token tok = {NULL, 0, 0};
    msikv_error err;
    assert_int_equal(get(fx, scopes[i], NULL, &tok, &err), MSIKV_ERR_ARG);
    assert_non_null(strstr(err.message, "scope"));
  }
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(get(fx, SCOPE, "t;x", &tok, NULL), MSIKV_ERR_ARG);
  assert_int_equal(get(fx, SCOPE, "--help", &tok, NULL), MSIKV_ERR_ARG);
  assert_int_equal(get(fx, "--help", NULL, &tok, NULL), MSIKV_ERR_ARG);
  assert_int_equal(runs(fx), 0);
  msikv_azure_cli_options o = {"bad tenant", 0, NULL};
  msikv_credential *c = NULL;
  assert_int_equal(msikv_cred_azure_cli_new(&fx->opts, &o, &c, NULL),
                   MSIKV_ERR_ARG);
  assert_true(msikv__cli_scope_is_valid("api://app-id/.default"));
  assert_false(msikv__cli_scope_is_valid(""));
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_cli_get_token_exact_argv_and_expires_on),
      T(test_cli_tenant_passed_as_argument),
      T(test_cli_expires_on_local_time_when_no_epoch),
      T(test_cli_parse_token_table),
      T(test_cli_not_installed_unavailable),
      T(test_cli_not_logged_in_unavailable_with_hint),
      T(test_cli_other_failure_auth_first_error_line),
      T(test_cli_timeout_kills_az_unavailable),
      T(test_cli_bad_output_parse_error),
      T(test_cli_bad_scope_or_tenant_rejected_before_running),
  };
  return cmocka_run_group_tests_name("cred_azure_cli", tests, NULL, NULL);
}
