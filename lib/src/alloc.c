/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_internal.h"
#include "msikv/alloc.h"

static void *default_malloc(size_t size, void *ctx) {
  (void)ctx;
  return malloc(size);
}

static void *default_realloc(void *ptr, size_t size, void *ctx) {
  (void)ctx;
  return realloc(ptr, size);
}

static void default_free(void *ptr, void *ctx) {
  (void)ctx;
  free(ptr);
}

static msikv_allocator current = {default_malloc, default_realloc,
                                  default_free, NULL};

/* cJSON returns NULL for both bad input and OOM; this flag tells them apart. */
static _Thread_local bool json_alloc_failed;

static void *json_malloc(size_t size) {
  void *p = msikv_malloc(size);
  if (!p)
    json_alloc_failed = true;
  return p;
}

void msikv__json_alloc_reset(void) { json_alloc_failed = false; }

bool msikv__json_alloc_failed(void) { return json_alloc_failed; }
static void json_free(void *ptr) { msikv_free(ptr); }

static void install_json_hooks(void) {
  cJSON_Hooks hooks = {json_malloc, json_free};
  cJSON_InitHooks(&hooks);
}

msikv_result msikv_global_init(void) {
  install_json_hooks();
  return MSIKV_OK;
}

void msikv_set_allocator(const msikv_allocator *allocator) {
  if (allocator && allocator->malloc_fn && allocator->realloc_fn &&
      allocator->free_fn)
    current = *allocator;
  else
    current = (msikv_allocator){default_malloc, default_realloc, default_free,
                                NULL};
  install_json_hooks();
}

void *msikv_malloc(size_t size) {
  return current.malloc_fn(size ? size : 1, current.ctx);
}

void *msikv_calloc(size_t count, size_t size) {
  if (size && count > (size_t)-1 / size)
    return NULL;
  void *p = msikv_malloc(count * size);
  if (p)
    memset(p, 0, count * size);
  return p;
}

void *msikv_realloc(void *ptr, size_t size) {
  return current.realloc_fn(ptr, size ? size : 1, current.ctx);
}

void msikv_free(void *ptr) {
  if (ptr)
    current.free_fn(ptr, current.ctx);
}

char *msikv_strndup(const char *s, size_t n) {
  if (!s)
    return NULL;
  char *copy = msikv_malloc(n + 1);
  if (!copy)
    return NULL;
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

char *msikv_strdup(const char *s) {
  return s ? msikv_strndup(s, strlen(s)) : NULL;
}

void msikv_secure_zero(void *ptr, size_t len) {
  if (!ptr || !len)
    return;
  memset(ptr, 0, len);
  /* The compiler must assume this empty asm reads the zeroed memory, so the
   * memset is not a dead store it may drop. (A byte-wise volatile loop did
   * the same at a tenth of memset's speed: 2 KiB pages are zeroed per view.)
   */
  __asm__ __volatile__("" : : "r"(ptr) : "memory");
}

void msikv_secret_free(char *secret) {
  if (!secret)
    return;
  msikv_secure_zero(secret, strlen(secret));
  msikv_free(secret);
}

/* Blocks of the zeroing allocator start with their size; 16 bytes keep the
 * payload aligned for any type. */
#define ZHEADER 16

void *msikv__zmalloc(size_t size) {
  if (size > (size_t)-1 - ZHEADER)
    return NULL;
  unsigned char *p = malloc(size + ZHEADER);
  if (!p)
    return NULL;
  memcpy(p, &size, sizeof(size));
  return p + ZHEADER;
}

void msikv__zfree(void *ptr) {
  if (!ptr)
    return;
  unsigned char *p = (unsigned char *)ptr - ZHEADER;
  size_t size;
  memcpy(&size, p, sizeof(size));
  msikv_secure_zero(ptr, size);
  free(p);
}

void *msikv__zcalloc(size_t count, size_t size) {
  if (size && count > (size_t)-1 / size)
    return NULL;
  void *p = msikv__zmalloc(count * size);
  if (p)
    memset(p, 0, count * size);
  return p;
}

void *msikv__zrealloc(void *ptr, size_t size) {
  if (!ptr)
    return msikv__zmalloc(size);
  size_t old;
  memcpy(&old, (unsigned char *)ptr - ZHEADER, sizeof(old));
  void *p = msikv__zmalloc(size);
  if (!p)
    return NULL;
  memcpy(p, ptr, old < size ? old : size);
  msikv__zfree(ptr);
  return p;
}

char *msikv__zstrdup(const char *s) {
  size_t len = strlen(s);
  char *copy = msikv__zmalloc(len + 1);
  if (copy)
    memcpy(copy, s, len + 1);
  return copy;
}
