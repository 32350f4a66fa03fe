/* SPDX-License-Identifier: MIT */
#include "principals.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "files.h"
#include "msikv/alloc.h"

static mock_principal *add(mock_principals *p, mock_principal_kind kind,
                           bool system, const char *name, const char *client_id,
                           const char *object_id, const char *resource_id,
                           const char *secret, int64_t secret_expires_s) {
  mock_principal *x = &p->items[p->count++];
  memset(x, 0, sizeof(*x));
  x->kind = kind;
  x->system_assigned = system;
  snprintf(x->name, sizeof(x->name), "%s", name);
  snprintf(x->client_id, sizeof(x->client_id), "%s", client_id);
  snprintf(x->object_id, sizeof(x->object_id), "%s", object_id);
  snprintf(x->resource_id, sizeof(x->resource_id), "%s", resource_id);
  snprintf(x->client_secret, sizeof(x->client_secret), "%s", secret);
  x->secret_expires_s = secret_expires_s;
  return x;
}

void mock_principals_default(mock_principals *out) {
  memset(out, 0, sizeof(*out));
  snprintf(out->tenant_id, sizeof(out->tenant_id), "%s", MOCK_DEFAULT_TENANT);
  add(out, MOCK_PRINCIPAL_MANAGED_IDENTITY, true, "msikv-webapp",
      MOCK_APPSERVICE_MI_CLIENT_ID, MOCK_APPSERVICE_MI_OBJECT_ID, "", "", 0);
  add(out, MOCK_PRINCIPAL_MANAGED_IDENTITY, false, "msikv-uami",
      MOCK_USER_MI_CLIENT_ID, MOCK_USER_MI_OBJECT_ID, MOCK_USER_MI_RESOURCE_ID,
      "", 0);
  add(out, MOCK_PRINCIPAL_SERVICE_PRINCIPAL, false, "msikv-developer",
      MOCK_SP_CLIENT_ID, MOCK_SP_OBJECT_ID, "", MOCK_SP_SECRET, 0);
  add(out, MOCK_PRINCIPAL_SERVICE_PRINCIPAL, false, "msikv-denied",
      MOCK_DENIED_CLIENT_ID, MOCK_DENIED_OBJECT_ID, "", MOCK_DENIED_SECRET, 0);
  /* Expired on 2020-01-01. */
  add(out, MOCK_PRINCIPAL_SERVICE_PRINCIPAL, false, "msikv-expired",
      MOCK_EXPIRED_CLIENT_ID, MOCK_EXPIRED_OBJECT_ID, "", MOCK_EXPIRED_SECRET,
      1577836800);
  mock_principal *w =
      add(out, MOCK_PRINCIPAL_SERVICE_PRINCIPAL, false, "msikv-workload",
          MOCK_WORKLOAD_CLIENT_ID, MOCK_WORKLOAD_OBJECT_ID, "", "", 0);
  mock_federated_credential *f = &w->federated[w->federated_count++];
  snprintf(f->name, sizeof(f->name), "%s", "msikv-workload");
  snprintf(f->issuer, sizeof(f->issuer), "%s", MOCK_FEDERATED_ISSUER);
  snprintf(f->subject, sizeof(f->subject), "%s", MOCK_WORKLOAD_SUBJECT);
  snprintf(f->audience, sizeof(f->audience), "%s", MOCK_FEDERATED_AUDIENCE);
}

static msikv_result copy_str(const cJSON *obj, const char *key, char *out,
                             size_t size, bool required, size_t index,
                             msikv_error *out_err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!v || cJSON_IsNull(v)) {
    if (required)
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "seed: principals[%zu] needs \"%s\" (a string)",
                             index, key);
    return MSIKV_OK;
  }
  if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "seed: principals[%zu].%s must be a string of at "
                           "most %zu characters",
                           index, key, size - 1);
  snprintf(out, size, "%s", v->valuestring);
  return MSIKV_OK;
}

/* "certificate" (PEM text) or "certificate_file" (a PEM file's path). */
static msikv_result read_certificate(const cJSON *it, size_t i,
                                     mock_principal *x, msikv_error *out_err) {
  const cJSON *pem = cJSON_GetObjectItemCaseSensitive(it, "certificate");
  const cJSON *file = cJSON_GetObjectItemCaseSensitive(it, "certificate_file");
  const char *key =
      file && !cJSON_IsNull(file) ? "certificate_file" : "certificate";
  const cJSON *v = file && !cJSON_IsNull(file) ? file : pem;
  if (!v || cJSON_IsNull(v))
    return MSIKV_OK;
  if ((pem && !cJSON_IsNull(pem)) && (file && !cJSON_IsNull(file)))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "seed: principals[%zu] has both \"certificate\" "
                           "and \"certificate_file\": give one",
                           i);
  if (!cJSON_IsString(v) || !v->valuestring[0])
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "seed: principals[%zu].%s must be a string", i, key);
  char *text = NULL;
  size_t len = 0;
  msikv_error e;
  msikv_error_clear(&e);
  msikv_result rc = MSIKV_OK;
  if (v == file) {
    rc = mock_pem_read_file(v->valuestring, &text, &len, &e);
    if (rc)
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "seed: principals[%zu].certificate_file %s: %s", i,
                             v->valuestring,
                             e.message[0] ? e.message : "cannot read it");
  }
  rc = mock_cert_from_pem(text ? text : v->valuestring,
                          text ? len : strlen(v->valuestring), &x->cert, &e);
  msikv_free(text);
  if (rc)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "seed: principals[%zu].%s: %s", i, key, e.message);
  x->has_cert = true;
  return MSIKV_OK;
}

/* "federated_credentials": [{"name", "issuer", "subject", "audiences"}]. */
static msikv_result read_federated(const cJSON *it, size_t i, mock_principal *x,
                                   msikv_error *out_err) {
  const cJSON *arr =
      cJSON_GetObjectItemCaseSensitive(it, "federated_credentials");
  if (!arr || cJSON_IsNull(arr))
    return MSIKV_OK;
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > MOCK_MAX_FEDERATED)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "seed: principals[%zu].federated_credentials must "
                           "be an array of at most %d objects",
                           i, MOCK_MAX_FEDERATED);
  const cJSON *fc;
  size_t k = 0;
  cJSON_ArrayForEach(fc, arr) {
    mock_federated_credential *f = &x->federated[k];
    memset(f, 0, sizeof(*f));
    const char *names[] = {"issuer", "subject", "name"};
    char *outs[] = {f->issuer, f->subject, f->name};
    size_t sizes[] = {sizeof(f->issuer), sizeof(f->subject), sizeof(f->name)};
    for (int n = 0; n < 3; n++) {
      const cJSON *v = cJSON_IsObject(fc)
                           ? cJSON_GetObjectItemCaseSensitive(fc, names[n])
                           : NULL;
      bool required = n < 2;
      if ((!v || cJSON_IsNull(v)) && !required)
        continue;
      if (!cJSON_IsString(v) || !v->valuestring[0] ||
          strlen(v->valuestring) >= sizes[n])
        return msikv_error_set(
            out_err, MSIKV_ERR_CONFIG,
            "seed: principals[%zu].federated_credentials[%zu].%s must be a "
            "non-empty string of at most %zu characters",
            i, k, names[n], sizes[n] - 1);
      snprintf(outs[n], sizes[n], "%s", v->valuestring);
    }
    const cJSON *auds = cJSON_GetObjectItemCaseSensitive(fc, "audiences");
    const cJSON *aud = cJSON_IsArray(auds) ? auds->child : NULL;
    if (auds && !cJSON_IsNull(auds) &&
        (!cJSON_IsArray(auds) || cJSON_GetArraySize(auds) != 1 ||
         !cJSON_IsString(aud) || !aud->valuestring[0] ||
         strlen(aud->valuestring) >= sizeof(f->audience)))
      return msikv_error_set(
          out_err, MSIKV_ERR_CONFIG,
          "seed: principals[%zu].federated_credentials[%zu].audiences must "
          "be an array of one string (Entra ID allows one audience), e.g. "
          "[\"%s\"]",
          i, k, MOCK_FEDERATED_AUDIENCE);
    snprintf(f->audience, sizeof(f->audience), "%s",
             cJSON_IsString(aud) ? aud->valuestring : MOCK_FEDERATED_AUDIENCE);
    if (!f->name[0])
      snprintf(f->name, sizeof(f->name), "federated-%zu", k);
    k++;
  }
  x->federated_count = k;
  return MSIKV_OK;
}

msikv_result mock_principals_from_json(const cJSON *tenant_id,
                                       const cJSON *principals,
                                       mock_principals *out,
                                       msikv_error *out_err) {
  mock_principals tmp;
  mock_principals_default(&tmp);
  if (tenant_id && !cJSON_IsNull(tenant_id)) {
    if (!cJSON_IsString(tenant_id) || !tenant_id->valuestring[0] ||
        strlen(tenant_id->valuestring) >= sizeof(tmp.tenant_id))
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "seed: \"tenant_id\" must be a non-empty string");
    snprintf(tmp.tenant_id, sizeof(tmp.tenant_id), "%s",
             tenant_id->valuestring);
  }
  if (principals && !cJSON_IsNull(principals)) {
    if (!cJSON_IsArray(principals))
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "seed: \"principals\" must be an array");
    size_t n = (size_t)cJSON_GetArraySize(principals);
    if (n > MOCK_MAX_PRINCIPALS)
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "seed: at most %d principals are supported",
                             MOCK_MAX_PRINCIPALS);
    tmp.count = 0;
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, principals) {
      mock_principal *x = &tmp.items[tmp.count];
      memset(x, 0, sizeof(*x));
      if (!cJSON_IsObject(it))
        return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                               "seed: principals[%zu] must be an object", i);
      char type[32] = "";
      msikv_result rc =
          copy_str(it, "type", type, sizeof(type), true, i, out_err);
      if (!rc)
        rc = copy_str(it, "client_id", x->client_id, sizeof(x->client_id), true,
                      i, out_err);
      if (!rc)
        rc = copy_str(it, "object_id", x->object_id, sizeof(x->object_id), true,
                      i, out_err);
      if (!rc)
        rc = copy_str(it, "name", x->name, sizeof(x->name), false, i, out_err);
      if (!rc)
        rc = copy_str(it, "resource_id", x->resource_id, sizeof(x->resource_id),
                      false, i, out_err);
      if (!rc)
        rc = copy_str(it, "client_secret", x->client_secret,
                      sizeof(x->client_secret), false, i, out_err);
      if (rc)
        return rc;
      if (strcmp(type, "managed_identity") == 0)
        x->kind = MOCK_PRINCIPAL_MANAGED_IDENTITY;
      else if (strcmp(type, "service_principal") == 0)
        x->kind = MOCK_PRINCIPAL_SERVICE_PRINCIPAL;
      else
        return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                               "seed: principals[%zu].type must be "
                               "\"managed_identity\" or \"service_principal\"",
                               i);
      const cJSON *sys =
          cJSON_GetObjectItemCaseSensitive(it, "system_assigned");
      x->system_assigned = cJSON_IsTrue(sys);
      const cJSON *exp =
          cJSON_GetObjectItemCaseSensitive(it, "secret_expires_on");
      if (exp && !cJSON_IsNull(exp)) {
        if (!cJSON_IsNumber(exp) || !(exp->valuedouble >= 0) ||
            exp->valuedouble > 4e12)
          return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                                 "seed: principals[%zu].secret_expires_on "
                                 "must be epoch seconds",
                                 i);
        x->secret_expires_s = (int64_t)exp->valuedouble;
      }
      rc = read_certificate(it, i, x, out_err);
      if (!rc)
        rc = read_federated(it, i, x, out_err);
      if (rc)
        return rc;
      if (!x->name[0])
        memcpy(x->name, x->client_id, sizeof(x->name)); /* same size */
      tmp.count++;
      i++;
    }
  }
  *out = tmp;
  return MSIKV_OK;
}

const mock_principal *mock_principals_by_client_id(const mock_principals *p,
                                                   const char *client_id) {
  for (size_t i = 0; i < p->count; i++)
    if (strcasecmp(p->items[i].client_id, client_id) == 0)
      return &p->items[i];
  return NULL;
}

const mock_principal *mock_principals_by_object_id(const mock_principals *p,
                                                   const char *object_id) {
  for (size_t i = 0; i < p->count; i++)
    if (strcasecmp(p->items[i].object_id, object_id) == 0)
      return &p->items[i];
  return NULL;
}

const mock_principal *mock_principals_by_resource_id(const mock_principals *p,
                                                     const char *resource_id) {
  for (size_t i = 0; i < p->count; i++)
    if (p->items[i].resource_id[0] &&
        strcasecmp(p->items[i].resource_id, resource_id) == 0)
      return &p->items[i];
  return NULL;
}

const mock_principal *mock_principals_system(const mock_principals *p) {
  for (size_t i = 0; i < p->count; i++)
    if (p->items[i].kind == MOCK_PRINCIPAL_MANAGED_IDENTITY &&
        p->items[i].system_assigned)
      return &p->items[i];
  return NULL;
}
