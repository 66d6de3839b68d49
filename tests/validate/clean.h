/* clean.h: the bundle header of clean.c (a bundle may include its own NAME.h). */
#ifndef CLEAN_H
#define CLEAN_H
#include <stddef.h>
int clean_run(const float *in, float *out, int n);
#endif
