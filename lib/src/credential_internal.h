/* SPDX-License-Identifier: MIT */
/**
 * @file credential_internal.h
 * @brief The credential object behind msikv_credential.
 */
#ifndef MSIKV_CREDENTIAL_INTERNAL_H
#define MSIKV_CREDENTIAL_INTERNAL_H

#include "msikv/credential.h"

struct msikv_credential {
  const msikv_credential_ops *ops;
  void *ctx;
  /** Shown by msikv_cred_name(); owned; NULL means ops->name. */
  char *display_name;
};

/** Replaces the display name (copied). */
MSIKV_NODISCARD msikv_result msikv__cred_set_name(msikv_credential *cred,
                                                  const char *name);

#endif
