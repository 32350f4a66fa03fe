/* SPDX-License-Identifier: MIT */
/**
 * @file harness.h
 * @brief Integration-test harness: start the real mockserver from runfiles,
 * spawn other runfiles binaries, and make HTTPS requests that trust the
 * mock's CA. Test-only code; aborts the test with a message on setup errors.
 */
#ifndef MSIKV_INTEGRATION_HARNESS_H
#define MSIKV_INTEGRATION_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#define IT_MAX_VARS 32

/** A running mockserver and the variables it printed. */
typedef struct it_mock {
  pid_t pid;
  char env_file[4096];
  char log_file[4096]; /**< Its stdout + stderr. */
  size_t var_count;
  char names[IT_MAX_VARS][64];
  char values[IT_MAX_VARS][4096];
  /* Shortcuts into the variables (or GET /admin/config). */
  char admin[128];  /**< http://127.0.0.1:PORT */
  char kv_url[256]; /**< https://demo.vault.localhost:PORT */
  char ca_file[4096];
  char authority[256]; /**< https://login.localhost:PORT */
  char resource[256];  /**< https://vault.localhost:PORT (token aud) */
  char tenant_id[64];
  char identity_endpoint[256];
  char identity_header[128];
  char msi_secret[128];
  char imds_host[128]; /**< http://127.0.0.1:MSIPORT */
  int tls_port, msi_port, admin_port;
} it_mock;

/** @return "$TEST_SRCDIR/$TEST_WORKSPACE/@p rel" (static buffer per call
 * site is not kept: copy it). Writes into @p out. */
const char *it_runfile(const char *rel, char *out, size_t out_size);

/** @return a fresh path under $TEST_TMPDIR (or /tmp) named @p name. */
const char *it_tmp_path(const char *name, char *out, size_t out_size);

/**
 * Starts //mockserver:mockserver on port 0 with --env-file in TEST_TMPDIR
 * and the given extra arguments (NULL-terminated, may be NULL), waits until
 * it is ready (10 s at most) and reads its variables and GET /admin/config.
 * @return 0, or -1 with a message on stderr (the mock's log included).
 */
int it_mock_start(it_mock *m, const char *const *extra_args);
/** SIGTERM, then wait (SIGKILL after 5 s). */
void it_mock_stop(it_mock *m);
/** @return a printed variable's value, or NULL. */
const char *it_mock_var(const it_mock *m, const char *name);

/** The captured result of a spawned process. */
typedef struct it_proc {
  int exit_code; /**< Exit status, 128+N for signal N, -1 on timeout. */
  char *out;     /**< Owned (free with it_proc_free). */
  char *err;
} it_proc;

/**
 * Runs the runfiles binary @p rel (e.g. "cli/msikv") with @p argv (without
 * argv[0], NULL-terminated) and exactly the environment @p envp ("K=V",
 * NULL-terminated); kills it after @p timeout_ms.
 * @return 0 when it ran (see out->exit_code), -1 if it could not start.
 */
int it_run(const char *rel, const char *const *argv, const char *const *envp,
           int timeout_ms, it_proc *out);
void it_proc_free(it_proc *p);

/**
 * Builds an environment for it_run: the mock's printed variables, then
 * @p extra ("K=V", NULL-terminated, may be NULL; later entries win), plus
 * PATH, TEST_TMPDIR and HOME=TEST_TMPDIR. Free with it_env_free.
 */
char **it_mock_env(const it_mock *m, const char *const *extra);
void it_env_free(char **env);

/** An HTTP exchange's outcome. */
typedef struct it_http {
  int curl_code; /**< 0 = a response arrived (CURLcode otherwise). */
  long status;
  char *headers; /**< Owned raw header block. */
  char *body;    /**< Owned, NUL-terminated. */
  size_t body_len;
  double seconds; /**< Total time. */
} it_http;

/**
 * One request with libcurl, trusting the mock's CA (@p m may be NULL for
 * plain http). @p headers "Name: value", NULL-terminated, may be NULL.
 * @p body NULL for none. Never fails the test by itself.
 */
void it_http_do(const it_mock *m, const char *method, const char *url,
                const char *const *headers, const char *body, it_http *out);
void it_http_free(it_http *r);
/** @return a header's value (owned copy; free()) or NULL. */
char *it_http_header(const it_http *r, const char *name);
/** @return the body parsed as JSON (free with cJSON_Delete) or NULL. */
cJSON *it_http_json(const it_http *r);

/** Admin API helpers. @return the HTTP status (0 on transport failure). */
long it_admin(const it_mock *m, const char *method, const char *path,
              const char *json_body, cJSON **out_json);
/** POST /admin/faults with @p json_fault; @return the fault id or -1. */
int it_admin_fault(const it_mock *m, const char *json_fault);
/** Moves the mock clock by @p seconds. */
long it_admin_shift_clock(const it_mock *m, long long seconds);
/** GET /admin/requests?since=@p since (JSON; cJSON_Delete). */
cJSON *it_admin_requests(const it_mock *m, long long since);
/** POST /admin/reset. */
long it_admin_reset(const it_mock *m);

/** Token helpers (raw HTTP). @return an owned access token or NULL. */
char *it_token_appservice(const it_mock *m, const char *query_extra);
char *it_token_legacy(const it_mock *m, const char *query_extra);
char *it_token_imds(const it_mock *m, const char *query_extra);
char *it_token_client_secret(const it_mock *m, const char *client_id,
                             const char *secret, const char *scope);

/* ---- Mock or real Azure (MSIKV_TEST_TARGET) ------------------------------ */

/** @return true when MSIKV_TEST_TARGET=azure (bazel test --config=azure):
 * the suites run the flows that make sense against real Azure and skip the
 * others visibly (see it_target.h). */
bool it_target_is_azure(void);

/**
 * Checks the variables azure mode needs: KEY_VAULT_URL (or KEY_VAULT_URI)
 * and one credential (AZURE_TENANT_ID + AZURE_CLIENT_ID + a secret,
 * certificate or federated token file; IDENTITY_ENDPOINT + IDENTITY_HEADER;
 * MSI_ENDPOINT; or an Azure CLI login in AZURE_CONFIG_DIR or ~/.azure).
 * @return true when complete; otherwise false with a sentence naming what
 * is missing in @p out.
 */
bool it_azure_env_ready(char *out, size_t out_size);

/** Prints "[  SKIPPED ] reason: @p reason" on stdout (cmocka's skip() only
 * prints the test's name). */
void it_skip_note(const char *reason);

/**
 * An environment for it_run in azure mode: PATH, HOME, TEST_TMPDIR and the
 * KEY_VAULT_*, AZURE_*, IDENTITY_*, MSI_*, SECRET_NAME, SSL_CERT_FILE,
 * CURL_CA_BUNDLE and proxy variables of this process, then @p extra (later
 * entries win). Free with it_env_free.
 */
char **it_azure_env(const char *const *extra);

#endif /* MSIKV_INTEGRATION_HARNESS_H */
