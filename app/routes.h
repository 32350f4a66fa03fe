/* SPDX-License-Identifier: MIT */
/**
 * @file routes.h
 * @brief The web app's routes: pure handlers over a plain request/response.
 *
 * Only server.c knows about libmicrohttpd; everything here is tested with
 * plain structs and a fake secret source.
 */
#ifndef MSIKV_APP_ROUTES_H
#define MSIKV_APP_ROUTES_H

#include <stdbool.h>

#include "config.h"
#include "metrics.h"
#include "msikv/buffer.h"
#include "msikv/result.h"
#include "secret_cache.h"

/** A request. Every pointer is borrowed for the handler call. */
typedef struct app_request {
  const char *method; /**< "GET", "HEAD", ... */
  const char *path;   /**< Without the query string. */
  const char *accept; /**< The Accept header, or NULL. */
} app_request;

/** A response. `body` is a secret buffer (it may hold the value). */
typedef struct app_response {
  int status;
  const char *content_type;  /**< Static. */
  const char *cache_control; /**< Static, or NULL. */
  const char *allow;         /**< Static, for 405; or NULL. */
  int retry_after_s;         /**< 0 = no Retry-After header. */
  app_route route;           /**< For metrics. */
  const char *cache_outcome; /**< Static, for the access log; or NULL. */
  msikv_buf body;
} app_response;

void app_response_init(app_response *resp);
void app_response_free(app_response *resp);

/** What the handlers work with; the caller owns every member. */
typedef struct app_state {
  const app_config *config;
  app_cache *cache;            /**< NULL when setup failed (see setup_rc). */
  app_metrics *metrics;        /**< May be NULL. */
  const char *credential_name; /**< For pages; may be NULL. */
  msikv_result setup_rc; /**< Why there is no cache (credential creation). */
  msikv_error setup_err;
} app_state;

/**
 * Answers @p req into @p resp (initialised by the caller). Never fails: an
 * allocation failure becomes a bare 500.
 */
void app_handle(app_state *app, const app_request *req, app_response *resp);

/** What went wrong and how to fix it, for a failure page. */
typedef struct app_failure {
  int status;
  const char *code;  /**< Static: "AccessDenied", "SecretNotFound", ... */
  const char *title; /**< Static. */
  char detail[1400];
  char fix[1400];
  int retry_after_s;
} app_failure;

/**
 * Explains a failed fetch. @p info may name the credential, principal and
 * stage (NULL when unknown).
 */
void app_explain_failure(const app_config *cfg, msikv_result rc,
                         const msikv_error *err, const app_fetched *info,
                         app_failure *out);

#endif /* MSIKV_APP_ROUTES_H */
