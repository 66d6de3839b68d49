/* Diagnostics, in two tiers (as in QBE):
 *   vitc_err(...)  bad input: prints one line "vitc: error: ..." and the caller returns
 *                  an error status up to main, which exits 1;
 *   vitc_die(...)  an internal bug: prints and aborts. */
#ifndef VITC_DIAG_H
#define VITC_DIAG_H

#include <stdarg.h>

#if defined(__GNUC__)
#define VITC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define VITC_NORETURN __attribute__((noreturn))
#else
#define VITC_PRINTF(a, b)
#define VITC_NORETURN
#endif

/* Always returns -1 so that `return vitc_err(...)` reads naturally. */
int vitc_err(const char *fmt, ...) VITC_PRINTF(1, 2);
void vitc_die(const char *fmt, ...) VITC_PRINTF(1, 2) VITC_NORETURN;
/* Progress/info line on stderr, suppressed with --quiet. */
void vitc_note(const char *fmt, ...) VITC_PRINTF(1, 2);
extern int vitc_quiet;
/* Number of errors reported so far (tests use it). */
extern int vitc_error_count;
/* Count errors without printing them (the fuzzer, which runs millions of bad models). */
extern int vitc_err_silent;

void *xmalloc(unsigned long n);
void *xcalloc(unsigned long n, unsigned long size);
void *xrealloc(void *p, unsigned long n);
char *xstrdup(const char *s);

#endif
