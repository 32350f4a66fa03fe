/* SPDX-License-Identifier: MIT */
#include "tls.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "files.h"
#include "msikv/alloc.h"
#include "msikv/buffer.h"

static char *bio_to_string(BIO *bio) {
  char *data = NULL;
  long n = BIO_get_mem_data(bio, &data);
  if (n < 0)
    return NULL;
  return msikv_strndup(data, (size_t)n);
}

static char *key_to_pem(EVP_PKEY *pkey) {
  BIO *bio = BIO_new(BIO_s_mem());
  char *s = NULL;
  if (bio && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL))
    s = bio_to_string(bio);
  BIO_free(bio);
  return s;
}

static char *cert_to_pem(X509 *cert) {
  BIO *bio = BIO_new(BIO_s_mem());
  char *s = NULL;
  if (bio && PEM_write_bio_X509(bio, cert))
    s = bio_to_string(bio);
  BIO_free(bio);
  return s;
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (!ext)
    return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

/* Makes a certificate for @p pkey, signed by @p ca_key (self-signed when
 * @p ca is NULL). */
static X509 *make_cert(EVP_PKEY *pkey, const char *cn, X509 *ca,
                       EVP_PKEY *ca_key, long days, const char *san) {
  X509 *cert = X509_new();
  unsigned char serial[16];
  BIGNUM *bn = NULL;
  bool ok = cert && RAND_bytes(serial, sizeof(serial)) == 1;
  if (ok) {
    serial[0] &= 0x7f;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) &&
         X509_set_version(cert, 2) &&
         X509_gmtime_adj(X509_getm_notBefore(cert), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(cert), days * 86400L) &&
         X509_set_pubkey(cert, pkey);
  }
  X509_NAME *name = ok ? X509_get_subject_name(cert) : NULL;
  ok = ok && name &&
       X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                  (const unsigned char *)"msikv mock", -1, -1,
                                  0) &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  (const unsigned char *)cn, -1, -1, 0) &&
       X509_set_issuer_name(cert, ca ? X509_get_subject_name(ca) : name);
  X509 *issuer = ca ? ca : cert;
  if (ok && !ca) {
    ok = add_ext(cert, issuer, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         add_ext(cert, issuer, NID_subject_key_identifier, "hash");
  } else if (ok) {
    ok = add_ext(cert, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(cert, issuer, NID_key_usage,
                 "critical,digitalSignature,keyEncipherment") &&
         add_ext(cert, issuer, NID_ext_key_usage, "serverAuth") &&
         add_ext(cert, issuer, NID_subject_key_identifier, "hash") &&
         add_ext(cert, issuer, NID_authority_key_identifier, "keyid") &&
         add_ext(cert, issuer, NID_subject_alt_name, san);
  }
  ok = ok && X509_sign(cert, ca_key, EVP_sha256()) > 0;
  BN_free(bn);
  if (!ok) {
    X509_free(cert);
    return NULL;
  }
  return cert;
}

static bool is_ip(const char *s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Loads the CA from the state directory, or creates and stores it. */
static msikv_result load_or_create_ca(const char *state_dir, X509 **out_ca,
                                      EVP_PKEY **out_key, char *ca_path,
                                      size_t ca_path_size,
                                      msikv_error *out_err) {
  char key_path[4096];
  snprintf(ca_path, ca_path_size, "%s/ca.pem", state_dir);
  snprintf(key_path, sizeof(key_path), "%s/ca-key.pem", state_dir);
  char *cert_pem = NULL;
  char *key_pem = NULL;
  size_t cert_len = 0;
  size_t key_len = 0;
  msikv_result rc = MSIKV_OK;
  for (int attempt = 0; attempt < 20; attempt++) {
    rc = mock_pem_read_file(key_path, &key_pem, &key_len, out_err);
    if (!rc)
      rc = mock_pem_read_file(ca_path, &cert_pem, &cert_len, out_err);
    if (rc != MSIKV_ERR_NOT_FOUND)
      break;
    if (key_pem) {
      /* A concurrent start has stored the key but not yet the cert. */
      msikv_secret_free(key_pem);
      key_pem = NULL;
      struct timespec ts = {0, 50 * 1000 * 1000};
      nanosleep(&ts, NULL);
      continue;
    }
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *ca = key ? make_cert(key, "msikv mock CA", NULL, key, 3650, NULL)
                   : NULL;
    char *kp = key ? key_to_pem(key) : NULL;
    char *cp = ca ? cert_to_pem(ca) : NULL;
    bool won = false;
    rc = (kp && cp) ? MSIKV_OK : MSIKV_ERR_NOMEM;
    if (!rc)
      rc = mock_pem_publish(key_path, kp, strlen(kp), 0600, &won, out_err);
    if (!rc && won) {
      rc = mock_pem_publish(ca_path, cp, strlen(cp), 0644, &won, out_err);
      if (!rc && won) {
        *out_ca = ca;
        *out_key = key;
        ca = NULL;
        key = NULL;
      } else if (!rc) {
        rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                             "%s exists without its key; delete it", ca_path);
      }
    }
    msikv_secret_free(kp);
    msikv_free(cp);
    X509_free(ca);
    EVP_PKEY_free(key);
    if (rc || *out_ca)
      return rc;
    /* Lost the race: read what the winner stored. */
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (rc == MSIKV_ERR_NOT_FOUND)
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "%s has a CA key but no ca.pem; delete the directory",
                         state_dir);
  if (!rc) {
    BIO *kb = BIO_new_mem_buf(key_pem, (int)key_len);
    BIO *cb = BIO_new_mem_buf(cert_pem, (int)cert_len);
    *out_key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    *out_ca = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    BIO_free(kb);
    BIO_free(cb);
    if (!*out_key || !*out_ca ||
        X509_check_private_key(*out_ca, *out_key) != 1) {
      EVP_PKEY_free(*out_key);
      X509_free(*out_ca);
      *out_key = NULL;
      *out_ca = NULL;
      rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "%s and %s do not form a CA; delete them and the "
                           "mock makes new ones",
                           ca_path, key_path);
    }
  }
  msikv_secret_free(key_pem);
  msikv_free(cert_pem);
  return rc;
}

msikv_result mock_tls_create(const char *state_dir, const char *dns_suffix,
                             const char *const *extra_names,
                             size_t extra_count, mock_tls *out_tls,
                             msikv_error *out_err) {
  X509 *ca = NULL;
  EVP_PKEY *ca_key = NULL;
  EVP_PKEY *key = NULL;
  X509 *cert = NULL;
  msikv_buf san;
  msikv_buf_init(&san, 8192);
  mock_tls tls;
  memset(&tls, 0, sizeof(tls));
  msikv_result rc = load_or_create_ca(state_dir, &ca, &ca_key, tls.ca_path,
                                      sizeof(tls.ca_path), out_err);
  if (rc)
    goto out;
  rc = msikv_buf_appendf(&san,
                         "DNS:localhost,DNS:login.localhost,DNS:%s,"
                         "DNS:*.%s,IP:127.0.0.1,IP:::1",
                         dns_suffix, dns_suffix);
  if (!rc && strcmp(dns_suffix, "vault.localhost") != 0)
    rc = msikv_buf_appendf(&san, ",DNS:*.vault.localhost");
  for (size_t i = 0; !rc && i < extra_count; i++) {
    const char *n = extra_names[i];
    if (!n[0] || strpbrk(n, ", \t\r\n")) {
      rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                           "--tls-name '%s' is not a host name or IP address",
                           n);
      goto out;
    }
    rc = msikv_buf_appendf(&san, ",%s:%s", is_ip(n) ? "IP" : "DNS", n);
  }
  if (rc)
    goto out;
  key = EVP_EC_gen("P-256");
  cert = key ? make_cert(key, "localhost", ca, ca_key, 397, san.data) : NULL;
  if (cert) {
    tls.cert_pem = cert_to_pem(cert);
    tls.key_pem = key_to_pem(key);
  }
  if (!tls.cert_pem || !tls.key_pem) {
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "cannot make the server certificate (check "
                         "--tls-name and --dns-suffix)");
    goto out;
  }
  *out_tls = tls;
  memset(&tls, 0, sizeof(tls));
out:
  mock_tls_free(&tls);
  msikv_buf_free(&san);
  X509_free(cert);
  EVP_PKEY_free(key);
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  return rc;
}

msikv_result mock_tls_load(const char *cert_file, const char *key_file,
                           mock_tls *out_tls, msikv_error *out_err) {
  mock_tls tls;
  memset(&tls, 0, sizeof(tls));
  size_t len = 0;
  msikv_result rc = mock_pem_read_file(cert_file, &tls.cert_pem, &len, out_err);
  if (rc == MSIKV_ERR_NOT_FOUND)
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG, "--tls-cert %s: no such "
                         "file", cert_file);
  if (!rc) {
    rc = mock_pem_read_file(key_file, &tls.key_pem, &len, out_err);
    if (rc == MSIKV_ERR_NOT_FOUND)
      rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG, "--tls-key %s: no such "
                           "file", key_file);
  }
  if (!rc && (!strstr(tls.cert_pem, "-----BEGIN CERTIFICATE-----") ||
              !strstr(tls.key_pem, "PRIVATE KEY-----")))
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "--tls-cert and --tls-key must be PEM files (a "
                         "certificate and a private key)");
  if (!rc) {
    snprintf(tls.ca_path, sizeof(tls.ca_path), "%s", cert_file);
    *out_tls = tls;
    return MSIKV_OK;
  }
  mock_tls_free(&tls);
  return rc;
}

void mock_tls_free(mock_tls *tls) {
  msikv_free(tls->cert_pem);
  msikv_secret_free(tls->key_pem);
  tls->cert_pem = NULL;
  tls->key_pem = NULL;
}
