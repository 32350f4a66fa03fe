/* SPDX-License-Identifier: MIT */
/* The pure WWW-Authenticate challenge parser and the resource check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kv_internal.h"

static void test_challenge_parse_real_form_tenant_and_scope(void **state) {
  (void)state;
  msikv__kv_challenge c;
  assert_int_equal(msikv__kv_challenge_parse(
                       "Bearer authorization=\"https://login.windows.net/"
                       "72f988bf-86f1-41af-91ab-2d7cd011db47\", "
                       "resource=\"https://vault.azure.net\"",
                       &c, NULL),
                   MSIKV_OK);
  assert_string_equal(c.tenant, "72f988bf-86f1-41af-91ab-2d7cd011db47");
  assert_string_equal(c.scope, "https://vault.azure.net/.default");
  assert_string_equal(c.resource_host, "vault.azure.net");
}

static void test_challenge_parse_scope_and_uri_variants(void **state) {
  (void)state;
  msikv__kv_challenge c;
  /* authorization_uri, unquoted values, scope preferred over resource. */
  assert_int_equal(
      msikv__kv_challenge_parse(
          "bearer authorization_uri=https://login.microsoftonline.com/t1/"
          "oauth2/authorize,resource=https://other.net/,"
          "scope=\"https://vault.azure.net/.default\"",
          &c, NULL),
      MSIKV_OK);
  assert_string_equal(c.tenant, "t1");
  assert_string_equal(c.scope, "https://vault.azure.net/.default");
  /* Trailing slash on resource is trimmed; adfs means no tenant. */
  assert_int_equal(msikv__kv_challenge_parse(
                       "Bearer authorization=\"https://adfs.local/adfs\", "
                       "resource=\"https://vault.azure.net/\"",
                       &c, NULL),
                   MSIKV_OK);
  assert_string_equal(c.tenant, "");
  assert_string_equal(c.scope, "https://vault.azure.net/.default");
  /* Another scheme first; Bearer params only. */
  assert_int_equal(msikv__kv_challenge_parse(
                       "PoP nonce=\"abc\", Bearer realm=\"\", "
                       "authorization=\"https://login.localhost:8444/t2\", "
                       "resource=\"https://vault.localhost:8443\"",
                       &c, NULL),
                   MSIKV_OK);
  assert_string_equal(c.tenant, "t2");
  assert_string_equal(c.resource_host, "vault.localhost");
  /* Escaped quote inside a quoted value. */
  assert_int_equal(msikv__kv_challenge_parse(
                       "Bearer error=\"a\\\"b\", authorization=\"https://l/t\""
                       ", resource=\"https://vault.azure.net\"",
                       &c, NULL),
                   MSIKV_OK);
}

static void test_challenge_parse_bad_inputs_auth_error(void **state) {
  (void)state;
  msikv__kv_challenge c;
  memset(&c, 0x5a, sizeof(c));
  const char *bad[] = {
      "",
      "Basic realm=\"x\"",
      "Bearer resource=\"https://vault.azure.net\"",
      "Bearer authorization=\"https://l/t\"",
      "Bearer authorization=\"not a url\", "
      "resource=\"https://vault.azure.net\"",
      "Bearer authorization=\"https://l/t\", scope=\"nothing\"",
      "Bearer authorization=\"https://l/t, resource=x",
      "Bearer authorization=\"https://l/t\", "
      "resource=\"https://vault.azure.net\" "
      "Basic",
      "Bearer =x",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    msikv_error err;
    msikv_result rc = msikv__kv_challenge_parse(bad[i], &c, &err);
    if (i == 7) {
      /* A trailing scheme with no params is fine. */
      assert_int_equal(rc, MSIKV_OK);
      continue;
    }
    assert_int_equal(rc, MSIKV_ERR_AUTH);
    assert_true(strlen(err.message) > 10);
  }
  assert_int_equal(msikv__kv_challenge_parse(NULL, &c, NULL), MSIKV_ERR_AUTH);
  char longv[2000];
  memset(longv, 'a', sizeof(longv) - 1);
  longv[sizeof(longv) - 1] = '\0';
  char hdr[2100];
  snprintf(hdr, sizeof(hdr), "Bearer authorization=\"%s\"", longv);
  assert_int_equal(msikv__kv_challenge_parse(hdr, &c, NULL), MSIKV_ERR_AUTH);
}

static void test_challenge_host_matches_dotted_suffix_only(void **state) {
  (void)state;
  msikv__kv_challenge c;
  memset(&c, 0, sizeof(c));
  snprintf(c.resource_host, sizeof(c.resource_host), "vault.azure.net");
  assert_true(msikv__kv_challenge_host_matches(&c, "myvault.vault.azure.net"));
  assert_true(msikv__kv_challenge_host_matches(&c, "a.b.vault.azure.net"));
  assert_false(msikv__kv_challenge_host_matches(&c, "vault.azure.net"));
  assert_false(msikv__kv_challenge_host_matches(&c, "evilvault.azure.net"));
  assert_false(msikv__kv_challenge_host_matches(&c, "myvault.example.com"));
  assert_false(msikv__kv_challenge_host_matches(&c, "localhost"));
  snprintf(c.resource_host, sizeof(c.resource_host), "VAULT.localhost");
  assert_true(msikv__kv_challenge_host_matches(&c, "demo.vault.localhost"));
  c.resource_host[0] = '\0';
  assert_false(msikv__kv_challenge_host_matches(&c, "x.y"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_challenge_parse_real_form_tenant_and_scope),
      cmocka_unit_test(test_challenge_parse_scope_and_uri_variants),
      cmocka_unit_test(test_challenge_parse_bad_inputs_auth_error),
      cmocka_unit_test(test_challenge_host_matches_dotted_suffix_only),
  };
  return cmocka_run_group_tests_name("kv_challenge", tests, NULL, NULL);
}
