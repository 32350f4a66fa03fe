/* SPDX-License-Identifier: MIT */
#include "metrics.h"

#include <pthread.h>
#include <string.h>

#include "msikv/alloc.h"

#define STATUS_SLOTS 16
#define BUCKET_COUNT 12

static const double bucket_bounds[BUCKET_COUNT] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};
static const char *const bucket_labels[BUCKET_COUNT] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",   "0.1",   "0.25",   "0.5",   "1",    "5"};

typedef struct status_count {
  int status;
  uint64_t count;
} status_count;

typedef struct route_stats {
  status_count statuses[STATUS_SLOTS];
  size_t status_used;
  uint64_t buckets[BUCKET_COUNT]; /* Not cumulative; summed when rendered. */
  uint64_t count;
  double sum;
} route_stats;

struct app_metrics {
  pthread_mutex_t lock;
  route_stats routes[APP_ROUTE_COUNT];
  uint64_t token_requests;
  uint64_t kv_requests;
};

const char *app_route_label(app_route route) {
  switch (route) {
  case APP_ROUTE_ROOT:
    return "/";
  case APP_ROUTE_PING:
    return "/ping";
  case APP_ROUTE_HEALTHZ:
    return "/healthz";
  case APP_ROUTE_METRICS:
    return "/metrics";
  case APP_ROUTE_OTHER:
  case APP_ROUTE_COUNT:
  default:
    return "other";
  }
}

msikv_result app_metrics_new(app_metrics **out) {
  app_metrics *m = msikv_calloc(1, sizeof(*m));
  if (!m)
    return MSIKV_ERR_NOMEM;
  pthread_mutex_init(&m->lock, NULL);
  *out = m;
  return MSIKV_OK;
}

void app_metrics_free(app_metrics *m) {
  if (!m)
    return;
  pthread_mutex_destroy(&m->lock);
  msikv_free(m);
}

void app_metrics_observe(app_metrics *m, app_route route, int status,
                         double seconds) {
  if (!m)
    return;
  if ((unsigned)route >= APP_ROUTE_COUNT)
    route = APP_ROUTE_OTHER;
  if (seconds < 0)
    seconds = 0;
  pthread_mutex_lock(&m->lock);
  route_stats *r = &m->routes[route];
  size_t i = 0;
  while (i < r->status_used && r->statuses[i].status != status)
    i++;
  if (i == r->status_used) {
    if (r->status_used < STATUS_SLOTS) {
      r->statuses[i].status = status;
      r->status_used++;
    } else {
      i = STATUS_SLOTS - 1; /* Out of slots: lump into the last one. */
    }
  }
  r->statuses[i].count++;
  for (size_t b = 0; b < BUCKET_COUNT; b++) {
    if (seconds <= bucket_bounds[b]) {
      r->buckets[b]++;
      break;
    }
  }
  r->count++;
  r->sum += seconds;
  pthread_mutex_unlock(&m->lock);
}

void app_metrics_count_token_request(app_metrics *m) {
  if (!m)
    return;
  pthread_mutex_lock(&m->lock);
  m->token_requests++;
  pthread_mutex_unlock(&m->lock);
}

void app_metrics_count_kv_request(app_metrics *m) {
  if (!m)
    return;
  pthread_mutex_lock(&m->lock);
  m->kv_requests++;
  pthread_mutex_unlock(&m->lock);
}

void app_metrics_get_upstream(app_metrics *m, uint64_t *out_token_requests,
                              uint64_t *out_kv_requests) {
  pthread_mutex_lock(&m->lock);
  if (out_token_requests)
    *out_token_requests = m->token_requests;
  if (out_kv_requests)
    *out_kv_requests = m->kv_requests;
  pthread_mutex_unlock(&m->lock);
}

static msikv_result counter(msikv_buf *out, const char *name, const char *help,
                            uint64_t value) {
  return msikv_buf_appendf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
                           name, help, name, name, (unsigned long long)value);
}

msikv_result app_metrics_render(app_metrics *m, const app_cache_stats *cache,
                                msikv_buf *out) {
  app_metrics snap;
  pthread_mutex_lock(&m->lock);
  memcpy(snap.routes, m->routes, sizeof(snap.routes));
  snap.token_requests = m->token_requests;
  snap.kv_requests = m->kv_requests;
  pthread_mutex_unlock(&m->lock);

  msikv_result rc = msikv_buf_append_str(
      out, "# HELP msikv_webapp_http_requests_total HTTP requests answered, "
           "by route and status.\n"
           "# TYPE msikv_webapp_http_requests_total counter\n");
  for (int r = 0; !rc && r < APP_ROUTE_COUNT; r++) {
    const route_stats *rs = &snap.routes[r];
    for (size_t i = 0; !rc && i < rs->status_used; i++)
      rc = msikv_buf_appendf(out,
                             "msikv_webapp_http_requests_total{route=\"%s\","
                             "status=\"%d\"} %llu\n",
                             app_route_label((app_route)r),
                             rs->statuses[i].status,
                             (unsigned long long)rs->statuses[i].count);
  }
  if (!rc)
    rc = msikv_buf_append_str(
        out, "# HELP msikv_webapp_http_request_duration_seconds Time to "
             "answer a request, by route.\n"
             "# TYPE msikv_webapp_http_request_duration_seconds histogram\n");
  for (int r = 0; !rc && r < APP_ROUTE_COUNT; r++) {
    const route_stats *rs = &snap.routes[r];
    const char *label = app_route_label((app_route)r);
    if (rs->count == 0)
      continue;
    uint64_t cumulative = 0;
    for (size_t b = 0; !rc && b < BUCKET_COUNT; b++) {
      cumulative += rs->buckets[b];
      rc = msikv_buf_appendf(out,
                             "msikv_webapp_http_request_duration_seconds_"
                             "bucket{route=\"%s\",le=\"%s\"} %llu\n",
                             label, bucket_labels[b],
                             (unsigned long long)cumulative);
    }
    if (!rc)
      rc = msikv_buf_appendf(
          out,
          "msikv_webapp_http_request_duration_seconds_bucket{route=\"%s\","
          "le=\"+Inf\"} %llu\n"
          "msikv_webapp_http_request_duration_seconds_sum{route=\"%s\"} "
          "%.6f\n"
          "msikv_webapp_http_request_duration_seconds_count{route=\"%s\"} "
          "%llu\n",
          label, (unsigned long long)rs->count, label, rs->sum, label,
          (unsigned long long)rs->count);
  }
  if (!rc)
    rc = counter(out, "msikv_webapp_token_requests_total",
                 "HTTP requests to identity endpoints (token fetches).",
                 snap.token_requests);
  if (!rc)
    rc = counter(out, "msikv_webapp_keyvault_requests_total",
                 "HTTP requests to Key Vault.", snap.kv_requests);
  if (cache) {
    if (!rc)
      rc = counter(out, "msikv_webapp_secret_cache_hits_total",
                   "Page views served from the secret cache.", cache->hits);
    if (!rc)
      rc = counter(out, "msikv_webapp_secret_cache_misses_total",
                   "Page views that waited for Key Vault.", cache->misses);
    if (!rc)
      rc = counter(out, "msikv_webapp_secret_cache_stale_total",
                   "Page views served a stale value during an outage.",
                   cache->stale);
    if (!rc)
      rc = counter(out, "msikv_webapp_secret_fetches_total",
                   "Secret fetches (token plus Key Vault).", cache->fetches);
    if (!rc)
      rc = counter(out, "msikv_webapp_secret_fetch_errors_total",
                   "Secret fetches that failed.", cache->errors);
  }
  return rc;
}
