/* SPDX-License-Identifier: MIT */
/**
 * @file alloc_internal.h
 * @brief Lets JSON parsing tell "out of memory" from "bad JSON".
 */
#ifndef MSIKV_ALLOC_INTERNAL_H
#define MSIKV_ALLOC_INTERNAL_H

#include <stdbool.h>

/** Clears this thread's "a cJSON allocation failed" flag. */
void msikv__json_alloc_reset(void);

/** @return true when a cJSON allocation failed on this thread since reset. */
bool msikv__json_alloc_failed(void);

/*
 * Zeroing allocator for third-party libraries (libcurl) that copy secrets
 * (Authorization headers, form bodies) into their own buffers. Each block
 * carries its size, and is zeroed when freed. It uses libc directly, not the
 * replaceable allocator: a library may free a block long after
 * msikv_set_allocator() changed the allocator.
 */
#include <stddef.h>
void *msikv__zmalloc(size_t size);
void *msikv__zcalloc(size_t count, size_t size);
void *msikv__zrealloc(void *ptr, size_t size);
char *msikv__zstrdup(const char *s);
void msikv__zfree(void *ptr);

#endif
