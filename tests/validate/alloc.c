/* alloc.c: allocation in a model file.
 * validate: --target scalar */
#include <stddef.h>
void *malloc(size_t n);                             /* expect: symbol-prefix */
void free(void *p);                                 /* expect: symbol-prefix */
void *calloc(size_t n, size_t size);                /* expect: symbol-prefix */
void *realloc(void *p, size_t n);                   /* expect: symbol-prefix */

int alloc_run(float *out) {
  float *p = malloc(16 * sizeof *p);                /* expect: no-malloc */
  float *q = calloc(4, sizeof *q);                  /* expect: no-malloc */
  p = realloc(p, 32 * sizeof *p);                   /* expect: no-malloc */
  out[0] = p[0] + q[0];
  free(p);                                          /* expect: no-malloc */
  free(q);                                          /* expect: no-malloc */
  return 0;
}
