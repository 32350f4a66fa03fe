/* SPDX-License-Identifier: MIT */
/* The admin API: request log, faults, clock, replication lag, reset. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "assertion.h"
#include "files.h"
#include "msikv/alloc.h"
#include "msikv/parse.h"
#include "util.h"

static void admin_error(mock_response *resp, int status, const char *msg) {
  cJSON *o = cJSON_CreateObject();
  if (o && !cJSON_AddStringToObject(o, "error", msg)) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, status, o);
}

static cJSON *parse_body(const mock_request *req, mock_response *resp) {
  cJSON *json = NULL;
  if (req->body_len)
    json = cJSON_ParseWithLength(req->body, req->body_len);
  if (!json)
    admin_error(resp, 400, "the body must be JSON");
  return json;
}

/* Admin numbers (clock shifts, lifetimes, offsets) are bounded to +-1e13
 * (300 years in seconds), so that seconds * 1000 and shifts added to the
 * clock stay far from int64 overflow (fuzz: {"shift_s":3.1e27} and
 * {"shift_s":2541250321654359632}). */
#define ADMIN_INT_MAX 10000000000000LL

static bool get_int(const cJSON *o, const char *name, int64_t *out) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
  if (cJSON_IsNumber(it)) {
    double v = it->valuedouble;
    if (!(v >= -(double)ADMIN_INT_MAX && v <= (double)ADMIN_INT_MAX))
      return false;
    *out = (int64_t)v;
    return true;
  }
  if (cJSON_IsString(it))
    return msikv_parse_int64_str(it->valuestring, -ADMIN_INT_MAX,
                                 ADMIN_INT_MAX, out) == MSIKV_OK;
  return false;
}

static void config(mock_app *app, mock_response *resp) {
  char kv_url[256], id_ep[128], imds[128];
  /* As Azure writes it: no port when it is 443 (the ids, the challenge's
   * resource and Python's host-and-port check agree). */
  if (app->tls_port == 443)
    snprintf(kv_url, sizeof(kv_url), "https://demo.%s", app->dns_suffix);
  else
    snprintf(kv_url, sizeof(kv_url), "https://demo.%s:%d", app->dns_suffix,
             app->tls_port);
  snprintf(id_ep, sizeof(id_ep), "http://127.0.0.1:%d/msi/token",
           app->msi_port);
  snprintf(imds, sizeof(imds), "http://127.0.0.1:%d", app->msi_port);
  cJSON *o = cJSON_CreateObject();
  cJSON *ps = o ? cJSON_AddArrayToObject(o, "principals") : NULL;
  bool ok =
      ps && cJSON_AddNumberToObject(o, "tls_port", app->tls_port) &&
      cJSON_AddNumberToObject(o, "msi_port", app->msi_port) &&
      cJSON_AddNumberToObject(o, "admin_port", app->admin_port) &&
      cJSON_AddStringToObject(o, "key_vault_url", kv_url) &&
      cJSON_AddStringToObject(o, "dns_suffix", app->dns_suffix) &&
      cJSON_AddStringToObject(o, "authority", app->authority) &&
      cJSON_AddStringToObject(o, "resource", app->resource) &&
      cJSON_AddStringToObject(o, "tenant_id", app->principals.tenant_id) &&
      cJSON_AddStringToObject(o, "identity_endpoint", id_ep) &&
      cJSON_AddStringToObject(o, "identity_header", app->identity_header) &&
      cJSON_AddStringToObject(o, "msi_endpoint", id_ep) &&
      cJSON_AddStringToObject(o, "msi_secret", app->msi_secret) &&
      cJSON_AddStringToObject(o, "imds_authority_host", imds) &&
      cJSON_AddStringToObject(o, "ca_file", app->ca_path) &&
      cJSON_AddStringToObject(o, "federated_issuer", MOCK_FEDERATED_ISSUER) &&
      cJSON_AddNumberToObject(o, "token_lifetime_s",
                              (double)app->token_lifetime_s) &&
      cJSON_AddStringToObject(o, "legacy_expires_format",
                              mock_expires_format_name(app->msi.legacy_format));
  for (size_t i = 0; ok && i < app->principals.count; i++) {
    const mock_principal *p = &app->principals.items[i];
    cJSON *e = cJSON_CreateObject();
    ok = e != NULL;
    if (ok)
      cJSON_AddItemToArray(ps, e);
    ok = ok &&
         cJSON_AddStringToObject(e, "type",
                                 p->kind == MOCK_PRINCIPAL_MANAGED_IDENTITY
                                     ? "managed_identity"
                                     : "service_principal") &&
         cJSON_AddStringToObject(e, "name", p->name) &&
         cJSON_AddStringToObject(e, "client_id", p->client_id) &&
         cJSON_AddStringToObject(e, "object_id", p->object_id) &&
         cJSON_AddBoolToObject(e, "system_assigned", p->system_assigned);
    if (ok && p->resource_id[0])
      ok = cJSON_AddStringToObject(e, "resource_id", p->resource_id) != NULL;
    if (ok && p->has_cert) {
      char hex[41];
      for (size_t k = 0; k < sizeof(p->cert.sha1); k++)
        snprintf(hex + 2 * k, 3, "%02X", p->cert.sha1[k]);
      ok = cJSON_AddStringToObject(e, "certificate_thumbprint", hex) != NULL;
    }
    cJSON *fics = ok && p->federated_count
                      ? cJSON_AddArrayToObject(e, "federated_credentials")
                      : NULL;
    for (size_t k = 0; fics && ok && k < p->federated_count; k++) {
      const mock_federated_credential *f = &p->federated[k];
      cJSON *fo = cJSON_CreateObject();
      ok = fo != NULL;
      if (ok)
        cJSON_AddItemToArray(fics, fo);
      ok = ok && cJSON_AddStringToObject(fo, "name", f->name) &&
           cJSON_AddStringToObject(fo, "issuer", f->issuer) &&
           cJSON_AddStringToObject(fo, "subject", f->subject) &&
           cJSON_AddStringToObject(fo, "audience", f->audience);
    }
  }
  if (!ok) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, 200, o);
}

static void requests(mock_app *app, const mock_request *req,
                     mock_response *resp) {
  if (strcmp(req->method, "DELETE") == 0) {
    mock_reqlog_clear(app->log);
    resp->status = 204;
    return;
  }
  int64_t since = 0;
  msikv_buf v;
  msikv_buf_init(&v, 64);
  if (mock_query_get(req, "since", &v) &&
      msikv_parse_int64_str(v.data, 0, INT64_MAX / 2, &since)) {
    msikv_buf_free(&v);
    admin_error(resp, 400, "since must be a sequence number");
    return;
  }
  msikv_buf_free(&v);
  mock_respond_json(resp, 200, mock_reqlog_to_json(app->log, since));
}

static void faults(mock_app *app, const mock_request *req, const char *rest,
                   mock_response *resp) {
  if (strcmp(req->method, "GET") == 0 && !rest[0]) {
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = mock_faults_to_json(app->faults);
    if (o && arr && cJSON_AddItemToObject(o, "faults", arr)) {
      arr = NULL;
    } else {
      cJSON_Delete(arr);
      cJSON_Delete(o);
      o = NULL;
    }
    mock_respond_json(resp, 200, o);
    return;
  }
  if (strcmp(req->method, "DELETE") == 0) {
    if (!rest[0]) {
      mock_faults_clear(app->faults);
      resp->status = 204;
      return;
    }
    int64_t id = 0;
    if (msikv_parse_int64_str(rest + 1, 1, 1 << 30, &id) ||
        !mock_faults_remove(app->faults, (int)id)) {
      admin_error(resp, 404, "no such fault");
      return;
    }
    resp->status = 204;
    return;
  }
  if (strcmp(req->method, "POST") != 0 || rest[0]) {
    admin_error(resp, 405, "use GET, POST or DELETE /admin/faults");
    return;
  }
  cJSON *body = parse_body(req, resp);
  if (!body)
    return;
  cJSON *out = cJSON_CreateObject();
  cJSON *ids = out ? cJSON_AddArrayToObject(out, "ids") : NULL;
  const cJSON *items = body;
  cJSON *one = NULL;
  if (!cJSON_IsArray(body)) {
    one = cJSON_CreateArray();
    items = one && cJSON_AddItemReferenceToArray(one, body) ? one : NULL;
  }
  bool ok = ids && items;
  const cJSON *it;
  if (ok) {
    cJSON_ArrayForEach(it, items) {
      mock_fault f;
      msikv_error err;
      msikv_error_clear(&err);
      int id = 0;
      if (mock_fault_from_json(it, &f, &err)) {
        admin_error(resp, 400, err.message);
        goto out;
      }
      if (mock_faults_add(app->faults, &f, &id)) {
        admin_error(resp, 400, "too many faults; DELETE /admin/faults first");
        goto out;
      }
      cJSON *n = cJSON_CreateNumber(id);
      if (n)
        cJSON_AddItemToArray(ids, n);
    }
  }
  mock_respond_json(resp, ok ? 201 : 500, out);
  out = NULL;
out:
  cJSON_Delete(out);
  cJSON_Delete(one);
  cJSON_Delete(body);
}

static void clock_(mock_app *app, const mock_request *req,
                   mock_response *resp) {
  if (strcmp(req->method, "POST") == 0) {
    cJSON *body = parse_body(req, resp);
    if (!body)
      return;
    int64_t v = 0;
    if (get_int(body, "set_shift_ms", &v))
      mock_clock_set_shift(&app->clock, v);
    else if (get_int(body, "shift_ms", &v))
      mock_clock_shift(&app->clock, v);
    else if (get_int(body, "shift_s", &v))
      mock_clock_shift(&app->clock, v * 1000);
    else {
      cJSON_Delete(body);
      admin_error(resp, 400,
                  "give {\"shift_s\":N}, {\"shift_ms\":N} (added to the "
                  "shift) or {\"set_shift_ms\":N}");
      return;
    }
    cJSON_Delete(body);
  } else if (strcmp(req->method, "GET") != 0) {
    admin_error(resp, 405, "use GET or POST /admin/clock");
    return;
  }
  cJSON *o = cJSON_CreateObject();
  if (o && (!cJSON_AddNumberToObject(o, "now_ms",
                                     (double)mock_clock_now_ms(&app->clock)) ||
            !cJSON_AddNumberToObject(
                o, "shift_ms", (double)mock_clock_get_shift(&app->clock)))) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, 200, o);
}

static void replication_lag(mock_app *app, const mock_request *req,
                            mock_response *resp) {
  cJSON *body = parse_body(req, resp);
  if (!body)
    return;
  int64_t ms = 0;
  if (!get_int(body, "ms", &ms) || ms < 0 || ms > 3600000) {
    cJSON_Delete(body);
    admin_error(resp, 400, "give {\"ms\":N} with N from 0 to 3600000");
    return;
  }
  cJSON_Delete(body);
  pthread_rwlock_wrlock(&app->kv_lock);
  app->replication_lag_ms = ms;
  mock_kv_set_replication_lag_ms(app->kv, ms);
  pthread_rwlock_unlock(&app->kv_lock);
  resp->status = 204;
}

/* Mints a token with chosen claims, for tests of token validation. */
static void token(mock_app *app, const mock_request *req, mock_response *resp) {
  cJSON *body = parse_body(req, resp);
  if (!body)
    return;
  const mock_principal *who = NULL;
  const cJSON *cid = cJSON_GetObjectItemCaseSensitive(body, "client_id");
  if (cJSON_IsString(cid))
    who = mock_principals_by_client_id(&app->principals, cid->valuestring);
  if (!who) {
    cJSON_Delete(body);
    admin_error(resp, 400, "give {\"client_id\": a known principal}");
    return;
  }
  const cJSON *aud = cJSON_GetObjectItemCaseSensitive(body, "aud");
  const cJSON *tid = cJSON_GetObjectItemCaseSensitive(body, "tid");
  int64_t now_s = req->now_ms / 1000;
  int64_t lifetime = app->token_lifetime_s, nbf_offset = 0, iat_offset = 0;
  (void)get_int(body, "lifetime_s", &lifetime);
  (void)get_int(body, "nbf_offset_s", &nbf_offset);
  (void)get_int(body, "iat_offset_s", &iat_offset);
  mock_jwt_claims c = {
      .aud = cJSON_IsString(aud) ? aud->valuestring : app->resource,
      .tid = cJSON_IsString(tid) ? tid->valuestring : app->principals.tenant_id,
      .oid = who->object_id,
      .appid = who->client_id,
      .mirid = NULL,
      .iat = now_s + iat_offset,
      .nbf = now_s + iat_offset + nbf_offset,
      .exp = now_s + iat_offset + lifetime,
  };
  msikv_buf tok;
  msikv_buf_init_secret(&tok, 1 << 16);
  cJSON *o = NULL;
  if (!mock_jwt_issue(app->key, &c, &tok)) {
    o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "access_token", tok.data)) {
      cJSON_Delete(o);
      o = NULL;
    }
  }
  msikv_buf_free(&tok);
  cJSON_Delete(body);
  mock_respond_json(resp, 200, o);
}

static const char *opt_str(const cJSON *o, const char *name) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring : NULL;
}

/* Mints a federated token (the projected service-account token file of
 * workload identity), signed by the mock's issuer key; writes it to "path"
 * (atomically, mode 0600) when given. */
static void federated_token(mock_app *app, const mock_request *req,
                            mock_response *resp) {
  cJSON *body = req->body_len ? parse_body(req, resp) : cJSON_CreateObject();
  if (!body) {
    if (!req->body_len)
      resp->status = 500;
    return;
  }
  if (!cJSON_IsObject(body)) {
    cJSON_Delete(body);
    admin_error(resp, 400, "the body must be a JSON object");
    return;
  }
  int64_t now_s = req->now_ms / 1000;
  int64_t lifetime = 3600, nbf_offset = 0;
  (void)get_int(body, "lifetime_s", &lifetime);
  (void)get_int(body, "nbf_offset_s", &nbf_offset);
  mock_federated_claims c = {
      .issuer = opt_str(body, "issuer"),
      .subject = opt_str(body, "subject"),
      .audience = opt_str(body, "audience"),
      .iat = now_s,
      .nbf = now_s + nbf_offset,
      .exp = now_s + lifetime,
  };
  if (!c.subject)
    c.subject = MOCK_WORKLOAD_SUBJECT;
  const char *path = opt_str(body, "path");
  msikv_buf tok;
  msikv_buf_init_secret(&tok, 1 << 16);
  msikv_error err;
  msikv_error_clear(&err);
  cJSON *o = NULL;
  if (mock_federated_token_mint(app->key, &c, &tok)) {
    admin_error(resp, 500, "could not sign the federated token");
    goto out;
  }
  if (path && mock_file_replace(path, tok.data, tok.len, 0600, &err)) {
    char msg[1200];
    snprintf(msg, sizeof(msg), "cannot write %s: %s", path, err.message);
    admin_error(resp, 400, msg);
    goto out;
  }
  o = cJSON_CreateObject();
  if (o &&
      !(cJSON_AddStringToObject(o, "token", tok.data) &&
        cJSON_AddStringToObject(o, "issuer",
                                c.issuer ? c.issuer : MOCK_FEDERATED_ISSUER) &&
        cJSON_AddStringToObject(o, "subject", c.subject) &&
        cJSON_AddStringToObject(
            o, "audience", c.audience ? c.audience : MOCK_FEDERATED_AUDIENCE) &&
        cJSON_AddNumberToObject(o, "expires_on", (double)c.exp) &&
        (!path || cJSON_AddStringToObject(o, "path", path)))) {
    cJSON_Delete(o);
    o = NULL;
  }
  mock_respond_json(resp, 200, o);
out:
  msikv_buf_free(&tok);
  cJSON_Delete(body);
}

void mock_admin_handle(mock_app *app, const mock_request *req,
                       mock_response *resp) {
  const char *path = req->path;
  const char *m = req->method;
  if (strcmp(path, "/admin/health") == 0) {
    (void)mock_response_text(resp, 200, "ok\n");
  } else if (strcmp(path, "/admin/config") == 0 && strcmp(m, "GET") == 0) {
    config(app, resp);
  } else if (strcmp(path, "/admin/requests") == 0) {
    requests(app, req, resp);
  } else if (strncmp(path, "/admin/faults", 13) == 0 &&
             (path[13] == '\0' || path[13] == '/')) {
    faults(app, req, path + 13, resp);
  } else if (strcmp(path, "/admin/clock") == 0) {
    clock_(app, req, resp);
  } else if (strcmp(path, "/admin/replication-lag") == 0 &&
             strcmp(m, "POST") == 0) {
    replication_lag(app, req, resp);
  } else if (strcmp(path, "/admin/token") == 0 && strcmp(m, "POST") == 0) {
    token(app, req, resp);
  } else if (strcmp(path, "/admin/federated-token") == 0 &&
             strcmp(m, "POST") == 0) {
    federated_token(app, req, resp);
  } else if (strcmp(path, "/admin/reset") == 0 && strcmp(m, "POST") == 0) {
    if (mock_app_reset(app))
      admin_error(resp, 500, "reset failed: could not re-seed Key Vault");
    else
      resp->status = 204;
  } else {
    admin_error(resp, 404,
                "admin endpoints: GET /admin/health, GET /admin/config, "
                "GET|DELETE /admin/requests, GET|POST|DELETE /admin/faults, "
                "GET|POST /admin/clock, POST /admin/replication-lag, "
                "POST /admin/token, POST /admin/federated-token, "
                "POST /admin/reset");
  }
}
