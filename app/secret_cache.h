/* SPDX-License-Identifier: MIT */
/**
 * @file secret_cache.h
 * @brief Where the secret comes from (a seam), and the cache in front of it.
 *
 * The cache keeps the last good value for ttl_ms. When it expires, exactly
 * one request refreshes it (single flight) while the others keep getting the
 * cached value (for up to one more TTL, or the stale period if longer). If
 * the refresh fails with an outage (app_result_is_outage()), the last good
 * value is served, marked stale, for up to stale_ms past its expiry;
 * refreshes are then retried at most every retry_ms. A definite answer
 * (403, 404, 401) drops the cached value. With ttl_ms == 0 there is no
 * cache: every call asks the source.
 */
#ifndef MSIKV_APP_SECRET_CACHE_H
#define MSIKV_APP_SECRET_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "msikv/clock.h"
#include "msikv/result.h"

/** Which step a failure happened in, to explain it on the error page. */
typedef enum app_fail_stage {
  APP_STAGE_NONE = 0,
  APP_STAGE_CONFIG,     /**< The app is not configured (no vault URL...). */
  APP_STAGE_CREDENTIAL, /**< Getting a token failed. */
  APP_STAGE_VAULT       /**< Key Vault answered with an error or not at all. */
} app_fail_stage;

/**
 * A fetched secret and what the page says about it. Every string is owned
 * (msikv_malloc); `value` is a secret, freed by app_fetched_clear() with
 * msikv_secret_free(). On a failed fetch a source may still fill
 * `credential`, `principal` and `stage`, for the error page.
 */
typedef struct app_fetched {
  char *value;
  char *version;
  char *credential;           /**< e.g. "ManagedIdentityCredential". */
  char *principal;            /**< Object id or app id; may be NULL. */
  const char *principal_kind; /**< Static: "object id", "app id" or NULL. */
  app_fail_stage stage;       /**< On failure only. */
} app_fetched;

/**
 * @return true for failures worth riding out with a stale value (network,
 * timeouts, throttling, 5xx, identity endpoint unavailable); false for a
 * definite answer (403, 404, 401, bad configuration), after which the cached
 * value is dropped.
 */
bool app_result_is_outage(msikv_result rc);

/** Frees and empties @p f (the value zeroed). NULL-safe. */
void app_fetched_clear(app_fetched *f);

/** Deep copy. @retval MSIKV_ERR_NOMEM (and @p dst left empty). */
MSIKV_NODISCARD msikv_result app_fetched_copy(const app_fetched *src,
                                              app_fetched *dst);

/**
 * The seam between the app and Key Vault. `fetch` fills @p out (empty on
 * entry) and returns MSIKV_OK, or an error with detail in @p out_err.
 * Must be safe to call from several threads (the cache calls it from one at
 * a time unless the TTL is 0).
 */
typedef struct app_secret_source {
  msikv_result (*fetch)(void *ctx, app_fetched *out, msikv_error *out_err);
  void *ctx;
} app_secret_source;

typedef struct app_cache_options {
  int64_t ttl_ms;   /**< Fresh for this long; 0 disables the cache. */
  int64_t stale_ms; /**< Serve stale this long past expiry; 0 = never. */
  int64_t retry_ms; /**< Wait between refresh attempts while stale. */
  const msikv_clock *clock; /**< NULL = system clock. Borrowed. */
  /** With no value to serve, at most this many calls wait for the one
   * refresh in flight; more get MSIKV_ERR_UNAVAILABLE with code
   * APP_CACHE_BUSY_CODE at once, so that waiting never takes every worker
   * thread. Negative = no limit. */
  int max_waiters;
} app_cache_options;

/** msikv_error::code of the "too many waiting" failure. */
#define APP_CACHE_BUSY_CODE "AppBusy"

/** 300 s TTL, 3600 s stale, 5 s retry, system clock, no waiter limit. */
app_cache_options app_cache_options_default(void);

typedef enum app_cache_outcome {
  APP_CACHE_MISS = 0,   /**< Fetched now, for this call. */
  APP_CACHE_HIT,        /**< Fresh from the cache. */
  APP_CACHE_REFRESHING, /**< Expired, served while another call refreshes. */
  APP_CACHE_STALE       /**< Key Vault failed; the last good value. */
} app_cache_outcome;

/** @return "miss", "hit", "refreshing" or "stale". */
const char *app_cache_outcome_name(app_cache_outcome outcome);

/** What app_cache_get() hands back: an owned copy. */
typedef struct app_cache_result {
  app_fetched data;
  int64_t fetched_at_ms; /**< When the value was fetched (epoch ms). */
  app_cache_outcome outcome;
  msikv_result stale_rc; /**< For STALE: why the refresh failed. */
  msikv_error stale_err;
} app_cache_result;

void app_cache_result_clear(app_cache_result *r);

/** Counters since creation. */
typedef struct app_cache_stats {
  uint64_t hits;    /**< Served from cache (fresh or while refreshing). */
  uint64_t misses;  /**< Calls that had to wait for the source. */
  uint64_t stale;   /**< Served stale after a failed refresh. */
  uint64_t fetches; /**< Calls to the source. */
  uint64_t errors;  /**< Failed calls to the source. */
  uint64_t waiting; /**< Calls waiting for a refresh right now. */
} app_cache_stats;

typedef struct app_cache app_cache;

/**
 * @param[in] source copied; its ctx is borrowed and must outlive the cache.
 * @param[in] opts NULL for defaults.
 * @param[out] out_cache owned; free with app_cache_free().
 */
MSIKV_NODISCARD msikv_result app_cache_new(const app_secret_source *source,
                                           const app_cache_options *opts,
                                           app_cache **out_cache);

/**
 * Gets the secret: from the cache, or by fetching it. Thread-safe.
 * @param[out] out on success a copy to clear with app_cache_result_clear().
 * On failure, out->data may name the credential, principal and stage.
 * @return the source's error when there is no usable value.
 */
MSIKV_NODISCARD msikv_result app_cache_get(app_cache *cache,
                                           app_cache_result *out,
                                           msikv_error *out_err);

void app_cache_get_stats(app_cache *cache, app_cache_stats *out);

void app_cache_free(app_cache *cache);

#endif /* MSIKV_APP_SECRET_CACHE_H */
