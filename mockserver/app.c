/* SPDX-License-Identifier: MIT */
#include "app.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "msikv/alloc.h"
#include "util.h"

static bool kv_host_matches(void *ctx, const char *host) {
  return ctx && mock_kv_host_matches(ctx, host);
}

/* @p restore: load the state file when it exists (start-up); otherwise the
 * seeded state replaces it (reset). */
static msikv_result make_kv(mock_app *app, bool restore, mock_kv **out_kv,
                            msikv_error *out_err) {
  mock_kv_config cfg = {
      .dns_suffix = app->dns_suffix,
      .port = app->tls_port,
      .authority = app->authority,
      .tenant_id = app->principals.tenant_id,
      .max_value_bytes = app->value_max_bytes,
      .recoverable_days = 90,
      .verify = mock_jwt_verify,
      .verify_ctx = app->verifier,
  };
  mock_kv *kv = NULL;
  msikv_result rc = mock_kv_new(&cfg, &kv);
  if (rc)
    return msikv_error_set(out_err, rc, "cannot create the mock Key Vault");
  const cJSON *vaults =
      app->seed ? cJSON_GetObjectItemCaseSensitive(app->seed, "vaults") : NULL;
  if (vaults)
    rc = mock_kv_seed_json(kv, vaults, out_err);
  else
    rc = mock_kv_seed_default(kv);
  if (!rc && app->state_file[0]) {
    rc = mock_kv_set_state_file(kv, app->state_file);
    if (!rc && restore)
      rc = mock_kv_load_state(kv, app->state_file, out_err);
    if (rc == MSIKV_ERR_NOT_FOUND || (!rc && !restore))
      rc = mock_kv_save_state(kv, out_err);
  }
  if (rc) {
    mock_kv_free(kv);
    return rc;
  }
  if (app->replication_lag_ms)
    mock_kv_set_replication_lag_ms(kv, app->replication_lag_ms);
  *out_kv = kv;
  return MSIKV_OK;
}

msikv_result mock_app_new(const mock_app_config *cfg, mock_app **out_app,
                          msikv_error *out_err) {
  mock_app *app = msikv_calloc(1, sizeof(*app));
  msikv_result rc = MSIKV_ERR_NOMEM;
  if (!app)
    return rc;
  pthread_rwlock_init(&app->kv_lock, NULL);
  mock_clock_init(&app->clock);
  snprintf(app->dns_suffix, sizeof(app->dns_suffix), "%s",
           cfg->dns_suffix ? cfg->dns_suffix : "vault.localhost");
  app->tls_port = cfg->tls_port;
  app->msi_port = cfg->msi_port;
  app->admin_port = cfg->admin_port;
  app->key = cfg->key;
  app->value_max_bytes = cfg->value_max_bytes ? cfg->value_max_bytes : 25600;
  app->token_lifetime_s =
      cfg->token_lifetime_s > 0 ? cfg->token_lifetime_s : 3600;
  snprintf(app->ca_path, sizeof(app->ca_path), "%s",
           cfg->ca_path ? cfg->ca_path : "");
  snprintf(app->state_file, sizeof(app->state_file), "%s",
           cfg->state_file ? cfg->state_file : "");
  if (cfg->tls_port == 443) {
    snprintf(app->authority, sizeof(app->authority), "https://login.localhost");
    snprintf(app->resource, sizeof(app->resource), "https://%s",
             app->dns_suffix);
  } else {
    snprintf(app->authority, sizeof(app->authority),
             "https://login.localhost:%d", cfg->tls_port);
    snprintf(app->resource, sizeof(app->resource), "https://%s:%d",
             app->dns_suffix, cfg->tls_port);
  }
  mock_random_hex(app->identity_header, 16);
  mock_random_hex(app->msi_secret, 16);
  if (cfg->seed) {
    app->seed = cJSON_Duplicate(cfg->seed, true);
    if (!app->seed)
      goto fail;
    rc = mock_principals_from_json(
        cJSON_GetObjectItemCaseSensitive(cfg->seed, "tenant_id"),
        cJSON_GetObjectItemCaseSensitive(cfg->seed, "principals"),
        &app->principals, out_err);
    if (rc)
      goto fail;
  } else {
    mock_principals_default(&app->principals);
  }
  rc = mock_jwt_verifier_new(cfg->key, app->resource, app->principals.tenant_id,
                             &app->verifier);
  if (!rc)
    rc = mock_faults_new(&app->faults);
  if (!rc)
    rc = mock_reqlog_new(cfg->reqlog_capacity ? cfg->reqlog_capacity : 10000,
                         &app->log);
  if (rc)
    goto fail;
  app->msi = (mock_msi_config){
      .principals = &app->principals,
      .key = cfg->key,
      .identity_header = app->identity_header,
      .msi_secret = app->msi_secret,
      .token_lifetime_s = app->token_lifetime_s,
      .legacy_format = cfg->legacy_format,
  };
  app->entra = (mock_entra_config){
      .principals = &app->principals,
      .key = cfg->key,
      .authority = app->authority,
      .token_lifetime_s = app->token_lifetime_s,
  };
  rc = make_kv(app, true, &app->kv, out_err);
  if (rc)
    goto fail;
  *out_app = app;
  return MSIKV_OK;
fail:
  if (rc == MSIKV_ERR_NOMEM)
    msikv_error_set(out_err, rc, "out of memory while starting the mock");
  mock_app_free(app);
  return rc;
}

void mock_app_free(mock_app *app) {
  if (!app)
    return;
  mock_kv_free(app->kv);
  mock_reqlog_free(app->log);
  mock_faults_free(app->faults);
  mock_jwt_verifier_free(app->verifier);
  cJSON_Delete(app->seed);
  pthread_rwlock_destroy(&app->kv_lock);
  msikv_secure_zero(app->identity_header, sizeof(app->identity_header));
  msikv_secure_zero(app->msi_secret, sizeof(app->msi_secret));
  msikv_free(app);
}

msikv_result mock_app_reset(mock_app *app) {
  mock_faults_clear(app->faults);
  mock_reqlog_clear(app->log);
  mock_clock_set_shift(&app->clock, 0);
  pthread_rwlock_wrlock(&app->kv_lock);
  app->replication_lag_ms = 0;
  mock_kv *kv = NULL;
  msikv_result rc = make_kv(app, false, &kv, NULL);
  if (!rc) {
    mock_kv_free(app->kv);
    app->kv = kv;
  }
  pthread_rwlock_unlock(&app->kv_lock);
  return rc;
}

static double roll(void) {
  uint32_t r = 0;
  if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
    return 0.0;
  return (double)r / 4294967296.0;
}

void mock_app_handle(mock_app *app, mock_request *req, mock_response *resp) {
  req->now_ms = mock_clock_now_ms(&app->clock);
  if (req->listener == MOCK_LISTENER_ADMIN) {
    mock_router router = {NULL, NULL};
    if (mock_router_match(&router, req) == MOCK_ROUTE_ADMIN)
      mock_admin_handle(app, req, resp);
    else
      (void)mock_response_text(resp, 404,
                               "The admin API lives under /admin/.\n");
    return;
  }
  pthread_rwlock_rdlock(&app->kv_lock);
  mock_router router = {kv_host_matches, app->kv};
  mock_route route = mock_router_match(&router, req);
  const char *name = mock_route_name(route);
  mock_fault fault;
  bool faulted = route != MOCK_ROUTE_NONE &&
                 mock_faults_take(app->faults, name, req->method, req->path,
                                  roll(), &fault);
  bool done = faulted && mock_fault_apply_before(&fault, resp);
  if (!done) {
    switch (route) {
    case MOCK_ROUTE_KV:
      mock_kv_handle(app->kv, req, resp);
      break;
    case MOCK_ROUTE_ENTRA:
      mock_entra_handle(&app->entra, req, resp);
      break;
    case MOCK_ROUTE_MSI:
      mock_msi_handle(&app->msi, req, resp);
      break;
    case MOCK_ROUTE_IMDS:
      mock_imds_handle(&app->msi, req, resp);
      break;
    default: {
      char msg[512];
      snprintf(msg, sizeof(msg),
               "Nothing here: the mock routes https://{vault}.%s, "
               "https://login.localhost, and on the managed-identity port "
               "/msi/token and /metadata/identity/oauth2/token.\n",
               app->dns_suffix);
      (void)mock_response_text(resp, 404, msg);
      break;
    }
    }
    if (faulted)
      mock_fault_apply_after(&fault, resp);
  }
  pthread_rwlock_unlock(&app->kv_lock);
  mock_reqlog_add(app->log, req, name,
                  resp->reset_connection ? 0 : resp->status,
                  faulted ? mock_fault_kind_name(fault.kind) : NULL);
}
