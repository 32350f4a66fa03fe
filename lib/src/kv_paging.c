/* SPDX-License-Identifier: MIT */
/* Listings: an iterator holding one page at a time, following nextLink
 * until it is null. */
#include <string.h>

#include "json_internal.h"
#include "kv_internal.h"
#include "msikv/alloc.h"

/* A listing longer than this many pages is taken for a server loop. */
#define MAX_PAGES 100000

struct msikv_kv_secret_iter {
  msikv_kv_client *client; /* Borrowed. */
  msikv__kv_kind kind;
  const char *op;
  char *next_url;      /* Owned; NULL when no page is left. */
  cJSON *page;         /* Owned: the current page. */
  const cJSON *cursor; /* Next item in page. */
  long pages;
};

static msikv_result iter_new(msikv_kv_client *client, msikv__kv_kind kind,
                             const char *op, const char *name,
                             msikv_kv_secret_iter **out_iter,
                             msikv_error *out_err) {
  if (!client || !out_iter)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "%s needs a client and an output pointer", op);
  msikv_result rc;
  if (name) {
    rc = msikv__kv_check_name(name, "secret name", out_err);
    if (rc)
      return rc;
  }
  msikv_buf url;
  msikv_buf_init(&url, 4096);
  if (kind == MSIKV__KV_DELETED_ITEM)
    rc = msikv__kv_url(client, &url, "/deletedsecrets");
  else if (name)
    rc = msikv__kv_url(client, &url, "/secrets/%s/versions", name);
  else
    rc = msikv__kv_url(client, &url, "/secrets");
  if (!rc && client->page_size > 0)
    rc = msikv_buf_appendf(&url, "&maxresults=%d", client->page_size);
  msikv_kv_secret_iter *iter = NULL;
  if (!rc) {
    iter = msikv_calloc(1, sizeof(*iter));
    if (!iter)
      rc = MSIKV_ERR_NOMEM;
  }
  if (!rc) {
    iter->next_url = msikv_buf_detach(&url);
    if (!iter->next_url)
      rc = MSIKV_ERR_NOMEM;
  }
  if (rc) {
    msikv_free(iter);
    msikv_buf_free(&url);
    return rc;
  }
  iter->client = client;
  iter->kind = kind;
  iter->op = op;
  *out_iter = iter;
  return MSIKV_OK;
}

msikv_result msikv_kv_list_secrets(msikv_kv_client *client,
                                   msikv_kv_secret_iter **out_iter,
                                   msikv_error *out_err) {
  return iter_new(client, MSIKV__KV_ITEM, "list_secrets", NULL, out_iter,
                  out_err);
}

msikv_result msikv_kv_list_secret_versions(msikv_kv_client *client,
                                           const char *name,
                                           msikv_kv_secret_iter **out_iter,
                                           msikv_error *out_err) {
  if (!name)
    return msikv__kv_check_name(name, "secret name", out_err);
  return iter_new(client, MSIKV__KV_ITEM, "list_secret_versions", name,
                  out_iter, out_err);
}

msikv_result msikv_kv_list_deleted_secrets(msikv_kv_client *client,
                                           msikv_kv_secret_iter **out_iter,
                                           msikv_error *out_err) {
  return iter_new(client, MSIKV__KV_DELETED_ITEM, "list_deleted_secrets", NULL,
                  out_iter, out_err);
}

/* Takes nextLink from @p page into an owned URL carrying api-version. */
static msikv_result next_link(const msikv_kv_client *client, const cJSON *page,
                              const char *current, char **out_url,
                              msikv_error *out_err) {
  const cJSON *link = cJSON_GetObjectItemCaseSensitive(page, "nextLink");
  *out_url = NULL;
  if (!link || cJSON_IsNull(link))
    return MSIKV_OK;
  if (!cJSON_IsString(link) || !link->valuestring)
    return msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "Key Vault answered a page whose nextLink is not a "
                           "string");
  const char *text = link->valuestring;
  if (!*text)
    return MSIKV_OK;
  if (strcmp(text, current) == 0)
    return msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "Key Vault answered a page whose nextLink points "
                           "to itself; stopping the listing");
  msikv_buf url;
  msikv_buf_init(&url, 64 * 1024);
  msikv_result rc = msikv_buf_append_str(&url, text);
  const char *query = strchr(text, '?');
  if (!rc && !(query && (strstr(query, "?api-version=") ||
                         strstr(query, "&api-version="))))
    rc = msikv_url_add_query(&url, "api-version", client->api_version);
  if (!rc) {
    *out_url = msikv_buf_detach(&url);
    rc = *out_url ? MSIKV_OK : MSIKV_ERR_NOMEM;
  }
  msikv_buf_free(&url);
  if (rc == MSIKV_ERR_TOO_LARGE)
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "Key Vault answered an overlong nextLink");
  return rc;
}

static msikv_result fetch_page(msikv_kv_secret_iter *iter,
                               msikv_error *out_err) {
  if (++iter->pages > MAX_PAGES)
    return msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "%s: more than %d pages; stopping", iter->op,
                           MAX_PAGES);
  cJSON *page = NULL;
  char *next = NULL;
  msikv_http_response resp;
  msikv__kv_response_init(iter->client, &resp);
  msikv_result rc =
      msikv__kv_send(iter->client, "GET", iter->next_url, NULL, &resp, out_err);
  if (rc)
    goto out;
  if (!msikv_http_status_ok(resp.status)) {
    rc = msikv__kv_error_from_response(&resp, iter->op, NULL, out_err);
    goto out;
  }
  rc = msikv__json_parse(resp.body.data, resp.body.len, &page);
  if (rc) {
    if (rc != MSIKV_ERR_NOMEM)
      rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                           "%s: Key Vault answered a page that is not JSON",
                           iter->op);
    goto out;
  }
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "value");
  if (!cJSON_IsArray(items)) {
    rc = msikv_error_set(out_err, MSIKV_ERR_PARSE,
                         "%s: Key Vault answered a page without a 'value' "
                         "array",
                         iter->op);
    goto out;
  }
  rc = next_link(iter->client, page, iter->next_url, &next, out_err);
  if (rc)
    goto out;
  msikv_free(iter->next_url);
  iter->next_url = next;
  next = NULL;
  cJSON_Delete(iter->page);
  iter->page = page;
  iter->cursor = items->child;
  page = NULL;
out:
  msikv_free(next);
  cJSON_Delete(page);
  msikv_http_response_free(&resp);
  return rc;
}

msikv_result msikv_kv_secret_iter_next(msikv_kv_secret_iter *iter,
                                       msikv_kv_secret **out_item,
                                       msikv_error *out_err) {
  if (!iter || !out_item)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "secret_iter_next needs an iterator and an output "
                           "pointer");
  while (!iter->cursor) {
    if (!iter->next_url) {
      *out_item = NULL;
      return MSIKV_OK;
    }
    msikv_result rc = fetch_page(iter, out_err);
    if (rc)
      return rc;
  }
  msikv_kv_secret *item = NULL;
  msikv_result rc = msikv__kv_secret_from_json(iter->cursor, iter->kind, false,
                                               &item, out_err);
  if (rc) {
    if (rc != MSIKV_ERR_NOMEM)
      msikv_error_prefix(out_err, "%s", iter->op);
    return rc;
  }
  iter->cursor = iter->cursor->next;
  *out_item = item;
  return MSIKV_OK;
}

void msikv_kv_secret_iter_free(msikv_kv_secret_iter *iter) {
  if (!iter)
    return;
  cJSON_Delete(iter->page);
  msikv_free(iter->next_url);
  msikv_free(iter);
}
