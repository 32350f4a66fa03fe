/* SPDX-License-Identifier: MIT */
/* Options shared by the identity credentials, and the environment seam. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "identity_internal.h"

msikv_identity_options msikv_identity_options_default(void) {
  msikv_identity_options opts;
  memset(&opts, 0, sizeof(opts));
  opts.retry_delay_scale = 1.0;
  return opts;
}

const char *msikv__identity_getenv(const msikv_identity_options *opts,
                                   const char *name) {
  const char *value = opts && opts->getenv_fn
                          ? opts->getenv_fn(opts->getenv_ctx, name)
                          : getenv(name);
  return value && *value ? value : NULL;
}

msikv_result msikv__identity_options_check(const msikv_identity_options *opts,
                                           const char *who,
                                           msikv_error *out_err) {
  if (!opts || !opts->transport || !opts->transport->send)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "%s: options with a transport are required", who);
  if (!isfinite(opts->retry_delay_scale) || opts->retry_delay_scale < 0 ||
      opts->retry_delay_scale > 1000)
    return msikv_error_set(out_err, MSIKV_ERR_ARG,
                           "%s: retry_delay_scale must be between 0 and 1000 "
                           "(1.0 normally)",
                           who);
  return MSIKV_OK;
}
