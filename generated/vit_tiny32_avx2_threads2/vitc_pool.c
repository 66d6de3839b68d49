/* vitc_pool.c: a tiny pthread pool for bundles compiled with --threads N
 * (interface and contract in vitc_pool.h). Build it with -pthread.
 *
 * The pool starts threads - 1 workers once. A run publishes (fn, ctx, ntasks)
 * and a new generation in `ticket` (generation << 32 | next task index); the
 * caller and the workers claim task indices by compare-and-swap on the ticket
 * (which fails once a newer run has started, so a late worker never runs a
 * task with another run's fn), and count finished tasks. The caller waits for
 * the tasks, not for the workers: a worker the OS has not scheduled in time
 * (the machine is busy, or it was asleep) simply finds nothing left to do.
 * A ViT runs a few dozen such parallel sections per inference, separated by
 * short serial kernels (LayerNorm, element-wise glue), so an idle worker first
 * spins for a while (VITC_POOL_SPIN pause instructions, tens of microseconds)
 * on the ticket before it sleeps on a condition variable; the caller likewise
 * spins briefly before it sleeps waiting for the last task. Shared fields are
 * read and written with the GCC/Clang __atomic builtins (the file stays C99);
 * a new run and the last finished task are also signalled under the mutex, so
 * no wake-up is lost.
 *
 * Nothing here is global: every piece of state is in the vitc_pool object. */
#define _POSIX_C_SOURCE 200112L
#include "vitc_pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#if !defined(__GNUC__) && !defined(__clang__)
#error "vitc_pool.c uses the GCC/Clang __atomic builtins"
#endif

/* Task index of a closed run: before it writes the next run's fn, ctx and
 * ntasks, the caller swaps the ticket to (generation, CLOSED), so that a worker
 * that read the old ticket and then the new fields fails its compare-and-swap
 * instead of claiming a task of the next run before it is published. */
#define VITC_POOL_CLOSED 0xffffffffu

/* Spin iterations before sleeping (each a pause instruction, ~10-40 ns). */
#define VITC_POOL_SPIN 4096

struct vitc_pool {
  pthread_mutex_t mu;
  pthread_cond_t wake; /* a new run, or stop */
  pthread_cond_t done; /* the last task of the run finished */
  pthread_t *threads;  /* threads - 1 workers */
  int nthreads;        /* workers counting the caller */
  int started;         /* workers actually started */
  /* The current run. ticket = generation << 32 | next task index (atomic): a
   * task is claimed by a compare-and-swap that also proves the run is still the
   * one whose fn, ctx and ntasks were read (atomically, relaxed; published by
   * the release store of ticket). */
  vitc_pool_task_fn fn;
  void *ctx;
  int ntasks;
  uint64_t ticket;
  int finished; /* tasks of the current run done (atomic) */
  int stop;     /* atomic */
};

typedef struct WorkerArg {
  vitc_pool *pool;
  int id;
} WorkerArg;

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Claims and runs tasks of run `gen` until none is left (or a newer run has
 * started, which can only happen once every task of `gen` is finished). The
 * one who finishes the last task wakes the caller. */
static void run_tasks(vitc_pool *p, uint32_t gen, int worker) {
  for (;;) {
    uint64_t t = __atomic_load_n(&p->ticket, __ATOMIC_ACQUIRE);
    const vitc_pool_task_fn fn = __atomic_load_n(&p->fn, __ATOMIC_RELAXED);
    void *const ctx = __atomic_load_n(&p->ctx, __ATOMIC_RELAXED);
    const int n = __atomic_load_n(&p->ntasks, __ATOMIC_RELAXED);
    const uint32_t i = (uint32_t)t;
    if ((uint32_t)(t >> 32) != gen || i >= (uint32_t)n) return;
    /* Success proves the ticket was still (gen, i): the run was not closed yet, so
     * fn, ctx and n were run gen's (see VITC_POOL_CLOSED) */
    if (!__atomic_compare_exchange_n(&p->ticket, &t, t + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
    fn(ctx, (int)i, worker);
    if (__atomic_add_fetch(&p->finished, 1, __ATOMIC_ACQ_REL) == n) {
      pthread_mutex_lock(&p->mu);
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

static uint32_t generation(vitc_pool *p) { return (uint32_t)(__atomic_load_n(&p->ticket, __ATOMIC_ACQUIRE) >> 32); }

static void *worker_main(void *arg) {
  vitc_pool *p = ((WorkerArg *)arg)->pool;
  const int id = ((WorkerArg *)arg)->id;
  uint32_t seen = 0, gen;
  free(arg);
  for (;;) {
    int spin;
    for (spin = 0; spin < VITC_POOL_SPIN && generation(p) == seen; spin++) cpu_relax();
    if (spin == VITC_POOL_SPIN) {
      pthread_mutex_lock(&p->mu);
      while (generation(p) == seen && !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) pthread_cond_wait(&p->wake, &p->mu);
      pthread_mutex_unlock(&p->mu);
    }
    if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) return NULL;
    gen = generation(p);
    run_tasks(p, gen, id); /* a worker that wakes late finds no task left, and leaves */
    seen = gen;
  }
}

vitc_pool *vitc_pool_create(int threads) {
  vitc_pool *p;
  int i;
  if (threads < 1 || threads > 1024) return NULL;
  p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->nthreads = threads;
  p->threads = calloc((size_t)threads, sizeof *p->threads);
  if (!p->threads || pthread_mutex_init(&p->mu, NULL) != 0) {
    free(p->threads);
    free(p);
    return NULL;
  }
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  for (i = 1; i < threads; i++) {
    WorkerArg *a = malloc(sizeof *a);
    if (!a) break;
    a->pool = p;
    a->id = i;
    if (pthread_create(&p->threads[i - 1], NULL, worker_main, a) != 0) {
      free(a);
      break;
    }
    p->started++;
  }
  if (p->started != threads - 1) {
    vitc_pool_destroy(p);
    return NULL;
  }
  return p;
}

void vitc_pool_destroy(vitc_pool *p) {
  int i;
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  for (i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->mu);
  free(p->threads);
  free(p);
}

int vitc_pool_threads(const vitc_pool *p) { return p ? p->nthreads : 1; }

void vitc_pool_run(vitc_pool *p, vitc_pool_task_fn fn, void *ctx, int ntasks) {
  int t, spin;
  uint32_t gen;
  if (ntasks <= 0) return;
  if (!p || p->nthreads == 1 || ntasks == 1) { /* nothing to share */
    for (t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return;
  }
  /* Every task of the previous run is finished; close it (acquire: the field
   * writes below stay after the swap) before changing the fields. */
  gen = generation(p);
  __atomic_exchange_n(&p->ticket, (uint64_t)gen << 32 | VITC_POOL_CLOSED, __ATOMIC_ACQ_REL);
  gen++;
  __atomic_store_n(&p->fn, fn, __ATOMIC_RELAXED);
  __atomic_store_n(&p->ctx, ctx, __ATOMIC_RELAXED);
  __atomic_store_n(&p->ntasks, ntasks, __ATOMIC_RELAXED);
  __atomic_store_n(&p->finished, 0, __ATOMIC_RELAXED);
  pthread_mutex_lock(&p->mu); /* sleeping workers check the generation under mu */
  __atomic_store_n(&p->ticket, (uint64_t)gen << 32, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  run_tasks(p, gen, 0);
  /* Wait for the tasks, not for the workers: one the OS has not scheduled yet
   * costs nothing when the others took its share. */
  for (spin = 0; spin < VITC_POOL_SPIN; spin++) {
    if (__atomic_load_n(&p->finished, __ATOMIC_ACQUIRE) == ntasks) return;
    cpu_relax();
  }
  pthread_mutex_lock(&p->mu);
  while (__atomic_load_n(&p->finished, __ATOMIC_ACQUIRE) != ntasks) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}
