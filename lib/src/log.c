/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msikv/log.h"

static void stderr_handler(msikv_log_level level, const char *line,
                           void *ctx) {
  (void)ctx;
  fprintf(stderr, "msikv: %s: %s\n", msikv_log_level_name(level), line);
}

static msikv_log_fn handler = stderr_handler;
static void *handler_ctx;
static msikv_log_level current_level = MSIKV_LOG_WARN;

void msikv_log_set_handler(msikv_log_fn fn, void *ctx,
                           msikv_log_level max_level) {
  handler = fn ? fn : stderr_handler;
  handler_ctx = fn ? ctx : NULL;
  current_level = max_level;
}

void msikv_log_set_level(msikv_log_level max_level) {
  current_level = max_level;
}

msikv_log_level msikv_log_get_level(void) { return current_level; }

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *msikv_log_level_name(msikv_log_level level) {
  if ((unsigned)level > MSIKV_LOG_DEBUG)
    return "debug";
  return level_names[level];
}

msikv_result msikv_log_level_parse(const char *text,
                                   msikv_log_level *out_level) {
  if (!text)
    return MSIKV_ERR_ARG;
  for (int i = 0; i <= MSIKV_LOG_DEBUG; i++) {
    if (strcasecmp(text, level_names[i]) == 0) {
      *out_level = (msikv_log_level)i;
      return MSIKV_OK;
    }
  }
  if (strcasecmp(text, "warning") == 0) {
    *out_level = MSIKV_LOG_WARN;
    return MSIKV_OK;
  }
  return MSIKV_ERR_ARG;
}

void msikv_log(msikv_log_level level, const char *fmt, ...) {
  if (level > current_level)
    return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  handler(level, line, handler_ctx);
}
