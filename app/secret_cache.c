/* SPDX-License-Identifier: MIT */
#include "secret_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "msikv/alloc.h"

struct app_cache {
  app_secret_source source;
  app_cache_options opts;
  pthread_mutex_t lock;
  pthread_cond_t done;
  bool has_entry;
  app_fetched entry;
  int64_t entry_at_ms;
  bool refreshing;
  int waiters;             /* Calls blocked on the refresh in flight. */
  uint64_t generation;     /* Counts finished refreshes. */
  bool last_ok;            /* How the last refresh ended. */
  bool failed_since_entry; /* A refresh failed after the entry was stored. */
  int64_t last_fail_at_ms;
  msikv_result last_rc;
  msikv_error last_err;
  app_fetched last_fail; /* Credential/principal/stage of the failure. */
  app_cache_stats stats;
};

void app_fetched_clear(app_fetched *f) {
  if (!f)
    return;
  msikv_secret_free(f->value);
  msikv_free(f->version);
  msikv_free(f->credential);
  msikv_free(f->principal);
  memset(f, 0, sizeof(*f));
}

static bool dup_field(const char *src, char **dst) {
  if (!src) {
    *dst = NULL;
    return true;
  }
  *dst = msikv_strdup(src);
  return *dst != NULL;
}

msikv_result app_fetched_copy(const app_fetched *src, app_fetched *dst) {
  memset(dst, 0, sizeof(*dst));
  if (!dup_field(src->value, &dst->value) ||
      !dup_field(src->version, &dst->version) ||
      !dup_field(src->credential, &dst->credential) ||
      !dup_field(src->principal, &dst->principal)) {
    app_fetched_clear(dst);
    return MSIKV_ERR_NOMEM;
  }
  dst->principal_kind = src->principal_kind;
  dst->stage = src->stage;
  return MSIKV_OK;
}

bool app_result_is_outage(msikv_result rc) {
  switch (rc) {
  case MSIKV_ERR_FORBIDDEN:
  case MSIKV_ERR_NOT_FOUND:
  case MSIKV_ERR_AUTH:
  case MSIKV_ERR_CONFIG:
  case MSIKV_ERR_ARG:
  case MSIKV_ERR_INSECURE:
  case MSIKV_ERR_UNSUPPORTED:
    return false;
  default:
    return true;
  }
}

app_cache_options app_cache_options_default(void) {
  app_cache_options o = {300 * 1000, 3600 * 1000, 5000, NULL, -1};
  return o;
}

const char *app_cache_outcome_name(app_cache_outcome outcome) {
  switch (outcome) {
  case APP_CACHE_HIT:
    return "hit";
  case APP_CACHE_REFRESHING:
    return "refreshing";
  case APP_CACHE_STALE:
    return "stale";
  case APP_CACHE_MISS:
  default:
    return "miss";
  }
}

void app_cache_result_clear(app_cache_result *r) {
  if (!r)
    return;
  app_fetched_clear(&r->data);
  memset(r, 0, sizeof(*r));
}

msikv_result app_cache_new(const app_secret_source *source,
                           const app_cache_options *opts,
                           app_cache **out_cache) {
  if (!source || !source->fetch || !out_cache)
    return MSIKV_ERR_ARG;
  app_cache *c = msikv_calloc(1, sizeof(*c));
  if (!c)
    return MSIKV_ERR_NOMEM;
  c->source = *source;
  c->opts = opts ? *opts : app_cache_options_default();
  if (c->opts.ttl_ms < 0)
    c->opts.ttl_ms = 0;
  if (c->opts.stale_ms < 0)
    c->opts.stale_ms = 0;
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->done, NULL);
  *out_cache = c;
  return MSIKV_OK;
}

void app_cache_free(app_cache *c) {
  if (!c)
    return;
  app_fetched_clear(&c->entry);
  app_fetched_clear(&c->last_fail);
  pthread_cond_destroy(&c->done);
  pthread_mutex_destroy(&c->lock);
  msikv_free(c);
}

void app_cache_get_stats(app_cache *c, app_cache_stats *out) {
  pthread_mutex_lock(&c->lock);
  *out = c->stats;
  out->waiting = (uint64_t)c->waiters;
  pthread_mutex_unlock(&c->lock);
}

static int64_t now_ms(const app_cache *c) {
  return msikv_clock_now_ms(c->opts.clock);
}

/* Caller holds the lock. */
static msikv_result serve_entry(app_cache *c, app_cache_outcome outcome,
                                app_cache_result *out) {
  msikv_result rc = app_fetched_copy(&c->entry, &out->data);
  if (rc)
    return rc;
  out->fetched_at_ms = c->entry_at_ms;
  out->outcome = outcome;
  if (outcome == APP_CACHE_STALE) {
    out->stale_rc = c->last_rc;
    out->stale_err = c->last_err;
    c->stats.stale++;
  } else if (outcome == APP_CACHE_MISS) {
    c->stats.misses++;
  } else {
    c->stats.hits++;
  }
  return MSIKV_OK;
}

/* Caller holds the lock: hands back the last refresh's failure. */
static msikv_result serve_failure(app_cache *c, app_cache_result *out,
                                  msikv_error *out_err) {
  c->stats.misses++;
  if (app_fetched_copy(&c->last_fail, &out->data))
    return MSIKV_ERR_NOMEM;
  if (out_err)
    *out_err = c->last_err;
  return c->last_rc;
}

static bool usable(const app_cache *c, int64_t now) {
  return c->has_entry &&
         now < c->entry_at_ms + c->opts.ttl_ms + c->opts.stale_ms;
}

/* While another call refreshes, an expired value is still served for up to
 * one more TTL (or the stale period, if longer) rather than making every
 * request wait for Key Vault. */
static bool usable_while_refreshing(const app_cache *c, int64_t now) {
  int64_t grace =
      c->opts.stale_ms > c->opts.ttl_ms ? c->opts.stale_ms : c->opts.ttl_ms;
  return c->has_entry && now < c->entry_at_ms + c->opts.ttl_ms + grace;
}

static msikv_result fetch_uncached(app_cache *c, app_cache_result *out,
                                   msikv_error *out_err) {
  pthread_mutex_lock(&c->lock);
  c->stats.fetches++;
  c->stats.misses++;
  pthread_mutex_unlock(&c->lock);
  app_fetched f;
  memset(&f, 0, sizeof(f));
  msikv_result rc = c->source.fetch(c->source.ctx, &f, out_err);
  if (rc) {
    pthread_mutex_lock(&c->lock);
    c->stats.errors++;
    pthread_mutex_unlock(&c->lock);
  }
  out->data = f;
  out->fetched_at_ms = now_ms(c);
  out->outcome = APP_CACHE_MISS;
  return rc;
}

/* Caller holds the lock and set c->refreshing. Returns with the lock held. */
static void refresh(app_cache *c) {
  pthread_mutex_unlock(&c->lock);
  app_fetched f;
  memset(&f, 0, sizeof(f));
  msikv_error err;
  msikv_error_clear(&err);
  msikv_result rc = c->source.fetch(c->source.ctx, &f, &err);
  int64_t now = now_ms(c);
  pthread_mutex_lock(&c->lock);
  c->stats.fetches++;
  if (rc == MSIKV_OK && !f.value)
    rc = msikv_error_set(&err, MSIKV_ERR_PARSE, "the source gave no value");
  if (rc == MSIKV_OK) {
    app_fetched_clear(&c->entry);
    c->entry = f;
    c->entry_at_ms = now;
    c->has_entry = true;
    c->failed_since_entry = false;
    c->last_ok = true;
  } else {
    c->stats.errors++;
    app_fetched_clear(&c->last_fail);
    c->last_fail = f;
    c->last_rc = rc;
    c->last_err = err;
    c->last_fail_at_ms = now;
    c->last_ok = false;
    if (app_result_is_outage(rc)) {
      c->failed_since_entry = c->has_entry;
    } else {
      /* Key Vault gave a definite answer (access revoked, secret deleted):
       * the old value must not be shown any more. */
      app_fetched_clear(&c->entry);
      c->has_entry = false;
      c->failed_since_entry = false;
    }
  }
  c->refreshing = false;
  c->generation++;
  pthread_cond_broadcast(&c->done);
}

msikv_result app_cache_get(app_cache *c, app_cache_result *out,
                           msikv_error *out_err) {
  if (!c || !out)
    return MSIKV_ERR_ARG;
  memset(out, 0, sizeof(*out));
  if (c->opts.ttl_ms == 0)
    return fetch_uncached(c, out, out_err);

  msikv_result rc;
  pthread_mutex_lock(&c->lock);
  int64_t now = now_ms(c);
  if (c->has_entry && now - c->entry_at_ms < c->opts.ttl_ms) {
    rc = serve_entry(c, APP_CACHE_HIT, out);
    goto out;
  }
  if (c->refreshing) {
    if (usable_while_refreshing(c, now)) {
      rc = serve_entry(
          c, c->failed_since_entry ? APP_CACHE_STALE : APP_CACHE_REFRESHING,
          out);
      goto out;
    }
    if (c->opts.max_waiters >= 0 && c->waiters >= c->opts.max_waiters) {
      c->stats.misses++;
      out->data.stage = APP_STAGE_VAULT;
      if (out_err) {
        msikv_error_clear(out_err);
        snprintf(out_err->code, sizeof(out_err->code), "%s",
                 APP_CACHE_BUSY_CODE);
      }
      rc = msikv_error_set(out_err, MSIKV_ERR_UNAVAILABLE,
                           "%d requests are already waiting for Key Vault",
                           c->waiters);
      goto out;
    }
    uint64_t gen = c->generation;
    c->waiters++;
    while (c->generation == gen)
      pthread_cond_wait(&c->done, &c->lock);
    c->waiters--;
    if (c->last_ok)
      rc = serve_entry(c, APP_CACHE_MISS, out);
    else
      rc = serve_failure(c, out, out_err);
    goto out;
  }
  if (usable(c, now) && c->failed_since_entry &&
      now - c->last_fail_at_ms < c->opts.retry_ms) {
    rc = serve_entry(c, APP_CACHE_STALE, out);
    goto out;
  }
  c->refreshing = true;
  refresh(c);
  now = now_ms(c);
  if (c->last_ok)
    rc = serve_entry(c, APP_CACHE_MISS, out);
  else if (usable(c, now))
    rc = serve_entry(c, APP_CACHE_STALE, out);
  else
    rc = serve_failure(c, out, out_err);
out:
  pthread_mutex_unlock(&c->lock);
  return rc;
}
