/* pragma_header.c: a bundle header that switches warnings off for what follows.
 * validate: --target scalar */
#include "pragma_header.h"

int pragma_header_run(int x) {
  unsigned u = 3;
  return x < u; /* hidden by the header's pragma, which is what gets reported */
}
