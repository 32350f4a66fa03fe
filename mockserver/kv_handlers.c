/* SPDX-License-Identifier: MIT */
/* The mock Key Vault's request handling (work in progress). */
#include <string.h>

#include "kv_internal.h"

void mock_kv_handle(mock_kv *kv, const mock_request *req,
                    mock_response *resp) {
  const char *auth = mock_request_header(req, "Authorization");
  msikv_result rc;
  if (!auth || strncmp(auth, "Bearer ", 7) != 0) {
    rc = mock_response_header(resp, "WWW-Authenticate", kv->challenge);
    if (!rc)
      rc = mock_response_text(resp, 401, "");
  } else {
    rc = mock_response_text(resp, 501, "not implemented yet");
  }
  if (rc)
    resp->status = 500;
}
