/* SPDX-License-Identifier: MIT */
/* The msikv CLI end to end against the real mockserver: every secret
 * subcommand with the client secret, the managed identity (App Service)
 * with its get-only policy, an access-denied principal, and the http
 * refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "it_target.h"

#define SP_CLIENT "bbbbbbbb-0000-4000-8000-000000000001"
#define SP_SECRET "msikv-mock-sp-secret"
#define DENIED_CLIENT "dddddddd-0000-4000-8000-000000000001"
#define DENIED_SECRET "msikv-mock-denied-secret"
#define MI_OID "aaaaaaaa-0000-4000-8000-000000000002"

static it_mock mock;

static int setup(void **state) {
  (void)state;
  return it_mock_start(&mock, NULL); /* appservice profile */
}

static int teardown(void **state) {
  (void)state;
  it_mock_stop(&mock);
  return 0;
}

static int reset(void **state) {
  (void)state;
  return it_admin_reset(&mock) == 204 ? 0 : -1;
}

typedef enum who { AS_SP, AS_DENIED, AS_MI } who;

/* Runs the CLI with exactly the variables of one credential kind. */
static void cli(who as, const char *const *args, it_proc *out) {
  static char vars[8][4200];
  const char *envp[12];
  size_t n = 0;
  snprintf(vars[n], sizeof(vars[n]), "KEY_VAULT_URL=%s", mock.kv_url);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "SSL_CERT_FILE=%s", mock.ca_file);
  envp[n] = vars[n];
  n++;
  if (as == AS_MI) {
    snprintf(vars[n], sizeof(vars[n]), "IDENTITY_ENDPOINT=%s",
             mock.identity_endpoint);
    envp[n] = vars[n];
    n++;
    snprintf(vars[n], sizeof(vars[n]), "IDENTITY_HEADER=%s",
             mock.identity_header);
    envp[n] = vars[n];
    n++;
  } else {
    snprintf(vars[n], sizeof(vars[n]), "AZURE_AUTHORITY_HOST=%s",
             mock.authority);
    envp[n] = vars[n];
    n++;
    snprintf(vars[n], sizeof(vars[n]), "AZURE_TENANT_ID=%s", mock.tenant_id);
    envp[n] = vars[n];
    n++;
    snprintf(vars[n], sizeof(vars[n]), "AZURE_CLIENT_ID=%s",
             as == AS_SP ? SP_CLIENT : DENIED_CLIENT);
    envp[n] = vars[n];
    n++;
    snprintf(vars[n], sizeof(vars[n]), "AZURE_CLIENT_SECRET=%s",
             as == AS_SP ? SP_SECRET : DENIED_SECRET);
    envp[n] = vars[n];
    n++;
  }
  envp[n++] = "PATH=/usr/bin:/bin";
  envp[n] = NULL;
  assert_int_equal(it_run("cli/msikv", args, envp, 30000, out), 0);
}

/* Runs and checks the exit code, printing stderr when it differs. */
static void expect(who as, const char *const *args, int code, it_proc *out) {
  cli(as, args, out);
  if (out->exit_code != code)
    fail_msg("msikv %s %s: exit %d, expected %d; stderr: %s", args[0],
             args[1] ? args[1] : "", out->exit_code, code, out->err);
}

static void run_ok(who as, const char *const *args, const char *want_out) {
  it_proc p;
  expect(as, args, 0, &p);
  if (want_out && !strstr(p.out, want_out))
    fail_msg("msikv %s %s: stdout lacks '%s': %s", args[0], args[1], want_out,
             p.out);
  it_proc_free(&p);
}

static void test_cli_every_subcommand_with_client_secret(void **state) {
  (void)state;
  char value_file[4096], blob_file[4096];
  it_tmp_path("cli-value.txt", value_file, sizeof(value_file));
  it_tmp_path("cli-backup.blob", blob_file, sizeof(blob_file));
  remove(blob_file);
  FILE *f = fopen(value_file, "w");
  assert_non_null(f);
  fputs("p@ss \"word\"\nline2", f);
  fclose(f);

  const char *set[] = {"secret",     "set",    "cli-one",  "--file",
                       value_file,   "--tags", "env=test", "--content-type",
                       "text/plain", NULL};
  run_ok(AS_SP, set, "name: cli-one");
  const char *get[] = {"secret", "get", "cli-one", NULL};
  run_ok(AS_SP, get, "p@ss \"word\"\nline2\n");
  it_proc p;
  const char *get_json[] = {"secret", "get", "cli-one", "-o", "json", NULL};
  expect(AS_SP, get_json, 0, &p);
  cJSON *j = cJSON_Parse(p.out);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "value")->valuestring,
                      "p@ss \"word\"\nline2");
  assert_string_equal(cJSON_GetObjectItem(j, "contentType")->valuestring,
                      "text/plain");
  char version[64];
  snprintf(version, sizeof(version), "%s",
           cJSON_GetObjectItem(j, "version")->valuestring);
  cJSON_Delete(j);
  it_proc_free(&p);

  const char *set2[] = {"secret", "set", "cli-one", "--value", "second", NULL};
  run_ok(AS_SP, set2, NULL);
  const char *get_v1[] = {"secret",    "get",   "cli-one",
                          "--version", version, NULL};
  run_ok(AS_SP, get_v1, "p@ss");
  const char *versions[] = {"secret", "versions", "cli-one", NULL};
  run_ok(AS_SP, versions, version);
  const char *update[] = {"secret", "update",    "cli-one", "--version",
                          version,  "--enabled", "false",   NULL};
  run_ok(AS_SP, update, "enabled: false");
  expect(AS_SP, get_v1, 1, &p); /* disabled: a service error, not auth */
  assert_non_null(strstr(p.err, "SecretDisabled"));
  it_proc_free(&p);
  const char *list[] = {"secret", "list", NULL};
  run_ok(AS_SP, list, "cli-one\n");

  const char *backup[] = {"secret", "backup",  "cli-one",
                          "--file", blob_file, NULL};
  run_ok(AS_SP, backup, NULL);
  const char *del[] = {"secret", "delete", "cli-one", NULL};
  run_ok(AS_SP, del, "recovery_id: ");
  expect(AS_SP, get, 4, &p);
  it_proc_free(&p);
  const char *show[] = {"secret", "show-deleted", "cli-one",
                        "-o",     "json",         NULL};
  run_ok(AS_SP, show, "\"scheduledPurgeDate\"");
  const char *list_deleted[] = {"secret", "list-deleted", NULL};
  run_ok(AS_SP, list_deleted, "cli-one\n");
  const char *recover[] = {"secret", "recover", "cli-one", NULL};
  run_ok(AS_SP, recover, "name: cli-one");
  run_ok(AS_SP, get, "second\n");
  run_ok(AS_SP, del, NULL);
  const char *purge[] = {"secret", "purge", "cli-one", NULL};
  run_ok(AS_SP, purge, "Purged secret 'cli-one'.");
  expect(AS_SP, show, 4, &p);
  it_proc_free(&p);
  const char *restore[] = {"secret", "restore", "--file", blob_file, NULL};
  run_ok(AS_SP, restore, "name: cli-one");
  run_ok(AS_SP, get, "second\n");
  const char *missing[] = {"secret", "get", "no-such-secret", NULL};
  expect(AS_SP, missing, 4, &p);
  assert_non_null(strstr(p.err, "SecretNotFound"));
  it_proc_free(&p);
  const char *token[] = {"token", "-o", "json", NULL};
  run_ok(AS_SP, token, "\"credential\"");
}

static void test_cli_managed_identity_get_only(void **state) {
  (void)state;
  const char *get[] = {"secret", "get", "secret", NULL};
  run_ok(AS_MI, get, "Hello from the msikv mock Key Vault\n");
  const char *token[] = {"token", "-o", "json", NULL};
  run_ok(AS_MI, token, "ManagedIdentityCredential");
  it_proc p;
  const char *set[] = {"secret", "set", "secret", "--value", "x", NULL};
  expect(AS_MI, set, 3, &p);
  assert_non_null(strstr(p.err, "AccessDenied"));
  assert_non_null(strstr(p.err, "oid=" MI_OID));
  assert_string_equal(p.out, "");
  it_proc_free(&p);
}

static void test_cli_denied_principal_exit_3(void **state) {
  (void)state;
  it_proc p;
  const char *get[] = {"secret", "get", "secret", "-v", NULL};
  expect(AS_DENIED, get, 3, &p);
  assert_non_null(strstr(p.err, "does not have secrets get permission"));
  assert_non_null(strstr(p.err, "dddddddd-0000-4000-8000-000000000002"));
  /* -v logged the requests, never the token or the client secret. */
  assert_non_null(strstr(p.err, "/secrets/secret/?api-version=2025-07-01"));
  assert_null(strstr(p.err, "eyJ"));
  assert_null(strstr(p.err, DENIED_SECRET));
  it_proc_free(&p);
}

/* Verification stays on in every test above (the mock announces
 * resource="https://vault.localhost:PORT"); the failing direction is in
 * tests/kv_client_test.c. Here: plain http is refused before any request. */
static void test_cli_http_vault_refused_exit_2(void **state) {
  (void)state;
  it_proc p;
  char vault[300];
  snprintf(vault, sizeof(vault), "http://demo.vault.localhost:%d",
           mock.tls_port);
  const char *get[] = {"secret", "get", "secret", "--vault", vault, NULL};
  expect(AS_SP, get, 2, &p);
  assert_non_null(strstr(p.err, "https"));
  assert_string_equal(p.out, "");
  it_proc_free(&p);
  const char *usage[] = {"secret", "get", NULL};
  expect(AS_SP, usage, 2, &p);
  it_proc_free(&p);
}

/* Real 429s may come without Retry-After: the CLI backs off and retries
 * (408, 429, 5xx), and reports THROTTLED (exit 1) once retries run out. */
static void test_cli_retries_429_without_retry_after(void **state) {
  (void)state;
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"kind\":\"status\","
                                    "\"status\":429,\"count\":2}") > 0);
  it_proc p;
  const char *get[] = {"secret", "get", "secret", "-v", NULL};
  expect(AS_SP, get, 0, &p);
  assert_string_equal(p.out, "Hello from the msikv mock Key Vault\n");
  assert_non_null(strstr(p.err, "retrying"));
  it_proc_free(&p);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"kind\":\"status\","
                                    "\"status\":429,\"count\":4}") > 0);
  const char *get_quiet[] = {"secret", "get", "secret", NULL};
  expect(AS_SP, get_quiet, 1, &p);
  assert_non_null(strstr(p.err, "HTTP 429"));
  it_proc_free(&p);
}

#define T(name) cmocka_unit_test_setup(name, reset)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_cli_every_subcommand_with_client_secret),
      T(test_cli_managed_identity_get_only),
      T(test_cli_denied_principal_exit_3),
      T(test_cli_http_vault_refused_exit_2),
      T(test_cli_retries_429_without_retry_after),
  };
  return IT_RUN_MOCK_ONLY_SUITE("cli_secret_integration", tests, setup,
                                teardown,
                                "needs the mock (seeded principals and "
                                "policies); the azure flow is cli_azure");
}
