/* SPDX-License-Identifier: MIT */
/* The token cache: Go azidentity's temporal.Resource rules, per key.
 * One mutex and condition variable guard every entry; fetches run with the
 * mutex released, so different keys refresh in parallel and callers holding
 * a valid token never wait for a refresh. */
#include <pthread.h>
#include <string.h>

#include "identity_internal.h"
#include "msikv/alloc.h"
#include "msikv/log.h"

/* Entries beyond this are evicted (idle ones first); keys are scopes and
 * tenants, so a real program has a handful. */
#define MAX_ENTRIES 64

typedef struct cache_entry {
  struct cache_entry *next;
  char *scope;
  char *tenant; /* NULL when none. */
  char *token;  /* Secret; NULL until the first success. */
  int64_t expires_on_s;
  int64_t refresh_on_s; /* As fetched; 0 = none. */
  bool in_flight;
  bool attempted;
  int64_t last_attempt_ms;
  uint64_t generation;  /* Bumped when a fetch finishes. */
  size_t waiters;       /* Threads blocked on this entry. */
  msikv_result last_rc; /* Result of the last fetch. */
  msikv_error last_err;
} cache_entry;

struct msikv__token_cache {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  const msikv_clock *clock;
  cache_entry *entries;
  size_t count;
};

msikv_result msikv__token_cache_new(const msikv_clock *clock,
                                    msikv__token_cache **out_cache) {
  msikv__token_cache *cache = msikv_calloc(1, sizeof(*cache));
  if (!cache)
    return MSIKV_ERR_NOMEM;
  if (pthread_mutex_init(&cache->lock, NULL) != 0) {
    msikv_free(cache);
    return MSIKV_ERR_NOMEM;
  }
  if (pthread_cond_init(&cache->cond, NULL) != 0) {
    pthread_mutex_destroy(&cache->lock);
    msikv_free(cache);
    return MSIKV_ERR_NOMEM;
  }
  cache->clock = clock;
  *out_cache = cache;
  return MSIKV_OK;
}

static void entry_free(cache_entry *e) {
  msikv_free(e->scope);
  msikv_free(e->tenant);
  msikv_secret_free(e->token);
  msikv_free(e);
}

void msikv__token_cache_free(msikv__token_cache *cache) {
  if (!cache)
    return;
  cache_entry *e = cache->entries;
  while (e) {
    cache_entry *next = e->next;
    entry_free(e);
    e = next;
  }
  pthread_cond_destroy(&cache->cond);
  pthread_mutex_destroy(&cache->lock);
  msikv_free(cache);
}

size_t msikv__token_cache_size(msikv__token_cache *cache) {
  pthread_mutex_lock(&cache->lock);
  size_t n = cache->count;
  pthread_mutex_unlock(&cache->lock);
  return n;
}

size_t msikv__token_cache_invalidate(msikv__token_cache *cache,
                                     const char *rejected_token) {
  if (!cache || !rejected_token || !*rejected_token)
    return 0;
  size_t dropped = 0;
  pthread_mutex_lock(&cache->lock);
  for (cache_entry *e = cache->entries; e; e = e->next) {
    if (!e->token || strcmp(e->token, rejected_token) != 0)
      continue;
    msikv_secret_free(e->token);
    e->token = NULL;
    e->expires_on_s = 0;
    e->refresh_on_s = 0;
    e->attempted = false;
    dropped++;
  }
  pthread_mutex_unlock(&cache->lock);
  if (dropped)
    msikv_log(MSIKV_LOG_INFO, "a cached token was rejected; the next request "
                              "fetches a new one");
  return dropped;
}

static bool str_eq(const char *a, const char *b) {
  if (!a || !b)
    return a == b;
  return strcmp(a, b) == 0;
}

/* Drops one idle entry, preferring one without a valid token. */
static void evict_one(msikv__token_cache *cache, int64_t now_ms) {
  cache_entry **victim = NULL;
  for (cache_entry **pp = &cache->entries; *pp; pp = &(*pp)->next) {
    cache_entry *e = *pp;
    if (e->in_flight || e->waiters)
      continue;
    if (!e->token || e->expires_on_s * 1000 <= now_ms) {
      victim = pp;
      break;
    }
    victim = pp; /* The last idle one is the least recently added. */
  }
  if (!victim)
    return;
  cache_entry *e = *victim;
  *victim = e->next;
  entry_free(e);
  cache->count--;
}

static cache_entry *find_or_add(msikv__token_cache *cache, const char *scope,
                                const char *tenant, int64_t now_ms) {
  for (cache_entry *e = cache->entries; e; e = e->next) {
    if (str_eq(e->scope, scope) && str_eq(e->tenant, tenant))
      return e;
  }
  if (cache->count >= MAX_ENTRIES)
    evict_one(cache, now_ms);
  cache_entry *e = msikv_calloc(1, sizeof(*e));
  if (!e)
    return NULL;
  e->scope = msikv_strdup(scope);
  e->tenant = tenant ? msikv_strdup(tenant) : NULL;
  if (!e->scope || (tenant && !e->tenant)) {
    entry_free(e);
    return NULL;
  }
  e->next = cache->entries;
  cache->entries = e;
  cache->count++;
  return e;
}

static bool is_valid(const cache_entry *e, int64_t now_ms) {
  return e->token && now_ms < e->expires_on_s * 1000;
}

static int64_t refresh_at_ms(const cache_entry *e) {
  int64_t at = e->expires_on_s - MSIKV__REFRESH_WINDOW_S;
  if (e->refresh_on_s > 0 && e->refresh_on_s < at)
    at = e->refresh_on_s;
  return at * 1000;
}

static msikv_result copy_out(const cache_entry *e, msikv_token *out_token,
                             msikv_error *out_err) {
  char *copy = msikv_strdup(e->token);
  if (!copy)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                           "out of memory copying a cached token");
  out_token->token = copy;
  out_token->expires_on_s = e->expires_on_s;
  out_token->refresh_on_s = e->refresh_on_s;
  return MSIKV_OK;
}

static void copy_error(msikv_error *dst, const msikv_error *src) {
  if (dst)
    *dst = *src;
}

msikv_result msikv__token_cache_get(msikv__token_cache *cache,
                                    const char *scope, const char *tenant_id,
                                    msikv__token_fetch_fn fetch,
                                    void *fetch_ctx, msikv_token *out_token,
                                    msikv_error *out_err) {
  if (!cache || !scope || !fetch || !out_token)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "token cache: missing argument");
  msikv_result rc;
  pthread_mutex_lock(&cache->lock);
  cache_entry *e =
      find_or_add(cache, scope, tenant_id, msikv_clock_now_ms(cache->clock));
  if (!e) {
    pthread_mutex_unlock(&cache->lock);
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                           "out of memory adding a token cache entry");
  }
  for (;;) {
    int64_t now_ms = msikv_clock_now_ms(cache->clock);
    bool valid = is_valid(e, now_ms);
    if (e->in_flight) {
      if (valid) {
        rc = copy_out(e, out_token, out_err);
        goto out;
      }
      /* No valid token: wait for the fetch in flight, then take its result. */
      uint64_t generation = e->generation;
      e->waiters++;
      while (e->in_flight && e->generation == generation)
        pthread_cond_wait(&cache->cond, &cache->lock);
      e->waiters--;
      if (e->generation != generation && e->last_rc != MSIKV_OK &&
          !is_valid(e, msikv_clock_now_ms(cache->clock))) {
        copy_error(out_err, &e->last_err);
        rc = e->last_rc;
        goto out;
      }
      continue;
    }
    bool due = !valid || (now_ms >= refresh_at_ms(e) &&
                          (!e->attempted || now_ms - e->last_attempt_ms >=
                                                MSIKV__REFRESH_BACKOFF_MS));
    if (!due) {
      rc = copy_out(e, out_token, out_err);
      goto out;
    }
    e->in_flight = true;
    e->attempted = true;
    e->last_attempt_ms = now_ms;
    pthread_mutex_unlock(&cache->lock);

    msikv_token fresh = {NULL, 0, 0};
    msikv_error fetch_err;
    msikv_error_clear(&fetch_err);
    msikv_result fetch_rc =
        fetch(fetch_ctx, scope, tenant_id, &fresh, &fetch_err);
    if (fetch_rc == MSIKV_OK && !fresh.token)
      fetch_rc = msikv_error_set(&fetch_err, MSIKV_ERR_PARSE,
                                 "the credential returned no token");
    char *keep = fetch_rc == MSIKV_OK ? msikv_strdup(fresh.token) : NULL;
    if (fetch_rc == MSIKV_OK && !keep)
      fetch_rc = msikv_error_set(&fetch_err, MSIKV_ERR_NOMEM,
                                 "out of memory caching a token");

    pthread_mutex_lock(&cache->lock);
    e->in_flight = false;
    e->generation++;
    e->last_rc = fetch_rc;
    e->last_err = fetch_err;
    pthread_cond_broadcast(&cache->cond);
    if (fetch_rc == MSIKV_OK) {
      msikv_secret_free(e->token);
      e->token = keep;
      e->expires_on_s = fresh.expires_on_s;
      e->refresh_on_s = fresh.refresh_on_s;
      *out_token = fresh;
      rc = MSIKV_OK;
      goto out;
    }
    msikv_token_clear(&fresh);
    if (is_valid(e, msikv_clock_now_ms(cache->clock))) {
      msikv_log(MSIKV_LOG_WARN,
                "early token refresh failed (%s); using the cached token, "
                "valid for %lld s more, and retrying in %d s: %s",
                msikv_result_name(fetch_rc),
                (long long)(e->expires_on_s -
                            msikv_clock_now_ms(cache->clock) / 1000),
                MSIKV__REFRESH_BACKOFF_MS / 1000, fetch_err.message);
      rc = copy_out(e, out_token, out_err);
      goto out;
    }
    copy_error(out_err, &fetch_err);
    rc = fetch_rc;
    goto out;
  }
out:
  pthread_mutex_unlock(&cache->lock);
  return rc;
}
