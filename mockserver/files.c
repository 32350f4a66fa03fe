/* SPDX-License-Identifier: MIT */
#include "files.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msikv/alloc.h"

#define FILE_MAX ((size_t)1 << 20)

msikv_result mock_pem_read_file(const char *path, char **out_data,
                                size_t *out_len, msikv_error *out_err) {
  return mock_file_read(path, FILE_MAX, out_data, out_len, out_err);
}

msikv_result mock_file_read(const char *path, size_t max_bytes, char **out_data,
                            size_t *out_len, msikv_error *out_err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return MSIKV_ERR_NOT_FOUND;
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot read %s: %s",
                           path, strerror(errno));
  }
  struct stat st;
  size_t cap = max_bytes;
  if (fstat(fd, &st) == 0 && st.st_size >= 0 &&
      (uint64_t)st.st_size < (uint64_t)max_bytes)
    cap = (size_t)st.st_size + 1; /* room to see the end of file */
  char *data = msikv_malloc(cap + 1);
  size_t len = 0;
  msikv_result rc = MSIKV_OK;
  if (!data) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  for (;;) {
    if (len == cap && cap < max_bytes) { /* it grew since fstat */
      size_t bigger = cap * 2 < max_bytes ? cap * 2 : max_bytes;
      char *grown = msikv_realloc(data, bigger + 1);
      if (!grown) {
        rc = MSIKV_ERR_NOMEM;
        goto out;
      }
      data = grown;
      cap = bigger;
    }
    ssize_t n = read(fd, data + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot read %s: %s",
                           path, strerror(errno));
      goto out;
    }
    if (n == 0)
      break;
    len += (size_t)n;
    if (len == max_bytes) {
      rc = msikv_error_set(out_err, MSIKV_ERR_TOO_LARGE,
                           "%s is larger than %zu bytes", path, max_bytes);
      goto out;
    }
  }
  data[len] = '\0';
  *out_data = data;
  *out_len = len;
  data = NULL;
out:
  msikv_free(data);
  close(fd);
  return rc;
}

static msikv_result write_temp(const char *path, const char *data, size_t len,
                               mode_t mode, bool durable, char *tmp,
                               size_t tmp_size, msikv_error *out_err) {
  static unsigned counter;
  snprintf(tmp, tmp_size, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot create %s: %s",
                           tmp, strerror(errno));
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      unlink(tmp);
      return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot write %s: %s",
                             tmp, strerror(e));
    }
    off += (size_t)n;
  }
  if (durable && fsync(fd) != 0) {
    int e = errno;
    close(fd);
    unlink(tmp);
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot sync %s: %s", tmp,
                           strerror(e));
  }
  if (close(fd) != 0) {
    unlink(tmp);
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot write %s", tmp);
  }
  return MSIKV_OK;
}

msikv_result mock_pem_publish(const char *path, const char *data, size_t len,
                              mode_t mode, bool *out_won,
                              msikv_error *out_err) {
  char tmp[4096];
  msikv_result rc =
      write_temp(path, data, len, mode, false, tmp, sizeof(tmp), out_err);
  if (rc)
    return rc;
  *out_won = false;
  if (link(tmp, path) == 0) {
    *out_won = true;
  } else if (errno != EEXIST) {
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot create %s: %s",
                         path, strerror(errno));
  }
  unlink(tmp);
  return rc;
}

static msikv_result replace(const char *path, const char *data, size_t len,
                            mode_t mode, bool durable, msikv_error *out_err) {
  char tmp[4096];
  msikv_result rc =
      write_temp(path, data, len, mode, durable, tmp, sizeof(tmp), out_err);
  if (rc)
    return rc;
  if (rename(tmp, path) != 0) {
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot write %s: %s", path,
                         strerror(errno));
    unlink(tmp);
    return rc;
  }
  if (!durable)
    return MSIKV_OK;
  /* The rename itself is durable only once the directory is synced. */
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash)
    snprintf(dir, sizeof(dir), ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) != 0)
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                         "cannot sync directory %s: %s", dir, strerror(errno));
  if (dfd >= 0)
    close(dfd);
  return rc;
}

msikv_result mock_file_replace(const char *path, const char *data, size_t len,
                               mode_t mode, msikv_error *out_err) {
  return replace(path, data, len, mode, false, out_err);
}

msikv_result mock_file_replace_durable(const char *path, const char *data,
                                       size_t len, mode_t mode,
                                       msikv_error *out_err) {
  return replace(path, data, len, mode, true, out_err);
}

msikv_result mock_mkdirs(const char *path, msikv_error *out_err) {
  char buf[4096];
  if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "path too long: %s",
                           path);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return msikv_error_set(out_err, MSIKV_ERR_CONFIG,
                               "cannot create directory %s: %s", buf,
                               strerror(errno));
      *p = c;
      if (!c)
        break;
    }
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "%s is not a directory",
                           path);
  return MSIKV_OK;
}
