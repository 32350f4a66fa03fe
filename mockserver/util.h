/* SPDX-License-Identifier: MIT */
/**
 * @file util.h
 * @brief Small helpers shared by the mock handlers.
 */
#ifndef MSIKV_MOCK_UTIL_H
#define MSIKV_MOCK_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "mock_http.h"

/** Writes a random version-4 UUID (36 characters + NUL) to @p out. */
void mock_uuid(char out[37]);
/** Writes @p bytes random bytes as lower-case hex (2*bytes + NUL). */
void mock_random_hex(char *out, size_t bytes);
/** Formats @p epoch_s as "2026-12-04 16:00:00Z". */
void mock_format_utc(int64_t epoch_s, char *out, size_t out_size);
/** Splits epoch seconds into UTC calendar fields (proleptic Gregorian). */
void mock_civil_from_epoch(int64_t epoch_s, int *year, int *month, int *day,
                           int *hour, int *minute, int *second);
/** The inverse of mock_civil_from_epoch. */
int64_t mock_epoch_from_civil(int year, int month, int day, int hour,
                              int minute, int second);
/** Answers @p json with @p status and frees it (NULL = 500). */
void mock_respond_json(mock_response *resp, int status, cJSON *json);

#endif /* MSIKV_MOCK_UTIL_H */
