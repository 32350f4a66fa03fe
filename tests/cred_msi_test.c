/* SPDX-License-Identifier: MIT */
/* Managed identity: App Service 2019-08-01, the 2017-09-01 protocol, and
 * picking the source from the environment. */
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
#define ENDPOINT "http://127.0.0.1:41234/msi/token"
#define HEADER_SECRET "hdr-Secret-value-42"
#define VAULT_SCOPE "https://vault.azure.net/.default"
#define VAULT_RES_ENC "https%3A%2F%2Fvault.azure.net"

typedef struct env {
  const char *names[16];
  const char *values[16];
  int n;
} env;

static const char *env_get(void *ctx, const char *name) {
  env *e = ctx;
  for (int i = 0; i < e->n; i++) {
    if (strcmp(e->names[i], name) == 0)
      return e->values[i];
  }
  return NULL;
}

static void env_set(env *e, const char *name, const char *value) {
  e->names[e->n] = name;
  e->values[e->n] = value;
  e->n++;
}

typedef struct fixture {
  fake_transport ft;
  fake_clock fc;
  env env;
  msikv_identity_options opts;
  msikv_credential *cred;
} fixture;

static int setup(void **state) {
  fixture *fx = test_calloc(1, sizeof(*fx));
  fake_transport_init(&fx->ft);
  fake_clock_init(&fx->fc, T0_MS);
  fx->opts = msikv_identity_options_default();
  fx->opts.transport = &fx->ft.transport;
  fx->opts.clock = &fx->fc.clock;
  fx->opts.getenv_fn = env_get;
  fx->opts.getenv_ctx = &fx->env;
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

static void app_service_env(fixture *fx) {
  env_set(&fx->env, "IDENTITY_ENDPOINT", ENDPOINT);
  env_set(&fx->env, "IDENTITY_HEADER", HEADER_SECRET);
}

static void legacy_env(fixture *fx) {
  env_set(&fx->env, "MSI_ENDPOINT", "http://127.0.0.1:8081/msi/token/");
  env_set(&fx->env, "MSI_SECRET", HEADER_SECRET);
}

static void push_token(fixture *fx, const char *token, int64_t expires_on) {
  char body[512];
  snprintf(body, sizeof(body),
           "{\"access_token\":\"%s\",\"expires_on\":\"%lld\",\"resource\":"
           "\"https://vault.azure.net\",\"token_type\":\"Bearer\","
           "\"client_id\":\"5E29463D\"}",
           token, (long long)expires_on);
  fake_transport_push(&fx->ft, 200, NULL, body);
}

static msikv_result get(fixture *fx, const char *scope, msikv_token *tok,
                        msikv_error *err) {
  memset(tok, 0, sizeof(*tok));
  msikv_error_clear(err);
  return msikv_cred_get_token(fx->cred, scope, NULL, tok, err);
}

static void assert_no_secret(const msikv_error *err) {
  assert_null(strstr(err->message, HEADER_SECRET));
  assert_null(strstr(err->code, HEADER_SECRET));
}

static void test_app_service_get_token_exact_request(void **state) {
  fixture *fx = *state;
  app_service_env(fx);
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_OK);
  assert_string_equal(msikv_cred_name(fx->cred),
                      "ManagedIdentityCredential (App Service)");
  push_token(fx, "tok-app", T0 + 3600);
  msikv_token tok;
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "tok-app");
  assert_int_equal(tok.expires_on_s, T0 + 3600);
  assert_int_equal(tok.refresh_on_s, 0);
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 1);
  const fake_record *rec = fake_transport_request(&fx->ft, 0);
  assert_string_equal(rec->method, "GET");
  assert_string_equal(rec->url, ENDPOINT
                      "?api-version=2019-08-01&resource=" VAULT_RES_ENC);
  assert_string_equal(fake_record_header(rec, "X-IDENTITY-HEADER"),
                      HEADER_SECRET);
  assert_null(fake_record_header(rec, "secret"));
  assert_null(fake_record_header(rec, "Metadata"));
  assert_string_equal(fake_record_header(rec, "Accept"), "application/json");
  assert_false(rec->has_body);
  assert_true(rec->no_proxy);
  assert_true(rec->allow_http);
  /* Cached: the same scope, or the bare resource, sends nothing. */
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(get(fx, "https://vault.azure.net", &tok, &err), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 1);
}

static void check_user_assigned(fixture *fx,
                                const msikv_managed_identity_options *mi,
                                const char *want_url) {
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, mi, &fx->cred, &err),
      MSIKV_OK);
  msikv_token tok;
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  msikv_token_clear(&tok);
  size_t n = fake_transport_count(&fx->ft);
  assert_string_equal(fake_transport_request(&fx->ft, n - 1)->url, want_url);
  msikv_cred_free(fx->cred);
  fx->cred = NULL;
}

static void test_app_service_user_assigned_param_names(void **state) {
  fixture *fx = *state;
  app_service_env(fx);
  fx->ft.repeat_last = true;
  push_token(fx, "t", T0 + 3600);
  msikv_managed_identity_options mi = {"cid-1", NULL, NULL};
  check_user_assigned(fx, &mi,
                      ENDPOINT "?api-version=2019-08-01&resource=" VAULT_RES_ENC
                               "&client_id=cid-1");
  mi = (msikv_managed_identity_options){NULL, "oid-1", NULL};
  check_user_assigned(fx, &mi,
                      ENDPOINT "?api-version=2019-08-01&resource=" VAULT_RES_ENC
                               "&principal_id=oid-1");
  mi = (msikv_managed_identity_options){
      NULL, NULL, "/subscriptions/s/resourcegroups/g/providers/x/id1"};
  check_user_assigned(fx, &mi,
                      ENDPOINT
                      "?api-version=2019-08-01&resource=" VAULT_RES_ENC
                      "&mi_res_id=%2Fsubscriptions%2Fs%2Fresourcegroups%2Fg%2F"
                      "providers%2Fx%2Fid1");
}

static void test_legacy_get_token_exact_request_and_date(void **state) {
  fixture *fx = *state;
  legacy_env(fx);
  fake_clock_set(&fx->fc, 1579150000000LL);
  msikv_managed_identity_options mi = {"cid-9", NULL, NULL};
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, &mi, &fx->cred, &err),
      MSIKV_OK);
  assert_string_equal(msikv_cred_name(fx->cred),
                      "ManagedIdentityCredential (App Service 2017)");
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"access_token\":\"tok-legacy\",\"expires_on\":"
                      "\"1/16/2020 5:24:12 AM +00:00\",\"resource\":\"r\","
                      "\"token_type\":\"Bearer\"}");
  msikv_token tok;
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "tok-legacy");
  assert_int_equal(tok.expires_on_s, 1579152252);
  msikv_token_clear(&tok);
  const fake_record *rec = fake_transport_request(&fx->ft, 0);
  assert_string_equal(rec->method, "GET");
  assert_string_equal(rec->url,
                      "http://127.0.0.1:8081/msi/token/?resource=" VAULT_RES_ENC
                      "&api-version=2017-09-01&clientid=cid-9");
  assert_string_equal(fake_record_header(rec, "secret"), HEADER_SECRET);
  assert_null(fake_record_header(rec, "X-IDENTITY-HEADER"));
  assert_true(rec->no_proxy);
}

static void test_legacy_non_client_id_unsupported(void **state) {
  fixture *fx = *state;
  legacy_env(fx);
  msikv_managed_identity_options mi = {NULL, "oid", NULL};
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, &mi, &fx->cred, &err),
      MSIKV_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "clientid"));
  assert_non_null(strstr(err.message, "object_id"));
  mi = (msikv_managed_identity_options){NULL, NULL, "/sub/x"};
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, &mi, &fx->cred, &err),
      MSIKV_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "resource_id"));
  assert_null(fx->cred);
}

static void test_detect_source_unsupported_and_unavailable(void **state) {
  fixture *fx = *state;
  msikv_error err;
  /* Service Fabric. */
  app_service_env(fx);
  env_set(&fx->env, "IDENTITY_SERVER_THUMBPRINT", "ABCDEF");
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "Service Fabric"));
  assert_no_secret(&err);
  /* Azure Arc. */
  fx->env.n = 0;
  env_set(&fx->env, "IDENTITY_ENDPOINT", "http://localhost:40342/x");
  env_set(&fx->env, "IMDS_ENDPOINT", "http://localhost:40342");
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "Azure Arc"));
  /* Cloud Shell. */
  fx->env.n = 0;
  env_set(&fx->env, "MSI_ENDPOINT", "http://localhost:50342/oauth2/token");
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "Cloud Shell"));
  /* App Service without an identity. */
  fx->env.n = 0;
  env_set(&fx->env, "APPSETTING_WEBSITE_SITE_NAME", "demo");
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "not enabled"));
  assert_non_null(strstr(err.message, "IDENTITY_ENDPOINT"));
  assert_non_null(strstr(err.message, "restart"));
  /* IDENTITY_ENDPOINT without its header. */
  fx->env.n = 0;
  env_set(&fx->env, "IDENTITY_ENDPOINT", ENDPOINT);
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "IDENTITY_HEADER"));
  assert_null(fx->cred);
  assert_int_equal(fake_transport_count(&fx->ft), 0);
}

static void test_create_bad_options_rejected(void **state) {
  fixture *fx = *state;
  msikv_error err;
  /* Plain http to a remote host. */
  env_set(&fx->env, "IDENTITY_ENDPOINT", "http://example.com/msi/token");
  env_set(&fx->env, "IDENTITY_HEADER", HEADER_SECRET);
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_ERR_INSECURE);
  assert_non_null(strstr(err.message, "example.com"));
  fx->env.values[0] = "not a url";
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_ERR_CONFIG);
  fx->env.values[0] = ENDPOINT;
  msikv_managed_identity_options two = {"a", "b", NULL};
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, &two, &fx->cred, &err),
      MSIKV_ERR_ARG);
  assert_non_null(strstr(err.message, "at most one"));
  msikv_identity_options no_transport = fx->opts;
  no_transport.transport = NULL;
  assert_int_equal(
      msikv_cred_managed_identity_new(&no_transport, NULL, &fx->cred, &err),
      MSIKV_ERR_ARG);
  assert_null(fx->cred);
}

static void test_get_token_several_scopes_rejected(void **state) {
  fixture *fx = *state;
  app_service_env(fx);
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_OK);
  msikv_token tok;
  assert_int_equal(get(fx, "https://a/.default https://b/.default", &tok, &err),
                   MSIKV_ERR_ARG);
  assert_non_null(strstr(err.message, "exactly one scope"));
  assert_non_null(strstr(err.message, "ManagedIdentityCredential"));
  assert_int_equal(fake_transport_count(&fx->ft), 0);
}

typedef struct mapping {
  int status;
  const char *body;
  msikv_result rc;
  const char *needle1;
  const char *needle2;
} mapping;

static void test_app_service_errors_mapped(void **state) {
  fixture *fx = *state;
  app_service_env(fx);
  msikv_managed_identity_options mi = {"cid-7", NULL, NULL};
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, &mi, &fx->cred, &err),
      MSIKV_OK);
  static const mapping cases[] = {
      {400,
       "{\"statusCode\":400,\"message\":\"Unable to load requested managed "
       "identity.\",\"correlationId\":\"c-1\"}",
       MSIKV_ERR_AUTH, "client_id=cid-7", "Unable to load requested"},
      {401, "{\"statusCode\":401,\"message\":\"bad header\"}", MSIKV_ERR_AUTH,
       "X-IDENTITY-HEADER", "restart"},
      {403,
       "connecting to 169.254.169.254:80: connectex: A socket operation was "
       "attempted to an unreachable network.",
       MSIKV_ERR_UNAVAILABLE, "unreachable network", "Docker"},
      {400,
       "{\"error\":{\"code\":\"UnsupportedApiVersion\",\"message\":\"The "
       "HTTP resource does not support the API version '2019-08-01'.\"}}",
       MSIKV_ERR_UNSUPPORTED, "2019-08-01", "MSI_ENDPOINT"},
      {404, "{}", MSIKV_ERR_AUTH, "HTTP 404", "client_id=cid-7"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    fake_transport_push(&fx->ft, cases[i].status, NULL, cases[i].body);
    msikv_token tok;
    msikv_result rc = get(fx, VAULT_SCOPE, &tok, &err);
    if (rc != cases[i].rc || !strstr(err.message, cases[i].needle1) ||
        !strstr(err.message, cases[i].needle2))
      fail_msg("case %zu: %s: %s", i, msikv_result_name(rc), err.message);
    assert_int_equal(err.http_status, cases[i].status);
    assert_non_null(strstr(err.message, "ManagedIdentityCredential (App "
                                        "Service)"));
    assert_non_null(strstr(err.message, ENDPOINT));
    assert_no_secret(&err);
    assert_null(tok.token);
  }
  assert_string_equal(err.code, "");
  assert_int_equal(fake_transport_count(&fx->ft), 5);
}

static void test_app_service_unsupported_api_version_falls_back(void **s) {
  fixture *fx = *s;
  app_service_env(fx);
  env_set(&fx->env, "MSI_ENDPOINT", "http://127.0.0.1:8081/msi/token");
  env_set(&fx->env, "MSI_SECRET", "legacy-secret");
  msikv_managed_identity_options mi = {"cid-3", NULL, NULL};
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, &mi, &fx->cred, &err),
      MSIKV_OK);
  fake_transport_push(&fx->ft, 400, NULL,
                      "{\"error\":{\"code\":\"UnsupportedApiVersion\","
                      "\"message\":\"no 2019-08-01 here\"}}");
  push_token(fx, "legacy-1", T0 + 3600);
  push_token(fx, "legacy-2", T0 + 7200);
  msikv_token tok;
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "legacy-1");
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 2);
  const fake_record *rec = fake_transport_request(&fx->ft, 1);
  assert_string_equal(rec->url,
                      "http://127.0.0.1:8081/msi/token?resource=" VAULT_RES_ENC
                      "&api-version=2017-09-01&clientid=cid-3");
  assert_string_equal(fake_record_header(rec, "secret"), "legacy-secret");
  /* The next refresh goes straight to the 2017 endpoint. */
  fake_clock_set(&fx->fc, T0_MS + 3300 * 1000LL);
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "legacy-2");
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 3);
  assert_non_null(strstr(fake_transport_request(&fx->ft, 2)->url,
                         "api-version=2017-09-01"));
}

static void test_app_service_5xx_retried_then_ok(void **state) {
  fixture *fx = *state;
  app_service_env(fx);
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_OK);
  fake_transport_push(&fx->ft, 500, NULL, "{\"statusCode\":500}");
  fake_transport_push(&fx->ft, 503, "Retry-After: 2\n", "");
  push_token(fx, "after-retry", T0 + 3600);
  msikv_token tok;
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "after-retry");
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 3);
  assert_int_equal(fx->fc.sleep_count, 2);
  assert_int_equal(fx->fc.sleeps[1], 2000);
}

static void test_app_service_bad_token_response_parse_error(void **state) {
  fixture *fx = *state;
  app_service_env(fx);
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_OK);
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"access_token\":\"leak-me\",\"expires_on\":\"soon\"}");
  msikv_token tok;
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_ERR_PARSE);
  assert_non_null(strstr(err.message, "expires_on"));
  assert_non_null(strstr(err.message, "system-assigned"));
  assert_null(strstr(err.message, "leak-me"));
  fake_transport_push_error(&fx->ft, MSIKV_ERR_TRANSPORT);
  fx->ft.repeat_last = true;
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_ERR_TRANSPORT);
  assert_non_null(strstr(err.message, "no response"));
}

static void test_app_service_long_token_refreshes_at_half_life(void **state) {
  fixture *fx = *state;
  app_service_env(fx);
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_OK);
  push_token(fx, "day-1", T0 + 86400);
  push_token(fx, "day-2", T0 + 43200 + 86400);
  msikv_token tok;
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  assert_int_equal(tok.refresh_on_s, T0 + 43200);
  msikv_token_clear(&tok);
  fake_clock_set(&fx->fc, T0_MS + 43199 * 1000LL);
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "day-1");
  msikv_token_clear(&tok);
  fake_clock_set(&fx->fc, T0_MS + 43200 * 1000LL);
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  assert_string_equal(tok.token, "day-2");
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 2);
}

static void test_app_service_short_token_no_half_life(void **state) {
  fixture *fx = *state;
  app_service_env(fx);
  msikv_error err;
  assert_int_equal(
      msikv_cred_managed_identity_new(&fx->opts, NULL, &fx->cred, &err),
      MSIKV_OK);
  push_token(fx, "hour", T0 + 7199);
  msikv_token tok;
  assert_int_equal(get(fx, VAULT_SCOPE, &tok, &err), MSIKV_OK);
  assert_int_equal(tok.refresh_on_s, 0);
  msikv_token_clear(&tok);
}

static void test_mi_build_request_pure_exact(void **state) {
  (void)state;
  msikv__id_request r;
  msikv__id_request_init(&r);
  msikv_error err;
  assert_int_equal(
      msikv__mi_build_request(MSIKV__MI_IMDS, "http://169.254.169.254/", NULL,
                              "https://vault.azure.net", MSIKV__MI_ID_OBJECT,
                              "o-1", &r, &err),
      MSIKV_OK);
  assert_string_equal(r.req.url,
                      "http://169.254.169.254/metadata/identity/oauth2/token"
                      "?api-version=2018-02-01&resource=" VAULT_RES_ENC
                      "&object_id=o-1");
  assert_string_equal(msikv_http_request_header(&r.req, "Metadata"), "true");
  msikv__id_request_free(&r);
  msikv__id_request_init(&r);
  assert_int_equal(msikv__mi_build_request(MSIKV__MI_LEGACY, ENDPOINT, "s", "r",
                                           MSIKV__MI_ID_RESOURCE, "x", &r,
                                           &err),
                   MSIKV_ERR_UNSUPPORTED);
  assert_int_equal(msikv__mi_build_request(MSIKV__MI_APP_SERVICE, ENDPOINT,
                                           NULL, "r", MSIKV__MI_ID_NONE, NULL,
                                           &r, &err),
                   MSIKV_ERR_ARG);
  msikv__id_request_free(&r);
  assert_string_equal(
      msikv__mi_id_param(MSIKV__MI_APP_SERVICE, MSIKV__MI_ID_RESOURCE),
      "mi_res_id");
  assert_string_equal(msikv__mi_id_param(MSIKV__MI_IMDS, MSIKV__MI_ID_RESOURCE),
                      "msi_res_id");
  assert_string_equal(msikv__mi_id_param(MSIKV__MI_LEGACY, MSIKV__MI_ID_CLIENT),
                      "clientid");
  assert_null(msikv__mi_id_param(MSIKV__MI_LEGACY, MSIKV__MI_ID_OBJECT));
}

static msikv_result oom_run(void *ctx) {
  fixture *fx = ctx;
  msikv_credential *cred = NULL;
  msikv_managed_identity_options mi = {"cid", NULL, NULL};
  msikv_result rc =
      msikv_cred_managed_identity_new(&fx->opts, &mi, &cred, NULL);
  if (rc)
    return rc;
  msikv_token tok = {NULL, 0, 0};
  rc = msikv_cred_get_token(cred, VAULT_SCOPE, NULL, &tok, NULL);
  msikv_token_clear(&tok);
  msikv_cred_free(cred);
  return rc;
}

static void test_app_service_oom_sweep_no_leak(void **state) {
  fixture *fx = *state;
  app_service_env(fx);
  fx->ft.repeat_last = true;
  push_token(fx, "oom", T0 + 3600);
  /* cJSON reports OOM as a parse error; leaks are what is checked. */
  assert_true(oom_sweep(oom_run, fx, true) > 10);
}

int main(void) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_app_service_get_token_exact_request),
      T(test_app_service_user_assigned_param_names),
      T(test_legacy_get_token_exact_request_and_date),
      T(test_legacy_non_client_id_unsupported),
      T(test_detect_source_unsupported_and_unavailable),
      T(test_create_bad_options_rejected),
      T(test_get_token_several_scopes_rejected),
      T(test_app_service_errors_mapped),
      T(test_app_service_unsupported_api_version_falls_back),
      T(test_app_service_5xx_retried_then_ok),
      T(test_app_service_bad_token_response_parse_error),
      T(test_app_service_long_token_refreshes_at_half_life),
      T(test_app_service_short_token_no_half_life),
      T(test_mi_build_request_pure_exact),
      T(test_app_service_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("cred_msi", tests, NULL, NULL);
}
