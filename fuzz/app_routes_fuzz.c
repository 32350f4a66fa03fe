/* SPDX-License-Identifier: MIT */
/* The web app's routes with a secret value, path and Accept header taken
 * from the input: the HTML page never lets a '<' or '"' of the value
 * through, and the JSON page always parses back to the value. */
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "app/routes.h"
#include "app/testing/fake_source.h"
#include "msikv/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_getenv(void *ctx, const char *name) {
  (void)ctx;
  return strcmp(name, "KEY_VAULT_URL") == 0 ? "https://demo.vault.azure.net"
                                            : NULL;
}

/* Splits "value\npath\naccept" (missing parts are ""). */
static void split(char *text, char **parts, int n) {
  for (int i = 0; i < n; i++) {
    parts[i] = text;
    char *nl = text ? strchr(text, '\n') : NULL;
    if (nl) {
      *nl = '\0';
      text = nl + 1;
    } else {
      text = NULL;
    }
    if (!parts[i])
      parts[i] = (char *)"";
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool ready;
  if (!ready) {
    if (msikv_global_init())
      return 0;
    ready = true;
  }
  char *text = msikv_strndup((const char *)data, size > 4096 ? 4096 : size);
  if (!text)
    return 0;
  char *parts[3];
  split(text, parts, 3);
  app_config cfg;
  if (app_config_load(fuzz_getenv, NULL, &cfg, NULL)) {
    msikv_free(text);
    return 0;
  }
  fake_source fs;
  fake_source_init(&fs, parts[0]);
  app_secret_source seam = fake_source_seam(&fs);
  app_state app;
  memset(&app, 0, sizeof(app));
  app.config = &cfg;
  if (app_cache_new(&seam, NULL, &app.cache) == MSIKV_OK) {
    const char *accepts[] = {parts[2], "text/html", "application/json"};
    const char *paths[] = {parts[1], "/"};
    for (int p = 0; p < 2; p++) {
      for (int a = 0; a < 3; a++) {
        app_request req = {"GET", paths[p], accepts[a]};
        app_response resp;
        app_response_init(&resp);
        app_handle(&app, &req, &resp);
        const char *body = resp.body.data ? resp.body.data : "";
        bool json = strstr(accepts[a], "application/json") != NULL;
        if (resp.route == APP_ROUTE_ROOT && resp.status == 200 && !json) {
          const char *v = strstr(body, "My secret value is ");
          const char *end = v ? strstr(v, "</p>") : NULL;
          if (!v || !end)
            __builtin_trap();
          for (const char *c = v; c < end; c++)
            if (*c == '<' || *c == '"')
              __builtin_trap();
        }
        if (resp.route == APP_ROUTE_ROOT && resp.status == 200 && json) {
          cJSON *j = cJSON_Parse(body);
          cJSON *value = cJSON_GetObjectItem(j, "value");
          /* fs.value: what the source holds (truncated to its size). */
          if (!cJSON_IsString(value) ||
              strcmp(value->valuestring, fs.value) != 0)
            __builtin_trap();
          cJSON_Delete(j);
        }
        app_response_free(&resp);
      }
    }
    app_cache_free(app.cache);
  }
  fake_source_free(&fs);
  msikv_free(text);
  return 0;
}
