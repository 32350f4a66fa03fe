/* SPDX-License-Identifier: MIT */
/**
 * @file buffer.h
 * @brief A growable byte buffer with a hard cap, optionally holding a secret.
 */
#ifndef MSIKV_BUFFER_H
#define MSIKV_BUFFER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>

#include "msikv/result.h"

/**
 * A capped buffer. `data` is always NUL-terminated once anything was appended
 * (and NULL before). Growing past `max` fails with MSIKV_ERR_TOO_LARGE and
 * leaves the content as it was. A secret buffer zeroes every block it lets go.
 */
typedef struct msikv_buf {
  char *data;  /**< Owned; NULL until the first append. */
  size_t len;  /**< Bytes used, without the terminating NUL. */
  size_t cap;  /**< Bytes allocated. */
  size_t max;  /**< Largest allowed len. */
  bool secret; /**< Zero memory on grow, reset and free. */
} msikv_buf;

/** Default cap for protocol buffers (responses are capped separately). */
#define MSIKV_BUF_DEFAULT_MAX ((size_t)1 << 20)

/** Initialises an empty buffer holding at most @p max bytes. */
void msikv_buf_init(msikv_buf *buf, size_t max);
/** As msikv_buf_init(), for a buffer that will hold a secret. */
void msikv_buf_init_secret(msikv_buf *buf, size_t max);

/** Appends @p len bytes. @retval MSIKV_ERR_TOO_LARGE past the cap. */
MSIKV_NODISCARD msikv_result msikv_buf_append(msikv_buf *buf, const void *data,
                                              size_t len);
/** Appends a NUL-terminated string. */
MSIKV_NODISCARD msikv_result msikv_buf_append_str(msikv_buf *buf,
                                                  const char *str);
/** Appends formatted text. */
MSIKV_NODISCARD msikv_result msikv_buf_appendf(msikv_buf *buf,
                                               const char *fmt, ...)
    MSIKV_PRINTF(2, 3);

/** Empties the buffer but keeps its memory (zeroed if secret). */
void msikv_buf_reset(msikv_buf *buf);
/** Frees the memory (zeroed first if secret); the buffer may be reused. */
void msikv_buf_free(msikv_buf *buf);
/**
 * Hands over the data: returns it (owned, free with msikv_free, or
 * msikv_secret_free for a secret) and empties the buffer. Never NULL for an
 * empty buffer: returns "" then (or NULL on OOM).
 */
char *msikv_buf_detach(msikv_buf *buf);

#ifdef __cplusplus
}
#endif
#endif /* MSIKV_BUFFER_H */
