/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "app/render.h"
#include "app/routes.h"
#include "app/testing/fake_source.h"
#include "fake_clock.h"
#include "oom.h"

#define T0 1764864000000LL /* 2025-12-04T16:00:00Z */
#define PRINCIPAL "11111111-2222-3333-4444-555555555555"

typedef struct fixture {
  app_config cfg;
  fake_clock clock;
  fake_source source;
  app_metrics *metrics;
  app_state app;
  app_response resp;
} fixture;

static const char *fake_getenv(void *ctx, const char *name) {
  const char *const *env = ctx;
  for (size_t i = 0; env && env[i]; i += 2)
    if (strcmp(env[i], name) == 0)
      return env[i + 1];
  return NULL;
}

static fixture *make_env(const char *const *env, const char *value) {
  fixture *f = test_calloc(1, sizeof(*f));
  assert_int_equal(app_config_load(fake_getenv, (void *)env, &f->cfg, NULL),
                   MSIKV_OK);
  fake_clock_init(&f->clock, T0);
  fake_source_init(&f->source, value);
  assert_int_equal(app_metrics_new(&f->metrics), MSIKV_OK);
  app_secret_source seam = fake_source_seam(&f->source);
  app_cache_options o = {f->cfg.cache_ttl_s * 1000, f->cfg.stale_ttl_s * 1000,
                         5000, &f->clock.clock, -1};
  f->app.config = &f->cfg;
  f->app.metrics = f->metrics;
  f->app.credential_name = "FakeCredential";
  assert_int_equal(app_cache_new(&seam, &o, &f->app.cache), MSIKV_OK);
  app_response_init(&f->resp);
  return f;
}

static const char *const kVaultEnv[] = {"KEY_VAULT_URL",
                                        "https://demo.vault.azure.net", NULL};

static fixture *make(const char *value) {
  return make_env(kVaultEnv, value);
}

static void destroy(fixture *f) {
  app_response_free(&f->resp);
  app_cache_free(f->app.cache);
  app_metrics_free(f->metrics);
  fake_source_free(&f->source);
  fake_clock_free(&f->clock);
  test_free(f);
}

static const char *get(fixture *f, const char *method, const char *path,
                       const char *accept) {
  app_response_free(&f->resp);
  app_response_init(&f->resp);
  app_request req = {method, path, accept};
  app_handle(&f->app, &req, &f->resp);
  app_metrics_observe(f->metrics, f->resp.route, f->resp.status, 0.002);
  return f->resp.body.data ? f->resp.body.data : "";
}

static void assert_contains(const char *hay, const char *needle) {
  if (!strstr(hay, needle))
    fail_msg("expected \"%s\" in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle) {
  if (strstr(hay, needle))
    fail_msg("did not expect \"%s\" in:\n%s", needle, hay);
}

static void test_app_handle_ping_helloWorld(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  assert_string_equal(get(f, "GET", "/ping", NULL), "Hello world");
  assert_int_equal(f->resp.status, 200);
  assert_int_equal(f->resp.route, APP_ROUTE_PING);
  assert_string_equal(f->resp.content_type, "text/plain; charset=utf-8");
  assert_int_equal(fake_source_calls(&f->source), 0);
  destroy(f);
}

static void test_app_handle_healthz_ok(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  assert_string_equal(get(f, "GET", "/healthz", NULL), "ok\n");
  assert_int_equal(f->resp.status, 200);
  assert_int_equal(fake_source_calls(&f->source), 0);
  destroy(f);
}

static void test_app_handle_root_showsSecretPage(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  const char *body = get(f, "GET", "/", "text/html,*/*");
  assert_int_equal(f->resp.status, 200);
  assert_string_equal(f->resp.content_type, "text/html; charset=utf-8");
  assert_string_equal(f->resp.cache_control, "no-store");
  assert_contains(body, "<p id=\"secret\">My secret value is s3cr3t</p>");
  assert_contains(body, "<dt>Vault</dt><dd>https://demo.vault.azure.net</dd>");
  assert_contains(body, "<dt>Version</dt><dd>v1</dd>");
  assert_contains(body, "<dt>Credential</dt><dd>FakeCredential</dd>");
  assert_contains(body, PRINCIPAL " (object id)");
  assert_contains(body,
                  "<dt>Fetched</dt><dd>2025-12-04T16:00:00Z (cache: miss)");
  assert_lacks(body, "id=\"stale\"");
  /* A warm cache: no second fetch. */
  body = get(f, "GET", "/", NULL);
  assert_contains(body, "(cache: hit)");
  assert_int_equal(fake_source_calls(&f->source), 1);
  destroy(f);
}

static void test_app_handle_root_scriptValue_escaped(void **state) {
  (void)state;
  fixture *f = make("<script>alert('x&y')</script>\"");
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 200);
  assert_contains(body,
                  "My secret value is &lt;script&gt;alert(&#39;x&amp;y&#39;)"
                  "&lt;/script&gt;&quot;</p>");
  assert_lacks(body, "<script>");
  destroy(f);
}

static void test_app_handle_root_masked_hidesValue(void **state) {
  (void)state;
  const char *env[] = {"KEY_VAULT_URL", "https://demo.vault.azure.net",
                       "SECRET_DISPLAY", "masked", NULL};
  fixture *f = make_env(env, "abc");
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 200);
  /* SHA-256("abc") = ba7816bf8f01cfea... */
  assert_contains(body,
                  "My secret value is (masked: 3 bytes, sha256:ba7816bf8f01)");
  assert_lacks(body, ">abc<");
  body = get(f, "GET", "/", "application/json");
  assert_lacks(body, "\"value\"");
  assert_contains(body, "\"sha256_prefix\":\"ba7816bf8f01\"");
  assert_contains(body, "\"display\":\"masked\"");
  destroy(f);
}

static void test_app_handle_root_json_sameData(void **state) {
  (void)state;
  fixture *f = make("a\"b<c>\n");
  const char *body = get(f, "GET", "/", "application/json");
  assert_int_equal(f->resp.status, 200);
  assert_string_equal(f->resp.content_type, "application/json; charset=utf-8");
  assert_lacks(body, "<");
  cJSON *j = cJSON_Parse(body);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "value")->valuestring,
                      "a\"b<c>\n");
  assert_string_equal(cJSON_GetObjectItem(j, "secret_name")->valuestring,
                      "secret");
  assert_string_equal(cJSON_GetObjectItem(j, "version")->valuestring, "v1");
  assert_string_equal(cJSON_GetObjectItem(j, "vault")->valuestring,
                      "https://demo.vault.azure.net");
  assert_string_equal(cJSON_GetObjectItem(j, "credential")->valuestring,
                      "FakeCredential");
  assert_string_equal(cJSON_GetObjectItem(j, "principal")->valuestring,
                      PRINCIPAL);
  assert_string_equal(cJSON_GetObjectItem(j, "principal_kind")->valuestring,
                      "object id");
  assert_string_equal(cJSON_GetObjectItem(j, "fetched_at")->valuestring,
                      "2025-12-04T16:00:00Z");
  assert_int_equal(cJSON_GetObjectItem(j, "length")->valueint, 7);
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "stale")));
  cJSON_Delete(j);
  destroy(f);
}

static void test_app_handle_root_outage_staleMarked(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  get(f, "GET", "/", NULL);
  fake_source_set(&f->source, MSIKV_ERR_TRANSPORT, NULL, NULL);
  snprintf(f->source.message, sizeof(f->source.message), "%s",
           "connection refused");
  fake_clock_advance(&f->clock, 301 * 1000);
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 200);
  assert_contains(body, "My secret value is s3cr3t");
  assert_contains(body, "<p class=\"stale\" id=\"stale\">Stale:");
  assert_contains(body, "connection refused");
  assert_contains(body, "(cache: stale)");
  body = get(f, "GET", "/", "application/json");
  assert_contains(body, "\"stale\":true");
  destroy(f);
}

static void test_app_handle_root_forbidden_403NamesPrincipal(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  f->source.stage = APP_STAGE_VAULT;
  fake_source_set(&f->source, MSIKV_ERR_FORBIDDEN, NULL, NULL);
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 403);
  assert_contains(body, "Access denied");
  assert_contains(body, "The principal " PRINCIPAL " (object id)");
  assert_contains(body, "Grant it Get on secrets");
  assert_contains(body, "--name demo --object-id " PRINCIPAL);
  body = get(f, "GET", "/", "application/json");
  cJSON *j = cJSON_Parse(body);
  assert_non_null(j);
  cJSON *e = cJSON_GetObjectItem(j, "error");
  assert_int_equal(cJSON_GetObjectItem(e, "status")->valueint, 403);
  assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring,
                      "AccessDenied");
  assert_string_equal(cJSON_GetObjectItem(e, "principal")->valuestring,
                      PRINCIPAL);
  cJSON_Delete(j);
  destroy(f);
}

static void test_app_handle_root_notFound_404(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  f->source.stage = APP_STAGE_VAULT;
  fake_source_set(&f->source, MSIKV_ERR_NOT_FOUND, NULL, NULL);
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 404);
  assert_contains(body, "Secret not found");
  assert_contains(body, "no secret named &quot;secret&quot;");
  assert_contains(body, "az keyvault secret set --vault-name demo --name "
                        "secret");
  destroy(f);
}

static void test_app_handle_root_unreachable_502(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  f->source.stage = APP_STAGE_VAULT;
  fake_source_set(&f->source, MSIKV_ERR_TRANSPORT, NULL, NULL);
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 502);
  assert_int_equal(f->resp.retry_after_s, 5);
  assert_contains(body, "Could not reach the vault");
  assert_contains(body, "https://demo.vault.azure.net could not be reached");
  /* The same failure while getting a token names the identity endpoint. */
  f->source.stage = APP_STAGE_CREDENTIAL;
  body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 502);
  assert_contains(body, "Could not get a token");
  destroy(f);
}

static void test_app_handle_root_throttled_503RetryAfter(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  fake_source_set(&f->source, MSIKV_ERR_THROTTLED, NULL, NULL);
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 503);
  assert_int_equal(f->resp.retry_after_s, 10);
  assert_contains(body, "throttling");
  destroy(f);
}

static void test_app_handle_root_noVaultUrl_500SaysSetIt(void **state) {
  (void)state;
  const char *env[] = {NULL};
  fixture *f = make_env(env, "s3cr3t");
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 500);
  assert_contains(body, "<h1>KEY_VAULT_URL is not set</h1>");
  assert_contains(body, "Set KEY_VAULT_URL to the vault&#39;s URL");
  assert_int_equal(fake_source_calls(&f->source), 0);
  destroy(f);
}

static void
test_app_handle_root_miNotEnabled_503ListsMissingVars(void **state) {
  (void)state;
  const char *env[] = {"KEY_VAULT_URL", "https://demo.vault.azure.net",
                       "APPSETTING_WEBSITE_SITE_NAME", "mysite", NULL};
  fixture *f = make_env(env, "s3cr3t");
  app_cache_free(f->app.cache);
  f->app.cache = NULL;
  f->app.setup_rc = MSIKV_ERR_UNAVAILABLE;
  msikv_error_set(&f->app.setup_err, MSIKV_ERR_UNAVAILABLE, "%s",
                  "no managed identity");
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 503);
  assert_contains(body, "Managed identity is not enabled");
  assert_contains(body, "Missing environment variables: IDENTITY_ENDPOINT, "
                        "IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET");
  assert_contains(body, "restart the app");
  destroy(f);
}

static void test_app_handle_root_noCredential_503ListsAzureVars(void **state) {
  (void)state;
  const char *env[] = {"KEY_VAULT_URL", "https://demo.vault.azure.net",
                       "AZURE_TENANT_ID", "t", NULL};
  fixture *f = make_env(env, "s3cr3t");
  app_cache_free(f->app.cache);
  f->app.cache = NULL;
  f->app.setup_rc = MSIKV_ERR_CONFIG;
  const char *body = get(f, "GET", "/", NULL);
  assert_int_equal(f->resp.status, 503);
  assert_contains(body, "No credential is configured");
  assert_contains(body, "Missing environment variables: AZURE_CLIENT_ID, "
                        "AZURE_CLIENT_SECRET");
  destroy(f);
}

static void test_app_explain_failure_busy_503RetrySoon(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  msikv_error err;
  msikv_error_clear(&err);
  snprintf(err.code, sizeof(err.code), "%s", APP_CACHE_BUSY_CODE);
  app_failure out;
  app_explain_failure(&f->cfg, MSIKV_ERR_UNAVAILABLE, &err, NULL, &out);
  assert_int_equal(out.status, 503);
  assert_string_equal(out.code, "Busy");
  assert_int_equal(out.retry_after_s, 1);
  destroy(f);
}

static void test_app_handle_unknownPath_404(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  get(f, "GET", "/admin", NULL);
  assert_int_equal(f->resp.status, 404);
  assert_int_equal(f->resp.route, APP_ROUTE_OTHER);
  destroy(f);
}

static void test_app_handle_post_405WithAllow(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  get(f, "POST", "/", NULL);
  assert_int_equal(f->resp.status, 405);
  assert_string_equal(f->resp.allow, "GET, HEAD");
  assert_int_equal(fake_source_calls(&f->source), 0);
  destroy(f);
}

static void test_app_handle_metrics_prometheusText(void **state) {
  (void)state;
  fixture *f = make("s3cr3t");
  get(f, "GET", "/", NULL);
  get(f, "GET", "/", NULL);
  get(f, "GET", "/ping", NULL);
  app_metrics_count_token_request(f->metrics);
  app_metrics_count_kv_request(f->metrics);
  app_metrics_count_kv_request(f->metrics);
  const char *body = get(f, "GET", "/metrics", NULL);
  assert_int_equal(f->resp.status, 200);
  assert_string_equal(f->resp.content_type,
                      "text/plain; version=0.0.4; charset=utf-8");
  assert_contains(body, "# TYPE msikv_webapp_http_requests_total counter\n");
  assert_contains(body,
                  "msikv_webapp_http_requests_total{route=\"/\",status=\"200\"}"
                  " 2\n");
  assert_contains(
      body,
      "msikv_webapp_http_requests_total{route=\"/ping\",status=\"200\"} 1\n");
  assert_contains(body, "msikv_webapp_http_request_duration_seconds_bucket{"
                        "route=\"/\",le=\"0.001\"} 0\n");
  assert_contains(body, "msikv_webapp_http_request_duration_seconds_bucket{"
                        "route=\"/\",le=\"0.0025\"} 2\n");
  assert_contains(body, "msikv_webapp_http_request_duration_seconds_bucket{"
                        "route=\"/\",le=\"+Inf\"} 2\n");
  assert_contains(body, "msikv_webapp_http_request_duration_seconds_count{"
                        "route=\"/\"} 2\n");
  assert_contains(body, "msikv_webapp_token_requests_total 1\n");
  assert_contains(body, "msikv_webapp_keyvault_requests_total 2\n");
  assert_contains(body, "msikv_webapp_secret_cache_hits_total 1\n");
  assert_contains(body, "msikv_webapp_secret_cache_misses_total 1\n");
  assert_contains(body, "msikv_webapp_secret_fetches_total 1\n");
  assert_lacks(body, "s3cr3t");
  destroy(f);
}

static void test_app_html_append_allSpecials_escaped(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 1024);
  assert_int_equal(app_html_append(&b, "a&b<c>d\"e'f"), MSIKV_OK);
  assert_string_equal(b.data, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  msikv_buf_free(&b);
}

static void test_app_json_append_controls_escaped(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 1024);
  assert_int_equal(app_json_append(&b, "q\"\\\x01\t</"), MSIKV_OK);
  assert_string_equal(b.data, "\"q\\\"\\\\\\u0001\\t\\u003c/\"");
  msikv_buf_reset(&b);
  assert_int_equal(app_json_append(&b, NULL), MSIKV_OK);
  assert_string_equal(b.data, "null");
  msikv_buf_free(&b);
}

static void test_app_mask_describe_lengthAndFingerprint(void **state) {
  (void)state;
  char out[APP_MASK_MAX];
  app_mask_describe("", out, sizeof(out));
  /* SHA-256("") = e3b0c44298fc1c14... */
  assert_string_equal(out, "0 bytes, sha256:e3b0c44298fc");
}

static void test_app_format_time_epoch_iso8601(void **state) {
  (void)state;
  char out[32];
  app_format_time(0, out);
  assert_string_equal(out, "1970-01-01T00:00:00Z");
  app_format_time(T0 + 999, out);
  assert_string_equal(out, "2025-12-04T16:00:00Z");
}

static msikv_result oom_pages(void *ctx) {
  fixture *f = ctx;
  const char *accepts[] = {NULL, "application/json"};
  msikv_result rc = MSIKV_OK;
  for (int i = 0; i < 2; i++) {
    get(f, "GET", "/", accepts[i]);
    if (f->resp.status != 200)
      rc = MSIKV_ERR_NOMEM;
  }
  get(f, "GET", "/metrics", NULL);
  if (f->resp.status != 200)
    rc = MSIKV_ERR_NOMEM;
  app_response_free(&f->resp);
  app_response_init(&f->resp);
  return rc;
}

static void test_app_handle_oom_500NoLeak(void **state) {
  (void)state;
  /* TTL 0: every page view fetches, so each run allocates the same. */
  const char *env[] = {"KEY_VAULT_URL", "https://demo.vault.azure.net",
                       "SECRET_CACHE_TTL", "0", NULL};
  fixture *f = make_env(env, "s3cr3t");
  app_response_free(&f->resp);
  oom_install();
  app_response_init(&f->resp);
  size_t n = oom_sweep(oom_pages, f, true);
  app_response_free(&f->resp);
  oom_uninstall();
  app_response_init(&f->resp);
  assert_true(n > 10);
  destroy(f);
}

int main(void) {
  assert_int_equal(msikv_global_init(), MSIKV_OK);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_app_handle_ping_helloWorld),
      cmocka_unit_test(test_app_handle_healthz_ok),
      cmocka_unit_test(test_app_handle_root_showsSecretPage),
      cmocka_unit_test(test_app_handle_root_scriptValue_escaped),
      cmocka_unit_test(test_app_handle_root_masked_hidesValue),
      cmocka_unit_test(test_app_handle_root_json_sameData),
      cmocka_unit_test(test_app_handle_root_outage_staleMarked),
      cmocka_unit_test(test_app_handle_root_forbidden_403NamesPrincipal),
      cmocka_unit_test(test_app_handle_root_notFound_404),
      cmocka_unit_test(test_app_handle_root_unreachable_502),
      cmocka_unit_test(test_app_handle_root_throttled_503RetryAfter),
      cmocka_unit_test(test_app_handle_root_noVaultUrl_500SaysSetIt),
      cmocka_unit_test(test_app_handle_root_miNotEnabled_503ListsMissingVars),
      cmocka_unit_test(test_app_handle_root_noCredential_503ListsAzureVars),
      cmocka_unit_test(test_app_explain_failure_busy_503RetrySoon),
      cmocka_unit_test(test_app_handle_unknownPath_404),
      cmocka_unit_test(test_app_handle_post_405WithAllow),
      cmocka_unit_test(test_app_handle_metrics_prometheusText),
      cmocka_unit_test(test_app_handle_oom_500NoLeak),
      cmocka_unit_test(test_app_html_append_allSpecials_escaped),
      cmocka_unit_test(test_app_json_append_controls_escaped),
      cmocka_unit_test(test_app_mask_describe_lengthAndFingerprint),
      cmocka_unit_test(test_app_format_time_epoch_iso8601),
  };
  return cmocka_run_group_tests_name("app_routes", tests, NULL, NULL);
}
