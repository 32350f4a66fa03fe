/* SPDX-License-Identifier: MIT */
/**
 * @file faults.h
 * @brief Fault injection per route: an error status (with or without
 * Retry-After), a delay, a connection reset, or a malformed, truncated or
 * oversized body, each applied a number of times or with a probability.
 */
#ifndef MSIKV_MOCK_FAULTS_H
#define MSIKV_MOCK_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mock_http.h"
#include "msikv/result.h"

typedef enum mock_fault_kind {
  MOCK_FAULT_STATUS = 0, /**< Answer `status` (+ Retry-After) instead. */
  MOCK_FAULT_DELAY,      /**< Wait `delay_ms`, then answer normally. */
  MOCK_FAULT_RESET,      /**< Drop the connection without an answer. */
  MOCK_FAULT_MALFORMED,  /**< Answer normally, but with a body that is not
                              JSON. */
  MOCK_FAULT_TRUNCATED,  /**< Announce the body, send half, drop. */
  MOCK_FAULT_OVERSIZED   /**< A valid JSON body of `size` bytes. */
} mock_fault_kind;

typedef struct mock_fault {
  int id;                /**< Assigned by mock_faults_add. */
  char route[16];        /**< "kv", "entra", "msi", "imds" or "*". */
  char method[16];       /**< "" = any. */
  char path_prefix[256]; /**< "" = any; compared with the raw path. */
  mock_fault_kind kind;
  int status;            /**< STATUS: e.g. 503. */
  int retry_after_s;     /**< STATUS: Retry-After seconds; -1 = none. */
  int64_t delay_ms;      /**< Any kind: wait this long first. */
  size_t size;           /**< OVERSIZED: body bytes (default 4 MiB). */
  int64_t count;         /**< Applications left; -1 = unlimited. */
  double probability;    /**< 0..1, default 1. */
  int64_t hits;          /**< Times applied so far. */
} mock_fault;

/** @return "status", "delay", "reset", "malformed", "truncated",
 * "oversized". */
const char *mock_fault_kind_name(mock_fault_kind kind);

/** Defaults: route "*", kind status 503, no Retry-After, count -1,
 * probability 1. */
void mock_fault_init(mock_fault *fault);

/**
 * Parses a spec "route=kv,kind=status,status=503,retry_after=2,count=3" (the
 * --fault flag). Keys: route, method, path (prefix), kind, status,
 * retry_after, delay_ms, size, count, probability.
 * @retval MSIKV_ERR_CONFIG with a message naming the bad key.
 */
MSIKV_NODISCARD msikv_result mock_fault_parse_spec(const char *spec,
                                                   mock_fault *out_fault,
                                                   msikv_error *out_err);
/** The same keys as a JSON object (admin API). */
MSIKV_NODISCARD msikv_result mock_fault_from_json(const cJSON *json,
                                                  mock_fault *out_fault,
                                                  msikv_error *out_err);
/** @return a new JSON object describing @p fault, or NULL on OOM. */
cJSON *mock_fault_to_json(const mock_fault *fault);

typedef struct mock_faults mock_faults; /**< Thread-safe set of faults. */

MSIKV_NODISCARD msikv_result mock_faults_new(mock_faults **out_faults);
void mock_faults_free(mock_faults *faults);
/** Adds a copy; writes its id. */
MSIKV_NODISCARD msikv_result mock_faults_add(mock_faults *faults,
                                             const mock_fault *fault,
                                             int *out_id);
/** @return true when a fault with @p id existed. */
bool mock_faults_remove(mock_faults *faults, int id);
void mock_faults_clear(mock_faults *faults);
/** @return a JSON array of the active faults, or NULL on OOM. */
cJSON *mock_faults_to_json(mock_faults *faults);

/**
 * Finds the fault for the request: matching faults share the dice
 * (@p roll in [0,1)), the first taking [0,p1), the next [p1,p1+p2), and
 * so on. Uses the chosen one up once and copies it to @p out. Exhausted
 * faults are removed.
 */
bool mock_faults_take(mock_faults *faults, const char *route,
                      const char *method, const char *path, double roll,
                      mock_fault *out_fault);

/**
 * Applies a fault before the handler runs. @return true when the response is
 * final (STATUS, RESET); false when the handler should still run.
 */
bool mock_fault_apply_before(const mock_fault *fault, mock_response *resp);
/** Applies MALFORMED, TRUNCATED or OVERSIZED to a handler's response. */
void mock_fault_apply_after(const mock_fault *fault, mock_response *resp);

#endif /* MSIKV_MOCK_FAULTS_H */
