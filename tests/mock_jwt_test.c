/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mockserver/jwt.h"
#include "msikv/alloc.h"

#define AUD "https://vault.localhost:8443"
#define TENANT "11111111-2222-3333-4444-555555555555"
#define NOW 1800000000LL

static mock_jwt_key *key;
static mock_jwt_key *other_key;

static int setup(void **state) {
  (void)state;
  if (msikv_global_init())
    return -1;
  if (mock_jwt_key_load_or_create("tests/testdata/mock_signing_key.pem", &key, NULL))
    return -1;
  return mock_jwt_key_load_or_create("tests/testdata/mock_other_key.pem", &other_key, NULL) ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  mock_jwt_key_free(key);
  mock_jwt_key_free(other_key);
  return 0;
}

static void issue(const mock_jwt_key *k, const char *aud, const char *tid,
                  int64_t nbf, int64_t exp, msikv_buf *out) {
  mock_jwt_claims c = {.aud = aud,
                       .tid = tid,
                       .oid = "oid-1",
                       .appid = "app-1",
                       .mirid = NULL,
                       .iat = nbf,
                       .nbf = nbf,
                       .exp = exp};
  msikv_buf_init_secret(out, 1 << 16);
  assert_int_equal(mock_jwt_issue(k, &c, out), MSIKV_OK);
}

static mock_token_status verify(const char *token, int64_t now,
                                mock_claims *claims) {
  mock_jwt_verifier *v = NULL;
  assert_int_equal(mock_jwt_verifier_new(key, AUD, TENANT, &v), MSIKV_OK);
  mock_token_status st = mock_jwt_verify(v, token, now, claims);
  mock_jwt_verifier_free(v);
  return st;
}

static void test_b64url_roundtrip_all_lengths_equal(void **state) {
  (void)state;
  unsigned char data[64];
  for (size_t i = 0; i < sizeof(data); i++)
    data[i] = (unsigned char)(i * 37 + 250);
  for (size_t len = 0; len <= sizeof(data); len++) {
    msikv_buf enc, dec;
    msikv_buf_init(&enc, 4096);
    msikv_buf_init(&dec, 4096);
    assert_int_equal(mock_b64url_encode(&enc, data, len), MSIKV_OK);
    assert_null(strpbrk(enc.data, "+/="));
    assert_int_equal(mock_b64url_decode(&dec, enc.data, enc.len), MSIKV_OK);
    assert_int_equal(dec.len, len);
    assert_memory_equal(dec.data, data, len);
    msikv_buf_free(&enc);
    msikv_buf_free(&dec);
  }
}

static void test_b64url_decode_bad_input_parse_error(void **state) {
  (void)state;
  const char *bad[] = {"ab+c", "a", "ab=c", "a/bc", "Zh"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    msikv_buf dec;
    msikv_buf_init(&dec, 64);
    assert_int_equal(mock_b64url_decode(&dec, bad[i], strlen(bad[i])),
                     MSIKV_ERR_PARSE);
    msikv_buf_free(&dec);
  }
}

static void test_verify_fresh_token_ok_with_claims(void **state) {
  (void)state;
  msikv_buf tok;
  issue(key, AUD, TENANT, NOW, NOW + 3600, &tok);
  mock_claims c;
  assert_int_equal(verify(tok.data, NOW, &c), MOCK_TOKEN_OK);
  assert_string_equal(c.aud, AUD);
  assert_string_equal(c.tid, TENANT);
  assert_string_equal(c.iss, "https://sts.windows.net/" TENANT "/");
  assert_string_equal(c.oid, "oid-1");
  assert_string_equal(c.appid, "app-1");
  assert_int_equal(c.exp, NOW + 3600);
  assert_int_equal(c.nbf, NOW);
  assert_int_equal(c.iat, NOW);
  msikv_buf_free(&tok);
}

static void test_verify_trailing_slash_audience_ok(void **state) {
  (void)state;
  msikv_buf tok;
  issue(key, AUD "/", TENANT, NOW, NOW + 60, &tok);
  assert_int_equal(verify(tok.data, NOW, NULL), MOCK_TOKEN_OK);
  msikv_buf_free(&tok);
}

static void test_verify_expired_token_expired(void **state) {
  (void)state;
  msikv_buf tok;
  issue(key, AUD, TENANT, NOW, NOW + 60, &tok);
  assert_int_equal(verify(tok.data, NOW + 59, NULL), MOCK_TOKEN_OK);
  assert_int_equal(verify(tok.data, NOW + 60, NULL), MOCK_TOKEN_EXPIRED);
  assert_int_equal(verify(tok.data, NOW + 100000, NULL), MOCK_TOKEN_EXPIRED);
  msikv_buf_free(&tok);
}

static void test_verify_future_nbf_not_yet_valid(void **state) {
  (void)state;
  msikv_buf tok;
  issue(key, AUD, TENANT, NOW + 300, NOW + 3600, &tok);
  assert_int_equal(verify(tok.data, NOW, NULL), MOCK_TOKEN_NOT_YET_VALID);
  assert_int_equal(verify(tok.data, NOW + 300, NULL), MOCK_TOKEN_OK);
  msikv_buf_free(&tok);
}

static void test_verify_wrong_audience_wrong_audience(void **state) {
  (void)state;
  msikv_buf tok;
  issue(key, "https://vault.azure.net", TENANT, NOW, NOW + 60, &tok);
  mock_claims c;
  assert_int_equal(verify(tok.data, NOW, &c), MOCK_TOKEN_WRONG_AUDIENCE);
  assert_string_equal(c.aud, "https://vault.azure.net");
  msikv_buf_free(&tok);
  issue(key, "https://vault.localhost:9999", TENANT, NOW, NOW + 60, &tok);
  assert_int_equal(verify(tok.data, NOW, NULL), MOCK_TOKEN_WRONG_AUDIENCE);
  msikv_buf_free(&tok);
}

static void test_verify_wrong_tenant_wrong_issuer(void **state) {
  (void)state;
  msikv_buf tok;
  issue(key, AUD, "99999999-2222-3333-4444-555555555555", NOW, NOW + 60, &tok);
  mock_claims c;
  assert_int_equal(verify(tok.data, NOW, &c), MOCK_TOKEN_WRONG_ISSUER);
  assert_string_equal(c.iss,
                      "https://sts.windows.net/"
                      "99999999-2222-3333-4444-555555555555/");
  msikv_buf_free(&tok);
}

static void test_verify_tampered_payload_bad_signature(void **state) {
  (void)state;
  msikv_buf tok, good_pl, evil;
  issue(key, AUD, TENANT, NOW, NOW + 60, &tok);
  char *dot1 = strchr(tok.data, '.');
  char *dot2 = strchr(dot1 + 1, '.');
  msikv_buf_init(&good_pl, 8192);
  assert_int_equal(mock_b64url_decode(&good_pl, dot1 + 1,
                                      (size_t)(dot2 - dot1 - 1)),
                   MSIKV_OK);
  /* Same claims, another object id: the signature no longer matches. */
  char *oid = strstr(good_pl.data, "oid-1");
  assert_non_null(oid);
  oid[4] = '2';
  msikv_buf_init(&evil, 1 << 16);
  assert_int_equal(msikv_buf_append(&evil, tok.data,
                                    (size_t)(dot1 - tok.data) + 1),
                   MSIKV_OK);
  assert_int_equal(mock_b64url_encode(&evil, good_pl.data, good_pl.len),
                   MSIKV_OK);
  assert_int_equal(msikv_buf_append_str(&evil, dot2), MSIKV_OK);
  assert_int_equal(verify(evil.data, NOW, NULL), MOCK_TOKEN_BAD_SIGNATURE);
  msikv_buf_free(&tok);
  msikv_buf_free(&good_pl);
  msikv_buf_free(&evil);
}

static void test_verify_tampered_signature_bad_signature(void **state) {
  (void)state;
  msikv_buf tok;
  issue(key, AUD, TENANT, NOW, NOW + 60, &tok);
  char *sig = strrchr(tok.data, '.') + 10;
  *sig = *sig == 'A' ? 'B' : 'A';
  assert_int_equal(verify(tok.data, NOW, NULL), MOCK_TOKEN_BAD_SIGNATURE);
  msikv_buf_free(&tok);
}

static void test_verify_other_key_bad_signature(void **state) {
  (void)state;
  msikv_buf tok;
  issue(other_key, AUD, TENANT, NOW, NOW + 60, &tok);
  assert_int_equal(verify(tok.data, NOW, NULL), MOCK_TOKEN_BAD_SIGNATURE);
  msikv_buf_free(&tok);
}

static void test_verify_garbage_malformed(void **state) {
  (void)state;
  const char *bad[] = {"", "abc", "a.b", "a.b.c", "a.b.c.d", "..",
                       "eyJhbGciOiJSUzI1NiJ9.e30.AAAA"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(verify(bad[i], NOW, NULL), MOCK_TOKEN_MALFORMED);
  assert_int_equal(verify(NULL, NOW, NULL), MOCK_TOKEN_MALFORMED);
}

static void test_verify_alg_none_bad_signature(void **state) {
  (void)state;
  msikv_buf tok, evil;
  issue(key, AUD, TENANT, NOW, NOW + 60, &tok);
  char *dot1 = strchr(tok.data, '.');
  char *dot2 = strchr(dot1 + 1, '.');
  msikv_buf_init(&evil, 1 << 16);
  const char hdr[] = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
  assert_int_equal(mock_b64url_encode(&evil, hdr, sizeof(hdr) - 1), MSIKV_OK);
  assert_int_equal(msikv_buf_append(&evil, dot1, (size_t)(dot2 - dot1) + 1),
                   MSIKV_OK);
  assert_int_equal(verify(evil.data, NOW, NULL), MOCK_TOKEN_BAD_SIGNATURE);
  msikv_buf_free(&tok);
  msikv_buf_free(&evil);
}

static void test_verify_cache_second_check_hits_but_exp_still_checked(
    void **state) {
  (void)state;
  msikv_buf tok;
  issue(key, AUD, TENANT, NOW, NOW + 60, &tok);
  mock_jwt_verifier *v = NULL;
  assert_int_equal(mock_jwt_verifier_new(key, AUD, TENANT, &v), MSIKV_OK);
  assert_int_equal(mock_jwt_verify(v, tok.data, NOW, NULL), MOCK_TOKEN_OK);
  assert_int_equal(mock_jwt_verifier_cache_hits(v), 0);
  assert_int_equal(mock_jwt_verify(v, tok.data, NOW, NULL), MOCK_TOKEN_OK);
  assert_int_equal(mock_jwt_verifier_cache_hits(v), 1);
  assert_int_equal(mock_jwt_verify(v, tok.data, NOW + 61, NULL),
                   MOCK_TOKEN_EXPIRED);
  /* A tampered token is not a cache hit. */
  char *sig = strrchr(tok.data, '.') + 3;
  *sig = *sig == 'A' ? 'B' : 'A';
  assert_int_equal(mock_jwt_verify(v, tok.data, NOW, NULL),
                   MOCK_TOKEN_BAD_SIGNATURE);
  mock_jwt_verifier_free(v);
  msikv_buf_free(&tok);
}

static void test_mint_user_assigned_has_mirid_and_ids(void **state) {
  (void)state;
  mock_principals p;
  mock_principals_default(&p);
  const mock_principal *uami =
      mock_principals_by_client_id(&p, MOCK_USER_MI_CLIENT_ID);
  assert_non_null(uami);
  msikv_buf tok, pl;
  msikv_buf_init_secret(&tok, 1 << 16);
  assert_int_equal(mock_jwt_mint(key, p.tenant_id, uami, AUD, NOW, 100, &tok),
                   MSIKV_OK);
  char *dot1 = strchr(tok.data, '.');
  char *dot2 = strchr(dot1 + 1, '.');
  msikv_buf_init(&pl, 8192);
  assert_int_equal(mock_b64url_decode(&pl, dot1 + 1, (size_t)(dot2 - dot1 - 1)),
                   MSIKV_OK);
  cJSON *j = cJSON_Parse(pl.data);
  assert_string_equal(cJSON_GetObjectItem(j, "xms_mirid")->valuestring,
                      MOCK_USER_MI_RESOURCE_ID);
  assert_string_equal(cJSON_GetObjectItem(j, "oid")->valuestring,
                      MOCK_USER_MI_OBJECT_ID);
  assert_string_equal(cJSON_GetObjectItem(j, "appid")->valuestring,
                      MOCK_USER_MI_CLIENT_ID);
  assert_int_equal((int64_t)cJSON_GetObjectItem(j, "exp")->valuedouble,
                   NOW + 100);
  cJSON_Delete(j);
  mock_claims c;
  assert_int_equal(verify(tok.data, NOW, &c), MOCK_TOKEN_OK);
  msikv_buf_free(&tok);
  msikv_buf_free(&pl);
}

static void test_key_load_or_create_persists_same_kid(void **state) {
  (void)state;
  char path[4096];
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(path, sizeof(path), "%s/jwt-key-%ld.pem", tmp ? tmp : "/tmp",
           (long)getpid());
  unlink(path);
  const char *san = getenv("MSIKV_SANITIZER");
  if (san && strcmp(san, "valgrind") == 0) {
    /* RSA generation takes minutes under valgrind: start from a stored key
     * (the load path); the create path runs in the other configs. */
    FILE *in = fopen("tests/testdata/mock_signing_key.pem", "rb");
    FILE *out = fopen(path, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
      assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
  }
  mock_jwt_key *a = NULL, *b = NULL;
  assert_int_equal(mock_jwt_key_load_or_create(path, &a, NULL), MSIKV_OK);
  assert_int_equal(mock_jwt_key_load_or_create(path, &b, NULL), MSIKV_OK);
  assert_string_equal(mock_jwt_key_kid(a), mock_jwt_key_kid(b));
  cJSON *keys = cJSON_CreateArray();
  assert_int_equal(mock_jwt_key_add_jwk(a, keys), MSIKV_OK);
  const cJSON *jwk = cJSON_GetArrayItem(keys, 0);
  assert_string_equal(cJSON_GetObjectItem(jwk, "kty")->valuestring, "RSA");
  assert_string_equal(cJSON_GetObjectItem(jwk, "e")->valuestring, "AQAB");
  assert_true(strlen(cJSON_GetObjectItem(jwk, "n")->valuestring) > 300);
  cJSON_Delete(keys);
  mock_jwt_key_free(a);
  mock_jwt_key_free(b);
  unlink(path);
}

static void test_key_load_not_a_key_config_error(void **state) {
  (void)state;
  char path[4096];
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(path, sizeof(path), "%s/not-a-key-%ld.pem", tmp ? tmp : "/tmp",
           (long)getpid());
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("hello\n", f);
  fclose(f);
  mock_jwt_key *k = NULL;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(mock_jwt_key_load_or_create(path, &k, &err),
                   MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "not an RSA private key"));
  assert_null(k);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_b64url_roundtrip_all_lengths_equal),
      cmocka_unit_test(test_b64url_decode_bad_input_parse_error),
      cmocka_unit_test(test_verify_fresh_token_ok_with_claims),
      cmocka_unit_test(test_verify_trailing_slash_audience_ok),
      cmocka_unit_test(test_verify_expired_token_expired),
      cmocka_unit_test(test_verify_future_nbf_not_yet_valid),
      cmocka_unit_test(test_verify_wrong_audience_wrong_audience),
      cmocka_unit_test(test_verify_wrong_tenant_wrong_issuer),
      cmocka_unit_test(test_verify_tampered_payload_bad_signature),
      cmocka_unit_test(test_verify_tampered_signature_bad_signature),
      cmocka_unit_test(test_verify_other_key_bad_signature),
      cmocka_unit_test(test_verify_garbage_malformed),
      cmocka_unit_test(test_verify_alg_none_bad_signature),
      cmocka_unit_test(
          test_verify_cache_second_check_hits_but_exp_still_checked),
      cmocka_unit_test(test_mint_user_assigned_has_mirid_and_ids),
      cmocka_unit_test(test_key_load_or_create_persists_same_kid),
      cmocka_unit_test(test_key_load_not_a_key_config_error),
  };
  return cmocka_run_group_tests_name("mock_jwt", tests, setup, teardown);
}
