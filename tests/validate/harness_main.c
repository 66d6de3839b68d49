/* harness_main.c: command-line harness for model 'harness' (a planted harness).
 * validate: --target scalar
 * The harness may do I/O, allocate and keep writable state; the other rules
 * still hold. Named NAME_main.c with the banner above, it is found without --harness. */
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>                                /* expect: header */

static int verbose;

static int countdown(int n) { return n > 0 ? countdown(n - 1) : 0; } /* expect: no-recursion */
int run_all(int n) { return countdown(n); }         /* expect: symbol-prefix */

int main(int argc, char **argv) {
  float *buf = malloc(16 * sizeof *buf);
  if (!buf) return 1;
  verbose = argc > 1;
  if (verbose) printf("%s\n", argv[1]);
  fprintf(stderr, "%d\n", run_all(argc));
  free(buf);
  return 0;
}
