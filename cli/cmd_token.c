/* SPDX-License-Identifier: MIT */
/* msikv token: prints an access token for scripts. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_SCOPE "https://vault.azure.net/.default"

int cli_cmd_token(const cli_args *args, const cli_env *env,
                  msikv_credential *cred) {
  const char *scope = args->scope ? args->scope : DEFAULT_SCOPE;
  msikv_token token = {NULL, 0, 0};
  msikv_error err;
  msikv_error_clear(&err);
  msikv_result rc =
      msikv_cred_get_token(cred, scope, args->tenant, &token, &err);
  if (rc) {
    cli_print_error(env->err, rc, &err);
    return CLI_EXIT_AUTH;
  }
  if (args->output == CLI_OUT_TEXT) {
    fprintf(env->out, "%s\n", token.token);
    msikv_token_clear(&token);
    return CLI_EXIT_OK;
  }
  cJSON *obj = cJSON_CreateObject();
  bool ok =
      obj && cJSON_AddStringToObject(obj, "token", token.token) &&
      cJSON_AddNumberToObject(obj, "expires_on", (double)token.expires_on_s) &&
      cJSON_AddStringToObject(obj, "credential", msikv_cred_name(cred)) &&
      cJSON_AddStringToObject(obj, "scope", scope);
  char *text = ok ? cJSON_Print(obj) : NULL;
  if (obj) {
    cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "token");
    if (t && t->valuestring)
      msikv_secure_zero(t->valuestring, strlen(t->valuestring));
    cJSON_Delete(obj);
  }
  msikv_token_clear(&token);
  if (!text) {
    cli_print_error(env->err, MSIKV_ERR_NOMEM, NULL);
    return CLI_EXIT_SERVICE;
  }
  fprintf(env->out, "%s\n", text);
  msikv_secret_free(text);
  return CLI_EXIT_OK;
}
