/* SPDX-License-Identifier: MIT */
/* The Azure CLI credential end to end: the real msikv tool and web app,
 * nothing but PATH configured, read the mock vault with the token a fake
 * `az` prints (a real token the mock Entra ID minted for the service
 * principal). The default chain falls through environment, workload
 * identity and IMDS (pointed at a closed port) to the Azure CLI; its error
 * lists every link when az is not logged in. */
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

#include "harness.h"
#include "it_target.h"

#define SP_CLIENT "bbbbbbbb-0000-4000-8000-000000000001"
#define SP_SECRET "msikv-mock-sp-secret"
#define MOCK_VALUE "Hello from the msikv mock Key Vault"

static it_mock mock;
static char az_dir[4096], args_file[4200];

static int setup(void **state) {
  (void)state;
  if (it_mock_start(&mock, NULL))
    return -1;
  it_tmp_path("fake-az", az_dir, sizeof(az_dir));
  mkdir(az_dir, 0700);
  snprintf(args_file, sizeof(args_file), "%s/args", az_dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  it_mock_stop(&mock);
  return 0;
}

/* A fake az that logs its argv and prints @p token, or fails like a
 * logged-out az when @p token is NULL. */
static void write_az(const char *token) {
  char path[4200];
  snprintf(path, sizeof(path), "%s/az", az_dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f, "#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\n", args_file);
  if (token)
    fprintf(f,
            "cat <<'EOF'\n{\"accessToken\": \"%s\", \"expires_on\": %lld, "
            "\"subscription\": \"s\", \"tenant\": \"%s\", \"tokenType\": "
            "\"Bearer\"}\nEOF\n",
            token, (long long)time(NULL) + 3000, mock.tenant_id);
  else
    fputs("echo \"ERROR: Please run 'az login' to setup account.\" >&2\n"
          "exit 1\n",
          f);
  fclose(f);
  chmod(path, 0700);
}

static char *slurp(const char *path) {
  static char buf[8192];
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Only PATH (with the fake az first), the vault and the CA; IMDS points at a
 * closed port so that the chain moves on at once. */
static void run_cli(const char *const *args, const char *pin, it_proc *out) {
  static char vars[8][4300];
  const char *envp[10];
  size_t n = 0;
  snprintf(vars[n], sizeof(vars[n]), "KEY_VAULT_URL=%s", mock.kv_url);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "SSL_CERT_FILE=%s", mock.ca_file);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "PATH=%s:/usr/bin:/bin", az_dir);
  envp[n] = vars[n];
  n++;
  envp[n++] = "AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:1";
  if (pin) {
    snprintf(vars[n], sizeof(vars[n]), "AZURE_TOKEN_CREDENTIALS=%s", pin);
    envp[n] = vars[n];
    n++;
  }
  envp[n] = NULL;
  assert_int_equal(it_run("cli/msikv", args, envp, 30000, out), 0);
}

static void test_cli_secret_get_through_default_chain_to_az(void **state) {
  (void)state;
  char *token = it_token_client_secret(&mock, SP_CLIENT, SP_SECRET, NULL);
  assert_non_null(token);
  write_az(token);
  const char *get[] = {"secret", "get", "secret", NULL};
  it_proc p;
  run_cli(get, NULL, &p);
  if (p.exit_code != 0)
    fail_msg("exit %d: %s", p.exit_code, p.err);
  assert_non_null(strstr(p.out, MOCK_VALUE));
  it_proc_free(&p);
  /* az was asked for the vault's scope, in the challenge's tenant. */
  char want[1024];
  snprintf(want, sizeof(want),
           "account\nget-access-token\n--scope\n%s/.default\n--output\njson\n"
           "--tenant\n%s\n",
           mock.resource, mock.tenant_id);
  assert_string_equal(slurp(args_file), want);

  /* Pinned to the Azure CLI: the same, with no other link tried. */
  const char *tok[] = {"token", "-o", "json", NULL};
  run_cli(tok, "AzureCliCredential", &p);
  if (p.exit_code != 0)
    fail_msg("exit %d: %s", p.exit_code, p.err);
  assert_non_null(strstr(p.out, token));
  assert_non_null(strstr(p.out, "\"credential\""));
  it_proc_free(&p);
  free(token);
}

static void test_cli_not_logged_in_error_lists_every_link(void **state) {
  (void)state;
  write_az(NULL);
  const char *get[] = {"secret", "get", "secret", NULL};
  it_proc p;
  run_cli(get, NULL, &p);
  assert_int_equal(p.exit_code, 3);
  const char *links[] = {
      "DefaultAzureCredential failed to retrieve a token",
      "\tEnvironmentCredential: environment variables are not fully "
      "configured",
      "\tWorkloadIdentityCredential: not configured",
      "\tManagedIdentityCredential (IMDS): ",
      "\tAzureCliCredential: not logged in: run `az login --tenant ",
      "(az said: ERROR: Please run 'az login' to setup account.)",
  };
  for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
    if (!strstr(p.err, links[i]))
      fail_msg("stderr lacks \"%s\":\n%s", links[i], p.err);
  }
  char tenant[128];
  snprintf(tenant, sizeof(tenant), "--tenant %s`", mock.tenant_id);
  assert_non_null(strstr(p.err, tenant));
  it_proc_free(&p);
  run_cli(get, "bogus", &p);
  assert_int_equal(p.exit_code, 3);
  assert_non_null(strstr(p.err, "AZURE_TOKEN_CREDENTIALS=\"bogus\""));
  it_proc_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cli_secret_get_through_default_chain_to_az),
      cmocka_unit_test(test_cli_not_logged_in_error_lists_every_link),
  };
  return IT_RUN_MOCK_ONLY_SUITE("creds_azure_cli_integration", tests, setup,
                                teardown, "needs the mock (a fake az on PATH)");
}
