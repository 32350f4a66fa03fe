/* SPDX-License-Identifier: MIT */
/**
 * @file principals.h
 * @brief The mock tenant's principals: managed identities and service
 * principals (with client secrets). Fixed after start-up, so read without
 * locks.
 */
#ifndef MSIKV_MOCK_PRINCIPALS_H
#define MSIKV_MOCK_PRINCIPALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "assertion.h"
#include "msikv/result.h"

/* The built-in defaults, shared with the mock Key Vault's default policies. */
#define MOCK_DEFAULT_TENANT "11111111-2222-3333-4444-555555555555"
#define MOCK_APPSERVICE_MI_CLIENT_ID "aaaaaaaa-0000-4000-8000-000000000001"
#define MOCK_APPSERVICE_MI_OBJECT_ID "aaaaaaaa-0000-4000-8000-000000000002"
#define MOCK_USER_MI_CLIENT_ID "cccccccc-0000-4000-8000-000000000001"
#define MOCK_USER_MI_OBJECT_ID "cccccccc-0000-4000-8000-000000000002"
#define MOCK_USER_MI_RESOURCE_ID                                               \
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/"        \
  "msikv-demo/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"     \
  "msikv-uami"
#define MOCK_SP_CLIENT_ID "bbbbbbbb-0000-4000-8000-000000000001"
#define MOCK_SP_OBJECT_ID "bbbbbbbb-0000-4000-8000-000000000002"
#define MOCK_SP_SECRET "msikv-mock-sp-secret"
#define MOCK_DENIED_CLIENT_ID "dddddddd-0000-4000-8000-000000000001"
#define MOCK_DENIED_OBJECT_ID "dddddddd-0000-4000-8000-000000000002"
#define MOCK_DENIED_SECRET "msikv-mock-denied-secret"
/* A service principal whose only client secret has expired (AADSTS7000222). */
#define MOCK_EXPIRED_CLIENT_ID "eeeeeeee-0000-4000-8000-000000000001"
#define MOCK_EXPIRED_OBJECT_ID "eeeeeeee-0000-4000-8000-000000000002"
#define MOCK_EXPIRED_SECRET "msikv-mock-expired-secret"

/* A service principal that signs in with a federated token (workload
 * identity): its one federated credential trusts the tokens that
 * POST /admin/federated-token mints by default. */
#define MOCK_WORKLOAD_CLIENT_ID "f0f0f0f0-0000-4000-8000-000000000001"
#define MOCK_WORKLOAD_OBJECT_ID "f0f0f0f0-0000-4000-8000-000000000002"
#define MOCK_WORKLOAD_SUBJECT "system:serviceaccount:default:msikv-workload"

#define MOCK_MAX_PRINCIPALS 64
#define MOCK_MAX_FEDERATED 4

typedef enum mock_principal_kind {
  MOCK_PRINCIPAL_MANAGED_IDENTITY = 0,
  MOCK_PRINCIPAL_SERVICE_PRINCIPAL = 1
} mock_principal_kind;

typedef struct mock_principal {
  mock_principal_kind kind;
  bool system_assigned;     /**< The host's system-assigned identity. */
  char name[64];            /**< Display name. */
  char client_id[64];       /**< appid claim. */
  char object_id[64];       /**< oid claim. */
  char resource_id[256];    /**< User-assigned identities: ARM id. */
  char client_secret[128];  /**< Service principals; "" = none. */
  int64_t secret_expires_s; /**< Epoch seconds; 0 = never expires. */
  bool has_cert;            /**< A registered certificate (client_assertion). */
  mock_cert cert;
  size_t federated_count; /**< Federated identity credentials. */
  mock_federated_credential federated[MOCK_MAX_FEDERATED];
} mock_principal;

typedef struct mock_principals {
  char tenant_id[64];
  mock_principal items[MOCK_MAX_PRINCIPALS];
  size_t count;
} mock_principals;

/** Fills @p out with the built-in tenant and principals. */
void mock_principals_default(mock_principals *out);

/**
 * Reads the seed file's "tenant_id" (string or NULL for the default) and
 * "principals" array (NULL keeps the defaults). Every principal needs
 * "client_id" and "object_id"; see docs/mockserver.md.
 * @retval MSIKV_ERR_CONFIG with a message naming the bad entry.
 */
MSIKV_NODISCARD msikv_result mock_principals_from_json(const cJSON *tenant_id,
                                                       const cJSON *principals,
                                                       mock_principals *out,
                                                       msikv_error *out_err);

/** Lookups (case-insensitive); NULL when none. Returned pointers are borrowed
 * from @p p. */
const mock_principal *mock_principals_by_client_id(const mock_principals *p,
                                                   const char *client_id);
const mock_principal *mock_principals_by_object_id(const mock_principals *p,
                                                   const char *object_id);
const mock_principal *mock_principals_by_resource_id(const mock_principals *p,
                                                     const char *resource_id);
/** @return the system-assigned managed identity, or NULL. */
const mock_principal *mock_principals_system(const mock_principals *p);

#endif /* MSIKV_MOCK_PRINCIPALS_H */
