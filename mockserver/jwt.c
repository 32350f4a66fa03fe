/* SPDX-License-Identifier: MIT */
#include "jwt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "msikv/alloc.h"
#include "files.h"

#define TOKEN_MAX 16384
#define CACHE_SLOTS 4096

struct mock_jwt_key {
  EVP_PKEY *pkey;
  char kid[48];
  char *n_b64;
  char *e_b64;
};

/* A verified token: its digest and the claims read from it, so a cache hit
 * skips the signature check and the JSON parsing. */
typedef struct cache_slot {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  bool used;
  mock_claims claims;
} cache_slot;

struct mock_jwt_verifier {
  const mock_jwt_key *key;
  char aud[256];
  char aud_slash[260];
  char iss[160];
  char tenant[64];
  pthread_mutex_t lock;
  cache_slot *slots;
  _Atomic uint64_t hits;
};

static const char B64URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

msikv_result mock_b64url_encode(msikv_buf *out, const void *data, size_t len) {
  const unsigned char *p = data;
  char quad[4];
  msikv_result rc = MSIKV_OK;
  size_t i = 0;
  for (; i + 3 <= len && !rc; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    quad[0] = B64URL[v >> 18];
    quad[1] = B64URL[(v >> 12) & 63];
    quad[2] = B64URL[(v >> 6) & 63];
    quad[3] = B64URL[v & 63];
    rc = msikv_buf_append(out, quad, 4);
  }
  if (!rc && len - i == 1) {
    uint32_t v = (uint32_t)p[i] << 16;
    quad[0] = B64URL[v >> 18];
    quad[1] = B64URL[(v >> 12) & 63];
    rc = msikv_buf_append(out, quad, 2);
  } else if (!rc && len - i == 2) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
    quad[0] = B64URL[v >> 18];
    quad[1] = B64URL[(v >> 12) & 63];
    quad[2] = B64URL[(v >> 6) & 63];
    rc = msikv_buf_append(out, quad, 3);
  }
  if (!rc && !out->data)
    rc = msikv_buf_append(out, "", 0);
  return rc;
}

static int b64val(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

msikv_result mock_b64url_decode(msikv_buf *out, const char *text, size_t len) {
  uint32_t acc = 0;
  int bits = 0;
  if (len % 4 == 1)
    return MSIKV_ERR_PARSE;
  /* Decode into one block, then append once (this is on every request). */
  unsigned char stack[2048];
  size_t cap = len / 4 * 3 + 3;
  unsigned char *bytes = cap <= sizeof(stack) ? stack : msikv_malloc(cap);
  size_t n = 0;
  msikv_result rc = MSIKV_OK;
  if (!bytes)
    return MSIKV_ERR_NOMEM;
  for (size_t i = 0; i < len && !rc; i++) {
    int v = b64val(text[i]);
    if (v < 0) {
      rc = MSIKV_ERR_PARSE;
      break;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[n++] = (unsigned char)(acc >> bits);
    }
  }
  /* Leftover bits must be zero (canonical encoding). */
  if (!rc && bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    rc = MSIKV_ERR_PARSE;
  if (!rc)
    rc = msikv_buf_append(out, bytes, n);
  if (bytes != stack)
    msikv_free(bytes);
  return rc;
}

static msikv_result bn_param_b64(EVP_PKEY *pkey, const char *name,
                                 char **out) {
  BIGNUM *bn = NULL;
  unsigned char *bin = NULL;
  msikv_buf b;
  msikv_buf_init(&b, 4096);
  msikv_result rc = MSIKV_ERR_NOMEM;
  if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
    goto out;
  int n = BN_num_bytes(bn);
  bin = msikv_malloc((size_t)n + 1);
  if (!bin)
    goto out;
  BN_bn2bin(bn, bin);
  rc = mock_b64url_encode(&b, bin, (size_t)n);
  if (!rc) {
    *out = msikv_buf_detach(&b);
    rc = *out ? MSIKV_OK : MSIKV_ERR_NOMEM;
  }
out:
  msikv_buf_free(&b);
  msikv_free(bin);
  BN_free(bn);
  return rc;
}

static msikv_result key_wrap(EVP_PKEY *pkey, mock_jwt_key **out_key,
                             msikv_error *out_err) {
  mock_jwt_key *k = msikv_calloc(1, sizeof(*k));
  unsigned char *der = NULL;
  msikv_buf kid;
  msikv_buf_init(&kid, 128);
  msikv_result rc = MSIKV_ERR_NOMEM;
  if (!k)
    goto out;
  k->pkey = pkey;
  pkey = NULL;
  rc = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_N, &k->n_b64);
  if (!rc)
    rc = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_E, &k->e_b64);
  if (rc)
    goto out;
  /* kid: base64url of the SHA-1 of the public key, as x5t looks. */
  int der_len = i2d_PUBKEY(k->pkey, &der);
  unsigned char sha[SHA_DIGEST_LENGTH];
  if (der_len <= 0 || !SHA1(der, (size_t)der_len, sha)) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  rc = mock_b64url_encode(&kid, sha, sizeof(sha));
  if (rc)
    goto out;
  snprintf(k->kid, sizeof(k->kid), "%s", kid.data);
  *out_key = k;
  k = NULL;
out:
  if (rc)
    msikv_error_set(out_err, rc, "signing key: cannot read the RSA key");
  OPENSSL_free(der);
  msikv_buf_free(&kid);
  EVP_PKEY_free(pkey);
  mock_jwt_key_free(k);
  return rc;
}

msikv_result mock_jwt_key_generate(int bits, mock_jwt_key **out_key,
                                   msikv_error *out_err) {
  EVP_PKEY *pkey = EVP_RSA_gen((unsigned)bits);
  if (!pkey)
    return msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                           "signing key: RSA key generation failed");
  return key_wrap(pkey, out_key, out_err);
}

static EVP_PKEY *pkey_from_pem(const char *pem, size_t len) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  if (!bio)
    return NULL;
  EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  return pkey;
}

msikv_result mock_jwt_key_load_or_create(const char *path,
                                         mock_jwt_key **out_key,
                                         msikv_error *out_err) {
  char *pem = NULL;
  size_t pem_len = 0;
  EVP_PKEY *pkey = NULL;
  msikv_result rc = mock_pem_read_file(path, &pem, &pem_len, out_err);
  if (rc == MSIKV_ERR_NOT_FOUND) {
    pkey = EVP_RSA_gen(2048);
    if (!pkey)
      return msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                             "signing key: RSA key generation failed");
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n = 0;
    if (!bio || !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
                                          NULL) ||
        (n = BIO_get_mem_data(bio, &data)) <= 0) {
      BIO_free(bio);
      EVP_PKEY_free(pkey);
      return msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                             "signing key: cannot encode the key");
    }
    bool won = false;
    rc = mock_pem_publish(path, data, (size_t)n, 0600, &won, out_err);
    BIO_free(bio);
    if (rc) {
      EVP_PKEY_free(pkey);
      return rc;
    }
    if (won)
      return key_wrap(pkey, out_key, out_err);
    /* Another process stored its key first: use that one. */
    EVP_PKEY_free(pkey);
    pkey = NULL;
    rc = mock_pem_read_file(path, &pem, &pem_len, out_err);
  }
  if (rc)
    return rc;
  pkey = pkey_from_pem(pem, pem_len);
  msikv_secure_zero(pem, pem_len);
  msikv_free(pem);
  if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
    EVP_PKEY_free(pkey);
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "signing key: %s is not an RSA private key in PEM; "
                           "delete it and the mock makes a new one",
                           path);
  }
  return key_wrap(pkey, out_key, out_err);
}

void mock_jwt_key_free(mock_jwt_key *key) {
  if (!key)
    return;
  EVP_PKEY_free(key->pkey);
  msikv_free(key->n_b64);
  msikv_free(key->e_b64);
  msikv_free(key);
}

const char *mock_jwt_key_kid(const mock_jwt_key *key) { return key->kid; }

EVP_PKEY *mock_jwt_key_pkey(const mock_jwt_key *key) { return key->pkey; }

msikv_result mock_jwt_key_add_jwk(const mock_jwt_key *key, cJSON *keys) {
  cJSON *jwk = cJSON_CreateObject();
  if (!jwk || !cJSON_AddStringToObject(jwk, "kty", "RSA") ||
      !cJSON_AddStringToObject(jwk, "use", "sig") ||
      !cJSON_AddStringToObject(jwk, "kid", key->kid) ||
      !cJSON_AddStringToObject(jwk, "x5t", key->kid) ||
      !cJSON_AddStringToObject(jwk, "n", key->n_b64) ||
      !cJSON_AddStringToObject(jwk, "e", key->e_b64) ||
      !cJSON_AddStringToObject(jwk, "alg", "RS256")) {
    cJSON_Delete(jwk);
    return MSIKV_ERR_NOMEM;
  }
  cJSON_AddItemToArray(keys, jwk);
  return MSIKV_OK;
}

static msikv_result append_b64_json(msikv_buf *out, const cJSON *json) {
  char *text = cJSON_PrintUnformatted(json);
  if (!text)
    return MSIKV_ERR_NOMEM;
  msikv_result rc = mock_b64url_encode(out, text, strlen(text));
  cJSON_free(text);
  return rc;
}

msikv_result mock_jwt_issue(const mock_jwt_key *key,
                            const mock_jwt_claims *c, msikv_buf *out) {
  cJSON *hdr = cJSON_CreateObject();
  cJSON *pl = cJSON_CreateObject();
  EVP_MD_CTX *md = NULL;
  unsigned char sig[1024];
  size_t sig_len = sizeof(sig);
  char iss[160];
  unsigned char uti_raw[16];
  msikv_buf uti;
  msikv_buf_init(&uti, 64);
  msikv_result rc = MSIKV_ERR_NOMEM;
  snprintf(iss, sizeof(iss), "https://sts.windows.net/%s/", c->tid);
  if (!hdr || !pl || RAND_bytes(uti_raw, sizeof(uti_raw)) != 1 ||
      mock_b64url_encode(&uti, uti_raw, sizeof(uti_raw)))
    goto out;
  if (!cJSON_AddStringToObject(hdr, "typ", "JWT") ||
      !cJSON_AddStringToObject(hdr, "alg", "RS256") ||
      !cJSON_AddStringToObject(hdr, "x5t", key->kid) ||
      !cJSON_AddStringToObject(hdr, "kid", key->kid))
    goto out;
  if (!cJSON_AddStringToObject(pl, "aud", c->aud) ||
      !cJSON_AddStringToObject(pl, "iss", iss) ||
      !cJSON_AddNumberToObject(pl, "iat", (double)c->iat) ||
      !cJSON_AddNumberToObject(pl, "nbf", (double)c->nbf) ||
      !cJSON_AddNumberToObject(pl, "exp", (double)c->exp) ||
      !cJSON_AddStringToObject(pl, "appid", c->appid) ||
      !cJSON_AddStringToObject(pl, "appidacr", "1") ||
      !cJSON_AddStringToObject(pl, "idp", iss) ||
      !cJSON_AddStringToObject(pl, "idtyp", "app") ||
      !cJSON_AddStringToObject(pl, "oid", c->oid) ||
      !cJSON_AddStringToObject(pl, "sub", c->oid) ||
      !cJSON_AddStringToObject(pl, "tid", c->tid) ||
      !cJSON_AddStringToObject(pl, "uti", uti.data) ||
      !cJSON_AddStringToObject(pl, "ver", "1.0"))
    goto out;
  if (c->mirid && c->mirid[0] &&
      !cJSON_AddStringToObject(pl, "xms_mirid", c->mirid))
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
      EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
      EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)out->data,
                     out->len) != 1)
    goto out;
  rc = msikv_buf_append(out, ".", 1);
  if (!rc)
    rc = mock_b64url_encode(out, sig, sig_len);
out:
  EVP_MD_CTX_free(md);
  msikv_buf_free(&uti);
  cJSON_Delete(hdr);
  cJSON_Delete(pl);
  return rc;
}

msikv_result mock_jwt_mint(const mock_jwt_key *key, const char *tenant_id,
                           const mock_principal *who, const char *aud,
                           int64_t now_s, int64_t lifetime_s, msikv_buf *out) {
  mock_jwt_claims c = {
      .aud = aud,
      .tid = tenant_id,
      .oid = who->object_id,
      .appid = who->client_id,
      .mirid = who->kind == MOCK_PRINCIPAL_MANAGED_IDENTITY
                   ? who->resource_id
                   : NULL,
      .iat = now_s,
      .nbf = now_s,
      .exp = now_s + lifetime_s,
  };
  return mock_jwt_issue(key, &c, out);
}

msikv_result mock_jwt_verifier_new(const mock_jwt_key *key,
                                   const char *audience, const char *tenant_id,
                                   mock_jwt_verifier **out_verifier) {
  mock_jwt_verifier *v = msikv_calloc(1, sizeof(*v));
  if (!v)
    return MSIKV_ERR_NOMEM;
  v->slots = msikv_calloc(CACHE_SLOTS, sizeof(cache_slot));
  if (!v->slots) {
    msikv_free(v);
    return MSIKV_ERR_NOMEM;
  }
  v->key = key;
  snprintf(v->aud, sizeof(v->aud), "%s", audience);
  snprintf(v->aud_slash, sizeof(v->aud_slash), "%s/", audience);
  snprintf(v->iss, sizeof(v->iss), "https://sts.windows.net/%s/", tenant_id);
  snprintf(v->tenant, sizeof(v->tenant), "%s", tenant_id);
  pthread_mutex_init(&v->lock, NULL);
  atomic_init(&v->hits, 0);
  *out_verifier = v;
  return MSIKV_OK;
}

void mock_jwt_verifier_free(mock_jwt_verifier *v) {
  if (!v)
    return;
  pthread_mutex_destroy(&v->lock);
  msikv_free(v->slots);
  msikv_free(v);
}

uint64_t mock_jwt_verifier_cache_hits(mock_jwt_verifier *v) {
  return atomic_load(&v->hits);
}

static bool copy_claim(const cJSON *pl, const char *name, char *out,
                       size_t size) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(pl, name);
  if (!cJSON_IsString(it) || strlen(it->valuestring) >= size)
    return false;
  snprintf(out, size, "%s", it->valuestring);
  return true;
}

static bool num_claim(const cJSON *pl, const char *name, int64_t *out) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(pl, name);
  if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 4e12)
    return false;
  *out = (int64_t)it->valuedouble;
  return true;
}

static size_t slot_of(const unsigned char *digest) {
  return ((size_t)digest[0] << 8 | digest[1]) % CACHE_SLOTS;
}

static bool cache_lookup(mock_jwt_verifier *v, const unsigned char *digest,
                         mock_claims *out_claims) {
  size_t slot = slot_of(digest);
  pthread_mutex_lock(&v->lock);
  bool hit = v->slots[slot].used &&
             memcmp(v->slots[slot].digest, digest, SHA256_DIGEST_LENGTH) == 0;
  if (hit)
    *out_claims = v->slots[slot].claims;
  pthread_mutex_unlock(&v->lock);
  if (hit)
    atomic_fetch_add(&v->hits, 1);
  return hit;
}

static void cache_store(mock_jwt_verifier *v, const unsigned char *digest,
                        const mock_claims *claims) {
  size_t slot = slot_of(digest);
  pthread_mutex_lock(&v->lock);
  memcpy(v->slots[slot].digest, digest, SHA256_DIGEST_LENGTH);
  v->slots[slot].claims = *claims;
  v->slots[slot].used = true;
  pthread_mutex_unlock(&v->lock);
}

static bool signature_valid(mock_jwt_verifier *v, const char *token,
                            size_t signed_len, const char *sig_b64,
                            size_t sig_len) {
  msikv_buf sig;
  msikv_buf_init(&sig, 2048);
  bool ok = false;
  EVP_MD_CTX *md = NULL;
  if (mock_b64url_decode(&sig, sig_b64, sig_len) == MSIKV_OK && sig.len > 0) {
    md = EVP_MD_CTX_new();
    ok = md &&
         EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, v->key->pkey) ==
             1 &&
         EVP_DigestVerify(md, (const unsigned char *)sig.data, sig.len,
                          (const unsigned char *)token, signed_len) == 1;
  }
  EVP_MD_CTX_free(md);
  msikv_buf_free(&sig);
  return ok;
}

static cJSON *decode_json(const char *text, size_t len) {
  msikv_buf b;
  msikv_buf_init(&b, TOKEN_MAX);
  cJSON *json = NULL;
  if (mock_b64url_decode(&b, text, len) == MSIKV_OK)
    json = cJSON_ParseWithLength(b.data, b.len);
  msikv_buf_free(&b);
  if (json && !cJSON_IsObject(json)) {
    cJSON_Delete(json);
    json = NULL;
  }
  return json;
}

mock_token_status mock_jwt_verify(void *ctx, const char *token, int64_t now_s,
                                  mock_claims *out_claims) {
  mock_jwt_verifier *v = ctx;
  mock_claims claims;
  memset(&claims, 0, sizeof(claims));
  cJSON *hdr = NULL;
  cJSON *pl = NULL;
  mock_token_status st = MOCK_TOKEN_MALFORMED;
  size_t len = token ? strnlen(token, TOKEN_MAX + 1) : 0;
  if (len == 0 || len > TOKEN_MAX)
    goto out;
  const char *dot1 = memchr(token, '.', len);
  const char *dot2 =
      dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
  if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
    goto out;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)token, len, digest);
  if (cache_lookup(v, digest, &claims)) {
    if (out_claims)
      *out_claims = claims;
    goto check;
  }
  hdr = decode_json(token, (size_t)(dot1 - token));
  pl = decode_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
  if (!hdr || !pl)
    goto out;
  bool shaped = copy_claim(pl, "aud", claims.aud, sizeof(claims.aud)) &&
                copy_claim(pl, "iss", claims.iss, sizeof(claims.iss)) &&
                copy_claim(pl, "tid", claims.tid, sizeof(claims.tid)) &&
                copy_claim(pl, "oid", claims.oid, sizeof(claims.oid)) &&
                num_claim(pl, "exp", &claims.exp);
  /* appid, iat and nbf are optional in the JWT sense. */
  (void)copy_claim(pl, "appid", claims.appid, sizeof(claims.appid));
  (void)num_claim(pl, "iat", &claims.iat);
  if (!num_claim(pl, "nbf", &claims.nbf))
    claims.nbf = 0;
  if (out_claims)
    *out_claims = claims;
  if (!shaped)
    goto out;
  const cJSON *alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
  if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "RS256") != 0 ||
      !signature_valid(v, token, (size_t)(dot2 - token), dot2 + 1,
                       len - (size_t)(dot2 + 1 - token))) {
    st = MOCK_TOKEN_BAD_SIGNATURE;
    goto out;
  }
  cache_store(v, digest, &claims);
check:
  if (strcmp(claims.aud, v->aud) != 0 && strcmp(claims.aud, v->aud_slash) != 0)
    st = MOCK_TOKEN_WRONG_AUDIENCE;
  else if (strcmp(claims.iss, v->iss) != 0 || strcmp(claims.tid, v->tenant))
    st = MOCK_TOKEN_WRONG_ISSUER;
  else if (now_s >= claims.exp)
    st = MOCK_TOKEN_EXPIRED;
  else if (now_s < claims.nbf)
    st = MOCK_TOKEN_NOT_YET_VALID;
  else
    st = MOCK_TOKEN_OK;
out:
  cJSON_Delete(hdr);
  cJSON_Delete(pl);
  return st;
}
