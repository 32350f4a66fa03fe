/* SPDX-License-Identifier: MIT */
#include "faults.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msikv/alloc.h"
#include "msikv/parse.h"

#define MAX_FAULTS 64
#define DEFAULT_OVERSIZE ((size_t)4 << 20)
#define MAX_OVERSIZE ((size_t)60 << 20)

static const char *const KIND_NAMES[] = {"status",    "delay",     "reset",
                                         "malformed", "truncated", "oversized"};

const char *mock_fault_kind_name(mock_fault_kind kind) {
  if ((unsigned)kind >= sizeof(KIND_NAMES) / sizeof(KIND_NAMES[0]))
    return "?";
  return KIND_NAMES[kind];
}

void mock_fault_init(mock_fault *fault) {
  memset(fault, 0, sizeof(*fault));
  snprintf(fault->route, sizeof(fault->route), "*");
  fault->kind = MOCK_FAULT_STATUS;
  fault->status = 503;
  fault->retry_after_s = -1;
  fault->count = -1;
  fault->probability = 1.0;
}

static msikv_result set_field(mock_fault *f, const char *key,
                              const char *value, msikv_error *out_err) {
  int64_t n = 0;
  if (strcmp(key, "route") == 0) {
    static const char *const routes[] = {"*", "kv", "entra", "msi", "imds"};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
      if (strcasecmp(value, routes[i]) == 0) {
        snprintf(f->route, sizeof(f->route), "%s", routes[i]);
        return MSIKV_OK;
      }
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "fault: route '%s' is not one of *, kv, entra, "
                           "msi, imds",
                           value);
  }
  if (strcmp(key, "method") == 0) {
    if (strlen(value) >= sizeof(f->method))
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "fault: method too long");
    snprintf(f->method, sizeof(f->method), "%s", value);
    return MSIKV_OK;
  }
  if (strcmp(key, "path") == 0 || strcmp(key, "path_prefix") == 0) {
    if (strlen(value) >= sizeof(f->path_prefix))
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "fault: path too long");
    snprintf(f->path_prefix, sizeof(f->path_prefix), "%s", value);
    return MSIKV_OK;
  }
  if (strcmp(key, "kind") == 0) {
    for (size_t i = 0; i < sizeof(KIND_NAMES) / sizeof(KIND_NAMES[0]); i++)
      if (strcasecmp(value, KIND_NAMES[i]) == 0) {
        f->kind = (mock_fault_kind)i;
        return MSIKV_OK;
      }
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "fault: kind '%s' is not one of status, delay, "
                           "reset, malformed, truncated, oversized",
                           value);
  }
  if (strcmp(key, "probability") == 0) {
    char *end = NULL;
    double p = strtod(value, &end);
    if (!value[0] || *end || !(p >= 0.0 && p <= 1.0))
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "fault: probability must be a number from 0 to "
                             "1, not '%s'",
                             value);
    f->probability = p;
    return MSIKV_OK;
  }
  struct {
    const char *name;
    int64_t min, max;
  } nums[] = {{"status", 100, 599},        {"retry_after", -1, 86400},
              {"delay_ms", 0, 600000},     {"size", 1, (int64_t)MAX_OVERSIZE},
              {"count", -1, INT64_MAX / 2}};
  for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
    if (strcmp(key, nums[i].name) != 0)
      continue;
    if (msikv_parse_int64_str(value, nums[i].min, nums[i].max, &n))
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "fault: %s must be an integer from %lld to %lld, "
                             "not '%s'",
                             key, (long long)nums[i].min,
                             (long long)nums[i].max, value);
    switch (i) {
    case 0: f->status = (int)n; break;
    case 1: f->retry_after_s = (int)n; break;
    case 2: f->delay_ms = n; break;
    case 3: f->size = (size_t)n; break;
    default: f->count = n; break;
    }
    return MSIKV_OK;
  }
  return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "fault: unknown key '%s' (route, method, path, kind, "
                         "status, retry_after, delay_ms, size, count, "
                         "probability)",
                         key);
}

static msikv_result finish(mock_fault *f, msikv_error *out_err) {
  if (f->count == 0)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "fault: count must be positive, or -1 for always");
  if (f->kind == MOCK_FAULT_OVERSIZED && f->size == 0)
    f->size = DEFAULT_OVERSIZE;
  return MSIKV_OK;
}

msikv_result mock_fault_parse_spec(const char *spec, mock_fault *out_fault,
                                   msikv_error *out_err) {
  mock_fault f;
  mock_fault_init(&f);
  const char *p = spec;
  while (*p) {
    size_t len = strcspn(p, ",");
    char item[512];
    if (len >= sizeof(item))
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "fault: item too long");
    memcpy(item, p, len);
    item[len] = '\0';
    char *eq = strchr(item, '=');
    if (!eq)
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "fault: '%s' is not key=value (example: "
                             "route=kv,kind=status,status=503,count=2)",
                             item);
    *eq = '\0';
    msikv_result rc = set_field(&f, item, eq + 1, out_err);
    if (rc)
      return rc;
    p += len;
    if (*p == ',')
      p++;
  }
  msikv_result rc = finish(&f, out_err);
  if (!rc)
    *out_fault = f;
  return rc;
}

msikv_result mock_fault_from_json(const cJSON *json, mock_fault *out_fault,
                                  msikv_error *out_err) {
  if (!cJSON_IsObject(json))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "fault: the body must be a JSON object");
  mock_fault f;
  mock_fault_init(&f);
  const cJSON *it;
  cJSON_ArrayForEach(it, json) {
    char value[320];
    if (cJSON_IsString(it))
      snprintf(value, sizeof(value), "%s", it->valuestring);
    else if (cJSON_IsNumber(it) && strcmp(it->string, "probability") == 0)
      snprintf(value, sizeof(value), "%.17g", it->valuedouble);
    else if (cJSON_IsNumber(it))
      snprintf(value, sizeof(value), "%lld", (long long)it->valuedouble);
    else
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "fault: \"%s\" must be a string or a number",
                             it->string);
    msikv_result rc = set_field(&f, it->string, value, out_err);
    if (rc)
      return rc;
  }
  msikv_result rc = finish(&f, out_err);
  if (!rc)
    *out_fault = f;
  return rc;
}

cJSON *mock_fault_to_json(const mock_fault *f) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  bool ok = cJSON_AddNumberToObject(o, "id", f->id) &&
            cJSON_AddStringToObject(o, "route", f->route) &&
            cJSON_AddStringToObject(o, "method", f->method) &&
            cJSON_AddStringToObject(o, "path", f->path_prefix) &&
            cJSON_AddStringToObject(o, "kind", mock_fault_kind_name(f->kind)) &&
            cJSON_AddNumberToObject(o, "status", f->status) &&
            cJSON_AddNumberToObject(o, "retry_after", f->retry_after_s) &&
            cJSON_AddNumberToObject(o, "delay_ms", (double)f->delay_ms) &&
            cJSON_AddNumberToObject(o, "size", (double)f->size) &&
            cJSON_AddNumberToObject(o, "count", (double)f->count) &&
            cJSON_AddNumberToObject(o, "probability", f->probability) &&
            cJSON_AddNumberToObject(o, "hits", (double)f->hits);
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

struct mock_faults {
  pthread_mutex_t lock;
  mock_fault items[MAX_FAULTS];
  size_t count;
  int next_id;
};

msikv_result mock_faults_new(mock_faults **out_faults) {
  mock_faults *f = msikv_calloc(1, sizeof(*f));
  if (!f)
    return MSIKV_ERR_NOMEM;
  pthread_mutex_init(&f->lock, NULL);
  f->next_id = 1;
  *out_faults = f;
  return MSIKV_OK;
}

void mock_faults_free(mock_faults *faults) {
  if (!faults)
    return;
  pthread_mutex_destroy(&faults->lock);
  msikv_free(faults);
}

msikv_result mock_faults_add(mock_faults *faults, const mock_fault *fault,
                             int *out_id) {
  msikv_result rc = MSIKV_OK;
  pthread_mutex_lock(&faults->lock);
  if (faults->count >= MAX_FAULTS) {
    rc = MSIKV_ERR_TOO_LARGE;
  } else {
    mock_fault *f = &faults->items[faults->count++];
    *f = *fault;
    f->id = faults->next_id++;
    f->hits = 0;
    if (out_id)
      *out_id = f->id;
  }
  pthread_mutex_unlock(&faults->lock);
  return rc;
}

static void remove_at(mock_faults *faults, size_t i) {
  memmove(&faults->items[i], &faults->items[i + 1],
          (faults->count - i - 1) * sizeof(mock_fault));
  faults->count--;
}

bool mock_faults_remove(mock_faults *faults, int id) {
  bool found = false;
  pthread_mutex_lock(&faults->lock);
  for (size_t i = 0; i < faults->count; i++) {
    if (faults->items[i].id == id) {
      remove_at(faults, i);
      found = true;
      break;
    }
  }
  pthread_mutex_unlock(&faults->lock);
  return found;
}

void mock_faults_clear(mock_faults *faults) {
  pthread_mutex_lock(&faults->lock);
  faults->count = 0;
  pthread_mutex_unlock(&faults->lock);
}

cJSON *mock_faults_to_json(mock_faults *faults) {
  cJSON *arr = cJSON_CreateArray();
  pthread_mutex_lock(&faults->lock);
  for (size_t i = 0; arr && i < faults->count; i++) {
    cJSON *o = mock_fault_to_json(&faults->items[i]);
    if (!o) {
      cJSON_Delete(arr);
      arr = NULL;
      break;
    }
    cJSON_AddItemToArray(arr, o);
  }
  pthread_mutex_unlock(&faults->lock);
  return arr;
}

bool mock_faults_take(mock_faults *faults, const char *route,
                      const char *method, const char *path, double roll,
                      mock_fault *out_fault) {
  bool taken = false;
  pthread_mutex_lock(&faults->lock);
  for (size_t i = 0; i < faults->count; i++) {
    mock_fault *f = &faults->items[i];
    if (strcmp(f->route, "*") != 0 && strcmp(f->route, route) != 0)
      continue;
    if (f->method[0] && strcasecmp(f->method, method) != 0)
      continue;
    if (f->path_prefix[0] &&
        strncmp(path, f->path_prefix, strlen(f->path_prefix)) != 0)
      continue;
    if (roll >= f->probability) {
      /* Matching faults share one roll, each taking the next slice of
       * [0,1): 10% 503 then 5% 429 gives both, never both at once. */
      roll -= f->probability;
      continue;
    }
    f->hits++;
    if (f->count > 0)
      f->count--;
    *out_fault = *f;
    taken = true;
    if (f->count == 0)
      remove_at(faults, i);
    break;
  }
  pthread_mutex_unlock(&faults->lock);
  return taken;
}

static const char *status_code_name(int status) {
  switch (status) {
  case 400: return "BadRequest";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "NotFound";
  case 408: return "RequestTimeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 429: return "Throttled";
  case 500: return "InternalServerError";
  case 502: return "BadGateway";
  case 503: return "ServiceUnavailable";
  case 504: return "GatewayTimeout";
  default: return "InjectedFault";
  }
}

bool mock_fault_apply_before(const mock_fault *fault, mock_response *resp) {
  resp->delay_ms = fault->delay_ms;
  if (fault->kind == MOCK_FAULT_RESET) {
    resp->reset_connection = true;
    resp->status = 0;
    return true;
  }
  if (fault->kind != MOCK_FAULT_STATUS)
    return false;
  char body[256];
  snprintf(body, sizeof(body),
           "{\"error\":{\"code\":\"%s\",\"message\":\"The mock injected this "
           "fault: HTTP %d.\"}}",
           status_code_name(fault->status), fault->status);
  msikv_buf_reset(&resp->body);
  if (msikv_buf_append_str(&resp->body, body) == MSIKV_OK &&
      mock_response_header(resp, "Content-Type",
                           "application/json; charset=utf-8") == MSIKV_OK)
    resp->status = fault->status;
  if (fault->retry_after_s >= 0) {
    char ra[32];
    snprintf(ra, sizeof(ra), "%d", fault->retry_after_s);
    (void)mock_response_header(resp, "Retry-After", ra);
  }
  return true;
}

void mock_fault_apply_after(const mock_fault *fault, mock_response *resp) {
  switch (fault->kind) {
  case MOCK_FAULT_MALFORMED: {
    size_t keep = resp->body.len / 2;
    resp->body.len = keep;
    if (resp->body.data)
      resp->body.data[keep] = '\0';
    if (msikv_buf_append_str(&resp->body, "<<malformed>>"))
      resp->status = 500;
    break;
  }
  case MOCK_FAULT_TRUNCATED:
    resp->truncate_body = true;
    break;
  case MOCK_FAULT_OVERSIZED: {
    msikv_buf_reset(&resp->body);
    size_t fill = fault->size > 12 ? fault->size - 12 : 1;
    msikv_result rc = msikv_buf_append_str(&resp->body, "{\"value\":\"");
    char chunk[4096];
    memset(chunk, 'x', sizeof(chunk));
    while (!rc && fill > 0) {
      size_t n = fill < sizeof(chunk) ? fill : sizeof(chunk);
      rc = msikv_buf_append(&resp->body, chunk, n);
      fill -= n;
    }
    if (!rc)
      rc = msikv_buf_append_str(&resp->body, "\"}");
    break;
  }
  default:
    break;
  }
}
