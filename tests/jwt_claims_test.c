/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "msikv/alloc.h"
#include "msikv/identity.h"
#include "oom.h"

/* base64url without padding. */
static void b64url(const char *in, char *out, size_t out_size) {
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t len = strlen(in), o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t)(unsigned char)in[i + 1] << 8;
    if (i + 2 < len)
      v |= (unsigned char)in[i + 2];
    size_t chars = i + 2 < len ? 4 : (i + 1 < len ? 3 : 2);
    for (size_t c = 0; c < chars && o + 1 < out_size; c++)
      out[o++] = alphabet[(v >> (18 - 6 * c)) & 63];
  }
  out[o] = '\0';
}

static void make_jwt(const char *payload, char *out, size_t size) {
  char enc[2048];
  b64url(payload, enc, sizeof(enc));
  snprintf(out, size, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.%s.c2ln", enc);
}

static void test_token_claims_parse_managed_identity_fields(void **state) {
  (void)state;
  char jwt[4096];
  make_jwt("{\"aud\":\"https://vault.azure.net\",\"iss\":\"https://sts."
           "windows.net/t-1/\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
           "1700086400,\"oid\":\"oid-1\",\"sub\":\"oid-1\",\"tid\":\"t-1\","
           "\"appid\":\"app-1\",\"idtyp\":\"app\",\"xms_mirid\":\"/subscri"
           "ptions/s/resourcegroups/g/providers/Microsoft.Web/sites/demo\"}",
           jwt, sizeof(jwt));
  msikv_token_claims c;
  assert_int_equal(msikv_token_claims_parse(jwt, &c), MSIKV_OK);
  assert_string_equal(c.oid, "oid-1");
  assert_string_equal(c.appid, "app-1");
  assert_string_equal(c.tid, "t-1");
  assert_string_equal(c.upn, "");
  assert_string_equal(c.aud, "https://vault.azure.net");
  assert_string_equal(c.iss, "https://sts.windows.net/t-1/");
  assert_string_equal(c.idtyp, "app");
  assert_string_equal(c.mirid, "/subscriptions/s/resourcegroups/g/providers/"
                               "Microsoft.Web/sites/demo");
  assert_int_equal(c.exp, 1700086400);
  assert_int_equal(c.iat, 1700000000);
  assert_int_equal(c.nbf, 1700000000);
}

static void test_token_claims_parse_v2_user_fields(void **state) {
  (void)state;
  char jwt[4096];
  /* Lengths 1 and 2 mod 3 exercise both unpadded tails. */
  const char *payloads[] = {
      "{\"azp\":\"app-2\",\"preferred_username\":\"a@b.c\",\"exp\":\"17\","
      "\"aud\":[\"x\",\"y\"]}",
      "{\"azp\":\"app-2\",\"preferred_username\":\"a@b.c\",\"exp\":\"17\","
      "\"aud\":[\"x\",\"y\"] }",
      "{\"azp\":\"app-2\",\"preferred_username\":\"a@b.c\",\"exp\":\"17\","
      "\"aud\":[\"x\",\"y\"]  }",
  };
  for (size_t i = 0; i < 3; i++) {
    make_jwt(payloads[i], jwt, sizeof(jwt));
    msikv_token_claims c;
    assert_int_equal(msikv_token_claims_parse(jwt, &c), MSIKV_OK);
    assert_string_equal(c.appid, "app-2");
    assert_string_equal(c.upn, "a@b.c");
    assert_string_equal(c.aud, "x");
    assert_int_equal(c.exp, 17);
  }
  /* upn wins over unique_name; padding is accepted. */
  make_jwt("{\"upn\":\"u@x\",\"unique_name\":\"n@x\"}", jwt, sizeof(jwt));
  char *dot2 = strrchr(jwt, '.');
  char padded[4096];
  snprintf(padded, sizeof(padded), "%.*s==%s", (int)(dot2 - jwt), jwt, dot2);
  msikv_token_claims c;
  assert_int_equal(msikv_token_claims_parse(padded, &c), MSIKV_OK);
  assert_string_equal(c.upn, "u@x");
}

static void test_token_claims_parse_junk_rejected(void **state) {
  (void)state;
  msikv_token_claims c;
  memset(&c, 0x5a, sizeof(c));
  static const char *bad[] = {"",       "abc",      "a.b",
                              "a..c",   "a.!!!!.c", "a.W1td.c" /* "[]" */,
                              "a.e30.c" /* "{}" ok */};
  for (size_t i = 0; i < 6; i++)
    assert_int_equal(msikv_token_claims_parse(bad[i], &c), MSIKV_ERR_PARSE);
  assert_int_equal((unsigned char)c.oid[0], 0x5a);
  assert_int_equal(msikv_token_claims_parse(bad[6], &c), MSIKV_OK);
  assert_string_equal(c.oid, "");
  assert_int_equal(c.exp, 0);
  assert_int_equal(msikv_token_claims_parse(NULL, &c), MSIKV_ERR_ARG);
  assert_int_equal(msikv_token_claims_parse("a.e30.c", NULL), MSIKV_ERR_ARG);
}

static msikv_result oom_run(void *ctx) {
  msikv_token_claims c;
  return msikv_token_claims_parse(ctx, &c);
}

static void test_token_claims_parse_oom_sweep_no_leak(void **state) {
  (void)state;
  char jwt[4096];
  make_jwt("{\"oid\":\"o\",\"tid\":\"t\",\"exp\":5}", jwt, sizeof(jwt));
  assert_true(oom_sweep(oom_run, jwt, true) > 2);
}

int main(void) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_token_claims_parse_managed_identity_fields),
      cmocka_unit_test(test_token_claims_parse_v2_user_fields),
      cmocka_unit_test(test_token_claims_parse_junk_rejected),
      cmocka_unit_test(test_token_claims_parse_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("jwt_claims", tests, NULL, NULL);
}
