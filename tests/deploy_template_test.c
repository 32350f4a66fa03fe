/* SPDX-License-Identifier: MIT */
/* Checks deploy/azuredeploy.json: the resources the recipe relies on, the
 * managed identity wiring, and that the secret never leaks into outputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *template_json;

static char *read_runfile(const char *rel) {
  const char *srcdir = getenv("TEST_SRCDIR");
  const char *ws = getenv("TEST_WORKSPACE");
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s/%s", srcdir ? srcdir : ".",
           ws ? ws : "msikv", rel);
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *text = malloc((size_t)n + 1);
  if (text && fread(text, 1, (size_t)n, fp) != (size_t)n) {
    free(text);
    text = NULL;
  }
  if (text)
    text[n] = '\0';
  fclose(fp);
  return text;
}

static int setup(void **state) {
  (void)state;
  char *text = read_runfile("deploy/azuredeploy.json");
  if (!text)
    return -1;
  template_json = cJSON_Parse(text);
  free(text);
  return template_json ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  cJSON_Delete(template_json);
  return 0;
}

static const cJSON *resource(const char *type) {
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(template_json, "resources")) {
    const cJSON *t = cJSON_GetObjectItem(r, "type");
    if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)
      return r;
  }
  fail_msg("no resource of type %s", type);
  return NULL;
}

static const char *str_at(const cJSON *obj, const char *path) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", path);
  const cJSON *cur = obj;
  for (char *save = NULL, *part = strtok_r(buf, ".", &save); part && cur;
       part = strtok_r(NULL, ".", &save))
    cur = cJSON_GetObjectItem(cur, part);
  return cJSON_IsString(cur) ? cur->valuestring : NULL;
}

static const char *app_setting(const char *name) {
  const cJSON *site = resource("Microsoft.Web/sites");
  const cJSON *props = cJSON_GetObjectItem(site, "properties");
  const cJSON *config = cJSON_GetObjectItem(props, "siteConfig");
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(config, "appSettings")) {
    if (strcmp(cJSON_GetObjectItem(s, "name")->valuestring, name) == 0)
      return cJSON_GetObjectItem(s, "value")->valuestring;
  }
  return NULL;
}

static void test_template_resources_have_api_versions(void **state) {
  (void)state;
  const char *types[] = {"Microsoft.Web/serverfarms",
                         "Microsoft.Web/sites",
                         "Microsoft.Authorization/roleAssignments",
                         "Microsoft.KeyVault/vaults",
                         "Microsoft.KeyVault/vaults/accessPolicies",
                         "Microsoft.KeyVault/vaults/secrets"};
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
    const char *api = str_at(resource(types[i]), "apiVersion");
    assert_non_null(api);
    assert_true(strlen(api) == 10 && api[4] == '-' && strncmp(api, "202", 3) == 0);
  }
  const cJSON *plan = resource("Microsoft.Web/serverfarms");
  assert_string_equal(str_at(plan, "kind"), "linux");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(
      cJSON_GetObjectItem(plan, "properties"), "reserved")));
}

static void test_template_site_has_system_assigned_identity(void **state) {
  (void)state;
  const cJSON *site = resource("Microsoft.Web/sites");
  assert_string_equal(str_at(site, "identity.type"), "SystemAssigned");
  assert_string_equal(str_at(site, "properties.siteConfig.healthCheckPath"),
                      "/healthz");
  const char *fx = str_at(site, "properties.siteConfig.linuxFxVersion");
  assert_non_null(strstr(fx, "DOCKER|"));
  assert_non_null(strstr(fx, "parameters('containerImage')"));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(site, "properties"),
                          "siteConfig"),
      "acrUseManagedIdentityCreds")));
}

static void test_template_access_policy_references_site_principal(void **state) {
  (void)state;
  const cJSON *ap = resource("Microsoft.KeyVault/vaults/accessPolicies");
  const cJSON *list =
      cJSON_GetObjectItem(cJSON_GetObjectItem(ap, "properties"), "accessPolicies");
  assert_int_equal(cJSON_GetArraySize(list), 1);
  const cJSON *p = cJSON_GetArrayItem(list, 0);
  const char *oid = str_at(p, "objectId");
  assert_non_null(strstr(oid, "reference(variables('siteId')"));
  assert_non_null(strstr(oid, ".identity.principalId"));
  const cJSON *secrets =
      cJSON_GetObjectItem(cJSON_GetObjectItem(p, "permissions"), "secrets");
  assert_int_equal(cJSON_GetArraySize(secrets), 1);
  assert_string_equal(cJSON_GetArrayItem(secrets, 0)->valuestring, "get");
  const cJSON *vault = resource("Microsoft.KeyVault/vaults");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(
      cJSON_GetObjectItem(vault, "properties"), "enableSoftDelete")));
}

static void test_template_acr_pull_granted_to_site(void **state) {
  (void)state;
  const cJSON *ra = resource("Microsoft.Authorization/roleAssignments");
  /* AcrPull's built-in role definition id. */
  assert_string_equal(str_at(template_json, "variables.acrPullRoleId"),
                      "7f951dda-4ed3-4680-a7ca-43fe172d538d");
  assert_non_null(strstr(str_at(ra, "properties.roleDefinitionId"),
                         "variables('acrPullRoleId')"));
  assert_non_null(strstr(str_at(ra, "properties.principalId"),
                         "reference(variables('siteId')"));
  assert_non_null(strstr(str_at(ra, "scope"), "Microsoft.ContainerRegistry"));
}

static void test_template_secret_is_securestring_never_output(void **state) {
  (void)state;
  assert_string_equal(str_at(template_json, "parameters.secretValue.type"),
                      "securestring");
  const cJSON *secret = resource("Microsoft.KeyVault/vaults/secrets");
  assert_non_null(strstr(str_at(secret, "name"), "'/secret'"));
  assert_string_equal(str_at(secret, "properties.value"),
                      "[parameters('secretValue')]");
  char *outputs = cJSON_PrintUnformatted(cJSON_GetObjectItem(template_json,
                                                             "outputs"));
  assert_null(strstr(outputs, "secretValue"));
  free(outputs);
  assert_non_null(str_at(template_json, "outputs.siteUrl.value"));
  /* The value appears in exactly one place: the secret resource. */
  char *all = cJSON_PrintUnformatted(template_json);
  const char *first = strstr(all, "parameters('secretValue')");
  assert_non_null(first);
  assert_null(strstr(first + 1, "parameters('secretValue')"));
  free(all);
}

static void test_template_app_settings_wired(void **state) {
  (void)state;
  const char *kv = app_setting("KEY_VAULT_URL");
  assert_non_null(kv);
  assert_non_null(strstr(kv, "reference(variables('vaultId')"));
  assert_non_null(strstr(kv, ".vaultUri"));
  assert_non_null(app_setting("WEBSITES_PORT"));
  assert_string_equal(app_setting("SECRET_DISPLAY"),
                      "[parameters('secretDisplay')]");
  assert_string_equal(
      str_at(template_json, "parameters.secretDisplay.defaultValue"), "masked");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_template_resources_have_api_versions),
      cmocka_unit_test(test_template_site_has_system_assigned_identity),
      cmocka_unit_test(test_template_access_policy_references_site_principal),
      cmocka_unit_test(test_template_acr_pull_granted_to_site),
      cmocka_unit_test(test_template_secret_is_securestring_never_output),
      cmocka_unit_test(test_template_app_settings_wired),
  };
  return cmocka_run_group_tests_name("deploy_template", tests, setup, teardown);
}
