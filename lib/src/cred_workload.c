/* SPDX-License-Identifier: MIT */
/* The workload-identity credential: the federated token file (written by
 * Kubernetes, e.g. AKS) is the client assertion. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "credential_internal.h"
#include "identity_internal.h"
#include "msikv/alloc.h"

#define WI_NAME "WorkloadIdentityCredential"
/* Reread the file at least this often, as Python's TokenFileMixin. */
#define REREAD_MS (600 * 1000)
#define MAX_TOKEN_FILE (256 * 1024)

typedef struct wi_ctx {
  char *authority;
  char *tenant;
  char *client_id;
  char *path;
  const msikv_transport *transport;
  const msikv_clock *clock;
  double delay_scale;
  msikv__token_cache *cache;
  pthread_mutex_t lock;
  char *assertion; /* Secret; NULL until read. */
  int64_t read_ms;
  struct stat st;
} wi_ctx;

static void wi_destroy(void *vctx) {
  wi_ctx *ctx = vctx;
  if (!ctx)
    return;
  msikv__token_cache_free(ctx->cache);
  msikv_free(ctx->authority);
  msikv_free(ctx->tenant);
  msikv_free(ctx->client_id);
  msikv_free(ctx->path);
  msikv_secret_free(ctx->assertion);
  pthread_mutex_destroy(&ctx->lock);
  msikv_free(ctx);
}

static bool same_file(const struct stat *a, const struct stat *b) {
  return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
         a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static msikv_result read_token_file(const char *path, char **out,
                                    msikv_error *out_err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "cannot read AZURE_FEDERATED_TOKEN_FILE "
                           "\"%.300s\": %s",
                           path, strerror(errno));
  msikv_buf buf;
  msikv_buf_init_secret(&buf, MAX_TOKEN_FILE);
  msikv_result rc = MSIKV_OK;
  char chunk[4096];
  size_t n;
  while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    rc = msikv_buf_append(&buf, chunk, n);
  msikv_secure_zero(chunk, sizeof(chunk));
  fclose(f);
  /* Trim the trailing newline a writer may add. */
  while (!rc && buf.len > 0 &&
         (buf.data[buf.len - 1] == '\n' || buf.data[buf.len - 1] == '\r' ||
          buf.data[buf.len - 1] == ' ' || buf.data[buf.len - 1] == '\t'))
    buf.data[--buf.len] = '\0';
  if (rc == MSIKV_ERR_TOO_LARGE)
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "AZURE_FEDERATED_TOKEN_FILE \"%.300s\" is larger "
                         "than %d bytes: is it really a token?",
                         path, MAX_TOKEN_FILE);
  else if (rc)
    rc = msikv_error_set(out_err, rc, "out of memory reading the token file");
  else if (buf.len == 0)
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "AZURE_FEDERATED_TOKEN_FILE \"%.300s\" is empty: "
                         "check the service account token projection",
                         path);
  if (!rc) {
    *out = msikv_buf_detach(&buf);
    if (!*out)
      rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  }
  msikv_buf_free(&buf);
  return rc;
}

/* Copies the current assertion, rereading the file when it changed or
 * REREAD_MS have passed. */
static msikv_result get_assertion(wi_ctx *ctx, char **out_copy,
                                  msikv_error *out_err) {
  int64_t now_ms = msikv_clock_now_ms(ctx->clock);
  msikv_result rc = MSIKV_OK;
  struct stat st;
  pthread_mutex_lock(&ctx->lock);
  if (stat(ctx->path, &st) != 0) {
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "cannot read AZURE_FEDERATED_TOKEN_FILE \"%.300s\": "
                         "%s",
                         ctx->path, strerror(errno));
    goto out;
  }
  if (!ctx->assertion || now_ms - ctx->read_ms >= REREAD_MS ||
      !same_file(&st, &ctx->st)) {
    char *fresh = NULL;
    rc = read_token_file(ctx->path, &fresh, out_err);
    if (rc)
      goto out;
    msikv_secret_free(ctx->assertion);
    ctx->assertion = fresh;
    ctx->read_ms = now_ms;
    ctx->st = st;
  }
  *out_copy = msikv_strdup(ctx->assertion);
  if (!*out_copy)
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
out:
  pthread_mutex_unlock(&ctx->lock);
  return rc;
}

static msikv_result wi_fetch(void *vctx, const char *scope,
                             const char *tenant_id, msikv_token *out_token,
                             msikv_error *out_err) {
  wi_ctx *ctx = vctx;
  msikv__id_request r;
  msikv__id_request_init(&r);
  char *assertion = NULL;
  msikv_result rc = get_assertion(ctx, &assertion, out_err);
  if (!rc)
    rc = msikv__aad_build_assertion_request(ctx->authority, tenant_id,
                                            ctx->client_id, assertion, scope,
                                            &r, out_err);
  if (!rc)
    rc = msikv__aad_send(ctx->transport, ctx->clock, ctx->delay_scale, &r,
                         out_token, out_err);
  if (rc)
    msikv_error_prefix(
        out_err,
        WI_NAME ": POST %.100s/%.40s/oauth2/v2.0/token for "
                "client_id %.40s with the token file %s%s",
        ctx->authority, tenant_id, ctx->client_id,
        strlen(ctx->path) > 60 ? "..." : "",
        ctx->path + (strlen(ctx->path) > 60 ? strlen(ctx->path) - 60 : 0));
  msikv_secret_free(assertion);
  msikv__id_request_free(&r);
  return rc;
}

static msikv_result wi_get_token(void *vctx, const char *scope,
                                 const char *tenant_id, msikv_token *out_token,
                                 msikv_error *out_err) {
  (void)tenant_id; /* The federated credential lives in one tenant. */
  wi_ctx *ctx = vctx;
  return msikv__entra_get_token(WI_NAME, ctx->cache, scope, ctx->tenant,
                                wi_fetch, ctx, out_token, out_err);
}

static void wi_invalidate(void *vctx, const char *scope, const char *tenant_id,
                          const char *rejected_token) {
  (void)scope;
  (void)tenant_id;
  msikv__token_cache_invalidate(((wi_ctx *)vctx)->cache, rejected_token);
}

static const msikv_credential_ops wi_ops = {WI_NAME, wi_get_token, wi_destroy,
                                            wi_invalidate};

static void list_add(char *list, size_t size, const char *name) {
  size_t used = strlen(list);
  snprintf(list + used, size - used, "%s%s", used ? ", " : "", name);
}

msikv_result msikv_cred_workload_identity_new(
    const msikv_identity_options *opts, const char *tenant_id,
    const char *client_id, const char *token_file_path,
    msikv_credential **out_cred, msikv_error *out_err) {
  msikv_credential *cred = NULL;
  msikv_error_clear(out_err);
  msikv_result rc = msikv__identity_options_check(opts, WI_NAME, out_err);
  if (rc)
    return rc;
  if (!out_cred)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           WI_NAME ": out_cred is NULL");
  if (!tenant_id)
    tenant_id = msikv__identity_getenv(opts, "AZURE_TENANT_ID");
  if (!client_id)
    client_id = msikv__identity_getenv(opts, "AZURE_CLIENT_ID");
  if (!token_file_path)
    token_file_path =
        msikv__identity_getenv(opts, "AZURE_FEDERATED_TOKEN_FILE");
  if (!tenant_id || !*tenant_id || !client_id || !*client_id ||
      !token_file_path || !*token_file_path) {
    char set[160] = "", missing[160] = "";
    bool t = tenant_id && *tenant_id, c = client_id && *client_id,
         f = token_file_path && *token_file_path;
    list_add(t ? set : missing, sizeof(set), "AZURE_TENANT_ID");
    list_add(c ? set : missing, sizeof(set), "AZURE_CLIENT_ID");
    list_add(f ? set : missing, sizeof(set), "AZURE_FEDERATED_TOKEN_FILE");
    return msikv_error_set(out_err, MSIKV_ERR_UNAVAILABLE,
                           WI_NAME ": not configured: set: %s; missing: %s "
                                   "(the AKS workload identity webhook sets "
                                   "them)",
                           set[0] ? set : "none", missing);
  }
  if (!msikv__tenant_is_valid(tenant_id))
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           WI_NAME ": the tenant id may contain only "
                                   "letters, digits, '.' and '-'");
  for (const char *s = client_id; *s; s++) {
    if ((unsigned char)*s <= 0x20 || *s == 0x7f)
      return msikv_error_set(out_err, MSIKV_ERR_ARG,
                             WI_NAME ": the client id contains a space or "
                                     "control character");
  }
  wi_ctx *ctx = msikv_calloc(1, sizeof(*ctx));
  if (!ctx)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
    msikv_free(ctx);
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  }
  ctx->transport = opts->transport;
  ctx->clock = opts->clock;
  ctx->delay_scale =
      opts->retry_delay_scale > 0 ? opts->retry_delay_scale : 1.0;
  rc = msikv__authority_normalize(msikv__authority_pick(opts), &ctx->authority,
                                  out_err);
  if (rc) {
    msikv_error_prefix(out_err, WI_NAME);
    goto out;
  }
  ctx->tenant = msikv_strdup(tenant_id);
  ctx->client_id = msikv_strdup(client_id);
  ctx->path = msikv_strdup(token_file_path);
  if (!ctx->tenant || !ctx->client_id || !ctx->path) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto out;
  }
  rc = msikv__token_cache_new(opts->clock, &ctx->cache);
  if (!rc)
    rc = msikv_cred_new_custom(&wi_ops, ctx, &cred);
  if (rc) {
    msikv_error_set(out_err, rc, "out of memory");
    goto out;
  }
  *out_cred = cred;
  return MSIKV_OK;
out:
  wi_destroy(ctx);
  return rc;
}
