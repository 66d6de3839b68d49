/* vitc_pool.h: the thread pool of bundles compiled with `vitc compile --threads N`.
 *
 * A bundle compiled with --threads N > 1 splits its GEMMs (rows of the output)
 * and its fused attention (batch x heads x query rows) into tasks, and runs them
 * through this interface: NAME_run_pool(in, out, ws, pool). The model file
 * includes this header, which therefore includes nothing: the pool is an opaque
 * type, and pthreads appear only in vitc_pool.c, shipped next to it. NAME_run()
 * (pool NULL) runs the same tasks one after another on the calling thread, so
 * the results do not depend on the pool: every task writes its own rows and uses
 * the scratch copy of the worker running it.
 *
 * The pool is the caller's object, not a global: create it once, use it for any
 * number of runs (of one or several models; one run at a time), destroy it.
 * vitc_pool_run is not reentrant: two threads must not run on one pool at once.
 * Several bundles linked into one program need vitc_pool.c once: it is the same
 * file in every bundle (its symbols are vitc_pool_*, not model-prefixed). */
#ifndef VITC_POOL_H
#define VITC_POOL_H

/* NAME_run_pool's status when the pool has more threads than the bundle has
 * scratch copies for (NAME_THREADS, the --threads of the compile). */
#define VITC_ERR_POOL 2

typedef struct vitc_pool vitc_pool;

/* One task: index task in [0, ntasks), run by worker in [0, vitc_pool_threads()). */
typedef void (*vitc_pool_task_fn)(void *ctx, int task, int worker);

/* A pool of `threads` workers counting the calling thread (threads - 1 are
 * started now and wait for work); NULL if threads < 1 or out of memory or threads. */
vitc_pool *vitc_pool_create(int threads);

/* Stops and joins the workers, frees the pool. NULL is allowed. */
void vitc_pool_destroy(vitc_pool *pool);

/* Workers, the calling thread included. */
int vitc_pool_threads(const vitc_pool *pool);

/* fn(ctx, t, worker) for every t in [0, ntasks), spread over the workers (the
 * calling thread is worker 0); returns when all are done. */
void vitc_pool_run(vitc_pool *pool, vitc_pool_task_fn fn, void *ctx, int ntasks);

#endif /* VITC_POOL_H */
