/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msikv/parse.h"
#include "msikv/url.h"

const char *app_getenv_process(void *ctx, const char *name) {
  (void)ctx;
  return getenv(name);
}

const char *app_display_name(app_display display) {
  return display == APP_DISPLAY_MASKED ? "masked" : "full";
}

typedef struct env_reader {
  app_getenv_fn fn;
  void *ctx;
} env_reader;

/* An empty value counts as unset: App Service keeps deleted settings as "". */
static const char *env_get(const env_reader *env, const char *name) {
  const char *v = env->fn(env->ctx, name);
  return (v && v[0]) ? v : NULL;
}

static msikv_result parse_int(const env_reader *env, const char *name,
                              int64_t min, int64_t max, int64_t def,
                              const char *unit, int64_t *out,
                              msikv_error *out_err) {
  const char *v = env_get(env, name);
  if (!v) {
    *out = def;
    return MSIKV_OK;
  }
  msikv_result rc = msikv_parse_int64_str(v, min, max, out);
  if (rc)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "%s=\"%.64s\" is not valid: expected a whole number "
                           "of %s from %lld to %lld (default %lld)",
                           name, v, unit, (long long)min, (long long)max,
                           (long long)def);
  return MSIKV_OK;
}

static bool secret_name_ok(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n >= APP_SECRET_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-'))
      return false;
  }
  return true;
}

static msikv_result load_port(const env_reader *env, app_config *cfg,
                              msikv_error *out_err) {
  const char *vars[] = {"PORT", "WEBSITES_PORT"};
  for (size_t i = 0; i < 2; i++) {
    const char *v = env_get(env, vars[i]);
    if (!v)
      continue;
    int64_t port = 0;
    if (msikv_parse_int64_str(v, 0, 65535, &port))
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "%s=\"%.64s\" is not a valid port: expected a "
                             "number from 0 to 65535 (0 picks a free port)",
                             vars[i], v);
    cfg->port = (int)port;
    cfg->port_var = vars[i];
    return MSIKV_OK;
  }
  cfg->port = 8000;
  cfg->port_var = "default";
  return MSIKV_OK;
}

static msikv_result load_vault(const env_reader *env, app_config *cfg,
                               msikv_error *out_err) {
  const char *var = "KEY_VAULT_URL";
  const char *v = env_get(env, var);
  if (!v) {
    var = "KEY_VAULT_URI";
    v = env_get(env, var);
  }
  if (!v)
    return MSIKV_OK;
  if (strlen(v) >= sizeof(cfg->vault_url))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "%s is too long (%zu bytes): set it to the vault's "
                           "URL, e.g. https://<name>.vault.azure.net",
                           var, strlen(v));
  msikv_url url;
  msikv_error uerr;
  msikv_error_clear(&uerr);
  if (msikv_url_parse(v, &url, &uerr))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "%s is not a valid URL (%s): set it to the vault's "
                           "URL, e.g. https://<name>.vault.azure.net",
                           var, uerr.message);
  snprintf(cfg->vault_url, sizeof(cfg->vault_url), "%s", v);
  cfg->vault_url_var = var;
  return MSIKV_OK;
}

static void load_identity(const env_reader *env, app_identity_env *id) {
  id->identity_endpoint = env_get(env, "IDENTITY_ENDPOINT") != NULL;
  id->identity_header = env_get(env, "IDENTITY_HEADER") != NULL;
  id->msi_endpoint = env_get(env, "MSI_ENDPOINT") != NULL;
  id->msi_secret = env_get(env, "MSI_SECRET") != NULL;
  id->site_name = env_get(env, "APPSETTING_WEBSITE_SITE_NAME") != NULL;
  id->tenant_id = env_get(env, "AZURE_TENANT_ID") != NULL;
  id->client_id = env_get(env, "AZURE_CLIENT_ID") != NULL;
  id->client_secret = env_get(env, "AZURE_CLIENT_SECRET") != NULL;
  id->on_app_service =
      id->identity_endpoint || id->msi_endpoint || id->site_name;
}

msikv_result app_config_load(app_getenv_fn getenv_fn, void *ctx,
                             app_config *out_cfg, msikv_error *out_err) {
  env_reader env = {getenv_fn ? getenv_fn : app_getenv_process, ctx};
  app_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  msikv_result rc;
  int64_t n = 0;

  const char *host = env_get(&env, "HOST");
  if (!host)
    host = "127.0.0.1";
  if (strlen(host) >= sizeof(cfg.host))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "HOST is too long: set an address such as "
                           "127.0.0.1 or 0.0.0.0");
  snprintf(cfg.host, sizeof(cfg.host), "%s", host);

  if ((rc = load_port(&env, &cfg, out_err)))
    return rc;
  if ((rc = load_vault(&env, &cfg, out_err)))
    return rc;

  const char *name = env_get(&env, "SECRET_NAME");
  if (!name)
    name = "secret";
  if (!secret_name_ok(name))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "SECRET_NAME=\"%.64s\" is not a valid Key Vault "
                           "secret name: use 1-127 letters, digits and '-'",
                           name);
  snprintf(cfg.secret_name, sizeof(cfg.secret_name), "%s", name);

  if ((rc = parse_int(&env, "SECRET_CACHE_TTL", 0, 86400 * 30, 300, "seconds",
                      &cfg.cache_ttl_s, out_err)))
    return rc;
  if ((rc = parse_int(&env, "SECRET_STALE_TTL", 0, 86400 * 30, 3600, "seconds",
                      &cfg.stale_ttl_s, out_err)))
    return rc;

  const char *display = env_get(&env, "SECRET_DISPLAY");
  if (!display || strcmp(display, "full") == 0)
    cfg.display = APP_DISPLAY_FULL;
  else if (strcmp(display, "masked") == 0)
    cfg.display = APP_DISPLAY_MASKED;
  else
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "SECRET_DISPLAY=\"%.64s\" is not valid: use "
                           "\"full\" (show the value) or \"masked\" (show "
                           "only its length and fingerprint)",
                           display);

  const char *level = env_get(&env, "LOG_LEVEL");
  cfg.log_level = MSIKV_LOG_INFO;
  if (level && msikv_log_level_parse(level, &cfg.log_level))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "LOG_LEVEL=\"%.64s\" is not valid: use error, "
                           "warn, info or debug",
                           level);

  if ((rc = parse_int(&env, "WEBAPP_THREADS", 1, 256, 8, "threads", &n,
                      out_err)))
    return rc;
  cfg.threads = (int)n;
  if ((rc = parse_int(&env, "WEBAPP_MAX_CONNECTIONS", 1, 65536, 256,
                      "connections", &n, out_err)))
    return rc;
  cfg.max_connections = (int)n;
  if ((rc = parse_int(&env, "WEBAPP_CONNECTION_TIMEOUT", 1, 3600, 15, "seconds",
                      &n, out_err)))
    return rc;
  cfg.connection_timeout_s = (int)n;

  const char *port_file = env_get(&env, "WEBAPP_PORT_FILE");
  if (port_file && strlen(port_file) >= sizeof(cfg.port_file))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "WEBAPP_PORT_FILE is too long: use a shorter path");
  if (port_file)
    snprintf(cfg.port_file, sizeof(cfg.port_file), "%s", port_file);

  load_identity(&env, &cfg.identity);
  *out_cfg = cfg;
  return MSIKV_OK;
}
