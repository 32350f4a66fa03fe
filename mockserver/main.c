/* SPDX-License-Identifier: MIT */
/* msikv mock Azure: managed identity, Entra ID and Key Vault on loopback. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "files.h"
#include "msikv/alloc.h"
#include "msikv/buffer.h"
#include "msikv/log.h"
#include "msikv/parse.h"
#include "server.h"
#include "tls.h"

#define MAX_FAULT_FLAGS 32

typedef struct options {
  int port, msi_port, admin_port;
  const char *profile;
  const char *env_file;
  const char *seed_file;
  const char *state_dir;
  const char *state_file;
  const char *dns_suffix;
  const char *tls_names[MOCK_TLS_MAX_NAMES];
  size_t tls_name_count;
  const char *tls_cert, *tls_key;
  int64_t token_lifetime_s;
  mock_expires_format legacy_format;
  const char *faults[MAX_FAULT_FLAGS];
  size_t fault_count;
  int64_t value_max_bytes;
  int64_t body_max_bytes;
  int64_t connection_timeout_s;
  bool quiet;
} options;

static void usage(FILE *f) {
  fprintf(f,
          "usage: mockserver [options]\n"
          "A mock of Azure managed identity, Entra ID and Key Vault on "
          "loopback.\n\n"
          "  --port N                 https port: Key Vault, Entra ID "
          "(default 0: any)\n"
          "  --msi-port N             http port: managed identity (default 0)\n"
          "  --admin-port N           http port: admin API (default 0)\n"
          "  --profile P              credential variables to print: "
          "appservice (default),\n"
          "                           legacy, imds, sp\n"
          "  --env-file PATH          also write the variables to PATH "
          "(KEY=VALUE lines)\n"
          "  --seed FILE              vaults, secrets, principals and "
          "policies (JSON)\n"
          "  --state-dir DIR          keeps the CA and the token signing key "
          "(default\n"
          "                           $TMPDIR/msikv-mock)\n"
          "  --state-file FILE        keep the Key Vault state in FILE: "
          "loaded at start\n"
          "                           when it exists, saved (atomically, "
          "fsync) after\n"
          "                           every write, before the reply\n"
          "  --dns-suffix S           vault hosts are {vault}.S (default "
          "vault.localhost)\n"
          "  --tls-name NAME          extra certificate name (repeatable)\n"
          "  --tls-cert F --tls-key F use this certificate and key (PEM)\n"
          "  --token-lifetime S       token lifetime in seconds (default "
          "3600)\n"
          "  --legacy-expires-format F  2017-09-01 expires_on shape: "
          "windows (default),\n"
          "                           docs, linux, iso, int, epoch\n"
          "  --fault SPEC             e.g. route=kv,kind=status,status=503,"
          "count=2 (repeatable)\n"
          "  --value-max-bytes N      largest secret value (default 25600)\n"
          "  --body-max-bytes N       largest request body (default 1048576)\n"
          "  --connection-timeout S   close idle connections after S seconds "
          "(default 30)\n"
          "  --quiet                  print only the export lines\n"
          "  --help\n");
}

static int parse_int_flag(const char *name, const char *value, int64_t min,
                          int64_t max, int64_t *out) {
  if (!value || msikv_parse_int64_str(value, min, max, out)) {
    fprintf(stderr,
            "mockserver: %s needs an integer from %lld to %lld, got '%s'\n",
            name, (long long)min, (long long)max, value ? value : "");
    return -1;
  }
  return 0;
}

static int parse_args(int argc, char **argv, options *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int64_t n = 0;
#define TAKE_VALUE()                                                           \
  do {                                                                         \
    if (!v) {                                                                  \
      fprintf(stderr, "mockserver: %s needs a value (see --help)\n", a);      \
      return -1;                                                               \
    }                                                                          \
    i++;                                                                       \
  } while (0)
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--quiet") == 0) {
      o->quiet = true;
    } else if (strcmp(a, "--port") == 0 || strcmp(a, "--msi-port") == 0 ||
               strcmp(a, "--admin-port") == 0) {
      TAKE_VALUE();
      if (parse_int_flag(a, v, 0, 65535, &n))
        return -1;
      if (a[2] == 'p')
        o->port = (int)n;
      else if (a[2] == 'm')
        o->msi_port = (int)n;
      else
        o->admin_port = (int)n;
    } else if (strcmp(a, "--profile") == 0) {
      TAKE_VALUE();
      if (strcmp(v, "appservice") && strcmp(v, "legacy") &&
          strcmp(v, "imds") && strcmp(v, "sp")) {
        fprintf(stderr,
                "mockserver: --profile must be appservice, legacy, imds or "
                "sp, not '%s'\n",
                v);
        return -1;
      }
      o->profile = v;
    } else if (strcmp(a, "--env-file") == 0) {
      TAKE_VALUE();
      o->env_file = v;
    } else if (strcmp(a, "--seed") == 0) {
      TAKE_VALUE();
      o->seed_file = v;
    } else if (strcmp(a, "--state-dir") == 0) {
      TAKE_VALUE();
      o->state_dir = v;
    } else if (strcmp(a, "--state-file") == 0) {
      TAKE_VALUE();
      if (!v[0]) {
        fprintf(stderr, "mockserver: --state-file needs a file path\n");
        return -1;
      }
      o->state_file = v;
    } else if (strcmp(a, "--dns-suffix") == 0) {
      TAKE_VALUE();
      if (!v[0] || v[0] == '.' || strpbrk(v, ":/ ,*") || strlen(v) > 100) {
        fprintf(stderr,
                "mockserver: --dns-suffix must be a host name such as "
                "vault.localhost, not '%s'\n",
                v);
        return -1;
      }
      o->dns_suffix = v;
    } else if (strcmp(a, "--tls-name") == 0) {
      TAKE_VALUE();
      if (o->tls_name_count >= MOCK_TLS_MAX_NAMES) {
        fprintf(stderr, "mockserver: at most %d --tls-name flags\n",
                MOCK_TLS_MAX_NAMES);
        return -1;
      }
      o->tls_names[o->tls_name_count++] = v;
    } else if (strcmp(a, "--tls-cert") == 0) {
      TAKE_VALUE();
      o->tls_cert = v;
    } else if (strcmp(a, "--tls-key") == 0) {
      TAKE_VALUE();
      o->tls_key = v;
    } else if (strcmp(a, "--token-lifetime") == 0) {
      TAKE_VALUE();
      if (parse_int_flag(a, v, 1, 86400 * 365, &o->token_lifetime_s))
        return -1;
    } else if (strcmp(a, "--legacy-expires-format") == 0) {
      TAKE_VALUE();
      if (!mock_expires_format_parse(v, &o->legacy_format)) {
        fprintf(stderr,
                "mockserver: --legacy-expires-format must be windows, docs, "
                "linux, iso, int or epoch, not '%s'\n",
                v);
        return -1;
      }
    } else if (strcmp(a, "--fault") == 0) {
      TAKE_VALUE();
      if (o->fault_count >= MAX_FAULT_FLAGS) {
        fprintf(stderr, "mockserver: at most %d --fault flags\n",
                MAX_FAULT_FLAGS);
        return -1;
      }
      o->faults[o->fault_count++] = v;
    } else if (strcmp(a, "--value-max-bytes") == 0) {
      TAKE_VALUE();
      if (parse_int_flag(a, v, 1, 64 << 20, &o->value_max_bytes))
        return -1;
    } else if (strcmp(a, "--body-max-bytes") == 0) {
      TAKE_VALUE();
      if (parse_int_flag(a, v, 1024, 256 << 20, &o->body_max_bytes))
        return -1;
    } else if (strcmp(a, "--connection-timeout") == 0) {
      TAKE_VALUE();
      if (parse_int_flag(a, v, 1, 3600, &o->connection_timeout_s))
        return -1;
    } else {
      fprintf(stderr, "mockserver: unknown argument '%s' (see --help)\n", a);
      return -1;
    }
#undef TAKE_VALUE
  }
  if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
    fprintf(stderr, "mockserver: --tls-cert and --tls-key go together\n");
    return -1;
  }
  return 0;
}

/* Quotes a value for the shell when it needs it. */
static msikv_result append_var(msikv_buf *out, bool export_, const char *name,
                               const char *value) {
  bool plain = value[0] != '\0';
  for (const char *p = value; *p; p++)
    if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
          ('0' <= *p && *p <= '9') || strchr("-_./:@%+=,", *p)))
      plain = false;
  msikv_result rc =
      msikv_buf_appendf(out, "%s%s=%s", export_ ? "export " : "", name,
                        plain ? "" : "'");
  for (const char *p = value; !rc && *p; p++)
    rc = *p == '\'' ? msikv_buf_append_str(out, "'\\''")
                    : msikv_buf_append(out, p, 1);
  if (!rc)
    rc = msikv_buf_appendf(out, "%s\n", plain ? "" : "'");
  return rc;
}

static msikv_result build_vars(const mock_app *app, const char *profile,
                               bool export_, msikv_buf *out) {
  char kv_url[256], ep[128], imds[128], admin[128], port[16];
  /* As Azure writes it: no port when it is 443 (the ids, the challenge's
   * resource and Python's host-and-port check agree). */
  if (app->tls_port == 443)
    snprintf(kv_url, sizeof(kv_url), "https://demo.%s", app->dns_suffix);
  else
    snprintf(kv_url, sizeof(kv_url), "https://demo.%s:%d", app->dns_suffix,
             app->tls_port);
  snprintf(ep, sizeof(ep), "http://127.0.0.1:%d/msi/token", app->msi_port);
  snprintf(imds, sizeof(imds), "http://127.0.0.1:%d", app->msi_port);
  snprintf(admin, sizeof(admin), "http://127.0.0.1:%d", app->admin_port);
  msikv_result rc = append_var(out, export_, "KEY_VAULT_URL", kv_url);
  if (!rc)
    rc = append_var(out, export_, "SSL_CERT_FILE", app->ca_path);
  if (rc)
    return rc;
  if (strcmp(profile, "appservice") == 0) {
    rc = append_var(out, export_, "IDENTITY_ENDPOINT", ep);
    if (!rc)
      rc = append_var(out, export_, "IDENTITY_HEADER", app->identity_header);
  } else if (strcmp(profile, "legacy") == 0) {
    rc = append_var(out, export_, "MSI_ENDPOINT", ep);
    if (!rc)
      rc = append_var(out, export_, "MSI_SECRET", app->msi_secret);
  } else if (strcmp(profile, "imds") == 0) {
    rc = append_var(out, export_, "AZURE_POD_IDENTITY_AUTHORITY_HOST", imds);
  } else {
    rc = append_var(out, export_, "AZURE_AUTHORITY_HOST", app->authority);
    if (!rc)
      rc = append_var(out, export_, "AZURE_TENANT_ID",
                      app->principals.tenant_id);
    if (!rc)
      rc = append_var(out, export_, "AZURE_CLIENT_ID", MOCK_SP_CLIENT_ID);
    if (!rc)
      rc = append_var(out, export_, "AZURE_CLIENT_SECRET", MOCK_SP_SECRET);
  }
  snprintf(port, sizeof(port), "%d", app->tls_port);
  if (!rc)
    rc = append_var(out, export_, "MSIKV_MOCK_ADMIN", admin);
  if (!rc)
    rc = append_var(out, export_, "MSIKV_MOCK_TLS_PORT", port);
  snprintf(port, sizeof(port), "%d", app->msi_port);
  if (!rc)
    rc = append_var(out, export_, "MSIKV_MOCK_MSI_PORT", port);
  snprintf(port, sizeof(port), "%d", app->admin_port);
  if (!rc)
    rc = append_var(out, export_, "MSIKV_MOCK_ADMIN_PORT", port);
  return rc;
}

static void default_state_dir(char *out, size_t size) {
  const char *tmp = getenv("TMPDIR");
  snprintf(out, size, "%s/msikv-mock", tmp && tmp[0] ? tmp : "/tmp");
}

int main(int argc, char **argv) {
  options o;
  memset(&o, 0, sizeof(o));
  o.profile = "appservice";
  o.dns_suffix = "vault.localhost";
  o.token_lifetime_s = 3600;
  o.legacy_format = MOCK_EXPIRES_WINDOWS;
  o.value_max_bytes = 25600;
  o.body_max_bytes = 1 << 20;
  o.connection_timeout_s = 30;
  int exit_code = 1;
  msikv_error err;
  msikv_error_clear(&err);
  char state_dir[4096];
  mock_jwt_key *key = NULL;
  mock_tls tls;
  memset(&tls, 0, sizeof(tls));
  cJSON *seed = NULL;
  mock_app *app = NULL;
  mock_server *servers[3] = {NULL, NULL, NULL};
  int fds[3] = {-1, -1, -1};
  int ports[3] = {0, 0, 0};
  msikv_buf vars;
  msikv_buf_init(&vars, 1 << 16);
  msikv_result rc = MSIKV_OK;

  if (parse_args(argc, argv, &o))
    return 2;
  if (msikv_global_init()) {
    fprintf(stderr, "mockserver: cannot initialise\n");
    return 1;
  }
  /* Block the stop signals in every thread; main waits for them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  if (o.state_dir)
    snprintf(state_dir, sizeof(state_dir), "%s", o.state_dir);
  else
    default_state_dir(state_dir, sizeof(state_dir));
  rc = mock_mkdirs(state_dir, &err);
  if (rc)
    goto out;
  if (o.seed_file) {
    char *text = NULL;
    size_t len = 0;
    rc = mock_pem_read_file(o.seed_file, &text, &len, &err);
    if (rc == MSIKV_ERR_NOT_FOUND)
      rc = msikv_error_set(&err, MSIKV_ERR_CONFIG, "--seed %s: no such file",
                           o.seed_file);
    if (rc)
      goto out;
    const char *end = NULL;
    seed = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!seed || !cJSON_IsObject(seed)) {
      long off = end ? (long)(end - text) : 0;
      msikv_free(text);
      rc = msikv_error_set(&err, MSIKV_ERR_CONFIG,
                           "--seed %s: not a JSON object (error near byte "
                           "%ld); see docs/mockserver.md for the format",
                           o.seed_file, off);
      goto out;
    }
    msikv_free(text);
  }
  char key_path[4200];
  snprintf(key_path, sizeof(key_path), "%s/jwt-signing-key.pem", state_dir);
  rc = mock_jwt_key_load_or_create(key_path, &key, &err);
  if (rc)
    goto out;
  if (o.tls_cert)
    rc = mock_tls_load(o.tls_cert, o.tls_key, &tls, &err);
  else
    rc = mock_tls_create(state_dir, o.dns_suffix, o.tls_names,
                         o.tls_name_count, &tls, &err);
  if (rc)
    goto out;
  int want[3] = {o.port, o.msi_port, o.admin_port};
  for (int i = 0; i < 3; i++) {
    rc = mock_listen_loopback(want[i], &fds[i], &ports[i], &err);
    if (rc)
      goto out;
  }
  mock_app_config cfg = {
      .dns_suffix = o.dns_suffix,
      .tls_port = ports[0],
      .msi_port = ports[1],
      .admin_port = ports[2],
      .token_lifetime_s = o.token_lifetime_s,
      .legacy_format = o.legacy_format,
      .value_max_bytes = (size_t)o.value_max_bytes,
      .seed = seed,
      .key = key,
      .ca_path = tls.ca_path,
      .state_file = o.state_file,
  };
  rc = mock_app_new(&cfg, &app, &err);
  if (rc)
    goto out;
  for (size_t i = 0; i < o.fault_count; i++) {
    mock_fault f;
    rc = mock_fault_parse_spec(o.faults[i], &f, &err);
    if (!rc)
      rc = mock_faults_add(app->faults, &f, NULL);
    if (rc) {
      msikv_error_prefix(&err, "--fault %s", o.faults[i]);
      goto out;
    }
  }
  mock_listener listeners[3] = {MOCK_LISTENER_TLS, MOCK_LISTENER_MSI,
                                MOCK_LISTENER_ADMIN};
  for (int i = 0; i < 3; i++) {
    mock_server_options so = {
        .listener = listeners[i],
        .listen_fd = fds[i],
        .tls_cert_pem = i == 0 ? tls.cert_pem : NULL,
        .tls_key_pem = i == 0 ? tls.key_pem : NULL,
        .body_max_bytes = (size_t)o.body_max_bytes,
        .connection_timeout_s = (unsigned)o.connection_timeout_s,
        .handler = (mock_handler_fn)mock_app_handle,
        .handler_ctx = app,
    };
    fds[i] = -1; /* the server owns it now */
    rc = mock_server_start(&so, &servers[i], &err);
    if (rc)
      goto out;
  }
  if (o.env_file) {
    rc = build_vars(app, o.profile, false, &vars);
    if (!rc)
      rc = mock_file_replace(o.env_file, vars.data, vars.len, 0600, &err);
    if (rc)
      goto out;
    msikv_buf_reset(&vars);
  }
  rc = build_vars(app, o.profile, true, &vars);
  if (rc)
    goto out;
  if (!o.quiet)
    fprintf(stdout,
            "# msikv mock Azure is ready (profile %s). Key Vault and Entra "
            "ID: https port %d;\n# managed identity: http port %d; admin: "
            "http://127.0.0.1:%d/admin/\n",
            o.profile, ports[0], ports[1], ports[2]);
  fputs(vars.data, stdout);
  fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  if (!o.quiet)
    fprintf(stderr, "mockserver: stopping (signal %d)\n", sig);
  exit_code = 0;
out:
  if (rc) {
    fprintf(stderr, "mockserver: %s\n",
            err.message[0] ? err.message : msikv_result_str(rc));
    exit_code = 1;
  }
  for (int i = 2; i >= 0; i--)
    mock_server_stop(servers[i]);
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  mock_app_free(app);
  msikv_buf_free(&vars);
  mock_tls_free(&tls);
  mock_jwt_key_free(key);
  cJSON_Delete(seed);
  return exit_code;
}
