/* SPDX-License-Identifier: MIT */
/**
 * @file oom.h
 * @brief A counting allocator for leak checks and allocation-failure sweeps.
 */
#ifndef MSIKV_TESTS_OOM_H
#define MSIKV_TESTS_OOM_H

#include <stdbool.h>
#include <stddef.h>

#include "msikv/result.h"

/** Installs the counting allocator (no failures yet). */
void oom_install(void);
/** Restores the default allocator; asserts nothing is still allocated. */
void oom_uninstall(void);
/** Blocks allocated through msikv and not yet freed. */
size_t oom_live_blocks(void);
/** Makes allocation number @p n (1-based, counted from now) fail; 0 = never. */
void oom_fail_at(size_t n);
/** @return true when the injected failure has happened. */
bool oom_failure_hit(void);

/** The operation under test: must free all it allocates before returning. */
typedef msikv_result (*oom_fn)(void *ctx);

/**
 * Runs @p fn once to count its allocations, then once more failing each
 * allocation in turn. Every failing run must return MSIKV_ERR_NOMEM (or,
 * when @p allow_other_errors, any error) and leave no block behind.
 * @return the number of allocations swept.
 */
size_t oom_sweep(oom_fn fn, void *ctx, bool allow_other_errors);

#endif
