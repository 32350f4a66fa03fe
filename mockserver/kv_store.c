/* SPDX-License-Identifier: MIT */
/* The mock Key Vault's state: vaults, secrets, versions, policies, seeding. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "kv_internal.h"
#include "msikv/alloc.h"
#include "msikv/clock.h"

#define DEFAULT_MAX_VALUE_BYTES 25600
#define DEFAULT_RECOVERABLE_DAYS 90
#define DEFAULT_LOCATION "local"

void mock_kv__random_hex(char *out, size_t n_bytes) {
  static const char hex[] = "0123456789abcdef";
  unsigned char buf[64];
  if (n_bytes > sizeof(buf))
    n_bytes = sizeof(buf);
  if (RAND_bytes(buf, (int)n_bytes) != 1) {
    /* Never expected; fall back to something unique enough for a mock. */
    static unsigned long counter;
    for (size_t i = 0; i < n_bytes; i++)
      buf[i] = (unsigned char)((++counter * 2654435761u) >> 13);
  }
  for (size_t i = 0; i < n_bytes; i++) {
    out[2 * i] = hex[buf[i] >> 4];
    out[2 * i + 1] = hex[buf[i] & 15];
  }
  out[2 * n_bytes] = '\0';
}

bool mock_kv__name_valid(const char *name) {
  size_t n = 0;
  for (const char *p = name; *p; p++, n++) {
    if (!isalnum((unsigned char)*p) && *p != '-')
      return false;
    if ((unsigned char)*p >= 0x80)
      return false;
  }
  return n >= 1 && n <= KV_NAME_MAX;
}

static bool vault_name_valid(const char *name) {
  size_t n = strlen(name);
  if (n < 3 || n > 24 || !isalpha((unsigned char)name[0]))
    return false;
  for (size_t i = 0; i < n; i++) {
    if (((unsigned char)name[i] >= 0x80) ||
        (!isalnum((unsigned char)name[i]) && name[i] != '-'))
      return false;
  }
  return true;
}

void mock_kv__version_clear(kv_version *v) {
  msikv_secret_free(v->value);
  msikv_free(v->content_type);
  cJSON_Delete(v->tags);
  memset(v, 0, sizeof(*v));
}

void mock_kv__secret_free(kv_secret *secret) {
  if (!secret)
    return;
  for (size_t i = 0; i < secret->version_count; i++)
    mock_kv__version_clear(&secret->versions[i]);
  msikv_free(secret->versions);
  msikv_free(secret);
}

static void vault_free(kv_vault *vault) {
  if (!vault)
    return;
  for (size_t i = 0; i < vault->secret_count; i++)
    mock_kv__secret_free(vault->secrets[i]);
  msikv_free(vault->secrets);
  msikv_free(vault->policies);
  msikv_free(vault);
}

void mock_kv__vaults_free(kv_vault **vaults, size_t count) {
  for (size_t i = 0; i < count; i++)
    vault_free(vaults[i]);
  msikv_free(vaults);
}

kv_vault *mock_kv__vault_find(const mock_kv *kv, const char *name) {
  for (size_t i = 0; i < kv->vault_count; i++) {
    if (strcasecmp(kv->vaults[i]->name, name) == 0)
      return kv->vaults[i];
  }
  return NULL;
}

kv_secret *mock_kv__secret_find(const kv_vault *vault, const char *name) {
  for (size_t i = 0; i < vault->secret_count; i++) {
    if (strcasecmp(vault->secrets[i]->name, name) == 0)
      return vault->secrets[i];
  }
  return NULL;
}

msikv_result mock_kv__secret_add(kv_vault *vault, const char *name,
                                 kv_secret **out) {
  if (strlen(name) > KV_NAME_MAX)
    return MSIKV_ERR_ARG;
  if (vault->secret_count == vault->secret_cap) {
    size_t cap = vault->secret_cap ? vault->secret_cap * 2 : 8;
    kv_secret **grown =
        msikv_realloc(vault->secrets, cap * sizeof(*vault->secrets));
    if (!grown)
      return MSIKV_ERR_NOMEM;
    vault->secrets = grown;
    vault->secret_cap = cap;
  }
  kv_secret *s = msikv_calloc(1, sizeof(*s));
  if (!s)
    return MSIKV_ERR_NOMEM;
  snprintf(s->name, sizeof(s->name), "%s", name);
  vault->secrets[vault->secret_count++] = s;
  *out = s;
  return MSIKV_OK;
}

void mock_kv__secret_remove(kv_vault *vault, kv_secret *secret) {
  for (size_t i = 0; i < vault->secret_count; i++) {
    if (vault->secrets[i] == secret) {
      memmove(&vault->secrets[i], &vault->secrets[i + 1],
              (vault->secret_count - i - 1) * sizeof(*vault->secrets));
      vault->secret_count--;
      mock_kv__secret_free(secret);
      return;
    }
  }
}

msikv_result mock_kv__version_add(kv_secret *secret, kv_version **out) {
  if (secret->version_count == secret->version_cap) {
    size_t cap = secret->version_cap ? secret->version_cap * 2 : 4;
    kv_version *grown =
        msikv_realloc(secret->versions, cap * sizeof(*secret->versions));
    if (!grown)
      return MSIKV_ERR_NOMEM;
    secret->versions = grown;
    secret->version_cap = cap;
  }
  kv_version *v = &secret->versions[secret->version_count];
  memset(v, 0, sizeof(*v));
  v->enabled = true;
  mock_kv__random_hex(v->version, KV_VERSION_LEN / 2);
  kv_version *prev = mock_kv__latest(secret);
  if (prev)
    snprintf(v->previous, sizeof(v->previous), "%s", prev->version);
  secret->version_count++;
  *out = v;
  return MSIKV_OK;
}

kv_version *mock_kv__version_find(const kv_secret *secret,
                                  const char *version) {
  for (size_t i = 0; i < secret->version_count; i++) {
    if (strcasecmp(secret->versions[i].version, version) == 0)
      return &secret->versions[i];
  }
  return NULL;
}

void mock_kv__auto_purge(kv_vault *vault, int64_t now_s) {
  size_t i = 0;
  while (i < vault->secret_count) {
    kv_secret *s = vault->secrets[i];
    if (s->deleted && now_s >= s->purge_s)
      mock_kv__secret_remove(vault, s);
    else
      i++;
  }
}

unsigned mock_kv__perms_for(const kv_vault *vault, const char *object_id) {
  unsigned perms = 0;
  for (size_t i = 0; i < vault->policy_count; i++) {
    if (strcasecmp(vault->policies[i].object_id, object_id) == 0)
      perms |= vault->policies[i].perms;
  }
  return perms;
}

/* ---- lifetime ---- */

static char *dup_lower(const char *s) {
  char *d = msikv_strdup(s);
  for (char *p = d; p && *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return d;
}

msikv_result mock_kv_new(const mock_kv_config *cfg, mock_kv **out) {
  if (!cfg || !out || !cfg->dns_suffix || !cfg->dns_suffix[0] ||
      !cfg->authority || !cfg->authority[0] || !cfg->tenant_id ||
      !cfg->tenant_id[0] || cfg->port < 0 || cfg->port > 65535 ||
      cfg->recoverable_days < 0 || strlen(cfg->dns_suffix) > 200 ||
      strlen(cfg->authority) > 300 || strlen(cfg->tenant_id) > 100)
    return MSIKV_ERR_ARG;
  mock_kv *kv = msikv_calloc(1, sizeof(*kv));
  if (!kv)
    return MSIKV_ERR_NOMEM;
  kv->dns_suffix = dup_lower(cfg->dns_suffix);
  kv->authority = msikv_strdup(cfg->authority);
  kv->tenant_id = msikv_strdup(cfg->tenant_id);
  if (!kv->dns_suffix || !kv->authority || !kv->tenant_id) {
    msikv_free(kv->dns_suffix);
    msikv_free(kv->authority);
    msikv_free(kv->tenant_id);
    msikv_free(kv);
    return MSIKV_ERR_NOMEM;
  }
  size_t alen = strlen(kv->authority);
  while (alen > 0 && kv->authority[alen - 1] == '/')
    kv->authority[--alen] = '\0';
  kv->port = cfg->port;
  kv->max_value_bytes =
      cfg->max_value_bytes ? cfg->max_value_bytes : DEFAULT_MAX_VALUE_BYTES;
  kv->recoverable_days =
      cfg->recoverable_days ? cfg->recoverable_days : DEFAULT_RECOVERABLE_DAYS;
  kv->verify = cfg->verify;
  kv->verify_ctx = cfg->verify_ctx;
  if (kv->port && kv->port != 443)
    snprintf(kv->resource, sizeof(kv->resource), "https://%s:%d",
             kv->dns_suffix, kv->port);
  else
    snprintf(kv->resource, sizeof(kv->resource), "https://%s", kv->dns_suffix);
  snprintf(kv->challenge, sizeof(kv->challenge),
           "Bearer authorization=\"%s/%s\", resource=\"%s\"", kv->authority,
           kv->tenant_id, kv->resource);
  pthread_mutex_init(&kv->lock, NULL);
  *out = kv;
  return MSIKV_OK;
}

void mock_kv_free(mock_kv *kv) {
  if (!kv)
    return;
  mock_kv__vaults_free(kv->vaults, kv->vault_count);
  pthread_mutex_destroy(&kv->lock);
  msikv_free(kv->state_file);
  msikv_free(kv->dns_suffix);
  msikv_free(kv->authority);
  msikv_free(kv->tenant_id);
  msikv_free(kv);
}

void mock_kv_set_replication_lag_ms(mock_kv *kv, int64_t ms) {
  if (!kv)
    return;
  pthread_mutex_lock(&kv->lock);
  kv->lag_ms = ms > 0 ? ms : 0;
  pthread_mutex_unlock(&kv->lock);
}

bool mock_kv_host_matches(const mock_kv *kv, const char *host) {
  if (!kv || !host)
    return false;
  size_t hlen = strcspn(host, ":");
  const char *port = host + hlen;
  if (*port == ':') {
    const char *p = port + 1;
    if (!*p || strlen(p) > 5)
      return false;
    for (; *p; p++) {
      if (!isdigit((unsigned char)*p))
        return false;
    }
  }
  size_t slen = strlen(kv->dns_suffix);
  if (hlen < slen + 2)
    return false;
  const char *suffix = host + hlen - slen;
  if (suffix[-1] != '.' || strncasecmp(suffix, kv->dns_suffix, slen) != 0)
    return false;
  size_t label = hlen - slen - 1;
  for (size_t i = 0; i < label; i++) {
    unsigned char c = (unsigned char)host[i];
    if (c >= 0x80 || (!isalnum(c) && c != '-'))
      return false;
  }
  return true;
}

/* ---- seeding ---- */

typedef struct seed_state {
  kv_vault **vaults;
  size_t count;
} seed_state;

static msikv_result seed_vault_add(seed_state *st, const char *name,
                                   const char *location, kv_vault **out) {
  kv_vault **grown =
      msikv_realloc(st->vaults, (st->count + 1) * sizeof(*st->vaults));
  if (!grown)
    return MSIKV_ERR_NOMEM;
  st->vaults = grown;
  kv_vault *v = msikv_calloc(1, sizeof(*v));
  if (!v)
    return MSIKV_ERR_NOMEM;
  snprintf(v->name, sizeof(v->name), "%s", name);
  for (char *p = v->name; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  snprintf(v->location, sizeof(v->location), "%s",
           location ? location : DEFAULT_LOCATION);
  st->vaults[st->count++] = v;
  *out = v;
  return MSIKV_OK;
}

static msikv_result policy_add(kv_vault *vault, const char *object_id,
                               unsigned perms) {
  kv_policy *grown = msikv_realloc(
      vault->policies, (vault->policy_count + 1) * sizeof(*vault->policies));
  if (!grown)
    return MSIKV_ERR_NOMEM;
  vault->policies = grown;
  kv_policy *p = &vault->policies[vault->policy_count++];
  snprintf(p->object_id, sizeof(p->object_id), "%s", object_id);
  p->perms = perms;
  return MSIKV_OK;
}

/* Adds a version holding @p value to secret @p name (created if needed). */
static msikv_result seed_secret(kv_vault *vault, const char *name,
                                const char *value, const char *content_type,
                                const cJSON *tags, bool enabled,
                                int64_t now_s) {
  kv_secret *s = mock_kv__secret_find(vault, name);
  msikv_result rc = MSIKV_OK;
  if (!s)
    rc = mock_kv__secret_add(vault, name, &s);
  kv_version *v = NULL;
  if (!rc)
    rc = mock_kv__version_add(s, &v);
  if (rc)
    return rc;
  v->value = msikv_strdup(value);
  v->content_type = content_type ? msikv_strdup(content_type) : NULL;
  v->tags = tags ? cJSON_Duplicate(tags, true) : NULL;
  v->enabled = enabled;
  v->created_s = now_s;
  v->updated_s = now_s;
  if (!v->value || (content_type && !v->content_type) || (tags && !v->tags))
    return MSIKV_ERR_NOMEM;
  return MSIKV_OK;
}

static void install(mock_kv *kv, seed_state *st) {
  pthread_mutex_lock(&kv->lock);
  kv_vault **old = kv->vaults;
  size_t old_count = kv->vault_count;
  kv->vaults = st->vaults;
  kv->vault_count = st->count;
  pthread_mutex_unlock(&kv->lock);
  mock_kv__vaults_free(old, old_count);
  st->vaults = NULL;
  st->count = 0;
}

msikv_result mock_kv_seed_default(mock_kv *kv) {
  if (!kv)
    return MSIKV_ERR_ARG;
  seed_state st = {0};
  kv_vault *v = NULL;
  int64_t now_s = msikv_clock_now_ms(NULL) / 1000;
  msikv_result rc = seed_vault_add(&st, MOCK_KV_DEFAULT_VAULT, NULL, &v);
  if (!rc)
    rc = seed_secret(v, MOCK_KV_DEFAULT_SECRET, MOCK_KV_DEFAULT_VALUE, NULL,
                     NULL, true, now_s);
  if (!rc)
    rc = policy_add(v, MOCK_KV_MI_OBJECT_ID, KV_PERM_GET);
  if (!rc)
    rc = policy_add(v, MOCK_KV_UAMI_OBJECT_ID, KV_PERM_GET);
  if (!rc)
    rc = policy_add(v, MOCK_KV_SP_OBJECT_ID, KV_PERM_ALL);
  if (!rc)
    rc = policy_add(v, MOCK_KV_DENIED_OBJECT_ID, 0);
  if (!rc)
    rc = policy_add(v, MOCK_KV_WORKLOAD_OBJECT_ID, KV_PERM_GET);
  if (!rc)
    install(kv, &st);
  mock_kv__vaults_free(st.vaults, st.count);
  return rc;
}

static const struct {
  const char *name;
  unsigned bit;
} perm_names[] = {
    {"get", KV_PERM_GET},         {"list", KV_PERM_LIST},
    {"set", KV_PERM_SET},         {"delete", KV_PERM_DELETE},
    {"recover", KV_PERM_RECOVER}, {"purge", KV_PERM_PURGE},
    {"backup", KV_PERM_BACKUP},   {"restore", KV_PERM_RESTORE},
    {"all", KV_PERM_ALL},
};

static msikv_result seed_policies(kv_vault *v, const cJSON *policies, size_t vi,
                                  msikv_error *err) {
  if (!policies)
    return MSIKV_OK;
  if (!cJSON_IsArray(policies))
    return msikv_error_set(err, MSIKV_ERR_CONFIG,
                           "seed: vaults[%zu].accessPolicies must be an array",
                           vi);
  size_t pi = 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, policies) {
    const cJSON *oid = cJSON_GetObjectItemCaseSensitive(p, "objectId");
    if (!cJSON_IsString(oid) || !oid->valuestring[0] ||
        strlen(oid->valuestring) >= 64)
      return msikv_error_set(
          err, MSIKV_ERR_CONFIG,
          "seed: vaults[%zu].accessPolicies[%zu].objectId must be a "
          "non-empty string of at most 63 characters",
          vi, pi);
    const cJSON *perms = cJSON_GetObjectItemCaseSensitive(p, "permissions");
    const cJSON *secrets =
        perms ? cJSON_GetObjectItemCaseSensitive(perms, "secrets") : NULL;
    unsigned bits = 0;
    if (secrets && !cJSON_IsArray(secrets))
      return msikv_error_set(
          err, MSIKV_ERR_CONFIG,
          "seed: vaults[%zu].accessPolicies[%zu].permissions.secrets must be "
          "an array of strings",
          vi, pi);
    const cJSON *s;
    cJSON_ArrayForEach(s, secrets) {
      bool known = false;
      for (size_t k = 0;
           cJSON_IsString(s) && k < sizeof(perm_names) / sizeof(perm_names[0]);
           k++) {
        if (strcasecmp(s->valuestring, perm_names[k].name) == 0) {
          bits |= perm_names[k].bit;
          known = true;
        }
      }
      if (!known)
        return msikv_error_set(
            err, MSIKV_ERR_CONFIG,
            "seed: vaults[%zu].accessPolicies[%zu]: unknown secret "
            "permission '%s' (use get, list, set, delete, recover, purge, "
            "backup, restore or all)",
            vi, pi, cJSON_IsString(s) ? s->valuestring : "(not a string)");
    }
    msikv_result rc = policy_add(v, oid->valuestring, bits);
    if (rc)
      return rc;
    pi++;
  }
  return MSIKV_OK;
}

static msikv_result seed_secrets(mock_kv *kv, kv_vault *v, const cJSON *secrets,
                                 size_t vi, int64_t now_s, msikv_error *err) {
  if (!secrets)
    return MSIKV_OK;
  if (!cJSON_IsArray(secrets))
    return msikv_error_set(err, MSIKV_ERR_CONFIG,
                           "seed: vaults[%zu].secrets must be an array", vi);
  size_t si = 0;
  const cJSON *s;
  cJSON_ArrayForEach(s, secrets) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(s, "value");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(s, "contentType");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(s, "tags");
    const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(s, "enabled");
    if (!cJSON_IsString(name) || !mock_kv__name_valid(name->valuestring))
      return msikv_error_set(err, MSIKV_ERR_CONFIG,
                             "seed: vaults[%zu].secrets[%zu].name must match "
                             "^[0-9a-zA-Z-]{1,127}$",
                             vi, si);
    if (!cJSON_IsString(value) ||
        strlen(value->valuestring) > kv->max_value_bytes)
      return msikv_error_set(
          err, MSIKV_ERR_CONFIG,
          "seed: vaults[%zu].secrets[%zu].value must be a string of at most "
          "%zu bytes",
          vi, si, kv->max_value_bytes);
    if (ct && !cJSON_IsNull(ct) &&
        (!cJSON_IsString(ct) || strlen(ct->valuestring) > KV_CONTENT_TYPE_MAX))
      return msikv_error_set(err, MSIKV_ERR_CONFIG,
                             "seed: vaults[%zu].secrets[%zu].contentType must "
                             "be a string of at most 255 characters",
                             vi, si);
    if (tags && !cJSON_IsNull(tags)) {
      bool ok = cJSON_IsObject(tags) && cJSON_GetArraySize(tags) <= KV_MAX_TAGS;
      const cJSON *t;
      cJSON_ArrayForEach(t, tags) {
        if (!cJSON_IsString(t))
          ok = false;
      }
      if (!ok)
        return msikv_error_set(err, MSIKV_ERR_CONFIG,
                               "seed: vaults[%zu].secrets[%zu].tags must be "
                               "an object of at most 15 string values",
                               vi, si);
    }
    if (enabled && !cJSON_IsBool(enabled))
      return msikv_error_set(
          err, MSIKV_ERR_CONFIG,
          "seed: vaults[%zu].secrets[%zu].enabled must be true or false", vi,
          si);
    msikv_result rc =
        seed_secret(v, name->valuestring, value->valuestring,
                    cJSON_IsString(ct) ? ct->valuestring : NULL,
                    cJSON_IsObject(tags) ? tags : NULL,
                    enabled ? cJSON_IsTrue(enabled) : true, now_s);
    if (rc)
      return rc;
    si++;
  }
  return MSIKV_OK;
}

msikv_result mock_kv_seed_json(mock_kv *kv, const cJSON *vaults,
                               msikv_error *err) {
  if (!kv)
    return MSIKV_ERR_ARG;
  if (!cJSON_IsArray(vaults))
    return msikv_error_set(err, MSIKV_ERR_CONFIG,
                           "seed: \"vaults\" must be an array of vaults");
  seed_state st = {0};
  int64_t now_s = msikv_clock_now_ms(NULL) / 1000;
  msikv_result rc = MSIKV_OK;
  size_t vi = 0;
  const cJSON *jv;
  cJSON_ArrayForEach(jv, vaults) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(jv, "name");
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(jv, "location");
    if (!cJSON_IsString(name) || !vault_name_valid(name->valuestring)) {
      rc = msikv_error_set(err, MSIKV_ERR_CONFIG,
                           "seed: vaults[%zu].name must be 3-24 letters, "
                           "digits or '-', starting with a letter",
                           vi);
      goto out;
    }
    bool dup = false;
    for (size_t i = 0; i < st.count; i++)
      dup = dup || strcasecmp(st.vaults[i]->name, name->valuestring) == 0;
    if (dup) {
      rc = msikv_error_set(err, MSIKV_ERR_CONFIG,
                           "seed: vaults[%zu]: vault '%s' is defined twice", vi,
                           name->valuestring);
      goto out;
    }
    if (loc && (!cJSON_IsString(loc) || !loc->valuestring[0] ||
                strlen(loc->valuestring) >= 64)) {
      rc = msikv_error_set(err, MSIKV_ERR_CONFIG,
                           "seed: vaults[%zu].location must be a short string",
                           vi);
      goto out;
    }
    kv_vault *v = NULL;
    rc = seed_vault_add(&st, name->valuestring, loc ? loc->valuestring : NULL,
                        &v);
    if (!rc)
      rc = seed_secrets(kv, v, cJSON_GetObjectItemCaseSensitive(jv, "secrets"),
                        vi, now_s, err);
    if (!rc)
      rc = seed_policies(
          v, cJSON_GetObjectItemCaseSensitive(jv, "accessPolicies"), vi, err);
    if (rc) {
      if (rc == MSIKV_ERR_NOMEM)
        msikv_error_set(err, rc, "seed: out of memory");
      goto out;
    }
    vi++;
  }
  install(kv, &st);
out:
  mock_kv__vaults_free(st.vaults, st.count);
  return rc;
}
