/* SPDX-License-Identifier: MIT */
/**
 * @file log.h
 * @brief A logging hook with levels. msikv never passes a secret to it.
 */
#ifndef MSIKV_LOG_H
#define MSIKV_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

#include "msikv/result.h"

typedef enum msikv_log_level {
  MSIKV_LOG_ERROR = 0,
  MSIKV_LOG_WARN = 1,
  MSIKV_LOG_INFO = 2,
  MSIKV_LOG_DEBUG = 3
} msikv_log_level;

/** Receives one line, without a trailing newline. */
typedef void (*msikv_log_fn)(msikv_log_level level, const char *line,
                             void *ctx);

/**
 * Installs @p fn for messages at @p max_level or more severe. NULL @p fn
 * restores the default, which writes "msikv: LEVEL: line" to stderr.
 * The default level is WARN. Call before starting threads.
 */
void msikv_log_set_handler(msikv_log_fn fn, void *ctx,
                           msikv_log_level max_level);

/** Changes only the level. */
void msikv_log_set_level(msikv_log_level max_level);

/** @return the current level. */
msikv_log_level msikv_log_get_level(void);

/** Parses "error", "warn", "info" or "debug" (case-insensitive). */
MSIKV_NODISCARD msikv_result msikv_log_level_parse(const char *text,
                                                   msikv_log_level *out_level);

/** @return "error", "warn", "info" or "debug". */
const char *msikv_log_level_name(msikv_log_level level);

/** Writes one message; for msikv's own modules and its programs. */
void msikv_log(msikv_log_level level, const char *fmt, ...)
    MSIKV_PRINTF(2, 3);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_LOG_H */
