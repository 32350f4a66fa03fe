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

#endif
