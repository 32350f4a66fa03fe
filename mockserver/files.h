/* SPDX-License-Identifier: MIT */
/**
 * @file files.h
 * @brief Small file helpers for the state directory and the env file.
 */
#ifndef MSIKV_MOCK_FILES_H
#define MSIKV_MOCK_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "msikv/result.h"

/**
 * Reads a whole file (at most 1 MiB) into an owned, NUL-terminated string
 * (free with msikv_free). @retval MSIKV_ERR_NOT_FOUND when it does not exist.
 */
MSIKV_NODISCARD msikv_result mock_pem_read_file(const char *path,
                                                char **out_data,
                                                size_t *out_len,
                                                msikv_error *out_err);

/** Like mock_pem_read_file with a size cap of @p max_bytes. */
MSIKV_NODISCARD msikv_result mock_file_read(const char *path, size_t max_bytes,
                                            char **out_data, size_t *out_len,
                                            msikv_error *out_err);

/**
 * Creates @p path with @p data unless it already exists, atomically (temp
 * file + link), so concurrent starts agree on one file. @p out_won is true
 * when this call created it.
 */
MSIKV_NODISCARD msikv_result mock_pem_publish(const char *path,
                                              const char *data, size_t len,
                                              mode_t mode, bool *out_won,
                                              msikv_error *out_err);

/** Replaces @p path with @p data atomically (temp file + rename). */
MSIKV_NODISCARD msikv_result mock_file_replace(const char *path,
                                               const char *data, size_t len,
                                               mode_t mode,
                                               msikv_error *out_err);

/** As mock_file_replace, and durable: fsync of the temp file before the
 * rename and of the directory after it. */
MSIKV_NODISCARD msikv_result mock_file_replace_durable(const char *path,
                                                       const char *data,
                                                       size_t len, mode_t mode,
                                                       msikv_error *out_err);

/** Creates a directory and its parents (mode 0700 for new ones). */
MSIKV_NODISCARD msikv_result mock_mkdirs(const char *path,
                                         msikv_error *out_err);

#endif /* MSIKV_MOCK_FILES_H */
