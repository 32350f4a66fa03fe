/* SPDX-License-Identifier: MIT */
/* The Key Vault client through the fake transport: challenge flow, every
 * operation's exact request and parsing, paging, retries, errors, OOM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "msikv/alloc.h"
#include "msikv/credential.h"
#include "msikv/keyvault.h"

#define KV_URL "https://myvault.vault.azure.net"
#define KV_CHALLENGE                                                         \
  "WWW-Authenticate: Bearer "                                                \
  "authorization=\"https://login.microsoftonline.com/tenant-1\", "           \
  "resource=\"https://vault.azure.net\"\n"
#define KV_401_BODY                                                          \
  "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"AKV10000: Request "   \
  "is missing a Bearer or PoP token.\"}}"
#define KV_T0_MS 1700000000000LL

typedef struct kv_fake_cred {
  int calls;
  char scope[256];
  char tenant[128];
  int64_t lifetime_s;
  fake_clock *clock;
  msikv_result fail;
} kv_fake_cred;

static msikv_result kv_fake_get_token(void *ctx, const char *scope,
                                      const char *tenant_id,
                                      msikv_token *out_token,
                                      msikv_error *out_err) {
  kv_fake_cred *fc = ctx;
  fc->calls++;
  if (fc->fail)
    return msikv_error_set(out_err, fc->fail, "fake credential failed");
  snprintf(fc->scope, sizeof(fc->scope), "%s", scope);
  snprintf(fc->tenant, sizeof(fc->tenant), "%s", tenant_id ? tenant_id : "");
  char text[32];
  snprintf(text, sizeof(text), "tok%d", fc->calls);
  out_token->token = msikv_strdup(text);
  if (!out_token->token)
    return MSIKV_ERR_NOMEM;
  int64_t now_s = (fc->clock ? fake_clock_now(fc->clock) : KV_T0_MS) / 1000;
  out_token->expires_on_s = now_s + (fc->lifetime_s ? fc->lifetime_s : 3600);
  out_token->refresh_on_s = 0;
  return MSIKV_OK;
}

static const msikv_credential_ops kv_fake_cred_ops = {"FakeCredential",
                                                      kv_fake_get_token, NULL};

/* Everything a client test needs. */
typedef struct kv_env {
  fake_transport ft;
  fake_clock clock;
  kv_fake_cred fc;
  msikv_credential *cred;
  msikv_kv_client *client;
  msikv_kv_client_options opts;
} kv_env;

static void kv_env_init_opts(kv_env *env) {
  memset(env, 0, sizeof(*env));
  fake_transport_init(&env->ft);
  fake_clock_init(&env->clock, KV_T0_MS);
  env->fc.clock = &env->clock;
  env->opts = msikv_kv_client_options_default();
  env->opts.transport = &env->ft.transport;
  env->opts.clock = &env->clock.clock;
  env->opts.retry.random_fn = NULL;
}

static msikv_result kv_env_open(kv_env *env, const char *url) {
  msikv_result rc = msikv_cred_new_custom(&kv_fake_cred_ops, &env->fc,
                                          &env->cred);
  if (rc)
    return rc;
  return msikv_kv_client_new(url, env->cred, &env->opts, &env->client, NULL);
}

static void kv_env_free(kv_env *env) {
  msikv_kv_client_free(env->client);
  msikv_cred_free(env->cred);
  fake_transport_free(&env->ft);
  fake_clock_free(&env->clock);
}

/* Scripts the 401 challenge reply. */
static void kv_push_challenge(kv_env *env) {
  fake_transport_push(&env->ft, 401, KV_CHALLENGE, KV_401_BODY);
}


static const char *const BUNDLE =
    "{\"value\":\"s3cret\",\"contentType\":\"text/plain\","
    "\"id\":\"https://myvault.vault.azure.net/secrets/db-pass/"
    "0123456789abcdef0123456789abcdef\","
    "\"attributes\":{\"enabled\":true,\"nbf\":1600000000,\"exp\":1900000000,"
    "\"created\":1700000000,\"updated\":1700000001,"
    "\"recoveryLevel\":\"Recoverable+Purgeable\",\"recoverableDays\":90},"
    "\"tags\":{\"env\":\"prod\",\"team\":\"a\"},"
    "\"previousVersion\":\"ffff\",\"unknownField\":{\"x\":[1,2]}}";

static void test_get_secret_challenge_then_token_returns_value(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(kv_env_open(&env, KV_URL), MSIKV_OK);
  kv_push_challenge(&env);
  fake_transport_push(&env.ft, 200, NULL, BUNDLE);
  msikv_kv_secret *s = NULL;
  msikv_error err;
  assert_int_equal(msikv_kv_get_secret(env.client, "db-pass", NULL, &s, &err),
                   MSIKV_OK);
  assert_string_equal(s->value, "s3cret");
  assert_string_equal(s->name, "db-pass");
  assert_string_equal(s->version, "0123456789abcdef0123456789abcdef");
  assert_string_equal(s->content_type, "text/plain");
  assert_true(s->enabled);
  assert_int_equal(s->nbf, 1600000000);
  assert_int_equal(s->exp, 1900000000);
  assert_int_equal(s->created, 1700000000);
  assert_int_equal(s->updated, 1700000001);
  assert_string_equal(s->recovery_level, "Recoverable+Purgeable");
  assert_int_equal(s->recoverable_days, 90);
  assert_int_equal(s->tag_count, 2);
  assert_string_equal(s->tags[0].name, "env");
  assert_string_equal(s->tags[0].value, "prod");
  assert_string_equal(s->previous_version, "ffff");
  assert_null(s->recovery_id);
  msikv_kv_secret_free(s);

  assert_int_equal(fake_transport_count(&env.ft), 2);
  const fake_record *r0 = fake_transport_request(&env.ft, 0);
  assert_string_equal(r0->method, "GET");
  assert_string_equal(
      r0->url,
      "https://myvault.vault.azure.net/secrets/db-pass/?api-version=2025-07-01");
  assert_null(fake_record_header(r0, "Authorization"));
  const fake_record *r1 = fake_transport_request(&env.ft, 1);
  assert_string_equal(r1->url, r0->url);
  assert_string_equal(fake_record_header(r1, "Authorization"), "Bearer tok1");
  assert_string_equal(fake_record_header(r1, "Accept"), "application/json");
  assert_string_equal(env.fc.scope, "https://vault.azure.net/.default");
  assert_string_equal(env.fc.tenant, "tenant-1");

  /* A second get reuses the challenge and the token: one request. */
  fake_transport_push(&env.ft, 200, NULL, BUNDLE);
  assert_int_equal(msikv_kv_get_secret(env.client, "db-pass",
                                       "0123456789abcdef0123456789abcdef", &s,
                                       NULL),
                   MSIKV_OK);
  msikv_kv_secret_free(s);
  assert_int_equal(fake_transport_count(&env.ft), 3);
  const fake_record *r2 = fake_transport_request(&env.ft, 2);
  assert_string_equal(r2->url,
                      "https://myvault.vault.azure.net/secrets/db-pass/"
                      "0123456789abcdef0123456789abcdef?api-version=2025-07-01");
  assert_string_equal(fake_record_header(r2, "Authorization"), "Bearer tok1");
  assert_int_equal(env.fc.calls, 1);
  kv_env_free(&env);
}

static void test_client_new_http_url_refused_insecure(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(msikv_cred_new_custom(&kv_fake_cred_ops, &env.fc,
                                         &env.cred),
                   MSIKV_OK);
  msikv_error err;
  assert_int_equal(msikv_kv_client_new("http://myvault.vault.azure.net",
                                       env.cred, &env.opts, &env.client, &err),
                   MSIKV_ERR_INSECURE);
  assert_null(env.client);
  assert_non_null(strstr(err.message, "https"));
  assert_int_equal(fake_transport_count(&env.ft), 0);
  kv_env_free(&env);
}

static void test_get_secret_bad_name_no_request(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(kv_env_open(&env, KV_URL), MSIKV_OK);
  msikv_kv_secret *s = NULL;
  msikv_error err;
  assert_int_equal(msikv_kv_get_secret(env.client, "bad_name", NULL, &s, &err),
                   MSIKV_ERR_ARG);
  assert_non_null(strstr(err.message, "bad_name"));
  assert_int_equal(msikv_kv_get_secret(env.client, "", NULL, &s, NULL),
                   MSIKV_ERR_ARG);
  assert_int_equal(msikv_kv_get_secret(env.client, "a/b", NULL, &s, NULL),
                   MSIKV_ERR_ARG);
  assert_null(s);
  assert_int_equal(fake_transport_count(&env.ft), 0);
  kv_env_free(&env);
}

int main(void) {
  if (msikv_global_init())
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_secret_challenge_then_token_returns_value),
      cmocka_unit_test(test_client_new_http_url_refused_insecure),
      cmocka_unit_test(test_get_secret_bad_name_no_request),
  };
  return cmocka_run_group_tests_name("kv_client", tests, NULL, NULL);
}
