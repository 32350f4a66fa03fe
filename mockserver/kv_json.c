/* SPDX-License-Identifier: MIT */
/* The mock Key Vault's JSON shapes: bundles, items, errors, base64. */
#include <stdio.h>
#include <string.h>

#include "kv_internal.h"

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

msikv_result mock_kv__b64url_encode(msikv_buf *out, const unsigned char *data,
                                    size_t len) {
  char quad[4];
  for (size_t i = 0; i < len; i += 3) {
    uint32_t n = (uint32_t)data[i] << 16;
    size_t left = len - i;
    if (left > 1)
      n |= (uint32_t)data[i + 1] << 8;
    if (left > 2)
      n |= data[i + 2];
    quad[0] = b64url_chars[(n >> 18) & 63];
    quad[1] = b64url_chars[(n >> 12) & 63];
    quad[2] = b64url_chars[(n >> 6) & 63];
    quad[3] = b64url_chars[n & 63];
    msikv_result rc =
        msikv_buf_append(out, quad, left > 2 ? 4 : (left > 1 ? 3 : 2));
    if (rc)
      return rc;
  }
  if (!out->data)
    return msikv_buf_append(out, "", 0);
  return MSIKV_OK;
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-' || c == '+')
    return 62;
  if (c == '_' || c == '/')
    return 63;
  return -1;
}

msikv_result mock_kv__b64_decode(msikv_buf *out, const char *text, size_t len) {
  while (len > 0 && text[len - 1] == '=')
    len--;
  if (len % 4 == 1)
    return MSIKV_ERR_PARSE;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64_value(text[i]);
    if (v < 0)
      return MSIKV_ERR_PARSE;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      unsigned char byte = (unsigned char)(acc >> bits);
      msikv_result rc = msikv_buf_append(out, &byte, 1);
      if (rc)
        return rc;
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0)
    return MSIKV_ERR_PARSE; /* non-canonical trailing bits */
  if (!out->data)
    return msikv_buf_append(out, "", 0);
  return MSIKV_OK;
}

static const char *recovery_level(const mock_kv *kv) {
  return kv->recoverable_days >= 90 ? "Recoverable+Purgeable"
                                    : "CustomizedRecoverable+Purgeable";
}

static cJSON *attributes_json(const mock_kv *kv, const kv_version *v) {
  cJSON *a = cJSON_CreateObject();
  bool ok = a && cJSON_AddBoolToObject(a, "enabled", v->enabled);
  if (ok && v->has_nbf)
    ok = cJSON_AddNumberToObject(a, "nbf", (double)v->nbf_s) != NULL;
  if (ok && v->has_exp)
    ok = cJSON_AddNumberToObject(a, "exp", (double)v->exp_s) != NULL;
  ok = ok && cJSON_AddNumberToObject(a, "created", (double)v->created_s) &&
       cJSON_AddNumberToObject(a, "updated", (double)v->updated_s) &&
       cJSON_AddStringToObject(a, "recoveryLevel", recovery_level(kv)) &&
       cJSON_AddNumberToObject(a, "recoverableDays",
                               (double)kv->recoverable_days);
  if (!ok) {
    cJSON_Delete(a);
    return NULL;
  }
  return a;
}

cJSON *mock_kv__secret_json(const mock_kv *kv, const char *base,
                            const kv_secret *s, const kv_version *v,
                            unsigned flags) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o != NULL;
  char url[1024];
  if (ok && (flags & KV_F_DELETED)) {
    snprintf(url, sizeof(url), "%s/deletedsecrets/%s", base, s->name);
    ok = cJSON_AddStringToObject(o, "recoveryId", url) &&
         cJSON_AddNumberToObject(o, "deletedDate", (double)s->deleted_s) &&
         cJSON_AddNumberToObject(o, "scheduledPurgeDate", (double)s->purge_s);
  }
  if (ok && (flags & KV_F_VALUE))
    ok = cJSON_AddStringToObject(o, "value", v->value) != NULL;
  if (ok && v->content_type)
    ok = cJSON_AddStringToObject(o, "contentType", v->content_type) != NULL;
  if (ok) {
    if (flags & KV_F_VERSION_ID)
      snprintf(url, sizeof(url), "%s/secrets/%s/%s", base, s->name, v->version);
    else
      snprintf(url, sizeof(url), "%s/secrets/%s", base, s->name);
    ok = cJSON_AddStringToObject(o, "id", url) != NULL;
  }
  if (ok) {
    cJSON *a = attributes_json(kv, v);
    ok = a && cJSON_AddItemToObject(o, "attributes", a);
    if (a && !ok)
      cJSON_Delete(a);
  }
  if (ok && v->tags) {
    cJSON *t = cJSON_Duplicate(v->tags, true);
    ok = t && cJSON_AddItemToObject(o, "tags", t);
    if (t && !ok)
      cJSON_Delete(t);
  }
  if (ok && (flags & KV_F_PREVIOUS) && v->previous[0])
    ok = cJSON_AddStringToObject(o, "previousVersion", v->previous) != NULL;
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

cJSON *mock_kv__error_json(const char *code, const char *inner,
                           const char *message) {
  cJSON *root = cJSON_CreateObject();
  cJSON *e = root ? cJSON_AddObjectToObject(root, "error") : NULL;
  bool ok = e && cJSON_AddStringToObject(e, "code", code) &&
            cJSON_AddStringToObject(e, "message", message);
  if (ok && inner) {
    cJSON *ie = cJSON_AddObjectToObject(e, "innererror");
    ok = ie && cJSON_AddStringToObject(ie, "code", inner);
  }
  if (!ok) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}
