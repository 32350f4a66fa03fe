/* SPDX-License-Identifier: MIT */
/* Client assertions: a certificate's key loaded from PEM, and the signed JWT
 * (PS256 with x5t#S256, or RS256 with x5t) that Entra ID accepts in place of
 * a client secret. OpenSSL libcrypto does the cryptography. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "identity_internal.h"
#include "json_internal.h"
#include "msikv/alloc.h"

/* A PEM with a key and a chain is a few KiB; refuse anything huge. */
#define MAX_PEM_BYTES (1 << 20)
#define MAX_CHAIN 16

struct msikv__cert_key {
  EVP_PKEY *key;
  X509 *certs[MAX_CHAIN]; /* The leaf first. */
  size_t cert_count;
  char x5t[32];      /* base64url(SHA-1): 27 characters. */
  char x5t_s256[48]; /* base64url(SHA-256): 43 characters. */
};

msikv_result msikv__b64url_encode(msikv_buf *out, const void *data,
                                  size_t len) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const unsigned char *p = data;
  char quad[4];
  msikv_result rc = MSIKV_OK;
  size_t i = 0;
  for (; i + 3 <= len && !rc; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    quad[0] = abc[v >> 18];
    quad[1] = abc[(v >> 12) & 63];
    quad[2] = abc[(v >> 6) & 63];
    quad[3] = abc[v & 63];
    rc = msikv_buf_append(out, quad, 4);
  }
  if (!rc && len - i == 1) {
    uint32_t v = (uint32_t)p[i] << 16;
    quad[0] = abc[v >> 18];
    quad[1] = abc[(v >> 12) & 63];
    rc = msikv_buf_append(out, quad, 2);
  } else if (!rc && len - i == 2) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
    quad[0] = abc[v >> 18];
    quad[1] = abc[(v >> 12) & 63];
    quad[2] = abc[(v >> 6) & 63];
    rc = msikv_buf_append(out, quad, 3);
  }
  if (!rc && !out->data)
    rc = msikv_buf_append(out, "", 0);
  return rc;
}

void msikv__cert_key_free(msikv__cert_key *ck) {
  if (!ck)
    return;
  EVP_PKEY_free(ck->key);
  for (size_t i = 0; i < ck->cert_count; i++)
    X509_free(ck->certs[i]);
  msikv_free(ck);
}

const char *msikv__cert_key_x5t(const msikv__cert_key *ck) {
  return ck->x5t;
}

const char *msikv__cert_key_x5t_s256(const msikv__cert_key *ck) {
  return ck->x5t_s256;
}

/* Never prompt on a terminal: no password means "cannot decrypt". */
static int password_cb(char *buf, int size, int rwflag, void *u) {
  (void)rwflag;
  const char *pw = u ? *(const char **)u : NULL;
  if (!pw)
    return -1;
  size_t n = strlen(pw);
  if (n > (size_t)size)
    return -1;
  memcpy(buf, pw, n);
  return (int)n;
}

static msikv_result read_file(const char *path, msikv_buf *out,
                              msikv_error *out_err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "cannot open the certificate file \"%.300s\": %s",
                           path, strerror(errno));
  msikv_result rc = MSIKV_OK;
  char chunk[4096];
  size_t n;
  while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    rc = msikv_buf_append(out, chunk, n);
  msikv_secure_zero(chunk, sizeof(chunk));
  bool failed = ferror(f) != 0;
  fclose(f);
  if (rc == MSIKV_ERR_TOO_LARGE)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "the certificate file \"%.300s\" is larger than "
                           "%d bytes: is it really a PEM certificate?",
                           path, MAX_PEM_BYTES);
  if (rc)
    return msikv_error_set(out_err, rc, "out of memory reading a certificate");
  if (failed || !out->data)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "cannot read the certificate file \"%.300s\"%s",
                           path, failed ? "" : ": it is empty");
  return MSIKV_OK;
}

static msikv_result thumbprint(X509 *cert, const EVP_MD *md, char *out,
                               size_t out_size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, md, digest, &len) != 1)
    return MSIKV_ERR_NOMEM;
  msikv_buf b;
  msikv_buf_init(&b, 128);
  msikv_result rc = msikv__b64url_encode(&b, digest, len);
  if (!rc)
    snprintf(out, out_size, "%s", b.data);
  msikv_buf_free(&b);
  return rc;
}

msikv_result msikv__cert_key_load(const char *path, const char *password,
                                  msikv__cert_key **out, msikv_error *out_err) {
  msikv_buf pem;
  msikv_buf_init_secret(&pem, MAX_PEM_BYTES);
  BIO *bio = NULL;
  X509 *found[MAX_CHAIN];
  size_t found_count = 0;
  msikv__cert_key *ck = NULL;
  msikv_result rc = read_file(path, &pem, out_err);
  if (rc)
    goto out;
  if (!strstr(pem.data, "-----BEGIN ")) {
    rc = msikv_error_set(
        out_err, MSIKV_ERR_CONFIG,
        "the certificate file \"%.300s\" is not PEM; it must hold the private "
        "key and the certificate in PEM (convert a .pfx with `openssl pkcs12 "
        "-in cert.pfx -out cert.pem -nodes`)",
        path);
    goto out;
  }
  ck = msikv_calloc(1, sizeof(*ck));
  if (!ck) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto out;
  }
  bio = BIO_new_mem_buf(pem.data, (int)pem.len);
  if (!bio) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto out;
  }
  const char *pw = password;
  ck->key = PEM_read_bio_PrivateKey(bio, NULL, password_cb, &pw);
  unsigned long ossl_err = ERR_peek_last_error();
  ERR_clear_error();
  if (!ck->key) {
    bool encrypted = strstr(pem.data, "ENCRYPTED") != NULL;
    int reason = ERR_GET_REASON(ossl_err);
    if (encrypted && !password)
      rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "the private key in \"%.300s\" is encrypted: set "
                           "AZURE_CLIENT_CERTIFICATE_PASSWORD",
                           path);
    else if (encrypted)
      rc = msikv_error_set(
          out_err, MSIKV_ERR_CONFIG,
          "cannot decrypt the private key in \"%.300s\": "
          "check AZURE_CLIENT_CERTIFICATE_PASSWORD (%s)",
          path, reason ? ERR_reason_error_string(ossl_err) : "bad decrypt");
    else
      rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "the file \"%.300s\" holds no private key: it "
                           "must contain the key (\"-----BEGIN PRIVATE "
                           "KEY-----\") and the certificate",
                           path);
    goto out;
  }
  if (EVP_PKEY_get_base_id(ck->key) != EVP_PKEY_RSA) {
    rc = msikv_error_set(out_err, MSIKV_ERR_UNSUPPORTED,
                         "the private key in \"%.300s\" is not RSA; client "
                         "assertions are signed PS256/RS256, which need an "
                         "RSA key",
                         path);
    goto out;
  }
  BIO_free(bio);
  bio = BIO_new_mem_buf(pem.data, (int)pem.len);
  if (!bio) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM, "out of memory");
    goto out;
  }
  X509 *cert;
  while (found_count < MAX_CHAIN &&
         (cert = PEM_read_bio_X509(bio, NULL, password_cb, NULL)) != NULL)
    found[found_count++] = cert;
  ERR_clear_error();
  /* The leaf is the certificate whose public key matches the key. */
  size_t leaf = found_count;
  for (size_t i = 0; i < found_count && leaf == found_count; i++) {
    if (X509_check_private_key(found[i], ck->key) == 1)
      leaf = i;
  }
  ERR_clear_error();
  if (leaf == found_count) {
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         found_count
                             ? "no certificate in \"%.300s\" matches its "
                               "private key"
                             : "the file \"%.300s\" holds no certificate: it "
                               "must contain the certificate (\"-----BEGIN "
                               "CERTIFICATE-----\") after the key",
                         path);
    goto out;
  }
  ck->certs[ck->cert_count++] = found[leaf];
  for (size_t i = 0; i < found_count; i++) {
    if (i != leaf)
      ck->certs[ck->cert_count++] = found[i];
  }
  found_count = 0;
  if (thumbprint(ck->certs[0], EVP_sha1(), ck->x5t, sizeof(ck->x5t)) ||
      thumbprint(ck->certs[0], EVP_sha256(), ck->x5t_s256,
                 sizeof(ck->x5t_s256))) {
    rc = msikv_error_set(out_err, MSIKV_ERR_NOMEM,
                         "out of memory hashing the certificate");
    goto out;
  }
  *out = ck;
  ck = NULL;
out:
  for (size_t i = 0; i < found_count; i++)
    X509_free(found[i]);
  BIO_free(bio);
  msikv__cert_key_free(ck);
  msikv_buf_free(&pem);
  return rc;
}

/* A random version-4 UUID. */
static msikv_result uuid4(char out[37]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof(b)) != 1)
    return MSIKV_ERR_NOMEM;
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, 37,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
           "%02x%02x%02x%02x%02x%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
           b[11], b[12], b[13], b[14], b[15]);
  return MSIKV_OK;
}

/* The x5c array: each certificate's DER in standard base64. */
static bool add_x5c(cJSON *header, const msikv__cert_key *ck) {
  cJSON *arr = cJSON_AddArrayToObject(header, "x5c");
  if (!arr)
    return false;
  for (size_t i = 0; i < ck->cert_count; i++) {
    unsigned char *der = NULL;
    int len = i2d_X509(ck->certs[i], &der);
    if (len <= 0)
      return false;
    size_t b64_len = 4 * (((size_t)len + 2) / 3) + 1;
    char *b64 = msikv_malloc(b64_len);
    bool ok = b64 != NULL;
    if (ok)
      EVP_EncodeBlock((unsigned char *)b64, der, len);
    OPENSSL_free(der);
    cJSON *item = ok ? cJSON_CreateString(b64) : NULL;
    msikv_free(b64);
    if (!item || !cJSON_AddItemToArray(arr, item)) {
      cJSON_Delete(item);
      return false;
    }
  }
  return true;
}

/* Appends base64url(JSON of @p obj). */
static msikv_result append_json_b64(msikv_buf *out, const cJSON *obj) {
  char *text = cJSON_PrintUnformatted(obj);
  if (!text)
    return MSIKV_ERR_NOMEM;
  msikv_result rc = msikv__b64url_encode(out, text, strlen(text));
  cJSON_free(text);
  return rc;
}

static msikv_result sign(const msikv__cert_key *ck, bool rs256,
                         const char *data, size_t len, msikv_buf *out) {
  msikv_result rc = MSIKV_ERR_NOMEM;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  unsigned char *sig = NULL;
  size_t sig_len = 0;
  if (!md || EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, ck->key) != 1)
    goto out;
  if (!rs256 &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    goto out;
  if (EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)data, len) != 1)
    goto out;
  sig = msikv_malloc(sig_len);
  if (!sig ||
      EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)data, len) != 1)
    goto out;
  rc = msikv__b64url_encode(out, sig, sig_len);
out:
  ERR_clear_error();
  msikv_free(sig);
  EVP_MD_CTX_free(md);
  return rc;
}

msikv_result msikv__jwt_assertion_build(const msikv__cert_key *ck,
                                        const char *token_url,
                                        const char *client_id, int64_t now_s,
                                        bool rs256, bool send_x5c,
                                        char **out_jwt, msikv_error *out_err) {
  msikv_buf jwt;
  msikv_buf_init_secret(&jwt, 256 * 1024);
  cJSON *header = cJSON_CreateObject();
  cJSON *payload = cJSON_CreateObject();
  char jti[37];
  msikv_result rc = MSIKV_ERR_NOMEM;
  if (!ck || !token_url || !client_id)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "client assertion: missing argument");
  if (!header || !payload || uuid4(jti))
    goto out;
  bool ok = cJSON_AddStringToObject(header, "alg", rs256 ? "RS256" : "PS256") &&
            cJSON_AddStringToObject(header, "typ", "JWT") &&
            cJSON_AddStringToObject(header, rs256 ? "x5t" : "x5t#S256",
                                    rs256 ? ck->x5t : ck->x5t_s256) &&
            (!send_x5c || add_x5c(header, ck)) &&
            cJSON_AddStringToObject(payload, "aud", token_url) &&
            cJSON_AddStringToObject(payload, "iss", client_id) &&
            cJSON_AddStringToObject(payload, "sub", client_id) &&
            cJSON_AddStringToObject(payload, "jti", jti) &&
            cJSON_AddNumberToObject(payload, "iat", (double)now_s) &&
            cJSON_AddNumberToObject(payload, "nbf", (double)now_s) &&
            cJSON_AddNumberToObject(
                payload, "exp", (double)(now_s + MSIKV__ASSERTION_LIFETIME_S));
  if (!ok)
    goto out;
  rc = append_json_b64(&jwt, header);
  if (!rc)
    rc = msikv_buf_append(&jwt, ".", 1);
  if (!rc)
    rc = append_json_b64(&jwt, payload);
  if (!rc) {
    size_t signed_len = jwt.len;
    rc = msikv_buf_append(&jwt, ".", 1);
    if (!rc)
      rc = sign(ck, rs256, jwt.data, signed_len, &jwt);
  }
  if (!rc) {
    char *text = msikv_buf_detach(&jwt);
    if (!text)
      rc = MSIKV_ERR_NOMEM;
    else
      *out_jwt = text;
  }
out:
  cJSON_Delete(header);
  cJSON_Delete(payload);
  msikv_buf_free(&jwt);
  if (rc)
    return msikv_error_set(
        out_err,
        rc == MSIKV_ERR_TOO_LARGE ? MSIKV_ERR_TOO_LARGE : MSIKV_ERR_NOMEM,
        "cannot build the client assertion (%s)", msikv_result_str(rc));
  return MSIKV_OK;
}
