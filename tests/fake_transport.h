/* SPDX-License-Identifier: MIT */
/**
 * @file fake_transport.h
 * @brief A transport that replays scripted replies and records requests.
 */
#ifndef MSIKV_TESTS_FAKE_TRANSPORT_H
#define MSIKV_TESTS_FAKE_TRANSPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "msikv/http.h"

#define FAKE_MAX_REPLIES 64
#define FAKE_MAX_RECORDS 256

typedef struct fake_reply {
  msikv_result rc;   /**< Non-zero: the send fails with this result. */
  int status;
  char *headers;     /**< "Name: value\n" lines; owned. */
  char *body;        /**< Owned. */
  size_t body_len;
} fake_reply;

typedef struct fake_record {
  char *method;
  char *url;
  char *headers;     /**< "name: value\n" lines as sent; owned. */
  char *body;        /**< NULL when the request had no body. */
  size_t body_len;
  bool has_body;
  bool allow_http;
  bool no_proxy;
  long timeout_ms;
  long connect_timeout_ms;
} fake_record;

typedef struct fake_transport {
  msikv_transport transport; /**< Pass &ft->transport to the code under test. */
  pthread_mutex_t lock;
  fake_reply replies[FAKE_MAX_REPLIES];
  size_t reply_count;
  size_t next_reply;
  /** When the script runs out: repeat the last reply (true) or fail. */
  bool repeat_last;
  fake_record records[FAKE_MAX_RECORDS];
  size_t record_count;
  /** Milliseconds each send sleeps (real time), to let threads pile up. */
  long send_delay_ms;
  /** Optional hook run inside send (before replying), e.g. to move a clock. */
  void (*on_send)(void *ctx, const msikv_http_request *req);
  void *on_send_ctx;
} fake_transport;

/** Initialises @p ft (caller storage). */
void fake_transport_init(fake_transport *ft);
/** Frees scripts and records. */
void fake_transport_free(fake_transport *ft);

/** Scripts a reply. @p headers is "Name: value\n" lines or NULL. */
void fake_transport_push(fake_transport *ft, int status, const char *headers,
                         const char *body);
/** Scripts a transport failure. */
void fake_transport_push_error(fake_transport *ft, msikv_result rc);

/** @return the number of requests received. Thread-safe. */
size_t fake_transport_count(fake_transport *ft);
/** @return request @p i (0-based); fails the test when out of range. */
const fake_record *fake_transport_request(fake_transport *ft, size_t i);
/** @return the value of header @p name in request @p rec, or NULL. The
 * pointer is into a static buffer, valid until the next call. */
const char *fake_record_header(const fake_record *rec, const char *name);

#endif
