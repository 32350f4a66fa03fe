/* SPDX-License-Identifier: MIT */
/* The Key Vault 401 challenge: a pure parser over the WWW-Authenticate text. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kv_internal.h"

typedef struct params {
  char authorization[MSIKV__KV_CHALLENGE_FIELD_MAX];
  char resource[MSIKV__KV_CHALLENGE_FIELD_MAX];
  char scope[MSIKV__KV_CHALLENGE_FIELD_MAX];
} params;

static bool is_space(char c) {
  return c == ' ' || c == '\t';
}

static bool is_token_char(char c) {
  return c && !is_space(c) && c != ',' && c != '=' && c != '"';
}

/* Reads a quoted or bare value at *p into out; false when too long or
 * unterminated. */
static bool read_value(const char **p, char *out, size_t out_size) {
  const char *s = *p;
  size_t n = 0;
  if (*s == '"') {
    s++;
    while (*s && *s != '"') {
      if (*s == '\\' && s[1])
        s++;
      if (n + 1 >= out_size)
        return false;
      out[n++] = *s++;
    }
    if (*s != '"')
      return false;
    s++;
  } else {
    while (*s && *s != ',' && !is_space(*s)) {
      if (n + 1 >= out_size)
        return false;
      out[n++] = *s++;
    }
  }
  out[n] = '\0';
  *p = s;
  return true;
}

static msikv_result parse_params(const char *header, params *out,
                                 msikv_error *out_err) {
  const char *p = header;
  bool bearer = false;
  bool seen_bearer = false;
  char value[MSIKV__KV_CHALLENGE_FIELD_MAX];
  while (*p) {
    while (is_space(*p) || *p == ',')
      p++;
    if (!*p)
      break;
    const char *tok = p;
    while (is_token_char(*p))
      p++;
    size_t tok_len = (size_t)(p - tok);
    if (tok_len == 0)
      return msikv_error_set(out_err, MSIKV_ERR_AUTH,
                             "Key Vault challenge is malformed: unexpected "
                             "character in WWW-Authenticate");
    const char *q = p;
    while (is_space(*q))
      q++;
    if (*q != '=') {
      /* A scheme name starts a new challenge. */
      bearer = tok_len == 6 && strncasecmp(tok, "Bearer", 6) == 0;
      seen_bearer = seen_bearer || bearer;
      continue;
    }
    /* Token68 padding ("abc==") has '=' right after '='. */
    p = q + 1;
    while (is_space(*p))
      p++;
    if (*p == '=') {
      while (*p == '=')
        p++;
      continue;
    }
    if (!read_value(&p, value, sizeof(value)))
      return msikv_error_set(out_err, MSIKV_ERR_AUTH,
                             "Key Vault challenge is malformed: a parameter "
                             "is unterminated or longer than %d bytes",
                             MSIKV__KV_CHALLENGE_FIELD_MAX - 1);
    if (!bearer)
      continue;
    char *dest = NULL;
    if ((tok_len == 13 && strncasecmp(tok, "authorization", 13) == 0) ||
        (tok_len == 17 && strncasecmp(tok, "authorization_uri", 17) == 0))
      dest = out->authorization;
    else if (tok_len == 8 && strncasecmp(tok, "resource", 8) == 0)
      dest = out->resource;
    else if (tok_len == 5 && strncasecmp(tok, "scope", 5) == 0)
      dest = out->scope;
    if (dest && !dest[0])
      snprintf(dest, MSIKV__KV_CHALLENGE_FIELD_MAX, "%s", value);
  }
  if (!seen_bearer)
    return msikv_error_set(out_err, MSIKV_ERR_AUTH,
                           "Key Vault answered 401 without a Bearer "
                           "challenge; check the vault URL");
  return MSIKV_OK;
}

msikv_result msikv__kv_challenge_parse(const char *header,
                                       msikv__kv_challenge *out,
                                       msikv_error *out_err) {
  if (!header || !out)
    return msikv_error_set(out_err, MSIKV_ERR_AUTH,
                           "Key Vault answered 401 without a "
                           "WWW-Authenticate challenge; check the vault URL");
  params prm;
  memset(&prm, 0, sizeof(prm));
  msikv_result rc = parse_params(header, &prm, out_err);
  if (rc)
    return rc;
  if (!prm.authorization[0])
    return msikv_error_set(out_err, MSIKV_ERR_AUTH,
                           "Key Vault challenge has no authorization or "
                           "authorization_uri parameter");
  msikv__kv_challenge result;
  memset(&result, 0, sizeof(result));
  msikv_url auth_url;
  if (msikv_url_parse(prm.authorization, &auth_url, NULL))
    return msikv_error_set(out_err, MSIKV_ERR_AUTH,
                           "The challenge authorization URI '%.200s' is "
                           "invalid.",
                           prm.authorization);
  const char *seg = auth_url.path;
  if (*seg == '/')
    seg++;
  size_t seg_len = strcspn(seg, "/?#");
  if (!(seg_len == 4 && strncasecmp(seg, "adfs", 4) == 0))
    snprintf(result.tenant, sizeof(result.tenant), "%.*s", (int)seg_len, seg);
  if (prm.scope[0]) {
    snprintf(result.scope, sizeof(result.scope), "%s", prm.scope);
  } else if (prm.resource[0]) {
    size_t len = strlen(prm.resource);
    while (len > 0 && prm.resource[len - 1] == '/')
      len--;
    int n = snprintf(result.scope, sizeof(result.scope), "%.*s/.default",
                     (int)len, prm.resource);
    if (n < 0 || (size_t)n >= sizeof(result.scope))
      return msikv_error_set(out_err, MSIKV_ERR_AUTH,
                             "Key Vault challenge resource is too long");
  } else {
    return msikv_error_set(out_err, MSIKV_ERR_AUTH,
                           "Key Vault challenge has neither a resource nor a "
                           "scope parameter");
  }
  msikv_url scope_url;
  if (msikv_url_parse(result.scope, &scope_url, NULL) || !scope_url.host[0])
    return msikv_error_set(out_err, MSIKV_ERR_AUTH,
                           "The challenge contains invalid scope '%.200s'.",
                           result.scope);
  snprintf(result.resource_host, sizeof(result.resource_host), "%s",
           scope_url.host);
  *out = result;
  return MSIKV_OK;
}

bool msikv__kv_challenge_host_matches(const msikv__kv_challenge *challenge,
                                      const char *vault_host) {
  size_t host_len = strlen(vault_host);
  size_t res_len = strlen(challenge->resource_host);
  if (res_len == 0 || host_len < res_len + 2)
    return false;
  const char *tail = vault_host + host_len - res_len;
  return tail[-1] == '.' && strcasecmp(tail, challenge->resource_host) == 0;
}
