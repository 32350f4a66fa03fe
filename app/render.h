/* SPDX-License-Identifier: MIT */
/**
 * @file render.h
 * @brief Escaping for HTML and JSON, masking, and time formatting.
 */
#ifndef MSIKV_APP_RENDER_H
#define MSIKV_APP_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "msikv/buffer.h"
#include "msikv/result.h"

/** Appends @p text with & < > " ' escaped (NULL appends nothing). */
MSIKV_NODISCARD msikv_result app_html_append(msikv_buf *out, const char *text);

/** Appends @p text as a JSON string with quotes, escaping control
 * characters and < > & too; NULL appends null. */
MSIKV_NODISCARD msikv_result app_json_append(msikv_buf *out, const char *text);

/** Size for app_mask_describe()'s output. */
#define APP_MASK_MAX 96

/** Writes the first 6 bytes of SHA-256(@p value) as 12 hex digits. */
void app_fingerprint(const char *value, char out[13]);

/** Writes "<n> bytes, sha256:<12 hex>" for @p value. */
void app_mask_describe(const char *value, char *out, size_t out_size);

/** Writes @p epoch_ms as "2026-12-04T16:05:09Z". */
void app_format_time(int64_t epoch_ms, char out[32]);

#endif /* MSIKV_APP_RENDER_H */
