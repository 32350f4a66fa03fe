/* SPDX-License-Identifier: MIT */
/* Placeholder until the identity module lands: the app serves /ping,
 * /healthz and /metrics, and / explains that Key Vault is not wired. */
#include "kv_source.h"

#include <stddef.h>

struct app_kv_source {
  int unused;
};

msikv_result app_kv_source_new(const app_config *cfg, app_metrics *metrics,
                               app_kv_source **out_source,
                               msikv_error *out_err) {
  (void)cfg;
  (void)metrics;
  (void)out_source;
  return msikv_error_set(out_err, MSIKV_ERR_UNSUPPORTED,
                         "this build has no identity module yet");
}

static msikv_result fetch(void *ctx, app_fetched *out, msikv_error *err) {
  (void)ctx;
  (void)out;
  return msikv_error_set(err, MSIKV_ERR_UNSUPPORTED, "not wired");
}

app_secret_source app_kv_source_seam(app_kv_source *source) {
  app_secret_source s = {fetch, source};
  return s;
}

const char *app_kv_source_credential_name(const app_kv_source *source) {
  (void)source;
  return NULL;
}

void app_kv_source_free(app_kv_source *source) { (void)source; }
