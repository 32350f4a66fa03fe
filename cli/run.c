/* SPDX-License-Identifier: MIT */
/* cli_run: parse, set up transport, credential and client, dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "msikv/transport_curl.h"

/* Wraps the real credential to learn whether a failure came from it. */
typedef struct tracked {
  msikv_credential *inner;
  bool failed;
} tracked;

static msikv_result tracked_get_token(void *ctx, const char *scope,
                                      const char *tenant_id,
                                      msikv_token *out_token,
                                      msikv_error *out_err) {
  tracked *t = ctx;
  msikv_log(MSIKV_LOG_DEBUG, "getting a token for %s from %s", scope,
            msikv_cred_name(t->inner));
  msikv_result rc =
      msikv_cred_get_token(t->inner, scope, tenant_id, out_token, out_err);
  if (rc)
    t->failed = true;
  return rc;
}

static void tracked_invalidate(void *ctx, const char *scope,
                               const char *tenant_id,
                               const char *rejected_token) {
  msikv_cred_invalidate_token(((tracked *)ctx)->inner, scope, tenant_id,
                              rejected_token);
}

static const msikv_credential_ops tracked_ops = {
    "CliCredential", tracked_get_token, NULL, tracked_invalidate};

static const char *env_get(const cli_env *env, const char *name) {
  return env->getenv_fn ? env->getenv_fn(env->getenv_ctx, name) : getenv(name);
}

/* Usage errors about the vault come before any credential work. */
static int check_vault(const cli_args *args, const cli_env *env) {
  const char *vault = args->vault ? args->vault : env_get(env, "KEY_VAULT_URL");
  if (!vault || !*vault) {
    fprintf(env->err, "msikv: no vault: pass --vault "
                      "https://NAME.vault.azure.net or set KEY_VAULT_URL\n");
    return CLI_EXIT_USAGE;
  }
  msikv_url url;
  msikv_error err;
  msikv_error_clear(&err);
  msikv_result rc = msikv_url_parse(vault, &url, &err);
  if (!rc && strcmp(url.scheme, "https") != 0)
    rc = msikv_error_set(&err, MSIKV_ERR_INSECURE,
                         "refusing vault URL '%.200s': bearer tokens are only "
                         "sent over https; use https://NAME.vault.azure.net",
                         vault);
  if (rc) {
    cli_print_error(env->err, rc, &err);
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

static int run_secret(const cli_args *args, const cli_env *env,
                      const msikv_transport *transport,
                      msikv_credential *cred) {
  tracked track = {cred, false};
  msikv_credential *wrapped = NULL;
  msikv_kv_client *client = NULL;
  msikv_error err;
  msikv_error_clear(&err);
  int code;
  const char *vault = args->vault ? args->vault : env_get(env, "KEY_VAULT_URL");
  msikv_result rc = msikv_cred_new_custom(&tracked_ops, &track, &wrapped);
  if (rc) {
    cli_print_error(env->err, rc, NULL);
    return CLI_EXIT_SERVICE;
  }
  msikv_kv_client_options opts = msikv_kv_client_options_default();
  opts.transport = transport;
  opts.clock = env->clock;
  if (env->retry)
    opts.retry = *env->retry;
  if (args->api_version)
    opts.api_version = args->api_version;
  opts.verify_challenge_resource = !args->no_verify;
  rc = msikv_kv_client_new(vault, wrapped, &opts, &client, &err);
  if (rc) {
    cli_print_error(env->err, rc, &err);
    code = rc == MSIKV_ERR_NOMEM ? CLI_EXIT_SERVICE : CLI_EXIT_USAGE;
    goto out;
  }
  msikv_log(MSIKV_LOG_DEBUG, "vault %s", msikv_kv_client_vault_url(client));
  code = cli_cmd_secret(args, env, client, &track.failed);
out:
  msikv_kv_client_free(client);
  msikv_cred_free(wrapped);
  return code;
}

int cli_run(int argc, char **argv, const cli_env *env) {
  cli_args args;
  int code = cli_parse_args(argc, argv, &args, env->err);
  if (code)
    return code;
  if (args.show_version) {
    fprintf(env->out, "msikv %s\n", MSIKV_VERSION);
    return CLI_EXIT_OK;
  }
  if (args.help) {
    cli_print_help(&args, env->out);
    return CLI_EXIT_OK;
  }
  bool is_secret = strcmp(args.command, "secret") == 0;
  if (is_secret) {
    code = check_vault(&args, env);
    if (code)
      return code;
  }
  msikv_log_level old_level = msikv_log_get_level();
  if (args.verbose)
    msikv_log_set_level(MSIKV_LOG_DEBUG);
  msikv_transport *own_transport = NULL;
  msikv_credential *own_cred = NULL;
  msikv_error err;
  msikv_error_clear(&err);
  const msikv_transport *transport = env->transport;
  msikv_credential *cred = env->credential;
  if (!transport) {
    msikv_result rc = msikv_transport_curl_new(NULL, &own_transport, &err);
    if (rc) {
      cli_print_error(env->err, rc, &err);
      code = CLI_EXIT_SERVICE;
      goto out;
    }
    transport = own_transport;
  }
  if (!cred) {
    msikv_result rc = cli_default_credential(env, transport, &own_cred, &err);
    if (rc) {
      cli_print_error(env->err, rc, &err);
      code = rc == MSIKV_ERR_NOMEM ? CLI_EXIT_SERVICE : CLI_EXIT_AUTH;
      goto out;
    }
    cred = own_cred;
    msikv_log(MSIKV_LOG_DEBUG, "credential: %s", msikv_cred_name(cred));
  }
  if (is_secret)
    code = run_secret(&args, env, transport, cred);
  else
    code = cli_cmd_token(&args, env, cred);
out:
  msikv_cred_free(own_cred);
  msikv_transport_free(own_transport);
  msikv_log_set_level(old_level);
  return code;
}
