/* SPDX-License-Identifier: MIT */
/*
 * Backup blobs: base64url("MKVB1" || SHA-256(key || payload) || payload),
 * where payload is JSON with the secret's name and every version. The digest
 * catches corruption; the blob is not encrypted (this is a mock).
 */
#include <ctype.h>
#include <string.h>

#include <openssl/evp.h>

#include "kv_internal.h"
#include "msikv/alloc.h"

#define MAGIC "MKVB1"
#define MAGIC_LEN 5
#define DIGEST_LEN 32
#define MAX_BLOB_BYTES ((size_t)16 << 20)

static const char integrity_key[] = "msikv mock Key Vault backup v1";

static bool digest(const char *payload, size_t len,
                   unsigned char out[DIGEST_LEN]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned int n = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
            EVP_DigestUpdate(ctx, integrity_key, sizeof(integrity_key)) == 1 &&
            EVP_DigestUpdate(ctx, payload, len) == 1 &&
            EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == DIGEST_LEN;
  EVP_MD_CTX_free(ctx);
  return ok;
}

cJSON *mock_kv__version_json(const kv_version *v) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "version", v->version) &&
            cJSON_AddStringToObject(o, "value", v->value) &&
            cJSON_AddBoolToObject(o, "enabled", v->enabled) &&
            cJSON_AddNumberToObject(o, "created", (double)v->created_s) &&
            cJSON_AddNumberToObject(o, "updated", (double)v->updated_s) &&
            cJSON_AddStringToObject(o, "previous", v->previous);
  if (ok && v->content_type)
    ok = cJSON_AddStringToObject(o, "contentType", v->content_type) != NULL;
  if (ok && v->has_nbf)
    ok = cJSON_AddNumberToObject(o, "nbf", (double)v->nbf_s) != NULL;
  if (ok && v->has_exp)
    ok = cJSON_AddNumberToObject(o, "exp", (double)v->exp_s) != NULL;
  if (ok && v->tags) {
    cJSON *t = cJSON_Duplicate(v->tags, true);
    ok = t && cJSON_AddItemToObject(o, "tags", t);
    if (t && !ok)
      cJSON_Delete(t);
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static void wipe_json_text(char *text) {
  if (text) {
    msikv_secure_zero(text, strlen(text));
    cJSON_free(text);
  }
}

msikv_result mock_kv__backup_encode(const kv_secret *secret, msikv_buf *out) {
  msikv_result rc = MSIKV_ERR_NOMEM;
  char *text = NULL;
  msikv_buf raw;
  msikv_buf_init_secret(&raw, MAX_BLOB_BYTES);
  cJSON *root = cJSON_CreateObject();
  cJSON *versions = root ? cJSON_AddArrayToObject(root, "versions") : NULL;
  if (!versions || !cJSON_AddStringToObject(root, "name", secret->name))
    goto out;
  for (size_t i = 0; i < secret->version_count; i++) {
    cJSON *v = mock_kv__version_json(&secret->versions[i]);
    if (!v)
      goto out;
    cJSON_AddItemToArray(versions, v);
  }
  text = cJSON_PrintUnformatted(root);
  unsigned char md[DIGEST_LEN];
  if (!text || !digest(text, strlen(text), md))
    goto out;
  rc = msikv_buf_append(&raw, MAGIC, MAGIC_LEN);
  if (!rc)
    rc = msikv_buf_append(&raw, md, DIGEST_LEN);
  if (!rc)
    rc = msikv_buf_append_str(&raw, text);
  if (!rc)
    rc = mock_kv__b64url_encode(out, (const unsigned char *)raw.data, raw.len);
out:
  wipe_json_text(text);
  cJSON_Delete(root);
  msikv_buf_free(&raw);
  return rc;
}

static bool is_hex32(const char *s) {
  if (strlen(s) != KV_VERSION_LEN)
    return false;
  for (; *s; s++) {
    if (!isxdigit((unsigned char)*s))
      return false;
  }
  return true;
}

static bool read_int(const cJSON *o, const char *key, bool *has, int64_t *out) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!n) {
    if (has)
      *has = false;
    return has != NULL;
  }
  if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 1e13)
    return false;
  *out = (int64_t)n->valuedouble;
  if (has)
    *has = true;
  return true;
}

msikv_result mock_kv__version_from_json(kv_secret *s, const cJSON *jv) {
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(jv, "version");
  const cJSON *val = cJSON_GetObjectItemCaseSensitive(jv, "value");
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(jv, "enabled");
  const cJSON *prev = cJSON_GetObjectItemCaseSensitive(jv, "previous");
  const cJSON *ct = cJSON_GetObjectItemCaseSensitive(jv, "contentType");
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive(jv, "tags");
  if (!cJSON_IsString(ver) || !is_hex32(ver->valuestring) ||
      !cJSON_IsString(val) || !cJSON_IsBool(en) || !cJSON_IsString(prev) ||
      (prev->valuestring[0] && !is_hex32(prev->valuestring)) ||
      (ct && !cJSON_IsString(ct)) || (tags && !cJSON_IsObject(tags)) ||
      mock_kv__version_find(s, ver->valuestring))
    return MSIKV_ERR_PARSE;
  kv_version *v = NULL;
  msikv_result rc = mock_kv__version_add(s, &v);
  if (rc)
    return rc;
  memcpy(v->version, ver->valuestring, KV_VERSION_LEN + 1);
  memcpy(v->previous, prev->valuestring, strlen(prev->valuestring) + 1);
  v->enabled = cJSON_IsTrue(en);
  if (!read_int(jv, "created", NULL, &v->created_s) ||
      !read_int(jv, "updated", NULL, &v->updated_s) ||
      !read_int(jv, "nbf", &v->has_nbf, &v->nbf_s) ||
      !read_int(jv, "exp", &v->has_exp, &v->exp_s))
    return MSIKV_ERR_PARSE;
  v->value = msikv_strdup(val->valuestring);
  if (ct)
    v->content_type = msikv_strdup(ct->valuestring);
  if (tags)
    v->tags = cJSON_Duplicate(tags, true);
  if (!v->value || (ct && !v->content_type) || (tags && !v->tags))
    return MSIKV_ERR_NOMEM;
  return MSIKV_OK;
}

msikv_result mock_kv__backup_decode(const char *blob, size_t len,
                                    kv_secret **out) {
  msikv_result rc;
  cJSON *root = NULL;
  kv_secret *s = NULL;
  msikv_buf raw;
  msikv_buf_init_secret(&raw, MAX_BLOB_BYTES);
  rc = mock_kv__b64_decode(&raw, blob, len);
  if (rc == MSIKV_ERR_TOO_LARGE)
    rc = MSIKV_ERR_PARSE;
  if (rc)
    goto out;
  rc = MSIKV_ERR_PARSE;
  unsigned char md[DIGEST_LEN];
  if (raw.len <= MAGIC_LEN + DIGEST_LEN ||
      memcmp(raw.data, MAGIC, MAGIC_LEN) != 0)
    goto out;
  const char *payload = raw.data + MAGIC_LEN + DIGEST_LEN;
  size_t payload_len = raw.len - MAGIC_LEN - DIGEST_LEN;
  if (!digest(payload, payload_len, md)) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  if (memcmp(md, raw.data + MAGIC_LEN, DIGEST_LEN) != 0)
    goto out;
  root = cJSON_ParseWithLength(payload, payload_len);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
  const cJSON *versions = cJSON_GetObjectItemCaseSensitive(root, "versions");
  if (!root || !cJSON_IsString(name) ||
      !mock_kv__name_valid(name->valuestring) || !cJSON_IsArray(versions) ||
      cJSON_GetArraySize(versions) < 1)
    goto out;
  s = msikv_calloc(1, sizeof(*s));
  if (!s) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  memcpy(s->name, name->valuestring, strlen(name->valuestring) + 1);
  const cJSON *jv;
  cJSON_ArrayForEach(jv, versions) {
    rc = mock_kv__version_from_json(s, jv);
    if (rc)
      goto out;
  }
  *out = s;
  s = NULL;
  rc = MSIKV_OK;
out:
  mock_kv__secret_free(s);
  cJSON_Delete(root);
  msikv_buf_free(&raw);
  return rc;
}
