/* SPDX-License-Identifier: MIT */
/* The web app's request handling (app_handle) with a fake secret source
 * whose value, error and configuration come from the input. Lines: method,
 * path, Accept, value, error message, SECRET_DISPLAY, KEY_VAULT_URL,
 * SECRET_NAME. The first byte picks the source's result and stage.
 *
 * Invariants: a valid status and a content type; HTML never carries a value
 * or message containing '<' unescaped; JSON bodies parse; a masked display
 * never shows the value; only GET/HEAD / ever carries the value. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "app/routes.h"
#include "app/testing/fake_source.h"
#include "fuzz_util.h"
#include "msikv/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 8
/* Put before the value so that the value cannot be text the page carries
 * anyway ("Hello world"). */
#define MARK "Vq7xK"

static const char *env_get(void *ctx, const char *name) {
  const char *const *env = ctx;
  for (size_t i = 0; env[i]; i += 2)
    if (strcmp(env[i], name) == 0)
      return env[i + 1][0] ? env[i + 1] : NULL;
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t flags = data[0];
  char *text = msikv_strndup((const char *)data + 1, size - 1);
  if (!text)
    return 0;
  const char *field[FIELDS] = {"GET", "/", "", "", "", "", "", ""};
  char *p = text;
  for (int i = 0; i < FIELDS && p; i++) {
    field[i] = p;
    char *nl = strchr(p, '\n');
    if (nl)
      *nl++ = '\0';
    p = nl;
  }
  const char *env[] = {"SECRET_DISPLAY", field[5], "KEY_VAULT_URL", field[6],
                       "SECRET_NAME",    field[7], NULL};
  app_config cfg;
  if (app_config_load(env_get, (void *)env, &cfg, NULL) != MSIKV_OK) {
    const char *fallback[] = {"KEY_VAULT_URL", "https://demo.vault.azure.net",
                              NULL};
    FUZZ_CHECK(app_config_load(env_get, (void *)fallback, &cfg, NULL) ==
               MSIKV_OK);
  }
  fake_source fs;
  char value[sizeof(((fake_source *)0)->value)];
  snprintf(value, sizeof(value), MARK "%s", field[3]);
  fake_source_init(&fs, value);
  static const msikv_result rcs[] = {
      MSIKV_OK,           MSIKV_ERR_FORBIDDEN, MSIKV_ERR_NOT_FOUND,
      MSIKV_ERR_AUTH,     MSIKV_ERR_TIMEOUT,   MSIKV_ERR_TRANSPORT,
      MSIKV_ERR_THROTTLED, MSIKV_ERR_UNAVAILABLE, MSIKV_ERR_CONFIG,
      MSIKV_ERR_HTTP,     MSIKV_ERR_INSECURE,  MSIKV_ERR_PARSE};
  msikv_result rc = rcs[(flags & 0x0f) % (sizeof(rcs) / sizeof(rcs[0]))];
  fake_source_set(&fs, rc, NULL, NULL);
  fs.stage = (app_fail_stage)((flags >> 4) & 3);
  snprintf(fs.message, sizeof(fs.message), "%s", field[4]);

  app_metrics *metrics = NULL;
  app_state app;
  memset(&app, 0, sizeof(app));
  app.config = &cfg;
  app.credential_name = "FakeCredential";
  if (flags & 0x40) {
    /* No cache: the credential could not be made. */
    app.setup_rc = MSIKV_ERR_CONFIG;
    msikv_error_set(&app.setup_err, MSIKV_ERR_CONFIG, "%s", field[4]);
  } else {
    app_secret_source seam = fake_source_seam(&fs);
    app_cache_options o = app_cache_options_default();
    o.ttl_ms = cfg.cache_ttl_s * 1000;
    o.stale_ms = cfg.stale_ttl_s * 1000;
    FUZZ_CHECK(app_cache_new(&seam, &o, &app.cache) == MSIKV_OK);
  }
  if ((flags & 0x80) && app_metrics_new(&metrics) == MSIKV_OK)
    app.metrics = metrics;

  app_request req = {field[0], field[1], field[2][0] ? field[2] : NULL};
  app_response resp;
  app_response_init(&resp);
  app_handle(&app, &req, &resp);

  FUZZ_CHECK(resp.status >= 200 && resp.status <= 599);
  FUZZ_CHECK(resp.content_type != NULL);
  const char *body = resp.body.data ? resp.body.data : "";
  FUZZ_CHECK(strlen(body) == resp.body.len);
  bool html = strncmp(resp.content_type, "text/html", 9) == 0;
  bool json = strncmp(resp.content_type, "application/json", 16) == 0;
  bool root = strcmp(field[1], "/") == 0 &&
              (strcmp(field[0], "GET") == 0 || strcmp(field[0], "HEAD") == 0);
  /* The marker can only come from the value unless the input has it. */
  bool mark_in_input = false;
  for (size_t i = 0; i + 5 <= size; i++)
    if (memcmp(data + i, MARK, 5) == 0)
      mark_in_input = true;
  if (mark_in_input)
    ;
  else if (!root || cfg.display == APP_DISPLAY_MASKED || rc != MSIKV_OK ||
      (flags & 0x40))
    FUZZ_CHECK(strstr(body, MARK) == NULL);
  if (html && strchr(value, '<'))
    FUZZ_CHECK(strstr(body, value) == NULL);
  if (html && strchr(fs.message, '<') && strlen(fs.message) >= 8)
    FUZZ_CHECK(strstr(body, fs.message) == NULL);
  if (json && resp.status != 500) {
    cJSON *back = cJSON_ParseWithLength(body, resp.body.len);
    FUZZ_CHECK(back != NULL);
    cJSON_Delete(back);
  }

  app_response_free(&resp);
  app_cache_free(app.cache);
  app_metrics_free(metrics);
  fake_source_free(&fs);
  msikv_free(text);
  return 0;
}
