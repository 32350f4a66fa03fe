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

static bool is_hex32(const char *s) {
  if (!s || strlen(s) != 32)
    return false;
  for (; *s; s++) {
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  }
  return true;
}

static void test_handle_set_returns_full_bundle(void **state) {
  fx *f = *state;
  assert_int_equal(
      call(f, "PUT", "/secrets/db-password?api-version=7.6", "sp",
           "{\"value\":\"p@ss\",\"contentType\":\"text/plain\",\"tags\":"
           "{\"env\":\"test\"},\"attributes\":{\"enabled\":true,\"nbf\":"
           "1600000000,\"exp\":1900000000}}"),
      200);
  assert_string_equal(jstr(f->json, "value"), "p@ss");
  assert_string_equal(jstr(f->json, "contentType"), "text/plain");
  assert_string_equal(jstr(jobj(f->json, "tags"), "env"), "test");
  const char *id = jstr(f->json, "id");
  assert_memory_equal(id, BASE "/secrets/db-password/",
                      strlen(BASE "/secrets/db-password/"));
  char v1[33];
  snprintf(v1, sizeof(v1), "%s", strrchr(id, '/') + 1);
  assert_true(is_hex32(v1));
  const cJSON *a = jobj(f->json, "attributes");
  assert_true(cJSON_IsTrue(jobj(a, "enabled")));
  assert_true(jnum(a, "nbf") == 1600000000.0);
  assert_true(jnum(a, "exp") == 1900000000.0);
  assert_true(jnum(a, "created") == (double)(T0_MS / 1000));
  assert_true(jnum(a, "updated") == (double)(T0_MS / 1000));
  assert_string_equal(jstr(a, "recoveryLevel"), "Recoverable+Purgeable");
  assert_true(jnum(a, "recoverableDays") == 90.0);
  /* Every set makes a new version. */
  char v2[33];
  put_secret(f, "db-password", "second", v2);
  assert_true(is_hex32(v2));
  assert_string_not_equal(v1, v2);
  assert_null(jobj(f->json, "contentType"));
}

static void test_handle_get_latest_slash_and_version(void **state) {
  fx *f = *state;
  char v1[33], v2[33];
  put_secret(f, "s1", "one", v1);
  put_secret(f, "s1", "two", v2);
  assert_int_equal(call(f, "GET", "/secrets/s1?api-version=7.6", "sp", NULL),
                   200);
  assert_string_equal(jstr(f->json, "value"), "two");
  /* The Python SDK's trailing slash means "latest". */
  assert_int_equal(call(f, "GET", "/secrets/s1/?api-version=7.6", "sp", NULL),
                   200);
  assert_string_equal(jstr(f->json, "value"), "two");
  char url[128], id[256];
  snprintf(url, sizeof(url), "/secrets/s1/%s?api-version=7.6", v1);
  assert_int_equal(call(f, "GET", url, "sp", NULL), 200);
  assert_string_equal(jstr(f->json, "value"), "one");
  snprintf(id, sizeof(id), BASE "/secrets/s1/%s", v1);
  assert_string_equal(jstr(f->json, "id"), id);
  assert_int_equal(
      call(f, "GET",
           "/secrets/s1/00000000000000000000000000000000?api-version=7.6", "sp",
           NULL),
      404);
  assert_string_equal(err_code(f), "SecretNotFound");
  assert_string_equal(
      err_message(f),
      "A secret with (name/id) s1/00000000000000000000000000000000 was not "
      "found in this key vault. If you recently deleted this secret you may "
      "be able to recover it using the correct recovery command. For help "
      "resolving this issue, please see "
      "https://go.microsoft.com/fwlink/?linkid=2125182");
  assert_int_equal(call(f, "GET", "/secrets/nope?api-version=7.6", "sp", NULL),
                   404);
  assert_string_equal(
      err_message(f),
      "A secret with (name/id) nope was not found in this key vault. If you "
      "recently deleted this secret you may be able to recover it using the "
      "correct recovery command. For help resolving this issue, please see "
      "https://go.microsoft.com/fwlink/?linkid=2125182");
  assert_null(inner_code(f));
}

static void test_handle_update_properties_no_value(void **state) {
  fx *f = *state;
  char v1[33], v2[33];
  put_secret(f, "u", "one", v1);
  put_secret(f, "u", "two", v2);
  f->now_ms += 5000;
  /* "/secrets/u/" is the latest version. */
  assert_int_equal(call(f, "PATCH", "/secrets/u/?api-version=7.6", "sp",
                        "{\"contentType\":\"ct\",\"tags\":{\"a\":\"b\"},"
                        "\"attributes\":{\"enabled\":false}}"),
                   200);
  assert_null(jobj(f->json, "value"));
  assert_string_equal(jstr(f->json, "contentType"), "ct");
  assert_string_equal(jstr(jobj(f->json, "tags"), "a"), "b");
  const cJSON *a = jobj(f->json, "attributes");
  assert_true(cJSON_IsFalse(jobj(a, "enabled")));
  assert_true(jnum(a, "updated") == (double)(T0_MS / 1000 + 5));
  assert_true(jnum(a, "created") == (double)(T0_MS / 1000));
  char id[256];
  snprintf(id, sizeof(id), BASE "/secrets/u/%s", v2);
  assert_string_equal(jstr(f->json, "id"), id);
  /* A disabled secret cannot be read. */
  assert_int_equal(call(f, "GET", "/secrets/u?api-version=7.6", "sp", NULL),
                   403);
  assert_string_equal(err_code(f), "Forbidden");
  assert_string_equal(inner_code(f), "SecretDisabled");
  assert_string_equal(err_message(f),
                      "Operation get is not allowed on a disabled secret.");
  /* The older version is untouched and still readable. */
  char url[128];
  snprintf(url, sizeof(url), "/secrets/u/%s?api-version=7.6", v1);
  assert_int_equal(call(f, "GET", url, "sp", NULL), 200);
  assert_string_equal(jstr(f->json, "value"), "one");
  assert_null(jobj(f->json, "contentType"));
  /* PATCH by version; the value in a PATCH body is ignored. */
  assert_int_equal(call(f, "PATCH", url, "sp",
                        "{\"value\":\"hacked\",\"contentType\":null}"),
                   200);
  assert_int_equal(call(f, "GET", url, "sp", NULL), 200);
  assert_string_equal(jstr(f->json, "value"), "one");
  /* Re-enable. */
  assert_int_equal(call(f, "PATCH", "/secrets/u?api-version=7.6", "sp",
                        "{\"attributes\":{\"enabled\":true},\"tags\":null}"),
                   200);
  assert_null(jobj(f->json, "tags"));
  assert_int_equal(call(f, "GET", "/secrets/u?api-version=7.6", "sp", NULL),
                   200);
  assert_string_equal(jstr(f->json, "value"), "two");
  assert_int_equal(
      call(f, "PATCH", "/secrets/none?api-version=7.6", "sp", "{}"), 404);
  assert_string_equal(err_code(f), "SecretNotFound");
}

static void test_handle_delete_recover_purge_state_machine(void **state) {
  fx *f = *state;
  char v1[33];
  put_secret(f, "life", "alive", v1);
  f->now_ms += 1000;
  int64_t del_s = f->now_ms / 1000;
  assert_int_equal(
      call(f, "DELETE", "/secrets/life?api-version=7.6", "sp", NULL), 200);
  assert_null(jobj(f->json, "value"));
  assert_string_equal(jstr(f->json, "recoveryId"), BASE "/deletedsecrets/life");
  assert_true(jnum(f->json, "deletedDate") == (double)del_s);
  assert_true(jnum(f->json, "scheduledPurgeDate") ==
              (double)(del_s + 90 * 86400));
  char id[256];
  snprintf(id, sizeof(id), BASE "/secrets/life/%s", v1);
  assert_string_equal(jstr(f->json, "id"), id);
  /* Gone from /secrets, present in /deletedsecrets. */
  assert_int_equal(call(f, "GET", "/secrets/life?api-version=7.6", "sp", NULL),
                   404);
  assert_string_equal(err_code(f), "SecretNotFound");
  assert_int_equal(
      call(f, "DELETE", "/secrets/life?api-version=7.6", "sp", NULL), 404);
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/life?api-version=7.6", "sp", NULL), 200);
  assert_string_equal(jstr(f->json, "recoveryId"), BASE "/deletedsecrets/life");
  assert_null(jobj(f->json, "value"));
  /* The name cannot be reused while soft-deleted. */
  assert_int_equal(call(f, "PUT", "/secrets/LIFE?api-version=7.6", "sp",
                        "{\"value\":\"new\"}"),
                   409);
  assert_string_equal(err_code(f), "Conflict");
  assert_string_equal(inner_code(f), "ObjectIsDeletedButRecoverable");
  assert_string_equal(err_message(f),
                      "Secret life is currently in a deleted but recoverable "
                      "state, and its name cannot be reused; in this state, "
                      "the secret can only be recovered or purged.");
  /* Recover: a SecretBundle without the value. */
  assert_int_equal(call(f, "POST",
                        "/deletedsecrets/life/recover?api-version=7.6", "sp",
                        NULL),
                   200);
  assert_null(jobj(f->json, "value"));
  assert_null(jobj(f->json, "recoveryId"));
  assert_string_equal(jstr(f->json, "id"), id);
  assert_int_equal(call(f, "GET", "/secrets/life?api-version=7.6", "sp", NULL),
                   200);
  assert_string_equal(jstr(f->json, "value"), "alive");
  assert_int_equal(call(f, "POST",
                        "/deletedsecrets/life/recover?api-version=7.6", "sp",
                        NULL),
                   404);
  assert_string_equal(err_message(f), "Deleted Secret not found: life");
  /* Delete again, then purge: 204 with an empty body. */
  assert_int_equal(
      call(f, "DELETE", "/secrets/life?api-version=7.6", "sp", NULL), 200);
  assert_int_equal(
      call(f, "DELETE", "/deletedsecrets/life?api-version=7.6", "sp", NULL),
      204);
  assert_int_equal(f->resp.body.len, 0);
  assert_null(mock_response_get_header(&f->resp, "Content-Type"));
  assert_non_null(mock_response_get_header(&f->resp, "x-ms-request-id"));
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/life?api-version=7.6", "sp", NULL), 404);
  assert_string_equal(err_code(f), "SecretNotFound");
  assert_string_equal(err_message(f), "Deleted Secret not found: life");
  assert_int_equal(
      call(f, "DELETE", "/deletedsecrets/life?api-version=7.6", "sp", NULL),
      404);
  /* After a purge the name is free again, with a fresh history. */
  char v2[33];
  put_secret(f, "life", "reborn", v2);
  assert_int_equal(
      call(f, "GET", "/secrets/life/versions?api-version=7.6", "sp", NULL),
      200);
  assert_int_equal(cJSON_GetArraySize(jobj(f->json, "value")), 1);
}

static void test_handle_auto_purge_after_scheduled_date(void **state) {
  fx *f = *state;
  put_secret(f, "old", "v", NULL);
  assert_int_equal(
      call(f, "DELETE", "/secrets/old?api-version=7.6", "sp", NULL), 200);
  int64_t purge_s = (int64_t)jnum(f->json, "scheduledPurgeDate");
  f->now_ms = (purge_s - 1) * 1000;
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/old?api-version=7.6", "sp", NULL), 200);
  f->now_ms = purge_s * 1000;
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/old?api-version=7.6", "sp", NULL), 404);
  assert_int_equal(
      call(f, "GET", "/deletedsecrets?api-version=7.6", "sp", NULL), 200);
  assert_int_equal(cJSON_GetArraySize(jobj(f->json, "value")), 0);
  put_secret(f, "old", "again", NULL);
}

static void test_handle_replication_lag_404_then_200(void **state) {
  fx *f = *state;
  put_secret(f, "lag", "v", NULL);
  mock_kv_set_replication_lag_ms(f->kv, 2000);
  assert_int_equal(
      call(f, "DELETE", "/secrets/lag?api-version=7.6", "sp", NULL), 200);
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/lag?api-version=7.6", "sp", NULL), 404);
  assert_string_equal(err_message(f), "Deleted Secret not found: lag");
  /* Purge and recover while the delete is in flight. */
  assert_int_equal(
      call(f, "DELETE", "/deletedsecrets/lag?api-version=7.6", "sp", NULL),
      409);
  assert_string_equal(inner_code(f), "ObjectIsBeingDeleted");
  assert_string_equal(err_message(f), "Secret is currently being deleted.");
  assert_int_equal(call(f, "POST",
                        "/deletedsecrets/lag/recover?api-version=7.6", "sp",
                        NULL),
                   409);
  f->now_ms += 1999;
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/lag?api-version=7.6", "sp", NULL), 404);
  f->now_ms += 1;
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/lag?api-version=7.6", "sp", NULL), 200);
  assert_int_equal(call(f, "POST",
                        "/deletedsecrets/lag/recover?api-version=7.6", "sp",
                        NULL),
                   200);
  assert_int_equal(call(f, "GET", "/secrets/lag?api-version=7.6", "sp", NULL),
                   404);
  assert_string_equal(err_code(f), "SecretNotFound");
  f->now_ms += 2000;
  assert_int_equal(call(f, "GET", "/secrets/lag?api-version=7.6", "sp", NULL),
                   200);
  /* Lag 0 turns it off again. */
  mock_kv_set_replication_lag_ms(f->kv, 0);
  assert_int_equal(
      call(f, "DELETE", "/secrets/lag?api-version=7.6", "sp", NULL), 200);
  assert_int_equal(
      call(f, "GET", "/deletedsecrets/lag?api-version=7.6", "sp", NULL), 200);
}

static void backup(fx *f, const char *name, char *out, size_t size) {
  char url[128];
  snprintf(url, sizeof(url), "/secrets/%s/backup?api-version=7.6", name);
  assert_int_equal(call(f, "POST", url, "sp", NULL), 200);
  const char *blob = jstr(f->json, "value");
  assert_non_null(blob);
  assert_int_equal(cJSON_GetArraySize(f->json), 1);
  for (const char *p = blob; *p; p++)
    assert_true((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                (*p >= '0' && *p <= '9') || *p == '-' || *p == '_');
  assert_true(strlen(blob) < size);
  snprintf(out, size, "%s", blob);
}

static int restore(fx *f, const char *blob) {
  size_t n = strlen(blob) + 32;
  char *body = msikv_malloc(n);
  snprintf(body, n, "{\"value\":\"%s\"}", blob);
  int st = call(f, "POST", "/secrets/restore?api-version=7.6", "sp", body);
  msikv_free(body);
  return st;
}

static void test_handle_backup_restore_roundtrip(void **state) {
  fx *f = *state;
  char v1[33], v2[33];
  put_secret(f, "bk", "first", v1);
  assert_int_equal(call(f, "PUT", "/secrets/bk?api-version=7.6", "sp",
                        "{\"value\":\"second\",\"contentType\":\"ct\","
                        "\"tags\":{\"t\":\"1\"}}"),
                   200);
  snprintf(v2, sizeof(v2), "%s", strrchr(jstr(f->json, "id"), '/') + 1);
  static char blob[8192];
  backup(f, "bk", blob, sizeof(blob));
  /* Restoring over a live secret is a conflict. */
  assert_int_equal(restore(f, blob), 409);
  assert_string_equal(err_code(f), "Conflict");
  /* And over a soft-deleted one, the real 409. */
  assert_int_equal(call(f, "DELETE", "/secrets/bk?api-version=7.6", "sp", NULL),
                   200);
  assert_int_equal(restore(f, blob), 409);
  assert_string_equal(inner_code(f), "ObjectIsDeletedButRecoverable");
  assert_int_equal(
      call(f, "DELETE", "/deletedsecrets/bk?api-version=7.6", "sp", NULL), 204);
  assert_int_equal(restore(f, blob), 200);
  assert_null(jobj(f->json, "value"));
  char id[256];
  snprintf(id, sizeof(id), BASE "/secrets/bk/%s", v2);
  assert_string_equal(jstr(f->json, "id"), id);
  assert_string_equal(jstr(f->json, "contentType"), "ct");
  assert_int_equal(call(f, "GET", "/secrets/bk?api-version=7.6", "sp", NULL),
                   200);
  assert_string_equal(jstr(f->json, "value"), "second");
  char url[128];
  snprintf(url, sizeof(url), "/secrets/bk/%s?api-version=7.6", v1);
  assert_int_equal(call(f, "GET", url, "sp", NULL), 200);
  assert_string_equal(jstr(f->json, "value"), "first");
  /* Into another vault: the blob is portable. */
  cJSON *vaults = cJSON_Parse("[{\"name\":\"other\",\"accessPolicies\":[{"
                              "\"objectId\":\"" MOCK_KV_SP_OBJECT_ID
                              "\",\"permissions\":{\"secrets\":[\"all\"]}}]}]");
  assert_int_equal(mock_kv_seed_json(f->kv, vaults, NULL), MSIKV_OK);
  cJSON_Delete(vaults);
  f->host = "other.vault.localhost:8443";
  assert_int_equal(restore(f, blob), 200);
  assert_memory_equal(jstr(f->json, "id"),
                      "https://other.vault.localhost:8443/secrets/bk/",
                      strlen("https://other.vault.localhost:8443/secrets/bk/"));
  f->host = HOST;
}

static void test_handle_restore_corrupt_blob_400(void **state) {
  fx *f = *state;
  put_secret(f, "bk2", "v", NULL);
  static char blob[8192];
  backup(f, "bk2", blob, sizeof(blob));
  assert_int_equal(
      call(f, "DELETE", "/secrets/bk2?api-version=7.6", "sp", NULL), 200);
  assert_int_equal(
      call(f, "DELETE", "/deletedsecrets/bk2?api-version=7.6", "sp", NULL),
      204);
  /* Flip one character in the middle: the digest no longer matches. */
  size_t mid = strlen(blob) / 2;
  blob[mid] = blob[mid] == 'A' ? 'B' : 'A';
  const char *bad[] = {blob, "", "AAAA", "not base64!", "QUJD"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(restore(f, bad[i]), 400);
    assert_string_equal(err_code(f), "Malformed backup blob");
    assert_string_equal(err_message(f), "Backup blob is corrupt.");
  }
  /* Truncated. */
  blob[mid] = '\0';
  assert_int_equal(restore(f, blob), 400);
  assert_string_equal(err_code(f), "Malformed backup blob");
  assert_int_equal(
      call(f, "POST", "/secrets/restore?api-version=7.6", "sp", "{}"), 400);
  assert_string_equal(err_code(f), "BadParameter");
  assert_int_equal(
      call(f, "POST", "/secrets/bk2/backup?api-version=7.6", "sp", NULL), 404);
  assert_string_equal(err_code(f), "SecretNotFound");
}

static void test_handle_secret_named_restore_is_a_secret(void **state) {
  fx *f = *state;
  put_secret(f, "restore", "not an op", NULL);
  assert_int_equal(
      call(f, "GET", "/secrets/restore?api-version=7.6", "sp", NULL), 200);
  assert_string_equal(jstr(f->json, "value"), "not an op");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_handle_set_returns_full_bundle,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_get_latest_slash_and_version,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_update_properties_no_value,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_handle_delete_recover_purge_state_machine, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_handle_auto_purge_after_scheduled_date, setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_replication_lag_404_then_200,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_backup_restore_roundtrip,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_handle_restore_corrupt_blob_400,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_handle_secret_named_restore_is_a_secret, setup, teardown),
  };
  return cmocka_run_group_tests_name("mock_kv_lifecycle", tests, NULL, NULL);
}
