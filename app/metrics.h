/* SPDX-License-Identifier: MIT */
/**
 * @file metrics.h
 * @brief Counters and latency histograms, rendered in Prometheus text format.
 */
#ifndef MSIKV_APP_METRICS_H
#define MSIKV_APP_METRICS_H

#include <stdint.h>

#include "msikv/buffer.h"
#include "msikv/result.h"
#include "secret_cache.h"

typedef enum app_route {
  APP_ROUTE_ROOT = 0,
  APP_ROUTE_PING,
  APP_ROUTE_HEALTHZ,
  APP_ROUTE_METRICS,
  APP_ROUTE_OTHER,
  APP_ROUTE_COUNT
} app_route;

/** @return the route's label: "/", "/ping", "/healthz", "/metrics", "other". */
const char *app_route_label(app_route route);

typedef struct app_metrics app_metrics;

MSIKV_NODISCARD msikv_result app_metrics_new(app_metrics **out);
void app_metrics_free(app_metrics *m);

/** Records one answered request. Thread-safe. */
void app_metrics_observe(app_metrics *m, app_route route, int status,
                         double seconds);
/** Counts one HTTP request to an identity endpoint (a token fetch). */
void app_metrics_count_token_request(app_metrics *m);
/** Counts one HTTP request to Key Vault. */
void app_metrics_count_kv_request(app_metrics *m);

/** Reads the two counters above. */
void app_metrics_get_upstream(app_metrics *m, uint64_t *out_token_requests,
                              uint64_t *out_kv_requests);

/**
 * Appends every metric in Prometheus text format 0.0.4 to @p out.
 * @param[in] cache optional: the secret cache's counters.
 */
MSIKV_NODISCARD msikv_result app_metrics_render(app_metrics *m,
                                                const app_cache_stats *cache,
                                                msikv_buf *out);

#endif /* MSIKV_APP_METRICS_H */
