/* SPDX-License-Identifier: MIT */
/* The web app's cache and token handling against the real mockserver:
 * rotation picked up after the TTL, stale serving during an outage, token
 * expiry and refresh via the mock's clock shift, one fetch for many
 * concurrent cold requests, and HTML escaping of a <script> value. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "app_harness.h"
#include "harness.h"
#include "it_target.h"

#define MOCK_VALUE "Hello from the msikv mock Key Vault"

static void assert_contains(const char *hay, const char *needle) {
  if (!hay || !strstr(hay, needle))
    fail_msg("expected \"%s\" in:\n%s", needle, hay ? hay : "(null)");
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void get_page(const it_webapp *w, long want_status, it_http *r) {
  it_webapp_get(w, "/", NULL, r);
  assert_int_equal(r->curl_code, 0);
  if (r->status != want_status) {
    char *log = it_webapp_log(w);
    fail_msg("status %ld, want %ld; body:\n%s\nlog:\n%s", r->status,
             want_status, r->body, log);
  }
}

static void test_rotation_pickedUpAfterTtl(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  const char *extra[] = {"SECRET_CACHE_TTL=1", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  it_http r;
  get_page(&w, 200, &r);
  assert_contains(r.body, "My secret value is " MOCK_VALUE "</p>");
  it_http_free(&r);

  assert_int_equal(it_kv_set_secret(&m, "secret", "rotated-value-2"), 200);
  get_page(&w, 200, &r); /* Within the TTL: the cached value. */
  assert_contains(r.body, "My secret value is " MOCK_VALUE "</p>");
  it_http_free(&r);
  sleep_ms(1100);
  get_page(&w, 200, &r);
  assert_contains(r.body, "My secret value is rotated-value-2</p>");
  it_http_free(&r);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_outage_staleServedThenRecovers(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  const char *extra[] = {"SECRET_CACHE_TTL=1", "SECRET_STALE_TTL=60", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  it_http r;
  get_page(&w, 200, &r);
  it_http_free(&r);

  int fault = it_admin_fault(&m, "{\"route\":\"kv\",\"kind\":\"status\","
                                 "\"status\":503,\"retry_after\":0,"
                                 "\"count\":-1}");
  assert_true(fault > 0);
  sleep_ms(1100);
  get_page(&w, 200, &r);
  assert_contains(r.body, "My secret value is " MOCK_VALUE "</p>");
  assert_contains(r.body, "<p class=\"stale\" id=\"stale\">Stale:");
  assert_contains(r.body, "(cache: stale)");
  it_http_free(&r);
  it_webapp_get(&w, "/", "application/json", &r);
  assert_int_equal(r.status, 200);
  assert_contains(r.body, "\"stale\":true");
  it_http_free(&r);
  assert_true(it_webapp_metric(&w, "msikv_webapp_secret_cache_stale_total") >=
              2);

  /* The vault is back: after the retry interval (the TTL here), fresh. */
  char path[64];
  snprintf(path, sizeof(path), "/admin/faults/%d", fault);
  assert_int_equal(it_admin(&m, "DELETE", path, NULL, NULL) / 100, 2);
  sleep_ms(1100);
  get_page(&w, 200, &r);
  assert_null(strstr(r.body, "id=\"stale\""));
  assert_contains(r.body, "(cache: miss)");
  it_http_free(&r);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_outagePastStaleWindow_errorPage(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  const char *extra[] = {"SECRET_CACHE_TTL=1", "SECRET_STALE_TTL=0", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  it_http r;
  get_page(&w, 200, &r);
  it_http_free(&r);
  assert_true(it_admin_fault(&m, "{\"route\":\"kv\",\"kind\":\"status\","
                                 "\"status\":503,\"retry_after\":0,"
                                 "\"count\":-1}") > 0);
  sleep_ms(1100);
  get_page(&w, 502, &r);
  it_http_free(&r);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_tokenExpiry_refreshedAfterClockShift(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  const char *extra[] = {"SECRET_CACHE_TTL=1", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  it_http r;
  get_page(&w, 200, &r);
  it_http_free(&r);
  assert_int_equal(
      (int)it_webapp_metric(&w, "msikv_webapp_token_requests_total"), 1);

  /* Two hours later for the mock: the app's token has expired there, so
   * Key Vault answers 401 and the app must get a new token. */
  assert_int_equal(it_admin_shift_clock(&m, 7200) / 100, 2);
  sleep_ms(1100);
  get_page(&w, 200, &r);
  assert_contains(r.body, "My secret value is " MOCK_VALUE "</p>");
  it_http_free(&r);
  /* The vault rejected the cached token; the app got a new one. */
  assert_true(it_webapp_metric(&w, "msikv_webapp_token_requests_total") >= 2);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

typedef struct getter {
  const it_webapp *w;
  pthread_t thread;
  long status;
} getter;

static void *getter_run(void *arg) {
  getter *g = arg;
  it_http r;
  it_webapp_get(g->w, "/", NULL, &r);
  g->status = r.status;
  it_http_free(&r);
  return NULL;
}

static void test_coldConcurrent_oneFetch(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  /* Slow Key Vault answers, so that the requests overlap. */
  assert_true(it_admin_fault(&m, "{\"route\":\"kv\",\"kind\":\"delay\","
                                 "\"delay_ms\":300,\"count\":-1}") > 0);
  /* Enough threads that all 8 may wait (at most threads - 2 do). */
  const char *extra[] = {"WEBAPP_THREADS=16", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  getter g[8];
  for (int i = 0; i < 8; i++) {
    g[i].w = &w;
    assert_int_equal(pthread_create(&g[i].thread, NULL, getter_run, &g[i]), 0);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(g[i].thread, NULL);
    assert_int_equal(g[i].status, 200);
  }
  assert_int_equal(
      (int)it_webapp_metric(&w, "msikv_webapp_secret_fetches_total"), 1);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_sigterm_inFlightRequestCompletes(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  assert_true(it_admin_fault(&m, "{\"route\":\"kv\",\"kind\":\"delay\","
                                 "\"delay_ms\":800,\"count\":-1}") > 0);
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, NULL, &w), 0);
  getter g = {.w = &w};
  assert_int_equal(pthread_create(&g.thread, NULL, getter_run, &g), 0);
  sleep_ms(300); /* The request is waiting for Key Vault. */
  assert_int_equal(it_webapp_stop(&w), 0);
  pthread_join(g.thread, NULL);
  assert_int_equal(g.status, 200);
  it_mock_stop(&m);
}

static void test_slowVault_waitersBoundedPingAnswered(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  assert_true(it_admin_fault(&m, "{\"route\":\"kv\",\"kind\":\"delay\","
                                 "\"delay_ms\":1500,\"count\":-1}") > 0);
  /* 3 threads: one refreshes, one may wait, the rest get 503 Busy. */
  const char *extra[] = {"WEBAPP_THREADS=3", NULL};
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, extra, &w), 0);
  getter g[6];
  for (int i = 0; i < 6; i++) {
    g[i].w = &w;
    assert_int_equal(pthread_create(&g[i].thread, NULL, getter_run, &g[i]), 0);
    sleep_ms(20);
  }
  sleep_ms(300);
  it_http r;
  it_webapp_get(&w, "/ping", NULL, &r);
  assert_int_equal(r.status, 200); /* A worker is still free. */
  assert_true(r.seconds < 1.0);
  it_http_free(&r);
  int ok = 0;
  for (int i = 0; i < 6; i++) {
    pthread_join(g[i].thread, NULL);
    if (g[i].status == 200)
      ok++;
    else
      assert_int_equal(g[i].status, 503);
  }
  assert_true(ok >= 1);
  assert_int_equal(
      (int)it_webapp_metric(&w, "msikv_webapp_secret_fetches_total"), 1);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

static void test_scriptValue_escapedOnPage(void **state) {
  (void)state;
  IT_SKIP_ON_AZURE("needs the mock");
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  assert_int_equal(
      it_kv_set_secret(&m, "secret", "<script>alert('pwned')</script>&"), 200);
  it_webapp w;
  assert_int_equal(it_webapp_start(&m, NULL, &w), 0);
  it_http r;
  get_page(&w, 200, &r);
  assert_contains(r.body, "My secret value is &lt;script&gt;alert(&#39;pwned"
                          "&#39;)&lt;/script&gt;&amp;</p>");
  assert_null(strstr(r.body, "<script"));
  it_http_free(&r);
  it_webapp_get(&w, "/", "application/json", &r);
  cJSON *j = it_http_json(&r);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "value")->valuestring,
                      "<script>alert('pwned')</script>&");
  assert_null(strstr(r.body, "<script"));
  cJSON_Delete(j);
  it_http_free(&r);
  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rotation_pickedUpAfterTtl),
      cmocka_unit_test(test_outage_staleServedThenRecovers),
      cmocka_unit_test(test_outagePastStaleWindow_errorPage),
      cmocka_unit_test(test_tokenExpiry_refreshedAfterClockShift),
      cmocka_unit_test(test_coldConcurrent_oneFetch),
      cmocka_unit_test(test_slowVault_waitersBoundedPingAnswered),
      cmocka_unit_test(test_sigterm_inFlightRequestCompletes),
      cmocka_unit_test(test_scriptValue_escapedOnPage),
  };
  return cmocka_run_group_tests_name("app_cache_integration", tests, NULL,
                                     NULL);
}
