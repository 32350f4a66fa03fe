/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc_internal.h"
#include "msikv/alloc.h"
#include "msikv/buffer.h"
#include "oom.h"

/* An allocator that keeps a copy of every block's content at free time, so
 * the test can check that secrets were zeroed before being handed back. */
static unsigned char last_freed[256];
static size_t last_freed_len;

static void *plain_malloc(size_t size, void *ctx) {
  (void)ctx;
  size_t *p = malloc(size + sizeof(size_t));
  if (!p)
    return NULL;
  *p = size;
  return p + 1;
}

static void *plain_realloc(void *ptr, size_t size, void *ctx) {
  (void)ctx;
  size_t *p = ptr ? (size_t *)ptr - 1 : NULL;
  p = realloc(p, size + sizeof(size_t));
  if (!p)
    return NULL;
  *p = size;
  return p + 1;
}

static void inspecting_free(void *ptr, void *ctx) {
  (void)ctx;
  if (!ptr)
    return;
  size_t *p = (size_t *)ptr - 1;
  last_freed_len = *p < sizeof(last_freed) ? *p : sizeof(last_freed);
  memcpy(last_freed, ptr, last_freed_len);
  free(p);
}

static void install_inspector(void) {
  msikv_allocator a = {plain_malloc, plain_realloc, inspecting_free, NULL};
  msikv_set_allocator(&a);
}

static bool all_zero(const unsigned char *p, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (p[i])
      return false;
  }
  return true;
}

static void test_secret_free_zeroes_before_free(void **state) {
  (void)state;
  install_inspector();
  char *secret = msikv_strdup("s3cr3t-value");
  assert_non_null(secret);
  msikv_secret_free(secret);
  assert_true(last_freed_len >= 12);
  assert_true(all_zero(last_freed, 12));
  msikv_secret_free(NULL);
  msikv_set_allocator(NULL);
}

static void test_secret_buf_zeroes_old_blocks_on_growth(void **state) {
  (void)state;
  install_inspector();
  msikv_buf b;
  msikv_buf_init_secret(&b, 10000);
  assert_int_equal(msikv_buf_append_str(&b, "first-secret-part"), MSIKV_OK);
  char big[200];
  memset(big, 'q', sizeof(big));
  /* Growing past 64 bytes moves the data: the old block must be zeroed. */
  assert_int_equal(msikv_buf_append(&b, big, sizeof(big)), MSIKV_OK);
  assert_true(last_freed_len == 64);
  assert_true(all_zero(last_freed, last_freed_len));
  msikv_buf_free(&b);
  assert_true(all_zero(last_freed, last_freed_len));
  msikv_set_allocator(NULL);
}

static void test_plain_buf_not_zeroed_contrast(void **state) {
  (void)state;
  install_inspector();
  msikv_buf b;
  msikv_buf_init(&b, 100);
  assert_int_equal(msikv_buf_append_str(&b, "public"), MSIKV_OK);
  msikv_buf_free(&b);
  /* Shows the inspector would catch a missing zeroing. */
  assert_memory_equal(last_freed, "public", 6);
  msikv_set_allocator(NULL);
}

static void test_calloc_overflow_and_zero_fill(void **state) {
  (void)state;
  assert_null(msikv_calloc((size_t)-1, 16));
  unsigned char *p = msikv_calloc(4, 8);
  assert_non_null(p);
  assert_true(all_zero(p, 32));
  msikv_free(p);
  msikv_free(NULL);
}

static void test_strndup_copies_prefix(void **state) {
  (void)state;
  char *s = msikv_strndup("abcdef", 3);
  assert_string_equal(s, "abc");
  msikv_free(s);
  assert_null(msikv_strdup(NULL));
}

static void test_counting_allocator_fails_nth(void **state) {
  (void)state;
  oom_install();
  oom_fail_at(2);
  void *a = msikv_malloc(10);
  void *b = msikv_malloc(10);
  assert_non_null(a);
  assert_null(b);
  assert_true(oom_failure_hit());
  assert_int_equal(oom_live_blocks(), 1);
  msikv_free(a);
  oom_uninstall();
}

static void test_zeroing_allocator_round_trip(void **state) {
  (void)state;
  char *s = msikv__zstrdup("Authorization: Bearer x");
  assert_string_equal(s, "Authorization: Bearer x");
  s = msikv__zrealloc(s, 100);
  assert_string_equal(s, "Authorization: Bearer x");
  unsigned char *z = msikv__zcalloc(3, 5);
  assert_true(all_zero(z, 15));
  assert_null(msikv__zcalloc((size_t)-1, 2));
  assert_null(msikv__zmalloc((size_t)-1));
  msikv__zfree(z);
  msikv__zfree(s);
  msikv__zfree(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_secret_free_zeroes_before_free),
      cmocka_unit_test(test_secret_buf_zeroes_old_blocks_on_growth),
      cmocka_unit_test(test_plain_buf_not_zeroed_contrast),
      cmocka_unit_test(test_calloc_overflow_and_zero_fill),
      cmocka_unit_test(test_strndup_copies_prefix),
      cmocka_unit_test(test_counting_allocator_fails_nth),
      cmocka_unit_test(test_zeroing_allocator_round_trip),
  };
  return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
