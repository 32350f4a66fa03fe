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

#include <pthread.h>

#define THREADS 8
#define ROUNDS 150

typedef struct worker {
  fx *f;
  int index;
  int bad; /* replies outside the expected set */
} worker;

static int one_call(mock_kv *kv, const char *method, const char *path,
                    const char *query, const char *body, int64_t now_ms) {
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.method = method;
  req.host = HOST;
  req.path = path;
  req.query = query;
  req.body = body ? body : "";
  req.body_len = strlen(req.body);
  req.now_ms = now_ms;
  req.headers[req.header_count++] = (mock_header){"Authorization", "Bearer sp"};
  mock_response resp;
  mock_response_init(&resp);
  mock_kv_handle(kv, &req, &resp);
  int status = resp.status;
  mock_response_free(&resp);
  return status;
}

static void *work(void *arg) {
  worker *w = arg;
  char path[64], deleted[64], recover[80];
  snprintf(path, sizeof(path), "/secrets/t%d", w->index);
  snprintf(deleted, sizeof(deleted), "/deletedsecrets/t%d", w->index);
  snprintf(recover, sizeof(recover), "/deletedsecrets/t%d/recover", w->index);
  const char *q = "api-version=7.6";
  for (int i = 0; i < ROUNDS; i++) {
    int64_t now = T0_MS + i;
    int s[7];
    s[0] = one_call(w->f->kv, "PUT", path, q, "{\"value\":\"v\"}", now);
    s[1] = one_call(w->f->kv, "GET", path, q, NULL, now);
    s[2] = one_call(w->f->kv, "GET", "/secrets",
                    "api-version=7.6&"
                    "maxresults=3",
                    NULL, now);
    s[3] = one_call(w->f->kv, "DELETE", path, q, NULL, now);
    s[4] = one_call(w->f->kv, "POST", recover, q, NULL, now);
    s[5] = one_call(w->f->kv, "DELETE", path, q, NULL, now);
    s[6] = one_call(w->f->kv, "DELETE", deleted, q, NULL, now);
    /* A concurrent reseed may wipe this thread's secret at any point. */
    for (int k = 0; k < 7; k++) {
      if (s[k] != 200 && s[k] != 204 && s[k] != 404 && s[k] != 409)
        w->bad++;
    }
    if (w->index == 0 && i % 25 == 0 && mock_kv_seed_default(w->f->kv))
      w->bad++;
  }
  return NULL;
}

static void test_handle_concurrent_requests_consistent(void **state) {
  fx *f = *state;
  pthread_t threads[THREADS];
  worker workers[THREADS];
  for (int i = 0; i < THREADS; i++) {
    workers[i] = (worker){f, i, 0};
    assert_int_equal(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(pthread_join(threads[i], NULL), 0);
    assert_int_equal(workers[i].bad, 0);
  }
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", "mi", NULL), 200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_handle_concurrent_requests_consistent, setup, teardown),
  };
  return cmocka_run_group_tests_name("mock_kv_threads", tests, NULL, NULL);
}
