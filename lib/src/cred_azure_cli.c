/* SPDX-License-Identifier: MIT */
/* The Azure CLI credential: `az account get-access-token`, run without a
 * shell, with a timeout, its JSON parsed and cached. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "credential_internal.h"
#include "identity_internal.h"
#include "json_internal.h"
#include "msikv/alloc.h"
#include "msikv/log.h"

#define CLI_NAME "AzureCliCredential"
#define DEFAULT_TIMEOUT_MS 10000
#define MAX_OUTPUT (1 << 20)
#define MAX_STDERR (64 * 1024)

extern char **environ;

typedef struct cli_ctx {
  char *tenant; /* NULL: the get_token tenant, else az's default. */
  char *az;
  long timeout_ms;
  const msikv_clock *clock;
  msikv__token_cache *cache;
} cli_ctx;

static void cli_destroy(void *vctx) {
  cli_ctx *ctx = vctx;
  if (!ctx)
    return;
  msikv__token_cache_free(ctx->cache);
  msikv_free(ctx->tenant);
  msikv_free(ctx->az);
  msikv_free(ctx);
}

bool msikv__cli_scope_is_valid(const char *scope) {
  /* A leading '-' would read as an option to az. */
  if (!scope || !*scope || *scope == '-')
    return false;
  for (const char *c = scope; *c; c++) {
    bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.' ||
              *c == ':' || *c == '/';
    if (!ok)
      return false;
  }
  return strlen(scope) <= 1024;
}

/* Reads exactly @p n digits. */
static bool digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" in local time, as az prints expiresOn. */
static msikv_result parse_local_time(const char *text, int64_t *out_s) {
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  int y, mo, d, h, mi, s;
  if (strlen(text) < 19 || !digits(text, 4, &y) || text[4] != '-' ||
      !digits(text + 5, 2, &mo) || text[7] != '-' || !digits(text + 8, 2, &d) ||
      (text[10] != ' ' && text[10] != 'T') || !digits(text + 11, 2, &h) ||
      text[13] != ':' || !digits(text + 14, 2, &mi) || text[16] != ':' ||
      !digits(text + 17, 2, &s))
    return MSIKV_ERR_PARSE;
  const char *rest = text + 19;
  if (*rest == '.') {
    rest++;
    while (*rest >= '0' && *rest <= '9')
      rest++;
  }
  if (*rest || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      s > 60 || y < 1970)
    return MSIKV_ERR_PARSE;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  tm.tm_isdst = -1;
  time_t t = mktime(&tm);
  if (t == (time_t)-1)
    return MSIKV_ERR_PARSE;
  *out_s = (int64_t)t;
  return MSIKV_OK;
}

msikv_result msikv__cli_parse_token(const char *out, size_t len, int64_t now_s,
                                    msikv_token *out_token,
                                    msikv_error *out_err) {
  cJSON *json = NULL;
  msikv_result rc = msikv__json_parse(out, len, &json);
  if (rc == MSIKV_ERR_NOMEM)
    return msikv_error_set(out_err, rc, "out of memory parsing az output");
  if (rc || !cJSON_IsObject(json)) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "az printed something that is not a JSON object; "
                         "update the Azure CLI");
    goto out;
  }
  const char *token = msikv__json_string(json, "accessToken");
  if (!token || !*token) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "az's output has no accessToken");
    goto out;
  }
  int64_t expires_s = 0;
  const char *field = "expires_on";
  rc = msikv__json_int64(json, "expires_on", 1, 253402300799LL, &expires_s);
  if (rc == MSIKV_ERR_NOT_FOUND) {
    field = "expiresOn";
    const char *text = msikv__json_string(json, "expiresOn");
    if (!text) {
      rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "az's output has neither expires_on nor "
                           "expiresOn");
      goto out;
    }
    rc = parse_local_time(text, &expires_s);
  }
  if (rc) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "az's %s is not a valid time", field);
    goto out;
  }
  if (expires_s <= now_s) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "az returned a token that expired %lld s ago "
                         "(%s); run `az login` again, or check the clock",
                         (long long)(now_s - expires_s), field);
    goto out;
  }
  if (expires_s > now_s + MSIKV__MAX_TOKEN_LIFETIME_S) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "az's %s lies more than 48 h ahead: refusing a "
                         "mis-parsed expiry",
                         field);
    goto out;
  }
  char *copy = msikv_strdup(token);
  if (!copy) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto out;
  }
  out_token->token = copy;
  out_token->expires_on_s = expires_s;
  out_token->refresh_on_s = 0;
  rc = MSIKV_OK;
out:
  msikv__json_delete_secret(json);
  return rc;
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static bool make_pipe(int fds[2]) {
  if (pipe(fds) != 0)
    return false;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return true;
}

/* The outcome of one az run. */
typedef struct run_result {
  int spawn_errno; /* Non-zero: az could not be started. */
  bool timed_out;
  bool too_large;
  int exit_code; /* -1 when killed by a signal. */
} run_result;

/* Runs argv (no shell), collecting stdout (secret) and stderr. */
static msikv_result run_az(char *const argv[], long timeout_ms, msikv_buf *out,
                           msikv_buf *err, run_result *res) {
  int out_fds[2] = {-1, -1}, err_fds[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  bool fa_ok = false;
  pid_t pid = -1;
  msikv_result rc = MSIKV_OK;
  memset(res, 0, sizeof(*res));
  res->exit_code = -1;
  if (!make_pipe(out_fds) || !make_pipe(err_fds) ||
      posix_spawn_file_actions_init(&fa) != 0) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  fa_ok = true;
  if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) ||
      posix_spawn_file_actions_adddup2(&fa, out_fds[1], 1) ||
      posix_spawn_file_actions_adddup2(&fa, err_fds[1], 2)) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  if (e != 0) {
    res->spawn_errno = e;
    pid = -1;
    goto out;
  }
  close_fd(&out_fds[1]);
  close_fd(&err_fds[1]);
  int64_t deadline = mono_ms() + timeout_ms;
  char chunk[4096];
  while (out_fds[0] >= 0 || err_fds[0] >= 0) {
    int64_t left = deadline - mono_ms();
    if (left <= 0) {
      res->timed_out = true;
      break;
    }
    struct pollfd pfd[2] = {{out_fds[0], POLLIN, 0}, {err_fds[0], POLLIN, 0}};
    int n = poll(pfd, 2, (int)(left > 1000 ? 1000 : left));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = MSIKV_ERR_TRANSPORT;
      break;
    }
    for (int i = 0; i < 2; i++) {
      int *fd = i == 0 ? &out_fds[0] : &err_fds[0];
      if (*fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      ssize_t got = read(*fd, chunk, sizeof(chunk));
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0) {
        close_fd(fd);
        continue;
      }
      msikv_buf *dst = i == 0 ? out : err;
      msikv_result arc = msikv_buf_append(dst, chunk, (size_t)got);
      if (arc == MSIKV_ERR_TOO_LARGE && i == 1)
        continue; /* Keep the start of stderr. */
      if (arc == MSIKV_ERR_TOO_LARGE)
        res->too_large = true;
      else if (arc)
        rc = arc;
    }
    if (res->too_large || rc)
      break;
  }
  msikv_secure_zero(chunk, sizeof(chunk));
out:
  if (pid > 0) {
    if (res->timed_out || res->too_large || rc)
      kill(pid, SIGKILL);
    int status = 0;
    pid_t w;
    do {
      w = waitpid(pid, &status, 0);
    } while (w < 0 && errno == EINTR);
    if (w == pid && WIFEXITED(status))
      res->exit_code = WEXITSTATUS(status);
    else if (w < 0 && errno == ECHILD)
      res->exit_code = 0; /* SIGCHLD ignored: judge by the output. */
  }
  if (fa_ok)
    posix_spawn_file_actions_destroy(&fa);
  close_fd(&out_fds[0]);
  close_fd(&out_fds[1]);
  close_fd(&err_fds[0]);
  close_fd(&err_fds[1]);
  return rc;
}

/* The most useful line of az's stderr ("ERROR: ..." or the first), made
 * printable. */
static void stderr_line(const msikv_buf *err, char *out, size_t size) {
  out[0] = '\0';
  if (!err->data)
    return;
  const char *line = strstr(err->data, "ERROR:");
  if (!line)
    line = err->data;
  while (*line == '\n' || *line == '\r' || *line == ' ')
    line++;
  size_t n = strcspn(line, "\r\n");
  if (n >= size)
    n = size - 1;
  for (size_t i = 0; i < n; i++)
    out[i] = ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) ? ' ' : line[i];
  out[n] = '\0';
}

static bool mentions(const msikv_buf *err, const char *needle) {
  return err->data && strstr(err->data, needle) != NULL;
}

static msikv_result cli_fetch(void *vctx, const char *scope,
                              const char *tenant_id, msikv_token *out_token,
                              msikv_error *out_err) {
  cli_ctx *ctx = vctx;
  msikv_buf out, err;
  msikv_buf_init_secret(&out, MAX_OUTPUT);
  msikv_buf_init(&err, MAX_STDERR);
  /* argv wants mutable strings: copies of the validated values. */
  char scope_buf[1025], tenant_buf[257];
  snprintf(scope_buf, sizeof(scope_buf), "%s", scope);
  snprintf(tenant_buf, sizeof(tenant_buf), "%s", tenant_id ? tenant_id : "");
  char account[] = "account", get[] = "get-access-token",
       scope_flag[] = "--scope", output[] = "--output", json[] = "json",
       tenant_flag[] = "--tenant";
  char *argv[10];
  size_t n = 0;
  argv[n++] = ctx->az;
  argv[n++] = account;
  argv[n++] = get;
  argv[n++] = scope_flag;
  argv[n++] = scope_buf;
  argv[n++] = output;
  argv[n++] = json;
  if (tenant_id) {
    argv[n++] = tenant_flag;
    argv[n++] = tenant_buf;
  }
  argv[n] = NULL;
  run_result res;
  char line[300];
  msikv_result rc = run_az(argv, ctx->timeout_ms, &out, &err, &res);
  stderr_line(&err, line, sizeof(line));
  if (rc) {
    rc = msikv_error_set(out_err, rc,
                         rc == MSIKV_ERR_NOMEM ? "out of memory running az"
                                               : "reading az's output failed");
  } else if (res.spawn_errno == ENOENT || res.exit_code == 127) {
    rc = msikv_error_set(out_err, MSIKV_ERR_UNAVAILABLE,
                         "the Azure CLI (%s) is not installed or not on "
                         "PATH: install it (https://aka.ms/azure-cli), then "
                         "run `az login`",
                         ctx->az);
  } else if (res.spawn_errno) {
    rc = msikv_error_set(out_err, MSIKV_ERR_UNAVAILABLE,
                         "cannot run the Azure CLI (%s): %s", ctx->az,
                         strerror(res.spawn_errno));
  } else if (res.timed_out) {
    rc = msikv_error_set(out_err, MSIKV_ERR_UNAVAILABLE,
                         "the Azure CLI did not answer within %ld ms (killed "
                         "it); check that `az account get-access-token` "
                         "works in a terminal",
                         ctx->timeout_ms);
  } else if (res.too_large) {
    rc =
        msikv_error_set(out_err, MSIKV_ERR_TOO_LARGE,
                        "the Azure CLI printed more than %d bytes", MAX_OUTPUT);
  } else if (res.exit_code != 0) {
    if (mentions(&err, "az login") || mentions(&err, "az account set"))
      rc = msikv_error_set(out_err, MSIKV_ERR_UNAVAILABLE,
                           "not logged in: run `az login%s%.40s` (az said: "
                           "%s)",
                           tenant_id ? " --tenant " : "",
                           tenant_id ? tenant_id : "", line);
    else
      rc = msikv_error_set(out_err, MSIKV_ERR_AUTH,
                           "az exited with status %d: %s", res.exit_code,
                           line[0] ? line : "(no error message)");
  } else {
    rc = msikv__cli_parse_token(out.data ? out.data : "", out.len,
                                msikv_clock_now_ms(ctx->clock) / 1000,
                                out_token, out_err);
  }
  if (rc)
    msikv_error_prefix(out_err, CLI_NAME);
  msikv_buf_free(&out);
  msikv_buf_free(&err);
  return rc;
}

static msikv_result cli_get_token(void *vctx, const char *scope,
                                  const char *tenant_id, msikv_token *out_token,
                                  msikv_error *out_err) {
  cli_ctx *ctx = vctx;
  msikv_error_clear(out_err);
  if (!msikv__cli_scope_is_valid(scope))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CLI_NAME ": the scope may contain only letters, "
                                    "digits and _-.:/, not start with '-' "
                                    "(one scope, e.g. "
                                    "https://vault.azure.net/.default)");
  const char *tenant = ctx->tenant ? ctx->tenant : tenant_id;
  if (tenant && (!msikv__tenant_is_valid(tenant) || *tenant == '-'))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CLI_NAME ": the tenant may contain only letters, "
                                    "digits, '.' and '-'");
  return msikv__token_cache_get(ctx->cache, scope, tenant, cli_fetch, ctx,
                                out_token, out_err);
}

static void cli_invalidate(void *vctx, const char *scope,
                           const char *tenant_id, const char *rejected_token) {
  (void)scope;
  (void)tenant_id;
  msikv__token_cache_invalidate(((cli_ctx *)vctx)->cache, rejected_token);
}

static const msikv_credential_ops cli_ops = {CLI_NAME, cli_get_token,
                                             cli_destroy, cli_invalidate};

msikv_result msikv_cred_azure_cli_new(const msikv_identity_options *opts,
                                      const msikv_azure_cli_options *cli,
                                      msikv_credential **out_cred,
                                      msikv_error *out_err) {
  msikv_credential *cred = NULL;
  msikv_error_clear(out_err);
  if (!out_cred)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CLI_NAME ": out_cred is NULL");
  if (cli && cli->tenant_id && *cli->tenant_id &&
      (!msikv__tenant_is_valid(cli->tenant_id) || *cli->tenant_id == '-'))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CLI_NAME ": the tenant may contain only letters, "
                                    "digits, '.' and '-'");
  if (cli && (cli->timeout_ms < 0 || cli->timeout_ms > 600000))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CLI_NAME ": timeout_ms must be 0 (default) to "
                                    "600000");
  if (cli && cli->az_path && !*cli->az_path)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           CLI_NAME ": az_path is empty");
  cli_ctx *ctx = msikv_calloc(1, sizeof(*ctx));
  if (!ctx)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  msikv_result rc = MSIKV_ERR_NOMEM;
  ctx->clock = opts ? opts->clock : NULL;
  ctx->timeout_ms =
      cli && cli->timeout_ms > 0 ? cli->timeout_ms : DEFAULT_TIMEOUT_MS;
  ctx->az = msikv_strdup(cli && cli->az_path ? cli->az_path : "az");
  if (!ctx->az)
    goto out;
  if (cli && cli->tenant_id && *cli->tenant_id &&
      !(ctx->tenant = msikv_strdup(cli->tenant_id)))
    goto out;
  rc = msikv__token_cache_new(ctx->clock, &ctx->cache);
  if (!rc)
    rc = msikv_cred_new_custom(&cli_ops, ctx, &cred);
  if (rc)
    goto out;
  *out_cred = cred;
  return MSIKV_OK;
out:
  cli_destroy(ctx);
  return msikv_error_set(out_err, rc, "out of memory");
}
