/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_transport.h"
#include "msikv/http.h"

static void test_request_add_header_and_lookup(void **state) {
  (void)state;
  msikv_http_request req;
  msikv_http_request_init(&req, "PUT", "https://x/y");
  assert_string_equal(req.method, "PUT");
  assert_int_equal(msikv_http_request_add_header(&req, "Content-Type",
                                                 "application/json"),
                   MSIKV_OK);
  assert_string_equal(msikv_http_request_header(&req, "content-type"),
                      "application/json");
  assert_null(msikv_http_request_header(&req, "Accept"));
  for (int i = 1; i < MSIKV_HTTP_MAX_HEADERS; i++)
    assert_int_equal(msikv_http_request_add_header(&req, "X", "y"), MSIKV_OK);
  assert_int_equal(msikv_http_request_add_header(&req, "X", "y"),
                   MSIKV_ERR_TOO_LARGE);
}

static void test_response_headers_case_insensitive(void **state) {
  (void)state;
  msikv_http_response resp;
  msikv_http_response_init(&resp, 0);
  assert_int_equal(msikv_http_response_add_header(&resp, "WWW-Authenticate", 16,
                                                  "Bearer x", 8),
                   MSIKV_OK);
  assert_int_equal(
      msikv_http_response_add_header(&resp, "Retry-After", 11, "5", 1),
      MSIKV_OK);
  assert_string_equal(msikv_http_response_header(&resp, "www-authenticate"),
                      "Bearer x");
  assert_string_equal(msikv_http_response_header(&resp, "RETRY-AFTER"), "5");
  assert_null(msikv_http_response_header(&resp, "retry"));
  assert_int_equal(resp.header_count, 2);
  msikv_http_response_reset(&resp);
  assert_null(msikv_http_response_header(&resp, "retry-after"));
  msikv_http_response_free(&resp);
}

static void test_response_body_capped(void **state) {
  (void)state;
  msikv_http_response resp;
  msikv_http_response_init(&resp, 4);
  assert_int_equal(msikv_buf_append(&resp.body, "1234", 4), MSIKV_OK);
  assert_int_equal(msikv_buf_append(&resp.body, "5", 1), MSIKV_ERR_TOO_LARGE);
  assert_true(resp.body.secret);
  msikv_http_response_free(&resp);
  msikv_http_response_free(NULL);
}

static void test_status_ok_range(void **state) {
  (void)state;
  assert_true(msikv_http_status_ok(200));
  assert_true(msikv_http_status_ok(204));
  assert_false(msikv_http_status_ok(199));
  assert_false(msikv_http_status_ok(300));
}

static void test_header_is_sensitive_list(void **state) {
  (void)state;
  assert_true(msikv_http_header_is_sensitive("Authorization"));
  assert_true(msikv_http_header_is_sensitive("X-IDENTITY-HEADER"));
  assert_true(msikv_http_header_is_sensitive("secret"));
  assert_false(msikv_http_header_is_sensitive("Metadata"));
  assert_false(msikv_http_header_is_sensitive("Content-Type"));
}

static void test_transport_send_checks_arguments(void **state) {
  (void)state;
  msikv_http_response resp;
  msikv_http_response_init(&resp, 0);
  msikv_http_request req;
  msikv_http_request_init(&req, "GET", NULL);
  msikv_error err;
  fake_transport ft;
  fake_transport_init(&ft);
  assert_int_equal(msikv_transport_send(&ft.transport, &req, &resp, &err),
                   MSIKV_ERR_ARG);
  assert_int_equal(msikv_transport_send(NULL, &req, &resp, &err),
                   MSIKV_ERR_ARG);
  req.url = "https://x/";
  fake_transport_push(&ft, 204, "A: b\n", NULL);
  assert_int_equal(msikv_transport_send(&ft.transport, &req, &resp, &err),
                   MSIKV_OK);
  assert_int_equal(resp.status, 204);
  assert_string_equal(msikv_http_response_header(&resp, "a"), "b");
  assert_string_equal(fake_transport_request(&ft, 0)->url, "https://x/");
  fake_transport_free(&ft);
  msikv_http_response_free(&resp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_add_header_and_lookup),
      cmocka_unit_test(test_response_headers_case_insensitive),
      cmocka_unit_test(test_response_body_capped),
      cmocka_unit_test(test_status_ok_range),
      cmocka_unit_test(test_header_is_sensitive_list),
      cmocka_unit_test(test_transport_send_checks_arguments),
  };
  return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
