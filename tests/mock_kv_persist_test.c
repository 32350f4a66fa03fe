/* SPDX-License-Identifier: MIT */
/* The mock Key Vault's state file: what a write saves (before its reply),
 * what a load restores, and the errors of both. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock_kv_fixture.h"

static void tmp_file(const char *name, char *out, size_t size) {
  const char *dir = getenv("TEST_TMPDIR");
  snprintf(out, size, "%s/%s", dir && dir[0] ? dir : "/tmp", name);
  unlink(out);
}

static cJSON *read_json(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  return cJSON_Parse(buf);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static bool file_has_secret(const char *path, const char *name) {
  cJSON *j = read_json(path);
  bool found = false;
  const cJSON *v = cJSON_GetArrayItem(jobj(j, "vaults"), 0);
  const cJSON *s;
  cJSON_ArrayForEach(s, jobj(v, "secrets")) {
    if (strcmp(jstr(s, "name"), name) == 0)
      found = true;
  }
  cJSON_Delete(j);
  return found;
}

static void test_write_saves_state_before_reply(void **state) {
  fx *f = *state;
  char path[4096];
  tmp_file("kv-write.json", path, sizeof(path));
  assert_int_equal(mock_kv_set_state_file(f->kv, path), MSIKV_OK);
  put_secret(f, "first", "one", NULL);
  /* The reply is in hand: the file already holds the write. */
  assert_true(file_has_secret(path, "first"));
  assert_true(file_has_secret(path, "secret"));
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* Reads do not write. */
  unlink(path);
  assert_int_equal(call(f, "GET", "/secrets/first?api-version=7.6", "sp", NULL),
                   200);
  assert_int_equal(stat(path, &st), -1);
  /* Refused writes do not either. */
  assert_int_equal(
      call(f, "PUT", "/secrets/x?api-version=7.6", "mi", "{\"value\":\"v\"}"),
      403);
  assert_int_equal(stat(path, &st), -1);
  assert_int_equal(
      call(f, "DELETE", "/secrets/first?api-version=7.6", "sp", NULL), 200);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(mock_kv_set_state_file(f->kv, NULL), MSIKV_OK);
}

static void test_load_restores_every_field(void **state) {
  fx *f = *state;
  char path[4096], v1[33], v2[33];
  tmp_file("kv-roundtrip.json", path, sizeof(path));
  assert_int_equal(mock_kv_set_state_file(f->kv, path), MSIKV_OK);
  assert_int_equal(
      call(f, "PUT", "/secrets/full?api-version=7.6", "sp",
           "{\"value\":\"v1\",\"contentType\":\"text/plain\",\"tags\":"
           "{\"env\":\"test\"},\"attributes\":{\"nbf\":1600000000,\"exp\":"
           "1900000000}}"),
      200);
  snprintf(v1, sizeof(v1), "%s", strrchr(jstr(f->json, "id"), '/') + 1);
  f->now_ms += 5000;
  put_secret(f, "full", "v2", v2);
  char target[128];
  snprintf(target, sizeof(target), "/secrets/full/%s?api-version=7.6", v1);
  assert_int_equal(
      call(f, "PATCH", target, "sp", "{\"attributes\":{\"enabled\":false}}"),
      200);
  put_secret(f, "dropped", "d", NULL);
  assert_int_equal(
      call(f, "DELETE", "/secrets/dropped?api-version=7.6", "sp", NULL), 200);
  double deleted = jnum(f->json, "deletedDate");
  double purge = jnum(f->json, "scheduledPurgeDate");

  mock_kv *kv2 = new_kv(PORT);
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(mock_kv_load_state(kv2, path, &err), MSIKV_OK);
  mock_kv *orig = f->kv;
  f->kv = kv2;
  assert_int_equal(call(f, "GET", "/secrets/full?api-version=7.6", "sp", NULL),
                   200);
  assert_string_equal(jstr(f->json, "value"), "v2");
  assert_non_null(strstr(jstr(f->json, "id"), v2));
  snprintf(target, sizeof(target), "/secrets/full/%s?api-version=2025-07-01",
           v1);
  assert_int_equal(call(f, "GET", target, "sp", NULL), 403); /* disabled */
  assert_string_equal(inner_code(f), "SecretDisabled");
  assert_int_equal(
      call(f, "GET", "/secrets/full/versions?api-version=7.6", "sp", NULL),
      200);
  assert_int_equal(cJSON_GetArraySize(jobj(f->json, "value")), 2);
  snprintf(target, sizeof(target), "/secrets/full/%s?api-version=7.6", v2);
  assert_int_equal(call(f, "GET", target, "sp", NULL), 200);
  assert_int_equal(call(f, "PATCH", target, "sp", "{\"contentType\":\"x\"}"),
                   200);
  snprintf(target, sizeof(target), "/secrets/full/%s?api-version=7.6", v1);
  assert_int_equal(
      call(f, "PATCH", target, "sp", "{\"attributes\":{\"enabled\":true}}"),
      200);
  assert_int_equal(call(f, "GET", target, "sp", NULL), 200);
  assert_string_equal(jstr(f->json, "contentType"), "text/plain");
  assert_string_equal(jstr(jobj(f->json, "tags"), "env"), "test");
  assert_int_equal((int64_t)jnum(jobj(f->json, "attributes"), "nbf"),
                   1600000000);
  assert_int_equal((int64_t)jnum(jobj(f->json, "attributes"), "exp"),
                   1900000000);
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/dropped?api-version=7.6", "sp", NULL),
      200);
  assert_true(jnum(f->json, "deletedDate") == deleted);
  assert_true(jnum(f->json, "scheduledPurgeDate") == purge);
  /* Policies came back too. */
  assert_int_equal(
      call(f, "PUT", "/secrets/y?api-version=7.6", "mi", "{\"value\":\"v\"}"),
      403);
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", "mi", NULL), 200);
  f->kv = orig;
  mock_kv_free(kv2);
  assert_int_equal(mock_kv_set_state_file(f->kv, NULL), MSIKV_OK);
}

static void test_failed_save_turns_write_into_500(void **state) {
  fx *f = *state;
  assert_int_equal(
      mock_kv_set_state_file(f->kv, "/nonexistent-msikv-dir/state.json"),
      MSIKV_OK);
  assert_int_equal(call(f, "PUT", "/secrets/unsaved?api-version=7.6", "sp",
                        "{\"value\":\"v\"}"),
                   500);
  assert_string_equal(err_code(f), "InternalError");
  assert_non_null(strstr(err_message(f), "could not save its state file"));
  assert_non_null(strstr(err_message(f), "The write is not acknowledged."));
  assert_null(jstr(f->json, "value"));
  assert_int_equal(mock_kv_set_state_file(f->kv, NULL), MSIKV_OK);
}

static void expect_load_error(fx *f, const char *text, const char *message) {
  char path[4096];
  tmp_file("kv-bad.json", path, sizeof(path));
  write_text(path, text);
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(mock_kv_load_state(f->kv, path, &err), MSIKV_ERR_CONFIG);
  if (!strstr(err.message, message))
    fail_msg("expected \"%s\" in \"%s\"", message, err.message);
  assert_non_null(strstr(err.message, path));
}

static void test_load_errors_name_the_problem_and_keep_state(void **state) {
  fx *f = *state;
  msikv_error err;
  msikv_error_clear(&err);
  assert_int_equal(mock_kv_load_state(f->kv, "/nonexistent-msikv", &err),
                   MSIKV_ERR_NOT_FOUND);
  expect_load_error(f, "{\"format\":", "not JSON (error near byte");
  expect_load_error(f, "{\"format\":\"other\",\"version\":1,\"vaults\":[]}",
                    "not a mock Key Vault state file");
  expect_load_error(f,
                    "{\"format\":\"msikv-mock-keyvault-state\",\"version\":2,"
                    "\"vaults\":[]}",
                    "not a mock Key Vault state file");
  expect_load_error(f,
                    "{\"format\":\"msikv-mock-keyvault-state\",\"version\":1,"
                    "\"vaults\":[{\"name\":\"x\"}]}",
                    "vaults[0] needs \"name\", \"location\"");
  const char *head = "{\"format\":\"msikv-mock-keyvault-state\",\"version\":1,"
                     "\"vaults\":[{\"name\":\"demo\",\"location\":\"l\",";
  char text[2048];
  snprintf(text, sizeof(text),
           "%s\"accessPolicies\":[{\"objectId\":\"o\",\"permissions\":"
           "{\"secrets\":[\"fly\"]}}],\"secrets\":[]}]}",
           head);
  expect_load_error(f, text, "accessPolicies[0] has an unknown permission");
  snprintf(text, sizeof(text),
           "%s\"accessPolicies\":[],\"secrets\":[{\"name\":\"s\",\"deleted\":"
           "false,\"versions\":[{\"version\":\"nothex\"}]}]}]}",
           head);
  expect_load_error(f, text, "secrets[0].versions[0] is malformed");
  snprintf(
      text, sizeof(text),
      "%s\"accessPolicies\":[],\"secrets\":[{\"name\":\"s\",\"deleted\":"
      "true,\"versions\":[{\"version\":\"0123456789abcdef0123456789abcdef\","
      "\"value\":\"v\",\"enabled\":true,\"created\":1,\"updated\":1,"
      "\"previous\":\"\"}]}]}]}",
      head);
  expect_load_error(f, text, "is deleted but has no deletedDate");
  /* Nothing changed. */
  assert_int_equal(
      call(f, "GET", "/secrets/secret?api-version=7.6", "sp", NULL), 200);
  assert_string_equal(jstr(f->json, "value"), MOCK_KV_DEFAULT_VALUE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_write_saves_state_before_reply,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_load_restores_every_field, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_failed_save_turns_write_into_500,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_load_errors_name_the_problem_and_keep_state, setup, teardown),
  };
  return cmocka_run_group_tests_name("mock_kv_persist", tests, NULL, NULL);
}
