/* SPDX-License-Identifier: MIT */
/* The msikv command-line tool. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

int main(int argc, char **argv) {
  if (msikv_global_init() != MSIKV_OK) {
    fputs("msikv: error: could not start the library\n", stderr);
    return CLI_EXIT_SERVICE;
  }
  cli_env env = {0};
  env.out = stdout;
  env.err = stderr;
  env.in = stdin;
  env.in_is_tty = isatty(STDIN_FILENO) == 1;
  int code = cli_run(argc, argv, &env);
  if (fflush(stdout) != 0 && code == CLI_EXIT_OK)
    code = CLI_EXIT_SERVICE;
  return code;
}
