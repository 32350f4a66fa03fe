/* SPDX-License-Identifier: MIT */
/*
 * The state file: every vault, secret (live or soft-deleted), version and
 * access policy, as JSON. Saved whole after each acknowledged write (under
 * the store's lock, so saves are ordered like the writes), atomically and
 * durably (files.h). Values are stored in clear: the file is mode 0600, and
 * this is a mock.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "files.h"
#include "kv_internal.h"
#include "msikv/alloc.h"

#define STATE_FORMAT "msikv-mock-keyvault-state"
#define STATE_VERSION 1
#define STATE_MAX_BYTES ((size_t)512 << 20)

static const char *const PERMS[] = {"get",     "list",  "set",    "delete",
                                    "recover", "purge", "backup", "restore"};
#define NPERMS (sizeof(PERMS) / sizeof(PERMS[0]))

static cJSON *secret_json(const kv_secret *s) {
  cJSON *o = cJSON_CreateObject();
  cJSON *vs = o ? cJSON_AddArrayToObject(o, "versions") : NULL;
  bool ok = vs && cJSON_AddStringToObject(o, "name", s->name) &&
            cJSON_AddBoolToObject(o, "deleted", s->deleted);
  if (ok && s->deleted)
    ok = cJSON_AddNumberToObject(o, "deletedDate", (double)s->deleted_s) &&
         cJSON_AddNumberToObject(o, "scheduledPurgeDate", (double)s->purge_s);
  for (size_t i = 0; ok && i < s->version_count; i++) {
    cJSON *v = mock_kv__version_json(&s->versions[i]);
    ok = v != NULL;
    if (ok)
      cJSON_AddItemToArray(vs, v);
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *vault_json(const kv_vault *v) {
  cJSON *o = cJSON_CreateObject();
  cJSON *pols = o ? cJSON_AddArrayToObject(o, "accessPolicies") : NULL;
  cJSON *secrets = pols ? cJSON_AddArrayToObject(o, "secrets") : NULL;
  bool ok = secrets && cJSON_AddStringToObject(o, "name", v->name) &&
            cJSON_AddStringToObject(o, "location", v->location);
  for (size_t i = 0; ok && i < v->policy_count; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON *perms = p ? cJSON_CreateObject() : NULL;
    cJSON *list = perms ? cJSON_AddArrayToObject(perms, "secrets") : NULL;
    ok = list != NULL;
    for (size_t b = 0; ok && b < NPERMS; b++) {
      if (v->policies[i].perms & (1u << b)) {
        cJSON *n = cJSON_CreateString(PERMS[b]);
        ok = n != NULL;
        if (ok)
          cJSON_AddItemToArray(list, n);
      }
    }
    ok = ok && cJSON_AddStringToObject(p, "objectId", v->policies[i].object_id);
    if (ok) {
      cJSON_AddItemToObject(p, "permissions", perms);
      cJSON_AddItemToArray(pols, p);
    } else {
      cJSON_Delete(perms);
      cJSON_Delete(p);
    }
  }
  for (size_t i = 0; ok && i < v->secret_count; i++) {
    cJSON *s = secret_json(v->secrets[i]);
    ok = s != NULL;
    if (ok)
      cJSON_AddItemToArray(secrets, s);
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static void wipe_free(char *text) {
  if (text) {
    msikv_secure_zero(text, strlen(text));
    cJSON_free(text);
  }
}

msikv_result mock_kv__persist_locked(mock_kv *kv, msikv_error *out_err) {
  if (!kv->state_file)
    return MSIKV_OK;
  cJSON *root = cJSON_CreateObject();
  cJSON *vaults = root ? cJSON_AddArrayToObject(root, "vaults") : NULL;
  bool ok = vaults && cJSON_AddStringToObject(root, "format", STATE_FORMAT) &&
            cJSON_AddNumberToObject(root, "version", STATE_VERSION);
  for (size_t i = 0; ok && i < kv->vault_count; i++) {
    cJSON *v = vault_json(kv->vaults[i]);
    ok = v != NULL;
    if (ok)
      cJSON_AddItemToArray(vaults, v);
  }
  char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!text)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                           "out of memory while saving the state");
  size_t len = strlen(text);

  msikv_result rc =
      mock_file_replace_durable(kv->state_file, text, len, 0600, out_err);
  wipe_free(text);
  return rc;
}

msikv_result mock_kv_save_state(mock_kv *kv, msikv_error *out_err) {
  if (!kv)
    return MSIKV_ERR_ARG;
  pthread_mutex_lock(&kv->lock);
  msikv_result rc = mock_kv__persist_locked(kv, out_err);
  pthread_mutex_unlock(&kv->lock);
  return rc;
}

msikv_result mock_kv_set_state_file(mock_kv *kv, const char *path) {
  if (!kv)
    return MSIKV_ERR_ARG;
  char *copy = NULL;
  if (path) {
    copy = msikv_strdup(path);
    if (!copy)
      return MSIKV_ERR_NOMEM;
  }
  pthread_mutex_lock(&kv->lock);
  char *old = kv->state_file;
  kv->state_file = copy;
  pthread_mutex_unlock(&kv->lock);
  msikv_free(old);
  return MSIKV_OK;
}

/* ---- loading ---- */

static bool vault_name_ok(const char *name) {
  size_t n = strlen(name);
  if (n < 3 || n > 24 || !isalpha((unsigned char)name[0]))
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)name[i] >= 0x80 ||
        (!isalnum((unsigned char)name[i]) && name[i] != '-'))
      return false;
  return true;
}

static bool epoch(const cJSON *o, const char *key, int64_t *out) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 1e13)
    return false;
  *out = (int64_t)n->valuedouble;
  return true;
}

static msikv_result load_secret(kv_vault *v, const cJSON *js, size_t vi,
                                size_t si, msikv_error *out_err) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(js, "name");
  const cJSON *versions = cJSON_GetObjectItemCaseSensitive(js, "versions");
  const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(js, "deleted");
  if (!cJSON_IsString(name) || !mock_kv__name_valid(name->valuestring) ||
      mock_kv__secret_find(v, name->valuestring) || !cJSON_IsArray(versions) ||
      cJSON_GetArraySize(versions) < 1 || !cJSON_IsBool(deleted))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "vaults[%zu].secrets[%zu] needs a unique valid "
                           "\"name\", \"deleted\" and at least one version",
                           vi, si);
  kv_secret *s = NULL;
  msikv_result rc = mock_kv__secret_add(v, name->valuestring, &s);
  if (rc)
    return rc;
  s->deleted = cJSON_IsTrue(deleted);
  if (s->deleted && (!epoch(js, "deletedDate", &s->deleted_s) ||
                     !epoch(js, "scheduledPurgeDate", &s->purge_s)))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "vaults[%zu].secrets[%zu] is deleted but has no "
                           "deletedDate/scheduledPurgeDate",
                           vi, si);
  const cJSON *jv;
  size_t k = 0;
  cJSON_ArrayForEach(jv, versions) {
    rc = mock_kv__version_from_json(s, jv);
    if (rc == MSIKV_ERR_PARSE)
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "vaults[%zu].secrets[%zu].versions[%zu] is "
                             "malformed",
                             vi, si, k);
    if (rc)
      return rc;
    k++;
  }
  return MSIKV_OK;
}

static msikv_result load_policies(kv_vault *v, const cJSON *pols, size_t vi,
                                  msikv_error *out_err) {
  size_t n = (size_t)cJSON_GetArraySize(pols);
  if (n == 0)
    return MSIKV_OK;
  v->policies = msikv_calloc(n, sizeof(*v->policies));
  if (!v->policies)
    return MSIKV_ERR_NOMEM;
  const cJSON *p;
  cJSON_ArrayForEach(p, pols) {
    kv_policy *kp = &v->policies[v->policy_count];
    const cJSON *oid = cJSON_GetObjectItemCaseSensitive(p, "objectId");
    const cJSON *perms = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(p, "permissions"), "secrets");
    if (!cJSON_IsString(oid) || strlen(oid->valuestring) >= 64 ||
        !cJSON_IsArray(perms))
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "vaults[%zu].accessPolicies[%zu] is malformed", vi,
                             v->policy_count);
    snprintf(kp->object_id, sizeof(kp->object_id), "%s", oid->valuestring);
    const cJSON *w;
    cJSON_ArrayForEach(w, perms) {
      size_t b = 0;
      while (b < NPERMS &&
             !(cJSON_IsString(w) && strcmp(w->valuestring, PERMS[b]) == 0))
        b++;
      if (b == NPERMS)
        return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                               "vaults[%zu].accessPolicies[%zu] has an "
                               "unknown permission",
                               vi, v->policy_count);
      kp->perms |= 1u << b;
    }
    v->policy_count++;
  }
  return MSIKV_OK;
}

static msikv_result load_vaults(const cJSON *root, kv_vault ***out_vaults,
                                size_t *out_count, msikv_error *out_err) {
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
  const cJSON *vaults = cJSON_GetObjectItemCaseSensitive(root, "vaults");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, STATE_FORMAT) != 0 ||
      !cJSON_IsNumber(ver) || ver->valueint != STATE_VERSION ||
      !cJSON_IsArray(vaults))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "not a mock Key Vault state file (want "
                           "\"format\": \"%s\", \"version\": %d, "
                           "\"vaults\": [...])",
                           STATE_FORMAT, STATE_VERSION);
  size_t n = (size_t)cJSON_GetArraySize(vaults);
  kv_vault **list = n ? msikv_calloc(n, sizeof(*list)) : NULL;
  size_t count = 0;
  msikv_result rc = n && !list ? MSIKV_ERR_NOMEM : MSIKV_OK;
  const cJSON *jv;
  cJSON_ArrayForEach(jv, vaults) {
    if (rc)
      break;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(jv, "name");
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(jv, "location");
    const cJSON *pols = cJSON_GetObjectItemCaseSensitive(jv, "accessPolicies");
    const cJSON *secrets = cJSON_GetObjectItemCaseSensitive(jv, "secrets");
    if (!cJSON_IsString(name) || !vault_name_ok(name->valuestring) ||
        !cJSON_IsString(loc) || strlen(loc->valuestring) >= 64 ||
        !cJSON_IsArray(pols) || !cJSON_IsArray(secrets)) {
      rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "vaults[%zu] needs \"name\", \"location\", "
                           "\"accessPolicies\" and \"secrets\"",
                           count);
      break;
    }
    kv_vault *v = msikv_calloc(1, sizeof(*v));
    if (!v) {
      rc = MSIKV_ERR_NOMEM;
      break;
    }
    list[count++] = v;
    snprintf(v->name, sizeof(v->name), "%s", name->valuestring);
    for (char *p = v->name; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    snprintf(v->location, sizeof(v->location), "%s", loc->valuestring);
    rc = load_policies(v, pols, count - 1, out_err);
    const cJSON *js;
    size_t si = 0;
    cJSON_ArrayForEach(js, secrets) {
      if (rc)
        break;
      rc = load_secret(v, js, count - 1, si++, out_err);
    }
  }
  if (rc) {
    mock_kv__vaults_free(list, count);
    return rc;
  }
  *out_vaults = list;
  *out_count = count;
  return MSIKV_OK;
}

msikv_result mock_kv_load_state(mock_kv *kv, const char *path,
                                msikv_error *out_err) {
  if (!kv || !path)
    return MSIKV_ERR_ARG;
  char *text = NULL;
  size_t len = 0;
  msikv_result rc = mock_file_read(path, STATE_MAX_BYTES, &text, &len, out_err);
  if (rc)
    return rc;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
  kv_vault **vaults = NULL;
  size_t count = 0;
  if (!root || !cJSON_IsObject(root)) {
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "not JSON (error near byte %ld)",
                         end ? (long)(end - text) : 0L);
  } else {
    rc = load_vaults(root, &vaults, &count, out_err);
  }
  cJSON_Delete(root);
  msikv_secure_zero(text, len);
  msikv_free(text);
  if (rc) {
    msikv_error_prefix(out_err, "state file %s", path);
    return rc;
  }
  pthread_mutex_lock(&kv->lock);
  kv_vault **old = kv->vaults;
  size_t old_count = kv->vault_count;
  kv->vaults = vaults;
  kv->vault_count = count;
  pthread_mutex_unlock(&kv->lock);
  mock_kv__vaults_free(old, old_count);
  return MSIKV_OK;
}
