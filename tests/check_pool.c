/* tests/check_pool.c: the thread pool of --threads bundles (runtime/vitc_pool.c).
 *
 * Many runs in a row with task counts from 1 to 37 on pools of 2, 3 and 4
 * threads: every task of a run must execute exactly once, on a worker index
 * below the pool's size, before vitc_pool_run returns. Some runs are separated
 * by pauses longer than the workers' spin, so both the spinning and the
 * sleeping hand-over are exercised, and some tasks take long enough for every
 * worker to join. (The protocol bug this guards against: a worker that read the
 * previous run's ticket claiming a task of the next run before its publication,
 * which ran that task twice and hung the caller.) Also the edge cases of the
 * interface: no pool, one thread, zero tasks, refused sizes. A hang (the symptom
 * of a lost hand-over) fails at the 60 s time limit. */
#define _POSIX_C_SOURCE 200112L /* as runtime/vitc_pool.c, included below */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_runner.h"
#include "../runtime/vitc_pool.c"

enum { MAX_TASKS = 37 };

enum { BLOCK = 64 }; /* runs back to back between checks */

typedef struct Counts {
  int ran[MAX_TASKS];
  int bad_worker;
  int threads;
  int slow; /* tasks sleep 50 us */
} Counts;

static void count_task(void *ctx, int task, int worker) {
  Counts *c = ctx;
  if (c->slow) {
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
  }
  __atomic_add_fetch(&c->ran[task], 1, __ATOMIC_RELAXED);
  if (worker < 0 || worker >= c->threads) __atomic_store_n(&c->bad_worker, 1, __ATOMIC_RELAXED);
}

static int tasks_of(int run) { return 1 + run * 7919 % MAX_TASKS; }

START_TEST(test_every_task_once) {
  static const int sizes[] = {2, 3, 4};
  for (int s = 0; s < 3; s++) {
    vitc_pool *pool = vitc_pool_create(sizes[s]);
    ck_assert_ptr_nonnull(pool);
    ck_assert_int_eq(vitc_pool_threads(pool), sizes[s]);
    static Counts c[BLOCK];
    for (int base = 0; base < 40000; base += BLOCK) {
      for (int b = 0; b < BLOCK; b++) { /* back to back, as a model's parallel sections often are */
        memset(&c[b], 0, sizeof c[b]);
        c[b].threads = sizes[s];
        c[b].slow = (base + b) % 997 == 0;
      }
      for (int b = 0; b < BLOCK; b++) vitc_pool_run(pool, count_task, &c[b], tasks_of(base + b));
      for (int b = 0; b < BLOCK; b++) {
        for (int t = 0; t < MAX_TASKS; t++)
          ck_assert_msg(c[b].ran[t] == (t < tasks_of(base + b)), "pool of %d, run %d (%d tasks): task %d ran %d times",
                        sizes[s], base + b, tasks_of(base + b), t, c[b].ran[t]);
        ck_assert_int_eq(c[b].bad_worker, 0);
      }
      if (base % 4096 == 0) { /* let the workers fall asleep */
        struct timespec ts = {0, 3000000};
        nanosleep(&ts, NULL);
      }
    }
    vitc_pool_destroy(pool);
  }
}
END_TEST

START_TEST(test_edges) {
  Counts c = {{0}, 0, 1, 0};
  ck_assert_ptr_null(vitc_pool_create(0));
  ck_assert_int_eq(vitc_pool_threads(NULL), 1);
  vitc_pool_run(NULL, count_task, &c, 5); /* no pool: on this thread */
  for (int t = 0; t < 5; t++) ck_assert_int_eq(c.ran[t], 1);
  vitc_pool *one = vitc_pool_create(1);
  ck_assert_ptr_nonnull(one);
  vitc_pool_run(one, count_task, &c, 0);
  vitc_pool_run(one, count_task, &c, 3);
  for (int t = 0; t < 5; t++) ck_assert_int_eq(c.ran[t], t < 3 ? 2 : 1);
  ck_assert_int_eq(c.bad_worker, 0);
  vitc_pool_destroy(one);
  vitc_pool_destroy(NULL);
}
END_TEST

int main(void) {
  const TTest *const tests[] = {
      test_every_task_once,
      test_edges,
  };
  return tu_run_suite(tu_suite_of("pool", "pool", 60, tests, sizeof tests / sizeof tests[0])); /* a lost hand-over hangs: fail instead */
}
