/* header.c: includes outside the allowed list, directly and through a bundle header.
 * validate: --target scalar */
#include "header.h"
#include <limits.h>                                 /* expect: header */
#include <stdint.h>
#include <immintrin.h>                              /* expect: header */
#include "other.h"                                  /* expect: header */

int header_run(int x) { return x < INT_MAX ? x + 1 : x; }
