/* SPDX-License-Identifier: MIT */
/**
 * @file mock_kv_fixture.h
 * @brief The fixture every tests/mock_kv_*_test.c shares: a mock_kv with a
 * fake token verifier, and helpers that call mock_kv_handle and read the
 * JSON answer. Header-only (static inline), test-only.
 */
#ifndef MSIKV_TESTS_MOCK_KV_FIXTURE_H
#define MSIKV_TESTS_MOCK_KV_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mockserver/kv.h"
#include "mockserver/mock_http.h"
#include "msikv/alloc.h"
#include "oom.h"

#define PORT 8443
#define HOST "demo.vault.localhost:8443"
#define BASE "https://demo.vault.localhost:8443"
#define T0_MS INT64_C(1700000000000)
#define STS "https://sts.windows.net/" MOCK_KV_TENANT_ID "/"

typedef struct fx {
  mock_kv *kv;
  mock_response resp;
  cJSON *json;
  int64_t now_ms;
  const char *host;
  const char *extra_name, *extra_value;
} fx;

static void set_ids(mock_claims *c, const char *oid, const char *appid) {
  snprintf(c->oid, sizeof(c->oid), "%s", oid);
  snprintf(c->appid, sizeof(c->appid), "%s", appid);
}

/* Tokens are plain words naming who is calling or what is wrong. */
static mock_token_status fake_verify(void *ctx, const char *token,
                                     int64_t now_s, mock_claims *out) {
  (void)ctx;
  (void)now_s;
  memset(out, 0, sizeof(*out));
  snprintf(out->tid, sizeof(out->tid), "%s", MOCK_KV_TENANT_ID);
  snprintf(out->iss, sizeof(out->iss), "%s", STS);
  snprintf(out->aud, sizeof(out->aud), "https://vault.localhost:%d", PORT);
  if (strcmp(token, "sp") == 0)
    set_ids(out, MOCK_KV_SP_OBJECT_ID, MOCK_KV_SP_APP_ID);
  else if (strcmp(token, "mi") == 0)
    set_ids(out, MOCK_KV_MI_OBJECT_ID, MOCK_KV_MI_APP_ID);
  else if (strcmp(token, "uami") == 0)
    set_ids(out, MOCK_KV_UAMI_OBJECT_ID,
            "cccccccc-0000-4000-8000-000000000001");
  else if (strcmp(token, "denied") == 0)
    set_ids(out, MOCK_KV_DENIED_OBJECT_ID,
            "dddddddd-0000-4000-8000-000000000001");
  else if (strncmp(token, "oid:", 4) == 0)
    set_ids(out, token + 4, "app-of-test");
  else if (strncmp(token, "aud:", 4) == 0) {
    set_ids(out, MOCK_KV_SP_OBJECT_ID, MOCK_KV_SP_APP_ID);
    snprintf(out->aud, sizeof(out->aud), "%s", token + 4);
  } else if (strcmp(token, "wrongaud") == 0) {
    snprintf(out->aud, sizeof(out->aud), "https://management.azure.com/");
    return MOCK_TOKEN_WRONG_AUDIENCE;
  } else if (strcmp(token, "wrongiss") == 0) {
    snprintf(out->iss, sizeof(out->iss),
             "https://sts.windows.net/99999999-0000-0000-0000-000000000000/");
    return MOCK_TOKEN_WRONG_ISSUER;
  } else if (strcmp(token, "expired") == 0)
    return MOCK_TOKEN_EXPIRED;
  else if (strcmp(token, "notyet") == 0)
    return MOCK_TOKEN_NOT_YET_VALID;
  else if (strcmp(token, "badsig") == 0)
    return MOCK_TOKEN_BAD_SIGNATURE;
  else
    return MOCK_TOKEN_MALFORMED;
  return MOCK_TOKEN_OK;
}

static inline mock_kv *new_kv(int port) {
  mock_kv_config cfg = {0};
  cfg.dns_suffix = "vault.localhost";
  cfg.port = port;
  char authority[64];
  snprintf(authority, sizeof(authority), "https://login.localhost:%d", port);
  cfg.authority = authority;
  cfg.tenant_id = MOCK_KV_TENANT_ID;
  cfg.max_value_bytes = 25600;
  cfg.recoverable_days = 90;
  cfg.verify = fake_verify;
  mock_kv *kv = NULL;
  assert_int_equal(mock_kv_new(&cfg, &kv), MSIKV_OK);
  return kv;
}

static int setup(void **state) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
  oom_install();
  fx *f = msikv_calloc(1, sizeof(*f));
  f->kv = new_kv(PORT);
  assert_int_equal(mock_kv_seed_default(f->kv), MSIKV_OK);
  mock_response_init(&f->resp);
  f->now_ms = T0_MS;
  f->host = HOST;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  mock_response_free(&f->resp);
  cJSON_Delete(f->json);
  mock_kv_free(f->kv);
  msikv_free(f);
  oom_uninstall();
  return 0;
}

/* Sends @p method @p target ("/path?query") with "Bearer @p token" (none
 * when NULL); @return the status. The reply stays in f->resp / f->json. */
static inline int call(fx *f, const char *method, const char *target,
                       const char *token, const char *body) {
  char path[4096], auth[512];
  const char *q = strchr(target, '?');
  size_t plen = q ? (size_t)(q - target) : strlen(target);
  assert_true(plen < sizeof(path));
  memcpy(path, target, plen);
  path[plen] = '\0';
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = MOCK_LISTENER_TLS;
  req.method = method;
  req.host = f->host;
  req.path = path;
  req.query = q ? q + 1 : "";
  req.body = body ? body : "";
  req.body_len = body ? strlen(body) : 0;
  req.has_body = body != NULL;
  req.now_ms = f->now_ms;
  if (token) {
    snprintf(auth, sizeof(auth), "Bearer %s", token);
    req.headers[req.header_count++] = (mock_header){"Authorization", auth};
  }
  if (f->extra_name)
    req.headers[req.header_count++] =
        (mock_header){f->extra_name, f->extra_value};
  mock_response_free(&f->resp);
  mock_response_init(&f->resp);
  cJSON_Delete(f->json);
  f->json = NULL;
  mock_kv_handle(f->kv, &req, &f->resp);
  if (f->resp.body.len)
    f->json = cJSON_ParseWithLength(f->resp.body.data, f->resp.body.len);
  return f->resp.status;
}

static inline const char *jstr(const cJSON *o, const char *key) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(s) ? s->valuestring : NULL;
}

static inline double jnum(const cJSON *o, const char *key) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, key);
  assert_true(cJSON_IsNumber(n));
  return n->valuedouble;
}

static inline const cJSON *jobj(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static inline const char *err_code(fx *f) {
  return jstr(jobj(f->json, "error"), "code");
}

static inline const char *err_message(fx *f) {
  return jstr(jobj(f->json, "error"), "message");
}

static inline const char *inner_code(fx *f) {
  return jstr(jobj(jobj(f->json, "error"), "innererror"), "code");
}

/* PUTs {"value": value} as the service principal; @return the version. */
static inline void put_secret(fx *f, const char *name, const char *value,
                              char out_version[33]) {
  char target[256], body[512];
  snprintf(target, sizeof(target), "/secrets/%s?api-version=7.6", name);
  snprintf(body, sizeof(body), "{\"value\":\"%s\"}", value);
  assert_int_equal(call(f, "PUT", target, "sp", body), 200);
  const char *id = jstr(f->json, "id");
  assert_non_null(id);
  const char *slash = strrchr(id, '/');
  assert_int_equal(strlen(slash + 1), 32);
  if (out_version)
    memcpy(out_version, slash + 1, 33);
}

#endif /* MSIKV_TESTS_MOCK_KV_FIXTURE_H */
