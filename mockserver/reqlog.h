/* SPDX-License-Identifier: MIT */
/**
 * @file reqlog.h
 * @brief The in-memory request log the admin API serves: method, host, path,
 * query, headers (secrets and tokens redacted) and status. Bodies are never
 * stored. A ring buffer: the oldest entries go first.
 */
#ifndef MSIKV_MOCK_REQLOG_H
#define MSIKV_MOCK_REQLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mock_http.h"
#include "msikv/result.h"

typedef struct mock_reqlog mock_reqlog; /**< Thread-safe. */

MSIKV_NODISCARD msikv_result mock_reqlog_new(size_t capacity,
                                             mock_reqlog **out_log);
void mock_reqlog_free(mock_reqlog *log);

/**
 * Records one request. @p fault is the injected fault's kind or NULL.
 * @p status 0 means the connection was dropped.
 */
void mock_reqlog_add(mock_reqlog *log, const mock_request *req,
                     const char *route, int status, const char *fault);

/** @return {"requests":[...], "next": seq} with entries whose seq >=
 * @p since, or NULL on OOM. */
cJSON *mock_reqlog_to_json(mock_reqlog *log, int64_t since);
void mock_reqlog_clear(mock_reqlog *log);

/** @return true for headers whose value is never stored (Authorization,
 * X-IDENTITY-HEADER, secret, Cookie, ...). */
bool mock_header_is_sensitive(const char *name);
/**
 * Writes the loggable form of a header value: "Bearer [redacted]" for
 * credentials with a scheme, "[redacted]" for other sensitive headers, the
 * value otherwise.
 */
void mock_header_redact(const char *name, const char *value, char *out,
                        size_t out_size);
/** Copies a query string, replacing the values of secret-bearing parameters
 * (client_secret, client_assertion, ...) with "[redacted]". */
void mock_query_redact(const char *query, char *out, size_t out_size);

#endif /* MSIKV_MOCK_REQLOG_H */
