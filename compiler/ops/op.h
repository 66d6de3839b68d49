/* ops/op.h: what every op provides, and helpers shared by the op files.
 *
 * One file per op family in compiler/ops/ (as onnx2c does), each defining, per op
 * in ir/ops.def, a `const OpImpl op_impl_<Enum>`:
 *   infer    sets each output's dtype and shape from the inputs (shape inference);
 *   eval     computes the outputs' data when the inputs are constants (constant
 *            folding); NULL if the op never folds;
 *   emit     lowers the node to a call of a kernel template (emit/emit.h); it writes
 *            one call, never kernel code: kernels live in templates/;
 *   scratch  bytes of temporary memory the kernel needs during the call, planned
 *            into the workspace like a tensor that lives for this node only; it
 *            takes the target the workspace is planned for (plan_build's), since
 *            the packed GEMM's panels depend on the target's tile;
 *   macs     multiply-accumulates per run (MatMul, Gemm, Conv), for `vitc inspect`.
 * Missing ops are caught at link time: ops/registry.c names every op_impl_<Enum>.
 * See docs/adding-an-op.md. */
#ifndef VITC_OPS_OP_H
#define VITC_OPS_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/diag.h"
#include "ir/graph.h"

typedef struct Emitter Emitter;
typedef struct Target Target;

typedef struct OpImpl {
  int (*infer)(Graph *g, Node *n);
  int (*eval)(Graph *g, Node *n);
  int (*emit)(Emitter *e, Graph *g, Node *n);
  size_t (*scratch)(Graph *g, Node *n, const Target *t);
  int64_t (*macs)(Graph *g, Node *n); /* multiply-accumulates, for `vitc inspect`; NULL = 0 */
  bool fold_from_shapes; /* eval needs only typed inputs, not their data (Shape) */
} OpImpl;

const OpImpl *op_impl(OpKind k);

/* ---- helpers for infer/eval (ops/common.c) ---- */

/* Set output i's dtype and shape and mark it typed. */
void set_output(Graph *g, Node *n, int i, DType dt, const Shape *s);
/* numpy broadcast of a and b into out; error naming the node if incompatible. */
int broadcast_shape(Graph *g, Node *n, const Shape *a, const Shape *b, Shape *out);
/* Normalize axis (negative counts from the end) into [0, rank); error if out of range. */
int normalize_axis(Graph *g, Node *n, int64_t axis, int rank, int *out);
/* Read a constant integer tensor (int32 or int64) of at most max elements into v;
 * returns the count, or -1 with an error naming `what`. */
int const_ints(Graph *g, Node *n, int input, const char *what, int64_t *v, int max);
/* Output numel must fit kernel indexing; error otherwise. */
int check_numel(Graph *g, Node *n, const Shape *s);
/* Element i of a constant tensor as double / int64, whatever its dtype. */
double tensor_get_f64(const Tensor *t, int64_t i);
int64_t tensor_get_i64(const Tensor *t, int64_t i);
/* Store v into element i of a buffer of dtype dt (with ONNX cast semantics). */
void buf_set_f64(void *buf, DType dt, int64_t i, double v);
void buf_set_i64(void *buf, DType dt, int64_t i, int64_t v);
bool dtype_is_float(DType dt);
/* Allocate output i's constant data (numel * dtype_size, zeroed) and return it. */
void *alloc_output_data(Graph *g, Node *n, int i);
/* Row-major strides (in elements) of shape s into st. */
void shape_strides(const Shape *s, int64_t *st);

#endif
