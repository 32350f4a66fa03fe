/* SPDX-License-Identifier: MIT */
/* Output: secrets as JSON or text, values, errors, exit codes. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void zero_strings(cJSON *item) {
  for (; item; item = item->next) {
    if (item->valuestring)
      msikv_secure_zero(item->valuestring, strlen(item->valuestring));
    zero_strings(item->child);
  }
}

static bool add_string(cJSON *obj, const char *key, const char *value) {
  return !value || cJSON_AddStringToObject(obj, key, value) != NULL;
}

static bool add_time(cJSON *obj, const char *key, int64_t value) {
  return !value || cJSON_AddNumberToObject(obj, key, (double)value) != NULL;
}

static cJSON *secret_to_json(const msikv_kv_secret *s, bool with_value) {
  cJSON *obj = cJSON_CreateObject();
  if (!obj)
    return NULL;
  bool ok = add_string(obj, "name", s->name) &&
            add_string(obj, "version", s->version) &&
            (!with_value || add_string(obj, "value", s->value)) &&
            add_string(obj, "id", s->id) &&
            add_string(obj, "contentType", s->content_type);
  cJSON *attrs = ok ? cJSON_AddObjectToObject(obj, "attributes") : NULL;
  ok = attrs && cJSON_AddBoolToObject(attrs, "enabled", s->enabled) &&
       add_time(attrs, "nbf", s->nbf) && add_time(attrs, "exp", s->exp) &&
       add_time(attrs, "created", s->created) &&
       add_time(attrs, "updated", s->updated) &&
       add_string(attrs, "recoveryLevel", s->recovery_level) &&
       add_time(attrs, "recoverableDays", s->recoverable_days);
  cJSON *tags = ok ? cJSON_AddObjectToObject(obj, "tags") : NULL;
  ok = tags != NULL;
  for (size_t i = 0; ok && i < s->tag_count; i++)
    ok = add_string(tags, s->tags[i].name, s->tags[i].value);
  if (ok && s->managed)
    ok = cJSON_AddBoolToObject(obj, "managed", true) != NULL;
  ok = ok && add_string(obj, "kid", s->kid) &&
       add_string(obj, "previousVersion", s->previous_version) &&
       add_string(obj, "recoveryId", s->recovery_id) &&
       add_time(obj, "deletedDate", s->deleted_date) &&
       add_time(obj, "scheduledPurgeDate", s->scheduled_purge_date);
  if (!ok) {
    zero_strings(obj);
    cJSON_Delete(obj);
    return NULL;
  }
  return obj;
}

msikv_result cli_print_secret_json(FILE *out, const msikv_kv_secret *s,
                                   bool with_value, const char *indent) {
  cJSON *obj = secret_to_json(s, with_value);
  if (!obj)
    return MSIKV_ERR_NOMEM;
  char *text = indent ? cJSON_PrintUnformatted(obj) : cJSON_Print(obj);
  zero_strings(obj);
  cJSON_Delete(obj);
  if (!text)
    return MSIKV_ERR_NOMEM;
  fprintf(out, "%s%s", indent ? indent : "", text);
  if (!indent)
    fputc('\n', out);
  msikv_secret_free(text);
  return MSIKV_OK;
}

static void line(FILE *out, const char *key, const char *value) {
  if (value)
    fprintf(out, "%s: %s\n", key, value);
}

static void time_line(FILE *out, const char *key, int64_t value) {
  if (!value)
    return;
  char buf[40];
  cli_format_time(value, buf, sizeof(buf));
  fprintf(out, "%s: %s\n", key, buf);
}

void cli_print_secret_text(FILE *out, const msikv_kv_secret *s) {
  line(out, "name", s->name);
  line(out, "version", s->version);
  line(out, "id", s->id);
  line(out, "enabled", s->enabled ? "true" : "false");
  line(out, "content_type", s->content_type);
  time_line(out, "created", s->created);
  time_line(out, "updated", s->updated);
  time_line(out, "not_before", s->nbf);
  time_line(out, "expires", s->exp);
  if (s->tag_count) {
    fputs("tags:", out);
    for (size_t i = 0; i < s->tag_count; i++)
      fprintf(out, " %s=%s", s->tags[i].name, s->tags[i].value);
    fputc('\n', out);
  }
  line(out, "recovery_level", s->recovery_level);
  if (s->recoverable_days)
    fprintf(out, "recoverable_days: %d\n", s->recoverable_days);
  if (s->managed)
    line(out, "managed", "true");
  line(out, "kid", s->kid);
  line(out, "previous_version", s->previous_version);
  line(out, "recovery_id", s->recovery_id);
  time_line(out, "deleted_date", s->deleted_date);
  time_line(out, "scheduled_purge_date", s->scheduled_purge_date);
}

void cli_print_value(FILE *out, const char *value) {
  size_t len = strlen(value);
  fwrite(value, 1, len, out);
  if (len == 0 || value[len - 1] != '\n')
    fputc('\n', out);
}

void cli_print_error(FILE *err, msikv_result rc, const msikv_error *detail) {
  const char *message =
      detail && detail->message[0] ? detail->message : msikv_result_str(rc);
  fprintf(err, "msikv: error: %s\n", message);
}

int cli_exit_code(msikv_result rc, bool credential_failed) {
  if (rc == MSIKV_OK)
    return CLI_EXIT_OK;
  if (credential_failed)
    return CLI_EXIT_AUTH;
  switch (rc) {
  case MSIKV_ERR_NOT_FOUND:
    return CLI_EXIT_NOT_FOUND;
  case MSIKV_ERR_AUTH:
  case MSIKV_ERR_FORBIDDEN:
  case MSIKV_ERR_UNAVAILABLE:
  case MSIKV_ERR_INSECURE:
    return CLI_EXIT_AUTH;
  case MSIKV_ERR_ARG:
  case MSIKV_ERR_TOO_LARGE:
    return CLI_EXIT_USAGE;
  default:
    return CLI_EXIT_SERVICE;
  }
}
