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

/* Turns an absolute nextLink into the target call() takes, checking its
 * shape on the way. */
static void link_target(const char *link, const char *path, char *out,
                        size_t size) {
  char prefix[256];
  snprintf(prefix, sizeof(prefix), BASE "%s?api-version=", path);
  assert_memory_equal(link, prefix, strlen(prefix));
  assert_non_null(strstr(link, "&$skiptoken="));
  assert_non_null(strstr(link, "&maxresults="));
  snprintf(out, size, "%s", link + strlen(BASE));
}

/* Lists @p target page by page; @return the total count, writing the ids in
 * order to @p ids (may be NULL) and the page sizes to @p pages. */
static size_t list_all(fx *f, const char *first, const char *path,
                       char ids[][300], size_t *pages, size_t *npages) {
  char target[4096];
  snprintf(target, sizeof(target), "%s", first);
  size_t total = 0;
  *npages = 0;
  for (;;) {
    assert_int_equal(call(f, "GET", target, "sp", NULL), 200);
    const cJSON *value = jobj(f->json, "value");
    assert_true(cJSON_IsArray(value));
    const cJSON *item;
    size_t n = 0;
    cJSON_ArrayForEach(item, value) {
      assert_null(jobj(item, "value"));
      if (ids)
        snprintf(ids[total], 300, "%s", jstr(item, "id"));
      total++;
      n++;
    }
    pages[(*npages)++] = n;
    const cJSON *next = jobj(f->json, "nextLink");
    assert_non_null(next); /* present, null on the last page */
    if (cJSON_IsNull(next))
      break;
    assert_true(cJSON_IsString(next));
    link_target(next->valuestring, path, target, sizeof(target));
    assert_true(*npages < 100);
  }
  return total;
}

static void make_secrets(fx *f, int count) {
  char name[32];
  for (int i = 0; i < count; i++) {
    snprintf(name, sizeof(name), "s%02d", i);
    put_secret(f, name, "v", NULL);
  }
}

static void test_list_default_page_25_then_null(void **state) {
  fx *f = *state;
  make_secrets(f, 30);
  static char ids[64][300];
  size_t pages[16], np = 0;
  size_t total =
      list_all(f, "/secrets?api-version=7.6", "/secrets", ids, pages, &np);
  assert_int_equal(total, 31); /* plus the seeded "secret" */
  assert_int_equal(np, 2);
  assert_int_equal(pages[0], 25);
  assert_int_equal(pages[1], 6);
  assert_string_equal(ids[0], BASE "/secrets/s00");
  assert_string_equal(ids[29], BASE "/secrets/s29");
  assert_string_equal(ids[30], BASE "/secrets/secret");
  /* The last page says "nextLink": null explicitly. */
  assert_non_null(strstr(f->resp.body.data, "\"nextLink\":null"));
}

static void test_list_next_link_exact_shape(void **state) {
  fx *f = *state;
  make_secrets(f, 3);
  assert_int_equal(
      call(f, "GET", "/secrets?api-version=7.3&maxresults=2", "sp", NULL), 200);
  const char *link = jstr(f->json, "nextLink");
  assert_non_null(link);
  const char *want = BASE "/secrets?api-version=7.3&$skiptoken=";
  assert_memory_equal(link, want, strlen(want));
  const char *tail = link + strlen(want);
  const char *amp = strchr(tail, '&');
  assert_non_null(amp);
  assert_string_equal(amp, "&maxresults=2");
  for (const char *p = tail; p < amp; p++)
    assert_true((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                (*p >= '0' && *p <= '9') || *p == '-' || *p == '_');
}

static void test_list_maxresults_bounds(void **state) {
  fx *f = *state;
  make_secrets(f, 30);
  char url[128];
  for (int m = 1; m <= 25; m++) {
    snprintf(url, sizeof(url), "/secrets?api-version=7.6&maxresults=%d", m);
    assert_int_equal(call(f, "GET", url, "sp", NULL), 200);
    assert_int_equal(cJSON_GetArraySize(jobj(f->json, "value")), m);
    assert_true(cJSON_IsString(jobj(f->json, "nextLink")));
  }
  const char *bad[] = {"0", "26", "-1", "abc", "", "1.5", "100"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(url, sizeof(url), "/secrets?api-version=7.6&maxresults=%s",
             bad[i]);
    assert_int_equal(call(f, "GET", url, "sp", NULL), 400);
    assert_string_equal(err_code(f), "BadParameter");
  }
  assert_string_equal(err_message(f),
                      "Invalid maxresults '100': it must be an integer from "
                      "1 to 25.");
}

static void test_list_several_pages_keep_maxresults(void **state) {
  fx *f = *state;
  make_secrets(f, 30);
  size_t pages[16], np = 0;
  size_t total = list_all(f, "/secrets?api-version=7.6&maxresults=7",
                          "/secrets", NULL, pages, &np);
  assert_int_equal(total, 31);
  assert_int_equal(np, 5);
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(pages[i], 7);
  assert_int_equal(pages[4], 3);
}

static void test_list_versions_paged_with_version_ids(void **state) {
  fx *f = *state;
  char versions[5][33];
  for (int i = 0; i < 5; i++)
    put_secret(f, "multi", "v", versions[i]);
  static char ids[8][300];
  size_t pages[8], np = 0;
  size_t total = list_all(f,
                          "/secrets/multi/versions?api-version=7.6&"
                          "maxresults=2",
                          "/secrets/multi/versions", ids, pages, &np);
  assert_int_equal(total, 5);
  assert_int_equal(np, 3);
  assert_int_equal(pages[2], 1);
  for (int i = 0; i < 5; i++) {
    char id[300];
    snprintf(id, sizeof(id), BASE "/secrets/multi/%s", versions[i]);
    bool found = false;
    for (int j = 0; j < 5; j++)
      found = found || strcmp(ids[j], id) == 0;
    assert_true(found);
  }
  assert_int_equal(
      call(f, "GET", "/secrets/none/versions?api-version=7.6", "sp", NULL),
      404);
  assert_string_equal(err_code(f), "SecretNotFound");
}

static void test_list_items_shape(void **state) {
  fx *f = *state;
  assert_int_equal(call(f, "PUT", "/secrets/shaped?api-version=7.6", "sp",
                        "{\"value\":\"v\",\"contentType\":\"ct\",\"tags\":{"
                        "\"k\":\"v\"}}"),
                   200);
  assert_int_equal(call(f, "GET", "/secrets?api-version=7.6", "sp", NULL), 200);
  const cJSON *item = cJSON_GetArrayItem(jobj(f->json, "value"), 0);
  assert_string_equal(jstr(item, "id"), BASE "/secrets/secret");
  item = cJSON_GetArrayItem(jobj(f->json, "value"), 0);
  const cJSON *it;
  bool seen = false;
  cJSON_ArrayForEach(it, jobj(f->json, "value")) {
    if (strcmp(jstr(it, "id"), BASE "/secrets/shaped") == 0) {
      seen = true;
      assert_string_equal(jstr(it, "contentType"), "ct");
      assert_string_equal(jstr(jobj(it, "tags"), "k"), "v");
      assert_true(cJSON_IsTrue(jobj(jobj(it, "attributes"), "enabled")));
      assert_null(jobj(it, "value"));
    }
  }
  assert_true(seen);
}

static void test_list_deleted_paged(void **state) {
  fx *f = *state;
  make_secrets(f, 4);
  char url[128];
  for (int i = 0; i < 4; i++) {
    snprintf(url, sizeof(url), "/secrets/s%02d?api-version=7.6", i);
    assert_int_equal(call(f, "DELETE", url, "sp", NULL), 200);
  }
  static char ids[8][300];
  size_t pages[8], np = 0;
  size_t total = list_all(f, "/deletedsecrets?api-version=7.6&maxresults=3",
                          "/deletedsecrets", ids, pages, &np);
  assert_int_equal(total, 4);
  assert_int_equal(np, 2);
  assert_string_equal(ids[0], BASE "/secrets/s00");
  assert_int_equal(
      call(f, "GET", "/deletedsecrets?api-version=7.6", "sp", NULL), 200);
  const cJSON *item = cJSON_GetArrayItem(jobj(f->json, "value"), 0);
  assert_string_equal(jstr(item, "recoveryId"), BASE "/deletedsecrets/s00");
  assert_true(cJSON_IsNumber(jobj(item, "deletedDate")));
  assert_true(cJSON_IsNumber(jobj(item, "scheduledPurgeDate")));
  /* Deleted secrets are not in /secrets. */
  assert_int_equal(call(f, "GET", "/secrets?api-version=7.6", "sp", NULL), 200);
  assert_int_equal(cJSON_GetArraySize(jobj(f->json, "value")), 1);
}

static void test_list_percent_encoded_query_names(void **state) {
  fx *f = *state;
  make_secrets(f, 5);
  assert_int_equal(
      call(f, "GET", "/secrets?api%2Dversion=7.6&maxresults=2", "sp", NULL),
      200);
  const char *link = jstr(f->json, "nextLink");
  const char *start = strstr(link, "$skiptoken=") + strlen("$skiptoken=");
  char tok[512];
  snprintf(tok, sizeof(tok), "%.*s", (int)(strchr(start, '&') - start), start);
  char target[1024];
  snprintf(target, sizeof(target),
           "/secrets?api%%2Dversion=7.6&%%24skiptoken=%s&maxresults=2", tok);
  assert_int_equal(call(f, "GET", target, "sp", NULL), 200);
  const cJSON *first = cJSON_GetArrayItem(jobj(f->json, "value"), 0);
  assert_string_equal(jstr(first, "id"), BASE "/secrets/s02");
  /* The JS SDK re-encodes the nextLink it was given. */
  snprintf(target, sizeof(target),
           "/secrets?api%%2Dversion=7.6&%%24skiptoken=%s&max%%72esults=2", tok);
  assert_int_equal(call(f, "GET", target, "sp", NULL), 200);
  assert_int_equal(cJSON_GetArraySize(jobj(f->json, "value")), 2);
}

static void test_list_bad_skiptoken_400(void **state) {
  fx *f = *state;
  assert_int_equal(
      call(f, "GET", "/secrets?api-version=7.6&$skiptoken=!!!!", "sp", NULL),
      400);
  assert_int_equal(
      call(f, "GET", "/secrets?api-version=7.6&$skiptoken=abc", "sp", NULL),
      400);
  assert_string_equal(err_code(f), "BadParameter");
  /* Malformed percent-encoding is a 400, not an absent parameter. */
  assert_int_equal(
      call(f, "GET", "/secrets?api-version=7.6&$skiptoken=%%zz", "sp", NULL),
      400);
  assert_string_equal(err_code(f), "BadParameter");
  assert_string_equal(err_message(f), "The query parameter '$skiptoken=%%zz' "
                                      "is not valid percent-encoding.");
  /* A marker past the end gives an empty last page. */
  assert_int_equal(call(f, "GET",
                        "/secrets?api-version=7.6&$skiptoken="
                        "eyJOZXh0TWFya2VyIjoienp6In0",
                        "sp", NULL),
                   200);
  assert_int_equal(cJSON_GetArraySize(jobj(f->json, "value")), 0);
  assert_true(cJSON_IsNull(jobj(f->json, "nextLink")));
}

static void test_list_survives_deletes_between_pages(void **state) {
  fx *f = *state;
  make_secrets(f, 6);
  assert_int_equal(
      call(f, "GET", "/secrets?api-version=7.6&maxresults=3", "sp", NULL), 200);
  char target[1024];
  link_target(jstr(f->json, "nextLink"), "/secrets", target, sizeof(target));
  /* s02 (the last one returned) disappears; paging goes on from s03. */
  assert_int_equal(
      call(f, "DELETE", "/secrets/s02?api-version=7.6", "sp", NULL), 200);
  assert_int_equal(call(f, "GET", target, "sp", NULL), 200);
  const cJSON *first = cJSON_GetArrayItem(jobj(f->json, "value"), 0);
  assert_string_equal(jstr(first, "id"), BASE "/secrets/s03");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_list_default_page_25_then_null,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_next_link_exact_shape, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_list_maxresults_bounds, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_list_several_pages_keep_maxresults,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_versions_paged_with_version_ids,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_items_shape, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_deleted_paged, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_percent_encoded_query_names,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_bad_skiptoken_400, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_list_survives_deletes_between_pages,
                                      setup, teardown),
  };
  return cmocka_run_group_tests_name("mock_kv_paging", tests, NULL, NULL);
}
