/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "msikv/alloc.h"
#include "msikv/buffer.h"
#include "oom.h"

static void test_buf_append_grows_and_terminates(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 1000);
  assert_null(b.data);
  for (int i = 0; i < 100; i++)
    assert_int_equal(msikv_buf_append(&b, "abc", 3), MSIKV_OK);
  assert_int_equal(b.len, 300);
  assert_int_equal(b.data[300], '\0');
  assert_memory_equal(b.data + 297, "abc", 3);
  msikv_buf_free(&b);
  assert_null(b.data);
}

static void test_buf_append_past_cap_too_large_and_unchanged(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 5);
  assert_int_equal(msikv_buf_append_str(&b, "hello"), MSIKV_OK);
  assert_int_equal(msikv_buf_append_str(&b, "!"), MSIKV_ERR_TOO_LARGE);
  assert_string_equal(b.data, "hello");
  assert_int_equal(b.len, 5);
  msikv_buf_free(&b);
}

static void test_buf_appendf_long_output(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 10000);
  char big[600];
  memset(big, 'y', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  assert_int_equal(msikv_buf_appendf(&b, "<%s>%d", big, 42), MSIKV_OK);
  assert_int_equal(b.len, 599 + 4);
  assert_memory_equal(b.data + b.len - 3, ">42", 3);
  assert_int_equal(msikv_buf_appendf(&b, "%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s",
                                     big, big, big, big, big, big, big, big,
                                     big, big, big, big, big, big, big, big,
                                     big),
                   MSIKV_ERR_TOO_LARGE);
  assert_int_equal(b.len, 603);
  msikv_buf_free(&b);
}

static void test_buf_detach_hands_over(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init(&b, 100);
  char *empty = msikv_buf_detach(&b);
  assert_string_equal(empty, "");
  msikv_free(empty);
  assert_int_equal(msikv_buf_append_str(&b, "x"), MSIKV_OK);
  char *data = msikv_buf_detach(&b);
  assert_string_equal(data, "x");
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  msikv_free(data);
}

static void test_buf_reset_keeps_memory(void **state) {
  (void)state;
  msikv_buf b;
  msikv_buf_init_secret(&b, 100);
  assert_int_equal(msikv_buf_append_str(&b, "secret"), MSIKV_OK);
  char *mem = b.data;
  msikv_buf_reset(&b);
  assert_ptr_equal(b.data, mem);
  assert_int_equal(b.len, 0);
  assert_memory_equal(mem, "\0\0\0\0\0\0", 6);
  msikv_buf_free(&b);
}

static msikv_result build_text(void *ctx) {
  (void)ctx;
  msikv_buf b;
  msikv_buf_init_secret(&b, 1 << 16);
  msikv_result rc = MSIKV_OK;
  for (int i = 0; i < 50 && !rc; i++)
    rc = msikv_buf_appendf(&b, "line %d of some text\n", i);
  msikv_buf_free(&b);
  return rc;
}

static void test_buf_oom_sweep_no_leak(void **state) {
  (void)state;
  assert_true(oom_sweep(build_text, NULL, false) > 3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buf_append_grows_and_terminates),
      cmocka_unit_test(test_buf_append_past_cap_too_large_and_unchanged),
      cmocka_unit_test(test_buf_appendf_long_output),
      cmocka_unit_test(test_buf_detach_hands_over),
      cmocka_unit_test(test_buf_reset_keeps_memory),
      cmocka_unit_test(test_buf_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("buffer", tests, NULL, NULL);
}
