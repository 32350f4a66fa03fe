/* SPDX-License-Identifier: MIT */
/* Chains: ordering, unavailable versus failed, the remembered link, the
 * aggregated message; the default chain's links, its IMDS probe and
 * AZURE_TOKEN_CREDENTIALS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "identity_internal.h"
#include "msikv/alloc.h"
#include "msikv/identity.h"
#include "oom.h"

#define T0_MS 1700000000000LL
#define T0 (T0_MS / 1000)
#define SCOPE "https://vault.azure.net/.default"

/* ---- Scripted links ------------------------------------------------------ */

typedef struct link_ctx {
  msikv_result rc;
  const char *msg;
  atomic_int calls;
  int http_status;
} link_ctx;

static msikv_result link_get(void *vctx, const char *scope, const char *tenant,
                             msikv_token *out, msikv_error *err) {
  (void)scope;
  (void)tenant;
  link_ctx *l = vctx;
  l->calls++;
  if (l->rc == MSIKV_OK) {
    out->token = msikv_strdup(l->msg);
    out->expires_on_s = T0 + 3600;
    return MSIKV_OK;
  }
  if (err) {
    err->http_status = l->http_status;
    if (l->http_status)
      snprintf(err->code, sizeof(err->code), "invalid_client");
  }
  return msikv_error_set(err, l->rc, "%s", l->msg);
}

static const msikv_credential_ops a_ops = {"LinkA", link_get, NULL, NULL};
static const msikv_credential_ops b_ops = {"LinkB", link_get, NULL, NULL};
static const msikv_credential_ops c_ops = {"LinkC", link_get, NULL, NULL};
static const msikv_credential_ops d_ops = {"LinkD", link_get, NULL, NULL};

/* Links that record what they were told to invalidate. */
typedef struct inv_record {
  int calls;
  char scope[64];
  char tenant[32];
  char token[32];
} inv_record;

static inv_record inv_rec[2];

static void inv_note(int i, const char *scope, const char *tenant,
                     const char *token) {
  inv_rec[i].calls++;
  snprintf(inv_rec[i].scope, sizeof(inv_rec[i].scope), "%s", scope);
  snprintf(inv_rec[i].tenant, sizeof(inv_rec[i].tenant), "%s",
           tenant ? tenant : "(null)");
  snprintf(inv_rec[i].token, sizeof(inv_rec[i].token), "%s", token);
}

static void inv0(void *vctx, const char *scope, const char *tenant,
                 const char *token) {
  (void)vctx;
  inv_note(0, scope, tenant, token);
}

static void inv1(void *vctx, const char *scope, const char *tenant,
                 const char *token) {
  (void)vctx;
  inv_note(1, scope, tenant, token);
}

static const msikv_credential_ops i0_ops = {"LinkI0", link_get, NULL, inv0};
static const msikv_credential_ops i1_ops = {"LinkI1", link_get, NULL, inv1};

static msikv_credential *mk(const msikv_credential_ops *ops, link_ctx *l) {
  msikv_credential *c = NULL;
  assert_int_equal(msikv_cred_new_custom(ops, l, &c), MSIKV_OK);
  return c;
}

static msikv_credential *chain3(link_ctx *a, link_ctx *b, link_ctx *c) {
  msikv_credential *links[3] = {mk(&a_ops, a), mk(&b_ops, b), mk(&c_ops, c)};
  msikv_credential *chain = NULL;
  assert_int_equal(msikv_cred_chain_new("TestChain", links, 3, &chain, NULL),
                   MSIKV_OK);
  assert_null(links[0]);
  return chain;
}

static void test_chain_unavailable_then_success_remembers_link(void **state) {
  (void)state;
  link_ctx a = {MSIKV_ERR_UNAVAILABLE, "no env", 0, 0};
  link_ctx b = {MSIKV_OK, "tok-b", 0, 0};
  link_ctx c = {MSIKV_OK, "tok-c", 0, 0};
  msikv_credential *chain = chain3(&a, &b, &c);
  assert_string_equal(msikv_cred_name(chain), "TestChain");
  assert_int_equal(msikv__cred_chain_selected(chain), -1);
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(chain, SCOPE, NULL, &tok, NULL),
                   MSIKV_OK);
  assert_string_equal(tok.token, "tok-b");
  msikv_token_clear(&tok);
  assert_int_equal(msikv__cred_chain_selected(chain), 1);
  assert_int_equal(a.calls, 1);
  assert_int_equal(b.calls, 1);
  assert_int_equal(c.calls, 0);
  /* From now on only B, even if A would work. */
  a.rc = MSIKV_OK;
  assert_int_equal(msikv_cred_get_token(chain, SCOPE, NULL, &tok, NULL),
                   MSIKV_OK);
  assert_string_equal(tok.token, "tok-b");
  msikv_token_clear(&tok);
  assert_int_equal(a.calls, 1);
  assert_int_equal(b.calls, 2);
  /* ... and B's error comes through as it is. */
  b.rc = MSIKV_ERR_AUTH;
  b.msg = "LinkB: rejected";
  msikv_error err;
  assert_int_equal(msikv_cred_get_token(chain, SCOPE, NULL, &tok, &err),
                   MSIKV_ERR_AUTH);
  assert_string_equal(err.message, "LinkB: rejected");
  msikv_cred_free(chain);
}

static void test_chain_failed_link_stops_chain(void **state) {
  (void)state;
  link_ctx a = {MSIKV_ERR_UNAVAILABLE, "LinkA: not configured", 0, 0};
  link_ctx b = {MSIKV_ERR_AUTH, "HTTP 401 invalid_client", 0, 401};
  link_ctx c = {MSIKV_OK, "tok-c", 0, 0};
  msikv_credential *chain = chain3(&a, &b, &c);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(msikv_cred_get_token(chain, SCOPE, NULL, &tok, &err),
                   MSIKV_ERR_AUTH);
  assert_null(tok.token);
  assert_int_equal(c.calls, 0);
  assert_int_equal(err.http_status, 401);
  assert_string_equal(err.code, "invalid_client");
  assert_string_equal(err.message,
                      "TestChain failed to retrieve a token from the "
                      "included credentials.\nAttempted credentials:\n"
                      "\tLinkA: not configured\n"
                      "\tLinkB: HTTP 401 invalid_client\n"
                      "\tLinkC (not tried)");
  assert_int_equal(msikv__cred_chain_selected(chain), -1);
  msikv_cred_free(chain);
}

static void test_chain_all_unavailable_lists_every_link(void **state) {
  (void)state;
  link_ctx a = {MSIKV_ERR_UNAVAILABLE, "reason a", 0, 0};
  link_ctx b = {MSIKV_ERR_UNAVAILABLE, "reason b", 0, 0};
  link_ctx c = {MSIKV_ERR_UNAVAILABLE, "", 0, 0};
  msikv_credential *chain = chain3(&a, &b, &c);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(msikv_cred_get_token(chain, SCOPE, NULL, &tok, &err),
                   MSIKV_ERR_UNAVAILABLE);
  assert_string_equal(err.message,
                      "TestChain failed to retrieve a token from the "
                      "included credentials.\nAttempted credentials:\n"
                      "\tLinkA: reason a\n\tLinkB: reason b\n"
                      "\tLinkC: (no reason given)\n"
                      "Configure one of them: each line says what it needs.");
  assert_int_equal(err.http_status, 0);
  assert_int_equal(a.calls + b.calls + c.calls, 3);
  msikv_cred_free(chain);
}

static void test_chain_long_reasons_share_the_message(void **state) {
  (void)state;
  static char longmsg[3][1100];
  for (int i = 0; i < 3; i++) {
    memset(longmsg[i], 'a' + i, 1000);
    longmsg[i][1000] = '\0';
  }
  link_ctx a = {MSIKV_ERR_UNAVAILABLE, "short", 0, 0};
  link_ctx b = {MSIKV_ERR_UNAVAILABLE, longmsg[0], 0, 0};
  link_ctx c = {MSIKV_ERR_UNAVAILABLE, longmsg[1], 0, 0};
  link_ctx d = {MSIKV_ERR_UNAVAILABLE, longmsg[2], 0, 0};
  msikv_credential *links[4] = {mk(&a_ops, &a), mk(&b_ops, &b), mk(&c_ops, &c),
                                mk(&d_ops, &d)};
  msikv_credential *chain = NULL;
  assert_int_equal(msikv_cred_chain_new(NULL, links, 4, &chain, NULL),
                   MSIKV_OK);
  assert_string_equal(msikv_cred_name(chain), "ChainedTokenCredential");
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(msikv_cred_get_token(chain, SCOPE, NULL, &tok, &err),
                   MSIKV_ERR_UNAVAILABLE);
  assert_true(strlen(err.message) < MSIKV_ERROR_MESSAGE_MAX);
  assert_true(strlen(err.message) > 850);
  assert_true(strlen(err.message) < MSIKV_ERROR_MESSAGE_MAX - 120);
  assert_non_null(strstr(err.message, "\n\tLinkA: short\n"));
  const char *names[] = {"\n\tLinkB: aaa", "\n\tLinkC: bbb", "\n\tLinkD: ccc"};
  size_t counts[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    const char *p = strstr(err.message, names[i]);
    assert_non_null(p);
    p += strlen("\n\tLinkB: ");
    while (p[counts[i]] == 'a' + i)
      counts[i]++;
    assert_true(strncmp(p + counts[i], "...", 3) == 0);
  }
  /* Equal shares (within one byte). */
  assert_true(counts[0] + 1 >= counts[2] && counts[2] + 1 >= counts[0]);
  assert_non_null(strstr(err.message, "Configure one of them"));
  msikv_cred_free(chain);
}

static void test_chain_new_bad_args_frees_links(void **state) {
  (void)state;
  link_ctx a = {MSIKV_OK, "t", 0, 0};
  msikv_credential *links[2] = {mk(&a_ops, &a), NULL};
  msikv_credential *chain = NULL;
  assert_int_equal(msikv_cred_chain_new("x", links, 2, &chain, NULL),
                   MSIKV_ERR_ARG);
  assert_null(links[0]);
  assert_null(chain);
  assert_int_equal(msikv_cred_chain_new("x", NULL, 0, &chain, NULL), MSIKV_OK);
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(chain, SCOPE, NULL, &tok, NULL),
                   MSIKV_ERR_UNAVAILABLE);
  msikv_cred_free(chain);
}

typedef struct race {
  msikv_credential *chain;
  atomic_int failures;
} race;

static void *race_thread(void *arg) {
  race *r = arg;
  for (int i = 0; i < 200; i++) {
    msikv_token tok = {NULL, 0, 0};
    msikv_error err;
    if (msikv_cred_get_token(r->chain, SCOPE, NULL, &tok, &err) != MSIKV_OK ||
        strcmp(tok.token, "tok-b") != 0)
      atomic_fetch_add(&r->failures, 1);
    msikv_token_clear(&tok);
  }
  return NULL;
}

/* 16 threads race on the first call: every one gets B's token, the chain
 * settles on B, and C is never asked. */
static void test_chain_threads_race_first_call_one_selection(void **state) {
  (void)state;
  link_ctx a = {MSIKV_ERR_UNAVAILABLE, "no env", 0, 0};
  link_ctx b = {MSIKV_OK, "tok-b", 0, 0};
  link_ctx c = {MSIKV_OK, "tok-c", 0, 0};
  race r = {chain3(&a, &b, &c), 0};
  pthread_t threads[16];
  for (int i = 0; i < 16; i++)
    assert_int_equal(pthread_create(&threads[i], NULL, race_thread, &r), 0);
  for (int i = 0; i < 16; i++)
    pthread_join(threads[i], NULL);
  assert_int_equal(atomic_load(&r.failures), 0);
  assert_int_equal(msikv__cred_chain_selected(r.chain), 1);
  assert_int_equal(atomic_load(&c.calls), 0);
  assert_int_equal(atomic_load(&b.calls), 16 * 200);
  assert_true(atomic_load(&a.calls) <= 16);
  msikv_cred_free(r.chain);
}

/* ---- The default chain --------------------------------------------------- */

typedef struct fixture {
  fake_transport ft;
  fake_clock fc;
  msikv_identity_options opts;
  msikv_credential *cred;
  const char *names[16];
  const char *values[16];
  int n;
  char *old_path;
  char dir[512];
} fixture;

static const char *env_get(void *ctx, const char *name) {
  fixture *fx = ctx;
  for (int i = 0; i < fx->n; i++) {
    if (strcmp(fx->names[i], name) == 0)
      return fx->values[i];
  }
  return NULL;
}

static void env_set(fixture *fx, const char *name, const char *value) {
  fx->names[fx->n] = name;
  fx->values[fx->n] = value;
  fx->n++;
}

static int setup(void **state) {
  static int counter;
  fixture *fx = test_calloc(1, sizeof(*fx));
  fake_transport_init(&fx->ft);
  fake_clock_init(&fx->fc, T0_MS);
  fx->opts = msikv_identity_options_default();
  fx->opts.transport = &fx->ft.transport;
  fx->opts.clock = &fx->fc.clock;
  fx->opts.getenv_fn = env_get;
  fx->opts.getenv_ctx = fx;
  fx->opts.retry_delay_scale = 0.001;
  /* PATH: a directory without az, unless a test writes one. */
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(fx->dir, sizeof(fx->dir), "%s/chain-%d", tmp ? tmp : "/tmp",
           ++counter);
  mkdir(fx->dir, 0700);
  const char *path = getenv("PATH");
  fx->old_path = strdup(path ? path : "/usr/bin:/bin");
  setenv("PATH", fx->dir, 1);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  msikv_cred_free(fx->cred);
  setenv("PATH", fx->old_path, 1);
  free(fx->old_path);
  fake_transport_free(&fx->ft);
  fake_clock_free(&fx->fc);
  test_free(fx);
  return 0;
}

static void write_az(fixture *fx, const char *token) {
  char path[700];
  snprintf(path, sizeof(path), "%s/az", fx->dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f, "#!/bin/sh\necho '{\"accessToken\":\"%s\",\"expires_on\":%lld}'\n",
          token, (long long)(T0 + 3600));
  fclose(f);
  chmod(path, 0755);
  char p[1200];
  snprintf(p, sizeof(p), "%s:/usr/bin:/bin", fx->dir);
  setenv("PATH", p, 1);
}

static void create_default(fixture *fx) {
  msikv_error err;
  if (msikv_cred_default_new(&fx->opts, &fx->cred, &err))
    fail_msg("create: %s", err.message);
}

static msikv_result get(fixture *fx, msikv_token *tok, msikv_error *err) {
  return msikv_cred_get_token(fx->cred, SCOPE, NULL, tok, err);
}

/* The position of each "\n\t<name>" in the message, or -1. */
static long pos(const char *msg, const char *name) {
  char needle[128];
  snprintf(needle, sizeof(needle), "\n\t%s", name);
  const char *p = strstr(msg, needle);
  return p ? (long)(p - msg) : -1;
}

static void test_default_nothing_configured_lists_links_in_order(void **state) {
  fixture *fx = *state;
  create_default(fx);
  assert_string_equal(msikv_cred_name(fx->cred), "DefaultAzureCredential");
  fake_transport_push_error(&fx->ft, MSIKV_ERR_TRANSPORT);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  const char *m = err.message;
  static const char head[] =
      "DefaultAzureCredential failed to retrieve a token from the included "
      "credentials.\nAttempted credentials:\n\tEnvironmentCredential: "
      "environment variables are not fully configured";
  assert_true(strncmp(m, head, sizeof(head) - 1) == 0);
  long e = pos(m, "EnvironmentCredential: ");
  long w = pos(m, "WorkloadIdentityCredential: not configured");
  long i = pos(m, "ManagedIdentityCredential (IMDS): GET "
                  "http://169.254.169.254 for the system-assigned identity: "
                  "no response from the IMDS endpoint within 1000 ms");
  long c = pos(m, "AzureCliCredential: the Azure CLI (az) is not installed");
  assert_true(e >= 0 && w > e && i > w && c > i);
  assert_non_null(strstr(m, "not installed"));
  assert_non_null(strstr(m, "\nConfigure one of them"));
  /* The probe: one request, a 1 s connect timeout, no retries. */
  assert_int_equal(fake_transport_count(&fx->ft), 1);
  const fake_record *rec = fake_transport_request(&fx->ft, 0);
  assert_int_equal(rec->connect_timeout_ms, 1000);
  assert_non_null(strstr(rec->url, "169.254.169.254/metadata/identity"));
  assert_int_equal(fx->fc.sleep_count, 0);
}

static void test_default_imds_answers_then_full_retries(void **state) {
  fixture *fx = *state;
  create_default(fx);
  char body[128];
  snprintf(body, sizeof(body),
           "{\"access_token\":\"imds-tok\",\"expires_in\":\"3599\"}");
  fake_transport_push(&fx->ft, 200, NULL, body);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  if (get(fx, &tok, &err))
    fail_msg("%s", err.message);
  assert_string_equal(tok.token, "imds-tok");
  msikv_token_clear(&tok);
  assert_int_equal(msikv__cred_chain_selected(fx->cred), 2);
  /* Probed: a second scope goes through the normal path (2 s connect
   * timeout, retries: a 503 then success). */
  fake_transport_push(&fx->ft, 503, NULL, "{}");
  fake_transport_push(&fx->ft, 200, NULL, body);
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://storage.azure.com/.default",
                                        NULL, &tok, &err),
                   MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 3);
  assert_int_equal(fake_transport_request(&fx->ft, 1)->connect_timeout_ms,
                   2000);
}

static void test_default_probe_busy_imds_retried(void **state) {
  fixture *fx = *state;
  create_default(fx);
  fake_transport_push(&fx->ft, 410, NULL, "{}");
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"access_token\":\"t\",\"expires_in\":3599}");
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(get(fx, &tok, NULL), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 2);
}

static void test_default_imds_error_stops_chain(void **state) {
  fixture *fx = *state;
  write_az(fx, "cli-tok");
  env_set(fx, "AZURE_CLIENT_ID", "uami-1");
  create_default(fx);
  fake_transport_push(&fx->ft, 400, NULL,
                      "{\"error\":\"invalid_request\",\"error_description\":"
                      "\"Identity not found\"}");
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_AUTH);
  assert_non_null(strstr(err.message, "client_id=uami-1"));
  assert_non_null(strstr(err.message, "\n\tAzureCliCredential (not tried)"));
  assert_int_equal(err.http_status, 400);
}

static void test_default_falls_through_to_azure_cli(void **state) {
  fixture *fx = *state;
  write_az(fx, "cli-tok");
  create_default(fx);
  fake_transport_push_error(&fx->ft, MSIKV_ERR_TIMEOUT);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  if (get(fx, &tok, &err))
    fail_msg("%s", err.message);
  assert_string_equal(tok.token, "cli-tok");
  msikv_token_clear(&tok);
  assert_int_equal(msikv__cred_chain_selected(fx->cred), 3);
  /* Remembered: IMDS is not probed again. */
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://storage.azure.com/.default",
                                        NULL, &tok, &err),
                   MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_count(&fx->ft), 1);
}

static void test_default_env_secret_first_even_on_app_service(void **state) {
  fixture *fx = *state;
  env_set(fx, "IDENTITY_ENDPOINT", "http://127.0.0.1:41234/msi/token");
  env_set(fx, "IDENTITY_HEADER", "hdr");
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_CLIENT_SECRET", "s3cret");
  create_default(fx);
  assert_string_equal(msikv_cred_name(fx->cred), "ClientSecretCredential");
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"access_token\":\"sp\",\"expires_in\":3599}");
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(get(fx, &tok, NULL), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_non_null(strstr(fake_transport_request(&fx->ft, 0)->url,
                         "/tenant-1/oauth2/v2.0/token"));
  assert_int_equal(msikv__cred_chain_selected(fx->cred), 0);
}

static void test_default_env_secret_rejected_stops_chain(void **state) {
  fixture *fx = *state;
  write_az(fx, "cli-tok");
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_CLIENT_SECRET", "s3cret");
  create_default(fx);
  fake_transport_push(&fx->ft, 401, NULL,
                      "{\"error\":\"invalid_client\",\"error_description\":"
                      "\"AADSTS7000215: Invalid client secret provided.\"}");
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_AUTH);
  assert_string_equal(err.inner_code, "AADSTS7000215");
  assert_non_null(strstr(err.message, "\n\tEnvironmentCredential: "
                                      "ClientSecretCredential: POST"));
  assert_non_null(strstr(err.message, "\n\tWorkloadIdentityCredential "
                                      "(not tried)"));
  assert_null(strstr(err.message, "s3cret"));
  assert_int_equal(fake_transport_count(&fx->ft), 1);
}

static void test_default_workload_identity_selected(void **state) {
  fixture *fx = *state;
  char file[600];
  snprintf(file, sizeof(file), "%s/fed-token", fx->dir);
  FILE *f = fopen(file, "w");
  fputs("fed.assertion.sig", f);
  fclose(f);
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_FEDERATED_TOKEN_FILE", file);
  create_default(fx);
  assert_string_equal(msikv_cred_name(fx->cred), "WorkloadIdentityCredential");
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"access_token\":\"wi\",\"expires_in\":3599}");
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(get(fx, &tok, NULL), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(msikv__cred_chain_selected(fx->cred), 1);
  assert_non_null(strstr(fake_transport_request(&fx->ft, 0)->body,
                         "client_assertion=fed.assertion.sig"));
}

static void test_default_app_service_source_named_no_probe(void **state) {
  fixture *fx = *state;
  env_set(fx, "IDENTITY_ENDPOINT", "http://127.0.0.1:41234/msi/token");
  env_set(fx, "IDENTITY_HEADER", "hdr");
  create_default(fx);
  assert_string_equal(msikv_cred_name(fx->cred),
                      "ManagedIdentityCredential (App Service)");
  fake_transport_push(&fx->ft, 500, NULL, "{}");
  fake_transport_push(
      &fx->ft, 200, NULL,
      "{\"access_token\":\"mi\",\"expires_on\":\"1700003600\"}");
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(get(fx, &tok, NULL), MSIKV_OK);
  msikv_token_clear(&tok);
  assert_int_equal(fake_transport_request(&fx->ft, 0)->connect_timeout_ms,
                   5000);
}

static void test_default_site_without_identity_unavailable_link(void **s) {
  fixture *fx = *s;
  env_set(fx, "APPSETTING_WEBSITE_SITE_NAME", "demo");
  create_default(fx); /* Unlike the app default, the chain is created. */
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "\n\tManagedIdentityCredential: this "
                                      "is App Service"));
  assert_non_null(strstr(err.message, "not enabled"));
  assert_int_equal(fake_transport_count(&fx->ft), 0);
  msikv_credential *c = NULL;
  assert_int_equal(msikv_cred_app_default_new(&fx->opts, &c, &err),
                   MSIKV_ERR_UNAVAILABLE);
  assert_null(c);
}

static void test_default_token_credentials_pins_chain(void **state) {
  fixture *fx = *state;
  struct {
    const char *value;
    const char *want[4];
  } cases[] = {
      {"dev", {"AzureCliCredential", NULL}},
      {" Prod ",
       {"EnvironmentCredential", "WorkloadIdentityCredential",
        "ManagedIdentityCredential (IMDS)", NULL}},
      {"environmentcredential", {"EnvironmentCredential", NULL}},
      {"WorkloadIdentityCredential", {"WorkloadIdentityCredential", NULL}},
      {"AzureCliCredential", {"AzureCliCredential", NULL}},
  };
  const char *all[] = {"EnvironmentCredential", "WorkloadIdentityCredential",
                       "ManagedIdentityCredential", "AzureCliCredential"};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    fx->n = 0;
    env_set(fx, "AZURE_TOKEN_CREDENTIALS", cases[i].value);
    msikv_credential *c = NULL;
    msikv_error err;
    if (msikv_cred_default_new(&fx->opts, &c, &err))
      fail_msg("%s: %s", cases[i].value, err.message);
    fake_transport_push_error(&fx->ft, MSIKV_ERR_TRANSPORT);
    msikv_token tok = {NULL, 0, 0};
    assert_int_equal(msikv_cred_get_token(c, SCOPE, NULL, &tok, &err),
                     MSIKV_ERR_UNAVAILABLE);
    size_t want_n = 0;
    for (; cases[i].want[want_n]; want_n++)
      assert_true(pos(err.message, cases[i].want[want_n]) >= 0);
    size_t lines = 0;
    for (size_t k = 0; k < 4; k++)
      lines += pos(err.message, all[k]) >= 0;
    assert_int_equal(lines, want_n);
    msikv_cred_free(c);
  }
  fx->n = 0;
  env_set(fx, "AZURE_TOKEN_CREDENTIALS", "VisualStudioCodeCredential");
  msikv_error err;
  assert_int_equal(msikv_cred_default_new(&fx->opts, &fx->cred, &err),
                   MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "AZURE_TOKEN_CREDENTIALS="
                                      "\"VisualStudioCodeCredential\" is not "
                                      "valid: use dev, prod"));
  assert_int_equal(msikv_cred_app_default_new(&fx->opts, &fx->cred, &err),
                   MSIKV_ERR_CONFIG);
  assert_null(fx->cred);
}

static void test_default_pinned_managed_identity_full_retries(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential");
  create_default(fx);
  fx->ft.repeat_last = true;
  fake_transport_push_error(&fx->ft, MSIKV_ERR_TRANSPORT);
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  assert_int_equal(fake_transport_count(&fx->ft), 6);
  assert_int_equal(fake_transport_request(&fx->ft, 0)->connect_timeout_ms,
                   2000);
  assert_non_null(strstr(err.message, "after 6 attempts"));
}

static void test_default_bad_config_fails_creation(void **state) {
  fixture *fx = *state;
  env_set(fx, "IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi");
  msikv_error err;
  assert_int_equal(msikv_cred_default_new(&fx->opts, &fx->cred, &err),
                   MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "IDENTITY_HEADER is missing"));
  fx->n = 0;
  env_set(fx, "AZURE_TENANT_ID", "bad/tenant");
  env_set(fx, "AZURE_CLIENT_ID", "c");
  env_set(fx, "AZURE_CLIENT_SECRET", "s");
  assert_int_equal(msikv_cred_default_new(&fx->opts, &fx->cred, &err),
                   MSIKV_ERR_ARG);
  assert_non_null(strstr(err.message, "EnvironmentCredential"));
  /* Service Fabric is "not here": an unavailable link, the chain goes on. */
  fx->n = 0;
  env_set(fx, "IDENTITY_ENDPOINT", "https://127.0.0.1:2377/metadata");
  env_set(fx, "IDENTITY_HEADER", "h");
  env_set(fx, "IDENTITY_SERVER_THUMBPRINT", "ab");
  create_default(fx);
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(get(fx, &tok, &err), MSIKV_ERR_UNAVAILABLE);
  assert_non_null(strstr(err.message, "Service Fabric"));
}

static msikv_result oom_run(void *ctx) {
  fixture *fx = ctx;
  msikv_credential *c = NULL;
  msikv_result rc = msikv_cred_default_new(&fx->opts, &c, NULL);
  if (!rc) {
    msikv_token tok = {NULL, 0, 0};
    rc = msikv_cred_get_token(c, SCOPE, NULL, &tok, NULL);
    msikv_token_clear(&tok);
  }
  msikv_cred_free(c);
  return rc;
}

static void test_default_oom_sweep_no_leak(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_TENANT_ID", "t");
  env_set(fx, "AZURE_CLIENT_ID", "c");
  env_set(fx, "AZURE_CLIENT_SECRET", "s");
  fx->ft.repeat_last = true;
  fake_transport_push(&fx->ft, 200, NULL,
                      "{\"access_token\":\"sp\",\"expires_in\":3599}");
  assert_true(oom_sweep(oom_run, fx, false) > 10);
}

static void test_chain_invalidate_forwards_to_link_in_use(void **state) {
  (void)state;
  memset(inv_rec, 0, sizeof(inv_rec));
  link_ctx a = {MSIKV_ERR_UNAVAILABLE, "no env", 0, 0};
  link_ctx b = {MSIKV_OK, "tok-b", 0, 0};
  link_ctx c = {MSIKV_OK, "tok-c", 0, 0};
  msikv_credential *links[3] = {mk(&a_ops, &a), mk(&i0_ops, &b),
                                mk(&i1_ops, &c)};
  msikv_credential *chain = NULL;
  assert_int_equal(msikv_cred_chain_new("TestChain", links, 3, &chain, NULL),
                   MSIKV_OK);
  msikv_token tok = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(chain, SCOPE, NULL, &tok, NULL),
                   MSIKV_OK);
  assert_string_equal(tok.token, "tok-b");
  msikv_cred_invalidate_token(chain, SCOPE, "tenant-1", tok.token);
  assert_int_equal(inv_rec[0].calls, 1);
  assert_string_equal(inv_rec[0].scope, SCOPE);
  assert_string_equal(inv_rec[0].tenant, "tenant-1");
  assert_string_equal(inv_rec[0].token, "tok-b");
  assert_int_equal(inv_rec[1].calls, 0); /* Not the link in use. */
  msikv_token_clear(&tok);
  msikv_cred_free(chain);
}

static void test_chain_invalidate_before_selection_tells_every_link(
    void **state) {
  (void)state;
  memset(inv_rec, 0, sizeof(inv_rec));
  link_ctx b = {MSIKV_OK, "tok-b", 0, 0};
  link_ctx c = {MSIKV_OK, "tok-c", 0, 0};
  msikv_credential *links[2] = {mk(&i0_ops, &b), mk(&i1_ops, &c)};
  msikv_credential *chain = NULL;
  assert_int_equal(msikv_cred_chain_new(NULL, links, 2, &chain, NULL),
                   MSIKV_OK);
  msikv_cred_invalidate_token(chain, SCOPE, NULL, "old");
  assert_int_equal(inv_rec[0].calls, 1);
  assert_int_equal(inv_rec[1].calls, 1);
  assert_string_equal(inv_rec[1].tenant, "(null)");
  assert_int_equal(b.calls, 0); /* No token was fetched by it. */
  msikv_cred_free(chain);
}

/* The default chain with a client secret from the environment: the
 * rejection reaches the client secret's cache through the chain and the
 * environment credential, so the next call asks Entra ID again. */
static const char *env_cs(void *ctx, const char *name) {
  (void)ctx;
  if (strcmp(name, "AZURE_TENANT_ID") == 0)
    return "tenant-1";
  if (strcmp(name, "AZURE_CLIENT_ID") == 0)
    return "client-1";
  if (strcmp(name, "AZURE_CLIENT_SECRET") == 0)
    return "secret-1";
  if (strcmp(name, "AZURE_AUTHORITY_HOST") == 0)
    return "https://login.localhost";
  return NULL;
}

static void test_default_chain_invalidate_reaches_client_secret(void **state) {
  (void)state;
  fake_transport ft;
  fake_transport_init(&ft);
  ft.repeat_last = false;
  char body[2][256];
  for (int i = 0; i < 2; i++) {
    snprintf(body[i], sizeof(body[i]),
             "{\"access_token\":\"cs-%d\",\"expires_in\":3599,"
             "\"token_type\":\"Bearer\"}",
             i + 1);
  }
  msikv_identity_options opts = msikv_identity_options_default();
  opts.transport = &ft.transport;
  opts.getenv_fn = env_cs;
  msikv_credential *cred = NULL;
  msikv_error err;
  assert_int_equal(msikv_cred_default_new(&opts, &cred, &err), MSIKV_OK);
  fake_transport_push(&ft, 200, NULL, body[0]);
  msikv_token tok = {NULL, 0, 0};
  if (msikv_cred_get_token(cred, SCOPE, NULL, &tok, &err) != MSIKV_OK)
    fail_msg("%s", err.message);
  assert_string_equal(tok.token, "cs-1");
  size_t n = fake_transport_count(&ft);
  msikv_token again = {NULL, 0, 0};
  assert_int_equal(msikv_cred_get_token(cred, SCOPE, NULL, &again, &err),
                   MSIKV_OK);
  assert_string_equal(again.token, "cs-1");
  msikv_token_clear(&again);
  assert_int_equal(fake_transport_count(&ft), n);
  msikv_cred_invalidate_token(cred, SCOPE, NULL, tok.token);
  fake_transport_push(&ft, 200, NULL, body[1]);
  assert_int_equal(msikv_cred_get_token(cred, SCOPE, NULL, &again, &err),
                   MSIKV_OK);
  assert_string_equal(again.token, "cs-2");
  assert_int_equal(fake_transport_count(&ft), n + 1);
  msikv_token_clear(&again);
  msikv_token_clear(&tok);
  msikv_cred_free(cred);
  fake_transport_free(&ft);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_unavailable_then_success_remembers_link),
      cmocka_unit_test(test_chain_failed_link_stops_chain),
      cmocka_unit_test(test_chain_all_unavailable_lists_every_link),
      cmocka_unit_test(test_chain_long_reasons_share_the_message),
      cmocka_unit_test(test_chain_new_bad_args_frees_links),
      cmocka_unit_test(test_chain_threads_race_first_call_one_selection),
      cmocka_unit_test(test_chain_invalidate_forwards_to_link_in_use),
      cmocka_unit_test(test_chain_invalidate_before_selection_tells_every_link),
      cmocka_unit_test(test_default_chain_invalidate_reaches_client_secret),
      T(test_default_nothing_configured_lists_links_in_order),
      T(test_default_imds_answers_then_full_retries),
      T(test_default_probe_busy_imds_retried),
      T(test_default_imds_error_stops_chain),
      T(test_default_falls_through_to_azure_cli),
      T(test_default_env_secret_first_even_on_app_service),
      T(test_default_env_secret_rejected_stops_chain),
      T(test_default_workload_identity_selected),
      T(test_default_app_service_source_named_no_probe),
      T(test_default_site_without_identity_unavailable_link),
      T(test_default_token_credentials_pins_chain),
      T(test_default_pinned_managed_identity_full_retries),
      T(test_default_bad_config_fails_creation),
      T(test_default_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("cred_chain", tests, NULL, NULL);
}
