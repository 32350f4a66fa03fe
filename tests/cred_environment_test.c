/* SPDX-License-Identifier: MIT */
/* The environment credential: client secret first, then certificate, and
 * an "unavailable" listing the variables set and missing, never values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "msikv/identity.h"
#include "oom.h"

#define T0_MS 1700000000000LL
#define SCOPE "https://vault.azure.net/.default"

typedef struct fixture {
  fake_transport ft;
  fake_clock fc;
  msikv_identity_options opts;
  msikv_credential *cred;
  const char *names[16];
  const char *values[16];
  int n;
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

static void test_environment_secret_wins_over_certificate(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_CLIENT_SECRET", "s3cret");
  env_set(fx, "AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/not-read.pem");
  msikv_error err;
  if (msikv_cred_environment_new(&fx->opts, &fx->cred, &err))
    fail_msg("%s", err.message);
  assert_string_equal(msikv_cred_name(fx->cred), "EnvironmentCredential");
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"access_token\":\"sp\",\"expires_in\":3599}");
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(fx->cred, SCOPE, NULL, &tok, &err),
                   MSIKV_OK);
  assert_string_equal(tok.token, "sp");
  msikv_token_clear(&tok);
  assert_string_equal(fake_transport_request(&fx->ft, 0)->body,
                      "grant_type=client_credentials&client_id=client-1&"
                      "client_secret=s3cret&scope=https%3A%2F%2Fvault.azure."
                      "net%2F.default");
}

static void expect_unavailable(fixture *fx, const char *listing) {
  msikv_error err;
  assert_int_equal(msikv_cred_environment_new(&fx->opts, &fx->cred, &err),
                   MSIKV_OK);
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(fx->cred, SCOPE, NULL, &tok, &err),
                   MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "EnvironmentCredential: environment "
                                      "variables are not fully configured"));
  if (!strstr(err.message, listing))
    fail_msg("want \"%s\" in \"%s\"", listing, err.message);
  for (int i = 0; i < fx->n; i++)
    assert_null(strstr(err.message, fx->values[i]));
  assert_int_equal(fake_transport_count(&fx->ft), 0);
  msikv_cred_free(fx->cred);
  fx->cred = NULL;
  fx->n = 0;
}

static void test_environment_incomplete_lists_set_and_missing(void **state) {
  fixture *fx = *state;
  expect_unavailable(fx, "set: none; missing: AZURE_TENANT_ID, "
                         "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET (or "
                         "AZURE_CLIENT_CERTIFICATE_PATH)");
  env_set(fx, "AZURE_CLIENT_SECRET", "value-1");
  expect_unavailable(fx, "set: AZURE_CLIENT_SECRET; missing: AZURE_TENANT_ID, "
                         "AZURE_CLIENT_ID");
  env_set(fx, "AZURE_TENANT_ID", "value-2");
  env_set(fx, "AZURE_CLIENT_CERTIFICATE_PATH", "/value-3.pem");
  env_set(fx, "AZURE_CLIENT_CERTIFICATE_PASSWORD", "value-4");
  expect_unavailable(fx, "set: AZURE_TENANT_ID, "
                         "AZURE_CLIENT_CERTIFICATE_PATH, "
                         "AZURE_CLIENT_CERTIFICATE_PASSWORD; missing: "
                         "AZURE_CLIENT_ID");
}

static void test_environment_bad_tenant_fails_creation(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_TENANT_ID", "../evil");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_CLIENT_SECRET", "s");
  msikv_error err;
  assert_int_equal(msikv_cred_environment_new(&fx->opts, &fx->cred, &err),
                   MSIKV_ERR_ARG);
  assert_non_null(strstr(err.message, "EnvironmentCredential: "
                                      "ClientSecretCredential: the tenant"));
  assert_null(fx->cred);
  assert_int_equal(msikv_cred_environment_new(NULL, &fx->cred, &err),
                   MSIKV_ERR_ARG);
}

static msikv_result oom_run(void *ctx) {
  fixture *fx = ctx;
  msikv_credential *c = NULL;
  msikv_result rc = msikv_cred_environment_new(&fx->opts, &c, NULL);
  msikv_cred_free(c);
  return rc;
}

static void test_environment_oom_sweep_no_leak(void **state) {
  fixture *fx = *state;
  assert_true(oom_sweep(oom_run, fx, false) >= 2);
  env_set(fx, "AZURE_TENANT_ID", "t");
  env_set(fx, "AZURE_CLIENT_ID", "c");
  env_set(fx, "AZURE_CLIENT_SECRET", "s");
  assert_true(oom_sweep(oom_run, fx, false) > 5);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_environment_secret_wins_over_certificate),
      T(test_environment_incomplete_lists_set_and_missing),
      T(test_environment_bad_tenant_fails_creation),
      T(test_environment_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("cred_environment", tests, NULL, NULL);
}
