/* SPDX-License-Identifier: MIT */
/* The application default: the default chain, plus the App Service rule
 * (a site without an identity fails at creation, saying how to enable it).
 * Same code on a laptop, in CI, in Kubernetes and on App Service. */
#include "identity_internal.h"

msikv_result msikv_cred_app_default_new(const msikv_identity_options *opts,
                                        msikv_credential **out_cred,
                                        msikv_error *out_err) {
  return msikv__cred_default_new(opts, true, out_cred, out_err);
}
