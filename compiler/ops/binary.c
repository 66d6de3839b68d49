/* ops/binary.c: broadcasting binary ops, comparisons, logic, Max/Min/Sum and Where.
 *
 * All of these compute a dense output from inputs that numpy-broadcast to it.
 * Per node:
 *
 *   infer  checks element types against the ONNX schema (one type T for every
 *          input, except Pow whose exponent may be any number type, And/Or on
 *          bool, Where's bool condition) and broadcasts the shapes;
 *   eval   folds element by element in double (float types) or int64 (integer
 *          and bool types) with the kernels' semantics (integers wrap on
 *          overflow, x / 0 = 0, Max/Min propagate NaN), then converts to the
 *          output type with the bundle's own Cast kernel;
 *   emit   calls templates/eltwise/x-binary-scalar.c. Its kernels compute in
 *          float32, int64 or bool; int32, int8 and uint8 tensors are widened to
 *          int64 in scratch memory and the result is narrowed back, which is exact
 *          (two's complement wrap-around commutes with widening), and Pow's
 *          exponent is converted to float32. float64 arithmetic folds but has no
 *          kernel, so it is an error if it survives to run time. Max/Min/Sum with
 *          k inputs are k-1 kernel calls, partial results in scratch.
 *
 * The emitter hands each kernel call a collapsed broadcast description (see the
 * header of x-binary-scalar.c): output dims of size 1 are dropped, and adjacent
 * dims merge when every operand walks them the same way, i.e. when for every
 * operand stride(outer) == stride(inner) * size(inner) (both contiguous, or both
 * broadcast). A residual add [1,197,192] + [1,197,192] becomes one run of 37824;
 * a bias add [197,192] + [192] stays {197,192} with strides {192,1} and {0,1}; a
 * per-channel scale [1,64,56,56] * [1,64,1,1] becomes {64,3136} with strides
 * {3136,1} and {1,0}. The kernel's inner loop thus runs over the longest row. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"
/* Folded results are converted to their output type by the Cast kernel the
 * bundle itself uses, so folding and running agree (saturation, wrap-around). */
#include "eltwise/x-cast-scalar.c"

#define MAX_VARIADIC 32  /* inputs of one Max/Min node */
#define MAX_OPERANDS 3   /* inputs of one kernel call (Where has three) */
#define SCRATCH_ALIGN 64
#define NO_SCRATCH ((size_t)-1)   /* an input used as it is */
#define CONVERTED_CONST ((size_t)-2) /* a constant input converted at compile time */

/* ---- element type classes ---- */

enum { CL_FLOAT = 1, CL_INT = 2, CL_BOOL = 4 };

static unsigned type_class(DType dt) {
  switch (dt) {
  case DT_FLOAT: case DT_DOUBLE: return CL_FLOAT;
  case DT_INT64: case DT_INT32: case DT_INT8: case DT_UINT8: return CL_INT;
  case DT_BOOL: return CL_BOOL;
  default: return 0;
  }
}

static const char *classes_str(unsigned c) {
  switch (c) {
  case CL_BOOL: return "bool";
  case CL_FLOAT | CL_INT: return "float32, float64, int8, uint8, int32 or int64";
  default: return "float32, float64, int8, uint8, int32, int64 or bool";
  }
}

/* ---- per-element semantics (for folding; they mirror the kernels) ---- */

static double f_add(double a, double b) { return a + b; }
static double f_sub(double a, double b) { return a - b; }
static double f_mul(double a, double b) { return a * b; }
static double f_div(double a, double b) { return a / b; }
static double f_pow(double a, double b) { return pow(a, b); }
static double f_max(double a, double b) { return (a >= b || a != a) ? a : b; }
static double f_min(double a, double b) { return (a <= b || a != a) ? a : b; }
static double f_eq(double a, double b) { return a == b; }
static double f_lt(double a, double b) { return a < b; }
static double f_gt(double a, double b) { return a > b; }
static double f_le(double a, double b) { return a <= b; }
static double f_ge(double a, double b) { return a >= b; }

static int64_t i_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t i_sub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t i_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
/* Truncates toward zero; x / 0 = 0 and INT64_MIN / -1 wraps, as in the kernel. */
static int64_t i_div(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (b == -1) return (int64_t)(0u - (uint64_t)a);
  return a / b;
}
/* Integer power by squaring, wrapping; a negative exponent gives the truncated
 * real result (1, -1 or 0; 0 for 0^-k, which has none). */
static int64_t i_pow(int64_t a, int64_t b) {
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
  uint64_t r = 1, base = (uint64_t)a;
  for (; b; b >>= 1) {
    if (b & 1) r *= base;
    base *= base;
  }
  return (int64_t)r;
}
static double f_fmod(double a, double b) { return fmod(a, b); }
static double f_prelu(double a, double b) { return a < 0 ? a * b : a; }
/* Mod fmod=0: the sign of the divisor (Python's %), x mod 0 = 0, as the kernel */
static int64_t i_mod(int64_t a, int64_t b) {
  if (b == 0 || b == -1) return 0;
  int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
static int64_t i_fmod(int64_t a, int64_t b) { return b == 0 || b == -1 ? 0 : a % b; }
static int64_t i_xor(int64_t a, int64_t b) { return (a != 0) ^ (b != 0); }
static int64_t i_max(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t i_min(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t i_eq(int64_t a, int64_t b) { return a == b; }
static int64_t i_lt(int64_t a, int64_t b) { return a < b; }
static int64_t i_gt(int64_t a, int64_t b) { return a > b; }
static int64_t i_le(int64_t a, int64_t b) { return a <= b; }
static int64_t i_ge(int64_t a, int64_t b) { return a >= b; }
static int64_t i_and(int64_t a, int64_t b) { return (a != 0) & (b != 0); }
static int64_t i_or(int64_t a, int64_t b) { return (a != 0) | (b != 0); }

typedef struct BinaryOp {
  OpKind op;
  const char *kernel; /* kernel stem: vitc_<f32|i64|bool>_<kernel>_<isa> */
  unsigned classes;   /* element types ONNX allows for the inputs */
  bool to_bool;       /* comparisons and logic write bool */
  double (*f)(double, double); /* folding on float types (NULL: none) */
  int64_t (*i)(int64_t, int64_t); /* folding on integer and bool types */
} BinaryOp;

static const BinaryOp binary_ops[] = {
    {OP_Add, "add", CL_FLOAT | CL_INT, false, f_add, i_add},
    {OP_Sub, "sub", CL_FLOAT | CL_INT, false, f_sub, i_sub},
    {OP_Mul, "mul", CL_FLOAT | CL_INT, false, f_mul, i_mul},
    {OP_Div, "div", CL_FLOAT | CL_INT, false, f_div, i_div},
    {OP_Pow, "pow", CL_FLOAT | CL_INT, false, f_pow, i_pow},
    {OP_Max, "max", CL_FLOAT | CL_INT, false, f_max, i_max},
    {OP_Min, "min", CL_FLOAT | CL_INT, false, f_min, i_min},
    {OP_Sum, "add", CL_FLOAT | CL_INT, false, f_add, i_add}, /* Mean: Sum, then Div (onnx/upgrade.c) */
    {OP_Equal, "equal", CL_FLOAT | CL_INT | CL_BOOL, true, f_eq, i_eq},
    {OP_Less, "less", CL_FLOAT | CL_INT, true, f_lt, i_lt},
    {OP_Greater, "greater", CL_FLOAT | CL_INT, true, f_gt, i_gt},
    {OP_LessOrEqual, "less_or_equal", CL_FLOAT | CL_INT, true, f_le, i_le},
    {OP_GreaterOrEqual, "greater_or_equal", CL_FLOAT | CL_INT, true, f_ge, i_ge},
    {OP_And, "and", CL_BOOL, true, NULL, i_and},
    {OP_Or, "or", CL_BOOL, true, NULL, i_or},
    {OP_Xor, "xor", CL_BOOL, true, NULL, i_xor},
    {OP_Mod, "mod", CL_INT, false, NULL, i_mod}, /* fmod=0: integers only (ONNX) */
    {OP_PRelu, "prelu", CL_FLOAT, false, f_prelu, NULL},
};
/* Mod with fmod=1 (C's fmod: the dividend's sign; floats must use it) */
static const BinaryOp fmod_op = {OP_Mod, "fmod", CL_FLOAT | CL_INT, false, f_fmod, i_fmod};

static const BinaryOp *binary_op(OpKind k);
static const BinaryOp *node_binary_op(const Node *n) {
  if (n->op == OP_Mod && attr_int(n, "fmod", 0) != 0) return &fmod_op;
  return binary_op(n->op);
}

static const BinaryOp *binary_op(OpKind k) {
  for (size_t i = 0; i < sizeof binary_ops / sizeof binary_ops[0]; i++)
    if (binary_ops[i].op == k) return &binary_ops[i];
  vitc_die("binary.c: no table entry for %s", op_name(k));
}

static bool is_variadic(const Node *n) { return n->op == OP_Max || n->op == OP_Min || n->op == OP_Sum; }

/* ---- broadcasting ---- */

/* Offset in a (broadcast) input of shape `in` of element i of the output `out`. */
static int64_t bcast_offset(const Shape *in, const Shape *out, int64_t i) {
  int64_t off = 0, stride = 1;
  for (int d = out->rank - 1, k = in->rank - 1; k >= 0; d--, k--) {
    int64_t idx = i % out->d[d];
    i /= out->d[d];
    if (in->d[k] != 1) off += idx * stride;
    stride *= in->d[k];
  }
  return off;
}

/* The collapsed description of one kernel call (see the top of this file). */
typedef struct Bcast {
  int rank;
  int64_t dims[IR_MAX_RANK];
  int64_t st[MAX_OPERANDS][IR_MAX_RANK]; /* per operand, element strides (0 = broadcast) */
} Bcast;

static void bcast_collapse(const Shape *out, const Shape *const *ops, int n_ops, Bcast *b) {
  int64_t st[MAX_OPERANDS][IR_MAX_RANK];
  for (int k = 0; k < n_ops; k++) {
    int64_t acc = 1;
    for (int d = out->rank - 1; d >= 0; d--) {
      int id = d - (out->rank - ops[k]->rank);
      int64_t dim = id >= 0 ? ops[k]->d[id] : 1;
      st[k][d] = dim == 1 ? 0 : acc;
      acc *= dim;
    }
  }
  b->rank = 0;
  for (int d = 0; d < out->rank; d++) {
    if (out->d[d] == 1) continue;
    bool merge = b->rank > 0;
    for (int k = 0; k < n_ops && merge; k++) merge = b->st[k][b->rank - 1] == st[k][d] * out->d[d];
    if (merge) {
      b->dims[b->rank - 1] *= out->d[d];
      for (int k = 0; k < n_ops; k++) b->st[k][b->rank - 1] = st[k][d];
    } else {
      b->dims[b->rank] = out->d[d];
      for (int k = 0; k < n_ops; k++) b->st[k][b->rank] = st[k][d];
      b->rank++;
    }
  }
}

/* Emit the arrays of a collapsed broadcast: *dims and st[k] receive their names;
 * returns the collapsed rank. */
static int emit_bcast(Emitter *e, const Shape *out, const Shape *const *ops, int n_ops, const char **dims,
                      const char **st) {
  Bcast b;
  bcast_collapse(out, ops, n_ops, &b);
  *dims = emit_ints(e, "dims", b.dims, b.rank);
  for (int k = 0; k < n_ops; k++) st[k] = emit_ints(e, "st", b.st[k], b.rank);
  return b.rank;
}

/* ---- infer ---- */

/* Input i, present and typed with a dtype vitc can hold; NULL after an error. */
static Tensor *typed_input(Graph *g, Node *n, int i) {
  Tensor *t = node_in(g, n, i);
  if (!t) {
    node_err(g, n, "input %d is missing", i);
    return NULL;
  }
  if (!t->typed) {
    node_err(g, n, "input %d ('%s') has no known type and shape", i, t->name);
    return NULL;
  }
  if (!dtype_supported(t->dtype)) {
    node_err(g, n, "input %d ('%s') is %s, which vitc does not support", i, t->name, dtype_name(t->dtype));
    return NULL;
  }
  return t;
}

static int check_one_output(Graph *g, Node *n) {
  if (n->n_out != 1 || n->out[0] < 0) return node_err(g, n, "expects exactly one output, got %d", n->n_out);
  return 0;
}

static int infer_binary(Graph *g, Node *n) {
  const BinaryOp *op = node_binary_op(n);
  if (is_variadic(n)) {
    if (n->n_in < 1 || n->n_in > MAX_VARIADIC)
      return node_err(g, n, "expects 1 to %d inputs, got %d", MAX_VARIADIC, n->n_in);
  } else if (n->n_in != 2) {
    return node_err(g, n, "expects 2 inputs, got %d", n->n_in);
  }
  if (check_one_output(g, n)) return -1;
  Shape out = {0, {0}};
  DType dt = DT_UNDEFINED;
  for (int i = 0; i < n->n_in; i++) {
    Tensor *t = typed_input(g, n, i);
    if (!t) return -1;
    if (!(type_class(t->dtype) & op->classes))
      return node_err(g, n, "input %d is %s; %s takes %s", i, dtype_name(t->dtype), op_name(n->op),
                      classes_str(op->classes));
    if (i == 0) {
      dt = t->dtype;
      out = t->shape;
    } else {
      if (n->op != OP_Pow && t->dtype != dt)
        return node_err(g, n, "inputs must have one element type, got %s and %s", dtype_name(dt), dtype_name(t->dtype));
      if (broadcast_shape(g, n, &out, &t->shape, &out)) return -1;
    }
  }
  if (n->op == OP_Pow && (dt == DT_INT8 || dt == DT_UINT8))
    return node_err(g, n, "base X is %s; Pow takes float32, float64, int32 or int64", dtype_name(dt));
  if (check_numel(g, n, &out)) return -1;
  set_output(g, n, 0, op->to_bool ? DT_BOOL : dt, &out);
  return 0;
}

/* ---- eval ---- */

static int eval_binary(Graph *g, Node *n) {
  const BinaryOp *op = node_binary_op(n);
  Tensor *y = node_out(g, n, 0);
  int64_t numel = shape_numel(&y->shape);
  /* Float inputs compute in double; integers and bools in int64 (also Pow with
   * an integer base and exponent). */
  bool in_float = false;
  for (int i = 0; i < n->n_in; i++) in_float |= op->f && type_class(node_in(g, n, i)->dtype) == CL_FLOAT;
  double *fv = in_float ? xmalloc((size_t)numel * sizeof(double) + 1) : NULL;
  int64_t *iv = in_float ? NULL : xmalloc((size_t)numel * sizeof(int64_t) + 1);
  for (int64_t e = 0; e < numel; e++) {
    const Tensor *t0 = node_in(g, n, 0);
    int64_t o0 = bcast_offset(&t0->shape, &y->shape, e);
    if (in_float) {
      double acc = tensor_get_f64(t0, o0);
      for (int i = 1; i < n->n_in; i++) {
        const Tensor *t = node_in(g, n, i);
        acc = op->f(acc, tensor_get_f64(t, bcast_offset(&t->shape, &y->shape, e)));
      }
      fv[e] = acc;
    } else {
      int64_t acc = tensor_get_i64(t0, o0);
      for (int i = 1; i < n->n_in; i++) {
        const Tensor *t = node_in(g, n, i);
        acc = op->i(acc, tensor_get_i64(t, bcast_offset(&t->shape, &y->shape, e)));
      }
      iv[e] = acc;
    }
  }
  void *out = alloc_output_data(g, n, 0);
  if (in_float) vitc_x_cast_scalar((int)numel, DT_DOUBLE, fv, (int)y->dtype, out);
  else vitc_x_cast_scalar((int)numel, DT_INT64, iv, (int)y->dtype, out);
  free(fv);
  free(iv);
  return 0;
}

/* ---- lowering to kernel calls ---- */

/* How a node runs: the element type its kernel computes in, its inputs converted
 * to that type where they differ, and a chain of calls (one for a binary op,
 * k-1 for a k-input Max/Min) whose partial results live in scratch. */
typedef struct Lowering {
  DType ct;                    /* the kernel's input element type: float32, int64 or bool */
  DType rt;                    /* the kernel's output element type: ct, or bool */
  size_t in_off[MAX_VARIADIC]; /* scratch offset of input i converted to ct, NO_SCRATCH or CONVERTED_CONST */
  size_t part_off[2];          /* scratch offsets of the partial results, or NO_SCRATCH */
  size_t bytes;                /* scratch needed */
} Lowering;

static size_t take_scratch(size_t *top, int64_t numel, DType dt) {
  size_t at = *top;
  size_t bytes = (size_t)numel * dtype_size(dt);
  *top += (bytes + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
  return at;
}

/* The element type the kernels compute `n` in, or DT_UNDEFINED with *why set. */
static DType kernel_type(Graph *g, Node *n, const char **why) {
  DType x = node_in(g, n, 0)->dtype;
  if (n->op == OP_And || n->op == OP_Or || n->op == OP_Xor) return DT_BOOL;
  if (n->op == OP_Pow) {
    if (x == DT_FLOAT) return DT_FLOAT;
    if ((x == DT_INT32 || x == DT_INT64) && type_class(node_in(g, n, 1)->dtype) == CL_FLOAT) return DT_FLOAT;
    *why = x == DT_DOUBLE ? "float64 inputs" : "an integer base with an integer exponent";
    return DT_UNDEFINED;
  }
  switch (x) {
  case DT_FLOAT: return DT_FLOAT;
  case DT_INT64: case DT_INT32: case DT_INT8: case DT_UINT8: case DT_BOOL: return DT_INT64;
  default:
    *why = "float64 inputs";
    return DT_UNDEFINED;
  }
}

static int lower_binary(Graph *g, Node *n, Lowering *L, bool report) {
  const char *why = "";
  L->ct = kernel_type(g, n, &why);
  if (L->ct == DT_UNDEFINED)
    return report ? node_err(g, n, "vitc has no run-time kernel for %s (this only folds, when the inputs are constants)",
                             why)
                  : -1;
  L->rt = node_binary_op(n)->to_bool ? DT_BOOL : L->ct;
  Tensor *y = node_out(g, n, 0);
  size_t top = 0;
  for (int i = 0; i < n->n_in; i++) {
    Tensor *t = node_in(g, n, i);
    L->in_off[i] = t->dtype == L->ct ? NO_SCRATCH
                   : t->data         ? CONVERTED_CONST
                                     : take_scratch(&top, shape_numel(&t->shape), L->ct);
  }
  /* Step j (1..k-1) writes partial j%2, except that the last one writes y directly
   * when y has the kernel's output type. */
  L->part_off[0] = L->part_off[1] = NO_SCRATCH;
  int steps = n->n_in - 1;
  for (int j = 1; j <= steps; j++)
    if (!(j == steps && L->rt == y->dtype) && L->part_off[j % 2] == NO_SCRATCH)
      L->part_off[j % 2] = take_scratch(&top, shape_numel(&y->shape), L->rt);
  L->bytes = top;
  return 0;
}

static size_t scratch_binary(Graph *g, Node *n, const Target *t) {
  Lowering L;
  if (n->n_in < 2 || lower_binary(g, n, &L, false)) return 0;
  return L.bytes;
}

static const char *kernel_prefix(DType t) {
  switch (t) {
  case DT_FLOAT: return "f32";
  case DT_INT64: return "i64";
  case DT_BOOL: return "bool";
  default: vitc_die("binary.c: no kernel prefix for %s", dtype_name(t));
  }
}

/* Declare `name`, a pointer of dtype dt at offset off of this node's scratch. */
static void emit_scratch_ptr(Emitter *e, const char *name, DType dt, size_t off, const char *what) {
  const char *ct = dtype_ctype(dt);
  if (off == 0) emit_line(e, "%s *const %s = (%s *)%s; /* %s */", ct, name, ct, emit_scratch(e), what);
  else emit_line(e, "%s *const %s = (%s *)((unsigned char *)%s + %zu); /* %s */", ct, name, ct, emit_scratch(e), off, what);
}

static void emit_cast(Emitter *e, int64_t numel, DType from, const char *src, DType to, const char *dst) {
  emit_use_kernel(e, "eltwise/x-cast");
  emit_line(e, "%s(%" PRId64 ", %d, %s, %d, %s); /* %s -> %s */", emit_kfn(e, "vitc_x_cast"), numel, (int)from, src,
            (int)to, dst, dtype_name(from), dtype_name(to));
}

/* A constant input converted to dt at compile time, with the same Cast kernel. */
static const char *emit_converted_const(Emitter *e, const Tensor *t, DType dt) {
  int64_t numel = shape_numel(&t->shape);
  void *buf = xmalloc((size_t)numel * dtype_size(dt) + 1);
  vitc_x_cast_scalar((int)numel, (int)t->dtype, t->data, (int)dt, buf);
  char hint[256];
  snprintf(hint, sizeof hint, "%s as %s", t->name, dtype_name(dt));
  const char *ref = emit_const(e, hint, dt, numel, buf);
  free(buf);
  return ref;
}

static int emit_copy(Emitter *e, Graph *g, Node *n) {
  Tensor *y = node_out(g, n, 0);
  emit_line(e, "memcpy(%s, %s, %zu);", emit_ref(e, n->out[0]), emit_ref(e, n->in[0]),
            (size_t)shape_numel(&y->shape) * dtype_size(y->dtype));
  return 0;
}

static int emit_binary(Emitter *e, Graph *g, Node *n) {
  const BinaryOp *op = node_binary_op(n);
  Tensor *y = node_out(g, n, 0);
  if (n->n_in == 1) return emit_copy(e, g, n); /* Max/Min/Sum of one input */
  Lowering L;
  if (lower_binary(g, n, &L, true)) return -1;
  if (shape_numel(&y->shape) == 0) {
    emit_line(e, "/* empty output: nothing to compute */");
    return 0;
  }
  emit_use_kernel(e, "eltwise/x-binary");
  if (n->op == OP_PRelu) emit_use_kernel(e, "eltwise/f32-prelu");
  char kbase[64], names[MAX_VARIADIC + 2][16], what[64];
  snprintf(kbase, sizeof kbase, "vitc_%s_%s", kernel_prefix(L.ct), op->kernel);
  const char *kfn = emit_kfn(e, kbase);
  const char *arg[MAX_VARIADIC], *part[2] = {NULL, NULL};
  /* Conversions and partial results get named scratch pointers in a block of their own. */
  bool block = L.bytes > 0;
  if (block) emit_line(e, "{");
  for (int i = 0; i < n->n_in; i++) {
    Tensor *t = node_in(g, n, i);
    if (L.in_off[i] == CONVERTED_CONST) {
      arg[i] = emit_converted_const(e, t, L.ct);
      continue;
    }
    arg[i] = emit_ref(e, n->in[i]);
    if (L.in_off[i] == NO_SCRATCH) continue;
    snprintf(names[i], sizeof names[i], "in%d", i);
    snprintf(what, sizeof what, "input %d as %s", i, dtype_name(L.ct));
    emit_scratch_ptr(e, names[i], L.ct, L.in_off[i], what);
    emit_cast(e, shape_numel(&t->shape), t->dtype, arg[i], L.ct, names[i]);
    arg[i] = names[i];
  }
  for (int s = 0; s < 2; s++) {
    if (L.part_off[s] == NO_SCRATCH) continue;
    char *name = names[MAX_VARIADIC + s];
    snprintf(name, sizeof names[0], "part%d", s);
    emit_scratch_ptr(e, name, L.rt, L.part_off[s], "partial result");
    part[s] = name;
  }
  Shape acc = node_in(g, n, 0)->shape;
  const char *cur = arg[0];
  int steps = n->n_in - 1;
  for (int j = 1; j <= steps; j++) {
    Shape next;
    if (broadcast_shape(g, n, &acc, &node_in(g, n, j)->shape, &next)) return -1;
    const char *dst = j == steps && L.rt == y->dtype ? emit_ref(e, n->out[0]) : part[j % 2];
    const Shape *ops[2] = {&acc, &node_in(g, n, j)->shape};
    const char *dims, *st[2];
    int rank = emit_bcast(e, &next, ops, 2, &dims, st);
    emit_line(e, "%s(%d, %s, %s, %s, %s, %s, %s);", kfn, rank, dims, cur, st[0], arg[j], st[1], dst);
    cur = dst;
    acc = next;
  }
  if (L.rt != y->dtype) emit_cast(e, shape_numel(&y->shape), L.rt, cur, y->dtype, emit_ref(e, n->out[0]));
  if (block) emit_line(e, "}");
  return 0;
}

#define BINARY_IMPL {.infer = infer_binary, .eval = eval_binary, .emit = emit_binary, .scratch = scratch_binary}
const OpImpl op_impl_Add = BINARY_IMPL;
const OpImpl op_impl_Sub = BINARY_IMPL;
const OpImpl op_impl_Mul = BINARY_IMPL;
const OpImpl op_impl_Div = BINARY_IMPL;
const OpImpl op_impl_Pow = BINARY_IMPL;
const OpImpl op_impl_Max = BINARY_IMPL;
const OpImpl op_impl_Min = BINARY_IMPL;
const OpImpl op_impl_Sum = BINARY_IMPL;
const OpImpl op_impl_Equal = BINARY_IMPL;
const OpImpl op_impl_Less = BINARY_IMPL;
const OpImpl op_impl_Greater = BINARY_IMPL;
const OpImpl op_impl_LessOrEqual = BINARY_IMPL;
const OpImpl op_impl_GreaterOrEqual = BINARY_IMPL;
const OpImpl op_impl_And = BINARY_IMPL;
const OpImpl op_impl_Or = BINARY_IMPL;
const OpImpl op_impl_Xor = BINARY_IMPL;
const OpImpl op_impl_Mod = BINARY_IMPL;
const OpImpl op_impl_PRelu = BINARY_IMPL;
#undef BINARY_IMPL

/* ---- Where: y = cond ? x : y, broadcast over all three ---- */

static int infer_where(Graph *g, Node *n) {
  if (n->n_in != 3) return node_err(g, n, "expects 3 inputs (condition, X, Y), got %d", n->n_in);
  if (check_one_output(g, n)) return -1;
  Tensor *c = typed_input(g, n, 0), *x = c ? typed_input(g, n, 1) : NULL, *y = x ? typed_input(g, n, 2) : NULL;
  if (!y) return -1;
  if (c->dtype != DT_BOOL) return node_err(g, n, "condition is %s; Where takes a bool condition", dtype_name(c->dtype));
  if (x->dtype != y->dtype)
    return node_err(g, n, "X and Y must have one element type, got %s and %s", dtype_name(x->dtype), dtype_name(y->dtype));
  Shape out;
  if (broadcast_shape(g, n, &c->shape, &x->shape, &out) || broadcast_shape(g, n, &out, &y->shape, &out)) return -1;
  if (check_numel(g, n, &out)) return -1;
  set_output(g, n, 0, x->dtype, &out);
  return 0;
}

static int eval_where(Graph *g, Node *n) {
  const Tensor *c = node_in(g, n, 0), *x = node_in(g, n, 1), *y = node_in(g, n, 2);
  const Tensor *out = node_out(g, n, 0);
  unsigned char *o = alloc_output_data(g, n, 0);
  size_t elem = dtype_size(out->dtype);
  for (int64_t e = 0, numel = shape_numel(&out->shape); e < numel; e++) {
    bool pick_x = ((const uint8_t *)c->data)[bcast_offset(&c->shape, &out->shape, e)] != 0;
    const Tensor *src = pick_x ? x : y;
    memcpy(o + (size_t)e * elem, (const unsigned char *)src->data + (size_t)bcast_offset(&src->shape, &out->shape, e) * elem,
           elem);
  }
  return 0;
}

static int emit_where(Emitter *e, Graph *g, Node *n) {
  Tensor *y = node_out(g, n, 0);
  if (shape_numel(&y->shape) == 0) {
    emit_line(e, "/* empty output: nothing to compute */");
    return 0;
  }
  emit_use_kernel(e, "eltwise/x-binary");
  const Shape *ops[3] = {&node_in(g, n, 0)->shape, &node_in(g, n, 1)->shape, &node_in(g, n, 2)->shape};
  const char *dims, *st[3];
  int rank = emit_bcast(e, &y->shape, ops, 3, &dims, st);
  emit_line(e, "%s(%zu, %d, %s, %s, %s, %s, %s, %s, %s, %s);", emit_kfn(e, "vitc_x_where"), dtype_size(y->dtype), rank,
            dims, emit_ref(e, n->in[0]), st[0], emit_ref(e, n->in[1]), st[1], emit_ref(e, n->in[2]), st[2],
            emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_Where = {.infer = infer_where, .eval = eval_where, .emit = emit_where};
