/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mockserver/reqlog.h"
#include "msikv/alloc.h"

static void test_header_redact_sensitive_values(void **state) {
  (void)state;
  char out[256];
  mock_header_redact("Authorization", "Bearer eyJ.secret.sig", out,
                     sizeof(out));
  assert_string_equal(out, "Bearer [redacted]");
  mock_header_redact("authorization", "opaque", out, sizeof(out));
  assert_string_equal(out, "[redacted]");
  mock_header_redact("X-IDENTITY-HEADER", "abc", out, sizeof(out));
  assert_string_equal(out, "[redacted]");
  mock_header_redact("Secret", "abc", out, sizeof(out));
  assert_string_equal(out, "[redacted]");
  mock_header_redact("Cookie", "a=b", out, sizeof(out));
  assert_string_equal(out, "[redacted]");
  mock_header_redact("Metadata", "true", out, sizeof(out));
  assert_string_equal(out, "true");
  assert_true(mock_header_is_sensitive("PROXY-AUTHORIZATION"));
  assert_false(mock_header_is_sensitive("x-ms-client-request-id"));
}

static void test_query_redact_secret_params(void **state) {
  (void)state;
  char out[256];
  mock_query_redact("a=1&client_secret=s3cr3t&b=2&Secret=x&code", out,
                    sizeof(out));
  assert_string_equal(out, "a=1&client_secret=[redacted]&b=2&Secret=[redacted]"
                           "&code");
  mock_query_redact("", out, sizeof(out));
  assert_string_equal(out, "");
  mock_query_redact(NULL, out, sizeof(out));
  assert_string_equal(out, "");
  char small[8];
  mock_query_redact("abcdefghijkl", small, sizeof(small));
  assert_int_equal(strlen(small), 7);
}

static void add(mock_reqlog *log, const char *path, int status) {
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = MOCK_LISTENER_TLS;
  req.method = "POST";
  req.host = "login.localhost:1";
  req.path = path;
  req.query = "x=1&client_secret=hunter2";
  req.body = "client_secret=hunter2";
  req.body_len = strlen(req.body);
  req.now_ms = 1234;
  req.headers[0].name = "Authorization";
  req.headers[0].value = "Bearer tok.tok.tok";
  req.headers[1].name = "Content-Type";
  req.headers[1].value = "application/x-www-form-urlencoded";
  req.header_count = 2;
  mock_reqlog_add(log, &req, "entra", status, status == 0 ? "reset" : NULL);
}

static void test_log_records_without_secrets(void **state) {
  (void)state;
  mock_reqlog *log = NULL;
  assert_int_equal(mock_reqlog_new(10, &log), MSIKV_OK);
  add(log, "/t/oauth2/v2.0/token", 401);
  add(log, "/t/oauth2/v2.0/token", 0);
  cJSON *j = mock_reqlog_to_json(log, 0);
  char *text = cJSON_PrintUnformatted(j);
  assert_null(strstr(text, "hunter2"));
  assert_null(strstr(text, "tok.tok"));
  cJSON_free(text);
  const cJSON *reqs = cJSON_GetObjectItem(j, "requests");
  assert_int_equal(cJSON_GetArraySize(reqs), 2);
  const cJSON *e = cJSON_GetArrayItem(reqs, 0);
  assert_string_equal(cJSON_GetObjectItem(e, "method")->valuestring, "POST");
  assert_string_equal(cJSON_GetObjectItem(e, "route")->valuestring, "entra");
  assert_string_equal(cJSON_GetObjectItem(e, "listener")->valuestring, "tls");
  assert_string_equal(cJSON_GetObjectItem(e, "path")->valuestring,
                      "/t/oauth2/v2.0/token");
  assert_string_equal(cJSON_GetObjectItem(e, "query")->valuestring,
                      "x=1&client_secret=[redacted]");
  assert_int_equal(cJSON_GetObjectItem(e, "status")->valueint, 401);
  assert_int_equal(cJSON_GetObjectItem(e, "body_bytes")->valueint, 21);
  const cJSON *h = cJSON_GetObjectItem(e, "headers");
  assert_string_equal(cJSON_GetObjectItem(h, "authorization")->valuestring,
                      "Bearer [redacted]");
  assert_string_equal(cJSON_GetObjectItem(h, "content-type")->valuestring,
                      "application/x-www-form-urlencoded");
  assert_null(cJSON_GetObjectItem(e, "fault"));
  e = cJSON_GetArrayItem(reqs, 1);
  assert_string_equal(cJSON_GetObjectItem(e, "fault")->valuestring, "reset");
  assert_int_equal(cJSON_GetObjectItem(j, "next")->valueint, 2);
  cJSON_Delete(j);
  mock_reqlog_free(log);
}

static void test_log_ring_keeps_newest_and_since(void **state) {
  (void)state;
  mock_reqlog *log = NULL;
  assert_int_equal(mock_reqlog_new(3, &log), MSIKV_OK);
  for (int i = 0; i < 5; i++)
    add(log, i % 2 ? "/odd" : "/even", 200 + i);
  cJSON *j = mock_reqlog_to_json(log, 0);
  const cJSON *reqs = cJSON_GetObjectItem(j, "requests");
  assert_int_equal(cJSON_GetArraySize(reqs), 3);
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "seq")
                       ->valueint,
                   2);
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 2), "status")
                       ->valueint,
                   204);
  cJSON_Delete(j);
  j = mock_reqlog_to_json(log, 4);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "requests")), 1);
  cJSON_Delete(j);
  mock_reqlog_clear(log);
  j = mock_reqlog_to_json(log, 0);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "requests")), 0);
  assert_int_equal(cJSON_GetObjectItem(j, "next")->valueint, 5);
  cJSON_Delete(j);
  mock_reqlog_free(log);
  assert_int_equal(mock_reqlog_new(0, &log), MSIKV_ERR_ARG);
}

int main(void) {
  if (msikv_global_init())
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_redact_sensitive_values),
      cmocka_unit_test(test_query_redact_secret_params),
      cmocka_unit_test(test_log_records_without_secrets),
      cmocka_unit_test(test_log_ring_keeps_newest_and_since),
  };
  return cmocka_run_group_tests_name("mock_reqlog", tests, NULL, NULL);
}
