/* SPDX-License-Identifier: MIT */
/* The mock Key Vault's request handling: auth, routing and the 12 secret
 * operations. Texts follow research/keyvault.md; docs/mock-keyvault.md lists
 * them and marks the mock's own wording. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kv_internal.h"
#include "msikv/alloc.h"
#include "msikv/parse.h"
#include "msikv/url.h"

#define MAX_SEGMENTS 4
#define SEGMENT_MAX 512

/* One request's working state. */
typedef struct kv_ctx {
  mock_kv *kv;
  const mock_request *req;
  mock_response *resp;
  kv_vault *vault;
  mock_claims claims;
  char vault_name[64];
  char base[400];      /* https://demo.vault.localhost:8443 (ids) */
  char link_base[400]; /* same, always with the port (nextLink) */
  char api_version[64];
  bool api_2025;
  int64_t now_ms, now_s;
  char seg[MAX_SEGMENTS][SEGMENT_MAX + 1];
  size_t nseg;
} kv_ctx;

static const char AKV10000[] =
    "AKV10000: Request is missing a Bearer or PoP token.";
static const char NOT_FOUND_HELP[] =
    "If you recently deleted this secret you may be able to recover it using "
    "the correct recovery command. For help resolving this issue, please see "
    "https://go.microsoft.com/fwlink/?linkid=2125182";
static const char SUPPORTED_VERSIONS[] =
    "7.0 to 7.6, 7.0-preview.N to 7.6-preview.N, 2025-06-01-preview and "
    "2025-07-01";

/* Copies @p in to @p out, replacing anything but printable ASCII with '?'
 * and truncating, so echoed request text cannot break the reply. */
static void printable(char *out, size_t size, const char *in) {
  size_t i = 0;
  for (; in && in[i] && i + 1 < size; i++) {
    unsigned char c = (unsigned char)in[i];
    out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  out[i] = '\0';
}

/* ---- replies ---- */

static msikv_result reply_json(kv_ctx *c, int status, cJSON *json) {
  if (!json)
    return MSIKV_ERR_NOMEM;
  msikv_result rc = mock_response_json(c->resp, status, json);
  cJSON_Delete(json);
  return rc;
}

static msikv_result reply_error(kv_ctx *c, int status, const char *code,
                                const char *inner, const char *fmt, ...)
    MSIKV_PRINTF(5, 6);

static msikv_result reply_error(kv_ctx *c, int status, const char *code,
                                const char *inner, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof(message), fmt, ap);
  va_end(ap);
  return reply_json(c, status, mock_kv__error_json(code, inner, message));
}

static msikv_result reply_bad_parameter(kv_ctx *c, const char *fmt, ...)
    MSIKV_PRINTF(2, 3);

static msikv_result reply_bad_parameter(kv_ctx *c, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof(message), fmt, ap);
  va_end(ap);
  return reply_json(c, 400, mock_kv__error_json("BadParameter", NULL, message));
}

static msikv_result reply_unauthorized(kv_ctx *c, const char *message) {
  msikv_result rc =
      mock_response_header(c->resp, "WWW-Authenticate", c->kv->challenge);
  if (rc)
    return rc;
  return reply_json(c, 401, mock_kv__error_json("Unauthorized", NULL, message));
}

static msikv_result reply_secret_not_found(kv_ctx *c, const char *name,
                                           const char *version) {
  char shown[KV_NAME_MAX + SEGMENT_MAX + 4];
  char n[KV_NAME_MAX + 1], v[SEGMENT_MAX + 1];
  printable(n, sizeof(n), name);
  printable(v, sizeof(v), version ? version : "");
  snprintf(shown, sizeof(shown), "%s%s%s", n, version ? "/" : "", v);
  return reply_error(c, 404, "SecretNotFound", NULL,
                     "A secret with (name/id) %s was not found in this key "
                     "vault. %s",
                     shown, NOT_FOUND_HELP);
}

static msikv_result reply_deleted_not_found(kv_ctx *c, const char *name) {
  return reply_error(c, 404, "SecretNotFound", NULL,
                     "Deleted Secret not found: %s", name);
}

static msikv_result reply_deleted_but_recoverable(kv_ctx *c, const char *name) {
  return reply_error(c, 409, "Conflict", "ObjectIsDeletedButRecoverable",
                     "Secret %s is currently in a deleted but recoverable "
                     "state, and its name cannot be reused; in this state, "
                     "the secret can only be recovered or purged.",
                     name);
}

static msikv_result reply_being_deleted(kv_ctx *c) {
  return reply_error(c, 409, "Conflict", "ObjectIsBeingDeleted",
                     "Secret is currently being deleted.");
}

static msikv_result reply_secret(kv_ctx *c, int status, const kv_secret *s,
                                 const kv_version *v, unsigned flags) {
  if (c->api_2025)
    flags |= KV_F_PREVIOUS;
  return reply_json(
      c, status,
      mock_kv__secret_json(c->kv, c->base, s, v, flags | KV_F_VERSION_ID));
}

/* ---- authentication ---- */

static bool audience_ok(const mock_kv *kv, const char *aud) {
  size_t rlen = strlen(kv->resource);
  size_t alen = strlen(aud);
  if (alen == rlen + 1 && aud[rlen] == '/')
    alen--;
  return alen == rlen && strncasecmp(aud, kv->resource, rlen) == 0;
}

/* @return true when authenticated; otherwise the 401 is in c->resp (or
 * *out_rc says why it could not be written). */
static bool authenticate(kv_ctx *c, msikv_result *out_rc) {
  const char *auth = mock_request_header(c->req, "Authorization");
  const char *token = NULL;
  if (auth) {
    while (*auth == ' ')
      auth++;
    if (strncasecmp(auth, "Bearer", 6) == 0 && auth[6] == ' ') {
      token = auth + 7;
      while (*token == ' ')
        token++;
    }
  }
  if (!token || !*token) {
    *out_rc = reply_unauthorized(c, AKV10000);
    return false;
  }
  mock_token_status st = MOCK_TOKEN_MALFORMED;
  if (c->kv->verify)
    st = c->kv->verify(c->kv->verify_ctx, token, c->now_s, &c->claims);
  c->claims.oid[sizeof(c->claims.oid) - 1] = '\0';
  c->claims.appid[sizeof(c->claims.appid) - 1] = '\0';
  c->claims.tid[sizeof(c->claims.tid) - 1] = '\0';
  c->claims.iss[sizeof(c->claims.iss) - 1] = '\0';
  c->claims.aud[sizeof(c->claims.aud) - 1] = '\0';
  if (st == MOCK_TOKEN_OK && !audience_ok(c->kv, c->claims.aud))
    st = MOCK_TOKEN_WRONG_AUDIENCE;
  if (st == MOCK_TOKEN_OK && !c->claims.oid[0])
    st = MOCK_TOKEN_MALFORMED;
  if (st == MOCK_TOKEN_OK)
    return true;
  char msg[768];
  char found[300];
  switch (st) {
  case MOCK_TOKEN_WRONG_AUDIENCE:
    printable(found, sizeof(found), c->claims.aud);
    snprintf(msg, sizeof(msg),
             "AKV10022: Invalid audience. Expected %s, found: %s.",
             c->kv->resource, found);
    break;
  case MOCK_TOKEN_WRONG_ISSUER:
    printable(found, sizeof(found), c->claims.iss);
    snprintf(msg, sizeof(msg),
             "AKV10032: Invalid issuer. Expected one of "
             "https://sts.windows.net/%s/, found %s.",
             c->kv->tenant_id, found);
    break;
  case MOCK_TOKEN_EXPIRED:
    snprintf(msg, sizeof(msg),
             "[TokenExpired] Error validating token: 'S2S12086'.");
    break;
  case MOCK_TOKEN_NOT_YET_VALID:
    snprintf(msg, sizeof(msg),
             "Error validating token: the token is not valid yet (its nbf "
             "is in the future on the mock's clock).");
    break;
  case MOCK_TOKEN_BAD_SIGNATURE:
    snprintf(msg, sizeof(msg),
             "Error validating token: the signature does not verify against "
             "the mock Entra ID's signing key.");
    break;
  default:
    snprintf(msg, sizeof(msg),
             "Error validating token: the bearer token is not a well-formed "
             "JWT with an oid claim.");
    break;
  }
  *out_rc = reply_unauthorized(c, msg);
  return false;
}

/* ---- request parsing ---- */

static bool digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return false;
  }
  return n > 0;
}

static bool api_version_supported(const char *v, bool *out_2025) {
  *out_2025 = false;
  if (strcmp(v, "2025-07-01") == 0 || strcmp(v, "2025-06-01-preview") == 0) {
    *out_2025 = true;
    return true;
  }
  if (v[0] != '7' || v[1] != '.' || v[2] < '0' || v[2] > '6')
    return false;
  if (v[3] == '\0')
    return true;
  return strncmp(v + 3, "-preview.", 9) == 0 && digits(v + 12, strlen(v + 12));
}

/* @return true when the api-version is fine; else the 400 is written. */
/* Every query name and value must percent-decode; otherwise a malformed
 * parameter (a "$skiptoken=%%") would silently count as absent. */
static bool check_query_encoding(kv_ctx *c, msikv_result *out_rc) {
  const char *p = c->req->query ? c->req->query : "";
  msikv_buf part;
  msikv_buf_init(&part, 1 << 20);
  bool ok = true;
  while (*p && ok) {
    size_t len = strcspn(p, "&");
    const char *eq = memchr(p, '=', len);
    size_t key_len = eq ? (size_t)(eq - p) : len;
    msikv_buf_reset(&part);
    ok = msikv_url_decode(&part, p, key_len, true) == MSIKV_OK;
    msikv_buf_reset(&part);
    if (ok && eq)
      ok = msikv_url_decode(&part, eq + 1, len - key_len - 1, true) == MSIKV_OK;
    if (!ok) {
      char shown[64];
      char raw[64];
      snprintf(raw, sizeof(raw), "%.*s", (int)(len < 60 ? len : 60), p);
      printable(shown, sizeof(shown), raw);
      *out_rc = reply_bad_parameter(
          c, "The query parameter '%s' is not valid percent-encoding.", shown);
    }
    p += len;
    if (*p == '&')
      p++;
  }
  msikv_buf_free(&part);
  return ok;
}

static bool check_api_version(kv_ctx *c, msikv_result *out_rc) {
  if (!check_query_encoding(c, out_rc))
    return false;
  msikv_buf v;
  msikv_buf_init(&v, 256);
  bool present = mock_query_get(c->req, "api-version", &v);
  bool ok = false;
  if (!present) {
    *out_rc = reply_bad_parameter(
        c,
        "The 'api-version' query parameter is required. The mock Key Vault "
        "supports %s.",
        SUPPORTED_VERSIONS);
  } else if (!v.data || v.len >= sizeof(c->api_version) ||
             !api_version_supported(v.data, &c->api_2025)) {
    char shown[64];
    printable(shown, sizeof(shown), v.data ? v.data : "");
    *out_rc = reply_bad_parameter(
        c,
        "The api-version '%s' is not supported by the mock Key Vault. Use "
        "one of %s.",
        shown, SUPPORTED_VERSIONS);
  } else {
    memcpy(c->api_version, v.data, v.len + 1);
    ok = true;
  }
  msikv_buf_free(&v);
  return ok;
}

/* Splits the path into decoded segments; a trailing '/' is dropped.
 * @return false when the path is not one the Key Vault could serve. */
static bool split_path(kv_ctx *c) {
  const char *p = c->req->path;
  if (!p || p[0] != '/')
    return false;
  p++;
  c->nseg = 0;
  while (*p) {
    size_t n = strcspn(p, "/");
    if (c->nseg == MAX_SEGMENTS)
      return false;
    /* A longer segment is cut to SEGMENT_MAX: it can then match no keyword
     * or version, and as a name it fails the 127-character rule (400). */
    msikv_buf seg;
    msikv_buf_init(&seg, 16 * SEGMENT_MAX);
    bool ok = msikv_url_decode(&seg, p, n, false) == MSIKV_OK;
    if (ok) {
      size_t len = seg.len < SEGMENT_MAX ? seg.len : SEGMENT_MAX;
      memcpy(c->seg[c->nseg], seg.data ? seg.data : "", len);
      c->seg[c->nseg][len] = '\0';
    }
    msikv_buf_free(&seg);
    if (!ok)
      return false;
    c->nseg++;
    p += n;
    if (*p == '/') {
      p++;
      if (!*p)
        break; /* the trailing slash the Python SDK sends */
    }
  }
  return true;
}

static bool method_is(const kv_ctx *c, const char *m) {
  return c->req->method && strcmp(c->req->method, m) == 0;
}

static const char *perm_name(unsigned perm) {
  switch (perm) {
  case KV_PERM_GET:
    return "get";
  case KV_PERM_LIST:
    return "list";
  case KV_PERM_SET:
    return "set";
  case KV_PERM_DELETE:
    return "delete";
  case KV_PERM_RECOVER:
    return "recover";
  case KV_PERM_PURGE:
    return "purge";
  case KV_PERM_BACKUP:
    return "backup";
  default:
    return "restore";
  }
}

/* @return true when the caller holds @p perm; else the 403 is written. */
static bool authorize(kv_ctx *c, unsigned perm, msikv_result *out_rc) {
  if (mock_kv__perms_for(c->vault, c->claims.oid) & perm)
    return true;
  char appid[64], oid[64], iss[160];
  printable(appid, sizeof(appid), c->claims.appid);
  printable(oid, sizeof(oid), c->claims.oid);
  printable(iss, sizeof(iss), c->claims.iss);
  *out_rc = reply_error(
      c, 403, "Forbidden", "AccessDenied",
      "The user, group or application 'appid=%s;oid=%s;iss=%s' does not "
      "have secrets %s permission on key vault '%s;location=%s'. For help "
      "resolving this issue, please see "
      "https://go.microsoft.com/fwlink/?linkid=2125287",
      appid, oid, iss, perm_name(perm), c->vault->name, c->vault->location);
  return false;
}

/* ---- bodies ---- */

typedef struct kv_props {
  const cJSON *value;
  const cJSON *content_type; /* string or null */
  const cJSON *tags;         /* object or null */
  const cJSON *enabled, *nbf, *exp;
} kv_props;

static bool read_epoch(const cJSON *n) {
  return cJSON_IsNull(n) ||
         (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e13 &&
          n->valuedouble == (double)(int64_t)n->valuedouble);
}

/* Parses and validates a PUT/PATCH body. @return the parsed JSON (owned) or
 * NULL with the 400 written (or *out_rc set on OOM). */
static cJSON *parse_props(kv_ctx *c, bool need_value, kv_props *p,
                          msikv_result *out_rc) {
  memset(p, 0, sizeof(*p));
  cJSON *root = NULL;
  if (c->req->body_len == 0 && !need_value)
    root = cJSON_CreateObject();
  else
    root = cJSON_ParseWithLength(c->req->body ? c->req->body : "",
                                 c->req->body_len);
  if (!cJSON_IsObject(root)) {
    *out_rc = reply_bad_parameter(
        c, need_value ? "The request body must be a JSON object with a "
                        "string \"value\"."
                      : "The request body must be a JSON object.");
    goto fail;
  }
  p->value = cJSON_GetObjectItemCaseSensitive(root, "value");
  p->content_type = cJSON_GetObjectItemCaseSensitive(root, "contentType");
  p->tags = cJSON_GetObjectItemCaseSensitive(root, "tags");
  const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(root, "attributes");
  if (need_value && !cJSON_IsString(p->value)) {
    *out_rc = reply_bad_parameter(
        c, "The request body must be a JSON object with a string \"value\".");
    goto fail;
  }
  if (need_value && strlen(p->value->valuestring) > c->kv->max_value_bytes) {
    *out_rc = reply_bad_parameter(
        c,
        "The secret value is %zu bytes; the mock Key Vault accepts at most "
        "%zu bytes (Azure documents 25 KB). Store a smaller value.",
        strlen(p->value->valuestring), c->kv->max_value_bytes);
    goto fail;
  }
  if (p->content_type && !cJSON_IsNull(p->content_type) &&
      (!cJSON_IsString(p->content_type) ||
       strlen(p->content_type->valuestring) > KV_CONTENT_TYPE_MAX)) {
    *out_rc = reply_bad_parameter(
        c, "contentType must be a string of at most 255 characters.");
    goto fail;
  }
  if (p->tags && !cJSON_IsNull(p->tags)) {
    if (!cJSON_IsObject(p->tags)) {
      *out_rc = reply_bad_parameter(
          c, "tags must be an object mapping names to string values.");
      goto fail;
    }
    int n = cJSON_GetArraySize(p->tags);
    if (n > KV_MAX_TAGS) {
      *out_rc = reply_bad_parameter(
          c, "Too many tags: %d. A secret can have at most 15 tags.", n);
      goto fail;
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, p->tags) {
      if (!cJSON_IsString(t) || strlen(t->string) > KV_TAG_NAME_MAX ||
          strlen(t->valuestring) > KV_TAG_VALUE_MAX || !t->string[0]) {
        *out_rc = reply_bad_parameter(
            c, "Each tag needs a name of 1 to 512 characters and a string "
               "value of at most 512 characters.");
        goto fail;
      }
    }
  }
  if (attrs && !cJSON_IsNull(attrs)) {
    p->enabled = cJSON_GetObjectItemCaseSensitive(attrs, "enabled");
    p->nbf = cJSON_GetObjectItemCaseSensitive(attrs, "nbf");
    p->exp = cJSON_GetObjectItemCaseSensitive(attrs, "exp");
    if (!cJSON_IsObject(attrs) ||
        (p->enabled && !cJSON_IsBool(p->enabled) &&
         !cJSON_IsNull(p->enabled)) ||
        (p->nbf && !read_epoch(p->nbf)) || (p->exp && !read_epoch(p->exp))) {
      *out_rc = reply_bad_parameter(
          c, "attributes must be an object with an optional boolean "
             "\"enabled\" and optional \"nbf\" and \"exp\" in Unix seconds.");
      goto fail;
    }
  }
  return root;
fail:
  cJSON_Delete(root);
  return NULL;
}

/* Applies contentType, tags and attributes from @p p to @p v. */
static msikv_result apply_props(kv_version *v, const kv_props *p) {
  if (p->content_type) {
    char *ct = NULL;
    if (cJSON_IsString(p->content_type)) {
      ct = msikv_strdup(p->content_type->valuestring);
      if (!ct)
        return MSIKV_ERR_NOMEM;
    }
    msikv_free(v->content_type);
    v->content_type = ct;
  }
  if (p->tags) {
    cJSON *t = NULL;
    if (cJSON_IsObject(p->tags)) {
      t = cJSON_Duplicate(p->tags, true);
      if (!t)
        return MSIKV_ERR_NOMEM;
    }
    cJSON_Delete(v->tags);
    v->tags = t;
  }
  if (cJSON_IsBool(p->enabled))
    v->enabled = cJSON_IsTrue(p->enabled);
  if (p->nbf) {
    v->has_nbf = cJSON_IsNumber(p->nbf);
    v->nbf_s = v->has_nbf ? (int64_t)p->nbf->valuedouble : 0;
  }
  if (p->exp) {
    v->has_exp = cJSON_IsNumber(p->exp);
    v->exp_s = v->has_exp ? (int64_t)p->exp->valuedouble : 0;
  }
  return MSIKV_OK;
}

/* ---- operations ---- */

/* The live (not deleted, not hidden by replication lag) secret, or NULL. */
static kv_secret *live_secret(kv_ctx *c, const char *name) {
  kv_secret *s = mock_kv__secret_find(c->vault, name);
  if (!s || s->deleted || c->now_ms < s->hidden_until_ms)
    return NULL;
  return s;
}

/* A deleted secret whose delete has completed, or NULL. */
static kv_secret *deleted_secret(kv_ctx *c, const char *name,
                                 bool *out_in_flight) {
  kv_secret *s = mock_kv__secret_find(c->vault, name);
  *out_in_flight = false;
  if (!s || !s->deleted)
    return NULL;
  if (c->now_ms < s->hidden_until_ms) {
    *out_in_flight = true;
    return NULL;
  }
  return s;
}

static msikv_result op_get(kv_ctx *c, const char *name, const char *version) {
  kv_secret *s = live_secret(c, name);
  kv_version *v = NULL;
  if (s)
    v = version ? mock_kv__version_find(s, version) : mock_kv__latest(s);
  if (!v)
    return reply_secret_not_found(c, name, version);
  if (!v->enabled)
    return reply_error(c, 403, "Forbidden", "SecretDisabled",
                       "Operation get is not allowed on a disabled secret.");
  return reply_secret(c, 200, s, v, KV_F_VALUE);
}

static msikv_result op_set(kv_ctx *c, const char *name) {
  msikv_result rc = MSIKV_OK;
  kv_props p;
  cJSON *body = parse_props(c, true, &p, &rc);
  if (!body)
    return rc;
  kv_secret *s = mock_kv__secret_find(c->vault, name);
  kv_version *v = NULL;
  bool created = false;
  if (s && s->deleted) {
    rc = reply_deleted_but_recoverable(c, s->name);
    goto out;
  }
  if (!s) {
    rc = mock_kv__secret_add(c->vault, name, &s);
    if (rc)
      goto out;
    created = true;
  }
  rc = mock_kv__version_add(s, &v);
  if (rc)
    goto undo;
  v->created_s = v->updated_s = c->now_s;
  v->value = msikv_strdup(p.value->valuestring);
  rc = v->value ? apply_props(v, &p) : MSIKV_ERR_NOMEM;
  if (rc)
    goto undo;
  rc = reply_secret(c, 200, s, v, KV_F_VALUE);
  if (!rc)
    goto out;
undo:
  if (v) {
    mock_kv__version_clear(v);
    s->version_count--;
  }
  if (created)
    mock_kv__secret_remove(c->vault, s);
out:
  cJSON_Delete(body);
  return rc;
}

static msikv_result op_update(kv_ctx *c, const char *name,
                              const char *version) {
  msikv_result rc = MSIKV_OK;
  kv_props p;
  cJSON *body = parse_props(c, false, &p, &rc);
  if (!body)
    return rc;
  kv_secret *s = live_secret(c, name);
  kv_version *v = NULL;
  if (s)
    v = version ? mock_kv__version_find(s, version) : mock_kv__latest(s);
  if (!v) {
    rc = reply_secret_not_found(c, name, version);
    goto out;
  }
  /* Apply to a copy so that an allocation failure changes nothing. */
  kv_version copy = *v;
  copy.content_type = v->content_type ? msikv_strdup(v->content_type) : NULL;
  copy.tags = v->tags ? cJSON_Duplicate(v->tags, true) : NULL;
  copy.value = NULL;
  if ((v->content_type && !copy.content_type) || (v->tags && !copy.tags))
    rc = MSIKV_ERR_NOMEM;
  if (!rc)
    rc = apply_props(&copy, &p);
  if (rc) {
    mock_kv__version_clear(&copy);
    goto out;
  }
  copy.updated_s = c->now_s;
  copy.value = v->value;
  msikv_free(v->content_type);
  cJSON_Delete(v->tags);
  *v = copy;
  rc = reply_secret(c, 200, s, v, 0);
out:
  cJSON_Delete(body);
  return rc;
}

static msikv_result op_delete(kv_ctx *c, const char *name) {
  kv_secret *s = live_secret(c, name);
  if (!s)
    return reply_secret_not_found(c, name, NULL);
  s->deleted = true;
  s->deleted_s = c->now_s;
  s->purge_s = c->now_s + (int64_t)c->kv->recoverable_days * 86400;
  s->hidden_until_ms = c->now_ms + c->kv->lag_ms;
  return reply_secret(c, 200, s, mock_kv__latest(s), KV_F_DELETED);
}

static msikv_result op_get_deleted(kv_ctx *c, const char *name) {
  bool in_flight;
  kv_secret *s = deleted_secret(c, name, &in_flight);
  if (!s)
    return reply_deleted_not_found(c, name);
  return reply_secret(c, 200, s, mock_kv__latest(s), KV_F_DELETED);
}

static msikv_result op_purge(kv_ctx *c, const char *name) {
  bool in_flight;
  kv_secret *s = deleted_secret(c, name, &in_flight);
  if (in_flight)
    return reply_being_deleted(c);
  if (!s)
    return reply_deleted_not_found(c, name);
  mock_kv__secret_remove(c->vault, s);
  c->resp->status = 204;
  return MSIKV_OK;
}

static msikv_result op_recover(kv_ctx *c, const char *name) {
  bool in_flight;
  kv_secret *s = deleted_secret(c, name, &in_flight);
  if (in_flight)
    return reply_being_deleted(c);
  if (!s)
    return reply_deleted_not_found(c, name);
  s->deleted = false;
  s->hidden_until_ms = c->now_ms + c->kv->lag_ms;
  return reply_secret(c, 200, s, mock_kv__latest(s), 0);
}

static msikv_result op_backup(kv_ctx *c, const char *name) {
  kv_secret *s = live_secret(c, name);
  if (!s)
    return reply_secret_not_found(c, name, NULL);
  msikv_buf blob;
  msikv_buf_init(&blob, (size_t)64 << 20);
  msikv_result rc = mock_kv__backup_encode(s, &blob);
  cJSON *o = NULL;
  if (!rc) {
    o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "value", blob.data))
      rc = MSIKV_ERR_NOMEM;
  }
  msikv_buf_free(&blob);
  if (rc) {
    cJSON_Delete(o);
    return rc;
  }
  return reply_json(c, 200, o);
}

static msikv_result op_restore(kv_ctx *c) {
  msikv_result rc = MSIKV_OK;
  cJSON *body =
      cJSON_ParseWithLength(c->req->body ? c->req->body : "", c->req->body_len);
  const cJSON *value = cJSON_GetObjectItemCaseSensitive(body, "value");
  kv_secret *restored = NULL;
  if (!cJSON_IsString(value)) {
    rc = reply_bad_parameter(c, "The request body must be a JSON object "
                                "with the backup blob as a string \"value\".");
    goto out;
  }
  rc = mock_kv__backup_decode(value->valuestring, strlen(value->valuestring),
                              &restored);
  if (rc == MSIKV_ERR_PARSE) {
    rc = reply_error(c, 400, "Malformed backup blob", NULL,
                     "Backup blob is corrupt.");
    goto out;
  }
  if (rc)
    goto out;
  kv_secret *existing = mock_kv__secret_find(c->vault, restored->name);
  if (existing && existing->deleted) {
    rc = reply_deleted_but_recoverable(c, existing->name);
    goto out;
  }
  if (existing) {
    rc = reply_error(c, 409, "Conflict", NULL,
                     "Secret %s already exists in this key vault. Delete and "
                     "purge it before restoring its backup.",
                     existing->name);
    goto out;
  }
  kv_secret *slot = NULL;
  rc = mock_kv__secret_add(c->vault, restored->name, &slot);
  if (rc)
    goto out;
  /* Move the decoded versions into the new secret. */
  slot->versions = restored->versions;
  slot->version_count = restored->version_count;
  slot->version_cap = restored->version_cap;
  restored->versions = NULL;
  restored->version_count = restored->version_cap = 0;
  rc = reply_secret(c, 200, slot, mock_kv__latest(slot), 0);
out:
  mock_kv__secret_free(restored);
  cJSON_Delete(body);
  return rc;
}

/* ---- paging ---- */

typedef struct page_entry {
  const char *key;
  kv_secret *s;
  kv_version *v;
} page_entry;

static int entry_cmp(const void *a, const void *b) {
  return strcasecmp(((const page_entry *)a)->key, ((const page_entry *)b)->key);
}

/* Reads maxresults and $skiptoken. @return false with the 400 written. */
static bool page_params(kv_ctx *c, int64_t *out_max, msikv_buf *out_marker,
                        msikv_result *out_rc) {
  msikv_buf q;
  msikv_buf_init(&q, 4096);
  bool ok = true;
  *out_max = KV_PAGE_MAX;
  if (mock_query_get(c->req, "maxresults", &q)) {
    if (!q.data ||
        msikv_parse_int64_str(q.data, 1, KV_PAGE_MAX, out_max) != MSIKV_OK) {
      char shown[64];
      printable(shown, sizeof(shown), q.data ? q.data : "");
      *out_rc = reply_bad_parameter(
          c, "Invalid maxresults '%s': it must be an integer from 1 to 25.",
          shown);
      ok = false;
    }
  }
  msikv_buf_reset(&q);
  if (ok && mock_query_get(c->req, "$skiptoken", &q) && q.data && q.len) {
    msikv_buf raw;
    msikv_buf_init(&raw, 4096);
    cJSON *j = NULL;
    const cJSON *m = NULL;
    if (mock_kv__b64_decode(&raw, q.data, q.len) == MSIKV_OK) {
      j = cJSON_ParseWithLength(raw.data, raw.len);
      m = cJSON_GetObjectItemCaseSensitive(j, "NextMarker");
    }
    if (cJSON_IsString(m)) {
      *out_rc = msikv_buf_append_str(out_marker, m->valuestring);
      ok = *out_rc == MSIKV_OK;
    } else {
      *out_rc = reply_bad_parameter(
          c, "The $skiptoken is not one this mock Key Vault issued. Follow "
             "nextLink exactly as returned.");
      ok = false;
    }
    cJSON_Delete(j);
    msikv_buf_free(&raw);
  }
  msikv_buf_free(&q);
  return ok;
}

static msikv_result next_link(kv_ctx *c, const char *path, const char *key,
                              int64_t max, msikv_buf *out) {
  cJSON *m = cJSON_CreateObject();
  char *text = NULL;
  msikv_buf tok;
  msikv_buf_init(&tok, 8192);
  msikv_result rc = MSIKV_ERR_NOMEM;
  if (m && cJSON_AddStringToObject(m, "NextMarker", key))
    text = cJSON_PrintUnformatted(m);
  if (text)
    rc =
        mock_kv__b64url_encode(&tok, (const unsigned char *)text, strlen(text));
  if (!rc)
    rc = msikv_buf_appendf(
        out, "%s%s?api-version=%s&$skiptoken=%s&maxresults=%lld", c->link_base,
        path, c->api_version, tok.data, (long long)max);
  cJSON_free(text);
  cJSON_Delete(m);
  msikv_buf_free(&tok);
  return rc;
}

typedef enum list_kind { LIST_SECRETS, LIST_VERSIONS, LIST_DELETED } list_kind;

static msikv_result op_list(kv_ctx *c, list_kind kind, const char *name) {
  msikv_result rc = MSIKV_OK;
  int64_t max = 0;
  page_entry *entries = NULL;
  cJSON *root = NULL;
  msikv_buf marker, link;
  msikv_buf_init(&marker, 4096);
  msikv_buf_init(&link, 16384);
  kv_secret *owner = NULL;
  char path[300];
  if (kind == LIST_VERSIONS) {
    owner = live_secret(c, name);
    if (!owner) {
      rc = reply_secret_not_found(c, name, NULL);
      goto out;
    }
    snprintf(path, sizeof(path), "/secrets/%s/versions", owner->name);
  } else {
    snprintf(path, sizeof(path), "%s",
             kind == LIST_SECRETS ? "/secrets" : "/deletedsecrets");
  }
  if (!page_params(c, &max, &marker, &rc))
    goto out;
  size_t cap =
      kind == LIST_VERSIONS ? owner->version_count : c->vault->secret_count;
  entries = msikv_calloc(cap ? cap : 1, sizeof(*entries));
  if (!entries) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  size_t n = 0;
  for (size_t i = 0; i < cap; i++) {
    if (kind == LIST_VERSIONS) {
      entries[n++] =
          (page_entry){owner->versions[i].version, owner, &owner->versions[i]};
      continue;
    }
    kv_secret *s = c->vault->secrets[i];
    bool want = kind == LIST_SECRETS
                    ? !s->deleted
                    : (s->deleted && c->now_ms >= s->hidden_until_ms);
    if (want && s->version_count)
      entries[n++] = (page_entry){s->name, s, mock_kv__latest(s)};
  }
  qsort(entries, n, sizeof(*entries), entry_cmp);
  size_t start = 0;
  if (marker.data) {
    while (start < n && strcasecmp(entries[start].key, marker.data) <= 0)
      start++;
  }
  root = cJSON_CreateObject();
  cJSON *arr = root ? cJSON_AddArrayToObject(root, "value") : NULL;
  if (!arr) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  size_t end = start + (size_t)max < n ? start + (size_t)max : n;
  unsigned flags = kind == LIST_VERSIONS  ? KV_F_VERSION_ID
                   : kind == LIST_DELETED ? KV_F_DELETED
                                          : 0;
  for (size_t i = start; i < end; i++) {
    cJSON *item =
        mock_kv__secret_json(c->kv, c->base, entries[i].s, entries[i].v, flags);
    if (!item) {
      rc = MSIKV_ERR_NOMEM;
      goto out;
    }
    cJSON_AddItemToArray(arr, item);
  }
  if (end < n) {
    rc = next_link(c, path, entries[end - 1].key, max, &link);
    if (rc || !cJSON_AddStringToObject(root, "nextLink", link.data)) {
      rc = rc ? rc : MSIKV_ERR_NOMEM;
      goto out;
    }
  } else if (!cJSON_AddNullToObject(root, "nextLink")) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  rc = reply_json(c, 200, root);
  root = NULL;
out:
  cJSON_Delete(root);
  msikv_free(entries);
  msikv_buf_free(&marker);
  msikv_buf_free(&link);
  return rc;
}

/* ---- routing ---- */

static msikv_result no_route(kv_ctx *c, bool method_wrong) {
  char method[16], path[200];
  printable(method, sizeof(method), c->req->method);
  printable(path, sizeof(path), c->req->path);
  if (method_wrong)
    return reply_error(c, 405, "MethodNotAllowed", NULL,
                       "The mock Key Vault does not support %s on %s.", method,
                       path);
  return reply_error(c, 404, "NotFound", NULL,
                     "The mock Key Vault has no resource at %s (it serves "
                     "/secrets and /deletedsecrets).",
                     path);
}

/* Checks the name in segment 1 and the permission; @return false with the
 * reply written. */
static bool allowed(kv_ctx *c, unsigned perm, bool has_name,
                    msikv_result *out_rc) {
  if (has_name && !mock_kv__name_valid(c->seg[1])) {
    char shown[SEGMENT_MAX + 1];
    printable(shown, sizeof(shown), c->seg[1]);
    *out_rc = reply_bad_parameter(
        c, "The request URI contains an invalid name: %s", shown);
    return false;
  }
  return authorize(c, perm, out_rc);
}

static msikv_result route(kv_ctx *c) {
  msikv_result rc = MSIKV_OK;
  if (!split_path(c) || c->nseg == 0)
    return no_route(c, false);
  const char *col = c->seg[0];
  const char *name = c->seg[1];
  bool get = method_is(c, "GET"), put = method_is(c, "PUT"),
       patch = method_is(c, "PATCH"), del = method_is(c, "DELETE"),
       post = method_is(c, "POST");
  if (strcmp(col, "secrets") == 0) {
    if (c->nseg == 1) {
      if (!get)
        return no_route(c, true);
      return allowed(c, KV_PERM_LIST, false, &rc)
                 ? op_list(c, LIST_SECRETS, NULL)
                 : rc;
    }
    if (c->nseg == 2 && post && strcmp(name, "restore") == 0)
      return allowed(c, KV_PERM_RESTORE, false, &rc) ? op_restore(c) : rc;
    if (c->nseg == 2) {
      if (get)
        return allowed(c, KV_PERM_GET, true, &rc) ? op_get(c, name, NULL) : rc;
      if (put)
        return allowed(c, KV_PERM_SET, true, &rc) ? op_set(c, name) : rc;
      if (patch)
        return allowed(c, KV_PERM_SET, true, &rc) ? op_update(c, name, NULL)
                                                  : rc;
      if (del)
        return allowed(c, KV_PERM_DELETE, true, &rc) ? op_delete(c, name) : rc;
      return no_route(c, true);
    }
    if (c->nseg == 3) {
      const char *third = c->seg[2];
      if (strcmp(third, "versions") == 0 && get)
        return allowed(c, KV_PERM_LIST, true, &rc)
                   ? op_list(c, LIST_VERSIONS, name)
                   : rc;
      if (strcmp(third, "backup") == 0 && post)
        return allowed(c, KV_PERM_BACKUP, true, &rc) ? op_backup(c, name) : rc;
      if (get)
        return allowed(c, KV_PERM_GET, true, &rc) ? op_get(c, name, third) : rc;
      if (patch)
        return allowed(c, KV_PERM_SET, true, &rc) ? op_update(c, name, third)
                                                  : rc;
      return no_route(c, true);
    }
    return no_route(c, false);
  }
  if (strcmp(col, "deletedsecrets") == 0) {
    if (c->nseg == 1) {
      if (!get)
        return no_route(c, true);
      return allowed(c, KV_PERM_LIST, false, &rc)
                 ? op_list(c, LIST_DELETED, NULL)
                 : rc;
    }
    if (c->nseg == 2) {
      if (get)
        return allowed(c, KV_PERM_GET, true, &rc) ? op_get_deleted(c, name)
                                                  : rc;
      if (del)
        return allowed(c, KV_PERM_PURGE, true, &rc) ? op_purge(c, name) : rc;
      return no_route(c, true);
    }
    if (c->nseg == 3 && strcmp(c->seg[2], "recover") == 0) {
      if (!post)
        return no_route(c, true);
      return allowed(c, KV_PERM_RECOVER, true, &rc) ? op_recover(c, name) : rc;
    }
    return no_route(c, false);
  }
  return no_route(c, false);
}

static msikv_result handle(kv_ctx *c) {
  msikv_result rc = MSIKV_OK;
  const mock_kv *kv = c->kv;
  const char *host = c->req->host ? c->req->host : "";
  if (!mock_kv_host_matches(kv, host)) {
    char shown[200];
    printable(shown, sizeof(shown), host);
    return reply_bad_parameter(c,
                               "The host '%s' is not a vault host of this "
                               "mock Key Vault ({vault}.%s).",
                               shown, kv->dns_suffix);
  }
  size_t label = strcspn(host, ".");
  if (label >= sizeof(c->vault_name))
    label = sizeof(c->vault_name) - 1;
  memcpy(c->vault_name, host, label);
  c->vault_name[label] = '\0';
  for (char *p = c->vault_name; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  int port = kv->port ? kv->port : 443;
  if (port == 443)
    snprintf(c->base, sizeof(c->base), "https://%s.%s", c->vault_name,
             kv->dns_suffix);
  else
    snprintf(c->base, sizeof(c->base), "https://%s.%s:%d", c->vault_name,
             kv->dns_suffix, port);
  snprintf(c->link_base, sizeof(c->link_base), "https://%s.%s:%d",
           c->vault_name, kv->dns_suffix, port);

  if (!authenticate(c, &rc))
    return rc;
  if (!check_api_version(c, &rc))
    return rc;

  pthread_mutex_lock(&c->kv->lock);
  c->vault = mock_kv__vault_find(kv, c->vault_name);
  if (!c->vault) {
    rc = reply_error(c, 404, "VaultNotFound", NULL,
                     "The mock Key Vault has no vault named '%s'. Add it to "
                     "the seed file, or use one of the seeded vaults.",
                     c->vault_name);
  } else {
    mock_kv__auto_purge(c->vault, c->now_s);
    rc = route(c);
    /* Persist an acknowledged write before the reply leaves. */
    if (!rc && c->kv->state_file && !method_is(c, "GET") &&
        c->resp->status >= 200 && c->resp->status < 300) {
      msikv_error err;
      msikv_error_clear(&err);
      if (mock_kv__persist_locked(c->kv, &err)) {
        mock_response_free(c->resp);
        mock_response_init(c->resp);
        rc = reply_error(c, 500, "InternalError", NULL,
                         "The mock Key Vault could not save its state file: "
                         "%s. The write is not acknowledged.",
                         err.message);
      }
    }
  }
  pthread_mutex_unlock(&c->kv->lock);
  return rc;
}

static void request_id(char out[37]) {
  char hex[33];
  mock_kv__random_hex(hex, 16);
  snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
           hex + 16, hex + 20);
}

void mock_kv_handle(mock_kv *kv, const mock_request *req, mock_response *resp) {
  kv_ctx *c = msikv_calloc(1, sizeof(*c));
  msikv_result rc = MSIKV_ERR_NOMEM;
  if (c && kv && req) {
    c->kv = kv;
    c->req = req;
    c->resp = resp;
    c->now_ms = req->now_ms;
    c->now_s = req->now_ms / 1000;
    rc = handle(c);
  }
  msikv_free(c);
  if (rc) {
    mock_response_free(resp);
    mock_response_init(resp);
    rc = mock_response_text(resp, 500, "mock Key Vault: out of memory");
    if (rc)
      resp->status = 500;
  }
  char rid[37];
  request_id(rid);
  const char *client_rid =
      req ? mock_request_header(req, "x-ms-client-request-id") : NULL;
  /* Header failures only lose headers; the status and body stand. */
  (void)mock_response_header(resp, "x-ms-request-id", rid);
  if (client_rid)
    (void)mock_response_header(resp, "x-ms-client-request-id", client_rid);
  (void)mock_response_header(resp, "x-ms-keyvault-region", "local");
  (void)mock_response_header(resp, "x-ms-keyvault-service-version",
                             "1.9.0.0-msikv-mock");
}
