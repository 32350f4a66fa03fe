/* SPDX-License-Identifier: MIT */
/* The Key Vault client through the fake transport: challenge flow, every
 * operation's exact request and parsing, paging, retries, errors, OOM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "oom.h"
#include "msikv/alloc.h"
#include "msikv/credential.h"
#include "msikv/identity.h"
#include "msikv/keyvault.h"

#define KV_URL "https://myvault.vault.azure.net"
#define KV_CHALLENGE                                                           \
  "WWW-Authenticate: Bearer "                                                  \
  "authorization=\"https://login.microsoftonline.com/tenant-1\", "             \
  "resource=\"https://vault.azure.net\"\n"
#define KV_401_BODY                                                            \
  "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"AKV10000: Request "     \
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
                                                      kv_fake_get_token, NULL, NULL};

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
  msikv_result rc =
      msikv_cred_new_custom(&kv_fake_cred_ops, &env->fc, &env->cred);
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

static void kv_push_challenge_ft(fake_transport *ft) {
  fake_transport_push(ft, 401, KV_CHALLENGE, KV_401_BODY);
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
  assert_string_equal(r0->url, "https://myvault.vault.azure.net/secrets/"
                               "db-pass/?api-version=2025-07-01");
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
  assert_string_equal(
      r2->url, "https://myvault.vault.azure.net/secrets/db-pass/"
               "0123456789abcdef0123456789abcdef?api-version=2025-07-01");
  assert_string_equal(fake_record_header(r2, "Authorization"), "Bearer tok1");
  assert_int_equal(env.fc.calls, 1);
  kv_env_free(&env);
}

static void test_client_new_http_url_refused_insecure(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(msikv_cred_new_custom(&kv_fake_cred_ops, &env.fc, &env.cred),
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

/* Primes the client with a challenge and a token so that later requests go
 * straight out; returns the number of requests made so far. */
static size_t prime(kv_env *env) {
  kv_push_challenge(env);
  fake_transport_push(&env->ft, 200, NULL, BUNDLE);
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_get_secret(env->client, "db-pass", NULL, &s, NULL),
                   MSIKV_OK);
  msikv_kv_secret_free(s);
  return fake_transport_count(&env->ft);
}

static kv_env *open_primed(size_t *base) {
  kv_env *env = calloc(1, sizeof(*env));
  assert_non_null(env);
  kv_env_init_opts(env);
  assert_int_equal(kv_env_open(env, KV_URL), MSIKV_OK);
  *base = prime(env);
  return env;
}

static void close_env(kv_env *env) {
  kv_env_free(env);
  free(env);
}

static void assert_request(kv_env *env, size_t i, const char *method,
                           const char *url, const char *body) {
  const fake_record *r = fake_transport_request(&env->ft, i);
  assert_string_equal(r->method, method);
  assert_string_equal(r->url, url);
  assert_non_null(fake_record_header(r, "Authorization"));
  if (body) {
    assert_true(r->has_body);
    assert_string_equal(r->body, body);
    if (*body)
      assert_string_equal(fake_record_header(r, "Content-Type"),
                          "application/json; charset=utf-8");
  } else {
    assert_false(r->has_body);
  }
}

static void test_set_secret_first_put_body_stripped_then_resent(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(kv_env_open(&env, KV_URL), MSIKV_OK);
  kv_push_challenge(&env);
  fake_transport_push(&env.ft, 200, NULL, BUNDLE);
  msikv_kv_tag_ref tags[] = {{"env", "prod"}, {"q\"t", "a\\b\n"}};
  msikv_kv_secret_options o = msikv_kv_secret_options_default();
  o.content_type = "text/plain";
  o.tags = tags;
  o.tag_count = 2;
  o.set_enabled = true;
  o.enabled = false;
  o.nbf = 1600000000;
  o.exp = 1900000000;
  msikv_kv_secret *s = NULL;
  assert_int_equal(
      msikv_kv_set_secret(env.client, "db-pass", "s3cret", &o, &s, NULL),
      MSIKV_OK);
  assert_string_equal(s->value, "s3cret");
  msikv_kv_secret_free(s);
  assert_int_equal(fake_transport_count(&env.ft), 2);
  const fake_record *probe = fake_transport_request(&env.ft, 0);
  assert_string_equal(probe->method, "PUT");
  assert_string_equal(
      probe->url,
      "https://myvault.vault.azure.net/secrets/db-pass?api-version=2025-07-01");
  assert_true(probe->has_body);
  assert_int_equal(probe->body_len, 0);
  assert_null(fake_record_header(probe, "Authorization"));
  assert_null(fake_record_header(probe, "Content-Type"));
  assert_request(
      &env, 1, "PUT",
      "https://myvault.vault.azure.net/secrets/db-pass?api-version=2025-07-01",
      "{\"value\":\"s3cret\",\"contentType\":\"text/plain\",\"attributes\":{"
      "\"enabled\":false,\"nbf\":1600000000,\"exp\":1900000000},\"tags\":{"
      "\"env\":\"prod\",\"q\\\"t\":\"a\\\\b\\n\"}}");
  assert_string_equal(
      fake_record_header(fake_transport_request(&env.ft, 1), "Authorization"),
      "Bearer tok1");
  kv_env_free(&env);
}

static void test_set_secret_minimal_body_and_no_output(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 200, NULL, BUNDLE);
  assert_int_equal(
      msikv_kv_set_secret(env->client, "n1", "line1\nline2", NULL, NULL, NULL),
      MSIKV_OK);
  assert_request(
      env, base, "PUT",
      "https://myvault.vault.azure.net/secrets/n1?api-version=2025-07-01",
      "{\"value\":\"line1\\nline2\"}");
  close_env(env);
}

static void test_set_secret_value_limits_checked_locally(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  char *big = malloc(25602);
  memset(big, 'x', 25601);
  big[25601] = '\0';
  msikv_error err;
  assert_int_equal(msikv_kv_set_secret(env->client, "n", big, NULL, NULL, &err),
                   MSIKV_ERR_TOO_LARGE);
  assert_non_null(strstr(err.message, "25600"));
  assert_int_equal(fake_transport_count(&env->ft), base);
  big[25600] = '\0';
  fake_transport_push(&env->ft, 200, NULL, BUNDLE);
  assert_int_equal(msikv_kv_set_secret(env->client, "n", big, NULL, NULL, NULL),
                   MSIKV_OK);
  free(big);
  assert_int_equal(
      msikv_kv_set_secret(env->client, "n", "\xff\xfe", NULL, NULL, &err),
      MSIKV_ERR_ARG);
  assert_int_equal(
      msikv_kv_set_secret(env->client, "bad.name", "v", NULL, NULL, &err),
      MSIKV_ERR_ARG);
  msikv_kv_tag_ref tags[16];
  for (int i = 0; i < 16; i++)
    tags[i] = (msikv_kv_tag_ref){"t", "v"};
  msikv_kv_secret_options o = msikv_kv_secret_options_default();
  o.tags = tags;
  o.tag_count = 16;
  assert_int_equal(msikv_kv_set_secret(env->client, "n", "v", &o, NULL, &err),
                   MSIKV_ERR_ARG);
  assert_int_equal(fake_transport_count(&env->ft), base + 1);
  close_env(env);
}

static void test_update_secret_properties_patch_body(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(
      &env->ft, 200, NULL,
      "{\"id\":\"https://myvault.vault.azure.net/secrets/n/v1\","
      "\"contentType\":\"x\",\"attributes\":{\"enabled\":false}}");
  msikv_kv_secret_options o = msikv_kv_secret_options_default();
  o.content_type = "x";
  o.set_enabled = true;
  o.enabled = false;
  o.set_tags = true;
  msikv_kv_secret *s = NULL;
  assert_int_equal(
      msikv_kv_update_secret_properties(env->client, "n", "v1", &o, &s, NULL),
      MSIKV_OK);
  assert_null(s->value);
  assert_false(s->enabled);
  assert_string_equal(s->version, "v1");
  msikv_kv_secret_free(s);
  assert_request(
      env, base, "PATCH",
      "https://myvault.vault.azure.net/secrets/n/v1?api-version=2025-07-01",
      "{\"contentType\":\"x\",\"attributes\":{\"enabled\":false},\"tags\":{}}");
  /* Latest version: the path keeps its trailing slash. */
  fake_transport_push(
      &env->ft, 200, NULL,
      "{\"id\":\"https://myvault.vault.azure.net/secrets/n/v1\","
      "\"attributes\":{}}");
  o = msikv_kv_secret_options_default();
  o.exp = 5;
  assert_int_equal(
      msikv_kv_update_secret_properties(env->client, "n", NULL, &o, NULL, NULL),
      MSIKV_OK);
  assert_request(
      env, base + 1, "PATCH",
      "https://myvault.vault.azure.net/secrets/n/?api-version=2025-07-01",
      "{\"attributes\":{\"exp\":5}}");
  close_env(env);
}

#define PROPS_N                                                                \
  "{\"id\":\"https://myvault.vault.azure.net/secrets/n/v1\","                  \
  "\"attributes\":{\"enabled\":true}}"

static const char *const DELETED =
    "{\"recoveryId\":\"https://myvault.vault.azure.net/deletedsecrets/n\","
    "\"deletedDate\":1700000100,\"scheduledPurgeDate\":1707776100,"
    "\"id\":\"https://myvault.vault.azure.net/secrets/n/v1\","
    "\"attributes\":{\"enabled\":true,\"created\":1700000000,"
    "\"updated\":1700000000,\"recoveryLevel\":\"Recoverable+Purgeable\","
    "\"recoverableDays\":90}}";

static void test_delete_secret_polls_404_then_200(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 200, NULL, DELETED);
  fake_transport_push(&env->ft, 404, NULL,
                      "{\"error\":{\"code\":\"SecretNotFound\",\"message\":"
                      "\"Deleted Secret not found: n\"}}");
  fake_transport_push(&env->ft, 200, NULL, DELETED);
  msikv_kv_secret *d = NULL;
  assert_int_equal(msikv_kv_delete_secret(env->client, "n", &d, NULL),
                   MSIKV_OK);
  assert_string_equal(d->recovery_id,
                      "https://myvault.vault.azure.net/deletedsecrets/n");
  assert_int_equal(d->deleted_date, 1700000100);
  assert_int_equal(d->scheduled_purge_date, 1707776100);
  msikv_kv_secret_free(d);
  assert_int_equal(fake_transport_count(&env->ft), base + 3);
  assert_request(
      env, base, "DELETE",
      "https://myvault.vault.azure.net/secrets/n?api-version=2025-07-01", NULL);
  const char *poll =
      "https://myvault.vault.azure.net/deletedsecrets/n?api-version=2025-07-01";
  assert_request(env, base + 1, "GET", poll, NULL);
  assert_request(env, base + 2, "GET", poll, NULL);
  assert_int_equal(env->clock.sleep_count, 1);
  assert_int_equal(env->clock.sleeps[0], 2000);
  close_env(env);
}

static void test_delete_secret_never_done_times_out(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  msikv_kv_client_free(env->client);
  env->opts.poll_timeout_ms = 5000;
  assert_int_equal(
      msikv_kv_client_new(KV_URL, env->cred, &env->opts, &env->client, NULL),
      MSIKV_OK);
  kv_push_challenge(env);
  fake_transport_push(&env->ft, 200, NULL, DELETED);
  fake_transport_push(&env->ft, 404, NULL, "{}");
  env->ft.repeat_last = true;
  msikv_kv_secret *d = NULL;
  msikv_error err;
  assert_int_equal(msikv_kv_delete_secret(env->client, "n", &d, &err),
                   MSIKV_ERR_TIMEOUT);
  assert_null(d);
  assert_non_null(strstr(err.message, "5000 ms"));
  /* Polls at 0, 2000, 4000, 5000 ms. */
  assert_int_equal(fake_transport_count(&env->ft), base + 2 + 4);
  close_env(env);
}

static void test_delete_secret_without_soft_delete_no_poll(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 200, NULL,
                      "{\"id\":\"https://myvault.vault.azure.net/secrets/n/v\","
                      "\"attributes\":{\"recoveryLevel\":\"Purgeable\"}}");
  assert_int_equal(msikv_kv_delete_secret(env->client, "n", NULL, NULL),
                   MSIKV_OK);
  assert_int_equal(fake_transport_count(&env->ft), base + 1);
  close_env(env);
}

static void test_get_deleted_secret_parses_recovery_fields(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 200, NULL, DELETED);
  msikv_kv_secret *d = NULL;
  assert_int_equal(msikv_kv_get_deleted_secret(env->client, "n", &d, NULL),
                   MSIKV_OK);
  assert_request(env, base, "GET",
                 "https://myvault.vault.azure.net/deletedsecrets/n?"
                 "api-version=2025-07-01",
                 NULL);
  assert_null(d->value);
  assert_string_equal(d->name, "n");
  assert_string_equal(d->version, "v1");
  assert_int_equal(d->recoverable_days, 90);
  assert_int_equal(d->scheduled_purge_date, 1707776100);
  msikv_kv_secret_free(d);
  close_env(env);
}

static void test_recover_deleted_secret_posts_then_polls(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(
      &env->ft, 200, NULL,
      "{\"id\":\"https://myvault.vault.azure.net/secrets/n/v1\","
      "\"attributes\":{\"enabled\":true}}");
  fake_transport_push(&env->ft, 404, NULL, "{}");
  fake_transport_push(&env->ft, 404, NULL, "{}");
  fake_transport_push(&env->ft, 200, NULL, BUNDLE);
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_recover_deleted_secret(env->client, "n", &s, NULL),
                   MSIKV_OK);
  assert_string_equal(s->name, "n");
  assert_null(s->value);
  msikv_kv_secret_free(s);
  assert_request(env, base, "POST",
                 "https://myvault.vault.azure.net/deletedsecrets/n/recover?"
                 "api-version=2025-07-01",
                 "");
  for (size_t i = 1; i <= 3; i++)
    assert_request(
        env, base + i, "GET",
        "https://myvault.vault.azure.net/secrets/n/?api-version=2025-07-01",
        NULL);
  assert_int_equal(env->clock.sleep_count, 2);
  close_env(env);
}

static void test_purge_deleted_secret_204(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 204, NULL, NULL);
  assert_int_equal(msikv_kv_purge_deleted_secret(env->client, "n", NULL),
                   MSIKV_OK);
  assert_request(env, base, "DELETE",
                 "https://myvault.vault.azure.net/deletedsecrets/n?"
                 "api-version=2025-07-01",
                 NULL);
  fake_transport_push(&env->ft, 409, NULL,
                      "{\"error\":{\"code\":\"Conflict\",\"message\":\"Secret "
                      "is currently being deleted.\",\"innererror\":{"
                      "\"code\":\"ObjectIsBeingDeleted\"}}}");
  msikv_error err;
  assert_int_equal(msikv_kv_purge_deleted_secret(env->client, "n", &err),
                   MSIKV_ERR_CONFLICT);
  assert_string_equal(err.inner_code, "ObjectIsBeingDeleted");
  close_env(env);
}

static void test_backup_and_restore_round_trip(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 200, NULL, "{\"value\":\"QUJD-ZGVm_Z2hp\"}");
  char *blob = NULL;
  assert_int_equal(msikv_kv_backup_secret(env->client, "n", &blob, NULL),
                   MSIKV_OK);
  assert_string_equal(blob, "QUJD-ZGVm_Z2hp");
  assert_request(env, base, "POST",
                 "https://myvault.vault.azure.net/secrets/n/backup?"
                 "api-version=2025-07-01",
                 "");
  fake_transport_push(
      &env->ft, 200, NULL,
      "{\"id\":\"https://myvault.vault.azure.net/secrets/n/v1\","
      "\"attributes\":{\"enabled\":true}}");
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_restore_secret(env->client, blob, &s, NULL),
                   MSIKV_OK);
  assert_string_equal(s->name, "n");
  msikv_kv_secret_free(s);
  assert_request(env, base + 1, "POST",
                 "https://myvault.vault.azure.net/secrets/restore?"
                 "api-version=2025-07-01",
                 "{\"value\":\"QUJD-ZGVm_Z2hp\"}");
  msikv_secret_free(blob);
  msikv_error err;
  assert_int_equal(
      msikv_kv_restore_secret(env->client, "not a blob\"", NULL, &err),
      MSIKV_ERR_ARG);
  fake_transport_push(&env->ft, 200, NULL, "{\"other\":1}");
  assert_int_equal(msikv_kv_backup_secret(env->client, "n", &blob, &err),
                   MSIKV_ERR_PARSE);
  close_env(env);
}

#define ITEM(name)                                                             \
  "{\"id\":\"https://myvault.vault.azure.net/secrets/" name "\","              \
  "\"attributes\":{\"enabled\":true},\"contentType\":null,\"x\":1}"

static void
test_list_secrets_follows_next_link_across_short_pages(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 200, NULL,
                      "{\"value\":[" ITEM("a") "," ITEM(
                          "b") "],\"nextLink\":"
                               "\"https://myvault.vault.azure.net:443/"
                               "secrets?api-version=2025-07-01&"
                               "$skiptoken=t1&maxresults=25\"}");
  fake_transport_push(
      &env->ft, 200, NULL,
      "{\"value\":[],\"nextLink\":"
      "\"https://myvault.vault.azure.net/secrets?$skiptoken=t2\"}");
  fake_transport_push(&env->ft, 200, NULL,
                      "{\"value\":[" ITEM("c") "],\"nextLink\":null}");
  msikv_kv_secret_iter *it = NULL;
  assert_int_equal(msikv_kv_list_secrets(env->client, &it, NULL), MSIKV_OK);
  assert_int_equal(fake_transport_count(&env->ft), base);
  const char *names[] = {"a", "b", "c"};
  for (int i = 0; i < 3; i++) {
    msikv_kv_secret *s = NULL;
    assert_int_equal(msikv_kv_secret_iter_next(it, &s, NULL), MSIKV_OK);
    assert_non_null(s);
    assert_string_equal(s->name, names[i]);
    assert_null(s->version);
    assert_null(s->value);
    assert_null(s->content_type);
    msikv_kv_secret_free(s);
  }
  msikv_kv_secret *s = (msikv_kv_secret *)1;
  assert_int_equal(msikv_kv_secret_iter_next(it, &s, NULL), MSIKV_OK);
  assert_null(s);
  assert_int_equal(msikv_kv_secret_iter_next(it, &s, NULL), MSIKV_OK);
  assert_null(s);
  msikv_kv_secret_iter_free(it);
  assert_int_equal(fake_transport_count(&env->ft), base + 3);
  assert_request(env, base, "GET",
                 "https://myvault.vault.azure.net/secrets?"
                 "api-version=2025-07-01",
                 NULL);
  assert_request(env, base + 1, "GET",
                 "https://myvault.vault.azure.net:443/secrets?api-version="
                 "2025-07-01&$skiptoken=t1&maxresults=25",
                 NULL);
  assert_request(env, base + 2, "GET",
                 "https://myvault.vault.azure.net/secrets?$skiptoken=t2&"
                 "api-version=2025-07-01",
                 NULL);
  /* host:443 is the same authority: no second challenge. */
  assert_int_equal(env->fc.calls, 1);
  close_env(env);
}

static void test_list_versions_and_deleted_urls(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  msikv_kv_client_free(env->client);
  env->opts.page_size = 10;
  assert_int_equal(
      msikv_kv_client_new(KV_URL, env->cred, &env->opts, &env->client, NULL),
      MSIKV_OK);
  kv_push_challenge(env);
  fake_transport_push(
      &env->ft, 200, NULL,
      "{\"value\":[" ITEM("n/v1") "," ITEM("n/v2") "],\"nextLink\":null}");
  msikv_kv_secret_iter *it = NULL;
  assert_int_equal(msikv_kv_list_secret_versions(env->client, "n", &it, NULL),
                   MSIKV_OK);
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_secret_iter_next(it, &s, NULL), MSIKV_OK);
  assert_string_equal(s->version, "v1");
  msikv_kv_secret_free(s);
  msikv_kv_secret_iter_free(it);
  const fake_record *r = fake_transport_request(&env->ft, base + 1);
  assert_string_equal(r->url, "https://myvault.vault.azure.net/secrets/n/"
                              "versions?api-version=2025-07-01&maxresults=10");

  fake_transport_push(
      &env->ft, 200, NULL,
      "{\"value\":[{\"recoveryId\":\"https://myvault.vault.azure.net/"
      "deletedsecrets/d\",\"deletedDate\":5,\"scheduledPurgeDate\":6,"
      "\"id\":\"https://myvault.vault.azure.net/secrets/d\","
      "\"attributes\":{\"enabled\":true}}]}");
  assert_int_equal(msikv_kv_list_deleted_secrets(env->client, &it, NULL),
                   MSIKV_OK);
  assert_int_equal(msikv_kv_secret_iter_next(it, &s, NULL), MSIKV_OK);
  assert_string_equal(s->name, "d");
  assert_int_equal(s->deleted_date, 5);
  assert_string_equal(s->recovery_id,
                      "https://myvault.vault.azure.net/deletedsecrets/d");
  msikv_kv_secret_free(s);
  assert_int_equal(msikv_kv_secret_iter_next(it, &s, NULL), MSIKV_OK);
  assert_null(s);
  msikv_kv_secret_iter_free(it);
  assert_request(env, base + 2, "GET",
                 "https://myvault.vault.azure.net/deletedsecrets?api-version="
                 "2025-07-01&maxresults=10",
                 NULL);
  assert_int_equal(msikv_kv_list_secret_versions(env->client, "a b", &it, NULL),
                   MSIKV_ERR_ARG);
  close_env(env);
}

static void test_list_secrets_foreign_next_link_refused(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 200, NULL,
                      "{\"value\":[],\"nextLink\":\"https://evil.example.com/"
                      "secrets?api-version=1\"}");
  msikv_kv_secret_iter *it = NULL;
  assert_int_equal(msikv_kv_list_secrets(env->client, &it, NULL), MSIKV_OK);
  msikv_kv_secret *s = NULL;
  msikv_error err;
  assert_int_equal(msikv_kv_secret_iter_next(it, &s, &err), MSIKV_ERR_INSECURE);
  assert_null(s);
  assert_non_null(strstr(err.message, "evil.example.com"));
  msikv_kv_secret_iter_free(it);
  assert_int_equal(fake_transport_count(&env->ft), base + 1);
  close_env(env);
}

static void test_list_secrets_bad_page_parse_error(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 200, NULL, "{\"nextLink\":null}");
  msikv_kv_secret_iter *it = NULL;
  assert_int_equal(msikv_kv_list_secrets(env->client, &it, NULL), MSIKV_OK);
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_secret_iter_next(it, &s, NULL), MSIKV_ERR_PARSE);
  msikv_kv_secret_iter_free(it);
  fake_transport_push(&env->ft, 200, NULL,
                      "{\"value\":[{\"attributes\":{}}],\"nextLink\":null}");
  assert_int_equal(msikv_kv_list_secrets(env->client, &it, NULL), MSIKV_OK);
  assert_int_equal(msikv_kv_secret_iter_next(it, &s, NULL), MSIKV_ERR_PARSE);
  msikv_kv_secret_iter_free(it);
  close_env(env);
}

static uint32_t zero_random(void *ctx) {
  (void)ctx;
  return 0;
}

static void test_get_secret_429_without_retry_after_backs_off(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  env.opts.retry.random_fn = zero_random;
  assert_int_equal(kv_env_open(&env, KV_URL), MSIKV_OK);
  kv_push_challenge(&env);
  const char *throttled =
      "{\"error\":{\"code\":\"Throttled\",\"message\":\"Request was not "
      "processed because too many requests were received.\"}}";
  fake_transport_push(&env.ft, 429, NULL, throttled);
  fake_transport_push(&env.ft, 429, NULL, throttled);
  fake_transport_push(&env.ft, 200, NULL, BUNDLE);
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_get_secret(env.client, "db-pass", NULL, &s, NULL),
                   MSIKV_OK);
  msikv_kv_secret_free(s);
  assert_int_equal(fake_transport_count(&env.ft), 4);
  /* Backoff 800 then 1600 ms, times the 0.8 jitter floor. */
  assert_int_equal(env.clock.sleep_count, 2);
  assert_int_equal(env.clock.sleeps[0], 640);
  assert_int_equal(env.clock.sleeps[1], 1280);

  /* Retries run out: THROTTLED with the service's code. */
  fake_transport_push(&env.ft, 429, "Retry-After: 3\n", throttled);
  env.ft.repeat_last = true;
  msikv_error err;
  assert_int_equal(msikv_kv_get_secret(env.client, "db-pass", NULL, &s, &err),
                   MSIKV_ERR_THROTTLED);
  assert_int_equal(err.http_status, 429);
  assert_string_equal(err.code, "Throttled");
  assert_int_equal(fake_transport_count(&env.ft), 8);
  assert_int_equal(env.clock.sleeps[2], 3000);
  kv_env_free(&env);
}

static void test_get_secret_error_mapping(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  msikv_kv_secret *s = NULL;
  msikv_error err;

  fake_transport_push(
      &env->ft, 403, NULL,
      "{\"error\":{\"code\":\"Forbidden\",\"message\":\"The user, group or "
      "application 'appid=11111111-2222;oid=3333;iss=https://sts.windows.net/"
      "t/' does not have secrets get permission on key vault 'myvault;"
      "location=westeurope'.\",\"innererror\":{\"code\":\"AccessDenied\"}}}");
  assert_int_equal(msikv_kv_get_secret(env->client, "n", NULL, &s, &err),
                   MSIKV_ERR_FORBIDDEN);
  assert_int_equal(err.http_status, 403);
  assert_string_equal(err.code, "Forbidden");
  assert_string_equal(err.inner_code, "AccessDenied");
  assert_non_null(strstr(err.message, "appid=11111111-2222;oid=3333"));
  assert_non_null(strstr(err.message, "get_secret 'n'"));

  fake_transport_push(&env->ft, 404, NULL,
                      "{\"error\":{\"code\":\"SecretNotFound\",\"message\":"
                      "\"A secret with (name/id) n was not found in this key "
                      "vault.\"}}");
  assert_int_equal(msikv_kv_get_secret(env->client, "n", NULL, &s, &err),
                   MSIKV_ERR_NOT_FOUND);
  assert_string_equal(err.code, "SecretNotFound");
  assert_string_equal(err.inner_code, "");

  fake_transport_push(
      &env->ft, 409, NULL,
      "{\"error\":{\"code\":\"Conflict\",\"message\":\"Secret n is currently "
      "in a deleted but recoverable state\",\"innererror\":{\"code\":"
      "\"ObjectIsDeletedButRecoverable\"}}}");
  assert_int_equal(msikv_kv_set_secret(env->client, "n", "v", NULL, &s, &err),
                   MSIKV_ERR_CONFLICT);
  assert_string_equal(err.inner_code, "ObjectIsDeletedButRecoverable");

  fake_transport_push(&env->ft, 400, NULL, "not json");
  assert_int_equal(msikv_kv_get_secret(env->client, "n", NULL, &s, &err),
                   MSIKV_ERR_HTTP);
  assert_int_equal(err.http_status, 400);
  assert_string_equal(err.code, "");

  /* A 401 after the cached token: one re-authentication, then AUTH. */
  size_t before = fake_transport_count(&env->ft);
  int calls = env->fc.calls;
  fake_transport_push(&env->ft, 401, KV_CHALLENGE,
                      "{\"error\":{\"code\":\"Unauthorized\",\"message\":"
                      "\"AKV10022: Invalid audience.\"}}");
  env->ft.repeat_last = true;
  assert_int_equal(msikv_kv_get_secret(env->client, "n", NULL, &s, &err),
                   MSIKV_ERR_AUTH);
  assert_null(s);
  assert_int_equal(err.http_status, 401);
  assert_string_equal(err.code, "Unauthorized");
  assert_non_null(strstr(err.message, "AKV10022"));
  assert_int_equal(fake_transport_count(&env->ft), before + 2);
  assert_int_equal(env->fc.calls, calls + 1);
  close_env(env);
}

static void test_get_secret_later_401_reauthenticates_once(void **state) {
  (void)state;
  size_t base;
  kv_env *env = open_primed(&base);
  fake_transport_push(&env->ft, 401, KV_CHALLENGE, KV_401_BODY);
  fake_transport_push(&env->ft, 200, NULL, BUNDLE);
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_get_secret(env->client, "n", NULL, &s, NULL),
                   MSIKV_OK);
  msikv_kv_secret_free(s);
  assert_int_equal(env->fc.calls, 2);
  assert_string_equal(
      fake_record_header(fake_transport_request(&env->ft, base + 1),
                         "Authorization"),
      "Bearer tok2");
  close_env(env);
}

/* A managed identity token for the IMDS reply, valid for an hour. */
static void push_mi_token(fake_transport *ft, const char *token) {
  char body[256];
  snprintf(body, sizeof(body),
           "{\"access_token\":\"%s\",\"expires_in\":\"3599\","
           "\"expires_on\":\"%lld\",\"token_type\":\"Bearer\"}",
           token, (long long)(KV_T0_MS / 1000 + 3599));
  fake_transport_push(ft, 200, NULL, body);
}

static size_t count_token_requests(fake_transport *ft) {
  size_t n = 0;
  for (size_t i = 0; i < fake_transport_count(ft); i++) {
    if (!strstr(fake_transport_request(ft, i)->url, "vault.azure.net/secrets"))
      n++;
  }
  return n;
}

/* The vault rejects a token the credential still caches (e.g.
 * "[TokenExpired]" after clock skew): the client tells the credential,
 * whose cache drops it, and the one re-authentication gets a new token. */
static void test_get_secret_401_on_cached_token_invalidates_and_succeeds(
    void **state) {
  (void)state;
  fake_transport ft;
  fake_transport_init(&ft);
  fake_clock clock;
  fake_clock_init(&clock, KV_T0_MS);
  msikv_identity_options io = msikv_identity_options_default();
  io.transport = &ft.transport;
  io.clock = &clock.clock;
  msikv_credential *cred = NULL;
  assert_int_equal(msikv_cred_managed_identity_new(&io, NULL, &cred, NULL),
                   MSIKV_OK);
  msikv_kv_client_options opts = msikv_kv_client_options_default();
  opts.transport = &ft.transport;
  opts.clock = &clock.clock;
  msikv_kv_client *client = NULL;
  assert_int_equal(msikv_kv_client_new(KV_URL, cred, &opts, &client, NULL),
                   MSIKV_OK);
  kv_push_challenge_ft(&ft);
  push_mi_token(&ft, "mi-1");
  fake_transport_push(&ft, 200, NULL, BUNDLE);
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_get_secret(client, "n", NULL, &s, NULL), MSIKV_OK);
  msikv_kv_secret_free(s);
  assert_int_equal(count_token_requests(&ft), 1);
  size_t base = fake_transport_count(&ft);

  fake_transport_push(
      &ft, 401, KV_CHALLENGE,
      "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"[TokenExpired] "
      "Error validating token: 'S2S12086'.\"}}");
  push_mi_token(&ft, "mi-2");
  fake_transport_push(&ft, 200, NULL, BUNDLE);
  s = NULL;
  assert_int_equal(msikv_kv_get_secret(client, "n", NULL, &s, NULL), MSIKV_OK);
  assert_string_equal(s->value, "s3cret");
  msikv_kv_secret_free(s);
  assert_int_equal(fake_transport_count(&ft), base + 3);
  assert_int_equal(count_token_requests(&ft), 2); /* Exactly one more. */
  assert_string_equal(fake_record_header(fake_transport_request(&ft, base),
                                         "Authorization"),
                      "Bearer mi-1");
  assert_string_equal(fake_record_header(fake_transport_request(&ft, base + 2),
                                         "Authorization"),
                      "Bearer mi-2");
  /* The new token is cached by both: the next call needs no token call. */
  fake_transport_push(&ft, 200, NULL, BUNDLE);
  s = NULL;
  assert_int_equal(msikv_kv_get_secret(client, "n", NULL, &s, NULL), MSIKV_OK);
  msikv_kv_secret_free(s);
  assert_int_equal(count_token_requests(&ft), 2);
  assert_string_equal(fake_record_header(fake_transport_request(&ft, base + 3),
                                         "Authorization"),
                      "Bearer mi-2");
  msikv_kv_client_free(client);
  msikv_cred_free(cred);
  fake_clock_free(&clock);
  fake_transport_free(&ft);
}

/* A revoked principal: the new token is refused too; one re-authentication
 * only, and the 401 is reported. */
static void test_get_secret_401_after_new_token_fails_once(void **state) {
  (void)state;
  fake_transport ft;
  fake_transport_init(&ft);
  msikv_identity_options io = msikv_identity_options_default();
  io.transport = &ft.transport;
  msikv_credential *cred = NULL;
  assert_int_equal(msikv_cred_managed_identity_new(&io, NULL, &cred, NULL),
                   MSIKV_OK);
  msikv_kv_client_options opts = msikv_kv_client_options_default();
  opts.transport = &ft.transport;
  msikv_kv_client *client = NULL;
  assert_int_equal(msikv_kv_client_new(KV_URL, cred, &opts, &client, NULL),
                   MSIKV_OK);
  kv_push_challenge_ft(&ft);
  char body[256];
  snprintf(body, sizeof(body),
           "{\"access_token\":\"mi-1\",\"expires_in\":\"3599\","
           "\"expires_on\":\"%lld\",\"token_type\":\"Bearer\"}",
           (long long)(time(NULL) + 3599));
  fake_transport_push(&ft, 200, NULL, body);
  fake_transport_push(&ft, 401, KV_CHALLENGE, KV_401_BODY);
  fake_transport_push(&ft, 200, NULL, body); /* IMDS gives mi-1 again... */
  fake_transport_push(&ft, 401, KV_CHALLENGE, KV_401_BODY);
  msikv_kv_secret *s = NULL;
  msikv_error err;
  assert_int_equal(msikv_kv_get_secret(client, "n", NULL, &s, &err),
                   MSIKV_ERR_AUTH);
  assert_null(s);
  assert_int_equal(err.http_status, 401);
  assert_int_equal(fake_transport_count(&ft), 5);
  assert_int_equal(count_token_requests(&ft), 2);
  msikv_kv_client_free(client);
  msikv_cred_free(cred);
  fake_transport_free(&ft);
}

static void test_get_secret_token_near_expiry_refreshed(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  env.fc.lifetime_s = 1000;
  assert_int_equal(kv_env_open(&env, KV_URL), MSIKV_OK);
  prime(&env);
  fake_transport_push(&env.ft, 200, NULL, BUNDLE);
  env.ft.repeat_last = true;
  msikv_kv_secret *s = NULL;
  fake_clock_advance(&env.clock, 600 * 1000);
  assert_int_equal(msikv_kv_get_secret(env.client, "n", NULL, &s, NULL),
                   MSIKV_OK);
  msikv_kv_secret_free(s);
  assert_int_equal(env.fc.calls, 1);
  fake_clock_advance(&env.clock, 200 * 1000);
  assert_int_equal(msikv_kv_get_secret(env.client, "n", NULL, &s, NULL),
                   MSIKV_OK);
  msikv_kv_secret_free(s);
  assert_int_equal(env.fc.calls, 2);
  kv_env_free(&env);
}

static void test_challenge_resource_mismatch_refused(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(kv_env_open(&env, "https://myvault.example.com"), MSIKV_OK);
  kv_push_challenge(&env);
  msikv_kv_secret *s = NULL;
  msikv_error err;
  assert_int_equal(msikv_kv_get_secret(env.client, "n", NULL, &s, &err),
                   MSIKV_ERR_INSECURE);
  assert_non_null(strstr(err.message, "vault.azure.net"));
  assert_non_null(strstr(err.message, "verify_challenge_resource"));
  assert_int_equal(env.fc.calls, 0);
  assert_int_equal(fake_transport_count(&env.ft), 1);
  kv_env_free(&env);

  /* A host that merely ends with the resource text, without the dot. */
  kv_env_init_opts(&env);
  assert_int_equal(kv_env_open(&env, "https://evilvault.azure.net"), MSIKV_OK);
  kv_push_challenge(&env);
  assert_int_equal(msikv_kv_get_secret(env.client, "n", NULL, &s, &err),
                   MSIKV_ERR_INSECURE);
  kv_env_free(&env);
}

static void test_challenge_resource_check_opt_out_passes(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  env.opts.verify_challenge_resource = false;
  assert_int_equal(kv_env_open(&env, "https://localhost:8443/"), MSIKV_OK);
  kv_push_challenge(&env);
  fake_transport_push(&env.ft, 200, NULL, BUNDLE);
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_get_secret(env.client, "n", NULL, &s, NULL),
                   MSIKV_OK);
  msikv_kv_secret_free(s);
  assert_string_equal(fake_transport_request(&env.ft, 1)->url,
                      "https://localhost:8443/secrets/n/?api-version="
                      "2025-07-01");
  kv_env_free(&env);
}

static void test_challenge_scope_and_port_verified(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(kv_env_open(&env, "https://demo.vault.localhost:8443"),
                   MSIKV_OK);
  assert_string_equal(msikv_kv_client_vault_url(env.client),
                      "https://demo.vault.localhost:8443");
  fake_transport_push(&env.ft, 401,
                      "WWW-Authenticate: Bearer authorization_uri="
                      "\"https://login.localhost:8444/t-9/oauth2/authorize\", "
                      "scope=\"https://vault.localhost:8443/.default\"\n",
                      KV_401_BODY);
  fake_transport_push(&env.ft, 200, NULL, BUNDLE);
  msikv_kv_secret *s = NULL;
  assert_int_equal(msikv_kv_get_secret(env.client, "n", NULL, &s, NULL),
                   MSIKV_OK);
  msikv_kv_secret_free(s);
  assert_string_equal(env.fc.scope, "https://vault.localhost:8443/.default");
  assert_string_equal(env.fc.tenant, "t-9");
  kv_env_free(&env);
}

static void test_challenge_malformed_is_auth_error(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(kv_env_open(&env, KV_URL), MSIKV_OK);
  fake_transport_push(&env.ft, 401, "WWW-Authenticate: Basic realm=x\n",
                      KV_401_BODY);
  msikv_kv_secret *s = NULL;
  msikv_error err;
  assert_int_equal(msikv_kv_get_secret(env.client, "n", NULL, &s, &err),
                   MSIKV_ERR_AUTH);
  assert_int_equal(err.http_status, 401);
  fake_transport_push(&env.ft, 401, NULL, KV_401_BODY);
  assert_int_equal(msikv_kv_get_secret(env.client, "n", NULL, &s, &err),
                   MSIKV_ERR_AUTH);
  assert_int_equal(env.fc.calls, 0);
  kv_env_free(&env);
}

static void test_client_new_rejects_bad_arguments(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(msikv_cred_new_custom(&kv_fake_cred_ops, &env.fc, &env.cred),
                   MSIKV_OK);
  msikv_error err;
  assert_int_equal(msikv_kv_client_new("https://v.vault.azure.net/secrets",
                                       env.cred, &env.opts, &env.client, &err),
                   MSIKV_ERR_ARG);
  assert_int_equal(
      msikv_kv_client_new("vault", env.cred, &env.opts, &env.client, &err),
      MSIKV_ERR_ARG);
  assert_int_equal(
      msikv_kv_client_new(NULL, env.cred, &env.opts, &env.client, &err),
      MSIKV_ERR_ARG);
  assert_int_equal(
      msikv_kv_client_new(KV_URL, NULL, &env.opts, &env.client, &err),
      MSIKV_ERR_ARG);
  env.opts.api_version = "7.6&x=1";
  assert_int_equal(
      msikv_kv_client_new(KV_URL, env.cred, &env.opts, &env.client, &err),
      MSIKV_ERR_ARG);
  env.opts.api_version = "7.4";
  assert_int_equal(
      msikv_kv_client_new(KV_URL "/", env.cred, &env.opts, &env.client, &err),
      MSIKV_OK);
  assert_string_equal(msikv_kv_client_vault_url(env.client), KV_URL);
  kv_env_free(&env);
}

static void test_credential_failure_propagates(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  env.fc.fail = MSIKV_ERR_UNAVAILABLE;
  assert_int_equal(kv_env_open(&env, KV_URL), MSIKV_OK);
  kv_push_challenge(&env);
  msikv_kv_secret *s = NULL;
  msikv_error err;
  assert_int_equal(msikv_kv_get_secret(env.client, "n", NULL, &s, &err),
                   MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "fake credential failed"));
  assert_int_equal(fake_transport_count(&env.ft), 1);
  kv_env_free(&env);
}

static void *get_loop(void *arg) {
  kv_env *env = arg;
  for (int i = 0; i < 25; i++) {
    msikv_kv_secret *s = NULL;
    if (msikv_kv_get_secret(env->client, "db-pass", NULL, &s, NULL) !=
            MSIKV_OK ||
        strcmp(s->value, "s3cret") != 0)
      return (void *)1;
    msikv_kv_secret_free(s);
  }
  return NULL;
}

static void test_get_secret_many_threads_share_client(void **state) {
  (void)state;
  kv_env env;
  kv_env_init_opts(&env);
  assert_int_equal(kv_env_open(&env, KV_URL), MSIKV_OK);
  prime(&env);
  fake_transport_push(&env.ft, 200, NULL, BUNDLE);
  env.ft.repeat_last = true;
  pthread_t threads[8];
  for (int i = 0; i < 8; i++)
    assert_int_equal(pthread_create(&threads[i], NULL, get_loop, &env), 0);
  for (int i = 0; i < 8; i++) {
    void *result = NULL;
    assert_int_equal(pthread_join(threads[i], &result), 0);
    assert_null(result);
  }
  /* One challenge, one token; every other request carried it. */
  assert_int_equal(fake_transport_count(&env.ft), 8 * 25 + 2);
  assert_int_equal(env.fc.calls, 1);
  kv_env_free(&env);
}

/* ---- OOM sweeps: each run builds and tears down everything. ---- */

typedef msikv_result (*kv_op)(kv_env *env);

static msikv_result oom_run(void *ctx) {
  kv_op op = *(kv_op *)ctx;
  kv_env env;
  kv_env_init_opts(&env);
  msikv_result rc = kv_env_open(&env, KV_URL);
  if (!rc)
    rc = op(&env);
  kv_env_free(&env);
  return rc;
}

static msikv_result op_get(kv_env *env) {
  kv_push_challenge(env);
  fake_transport_push(&env->ft, 200, NULL, BUNDLE);
  msikv_kv_secret *s = NULL;
  msikv_result rc = msikv_kv_get_secret(env->client, "db-pass", NULL, &s, NULL);
  msikv_kv_secret_free(s);
  return rc;
}

static msikv_result op_set(kv_env *env) {
  kv_push_challenge(env);
  fake_transport_push(&env->ft, 200, NULL, BUNDLE);
  msikv_kv_tag_ref tags[] = {{"a", "b"}};
  msikv_kv_secret_options o = msikv_kv_secret_options_default();
  o.content_type = "t";
  o.tags = tags;
  o.tag_count = 1;
  o.exp = 9;
  msikv_kv_secret *s = NULL;
  msikv_result rc = msikv_kv_set_secret(env->client, "n", "v", &o, &s, NULL);
  msikv_kv_secret_free(s);
  return rc;
}

static msikv_result op_list(kv_env *env) {
  kv_push_challenge(env);
  fake_transport_push(
      &env->ft, 200, NULL,
      "{\"value\":[" ITEM(
          "a") "],\"nextLink\":"
               "\"https://myvault.vault.azure.net/secrets?x=1\"}");
  fake_transport_push(&env->ft, 200, NULL,
                      "{\"value\":[" ITEM("b") "],\"nextLink\":null}");
  msikv_kv_secret_iter *it = NULL;
  msikv_result rc = msikv_kv_list_secrets(env->client, &it, NULL);
  int n = 0;
  while (!rc) {
    msikv_kv_secret *s = NULL;
    rc = msikv_kv_secret_iter_next(it, &s, NULL);
    if (!s)
      break;
    n++;
    msikv_kv_secret_free(s);
  }
  msikv_kv_secret_iter_free(it);
  return rc ? rc : (n == 2 ? MSIKV_OK : MSIKV_ERR_PARSE);
}

static msikv_result op_delete_backup(kv_env *env) {
  kv_push_challenge(env);
  fake_transport_push(&env->ft, 200, NULL, DELETED);
  fake_transport_push(&env->ft, 404, NULL, "{}");
  fake_transport_push(&env->ft, 200, NULL, DELETED);
  fake_transport_push(&env->ft, 200, NULL, "{\"value\":\"abc\"}");
  msikv_kv_secret *d = NULL;
  msikv_result rc = msikv_kv_delete_secret(env->client, "n", &d, NULL);
  msikv_kv_secret_free(d);
  char *blob = NULL;
  if (!rc)
    rc = msikv_kv_backup_secret(env->client, "n", &blob, NULL);
  msikv_secret_free(blob);
  return rc;
}

static msikv_result op_others(kv_env *env) {
  kv_push_challenge(env);
  fake_transport_push(&env->ft, 200, NULL, PROPS_N);
  fake_transport_push(&env->ft, 200, NULL, DELETED);
  fake_transport_push(&env->ft, 200, NULL, PROPS_N);
  fake_transport_push(&env->ft, 200, NULL, BUNDLE);
  fake_transport_push(&env->ft, 204, NULL, NULL);
  fake_transport_push(&env->ft, 200, NULL, PROPS_N);
  msikv_kv_secret_options o = msikv_kv_secret_options_default();
  o.set_enabled = true;
  o.set_tags = true;
  msikv_kv_secret *s = NULL;
  msikv_result rc =
      msikv_kv_update_secret_properties(env->client, "n", "v1", &o, &s, NULL);
  msikv_kv_secret_free(s);
  s = NULL;
  if (!rc)
    rc = msikv_kv_get_deleted_secret(env->client, "n", &s, NULL);
  msikv_kv_secret_free(s);
  s = NULL;
  if (!rc)
    rc = msikv_kv_recover_deleted_secret(env->client, "n", &s, NULL);
  msikv_kv_secret_free(s);
  s = NULL;
  if (!rc)
    rc = msikv_kv_purge_deleted_secret(env->client, "n", NULL);
  if (!rc)
    rc = msikv_kv_restore_secret(env->client, "QUJD", &s, NULL);
  msikv_kv_secret_free(s);
  return rc;
}

static void test_kv_operations_oom_sweep_no_leak(void **state) {
  (void)state;
  kv_op ops[] = {op_get, op_set, op_list, op_delete_backup, op_others};
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
    assert_true(oom_sweep(oom_run, &ops[i], false) > 5);
}

int main(void) {
  if (msikv_global_init())
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_secret_challenge_then_token_returns_value),
      cmocka_unit_test(test_client_new_http_url_refused_insecure),
      cmocka_unit_test(test_get_secret_bad_name_no_request),
      cmocka_unit_test(test_set_secret_first_put_body_stripped_then_resent),
      cmocka_unit_test(test_set_secret_minimal_body_and_no_output),
      cmocka_unit_test(test_set_secret_value_limits_checked_locally),
      cmocka_unit_test(test_update_secret_properties_patch_body),
      cmocka_unit_test(test_delete_secret_polls_404_then_200),
      cmocka_unit_test(test_delete_secret_never_done_times_out),
      cmocka_unit_test(test_delete_secret_without_soft_delete_no_poll),
      cmocka_unit_test(test_get_deleted_secret_parses_recovery_fields),
      cmocka_unit_test(test_recover_deleted_secret_posts_then_polls),
      cmocka_unit_test(test_purge_deleted_secret_204),
      cmocka_unit_test(test_backup_and_restore_round_trip),
      cmocka_unit_test(test_list_secrets_follows_next_link_across_short_pages),
      cmocka_unit_test(test_list_versions_and_deleted_urls),
      cmocka_unit_test(test_list_secrets_foreign_next_link_refused),
      cmocka_unit_test(test_list_secrets_bad_page_parse_error),
      cmocka_unit_test(test_get_secret_429_without_retry_after_backs_off),
      cmocka_unit_test(test_get_secret_error_mapping),
      cmocka_unit_test(test_get_secret_later_401_reauthenticates_once),
      cmocka_unit_test(
          test_get_secret_401_on_cached_token_invalidates_and_succeeds),
      cmocka_unit_test(test_get_secret_401_after_new_token_fails_once),
      cmocka_unit_test(test_get_secret_token_near_expiry_refreshed),
      cmocka_unit_test(test_challenge_resource_mismatch_refused),
      cmocka_unit_test(test_challenge_resource_check_opt_out_passes),
      cmocka_unit_test(test_challenge_scope_and_port_verified),
      cmocka_unit_test(test_challenge_malformed_is_auth_error),
      cmocka_unit_test(test_client_new_rejects_bad_arguments),
      cmocka_unit_test(test_credential_failure_propagates),
      cmocka_unit_test(test_get_secret_many_threads_share_client),
      cmocka_unit_test(test_kv_operations_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("kv_client", tests, NULL, NULL);
}
