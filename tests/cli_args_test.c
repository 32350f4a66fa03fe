/* SPDX-License-Identifier: MIT */
/* The CLI grammar, help texts and time parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Parses a space-separated command line; err text goes to *out_err. */
static int parse(const char *line, cli_args *args, char **out_err) {
  /* args point into this buffer until the next call. */
  static char copy[1024];
  snprintf(copy, sizeof(copy), "%s", line);
  char *argv[32];
  int argc = 0;
  argv[argc++] = "msikv";
  for (char *p = copy; *p;) {
    while (*p == ' ')
      *p++ = '\0';
    if (!*p)
      break;
    argv[argc++] = p;
    while (*p && *p != ' ')
      p++;
  }
  char *buf = NULL;
  size_t len = 0;
  FILE *err = open_memstream(&buf, &len);
  int rc = cli_parse_args(argc, argv, args, err);
  fclose(err);
  if (out_err)
    *out_err = buf;
  else
    free(buf);
  return rc;
}

static void test_parse_args_secret_get_with_options(void **state) {
  (void)state;
  cli_args a;
  assert_int_equal(parse("secret get db-pass --version abc -o json -v "
                         "--vault=https://v.vault.azure.net",
                         &a, NULL),
                   0);
  assert_string_equal(a.command, "secret");
  assert_string_equal(a.sub, "get");
  assert_string_equal(a.name, "db-pass");
  assert_string_equal(a.version, "abc");
  assert_string_equal(a.vault, "https://v.vault.azure.net");
  assert_int_equal(a.output, CLI_OUT_JSON);
  assert_true(a.verbose);
  assert_int_equal(a.enabled, -1);
}

static void test_parse_args_set_properties(void **state) {
  (void)state;
  cli_args a;
  assert_int_equal(
      parse("secret set n --file f.txt --content-type text/plain "
            "--tags env=prod --tags a=b=c --enabled false "
            "--expires 2026-12-31T23:59:59Z --not-before 1700000000",
            &a, NULL),
      0);
  assert_string_equal(a.file, "f.txt");
  assert_string_equal(a.content_type, "text/plain");
  assert_int_equal(a.tag_count, 2);
  assert_string_equal(a.tags[1], "a=b=c");
  assert_int_equal(a.enabled, 0);
  assert_true(a.has_exp);
  assert_int_equal(a.exp, 1798761599);
  assert_int_equal(a.nbf, 1700000000);
}

static void test_parse_args_usage_errors_exit_2(void **state) {
  (void)state;
  const char *bad[] = {
      "",                                /* no command */
      "vault get x",                     /* unknown command */
      "secret",                          /* no subcommand */
      "secret fetch x",                  /* unknown subcommand */
      "secret get",                      /* missing NAME */
      "secret get a b",                  /* extra argument */
      "secret list x",                   /* list takes no NAME */
      "secret get x --bogus",            /* unknown option */
      "secret get x --version",          /* missing value */
      "secret get x -o yaml",            /* bad output */
      "secret get x --value v",          /* option not for get */
      "secret set x --value a --file b", /* both sources */
      "secret set x --tags novalue",     /* tag without = */
      "secret set x --enabled yes",      /* bad bool */
      "secret set x --expires tomorrow", /* bad time */
      "secret update x --tags a=b --clear-tags",
      "secret get x --vault a --vault b", /* twice */
      "token --vault https://v",          /* vault not for token */
      "secret get x -v=1",                /* flag with a value */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    cli_args a;
    char *err = NULL;
    int rc = parse(bad[i], &a, &err);
    if (rc != CLI_EXIT_USAGE)
      fail_msg("'%s' gave %d", bad[i], rc);
    assert_non_null(strstr(err, "msikv: "));
    assert_non_null(strstr(err, "--help"));
    free(err);
  }
}

static void test_parse_args_help_and_version(void **state) {
  (void)state;
  cli_args a;
  assert_int_equal(parse("--help", &a, NULL), 0);
  assert_true(a.help);
  assert_int_equal(parse("secret get --help", &a, NULL), 0);
  assert_true(a.help);
  assert_string_equal(a.sub, "get");
  assert_int_equal(parse("--version", &a, NULL), 0);
  assert_true(a.show_version);
  assert_int_equal(parse("token --scope https://x/.default -o json", &a, NULL),
                   0);
  assert_string_equal(a.scope, "https://x/.default");
  /* "--" ends options: a name starting with '-' is taken as it is. */
  assert_int_equal(parse("secret get -- -x", &a, NULL), 0);
  assert_string_equal(a.name, "-x");

  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  assert_int_equal(parse("secret set --help", &a, NULL), 0);
  cli_print_help(&a, out);
  fclose(out);
  assert_non_null(strstr(buf, "Usage: msikv secret set NAME"));
  assert_non_null(strstr(buf, "ps"));
  assert_non_null(strstr(buf, "KEY_VAULT_URL"));
  assert_non_null(strstr(buf, "4 not found"));
  free(buf);
  buf = NULL;
  out = open_memstream(&buf, &len);
  assert_int_equal(parse("--help", &a, NULL), 0);
  cli_print_help(&a, out);
  fclose(out);
  assert_non_null(strstr(buf, "secret list-deleted"));
  assert_non_null(strstr(buf, "token"));
  free(buf);
}

static void test_parse_time_forms(void **state) {
  (void)state;
  int64_t t = -1;
  assert_true(cli_parse_time("0", &t));
  assert_int_equal(t, 0);
  assert_true(cli_parse_time("1700000000", &t));
  assert_int_equal(t, 1700000000);
  assert_true(cli_parse_time("2026-12-31", &t));
  assert_int_equal(t, 1798675200);
  assert_true(cli_parse_time("2026-12-31T23:59:59Z", &t));
  assert_int_equal(t, 1798761599);
  assert_true(cli_parse_time("2026-12-31T23:59", &t));
  assert_int_equal(t, 1798761540);
  assert_true(cli_parse_time("2024-02-29 00:00:00+00:00", &t));
  assert_int_equal(t, 1709164800);
  const char *bad[] = {"",
                       "x",
                       "2026-13-01",
                       "2026-02-30",
                       "2025-02-29",
                       "2026-12-31T24:00",
                       "2026-12-31T23:59:59+01:00",
                       "-5",
                       "99999999999999999999",
                       "2026-1-1"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_false(cli_parse_time(bad[i], &t));
  char buf[40];
  cli_format_time(1798761599, buf, sizeof(buf));
  assert_string_equal(buf, "2026-12-31T23:59:59Z");
}

static void test_exit_code_mapping(void **state) {
  (void)state;
  assert_int_equal(cli_exit_code(MSIKV_OK, false), 0);
  assert_int_equal(cli_exit_code(MSIKV_ERR_HTTP, false), 1);
  assert_int_equal(cli_exit_code(MSIKV_ERR_CONFLICT, false), 1);
  assert_int_equal(cli_exit_code(MSIKV_ERR_THROTTLED, false), 1);
  assert_int_equal(cli_exit_code(MSIKV_ERR_TRANSPORT, false), 1);
  assert_int_equal(cli_exit_code(MSIKV_ERR_ARG, false), 2);
  assert_int_equal(cli_exit_code(MSIKV_ERR_TOO_LARGE, false), 2);
  assert_int_equal(cli_exit_code(MSIKV_ERR_AUTH, false), 3);
  assert_int_equal(cli_exit_code(MSIKV_ERR_FORBIDDEN, false), 3);
  assert_int_equal(cli_exit_code(MSIKV_ERR_INSECURE, false), 3);
  assert_int_equal(cli_exit_code(MSIKV_ERR_HTTP, true), 3);
  assert_int_equal(cli_exit_code(MSIKV_ERR_NOT_FOUND, false), 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_args_secret_get_with_options),
      cmocka_unit_test(test_parse_args_set_properties),
      cmocka_unit_test(test_parse_args_usage_errors_exit_2),
      cmocka_unit_test(test_parse_args_help_and_version),
      cmocka_unit_test(test_parse_time_forms),
      cmocka_unit_test(test_exit_code_mapping),
  };
  return cmocka_run_group_tests_name("cli_args", tests, NULL, NULL);
}
