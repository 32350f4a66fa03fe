/* SPDX-License-Identifier: MIT */
/* Managed identity through IMDS: the request, retries, and error mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "identity_internal.h"
#include "msikv/alloc.h"
#include "msikv/identity.h"

#define T0_MS 1700000000000LL
#define T0 (T0_MS / 1000)
#define VAULT_SCOPE "https://vault.azure.net/.default"
#define IMDS_URL                                                               \
  "http://169.254.169.254/metadata/identity/oauth2/token?api-version="         \
  "2018-02-01&resource=https%3A%2F%2Fvault.azure.net"

typedef struct fixture {
  fake_transport ft;
  fake_clock fc;
  const char *pod_host;
  msikv_identity_options opts;
  msikv_credential *cred;
} fixture;

static const char *env_get(void *ctx, const char *name) {
  fixture *fx = ctx;
  if (strcmp(name, "AZURE_POD_IDENTITY_AUTHORITY_HOST") == 0)
    return fx->pod_host;
  return NULL;
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

static void create(fixture *fx, const msikv_managed_identity_options *mi) {
  msikv_error err;
  msikv_cred_free(fx->cred);
  fx->cred = NULL;
  if (msikv_cred_managed_identity_new(&fx->opts, mi, &fx->cred, &err))
    fail_msg("create: %s", err.message);
  assert_string_equal(msikv_cred_name(fx->cred),
                      "ManagedIdentityCredential (IMDS)");
}

static void push_imds_token(fixture *fx, const char *token) {
  char body[512];
  /* IMDS sends every number as a string; expires_on is deliberately off by
   * 100 s, to show that expires_in wins. */
  snprintf(body, sizeof(body),
           "{\"access_token\":\"%s\",\"refresh_token\":\"\",\"expires_in\":"
           "\"3599\",\"expires_on\":\"%lld\",\"not_before\":\"%lld\","
           "\"resource\":\"https://vault.azure.net\",\"token_type\":"
           "\"Bearer\",\"client_id\":\"c\",\"ext_expires_in\":\"3599\"}",
           token, (long long)(T0 + 3699), (long long)T0);
  fake_transport_push(&fx->ft, 200, NULL, body);
}

static msikv_result get(fixture *fx, msikv_token *tok, msikv_error *err) {
  memset(tok, 0, sizeof(*tok));
  msikv_error_clear(err);
  return msikv_cred_get_token(fx->cred, VAULT_SCOPE, NULL, tok, err);
}

static void test_imds_get_token_exact_request(void **state) {
  fixture *fx = *state;
  create(fx, NULL);
  push_imds_token(fx, "imds-tok");
  msikv_token tok;
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "imds-tok");
  assert_int_equal(tok.expires_on_s, T0 + 3599);
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 1);
  const fake_record *rec = fake_transport_request(&fx->ft, 0);
  assert_string_equal(rec->method, "GET");
  assert_string_equal(rec->url, IMDS_URL);
  assert_string_equal(fake_record_header(rec, "Metadata"), "true");
  assert_null(fake_record_header(rec, "X-IDENTITY-HEADER"));
  assert_false(rec->has_body);
  assert_true(rec->no_proxy);
  assert_true(rec->allow_http);
  assert_int_equal(rec->connect_timeout_ms, 2000);
  assert_int_equal(rec->timeout_ms, 30000);
}

static void test_imds_user_assigned_param_names(void **state) {
  fixture *fx = *state;
  fx->ft.repeat_last = true;
  push_imds_token(fx, "t");
  static const struct {
    msikv_managed_identity_options mi;
    const char *suffix;
  } cases[] = {
      {{"c-1", NULL, NULL}, "&client_id=c-1"},
      {{NULL, "o-1", NULL}, "&object_id=o-1"},
      {{NULL, NULL, "/subscriptions/s/id"},
       "&msi_res_id=%2Fsubscriptions%2Fs%2Fid"},
  };
  for (size_t i = 0; i < 3; i++) {
    create(fx, &cases[i].mi);
    msikv_token tok;
    msikv_error err;
    assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
    msikv_token_clear(&tok);
    char want[512];
    snprintf(want, sizeof(want), "%s%s", IMDS_URL, cases[i].suffix);
    assert_string_equal(fake_transport_request(&fx->ft, i)->url, want);
  }
}

static void test_imds_pod_identity_host_override(void **state) {
  fixture *fx = *state;
  fx->pod_host = "http://10.1.2.3:2579/";
  create(fx, NULL);
  push_imds_token(fx, "pod");
  msikv_token tok;
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_string_equal(fake_transport_request(&fx->ft, 0)->url,
                      "http://10.1.2.3:2579/metadata/identity/oauth2/token"
                      "?api-version=2018-02-01&resource=https%3A%2F%2Fvault."
                      "azure.net");
}

static void test_imds_retries_404_429_5xx_with_backoff(void **state) {
  fixture *fx = *state;
  create(fx, NULL);
  fake_transport_push(&fx->ft, 404, NULL, "");
  fake_transport_push(&fx->ft, 500, NULL, "");
  fake_transport_push(&fx->ft, 429, "Retry-After: 7\n", "");
  fake_transport_push(&fx->ft, 503, NULL, "");
  push_imds_token(fx, "finally");
  msikv_token tok;
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "finally");
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 5);
  assert_int_equal(fx->fc.sleep_count, 4);
  /* 1 s, 2 s, Retry-After 7 s, 8 s; jitter is [0.8, 1.2). */
  assert_in_range(fx->fc.sleeps[0], 800, 1199);
  assert_in_range(fx->fc.sleeps[1], 1600, 2399);
  assert_int_equal(fx->fc.sleeps[2], 7000);
  assert_in_range(fx->fc.sleeps[3], 6400, 9599);
}

static void test_imds_410_persists_at_least_70s(void **state) {
  fixture *fx = *state;
  create(fx, NULL);
  fake_transport_push(&fx->ft, 410, NULL, "");
  fx->ft.repeat_last = true;
  msikv_token tok;
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_HTTP);
  assert_non_null(strstr(err.message, "410"));
  assert_non_null(strstr(err.message, "70 s"));
  int64_t total = 0;
  for (size_t i = 0; i < fx->fc.sleep_count; i++)
    total += fx->fc.sleeps[i];
  /* Every try happened on the fake clock: the last one at >= 70 s. */
  assert_true(total >= 70000);
  assert_true(total < 80000);
  assert_true(fake_transport_count(&fx->ft) > 6);
  assert_int_equal(fake_transport_count(&fx->ft), fx->fc.sleep_count + 1);
}

static void test_imds_410_then_ok_succeeds(void **state) {
  fixture *fx = *state;
  create(fx, NULL);
  /* Six 410s: one past the five normal retries, which (jitter included)
   * end before 70 s, so the seventh try is always made. */
  for (int i = 0; i < 6; i++)
    fake_transport_push(&fx->ft, 410, NULL, "");
  push_imds_token(fx, "after-update");
  msikv_token tok;
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "after-update");
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 7);
}

static void test_imds_delay_scale_finishes_fast(void **state) {
  fixture *fx = *state;
  fx->opts.clock = NULL; /* Real time. */
  fx->opts.retry_delay_scale = 0.001;
  create(fx, NULL);
  fake_transport_push(&fx->ft, 410, NULL, "");
  fx->ft.repeat_last = true;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  msikv_token tok;
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_HTTP);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
  assert_true(secs < 2.0);
  assert_true(secs >= 0.05); /* About 70 ms of scaled waiting. */
}

static void test_imds_errors_mapped(void **state) {
  fixture *fx = *state;
  static const char identity_not_found[] =
      "{\"error\":\"invalid_request\",\"error_description\":\"Identity not "
      "found\"}";
  msikv_token tok;
  msikv_error err;
  /* System-assigned: unavailable. */
  create(fx, NULL);
  fake_transport_push(&fx->ft, 400, NULL, identity_not_found);
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "Identity not found"));
  assert_non_null(strstr(err.message, "system-assigned"));
  assert_int_equal(err.http_status, 400);
  assert_string_equal(err.code, "invalid_request");
  /* With an id: failed, naming the parameter sent. */
  msikv_managed_identity_options mi = {NULL, NULL, "/subscriptions/s/id-9"};
  create(fx, &mi);
  fake_transport_push(&fx->ft, 400, NULL, identity_not_found);
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_AUTH);
  assert_non_null(strstr(err.message, "msi_res_id=/subscriptions/s/id-9"));
  assert_non_null(strstr(err.message, "not assigned"));
  /* Docker Desktop. */
  create(fx, NULL);
  fake_transport_push(&fx->ft, 403, NULL,
                      "connecting to 169.254.169.254:80: connecting to "
                      "169.254.169.254:80: dial tcp 169.254.169.254:80: "
                      "connectex: A socket operation was attempted to an "
                      "unreachable network.");
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "unreachable network"));
  assert_int_equal(fake_transport_count(&fx->ft), 3); /* No retries. */
  /* Other 400: failed. */
  fake_transport_push(&fx->ft, 400, NULL,
                      "{\"error\":\"invalid_resource\",\"error_description\":"
                      "\"AADSTS500011: resource not found\\r\\nTrace\"}");
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_AUTH);
  assert_string_equal(err.code, "invalid_resource");
  assert_non_null(strstr(err.message, "AADSTS500011: resource not found"));
  assert_null(strstr(err.message, "Trace"));
  assert_null(tok.token);
}

static void test_imds_502_after_retries_names_proxy(void **state) {
  fixture *fx = *state;
  create(fx, NULL);
  fake_transport_push(&fx->ft, 502, NULL, "Bad Gateway");
  fx->ft.repeat_last = true;
  msikv_token tok;
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_HTTP);
  assert_non_null(strstr(err.message, "proxy"));
  assert_int_equal(fake_transport_count(&fx->ft), 6);
}

static void test_imds_no_response_unavailable(void **state) {
  fixture *fx = *state;
  create(fx, NULL);
  fake_transport_push_error(&fx->ft, MSIKV_ERR_TRANSPORT);
  fx->ft.repeat_last = true;
  msikv_token tok;
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "no response"));
  assert_non_null(strstr(err.message, "6 attempts"));
  assert_non_null(strstr(err.message, "ManagedIdentityCredential (IMDS)"));
}

int main(void) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_imds_get_token_exact_request),
      T(test_imds_user_assigned_param_names),
      T(test_imds_pod_identity_host_override),
      T(test_imds_retries_404_429_5xx_with_backoff),
      T(test_imds_410_persists_at_least_70s),
      T(test_imds_410_then_ok_succeeds),
      T(test_imds_delay_scale_finishes_fast),
      T(test_imds_errors_mapped),
      T(test_imds_502_after_retries_names_proxy),
      T(test_imds_no_response_unavailable),
  };
  return cmocka_run_group_tests_name("cred_imds", tests, NULL, NULL);
}
