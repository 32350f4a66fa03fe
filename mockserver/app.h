/* SPDX-License-Identifier: MIT */
/**
 * @file app.h
 * @brief The whole mock behind one request entry point: routing, faults,
 * the request log, the clock, and the handlers (Key Vault, Entra ID,
 * managed identity, admin). server.c calls mock_app_handle.
 */
#ifndef MSIKV_MOCK_APP_H
#define MSIKV_MOCK_APP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "entra.h"
#include "faults.h"
#include "jwt.h"
#include "kv.h"
#include "mock_clock.h"
#include "mock_http.h"
#include "msi.h"
#include "principals.h"
#include "reqlog.h"
#include "router.h"

typedef struct mock_app_config {
  const char *dns_suffix;        /**< "vault.localhost" */
  int tls_port;                  /**< Key Vault + Entra (https). */
  int msi_port;                  /**< Managed identity (http). */
  int admin_port;                /**< Admin API (http). */
  int64_t token_lifetime_s;      /**< Default 3600. */
  mock_expires_format legacy_format;
  size_t value_max_bytes;        /**< Default 25600. */
  const cJSON *seed;             /**< The seed file, or NULL for defaults;
                                      copied. */
  const mock_jwt_key *key;       /**< Borrowed; outlives the app. */
  const char *ca_path;           /**< Reported by GET /admin/config. */
  size_t reqlog_capacity;        /**< Default 10000. */
  const char *state_file;        /**< NULL: Key Vault state in memory only;
                                      else loaded at start when it exists,
                                      and saved after every write. */
} mock_app_config;

typedef struct mock_app {
  char dns_suffix[128];
  char authority[160];   /**< https://login.localhost:PORT */
  char resource[192];    /**< https://{dns_suffix}:PORT (no :443) */
  char identity_header[65];
  char msi_secret[65];
  char ca_path[4096];
  char state_file[4096]; /**< "" = none */
  int tls_port, msi_port, admin_port;
  size_t value_max_bytes;
  int64_t token_lifetime_s;
  mock_clock clock;
  mock_principals principals;
  const mock_jwt_key *key;
  mock_jwt_verifier *verifier;
  mock_msi_config msi;
  mock_entra_config entra;
  mock_faults *faults;
  mock_reqlog *log;
  cJSON *seed;                 /**< Owned copy of the seed, or NULL. */
  pthread_rwlock_t kv_lock;    /**< Readers handle requests; reset writes. */
  mock_kv *kv;
  int64_t replication_lag_ms;
} mock_app;

/** Builds the app and seeds Key Vault. */
MSIKV_NODISCARD msikv_result mock_app_new(const mock_app_config *cfg,
                                          mock_app **out_app,
                                          msikv_error *out_err);
void mock_app_free(mock_app *app);

/**
 * Serves one request: stamps req->now_ms from the mock clock, routes,
 * applies faults, runs the handler, and logs the request. Thread-safe.
 */
void mock_app_handle(mock_app *app, mock_request *req, mock_response *resp);

/** Resets faults, the log, the clock shift, replication lag and the Key
 * Vault state (re-seeded). */
MSIKV_NODISCARD msikv_result mock_app_reset(mock_app *app);

/** The admin API (GET /admin/config, /admin/requests, /admin/faults, ...). */
void mock_admin_handle(mock_app *app, const mock_request *req,
                       mock_response *resp);

#endif /* MSIKV_MOCK_APP_H */
