/* SPDX-License-Identifier: MIT */
/* Microbenchmark: ns per msikv__kv_challenge_parse() of Key Vault's 401
 * WWW-Authenticate value, plus the host check the client does next.
 * Usage: challenge_parse_bench [iterations]   (default 1000000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kv_internal.h"
#include "msikv/msikv.h"

static const char kChallenge[] =
    "Bearer authorization=\"https://login.microsoftonline.com/"
    "11111111-2222-3333-4444-555555555555\", "
    "resource=\"https://vault.azure.net\"";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
  if (n <= 0)
    n = 1000000;
  if (msikv_global_init() != MSIKV_OK)
    return 1;
  long failures = 0;
  static msikv__kv_challenge c;
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    if (msikv__kv_challenge_parse(kChallenge, &c, NULL) != MSIKV_OK ||
        !msikv__kv_challenge_host_matches(&c, "demo.vault.azure.net"))
      failures++;
  }
  double ns = (now_s() - t0) * 1e9 / (double)n;
  printf("challenge parse: %.1f ns/op (%ld ops; scope %s)\n", ns, n, c.scope);
  if (failures)
    fprintf(stderr, "challenge parse: %ld failures\n", failures);
  return failures ? 1 : 0;
}
