/* SPDX-License-Identifier: MIT */
/* Pure parsers and writers: SecretBundle, items, errors, request bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kv_internal.h"
#include "msikv/alloc.h"
#include "oom.h"

static msikv_result parse(const char *json, msikv__kv_kind kind,
                          bool require_value, msikv_kv_secret **out) {
  return msikv__kv_secret_parse(json, strlen(json), kind, require_value, out,
                                NULL);
}

static void test_secret_parse_full_bundle_all_fields(void **state) {
  (void)state;
  msikv_kv_secret *s = NULL;
  assert_int_equal(
      parse("{\"value\":\"v\\u00e9\",\"id\":\"https://v.vault.azure.net/"
            "secrets/cert-1/abc\",\"contentType\":\"application/x-pem-file\","
            "\"attributes\":{\"enabled\":\"false\",\"nbf\":\"10\",\"exp\":20,"
            "\"created\":30,\"updated\":40,\"recoveryLevel\":\"Purgeable\","
            "\"recoverableDays\":7,\"future\":true},"
            "\"kid\":\"https://v.vault.azure.net/keys/cert-1/abc\","
            "\"managed\":true,\"tags\":{},\"previousVersion\":\"p\"}",
            MSIKV__KV_BUNDLE, true, &s),
      MSIKV_OK);
  assert_string_equal(s->value, "v\xc3\xa9");
  assert_string_equal(s->id, "https://v.vault.azure.net/secrets/cert-1/abc");
  assert_string_equal(s->name, "cert-1");
  assert_string_equal(s->version, "abc");
  assert_false(s->enabled);
  assert_int_equal(s->nbf, 10);
  assert_int_equal(s->exp, 20);
  assert_int_equal(s->created, 30);
  assert_int_equal(s->updated, 40);
  assert_int_equal(s->recoverable_days, 7);
  assert_true(s->managed);
  assert_string_equal(s->kid, "https://v.vault.azure.net/keys/cert-1/abc");
  assert_string_equal(s->previous_version, "p");
  assert_int_equal(s->tag_count, 0);
  assert_null(s->tags);
  assert_null(s->recovery_id);
  msikv_kv_secret_free(s);
}

static void
test_secret_parse_missing_or_wrong_fields_parse_error(void **state) {
  (void)state;
  const char *bad[] = {
      "[]",
      "{\"attributes\":{}}",
      "{\"id\":\"https://v/secrets/n\"}",
      "{\"id\":\"https://v/secrets/n\",\"attributes\":[]}",
      "{\"id\":\"https://v/keys/n\",\"attributes\":{}}",
      "{\"id\":\"https://v/secrets/\",\"attributes\":{}}",
      "{\"id\":\"https://v/secrets/n/v/x\",\"attributes\":{}}",
      "{\"id\":5,\"attributes\":{}}",
      "{\"id\":\"https://v/secrets/n\",\"attributes\":{\"exp\":\"soon\"}}",
      "{\"id\":\"https://v/secrets/n\",\"attributes\":{\"enabled\":1}}",
      "{\"id\":\"https://v/secrets/n\",\"attributes\":{},\"tags\":[]}",
      "{\"id\":\"https://v/secrets/n\",\"attributes\":{},\"tags\":{\"a\":1}}",
      "{\"id\":\"https://v/secrets/n\",\"attributes\":{},\"contentType\":1}",
      "{\"id\":\"https://v/secrets/n\",\"attributes\":{},\"value\":false}",
      "{\"id\":\"https://v/secrets/n\",\"attributes\":{}} x",
      "{\"id\":\"https://v/secrets/n\",\"attributes\":{\"nbf\":1.5}}",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    msikv_kv_secret *s = NULL;
    msikv_error err;
    msikv_result rc = msikv__kv_secret_parse(bad[i], strlen(bad[i]),
                                             MSIKV__KV_BUNDLE, false, &s, &err);
    if (rc != MSIKV_ERR_PARSE)
      fail_msg("case %zu: %s gave %d", i, bad[i], rc);
    assert_null(s);
  }
  msikv_kv_secret *s = NULL;
  /* A bundle without its value when one is required. */
  assert_int_equal(parse("{\"id\":\"https://v/secrets/n/1\",\"attributes\":{}}",
                         MSIKV__KV_BUNDLE, true, &s),
                   MSIKV_ERR_PARSE);
  /* Nulls are absent; enabled defaults to true. */
  assert_int_equal(parse("{\"id\":\"https://v/secrets/n/1\",\"attributes\":{"
                         "\"exp\":null},\"value\":null,\"tags\":null}",
                         MSIKV__KV_BUNDLE, false, &s),
                   MSIKV_OK);
  assert_true(s->enabled);
  assert_int_equal(s->exp, 0);
  assert_null(s->value);
  msikv_kv_secret_free(s);
}

static void test_secret_parse_deleted_fields_and_ids(void **state) {
  (void)state;
  msikv_kv_secret *s = NULL;
  assert_int_equal(
      parse("{\"recoveryId\":\"https://v/deletedsecrets/n\",\"deletedDate\":1,"
            "\"scheduledPurgeDate\":2,\"id\":\"https://v:443/secrets/n\","
            "\"attributes\":{}}",
            MSIKV__KV_DELETED_ITEM, false, &s),
      MSIKV_OK);
  assert_string_equal(s->name, "n");
  assert_null(s->version);
  assert_string_equal(s->recovery_id, "https://v/deletedsecrets/n");
  assert_int_equal(s->deleted_date, 1);
  assert_int_equal(s->scheduled_purge_date, 2);
  msikv_kv_secret_free(s);
  /* Recovery fields are not read for live secrets. */
  assert_int_equal(
      parse("{\"recoveryId\":\"x\",\"id\":\"https://v/secrets/n/\","
            "\"attributes\":{}}",
            MSIKV__KV_ITEM, false, &s),
      MSIKV_OK);
  assert_null(s->recovery_id);
  assert_null(s->version);
  msikv_kv_secret_free(s);
  msikv_kv_secret_free(NULL);
}

static void test_error_body_parse_codes_and_message(void **state) {
  (void)state;
  msikv_error err;
  msikv_error_clear(&err);
  char msg[64];
  const char *body = "{\"error\":{\"code\":\"Forbidden\",\"message\":\"no "
                     "access\",\"innererror\":{\"code\":\"AccessDenied\"}}}";
  msikv__kv_error_body_parse(body, strlen(body), &err, msg, sizeof(msg));
  assert_string_equal(err.code, "Forbidden");
  assert_string_equal(err.inner_code, "AccessDenied");
  assert_string_equal(msg, "no access");
  msikv_error_clear(&err);
  msikv__kv_error_body_parse("<html>", 6, &err, msg, sizeof(msg));
  assert_string_equal(err.code, "");
  assert_string_equal(msg, "");
  msikv__kv_error_body_parse(NULL, 0, NULL, msg, sizeof(msg));
}

static void test_build_body_escapes_and_orders(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 1024);
  assert_int_equal(msikv__kv_build_body(&b, "a\"b\\c\x01\t\r", NULL), MSIKV_OK);
  assert_string_equal(b.data, "{\"value\":\"a\\\"b\\\\c\\u0001\\t\\r\"}");
  msikv_buf_reset(&b);
  msikv_kv_secret_options o = msikv_kv_secret_options_default();
  assert_int_equal(msikv__kv_build_body(&b, NULL, &o), MSIKV_OK);
  assert_string_equal(b.data, "{}");
  msikv_buf_reset(&b);
  o.set_enabled = true;
  o.exp = 7;
  assert_int_equal(msikv__kv_build_body(&b, NULL, &o), MSIKV_OK);
  assert_string_equal(b.data, "{\"attributes\":{\"enabled\":true,\"exp\":7}}");
  msikv_buf_free(&b);
}

static void test_check_options_limits(void **state) {
  (void)state;
  msikv_kv_secret_options o = msikv_kv_secret_options_default();
  assert_int_equal(msikv__kv_check_options(&o, NULL), MSIKV_OK);
  assert_int_equal(msikv__kv_check_options(NULL, NULL), MSIKV_OK);
  char ct[300];
  memset(ct, 'c', sizeof(ct) - 1);
  ct[sizeof(ct) - 1] = '\0';
  o.content_type = ct;
  assert_int_equal(msikv__kv_check_options(&o, NULL), MSIKV_ERR_ARG);
  ct[255] = '\0';
  assert_int_equal(msikv__kv_check_options(&o, NULL), MSIKV_OK);
  msikv_kv_tag_ref tag = {"", "v"};
  o.tags = &tag;
  o.tag_count = 1;
  assert_int_equal(msikv__kv_check_options(&o, NULL), MSIKV_ERR_ARG);
  o.tag_count = 0;
  o.nbf = -1;
  assert_int_equal(msikv__kv_check_options(&o, NULL), MSIKV_ERR_ARG);
}

static void test_utf8_and_name_validation(void **state) {
  (void)state;
  assert_true(
      msikv__kv_utf8_valid("abc\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 12));
  assert_false(msikv__kv_utf8_valid("\xc3", 1));
  assert_false(msikv__kv_utf8_valid("\xc0\xaf", 2));
  assert_false(msikv__kv_utf8_valid("\xed\xa0\x80", 3));
  assert_false(msikv__kv_utf8_valid("\xf4\x90\x80\x80", 4));
  assert_false(msikv__kv_utf8_valid("\xff", 1));
  assert_true(msikv_kv_name_is_valid("a"));
  assert_true(msikv_kv_name_is_valid("My-Secret-01"));
  char name[129];
  memset(name, 'a', sizeof(name));
  name[127] = '\0';
  assert_true(msikv_kv_name_is_valid(name));
  name[127] = 'a';
  name[128] = '\0';
  assert_false(msikv_kv_name_is_valid(name));
  assert_false(msikv_kv_name_is_valid(""));
  assert_false(msikv_kv_name_is_valid(NULL));
  assert_false(msikv_kv_name_is_valid("a_b"));
  assert_false(msikv_kv_name_is_valid("a.b"));
  assert_false(msikv_kv_name_is_valid("a b"));
  assert_false(msikv_kv_name_is_valid("caf\xc3\xa9"));
}

static msikv_result oom_parse(void *ctx) {
  (void)ctx;
  const char *json =
      "{\"value\":\"v\",\"id\":\"https://v/secrets/n/1\",\"contentType\":\"c\","
      "\"attributes\":{\"recoveryLevel\":\"Purgeable\"},\"tags\":{\"a\":\"b\","
      "\"c\":\"d\"},\"kid\":\"k\",\"previousVersion\":\"p\","
      "\"recoveryId\":\"r\"}";
  msikv_kv_secret *s = NULL;
  msikv_result rc = parse(json, MSIKV__KV_DELETED, true, &s);
  msikv_kv_secret_free(s);
  return rc;
}

static void test_secret_parse_oom_sweep_no_leak(void **state) {
  (void)state;
  assert_true(oom_sweep(oom_parse, NULL, false) > 10);
}

int main(void) {
  if (msikv_global_init())
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_secret_parse_full_bundle_all_fields),
      cmocka_unit_test(test_secret_parse_missing_or_wrong_fields_parse_error),
      cmocka_unit_test(test_secret_parse_deleted_fields_and_ids),
      cmocka_unit_test(test_error_body_parse_codes_and_message),
      cmocka_unit_test(test_build_body_escapes_and_orders),
      cmocka_unit_test(test_check_options_limits),
      cmocka_unit_test(test_utf8_and_name_validation),
      cmocka_unit_test(test_secret_parse_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("kv_parse", tests, NULL, NULL);
}
