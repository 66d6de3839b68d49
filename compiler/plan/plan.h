/* plan/plan.h: the static workspace plan.
 *
 * Every tensor that is computed at run time and is neither a graph input nor a
 * graph output lives in the caller's workspace at a fixed offset. Views (Reshape,
 * Flatten, Squeeze, Unsqueeze, Identity) share their source's storage. Offsets are
 * assigned by liveness (first definition to last use, in node order): buffers whose
 * lifetimes do not overlap share memory, placed greedily largest-first (the
 * "greedy by size" scheme of TFLite's arena planner). An op flagged OPF_INPLACE
 * (ir/ops.def) writes its output into its input 0's buffer when it is that
 * buffer's last reader and the sizes match (the output is then planned as a
 * view of the input). A node's scratch memory is a
 * buffer live for that node only; with --threads N, a node the emitter may split
 * into tasks (plan_node_parallel) gets N copies of it, one per worker
 * (docs/threads.md). Scratch sizes depend on the target (the packed GEMM's tile),
 * so the plan is made for one target, which it records; the emitter refuses a plan
 * made for another. */
#ifndef VITC_PLAN_H
#define VITC_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit/target.h"
#include "ir/graph.h"

typedef enum StorageKind {
  ST_NONE,      /* not needed at run time (folded away or unused) */
  ST_INPUT,     /* the caller's input buffer */
  ST_OUTPUT,    /* the caller's output buffer */
  ST_CONST,     /* weights in the model file */
  ST_WORKSPACE, /* workspace + offset */
  ST_VIEW,      /* same bytes as tensor `root` (a view op's output, or an in-place op's) */
} StorageKind;

typedef struct TensorPlan {
  StorageKind kind;
  int root;        /* ST_VIEW: the tensor it views (the view op's input) */
  int owner;       /* ST_VIEW: the tensor that owns the bytes, at the end of a chain of views */
  size_t offset;   /* ST_WORKSPACE */
  size_t bytes;
} TensorPlan;

typedef struct Plan {
  TensorPlan *t;        /* per tensor */
  size_t *scratch_off;  /* per node, offset of its scratch (if any) */
  size_t *scratch_bytes;
  size_t *scratch_stride;   /* per node, bytes of one copy of its scratch (scratch_bytes / copies) */
  int threads;              /* workers with their own scratch copies (plan_build_threads); 1 = serial */
  const Target *target;     /* the target whose kernels' scratch it holds */
  size_t workspace_bytes;   /* planned workspace */
  size_t intermediate_bytes;/* sum of all workspace tensors and scratch, if none shared memory */
  int n_buffers;
} Plan;

#define PLAN_ALIGN 64

/* Build the plan for g (nodes in topological order, all tensors typed) and the
 * target t whose kernels will run it (a row of emit/target.c). */
Plan *plan_build(Graph *g, const Target *t);
/* The same for a bundle whose parallel nodes (plan_node_parallel) run as tasks on
 * up to `threads` workers at once: each such node gets `threads` copies of its
 * scratch, scratch_stride bytes apart, one per worker. threads 1 is plan_build. */
Plan *plan_build_threads(Graph *g, const Target *t, int threads);
/* Whether the emitter may split node n into tasks (GEMMs, Conv, attention). */
bool plan_node_parallel(const Node *n);
void plan_free(Plan *p);
/* Following views: the tensor that owns t's bytes (O(1): resolved when planned). */
int plan_root(const Plan *p, int t);

#endif
