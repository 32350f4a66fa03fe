/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "identity_internal.h"
#include "msikv/alloc.h"
#include "oom.h"

#define NOW 1700000000LL

static msikv_result parse(const char *body, int64_t request_s, int64_t now_s,
                          msikv_token *tok, msikv_error *err) {
  msikv_error_clear(err);
  memset(tok, 0, sizeof(*tok));
  return msikv__token_parse(body, strlen(body), request_s, now_s, tok, err);
}

static void test_token_parse_expires_in_number_relative_to_request(void **s) {
  (void)s;
  msikv_token tok;
  msikv_error err;
  assert_int_equal(parse("{\"access_token\":\"abc\",\"expires_in\":3599,"
                         "\"token_type\":\"Bearer\"}",
                         NOW - 5, NOW, &tok, &err),
                   MSIKV_OK);
  assert_string_equal(tok.token, "abc");
  assert_int_equal(tok.expires_on_s, NOW - 5 + 3599);
  assert_int_equal(tok.refresh_on_s, 0);
  msikv_token_clear(&tok);
}

static void test_token_parse_expires_in_string_preferred_over_on(void **s) {
  (void)s;
  msikv_token tok;
  msikv_error err;
  /* IMDS: every number is a string; expires_in wins over expires_on. */
  assert_int_equal(
      parse("{\"access_token\":\"t\",\"refresh_token\":\"\","
            "\"expires_in\":\"3599\",\"expires_on\":\"1700009999\","
            "\"not_before\":\"1699990000\",\"resource\":\"r\","
            "\"token_type\":\"Bearer\"}",
            NOW, NOW, &tok, &err),
      MSIKV_OK);
  assert_int_equal(tok.expires_on_s, NOW + 3599);
  msikv_token_clear(&tok);
}

static void test_token_parse_expires_on_forms_exact(void **s) {
  (void)s;
  static const struct {
    const char *body;
    int64_t now;
    int64_t want;
  } cases[] = {
      {"{\"access_token\":\"t\",\"expires_on\":\"1586984735\"}", 1586980000,
       1586984735},
      {"{\"access_token\":\"t\",\"expires_on\":1586984735}", 1586980000,
       1586984735},
      {"{\"access_token\":\"t\",\"expires_on\":\"09/14/2017 00:00:00 PM "
       "+00:00\"}",
       1505340000, 1505347200},
      {"{\"access_token\":\"t\",\"expires_on\":\"1/16/2020 5:24:12 AM "
       "+00:00\"}",
       1579150000, 1579152252},
      {"{\"access_token\":\"t\",\"expires_on\":\"06/20/2019 02:57:58 "
       "+00:00\"}",
       1560990000, 1560999478},
      {"{\"access_token\":\"t\",\"expires_on\":\"2021-07-02 08:00:34Z\"}",
       1625210000, 1625212834},
      {"{\"access_token\":\"t\",\"expires_in\":\"\",\"expires_on\":"
       "\"1586984735\"}",
       1586980000, 1586984735},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    msikv_token tok;
    msikv_error err;
    assert_int_equal(
        parse(cases[i].body, cases[i].now, cases[i].now, &tok, &err), MSIKV_OK);
    assert_int_equal(tok.expires_on_s, cases[i].want);
    msikv_token_clear(&tok);
  }
}

static void test_token_parse_refresh_in_sets_refresh_on(void **s) {
  (void)s;
  msikv_token tok;
  msikv_error err;
  assert_int_equal(parse("{\"access_token\":\"t\",\"expires_in\":\"86399\","
                         "\"refresh_in\":\"43200\"}",
                         NOW, NOW, &tok, &err),
                   MSIKV_OK);
  assert_int_equal(tok.refresh_on_s, NOW + 43200);
  assert_int_equal(tok.expires_on_s, NOW + 86399);
  msikv_token_clear(&tok);
}

static void test_token_parse_sanity_window_rejects(void **s) {
  (void)s;
  msikv_token tok;
  msikv_error err;
  assert_int_equal(parse("{\"access_token\":\"secret-token\",\"expires_on\":"
                         "\"1600000000\"}",
                         NOW, NOW, &tok, &err),
                   MSIKV_ERR_PARSE);
  assert_non_null(strstr(err.message, "in the past"));
  assert_null(strstr(err.message, "secret-token"));
  assert_null(tok.token);
  assert_int_equal(parse("{\"access_token\":\"t\",\"expires_in\":172801}", NOW,
                         NOW, &tok, &err),
                   MSIKV_ERR_PARSE);
  assert_non_null(strstr(err.message, "48 h"));
  assert_int_equal(parse("{\"access_token\":\"t\",\"expires_in\":172800}", NOW,
                         NOW, &tok, &err),
                   MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(
      parse("{\"access_token\":\"t\",\"expires_in\":0}", NOW, NOW, &tok, &err),
      MSIKV_ERR_PARSE);
}

static void test_token_parse_bad_responses_named(void **s) {
  (void)s;
  static const struct {
    const char *body;
    const char *needle;
  } cases[] = {
      {"not json", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {"{\"expires_in\":3599}", "no access_token"},
      {"{\"access_token\":\"\",\"expires_in\":3599}", "no access_token"},
      {"{\"access_token\":\"t\"}", "neither expires_in nor expires_on"},
      {"{\"access_token\":\"t\",\"expires_in\":\"soon\"}", "expires_in"},
      {"{\"access_token\":\"t\",\"expires_in\":-5}", "expires_in"},
      {"{\"access_token\":\"t\",\"expires_on\":\"tomorrow\"}",
       "no known format"},
      {"{\"access_token\":\"t\",\"expires_on\":true}", "expires_on"},
      {"{\"access_token\":\"t\",\"expires_on\":1.5e9}", "expires_on"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    msikv_token tok;
    msikv_error err;
    assert_int_equal(parse(cases[i].body, NOW, NOW, &tok, &err),
                     MSIKV_ERR_PARSE);
    if (!strstr(err.message, cases[i].needle))
      fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].body, err.message,
               cases[i].needle);
  }
}

static void test_scope_to_resource_strips_default(void **s) {
  (void)s;
  char *r = NULL;
  msikv_error err;
  assert_int_equal(
      msikv__scope_to_resource("https://vault.azure.net/.default", &r, &err),
      MSIKV_OK);
  assert_string_equal(r, "https://vault.azure.net");
  msikv_free(r);
  assert_int_equal(
      msikv__scope_to_resource("https://vault.azure.net", &r, &err), MSIKV_OK);
  assert_string_equal(r, "https://vault.azure.net");
  msikv_free(r);
  assert_int_equal(
      msikv__scope_to_resource("api://x/.default/.default", &r, &err),
      MSIKV_OK);
  assert_string_equal(r, "api://x/.default");
  msikv_free(r);
  assert_int_equal(msikv__scope_to_resource("a/.default b/.default", &r, &err),
                   MSIKV_ERR_ARG);
  assert_non_null(strstr(err.message, "exactly one scope"));
  assert_int_equal(msikv__scope_to_resource("", &r, &err), MSIKV_ERR_ARG);
  assert_int_equal(msikv__scope_to_resource(NULL, &r, &err), MSIKV_ERR_ARG);
}

static void test_tenant_is_valid_charset(void **s) {
  (void)s;
  assert_true(msikv__tenant_is_valid("72f988bf-86f1-41af-91ab-2d7cd011db47"));
  assert_true(msikv__tenant_is_valid("contoso.onmicrosoft.com"));
  assert_true(msikv__tenant_is_valid("organizations"));
  assert_false(msikv__tenant_is_valid(""));
  assert_false(msikv__tenant_is_valid(NULL));
  assert_false(msikv__tenant_is_valid("a/b"));
  assert_false(msikv__tenant_is_valid("a?b"));
  assert_false(msikv__tenant_is_valid("a b"));
  assert_false(msikv__tenant_is_valid("..%2f"));
}

static msikv_result oom_parse(void *ctx) {
  (void)ctx;
  static const char body[] =
      "{\"access_token\":\"tok\",\"expires_in\":\"3599\",\"refresh_in\":100,"
      "\"expires_on\":\"1/16/2020 5:24:12 AM +00:00\"}";
  msikv_token tok = {NULL, 0, 0};
  msikv_result rc =
      msikv__token_parse(body, strlen(body), NOW, NOW, &tok, NULL);
  msikv_token_clear(&tok);
  if (rc)
    return rc;
  char *r = NULL;
  rc = msikv__scope_to_resource("https://vault.azure.net/.default", &r, NULL);
  msikv_free(r);
  return rc;
}

static void test_token_parse_oom_sweep_no_leak(void **s) {
  (void)s;
  /* cJSON reports an allocation failure as a parse error (its probe
   * allocation then succeeds), so other errors are allowed: no leak is. */
  assert_true(oom_sweep(oom_parse, NULL, true) > 2);
}

int main(void) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_token_parse_expires_in_number_relative_to_request),
      cmocka_unit_test(test_token_parse_expires_in_string_preferred_over_on),
      cmocka_unit_test(test_token_parse_expires_on_forms_exact),
      cmocka_unit_test(test_token_parse_refresh_in_sets_refresh_on),
      cmocka_unit_test(test_token_parse_sanity_window_rejects),
      cmocka_unit_test(test_token_parse_bad_responses_named),
      cmocka_unit_test(test_scope_to_resource_strips_default),
      cmocka_unit_test(test_tenant_is_valid_charset),
      cmocka_unit_test(test_token_parse_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("token_parse", tests, NULL, NULL);
}
