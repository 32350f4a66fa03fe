/* SPDX-License-Identifier: MIT */
#include "assertion.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "jwt.h"
#include "msikv/alloc.h"
#include "principals.h"
#include "util.h"

#define ASSERTION_MAX 16384
#define DOCS_CERT                                                              \
  "https://learn.microsoft.com/entra/identity-platform/"                       \
  "certificate-credentials"
#define DOCS_WIF                                                               \
  "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"

static int64_t asn1_epoch(const ASN1_TIME *t) {
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
    return 0;
  return mock_epoch_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                               tm.tm_hour, tm.tm_min, tm.tm_sec);
}

msikv_result mock_cert_from_pem(const char *pem, size_t len, mock_cert *out,
                                msikv_error *out_err) {
  msikv_result rc = MSIKV_ERR_CONFIG;
  X509 *x = NULL;
  EVP_PKEY *pub = NULL;
  unsigned char *der = NULL;
  BIO *bio = len <= 1 << 20 ? BIO_new_mem_buf(pem, (int)len) : NULL;
  mock_cert c;
  memset(&c, 0, sizeof(c));
  if (!bio || !(x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
    msikv_error_set(out_err, rc,
                    "no PEM certificate (-----BEGIN CERTIFICATE-----) found");
    goto out;
  }
  unsigned int n = 0;
  if (X509_digest(x, EVP_sha1(), c.sha1, &n) != 1 || n != sizeof(c.sha1) ||
      X509_digest(x, EVP_sha256(), c.sha256, &n) != 1 ||
      n != sizeof(c.sha256)) {
    msikv_error_set(out_err, rc, "cannot hash the certificate");
    goto out;
  }
  pub = X509_get_pubkey(x);
  if (!pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA) {
    msikv_error_set(out_err, rc,
                    "the certificate's key must be RSA (Entra ID signs "
                    "client assertions with RS256 or PS256)");
    goto out;
  }
  int der_len = i2d_PUBKEY(pub, &der);
  if (der_len <= 0 || (size_t)der_len > sizeof(c.spki)) {
    msikv_error_set(out_err, rc, "the certificate's RSA key is too large");
    goto out;
  }
  memcpy(c.spki, der, (size_t)der_len);
  c.spki_len = (size_t)der_len;
  c.not_before_s = asn1_epoch(X509_get0_notBefore(x));
  c.not_after_s = asn1_epoch(X509_get0_notAfter(x));
  *out = c;
  rc = MSIKV_OK;
out:
  OPENSSL_free(der);
  EVP_PKEY_free(pub);
  X509_free(x);
  BIO_free(bio);
  return rc;
}

static void fail(mock_assertion_error *out, int status, const char *error,
                 int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void fail(mock_assertion_error *out, int status, const char *error,
                 int code, const char *fmt, ...) {
  out->status = status;
  out->error = error;
  out->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out->message, sizeof(out->message), fmt, ap);
  va_end(ap);
}

static void malformed(mock_assertion_error *out) {
  fail(out, 400, "invalid_request", 50027,
       "JWT token is invalid or malformed.");
}

/* The decoded parts of a compact JWS. */
typedef struct jws {
  cJSON *header, *payload;
  msikv_buf sig;
  size_t signed_len; /* header.payload */
} jws;

static cJSON *decode_part(const char *text, size_t len) {
  msikv_buf b;
  msikv_buf_init(&b, ASSERTION_MAX);
  cJSON *j = NULL;
  if (!mock_b64url_decode(&b, text, len) && b.data)
    j = cJSON_ParseWithLength(b.data, b.len);
  msikv_buf_free(&b);
  if (j && !cJSON_IsObject(j)) {
    cJSON_Delete(j);
    j = NULL;
  }
  return j;
}

static bool jws_parse(const char *token, jws *out) {
  memset(out, 0, sizeof(*out));
  msikv_buf_init(&out->sig, 2048);
  size_t len = strlen(token);
  const char *d1 = memchr(token, '.', len);
  const char *d2 =
      d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
  if (len > ASSERTION_MAX || !d1 || !d2 ||
      memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
    return false;
  out->header = decode_part(token, (size_t)(d1 - token));
  out->payload = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
  out->signed_len = (size_t)(d2 - token);
  return out->header && out->payload &&
         !mock_b64url_decode(&out->sig, d2 + 1, len - out->signed_len - 1) &&
         out->sig.len > 0;
}

static void jws_free(jws *j) {
  cJSON_Delete(j->header);
  cJSON_Delete(j->payload);
  msikv_buf_free(&j->sig);
}

static const char *str_field(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool num_field(const cJSON *o, const char *name, int64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  /* A double beyond int64 would make the conversion undefined. */
  if (!cJSON_IsNumber(v) ||
      !(v->valuedouble >= -4e18 && v->valuedouble <= 4e18))
    return false;
  *out = (int64_t)v->valuedouble;
  return true;
}

static bool verify_sig(EVP_PKEY *key, bool pss, const char *token,
                       const jws *j) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  bool ok = md && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) == 1;
  if (ok && pss)
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1;
  ok =
      ok && EVP_DigestVerify(md, (const unsigned char *)j->sig.data, j->sig.len,
                             (const unsigned char *)token, j->signed_len) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

static void hex_upper(const unsigned char *p, size_t n, char *out) {
  static const char H[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = H[p[i] >> 4];
    out[2 * i + 1] = H[p[i] & 15];
  }
  out[2 * n] = '\0';
}

static void iso(int64_t s, char *out, size_t size) {
  int y, mo, d, h, mi, se;
  mock_civil_from_epoch(s, &y, &mo, &d, &h, &mi, &se);
  snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.0000000Z", y, mo, d, h, mi,
           se);
}

static void us_date(int64_t s, char *out, size_t size) {
  int y, mo, d, h, mi, se;
  mock_civil_from_epoch(s, &y, &mo, &d, &h, &mi, &se);
  snprintf(out, size, "%02d/%02d/%04d %02d:%02d:%02d", mo, d, y, h, mi, se);
}

/* exp required; nbf optional, with Entra's clock skew. */
static bool times_ok(const jws *j, int64_t now_s, mock_assertion_error *out) {
  int64_t exp = 0, nbf = 0;
  bool has_nbf = num_field(j->payload, "nbf", &nbf);
  if (!num_field(j->payload, "exp", &exp)) {
    fail(out, 400, "invalid_request", 50027,
         "Invalid JWT token. The token has no 'exp' claim.");
    return false;
  }
  if (now_s >= exp || (has_nbf && nbf > now_s + MOCK_ASSERTION_SKEW_S)) {
    char now[40], from[40], until[40];
    iso(now_s, now, sizeof(now));
    iso(has_nbf ? nbf : 0, from, sizeof(from));
    iso(exp, until, sizeof(until));
    fail(out, 401, "invalid_client", 700024,
         "Client assertion is not within its valid time range. Current "
         "time: %s, assertion valid from %s, expiry time of assertion %s. "
         "Review the documentation at %s .",
         now, from, until, DOCS_CERT);
    return false;
  }
  return true;
}

static bool check_certificate(const mock_principal *who, const char *token,
                              const jws *j, bool pss, const char *token_url,
                              int64_t now_s, mock_assertion_error *out) {
  const char *iss = str_field(j->payload, "iss");
  const char *sub = str_field(j->payload, "sub");
  if (!sub || strcasecmp(sub, who->client_id) != 0 || !iss ||
      strcasecmp(iss, who->client_id) != 0) {
    fail(out, 401, "invalid_client", 700021,
         "Client assertion application identifier doesn't match "
         "'client_id' parameter. Review the documentation at %s .",
         DOCS_CERT);
    return false;
  }
  const char *s256 = str_field(j->header, "x5t#S256");
  const char *s1 = str_field(j->header, "x5t");
  if (!s256 && !s1) {
    fail(out, 400, "invalid_request", 50027,
         "Invalid JWT token. No certificate thumbprint specified in token "
         "header.");
    return false;
  }
  /* The thumbprint the client claims, in hex, for the messages. */
  msikv_buf tp;
  msikv_buf_init(&tp, 256);
  const char *given = s256 ? s256 : s1;
  size_t given_len = strlen(given);
  while (given_len > 0 && given[given_len - 1] == '=') /* MSAL Python pads */
    given_len--;
  bool decoded = !mock_b64url_decode(&tp, given, given_len) && tp.data &&
                 (tp.len == 20 || tp.len == 32);
  char hex[65] = "";
  if (decoded)
    hex_upper((const unsigned char *)tp.data, tp.len, hex);
  bool match =
      decoded && who->has_cert &&
      (s256 ? tp.len == 32 && memcmp(tp.data, who->cert.sha256, 32) == 0
            : tp.len == 20 && memcmp(tp.data, who->cert.sha1, 20) == 0);
  msikv_buf_free(&tp);
  if (!match) {
    fail(out, 401, "invalid_client", 700027,
         "The certificate with identifier used to sign the client assertion "
         "is not registered on application. [Reason - The key was not "
         "found., Thumbprint of key used by client: '%s', Please visit the "
         "Azure Portal, Graph Explorer or directly use MS Graph to see "
         "configured keys for app Id '%s'. Review the documentation at "
         "https://docs.microsoft.com/en-us/graph/api/application-get to "
         "query the application using Microsoft Graph.]",
         decoded ? hex : given, who->client_id);
    return false;
  }
  char start[32], end[32];
  us_date(who->cert.not_before_s, start, sizeof(start));
  us_date(who->cert.not_after_s, end, sizeof(end));
  if (now_s < who->cert.not_before_s || now_s >= who->cert.not_after_s) {
    fail(out, 401, "invalid_client", 700027,
         "Client assertion contains an invalid signature. [Reason - The key "
         "used is expired., Thumbprint of key used by client: '%s', Found "
         "key 'Start=%s, End=%s']",
         hex, start, end);
    return false;
  }
  const unsigned char *p = who->cert.spki;
  EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)who->cert.spki_len);
  bool sig_ok = key && verify_sig(key, pss, token, j);
  EVP_PKEY_free(key);
  if (!sig_ok) {
    fail(out, 401, "invalid_client", 700027,
         "Client assertion contains an invalid signature. [Reason - The "
         "provided signature value did not match the expected signature "
         "value., Thumbprint of key used by client: '%s', Found key "
         "'Start=%s, End=%s']",
         hex, start, end);
    return false;
  }
  const char *aud = str_field(j->payload, "aud");
  if (!aud || strcasecmp(aud, token_url) != 0) {
    fail(out, 401, "invalid_client", 700212,
         "Client assertion audience claim '%.300s' does not match the token "
         "endpoint '%.300s'. Use the token endpoint URL as the 'aud' of the "
         "client assertion. Review the documentation at %s .",
         aud ? aud : "", token_url, DOCS_CERT);
    return false;
  }
  return times_ok(j, now_s, out);
}

/* Does the token's aud (a string or an array) contain @p want? */
static bool aud_has(const cJSON *payload, const char *want) {
  const cJSON *aud = cJSON_GetObjectItemCaseSensitive(payload, "aud");
  if (cJSON_IsString(aud))
    return strcmp(aud->valuestring, want) == 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, aud) {
    if (cJSON_IsString(it) && strcmp(it->valuestring, want) == 0)
      return true;
  }
  return false;
}

static void aud_text(const cJSON *payload, char *out, size_t size) {
  const cJSON *aud = cJSON_GetObjectItemCaseSensitive(payload, "aud");
  if (cJSON_IsString(aud)) {
    snprintf(out, size, "%s", aud->valuestring);
  } else if (cJSON_IsArray(aud) && cJSON_IsString(aud->child)) {
    snprintf(out, size, "%s", aud->child->valuestring);
  } else {
    out[0] = '\0';
  }
}

static bool check_federated(const mock_principal *who,
                            const mock_jwt_key *issuer_key, const char *token,
                            const jws *j, bool pss, int64_t now_s,
                            mock_assertion_error *out) {
  const char *iss = str_field(j->payload, "iss");
  const char *sub = str_field(j->payload, "sub");
  char aud[300];
  aud_text(j->payload, aud, sizeof(aud));
  if (!iss || !sub || !aud[0]) {
    fail(out, 400, "invalid_request", 50027,
         "Invalid JWT token. A federated token needs 'iss', 'sub' and 'aud' "
         "claims.");
    return false;
  }
  if (who->federated_count == 0) {
    fail(out, 400, "invalid_request", 70021,
         "No matching federated identity record found for presented "
         "assertion. Assertion Issuer: '%.250s'. Assertion Subject: "
         "'%.250s'. Assertion Audience: '%.250s'. %s",
         iss, sub, aud, DOCS_WIF);
    return false;
  }
  const mock_federated_credential *by_iss = NULL, *by_sub = NULL, *match = NULL;
  for (size_t i = 0; i < who->federated_count; i++) {
    const mock_federated_credential *f = &who->federated[i];
    if (strcmp(f->issuer, iss) != 0)
      continue;
    by_iss = f;
    if (strcmp(f->subject, sub) != 0)
      continue;
    by_sub = f;
    if (aud_has(j->payload, f->audience))
      match = f;
  }
  if (!by_iss) {
    fail(out, 400, "invalid_request", 700211,
         "No matching federated identity record found for presented "
         "assertion issuer '%.250s'. Please check your federated identity "
         "credential Subject, Audience and Issuer against the presented "
         "assertion. %s",
         iss, DOCS_WIF);
    return false;
  }
  if (!by_sub) {
    fail(out, 400, "invalid_request", 700213,
         "No matching federated identity record found for presented "
         "assertion subject '%.250s'. Check your federated identity "
         "credential Subject, Audience and Issuer against the presented "
         "assertion. %s",
         sub, DOCS_WIF);
    return false;
  }
  if (!match) {
    fail(out, 400, "invalid_request", 700212,
         "No matching federated identity record found for presented "
         "assertion audience '%.250s'. Please check your federated identity "
         "credential Subject, Audience and Issuer against the presented "
         "assertion. %s",
         aud, DOCS_WIF);
    return false;
  }
  if (pss || !verify_sig(mock_jwt_key_pkey(issuer_key), false, token, j)) {
    fail(out, 401, "invalid_client", 700027,
         "Client assertion failed signature validation. [Reason - The key "
         "was not found., the federated token is not signed by a key of the "
         "issuer '%.250s' (the mock's issuer key).]",
         iss);
    return false;
  }
  return times_ok(j, now_s, out);
}

bool mock_assertion_check(const mock_principal *who,
                          const mock_jwt_key *issuer_key, const char *assertion,
                          const char *token_url, int64_t now_s,
                          mock_assertion_error *out) {
  jws j;
  bool ok = false;
  memset(out, 0, sizeof(*out));
  if (!jws_parse(assertion, &j)) {
    malformed(out);
    goto out;
  }
  const char *alg = str_field(j.header, "alg");
  bool pss = alg && strcmp(alg, "PS256") == 0;
  if (!alg || (!pss && strcmp(alg, "RS256") != 0)) {
    fail(out, 400, "invalid_request", 5002738,
         "Invalid JWT token. '%.32s' is not a supported signature algorithm. "
         "Supported signing algorithms are: 'RS256, PS256'",
         alg ? alg : "");
    goto out;
  }
  const char *iss = str_field(j.payload, "iss");
  if (iss && strcasecmp(iss, who->client_id) == 0)
    ok = check_certificate(who, assertion, &j, pss, token_url, now_s, out);
  else
    ok = check_federated(who, issuer_key, assertion, &j, pss, now_s, out);
out:
  jws_free(&j);
  return ok;
}

static msikv_result append_b64_json(msikv_buf *out, const cJSON *json) {
  char *text = cJSON_PrintUnformatted(json);
  if (!text)
    return MSIKV_ERR_NOMEM;
  msikv_result rc = mock_b64url_encode(out, text, strlen(text));
  cJSON_free(text);
  return rc;
}

msikv_result mock_federated_token_mint(const mock_jwt_key *key,
                                       const mock_federated_claims *c,
                                       msikv_buf *out) {
  if (!key || !c || !c->subject || !c->subject[0])
    return MSIKV_ERR_ARG;
  cJSON *hdr = cJSON_CreateObject();
  cJSON *pl = cJSON_CreateObject();
  cJSON *aud = cJSON_CreateArray();
  cJSON *aud0 =
      cJSON_CreateString(c->audience ? c->audience : MOCK_FEDERATED_AUDIENCE);
  EVP_MD_CTX *md = NULL;
  unsigned char sig[1024];
  size_t sig_len = sizeof(sig);
  char jti[37];
  mock_uuid(jti);
  msikv_result rc = MSIKV_ERR_NOMEM;
  if (!hdr || !pl || !aud || !aud0)
    goto out;
  if (!cJSON_AddItemToArray(aud, aud0))
    goto out;
  aud0 = NULL;
  /* Adding copies the key, which can fail: aud stays ours until it is in. */
  if (!cJSON_AddItemToObject(pl, "aud", aud))
    goto out;
  aud = NULL;
  if (!cJSON_AddStringToObject(hdr, "alg", "RS256") ||
      !cJSON_AddStringToObject(hdr, "kid", mock_jwt_key_kid(key)) ||
      !cJSON_AddStringToObject(hdr, "typ", "JWT") ||
      !cJSON_AddStringToObject(pl, "iss",
                               c->issuer ? c->issuer : MOCK_FEDERATED_ISSUER) ||
      !cJSON_AddStringToObject(pl, "sub", c->subject) ||
      !cJSON_AddNumberToObject(pl, "iat", (double)c->iat) ||
      !cJSON_AddNumberToObject(pl, "nbf", (double)c->nbf) ||
      !cJSON_AddNumberToObject(pl, "exp", (double)c->exp) ||
      !cJSON_AddStringToObject(pl, "jti", jti))
    goto out;
  msikv_buf_reset(out);
  rc = append_b64_json(out, hdr);
  if (!rc)
    rc = msikv_buf_append(out, ".", 1);
  if (!rc)
    rc = append_b64_json(out, pl);
  if (rc)
    goto out;
  rc = MSIKV_ERR_NOMEM;
  md = EVP_MD_CTX_new();
  if (!md ||
      EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
                         mock_jwt_key_pkey(key)) != 1 ||
      EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)out->data,
                     out->len) != 1)
    goto out;
  rc = msikv_buf_append(out, ".", 1);
  if (!rc)
    rc = mock_b64url_encode(out, sig, sig_len);
out:
  EVP_MD_CTX_free(md);
  cJSON_Delete(aud0);
  cJSON_Delete(aud);
  cJSON_Delete(hdr);
  cJSON_Delete(pl);
  return rc;
}
