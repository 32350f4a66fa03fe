/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mock_kv_fixture.h"
#include "oom.h"

/* ---- tests ---- */

static const char CHALLENGE[] =
    "Bearer authorization=\"https://login.localhost:8443/"
    "11111111-2222-3333-4444-555555555555\", "
    "resource=\"https://vault.localhost:8443\"";

static void assert_401(fx *f, const char *message) {
  assert_int_equal(f->resp.status, 401);
  assert_string_equal(mock_response_get_header(&f->resp, "WWW-Authenticate"),
                      CHALLENGE);
  assert_string_equal(err_code(f), "Unauthorized");
  assert_string_equal(err_message(f), message);
}

static void test_handle_no_token_exact_challenge(void **state) {
  fx *f = *state;
  assert_int_equal(
      call(f, "GET", "/secrets/secret/?api-version=7.6", NULL, NULL), 401);
  assert_string_equal(mock_response_get_header(&f->resp, "WWW-Authenticate"),
                      CHALLENGE);
  assert_string_equal(f->resp.body.data,
                      "{\"error\":{\"code\":\"Unauthorized\",\"message\":"
                      "\"AKV10000: Request is missing a Bearer or PoP "
                      "token.\"}}");
  assert_string_equal(mock_response_get_header(&f->resp, "Content-Type"),
                      "application/json; charset=utf-8");
  /* The SDKs' first request: a body-less PUT without a token. */
  assert_int_equal(call(f, "PUT", "/secrets/x?api-version=7.6", NULL, ""), 401);
  assert_401(f, "AKV10000: Request is missing a Bearer or PoP token.");
  /* Not a bearer token, or an empty one. */
  f->extra_name = "Authorization";
  f->extra_value = "Basic dXNlcjpwYXNz";
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", NULL, NULL), 401);
  assert_401(f, "AKV10000: Request is missing a Bearer or PoP token.");
  f->extra_value = "Bearer   ";
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", NULL, NULL), 401);
  assert_401(f, "AKV10000: Request is missing a Bearer or PoP token.");
  f->extra_name = NULL;
}

static void test_new_port_443_resource_without_port(void **state) {
  (void)state;
  mock_kv *kv = new_kv(443);
  assert_int_equal(mock_kv_seed_default(kv), MSIKV_OK);
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.method = "GET";
  req.host = "demo.vault.localhost";
  req.path = "/secrets";
  req.query = "api-version=7.6";
  req.body = "";
  mock_response resp;
  mock_response_init(&resp);
  mock_kv_handle(kv, &req, &resp);
  assert_int_equal(resp.status, 401);
  assert_string_equal(mock_response_get_header(&resp, "WWW-Authenticate"),
                      "Bearer authorization=\"https://login.localhost:443/"
                      "11111111-2222-3333-4444-555555555555\", "
                      "resource=\"https://vault.localhost\"");
  mock_response_free(&resp);
  mock_kv_free(kv);
}

static void test_handle_bad_tokens_real_401s(void **state) {
  fx *f = *state;
  const char *url = "/secrets/secret?api-version=7.6";
  call(f, "GET", url, "wrongaud", NULL);
  assert_401(f, "AKV10022: Invalid audience. Expected "
                "https://vault.localhost:8443, found: "
                "https://management.azure.com/.");
  call(f, "GET", url, "aud:https://vault.azure.net", NULL);
  assert_401(f,
             "AKV10022: Invalid audience. Expected "
             "https://vault.localhost:8443, found: https://vault.azure.net.");
  call(f, "GET", url, "wrongiss", NULL);
  assert_401(f, "AKV10032: Invalid issuer. Expected one of "
                "https://sts.windows.net/11111111-2222-3333-4444-555555555555/"
                ", found "
                "https://sts.windows.net/99999999-0000-0000-0000-000000000000/"
                ".");
  call(f, "GET", url, "expired", NULL);
  assert_401(f, "[TokenExpired] Error validating token: 'S2S12086'.");
  call(f, "GET", url, "notyet", NULL);
  assert_int_equal(f->resp.status, 401);
  assert_non_null(strstr(err_message(f), "not valid yet"));
  call(f, "GET", url, "badsig", NULL);
  assert_int_equal(f->resp.status, 401);
  assert_non_null(strstr(err_message(f), "signature"));
  call(f, "GET", url, "garbage", NULL);
  assert_int_equal(f->resp.status, 401);
  assert_string_equal(err_code(f), "Unauthorized");
  assert_string_equal(mock_response_get_header(&f->resp, "WWW-Authenticate"),
                      CHALLENGE);
}

static void test_handle_audience_trailing_slash_accepted(void **state) {
  fx *f = *state;
  assert_int_equal(call(f, "GET", "/secrets/secret?api-version=7.6",
                        "aud:https://vault.localhost:8443/", NULL),
                   200);
  assert_int_equal(call(f, "GET", "/secrets/secret?api-version=7.6",
                        "aud:https://VAULT.localhost:8443", NULL),
                   200);
  assert_int_equal(call(f, "GET", "/secrets/secret?api-version=7.6",
                        "aud:https://vault.localhost:8443//", NULL),
                   401);
}

static void test_handle_api_versions_accepted_and_rejected(void **state) {
  fx *f = *state;
  const char *good[] = {"7.0",
                        "7.1",
                        "7.2",
                        "7.3",
                        "7.4",
                        "7.5",
                        "7.6",
                        "7.6-preview.2",
                        "7.5-preview.1",
                        "7.0-preview.10",
                        "2025-06-01-preview",
                        "2025-07-01"};
  char url[256];
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    snprintf(url, sizeof(url), "/secrets/secret?api-version=%s", good[i]);
    assert_int_equal(call(f, "GET", url, "sp", NULL), 200);
  }
  const char *bad[] = {
      "7.7",         "8.0",        "6.0",        "7", "7.6-preview.",
      "7.6-preview", "2016-10-01", "2025-07-02", "",  "7.6 "};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(url, sizeof(url), "/secrets/secret?api-version=%s", bad[i]);
    assert_int_equal(call(f, "GET", url, "sp", NULL), 400);
    assert_string_equal(err_code(f), "BadParameter");
    assert_non_null(strstr(err_message(f), "is not supported"));
  }
  assert_int_equal(call(f, "GET", "/secrets/secret", "sp", NULL), 400);
  assert_string_equal(err_code(f), "BadParameter");
  assert_string_equal(err_message(f),
                      "The 'api-version' query parameter is required. The "
                      "mock Key Vault supports 7.0 to 7.6, 7.0-preview.N to "
                      "7.6-preview.N, 2025-06-01-preview and 2025-07-01.");
  /* Percent-encoded names, as the JS SDK sends them. */
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api%2Dversion=7.6", "sp", NULL), 200);
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api%2dversion=7%2E6", "sp", NULL), 200);
}

static void test_handle_previous_version_only_2025(void **state) {
  fx *f = *state;
  char v1[33], v2[33];
  put_secret(f, "rotating", "one", v1);
  assert_null(jstr(f->json, "previousVersion"));
  put_secret(f, "rotating", "two", v2);
  assert_int_equal(
      call(f, "GET", "/secrets/rotating?api-version=2025-07-01", "sp", NULL),
      200);
  assert_string_equal(jstr(f->json, "previousVersion"), v1);
  assert_string_equal(jstr(f->json, "value"), "two");
  assert_int_equal(
      call(f, "GET", "/secrets/rotating?api-version=7.6", "sp", NULL), 200);
  assert_null(jobj(f->json, "previousVersion"));
}

static void test_handle_default_identities_policies(void **state) {
  fx *f = *state;
  const char *get = "/secrets/secret?api-version=7.6";
  const char *list = "/secrets?api-version=7.6";
  assert_int_equal(call(f, "GET", get, "mi", NULL), 200);
  assert_string_equal(jstr(f->json, "value"), MOCK_KV_DEFAULT_VALUE);
  assert_int_equal(call(f, "GET", get, "uami", NULL), 200);
  assert_int_equal(call(f, "GET", get, "sp", NULL), 200);
  assert_int_equal(call(f, "GET", list, "mi", NULL), 403);
  assert_string_equal(err_code(f), "Forbidden");
  assert_string_equal(inner_code(f), "AccessDenied");
  assert_string_equal(
      err_message(f),
      "The user, group or application "
      "'appid=aaaaaaaa-0000-4000-8000-000000000001;"
      "oid=aaaaaaaa-0000-4000-8000-000000000002;"
      "iss=https://sts.windows.net/11111111-2222-3333-4444-555555555555/' "
      "does not have secrets list permission on key vault "
      "'demo;location=local'. For help resolving this issue, please see "
      "https://go.microsoft.com/fwlink/?linkid=2125287");
  assert_int_equal(call(f, "GET", get, "denied", NULL), 403);
  assert_non_null(strstr(err_message(f), "does not have secrets get "
                                         "permission"));
  assert_int_equal(call(f, "GET", get, "oid:unknown-principal", NULL), 403);
  assert_int_equal(
      call(f, "PUT", "/secrets/x?api-version=7.6", "mi", "{\"value\":\"v\"}"),
      403);
  assert_non_null(strstr(err_message(f), "secrets set permission"));
}

/* One principal per permission; every operation needs exactly one. */
static void test_handle_each_permission_enforced(void **state) {
  fx *f = *state;
  const char *seed =
      "[{\"name\":\"demo\",\"secrets\":[{\"name\":\"secret\",\"value\":\"v\"}"
      "],\"accessPolicies\":["
      "{\"objectId\":\"p-get\",\"permissions\":{\"secrets\":[\"get\"]}},"
      "{\"objectId\":\"p-list\",\"permissions\":{\"secrets\":[\"list\"]}},"
      "{\"objectId\":\"p-set\",\"permissions\":{\"secrets\":[\"set\"]}},"
      "{\"objectId\":\"p-delete\",\"permissions\":{\"secrets\":[\"delete\"]}},"
      "{\"objectId\":\"p-recover\",\"permissions\":{\"secrets\":[\"recover\"]}"
      "},"
      "{\"objectId\":\"p-purge\",\"permissions\":{\"secrets\":[\"purge\"]}},"
      "{\"objectId\":\"p-backup\",\"permissions\":{\"secrets\":[\"backup\"]}},"
      "{\"objectId\":\"p-restore\",\"permissions\":{\"secrets\":[\"restore\"]"
      "}},"
      "{\"objectId\":\"p-all\",\"permissions\":{\"secrets\":[\"all\"]}}]}]";
  cJSON *vaults = cJSON_Parse(seed);
  assert_int_equal(mock_kv_seed_json(f->kv, vaults, NULL), MSIKV_OK);
  cJSON_Delete(vaults);
  static const struct {
    const char *perm, *method, *target, *body;
    int ok_status;
  } ops[] = {
      {"get", "GET", "/secrets/secret", NULL, 200},
      {"get", "GET", "/deletedsecrets/secret", NULL, 404},
      {"list", "GET", "/secrets", NULL, 200},
      {"list", "GET", "/secrets/secret/versions", NULL, 200},
      {"list", "GET", "/deletedsecrets", NULL, 200},
      {"set", "PUT", "/secrets/new", "{\"value\":\"x\"}", 200},
      {"set", "PATCH", "/secrets/secret", "{\"contentType\":\"t\"}", 200},
      {"delete", "DELETE", "/secrets/nothere", NULL, 404},
      {"recover", "POST", "/deletedsecrets/nothere/recover", NULL, 404},
      {"purge", "DELETE", "/deletedsecrets/nothere", NULL, 404},
      {"backup", "POST", "/secrets/secret/backup", NULL, 200},
      {"restore", "POST", "/secrets/restore", "{\"value\":\"AAAA\"}", 400},
  };
  const char *perms[] = {"get",     "list",  "set",    "delete",
                         "recover", "purge", "backup", "restore"};
  char url[256], token[64], expect[64];
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
    snprintf(url, sizeof(url), "%s?api-version=7.6", ops[i].target);
    for (size_t p = 0; p < sizeof(perms) / sizeof(perms[0]); p++) {
      snprintf(token, sizeof(token), "oid:p-%s", perms[p]);
      int st = call(f, ops[i].method, url, token, ops[i].body);
      if (strcmp(perms[p], ops[i].perm) == 0) {
        assert_int_equal(st, ops[i].ok_status);
      } else {
        assert_int_equal(st, 403);
        snprintf(expect, sizeof(expect), "secrets %s permission", ops[i].perm);
        assert_non_null(strstr(err_message(f), expect));
        assert_non_null(strstr(err_message(f), "oid=p-"));
      }
    }
    assert_int_equal(call(f, ops[i].method, url, "oid:p-all", ops[i].body),
                     ops[i].ok_status);
  }
}

static void test_handle_request_ids_and_content_type(void **state) {
  fx *f = *state;
  f->extra_name = "x-ms-client-request-id";
  f->extra_value = "abc-123";
  call(f, "GET", "/secrets/secret?api-version=7.6", "sp", NULL);
  assert_string_equal(
      mock_response_get_header(&f->resp, "x-ms-client-request-id"), "abc-123");
  char first[64];
  const char *rid = mock_response_get_header(&f->resp, "x-ms-request-id");
  assert_non_null(rid);
  assert_int_equal(strlen(rid), 36);
  assert_true(rid[8] == '-' && rid[13] == '-' && rid[18] == '-' &&
              rid[23] == '-');
  snprintf(first, sizeof(first), "%s", rid);
  assert_string_equal(mock_response_get_header(&f->resp, "Content-Type"),
                      "application/json; charset=utf-8");
  /* Also on errors, including the challenge. */
  call(f, "GET", "/secrets/secret?api-version=7.6", NULL, NULL);
  rid = mock_response_get_header(&f->resp, "x-ms-request-id");
  assert_non_null(rid);
  assert_string_not_equal(rid, first);
  assert_string_equal(
      mock_response_get_header(&f->resp, "x-ms-client-request-id"), "abc-123");
  f->extra_name = NULL;
  call(f, "GET", "/secrets/secret?api-version=7.6", "sp", NULL);
  assert_null(mock_response_get_header(&f->resp, "x-ms-client-request-id"));
}

static void test_handle_name_rules_bad_parameter(void **state) {
  fx *f = *state;
  assert_int_equal(
      call(f, "GET", "/secrets/bad_name?api-version=7.6", "sp", NULL), 400);
  assert_string_equal(err_code(f), "BadParameter");
  assert_string_equal(err_message(f),
                      "The request URI contains an invalid name: bad_name");
  assert_int_equal(call(f, "PUT", "/secrets/a%20b?api-version=7.6", "sp",
                        "{\"value\":\"v\"}"),
                   400);
  assert_string_equal(err_message(f),
                      "The request URI contains an invalid name: a b");
  char name[200], url[300];
  memset(name, 'a', 127);
  name[127] = '\0';
  snprintf(url, sizeof(url), "/secrets/%s?api-version=7.6", name);
  assert_int_equal(call(f, "PUT", url, "sp", "{\"value\":\"v\"}"), 200);
  name[127] = 'a';
  name[128] = '\0';
  snprintf(url, sizeof(url), "/secrets/%s?api-version=7.6", name);
  assert_int_equal(call(f, "PUT", url, "sp", "{\"value\":\"v\"}"), 400);
  assert_string_equal(err_code(f), "BadParameter");
  char long_url[1200];
  memset(name, 'b', sizeof(name));
  snprintf(long_url, sizeof(long_url), "/secrets/%.*s%.*s%.*s?api-version=7.6",
           200, name, 200, name, 200, name);
  assert_int_equal(call(f, "GET", long_url, "sp", NULL), 400);
  assert_string_equal(err_code(f), "BadParameter");
  /* Names are case-insensitive. */
  put_secret(f, "MixedCase-1", "v1", NULL);
  assert_int_equal(
      call(f, "GET", "/secrets/mixedcase-1?api-version=7.6", "sp", NULL), 200);
  assert_string_equal(jstr(f->json, "value"), "v1");
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/bad.name?api-version=7.6", "sp", NULL),
      400);
  assert_string_equal(err_message(f),
                      "The request URI contains an invalid name: bad.name");
}

static void test_handle_value_size_limit(void **state) {
  fx *f = *state;
  size_t max = 25600;
  char *body = msikv_malloc(max + 64);
  memcpy(body, "{\"value\":\"", 10);
  memset(body + 10, 'x', max);
  memcpy(body + 10 + max, "\"}", 3);
  assert_int_equal(call(f, "PUT", "/secrets/big?api-version=7.6", "sp", body),
                   200);
  assert_int_equal(strlen(jstr(f->json, "value")), max);
  memset(body + 10, 'y', max + 1);
  memcpy(body + 10 + max + 1, "\"}", 3);
  assert_int_equal(call(f, "PUT", "/secrets/big?api-version=7.6", "sp", body),
                   400);
  assert_string_equal(err_code(f), "BadParameter");
  assert_string_equal(err_message(f),
                      "The secret value is 25601 bytes; the mock Key Vault "
                      "accepts at most 25600 bytes (Azure documents 25 KB). "
                      "Store a smaller value.");
  msikv_free(body);
}

static void test_handle_bad_bodies_and_tags(void **state) {
  fx *f = *state;
  const char *url = "/secrets/t?api-version=7.6";
  assert_int_equal(call(f, "PUT", url, "sp", ""), 400);
  assert_string_equal(err_code(f), "BadParameter");
  assert_int_equal(call(f, "PUT", url, "sp", "{\"value\":1}"), 400);
  assert_int_equal(call(f, "PUT", url, "sp", "not json"), 400);
  assert_int_equal(call(f, "PUT", url, "sp",
                        "{\"value\":\"v\",\"attributes\":{\"enabled\":\"yes\"}"
                        "}"),
                   400);
  char body[2048];
  size_t n =
      (size_t)snprintf(body, sizeof(body), "{\"value\":\"v\",\"tags\":{");
  for (int i = 0; i < 15; i++)
    n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"k%d\":\"v\"",
                          i ? "," : "", i);
  snprintf(body + n, sizeof(body) - n, "}}");
  assert_int_equal(call(f, "PUT", url, "sp", body), 200);
  assert_int_equal(cJSON_GetArraySize(jobj(f->json, "tags")), 15);
  snprintf(body + n, sizeof(body) - n, ",\"k15\":\"v\"}}");
  assert_int_equal(call(f, "PUT", url, "sp", body), 400);
  assert_string_equal(err_code(f), "BadParameter");
  assert_string_equal(err_message(f),
                      "Too many tags: 16. A secret can have at most 15 tags.");
}

static void test_handle_unknown_vault_route_method(void **state) {
  fx *f = *state;
  f->host = "nosuch.vault.localhost:8443";
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", "sp", NULL), 404);
  assert_string_equal(err_code(f), "VaultNotFound");
  f->host = "DEMO.Vault.Localhost:8443";
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", "sp", NULL), 200);
  assert_memory_equal(jstr(f->json, "id"), BASE "/secrets/secret/",
                      strlen(BASE "/secrets/secret/"));
  f->host = HOST;
}

static void test_handle_routes_and_methods(void **state) {
  fx *f = *state;
  assert_int_equal(call(f, "GET", "/keys?api-version=7.6", "sp", NULL), 404);
  assert_string_equal(err_code(f), "NotFound");
  assert_int_equal(call(f, "POST", "/secrets?api-version=7.6", "sp", NULL),
                   405);
  assert_string_equal(err_code(f), "MethodNotAllowed");
  assert_int_equal(call(f, "GET", "/secrets/a/b/c?api-version=7.6", "sp", NULL),
                   404);
  assert_int_equal(
      call(f, "PUT", "/deletedsecrets/a?api-version=7.6", "sp", "{}"), 405);
}

static void test_host_matches_suffix_and_port(void **state) {
  fx *f = *state;
  assert_true(mock_kv_host_matches(f->kv, "demo.vault.localhost"));
  assert_true(mock_kv_host_matches(f->kv, "demo.vault.localhost:8443"));
  assert_true(mock_kv_host_matches(f->kv, "Other-1.VAULT.localhost:443"));
  assert_false(mock_kv_host_matches(f->kv, "vault.localhost"));
  assert_false(mock_kv_host_matches(f->kv, ".vault.localhost"));
  assert_false(mock_kv_host_matches(f->kv, "login.localhost:8443"));
  assert_false(mock_kv_host_matches(f->kv, "a.b.vault.localhost"));
  assert_false(mock_kv_host_matches(f->kv, "demo.vault.localhost:"));
  assert_false(mock_kv_host_matches(f->kv, "demo.vault.localhost:84x3"));
  assert_false(mock_kv_host_matches(f->kv, "demovault.localhost"));
  assert_false(mock_kv_host_matches(f->kv, NULL));
}

static void test_new_bad_config_rejected(void **state) {
  (void)state;
  mock_kv *kv = NULL;
  mock_kv_config cfg = {0};
  assert_int_equal(mock_kv_new(&cfg, &kv), MSIKV_ERR_ARG);
  cfg.dns_suffix = "vault.localhost";
  cfg.authority = "https://login.localhost";
  assert_int_equal(mock_kv_new(&cfg, &kv), MSIKV_ERR_ARG);
  cfg.tenant_id = "t";
  cfg.port = 70000;
  assert_int_equal(mock_kv_new(&cfg, &kv), MSIKV_ERR_ARG);
  assert_null(kv);
  assert_int_equal(mock_kv_new(NULL, &kv), MSIKV_ERR_ARG);
  mock_kv_free(NULL);
}

/* Every allocation failure while creating, seeding and serving requests ends
 * in an error reply, never a crash or a leak. (Some failures surface as a
 * 400: cJSON and mock_query_get cannot tell OOM from bad input.) */
static msikv_result oom_put(void *ctx) {
  (void)ctx;
  mock_kv *kv = NULL;
  mock_kv_config cfg = {0};
  cfg.dns_suffix = "vault.localhost";
  cfg.port = PORT;
  cfg.authority = "https://login.localhost:8443";
  cfg.tenant_id = MOCK_KV_TENANT_ID;
  cfg.verify = fake_verify;
  msikv_result rc = mock_kv_new(&cfg, &kv);
  if (!rc)
    rc = mock_kv_seed_default(kv);
  const char *targets[] = {
      "/secrets/n?api-version=7.6", "/secrets/n/backup?api-version=7.6",
      "/secrets?api-version=7.6&maxresults=1", "/secrets/n?api-version=7.6"};
  const char *methods[] = {"PUT", "POST", "GET", "DELETE"};
  for (size_t i = 0; !rc && i < 4; i++) {
    char path[64];
    const char *q = strchr(targets[i], '?');
    snprintf(path, sizeof(path), "%.*s", (int)(q - targets[i]), targets[i]);
    mock_request req;
    memset(&req, 0, sizeof(req));
    req.method = methods[i];
    req.host = HOST;
    req.path = path;
    req.query = q + 1;
    req.body = i == 0 ? "{\"value\":\"v\",\"tags\":{\"a\":\"b\"}}" : "";
    req.body_len = strlen(req.body);
    req.headers[req.header_count++] =
        (mock_header){"Authorization", "Bearer sp"};
    req.now_ms = T0_MS;
    mock_response resp;
    mock_response_init(&resp);
    mock_kv_handle(kv, &req, &resp);
    if (resp.status == 500)
      rc = MSIKV_ERR_NOMEM;
    else if (resp.status != 200)
      rc = MSIKV_ERR_HTTP;
    mock_response_free(&resp);
  }
  mock_kv_free(kv);
  return rc;
}

static void test_handle_oom_sweep_no_leak(void **state) {
  (void)state;
  assert_int_equal(msikv_global_init(), MSIKV_OK);
  assert_true(oom_sweep(oom_put, NULL, true) > 20);
}

static size_t next_rand(uint32_t *seed, size_t n) {
  *seed = *seed * 1103515245u + 12345u;
  return (*seed >> 16) % n;
}

/* Random methods, paths, queries and bodies: every reply is a well-formed
 * status, with a JSON body unless 204, and nothing crashes or leaks. */
static void test_handle_random_requests_well_formed(void **state) {
  fx *f = *state;
  static const char *methods[] = {"GET",  "PUT",  "PATCH", "DELETE",
                                  "POST", "HEAD", ""};
  static const char *parts[] = {"secrets",  "deletedsecrets",
                                "secret",   "restore",
                                "versions", "backup",
                                "recover",  "%41",
                                "%zz",      "",
                                "a-b",      "x_y",
                                "..",       "00000000000000000000000000000000"};
  static const char *queries[] = {"api-version=7.6",
                                  "api-version=2025-07-01",
                                  "api%2Dversion=7.5",
                                  "api-version=9",
                                  "",
                                  "maxresults=0",
                                  "maxresults=25",
                                  "$skiptoken=eyJOZXh0TWFya2VyIjoicyJ9",
                                  "$skiptoken=%%",
                                  "&&=&"};
  static const char *bodies[] = {
      NULL,
      "",
      "{}",
      "{\"value\":\"v\"}",
      "[1,2]",
      "{\"value\":null}",
      "{\"value\":\"v\",\"tags\":{\"a\":\"b\"},\"attributes\":"
      "{\"enabled\":false,\"exp\":1}}",
      "{\"attributes\":{\"nbf\":-1}}",
      "{\"value\":\"QUJD\"}",
      "\"str\"",
      "{"};
  static const char *tokens[] = {"sp", "mi", "denied", "expired", NULL};
  uint32_t seed = 12345;
#define NEXT(n) next_rand(&seed, (n))
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
  char target[512];
  int seen[600] = {0};
  for (int i = 0; i < 3000; i++) {
    size_t n = 0;
    size_t segs = NEXT(5);
    for (size_t k = 0; k < segs; k++) {
      /* Mostly plausible: a collection, then a name, then anything. */
      const char *part = parts[NEXT(COUNT(parts))];
      if (k == 0 && NEXT(8) != 0)
        part = parts[NEXT(2)];
      else if (k == 1 && NEXT(2) != 0)
        part = parts[2 + NEXT(2)];
      n += (size_t)snprintf(target + n, sizeof(target) - n, "/%s", part);
    }
    if (segs == 0 || NEXT(4) == 0)
      n += (size_t)snprintf(target + n, sizeof(target) - n, "/");
    snprintf(target + n, sizeof(target) - n, "?%s&%s",
             queries[NEXT(4) ? NEXT(3) : NEXT(COUNT(queries))],
             queries[NEXT(COUNT(queries))]);
    f->now_ms += NEXT(1000) * 1000;
    int st = call(f, methods[NEXT(COUNT(methods))], target,
                  tokens[NEXT(2) ? 0 : NEXT(COUNT(tokens))],
                  bodies[NEXT(COUNT(bodies))]);
    assert_true(st == 200 || st == 204 || st == 400 || st == 401 || st == 403 ||
                st == 404 || st == 405 || st == 409);
    seen[st]++;
    assert_non_null(mock_response_get_header(&f->resp, "x-ms-request-id"));
    if (st == 204) {
      assert_int_equal(f->resp.body.len, 0);
    } else {
      assert_non_null(f->json);
      if (st >= 400)
        assert_non_null(err_code(f));
    }
  }
  print_message("200:%d 204:%d 400:%d 401:%d 403:%d 404:%d 405:%d 409:%d\n",
                seen[200], seen[204], seen[400], seen[401], seen[403],
                seen[404], seen[405], seen[409]);
  /* The mix reaches every kind of answer. */
  assert_true(seen[200] > 10 && seen[400] > 10 && seen[401] > 10 &&
              seen[403] > 10 && seen[404] > 10 && seen[405] > 10);

#undef NEXT
#undef COUNT
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_handle_no_token_exact_challenge,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_new_port_443_resource_without_port,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_bad_tokens_real_401s, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_handle_audience_trailing_slash_accepted, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_handle_api_versions_accepted_and_rejected, setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_previous_version_only_2025,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_default_identities_policies,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_each_permission_enforced,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_request_ids_and_content_type,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_name_rules_bad_parameter,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_value_size_limit, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_handle_bad_bodies_and_tags, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_handle_unknown_vault_route_method,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_routes_and_methods, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_host_matches_suffix_and_port, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_new_bad_config_rejected, setup,
                                      teardown),
      cmocka_unit_test(test_handle_oom_sweep_no_leak),
      cmocka_unit_test_setup_teardown(test_handle_random_requests_well_formed,
                                      setup, teardown),
  };
  return cmocka_run_group_tests_name("mock_kv_api", tests, NULL, NULL);
}
