/* SPDX-License-Identifier: MIT */
/* The client-certificate credential: the exact client assertion (decoded,
 * its signature verified with the certificate's public key), its reuse and
 * rebuild, x5c, encrypted keys and bad files. Certificates are generated
 * here with OpenSSL: no private key is committed. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "fake_clock.h"
#include "fake_transport.h"
#include "identity_internal.h"
#include "msikv/identity.h"
#include "msikv/url.h"
#include "oom.h"

#define T0_MS 1700000000000LL
#define T0 (T0_MS / 1000)
#define TOKEN_URL "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token"

/* Generated once for the whole group. */
static EVP_PKEY *g_ca_key, *g_leaf_key;
static X509 *g_ca, *g_leaf;
static char g_plain[512];     /* key + leaf */
static char g_chain[512];     /* key + leaf + CA */
static char g_encrypted[512]; /* encrypted key + leaf */
static char g_cert_only[512];
static char g_not_pem[512];
static char g_ec[512];

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                       EVP_PKEY *issuer_key, long serial) {
  X509 *c = X509_new();
  assert_non_null(c);
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 86400L * 365);
  X509_set_pubkey(c, key);
  X509_NAME *name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
  assert_true(X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
  return c;
}

static void tmp_path(char *out, size_t size, const char *name) {
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(out, size, "%s/%s", tmp ? tmp : "/tmp", name);
}

static void write_pem(const char *path, EVP_PKEY *key, const char *password,
                      X509 *c1, X509 *c2) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  if (key && password)
    assert_int_equal(PEM_write_PKCS8PrivateKey(f, key, EVP_aes_256_cbc(), NULL,
                                               0, NULL, (void *)password),
                     1);
  else if (key)
    assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL),
                     1);
  if (c1)
    assert_int_equal(PEM_write_X509(f, c1), 1);
  if (c2)
    assert_int_equal(PEM_write_X509(f, c2), 1);
  fclose(f);
}

/* An RSA key made by the openssl tool (a child process runs at native
 * speed under valgrind, where generating in-process takes minutes), else
 * in-process. */
static EVP_PKEY *rsa_key(const char *name) {
  char path[512], cmd[1200];
  tmp_path(path, sizeof(path), name);
  snprintf(cmd, sizeof(cmd),
           "/usr/bin/openssl genpkey -algorithm RSA -pkeyopt "
           "rsa_keygen_bits:2048 -out '%s' >/dev/null 2>&1",
           path);
  EVP_PKEY *key = NULL;
  if (system(cmd) == 0) {
    FILE *f = fopen(path, "r");
    if (f) {
      key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
      fclose(f);
    }
    remove(path);
  }
  return key ? key : EVP_RSA_gen(2048);
}

static int group_setup(void **state) {
  (void)state;
  g_ca_key = rsa_key("ca.key");
  g_leaf_key = rsa_key("leaf.key");
  if (!g_ca_key || !g_leaf_key)
    return -1;
  g_ca = make_cert(g_ca_key, "msikv test CA", NULL, NULL, 1);
  g_leaf = make_cert(g_leaf_key, "msikv test app", g_ca, g_ca_key, 2);
  tmp_path(g_plain, sizeof(g_plain), "plain.pem");
  write_pem(g_plain, g_leaf_key, NULL, g_leaf, NULL);
  tmp_path(g_chain, sizeof(g_chain), "chain.pem");
  /* The CA first: the leaf is found by its key, not its position. */
  write_pem(g_chain, g_leaf_key, NULL, g_ca, g_leaf);
  tmp_path(g_encrypted, sizeof(g_encrypted), "encrypted.pem");
  write_pem(g_encrypted, g_leaf_key, "pa55word", g_leaf, NULL);
  tmp_path(g_cert_only, sizeof(g_cert_only), "cert-only.pem");
  write_pem(g_cert_only, NULL, NULL, g_leaf, NULL);
  tmp_path(g_not_pem, sizeof(g_not_pem), "cert.pfx");
  FILE *f = fopen(g_not_pem, "w");
  fputs("\x30\x82 binary", f);
  fclose(f);
  EVP_PKEY *ec = EVP_EC_gen("P-256");
  X509 *ec_cert = make_cert(ec, "ec", NULL, NULL, 3);
  tmp_path(g_ec, sizeof(g_ec), "ec.pem");
  write_pem(g_ec, ec, NULL, ec_cert, NULL);
  X509_free(ec_cert);
  EVP_PKEY_free(ec);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  X509_free(g_ca);
  X509_free(g_leaf);
  EVP_PKEY_free(g_ca_key);
  EVP_PKEY_free(g_leaf_key);
  return 0;
}

typedef struct fixture {
  fake_transport ft;
  fake_clock fc;
  msikv_identity_options opts;
  msikv_credential *cred;
  const char *names[16];
  const char *values[16];
  int n;
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
  fixture *fx = test_calloc(1, sizeof(*fx));
  fake_transport_init(&fx->ft);
  fake_clock_init(&fx->fc, T0_MS);
  fx->opts = msikv_identity_options_default();
  fx->opts.transport = &fx->ft.transport;
  fx->opts.clock = &fx->fc.clock;
  fx->opts.getenv_fn = env_get;
  fx->opts.getenv_ctx = fx;
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  msikv_cred_free(fx->cred);
  fake_transport_free(&fx->ft);
  fake_clock_free(&fx->fc);
  test_free(fx);
  return 0;
}

static void push_token(fixture *fx, const char *token) {
  char body[256];
  snprintf(body, sizeof(body),
           "{\"token_type\":\"Bearer\",\"access_token\":\"%s\","
           "\"expires_in\":3599}",
           token);
  fake_transport_push(&fx->ft, 200, NULL, body);
}

static void get_ok(fixture *fx, const char *scope) {
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  msikv_error_clear(&err);
  if (msikv_cred_get_token(fx->cred, scope, NULL, &tok, &err))
    fail_msg("get_token: %s", err.message);
  msikv_token_clear(&tok);
}

/* Decodes base64url (test-side, independent of the library). */
static unsigned char *b64url_decode(const char *s, size_t len,
                                    size_t *out_len) {
  char *std = calloc(1, len + 4);
  assert_non_null(std);
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    std[n++] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
  while (n % 4)
    std[n++] = '=';
  unsigned char *out = malloc(n);
  int got = EVP_DecodeBlock(out, (unsigned char *)std, (int)n);
  assert_true(got >= 0);
  size_t pad = 0;
  for (size_t i = n; i > 0 && std[i - 1] == '='; i--)
    pad++;
  *out_len = (size_t)got - pad;
  free(std);
  return out;
}

static cJSON *decode_part(const char *s, size_t len) {
  size_t n;
  unsigned char *raw = b64url_decode(s, len, &n);
  cJSON *j = cJSON_ParseWithLength((const char *)raw, n);
  free(raw);
  assert_non_null(j);
  return j;
}

static void b64url_of_digest(X509 *c, const EVP_MD *md, char *out) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n;
  X509_digest(c, md, d, &n);
  msikv_buf b;
  msikv_buf_init(&b, 256);
  assert_int_equal(msikv__b64url_encode(&b, d, n), MSIKV_OK);
  snprintf(out, 64, "%s", b.data);
  msikv_buf_free(&b);
}

/* Gets form field @p name from request @p i, decoded (owned). */
static char *form_field(fixture *fx, size_t i, const char *name) {
  const fake_record *rec = fake_transport_request(&fx->ft, i);
  assert_non_null(rec->body);
  size_t nl = strlen(name);
  const char *p = rec->body;
  while (p && *p) {
    if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
      const char *v = p + nl + 1;
      size_t vl = strcspn(v, "&");
      msikv_buf out;
      msikv_buf_init(&out, 1 << 20);
      assert_int_equal(msikv_url_decode(&out, v, vl, true), MSIKV_OK);
      char *copy = strdup(out.data ? out.data : "");
      msikv_buf_free(&out);
      return copy;
    }
    p = strchr(p, '&');
    if (p)
      p++;
  }
  return NULL;
}

typedef struct decoded {
  cJSON *header;
  cJSON *payload;
} decoded;

/* Splits, decodes and verifies @p jwt with the leaf's public key. */
static decoded verify_jwt(const char *jwt, bool pss) {
  const char *d1 = strchr(jwt, '.');
  assert_non_null(d1);
  const char *d2 = strchr(d1 + 1, '.');
  assert_non_null(d2);
  assert_null(strchr(d2 + 1, '.'));
  decoded d;
  d.header = decode_part(jwt, (size_t)(d1 - jwt));
  d.payload = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
  size_t sig_len;
  unsigned char *sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sig_len);
  assert_int_equal(sig_len, 256);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  assert_int_equal(EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL,
                                        X509_get0_pubkey(g_leaf)),
                   1);
  if (pss) {
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING),
                     1);
    assert_int_equal(
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
  }
  assert_int_equal(EVP_DigestVerify(md, sig, sig_len,
                                    (const unsigned char *)jwt,
                                    (size_t)(d2 - jwt)),
                   1);
  /* Tampering breaks it. */
  sig[10] ^= 1;
  EVP_MD_CTX_free(md);
  md = EVP_MD_CTX_new();
  pctx = NULL;
  EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, X509_get0_pubkey(g_leaf));
  if (pss) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  assert_int_not_equal(EVP_DigestVerify(md, sig, sig_len,
                                        (const unsigned char *)jwt,
                                        (size_t)(d2 - jwt)),
                       1);
  EVP_MD_CTX_free(md);
  free(sig);
  return d;
}

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  assert_true(cJSON_IsString(v));
  return v->valuestring;
}

static double jnum(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  assert_true(cJSON_IsNumber(v));
  return v->valuedouble;
}

static void check_claims(const cJSON *p, int64_t now_s) {
  assert_string_equal(jstr(p, "aud"), TOKEN_URL);
  assert_string_equal(jstr(p, "iss"), "client-1");
  assert_string_equal(jstr(p, "sub"), "client-1");
  const char *jti = jstr(p, "jti");
  assert_int_equal(strlen(jti), 36);
  assert_int_equal(jti[14], '4'); /* UUID v4 */
  assert_int_equal(jti[8], '-');
  assert_true(jnum(p, "nbf") == (double)now_s);
  assert_true(jnum(p, "iat") == (double)now_s);
  assert_true(jnum(p, "exp") == (double)(now_s + 600));
  assert_int_equal(cJSON_GetArraySize(p), 7);
}

static void new_cert(fixture *fx, const char *path,
                     const msikv_client_certificate_options *co) {
  msikv_error err;
  if (msikv_cred_client_certificate_new(&fx->opts, "tenant-1", "client-1", path,
                                        co, &fx->cred, &err))
    fail_msg("create: %s", err.message);
}

static void test_cert_get_token_ps256_assertion_verifies(void **state) {
  fixture *fx = *state;
  new_cert(fx, g_plain, NULL);
  assert_string_equal(msikv_cred_name(fx->cred), "ClientCertificateCredential");
  push_token(fx, "tok-1");
  get_ok(fx, "https://vault.azure.net/.default");
  const fake_record *rec = fake_transport_request(&fx->ft, 0);
  assert_string_equal(rec->method, "POST");
  assert_string_equal(rec->url, TOKEN_URL);
  assert_string_equal(fake_record_header(rec, "Content-Type"),
                      "application/x-www-form-urlencoded");
  char *v = form_field(fx, 0, "grant_type");
  assert_string_equal(v, "client_credentials");
  free(v);
  v = form_field(fx, 0, "client_id");
  assert_string_equal(v, "client-1");
  free(v);
  v = form_field(fx, 0, "scope");
  assert_string_equal(v, "https://vault.azure.net/.default");
  free(v);
  v = form_field(fx, 0, "client_assertion_type");
  assert_string_equal(v, "urn:ietf:params:oauth:client-assertion-type:"
                         "jwt-bearer");
  free(v);
  assert_null(form_field(fx, 0, "client_secret"));
  char *jwt = form_field(fx, 0, "client_assertion");
  decoded d = verify_jwt(jwt, true);
  char want[64];
  b64url_of_digest(g_leaf, EVP_sha256(), want);
  assert_string_equal(jstr(d.header, "alg"), "PS256");
  assert_string_equal(jstr(d.header, "typ"), "JWT");
  assert_string_equal(jstr(d.header, "x5t#S256"), want);
  assert_int_equal(cJSON_GetArraySize(d.header), 3);
  check_claims(d.payload, T0);
  cJSON_Delete(d.header);
  cJSON_Delete(d.payload);
  free(jwt);
}

static void test_cert_rs256_option_uses_x5t(void **state) {
  fixture *fx = *state;
  msikv_client_certificate_options co = {NULL, false, true};
  new_cert(fx, g_plain, &co);
  push_token(fx, "tok-1");
  get_ok(fx, "https://vault.azure.net/.default");
  char *jwt = form_field(fx, 0, "client_assertion");
  decoded d = verify_jwt(jwt, false);
  char want[64];
  b64url_of_digest(g_leaf, EVP_sha1(), want);
  assert_string_equal(jstr(d.header, "alg"), "RS256");
  assert_string_equal(jstr(d.header, "x5t"), want);
  assert_int_equal(strlen(want), 27);
  assert_null(cJSON_GetObjectItem(d.header, "x5t#S256"));
  check_claims(d.payload, T0);
  cJSON_Delete(d.header);
  cJSON_Delete(d.payload);
  free(jwt);
}

static void test_cert_send_chain_adds_x5c_leaf_first(void **state) {
  fixture *fx = *state;
  msikv_client_certificate_options co = {NULL, true, false};
  new_cert(fx, g_chain, &co);
  push_token(fx, "tok-1");
  get_ok(fx, "https://vault.azure.net/.default");
  char *jwt = form_field(fx, 0, "client_assertion");
  decoded d = verify_jwt(jwt, true);
  const cJSON *x5c = cJSON_GetObjectItem(d.header, "x5c");
  assert_true(cJSON_IsArray(x5c));
  assert_int_equal(cJSON_GetArraySize(x5c), 2);
  X509 *want[2] = {g_leaf, g_ca};
  for (int i = 0; i < 2; i++) {
    const char *b64 = cJSON_GetArrayItem(x5c, i)->valuestring;
    unsigned char der[4096];
    int n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)strlen(b64));
    assert_true(n > 0);
    const unsigned char *p = der;
    X509 *c = d2i_X509(NULL, &p, n);
    assert_non_null(c);
    assert_int_equal(X509_cmp(c, want[i]), 0);
    X509_free(c);
  }
  cJSON_Delete(d.header);
  cJSON_Delete(d.payload);
  free(jwt);
}

static void
test_cert_assertion_reused_then_rebuilt_before_expiry(void **state) {
  fixture *fx = *state;
  new_cert(fx, g_plain, NULL);
  fx->ft.repeat_last = true;
  push_token(fx, "tok");
  get_ok(fx, "https://vault.azure.net/.default");
  fake_clock_advance(&fx->fc, 500 * 1000); /* 100 s left: reused */
  get_ok(fx, "https://storage.azure.com/.default");
  fake_clock_advance(&fx->fc, 41 * 1000); /* 59 s left: rebuilt */
  get_ok(fx, "https://management.azure.com/.default");
  char *a0 = form_field(fx, 0, "client_assertion");
  char *a1 = form_field(fx, 1, "client_assertion");
  char *a2 = form_field(fx, 2, "client_assertion");
  assert_string_equal(a0, a1);
  assert_string_not_equal(a1, a2);
  decoded d = verify_jwt(a2, true);
  check_claims(d.payload, T0 + 541);
  decoded d0 = verify_jwt(a0, true);
  assert_string_not_equal(jstr(d.payload, "jti"), jstr(d0.payload, "jti"));
  cJSON_Delete(d.header);
  cJSON_Delete(d.payload);
  cJSON_Delete(d0.header);
  cJSON_Delete(d0.payload);
  free(a0);
  free(a1);
  free(a2);
}

static void test_cert_token_cached_one_request(void **state) {
  fixture *fx = *state;
  new_cert(fx, g_plain, NULL);
  push_token(fx, "tok-1");
  get_ok(fx, "https://vault.azure.net/.default");
  get_ok(fx, "https://vault.azure.net/.default");
  assert_int_equal(fake_transport_count(&fx->ft), 1);
}

static void test_cert_encrypted_key_needs_password(void **state) {
  fixture *fx = *state;
  msikv_error err;
  msikv_client_certificate_options co = {"pa55word", false, false};
  new_cert(fx, g_encrypted, &co);
  push_token(fx, "tok-1");
  get_ok(fx, "https://vault.azure.net/.default");
  char *jwt = form_field(fx, 0, "client_assertion");
  decoded d = verify_jwt(jwt, true);
  cJSON_Delete(d.header);
  cJSON_Delete(d.payload);
  free(jwt);
  msikv_credential *c = NULL;
  assert_int_equal(msikv_cred_client_certificate_new(&fx->opts, "tenant-1",
                                                     "client-1", g_encrypted,
                                                     NULL, &c, &err),
                   MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "encrypted"));
  assert_non_null(strstr(err.message, "AZURE_CLIENT_CERTIFICATE_PASSWORD"));
  co.password = "wrong";
  assert_int_equal(msikv_cred_client_certificate_new(&fx->opts, "tenant-1",
                                                     "client-1", g_encrypted,
                                                     &co, &c, &err),
                   MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "cannot decrypt"));
  assert_null(strstr(err.message, "wrong"));
  assert_null(c);
}

static void test_cert_bad_files_config_errors(void **state) {
  fixture *fx = *state;
  struct {
    const char *path;
    msikv_result rc;
    const char *expect;
  } cases[] = {
      {"/nonexistent/cert.pem", MSIKV_ERR_CONFIG, "cannot open"},
      {g_not_pem, MSIKV_ERR_CONFIG, "is not PEM"},
      {g_cert_only, MSIKV_ERR_CONFIG, "holds no private key"},
      {g_ec, MSIKV_ERR_UNSUPPORTED, "not RSA"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    msikv_error err;
    msikv_credential *c = NULL;
    assert_int_equal(
        msikv_cred_client_certificate_new(&fx->opts, "tenant-1", "client-1",
                                          cases[i].path, NULL, &c, &err),
        cases[i].rc);
    assert_non_null(strstr(err.message, cases[i].expect));
    assert_non_null(strstr(err.message, "ClientCertificateCredential"));
    assert_null(c);
  }
  msikv_error err;
  msikv_credential *c = NULL;
  assert_int_equal(msikv_cred_client_certificate_new(&fx->opts, "bad/tenant",
                                                     "client-1", g_plain, NULL,
                                                     &c, &err),
                   MSIKV_ERR_ARG);
  assert_int_equal(msikv_cred_client_certificate_new(&fx->opts, "tenant-1", "",
                                                     g_plain, NULL, &c, &err),
                   MSIKV_ERR_ARG);
  fx->opts.authority_host = "http://login.example";
  assert_int_equal(msikv_cred_client_certificate_new(&fx->opts, "tenant-1",
                                                     "client-1", g_plain, NULL,
                                                     &c, &err),
                   MSIKV_ERR_INSECURE);
}

static void test_cert_aad_rejects_assertion_auth_with_hint(void **state) {
  fixture *fx = *state;
  new_cert(fx, g_plain, NULL);
  fake_transport_push(
      &fx->ft, 401, NULL,
      "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS700027: "
      "Client assertion contains an invalid signature.\\r\\nTrace ID: x\","
      "\"error_codes\":[700027]}");
  msikv_token tok = {NULL, 0, 0};
  msikv_error err;
  assert_int_equal(msikv_cred_get_token(fx->cred,
                                        "https://vault.azure.net/.default",
                                        NULL, &tok, &err),
                   MSIKV_ERR_AUTH);
  assert_int_equal(err.http_status, 401);
  assert_string_equal(err.code, "invalid_client");
  assert_string_equal(err.inner_code, "AADSTS700027");
  assert_non_null(strstr(err.message, "upload this certificate"));
  assert_non_null(strstr(err.message, "with the certificate"));
  assert_null(strstr(err.message, "eyJ"));
}

static void test_environment_certificate_selected_with_chain(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_CLIENT_CERTIFICATE_PATH", g_encrypted);
  env_set(fx, "AZURE_CLIENT_CERTIFICATE_PASSWORD", "pa55word");
  env_set(fx, "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "true");
  msikv_error err;
  if (msikv_cred_environment_new(&fx->opts, &fx->cred, &err))
    fail_msg("%s", err.message);
  assert_string_equal(msikv_cred_name(fx->cred), "EnvironmentCredential");
  push_token(fx, "tok-1");
  get_ok(fx, "https://vault.azure.net/.default");
  char *jwt = form_field(fx, 0, "client_assertion");
  decoded d = verify_jwt(jwt, true);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d.header, "x5c")), 1);
  check_claims(d.payload, T0);
  cJSON_Delete(d.header);
  cJSON_Delete(d.payload);
  free(jwt);
}

static void test_environment_bad_certificate_fails_creation(void **state) {
  fixture *fx = *state;
  env_set(fx, "AZURE_TENANT_ID", "tenant-1");
  env_set(fx, "AZURE_CLIENT_ID", "client-1");
  env_set(fx, "AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/c.pem");
  msikv_error err;
  assert_int_equal(msikv_cred_environment_new(&fx->opts, &fx->cred, &err),
                   MSIKV_ERR_CONFIG);
  assert_non_null(strstr(err.message, "EnvironmentCredential: "
                                      "ClientCertificateCredential"));
  assert_int_equal(msikv_cred_default_new(&fx->opts, &fx->cred, &err),
                   MSIKV_ERR_CONFIG);
  assert_null(fx->cred);
}

typedef struct worker {
  fixture *fx;
  int index;
  int failures;
} worker;

static void *fetch_thread(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 20; i++) {
    char scope[128];
    snprintf(scope, sizeof(scope), "https://res-%d.example/.default",
             (w->index + i) % 6);
    msikv_token tok = {NULL, 0, 0};
    if (msikv_cred_get_token(w->fx->cred, scope, NULL, &tok, NULL))
      w->failures++;
    msikv_token_clear(&tok);
  }
  return NULL;
}

/* Threads fetching different scopes share one assertion (built once under
 * the credential's lock) and one token per scope. */
static void test_cert_threads_share_assertion(void **state) {
  fixture *fx = *state;
  new_cert(fx, g_plain, NULL);
  fx->ft.repeat_last = true;
  push_token(fx, "tok");
  pthread_t t[8];
  worker w[8];
  for (int i = 0; i < 8; i++) {
    w[i] = (worker){fx, i, 0};
    assert_int_equal(pthread_create(&t[i], NULL, fetch_thread, &w[i]), 0);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(w[i].failures, 0);
  }
  assert_int_equal(fake_transport_count(&fx->ft), 6);
  char *a0 = form_field(fx, 0, "client_assertion");
  for (size_t i = 1; i < 6; i++) {
    char *ai = form_field(fx, i, "client_assertion");
    assert_string_equal(a0, ai);
    free(ai);
  }
  free(a0);
}

static msikv_result oom_create(void *ctx) {
  fixture *fx = ctx;
  msikv_credential *c = NULL;
  msikv_client_certificate_options co = {NULL, true, false};
  msikv_result rc = msikv_cred_client_certificate_new(
      &fx->opts, "tenant-1", "client-1", g_chain, &co, &c, NULL);
  msikv_cred_free(c);
  return rc;
}

static msikv_result oom_get(void *ctx) {
  fixture *fx = ctx;
  msikv_credential *c = NULL;
  msikv_client_certificate_options co = {NULL, true, false};
  msikv_result rc = msikv_cred_client_certificate_new(
      &fx->opts, "tenant-1", "client-1", g_chain, &co, &c, NULL);
  if (!rc) {
    msikv_token tok = {NULL, 0, 0};
    rc = msikv_cred_get_token(c, "https://vault.azure.net/.default", NULL, &tok,
                              NULL);
    msikv_token_clear(&tok);
  }
  msikv_cred_free(c);
  return rc;
}

static void test_cert_oom_sweep_no_leak(void **state) {
  fixture *fx = *state;
  assert_true(oom_sweep(oom_create, fx, false) > 5);
  fx->ft.repeat_last = true;
  push_token(fx, "tok");
  assert_true(oom_sweep(oom_get, fx, false) > 10);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_cert_get_token_ps256_assertion_verifies),
      T(test_cert_rs256_option_uses_x5t),
      T(test_cert_send_chain_adds_x5c_leaf_first),
      T(test_cert_assertion_reused_then_rebuilt_before_expiry),
      T(test_cert_token_cached_one_request),
      T(test_cert_threads_share_assertion),
      T(test_cert_encrypted_key_needs_password),
      T(test_cert_bad_files_config_errors),
      T(test_cert_aad_rejects_assertion_auth_with_hint),
      T(test_environment_certificate_selected_with_chain),
      T(test_environment_bad_certificate_fails_creation),
      T(test_cert_oom_sweep_no_leak),
  };
  return cmocka_run_group_tests_name("cred_certificate", tests, group_setup,
                                     group_teardown);
}
