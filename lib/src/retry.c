/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "msikv/log.h"
#include "msikv/parse.h"
#include "msikv/retry.h"

msikv_retry_policy msikv_retry_policy_default(void) {
  msikv_retry_policy policy;
  memset(&policy, 0, sizeof(policy));
  policy.max_retries = 3;
  policy.base_delay_ms = 800;
  policy.max_delay_ms = 60000;
  static const int statuses[] = {408, 429, 500, 502, 503, 504};
  policy.status_count = sizeof(statuses) / sizeof(statuses[0]);
  memcpy(policy.statuses, statuses, sizeof(statuses));
  policy.retry_transport_errors = true;
  policy.delay_scale = 1.0;
  return policy;
}

msikv_retry_policy msikv_retry_policy_none(void) {
  msikv_retry_policy policy = msikv_retry_policy_default();
  policy.max_retries = 0;
  return policy;
}

bool msikv_retry_status_is_retriable(const msikv_retry_policy *policy,
                                     int status) {
  for (size_t i = 0; i < policy->status_count && i < MSIKV_RETRY_MAX_STATUSES;
       i++) {
    if (policy->statuses[i] == status)
      return true;
  }
  return false;
}

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Parses an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", into epoch ms. */
static bool parse_http_date(const char *text, int64_t *out_ms) {
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
  if (strlen(text) != 29 || text[3] != ',' || text[4] != ' ' ||
      text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
      text[19] != ':' || text[22] != ':' || text[25] != ' ' ||
      strcmp(text + 26, "GMT") != 0)
    return false;
  int64_t day, year, hour, minute, second;
  int month = -1;
  for (int i = 0; i < 12; i++) {
    if (strncmp(text + 8, months[i], 3) == 0)
      month = i + 1;
  }
  if (month < 0 || msikv_parse_int64(text + 5, 2, 1, 31, &day) ||
      msikv_parse_int64(text + 12, 4, 1970, 9999, &year) ||
      msikv_parse_int64(text + 17, 2, 0, 23, &hour) ||
      msikv_parse_int64(text + 20, 2, 0, 59, &minute) ||
      msikv_parse_int64(text + 23, 2, 0, 60, &second))
    return false;
  int64_t days = days_from_civil(year, month, day);
  *out_ms = ((days * 24 + hour) * 60 + minute) * 60000 + second * 1000;
  return true;
}

bool msikv_retry_after_ms(const msikv_http_response *resp, int64_t now_ms,
                          int64_t *out_ms) {
  static const int64_t max_ms = 24LL * 3600 * 1000;
  int64_t value;
  const char *ms_headers[] = {"retry-after-ms", "x-ms-retry-after-ms"};
  for (int i = 0; i < 2; i++) {
    const char *text = msikv_http_response_header(resp, ms_headers[i]);
    if (text && msikv_parse_int64_str(text, 0, max_ms, &value) == MSIKV_OK) {
      *out_ms = value;
      return true;
    }
  }
  const char *text = msikv_http_response_header(resp, "retry-after");
  if (!text)
    return false;
  if (msikv_parse_int64_str(text, 0, max_ms / 1000, &value) == MSIKV_OK) {
    *out_ms = value * 1000;
    return true;
  }
  int64_t date_ms;
  if (parse_http_date(text, &date_ms)) {
    int64_t delta = date_ms - now_ms;
    *out_ms = delta < 0 ? 0 : (delta > max_ms ? max_ms : delta);
    return true;
  }
  return false;
}

/* xorshift32 behind a mutex: jitter needs spread, not secrecy. */
static uint32_t default_random(void *ctx) {
  (void)ctx;
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static uint32_t state;
  pthread_mutex_lock(&lock);
  if (state == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    state = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^ 0x9e3779b9u;
    if (state == 0)
      state = 1;
  }
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  uint32_t value = state;
  pthread_mutex_unlock(&lock);
  return value;
}

int64_t msikv_retry_backoff_ms(const msikv_retry_policy *policy, int attempt) {
  int64_t delay = policy->base_delay_ms;
  for (int i = 1; i < attempt && delay < policy->max_delay_ms; i++)
    delay *= 2;
  if (delay > policy->max_delay_ms)
    delay = policy->max_delay_ms;
  uint32_t r = policy->random_fn ? policy->random_fn(policy->random_ctx)
                                 : default_random(NULL);
  /* Jitter factor in [0.8, 1.2). */
  double factor = 0.8 + 0.4 * ((double)(r % 10000) / 10000.0);
  return (int64_t)((double)delay * factor);
}

static bool should_retry(const msikv_retry_policy *policy, int retries_done,
                         int64_t elapsed_ms, msikv_result rc, int status) {
  if (rc != MSIKV_OK) {
    if (!policy->retry_transport_errors ||
        (rc != MSIKV_ERR_TRANSPORT && rc != MSIKV_ERR_TIMEOUT))
      return false;
    return retries_done < policy->max_retries;
  }
  if (!msikv_retry_status_is_retriable(policy, status))
    return false;
  if (retries_done < policy->max_retries)
    return true;
  return policy->persist_status != 0 && status == policy->persist_status &&
         elapsed_ms < policy->persist_total_ms;
}

msikv_result msikv_http_send_with_retry(const msikv_transport *transport,
                                        const msikv_retry_policy *policy,
                                        const msikv_clock *clock,
                                        const msikv_http_request *req,
                                        msikv_http_response *out_resp,
                                        int *out_attempts,
                                        msikv_error *out_err) {
  msikv_retry_policy defaults = msikv_retry_policy_default();
  if (!policy)
    policy = &defaults;
  double scale = policy->delay_scale > 0 ? policy->delay_scale : 1.0;
  int64_t start_ms = msikv_clock_now_ms(clock);
  int attempts = 0;
  msikv_result rc;
  for (;;) {
    msikv_http_response_reset(out_resp);
    msikv_error_clear(out_err);
    rc = msikv_transport_send(transport, req, out_resp, out_err);
    attempts++;
    int64_t now_ms = msikv_clock_now_ms(clock);
    /* Elapsed time in unscaled terms, so that a scaled-down test run ends
     * the persist window as quickly as its delays shrink. */
    int64_t elapsed_ms = (int64_t)((double)(now_ms - start_ms) / scale);
    if (!should_retry(policy, attempts - 1, elapsed_ms, rc,
                      out_resp->status))
      break;
    int64_t delay_ms;
    if (rc != MSIKV_OK ||
        !msikv_retry_after_ms(out_resp, now_ms, &delay_ms))
      delay_ms = msikv_retry_backoff_ms(policy, attempts);
    if (policy->persist_status && out_resp->status == policy->persist_status &&
        attempts > policy->max_retries) {
      /* Past the normal retries: wait no longer than the persist window. */
      int64_t left = policy->persist_total_ms - elapsed_ms;
      if (delay_ms > left)
        delay_ms = left > 0 ? left : 0;
    }
    delay_ms = (int64_t)((double)delay_ms * scale);
    msikv_log(MSIKV_LOG_INFO, "retrying %s %s after %s %d in %lld ms",
              req->method, "request", rc ? msikv_result_name(rc) : "status",
              rc ? 0 : out_resp->status, (long long)delay_ms);
    msikv_clock_sleep_ms(clock, delay_ms);
  }
  if (out_attempts)
    *out_attempts = attempts;
  return rc;
}
