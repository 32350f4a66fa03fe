/* SPDX-License-Identifier: MIT */
/**
 * @file config.h
 * @brief The web app's configuration, read from environment variables.
 *
 * Every setting is parsed and checked once at start-up. A bad value is a
 * start-up error (exit code 2) with a message naming the variable, the
 * value's problem and what to set instead. A missing KEY_VAULT_URL is not a
 * start-up error: the app still serves /ping and explains the problem on /.
 */
#ifndef MSIKV_APP_CONFIG_H
#define MSIKV_APP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "msikv/log.h"
#include "msikv/result.h"

/** Exit code for bad configuration. */
#define APP_EXIT_CONFIG 2

#define APP_VAULT_URL_MAX 2048
#define APP_SECRET_NAME_MAX 128
#define APP_HOST_MAX 256

typedef enum app_display {
  APP_DISPLAY_FULL = 0,  /**< Show the value, as the sample does. */
  APP_DISPLAY_MASKED = 1 /**< Show only its length and a fingerprint. */
} app_display;

/** Which identity-related variables are set (never their values). */
typedef struct app_identity_env {
  bool on_app_service;    /**< IDENTITY_ENDPOINT, MSI_ENDPOINT or
                               APPSETTING_WEBSITE_SITE_NAME is set. */
  bool identity_endpoint; /**< IDENTITY_ENDPOINT */
  bool identity_header;   /**< IDENTITY_HEADER */
  bool msi_endpoint;      /**< MSI_ENDPOINT */
  bool msi_secret;        /**< MSI_SECRET */
  bool site_name;         /**< APPSETTING_WEBSITE_SITE_NAME */
  bool tenant_id;         /**< AZURE_TENANT_ID */
  bool client_id;         /**< AZURE_CLIENT_ID */
  bool client_secret;     /**< AZURE_CLIENT_SECRET */
} app_identity_env;

typedef struct app_config {
  char host[APP_HOST_MAX]; /**< HOST, default "127.0.0.1". */
  int port;                /**< PORT, else WEBSITES_PORT, else 8000. */
  const char *port_var;    /**< "PORT", "WEBSITES_PORT" or "default". */
  char vault_url[APP_VAULT_URL_MAX]; /**< "" when not set. */
  const char *vault_url_var; /**< "KEY_VAULT_URL", "KEY_VAULT_URI" or NULL. */
  char secret_name[APP_SECRET_NAME_MAX]; /**< SECRET_NAME, default "secret". */
  int64_t cache_ttl_s;       /**< SECRET_CACHE_TTL, default 300; 0 = off. */
  int64_t stale_ttl_s;       /**< SECRET_STALE_TTL, default 3600. */
  app_display display;       /**< SECRET_DISPLAY, default full. */
  msikv_log_level log_level; /**< LOG_LEVEL, default info. */
  int threads;               /**< WEBAPP_THREADS, default 8. */
  int max_connections;       /**< WEBAPP_MAX_CONNECTIONS, default 256. */
  int connection_timeout_s;  /**< WEBAPP_CONNECTION_TIMEOUT, default 15. */
  char port_file[1024];      /**< WEBAPP_PORT_FILE: write the bound
                                  port here once listening; "" = no. */
  app_identity_env identity;
} app_config;

/** Looks up an environment variable; returns NULL when unset. */
typedef const char *(*app_getenv_fn)(void *ctx, const char *name);

/** The process environment (getenv). */
const char *app_getenv_process(void *ctx, const char *name);

/**
 * Reads and checks the configuration. An empty variable counts as unset.
 * @param[in] getenv_fn NULL means the process environment.
 * @param[out] out_cfg written only on success.
 * @param[out] out_err on failure, a message naming the variable and the fix.
 * @retval MSIKV_ERR_CONFIG for a bad value.
 */
MSIKV_NODISCARD msikv_result app_config_load(app_getenv_fn getenv_fn, void *ctx,
                                             app_config *out_cfg,
                                             msikv_error *out_err);

/** @return "full" or "masked". */
const char *app_display_name(app_display display);

#endif /* MSIKV_APP_CONFIG_H */
