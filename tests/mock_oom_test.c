/* SPDX-License-Identifier: MIT */
/* Allocation-failure sweeps over the mock platform: every allocation fails in
 * turn; nothing may crash or leak, and a handler answers an error status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mockserver/app.h"
#include "mockserver/entra.h"
#include "mockserver/faults.h"
#include "mockserver/jwt.h"
#include "mockserver/msi.h"
#include "mockserver/reqlog.h"
#include "msikv/alloc.h"
#include "oom.h"

#define NOW_MS 1800000000000LL
#define HEADER "0123456789abcdef0123456789abcdef"

static mock_jwt_key *key;
static mock_principals principals;

static int setup(void **state) {
  (void)state;
  if (msikv_global_init())
    return -1;
  mock_principals_default(&principals);
  return mock_jwt_key_load_or_create("tests/testdata/mock_signing_key.pem",
                                     &key, NULL)
             ? -1
             : 0;
}

static int teardown(void **state) {
  (void)state;
  mock_jwt_key_free(key);
  return 0;
}

static msikv_result jwt_roundtrip(void *ctx) {
  (void)ctx;
  msikv_buf tok;
  msikv_buf_init_secret(&tok, 1 << 16);
  mock_jwt_verifier *v = NULL;
  msikv_result rc = mock_jwt_mint(key, principals.tenant_id,
                                  &principals.items[0], "https://a", 1000, 60,
                                  &tok);
  if (!rc)
    rc = mock_jwt_verifier_new(key, "https://a", principals.tenant_id, &v);
  if (!rc) {
    mock_claims c;
    /* Twice: the second answer comes from the signature cache. */
    for (int i = 0; i < 2 && !rc; i++)
      if (mock_jwt_verify(v, tok.data, 1001, &c) != MOCK_TOKEN_OK)
        rc = MSIKV_ERR_NOMEM;
  }
  mock_jwt_verifier_free(v);
  msikv_buf_free(&tok);
  return rc;
}

static void test_oom_jwt_mint_and_verify_no_leak(void **state) {
  (void)state;
  assert_true(oom_sweep(jwt_roundtrip, NULL, false) > 10);
}

typedef struct handler_case {
  void (*msi)(const mock_msi_config *, const mock_request *, mock_response *);
  const char *method, *path, *query, *hname, *hvalue, *body;
  int want;
} handler_case;

static mock_request make_req(const handler_case *hc) {
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = hc->msi ? MOCK_LISTENER_MSI : MOCK_LISTENER_TLS;
  req.method = hc->method;
  req.host = "login.localhost:8443";
  req.path = hc->path;
  req.query = hc->query;
  req.body = hc->body ? hc->body : "";
  req.body_len = strlen(req.body);
  req.now_ms = NOW_MS;
  if (hc->hname) {
    req.headers[0].name = hc->hname;
    req.headers[0].value = hc->hvalue;
    req.header_count = 1;
  }
  return req;
}

static msikv_result run_handler(void *ctx) {
  const handler_case *hc = ctx;
  mock_request req = make_req(hc);
  mock_response resp;
  mock_response_init(&resp);
  if (hc->msi) {
    mock_msi_config cfg = {.principals = &principals,
                           .key = key,
                           .identity_header = HEADER,
                           .msi_secret = HEADER,
                           .token_lifetime_s = 3600,
                           .legacy_format = MOCK_EXPIRES_DOCS};
    hc->msi(&cfg, &req, &resp);
  } else {
    mock_entra_config cfg = {.principals = &principals,
                             .key = key,
                             .authority = "https://login.localhost:8443",
                             .token_lifetime_s = 3600};
    mock_entra_handle(&cfg, &req, &resp);
  }
  int status = resp.status;
  mock_response_free(&resp);
  return status == hc->want ? MSIKV_OK : MSIKV_ERR_NOMEM;
}

static void test_oom_handlers_answer_or_fail_cleanly(void **state) {
  (void)state;
  const handler_case cases[] = {
      {mock_msi_handle, "GET", "/msi/token",
       "api-version=2019-08-01&resource=r&client_id=" MOCK_USER_MI_CLIENT_ID,
       "X-IDENTITY-HEADER", HEADER, NULL, 200},
      {mock_msi_handle, "GET", "/msi/token", "api-version=2017-09-01&resource=r",
       "secret", HEADER, NULL, 200},
      {mock_msi_handle, "GET", "/msi/token", "api-version=2019-08-01&resource=r",
       NULL, NULL, NULL, 401},
      {mock_imds_handle, "GET", "/metadata/identity/oauth2/token",
       "api-version=2018-02-01&resource=r", "Metadata", "true", NULL, 200},
      {mock_imds_handle, "GET", "/metadata/identity/oauth2/token",
       "api-version=2018-02-01&resource=r&client_id=x", "Metadata", "true",
       NULL, 400},
      {NULL, "POST", "/" MOCK_DEFAULT_TENANT "/oauth2/v2.0/token", "", NULL,
       NULL,
       "grant_type=client_credentials&client_id=" MOCK_SP_CLIENT_ID
       "&client_secret=" MOCK_SP_SECRET "&scope=https%3A%2F%2Fa%2F.default",
       200},
      {NULL, "POST", "/" MOCK_DEFAULT_TENANT "/oauth2/v2.0/token", "", NULL,
       NULL,
       "grant_type=client_credentials&client_id=" MOCK_SP_CLIENT_ID
       "&client_secret=no&scope=https%3A%2F%2Fa%2F.default",
       401},
      {NULL, "GET",
       "/" MOCK_DEFAULT_TENANT "/v2.0/.well-known/openid-configuration", "",
       NULL, NULL, NULL, 200},
      {NULL, "GET", "/" MOCK_DEFAULT_TENANT "/discovery/v2.0/keys", "", NULL,
       NULL, NULL, 200},
      {NULL, "GET", "/common/discovery/instance", "", NULL, NULL, NULL, 200},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_true(oom_sweep(run_handler, (void *)(uintptr_t)&cases[i], false) >
                0);
  }
}

static msikv_result reqlog_and_faults(void *ctx) {
  (void)ctx;
  mock_reqlog *log = NULL;
  mock_faults *faults = NULL;
  msikv_result rc = mock_reqlog_new(4, &log);
  if (!rc)
    rc = mock_faults_new(&faults);
  if (rc)
    goto out;
  handler_case hc = {NULL, "GET", "/x", "client_secret=s", "Authorization",
                     "Bearer t", NULL, 200};
  mock_request req = make_req(&hc);
  for (int i = 0; i < 6; i++)
    mock_reqlog_add(log, &req, "kv", 200, i % 2 ? "reset" : NULL);
  cJSON *j = mock_reqlog_to_json(log, 0);
  if (!j)
    rc = MSIKV_ERR_NOMEM;
  cJSON_Delete(j);
  mock_fault f, got;
  if (!rc)
    rc = mock_fault_parse_spec("kind=oversized,size=5000,count=1", &f, NULL);
  if (!rc)
    rc = mock_faults_add(faults, &f, NULL);
  if (!rc && mock_faults_take(faults, "kv", "GET", "/", 0.0, &got)) {
    mock_response resp;
    mock_response_init(&resp);
    mock_fault_apply_after(&got, &resp);
    mock_response_free(&resp);
  }
  cJSON *fj = rc ? NULL : mock_faults_to_json(faults);
  if (!rc && !fj)
    rc = MSIKV_ERR_NOMEM;
  cJSON_Delete(fj);
out:
  mock_faults_free(faults);
  mock_reqlog_free(log);
  return rc;
}

static void test_oom_reqlog_and_faults_no_leak(void **state) {
  (void)state;
  assert_true(oom_sweep(reqlog_and_faults, NULL, true) > 5);
}

static msikv_result whole_app(void *ctx) {
  (void)ctx;
  mock_app_config cfg = {.dns_suffix = "vault.localhost",
                         .tls_port = 8443,
                         .msi_port = 1,
                         .admin_port = 2,
                         .key = key,
                         .reqlog_capacity = 8};
  mock_app *app = NULL;
  msikv_result rc = mock_app_new(&cfg, &app, NULL);
  if (rc)
    return rc;
  handler_case hc = {NULL, "GET", "/admin/config", "", NULL, NULL, NULL, 200};
  mock_request req = make_req(&hc);
  req.listener = MOCK_LISTENER_ADMIN;
  mock_response resp;
  mock_response_init(&resp);
  mock_app_handle(app, &req, &resp);
  if (resp.status != 200)
    rc = MSIKV_ERR_NOMEM;
  mock_response_free(&resp);
  mock_app_free(app);
  return rc;
}

static void test_oom_app_new_and_admin_no_leak(void **state) {
  (void)state;
  assert_true(oom_sweep(whole_app, NULL, true) > 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oom_jwt_mint_and_verify_no_leak),
      cmocka_unit_test(test_oom_handlers_answer_or_fail_cleanly),
      cmocka_unit_test(test_oom_reqlog_and_faults_no_leak),
      cmocka_unit_test(test_oom_app_new_and_admin_no_leak),
  };
  return cmocka_run_group_tests_name("mock_oom", tests, setup, teardown);
}
