/* SPDX-License-Identifier: MIT */
/* Command-line grammar, help texts and time parsing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum {
  O_VAULT = 1 << 0,
  O_VERSION = 1 << 1,
  O_VALUE = 1 << 2,
  O_FILE = 1 << 3,
  O_CONTENT_TYPE = 1 << 4,
  O_TAGS = 1 << 5,
  O_CLEAR_TAGS = 1 << 6,
  O_ENABLED = 1 << 7,
  O_NBF = 1 << 8,
  O_EXP = 1 << 9,
  O_SCOPE = 1 << 10,
  O_TENANT = 1 << 11,
  O_API = 1 << 12,
  O_NO_VERIFY = 1 << 13,
};

#define O_KV (O_VAULT | O_API | O_NO_VERIFY)
#define O_PROPS (O_CONTENT_TYPE | O_TAGS | O_ENABLED | O_NBF | O_EXP)

typedef struct command_spec {
  const char *name;
  bool needs_name;
  unsigned options;
  const char *usage;
  const char *summary;
  const char *detail;
} command_spec;

static const command_spec token_spec = {
    "token",
    false,
    O_SCOPE | O_TENANT,
    "msikv token [--scope S] [--tenant T]",
    "print an access token",
    "Prints an access token from the application's credential (managed\n"
    "identity when its environment variables are set, else the client\n"
    "secret from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET).\n"
    "The scope defaults to https://vault.azure.net/.default. With -o json\n"
    "prints {\"token\", \"expires_on\", \"credential\", \"scope\"}.\n"};

static const command_spec secret_specs[] = {
    {"get", true, O_KV | O_VERSION, "msikv secret get NAME [--version V]",
     "print a secret's value",
     "Prints the value alone (plus a newline unless it ends with one), so\n"
     "that $(msikv secret get NAME) works. -o json prints the whole secret.\n"},
    {"set", true, O_KV | O_VALUE | O_FILE | O_PROPS,
     "msikv secret set NAME [--file F | --value V] [--content-type T]\n"
     "       [--tags K=V]... [--enabled true|false] [--not-before T] "
     "[--expires T]",
     "create a new version of a secret",
     "The value is read from --file (byte for byte), else from stdin (one\n"
     "trailing newline dropped). --value works too, but anyone on this\n"
     "machine can see it with ps: prefer stdin. At most 25 KB.\n"
     "Times are Unix seconds, 2026-12-31 or 2026-12-31T23:59:59Z (UTC).\n"},
    {"update", true, O_KV | O_VERSION | O_PROPS | O_CLEAR_TAGS,
     "msikv secret update NAME [--version V] [--content-type T] [--tags "
     "K=V]...\n"
     "       [--clear-tags] [--enabled true|false] [--not-before T] "
     "[--expires T]",
     "change a version's properties (not its value)",
     "Updates the latest version unless --version is given. --tags replaces\n"
     "all tags; --clear-tags removes them.\n"},
    {"list", false, O_KV, "msikv secret list", "list secret names",
     "Prints one name per line; -o json prints every secret's properties.\n"},
    {"versions", true, O_KV, "msikv secret versions NAME",
     "list a secret's versions",
     "Prints one version per line; -o json prints their properties.\n"},
    {"delete", true, O_KV, "msikv secret delete NAME",
     "delete a secret (soft delete) and wait until done",
     "Deletes all versions. With soft delete on, the secret can be recovered\n"
     "until its scheduled purge date.\n"},
    {"show-deleted", true, O_KV, "msikv secret show-deleted NAME",
     "show a deleted secret", "Prints the deleted secret's properties.\n"},
    {"list-deleted", false, O_KV, "msikv secret list-deleted",
     "list deleted secrets", "Prints one name per line.\n"},
    {"recover", true, O_KV, "msikv secret recover NAME",
     "recover a deleted secret and wait until done", ""},
    {"purge", true, O_KV, "msikv secret purge NAME",
     "purge a deleted secret for good", "This cannot be undone.\n"},
    {"backup", true, O_KV | O_FILE, "msikv secret backup NAME [--file F]",
     "print (or save) a backup blob of all versions",
     "With --file the blob is written to a new file (mode 0600).\n"},
    {"restore", false, O_KV | O_FILE | O_VALUE,
     "msikv secret restore [--file F]", "restore a backup blob",
     "Reads the blob from --file, else from stdin.\n"},
};

#define SPEC_COUNT (sizeof(secret_specs) / sizeof(secret_specs[0]))

static const command_spec *find_spec(const cli_args *args) {
  if (!args->command)
    return NULL;
  if (strcmp(args->command, "token") == 0)
    return &token_spec;
  if (!args->sub)
    return NULL;
  for (size_t i = 0; i < SPEC_COUNT; i++) {
    if (strcmp(secret_specs[i].name, args->sub) == 0)
      return &secret_specs[i];
  }
  return NULL;
}

static const char *const common_help =
    "\nOptions for every command:\n"
    "  -o, --output text|json   output format (default text)\n"
    "  -v, --verbose            log each request (never tokens or values)\n"
    "  -h, --help               this help\n";

static const char *const kv_help =
    "\nVault options:\n"
    "  --vault URL              https://NAME.vault.azure.net (default "
    "$KEY_VAULT_URL)\n"
    "  --api-version V          default " MSIKV_KV_API_VERSION_DEFAULT "\n"
    "  --disable-challenge-resource-verification\n"
    "                           accept a challenge from any resource (test "
    "vaults only)\n";

static const char *const exit_help =
    "\nExit codes: 0 ok, 1 service error, 2 usage error, 3 authentication\n"
    "error (no credential, token refused, access denied), 4 not found.\n";

void cli_print_help(const cli_args *args, FILE *out) {
  const command_spec *spec = find_spec(args);
  if (!spec) {
    bool secret = args->command && strcmp(args->command, "secret") == 0;
    fprintf(out, "Usage: %s\n\n",
            secret ? "msikv secret COMMAND [NAME] [options]"
                   : "msikv token|secret ... [options]");
    if (!secret)
      fprintf(out, "  %-21s %s\n", "token", token_spec.summary);
    for (size_t i = 0; i < SPEC_COUNT; i++) {
      char label[32];
      snprintf(label, sizeof(label), "%s%s", secret ? "" : "secret ",
               secret_specs[i].name);
      fprintf(out, "  %-21s %s\n", label, secret_specs[i].summary);
    }
    fprintf(out, "\nRun 'msikv %sCOMMAND --help' for a command's options.\n",
            secret ? "secret " : "");
    fputs(common_help, out);
    fputs(exit_help, out);
    return;
  }
  fprintf(out, "Usage: %s\n\n%s: %s\n", spec->usage, spec->name, spec->summary);
  if (spec->detail[0])
    fprintf(out, "\n%s", spec->detail);
  if (spec->options & O_VAULT)
    fputs(kv_help, out);
  fputs(common_help, out);
  fputs(exit_help, out);
}

static int usage(FILE *err, const cli_args *args, const char *fmt,
                 const char *arg) {
  fputs("msikv: ", err);
  fprintf(err, fmt, arg);
  if (args->command)
    fprintf(err, "\nSee 'msikv %s%s%s --help'.\n", args->command,
            args->sub ? " " : "", args->sub ? args->sub : "");
  else
    fputs("\nSee 'msikv --help'.\n", err);
  return CLI_EXIT_USAGE;
}

typedef struct option_def {
  const char *long_name;
  char short_name;
  unsigned flag; /* 0: allowed everywhere */
  bool takes_value;
} option_def;

static const option_def options[] = {
    {"vault", 0, O_VAULT, true},
    {"version", 0, O_VERSION, true},
    {"value", 0, O_VALUE, true},
    {"file", 0, O_FILE, true},
    {"content-type", 0, O_CONTENT_TYPE, true},
    {"tags", 0, O_TAGS, true},
    {"tag", 0, O_TAGS, true},
    {"clear-tags", 0, O_CLEAR_TAGS, false},
    {"enabled", 0, O_ENABLED, true},
    {"not-before", 0, O_NBF, true},
    {"expires", 0, O_EXP, true},
    {"scope", 0, O_SCOPE, true},
    {"tenant", 0, O_TENANT, true},
    {"api-version", 0, O_API, true},
    {"disable-challenge-resource-verification", 0, O_NO_VERIFY, false},
    {"output", 'o', 0, true},
    {"verbose", 'v', 0, false},
    {"help", 'h', 0, false},
};

static const option_def *find_option(const char *arg, size_t len,
                                     bool is_long) {
  for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
    if (is_long ? (strlen(options[i].long_name) == len &&
                   strncmp(options[i].long_name, arg, len) == 0)
                : (len == 1 && options[i].short_name == arg[0]))
      return &options[i];
  }
  return NULL;
}

static int apply_option(const option_def *opt, const char *value, cli_args *out,
                        FILE *err) {
  const char *n = opt->long_name;
  if (strcmp(n, "vault") == 0)
    out->vault = value;
  else if (strcmp(n, "version") == 0)
    out->version = value;
  else if (strcmp(n, "value") == 0)
    out->value = value;
  else if (strcmp(n, "file") == 0)
    out->file = value;
  else if (strcmp(n, "content-type") == 0)
    out->content_type = value;
  else if (strcmp(n, "tags") == 0 || strcmp(n, "tag") == 0) {
    const char *eq = strchr(value, '=');
    if (!eq || eq == value)
      return usage(err, out, "--tags takes NAME=VALUE, got '%s'", value);
    if (out->tag_count >= CLI_MAX_TAGS)
      return usage(err, out, "%s", "at most 15 --tags are allowed");
    out->tags[out->tag_count++] = value;
  } else if (strcmp(n, "clear-tags") == 0)
    out->clear_tags = true;
  else if (strcmp(n, "enabled") == 0) {
    if (strcmp(value, "true") == 0)
      out->enabled = 1;
    else if (strcmp(value, "false") == 0)
      out->enabled = 0;
    else
      return usage(err, out, "--enabled takes true or false, got '%s'", value);
  } else if (strcmp(n, "not-before") == 0 || strcmp(n, "expires") == 0) {
    bool nbf = n[0] == 'n';
    int64_t t;
    if (!cli_parse_time(value, &t))
      return usage(err, out,
                   "bad time '%s': use Unix seconds, 2026-12-31 or "
                   "2026-12-31T23:59:59Z",
                   value);
    if (nbf) {
      out->nbf = t;
      out->has_nbf = true;
    } else {
      out->exp = t;
      out->has_exp = true;
    }
  } else if (strcmp(n, "scope") == 0)
    out->scope = value;
  else if (strcmp(n, "tenant") == 0)
    out->tenant = value;
  else if (strcmp(n, "api-version") == 0)
    out->api_version = value;
  else if (strcmp(n, "disable-challenge-resource-verification") == 0)
    out->no_verify = true;
  else if (strcmp(n, "output") == 0) {
    if (strcmp(value, "text") == 0)
      out->output = CLI_OUT_TEXT;
    else if (strcmp(value, "json") == 0)
      out->output = CLI_OUT_JSON;
    else
      return usage(err, out, "-o takes text or json, got '%s'", value);
  } else if (strcmp(n, "verbose") == 0)
    out->verbose = true;
  else if (strcmp(n, "help") == 0)
    out->help = true;
  return 0;
}

/* Takes a positional word: command, subcommand, then NAME. */
static int positional(const char *word, cli_args *out, FILE *err) {
  if (!out->command) {
    if (strcmp(word, "token") != 0 && strcmp(word, "secret") != 0)
      return usage(err, out, "unknown command '%s': use token or secret", word);
    out->command = word;
    return 0;
  }
  if (strcmp(out->command, "secret") == 0 && !out->sub) {
    out->sub = word;
    if (!find_spec(out)) {
      out->sub = NULL;
      return usage(err, out, "unknown secret command '%s'", word);
    }
    return 0;
  }
  if (!out->name) {
    out->name = word;
    return 0;
  }
  return usage(err, out, "unexpected argument '%s'", word);
}

int cli_parse_args(int argc, char **argv, cli_args *out, FILE *err) {
  memset(out, 0, sizeof(*out));
  out->enabled = -1;
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    out->show_version = true;
    return 0;
  }
  bool options_done = false;
  unsigned seen = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      int rc = positional(arg, out, err);
      if (rc)
        return rc;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      options_done = true;
      continue;
    }
    bool is_long = arg[1] == '-';
    const char *name = arg + (is_long ? 2 : 1);
    const char *eq = is_long ? strchr(name, '=') : NULL;
    size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
    const option_def *opt = find_option(name, name_len, is_long);
    if (!opt)
      return usage(err, out, "unknown option '%s'", arg);
    const char *value = NULL;
    if (opt->takes_value) {
      if (eq)
        value = eq + 1;
      else if (i + 1 < argc)
        value = argv[++i];
      else
        return usage(err, out, "option '%s' needs a value", arg);
    } else if (eq) {
      return usage(err, out, "option '%s' takes no value", arg);
    }
    if (opt->flag && (seen & opt->flag) && opt->flag != O_TAGS)
      return usage(err, out, "option '%s' is given twice", arg);
    seen |= opt->flag;
    int rc = apply_option(opt, value, out, err);
    if (rc)
      return rc;
  }
  if (out->help)
    return 0;
  if (!out->command)
    return usage(err, out, "%s", "missing command: use token or secret");
  const command_spec *spec = find_spec(out);
  if (!spec)
    return usage(err, out, "%s", "missing secret command");
  for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++) {
    if (options[k].flag && (seen & options[k].flag) &&
        !(spec->options & options[k].flag))
      return usage(err, out, "option '--%s' does not apply to this command",
                   options[k].long_name);
  }
  if (spec->needs_name && !out->name)
    return usage(err, out, "%s", "missing NAME");
  if (!spec->needs_name && out->name)
    return usage(err, out, "unexpected argument '%s'", out->name);
  if (out->value && out->file)
    return usage(err, out, "%s", "give --value or --file, not both");
  if (out->clear_tags && out->tag_count)
    return usage(err, out, "%s", "give --tags or --clear-tags, not both");
  return 0;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static bool digits(const char *s, size_t n, int64_t min, int64_t max,
                   int64_t *out) {
  return msikv_parse_int64(s, n, min, max, out) == MSIKV_OK;
}

bool cli_parse_time(const char *text, int64_t *out_s) {
  if (!text || !*text)
    return false;
  size_t len = strlen(text);
  if (strspn(text, "0123456789") == len)
    return digits(text, len, 0, 253402300799LL, out_s);
  int64_t y, mo, d, h = 0, mi = 0, s = 0;
  if (len < 10 || text[4] != '-' || text[7] != '-' ||
      !digits(text, 4, 1970, 9999, &y) || !digits(text + 5, 2, 1, 12, &mo) ||
      !digits(text + 8, 2, 1, 31, &d))
    return false;
  const char *p = text + 10;
  if (*p == 'T' || *p == ' ') {
    if (strlen(p) < 6 || p[3] != ':' || !digits(p + 1, 2, 0, 23, &h) ||
        !digits(p + 4, 2, 0, 59, &mi))
      return false;
    p += 6;
    if (*p == ':') {
      if (strlen(p) < 3 || !digits(p + 1, 2, 0, 60, &s))
        return false;
      p += 3;
    }
  }
  if (*p == 'Z' || *p == 'z')
    p++;
  else if (strcmp(p, "+00:00") == 0)
    p += 6;
  if (*p)
    return false;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
    return false;
  *out_s = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + s;
  return true;
}

void cli_format_time(int64_t s, char *buf, size_t size) {
  time_t t = (time_t)s;
  struct tm tm;
  if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(buf, size, "%lld", (long long)s);
}
