/* SPDX-License-Identifier: MIT */
/* The tool's credential: the application default from identity.h, the same
 * one the web app uses. */
#include "cli.h"
#include "msikv/identity.h"

msikv_result cli_default_credential(const cli_env *env,
                                    const msikv_transport *transport,
                                    msikv_credential **out_cred,
                                    msikv_error *err) {
  msikv_identity_options opts = msikv_identity_options_default();
  opts.transport = transport;
  opts.clock = env->clock;
  if (env->getenv_fn) {
    opts.getenv_fn = env->getenv_fn;
    opts.getenv_ctx = env->getenv_ctx;
  }
  return msikv_cred_app_default_new(&opts, out_cred, err);
}
