/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/config.h"

/* A fake environment: NULL-terminated name/value pairs. */
static const char *fake_getenv(void *ctx, const char *name) {
  const char *const *env = ctx;
  for (size_t i = 0; env[i]; i += 2)
    if (strcmp(env[i], name) == 0)
      return env[i + 1];
  return NULL;
}

static msikv_result load(const char *const *env, app_config *cfg,
                         msikv_error *err) {
  msikv_error_clear(err);
  return app_config_load(fake_getenv, (void *)env, cfg, err);
}

static void test_app_config_load_empty_defaults(void **state) {
  (void)state;
  const char *env[] = {NULL};
  app_config cfg;
  msikv_error err;
  assert_int_equal(load(env, &cfg, &err), MSIKV_OK);
  assert_string_equal(cfg.host, "127.0.0.1");
  assert_int_equal(cfg.port, 8000);
  assert_string_equal(cfg.port_var, "default");
  assert_string_equal(cfg.vault_url, "");
  assert_null(cfg.vault_url_var);
  assert_string_equal(cfg.secret_name, "secret");
  assert_int_equal(cfg.cache_ttl_s, 300);
  assert_int_equal(cfg.stale_ttl_s, 3600);
  assert_int_equal(cfg.display, APP_DISPLAY_FULL);
  assert_int_equal(cfg.log_level, MSIKV_LOG_INFO);
  assert_int_equal(cfg.threads, 8);
  assert_int_equal(cfg.max_connections, 256);
  assert_int_equal(cfg.connection_timeout_s, 15);
  assert_false(cfg.identity.on_app_service);
}

static void test_app_config_load_all_parsed(void **state) {
  (void)state;
  const char *env[] = {"HOST",
                       "0.0.0.0",
                       "PORT",
                       "8081",
                       "WEBSITES_PORT",
                       "9000",
                       "KEY_VAULT_URL",
                       "https://demo.vault.azure.net",
                       "KEY_VAULT_URI",
                       "https://other.vault.azure.net",
                       "SECRET_NAME",
                       "db-password",
                       "SECRET_CACHE_TTL",
                       "0",
                       "SECRET_STALE_TTL",
                       "60",
                       "SECRET_DISPLAY",
                       "masked",
                       "LOG_LEVEL",
                       "debug",
                       "WEBAPP_THREADS",
                       "3",
                       "WEBAPP_MAX_CONNECTIONS",
                       "100",
                       "WEBAPP_CONNECTION_TIMEOUT",
                       "5",
                       "IDENTITY_ENDPOINT",
                       "http://127.0.0.1:41000/msi",
                       "IDENTITY_HEADER",
                       "x",
                       NULL};
  app_config cfg;
  msikv_error err;
  assert_int_equal(load(env, &cfg, &err), MSIKV_OK);
  assert_string_equal(cfg.host, "0.0.0.0");
  assert_int_equal(cfg.port, 8081);
  assert_string_equal(cfg.port_var, "PORT");
  assert_string_equal(cfg.vault_url, "https://demo.vault.azure.net");
  assert_string_equal(cfg.vault_url_var, "KEY_VAULT_URL");
  assert_string_equal(cfg.secret_name, "db-password");
  assert_int_equal(cfg.cache_ttl_s, 0);
  assert_int_equal(cfg.stale_ttl_s, 60);
  assert_int_equal(cfg.display, APP_DISPLAY_MASKED);
  assert_int_equal(cfg.log_level, MSIKV_LOG_DEBUG);
  assert_int_equal(cfg.threads, 3);
  assert_int_equal(cfg.max_connections, 100);
  assert_int_equal(cfg.connection_timeout_s, 5);
  assert_true(cfg.identity.on_app_service);
  assert_true(cfg.identity.identity_endpoint);
  assert_true(cfg.identity.identity_header);
  assert_false(cfg.identity.msi_endpoint);
}

static void test_app_config_load_websitesPortAndUri_used(void **state) {
  (void)state;
  const char *env[] = {"PORT",
                       "",
                       "WEBSITES_PORT",
                       "9000",
                       "KEY_VAULT_URI",
                       "https://demo.vault.azure.net/",
                       NULL};
  app_config cfg;
  msikv_error err;
  assert_int_equal(load(env, &cfg, &err), MSIKV_OK);
  assert_int_equal(cfg.port, 9000);
  assert_string_equal(cfg.port_var, "WEBSITES_PORT");
  assert_string_equal(cfg.vault_url, "https://demo.vault.azure.net/");
  assert_string_equal(cfg.vault_url_var, "KEY_VAULT_URI");
}

static void test_app_config_load_siteNameOnly_onAppService(void **state) {
  (void)state;
  const char *env[] = {"APPSETTING_WEBSITE_SITE_NAME", "mysite",
                       "AZURE_CLIENT_ID", "abc", NULL};
  app_config cfg;
  msikv_error err;
  assert_int_equal(load(env, &cfg, &err), MSIKV_OK);
  assert_true(cfg.identity.on_app_service);
  assert_true(cfg.identity.site_name);
  assert_false(cfg.identity.identity_endpoint);
  assert_true(cfg.identity.client_id);
  assert_false(cfg.identity.client_secret);
}

typedef struct bad_case {
  const char *name;
  const char *value;
  const char *expect; /* A substring of the message. */
} bad_case;

static void test_app_config_load_badValues_configErrorNamingVar(void **state) {
  (void)state;
  const bad_case cases[] = {
      {"PORT", "80a", "PORT=\"80a\" is not a valid port"},
      {"PORT", "70000", "from 0 to 65535"},
      {"PORT", "-1", "PORT"},
      {"WEBSITES_PORT", " 80", "WEBSITES_PORT"},
      {"SECRET_CACHE_TTL", "5m", "SECRET_CACHE_TTL=\"5m\" is not valid"},
      {"SECRET_CACHE_TTL", "-1", "whole number of seconds"},
      {"SECRET_STALE_TTL", "x", "SECRET_STALE_TTL"},
      {"SECRET_DISPLAY", "partial", "use \"full\""},
      {"LOG_LEVEL", "verbose", "use error, warn, info or debug"},
      {"SECRET_NAME", "my_secret", "not a valid Key Vault secret name"},
      {"KEY_VAULT_URL", "not a url", "KEY_VAULT_URL is not a valid URL"},
      {"WEBAPP_THREADS", "0", "WEBAPP_THREADS"},
      {"WEBAPP_MAX_CONNECTIONS", "many", "WEBAPP_MAX_CONNECTIONS"},
      {"WEBAPP_CONNECTION_TIMEOUT", "0", "WEBAPP_CONNECTION_TIMEOUT"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *env[] = {cases[i].name, cases[i].value, NULL};
    app_config cfg;
    memset(&cfg, 0x5a, sizeof(cfg));
    msikv_error err;
    assert_int_equal(load(env, &cfg, &err), MSIKV_ERR_CONFIG);
    if (!strstr(err.message, cases[i].expect))
      fail_msg("%s=%s: message \"%s\" lacks \"%s\"", cases[i].name,
               cases[i].value, err.message, cases[i].expect);
    assert_int_equal(cfg.port, 0x5a5a5a5a); /* Untouched on failure. */
  }
}

static void test_app_config_load_logLevelCaseInsensitive_parsed(void **state) {
  (void)state;
  const char *env[] = {"LOG_LEVEL", "WARN", NULL};
  app_config cfg;
  msikv_error err;
  assert_int_equal(load(env, &cfg, &err), MSIKV_OK);
  assert_int_equal(cfg.log_level, MSIKV_LOG_WARN);
}

static void test_app_display_name_both_named(void **state) {
  (void)state;
  assert_string_equal(app_display_name(APP_DISPLAY_FULL), "full");
  assert_string_equal(app_display_name(APP_DISPLAY_MASKED), "masked");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_app_config_load_empty_defaults),
      cmocka_unit_test(test_app_config_load_all_parsed),
      cmocka_unit_test(test_app_config_load_websitesPortAndUri_used),
      cmocka_unit_test(test_app_config_load_siteNameOnly_onAppService),
      cmocka_unit_test(test_app_config_load_badValues_configErrorNamingVar),
      cmocka_unit_test(test_app_config_load_logLevelCaseInsensitive_parsed),
      cmocka_unit_test(test_app_display_name_both_named),
  };
  return cmocka_run_group_tests_name("app_config", tests, NULL, NULL);
}
