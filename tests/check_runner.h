/* tests/check_runner.h: the end of every Check driver's main, written once.
 *
 * Each tests/check_*.c builds its Suite the way it needs (which cases, which time
 * limits, which parts per --isa) and then hands it to tu_run_suite, which runs it
 * with Check's normal output and turns the failure count into the exit status. A
 * driver whose cases are a table of named tests, each its own TCase with the same
 * time limit and fixture, adds them with tu_add_tcases. A driver registered once per
 * ISA (`--isa avx2`, tests/testutil.h) lists its tests with the ISA each belongs to
 * and adds the ones of this run with tu_add_isa_tests or tu_isa_suite.
 *
 * Header-only with static inline functions and no dependency but Check, so the
 * kernel tests (check_kern_*.c) still build alone from templates/ and tests/. */
#ifndef VITC_CHECK_RUNNER_H
#define VITC_CHECK_RUNNER_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs s (srunner_run_all, CK_NORMAL), frees it; EXIT_SUCCESS iff no test failed. */
static inline int tu_run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A suite of one TCase named tcase, with the time limit timeout_secs (0: Check's default),
 * holding tests[0..n) in order. */
static inline Suite *tu_suite_of(const char *suite, const char *tcase, double timeout_secs, const TTest *const *tests,
                                 size_t n) {
  Suite *s = suite_create(suite);
  TCase *tc = tcase_create(tcase);
  if (timeout_secs > 0) tcase_set_timeout(tc, timeout_secs);
  for (size_t i = 0; i < n; i++) tcase_add_test(tc, tests[i]);
  suite_add_tcase(s, tc);
  return s;
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

/* One row of a per-ISA driver's table: a test and the --isa run it belongs to
 * (NULL: the portable run, without --isa). */
typedef struct TuIsaTest {
  const char *isa;
  const TTest *test;
} TuIsaTest;

/* Adds to tc the tests of tests[0..n) that belong to the run of isa (NULL: portable).
 * None is an error in the driver's table: it says so and exits 2. */
static inline void tu_add_isa_tests(TCase *tc, const char *isa, const TuIsaTest *tests, size_t n) {
  size_t added = 0;
  for (size_t i = 0; i < n; i++) {
    bool mine = isa && tests[i].isa ? strcmp(isa, tests[i].isa) == 0 : isa == tests[i].isa;
    if (mine) tcase_add_test(tc, tests[i].test), added++;
  }
  if (!added) {
    fprintf(stderr, "no tests for the %s run\n", isa ? isa : "portable");
    exit(2);
  }
}

/* A suite of one TCase named after the run (the ISA, or "portable") with the time limit
 * timeout_secs, holding the tests of that run (tu_add_isa_tests). */
static inline Suite *tu_isa_suite(const char *name, const char *isa, double timeout_secs, const TuIsaTest *tests,
                                  size_t n) {
  Suite *s = suite_create(name);
  TCase *tc = tcase_create(isa ? isa : "portable");
  tcase_set_timeout(tc, timeout_secs);
  tu_add_isa_tests(tc, isa, tests, n);
  suite_add_tcase(s, tc);
  return s;
}

#endif
