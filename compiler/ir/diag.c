/* Diagnostics and checked allocation for the compiler (never for generated code). */
#include "ir/diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vitc_quiet;
int vitc_error_count;
int vitc_err_silent;

int vitc_err(const char *fmt, ...) {
  vitc_error_count++;
  if (vitc_err_silent) return -1;
  va_list ap;
  va_start(ap, fmt);
  fputs("vitc: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return -1;
}

void vitc_die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("vitc: internal error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

void vitc_note(const char *fmt, ...) {
  if (vitc_quiet) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

void *xmalloc(unsigned long n) {
  void *p = malloc(n ? n : 1);
  if (!p) vitc_die("out of memory (%lu bytes)", n);
  return p;
}

void *xcalloc(unsigned long n, unsigned long size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) vitc_die("out of memory (%lu x %lu bytes)", n, size);
  return p;
}

void *xrealloc(void *p, unsigned long n) {
  p = realloc(p, n ? n : 1);
  if (!p) vitc_die("out of memory (%lu bytes)", n);
  return p;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = xmalloc(n);
  memcpy(p, s, n);
  return p;
}
