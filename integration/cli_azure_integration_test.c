/* SPDX-License-Identifier: MIT */
/* MSIKV_TEST_TARGET=azure through the real msikv CLI: read `secret` (or
 * SECRET_NAME); set, read, delete and purge (if allowed) a uniquely named
 * temporary secret, with a clean-up that always runs. Outside azure mode
 * the same flows run once with "azure mode" pointed at the mock (the mode
 * switch itself under test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "it_target.h"

/* What the clean-up needs, whatever made the test stop. */
typedef struct flow_state {
  char name[128]; /* The temporary secret; "" when none was created. */
  bool cleaned;
  bool mock_started;
  it_mock mock;
} flow_state;

static flow_state st;

/* Runs the CLI with the azure-mode environment (this process's variables). */
static void cli(const char *const *args, it_proc *out) {
  char **env = it_azure_env(NULL);
  assert_non_null(env);
  int rc = it_run("cli/msikv", args, (const char *const *)env, 120000, out);
  it_env_free(env);
  assert_int_equal(rc, 0);
}

static void expect(const char *const *args, int code, it_proc *out) {
  cli(args, out);
  if (out->exit_code != code)
    fail_msg("msikv %s %s %s: exit %d, expected %d; stderr: %s", args[0],
             args[1], args[2] ? args[2] : "", out->exit_code, code, out->err);
}

static void read_secret_flow(void) {
  const char *name = getenv("SECRET_NAME");
  if (!name || !*name)
    name = "secret";
  const char *get[] = {"secret", "get", name, NULL};
  it_proc p;
  expect(get, 0, &p);
  size_t len = strlen(p.out);
  it_proc_free(&p);
  assert_true(len > 1); /* The value and a newline. */
  printf("azure flow: read secret '%s' (%zu bytes)\n", name,
         len - 1); /* Never the value. */
}

/* Deletes and purges the temporary secret, ignoring the outcome. */
static void cleanup_temp(void) {
  if (!st.name[0] || st.cleaned)
    return;
  st.cleaned = true;
  const char *del[] = {"secret", "delete", st.name, NULL};
  const char *purge[] = {"secret", "purge", st.name, NULL};
  it_proc p;
  char **env = it_azure_env(NULL);
  if (env &&
      it_run("cli/msikv", del, (const char *const *)env, 120000, &p) == 0) {
    printf("clean-up: delete %s: exit %d\n", st.name, p.exit_code);
    it_proc_free(&p);
  }
  if (env &&
      it_run("cli/msikv", purge, (const char *const *)env, 120000, &p) == 0) {
    printf("clean-up: purge %s: exit %d\n", st.name, p.exit_code);
    it_proc_free(&p);
  }
  it_env_free(env);
}

static void temp_secret_flow(void) {
  snprintf(st.name, sizeof(st.name), "msikv-it-%lld-%ld", (long long)time(NULL),
           (long)getpid());
  st.cleaned = false;
  char value[128], file[4096];
  snprintf(value, sizeof(value), "msikv-it-value-%ld-%lld", (long)getpid(),
           (long long)time(NULL));
  it_tmp_path("cli-azure-value.txt", file, sizeof(file));
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fputs(value, f);
  fclose(f);
  printf("azure flow: temporary secret %s\n", st.name);

  it_proc p;
  const char *set[] = {"secret", "set", st.name, "--file", file, NULL};
  expect(set, 0, &p);
  it_proc_free(&p);
  const char *get[] = {"secret", "get", st.name, NULL};
  expect(get, 0, &p);
  char want[160];
  snprintf(want, sizeof(want), "%s\n", value);
  assert_string_equal(p.out, want);
  it_proc_free(&p);
  const char *del[] = {"secret", "delete", st.name, NULL};
  expect(del, 0, &p);
  it_proc_free(&p);
  expect(get, 4, &p); /* Deleted: not found. */
  it_proc_free(&p);
  /* Purge if allowed: a vault with purge protection or a principal
   * without the purge permission answers 403 (exit 1); that is fine. */
  const char *purge[] = {"secret", "purge", st.name, NULL};
  cli(purge, &p);
  if (p.exit_code == 0) {
    printf("azure flow: purged %s\n", st.name);
  } else if (p.exit_code == 1) {
    printf("azure flow: purge not allowed here (exit 1): %s\n", p.err);
  } else {
    fail_msg("msikv secret purge %s: exit %d; stderr: %s", st.name, p.exit_code,
             p.err);
  }
  it_proc_free(&p);
  st.cleaned = true; /* Deleted (and purged when allowed). */
}

static int cleanup(void **state) {
  (void)state;
  cleanup_temp();
  memset(st.name, 0, sizeof(st.name));
  return 0;
}

static void test_cli_azure_reads_secret(void **state) {
  (void)state;
  IT_REQUIRE_AZURE();
  read_secret_flow();
}

static void test_cli_azure_temp_secret_set_get_delete_purge(void **state) {
  (void)state;
  IT_REQUIRE_AZURE();
  temp_secret_flow();
}

/* ---- The mode switch, against the mock ---------------------------------- */

static const char *const SWITCH_VARS[] = {
    "MSIKV_TEST_TARGET",   "KEY_VAULT_URL",
    "SSL_CERT_FILE",       "AZURE_AUTHORITY_HOST",
    "AZURE_TENANT_ID",     "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET", NULL};

static int switch_cleanup(void **state) {
  cleanup(state);
  for (size_t i = 0; SWITCH_VARS[i]; i++)
    unsetenv(SWITCH_VARS[i]);
  if (st.mock_started) {
    it_mock_stop(&st.mock);
    st.mock_started = false;
  }
  return 0;
}

/* MSIKV_TEST_TARGET=azure with KEY_VAULT_URL and AZURE_* from a mock
 * started with --profile sp (and SSL_CERT_FILE for its CA): the azure
 * flows above run unchanged. Also: without variables, azure mode names
 * what is missing. */
static void test_cli_azure_mode_switch_against_mock(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("points azure mode at the mock; already in azure mode");
  char missing[512];
  setenv("MSIKV_TEST_TARGET", "azure", 1);
  unsetenv("KEY_VAULT_URL");
  unsetenv("KEY_VAULT_URI");
  assert_true(it_target_is_azure());
  assert_false(it_azure_env_ready(missing, sizeof(missing)));
  if (!strstr(missing, "KEY_VAULT_URL"))
    fail_msg("the message does not name KEY_VAULT_URL: %s", missing);
  printf("without variables: %s\n", missing);

  const char *args[] = {"--profile", "sp", NULL};
  assert_int_equal(it_mock_start(&st.mock, args), 0);
  st.mock_started = true;
  for (size_t i = 1; SWITCH_VARS[i]; i++) {
    const char *v = it_mock_var(&st.mock, SWITCH_VARS[i]);
    if (!v)
      fail_msg("the mock (--profile sp) printed no %s", SWITCH_VARS[i]);
    setenv(SWITCH_VARS[i], v, 1);
  }
  if (!it_azure_env_ready(missing, sizeof(missing)))
    fail_msg("%s", missing);
  read_secret_flow();
  temp_secret_flow();
  /* The mock saw the purge: the secret is gone for good. */
  it_proc p;
  const char *show[] = {"secret", "show-deleted", st.name, NULL};
  expect(show, 4, &p);
  it_proc_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cli_azure_reads_secret),
      cmocka_unit_test_teardown(test_cli_azure_temp_secret_set_get_delete_purge,
                                cleanup),
      cmocka_unit_test_teardown(test_cli_azure_mode_switch_against_mock,
                                switch_cleanup),
  };
  return cmocka_run_group_tests_name("cli_azure_integration", tests, NULL,
                                     NULL);
}
