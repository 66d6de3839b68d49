/* emit/buf.h: a growable text buffer. */
#ifndef VITC_BUF_H
#define VITC_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct Buf {
  char *s;
  size_t len, cap;
} Buf;

void buf_printf(Buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
void buf_puts(Buf *b, const char *s);
void buf_putn(Buf *b, const char *s, size_t n);
void buf_free(Buf *b);

#endif
