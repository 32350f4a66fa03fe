/* SPDX-License-Identifier: MIT */
/* The whole mock through its pure entry point, mock_app_handle: router,
 * faults, Key Vault, Entra ID, managed identity and admin handlers, their
 * body and query parsers. No sockets.
 *
 * Input: up to 4 requests separated by 0x1e. Each starts with a flags byte
 * (bits 0-1 listener, bit 2 adds a valid bearer token, bit 3 the identity
 * header, bit 4 the MSI secret), then lines: method, host, path, query,
 * "Name: value" headers, an empty line, and the body (the rest).
 *
 * Invariants: a valid status; header names and values without CR, LF or
 * NUL (no response splitting); JSON bodies parse unless a fault could
 * apply. The app is reset after every input that could change its state
 * (an admin request or a method other than GET/HEAD), so findings replay;
 * GET-only inputs skip the reset, which costs as much as the requests. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_util.h"
#include "mockserver/app.h"
#include "msikv/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mock_jwt_key *key;
static mock_app *app;
static char auth[8192];

static void setup(void) {
  if (app)
    return;
  FUZZ_CHECK(msikv_global_init() == MSIKV_OK);
  FUZZ_CHECK(mock_jwt_key_generate(2048, &key, NULL) == MSIKV_OK);
  mock_app_config cfg = {.dns_suffix = "vault.localhost",
                         .tls_port = 8443,
                         .msi_port = 8081,
                         .admin_port = 8082,
                         .key = key,
                         .ca_path = "/tmp/ca.pem"};
  FUZZ_CHECK(mock_app_new(&cfg, &app, NULL) == MSIKV_OK);
  /* One real managed-identity token, for the bearer flag. */
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = MOCK_LISTENER_MSI;
  req.method = "GET";
  req.host = "127.0.0.1:8081";
  req.path = "/msi/token";
  req.query = "api-version=2019-08-01&resource=https%3A%2F%2Fvault."
              "localhost%3A8443";
  req.body = "";
  req.headers[0].name = "X-IDENTITY-HEADER";
  req.headers[0].value = app->identity_header;
  req.header_count = 1;
  mock_response resp;
  mock_response_init(&resp);
  mock_app_handle(app, &req, &resp);
  FUZZ_CHECK(resp.status == 200);
  cJSON *json = cJSON_Parse(resp.body.data);
  FUZZ_CHECK(json != NULL);
  const cJSON *t = cJSON_GetObjectItem(json, "access_token");
  FUZZ_CHECK(cJSON_IsString(t));
  snprintf(auth, sizeof(auth), "Bearer %s", t->valuestring);
  cJSON_Delete(json);
  mock_response_free(&resp);
  FUZZ_CHECK(mock_app_reset(app) == MSIKV_OK);
}

static bool header_text_ok(const char *s) {
  return s && strpbrk(s, "\r\n") == NULL;
}

/* Serves one request; @p faults_possible says whether an earlier request
 * of this input may have set a fault. */
static void serve(char *rec, size_t len, bool *faults_possible,
                  bool *dirty) {
  if (len == 0)
    return;
  uint8_t flags = (uint8_t)rec[0];
  /* The body may hold NULs: keep its length from the record. */
  char *p = rec + 1;
  char *end = rec + len;
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = (mock_listener)((flags & 3) % 3);
  static char dflt_get[] = "GET", dflt_empty[] = "", dflt_slash[] = "/";
  char *parts[4] = {dflt_get, dflt_empty, dflt_slash, dflt_empty};
  for (int i = 0; i < 4 && p && p < end; i++) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) {
      parts[i] = p;
      p = NULL;
      break;
    }
    *nl = '\0';
    parts[i] = p;
    p = nl + 1;
  }
  req.method = parts[0];
  for (char *h = parts[1]; *h; h++)
    *h = (char)tolower((unsigned char)*h);
  req.host = parts[1];
  req.path = parts[2];
  req.query = parts[3];
  if (flags & 4) {
    req.headers[req.header_count].name = "Authorization";
    req.headers[req.header_count++].value = auth;
  }
  if (flags & 8) {
    req.headers[req.header_count].name = "X-IDENTITY-HEADER";
    req.headers[req.header_count++].value = app->identity_header;
  }
  if (flags & 16) {
    req.headers[req.header_count].name = "secret";
    req.headers[req.header_count++].value = app->msi_secret;
  }
  while (p && p < end && req.header_count < MOCK_MAX_HEADERS) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl)
      *nl = '\0';
    char *line = p;
    p = nl ? nl + 1 : NULL;
    if (!*line)
      break;
    char *colon = strchr(line, ':');
    if (!colon)
      continue;
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ')
      v++;
    req.headers[req.header_count].name = line;
    req.headers[req.header_count++].value = v;
  }
  req.body = p && p < end ? p : "";
  req.body_len = p && p < end ? (size_t)(end - p) : 0;
  req.has_body = req.body_len > 0;

  mock_response resp;
  mock_response_init(&resp);
  mock_app_handle(app, &req, &resp);
  FUZZ_CHECK(resp.status >= 100 && resp.status <= 599);
  FUZZ_CHECK(resp.header_count <= MOCK_MAX_HEADERS);
  for (size_t i = 0; i < resp.header_count; i++) {
    FUZZ_CHECK(header_text_ok(resp.header_names[i]));
    FUZZ_CHECK(header_text_ok(resp.header_values[i]));
  }
  const char *ct = mock_response_get_header(&resp, "Content-Type");
  if (!*faults_possible && ct && strncmp(ct, "application/json", 16) == 0) {
    cJSON *back = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "",
                                        resp.body.len);
    FUZZ_CHECK(back != NULL);
    cJSON_Delete(back);
  }
  if (req.listener == MOCK_LISTENER_ADMIN)
    *faults_possible = true;
  if (req.listener == MOCK_LISTENER_ADMIN ||
      (strcmp(req.method, "GET") != 0 && strcmp(req.method, "HEAD") != 0))
    *dirty = true;
  mock_response_free(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  char *copy = msikv_malloc(size + 1);
  if (!copy)
    return 0;
  memcpy(copy, data, size);
  copy[size] = '\0';
  bool faults_possible = false;
  bool dirty = false;
  char *rec = copy;
  char *end = copy + size;
  for (int n = 0; n < 4 && rec <= end; n++) {
    char *sep = memchr(rec, 0x1e, (size_t)(end - rec));
    char *rec_end = sep ? sep : end;
    *rec_end = '\0';
    serve(rec, (size_t)(rec_end - rec), &faults_possible, &dirty);
    if (!sep)
      break;
    rec = sep + 1;
  }
  msikv_free(copy);
  if (dirty)
    FUZZ_CHECK(mock_app_reset(app) == MSIKV_OK);
  return 0;
}
