/* SPDX-License-Identifier: MIT */
/**
 * @file alloc.h
 * @brief Replaceable allocation, library start-up, and zeroing of secrets.
 */
#ifndef MSIKV_ALLOC_H
#define MSIKV_ALLOC_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "msikv/result.h"

/** An allocator: every allocation msikv (and cJSON) makes goes through it. */
typedef struct msikv_allocator {
  void *(*malloc_fn)(size_t size, void *ctx);
  void *(*realloc_fn)(void *ptr, size_t size, void *ctx);
  void (*free_fn)(void *ptr, void *ctx);
  void *ctx;
} msikv_allocator;

/**
 * Starts the library: routes cJSON through msikv's allocator. Call once,
 * before any other thread uses msikv. Idempotent.
 */
MSIKV_NODISCARD msikv_result msikv_global_init(void);

/**
 * Replaces the allocator (NULL restores malloc/realloc/free). Call it only
 * while no msikv object is alive and no other thread uses msikv: memory must
 * be freed by the allocator that made it.
 */
void msikv_set_allocator(const msikv_allocator *allocator);

/** Allocation through the current allocator; for users' own wrappers. */
void *msikv_malloc(size_t size);
void *msikv_calloc(size_t count, size_t size);
void *msikv_realloc(void *ptr, size_t size);
void msikv_free(void *ptr);
/** @return an owned copy (free with msikv_free), or NULL on NULL input/OOM. */
char *msikv_strdup(const char *s);
char *msikv_strndup(const char *s, size_t n);

/** Overwrites @p len bytes with zeros in a way the compiler cannot drop. */
void msikv_secure_zero(void *ptr, size_t len);

/**
 * Frees a NUL-terminated string that held a secret (token, password, secret
 * value), zeroing it first. NULL-safe. This is the only way secrets are freed.
 */
void msikv_secret_free(char *secret);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_ALLOC_H */
