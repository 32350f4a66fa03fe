/* SPDX-License-Identifier: MIT */
/* The workload-identity credential: the federated token file as the client
 * assertion, reread when it changes and at least every 10 minutes. */
#include <setjmp.h>
#include <fcntl.h>
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
#include "msikv/url.h"
#include "oom.h"

#define T0_MS 1700000000000LL

typedef struct fixture {
  fake_transport ft;
  fake_clock fc;
  msikv_identity_options opts;
  msikv_credential *cred;
  const char *names[16];
  const char *values[16];
  int n;
  char path[512];
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

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  static int counter;
  fixture *fx = test_calloc(1, sizeof(*fx));
  fake_transport_init(&fx->ft);
  fake_clock_init(&fx->fc, T0_MS);
  fx->ft.repeat_last = true;
  fx->opts = msikv_identity_options_default();
  fx->opts.transport = &fx->ft.transport;
  fx->opts.clock = &fx->fc.clock;
  fx->opts.getenv_fn = env_get;
  fx->opts.getenv_ctx = fx;
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(fx->path, sizeof(fx->path), "%s/token-%d", tmp ? tmp : "/tmp",
           ++counter);
  write_file(fx->path, "eyJhbGciOiJSUzI1NiJ9.first.sig\n");
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"access_token\":\"tok\",\"expires_in\":3599}");
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  msikv_cred_free(fx->cred);
  remove(fx->path);
  fake_transport_free(&fx->ft);
  fake_clock_free(&fx->fc);
  test_free(fx);
  return 0;
}

static void create_from_env(fixture *fx) {
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_FEDERATED_TOKEN_FILE", fx->path);
  msikv_error err;
  if (msikv_cred_workload_identity_new(&fx->opts, NULL, NULL, NULL, &fx->cred,
                                       &err))
    fail_msg("create: %s", err.message);
}

static void get_ok(fixture *fx, const char *scope) {
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  msikv_error_clear(&err);
  if (msikv_cred_get_token(fx->cred, scope, NULL, &tok, &err))
    fail_msg("get_token: %s", err.message);
  msikv_token_clear(&tok);
}

/* The decoded client_assertion of request @p i, in @p out. */
static void assertion_of(fixture *fx, size_t i, char *out, size_t size) {
  const fake_record *rec = fake_transport_request(&fx->ft, i);
  const char *p = strstr(rec->body, "client_assertion=");
  assert_non_null(p);
  p += strlen("client_assertion=");
  msikv_buf b;
  msikv_buf_init(&b, 1 << 16);
  assert_int_equal(msikv_url_decode(&b, p, strcspn(p, "&"), true), MSIKV_OK);
  snprintf(out, size, "%s", b.data);
  msikv_buf_free(&b);
}

static void test_workload_get_token_sends_file_as_assertion(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_AUTHORITY_HOST", "https://login.example.com/");
  create_from_env(fx);
  assert_string_equal(msikv_cred_name(fx->cred), "WorkloadIdentityCredential");
  get_ok(fx, "https://vault.azure.net/.default");
  const fake_record *rec = fake_transport_request(&fx->ft, 0);
  assert_string_equal(rec->url,
                      "https://login.example.com/tenant-1/oauth2/v2.0/token");
  assert_string_equal(
      rec->body,
      "grant_type=client_credentials&client_id=client-1&client_assertion_type="
      "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&"
      "client_assertion=eyJhbGciOiJSUzI1NiJ9.first.sig&scope=https%3A%2F%2F"
      "vault.azure.net%2F.default");
}

static void test_workload_changed_file_reread_at_once(void **state) {
  fixture *fx = *state;
  create_from_env(fx);
  get_ok(fx, "https://vault.azure.net/.default");
  write_file(fx->path, "eyJ.second-longer.sig");
  get_ok(fx, "https://storage.azure.com/.default");
  char a[256];
  assertion_of(fx, 1, a, sizeof(a));
  assert_string_equal(a, "eyJ.second-longer.sig");
}

static void test_workload_unchanged_stat_reread_after_10_min(void **state) {
  fixture *fx = *state;
  create_from_env(fx);
  get_ok(fx, "https://vault.azure.net/.default");
  /* Same size, same mtime, same inode: looks unchanged. */
  struct stat st;
  assert_int_equal(stat(fx->path, &st), 0);
  FILE *f = fopen(fx->path, "r+");
  fputs("eyJhbGciOiJSUzI1NiJ9.FIRST.sig\n", f);
  fclose(f);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  assert_int_equal(utimensat(AT_FDCWD, fx->path, times, 0), 0);
  fake_clock_advance(&fx->fc, 599 * 1000);
  get_ok(fx, "https://storage.azure.com/.default");
  fake_clock_advance(&fx->fc, 1000);
  get_ok(fx, "https://management.azure.com/.default");
  char a[256];
  assertion_of(fx, 1, a, sizeof(a));
  assert_string_equal(a, "eyJhbGciOiJSUzI1NiJ9.first.sig");
  assertion_of(fx, 2, a, sizeof(a));
  assert_string_equal(a, "eyJhbGciOiJSUzI1NiJ9.FIRST.sig");
}

static void test_workload_missing_vars_unavailable_lists_names(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_CLIENT_ID", "client-value");
  msikv_error err;
  assert_int_equal(msikv_cred_workload_identity_new(&fx->opts, NULL, NULL, NULL,
                                                    &fx->cred, &err),
                   MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "set: AZURE_CLIENT_ID; missing: "
                                      "AZURE_TENANT_ID, "
                                      "AZURE_FEDERATED_TOKEN_FILE"));
  assert_null(strstr(err.message, "client-value"));
  assert_null(fx->cred);
  assert_int_equal(msikv_cred_workload_identity_new(
                       &fx->opts, "bad tenant", "c", fx->path, &fx->cred, &err),
                   MSIKV_ERR_ARG);
}

static void test_workload_unreadable_or_empty_file_config(void **state) {
  fixture *fx = *state;
  assert_int_equal(
      msikv_cred_workload_identity_new(&fx->opts, "tenant-1", "client-1",
                                       "/nonexistent/tok", &fx->cred, NULL),
      MSIKV_OK);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://vault.azure.net/.default",
                                        NULL, &tok, &err),
                   MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "AZURE_FEDERATED_TOKEN_FILE"));
  assert_non_null(strstr(err.message, "No such file"));
  msikv_cred_free(fx->cred);
  fx->cred = NULL;
  write_file(fx->path, "\n");
  create_from_env(fx);
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://vault.azure.net/.default",
                                        NULL, &tok, &err),
                   MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "is empty"));
  assert_int_equal(fake_transport_count(&fx->ft), 0);
}

static void test_workload_aad_no_federated_match_auth(void **state) {
  fixture *fx = *state;
  create_from_env(fx);
  fake_transport_free(&fx->ft);
  fake_transport_init(&fx->ft);
  fake_transport_push(&fx->ft, 400, NULL,
                      "{\"error\":\"invalid_request\",\"error_description\":"
                      "\"AADSTS70021: No matching federated identity record "
                      "found for presented assertion.\"}");
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://vault.azure.net/.default",
                                        NULL, &tok, &err),
                   MSIKV_ERR_AUTH);
  assert_string_equal(err.inner_code, "AADSTS70021");
  assert_non_null(strstr(err.message, "WorkloadIdentityCredential: "));
  assert_non_null(strstr(err.message, "federated identity credential"));
  assert_null(strstr(err.message, "first.sig"));
}

static msikv_result oom_run(void *ctx) {
  fixture *fx = ctx;
  msikv_credential *c = NULL;
  msikv_result rc =
      msikv_cred_workload_identity_new(&fx->opts, NULL, NULL, NULL, &c, NULL);
  if (!rc) {
    msikv_token tok = {NULL, 0, 0};
    rc = msikv_cred_get_token(c, "https://vault.azure.net/.default", NULL, &tok,
                              NULL);
    msikv_token_clear(&tok);
  }
  msikv_cred_free(c);
  return rc;
}

static void test_workload_oom_sweep_no_leak(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_FEDERATED_TOKEN_FILE", fx->path);
  assert_true(oom_sweep(oom_run, fx, false) > 10);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_workload_get_token_sends_file_as_assertion),
      T(test_workload_changed_file_reread_at_once),
      T(test_workload_unchanged_stat_reread_after_10_min),
      T(test_workload_missing_vars_unavailable_lists_names),
      T(test_workload_unreadable_or_empty_file_config),
      T(test_workload_aad_no_federated_match_auth),
      T(test_workload_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("cred_workload", tests, NULL, NULL);
}
