/* SPDX-License-Identifier: MIT */
/* Every CLI command end to end through the fake transport and a fake
 * credential: requests, output formats and exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fake_clock.h"
#include "fake_transport.h"

#define VAULT "https://myvault.vault.azure.net"
#define CHALLENGE                                                              \
  "WWW-Authenticate: Bearer "                                                  \
  "authorization=\"https://login.microsoftonline.com/tenant-1\", "             \
  "resource=\"https://vault.azure.net\"\n"
#define BUNDLE                                                                 \
  "{\"value\":\"s3cret\",\"contentType\":\"text/plain\","                      \
  "\"id\":\"https://myvault.vault.azure.net/secrets/db-pass/v1\","             \
  "\"attributes\":{\"enabled\":true,\"created\":1700000000,"                   \
  "\"updated\":1700000000,\"recoveryLevel\":\"Recoverable+Purgeable\","        \
  "\"recoverableDays\":90},\"tags\":{\"env\":\"prod\"}}"
#define PROPS                                                                  \
  "{\"id\":\"https://myvault.vault.azure.net/secrets/db-pass/v1\","            \
  "\"attributes\":{\"enabled\":true}}"
#define DELETED                                                                \
  "{\"recoveryId\":\"https://myvault.vault.azure.net/deletedsecrets/"          \
  "db-pass\",\"deletedDate\":1700000100,\"scheduledPurgeDate\":1707776100,"    \
  "\"id\":\"https://myvault.vault.azure.net/secrets/db-pass/v1\","             \
  "\"attributes\":{\"enabled\":true}}"

typedef struct cli_t {
  fake_transport ft;
  fake_clock clock;
  msikv_credential *cred;
  int cred_calls;
  msikv_result cred_fail;
  const char *vault_env;
  const char *stdin_text;
  char *out;
  char *err;
  char log[8192];
} cli_t;

static msikv_result fake_token(void *ctx, const char *scope,
                               const char *tenant_id, msikv_token *out_token,
                               msikv_error *out_err) {
  (void)scope;
  (void)tenant_id;
  cli_t *t = ctx;
  t->cred_calls++;
  if (t->cred_fail)
    return msikv_error_set(out_err, t->cred_fail,
                           "ClientSecretCredential: AADSTS7000215 invalid "
                           "client secret");
  out_token->token = msikv_strdup("tok-SENSITIVE");
  out_token->expires_on_s = 1700003600;
  return out_token->token ? MSIKV_OK : MSIKV_ERR_NOMEM;
}

static const msikv_credential_ops fake_ops = {"FakeCredential", fake_token,
                                              NULL, NULL};

static const char *fake_getenv(void *ctx, const char *name) {
  cli_t *t = ctx;
  if (strcmp(name, "KEY_VAULT_URL") == 0)
    return t->vault_env;
  return NULL;
}

static void capture_log(msikv_log_level level, const char *line, void *ctx) {
  (void)level;
  cli_t *t = ctx;
  size_t used = strlen(t->log);
  snprintf(t->log + used, sizeof(t->log) - used, "%s\n", line);
}

static int setup(void **state) {
  cli_t *t = calloc(1, sizeof(*t));
  fake_transport_init(&t->ft);
  fake_clock_init(&t->clock, 1700000000000LL);
  assert_int_equal(msikv_cred_new_custom(&fake_ops, t, &t->cred), MSIKV_OK);
  t->vault_env = VAULT;
  *state = t;
  return 0;
}

static int teardown(void **state) {
  cli_t *t = *state;
  msikv_cred_free(t->cred);
  fake_transport_free(&t->ft);
  fake_clock_free(&t->clock);
  free(t->out);
  free(t->err);
  free(t);
  return 0;
}

/* Runs a space-separated command line. */
static int run(cli_t *t, const char *line) {
  static char copy[2048];
  snprintf(copy, sizeof(copy), "%s", line);
  char *argv[32];
  int argc = 0;
  argv[argc++] = "msikv";
  for (char *p = copy; *p;) {
    while (*p == ' ')
      *p++ = '\0';
    if (!*p)
      break;
    argv[argc++] = p;
    while (*p && *p != ' ')
      p++;
  }
  free(t->out);
  free(t->err);
  t->out = t->err = NULL;
  size_t olen = 0, elen = 0;
  FILE *out = open_memstream(&t->out, &olen);
  FILE *err = open_memstream(&t->err, &elen);
  /* stdin: fmemopen needs at least one byte, so an empty input is a
   * one-byte buffer already read. */
  const char *in_text = t->stdin_text ? t->stdin_text : "";
  size_t in_len = strlen(in_text);
  char *in_copy = strdup(in_len ? in_text : "x");
  FILE *in = fmemopen(in_copy, in_len ? in_len : 1, "r");
  if (!in_len)
    (void)fgetc(in);
  msikv_retry_policy retry = msikv_retry_policy_default();
  cli_env env = {0};
  env.out = out;
  env.err = err;
  env.in = in;
  env.getenv_fn = fake_getenv;
  env.getenv_ctx = t;
  env.transport = &t->ft.transport;
  env.credential = t->cred;
  env.clock = &t->clock.clock;
  env.retry = &retry;
  t->log[0] = '\0';
  msikv_log_set_handler(capture_log, t, MSIKV_LOG_WARN);
  int code = cli_run(argc, argv, &env);
  msikv_log_set_handler(NULL, NULL, MSIKV_LOG_WARN);
  fclose(out);
  fclose(err);
  fclose(in);
  free(in_copy);
  return code;
}

static void push_challenge(cli_t *t) {
  fake_transport_push(&t->ft, 401, CHALLENGE,
                      "{\"error\":{\"code\":\"Unauthorized\",\"message\":"
                      "\"AKV10000: Request is missing a Bearer or PoP "
                      "token.\"}}");
}

static const fake_record *req(cli_t *t, size_t i) {
  return fake_transport_request(&t->ft, i);
}

static void test_cli_get_prints_value_alone(void **state) {
  cli_t *t = *state;
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, BUNDLE);
  assert_int_equal(run(t, "secret get db-pass"), 0);
  assert_string_equal(t->out, "s3cret\n");
  assert_string_equal(t->err, "");
  assert_string_equal(req(t, 1)->url,
                      VAULT "/secrets/db-pass/?api-version=2025-07-01");
  assert_string_equal(fake_record_header(req(t, 1), "Authorization"),
                      "Bearer tok-SENSITIVE");
}

static void test_cli_get_json_has_value_and_attributes(void **state) {
  cli_t *t = *state;
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, BUNDLE);
  assert_int_equal(run(t, "secret get db-pass --version v1 -o json --vault "
                          "https://myvault.vault.azure.net:443/"),
                   0);
  cJSON *j = cJSON_Parse(t->out);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "value")->valuestring, "s3cret");
  assert_string_equal(cJSON_GetObjectItem(j, "name")->valuestring, "db-pass");
  assert_string_equal(cJSON_GetObjectItem(j, "version")->valuestring, "v1");
  cJSON *attrs = cJSON_GetObjectItem(j, "attributes");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(attrs, "enabled")));
  assert_int_equal(cJSON_GetObjectItem(attrs, "created")->valuedouble,
                   1700000000);
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(j, "tags"), "env")->valuestring,
      "prod");
  cJSON_Delete(j);
  assert_string_equal(req(t, 1)->url,
                      VAULT "/secrets/db-pass/v1?api-version=2025-07-01");
}

static void test_cli_get_errors_map_to_exit_codes(void **state) {
  cli_t *t = *state;
  push_challenge(t);
  fake_transport_push(&t->ft, 404, NULL,
                      "{\"error\":{\"code\":\"SecretNotFound\",\"message\":"
                      "\"A secret with (name/id) nope was not found in this "
                      "key vault.\"}}");
  assert_int_equal(run(t, "secret get nope"), CLI_EXIT_NOT_FOUND);
  assert_string_equal(t->out, "");
  assert_non_null(strstr(t->err, "msikv: error: "));
  assert_non_null(strstr(t->err, "SecretNotFound"));

  push_challenge(t);
  fake_transport_push(
      &t->ft, 403, NULL,
      "{\"error\":{\"code\":\"Forbidden\",\"message\":\"The user, group or "
      "application 'appid=aaaa;oid=bbbb' does not have secrets get "
      "permission\",\"innererror\":{\"code\":\"AccessDenied\"}}}");
  assert_int_equal(run(t, "secret get x"), CLI_EXIT_AUTH);
  assert_non_null(strstr(t->err, "appid=aaaa;oid=bbbb"));

  push_challenge(t);
  fake_transport_push(&t->ft, 409, NULL,
                      "{\"error\":{\"code\":\"Conflict\",\"message\":\"c\"}}");
  t->stdin_text = "v";
  assert_int_equal(run(t, "secret set x"), CLI_EXIT_SERVICE);

  push_challenge(t);
  fake_transport_push(&t->ft, 403, NULL,
                      "{\"error\":{\"code\":\"Forbidden\",\"message\":"
                      "\"Operation get is not allowed on a disabled secret.\","
                      "\"innererror\":{\"code\":\"SecretDisabled\"}}}");
  assert_int_equal(run(t, "secret get x"), CLI_EXIT_SERVICE);
  assert_non_null(strstr(t->err, "disabled secret. The secret is disabled"));

  t->cred_fail = MSIKV_ERR_HTTP;
  push_challenge(t);
  assert_int_equal(run(t, "secret get x"), CLI_EXIT_AUTH);
  assert_non_null(strstr(t->err, "AADSTS7000215"));
  assert_null(strstr(t->err, "tok-"));
}

static void test_cli_vault_required_and_https_only(void **state) {
  cli_t *t = *state;
  t->vault_env = NULL;
  assert_int_equal(run(t, "secret get x"), CLI_EXIT_USAGE);
  assert_non_null(strstr(t->err, "KEY_VAULT_URL"));
  t->vault_env = "http://myvault.vault.azure.net";
  assert_int_equal(run(t, "secret get x"), CLI_EXIT_USAGE);
  assert_non_null(strstr(t->err, "https"));
  assert_int_equal(run(t, "secret get bad_name --vault " VAULT),
                   CLI_EXIT_USAGE);
  assert_int_equal(fake_transport_count(&t->ft), 0);
  assert_int_equal(t->cred_calls, 0);
}

static void test_cli_set_reads_stdin_and_never_prints_value(void **state) {
  cli_t *t = *state;
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, BUNDLE);
  t->stdin_text = "pa\"ss\n";
  assert_int_equal(run(t, "secret set db-pass --content-type text/plain "
                          "--tags env=prod --enabled true --expires "
                          "2026-12-31"),
                   0);
  assert_int_equal(req(t, 0)->body_len, 0);
  assert_string_equal(req(t, 1)->body,
                      "{\"value\":\"pa\\\"ss\",\"contentType\":\"text/plain\","
                      "\"attributes\":{\"enabled\":true,\"exp\":1798675200},"
                      "\"tags\":{\"env\":\"prod\"}}");
  assert_non_null(strstr(t->out, "name: db-pass\n"));
  assert_non_null(strstr(t->out, "version: v1\n"));
  assert_non_null(strstr(t->out, "tags: env=prod\n"));
  assert_null(strstr(t->out, "s3cret"));
}

static void test_cli_set_from_file_keeps_bytes(void **state) {
  cli_t *t = *state;
  const char *tmp = getenv("TEST_TMPDIR");
  char full[512];
  snprintf(full, sizeof(full), "%s/value.pem", tmp ? tmp : "/tmp");
  FILE *f = fopen(full, "w");
  fputs("-----BEGIN-----\nabc\n", f);
  fclose(f);
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, BUNDLE);
  char line[700];
  snprintf(line, sizeof(line), "secret set db-pass --file %s -o json", full);
  assert_int_equal(run(t, line), 0);
  assert_string_equal(req(t, 1)->body,
                      "{\"value\":\"-----BEGIN-----\\nabc\\n\"}");
  cJSON *j = cJSON_Parse(t->out);
  assert_non_null(j);
  assert_null(cJSON_GetObjectItem(j, "value"));
  cJSON_Delete(j);
  remove(full);
  snprintf(line, sizeof(line), "secret set db-pass --file %s/missing", tmp);
  assert_int_equal(run(t, line), CLI_EXIT_USAGE);
  assert_non_null(strstr(t->err, "cannot open"));
}

static void test_cli_set_too_large_refused_locally(void **state) {
  cli_t *t = *state;
  char *big = malloc(30000);
  memset(big, 'x', 29999);
  big[29999] = '\0';
  t->stdin_text = big;
  assert_int_equal(run(t, "secret set n"), CLI_EXIT_USAGE);
  assert_non_null(strstr(t->err, "25600"));
  assert_int_equal(fake_transport_count(&t->ft), 0);
  free(big);
  t->stdin_text = NULL;
}

static void test_cli_set_empty_value_refused(void **state) {
  cli_t *t = *state;
  t->stdin_text = "\n";
  assert_int_equal(run(t, "secret set n"), CLI_EXIT_USAGE);
  assert_non_null(strstr(t->err, "empty"));
  assert_int_equal(fake_transport_count(&t->ft), 0);
}

static void test_cli_update_sends_patch(void **state) {
  cli_t *t = *state;
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, PROPS);
  assert_int_equal(run(t, "secret update db-pass --version v1 --enabled false "
                          "--clear-tags"),
                   0);
  assert_string_equal(req(t, 1)->method, "PATCH");
  assert_string_equal(req(t, 1)->url,
                      VAULT "/secrets/db-pass/v1?api-version=2025-07-01");
  assert_string_equal(req(t, 1)->body,
                      "{\"attributes\":{\"enabled\":false},\"tags\":{}}");
}

static void test_cli_list_pages_text_and_json(void **state) {
  cli_t *t = *state;
  push_challenge(t);
  fake_transport_push(
      &t->ft, 200, NULL,
      "{\"value\":[{\"id\":\"" VAULT "/secrets/a\",\"attributes\":{}}],"
      "\"nextLink\":\"" VAULT ":443/secrets?api-version=2025-07-01&"
      "$skiptoken=x\"}");
  fake_transport_push(
      &t->ft, 200, NULL,
      "{\"value\":[{\"id\":\"" VAULT "/secrets/b\",\"attributes\":{}},"
      "{\"id\":\"" VAULT "/secrets/c\",\"attributes\":{}}],\"nextLink\":null}");
  assert_int_equal(run(t, "secret list"), 0);
  assert_string_equal(t->out, "a\nb\nc\n");

  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL,
                      "{\"value\":[{\"id\":\"" VAULT
                      "/secrets/n/v1\",\"attributes\":{}},"
                      "{\"id\":\"" VAULT "/secrets/n/v2\",\"attributes\":{}}],"
                      "\"nextLink\":null}");
  assert_int_equal(run(t, "secret versions n -o json"), 0);
  cJSON *j = cJSON_Parse(t->out);
  assert_non_null(j);
  assert_int_equal(cJSON_GetArraySize(j), 2);
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "version")->valuestring,
      "v2");
  cJSON_Delete(j);

  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, "{\"value\":[],\"nextLink\":null}");
  assert_int_equal(run(t, "secret list-deleted -o json"), 0);
  assert_string_equal(t->out, "[]\n");
  assert_non_null(strstr(req(t, fake_transport_count(&t->ft) - 1)->url,
                         "/deletedsecrets?api-version="));
}

static void test_cli_delete_show_recover_purge(void **state) {
  cli_t *t = *state;
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, DELETED);
  fake_transport_push(&t->ft, 404, NULL, "{}");
  fake_transport_push(&t->ft, 200, NULL, DELETED);
  assert_int_equal(run(t, "secret delete db-pass"), 0);
  assert_non_null(strstr(t->out, "scheduled_purge_date: 2024-02-12T"));
  assert_non_null(strstr(t->out, "recovery_id: " VAULT));

  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, DELETED);
  assert_int_equal(run(t, "secret show-deleted db-pass -o json"), 0);
  cJSON *j = cJSON_Parse(t->out);
  assert_int_equal(cJSON_GetObjectItem(j, "deletedDate")->valuedouble,
                   1700000100);
  cJSON_Delete(j);

  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, PROPS);
  fake_transport_push(&t->ft, 200, NULL, BUNDLE);
  assert_int_equal(run(t, "secret recover db-pass"), 0);
  assert_non_null(strstr(t->out, "name: db-pass"));
  assert_null(strstr(t->out, "s3cret"));

  push_challenge(t);
  fake_transport_push(&t->ft, 204, NULL, NULL);
  assert_int_equal(run(t, "secret purge db-pass"), 0);
  assert_string_equal(t->out, "Purged secret 'db-pass'.\n");
  const fake_record *r = req(t, fake_transport_count(&t->ft) - 1);
  assert_string_equal(r->method, "DELETE");
  assert_string_equal(r->url,
                      VAULT "/deletedsecrets/db-pass?api-version=2025-07-01");
}

static void test_cli_backup_and_restore(void **state) {
  cli_t *t = *state;
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, "{\"value\":\"QkxPQg\"}");
  assert_int_equal(run(t, "secret backup db-pass"), 0);
  assert_string_equal(t->out, "QkxPQg\n");

  const char *tmp = getenv("TEST_TMPDIR");
  char path[512], line[700];
  snprintf(path, sizeof(path), "%s/backup.blob", tmp ? tmp : "/tmp");
  remove(path);
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, "{\"value\":\"QkxPQg\"}");
  snprintf(line, sizeof(line), "secret backup db-pass --file %s", path);
  assert_int_equal(run(t, line), 0);
  assert_string_equal(t->out, "");
  FILE *f = fopen(path, "r");
  char buf[64] = {0};
  assert_non_null(fgets(buf, sizeof(buf), f));
  fclose(f);
  assert_string_equal(buf, "QkxPQg");

  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, PROPS);
  snprintf(line, sizeof(line), "secret restore --file %s", path);
  assert_int_equal(run(t, line), 0);
  const fake_record *r = req(t, fake_transport_count(&t->ft) - 1);
  assert_string_equal(r->url, VAULT "/secrets/restore?api-version=2025-07-01");
  assert_string_equal(r->body, "{\"value\":\"QkxPQg\"}");
  assert_non_null(strstr(t->out, "name: db-pass"));
  /* An existing file is never overwritten. */
  snprintf(line, sizeof(line), "secret backup db-pass --file %s", path);
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, "{\"value\":\"QkxPQg\"}");
  assert_int_equal(run(t, line), CLI_EXIT_USAGE);
  remove(path);
}

static void test_cli_token_text_and_json(void **state) {
  cli_t *t = *state;
  assert_int_equal(run(t, "token"), 0);
  assert_string_equal(t->out, "tok-SENSITIVE\n");
  assert_int_equal(run(t, "token --scope https://management.azure.com/.default "
                          "-o json"),
                   0);
  cJSON *j = cJSON_Parse(t->out);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "token")->valuestring,
                      "tok-SENSITIVE");
  assert_int_equal(cJSON_GetObjectItem(j, "expires_on")->valuedouble,
                   1700003600);
  assert_string_equal(cJSON_GetObjectItem(j, "credential")->valuestring,
                      "FakeCredential");
  assert_string_equal(cJSON_GetObjectItem(j, "scope")->valuestring,
                      "https://management.azure.com/.default");
  cJSON_Delete(j);
  assert_int_equal(fake_transport_count(&t->ft), 0);
  t->cred_fail = MSIKV_ERR_UNAVAILABLE;
  assert_int_equal(run(t, "token"), CLI_EXIT_AUTH);
  assert_string_equal(t->out, "");
}

static void test_cli_verbose_logs_requests_without_secrets(void **state) {
  cli_t *t = *state;
  push_challenge(t);
  fake_transport_push(&t->ft, 200, NULL, BUNDLE);
  assert_int_equal(run(t, "secret get db-pass -v"), 0);
  assert_non_null(strstr(t->log, "GET " VAULT "/secrets/db-pass/"));
  assert_non_null(strstr(t->log, "-> 401"));
  assert_non_null(strstr(t->log, "-> 200"));
  assert_null(strstr(t->log, "tok-SENSITIVE"));
  assert_null(strstr(t->log, "s3cret"));
  assert_int_equal(msikv_log_get_level(), MSIKV_LOG_WARN);
}

static void test_cli_help_exits_zero(void **state) {
  cli_t *t = *state;
  assert_int_equal(run(t, "secret backup --help"), 0);
  assert_non_null(strstr(t->out, "Usage: msikv secret backup NAME"));
  assert_int_equal(run(t, "--version"), 0);
  assert_non_null(strstr(t->out, "msikv "));
  assert_int_equal(run(t, "secret"), CLI_EXIT_USAGE);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  if (msikv_global_init())
    return 1;
  const struct CMUnitTest tests[] = {
      T(test_cli_get_prints_value_alone),
      T(test_cli_get_json_has_value_and_attributes),
      T(test_cli_get_errors_map_to_exit_codes),
      T(test_cli_vault_required_and_https_only),
      T(test_cli_set_reads_stdin_and_never_prints_value),
      T(test_cli_set_from_file_keeps_bytes),
      T(test_cli_set_too_large_refused_locally),
      T(test_cli_set_empty_value_refused),
      T(test_cli_update_sends_patch),
      T(test_cli_list_pages_text_and_json),
      T(test_cli_delete_show_recover_purge),
      T(test_cli_backup_and_restore),
      T(test_cli_token_text_and_json),
      T(test_cli_verbose_logs_requests_without_secrets),
      T(test_cli_help_exits_zero),
  };
  return cmocka_run_group_tests_name("cli_run", tests, NULL, NULL);
}
