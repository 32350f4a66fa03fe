/* SPDX-License-Identifier: MIT */
/* Reads a JWT's payload for display. No signature check: never use the
 * result to authorise anything. */
#include <stdio.h>
#include <string.h>

#include "json_internal.h"
#include "msikv/alloc.h"
#include "msikv/buffer.h"
#include "msikv/identity.h"

static int b64url_value(char c) {
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

/* Decodes base64url (padding optional) into a secret buffer. */
static msikv_result b64url_decode(const char *text, size_t len,
                                  msikv_buf *out) {
  while (len > 0 && text[len - 1] == '=')
    len--;
  if (len % 4 == 1)
    return MSIKV_ERR_PARSE;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64url_value(text[i]);
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
  if (out->len == 0)
    return MSIKV_ERR_PARSE;
  return MSIKV_OK;
}

static void copy_claim(const cJSON *json, const char *key, char *dst,
                       size_t size) {
  const char *value = msikv__json_string(json, key);
  if (value && !dst[0])
    snprintf(dst, size, "%s", value);
}

static int64_t int_claim(const cJSON *json, const char *key) {
  int64_t v = 0;
  if (msikv__json_int64(json, key, INT64_MIN / 2, INT64_MAX / 2, &v))
    return 0;
  return v;
}

msikv_result msikv_token_claims_parse(const char *token,
                                      msikv_token_claims *out_claims) {
  if (!token || !out_claims)
    return MSIKV_ERR_ARG;
  const char *dot1 = strchr(token, '.');
  const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
  if (!dot1 || !dot2 || dot2 == dot1 + 1)
    return MSIKV_ERR_PARSE;
  msikv_buf payload;
  msikv_buf_init_secret(&payload, 1 << 20);
  cJSON *json = NULL;
  msikv_result rc =
      b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload);
  if (rc)
    goto out;
  rc = msikv__json_parse(payload.data, payload.len, &json);
  if (rc)
    goto out;
  if (!cJSON_IsObject(json)) {
    rc = MSIKV_ERR_PARSE;
    goto out;
  }
  msikv_token_claims c;
  memset(&c, 0, sizeof(c));
  copy_claim(json, "oid", c.oid, sizeof(c.oid));
  copy_claim(json, "appid", c.appid, sizeof(c.appid));
  copy_claim(json, "azp", c.appid, sizeof(c.appid));
  copy_claim(json, "tid", c.tid, sizeof(c.tid));
  copy_claim(json, "upn", c.upn, sizeof(c.upn));
  copy_claim(json, "unique_name", c.upn, sizeof(c.upn));
  copy_claim(json, "preferred_username", c.upn, sizeof(c.upn));
  copy_claim(json, "sub", c.sub, sizeof(c.sub));
  copy_claim(json, "iss", c.iss, sizeof(c.iss));
  copy_claim(json, "idtyp", c.idtyp, sizeof(c.idtyp));
  copy_claim(json, "xms_mirid", c.mirid, sizeof(c.mirid));
  const cJSON *aud = cJSON_GetObjectItemCaseSensitive(json, "aud");
  if (cJSON_IsArray(aud))
    aud = aud->child;
  if (cJSON_IsString(aud))
    snprintf(c.aud, sizeof(c.aud), "%s", aud->valuestring);
  c.exp = int_claim(json, "exp");
  c.iat = int_claim(json, "iat");
  c.nbf = int_claim(json, "nbf");
  *out_claims = c;
out:
  cJSON_Delete(json);
  msikv_buf_free(&payload);
  return rc;
}
