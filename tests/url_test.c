/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "msikv/url.h"
#include "oom.h"

static void test_url_parse_https_default_port(void **state) {
  (void)state;
  msikv_url url;
  assert_int_equal(msikv_url_parse("https://Demo.Vault.Azure.NET/secrets/x?a=1",
                                   &url, NULL),
                   MSIKV_OK);
  assert_string_equal(url.scheme, "https");
  assert_string_equal(url.host, "demo.vault.azure.net");
  assert_int_equal(url.port, 443);
  assert_false(url.port_explicit);
  assert_string_equal(url.path, "/secrets/x?a=1");
}

static void test_url_parse_explicit_port_and_ipv6(void **state) {
  (void)state;
  msikv_url url;
  assert_int_equal(msikv_url_parse("http://127.0.0.1:8081", &url, NULL),
                   MSIKV_OK);
  assert_string_equal(url.scheme, "http");
  assert_int_equal(url.port, 8081);
  assert_true(url.port_explicit);
  assert_string_equal(url.path, "");
  assert_int_equal(msikv_url_parse("https://[::1]:8443/x", &url, NULL),
                   MSIKV_OK);
  assert_string_equal(url.host, "::1");
  assert_int_equal(url.port, 8443);
  assert_string_equal(url.path, "/x");
}

static void test_url_parse_rejects_bad_urls(void **state) {
  (void)state;
  msikv_url url;
  msikv_error err;
  const char *bad[] = {"ftp://x",          "https://",
                       "https://:443/",    "https://a:0/",
                       "https://a:65536/", "https://a:12x/",
                       "https://u:p@a/",   "https://a b/",
                       "https://a/\r\nX",  "vault.azure.net",
                       "https://[::1/",    "https://[::1]x/"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    msikv_error_clear(&err);
    assert_int_equal(msikv_url_parse(bad[i], &url, &err), MSIKV_ERR_ARG);
    assert_true(strlen(err.message) > 0);
  }
  assert_int_equal(msikv_url_parse(NULL, &url, NULL), MSIKV_ERR_ARG);
}

static void test_url_authority_normalises_default_port(void **state) {
  (void)state;
  msikv_url a, b, c;
  char sa[300], sb[300], sc[300];
  assert_int_equal(msikv_url_parse("https://V.vault.azure.net", &a, NULL), 0);
  assert_int_equal(msikv_url_parse("https://v.vault.azure.net:443/x", &b, NULL),
                   0);
  assert_int_equal(msikv_url_parse("https://v.vault.localhost:8443", &c, NULL),
                   0);
  assert_int_equal(msikv_url_authority(&a, sa, sizeof(sa)), MSIKV_OK);
  assert_int_equal(msikv_url_authority(&b, sb, sizeof(sb)), MSIKV_OK);
  assert_int_equal(msikv_url_authority(&c, sc, sizeof(sc)), MSIKV_OK);
  assert_string_equal(sa, "v.vault.azure.net");
  assert_string_equal(sb, sa);
  assert_string_equal(sc, "v.vault.localhost:8443");
  assert_int_equal(msikv_url_authority(&c, sc, 5), MSIKV_ERR_TOO_LARGE);
}

static void test_host_is_local_cases(void **state) {
  (void)state;
  assert_true(msikv_host_is_local("localhost"));
  assert_true(msikv_host_is_local("demo.vault.localhost"));
  assert_true(msikv_host_is_local("127.0.0.1"));
  assert_true(msikv_host_is_local("169.254.169.254"));
  assert_true(msikv_host_is_local("::1"));
  assert_false(msikv_host_is_local("vault.azure.net"));
  assert_false(msikv_host_is_local("notlocalhost"));
  assert_false(msikv_host_is_local("10.0.0.1"));
}

static void test_url_encode_reserved_characters(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 1000);
  const char *in = "https://vault.azure.net/.default a~b_c-d&e=f";
  assert_int_equal(msikv_url_encode(&b, in, strlen(in)), MSIKV_OK);
  assert_string_equal(
      b.data, "https%3A%2F%2Fvault.azure.net%2F.default%20a~b_c-d%26e%3Df");
  msikv_buf_free(&b);
}

static void test_url_decode_round_trip_and_errors(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 1000);
  assert_int_equal(msikv_url_decode(&b, "api%2Dversion+x%41", 18, true),
                   MSIKV_OK);
  assert_string_equal(b.data, "api-version xA");
  msikv_buf_reset(&b);
  assert_int_equal(msikv_url_decode(&b, "a+b", 3, false), MSIKV_OK);
  assert_string_equal(b.data, "a+b");
  const char *bad[] = {"%", "%4", "%zz", "a%00b"};
  for (size_t i = 0; i < 4; i++) {
    msikv_buf_reset(&b);
    assert_int_equal(msikv_url_decode(&b, bad[i], strlen(bad[i]), false),
                     MSIKV_ERR_ARG);
  }
  msikv_buf_free(&b);
}

static void test_url_add_query_separators(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 1000);
  assert_int_equal(msikv_buf_append_str(&b, "http://169.254.169.254/t"), 0);
  assert_int_equal(msikv_url_add_query(&b, "api-version", "2018-02-01"), 0);
  assert_int_equal(msikv_url_add_query(&b, "resource", "https://vault.azure.net"),
                   0);
  assert_string_equal(b.data, "http://169.254.169.254/t?api-version=2018-02-01"
                              "&resource=https%3A%2F%2Fvault.azure.net");
  assert_int_equal(msikv_url_add_query(&b, "x", NULL), MSIKV_ERR_ARG);
  msikv_buf_free(&b);
}

static void test_url_add_query_over_cap_unchanged(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 20);
  assert_int_equal(msikv_buf_append_str(&b, "https://a/b"), 0);
  assert_int_equal(msikv_url_add_query(&b, "name", "a-long-value"),
                   MSIKV_ERR_TOO_LARGE);
  assert_string_equal(b.data, "https://a/b");
  msikv_buf_free(&b);
}

static void test_form_add_encodes_fields(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init_secret(&b, 1000);
  assert_int_equal(msikv_form_add(&b, "grant_type", "client_credentials"), 0);
  assert_int_equal(msikv_form_add(&b, "client_secret", "a+b/c=d&"), 0);
  assert_string_equal(b.data, "grant_type=client_credentials&client_secret="
                              "a%2Bb%2Fc%3Dd%26");
  msikv_buf_free(&b);
}

static msikv_result build_query(void *ctx) {
  (void)ctx;
  msikv_buf b;
  msikv_buf_init(&b, 4096);
  msikv_result rc = msikv_buf_append_str(&b, "https://x/y");
  for (int i = 0; i < 20 && !rc; i++)
    rc = msikv_url_add_query(&b, "resource", "https://vault.azure.net");
  msikv_buf_free(&b);
  return rc;
}

static void test_url_add_query_oom_sweep(void **state) {
  (void)state;
  assert_true(oom_sweep(build_query, NULL, false) > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_url_parse_https_default_port),
      cmocka_unit_test(test_url_parse_explicit_port_and_ipv6),
      cmocka_unit_test(test_url_parse_rejects_bad_urls),
      cmocka_unit_test(test_url_authority_normalises_default_port),
      cmocka_unit_test(test_host_is_local_cases),
      cmocka_unit_test(test_url_encode_reserved_characters),
      cmocka_unit_test(test_url_decode_round_trip_and_errors),
      cmocka_unit_test(test_url_add_query_separators),
      cmocka_unit_test(test_url_add_query_over_cap_unchanged),
      cmocka_unit_test(test_form_add_encodes_fields),
      cmocka_unit_test(test_url_add_query_oom_sweep),
  };
  return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
