/* SPDX-License-Identifier: MIT */
/* The default chain end to end with the real msikv tool: IMDS found by the
 * chain's probe (the mock's IMDS via AZURE_POD_IDENTITY_AUTHORITY_HOST), the
 * environment's service principal winning over App Service variables, and
 * AZURE_TOKEN_CREDENTIALS pinning the chain. */
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
#define MOCK_VALUE "Hello from the msikv mock Key Vault"

static it_mock mock;

static int setup(void **state) {
  (void)state;
  return it_mock_start(&mock, NULL);
}

static int teardown(void **state) {
  (void)state;
  it_mock_stop(&mock);
  return 0;
}

/* Runs the tool with the vault, the CA, PATH (no az) and @p extra. */
static void run_cli(const char *const *args, const char *const *extra,
                    it_proc *out) {
  static char vars[4][4300];
  const char *envp[16];
  size_t n = 0;
  snprintf(vars[n], sizeof(vars[n]), "KEY_VAULT_URL=%s", mock.kv_url);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "SSL_CERT_FILE=%s", mock.ca_file);
  envp[n] = vars[n];
  n++;
  envp[n++] = "PATH=/usr/bin:/bin";
  for (size_t i = 0; extra && extra[i]; i++)
    envp[n++] = extra[i];
  envp[n] = NULL;
  assert_int_equal(it_run("cli/msikv", args, envp, 30000, out), 0);
}

static void test_chain_probes_imds_and_reads_secret(void **state) {
  (void)state;
  char imds[300];
  snprintf(imds, sizeof(imds), "AZURE_POD_IDENTITY_AUTHORITY_HOST=%s",
           mock.imds_host);
  const char *extra[] = {imds, NULL};
  const char *get[] = {"secret", "get", "secret", NULL};
  it_proc p;
  run_cli(get, extra, &p);
  if (p.exit_code != 0 || !strstr(p.out, MOCK_VALUE))
    fail_msg("exit %d: %s", p.exit_code, p.err);
  it_proc_free(&p);
  const char *tok[] = {"token", "-o", "json", NULL};
  run_cli(tok, extra, &p);
  assert_int_equal(p.exit_code, 0);
  assert_non_null(strstr(p.out, "DefaultAzureCredential"));
  it_proc_free(&p);

  /* dev: the developer tools only, so IMDS is not even tried. */
  const char *dev[] = {imds, "AZURE_TOKEN_CREDENTIALS=dev", NULL};
  run_cli(get, dev, &p);
  assert_int_equal(p.exit_code, 3);
  assert_non_null(strstr(p.err, "\tAzureCliCredential: "));
  assert_null(strstr(p.err, "ManagedIdentityCredential"));
  assert_null(strstr(p.err, "EnvironmentCredential"));
  it_proc_free(&p);
}

static void test_chain_environment_before_app_service(void **state) {
  (void)state;
  static char vars[5][4300];
  snprintf(vars[0], sizeof(vars[0]), "IDENTITY_ENDPOINT=%s",
           mock.identity_endpoint);
  snprintf(vars[1], sizeof(vars[1]), "IDENTITY_HEADER=%s",
           mock.identity_header);
  snprintf(vars[2], sizeof(vars[2]), "AZURE_AUTHORITY_HOST=%s", mock.authority);
  snprintf(vars[3], sizeof(vars[3]), "AZURE_TENANT_ID=%s", mock.tenant_id);
  const char *extra[] = {vars[0],
                         vars[1],
                         vars[2],
                         vars[3],
                         "AZURE_CLIENT_ID=" SP_CLIENT,
                         "AZURE_CLIENT_SECRET=" SP_SECRET,
                         NULL};
  const char *tok[] = {"token", "-o", "json", NULL};
  it_proc p;
  run_cli(tok, extra, &p);
  if (p.exit_code != 0)
    fail_msg("exit %d: %s", p.exit_code, p.err);
  assert_non_null(strstr(p.out, "ClientSecretCredential"));
  it_proc_free(&p);
  /* Pinned to the managed identity, the App Service identity answers. */
  const char *mi[] = {vars[0], vars[1],
                      "AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential",
                      NULL};
  run_cli(tok, mi, &p);
  if (p.exit_code != 0)
    fail_msg("exit %d: %s", p.exit_code, p.err);
  assert_non_null(strstr(p.out, "ManagedIdentityCredential (App Service)"));
  it_proc_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_probes_imds_and_reads_secret),
      cmocka_unit_test(test_chain_environment_before_app_service),
  };
  return IT_RUN_MOCK_ONLY_SUITE("creds_default_chain_integration", tests, setup,
                                teardown,
                                "needs the mock (every credential's endpoint)");
}
