/* SPDX-License-Identifier: MIT */
/* The client-secret credential against Entra ID v2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "identity_internal.h"
#include "msikv/alloc.h"
#include "msikv/identity.h"
#include "oom.h"

#define T0_MS 1700000000000LL
#define T0 (T0_MS / 1000)
#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define CLIENT "11111111-2222-3333-4444-555555555555"
#define SECRET "s3cr&t=v+lue"
#define VAULT_SCOPE "https://vault.azure.net/.default"

typedef struct fixture {
  fake_transport ft;
  fake_clock fc;
  const char *authority_env;
  msikv_identity_options opts;
  msikv_credential *cred;
} fixture;

static const char *env_get(void *ctx, const char *name) {
  fixture *fx = ctx;
  return strcmp(name, "AZURE_AUTHORITY_HOST") == 0 ? fx->authority_env : NULL;
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

static msikv_result create(fixture *fx, msikv_error *err) {
  msikv_cred_free(fx->cred);
  fx->cred = NULL;
  return msikv_cred_client_secret_new(&fx->opts, TENANT, CLIENT, SECRET,
                                      &fx->cred, err);
}

static msikv_result get(fixture *fx, msikv_token *tok, msikv_error *err) {
  memset(tok, 0, sizeof(*tok));
  msikv_error_clear(err);
  return msikv_cred_get_token(fx->cred, VAULT_SCOPE, NULL, tok, err);
}

static void push_ok(fixture *fx) {
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"token_type\":\"Bearer\",\"expires_in\":3599,"
                      "\"ext_expires_in\":3599,\"access_token\":\"aad-tok\"}");
}

static void test_client_secret_get_token_exact_request(void **state) {
  fixture *fx = *state;
  msikv_error err;
  assert_int_equal(create(fx, &err), MSIKV_OK);
  assert_string_equal(msikv_cred_name(fx->cred), "ClientSecretCredential");
  push_ok(fx);
  msikv_token tok;
  assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "aad-tok");
  assert_int_equal(tok.expires_on_s, T0 + 3599);
  msikv_token_clear(&tok);
  const fake_record *rec = fake_transport_request(&fx->ft, 0);
  assert_string_equal(rec->method, "POST");
  assert_string_equal(rec->url, "https://login.microsoftonline.com/" TENANT
                                "/oauth2/v2.0/token");
  assert_string_equal(fake_record_header(rec, "Content-Type"),
                      "application/x-www-form-urlencoded");
  assert_true(rec->has_body);
  assert_string_equal(rec->body,
                      "grant_type=client_credentials&client_id=" CLIENT
                      "&client_secret=s3cr%26t%3Dv%2Blue&scope=https%3A%2F%2F"
                      "vault.azure.net%2F.default");
  assert_false(rec->allow_http);
  assert_false(rec->no_proxy);
  /* Cached, also when a challenge names the tenant. */
  assert_int_equal(
      msikv_cred_get_token(fx->cred, VAULT_SCOPE, TENANT, &tok, &err),
      MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 1);
}

static void test_client_secret_authority_host_honoured(void **state) {
  fixture *fx = *state;
  msikv_error err;
  fx->authority_env = "https://login.microsoftonline.us/";
  assert_int_equal(create(fx, &err), MSIKV_OK);
  push_ok(fx);
  msikv_token tok;
  assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_string_equal(fake_transport_request(&fx->ft, 0)->url,
                      "https://login.microsoftonline.us/" TENANT
                      "/oauth2/v2.0/token");
  /* The option beats the environment. */
  fx->opts.authority_host = "https://login.localhost:8443";
  assert_int_equal(create(fx, &err), MSIKV_OK);
  push_ok(fx);
  assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_string_equal(fake_transport_request(&fx->ft, 1)->url,
                      "https://login.localhost:8443/" TENANT
                      "/oauth2/v2.0/token");
}

static void test_client_secret_insecure_or_bad_config_rejected(void **state) {
  fixture *fx = *state;
  msikv_error err;
  fx->authority_env = "http://login.microsoftonline.com";
  assert_int_equal(create(fx, &err), MSIKV_ERR_INSECURE);
  assert_non_null(strstr(err.message, "https"));
  assert_non_null(strstr(err.message, "AZURE_AUTHORITY_HOST"));
  fx->authority_env = "login.microsoftonline.com";
  assert_int_equal(create(fx, &err), MSIKV_ERR_CONFIG);
  fx->authority_env = "https://login.example?x=1";
  assert_int_equal(create(fx, &err), MSIKV_ERR_CONFIG);
  fx->authority_env = NULL;
  static const char *bad_tenants[] = {"",       "a/b", "x?y",
                                      "../etc", "a b", "t%2F"};
  for (size_t i = 0; i < sizeof(bad_tenants) / sizeof(bad_tenants[0]); i++) {
    assert_int_equal(msikv_cred_client_secret_new(&fx->opts, bad_tenants[i],
                                                  CLIENT, SECRET, &fx->cred,
                                                  &err),
                     MSIKV_ERR_ARG);
    assert_non_null(strstr(err.message, "tenant"));
  }
  assert_int_equal(msikv_cred_client_secret_new(&fx->opts, TENANT, "", SECRET,
                                                &fx->cred, &err),
                   MSIKV_ERR_ARG);
  assert_non_null(strstr(err.message, "AZURE_CLIENT_ID"));
  assert_int_equal(msikv_cred_client_secret_new(&fx->opts, TENANT, CLIENT, "",
                                                &fx->cred, &err),
                   MSIKV_ERR_ARG);
  assert_non_null(strstr(err.message, "AZURE_CLIENT_SECRET"));
  assert_int_equal(msikv_cred_client_secret_new(&fx->opts, TENANT, CLIENT, NULL,
                                                &fx->cred, &err),
                   MSIKV_ERR_ARG);
  assert_null(fx->cred);
  assert_int_equal(fake_transport_count(&fx->ft), 0);
}

static void test_client_secret_aadsts_errors_hinted(void **state) {
  fixture *fx = *state;
  msikv_error err;
  assert_int_equal(create(fx, &err), MSIKV_OK);
  static const struct {
    int status;
    const char *error;
    const char *code;
    const char *first_line;
    const char *hint;
  } cases[] = {
      {401, "invalid_client", "AADSTS7000215",
       "AADSTS7000215: Invalid client secret provided.", "secret is wrong"},
      {401, "invalid_client", "AADSTS7000222",
       "AADSTS7000222: The provided client secret keys are expired.",
       "expired"},
      {400, "unauthorized_client", "AADSTS700016",
       "AADSTS700016: Application with identifier 'x' was not found.",
       "no application"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"error\":\"%s\",\"error_description\":\"%s Ensure the secret "
             "is right.\\r\\nTrace ID: abc\\r\\nCorrelation ID: def\\r\\n"
             "Timestamp: 2024-01-01\",\"error_codes\":[%s],\"timestamp\":"
             "\"t\",\"trace_id\":\"abc\",\"correlation_id\":\"def\","
             "\"error_uri\":\"https://login.microsoftonline.com/error\"}",
             cases[i].error, cases[i].first_line, cases[i].code + 6);
    fake_transport_push(&fx->ft, cases[i].status, NULL, body);
    msikv_token tok;
    assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_AUTH);
    assert_int_equal(err.http_status, cases[i].status);
    assert_string_equal(err.code, cases[i].error);
    assert_string_equal(err.inner_code, cases[i].code);
    if (!strstr(err.message, cases[i].first_line) ||
        !strstr(err.message, cases[i].hint))
      fail_msg("case %zu: %s", i, err.message);
    assert_null(strstr(err.message, "Trace ID"));
    assert_null(strstr(err.message, SECRET));
    assert_non_null(strstr(err.message, "ClientSecretCredential"));
    assert_non_null(strstr(err.message, TENANT));
    assert_non_null(strstr(err.message, CLIENT));
  }
  /* No description: the code from error_codes still gives the hint. */
  fake_transport_push(&fx->ft, 401, NULL,
                      "{\"error\":\"invalid_client\",\"error_codes\":"
                      "[7000222]}");
  msikv_token tok;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_AUTH);
  assert_string_equal(err.inner_code, "AADSTS7000222");
  assert_non_null(strstr(err.message, "expired"));
  /* Not JSON at all. */
  fake_transport_push(&fx->ft, 403, NULL, "<html>denied</html>");
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_AUTH);
  assert_non_null(strstr(err.message, "HTTP 403"));
}

static void test_client_secret_5xx_retried_then_ok(void **state) {
  fixture *fx = *state;
  msikv_error err;
  assert_int_equal(create(fx, &err), MSIKV_OK);
  fake_transport_push(&fx->ft, 503, NULL, "");
  fake_transport_push(&fx->ft, 429, "Retry-After: 3\n", "");
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"token_type\":\"Bearer\",\"expires_in\":\"3599\","
                      "\"refresh_in\":\"1800\",\"access_token\":\"late\"}");
  msikv_token tok;
  assert_int_equal(get(fx, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "late");
  /* expires_in counts from when the (first) request was sent. */
  assert_int_equal(tok.expires_on_s, T0 + 3599);
  assert_int_equal(tok.refresh_on_s, T0 + 1800);
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 3);
  assert_int_equal(fx->fc.sleeps[1], 3000);
  /* 5xx for good. */
  fake_clock_set(&fx->fc, T0_MS + 3600 * 1000LL);
  fake_transport_push(&fx->ft, 500, NULL, "{\"error\":\"server_error\"}");
  fx->ft.repeat_last = true;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_HTTP);
  assert_string_equal(err.code, "server_error");
}

static void test_aad_map_error_throttled(void **state) {
  (void)state;
  msikv_error err;
  msikv_error_clear(&err);
  static const char body[] = "{\"error\":\"temporarily_unavailable\"}";
  assert_int_equal(msikv__aad_map_error(429, body, strlen(body), &err),
                   MSIKV_ERR_THROTTLED);
  assert_string_equal(err.code, "temporarily_unavailable");
  assert_int_equal(msikv__aad_map_error(400, NULL, 0, &err), MSIKV_ERR_AUTH);
  assert_int_equal(msikv__aad_map_error(400, NULL, 0, NULL), MSIKV_ERR_AUTH);
}

static void test_aad_build_request_pure_exact(void **state) {
  (void)state;
  msikv__id_request r;
  msikv__id_request_init(&r);
  msikv_error err;
  assert_int_equal(msikv__aad_build_request(
                       "https://login.microsoftonline.com", "contoso.com",
                       "cid", "p w", "https://a/.default https://b/.default",
                       &r, &err),
                   MSIKV_OK);
  assert_string_equal(r.req.method, "POST");
  assert_string_equal(r.req.url, "https://login.microsoftonline.com/"
                                 "contoso.com/oauth2/v2.0/token");
  assert_string_equal(r.req.body,
                      "grant_type=client_credentials&client_id=cid&client_"
                      "secret=p%20w&scope=https%3A%2F%2Fa%2F.default%20"
                      "https%3A%2F%2Fb%2F.default");
  assert_int_equal(r.req.body_len, strlen(r.req.body));
  assert_true(r.body.secret);
  assert_false(r.req.allow_http);
  assert_string_equal(msikv_http_request_header(&r.req, "Accept"),
                      "application/json");
  msikv__id_request_free(&r);
  msikv__id_request_init(&r);
  assert_int_equal(msikv__aad_build_request("https://x", "a/b", "c", "s",
                                            "sc", &r, &err),
                   MSIKV_ERR_ARG);
  assert_int_equal(msikv__aad_build_request("https://x", "t", "c", "", "sc",
                                            &r, &err),
                   MSIKV_ERR_ARG);
  msikv__id_request_free(&r);
  char *norm = NULL;
  assert_int_equal(msikv__authority_normalize("https://login.x.us//", &norm,
                                              &err),
                   MSIKV_OK);
  assert_string_equal(norm, "https://login.x.us");
  msikv_free(norm);
}

static msikv_result oom_run(void *ctx) {
  fixture *fx = ctx;
  msikv_credential *cred = NULL;
  msikv_result rc = msikv_cred_client_secret_new(&fx->opts, TENANT, CLIENT,
                                                 SECRET, &cred, NULL);
  if (rc)
    return rc;
  msikv_token tok = {NULL, 0, 0};
  rc = msikv_cred_get_token(cred, VAULT_SCOPE, NULL, &tok, NULL);
  msikv_token_clear(&tok);
  msikv_cred_free(cred);
  return rc;
}

static void test_client_secret_oom_sweep_no_leak(void **state) {
  fixture *fx = *state;
  fx->ft.repeat_last = true;
  push_ok(fx);
  assert_true(oom_sweep(oom_run, fx, true) > 10);
}

int main(void) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_client_secret_get_token_exact_request),
      T(test_client_secret_authority_host_honoured),
      T(test_client_secret_insecure_or_bad_config_rejected),
      T(test_client_secret_aadsts_errors_hinted),
      T(test_client_secret_5xx_retried_then_ok),
      T(test_aad_map_error_throttled),
      T(test_aad_build_request_pure_exact),
      T(test_client_secret_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("cred_client_secret", tests, NULL, NULL);
}
