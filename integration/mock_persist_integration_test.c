/* SPDX-License-Identifier: MIT */
/* The mock's --state-file against the real binary: every acknowledged write
 * survives a kill -9 in the middle of a storm of concurrent PUTs, versions
 * and soft deletes survive a restart, and a corrupt state file stops the
 * start-up with a clear message. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "it_target.h"

#define SP_CLIENT "bbbbbbbb-0000-4000-8000-000000000001"
#define SP_SECRET "msikv-mock-sp-secret"
#define WRITERS 8
#define MAX_ACKS 4096
#define MIN_ACKS_BEFORE_KILL 120

typedef struct ack {
  char name[64];
  char value[64];
  char version[40];
} ack;

typedef struct writer {
  pthread_t thread;
  int index;
  const it_mock *mock;
  const char *token;
  ack *acks;
  size_t count;
} writer;

static atomic_int total_acks;
static atomic_bool stop_writers;

static void state_path(const char *name, char *out, size_t size) {
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(out, size, "%s/%s", tmp && tmp[0] ? tmp : "/tmp", name);
}

static char *token_for(const it_mock *m) {
  char *t = it_token_client_secret(m, SP_CLIENT, SP_SECRET, NULL);
  assert_non_null(t);
  return t;
}

static void kv(const it_mock *m, const char *method, const char *path,
               const char *token, const char *body, it_http *r) {
  char url[1024], auth[8192];
  snprintf(url, sizeof(url), "%s%s", m->kv_url, path);
  snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
  const char *h[] = {auth, NULL};
  it_http_do(m, method, url, h, body, r);
}

/* Writes until told to stop (or the mock dies); records what was
 * acknowledged: a 200 with the new version id. */
static void *write_storm(void *arg) {
  writer *w = arg;
  for (int i = 0; !atomic_load(&stop_writers) && w->count < MAX_ACKS; i++) {
    ack a;
    /* Every third write adds a version to the writer's shared secret. */
    if (i % 3 == 2)
      snprintf(a.name, sizeof(a.name), "shared-%d", w->index);
    else
      snprintf(a.name, sizeof(a.name), "storm-%d-%d", w->index, i);
    snprintf(a.value, sizeof(a.value), "value-%d-%d", w->index, i);
    char path[128], body[128];
    snprintf(path, sizeof(path), "/secrets/%s?api-version=7.4", a.name);
    snprintf(body, sizeof(body), "{\"value\":\"%s\"}", a.value);
    it_http r;
    kv(w->mock, "PUT", path, w->token, body, &r);
    if (r.curl_code == 0 && r.status == 200) {
      cJSON *j = it_http_json(&r);
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
      const char *slash =
          cJSON_IsString(id) ? strrchr(id->valuestring, '/') : NULL;
      if (slash && strlen(slash + 1) < sizeof(a.version)) {
        snprintf(a.version, sizeof(a.version), "%s", slash + 1);
        w->acks[w->count++] = a;
        atomic_fetch_add(&total_acks, 1);
      }
      cJSON_Delete(j);
    } else if (r.curl_code != 0) {
      it_http_free(&r);
      break; /* the mock is gone */
    }
    it_http_free(&r);
  }
  return NULL;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static cJSON *read_json_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = calloc(1, (size_t)n + 1);
  size_t got = fread(text, 1, (size_t)n, f);
  fclose(f);
  cJSON *j = got == (size_t)n ? cJSON_Parse(text) : NULL;
  free(text);
  return j;
}

static void
test_state_file_kill9_during_write_storm_keeps_every_ack(void **state) {
  (void)state;
  char file[4096], flag[4200];
  state_path("storm-state.json", file, sizeof(file));
  unlink(file);
  snprintf(flag, sizeof(flag), "%s", file);
  const char *args[] = {"--state-file", flag, NULL};
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), 0);
  char *token = token_for(&m);

  writer w[WRITERS];
  atomic_store(&total_acks, 0);
  atomic_store(&stop_writers, false);
  for (int i = 0; i < WRITERS; i++) {
    w[i] = (writer){.index = i, .mock = &m, .token = token};
    w[i].acks = calloc(MAX_ACKS, sizeof(ack));
    assert_int_equal(pthread_create(&w[i].thread, NULL, write_storm, &w[i]), 0);
  }
  for (int waited = 0;
       atomic_load(&total_acks) < MIN_ACKS_BEFORE_KILL && waited < 20000;
       waited += 5)
    sleep_ms(5);
  /* Mid-storm: every writer is between requests or inside one. */
  assert_int_equal(kill(m.pid, SIGKILL), 0);
  int status = 0;
  assert_int_equal(waitpid(m.pid, &status, 0), m.pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  m.pid = 0;
  atomic_store(&stop_writers, true);
  size_t acked = 0;
  for (int i = 0; i < WRITERS; i++) {
    pthread_join(w[i].thread, NULL);
    acked += w[i].count;
  }
  fprintf(stderr, "acknowledged before kill -9: %zu writes\n", acked);
  assert_true(acked >= MIN_ACKS_BEFORE_KILL);

  /* The file parses, whole. */
  cJSON *saved = read_json_file(file);
  assert_non_null(saved);
  assert_string_equal(
      cJSON_GetObjectItemCaseSensitive(saved, "format")->valuestring,
      "msikv-mock-keyvault-state");
  cJSON_Delete(saved);

  /* After a restart, every acknowledged write is there, by version. */
  it_mock m2;
  assert_int_equal(it_mock_start(&m2, args), 0);
  char *token2 = token_for(&m2);
  size_t found = 0;
  for (int i = 0; i < WRITERS; i++) {
    for (size_t k = 0; k < w[i].count; k++) {
      const ack *a = &w[i].acks[k];
      char path[256];
      snprintf(path, sizeof(path), "/secrets/%s/%s?api-version=7.4", a->name,
               a->version);
      it_http r;
      kv(&m2, "GET", path, token2, NULL, &r);
      cJSON *j = it_http_json(&r);
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "value");
      if (r.status == 200 && cJSON_IsString(v) &&
          strcmp(v->valuestring, a->value) == 0)
        found++;
      else
        fprintf(stderr, "lost: %s/%s (%ld)\n", a->name, a->version, r.status);
      cJSON_Delete(j);
      it_http_free(&r);
    }
    free(w[i].acks);
  }
  assert_int_equal(found, acked);
  /* The seeded secret came back too. */
  it_http r;
  kv(&m2, "GET", "/secrets/secret?api-version=7.4", token2, NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  free(token);
  free(token2);
  it_mock_stop(&m2);
}

static void
test_state_file_restart_keeps_versions_and_soft_deletes(void **state) {
  (void)state;
  char file[4096];
  state_path("restart-state.json", file, sizeof(file));
  unlink(file);
  const char *args[] = {"--state-file", file, NULL};
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), 0);
  char *token = token_for(&m);
  it_http r;
  kv(&m, "PUT", "/secrets/kept?api-version=7.4", token,
     "{\"value\":\"one\",\"contentType\":\"text/"
     "plain\",\"tags\":{\"a\":\"b\"}}",
     &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  kv(&m, "PUT", "/secrets/kept?api-version=7.4", token, "{\"value\":\"two\"}",
     &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  kv(&m, "PUT", "/secrets/gone?api-version=7.4", token, "{\"value\":\"x\"}",
     &r);
  it_http_free(&r);
  kv(&m, "DELETE", "/secrets/gone?api-version=7.4", token, NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  it_mock_stop(&m);
  free(token);

  it_mock m2;
  assert_int_equal(it_mock_start(&m2, args), 0);
  token = token_for(&m2);
  kv(&m2, "GET", "/secrets/kept/versions?api-version=7.4", token, NULL, &r);
  assert_int_equal(r.status, 200);
  cJSON *j = it_http_json(&r);
  assert_int_equal(
      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "value")), 2);
  cJSON_Delete(j);
  it_http_free(&r);
  kv(&m2, "GET", "/secrets/kept?api-version=7.4", token, NULL, &r);
  j = it_http_json(&r);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "value")->valuestring,
                      "two");
  cJSON_Delete(j);
  it_http_free(&r);
  kv(&m2, "GET", "/deletedsecrets/gone?api-version=7.4", token, NULL, &r);
  assert_int_equal(r.status, 200);
  it_http_free(&r);
  kv(&m2, "PUT", "/secrets/gone?api-version=7.4", token, "{\"value\":\"y\"}",
     &r);
  assert_int_equal(r.status, 409); /* still soft-deleted */
  it_http_free(&r);
  /* /admin/reset goes back to the seed, and the file follows. */
  assert_int_equal(it_admin_reset(&m2), 204);
  it_mock_stop(&m2);
  free(token);
  it_mock m3;
  assert_int_equal(it_mock_start(&m3, args), 0);
  token = token_for(&m3);
  kv(&m3, "GET", "/secrets/kept?api-version=7.4", token, NULL, &r);
  assert_int_equal(r.status, 404);
  it_http_free(&r);
  free(token);
  it_mock_stop(&m3);
}

static void test_state_file_corrupt_stops_start_up(void **state) {
  (void)state;
  char file[4096];
  state_path("corrupt-state.json", file, sizeof(file));
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fputs("{\"format\":\"msikv-mock-keyvault-state\",\"version\":1,\"vaults\":[",
        f);
  fclose(f);
  const char *args[] = {"--state-file", file, NULL};
  it_mock m;
  assert_int_equal(it_mock_start(&m, args), -1);
  /* The file is left alone for the user to inspect. */
  cJSON *j = read_json_file(file);
  assert_null(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_state_file_kill9_during_write_storm_keeps_every_ack),
      cmocka_unit_test(test_state_file_restart_keeps_versions_and_soft_deletes),
      cmocka_unit_test(test_state_file_corrupt_stops_start_up),
  };
  return IT_RUN_MOCK_ONLY_SUITE("mock_persist_integration", tests, NULL, NULL,
                                "tests the mock itself");
}
