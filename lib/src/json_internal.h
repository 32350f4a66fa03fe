/* SPDX-License-Identifier: MIT */
/**
 * @file json_internal.h
 * @brief Tolerant readers over cJSON: every number may also come as a string.
 */
#ifndef MSIKV_JSON_INTERNAL_H
#define MSIKV_JSON_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msikv/result.h"

/**
 * Parses @p len bytes of JSON; the whole input must be one value.
 * @retval MSIKV_ERR_PARSE on bad JSON, MSIKV_ERR_NOMEM on OOM (cJSON cannot
 * tell them apart, so an allocation probe decides).
 * @param[out] out_json owned; free with cJSON_Delete.
 */
MSIKV_NODISCARD msikv_result msikv__json_parse(const char *text, size_t len,
                                               cJSON **out_json);

/** @return the string member @p key, borrowed from @p obj; NULL when absent,
 * null or not a string. */
const char *msikv__json_string(const cJSON *obj, const char *key);

/**
 * Reads member @p key as an integer from a JSON number (integral) or a
 * decimal string.
 * @retval MSIKV_ERR_NOT_FOUND absent, null or ""; MSIKV_ERR_PARSE wrong type
 * or not an integer; MSIKV_ERR_TOO_LARGE outside [min, max].
 */
MSIKV_NODISCARD msikv_result msikv__json_int64(const cJSON *obj,
                                               const char *key, int64_t min,
                                               int64_t max, int64_t *out);

/** Reads a bool member (true/false, or "true"/"false").
 * @retval MSIKV_ERR_NOT_FOUND absent or null; MSIKV_ERR_PARSE otherwise. */
MSIKV_NODISCARD msikv_result msikv__json_bool(const cJSON *obj,
                                              const char *key, bool *out);

/** Frees @p json after zeroing every string in it (it held a secret). */
void msikv__json_delete_secret(cJSON *json);

#endif /* MSIKV_JSON_INTERNAL_H */
