/* SPDX-License-Identifier: MIT */
/* The application default: managed identity on App Service, the client
 * secret elsewhere, and clear errors when neither is configured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "msikv/identity.h"
#include "oom.h"

#define T0_MS 1700000000000LL
#define T0 (T0_MS / 1000)

typedef struct fixture {
  fake_transport ft;
  fake_clock fc;
  const char *names[16];
  const char *values[16];
  int n;
  msikv_identity_options opts;
  msikv_credential *cred;
} fixture;

static const char *env_get(void *ctx, const char *name) {
  fixture *fx = ctx;
  for (int i = 0; i < fx->n; i++) {
    if (strcmp(fx->names[i], name) == 0)
      return fx->values[i];
  }
  return NULL;
}

static void env_set(fixture *fx, const char *name, const char *value) {
  fx->names[fx->n] = name;
  fx->values[fx->n] = value;
  fx->n++;
}

static int setup(void **state) {
  fixture *fx = test_calloc(1, sizeof(*fx));
  fake_transport_init(&fx->ft);
  fake_clock_init(&fx->fc, T0_MS);
  fx->opts = msikv_identity_options_default();
  fx->opts.transport = &fx->ft.transport;
  fx->opts.clock = &fx->fc.clock;
  fx->opts.getenv_fn = env_get;
  fx->opts.getenv_ctx = fx;
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  msikv_cred_free(fx->cred);
  fake_transport_free(&fx->ft);
  fake_clock_free(&fx->fc);
  test_free(fx);
  return 0;
}

static void expect_name(fixture *fx, const char *want) {
  msikv_error err;
  msikv_error_clear(&err);
  if (msikv_cred_app_default_new(&fx->opts, &fx->cred, &err))
    fail_msg("app default: %s", err.message);
  assert_string_equal(msikv_cred_name(fx->cred), want);
}

static void test_app_default_identity_endpoint_app_service(void **state) {
  fixture *fx = *state;
  env_set(fx, "APPSETTING_WEBSITE_SITE_NAME", "demo");
  env_set(fx, "IDENTITY_ENDPOINT", "http://127.0.0.1:41234/msi/token");
  env_set(fx, "IDENTITY_HEADER", "hdr");
  expect_name(fx, "ManagedIdentityCredential (App Service)");
  char body[256];
  snprintf(body, sizeof(body),
           "{\"access_token\":\"mi\",\"expires_on\":\"%lld\"}",
           (long long)(T0 + 3600));
  fake_transport_push(&fx->ft, 200, NULL, body);
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://vault.azure.net/.default",
                                        NULL, &tok, NULL),
                   MSIKV_OK);
  assert_string_equal(tok.token, "mi");
  msikv_token_clear(&tok);
  assert_string_equal(fake_transport_request(&fx->ft, 0)->url,
                      "http://127.0.0.1:41234/msi/token?api-version=2019-08-"
                      "01&resource=https%3A%2F%2Fvault.azure.net");
}

static void test_app_default_client_id_selects_user_assigned(void **state) {
  fixture *fx = *state;
  env_set(fx, "IDENTITY_ENDPOINT", "http://127.0.0.1:41234/msi/token");
  env_set(fx, "IDENTITY_HEADER", "hdr");
  env_set(fx, "AZURE_CLIENT_ID", "uami-1");
  expect_name(fx, "ManagedIdentityCredential (App Service)");
  char body[256];
  snprintf(body, sizeof(body),
           "{\"access_token\":\"mi\",\"expires_on\":\"%lld\"}",
           (long long)(T0 + 3600));
  fake_transport_push(&fx->ft, 200, NULL, body);
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://vault.azure.net/.default",
                                        NULL, &tok, NULL),
                   MSIKV_OK);
  msikv_token_clear(&tok);
  assert_non_null(
      strstr(fake_transport_request(&fx->ft, 0)->url, "&client_id=uami-1"));
}

static void test_app_default_msi_endpoint_legacy(void **state) {
  fixture *fx = *state;
  env_set(fx, "MSI_ENDPOINT", "http://127.0.0.1:8081/msi/token");
  env_set(fx, "MSI_SECRET", "s");
  expect_name(fx, "ManagedIdentityCredential (App Service 2017)");
}

static void test_app_default_site_without_identity_not_enabled(void **s) {
  fixture *fx = *s;
  env_set(fx, "APPSETTING_WEBSITE_SITE_NAME", "demo");
  msikv_error err;
  assert_int_equal(msikv_cred_app_default_new(&fx->opts, &fx->cred, &err),
                   MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "not enabled"));
  assert_non_null(strstr(err.message, "IDENTITY_ENDPOINT"));
  assert_non_null(strstr(err.message, "IDENTITY_HEADER"));
  assert_non_null(strstr(err.message, "restart"));
  assert_null(fx->cred);
}

static void test_app_default_env_secret_client_secret(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_CLIENT_SECRET", "very-secret");
  expect_name(fx, "ClientSecretCredential");
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"access_token\":\"sp\",\"expires_in\":3599}");
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://vault.azure.net/.default",
                                        NULL, &tok, NULL),
                   MSIKV_OK);
  msikv_token_clear(&tok);
  const fake_record *rec = fake_transport_request(&fx->ft, 0);
  assert_string_equal(rec->url, "https://login.microsoftonline.com/tenant-1/"
                                "oauth2/v2.0/token");
  assert_non_null(strstr(rec->body, "client_secret=very-secret"));
}

static void test_app_default_site_with_secret_uses_secret(void **state) {
  fixture *fx = *state;
  env_set(fx, "APPSETTING_WEBSITE_SITE_NAME", "demo");
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_CLIENT_SECRET", "very-secret");
  expect_name(fx, "ClientSecretCredential");
}

/* Off Azure with no az on PATH, every link of the chain is unavailable. */
static void hide_az(void) {
  const char *tmp = getenv("TEST_TMPDIR");
  char dir[512];
  snprintf(dir, sizeof(dir), "%s/empty-bin", tmp ? tmp : "/tmp");
  mkdir(dir, 0700);
  setenv("PATH", dir, 1);
}

/* Changed by the default chain (issue 8): nothing configured is no longer
 * an error at creation (IMDS or the Azure CLI may work); get_token fails
 * with the chain's message, whose EnvironmentCredential line still lists
 * the AZURE_* variables set and missing, without their values. */
static void test_app_default_partial_env_lists_names(void **state) {
  fixture *fx = *state;
  hide_az();
  env_set(fx, "AZURE_TENANT_ID", "tenant-value");
  env_set(fx, "AZURE_CLIENT_ID", "client-value");
  env_set(fx, "AZURE_CLIENT_SECRET", "");
  msikv_error err;
  assert_int_equal(msikv_cred_app_default_new(&fx->opts, &fx->cred, &err),
                   MSIKV_OK);
  fake_transport_push_error(&fx->ft, MSIKV_ERR_TRANSPORT); /* IMDS probe */
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://vault.azure.net/.default",
                                        NULL, &tok, &err),
                   MSIKV_ERR_UNAVAILABLE);
  const char *env_line = strstr(err.message, "\n\tEnvironmentCredential: ");
  assert_non_null(env_line);
  size_t env_len = strcspn(env_line + 2, "\n");
  assert_non_null(strstr(env_line,
                         "set: AZURE_TENANT_ID, AZURE_CLIENT_ID; missing: "
                         "AZURE_CLIENT_SECRET"));
  assert_true(strstr(env_line, "missing: AZURE_CLIENT_SECRET") <
              env_line + 2 + env_len);
  assert_null(strstr(err.message, "tenant-value"));
  char line[1024];
  snprintf(line, sizeof(line), "%.*s", (int)env_len, env_line + 2);
  assert_null(strstr(line, "client-value"));
  assert_non_null(strstr(err.message, "\n\tAzureCliCredential: "));
  assert_null(tok.token);
}

static void test_app_default_nothing_set_lists_all(void **state) {
  fixture *fx = *state;
  hide_az();
  msikv_error err;
  assert_int_equal(msikv_cred_app_default_new(&fx->opts, &fx->cred, &err),
                   MSIKV_OK);
  assert_string_equal(msikv_cred_name(fx->cred), "DefaultAzureCredential");
  fake_transport_push_error(&fx->ft, MSIKV_ERR_TRANSPORT);
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://vault.azure.net/.default",
                                        NULL, &tok, &err),
                   MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "set: none; missing: AZURE_TENANT_ID, "
                                      "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET"));
  assert_non_null(strstr(err.message, "ManagedIdentityCredential (IMDS): "));
  assert_non_null(strstr(err.message, "WorkloadIdentityCredential: "));
  assert_non_null(strstr(err.message, "not installed"));
  assert_int_equal(msikv_cred_app_default_new(NULL, &fx->cred, &err),
                   MSIKV_ERR_ARG);
}

static msikv_result oom_run(void *ctx) {
  fixture *fx = ctx;
  msikv_credential *cred = NULL;
  msikv_result rc = msikv_cred_app_default_new(&fx->opts, &cred, NULL);
  msikv_cred_free(cred);
  return rc;
}

static void test_app_default_oom_sweep_no_leak(void **state) {
  fixture *fx = *state;
  env_set(fx, "IDENTITY_ENDPOINT", "http://127.0.0.1:41234/msi/token");
  env_set(fx, "IDENTITY_HEADER", "hdr");
  env_set(fx, "MSI_ENDPOINT", "http://127.0.0.1:8081/msi/token");
  env_set(fx, "MSI_SECRET", "s");
  env_set(fx, "AZURE_CLIENT_ID", "uami");
  assert_true(oom_sweep(oom_run, fx, false) > 5);
  fx->n = 0;
  env_set(fx, "AZURE_TENANT_ID", "t");
  env_set(fx, "AZURE_CLIENT_ID", "c");
  env_set(fx, "AZURE_CLIENT_SECRET", "s");
  assert_true(oom_sweep(oom_run, fx, false) > 5);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_app_default_identity_endpoint_app_service),
      T(test_app_default_client_id_selects_user_assigned),
      T(test_app_default_msi_endpoint_legacy),
      T(test_app_default_site_without_identity_not_enabled),
      T(test_app_default_env_secret_client_secret),
      T(test_app_default_site_with_secret_uses_secret),
      T(test_app_default_partial_env_lists_names),
      T(test_app_default_nothing_set_lists_all),
      T(test_app_default_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("cred_app_default", tests, NULL, NULL);
}
