/* tests/check_runner.h: the end of every Check driver's main, written once.
 *
 * Each tests/check_*.c builds its Suite the way it needs (which cases, which time
 * limits, which parts per --isa) and then hands it to tu_run_suite, which runs it
 * with Check's normal output and turns the failure count into the exit status. A
 * driver whose cases are a table of named tests, each its own TCase with the same
 * time limit and fixture, adds them with tu_add_tcases.
 *
 * Header-only with static inline functions and no dependency but Check, so the
 * kernel tests (check_kern_*.c) still build alone from templates/ and tests/. */
#ifndef VITC_CHECK_RUNNER_H
#define VITC_CHECK_RUNNER_H

#include <check.h>
#include <stddef.h>
#include <stdlib.h>

/* Runs s (srunner_run_all, CK_NORMAL), frees it; EXIT_SUCCESS iff no test failed. */
static inline int tu_run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* One row of a driver's test table: the TCase's name and its one test. */
typedef struct TuNamedTest {
  const char *name;
  const TTest *test;
} TuNamedTest;

/* Adds each of tests[0..n) to s as its own TCase named after it, with the time limit
 * timeout_secs (0: Check's default) and the checked fixture setup/teardown (NULL: none). */
static inline void tu_add_tcases(Suite *s, const TuNamedTest *tests, size_t n, double timeout_secs,
                                 SFun setup, SFun teardown) {
  for (size_t i = 0; i < n; i++) {
    TCase *tc = tcase_create(tests[i].name);
    if (timeout_secs > 0) tcase_set_timeout(tc, timeout_secs);
    if (setup || teardown) tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tests[i].test);
    suite_add_tcase(s, tc);
  }
}

#endif
