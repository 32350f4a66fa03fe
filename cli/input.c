/* SPDX-License-Identifier: MIT */
/* Input: the secret value from --value, --file or stdin; writing files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Reads all of @p f into @p buf (secret), failing past buf->max. */
static msikv_result read_all(FILE *f, msikv_buf *buf, const char *what,
                             size_t max, msikv_error *err) {
  char chunk[4096];
  size_t n;
  msikv_result rc = msikv_buf_append(buf, "", 0);
  while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    rc = msikv_buf_append(buf, chunk, n);
    msikv_secure_zero(chunk, n);
  }
  if (rc == MSIKV_ERR_TOO_LARGE)
    return msikv_error_set(err, rc, "%s is larger than %zu bytes", what, max);
  if (rc)
    return rc;
  if (ferror(f))
    return msikv_error_set(err, MSIKV_ERR_ARG, "could not read %s", what);
  if (memchr(buf->data, '\0', buf->len))
    return msikv_error_set(err, MSIKV_ERR_ARG,
                           "%s contains a NUL byte: secrets are text; encode "
                           "binary data (e.g. base64) first",
                           what);
  return MSIKV_OK;
}

msikv_result cli_read_value(const cli_args *args, const cli_env *env,
                            size_t max, char **out_value, msikv_error *err) {
  msikv_buf buf;
  msikv_buf_init_secret(&buf, max);
  msikv_result rc;
  char what[300];
  if (args->value) {
    rc = msikv_buf_append_str(&buf, args->value);
    if (rc == MSIKV_ERR_TOO_LARGE)
      rc = msikv_error_set(err, rc, "--value is larger than %zu bytes", max);
  } else if (args->file) {
    snprintf(what, sizeof(what), "file '%.256s'", args->file);
    FILE *f = fopen(args->file, "rb");
    if (!f) {
      rc = msikv_error_set(err, MSIKV_ERR_ARG, "cannot open %s: %s", what,
                           strerror(errno));
    } else {
      rc = read_all(f, &buf, what, max, err);
      fclose(f);
    }
  } else {
    if (env->in_is_tty)
      fputs("msikv: reading the value from stdin; end with Ctrl-D\n", env->err);
    rc = read_all(env->in, &buf, "stdin", max, err);
    if (!rc && buf.len && buf.data[buf.len - 1] == '\n') {
      buf.data[--buf.len] = '\0';
      if (buf.len && buf.data[buf.len - 1] == '\r')
        buf.data[--buf.len] = '\0';
    }
  }
  if (!rc) {
    *out_value = msikv_buf_detach(&buf);
    if (!*out_value)
      rc = MSIKV_ERR_NOMEM;
  }
  msikv_buf_free(&buf);
  return rc;
}

msikv_result cli_write_file(const char *path, const char *text,
                            msikv_error *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    return msikv_error_set(err, MSIKV_ERR_ARG,
                           "cannot create '%.256s': %s (it must not exist "
                           "yet)",
                           path, strerror(errno));
  size_t len = strlen(text);
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, text + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      return msikv_error_set(err, MSIKV_ERR_ARG, "cannot write '%.256s': %s",
                             path, strerror(e));
    }
    done += (size_t)n;
  }
  if (close(fd) != 0)
    return msikv_error_set(err, MSIKV_ERR_ARG, "cannot write '%.256s': %s",
                           path, strerror(errno));
  return MSIKV_OK;
}
