/* SPDX-License-Identifier: MIT */
/**
 * @file parse.h
 * @brief The one checked number parser: whole input, range, no surprises.
 */
#ifndef MSIKV_PARSE_H
#define MSIKV_PARSE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

#include "msikv/result.h"

/**
 * Parses a decimal integer that fills all @p len bytes of @p text: an
 * optional '-' then digits (leading zeros allowed), no spaces, no '+'.
 * @retval MSIKV_ERR_ARG when not a number, MSIKV_ERR_TOO_LARGE when outside
 * [min, max]. @p out is written only on success.
 */
MSIKV_NODISCARD msikv_result msikv_parse_int64(const char *text, size_t len,
                                               int64_t min, int64_t max,
                                               int64_t *out);

/** As msikv_parse_int64() over a NUL-terminated string. */
MSIKV_NODISCARD msikv_result msikv_parse_int64_str(const char *text,
                                                   int64_t min, int64_t max,
                                                   int64_t *out);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_PARSE_H */
