/* SPDX-License-Identifier: MIT */
/* Workload identity end to end: the real msikv tool reads the mock vault
 * with a federated token the mock minted into AZURE_FEDERATED_TOKEN_FILE
 * (as Kubernetes projects one), picks up a replaced file, and explains the
 * mock Entra ID's refusals (wrong subject, expired token). */
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

#define WI_CLIENT "f0f0f0f0-0000-4000-8000-000000000001"
#define MOCK_VALUE "Hello from the msikv mock Key Vault"

static it_mock mock;
static char token_file[4096];

static int setup(void **state) {
  (void)state;
  it_tmp_path("federated-token", token_file, sizeof(token_file));
  return it_mock_start(&mock, NULL);
}

static int teardown(void **state) {
  (void)state;
  it_mock_stop(&mock);
  return 0;
}

/* Mints a federated token into token_file; @p json_extra adds fields. */
static void mint(const char *json_extra) {
  char body[4600];
  snprintf(body, sizeof(body), "{\"path\": \"%s\"%s%s}", token_file,
           json_extra ? ", " : "", json_extra ? json_extra : "");
  cJSON *out = NULL;
  assert_int_equal(
      it_admin(&mock, "POST", "/admin/federated-token", body, &out), 200);
  cJSON_Delete(out);
}

static void run_cli(const char *const *args, it_proc *out) {
  static char vars[8][4300];
  const char *envp[12];
  size_t n = 0;
  snprintf(vars[n], sizeof(vars[n]), "KEY_VAULT_URL=%s", mock.kv_url);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "SSL_CERT_FILE=%s", mock.ca_file);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "AZURE_AUTHORITY_HOST=%s", mock.authority);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "AZURE_TENANT_ID=%s", mock.tenant_id);
  envp[n] = vars[n];
  n++;
  snprintf(vars[n], sizeof(vars[n]), "AZURE_FEDERATED_TOKEN_FILE=%s",
           token_file);
  envp[n] = vars[n];
  n++;
  envp[n++] = "AZURE_CLIENT_ID=" WI_CLIENT;
  envp[n++] = "PATH=/usr/bin:/bin";
  envp[n] = NULL;
  assert_int_equal(it_run("cli/msikv", args, envp, 30000, out), 0);
}

static void test_workload_secret_get_and_token(void **state) {
  (void)state;
  mint(NULL);
  const char *get[] = {"secret", "get", "secret", NULL};
  it_proc p;
  run_cli(get, &p);
  if (p.exit_code != 0)
    fail_msg("exit %d: %s", p.exit_code, p.err);
  assert_non_null(strstr(p.out, MOCK_VALUE));
  it_proc_free(&p);
  const char *tok[] = {"token", "-o", "json", NULL};
  run_cli(tok, &p);
  if (p.exit_code != 0)
    fail_msg("exit %d: %s", p.exit_code, p.err);
  assert_non_null(strstr(p.out, "WorkloadIdentityCredential"));
  it_proc_free(&p);
}

static void test_workload_refusals_explained(void **state) {
  (void)state;
  mint("\"subject\": \"system:serviceaccount:other:intruder\"");
  const char *get[] = {"secret", "get", "secret", NULL};
  it_proc p;
  run_cli(get, &p);
  assert_int_equal(p.exit_code, 3);
  if (!strstr(p.err, "AADSTS700213") ||
      !strstr(p.err, "WorkloadIdentityCredential") ||
      !strstr(p.err, "federated credential"))
    fail_msg("stderr: %s", p.err);
  it_proc_free(&p);

  mint("\"lifetime_s\": -60");
  run_cli(get, &p);
  assert_int_equal(p.exit_code, 3);
  if (!strstr(p.err, "AADSTS700024") || !strstr(p.err, "valid time range"))
    fail_msg("stderr: %s", p.err);
  it_proc_free(&p);

  remove(token_file);
  run_cli(get, &p);
  assert_int_equal(p.exit_code, 3);
  if (!strstr(p.err, "AZURE_FEDERATED_TOKEN_FILE"))
    fail_msg("stderr: %s", p.err);
  it_proc_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_workload_secret_get_and_token),
      cmocka_unit_test(test_workload_refusals_explained),
  };
  return IT_RUN_MOCK_ONLY_SUITE("creds_workload_integration", tests, setup,
                                teardown,
                                "needs the mock (its federated token issuer)");
}
