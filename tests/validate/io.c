/* io.c: I/O in a model file, through stdio.h (itself not allowed) and stdlib.h.
 * validate: --target scalar */
#include <stdio.h>                                  /* expect: header */
#include <stdlib.h>                                 /* expect: header */

int io_run(const float *in, float *out) {
  FILE *f = fopen("x.bin", "wb");                   /* expect: no-io */
  printf("%f\n", (double)in[0]);                    /* expect: no-io */
  fprintf(stderr, "debug\n");                       /* expect: no-io */
  puts("hello");                                    /* expect: no-io */
  fwrite(in, sizeof *in, 1, f);                     /* expect: no-io */
  fclose(f);                                        /* expect: no-io */
  if (getenv("VITC_DEBUG")) out[0] = 0;             /* expect: no-io */
  out[1] = (float)atoi("3");                        /* expect: header-use */
  return 0;
}
