/* SPDX-License-Identifier: MIT */
/**
 * @file msi.h
 * @brief Mock managed identity, over plain http as Azure serves it: App
 * Service 2019-08-01 and 2017-09-01 (/msi/token) and IMDS
 * (/metadata/identity/oauth2/token).
 */
#ifndef MSIKV_MOCK_MSI_H
#define MSIKV_MOCK_MSI_H

#include <stddef.h>
#include <stdint.h>

#include "jwt.h"
#include "mock_http.h"
#include "principals.h"

/** The shapes of a 2017-09-01 `expires_on` seen in the wild. */
typedef enum mock_expires_format {
  MOCK_EXPIRES_WINDOWS = 0, /**< "1/16/2020 5:24:12 AM +00:00" (default) */
  MOCK_EXPIRES_DOCS,        /**< "09/14/2017 00:00:00 PM +00:00": 24-hour
                                 clock, zero-padded, with a designator */
  MOCK_EXPIRES_LINUX,       /**< "06/20/2019 02:57:58 +00:00" */
  MOCK_EXPIRES_ISO,         /**< "2021-07-02 08:00:34Z" */
  MOCK_EXPIRES_INT,         /**< 1625212834 (a JSON number) */
  MOCK_EXPIRES_EPOCH        /**< "1625212834" (a string) */
} mock_expires_format;

#define MOCK_EXPIRES_FORMAT_COUNT 6

/** @return "windows", "docs", "linux", "iso", "int" or "epoch". */
const char *mock_expires_format_name(mock_expires_format format);
/** @return false when @p name is none of the names above. */
bool mock_expires_format_parse(const char *name, mock_expires_format *out);
/** Writes @p epoch_s in @p format (INT and EPOCH as digits). */
void mock_expires_format_value(mock_expires_format format, int64_t epoch_s,
                               char *out, size_t out_size);

typedef struct mock_msi_config {
  const mock_principals *principals; /**< Borrowed. */
  const mock_jwt_key *key;           /**< Borrowed. */
  const char *identity_header;       /**< IDENTITY_HEADER (2019-08-01). */
  const char *msi_secret;            /**< MSI_SECRET (2017-09-01). */
  int64_t token_lifetime_s;
  mock_expires_format legacy_format;
} mock_msi_config;

/** GET /msi/token?api-version=2019-08-01|2017-09-01&resource=... */
void mock_msi_handle(const mock_msi_config *cfg, const mock_request *req,
                     mock_response *resp);
/** GET /metadata/identity/oauth2/token?api-version=...&resource=... */
void mock_imds_handle(const mock_msi_config *cfg, const mock_request *req,
                      mock_response *resp);

#endif /* MSIKV_MOCK_MSI_H */
