/* SPDX-License-Identifier: MIT */
/* Token responses and error bodies from every credential kind: managed
 * identity (App Service 2019, App Service 2017, IMDS) and Entra ID (client
 * secret, and every credential that posts to /oauth2/v2.0/token). */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "identity_internal.h"
#include "json_internal.h"
#include "msikv/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_S 1764864000LL

static size_t occurrences(const char *hay, size_t hay_len, const char *needle) {
  size_t n = 0, len = strlen(needle);
  for (size_t i = 0; i + len <= hay_len; i++)
    if (memcmp(hay + i, needle, len) == 0)
      n++;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;
  /* The token, if any, so that no message can be checked to repeat it. */
  char *token_text = NULL;
  cJSON *json = NULL;
  if (msikv__json_parse(body, size, &json) == MSIKV_OK) {
    const char *t = msikv__json_string(json, "access_token");
    /* Only a token that occurs once in the body (a message may quote
     * another field, expires_on, that happens to contain it) and is longer
     * than a field name (a message names fields: {"access_token":
     * "expires_in"} is no leak). Real tokens are hundreds of bytes. */
    if (t && strlen(t) >= 16 && occurrences(body, size, t) == 1)
      token_text = msikv_strdup(t);
    msikv__json_delete_secret(json);
  }

  msikv_token tok = {0};
  msikv_error err;
  msikv_error_clear(&err);
  msikv_result rc = msikv__token_parse(body, size, NOW_S - 1, NOW_S, &tok, &err);
  if (rc == MSIKV_OK) {
    FUZZ_CHECK(tok.token != NULL && tok.token[0] != '\0');
    FUZZ_CHECK(tok.expires_on_s > NOW_S);
    FUZZ_CHECK(tok.expires_on_s <= NOW_S + MSIKV__MAX_TOKEN_LIFETIME_S);
    FUZZ_CHECK(token_text == NULL || strcmp(token_text, tok.token) == 0);
    msikv_token_clear(&tok);
    FUZZ_CHECK(tok.token == NULL);
  } else {
    FUZZ_CHECK(rc == MSIKV_ERR_PARSE || rc == MSIKV_ERR_NOMEM);
    FUZZ_CHECK(tok.token == NULL);
    FUZZ_CHECK(err.message[0] != '\0');
  }
  fuzz_check_error(&err, token_text);

  /* The same body as an error answer, for each source and status class. */
  static const int statuses[] = {400, 401, 403, 404, 410, 429, 500, 503};
  int status = statuses[size % (sizeof(statuses) / sizeof(statuses[0]))];
  static const msikv__mi_source sources[] = {
      MSIKV__MI_APP_SERVICE, MSIKV__MI_LEGACY, MSIKV__MI_IMDS};
  for (size_t i = 0; i < 3; i++) {
    msikv_error_clear(&err);
    rc = msikv__mi_map_error(sources[i], MSIKV__MI_ID_NONE, NULL, status, body,
                             size, &err);
    FUZZ_CHECK(rc != MSIKV_OK);
    fuzz_check_error(&err, token_text);
    msikv_error_clear(&err);
    rc = msikv__mi_map_error(sources[i], MSIKV__MI_ID_CLIENT,
                             "00000000-0000-0000-0000-000000000001", status,
                             body, size, &err);
    FUZZ_CHECK(rc != MSIKV_OK);
    fuzz_check_error(&err, token_text);
  }
  msikv_error_clear(&err);
  rc = msikv__aad_map_error(status, body, size, &err);
  FUZZ_CHECK(rc != MSIKV_OK);
  fuzz_check_error(&err, token_text);

  if (token_text) {
    msikv_secret_free(token_text);
  }
  return 0;
}
