/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mockserver/msi.h"
#include "mockserver/util.h"
#include "msikv/alloc.h"

#define NOW_MS 1800000000000LL
#define HEADER "0123456789abcdef0123456789abcdef"
#define SECRET "fedcba9876543210fedcba9876543210"

static mock_jwt_key *key;
static mock_principals principals;

static int setup(void **state) {
  (void)state;
  if (msikv_global_init())
    return -1;
  mock_principals_default(&principals);
  return mock_jwt_key_load_or_create("tests/testdata/mock_signing_key.pem", &key, NULL) ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  mock_jwt_key_free(key);
  return 0;
}

/* A client-side reader for every shape, with the issue's AM/PM rule: AM/PM
 * applies to hours 1-12 (12 AM is 0); hours 0 and 13-23 are 24-hour. */
static int64_t read_expires(const char *s) {
  int y, mo, d, h, mi, sec;
  char ampm[3] = "";
  char *end = NULL;
  long long n = strtoll(s, &end, 10);
  if (*end == '\0')
    return n;
  if (sscanf(s, "%d-%d-%d %d:%d:%dZ", &y, &mo, &d, &h, &mi, &sec) == 6)
    return mock_epoch_from_civil(y, mo, d, h, mi, sec);
  int got = sscanf(s, "%d/%d/%d %d:%d:%d %2[APM]", &mo, &d, &y, &h, &mi, &sec,
                   ampm);
  if (got < 6 || !strstr(s, " +00:00"))
    return -1;
  if (got == 7 && h >= 1 && h <= 12) {
    if (strcmp(ampm, "AM") == 0 && h == 12)
      h = 0;
    else if (strcmp(ampm, "PM") == 0 && h != 12)
      h += 12;
  }
  return mock_epoch_from_civil(y, mo, d, h, mi, sec);
}

static void test_read_expires_issue_examples_match(void **state) {
  (void)state;
  assert_int_equal(read_expires("09/14/2017 00:00:00 PM +00:00"), 1505347200);
  assert_int_equal(read_expires("1/16/2020 5:24:12 AM +00:00"), 1579152252);
  assert_int_equal(read_expires("06/20/2019 02:57:58 +00:00"), 1560999478);
  assert_int_equal(read_expires("2021-07-02 08:00:34Z"), 1625212834);
  assert_int_equal(read_expires("1625212834"), 1625212834);
}

static void test_expires_format_value_each_shape_exact(void **state) {
  (void)state;
  char out[64];
  mock_expires_format_value(MOCK_EXPIRES_WINDOWS, 1579152252, out, sizeof(out));
  assert_string_equal(out, "1/16/2020 5:24:12 AM +00:00");
  mock_expires_format_value(MOCK_EXPIRES_DOCS, 1505347200, out, sizeof(out));
  assert_string_equal(out, "09/14/2017 00:00:00 AM +00:00");
  mock_expires_format_value(MOCK_EXPIRES_LINUX, 1560999478, out, sizeof(out));
  assert_string_equal(out, "06/20/2019 02:57:58 +00:00");
  mock_expires_format_value(MOCK_EXPIRES_ISO, 1625212834, out, sizeof(out));
  assert_string_equal(out, "2021-07-02 08:00:34Z");
  mock_expires_format_value(MOCK_EXPIRES_INT, 1625212834, out, sizeof(out));
  assert_string_equal(out, "1625212834");
  mock_expires_format_value(MOCK_EXPIRES_EPOCH, 1625212834, out, sizeof(out));
  assert_string_equal(out, "1625212834");
}

static void test_expires_format_windows_noon_midnight_pm(void **state) {
  (void)state;
  char out[64];
  int64_t midnight = mock_epoch_from_civil(2030, 12, 31, 0, 5, 0);
  mock_expires_format_value(MOCK_EXPIRES_WINDOWS, midnight, out, sizeof(out));
  assert_string_equal(out, "12/31/2030 12:05:00 AM +00:00");
  int64_t noon = mock_epoch_from_civil(2030, 1, 2, 12, 0, 1);
  mock_expires_format_value(MOCK_EXPIRES_WINDOWS, noon, out, sizeof(out));
  assert_string_equal(out, "1/2/2030 12:00:01 PM +00:00");
  int64_t pm = mock_epoch_from_civil(2030, 1, 2, 23, 59, 59);
  mock_expires_format_value(MOCK_EXPIRES_DOCS, pm, out, sizeof(out));
  assert_string_equal(out, "01/02/2030 23:59:59 PM +00:00");
}

static void test_expires_format_every_shape_roundtrips(void **state) {
  (void)state;
  char out[64];
  for (int f = 0; f < MOCK_EXPIRES_FORMAT_COUNT; f++) {
    for (int64_t t = 1800000000; t < 1800000000 + 2 * 86400; t += 1799) {
      mock_expires_format_value((mock_expires_format)f, t, out, sizeof(out));
      if (read_expires(out) != t)
        fail_msg("%s: '%s' reads as %lld, want %lld",
                 mock_expires_format_name((mock_expires_format)f), out,
                 (long long)read_expires(out), (long long)t);
    }
  }
}

static void test_expires_format_parse_names(void **state) {
  (void)state;
  mock_expires_format f;
  for (int i = 0; i < MOCK_EXPIRES_FORMAT_COUNT; i++) {
    assert_true(mock_expires_format_parse(
        mock_expires_format_name((mock_expires_format)i), &f));
    assert_int_equal(f, i);
  }
  assert_false(mock_expires_format_parse("rfc1123", &f));
}

static mock_msi_config config(mock_expires_format fmt) {
  mock_msi_config c = {.principals = &principals,
                       .key = key,
                       .identity_header = HEADER,
                       .msi_secret = SECRET,
                       .token_lifetime_s = 3600,
                       .legacy_format = fmt};
  return c;
}

static cJSON *run(void (*fn)(const mock_msi_config *, const mock_request *,
                             mock_response *),
                  mock_expires_format fmt, const char *path, const char *query,
                  const char *hname, const char *hvalue, int *out_status) {
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = MOCK_LISTENER_MSI;
  req.method = "GET";
  req.host = "127.0.0.1:1234";
  req.path = path;
  req.query = query;
  req.body = "";
  req.now_ms = NOW_MS;
  if (hname) {
    req.headers[0].name = hname;
    req.headers[0].value = hvalue;
    req.header_count = 1;
  }
  mock_response resp;
  mock_response_init(&resp);
  mock_msi_config cfg = config(fmt);
  fn(&cfg, &req, &resp);
  *out_status = resp.status;
  cJSON *j = resp.body.data ? cJSON_Parse(resp.body.data) : NULL;
  mock_response_free(&resp);
  return j;
}

static const char *str(const cJSON *j, const char *name) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(j, name);
  return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void test_appservice_system_identity_200_shape(void **state) {
  (void)state;
  int st = 0;
  cJSON *j = run(mock_msi_handle, MOCK_EXPIRES_WINDOWS, "/msi/token",
                 "api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure."
                 "net",
                 "X-IDENTITY-HEADER", HEADER, &st);
  assert_int_equal(st, 200);
  assert_string_equal(str(j, "expires_on"), "1800003600");
  assert_string_equal(str(j, "resource"), "https://vault.azure.net");
  assert_string_equal(str(j, "token_type"), "Bearer");
  assert_string_equal(str(j, "client_id"), MOCK_APPSERVICE_MI_CLIENT_ID);
  assert_non_null(str(j, "access_token"));
  assert_null(cJSON_GetObjectItem(j, "expires_in"));
  cJSON_Delete(j);
}

static void test_appservice_selectors_pick_user_identity(void **state) {
  (void)state;
  const char *queries[] = {
      "api-version=2019-08-01&resource=r&client_id=" MOCK_USER_MI_CLIENT_ID,
      "api-version=2019-08-01&resource=r&principal_id=" MOCK_USER_MI_OBJECT_ID,
      "api-version=2019-08-01&resource=r&object_id=" MOCK_USER_MI_OBJECT_ID,
      "api-version=2019-08-01&resource=r&mi_res_id=%2Fsubscriptions%2F00000000-"
      "0000-0000-0000-000000000000%2Fresourcegroups%2Fmsikv-demo%2Fproviders%"
      "2FMicrosoft.ManagedIdentity%2FuserAssignedIdentities%2Fmsikv-uami"};
  for (size_t i = 0; i < 4; i++) {
    int st = 0;
    cJSON *j = run(mock_msi_handle, MOCK_EXPIRES_WINDOWS, "/msi/token",
                   queries[i], "X-IDENTITY-HEADER", HEADER, &st);
    assert_int_equal(st, 200);
    assert_string_equal(str(j, "client_id"), MOCK_USER_MI_CLIENT_ID);
    cJSON_Delete(j);
  }
}

static void test_appservice_errors_status_and_message(void **state) {
  (void)state;
  struct {
    const char *query, *hname, *hvalue;
    int status;
    const char *msg;
  } cases[] = {
      {"api-version=2019-08-01&resource=r", NULL, NULL, 401,
       "The 'X-IDENTITY-HEADER' header is missing"},
      {"api-version=2019-08-01&resource=r", "X-IDENTITY-HEADER", "nope", 401,
       "The 'X-IDENTITY-HEADER' header is missing"},
      {"api-version=2019-08-01&resource=r", "secret", HEADER, 401,
       "The 'X-IDENTITY-HEADER'"},
      {"api-version=2019-08-01", "X-IDENTITY-HEADER", HEADER, 400,
       "The 'resource' query parameter is required"},
      {"resource=r", "X-IDENTITY-HEADER", HEADER, 400,
       "The 'api-version' query parameter is required"},
      {"api-version=2020-01-01&resource=r", "X-IDENTITY-HEADER", HEADER, 400,
       "(UnsupportedApiVersion)"},
      {"api-version=2019-08-01&resource=r&client_id=x&object_id=y",
       "X-IDENTITY-HEADER", HEADER, 400, "Only one of"},
      {"api-version=2019-08-01&resource=r&client_id=" MOCK_SP_CLIENT_ID,
       "X-IDENTITY-HEADER", HEADER, 400,
       "Unable to load requested managed identity."},
      {"api-version=2017-09-01&resource=r", "X-IDENTITY-HEADER", HEADER, 401,
       "The 'secret' header"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int st = 0;
    cJSON *j = run(mock_msi_handle, MOCK_EXPIRES_WINDOWS, "/msi/token",
                   cases[i].query, cases[i].hname, cases[i].hvalue, &st);
    assert_int_equal(st, cases[i].status);
    const cJSON *sc = cJSON_GetObjectItem(j, "statusCode");
    assert_int_equal(sc->valueint, cases[i].status);
    if (!strstr(str(j, "message"), cases[i].msg))
      fail_msg("case %zu: '%s' lacks '%s'", i, str(j, "message"),
               cases[i].msg);
    assert_non_null(str(j, "correlationId"));
    cJSON_Delete(j);
  }
}

static void test_legacy_each_format_in_the_future(void **state) {
  (void)state;
  for (int f = 0; f < MOCK_EXPIRES_FORMAT_COUNT; f++) {
    int st = 0;
    cJSON *j = run(mock_msi_handle, (mock_expires_format)f, "/msi/token",
                   "api-version=2017-09-01&resource=r", "secret", SECRET, &st);
    assert_int_equal(st, 200);
    const cJSON *e = cJSON_GetObjectItem(j, "expires_on");
    if (f == MOCK_EXPIRES_INT) {
      assert_true(cJSON_IsNumber(e));
      assert_int_equal((int64_t)e->valuedouble, 1800003600);
    } else {
      assert_true(cJSON_IsString(e));
      assert_int_equal(read_expires(e->valuestring), 1800003600);
    }
    assert_null(cJSON_GetObjectItem(j, "client_id"));
    assert_string_equal(str(j, "token_type"), "Bearer");
    cJSON_Delete(j);
  }
}

static void test_legacy_clientid_selects_and_client_id_ignored(void **state) {
  (void)state;
  int st = 0;
  cJSON *j = run(mock_msi_handle, MOCK_EXPIRES_WINDOWS, "/msi/token",
                 "api-version=2017-09-01&resource=r&clientid=nope", "secret",
                 SECRET, &st);
  assert_int_equal(st, 400);
  cJSON_Delete(j);
  j = run(mock_msi_handle, MOCK_EXPIRES_WINDOWS, "/msi/token",
          "api-version=2017-09-01&resource=r&clientid=" MOCK_USER_MI_CLIENT_ID,
          "secret", SECRET, &st);
  assert_int_equal(st, 200);
  cJSON_Delete(j);
}

static void test_imds_ok_every_number_a_string(void **state) {
  (void)state;
  int st = 0;
  cJSON *j = run(mock_imds_handle, MOCK_EXPIRES_WINDOWS,
                 "/metadata/identity/oauth2/token",
                 "api-version=2018-02-01&resource=https://vault.azure.net",
                 "Metadata", "true", &st);
  assert_int_equal(st, 200);
  assert_string_equal(str(j, "expires_in"), "3600");
  assert_string_equal(str(j, "expires_on"), "1800003600");
  assert_string_equal(str(j, "not_before"), "1800000000");
  assert_string_equal(str(j, "resource"), "https://vault.azure.net");
  assert_string_equal(str(j, "client_id"), MOCK_APPSERVICE_MI_CLIENT_ID);
  cJSON_Delete(j);
  j = run(mock_imds_handle, MOCK_EXPIRES_WINDOWS,
          "/metadata/identity/oauth2/token",
          "api-version=2018-02-01&resource=r&msi_res_id=" MOCK_USER_MI_RESOURCE_ID,
          "Metadata", "true", &st);
  assert_int_equal(st, 200);
  assert_string_equal(str(j, "client_id"), MOCK_USER_MI_CLIENT_ID);
  cJSON_Delete(j);
}

static void test_imds_errors_real_400s(void **state) {
  (void)state;
  struct {
    const char *query, *hname, *hvalue, *desc;
  } cases[] = {
      {"api-version=2018-02-01&resource=r", NULL, NULL,
       "Required metadata header not specified"},
      {"api-version=2018-02-01&resource=r", "Metadata", "false",
       "Required metadata header not specified"},
      {"api-version=2018-02-01&resource=r&client_id=nope", "Metadata", "true",
       "Identity not found"},
      {"api-version=2018-02-01&resource=r&object_id=" MOCK_SP_OBJECT_ID,
       "Metadata", "true", "Identity not found"},
      {"resource=r", "Metadata", "true",
       "Required query variable 'api-version' is missing"},
      {"api-version=2018-02-01", "Metadata", "true",
       "Required query variable 'resource' is missing"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int st = 0;
    cJSON *j = run(mock_imds_handle, MOCK_EXPIRES_WINDOWS,
                   "/metadata/identity/oauth2/token", cases[i].query,
                   cases[i].hname, cases[i].hvalue, &st);
    assert_int_equal(st, 400);
    assert_string_equal(str(j, "error"), "invalid_request");
    assert_string_equal(str(j, "error_description"), cases[i].desc);
    cJSON_Delete(j);
  }
}

static void test_civil_roundtrip_and_format_utc(void **state) {
  (void)state;
  for (int64_t t = -86400LL * 400; t < 86400LL * 365 * 200; t += 86400 * 7 + 3601) {
    int y, mo, d, h, mi, s;
    mock_civil_from_epoch(t, &y, &mo, &d, &h, &mi, &s);
    assert_int_equal(mock_epoch_from_civil(y, mo, d, h, mi, s), t);
  }
  char out[32];
  mock_format_utc(1625212834, out, sizeof(out));
  assert_string_equal(out, "2021-07-02 08:00:34Z");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_expires_issue_examples_match),
      cmocka_unit_test(test_expires_format_value_each_shape_exact),
      cmocka_unit_test(test_expires_format_windows_noon_midnight_pm),
      cmocka_unit_test(test_expires_format_every_shape_roundtrips),
      cmocka_unit_test(test_expires_format_parse_names),
      cmocka_unit_test(test_appservice_system_identity_200_shape),
      cmocka_unit_test(test_appservice_selectors_pick_user_identity),
      cmocka_unit_test(test_appservice_errors_status_and_message),
      cmocka_unit_test(test_legacy_each_format_in_the_future),
      cmocka_unit_test(test_legacy_clientid_selects_and_client_id_ignored),
      cmocka_unit_test(test_imds_ok_every_number_a_string),
      cmocka_unit_test(test_imds_errors_real_400s),
      cmocka_unit_test(test_civil_roundtrip_and_format_utc),
  };
  return cmocka_run_group_tests_name("mock_msi", tests, setup, teardown);
}
