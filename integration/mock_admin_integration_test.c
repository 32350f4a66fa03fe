/* SPDX-License-Identifier: MIT */
/* The admin API against the real mockserver: every fault kind, faults set
 * by flags, the request log (with redaction), and the printed profiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"
#include "it_target.h"

#define SP_CLIENT "bbbbbbbb-0000-4000-8000-000000000001"
#define SP_SECRET "msikv-mock-sp-secret"

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

static int reset(void **state) {
  (void)state;
  return it_admin_reset(&mock) == 204 ? 0 : -1;
}

static void get_secret(const char *token, it_http *r) {
  char url[1024], auth[8192];
  snprintf(url, sizeof(url), "%s/secrets/secret?api-version=7.4", mock.kv_url);
  snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
  const char *h[] = {auth, NULL};
  it_http_do(&mock, "GET", url, h, NULL, r);
}

static void test_fault_status_with_retry_after_then_recovers(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"kind\":\"status\","
                                    "\"status\":429,\"retry_after\":3,"
                                    "\"count\":2}") > 0);
  it_http r;
  for (int i = 0; i < 2; i++) {
    get_secret(tok, &r);
    assert_int_equal(r.curl_code, 0);
    assert_int_equal(r.status, 429);
    char *ra = it_http_header(&r, "Retry-After");
    assert_non_null(ra);
    assert_string_equal(ra, "3");
    free(ra);
    it_http_free(&r);
  }
  get_secret(tok, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  free(tok);
}

static void test_fault_status_without_retry_after(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"status\":503,"
                                    "\"count\":1}") > 0);
  it_http r;
  get_secret(tok, &r);
  assert_int_equal(r.status, 503);
  assert_null(it_http_header(&r, "Retry-After"));
  assert_non_null(strstr(r.body, "ServiceUnavailable"));
  it_http_free(&r);
  free(tok);
}

static void test_fault_on_msi_route(void **state) {
  (void)state;
  assert_true(it_admin_fault(&mock, "{\"route\":\"msi\",\"status\":500,"
                                    "\"count\":1}") > 0);
  assert_null(it_token_appservice(&mock, NULL));
  char *tok = it_token_appservice(&mock, NULL);
  assert_non_null(tok);
  free(tok);
}

static void test_fault_delay_waits(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"kind\":\"delay\","
                                    "\"delay_ms\":400,\"count\":1}") > 0);
  it_http r;
  get_secret(tok, &r);
  assert_int_equal(r.status, 200);
  assert_true(r.seconds >= 0.39);
  it_http_free(&r);
  free(tok);
}

static void test_fault_reset_drops_connection(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"kind\":\"reset\","
                                    "\"count\":1}") > 0);
  it_http r;
  get_secret(tok, &r);
  assert_int_not_equal(r.curl_code, 0);
  assert_true(r.curl_code == CURLE_RECV_ERROR ||
              r.curl_code == CURLE_GOT_NOTHING ||
              r.curl_code == CURLE_SSL_CONNECT_ERROR ||
              r.curl_code == CURLE_SEND_ERROR);
  it_http_free(&r);
  get_secret(tok, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  free(tok);
}

static void test_fault_malformed_body_is_not_json(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"kind\":\"malformed\","
                                    "\"count\":1}") > 0);
  it_http r;
  get_secret(tok, &r);
  assert_int_equal(r.curl_code, 0);
  assert_int_equal(r.status, 200);
  cJSON *j = it_http_json(&r);
  assert_null(j);
  it_http_free(&r);
  free(tok);
}

static void test_fault_truncated_body_partial(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"kind\":\"truncated\","
                                    "\"count\":1}") > 0);
  it_http r;
  get_secret(tok, &r);
  assert_int_equal(r.curl_code, CURLE_PARTIAL_FILE);
  it_http_free(&r);
  free(tok);
}

static void test_fault_oversized_body(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"kind\":\"oversized\","
                                    "\"size\":3000000,\"count\":1}") > 0);
  it_http r;
  get_secret(tok, &r);
  assert_int_equal(r.curl_code, 0);
  assert_int_equal(r.status, 200);
  assert_true(r.body_len >= 3000000);
  cJSON *j = it_http_json(&r);
  assert_non_null(j); /* valid JSON, just huge */
  cJSON_Delete(j);
  it_http_free(&r);
  free(tok);
}

static void test_fault_probability_zero_never_fires(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"status\":500,"
                                    "\"probability\":0}") > 0);
  it_http r;
  for (int i = 0; i < 5; i++) {
    get_secret(tok, &r);
    assert_int_equal(r.status, 200);
    it_http_free(&r);
  }
  cJSON *faults = NULL;
  assert_int_equal(it_admin(&mock, "GET", "/admin/faults", NULL, &faults), 200);
  const cJSON *f0 =
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(faults, "faults"), 0);
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(f0, "hits")->valueint, 0);
  cJSON_Delete(faults);
  free(tok);
}

static void test_fault_bad_spec_400(void **state) {
  (void)state;
  cJSON *resp = NULL;
  assert_int_equal(
      it_admin(&mock, "POST", "/admin/faults", "{\"kind\":\"explode\"}", &resp),
      400);
  assert_non_null(
      strstr(cJSON_GetObjectItemCaseSensitive(resp, "error")->valuestring,
             "kind 'explode'"));
  cJSON_Delete(resp);
}

static const cJSON *find_entry(const cJSON *log, const char *route,
                               const char *path_part) {
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(log, "requests")) {
    if (strcmp(cJSON_GetObjectItemCaseSensitive(e, "route")->valuestring,
               route) == 0 &&
        strstr(cJSON_GetObjectItemCaseSensitive(e, "path")->valuestring,
               path_part))
      return e;
  }
  return NULL;
}

static void test_request_log_records_and_redacts(void **state) {
  (void)state;
  char *msi_tok = it_token_appservice(&mock, NULL);
  char *sp_tok = it_token_client_secret(&mock, SP_CLIENT, SP_SECRET, NULL);
  it_http r;
  get_secret(msi_tok, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  cJSON *log = it_admin_requests(&mock, 0);
  assert_non_null(log);
  char *text = cJSON_PrintUnformatted(log);
  /* No token, identity header or client secret anywhere in the log. */
  assert_null(strstr(text, msi_tok));
  assert_null(strstr(text, sp_tok));
  assert_null(strstr(text, mock.identity_header));
  assert_null(strstr(text, SP_SECRET));
  free(text);
  const cJSON *msi = find_entry(log, "msi", "/msi/token");
  assert_non_null(msi);
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(msi, "status")->valueint,
                   200);
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(msi, "headers");
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(h, "x-identity-header")->valuestring,
      "[redacted]");
  assert_non_null(
      strstr(cJSON_GetObjectItemCaseSensitive(msi, "query")->valuestring,
             "api-version=2019-08-01"));
  const cJSON *kv = find_entry(log, "kv", "/secrets/secret");
  assert_non_null(kv);
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(kv, "method")->valuestring, "GET");
  h = cJSON_GetObjectItemCaseSensitive(kv, "headers");
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(h, "authorization")->valuestring,
      "Bearer [redacted]");
  const cJSON *entra = find_entry(log, "entra", "/oauth2/v2.0/token");
  assert_non_null(entra);
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(entra, "method")->valuestring, "POST");
  long long next =
      (long long)cJSON_GetObjectItemCaseSensitive(log, "next")->valuedouble;
  cJSON_Delete(log);
  /* since= returns only newer entries. */
  log = it_admin_requests(&mock, next);
  assert_int_equal(
      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(log, "requests")), 0);
  cJSON_Delete(log);
  free(msi_tok);
  free(sp_tok);
}

static void test_request_log_marks_faults(void **state) {
  (void)state;
  char *tok = it_token_appservice(&mock, NULL);
  assert_true(it_admin_fault(&mock, "{\"route\":\"kv\",\"kind\":\"reset\","
                                    "\"count\":1}") > 0);
  it_http r;
  get_secret(tok, &r);
  it_http_free(&r);
  cJSON *log = it_admin_requests(&mock, 0);
  const cJSON *kv = find_entry(log, "kv", "/secrets/secret");
  assert_non_null(kv);
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(kv, "fault")->valuestring, "reset");
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(kv, "status")->valueint, 0);
  cJSON_Delete(log);
  free(tok);
}

static void test_clock_get_and_shift(void **state) {
  (void)state;
  cJSON *c = NULL;
  assert_int_equal(
      it_admin(&mock, "POST", "/admin/clock", "{\"shift_s\":86400}", &c), 200);
  assert_int_equal(
      (long long)cJSON_GetObjectItemCaseSensitive(c, "shift_ms")->valuedouble,
      86400000LL);
  cJSON_Delete(c);
  assert_int_equal(
      it_admin(&mock, "POST", "/admin/clock", "{\"set_shift_ms\":0}", &c), 200);
  assert_int_equal(
      (long long)cJSON_GetObjectItemCaseSensitive(c, "shift_ms")->valuedouble,
      0);
  cJSON_Delete(c);
}

static void test_flag_fault_and_profile_sp(void **state) {
  (void)state;
  it_mock m2;
  const char *args[] = {"--profile", "sp", "--fault",
                        "route=entra,kind=status,status=503,count=1", NULL};
  assert_int_equal(it_mock_start(&m2, args), 0);
  assert_string_equal(it_mock_var(&m2, "AZURE_CLIENT_ID"), SP_CLIENT);
  assert_string_equal(it_mock_var(&m2, "AZURE_CLIENT_SECRET"), SP_SECRET);
  assert_string_equal(it_mock_var(&m2, "AZURE_TENANT_ID"), m2.tenant_id);
  assert_string_equal(it_mock_var(&m2, "AZURE_AUTHORITY_HOST"), m2.authority);
  assert_string_equal(it_mock_var(&m2, "KEY_VAULT_URL"), m2.kv_url);
  assert_null(it_mock_var(&m2, "IDENTITY_ENDPOINT"));
  assert_null(it_token_client_secret(&m2, SP_CLIENT, SP_SECRET, NULL));
  char *tok = it_token_client_secret(&m2, SP_CLIENT, SP_SECRET, NULL);
  assert_non_null(tok);
  free(tok);
  it_mock_stop(&m2);
}

static void test_profiles_print_their_variables(void **state) {
  (void)state;
  it_mock m2;
  const char *legacy[] = {"--profile", "legacy", NULL};
  assert_int_equal(it_mock_start(&m2, legacy), 0);
  assert_non_null(it_mock_var(&m2, "MSI_ENDPOINT"));
  assert_string_equal(it_mock_var(&m2, "MSI_SECRET"), m2.msi_secret);
  assert_null(it_mock_var(&m2, "IDENTITY_HEADER"));
  assert_non_null(it_mock_var(&m2, "SSL_CERT_FILE"));
  it_mock_stop(&m2);
  const char *imds[] = {"--profile", "imds", NULL};
  assert_int_equal(it_mock_start(&m2, imds), 0);
  assert_string_equal(it_mock_var(&m2, "AZURE_POD_IDENTITY_AUTHORITY_HOST"),
                      m2.imds_host);
  it_mock_stop(&m2);
  /* appservice is the default (the shared mock). */
  assert_string_equal(it_mock_var(&mock, "IDENTITY_ENDPOINT"),
                      mock.identity_endpoint);
  assert_string_equal(it_mock_var(&mock, "IDENTITY_HEADER"),
                      mock.identity_header);
}

static void test_bad_flag_exits_with_message(void **state) {
  (void)state;
  const char *argv[] = {"--profile", "nope", NULL};
  it_proc p;
  assert_int_equal(it_run("mockserver/mockserver", argv, NULL, 5000, &p), 0);
  assert_int_equal(p.exit_code, 2);
  assert_non_null(strstr(p.err, "--profile must be appservice, legacy, imds "
                                "or sp"));
  it_proc_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_fault_status_with_retry_after_then_recovers,
                             reset),
      cmocka_unit_test_setup(test_fault_status_without_retry_after, reset),
      cmocka_unit_test_setup(test_fault_on_msi_route, reset),
      cmocka_unit_test_setup(test_fault_delay_waits, reset),
      cmocka_unit_test_setup(test_fault_reset_drops_connection, reset),
      cmocka_unit_test_setup(test_fault_malformed_body_is_not_json, reset),
      cmocka_unit_test_setup(test_fault_truncated_body_partial, reset),
      cmocka_unit_test_setup(test_fault_oversized_body, reset),
      cmocka_unit_test_setup(test_fault_probability_zero_never_fires, reset),
      cmocka_unit_test_setup(test_fault_bad_spec_400, reset),
      cmocka_unit_test_setup(test_request_log_records_and_redacts, reset),
      cmocka_unit_test_setup(test_request_log_marks_faults, reset),
      cmocka_unit_test_setup(test_clock_get_and_shift, reset),
      cmocka_unit_test(test_flag_fault_and_profile_sp),
      cmocka_unit_test(test_profiles_print_their_variables),
      cmocka_unit_test(test_bad_flag_exits_with_message),
  };
  return IT_RUN_MOCK_ONLY_SUITE("mock_admin_integration", tests, setup,
                                teardown, "tests the mock itself");
}
