/* SPDX-License-Identifier: MIT */
/* msikv secret SUBCOMMAND: one function per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Most bytes read for a restore blob. */
#define BLOB_MAX ((size_t)10 << 20)

typedef struct run {
  const cli_args *args;
  const cli_env *env;
  msikv_kv_client *client;
  msikv_error err;
} run;

static msikv_result print_secret(run *r, const msikv_kv_secret *s) {
  if (r->args->output == CLI_OUT_JSON)
    return cli_print_secret_json(r->env->out, s, false, NULL);
  cli_print_secret_text(r->env->out, s);
  return MSIKV_OK;
}

static msikv_result do_get(run *r) {
  msikv_kv_secret *s = NULL;
  msikv_result rc = msikv_kv_get_secret(r->client, r->args->name,
                                        r->args->version, &s, &r->err);
  if (rc)
    return rc;
  if (r->args->output == CLI_OUT_JSON)
    rc = cli_print_secret_json(r->env->out, s, true, NULL);
  else
    cli_print_value(r->env->out, s->value);
  msikv_kv_secret_free(s);
  return rc;
}

/* Builds secret options from the arguments; tag names are split off the
 * "k=v" words into @p names (each freed by free_tags). */
static msikv_result build_options(const cli_args *args,
                                  msikv_kv_secret_options *opts,
                                  msikv_kv_tag_ref *tags, char **names) {
  *opts = msikv_kv_secret_options_default();
  opts->content_type = args->content_type;
  for (size_t i = 0; i < args->tag_count; i++) {
    const char *eq = strchr(args->tags[i], '=');
    names[i] = msikv_strndup(args->tags[i], (size_t)(eq - args->tags[i]));
    if (!names[i])
      return MSIKV_ERR_NOMEM;
    tags[i].name = names[i];
    tags[i].value = eq + 1;
  }
  opts->tags = tags;
  opts->tag_count = args->tag_count;
  opts->set_tags = args->clear_tags || args->tag_count > 0;
  if (args->enabled >= 0) {
    opts->set_enabled = true;
    opts->enabled = args->enabled == 1;
  }
  if (args->has_nbf)
    opts->nbf = args->nbf;
  if (args->has_exp)
    opts->exp = args->exp;
  return MSIKV_OK;
}

static void free_names(char **names, size_t count) {
  for (size_t i = 0; i < count; i++)
    msikv_free(names[i]);
}

static msikv_result do_set_or_update(run *r, bool set) {
  msikv_kv_secret_options opts;
  msikv_kv_tag_ref tags[CLI_MAX_TAGS];
  char *names[CLI_MAX_TAGS] = {NULL};
  char *value = NULL;
  msikv_kv_secret *s = NULL;
  msikv_result rc = build_options(r->args, &opts, tags, names);
  if (!rc && set)
    rc = cli_read_value(r->args, r->env, MSIKV_KV_MAX_VALUE_BYTES_DEFAULT,
                        &value, &r->err);
  if (!rc && set && !value[0])
    rc = msikv_error_set(&r->err, MSIKV_ERR_ARG,
                         "the value is empty: pipe it on stdin or use --file");
  if (!rc && set)
    rc = msikv_kv_set_secret(r->client, r->args->name, value, &opts, &s,
                             &r->err);
  else if (!rc)
    rc = msikv_kv_update_secret_properties(
        r->client, r->args->name, r->args->version, &opts, &s, &r->err);
  if (!rc)
    rc = print_secret(r, s);
  msikv_kv_secret_free(s);
  msikv_secret_free(value);
  free_names(names, r->args->tag_count);
  return rc;
}

static msikv_result do_list(run *r, int which) {
  msikv_kv_secret_iter *it = NULL;
  msikv_result rc;
  if (which == 0)
    rc = msikv_kv_list_secrets(r->client, &it, &r->err);
  else if (which == 1)
    rc = msikv_kv_list_secret_versions(r->client, r->args->name, &it, &r->err);
  else
    rc = msikv_kv_list_deleted_secrets(r->client, &it, &r->err);
  bool json = r->args->output == CLI_OUT_JSON;
  size_t count = 0;
  while (!rc) {
    msikv_kv_secret *s = NULL;
    rc = msikv_kv_secret_iter_next(it, &s, &r->err);
    if (rc || !s)
      break;
    if (json) {
      if (count == 0)
        fputs("[\n", r->env->out);
      rc = cli_print_secret_json(r->env->out, s, false, count ? ",\n  " : "  ");
    } else {
      const char *key = which == 1 ? s->version : s->name;
      fprintf(r->env->out, "%s\n", key ? key : "");
    }
    count++;
    msikv_kv_secret_free(s);
  }
  if (json && !rc)
    fputs(count ? "\n]\n" : "[]\n", r->env->out);
  msikv_kv_secret_iter_free(it);
  return rc;
}

static msikv_result do_one(run *r) {
  const char *sub = r->args->sub;
  msikv_kv_secret *s = NULL;
  msikv_result rc;
  if (strcmp(sub, "delete") == 0)
    rc = msikv_kv_delete_secret(r->client, r->args->name, &s, &r->err);
  else if (strcmp(sub, "show-deleted") == 0)
    rc = msikv_kv_get_deleted_secret(r->client, r->args->name, &s, &r->err);
  else
    rc = msikv_kv_recover_deleted_secret(r->client, r->args->name, &s, &r->err);
  if (!rc)
    rc = print_secret(r, s);
  msikv_kv_secret_free(s);
  return rc;
}

static msikv_result do_purge(run *r) {
  msikv_result rc =
      msikv_kv_purge_deleted_secret(r->client, r->args->name, &r->err);
  if (rc)
    return rc;
  if (r->args->output == CLI_OUT_JSON)
    fprintf(r->env->out, "{\"name\": \"%s\", \"purged\": true}\n",
            r->args->name);
  else
    fprintf(r->env->out, "Purged secret '%s'.\n", r->args->name);
  return MSIKV_OK;
}

static msikv_result do_backup(run *r) {
  char *blob = NULL;
  msikv_result rc =
      msikv_kv_backup_secret(r->client, r->args->name, &blob, &r->err);
  if (rc)
    return rc;
  if (r->args->file) {
    rc = cli_write_file(r->args->file, blob, &r->err);
    if (!rc)
      fprintf(r->env->err, "msikv: saved the backup of '%s' to %s\n",
              r->args->name, r->args->file);
  } else if (r->args->output == CLI_OUT_JSON) {
    fprintf(r->env->out, "{\"value\": \"%s\"}\n", blob);
  } else {
    fprintf(r->env->out, "%s\n", blob);
  }
  msikv_secret_free(blob);
  return rc;
}

static msikv_result do_restore(run *r) {
  char *blob = NULL;
  msikv_kv_secret *s = NULL;
  msikv_result rc = cli_read_value(r->args, r->env, BLOB_MAX, &blob, &r->err);
  if (!rc)
    rc = msikv_kv_restore_secret(r->client, blob, &s, &r->err);
  if (!rc)
    rc = print_secret(r, s);
  msikv_kv_secret_free(s);
  msikv_secret_free(blob);
  return rc;
}

int cli_cmd_secret(const cli_args *args, const cli_env *env,
                   msikv_kv_client *client, const bool *credential_failed) {
  run r = {args, env, client, {0, "", "", ""}};
  const char *sub = args->sub;
  msikv_result rc;
  if (strcmp(sub, "get") == 0)
    rc = do_get(&r);
  else if (strcmp(sub, "set") == 0)
    rc = do_set_or_update(&r, true);
  else if (strcmp(sub, "update") == 0)
    rc = do_set_or_update(&r, false);
  else if (strcmp(sub, "list") == 0)
    rc = do_list(&r, 0);
  else if (strcmp(sub, "versions") == 0)
    rc = do_list(&r, 1);
  else if (strcmp(sub, "list-deleted") == 0)
    rc = do_list(&r, 2);
  else if (strcmp(sub, "purge") == 0)
    rc = do_purge(&r);
  else if (strcmp(sub, "backup") == 0)
    rc = do_backup(&r);
  else if (strcmp(sub, "restore") == 0)
    rc = do_restore(&r);
  else
    rc = do_one(&r);
  if (rc)
    cli_print_error(env->err, rc, &r.err);
  /* A disabled secret is a 403, but no authentication problem. */
  if (rc == MSIKV_ERR_FORBIDDEN &&
      strcmp(r.err.inner_code, "SecretDisabled") == 0)
    return CLI_EXIT_SERVICE;
  return cli_exit_code(rc, credential_failed && *credential_failed);
}
