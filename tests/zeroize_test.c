/* SPDX-License-Identifier: MIT */
/* Secrets are zeroed before their memory is handed back: every block freed
 * through the replaceable allocator is scanned for the token, the secret
 * value, the client secret and the identity header, along whole flows
 * (token cache, Key Vault get, client secret and managed identity
 * credentials). The fake transport itself allocates with malloc, so its
 * deliberate copies of requests stay out of the scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "identity_internal.h"
#include "kv_internal.h"
#include "msikv/alloc.h"
#include "msikv/identity.h"
#include "msikv/keyvault.h"

#define T0_MS 1764864000000LL
#define TOKEN "eyJ0eXAi.Zq9TOKENCANARY4711.c2ln"
#define VALUE "Zq9VALUECANARY-s3cr3t"
#define CLIENT_SECRET "Zq9CLIENTSECRET~abc"
#define ID_HEADER "Zq9IDHEADER0123456789"

static const char *const kCanaries[] = {"Zq9TOKENCANARY", "Zq9VALUECANARY",
                                        "Zq9CLIENTSECRET", "Zq9IDHEADER"};
static int hits;
static char first_hit[160];

static void *scan_malloc(size_t size, void *ctx) {
  (void)ctx;
  size_t *p = malloc(size + sizeof(size_t));
  if (!p)
    return NULL;
  /* Defined bytes throughout, so that scanning a whole block (spare
   * capacity included) reads nothing uninitialised (valgrind). */
  memset(p + 1, 0, size);
  *p = size;
  return p + 1;
}

static void scan_block(const unsigned char *data, size_t len) {
  for (size_t c = 0; c < sizeof(kCanaries) / sizeof(kCanaries[0]); c++) {
    size_t n = strlen(kCanaries[c]);
    for (size_t i = 0; i + n <= len; i++) {
      if (memcmp(data + i, kCanaries[c], n) == 0) {
        if (hits++ == 0)
          snprintf(first_hit, sizeof(first_hit),
                   "%s in a freed block of %zu bytes at offset %zu: %.60s",
                   kCanaries[c], len, i,
                   (const char *)data + (i >= 20 ? i - 20 : 0));
        break;
      }
    }
  }
}

static void *scan_realloc(void *ptr, size_t size, void *ctx) {
  (void)ctx;
  if (!ptr)
    return scan_malloc(size, ctx);
  size_t *p = (size_t *)ptr - 1;
  /* A moving realloc frees the old block: scan what it leaves behind. */
  size_t *q = malloc(size + sizeof(size_t));
  if (!q)
    return NULL;
  memset(q + 1, 0, size);
  memcpy(q + 1, ptr, *p < size ? *p : size);
  scan_block(ptr, *p);
  free(p);
  *q = size;
  return q + 1;
}

static void scan_free(void *ptr, void *ctx) {
  (void)ctx;
  if (!ptr)
    return;
  size_t *p = (size_t *)ptr - 1;
  scan_block(ptr, *p);
  free(p);
}

static int install(void **state) {
  (void)state;
  msikv_allocator a = {scan_malloc, scan_realloc, scan_free, NULL};
  msikv_set_allocator(&a);
  hits = 0;
  first_hit[0] = '\0';
  return 0;
}

static int uninstall(void **state) {
  (void)state;
  msikv_set_allocator(NULL);
  return 0;
}

static void assert_no_hits(void) {
  if (hits)
    fail_msg("%d secret(s) left in freed memory; first: %s", hits, first_hit);
}

/* The scan itself: a plain free leaves the secret behind and is seen. */
static void test_scan_plain_free_seen_contrast(void **state) {
  (void)state;
  char *plain = msikv_strdup("x " VALUE);
  msikv_free(plain);
  assert_int_equal(hits, 1);
  hits = 0;
  char *secret = msikv_strdup("x " VALUE);
  msikv_secret_free(secret);
  assert_no_hits();
}

/* ---- Token cache ---- */

static msikv_result fetch_token(void *ctx, const char *scope,
                                const char *tenant_id, msikv_token *out_token,
                                msikv_error *out_err) {
  (void)ctx;
  (void)scope;
  (void)tenant_id;
  (void)out_err;
  out_token->token = msikv_strdup(TOKEN);
  if (!out_token->token)
    return MSIKV_ERR_NOMEM;
  out_token->expires_on_s = T0_MS / 1000 + 3600;
  out_token->refresh_on_s = 0;
  return MSIKV_OK;
}

static void test_token_cache_free_zeroes_tokens(void **state) {
  (void)state;
  fake_clock clock;
  fake_clock_init(&clock, T0_MS);
  msikv__token_cache *cache = NULL;
  assert_int_equal(msikv__token_cache_new(&clock.clock, &cache), MSIKV_OK);
  for (int i = 0; i < 3; i++) {
    msikv_token tok = {0};
    assert_int_equal(msikv__token_cache_get(cache, "https://vault.azure.net/"
                                                   ".default",
                                            i == 2 ? "other" : NULL,
                                            fetch_token, NULL, &tok, NULL),
                     MSIKV_OK);
    assert_string_equal(tok.token, TOKEN);
    msikv_token_clear(&tok);
  }
  assert_int_equal(msikv__token_cache_size(cache), 2);
  msikv__token_cache_free(cache);
  fake_clock_free(&clock);
  assert_no_hits();
}

static void test_token_parse_zeroes_json_tree(void **state) {
  (void)state;
  const char *body = "{\"access_token\":\"" TOKEN "\",\"expires_in\":3600,"
                     "\"token_type\":\"Bearer\"}";
  msikv_token tok = {0};
  assert_int_equal(msikv__token_parse(body, strlen(body), T0_MS / 1000,
                                      T0_MS / 1000, &tok, NULL),
                   MSIKV_OK);
  msikv_token_clear(&tok);
  assert_no_hits();
}

/* ---- Key Vault ---- */

static msikv_result fake_get_token(void *ctx, const char *scope,
                                   const char *tenant_id,
                                   msikv_token *out_token,
                                   msikv_error *out_err) {
  return fetch_token(ctx, scope, tenant_id, out_token, out_err);
}

static const msikv_credential_ops kFakeCred = {"FakeCredential",
                                               fake_get_token, NULL, NULL};

static void test_kv_get_secret_zeroes_value_and_token(void **state) {
  (void)state;
  fake_transport ft;
  fake_transport_init(&ft);
  fake_clock clock;
  fake_clock_init(&clock, T0_MS);
  fake_transport_push(&ft, 401,
                      "WWW-Authenticate: Bearer authorization=\"https://"
                      "login.microsoftonline.com/tenant-1\", resource="
                      "\"https://vault.azure.net\"\n",
                      "{\"error\":{\"code\":\"Unauthorized\"}}");
  const char *bundle =
      "{\"value\":\"" VALUE "\",\"id\":\"https://demo.vault.azure.net/"
      "secrets/secret/0123456789abcdef\",\"attributes\":{\"enabled\":true}}";
  fake_transport_push(&ft, 200, NULL, bundle);
  fake_transport_push(&ft, 200, NULL, bundle);
  msikv_credential *cred = NULL;
  assert_int_equal(msikv_cred_new_custom(&kFakeCred, NULL, &cred), MSIKV_OK);
  msikv_kv_client_options o = msikv_kv_client_options_default();
  o.transport = &ft.transport;
  o.clock = &clock.clock;
  msikv_kv_client *client = NULL;
  assert_int_equal(
      msikv_kv_client_new("https://demo.vault.azure.net", cred, &o, &client,
                          NULL),
      MSIKV_OK);
  for (int i = 0; i < 2; i++) {
    msikv_kv_secret *s = NULL;
    msikv_error err;
    assert_int_equal(msikv_kv_get_secret(client, "secret", NULL, &s, &err),
                     MSIKV_OK);
    assert_string_equal(s->value, VALUE);
    msikv_kv_secret_free(s);
  }
  msikv_kv_client_free(client);
  msikv_cred_free(cred);
  fake_clock_free(&clock);
  fake_transport_free(&ft);
  assert_no_hits();
}

/* ---- Credentials over the fake transport ---- */

static const char *env_get(void *ctx, const char *name) {
  const char *const *env = ctx;
  for (size_t i = 0; env[i]; i += 2)
    if (strcmp(env[i], name) == 0)
      return env[i + 1];
  return NULL;
}

static const char *const kTokenReply =
    "{\"access_token\":\"" TOKEN "\",\"expires_in\":\"3600\","
    "\"expires_on\":\"1764867600\",\"resource\":\"https://vault.azure.net\","
    "\"token_type\":\"Bearer\"}";

static void get_token_twice(msikv_credential *cred) {
  for (int i = 0; i < 2; i++) {
    msikv_token tok = {0};
    msikv_error err;
    msikv_result rc =
        msikv_cred_get_token(cred, "https://vault.azure.net/.default", NULL, &tok,
                             &err);
    if (rc)
      fail_msg("get_token: %s", err.message);
    assert_string_equal(tok.token, TOKEN);
    msikv_token_clear(&tok);
  }
}

static void test_client_secret_cred_zeroes_secret_and_token(void **state) {
  (void)state;
  fake_transport ft;
  fake_transport_init(&ft);
  fake_clock clock;
  fake_clock_init(&clock, T0_MS);
  fake_transport_push(&ft, 200, NULL, kTokenReply);
  static const char *const env[] = {NULL};
  msikv_identity_options o = msikv_identity_options_default();
  o.transport = &ft.transport;
  o.clock = &clock.clock;
  o.getenv_fn = env_get;
  o.getenv_ctx = (void *)env;
  o.authority_host = "https://login.microsoftonline.com";
  msikv_credential *cred = NULL;
  assert_int_equal(msikv_cred_client_secret_new(&o, "tenant-1", "app-1",
                                                CLIENT_SECRET, &cred, NULL),
                   MSIKV_OK);
  get_token_twice(cred);
  msikv_cred_free(cred);
  assert_int_equal(fake_transport_count(&ft), 1);
  fake_clock_free(&clock);
  fake_transport_free(&ft);
  assert_no_hits();
}

static void test_managed_identity_cred_zeroes_header_and_token(void **state) {
  (void)state;
  fake_transport ft;
  fake_transport_init(&ft);
  fake_clock clock;
  fake_clock_init(&clock, T0_MS);
  fake_transport_push(&ft, 200, NULL, kTokenReply);
  static const char *const env[] = {
      "IDENTITY_ENDPOINT", "http://127.0.0.1:41234/msi/token",
      "IDENTITY_HEADER", ID_HEADER, NULL};
  msikv_identity_options o = msikv_identity_options_default();
  o.transport = &ft.transport;
  o.clock = &clock.clock;
  o.getenv_fn = env_get;
  o.getenv_ctx = (void *)env;
  msikv_credential *cred = NULL;
  assert_int_equal(msikv_cred_managed_identity_new(&o, NULL, &cred, NULL),
                   MSIKV_OK);
  get_token_twice(cred);
  msikv_cred_free(cred);
  assert_int_equal(fake_transport_count(&ft), 1);
  fake_clock_free(&clock);
  fake_transport_free(&ft);
  assert_no_hits();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_scan_plain_free_seen_contrast,
                                      install, uninstall),
      cmocka_unit_test_setup_teardown(test_token_cache_free_zeroes_tokens,
                                      install, uninstall),
      cmocka_unit_test_setup_teardown(test_token_parse_zeroes_json_tree,
                                      install, uninstall),
      cmocka_unit_test_setup_teardown(
          test_kv_get_secret_zeroes_value_and_token, install, uninstall),
      cmocka_unit_test_setup_teardown(
          test_client_secret_cred_zeroes_secret_and_token, install, uninstall),
      cmocka_unit_test_setup_teardown(
          test_managed_identity_cred_zeroes_header_and_token, install,
          uninstall),
  };
  if (msikv_global_init() != MSIKV_OK)
    return 1;
  return cmocka_run_group_tests_name("zeroize", tests, NULL, NULL);
}
