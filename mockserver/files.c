/* SPDX-License-Identifier: MIT */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msikv/alloc.h"

#define FILE_MAX ((size_t)1 << 20)

msikv_result mock_pem_read_file(const char *path, char **out_data,
                                size_t *out_len, msikv_error *out_err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return MSIKV_ERR_NOT_FOUND;
    return msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot read %s: %s",
                           path, strerror(errno));
  }
  char *data = msikv_malloc(FILE_MAX + 1);
  size_t len = 0;
  msikv_result rc = MSIKV_OK;
  if (!data) {
    rc = MSIKV_ERR_NOMEM;
    goto out;
  }
  for (;;) {
    ssize_t n = read(fd, data + len, FILE_MAX - len);
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
    if (len == FILE_MAX) {
      rc = msikv_error_set(out_err, MSIKV_ERR_TOO_LARGE,
                           "%s is larger than 1 MiB", path);
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
                               mode_t mode, char *tmp, size_t tmp_size,
                               msikv_error *out_err) {
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
  msikv_result rc = write_temp(path, data, len, mode, tmp, sizeof(tmp),
                               out_err);
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

msikv_result mock_file_replace(const char *path, const char *data, size_t len,
                               mode_t mode, msikv_error *out_err) {
  char tmp[4096];
  msikv_result rc = write_temp(path, data, len, mode, tmp, sizeof(tmp),
                               out_err);
  if (rc)
    return rc;
  if (rename(tmp, path) != 0) {
    rc = msikv_error_set(out_err, MSIKV_ERR_CONFIG, "cannot write %s: %s",
                         path, strerror(errno));
    unlink(tmp);
  }
  return rc;
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
