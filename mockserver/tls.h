/* SPDX-License-Identifier: MIT */
/**
 * @file tls.h
 * @brief The mock's TLS material: a CA kept in the state directory and a
 * fresh EC server certificate naming the mock's hosts, or given files.
 */
#ifndef MSIKV_MOCK_TLS_H
#define MSIKV_MOCK_TLS_H

#include <stddef.h>

#include "msikv/result.h"

#define MOCK_TLS_MAX_NAMES 16

typedef struct mock_tls {
  char *cert_pem;     /**< Owned: server certificate (PEM). */
  char *key_pem;      /**< Owned secret: server private key (PEM). */
  char ca_path[4096]; /**< The file clients should trust (SSL_CERT_FILE). */
} mock_tls;

/**
 * Loads (or creates, once) the CA at {state_dir}/ca.pem and ca-key.pem, then
 * issues a server certificate (EC P-256) naming localhost, login.localhost,
 * *.{dns_suffix}, 127.0.0.1, ::1 and each of @p extra_names (IP literals
 * become IP names).
 */
MSIKV_NODISCARD msikv_result mock_tls_create(const char *state_dir,
                                             const char *dns_suffix,
                                             const char *const *extra_names,
                                             size_t extra_count,
                                             mock_tls *out_tls,
                                             msikv_error *out_err);

/** Uses the given PEM files; ca_path becomes @p cert_file. */
MSIKV_NODISCARD msikv_result mock_tls_load(const char *cert_file,
                                           const char *key_file,
                                           mock_tls *out_tls,
                                           msikv_error *out_err);

void mock_tls_free(mock_tls *tls);

#endif /* MSIKV_MOCK_TLS_H */
