/* SPDX-License-Identifier: MIT */
/* Replays a fuzz target's corpus (a folder given as argv[1]) through its
 * LLVMFuzzerTestOneInput, as one cmocka case. Built with gcc in the normal
 * suite, so a crash the fuzzer once found stays fixed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *corpus_dir;

static void test_replay_corpus_every_file_survives(void **state) {
  (void)state;
  DIR *dir = opendir(corpus_dir);
  if (!dir)
    fail_msg("cannot open corpus folder %s", corpus_dir);
  size_t files = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", corpus_dir, e->d_name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    assert_int_equal(LLVMFuzzerTestOneInput(data, (size_t)n), 0);
    free(data);
    files++;
  }
  closedir(dir);
  assert_true(files > 0);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  corpus_dir = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_replay_corpus_every_file_survives),
  };
  return cmocka_run_group_tests_name("fuzz_replay", tests, NULL, NULL);
}
