/* emit/emit.h: IR + plan + target -> C bundle.
 *
 * emit_bundle() writes DIR/NAME.h, DIR/NAME.c (kernels pasted from templates,
 * weights as static const data, one run function) and the runtime files; with
 * main_harness, DIR/NAME_main.c too; with weights_file, the weights go to
 * DIR/NAME.weights (runtime/vitc_weights.h) instead of NAME.c. Files are written under temporary names and
 * renamed at the end, so a failed compile never leaves a bundle that looks complete.
 *
 * Op emitters (the files in ops/) use the functions below to write the body of the run
 * function: one kernel call per node, with every shape a literal. */
#ifndef VITC_EMIT_H
#define VITC_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit/target.h"
#include "ir/graph.h"
#include "plan/plan.h"

typedef struct Emitter Emitter;

typedef struct EmitOptions {
  const char *out_dir;
  const char *name;       /* C prefix and file stem */
  const Target *target;
  bool main_harness;      /* also write NAME_main.c */
  const char *command;    /* the generating command line, for the banner (no absolute paths) */
  const char *model_file; /* model file name (basename), for the banner */
  bool weights_file;      /* --weights file: the weights go to NAME.weights, not into NAME.c */
  bool release_weights;   /* free each constant of the graph once packed and no longer read
                             (the graph cannot be emitted again): vitc compile's memory */
  const struct TraceInfo *trace; /* --trace: NAME_run_traced and its node table (NULL: none) */
} EmitOptions;

/* What a traced bundle (vitc compile --trace, docs/verify.md) says of each node
 * beyond the final graph: which ONNX nodes it computes (fusion), from the model as
 * exported (compiler/emit/trace.c: trace_info). */
typedef struct TraceInfo {
  char **covers;       /* per final node: the ONNX nodes it covers, "; "-separated */
  char **onnx_node;    /* per final node: the ONNX node that made its first ONNX-named output, or "" */
  unsigned char *onnx_named; /* per final tensor: 1 if the ONNX model has a tensor of this name */
  int nn, nt;
} TraceInfo;
TraceInfo *trace_info(const Graph *final, const Graph *exported);
void trace_info_free(TraceInfo *ti);

int emit_bundle(Graph *g, const Plan *plan, const EmitOptions *opt);

/* vitc inspect --kernels: the kernel functions each node of g calls on opt->target,
 * from the emitter's own lowering of the node (the names emit_kfn gives, and
 * "memcpy" for a copy), so the list is what emit_bundle would write; nothing is
 * written. cb gets the node's index and its kernels, space-separated ("" for a
 * view). Returns 0, or -1 on the emitter's error (reported). */
typedef void (*EmitKernelsFn)(void *ctx, int node, const char *kernels);
int emit_kernels(Graph *g, const Plan *plan, const EmitOptions *opt, EmitKernelsFn cb, void *ctx);

/* ---- for op emitters ---- */

/* Append one line (printf format) to the run function body, indented. */
void emit_line(Emitter *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The C expression naming tensor t's storage: a pointer of the tensor's C type
 * (const for weights and inputs). Valid until the emitter is freed. */
const char *emit_ref(Emitter *e, int t);
/* An int array as a C99 compound literal "((const int[]){1, 2})" to pass to a kernel. */
const char *emit_ints(Emitter *e, const char *hint, const int64_t *v, int n);
/* A float as a C literal that reads back exactly: "1e-05f", "2.0f", "-HUGE_VALF", "NAN". */
const char *emit_float(Emitter *e, float v);
/* Ask for a kernel template by family stem, e.g. "gemm/f32-gemm": the target's
 * templates/gemm/f32-gemm-<isa>.c (or -scalar.c) is pasted into the model once. */
int emit_use_kernel(Emitter *e, const char *stem);
/* The name of a kernel function for the current target: prefix + "_" + isa,
 * e.g. emit_kfn(e, "vitc_f32_gemm") -> "vitc_f32_gemm_scalar". */
const char *emit_kfn(Emitter *e, const char *base);
/* A constant emitted with the weights (e.g. a weight packed for a kernel); data is
 * copied and written out after all nodes, sorted by name. Returns its C expression
 * (a const pointer). */
const char *emit_const(Emitter *e, const char *hint, DType dt, int64_t numel, const void *data);
/* Pointer to this node's scratch memory (ops/op.h: OpImpl.scratch), as "(void *)(...)". */
const char *emit_scratch(Emitter *e);
const Target *emit_target(Emitter *e);

/* ---- parallel sections (--threads N > 1; docs/threads.md) ---- */

/* Workers the bundle is compiled for, the plan's (plan_build_threads(g, N)):
 * 1 = serial, the kernel calls go straight into the run function. */
int emit_threads(const Emitter *e);
/* Tasks per worker a node is cut into. Workers claim tasks as they come, so
 * with more tasks than workers a preempted worker leaves more of its share to
 * the others; but on a quiet machine DeiT-Tiny (avx512, 2 threads) measured
 * 13.9 ms with 1 task per worker against 14.4 with 4 (and 15.4 with 2, whose
 * row chunks come out unequal), so 1. */
#define EMIT_TASKS_PER_THREAD 1
/* One kernel call over M rows, split by rows with --threads: the GEMMs and the
 * patch-embedding conv.
 *   EmitRows r = emit_rows_begin(e, M, unit);
 *   emit_line(e, "f(%s, ..., %s, ...);", r.count, emit_rows_ptr(e, &r, A, lda));
 *   emit_rows_end(e, &r);
 * Serial (one thread, unit < 1, or no more than unit rows), the call covers all
 * M rows: r.count is M's literal and emit_rows_ptr returns ptr unchanged. Else the
 * call is the body of tasks of a multiple of `unit` rows each, about
 * EMIT_TASKS_PER_THREAD per worker: r.count is "m" and pointers move to the
 * task's first row m0. */
typedef struct EmitRows {
  int tasks;      /* 1: serial */
  char count[24]; /* the rows of the call: "197", or "m" in a task */
} EmitRows;
EmitRows emit_rows_begin(Emitter *e, int64_t M, int64_t unit);
/* ptr moved to the call's first row, rows `stride` elements apart ("NULL" stays). */
const char *emit_rows_ptr(Emitter *e, const EmitRows *r, const char *ptr, int64_t stride);
void emit_rows_end(Emitter *e, const EmitRows *r);
/* Between emit_task_begin and emit_task_end, emit_line writes the body of a task
 * function instead of the run function, which instead gets one call that runs
 * the ntasks tasks (on the pool, or one after another). In the body, `task` is
 * the task index, in, out and the node's workspace tensors are in scope as in
 * the run function, and emit_scratch() is the running worker's own copy. */
void emit_task_begin(Emitter *e, int ntasks);
void emit_task_end(Emitter *e);
/* "ptr + (ptrdiff_t)index * stride" ("NULL" stays "NULL"): a row offset in a task. */
const char *emit_offset(Emitter *e, const char *ptr, const char *index, int64_t stride);

#endif
