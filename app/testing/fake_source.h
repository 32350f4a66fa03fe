/* SPDX-License-Identifier: MIT */
/**
 * @file fake_source.h
 * @brief A scripted app_secret_source for the web app's unit tests
 * (header-only; testonly).
 */
#ifndef MSIKV_APP_TESTING_FAKE_SOURCE_H
#define MSIKV_APP_TESTING_FAKE_SOURCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/secret_cache.h"
#include "msikv/alloc.h"

typedef struct fake_source {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int calls;
  msikv_result rc;      /**< What the next fetches return. */
  app_fail_stage stage; /**< Stage reported on failure. */
  char value[512];
  char version[64];
  char message[256];
  bool gate_closed; /**< Fetches block until fake_source_open(). */
  int blocked;      /**< Fetches waiting at the gate. */
} fake_source;

static inline msikv_result fake_source_fetch(void *ctx, app_fetched *out,
                                             msikv_error *err) {
  fake_source *fs = ctx;
  pthread_mutex_lock(&fs->lock);
  fs->calls++;
  fs->blocked++;
  pthread_cond_broadcast(&fs->cond);
  while (fs->gate_closed)
    pthread_cond_wait(&fs->cond, &fs->lock);
  fs->blocked--;
  msikv_result rc = fs->rc;
  out->credential = msikv_strdup("FakeCredential");
  out->principal = msikv_strdup("11111111-2222-3333-4444-555555555555");
  out->principal_kind = "object id";
  if (rc) {
    out->stage = fs->stage;
    msikv_error_set(err, rc, "%s", fs->message);
  } else {
    out->value = msikv_strdup(fs->value);
    out->version = msikv_strdup(fs->version);
  }
  pthread_mutex_unlock(&fs->lock);
  return rc;
}

static inline void fake_source_init(fake_source *fs, const char *value) {
  memset(fs, 0, sizeof(*fs));
  pthread_mutex_init(&fs->lock, NULL);
  pthread_cond_init(&fs->cond, NULL);
  snprintf(fs->value, sizeof(fs->value), "%s", value);
  snprintf(fs->version, sizeof(fs->version), "%s", "v1");
}

static inline void fake_source_free(fake_source *fs) {
  pthread_cond_destroy(&fs->cond);
  pthread_mutex_destroy(&fs->lock);
}

static inline app_secret_source fake_source_seam(fake_source *fs) {
  app_secret_source s = {fake_source_fetch, fs};
  return s;
}

static inline void fake_source_set(fake_source *fs, msikv_result rc,
                                   const char *value, const char *version) {
  pthread_mutex_lock(&fs->lock);
  fs->rc = rc;
  if (value)
    snprintf(fs->value, sizeof(fs->value), "%s", value);
  if (version)
    snprintf(fs->version, sizeof(fs->version), "%s", version);
  pthread_mutex_unlock(&fs->lock);
}

static inline int fake_source_calls(fake_source *fs) {
  pthread_mutex_lock(&fs->lock);
  int n = fs->calls;
  pthread_mutex_unlock(&fs->lock);
  return n;
}

static inline void fake_source_close(fake_source *fs) {
  pthread_mutex_lock(&fs->lock);
  fs->gate_closed = true;
  pthread_mutex_unlock(&fs->lock);
}

static inline void fake_source_open(fake_source *fs) {
  pthread_mutex_lock(&fs->lock);
  fs->gate_closed = false;
  pthread_cond_broadcast(&fs->cond);
  pthread_mutex_unlock(&fs->lock);
}

/** Waits until @p n fetches are blocked at the gate. */
static inline void fake_source_wait_blocked(fake_source *fs, int n) {
  pthread_mutex_lock(&fs->lock);
  while (fs->blocked < n)
    pthread_cond_wait(&fs->cond, &fs->lock);
  pthread_mutex_unlock(&fs->lock);
}

#endif
