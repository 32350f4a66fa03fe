/* SPDX-License-Identifier: MIT */
/* Microbenchmark: ns per msikv__kv_secret_parse() of a typical SecretBundle
 * (the one Key Vault sends for GET /secrets/{name}), value freed each time.
 * Usage: secret_parse_bench [iterations]   (default 200000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kv_internal.h"
#include "msikv/msikv.h"

static const char kBundle[] =
    "{\"value\":\"Hello from the msikv mock Key Vault\","
    "\"id\":\"https://demo.vault.azure.net/secrets/secret/"
    "c7b803a6e6f5dc73093005c8a4852fc3\","
    "\"contentType\":\"text/plain\","
    "\"attributes\":{\"enabled\":true,\"created\":1796401964,"
    "\"updated\":1796401964,\"recoveryLevel\":\"Recoverable+Purgeable\","
    "\"recoverableDays\":90},\"tags\":{\"env\":\"dev\"}}";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
  if (n <= 0)
    n = 200000;
  if (msikv_global_init() != MSIKV_OK)
    return 1;
  long failures = 0;
  size_t len = strlen(kBundle);
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    msikv_kv_secret *s = NULL;
    if (msikv__kv_secret_parse(kBundle, len, MSIKV__KV_BUNDLE, true, &s,
                               NULL) != MSIKV_OK ||
        !s || !s->value)
      failures++;
    msikv_kv_secret_free(s);
  }
  double ns = (now_s() - t0) * 1e9 / (double)n;
  printf("secret parse: %.1f ns/op (%ld ops, %zu-byte SecretBundle)\n", ns, n,
         len);
  if (failures)
    fprintf(stderr, "secret parse: %ld failures\n", failures);
  return failures ? 1 : 0;
}
