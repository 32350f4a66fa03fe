/* SPDX-License-Identifier: MIT */
/**
 * @file cli.h
 * @brief The msikv command-line tool, as a library so that tests can run
 * every command against a fake transport and credential.
 *
 * Grammar:
 *   msikv token [--scope S] [--tenant T] [-o text|json]
 *   msikv secret get|set|update|list|versions|delete|show-deleted|
 *                list-deleted|recover|purge|backup|restore [NAME] [options]
 * Exit codes: CLI_EXIT_* below.
 */
#ifndef MSIKV_CLI_H
#define MSIKV_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "msikv/msikv.h"

/** Exit codes. */
enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_SERVICE = 1,   /**< The service or the network failed. */
  CLI_EXIT_USAGE = 2,     /**< Bad command line or input. */
  CLI_EXIT_AUTH = 3,      /**< No credential, token refused, access denied. */
  CLI_EXIT_NOT_FOUND = 4, /**< The secret (or version) does not exist. */
};

typedef enum cli_output { CLI_OUT_TEXT = 0, CLI_OUT_JSON = 1 } cli_output;

#define CLI_MAX_TAGS 15

/** A parsed command line. Strings are borrowed from argv. */
typedef struct cli_args {
  const char *command;            /**< "token" or "secret". */
  const char *sub;                /**< Secret subcommand, e.g. "get". */
  const char *name;               /**< The NAME positional, or NULL. */
  const char *vault;              /**< --vault; NULL = $KEY_VAULT_URL. */
  const char *version;            /**< --version. */
  const char *value;              /**< --value (visible in ps: prefer stdin). */
  const char *file;               /**< --file. */
  const char *content_type;       /**< --content-type. */
  const char *tags[CLI_MAX_TAGS]; /**< --tags k=v, repeatable. */
  size_t tag_count;
  bool clear_tags; /**< --clear-tags (update). */
  int enabled;     /**< --enabled true|false; -1 = not given. */
  bool has_nbf, has_exp;
  int64_t nbf, exp;        /**< --not-before / --expires, Unix seconds. */
  const char *scope;       /**< --scope (token). */
  const char *tenant;      /**< --tenant (token). */
  const char *api_version; /**< --api-version. */
  bool no_verify;          /**< --disable-challenge-resource-verification. */
  cli_output output;       /**< -o text|json. */
  bool verbose;            /**< -v. */
  bool help;               /**< -h / --help. */
  bool show_version;       /**< msikv --version (alone). */
} cli_args;

/**
 * Parses argv (argv[0] is the program). On a usage error writes the reason
 * and a pointer to --help to @p err and returns CLI_EXIT_USAGE; else 0.
 */
int cli_parse_args(int argc, char **argv, cli_args *out, FILE *err);

/** Writes the help for the parsed command (or the overview) to @p out. */
void cli_print_help(const cli_args *args, FILE *out);

/**
 * Parses a time: Unix seconds ("1700000000"), a date ("2026-12-31", UTC
 * midnight) or a UTC time ("2026-12-31T23:59:59Z", seconds and Z optional).
 * @return true and sets @p out_s on success.
 */
bool cli_parse_time(const char *text, int64_t *out_s);

/** Formats Unix seconds as "2026-12-31T23:59:59Z" into @p buf. */
void cli_format_time(int64_t s, char *buf, size_t size);

/** Where the commands read, write and find their tools. */
typedef struct cli_env {
  FILE *out;
  FILE *err;
  FILE *in;
  bool in_is_tty; /**< Say so on stderr before reading stdin. */
  /** Environment lookup; NULL = getenv(). */
  const char *(*getenv_fn)(void *ctx, const char *name);
  void *getenv_ctx;
  /** Borrowed. NULL: the curl transport (honours SSL_CERT_FILE). */
  const msikv_transport *transport;
  /** Borrowed. NULL: the application default credential. */
  msikv_credential *credential;
  /** Borrowed; NULL = system clock. */
  const msikv_clock *clock;
  /** Retry policy for the Key Vault client; NULL = default. */
  const msikv_retry_policy *retry;
} cli_env;

/** Runs one command line; @return the exit code. */
int cli_run(int argc, char **argv, const cli_env *env);

/* ---- Output (output.c) ---- */

/** Writes a secret as JSON in the Key Vault shape plus "name" and
 * "version" (value included only if @p with_value). */
msikv_result cli_print_secret_json(FILE *out, const msikv_kv_secret *s,
                                   bool with_value, const char *indent);

/** Writes a secret's properties as "key: value" lines (never the value). */
void cli_print_secret_text(FILE *out, const msikv_kv_secret *s);

/** Writes the value alone, adding a newline unless it ends with one. */
void cli_print_value(FILE *out, const char *value);

/** Writes "msikv: error: message" for a failure to @p err. */
void cli_print_error(FILE *err, msikv_result rc, const msikv_error *detail);

/** Maps a result from a Key Vault call to an exit code. */
int cli_exit_code(msikv_result rc, bool credential_failed);

/* ---- Input (input.c) ---- */

/**
 * Reads the value for set/restore: --value, else --file (byte for byte),
 * else stdin (one trailing newline dropped). At most @p max bytes.
 * @param[out] out_value owned, secret: free with msikv_secret_free().
 * @retval MSIKV_ERR_TOO_LARGE, MSIKV_ERR_ARG (unreadable file, NUL byte).
 */
msikv_result cli_read_value(const cli_args *args, const cli_env *env,
                            size_t max, char **out_value, msikv_error *err);

/** Writes @p text to a new file @p path, mode 0600. */
msikv_result cli_write_file(const char *path, const char *text,
                            msikv_error *err);

/* ---- Commands ---- */

/** The credential the tools use (identity.h's application default). */
msikv_result cli_default_credential(const cli_env *env,
                                    const msikv_transport *transport,
                                    msikv_credential **out_cred,
                                    msikv_error *err);

int cli_cmd_token(const cli_args *args, const cli_env *env,
                  msikv_credential *cred);
int cli_cmd_secret(const cli_args *args, const cli_env *env,
                   msikv_kv_client *client, const bool *credential_failed);

#endif /* MSIKV_CLI_H */
