/* SPDX-License-Identifier: MIT */
/* Every Key Vault JSON parser: SecretBundle, DeletedSecretBundle, SecretItem,
 * DeletedSecretItem, error bodies; plus the request-body JSON writer, whose
 * output must parse back to the same string. */
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_util.h"
#include "kv_internal.h"
#include "msikv/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_secret(const msikv_kv_secret *s, msikv__kv_kind kind,
                         bool require_value) {
  FUZZ_CHECK(s->id != NULL && s->name != NULL);
  FUZZ_CHECK(s->name[0] != '\0' && strlen(s->name) <= MSIKV_KV_NAME_MAX);
  FUZZ_CHECK(strpbrk(s->name, "/?#") == NULL);
  if (require_value)
    FUZZ_CHECK(s->value != NULL);
  if (kind == MSIKV__KV_BUNDLE || kind == MSIKV__KV_DELETED)
    FUZZ_CHECK(s->tag_count == 0 || s->tags != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *json = (const char *)data;
  static const msikv__kv_kind kinds[] = {MSIKV__KV_BUNDLE, MSIKV__KV_DELETED,
                                         MSIKV__KV_ITEM,
                                         MSIKV__KV_DELETED_ITEM};
  for (size_t i = 0; i < 4; i++) {
    for (int rv = 0; rv < 2; rv++) {
      msikv_kv_secret *s = NULL;
      msikv_error err;
      msikv_error_clear(&err);
      msikv_result rc =
          msikv__kv_secret_parse(json, size, kinds[i], rv != 0, &s, &err);
      fuzz_check_error(&err, NULL);
      if (rc == MSIKV_OK) {
        FUZZ_CHECK(s != NULL);
        check_secret(s, kinds[i], rv != 0);
        msikv_kv_secret_free(s);
      } else {
        FUZZ_CHECK(s == NULL);
        FUZZ_CHECK(rc == MSIKV_ERR_PARSE || rc == MSIKV_ERR_NOMEM);
        FUZZ_CHECK(err.message[0] != '\0');
      }
    }
  }

  msikv_error err;
  msikv_error_clear(&err);
  char message[512];
  memset(message, 0x5a, sizeof(message));
  msikv__kv_error_body_parse(json, size, &err, message, sizeof(message));
  FUZZ_CHECK(fuzz_terminated(message, sizeof(message)));
  fuzz_check_error(&err, NULL);

  /* The writer: any valid UTF-8 text without NUL round-trips. */
  char *text = msikv_strndup(json, size);
  if (text && strlen(text) == size && msikv__kv_utf8_valid(text, size)) {
    msikv_buf out;
    msikv_buf_init(&out, 8 * size + 16);
    if (msikv__kv_json_string(&out, text) == MSIKV_OK) {
      cJSON *back = cJSON_ParseWithLength(out.data, out.len);
      FUZZ_CHECK(back != NULL && cJSON_IsString(back));
      FUZZ_CHECK(strcmp(back->valuestring, text) == 0);
      cJSON_Delete(back);
    }
    msikv_buf_free(&out);
    msikv_buf_init_secret(&out, 16 * size + 256);
    if (msikv__kv_build_body(&out, text, NULL) == MSIKV_OK) {
      cJSON *back = cJSON_ParseWithLength(out.data, out.len);
      FUZZ_CHECK(back != NULL);
      cJSON *v = cJSON_GetObjectItemCaseSensitive(back, "value");
      FUZZ_CHECK(cJSON_IsString(v) && strcmp(v->valuestring, text) == 0);
      cJSON_Delete(back);
    }
    msikv_buf_free(&out);
  }
  msikv_free(text);
  return 0;
}
