/* SPDX-License-Identifier: MIT */
/* The mock Entra ID's client assertions: certificate-signed JWTs (RS256 and
 * PS256, x5t and x5t#S256) and federated tokens (workload identity), through
 * the token endpoint, plus the seed's certificate and federated credentials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mockserver/assertion.h"
#include "mockserver/entra.h"
#include "msikv/alloc.h"

#define NOW_S 1800000000LL
#define AUTH "https://login.localhost:8443"
#define T MOCK_DEFAULT_TENANT
#define TOKEN_URL AUTH "/" T "/oauth2/v2.0/token"
#define CERT_CLIENT "ffffffff-0000-4000-8000-000000000001"
#define CERT_OBJECT "ffffffff-0000-4000-8000-000000000002"
#define FED_CLIENT "f1f1f1f1-0000-4000-8000-000000000001"

static mock_jwt_key *issuer_key; /* the mock's signing key */
static mock_jwt_key *other_key;  /* someone else's */
static EVP_PKEY *cert_key;       /* the certificate's private key */
static EVP_PKEY *wrong_key;
static char *cert_pem, *expired_cert_pem;
static mock_principals principals;

static char *make_cert(EVP_PKEY *key, int64_t not_before, int64_t not_after) {
  X509 *x = X509_new();
  X509_NAME *name = X509_NAME_new();
  BIO *bio = BIO_new(BIO_s_mem());
  char *out = NULL;
  if (x && name && bio && X509_set_version(x, 2) &&
      ASN1_INTEGER_set(X509_get_serialNumber(x), 42) &&
      ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) &&
      ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 (const unsigned char *)"msikv-cert", -1, -1,
                                 0) &&
      X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
      X509_set_pubkey(x, key) && X509_sign(x, key, EVP_sha256()) &&
      PEM_write_bio_X509(bio, x)) {
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    out = calloc(1, (size_t)n + 1);
    memcpy(out, data, (size_t)n);
  }
  BIO_free(bio);
  X509_NAME_free(name);
  X509_free(x);
  return out;
}

static EVP_PKEY *load_key(const char *path) {
  BIO *bio = BIO_new_file(path, "r");
  EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  return k;
}

/* Fixed test-only keys (RSA generation is too slow under valgrind). */
#define SIGNING_KEY "tests/testdata/mock_signing_key.pem"
#define OTHER_KEY "tests/testdata/mock_other_key.pem"

static int setup(void **state) {
  (void)state;
  if (msikv_global_init() ||
      mock_jwt_key_load_or_create(SIGNING_KEY, &issuer_key, NULL) ||
      mock_jwt_key_load_or_create(OTHER_KEY, &other_key, NULL))
    return -1;
  cert_key = load_key(OTHER_KEY);
  wrong_key = load_key(SIGNING_KEY);
  if (!cert_key || !wrong_key)
    return -1;
  cert_pem = make_cert(cert_key, NOW_S - 86400, NOW_S + 86400 * 365);
  expired_cert_pem = make_cert(cert_key, NOW_S - 86400 * 400, NOW_S - 86400);
  if (!cert_pem || !expired_cert_pem)
    return -1;
  char seed[8192];
  snprintf(seed, sizeof(seed),
           "{\"principals\":["
           "{\"type\":\"service_principal\",\"client_id\":\"" CERT_CLIENT
           "\",\"object_id\":\"" CERT_OBJECT "\",\"certificate\":\"%s\"},"
           "{\"type\":\"service_principal\",\"client_id\":\"" FED_CLIENT
           "\",\"object_id\":\"f1f1f1f1-0000-4000-8000-000000000002\","
           "\"federated_credentials\":[{\"name\":\"ci\",\"issuer\":"
           "\"https://token.actions.example\",\"subject\":\"repo:x:ref\"},"
           "{\"issuer\":\"" MOCK_FEDERATED_ISSUER "\",\"subject\":\"sa:one\","
           "\"audiences\":[\"api://custom\"]}]},"
           "{\"type\":\"service_principal\",\"client_id\":\"expired-cert\","
           "\"object_id\":\"e0\",\"certificate\":\"%s\"}"
           "]}",
           "CERT1", "CERT2");
  /* JSON-escape the PEMs' newlines. */
  cJSON *j = cJSON_Parse(seed);
  if (!j)
    return -1;
  cJSON *ps = cJSON_GetObjectItem(j, "principals");
  cJSON_ReplaceItemInObject(cJSON_GetArrayItem(ps, 0), "certificate",
                            cJSON_CreateString(cert_pem));
  cJSON_ReplaceItemInObject(cJSON_GetArrayItem(ps, 2), "certificate",
                            cJSON_CreateString(expired_cert_pem));
  msikv_error err;
  msikv_error_clear(&err);
  msikv_result rc = mock_principals_from_json(NULL, ps, &principals, &err);
  cJSON_Delete(j);
  if (rc) {
    fprintf(stderr, "seed: %s\n", err.message);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  mock_jwt_key_free(issuer_key);
  mock_jwt_key_free(other_key);
  EVP_PKEY_free(cert_key);
  EVP_PKEY_free(wrong_key);
  free(cert_pem);
  free(expired_cert_pem);
  return 0;
}

/* ---- JWT crafting. */

static void b64url(const unsigned char *p, size_t n, char *out) {
  static const char A[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)p[i + 1] << 8;
    if (i + 2 < n)
      v |= p[i + 2];
    out[o++] = A[v >> 18];
    out[o++] = A[(v >> 12) & 63];
    if (i + 1 < n)
      out[o++] = A[(v >> 6) & 63];
    if (i + 2 < n)
      out[o++] = A[v & 63];
  }
  out[o] = '\0';
}

typedef struct jwt_spec {
  const char *alg;     /* RS256 (default) or PS256 */
  const char *thumb;   /* "x5t", "x5t#S256", "none", "padded", "unknown" */
  EVP_PKEY *sign_with; /* default cert_key */
  const char *iss, *sub, *aud;
  int64_t nbf, exp; /* offsets from NOW_S */
  bool no_exp;
  const char *cert; /* thumbprint of which certificate (default cert) */
} jwt_spec;

static char *make_jwt(const jwt_spec *s) {
  static char out[8192];
  char hdr[512], pl[1024], tp[64], seg[4096];
  mock_cert c;
  const char *pem = s->cert ? s->cert : cert_pem;
  assert_int_equal(mock_cert_from_pem(pem, strlen(pem), &c, NULL), MSIKV_OK);
  const char *thumb = s->thumb ? s->thumb : "x5t";
  char th[256] = "";
  if (strcmp(thumb, "x5t") == 0) {
    b64url(c.sha1, 20, tp);
    snprintf(th, sizeof(th), ",\"x5t\":\"%s\"", tp);
  } else if (strcmp(thumb, "padded") == 0) {
    b64url(c.sha1, 20, tp);
    snprintf(th, sizeof(th), ",\"x5t\":\"%s=\"", tp);
  } else if (strcmp(thumb, "x5t#S256") == 0) {
    b64url(c.sha256, 32, tp);
    snprintf(th, sizeof(th), ",\"x5t#S256\":\"%s\"", tp);
  } else if (strcmp(thumb, "unknown") == 0) {
    unsigned char z[20] = {1, 2, 3};
    b64url(z, 20, tp);
    snprintf(th, sizeof(th), ",\"x5t\":\"%s\"", tp);
  }
  const char *alg = s->alg ? s->alg : "RS256";
  snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"%s}", alg, th);
  const char *iss = s->iss ? s->iss : CERT_CLIENT;
  snprintf(pl, sizeof(pl),
           "{\"aud\":\"%s\",\"iss\":\"%s\",\"sub\":\"%s\",\"jti\":\"j1\","
           "\"nbf\":%lld%s%lld}",
           s->aud ? s->aud : TOKEN_URL, iss, s->sub ? s->sub : iss,
           (long long)(NOW_S + s->nbf), s->no_exp ? ",\"x\":" : ",\"exp\":",
           (long long)(NOW_S + (s->exp ? s->exp : 600)));
  b64url((const unsigned char *)hdr, strlen(hdr), seg);
  snprintf(out, sizeof(out), "%s.", seg);
  b64url((const unsigned char *)pl, strlen(pl), seg);
  strncat(out, seg, sizeof(out) - strlen(out) - 1);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  unsigned char sig[1024];
  size_t sig_len = sizeof(sig);
  assert_int_equal(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL,
                                      s->sign_with ? s->sign_with : cert_key),
                   1);
  if (strcmp(alg, "PS256") == 0) {
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING),
                     1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 1);
  }
  assert_int_equal(EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)out,
                                  strlen(out)),
                   1);
  EVP_MD_CTX_free(md);
  b64url(sig, sig_len, seg);
  strncat(out, ".", sizeof(out) - strlen(out) - 1);
  strncat(out, seg, sizeof(out) - strlen(out) - 1);
  return out;
}

/* ---- Through the token endpoint. */

typedef struct reply {
  int status;
  int code; /* error_codes[0] */
  char error[64];
  char desc[2048];
  bool has_token;
} reply;

static reply post_token(const char *client_id, const char *assertion,
                        const char *type) {
  char body[16384];
  snprintf(body, sizeof(body),
           "grant_type=client_credentials&client_id=%s&scope=https%%3A%%2F%%2F"
           "vault.localhost%%3A8443%%2F.default%s%s&client_assertion=%s",
           client_id, type ? "&client_assertion_type=" : "", type ? type : "",
           assertion);
  mock_request req;
  memset(&req, 0, sizeof(req));
  req.listener = MOCK_LISTENER_TLS;
  req.method = "POST";
  req.host = "login.localhost:8443";
  req.path = "/" T "/oauth2/v2.0/token";
  req.query = "";
  req.body = body;
  req.body_len = strlen(body);
  req.now_ms = NOW_S * 1000;
  mock_response resp;
  mock_response_init(&resp);
  mock_entra_config cfg = {.principals = &principals,
                           .key = issuer_key,
                           .authority = AUTH,
                           .token_lifetime_s = 3599};
  mock_entra_handle(&cfg, &req, &resp);
  reply r;
  memset(&r, 0, sizeof(r));
  r.status = resp.status;
  cJSON *j = resp.body.data ? cJSON_Parse(resp.body.data) : NULL;
  mock_response_free(&resp);
  if (j) {
    r.has_token = cJSON_IsString(cJSON_GetObjectItem(j, "access_token"));
    cJSON *e = cJSON_GetObjectItem(j, "error");
    cJSON *d = cJSON_GetObjectItem(j, "error_description");
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "error_codes"), 0);
    if (cJSON_IsString(e))
      snprintf(r.error, sizeof(r.error), "%s", e->valuestring);
    if (cJSON_IsString(d))
      snprintf(r.desc, sizeof(r.desc), "%s", d->valuestring);
    if (cJSON_IsNumber(c))
      r.code = c->valueint;
    cJSON_Delete(j);
  }
  return r;
}

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

static reply cert_post(const jwt_spec *s) {
  return post_token(CERT_CLIENT, make_jwt(s), JWT_BEARER);
}

static void expect_error(reply r, int status, const char *error, int code,
                         const char *text) {
  if (r.status != status || r.code != code || strstr(r.desc, text) == NULL)
    fprintf(stderr, "got %d %s %d: %s\n", r.status, r.error, r.code, r.desc);
  assert_int_equal(r.status, status);
  assert_string_equal(r.error, error);
  assert_int_equal(r.code, code);
  assert_non_null(strstr(r.desc, text));
  assert_false(r.has_token);
}

static void test_cert_assertion_rs256_x5t_issues_token(void **state) {
  (void)state;
  jwt_spec s = {0};
  reply r = cert_post(&s);
  assert_int_equal(r.status, 200);
  assert_true(r.has_token);
}

static void test_cert_assertion_ps256_x5t_s256_issues_token(void **state) {
  (void)state;
  jwt_spec s = {.alg = "PS256", .thumb = "x5t#S256"};
  reply r = cert_post(&s);
  assert_int_equal(r.status, 200);
  assert_true(r.has_token);
}

static void test_cert_assertion_padded_x5t_issues_token(void **state) {
  (void)state;
  jwt_spec s = {.thumb = "padded"}; /* MSAL Python pads the base64url */
  assert_int_equal(cert_post(&s).status, 200);
}

static void test_cert_assertion_expired_gives_700024(void **state) {
  (void)state;
  jwt_spec s = {.nbf = -1200, .exp = -600};
  expect_error(cert_post(&s), 401, "invalid_client", 700024,
               "Client assertion is not within its valid time range.");
}

static void test_cert_assertion_future_nbf_gives_700024(void **state) {
  (void)state;
  jwt_spec s = {.nbf = 600, .exp = 1200};
  expect_error(cert_post(&s), 401, "invalid_client", 700024,
               "not within its valid time range");
  jwt_spec skew = {.nbf = 200, .exp = 900}; /* within the 5-minute skew */
  assert_int_equal(cert_post(&skew).status, 200);
}

static void test_cert_assertion_no_exp_gives_50027(void **state) {
  (void)state;
  jwt_spec s = {.no_exp = true};
  expect_error(cert_post(&s), 400, "invalid_request", 50027, "'exp'");
}

static void test_cert_assertion_wrong_audience_gives_700212(void **state) {
  (void)state;
  jwt_spec s = {.aud = AUTH "/" T "/v2.0"};
  expect_error(cert_post(&s), 401, "invalid_client", 700212,
               "does not match the token endpoint");
}

static void test_cert_assertion_wrong_subject_gives_700021(void **state) {
  (void)state;
  jwt_spec s = {.sub = "someone-else"};
  expect_error(cert_post(&s), 401, "invalid_client", 700021,
               "doesn't match 'client_id' parameter");
}

static void test_cert_assertion_bad_signature_gives_700027(void **state) {
  (void)state;
  jwt_spec s = {.sign_with = wrong_key};
  expect_error(cert_post(&s), 401, "invalid_client", 700027,
               "Client assertion contains an invalid signature. [Reason - The "
               "provided signature value did not match");
  jwt_spec pss = {.alg = "PS256", .thumb = "x5t#S256", .sign_with = wrong_key};
  expect_error(cert_post(&pss), 401, "invalid_client", 700027,
               "invalid signature");
}

static void test_cert_assertion_tampered_payload_gives_700027(void **state) {
  (void)state;
  /* The signature of one assertion on the claims of another. */
  jwt_spec a = {.exp = 600}, b = {.exp = 900};
  char first[8192], spliced[8192];
  snprintf(first, sizeof(first), "%s", make_jwt(&a));
  const char *sig_b = strrchr(make_jwt(&b), '.');
  *strrchr(first, '.') = '\0';
  snprintf(spliced, sizeof(spliced), "%s%s", first, sig_b);
  expect_error(post_token(CERT_CLIENT, spliced, JWT_BEARER), 401,
               "invalid_client", 700027, "invalid signature");
}

static void test_cert_assertion_unknown_thumbprint_gives_700027(void **state) {
  (void)state;
  jwt_spec s = {.thumb = "unknown"};
  expect_error(cert_post(&s), 401, "invalid_client", 700027,
               "is not registered on application. [Reason - The key was not "
               "found., Thumbprint of key used by client: '0102030000");
}

static void test_cert_assertion_no_thumbprint_gives_50027(void **state) {
  (void)state;
  jwt_spec s = {.thumb = "none"};
  expect_error(cert_post(&s), 400, "invalid_request", 50027,
               "No certificate thumbprint specified in token header.");
}

static void test_cert_assertion_expired_certificate_gives_700027(void **state) {
  (void)state;
  jwt_spec s = {.iss = "expired-cert", .cert = expired_cert_pem};
  expect_error(post_token("expired-cert", make_jwt(&s), JWT_BEARER), 401,
               "invalid_client", 700027, "The key used is expired.");
}

static void test_cert_assertion_unsupported_alg_gives_5002738(void **state) {
  (void)state;
  /* {"alg":"HS256"}.{"iss":"x"}.c2ln */
  expect_error(post_token(CERT_CLIENT,
                          "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln",
                          JWT_BEARER),
               400, "invalid_request", 5002738, "'HS256' is not a supported");
}

static void test_cert_assertion_malformed_gives_50027(void **state) {
  (void)state;
  const char *bad[] = {"abc",
                       "a.b",
                       "a.b.c.d",
                       "!!!.eyJ9.c2ln",
                       "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
                       "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0."};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_error(post_token(CERT_CLIENT, bad[i], JWT_BEARER), 400,
                 "invalid_request", 50027,
                 "JWT token is invalid or malformed.");
}

static void test_assertion_type_missing_or_wrong_gives_400(void **state) {
  (void)state;
  jwt_spec s = {0};
  expect_error(post_token(CERT_CLIENT, make_jwt(&s), NULL), 400,
               "invalid_request", 900144, "'client_assertion_type'");
  expect_error(post_token(CERT_CLIENT, make_jwt(&s), "saml"), 400,
               "invalid_request", 50027, "is not supported");
}

static void
test_cert_assertion_for_principal_without_cert_gives_700027(void **state) {
  (void)state;
  jwt_spec s = {.iss = FED_CLIENT};
  expect_error(post_token(FED_CLIENT, make_jwt(&s), JWT_BEARER), 401,
               "invalid_client", 700027, "is not registered on application");
}

/* ---- Federated tokens. */

static reply fed_post(const char *client_id, const mock_jwt_key *key,
                      const char *iss, const char *sub, const char *aud,
                      int64_t nbf, int64_t exp) {
  msikv_buf tok;
  msikv_buf_init(&tok, 1 << 16);
  mock_federated_claims c = {.issuer = iss,
                             .subject = sub,
                             .audience = aud,
                             .iat = NOW_S + nbf,
                             .nbf = NOW_S + nbf,
                             .exp = NOW_S + exp};
  assert_int_equal(mock_federated_token_mint(key, &c, &tok), MSIKV_OK);
  reply r = post_token(client_id, tok.data, JWT_BEARER);
  msikv_buf_free(&tok);
  return r;
}

static void test_federated_token_default_workload_issues_token(void **state) {
  (void)state;
  mock_principals defaults;
  mock_principals_default(&defaults);
  const mock_principal *w =
      mock_principals_by_client_id(&defaults, MOCK_WORKLOAD_CLIENT_ID);
  assert_non_null(w);
  assert_int_equal(w->federated_count, 1);
  assert_string_equal(w->federated[0].issuer, MOCK_FEDERATED_ISSUER);
  assert_string_equal(w->federated[0].subject, MOCK_WORKLOAD_SUBJECT);
  assert_string_equal(w->federated[0].audience, MOCK_FEDERATED_AUDIENCE);
  msikv_buf tok;
  msikv_buf_init(&tok, 1 << 16);
  mock_federated_claims c = {.subject = MOCK_WORKLOAD_SUBJECT,
                             .iat = NOW_S,
                             .nbf = NOW_S,
                             .exp = NOW_S + 3600};
  assert_int_equal(mock_federated_token_mint(issuer_key, &c, &tok), MSIKV_OK);
  mock_assertion_error e;
  assert_true(
      mock_assertion_check(w, issuer_key, tok.data, TOKEN_URL, NOW_S, &e));
  msikv_buf_free(&tok);
}

static void
test_federated_token_matching_credential_issues_token(void **state) {
  (void)state;
  reply r = fed_post(FED_CLIENT, issuer_key, "https://token.actions.example",
                     "repo:x:ref", NULL, 0, 600);
  assert_int_equal(r.status, 200);
  assert_true(r.has_token);
  r = fed_post(FED_CLIENT, issuer_key, NULL, "sa:one", "api://custom", 0, 600);
  assert_int_equal(r.status, 200);
}

static void test_federated_token_unknown_issuer_gives_700211(void **state) {
  (void)state;
  expect_error(fed_post(FED_CLIENT, issuer_key, "https://evil.example",
                        "repo:x:ref", NULL, 0, 600),
               400, "invalid_request", 700211,
               "assertion issuer 'https://evil.example'");
}

static void test_federated_token_wrong_subject_gives_700213(void **state) {
  (void)state;
  expect_error(fed_post(FED_CLIENT, issuer_key, "https://token.actions.example",
                        "repo:x:REF", NULL, 0, 600),
               400, "invalid_request", 700213,
               "assertion subject 'repo:x:REF'");
}

static void test_federated_token_wrong_audience_gives_700212(void **state) {
  (void)state;
  expect_error(fed_post(FED_CLIENT, issuer_key, NULL, "sa:one",
                        MOCK_FEDERATED_AUDIENCE, 0, 600),
               400, "invalid_request", 700212,
               "assertion audience 'api://AzureADTokenExchange'");
}

static void test_federated_token_expired_gives_700024(void **state) {
  (void)state;
  expect_error(fed_post(FED_CLIENT, issuer_key, "https://token.actions.example",
                        "repo:x:ref", NULL, -3600, -1),
               401, "invalid_client", 700024, "not within its valid time");
}

static void test_federated_token_foreign_signature_gives_700027(void **state) {
  (void)state;
  expect_error(fed_post(FED_CLIENT, other_key, "https://token.actions.example",
                        "repo:x:ref", NULL, 0, 600),
               401, "invalid_client", 700027, "failed signature validation");
}

static void
test_federated_token_principal_without_credentials_gives_70021(void **state) {
  (void)state;
  expect_error(fed_post(CERT_CLIENT, issuer_key, NULL, "sa:one", NULL, 0, 600),
               400, "invalid_request", 70021,
               "No matching federated identity record found for presented "
               "assertion. Assertion Issuer: '" MOCK_FEDERATED_ISSUER
               "'. Assertion Subject: 'sa:one'. Assertion Audience: "
               "'api://AzureADTokenExchange'.");
}

/* ---- Seed parsing. */

static msikv_result seed(const char *json, mock_principals *out,
                         msikv_error *err) {
  cJSON *j = cJSON_Parse(json);
  assert_non_null(j);
  msikv_error_clear(err);
  msikv_result rc = mock_principals_from_json(NULL, j, out, err);
  cJSON_Delete(j);
  return rc;
}

static void test_seed_certificate_registers_thumbprints(void **state) {
  (void)state;
  const mock_principal *p =
      mock_principals_by_client_id(&principals, CERT_CLIENT);
  assert_non_null(p);
  assert_true(p->has_cert);
  assert_true(p->cert.spki_len > 100);
  assert_int_equal(p->cert.not_before_s, NOW_S - 86400);
  assert_int_equal(p->cert.not_after_s, NOW_S + 86400 * 365);
  const mock_principal *f =
      mock_principals_by_client_id(&principals, FED_CLIENT);
  assert_false(f->has_cert);
  assert_int_equal(f->federated_count, 2);
  assert_string_equal(f->federated[0].name, "ci");
  assert_string_equal(f->federated[0].audience, MOCK_FEDERATED_AUDIENCE);
  assert_string_equal(f->federated[1].name, "federated-1");
  assert_string_equal(f->federated[1].audience, "api://custom");
}

static void test_seed_bad_certificate_gives_config_error(void **state) {
  (void)state;
  mock_principals *p = malloc(sizeof(*p));
  msikv_error err;
  assert_int_equal(seed("[{\"type\":\"service_principal\",\"client_id\":\"a\","
                        "\"object_id\":\"b\",\"certificate\":\"nope\"}]",
                        p, &err),
                   MSIKV_ERR_CONFIG);
  assert_string_equal(err.message,
                      "seed: principals[0].certificate: no PEM certificate "
                      "(-----BEGIN CERTIFICATE-----) found");
  assert_int_equal(
      seed("[{\"type\":\"service_principal\",\"client_id\":\"a\","
           "\"object_id\":\"b\",\"certificate_file\":\"/nonexistent.pem\"}]",
           p, &err),
      MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "certificate_file /nonexistent.pem"));
  free(p);
}

static void
test_seed_bad_federated_credential_gives_config_error(void **state) {
  (void)state;
  mock_principals *p = malloc(sizeof(*p));
  msikv_error err;
  assert_int_equal(
      seed("[{\"type\":\"service_principal\",\"client_id\":\"a\","
           "\"object_id\":\"b\",\"federated_credentials\":[{\"issuer\":\"i\"}"
           "]}]",
           p, &err),
      MSIKV_ERR_CONFIG);
  assert_string_equal(err.message,
                      "seed: principals[0].federated_credentials[0].subject "
                      "must be a non-empty string of at most 255 characters");
  assert_int_equal(
      seed("[{\"type\":\"service_principal\",\"client_id\":\"a\","
           "\"object_id\":\"b\",\"federated_credentials\":[{\"issuer\":\"i\","
           "\"subject\":\"s\",\"audiences\":[\"x\",\"y\"]}]}]",
           p, &err),
      MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "audiences must be an array of one"));
  free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cert_assertion_rs256_x5t_issues_token),
      cmocka_unit_test(test_cert_assertion_ps256_x5t_s256_issues_token),
      cmocka_unit_test(test_cert_assertion_padded_x5t_issues_token),
      cmocka_unit_test(test_cert_assertion_expired_gives_700024),
      cmocka_unit_test(test_cert_assertion_future_nbf_gives_700024),
      cmocka_unit_test(test_cert_assertion_no_exp_gives_50027),
      cmocka_unit_test(test_cert_assertion_wrong_audience_gives_700212),
      cmocka_unit_test(test_cert_assertion_wrong_subject_gives_700021),
      cmocka_unit_test(test_cert_assertion_bad_signature_gives_700027),
      cmocka_unit_test(test_cert_assertion_tampered_payload_gives_700027),
      cmocka_unit_test(test_cert_assertion_unknown_thumbprint_gives_700027),
      cmocka_unit_test(test_cert_assertion_no_thumbprint_gives_50027),
      cmocka_unit_test(test_cert_assertion_expired_certificate_gives_700027),
      cmocka_unit_test(test_cert_assertion_unsupported_alg_gives_5002738),
      cmocka_unit_test(test_cert_assertion_malformed_gives_50027),
      cmocka_unit_test(test_assertion_type_missing_or_wrong_gives_400),
      cmocka_unit_test(
          test_cert_assertion_for_principal_without_cert_gives_700027),
      cmocka_unit_test(test_federated_token_default_workload_issues_token),
      cmocka_unit_test(test_federated_token_matching_credential_issues_token),
      cmocka_unit_test(test_federated_token_unknown_issuer_gives_700211),
      cmocka_unit_test(test_federated_token_wrong_subject_gives_700213),
      cmocka_unit_test(test_federated_token_wrong_audience_gives_700212),
      cmocka_unit_test(test_federated_token_expired_gives_700024),
      cmocka_unit_test(test_federated_token_foreign_signature_gives_700027),
      cmocka_unit_test(
          test_federated_token_principal_without_credentials_gives_70021),
      cmocka_unit_test(test_seed_certificate_registers_thumbprints),
      cmocka_unit_test(test_seed_bad_certificate_gives_config_error),
      cmocka_unit_test(test_seed_bad_federated_credential_gives_config_error),
  };
  return cmocka_run_group_tests_name("mock_assertion", tests, setup, teardown);
}
