/* SPDX-License-Identifier: MIT */
/**
 * @file retry.h
 * @brief Retry policy: exponential backoff with jitter, honouring Retry-After.
 */
#ifndef MSIKV_RETRY_H
#define MSIKV_RETRY_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msikv/clock.h"
#include "msikv/http.h"
#include "msikv/result.h"

#define MSIKV_RETRY_MAX_STATUSES 24

/**
 * When and how long to wait before trying a request again.
 * Delay for retry n (1-based): base_delay_ms * 2^(n-1), capped at
 * max_delay_ms, times a jitter factor in [0.8, 1.2); a server's
 * retry-after-ms, x-ms-retry-after-ms or Retry-After (seconds or HTTP date)
 * replaces it. Every delay is multiplied by delay_scale (tests only).
 */
typedef struct msikv_retry_policy {
  int max_retries;                 /**< Retries after the first try. */
  int64_t base_delay_ms;
  int64_t max_delay_ms;
  int statuses[MSIKV_RETRY_MAX_STATUSES]; /**< Statuses worth retrying. */
  size_t status_count;
  bool retry_transport_errors;     /**< Retry ERR_TRANSPORT and ERR_TIMEOUT. */
  /** A status that keeps being retried past max_retries until
   * persist_total_ms have passed since the first try (IMDS 410); 0 = none. */
  int persist_status;
  int64_t persist_total_ms;
  double delay_scale;              /**< 1.0; tests scale delays down. */
  /** Source of randomness for jitter; NULL uses an internal generator. */
  uint32_t (*random_fn)(void *ctx);
  void *random_ctx;
} msikv_retry_policy;

/** 3 retries, 800 ms base, 60 s cap, statuses 408, 429, 500, 502, 503, 504,
 * transport errors retried. */
msikv_retry_policy msikv_retry_policy_default(void);

/** A policy that never retries. */
msikv_retry_policy msikv_retry_policy_none(void);

/** @return true when @p status is in the policy's list. */
bool msikv_retry_status_is_retriable(const msikv_retry_policy *policy,
                                     int status);

/**
 * Reads the server's requested delay from retry-after-ms,
 * x-ms-retry-after-ms or Retry-After (delta-seconds or an HTTP date, relative
 * to @p now_ms).
 * @return true and sets @p out_ms when one was present and valid.
 */
bool msikv_retry_after_ms(const msikv_http_response *resp, int64_t now_ms,
                          int64_t *out_ms);

/** The backoff delay for retry @p attempt (1-based), jitter included,
 * before delay_scale. */
int64_t msikv_retry_backoff_ms(const msikv_retry_policy *policy, int attempt);

/**
 * Sends @p req, retrying as @p policy says, sleeping on @p clock.
 * On return @p out_resp holds the last response. A retriable status that is
 * still there after the last retry is returned as MSIKV_OK with that status:
 * the caller maps statuses to errors.
 * @param[in] policy NULL means msikv_retry_policy_default().
 * @param[in] clock NULL means the system clock.
 * @param[out] out_attempts optional: how many sends were made.
 */
MSIKV_NODISCARD msikv_result msikv_http_send_with_retry(
    const msikv_transport *transport, const msikv_retry_policy *policy,
    const msikv_clock *clock, const msikv_http_request *req,
    msikv_http_response *out_resp, int *out_attempts, msikv_error *out_err);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_RETRY_H */
