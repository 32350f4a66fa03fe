/* SPDX-License-Identifier: MIT */
/* Pure parsers for SecretBundle, DeletedSecretBundle, items and errors. */
#include <stdio.h>
#include <string.h>

#include "json_internal.h"
#include "kv_internal.h"
#include "msikv/alloc.h"

void msikv_kv_secret_free(msikv_kv_secret *secret) {
  if (!secret)
    return;
  msikv_secret_free(secret->value);
  msikv_free(secret->id);
  msikv_free(secret->name);
  msikv_free(secret->version);
  msikv_free(secret->content_type);
  for (size_t i = 0; i < secret->tag_count; i++) {
    msikv_free(secret->tags[i].name);
    msikv_free(secret->tags[i].value);
  }
  msikv_free(secret->tags);
  msikv_free(secret->recovery_level);
  msikv_free(secret->kid);
  msikv_free(secret->previous_version);
  msikv_free(secret->recovery_id);
  msikv_free(secret);
}

static msikv_result bad_field(msikv_error *err, const char *what,
                              const char *field) {
  return msikv_error_set(err, MSIKV_ERR_PARSE,
                         "Key Vault answered with an unexpected %s: field "
                         "'%s' is missing or has the wrong type",
                         what, field);
}

/* Copies an optional string member: absent or null gives NULL. */
static msikv_result opt_string(const cJSON *obj, const char *key,
                               const char *what, char **out, msikv_error *err) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!item || cJSON_IsNull(item))
    return MSIKV_OK;
  if (!cJSON_IsString(item) || !item->valuestring)
    return bad_field(err, what, key);
  *out = msikv_strdup(item->valuestring);
  return *out ? MSIKV_OK : MSIKV_ERR_NOMEM;
}

static msikv_result opt_time(const cJSON *obj, const char *key,
                             const char *what, int64_t *out, msikv_error *err) {
  msikv_result rc = msikv__json_int64(obj, key, 0, INT64_MAX / 1000, out);
  if (rc == MSIKV_ERR_NOT_FOUND) {
    *out = 0;
    return MSIKV_OK;
  }
  return rc ? bad_field(err, what, key) : MSIKV_OK;
}

static msikv_result opt_bool(const cJSON *obj, const char *key,
                             const char *what, bool dflt, bool *out,
                             msikv_error *err) {
  msikv_result rc = msikv__json_bool(obj, key, out);
  if (rc == MSIKV_ERR_NOT_FOUND) {
    *out = dflt;
    return MSIKV_OK;
  }
  return rc ? bad_field(err, what, key) : MSIKV_OK;
}

/* Splits "https://vault/secrets/NAME[/VERSION]" (or deletedsecrets). */
static msikv_result parse_id(const char *id, msikv_kv_secret *s,
                             const char *what, msikv_error *err) {
  msikv_url url;
  if (msikv_url_parse(id, &url, NULL))
    return bad_field(err, what, "id");
  const char *p = url.path;
  size_t end = strcspn(p, "?#");
  const char *coll = NULL;
  if (strncmp(p, "/secrets/", 9) == 0)
    coll = p + 9;
  else if (strncmp(p, "/deletedsecrets/", 16) == 0)
    coll = p + 16;
  if (!coll || (size_t)(coll - p) > end)
    return bad_field(err, what, "id");
  size_t rest = end - (size_t)(coll - p);
  size_t name_len = strcspn(coll, "/?#");
  if (name_len > rest)
    name_len = rest;
  if (name_len == 0 || name_len > MSIKV_KV_NAME_MAX)
    return bad_field(err, what, "id");
  s->name = msikv_strndup(coll, name_len);
  if (!s->name)
    return MSIKV_ERR_NOMEM;
  if (name_len < rest && coll[name_len] == '/') {
    const char *ver = coll + name_len + 1;
    size_t ver_len = rest - name_len - 1;
    if (memchr(ver, '/', ver_len))
      return bad_field(err, what, "id");
    if (ver_len > 0) {
      s->version = msikv_strndup(ver, ver_len);
      if (!s->version)
        return MSIKV_ERR_NOMEM;
    }
  }
  return MSIKV_OK;
}

static msikv_result parse_tags(const cJSON *obj, const char *what,
                               msikv_kv_secret *s, msikv_error *err) {
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive(obj, "tags");
  if (!tags || cJSON_IsNull(tags))
    return MSIKV_OK;
  if (!cJSON_IsObject(tags))
    return bad_field(err, what, "tags");
  size_t count = 0;
  for (const cJSON *t = tags->child; t; t = t->next) {
    if (!t->string || !cJSON_IsString(t) || !t->valuestring)
      return bad_field(err, what, "tags");
    count++;
  }
  if (count == 0)
    return MSIKV_OK;
  s->tags = msikv_calloc(count, sizeof(*s->tags));
  if (!s->tags)
    return MSIKV_ERR_NOMEM;
  for (const cJSON *t = tags->child; t; t = t->next) {
    msikv_kv_tag *tag = &s->tags[s->tag_count];
    tag->name = msikv_strdup(t->string);
    tag->value = msikv_strdup(t->valuestring);
    s->tag_count++;
    if (!tag->name || !tag->value)
      return MSIKV_ERR_NOMEM;
  }
  return MSIKV_OK;
}

static msikv_result parse_attributes(const cJSON *obj, const char *what,
                                     msikv_kv_secret *s, msikv_error *err) {
  const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(obj, "attributes");
  if (!cJSON_IsObject(attrs))
    return bad_field(err, what, "attributes");
  msikv_result rc = opt_bool(attrs, "enabled", what, true, &s->enabled, err);
  if (!rc)
    rc = opt_time(attrs, "nbf", what, &s->nbf, err);
  if (!rc)
    rc = opt_time(attrs, "exp", what, &s->exp, err);
  if (!rc)
    rc = opt_time(attrs, "created", what, &s->created, err);
  if (!rc)
    rc = opt_time(attrs, "updated", what, &s->updated, err);
  if (!rc)
    rc = opt_string(attrs, "recoveryLevel", what, &s->recovery_level, err);
  if (rc)
    return rc;
  int64_t days = 0;
  rc = msikv__json_int64(attrs, "recoverableDays", 0, 100000, &days);
  if (rc && rc != MSIKV_ERR_NOT_FOUND)
    return bad_field(err, what, "recoverableDays");
  s->recoverable_days = (int)days;
  return MSIKV_OK;
}

static const char *kind_name(msikv__kv_kind kind) {
  switch (kind) {
  case MSIKV__KV_DELETED:
    return "DeletedSecretBundle";
  case MSIKV__KV_ITEM:
    return "SecretItem";
  case MSIKV__KV_DELETED_ITEM:
    return "DeletedSecretItem";
  default:
    return "SecretBundle";
  }
}

msikv_result msikv__kv_secret_from_json(const void *json, msikv__kv_kind kind,
                                        bool require_value,
                                        msikv_kv_secret **out_secret,
                                        msikv_error *out_err) {
  const cJSON *obj = json;
  const char *what = kind_name(kind);
  if (!cJSON_IsObject(obj))
    return msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "Key Vault answered with an unexpected %s: not a "
                           "JSON object",
                           what);
  msikv_kv_secret *s = msikv_calloc(1, sizeof(*s));
  if (!s)
    return MSIKV_ERR_NOMEM;
  msikv_result rc = MSIKV_OK;
  const cJSON *value = cJSON_GetObjectItemCaseSensitive(obj, "value");
  if (value && !cJSON_IsNull(value)) {
    if (!cJSON_IsString(value) || !value->valuestring) {
      rc = bad_field(out_err, what, "value");
      goto out;
    }
    s->value = msikv_strdup(value->valuestring);
    if (!s->value) {
      rc = MSIKV_ERR_NOMEM;
      goto out;
    }
  } else if (require_value) {
    rc = bad_field(out_err, what, "value");
    goto out;
  }
  const char *id = msikv__json_string(obj, "id");
  if (!id) {
    rc = bad_field(out_err, what, "id");
    goto out;
  }
  s->id = msikv_strdup(id);
  if (!s->id) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  rc = parse_id(id, s, what, out_err);
  if (!rc)
    rc = parse_attributes(obj, what, s, out_err);
  if (!rc)
    rc = opt_string(obj, "contentType", what, &s->content_type, out_err);
  if (!rc)
    rc = parse_tags(obj, what, s, out_err);
  if (!rc)
    rc = opt_bool(obj, "managed", what, false, &s->managed, out_err);
  if (!rc)
    rc = opt_string(obj, "kid", what, &s->kid, out_err);
  if (!rc)
    rc =
        opt_string(obj, "previousVersion", what, &s->previous_version, out_err);
  if (!rc && (kind == MSIKV__KV_DELETED || kind == MSIKV__KV_DELETED_ITEM)) {
    rc = opt_string(obj, "recoveryId", what, &s->recovery_id, out_err);
    if (!rc)
      rc = opt_time(obj, "deletedDate", what, &s->deleted_date, out_err);
    if (!rc)
      rc = opt_time(obj, "scheduledPurgeDate", what, &s->scheduled_purge_date,
                    out_err);
  }
out:
  if (rc) {
    msikv_kv_secret_free(s);
    return rc;
  }
  *out_secret = s;
  return MSIKV_OK;
}

msikv_result msikv__kv_secret_parse(const char *json, size_t len,
                                    msikv__kv_kind kind, bool require_value,
                                    msikv_kv_secret **out_secret,
                                    msikv_error *out_err) {
  cJSON *root = NULL;
  msikv_result rc = msikv__json_parse(json, len, &root);
  if (rc)
    return rc == MSIKV_ERR_NOMEM
               ? rc
               : msikv_error_set(out_err, MSIKV_ERR_PARSE,
                                 "Key Vault answered with invalid JSON where "
                                 "a %s was expected",
                                 kind_name(kind));
  rc = msikv__kv_secret_from_json(root, kind, require_value, out_secret,
                                  out_err);
  msikv__json_delete_secret(root);
  return rc;
}

void msikv__kv_error_body_parse(const char *json, size_t len, msikv_error *err,
                                char *out_message, size_t message_size) {
  if (message_size)
    out_message[0] = '\0';
  cJSON *root = NULL;
  if (!json || len == 0 || msikv__json_parse(json, len, &root))
    return;
  const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
  if (cJSON_IsObject(error)) {
    const char *code = msikv__json_string(error, "code");
    const char *message = msikv__json_string(error, "message");
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(error, "innererror");
    const char *inner_code =
        cJSON_IsObject(inner) ? msikv__json_string(inner, "code") : NULL;
    if (err && code)
      snprintf(err->code, sizeof(err->code), "%s", code);
    if (err && inner_code)
      snprintf(err->inner_code, sizeof(err->inner_code), "%s", inner_code);
    if (message && message_size)
      snprintf(out_message, message_size, "%s", message);
  }
  cJSON_Delete(root);
}
