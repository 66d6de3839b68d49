/* pragma_header.h: hides -Wsign-compare from the file that includes it. */
#ifndef PRAGMA_HEADER_H
#define PRAGMA_HEADER_H
#pragma GCC diagnostic ignored "-Wsign-compare"     /* expect: diagnostic */
int pragma_header_run(int x);
#endif
