/* SPDX-License-Identifier: MIT */
/**
 * @file result.h
 * @brief Result codes and the optional error detail every fallible call takes.
 */
#ifndef MSIKV_RESULT_H
#define MSIKV_RESULT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdarg.h>

#if defined(__GNUC__) || defined(__clang__)
#define MSIKV_NODISCARD __attribute__((warn_unused_result))
#define MSIKV_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MSIKV_NODISCARD
#define MSIKV_PRINTF(fmt, args)
#endif

/**
 * Every result, with its name and a short description. Append only: the
 * numeric values are part of the ABI.
 */
#define MSIKV_RESULT_MAP(XX)                                                  \
  XX(OK, "success")                                                           \
  XX(ERR_ARG, "invalid argument")                                             \
  XX(ERR_NOMEM, "out of memory")                                              \
  XX(ERR_CONFIG, "invalid configuration")                                     \
  XX(ERR_TRANSPORT, "could not reach the server")                             \
  XX(ERR_TIMEOUT, "timed out")                                                \
  XX(ERR_HTTP, "unexpected HTTP status")                                      \
  XX(ERR_AUTH, "authentication failed")                                       \
  XX(ERR_NOT_FOUND, "not found")                                              \
  XX(ERR_PARSE, "malformed response")                                         \
  XX(ERR_TOO_LARGE, "too large")                                              \
  XX(ERR_UNAVAILABLE, "credential unavailable")                               \
  XX(ERR_FORBIDDEN, "access denied")                                          \
  XX(ERR_CONFLICT, "conflict")                                                \
  XX(ERR_THROTTLED, "throttled")                                              \
  XX(ERR_INSECURE, "refused: not a secure connection")                        \
  XX(ERR_UNSUPPORTED, "not supported")                                        \
  XX(ERR_TLS, "TLS verification failed")

/** Zero is success, so `if (rc)` tests for failure. */
typedef enum msikv_result {
#define MSIKV_RESULT_ENUM(name, desc) MSIKV_##name,
  MSIKV_RESULT_MAP(MSIKV_RESULT_ENUM)
#undef MSIKV_RESULT_ENUM
  MSIKV_RESULT_COUNT_
} msikv_result;

/** @return a static description ("not found"); never NULL. */
const char *msikv_result_str(msikv_result rc);

/** @return the static constant name without prefix ("ERR_NOT_FOUND"). */
const char *msikv_result_name(msikv_result rc);

/** Size of msikv_error::message, enough for a chain listing every link. */
#define MSIKV_ERROR_MESSAGE_MAX 1024

/**
 * Detail about a failure. Every API call that can fail takes an optional
 * `msikv_error *out_err` (may be NULL). It never holds a token, a secret or a
 * header value: only statuses, service codes and actionable text.
 */
typedef struct msikv_error {
  int http_status;        /**< HTTP status, or 0 when no answer came. */
  char code[64];          /**< Service code: "SecretNotFound", "invalid_client". */
  char inner_code[64];    /**< Inner code: "AccessDenied"; may be empty. */
  char message[MSIKV_ERROR_MESSAGE_MAX]; /**< What failed, and what to do. */
} msikv_error;

/** Empties @p err (NULL-safe). */
void msikv_error_clear(msikv_error *err);

/**
 * Sets the message (truncated to fit) and leaves the other fields alone.
 * NULL-safe: does nothing when @p err is NULL.
 * @return @p rc, so that `return msikv_error_set(err, MSIKV_ERR_ARG, ...)`.
 */
msikv_result msikv_error_set(msikv_error *err, msikv_result rc,
                             const char *fmt, ...) MSIKV_PRINTF(3, 4);

/** As msikv_error_set(), with a va_list. */
msikv_result msikv_error_vset(msikv_error *err, msikv_result rc,
                              const char *fmt, va_list ap);

/** Prepends "prefix: " to the message, for context ("get_token: ..."). */
void msikv_error_prefix(msikv_error *err, const char *fmt, ...)
    MSIKV_PRINTF(2, 3);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_RESULT_H */
