/* diagnostic.c: compiler warnings, and pragmas that would hide them.
 * validate: --target scalar */
#pragma GCC diagnostic ignored "-Wunused-variable"  /* expect: diagnostic */
#pragma clang diagnostic ignored "-Wall"            /* expect: diagnostic */

int diagnostic_run(int x) {
  int *p = x;                                       /* expect: diagnostic */
  unsigned u = 3;
  if (x < u) return 1;                              /* expect: diagnostic */
  return p != 0;
}

_Pragma("GCC diagnostic ignored \"-Wsign-compare\"") /* expect: diagnostic */
