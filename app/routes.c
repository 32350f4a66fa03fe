/* SPDX-License-Identifier: MIT */
#include "routes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msikv/url.h"
#include "render.h"

#define BODY_MAX ((size_t)4 << 20)

static const char *const kHtml = "text/html; charset=utf-8";
static const char *const kJson = "application/json; charset=utf-8";
static const char *const kText = "text/plain; charset=utf-8";

/* The page head, split around the title: appending the halves is much
 * cheaper than formatting a 1 KiB format string on every page view. */
static const char *const kHeadStart =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>";
static const char *const kHeadEnd =
    "</title><style>"
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
    "max-width:46rem;margin:2.5rem auto;padding:0 1rem;color:#1b1b1b;"
    "line-height:1.5}"
    "h1{font-size:1.4rem;margin-bottom:1rem}h2{font-size:1.1rem}"
    "#secret{font-size:1.2rem;padding:1rem 1.2rem;background:#f0f6fc;"
    "border-radius:8px;word-break:break-all}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem}"
    "dt{color:#57606a}dd{margin:0;font-family:ui-monospace,monospace;"
    "word-break:break-all}"
    ".stale{background:#fff8c5;padding:.75rem 1rem;border-radius:8px}"
    ".error{border-left:4px solid #cf222e;padding:.2rem 1rem}"
    ".fix{border-left:4px solid #1a7f37;padding:.2rem 1rem}"
    "footer{margin-top:2rem;color:#57606a;font-size:.85rem}"
    "</style></head><body>\n";

static const char *const kFoot =
    "<footer>msikv web app &middot; <a href=\"/ping\">/ping</a> &middot; "
    "<a href=\"/healthz\">/healthz</a> &middot; "
    "<a href=\"/metrics\">/metrics</a></footer>\n</body></html>\n";

/* snprintf through a va_list: these texts are truncated on purpose when a
 * message is long, which -Wformat-truncation cannot know. */
static void fmt(char *out, size_t size, const char *format, ...)
    MSIKV_PRINTF(3, 4);
static void fmt(char *out, size_t size, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vsnprintf(out, size, format, ap);
  va_end(ap);
}

void app_response_init(app_response *resp) {
  memset(resp, 0, sizeof(*resp));
  resp->status = 500;
  resp->content_type = kText;
  resp->route = APP_ROUTE_OTHER;
  msikv_buf_init_secret(&resp->body, BODY_MAX);
}

void app_response_free(app_response *resp) {
  if (resp)
    msikv_buf_free(&resp->body);
}

static void vault_name(const app_config *cfg, char *out, size_t out_size) {
  msikv_url url;
  snprintf(out, out_size, "%s", "<vault-name>");
  if (!cfg->vault_url[0] || msikv_url_parse(cfg->vault_url, &url, NULL))
    return;
  size_t n = strcspn(url.host, ".");
  if (n > 0)
    snprintf(out, out_size, "%.*s", (int)n, url.host);
}

/* Appends ", NAME" to list for each missing variable. */
static void add_missing(char *list, size_t size, bool present,
                        const char *name) {
  if (present)
    return;
  size_t len = strlen(list);
  snprintf(list + len, size - len, "%s%s", len ? ", " : "", name);
}

static void explain_identity(const app_config *cfg, const msikv_error *err,
                             app_failure *out) {
  const app_identity_env *id = &cfg->identity;
  char missing[256] = "";
  if (id->on_app_service) {
    if (id->identity_endpoint || !id->msi_endpoint) {
      add_missing(missing, sizeof(missing), id->identity_endpoint,
                  "IDENTITY_ENDPOINT");
      add_missing(missing, sizeof(missing), id->identity_header,
                  "IDENTITY_HEADER");
    }
    if (id->msi_endpoint || !id->identity_endpoint) {
      add_missing(missing, sizeof(missing), id->msi_endpoint, "MSI_ENDPOINT");
      add_missing(missing, sizeof(missing), id->msi_secret, "MSI_SECRET");
    }
    out->status = 503;
    out->code = "ManagedIdentityNotEnabled";
    out->title = "Managed identity is not enabled for this app";
    fmt(out->detail, sizeof(out->detail),
        "The app runs on App Service but no managed identity is "
        "available. Missing environment variables: %s. %s",
        missing[0] ? missing : "none", err ? err->message : "");
    fmt(out->fix, sizeof(out->fix),
        "Turn on the system-assigned identity (portal: the App Service "
        "> Identity > Status: On, or `az webapp identity assign`), grant "
        "it Get on secrets in the vault, then restart the app: App "
        "Service sets these variables only when the app starts.");
    return;
  }
  add_missing(missing, sizeof(missing), id->tenant_id, "AZURE_TENANT_ID");
  add_missing(missing, sizeof(missing), id->client_id, "AZURE_CLIENT_ID");
  add_missing(missing, sizeof(missing), id->client_secret,
              "AZURE_CLIENT_SECRET");
  out->status = 503;
  out->code = "NoCredential";
  out->title = "No credential is configured";
  fmt(out->detail, sizeof(out->detail),
      "Not on App Service (IDENTITY_ENDPOINT, MSI_ENDPOINT and "
      "APPSETTING_WEBSITE_SITE_NAME are unset), and no service principal "
      "is configured. Missing environment variables: %s. %s",
      missing[0] ? missing : "none", err ? err->message : "");
  fmt(out->fix, sizeof(out->fix),
      "Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or "
      "AZURE_CLIENT_CERTIFICATE_PATH) for a service principal (`az ad sp "
      "create-for-rbac`) that has Get on secrets, or sign in with `az "
      "login`, then restart the app; or deploy to App Service with a "
      "managed identity.");
}

void app_explain_failure(const app_config *cfg, msikv_result rc,
                         const msikv_error *err, const app_fetched *info,
                         app_failure *out) {
  memset(out, 0, sizeof(*out));
  const char *msg = err ? err->message : "";
  app_fail_stage stage = info ? info->stage : APP_STAGE_NONE;
  if (stage == APP_STAGE_NONE)
    stage = (rc == MSIKV_ERR_UNAVAILABLE || rc == MSIKV_ERR_AUTH)
                ? APP_STAGE_CREDENTIAL
                : APP_STAGE_VAULT;
  char vault[128];
  vault_name(cfg, vault, sizeof(vault));
  const char *principal = (info && info->principal) ? info->principal : NULL;

  if (err && strcmp(err->code, APP_CACHE_BUSY_CODE) == 0) {
    out->status = 503;
    out->code = "Busy";
    out->title = "Still fetching the secret";
    out->retry_after_s = 1;
    fmt(out->detail, sizeof(out->detail),
        "The secret is being fetched from Key Vault and many requests are "
        "already waiting for it. %s",
        msg);
    fmt(out->fix, sizeof(out->fix),
        "Try again in a moment. If Key Vault is slow or unreachable, check "
        "the app's log; raising WEBAPP_THREADS lets more requests wait.");
    return;
  }
  if (stage == APP_STAGE_CONFIG || !cfg->vault_url[0]) {
    out->status = 500;
    out->code = "KeyVaultUrlNotSet";
    out->title = "KEY_VAULT_URL is not set";
    fmt(out->detail, sizeof(out->detail),
        "The app does not know which vault to read.%s%s", msg[0] ? " " : "",
        msg);
    fmt(out->fix, sizeof(out->fix),
        "Set KEY_VAULT_URL to the vault's URL, for example "
        "https://<vault-name>.vault.azure.net (on App Service: "
        "Configuration > Application settings), then restart the app.");
    return;
  }
  if (rc == MSIKV_ERR_UNAVAILABLE ||
      (rc == MSIKV_ERR_CONFIG && stage == APP_STAGE_CREDENTIAL)) {
    explain_identity(cfg, err, out);
    return;
  }
  switch (rc) {
  case MSIKV_ERR_FORBIDDEN:
    out->status = 403;
    out->code = "AccessDenied";
    out->title = "Access denied by Key Vault";
    fmt(out->detail, sizeof(out->detail),
        "The principal %s (%s) may not read secret \"%s\". %s",
        principal ? principal : "(unknown)",
        (info && info->principal_kind) ? info->principal_kind : "object id",
        cfg->secret_name, msg);
    fmt(out->fix, sizeof(out->fix),
        "Grant it Get on secrets: `az keyvault set-policy --name %s "
        "--object-id %s --secret-permissions get` (access policies), or "
        "`az role assignment create --role \"Key Vault Secrets User\" "
        "--assignee %s --scope <vault resource id>` (Azure RBAC). Access "
        "changes can take a few minutes to apply.",
        vault, principal ? principal : "<principal-id>",
        principal ? principal : "<principal-id>");
    return;
  case MSIKV_ERR_NOT_FOUND:
    out->status = 404;
    out->code = "SecretNotFound";
    out->title = "Secret not found";
    fmt(out->detail, sizeof(out->detail),
        "The vault has no secret named \"%s\" (or it is disabled or "
        "deleted). %s",
        cfg->secret_name, msg);
    fmt(out->fix, sizeof(out->fix),
        "Create it: `az keyvault secret set --vault-name %s --name %s "
        "--value <value>`, or set SECRET_NAME to a secret that exists.",
        vault, cfg->secret_name);
    return;
  case MSIKV_ERR_THROTTLED:
    out->status = 503;
    out->code = "Throttled";
    out->title = "Key Vault is throttling requests";
    out->retry_after_s = 10;
    fmt(out->detail, sizeof(out->detail),
        "Key Vault answered 429 Too Many Requests after retries. %s", msg);
    fmt(out->fix, sizeof(out->fix),
        "Try again in a few seconds. Raise SECRET_CACHE_TTL so that "
        "fewer requests reach the vault.");
    return;
  case MSIKV_ERR_TRANSPORT:
  case MSIKV_ERR_TIMEOUT:
  case MSIKV_ERR_TLS:
    out->status = rc == MSIKV_ERR_TIMEOUT ? 504 : 502;
    out->retry_after_s = 5;
    if (stage == APP_STAGE_CREDENTIAL) {
      out->code = "IdentityEndpointUnreachable";
      out->title = "Could not get a token";
      fmt(out->detail, sizeof(out->detail),
          "The identity endpoint could not be reached. %s", msg);
      fmt(out->fix, sizeof(out->fix), "%s",
          cfg->identity.on_app_service
              ? "The managed identity endpoint is local to App Service: "
                "restart the app; if it persists, turn the identity off "
                "and on again."
              : "Check network access to the identity service "
                "(login.microsoftonline.com, or AZURE_AUTHORITY_HOST) "
                "and any proxy settings.");
      return;
    }
    out->code = "VaultUnreachable";
    out->title = "Could not reach the vault";
    fmt(out->detail, sizeof(out->detail), "%s could not be reached. %s",
        cfg->vault_url, msg);
    fmt(out->fix, sizeof(out->fix), "%s",
        rc == MSIKV_ERR_TLS
            ? "The vault's certificate was not trusted. With a private "
              "CA, set SSL_CERT_FILE to its bundle."
            : "Check KEY_VAULT_URL (the name resolves, the vault "
              "exists), and that the vault accepts this network "
              "(Key Vault > Networking: firewall, private endpoint).");
    return;
  case MSIKV_ERR_AUTH:
    out->status = 500;
    out->code = "AuthenticationFailed";
    out->title = "The identity service refused to issue a token";
    fmt(out->detail, sizeof(out->detail), "%s", msg);
    fmt(out->fix, sizeof(out->fix), "%s",
        cfg->identity.on_app_service
            ? "Check the managed identity (and AZURE_CLIENT_ID for a "
              "user-assigned one), then restart the app."
            : "Check AZURE_TENANT_ID, AZURE_CLIENT_ID and "
              "AZURE_CLIENT_SECRET; client secrets expire: create a new "
              "one with `az ad app credential reset`.");
    return;
  case MSIKV_ERR_INSECURE:
    out->status = 500;
    out->code = "InsecureVaultUrl";
    out->title = "Refused to send a token over plain http";
    fmt(out->detail, sizeof(out->detail), "%s", msg);
    fmt(out->fix, sizeof(out->fix), "Use an https:// KEY_VAULT_URL.");
    return;
  default:
    out->status = rc == MSIKV_ERR_HTTP ? 502 : 500;
    out->code = rc == MSIKV_ERR_HTTP ? "KeyVaultError" : "InternalError";
    out->title = "Could not read the secret";
    fmt(out->detail, sizeof(out->detail), "%s: %s", msikv_result_str(rc), msg);
    fmt(out->fix, sizeof(out->fix),
        "Check the app's log (LOG_LEVEL=debug shows each step) and "
        "KEY_VAULT_URL.");
    return;
  }
}

static bool wants_json(const app_request *req) {
  return req->accept && strstr(req->accept, "application/json") != NULL;
}

/* Appends the page head with @p title (plain text, HTML-escaped). */
static msikv_result append_head(msikv_buf *b, const char *title) {
  msikv_result rc = msikv_buf_append_str(b, kHeadStart);
  if (!rc)
    rc = app_html_append(b, title);
  if (!rc)
    rc = msikv_buf_append_str(b, kHeadEnd);
  return rc;
}

static msikv_result dd(msikv_buf *b, const char *term, const char *value) {
  msikv_result rc = msikv_buf_append_str(b, "<dt>");
  if (!rc)
    rc = msikv_buf_append_str(b, term);
  if (!rc)
    rc = msikv_buf_append_str(b, "</dt><dd>");
  if (!rc)
    rc = app_html_append(b, value && value[0] ? value : "(unknown)");
  if (!rc)
    rc = msikv_buf_append_str(b, "</dd>");
  return rc;
}

static msikv_result json_field(msikv_buf *b, const char *name,
                               const char *value, bool last) {
  msikv_result rc = msikv_buf_appendf(b, "\"%s\":", name);
  if (!rc)
    rc = app_json_append(b, value);
  if (!rc && !last)
    rc = msikv_buf_append_str(b, ",");
  return rc;
}

static msikv_result render_failure_page(app_state *app, const app_request *req,
                                        const app_failure *f,
                                        const app_fetched *info,
                                        app_response *resp) {
  const app_config *cfg = app->config;
  msikv_buf *b = &resp->body;
  resp->status = f->status;
  resp->retry_after_s = f->retry_after_s;
  const char *cred =
      (info && info->credential) ? info->credential : app->credential_name;
  const char *principal = info ? info->principal : NULL;
  msikv_result rc;
  if (wants_json(req)) {
    resp->content_type = kJson;
    rc = msikv_buf_appendf(b, "{\"error\":{\"status\":%d,", f->status);
    if (!rc)
      rc = json_field(b, "code", f->code, false);
    if (!rc)
      rc = json_field(b, "title", f->title, false);
    if (!rc)
      rc = json_field(b, "detail", f->detail, false);
    if (!rc)
      rc = json_field(b, "fix", f->fix, false);
    if (!rc)
      rc = json_field(b, "secret_name", cfg->secret_name, false);
    if (!rc)
      rc = json_field(b, "vault", cfg->vault_url[0] ? cfg->vault_url : NULL,
                      false);
    if (!rc)
      rc = json_field(b, "credential", cred, false);
    if (!rc)
      rc = json_field(b, "principal", principal, true);
    if (!rc)
      rc = msikv_buf_append_str(b, "}}\n");
    return rc;
  }
  resp->content_type = kHtml;
  rc = append_head(b, "Error: could not read the secret");
  if (!rc)
    rc = msikv_buf_append_str(b, "<h1>");
  if (!rc)
    rc = app_html_append(b, f->title);
  if (!rc)
    rc = msikv_buf_append_str(b, "</h1>\n<p class=\"error\" id=\"detail\">");
  if (!rc)
    rc = app_html_append(b, f->detail);
  if (!rc)
    rc = msikv_buf_append_str(
        b, "</p>\n<h2>How to fix it</h2>\n<p class=\"fix\" id=\"fix\">");
  if (!rc)
    rc = app_html_append(b, f->fix);
  if (!rc)
    rc = msikv_buf_appendf(b, "</p>\n<dl><dt>Status</dt><dd>%d %s</dd>",
                           f->status, f->code);
  if (!rc)
    rc = dd(b, "Secret", cfg->secret_name);
  if (!rc)
    rc = dd(b, "Vault", cfg->vault_url[0] ? cfg->vault_url : "(not set)");
  if (!rc)
    rc = dd(b, "Credential", cred);
  if (!rc && principal) {
    char p[300];
    snprintf(p, sizeof(p), "%s (%s)", principal,
             info->principal_kind ? info->principal_kind : "id");
    rc = dd(b, "Principal", p);
  }
  if (!rc)
    rc = msikv_buf_append_str(b, "</dl>\n");
  if (!rc)
    rc = msikv_buf_append_str(b, kFoot);
  return rc;
}

static msikv_result render_secret(app_state *app, const app_request *req,
                                  const app_cache_result *r,
                                  app_response *resp) {
  const app_config *cfg = app->config;
  const app_fetched *d = &r->data;
  msikv_buf *b = &resp->body;
  char fetched[32];
  char mask[APP_MASK_MAX] = "";
  char fp[13] = "";
  bool masked = cfg->display == APP_DISPLAY_MASKED;
  bool json = wants_json(req);
  app_format_time(r->fetched_at_ms, fetched);
  /* Hash only where the answer shows it (JSON's sha256_prefix, the masked
   * page): a SHA-256 per page view was a third of the page's cost. */
  if (json)
    app_fingerprint(d->value, fp);
  else if (masked)
    app_mask_describe(d->value, mask, sizeof(mask));
  bool stale = r->outcome == APP_CACHE_STALE;
  const char *cred = d->credential ? d->credential : app->credential_name;
  msikv_result rc;
  resp->status = 200;
  if (json) {
    char len[32];
    snprintf(len, sizeof(len), "%zu", d->value ? strlen(d->value) : 0);
    resp->content_type = kJson;
    rc = msikv_buf_append_str(b, "{");
    if (!rc)
      rc = json_field(b, "secret_name", cfg->secret_name, false);
    if (!rc && !masked)
      rc = json_field(b, "value", d->value, false);
    if (!rc)
      rc = json_field(b, "display", app_display_name(cfg->display), false);
    if (!rc)
      rc = msikv_buf_appendf(b, "\"length\":%s,", len);
    if (!rc)
      rc = msikv_buf_appendf(b, "\"sha256_prefix\":\"%s\",", fp);
    if (!rc)
      rc = json_field(b, "version", d->version, false);
    if (!rc)
      rc = json_field(b, "vault", cfg->vault_url, false);
    if (!rc)
      rc = json_field(b, "credential", cred, false);
    if (!rc)
      rc = json_field(b, "principal", d->principal, false);
    if (!rc)
      rc = json_field(b, "principal_kind", d->principal_kind, false);
    if (!rc)
      rc = json_field(b, "fetched_at", fetched, false);
    if (!rc)
      rc = json_field(b, "cache", app_cache_outcome_name(r->outcome), false);
    if (!rc)
      rc = msikv_buf_appendf(b, "\"stale\":%s}\n", stale ? "true" : "false");
    return rc;
  }
  resp->content_type = kHtml;
  rc = append_head(b, "My secret");
  if (!rc)
    rc = msikv_buf_append_str(b, "<h1>Key Vault secret</h1>\n");
  if (!rc && stale) {
    char stale_msg[1200];
    snprintf(stale_msg, sizeof(stale_msg),
             "Stale: Key Vault could not be reached for a fresh value (%s). "
             "Showing the last good value, fetched %s.",
             r->stale_err.message[0] ? r->stale_err.message
                                     : msikv_result_str(r->stale_rc),
             fetched);
    rc = msikv_buf_append_str(b, "<p class=\"stale\" id=\"stale\">");
    if (!rc)
      rc = app_html_append(b, stale_msg);
    if (!rc)
      rc = msikv_buf_append_str(b, "</p>\n");
  }
  if (!rc)
    rc = msikv_buf_append_str(b, "<p id=\"secret\">My secret value is ");
  if (!rc) {
    if (masked) {
      char m[APP_MASK_MAX + 16];
      snprintf(m, sizeof(m), "(masked: %s)", mask);
      rc = app_html_append(b, m);
    } else {
      rc = app_html_append(b, d->value);
    }
  }
  if (!rc)
    rc = msikv_buf_append_str(b, "</p>\n<dl>");
  if (!rc)
    rc = dd(b, "Secret", cfg->secret_name);
  if (!rc)
    rc = dd(b, "Vault", cfg->vault_url);
  if (!rc)
    rc = dd(b, "Version", d->version);
  if (!rc)
    rc = dd(b, "Credential", cred);
  if (!rc) {
    char p[300];
    snprintf(p, sizeof(p), "%s (%s)", d->principal ? d->principal : "unknown",
             d->principal_kind ? d->principal_kind : "id");
    rc = dd(b, "Principal", p);
  }
  if (!rc) {
    char when[96];
    snprintf(when, sizeof(when), "%s (cache: %s)", fetched,
             app_cache_outcome_name(r->outcome));
    rc = dd(b, "Fetched", when);
  }
  if (!rc && masked)
    rc = dd(b, "Display", "masked (SECRET_DISPLAY=masked)");
  if (!rc)
    rc = msikv_buf_append_str(b, "</dl>\n");
  if (!rc)
    rc = msikv_buf_append_str(b, kFoot);
  return rc;
}

static msikv_result handle_root(app_state *app, const app_request *req,
                                app_response *resp) {
  resp->cache_control = "no-store";
  app_failure f;
  msikv_error err;
  msikv_error_clear(&err);
  if (!app->config->vault_url[0]) {
    app_fetched info = {NULL, NULL, NULL, NULL, NULL, APP_STAGE_CONFIG};
    app_explain_failure(app->config, MSIKV_ERR_CONFIG, NULL, &info, &f);
    return render_failure_page(app, req, &f, NULL, resp);
  }
  if (!app->cache) {
    app_fetched info = {NULL, NULL, NULL, NULL, NULL, APP_STAGE_CREDENTIAL};
    app_explain_failure(app->config, app->setup_rc, &app->setup_err, &info, &f);
    return render_failure_page(app, req, &f, NULL, resp);
  }
  app_cache_result r;
  msikv_result rc = app_cache_get(app->cache, &r, &err);
  resp->cache_outcome = app_cache_outcome_name(r.outcome);
  if (rc == MSIKV_ERR_NOMEM) {
    app_cache_result_clear(&r);
    return rc;
  }
  if (rc) {
    app_explain_failure(app->config, rc, &err, &r.data, &f);
    rc = render_failure_page(app, req, &f, &r.data, resp);
  } else {
    rc = render_secret(app, req, &r, resp);
  }
  app_cache_result_clear(&r);
  return rc;
}

static msikv_result handle_metrics(app_state *app, app_response *resp) {
  resp->status = 200;
  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  resp->cache_control = "no-store";
  if (!app->metrics)
    return MSIKV_OK;
  app_cache_stats stats;
  if (app->cache)
    app_cache_get_stats(app->cache, &stats);
  return app_metrics_render(app->metrics, app->cache ? &stats : NULL,
                            &resp->body);
}

static app_route match_route(const char *path) {
  if (!path || strcmp(path, "/") == 0)
    return APP_ROUTE_ROOT;
  if (strcmp(path, "/ping") == 0)
    return APP_ROUTE_PING;
  if (strcmp(path, "/healthz") == 0)
    return APP_ROUTE_HEALTHZ;
  if (strcmp(path, "/metrics") == 0)
    return APP_ROUTE_METRICS;
  return APP_ROUTE_OTHER;
}

void app_handle(app_state *app, const app_request *req, app_response *resp) {
  msikv_result rc = MSIKV_OK;
  resp->route = match_route(req->path);
  resp->content_type = kText;
  bool get = req->method && (strcmp(req->method, "GET") == 0 ||
                             strcmp(req->method, "HEAD") == 0);
  if (resp->route == APP_ROUTE_OTHER) {
    resp->status = 404;
    rc =
        msikv_buf_append_str(&resp->body, "Not found. Routes: / /ping /healthz "
                                          "/metrics\n");
  } else if (!get) {
    resp->status = 405;
    resp->allow = "GET, HEAD";
    rc = msikv_buf_append_str(&resp->body,
                              "Method not allowed: use GET or HEAD.\n");
  } else {
    switch (resp->route) {
    case APP_ROUTE_PING:
      resp->status = 200;
      rc = msikv_buf_append_str(&resp->body, "Hello world");
      break;
    case APP_ROUTE_HEALTHZ:
      resp->status = 200;
      resp->cache_control = "no-store";
      rc = msikv_buf_append_str(&resp->body, "ok\n");
      break;
    case APP_ROUTE_METRICS:
      rc = handle_metrics(app, resp);
      break;
    case APP_ROUTE_ROOT:
    default:
      rc = handle_root(app, req, resp);
      break;
    }
  }
  if (rc) {
    msikv_buf_reset(&resp->body);
    resp->status = 500;
    resp->content_type = kText;
    resp->retry_after_s = 0;
    if (msikv_buf_append_str(&resp->body, "Internal error: out of memory.\n"))
      resp->body.len = 0;
  }
}
