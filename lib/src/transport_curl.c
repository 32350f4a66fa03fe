/* SPDX-License-Identifier: MIT */
/* The only file that includes <curl/curl.h>. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc_internal.h"
#include "msikv/alloc.h"
#include "msikv/log.h"
#include "msikv/msikv.h"
#include "msikv/transport_curl.h"
#include "msikv/url.h"

typedef struct curl_transport {
  msikv_curl_options options;
  char *ca_file;
  char *user_agent;
  CURLSH *share;
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
  pthread_mutex_t pool_lock;
  /* Handles kept for reuse: each keeps its own live connections. Connections
   * are not shared through CURLSH: libcurl does not support sharing them
   * between concurrent threads. DNS and TLS sessions are shared. */
  CURL **idle;
  size_t idle_count;
} curl_transport;

typedef struct transfer {
  msikv_http_response *resp;
  bool too_large;
} transfer;

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

/* libcurl copies the Authorization header and form bodies into its own
 * buffers; its allocations go through the zeroing allocator so those copies
 * are wiped when freed. (If the process initialised libcurl earlier, its
 * allocator stays in place: libcurl takes the first one only.) */
static void global_init(void) {
  global_rc = curl_global_init_mem(CURL_GLOBAL_ALL, msikv__zmalloc,
                                   msikv__zfree, msikv__zrealloc,
                                   msikv__zstrdup, msikv__zcalloc);
}

msikv_curl_options msikv_curl_options_default(void) {
  msikv_curl_options options;
  memset(&options, 0, sizeof(options));
  options.timeout_ms = 30000;
  options.connect_timeout_ms = 5000;
  options.max_response_bytes = MSIKV_HTTP_DEFAULT_MAX_BODY;
  options.max_idle_handles = 16;
  return options;
}

static void share_lock(CURL *handle, curl_lock_data data,
                       curl_lock_access access, void *ctx) {
  (void)handle;
  (void)access;
  curl_transport *t = ctx;
  pthread_mutex_lock(&t->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *ctx) {
  (void)handle;
  curl_transport *t = ctx;
  pthread_mutex_unlock(&t->share_locks[data]);
}

static size_t on_body(char *data, size_t size, size_t count, void *ctx) {
  transfer *xfer = ctx;
  size_t len = size * count;
  msikv_result rc = msikv_buf_append(&xfer->resp->body, data, len);
  if (rc == MSIKV_ERR_TOO_LARGE)
    xfer->too_large = true;
  return rc ? 0 : len;
}

static size_t on_header(char *data, size_t size, size_t count, void *ctx) {
  transfer *xfer = ctx;
  size_t len = size * count;
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* A new response (after 100 Continue or a proxy CONNECT): start over. */
    xfer->resp->header_count = 0;
    msikv_buf_reset(&xfer->resp->headers);
    return len;
  }
  const char *colon = memchr(data, ':', len);
  if (!colon)
    return len;
  size_t name_len = (size_t)(colon - data);
  const char *value = colon + 1;
  const char *end = data + len;
  while (value < end && (*value == ' ' || *value == '\t'))
    value++;
  while (end > value && (end[-1] == '\r' || end[-1] == '\n' ||
                         end[-1] == ' ' || end[-1] == '\t'))
    end--;
  if (msikv_http_response_add_header(xfer->resp, data, name_len, value,
                                     (size_t)(end - value)))
    return 0;
  return len;
}

static CURL *take_handle(curl_transport *t) {
  CURL *handle = NULL;
  pthread_mutex_lock(&t->pool_lock);
  if (t->idle_count > 0)
    handle = t->idle[--t->idle_count];
  pthread_mutex_unlock(&t->pool_lock);
  return handle ? handle : curl_easy_init();
}

static void return_handle(curl_transport *t, CURL *handle) {
  curl_easy_reset(handle);
  pthread_mutex_lock(&t->pool_lock);
  if (t->idle_count < t->options.max_idle_handles) {
    t->idle[t->idle_count++] = handle;
    handle = NULL;
  }
  pthread_mutex_unlock(&t->pool_lock);
  if (handle)
    curl_easy_cleanup(handle);
}

static bool has_crlf(const char *s) { return s && strpbrk(s, "\r\n") != NULL; }

static msikv_result build_headers(const msikv_http_request *req,
                                  struct curl_slist **out_list,
                                  msikv_error *out_err) {
  struct curl_slist *list = NULL;
  msikv_result rc = MSIKV_OK;
  msikv_buf line;
  msikv_buf_init_secret(&line, 64 * 1024);
  /* No Expect: 100-continue round trip, and no default Accept. */
  const char *fixed[] = {"Expect:", "Accept:"};
  for (size_t i = 0; i < 2 && !rc; i++) {
    struct curl_slist *next = curl_slist_append(list, fixed[i]);
    if (!next)
      rc = MSIKV_ERR_NOMEM;
    else
      list = next;
  }
  for (size_t i = 0; i < req->header_count && !rc; i++) {
    const msikv_http_header *h = &req->headers[i];
    if (!h->value)
      continue;
    if (has_crlf(h->name) || has_crlf(h->value) || strchr(h->name, ':')) {
      rc = msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "header %s contains a line break or colon; refusing "
                           "to send it",
                           has_crlf(h->name) ? "(name)" : h->name);
      break;
    }
    msikv_buf_reset(&line);
    /* "Name;" sends an empty header; "Name:" would remove it. */
    rc = h->value[0] ? msikv_buf_appendf(&line, "%s: %s", h->name, h->value)
                     : msikv_buf_appendf(&line, "%s;", h->name);
    if (rc)
      break;
    struct curl_slist *next = curl_slist_append(list, line.data);
    if (!next)
      rc = MSIKV_ERR_NOMEM;
    else
      list = next;
  }
  msikv_buf_free(&line);
  if (rc) {
    curl_slist_free_all(list);
    return rc == MSIKV_ERR_NOMEM
               ? msikv_error_set(out_err, rc, "out of memory building headers")
               : rc;
  }
  *out_list = list;
  return MSIKV_OK;
}

static msikv_result map_curl_error(CURLcode code, const transfer *xfer,
                                   const char *errbuf, const msikv_url *url,
                                   msikv_error *out_err) {
  const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(code);
  switch (code) {
  case CURLE_OPERATION_TIMEDOUT:
    return msikv_error_set(out_err, MSIKV_ERR_TIMEOUT,
                           "request to %s timed out (%s); check that the "
                           "endpoint is up and reachable",
                           url->host, detail);
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CONNECT_ERROR:
    return msikv_error_set(out_err, MSIKV_ERR_TLS,
                           "TLS verification of %s failed (%s); set "
                           "SSL_CERT_FILE to a CA bundle that trusts it",
                           url->host, detail);
  case CURLE_FILESIZE_EXCEEDED:
    return msikv_error_set(out_err, MSIKV_ERR_TOO_LARGE,
                           "response from %s is larger than the %zu-byte cap",
                           url->host, xfer->resp->body.max);
  case CURLE_WRITE_ERROR:
    if (xfer->too_large)
      return msikv_error_set(out_err, MSIKV_ERR_TOO_LARGE,
                             "response from %s is larger than the %zu-byte cap",
                             url->host, xfer->resp->body.max);
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                           "out of memory reading the response from %s",
                           url->host);
  case CURLE_OUT_OF_MEMORY:
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory in libcurl");
  default:
    return msikv_error_set(out_err, MSIKV_ERR_TRANSPORT,
                           "could not reach %s:%d (%s)", url->host, url->port,
                           detail);
  }
}

static msikv_result curl_send(void *ctx, const msikv_http_request *req,
                              msikv_http_response *out_resp,
                              msikv_error *out_err) {
  curl_transport *t = ctx;
  msikv_url url;
  msikv_result rc = msikv_url_parse(req->url, &url, out_err);
  if (rc)
    return rc;
  if (strcmp(url.scheme, "https") != 0 && !req->allow_http)
    return msikv_error_set(out_err, MSIKV_ERR_INSECURE,
                           "refusing plain http to %s: use an https URL",
                           url.host);
  if (has_crlf(req->method))
    return msikv_error_set(out_err, MSIKV_ERR_ARG, "bad HTTP method");

  struct curl_slist *headers = NULL;
  rc = build_headers(req, &headers, out_err);
  if (rc)
    return rc;
  CURL *handle = take_handle(t);
  if (!handle) {
    curl_slist_free_all(headers);
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM, "curl_easy_init failed");
  }
  char errbuf[CURL_ERROR_SIZE];
  errbuf[0] = '\0';
  transfer xfer = {out_resp, false};
  long timeout = req->timeout_ms ? req->timeout_ms : t->options.timeout_ms;
  long connect_timeout = req->connect_timeout_ms ? req->connect_timeout_ms
                                                 : t->options.connect_timeout_ms;
  curl_easy_setopt(handle, CURLOPT_URL, req->url);
  curl_easy_setopt(handle, CURLOPT_SHARE, t->share);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
  if (t->ca_file)
    curl_easy_setopt(handle, CURLOPT_CAINFO, t->ca_file);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout);
  curl_easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE,
                   (curl_off_t)out_resp->body.max);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, t->user_agent);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &xfer);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &xfer);
  if (req->no_proxy || msikv_host_is_local(url.host))
    curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");
  if (strcmp(req->method, "GET") == 0 && !req->has_body && !req->body_len) {
    curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(req->method, "HEAD") == 0) {
    curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->has_body || req->body_len || strcmp(req->method, "POST") == 0 ||
        strcmp(req->method, "PUT") == 0 || strcmp(req->method, "PATCH") == 0) {
      curl_easy_setopt(handle, CURLOPT_POSTFIELDS,
                       req->body ? req->body : "");
      curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                       (curl_off_t)req->body_len);
    }
  }

  CURLcode code = curl_easy_perform(handle);
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  return_handle(t, handle);
  curl_slist_free_all(headers);
  if (code != CURLE_OK)
    return map_curl_error(code, &xfer, errbuf, &url, out_err);
  out_resp->status = (int)status;
  msikv_log(MSIKV_LOG_DEBUG, "%s %s://%s:%d -> %d", req->method, url.scheme,
            url.host, url.port, out_resp->status);
  return MSIKV_OK;
}

static void curl_destroy(void *ctx) {
  curl_transport *t = ctx;
  if (!t)
    return;
  for (size_t i = 0; i < t->idle_count; i++)
    curl_easy_cleanup(t->idle[i]);
  if (t->share)
    curl_share_cleanup(t->share);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_destroy(&t->share_locks[i]);
  pthread_mutex_destroy(&t->pool_lock);
  msikv_free(t->idle);
  msikv_free(t->ca_file);
  msikv_free(t->user_agent);
  msikv_free(t);
}

static const char *env_nonempty(const char *name) {
  const char *value = getenv(name);
  return value && *value ? value : NULL;
}

msikv_result msikv_transport_curl_new(const msikv_curl_options *options,
                                      msikv_transport **out_transport,
                                      msikv_error *out_err) {
  if (!out_transport)
    return msikv_error_set(out_err, MSIKV_ERR_ARG, "out_transport is NULL");
  pthread_once(&global_once, global_init);
  if (global_rc != CURLE_OK)
    return msikv_error_set(out_err, MSIKV_ERR_TRANSPORT,
                           "curl_global_init failed");
  msikv_curl_options opts =
      options ? *options : msikv_curl_options_default();
  msikv_curl_options defaults = msikv_curl_options_default();
  if (opts.timeout_ms <= 0)
    opts.timeout_ms = defaults.timeout_ms;
  if (opts.connect_timeout_ms <= 0)
    opts.connect_timeout_ms = defaults.connect_timeout_ms;
  if (opts.max_response_bytes == 0)
    opts.max_response_bytes = defaults.max_response_bytes;
  if (opts.max_idle_handles == 0)
    opts.max_idle_handles = defaults.max_idle_handles;

  msikv_transport *transport = NULL;
  curl_transport *t = msikv_calloc(1, sizeof(*t));
  if (!t)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                           "out of memory creating the transport");
  t->options = opts;
  pthread_mutex_init(&t->pool_lock, NULL);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init(&t->share_locks[i], NULL);
  transport = msikv_calloc(1, sizeof(*transport));
  if (!transport)
    goto out;
  const char *ca = opts.ca_file;
  if (!ca)
    ca = env_nonempty("SSL_CERT_FILE");
  if (!ca)
    ca = env_nonempty("CURL_CA_BUNDLE");
  t->user_agent = msikv_strdup(opts.user_agent ? opts.user_agent
                                               : "msikv/" MSIKV_VERSION);
  t->idle = msikv_calloc(opts.max_idle_handles, sizeof(CURL *));
  if (!t->user_agent || !t->idle || (ca && !(t->ca_file = msikv_strdup(ca))))
    goto out;
  t->share = curl_share_init();
  if (!t->share)
    goto out;
  curl_share_setopt(t->share, CURLSHOPT_LOCKFUNC, share_lock);
  curl_share_setopt(t->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
  curl_share_setopt(t->share, CURLSHOPT_USERDATA, t);
  curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  transport->send = curl_send;
  transport->destroy = curl_destroy;
  transport->ctx = t;
  *out_transport = transport;
  return MSIKV_OK;
out:
  curl_destroy(t);
  msikv_free(transport);
  return msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                         "out of memory creating the transport");
}
