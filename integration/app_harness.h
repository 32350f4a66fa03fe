/* SPDX-License-Identifier: MIT */
/**
 * @file app_harness.h
 * @brief Runs the real //app:webapp against a running mock, for the
 * app_*_integration_test suites. Test-only.
 */
#ifndef MSIKV_INTEGRATION_APP_HARNESS_H
#define MSIKV_INTEGRATION_APP_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

typedef struct it_webapp {
  pid_t pid;
  int port;
  char base[64];       /**< http://127.0.0.1:PORT */
  char log_file[4096]; /**< Its stdout + stderr. */
} it_webapp;

/**
 * Starts the web app with the mock's variables (@p m may be NULL for none),
 * then @p extra ("K=V", NULL-terminated; later wins; "K=" empties K),
 * PORT=0 and WEBAPP_PORT_FILE; waits (10 s at most) until it listens.
 * @return 0, or -1 with its log on stderr.
 */
int it_webapp_start(const it_mock *m, const char *const *extra, it_webapp *w);

/** SIGTERM, wait (SIGKILL after 15 s). @return its exit code (128+N for a
 * signal, -1 when it had to be killed). */
int it_webapp_stop(it_webapp *w);

/** GET @p path; @p accept may be NULL. */
void it_webapp_get(const it_webapp *w, const char *path, const char *accept,
                   it_http *out);

/** @return the value of a metric line "name value" (exact name with labels),
 * or -1 when absent. */
double it_webapp_metric(const it_webapp *w, const char *name);

/** @return an owned copy of the web app's log so far (free()). */
char *it_webapp_log(const it_webapp *w);

/** @return true when MSIKV_TEST_TARGET=azure: run against real Azure. */
bool it_target_azure(void);

/**
 * Starts the web app against real Azure: passes through KEY_VAULT_URL,
 * KEY_VAULT_URI, SECRET_NAME, the AZURE_*, IDENTITY_*, MSI_* variables,
 * APPSETTING_WEBSITE_SITE_NAME, SSL_CERT_FILE, CURL_CA_BUNDLE and the proxy
 * variables from this process's environment.
 */
int it_webapp_start_azure(it_webapp *w);

/** Sets secret @p name to @p value in the mock's "demo" vault, as the
 * developer service principal. @return the HTTP status. */
long it_kv_set_secret(const it_mock *m, const char *name, const char *value);

#endif /* MSIKV_INTEGRATION_APP_HARNESS_H */
