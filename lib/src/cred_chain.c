/* SPDX-License-Identifier: MIT */
/* Chains of credentials (Python's ChainedTokenCredential rules), the
 * default chain (DefaultAzureCredential) and the application default. */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "credential_internal.h"
#include "identity_internal.h"
#include "msikv/alloc.h"
#include "msikv/log.h"

#define CHAIN_MAX_LINKS 16
#define MSIKV__CHAIN_PREFIX_RESERVE 128
#define DEFAULT_NAME "DefaultAzureCredential"

/* ---- Placeholder: a link that does not apply here ------------------------ */

typedef struct ph_ctx {
  msikv_result rc;
  char message[MSIKV_ERROR_MESSAGE_MAX];
} ph_ctx;

static msikv_result ph_get_token(void *vctx, const char *scope,
                                 const char *tenant_id, msikv_token *out_token,
                                 msikv_error *out_err) {
  (void)scope;
  (void)tenant_id;
  (void)out_token;
  ph_ctx *ctx = vctx;
  msikv_error_clear(out_err);
  return msikv_error_set(out_err, ctx->rc, "%s", ctx->message);
}

static void ph_destroy(void *vctx) {
  msikv_free(vctx);
}

static const msikv_credential_ops ph_ops = {"UnavailableCredential",
                                            ph_get_token, ph_destroy, NULL};

msikv_result msikv__cred_placeholder_new(const char *name, msikv_result rc,
                                         const char *message,
                                         msikv_credential **out_cred) {
  ph_ctx *ctx = msikv_calloc(1, sizeof(*ctx));
  if (!ctx)
    return MSIKV_ERR_NOMEM;
  ctx->rc = rc ? rc : MSIKV_ERR_UNAVAILABLE;
  snprintf(ctx->message, sizeof(ctx->message), "%s", message ? message : "");
  msikv_credential *cred = NULL;
  msikv_result r = msikv_cred_new_custom(&ph_ops, ctx, &cred);
  if (r) {
    msikv_free(ctx);
    return r;
  }
  r = msikv__cred_set_name(cred, name);
  if (r) {
    msikv_cred_free(cred);
    return r;
  }
  *out_cred = cred;
  return MSIKV_OK;
}

/* ---- The chain ----------------------------------------------------------- */

typedef struct chain_ctx {
  char *name; /* Used in the aggregated error. */
  msikv_credential *links[CHAIN_MAX_LINKS];
  size_t count;
  atomic_int selected; /* -1 until a link succeeds. */
} chain_ctx;

static void chain_destroy(void *vctx) {
  chain_ctx *ctx = vctx;
  if (!ctx)
    return;
  for (size_t i = 0; i < ctx->count; i++)
    msikv_cred_free(ctx->links[i]);
  msikv_free(ctx->name);
  msikv_free(ctx);
}

/* A link's reason without a repeated "<its name>: " at the start. */
static const char *reason_of(const msikv_credential *link,
                             const msikv_error *err) {
  const char *msg = err->message;
  const char *names[2] = {msikv_cred_name(link), link->ops->name};
  for (int i = 0; i < 2; i++) {
    size_t n = strlen(names[i]);
    if (n && strncmp(msg, names[i], n) == 0 && msg[n] == ':' &&
        msg[n + 1] == ' ')
      return msg + n + 2;
  }
  return msg[0] ? msg : "(no reason given)";
}

/* Writes the aggregated message: every link's reason, each cut to a fair
 * share of the space when they do not all fit. */
static void aggregate(const chain_ctx *ctx, const msikv_error *errs,
                      size_t tried, bool stopped, msikv_error *out_err) {
  if (!out_err)
    return;
  static const char footer[] =
      "\nConfigure one of them: each line says what it needs.";
  char *m = out_err->message;
  /* Leave room for the context callers prefix ("getting a token for Key
   * Vault: "), so that the last link is not the one cut off. */
  const size_t cap = sizeof(out_err->message) - MSIKV__CHAIN_PREFIX_RESERVE;
  const char *reasons[CHAIN_MAX_LINKS];
  size_t lens[CHAIN_MAX_LINKS], share[CHAIN_MAX_LINKS];
  int head = snprintf(m, cap,
                      "%s failed to retrieve a token from the included "
                      "credentials.\nAttempted credentials:",
                      ctx->name);
  size_t fixed = head > 0 ? (size_t)head : 0;
  for (size_t i = 0; i < ctx->count; i++) {
    const char *name = msikv_cred_name(ctx->links[i]);
    fixed += 2 + strlen(name) + (i < tried ? 2 : strlen(" (not tried)"));
    if (i < tried) {
      reasons[i] = reason_of(ctx->links[i], &errs[i]);
      lens[i] = strlen(reasons[i]);
    }
  }
  if (!stopped)
    fixed += sizeof(footer) - 1;
  size_t budget = fixed + 1 < cap ? cap - 1 - fixed : 0;
  /* Water-filling: short reasons keep their length; the long ones share
   * what is left equally. */
  bool done[CHAIN_MAX_LINKS] = {false};
  size_t left = budget, open = tried;
  bool changed = true;
  while (changed && open) {
    changed = false;
    size_t fair = left / open;
    for (size_t i = 0; i < tried; i++) {
      if (!done[i] && lens[i] <= fair) {
        share[i] = lens[i];
        left -= lens[i];
        done[i] = true;
        open--;
        changed = true;
      }
    }
  }
  for (size_t i = 0; i < tried; i++) {
    if (!done[i])
      share[i] = open ? left / open : 0;
  }
  size_t used = (size_t)(head > 0 ? head : 0);
  for (size_t i = 0; i < ctx->count && used + 1 < cap; i++) {
    const char *name = msikv_cred_name(ctx->links[i]);
    int n;
    if (i >= tried) {
      n = snprintf(m + used, cap - used, "\n\t%s (not tried)", name);
    } else if (share[i] >= lens[i]) {
      n = snprintf(m + used, cap - used, "\n\t%s: %s", name, reasons[i]);
    } else {
      int keep = share[i] > 3 ? (int)(share[i] - 3) : 0;
      n = snprintf(m + used, cap - used, "\n\t%s: %.*s...", name, keep,
                   reasons[i]);
    }
    if (n < 0)
      break;
    used += (size_t)n;
    if (used >= cap)
      used = cap - 1;
  }
  if (!stopped && used + 1 < cap)
    snprintf(m + used, cap - used, "%s", footer);
}

static msikv_result chain_get_token(void *vctx, const char *scope,
                                    const char *tenant_id,
                                    msikv_token *out_token,
                                    msikv_error *out_err) {
  chain_ctx *ctx = vctx;
  int sel = atomic_load(&ctx->selected);
  if (sel >= 0)
    return msikv_cred_get_token(ctx->links[sel], scope, tenant_id, out_token,
                                out_err);
  msikv_error *errs = msikv_calloc(ctx->count ? ctx->count : 1, sizeof(*errs));
  if (!errs)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  msikv_result rc = MSIKV_ERR_UNAVAILABLE;
  size_t tried = 0;
  bool stopped = false;
  for (size_t i = 0; i < ctx->count; i++) {
    tried = i + 1;
    rc = msikv_cred_get_token(ctx->links[i], scope, tenant_id, out_token,
                              &errs[i]);
    if (rc == MSIKV_OK) {
      int expected = -1;
      if (atomic_compare_exchange_strong(&ctx->selected, &expected, (int)i))
        msikv_log(MSIKV_LOG_INFO, "%s: using %s from now on", ctx->name,
                  msikv_cred_name(ctx->links[i]));
      msikv_error_clear(out_err);
      goto out;
    }
    msikv_log(MSIKV_LOG_DEBUG, "%s: %s is %s", ctx->name,
              msikv_cred_name(ctx->links[i]),
              rc == MSIKV_ERR_UNAVAILABLE ? "unavailable" : "failed");
    if (rc != MSIKV_ERR_UNAVAILABLE) {
      stopped = true;
      break;
    }
  }
  if (ctx->count == 0)
    rc = MSIKV_ERR_UNAVAILABLE;
  if (out_err) {
    msikv_error_clear(out_err);
    if (stopped) {
      out_err->http_status = errs[tried - 1].http_status;
      snprintf(out_err->code, sizeof(out_err->code), "%s",
               errs[tried - 1].code);
      snprintf(out_err->inner_code, sizeof(out_err->inner_code), "%s",
               errs[tried - 1].inner_code);
    }
    aggregate(ctx, errs, tried, stopped, out_err);
  }
out:
  for (size_t i = 0; i < ctx->count; i++)
    msikv_secure_zero(&errs[i], sizeof(errs[i]));
  msikv_free(errs);
  return rc;
}

/* Forwards to the link in use; before one is chosen no token was given
 * out, but every link is told (a token matches only in its own cache). */
static void chain_invalidate(void *vctx, const char *scope,
                             const char *tenant_id,
                             const char *rejected_token) {
  chain_ctx *ctx = vctx;
  int sel = atomic_load(&ctx->selected);
  if (sel >= 0) {
    msikv_cred_invalidate_token(ctx->links[sel], scope, tenant_id,
                                rejected_token);
    return;
  }
  for (size_t i = 0; i < ctx->count; i++)
    msikv_cred_invalidate_token(ctx->links[i], scope, tenant_id,
                                rejected_token);
}

static const msikv_credential_ops chain_ops = {
    "ChainedTokenCredential", chain_get_token, chain_destroy,
    chain_invalidate};

msikv_result msikv_cred_chain_new(const char *name, msikv_credential **links,
                                  size_t count, msikv_credential **out_cred,
                                  msikv_error *out_err) {
  msikv_error_clear(out_err);
  msikv_result rc = MSIKV_OK;
  chain_ctx *ctx = NULL;
  msikv_credential *cred = NULL;
  if (!out_cred || (count && !links) || count > CHAIN_MAX_LINKS) {
    rc = msikv_error_set(out_err, MSIKV_ERR_ARG,
                         "ChainedTokenCredential: needs out_cred and at most "
                         "%d links",
                         CHAIN_MAX_LINKS);
    goto fail;
  }
  for (size_t i = 0; i < count; i++) {
    if (!links[i]) {
      rc = msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "ChainedTokenCredential: link %zu is NULL", i);
      goto fail;
    }
  }
  ctx = msikv_calloc(1, sizeof(*ctx));
  if (!ctx || !(ctx->name = msikv_strdup(name ? name : chain_ops.name))) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto fail;
  }
  atomic_init(&ctx->selected, -1);
  for (size_t i = 0; i < count; i++) {
    ctx->links[i] = links[i];
    links[i] = NULL;
  }
  ctx->count = count;
  rc = msikv_cred_new_custom(&chain_ops, ctx, &cred);
  if (!rc && name)
    rc = msikv__cred_set_name(cred, name);
  if (rc) {
    msikv_error_set(out_err, rc, "out of memory");
    if (cred)
      msikv_cred_free(cred); /* Frees ctx and the links. */
    else
      chain_destroy(ctx);
    return rc;
  }
  *out_cred = cred;
  return MSIKV_OK;
fail:
  if (ctx)
    msikv_free(ctx->name);
  msikv_free(ctx);
  for (size_t i = 0; links && i < count; i++) {
    msikv_cred_free(links[i]);
    links[i] = NULL;
  }
  return rc;
}

int msikv__cred_chain_selected(const msikv_credential *chain) {
  if (!chain || chain->ops != &chain_ops)
    return -1;
  chain_ctx *ctx = chain->ctx;
  return atomic_load(&ctx->selected);
}

/* ---- The default chain --------------------------------------------------- */

enum { L_ENV = 1, L_WORKLOAD = 2, L_MI = 4, L_CLI = 8, L_ALL = 15 };

/* Reads AZURE_TOKEN_CREDENTIALS into a set of links. */
static msikv_result token_credentials(const msikv_identity_options *opts,
                                      int *out_mask, bool *out_pinned,
                                      msikv_error *out_err) {
  const char *raw = msikv__identity_getenv(opts, "AZURE_TOKEN_CREDENTIALS");
  *out_mask = L_ALL;
  *out_pinned = false;
  if (!raw)
    return MSIKV_OK;
  while (isspace((unsigned char)*raw))
    raw++;
  size_t len = strlen(raw);
  while (len && isspace((unsigned char)raw[len - 1]))
    len--;
  static const struct {
    const char *value;
    int mask;
  } values[] = {
      {"dev", L_CLI},
      {"prod", L_ENV | L_WORKLOAD | L_MI},
      {"EnvironmentCredential", L_ENV},
      {"WorkloadIdentityCredential", L_WORKLOAD},
      {"ManagedIdentityCredential", L_MI},
      {"AzureCliCredential", L_CLI},
  };
  if (len == 0)
    return MSIKV_OK;
  for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    if (strlen(values[i].value) == len &&
        strncasecmp(raw, values[i].value, len) == 0) {
      *out_mask = values[i].mask;
      *out_pinned = true;
      return MSIKV_OK;
    }
  }
  return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         DEFAULT_NAME ": AZURE_TOKEN_CREDENTIALS=\"%.60s\" "
                                      "is not valid: use dev, prod, "
                                      "EnvironmentCredential, "
                                      "WorkloadIdentityCredential, "
                                      "ManagedIdentityCredential or "
                                      "AzureCliCredential, or unset it",
                         raw);
}

/* Creation errors that mean "not here" become an unavailable link; the
 * others are configuration mistakes the user must fix. */
static bool not_here(msikv_result rc) {
  return rc == MSIKV_ERR_UNAVAILABLE || rc == MSIKV_ERR_UNSUPPORTED;
}

msikv_result msikv__cred_default_new(const msikv_identity_options *opts,
                                     bool app_default,
                                     msikv_credential **out_cred,
                                     msikv_error *out_err) {
  msikv_error_clear(out_err);
  msikv_result rc = msikv__identity_options_check(opts, DEFAULT_NAME, out_err);
  if (rc)
    return rc;
  if (!out_cred)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           DEFAULT_NAME ": out_cred is NULL");
  int mask;
  bool pinned;
  rc = token_credentials(opts, &mask, &pinned, out_err);
  if (rc)
    return rc;
  msikv_credential *links[4] = {NULL, NULL, NULL, NULL};
  size_t n = 0;
  const char *selected = NULL; /* The first configured link's name. */
  msikv_credential *chain = NULL;
  msikv_error link_err;
  msikv_error_clear(&link_err);

  if (mask & L_ENV) {
    const char *env_selected = NULL;
    rc = msikv__cred_environment_new(opts, &links[n], &env_selected, out_err);
    if (rc)
      goto out;
    n++;
    if (env_selected && !selected)
      selected = env_selected;
  }
  if (mask & L_WORKLOAD) {
    rc = msikv_cred_workload_identity_new(opts, NULL, NULL, NULL, &links[n],
                                          &link_err);
    if (rc == MSIKV_OK) {
      if (!selected)
        selected = "WorkloadIdentityCredential";
    } else if (not_here(rc)) {
      rc = msikv__cred_placeholder_new("WorkloadIdentityCredential",
                                       MSIKV_ERR_UNAVAILABLE, link_err.message,
                                       &links[n]);
      if (rc) {
        msikv_error_set(out_err, rc, "out of memory");
        goto out;
      }
    } else {
      if (out_err)
        *out_err = link_err;
      goto out;
    }
    n++;
  }
  if (mask & L_MI) {
    const char *client_id = msikv__identity_getenv(opts, "AZURE_CLIENT_ID");
    msikv__mi_flags flags = {!pinned || mask != L_MI};
    msikv_error_clear(&link_err);
    rc = msikv__cred_mi_new_ex(
        opts, client_id ? MSIKV__MI_ID_CLIENT : MSIKV__MI_ID_NONE, client_id,
        &flags, &links[n], &link_err);
    if (rc == MSIKV_OK) {
      if (!selected &&
          strcmp(msikv_cred_name(links[n]), "ManagedIdentityCredential (IMDS)"))
        selected = msikv_cred_name(links[n]);
    } else if (not_here(rc)) {
      if (app_default && rc == MSIKV_ERR_UNAVAILABLE && !selected) {
        /* App Service without an identity: say so now (the app default's
         * promise), rather than after trying the Azure CLI. */
        if (out_err)
          *out_err = link_err;
        goto out;
      }
      rc = msikv__cred_placeholder_new("ManagedIdentityCredential",
                                       MSIKV_ERR_UNAVAILABLE, link_err.message,
                                       &links[n]);
      if (rc) {
        msikv_error_set(out_err, rc, "out of memory");
        goto out;
      }
    } else {
      if (out_err)
        *out_err = link_err;
      goto out;
    }
    n++;
  }
  if (mask & L_CLI) {
    rc = msikv_cred_azure_cli_new(opts, NULL, &links[n], out_err);
    if (rc)
      goto out;
    n++;
  }
  /* The display name is copied before the links move into the chain. */
  char display[128];
  snprintf(display, sizeof(display), "%s", selected ? selected : DEFAULT_NAME);
  rc = msikv_cred_chain_new(DEFAULT_NAME, links, n, &chain, out_err);
  n = 0;
  if (!rc && strcmp(display, DEFAULT_NAME) != 0 &&
      msikv__cred_set_name(chain, display))
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
  if (rc)
    goto out;
  msikv_log(MSIKV_LOG_INFO, DEFAULT_NAME "%s%s: %s",
            pinned ? " pinned by " : "",
            pinned ? "AZURE_TOKEN_CREDENTIALS" : "",
            selected ? selected : "no credential configured; will try each");
  *out_cred = chain;
  chain = NULL;
out:
  msikv_cred_free(chain);
  for (size_t i = 0; i < n; i++)
    msikv_cred_free(links[i]);
  msikv_secure_zero(&link_err, sizeof(link_err));
  return rc;
}

msikv_result msikv_cred_default_new(const msikv_identity_options *opts,
                                    msikv_credential **out_cred,
                                    msikv_error *out_err) {
  return msikv__cred_default_new(opts, false, out_cred, out_err);
}
