/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>

#include "alloc_internal.h"
#include "json_internal.h"
#include "msikv/alloc.h"
#include "msikv/parse.h"

msikv_result msikv__json_parse(const char *text, size_t len,
                               cJSON **out_json) {
  if (!text)
    return MSIKV_ERR_PARSE;
  const char *end = NULL;
  msikv__json_alloc_reset();
  cJSON *json = cJSON_ParseWithLengthOpts(text, len, &end, false);
  if (!json)
    return msikv__json_alloc_failed() ? MSIKV_ERR_NOMEM : MSIKV_ERR_PARSE;
  /* Only whitespace may follow the value. */
  for (const char *p = end; p && p < text + len; p++) {
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '\0') {
      cJSON_Delete(json);
      return MSIKV_ERR_PARSE;
    }
  }
  *out_json = json;
  return MSIKV_OK;
}

const char *msikv__json_string(const cJSON *obj, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(item) ? item->valuestring : NULL;
}

msikv_result msikv__json_int64(const cJSON *obj, const char *key, int64_t min,
                               int64_t max, int64_t *out) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!item || cJSON_IsNull(item))
    return MSIKV_ERR_NOT_FOUND;
  if (cJSON_IsNumber(item)) {
    double v = item->valuedouble;
    if (!isfinite(v) || v != floor(v))
      return MSIKV_ERR_PARSE;
    if (v < (double)min || v > (double)max)
      return MSIKV_ERR_TOO_LARGE;
    *out = (int64_t)v;
    return MSIKV_OK;
  }
  if (cJSON_IsString(item)) {
    const char *s = item->valuestring;
    if (!s || !*s)
      return MSIKV_ERR_NOT_FOUND;
    msikv_result rc = msikv_parse_int64_str(s, min, max, out);
    return rc == MSIKV_ERR_ARG ? MSIKV_ERR_PARSE : rc;
  }
  return MSIKV_ERR_PARSE;
}

msikv_result msikv__json_bool(const cJSON *obj, const char *key, bool *out) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!item || cJSON_IsNull(item))
    return MSIKV_ERR_NOT_FOUND;
  if (cJSON_IsBool(item)) {
    *out = cJSON_IsTrue(item);
    return MSIKV_OK;
  }
  if (cJSON_IsString(item) && item->valuestring) {
    if (strcmp(item->valuestring, "true") == 0) {
      *out = true;
      return MSIKV_OK;
    }
    if (strcmp(item->valuestring, "false") == 0) {
      *out = false;
      return MSIKV_OK;
    }
  }
  return MSIKV_ERR_PARSE;
}

static void zero_strings(cJSON *item) {
  for (; item; item = item->next) {
    if (item->valuestring)
      msikv_secure_zero(item->valuestring, strlen(item->valuestring));
    zero_strings(item->child);
  }
}

void msikv__json_delete_secret(cJSON *json) {
  zero_strings(json);
  cJSON_Delete(json);
}
