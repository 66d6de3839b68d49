/* ops/elementwise.c: unary element-wise ops, Not, IsInf, IsNaN, Cast and CastLike.
 *
 * A unary op maps each element on its own, so its output has the input's shape
 * and type, and at run time it is one call of a flat kernel from
 * templates/eltwise/f32-unary-scalar.c over numel elements. The ops differ only
 * in the kernel they call, the float parameters they pass (alpha, beta, Clip's
 * bounds) and the element types they take, so one table below describes them all.
 *
 * Run time is float32 only (that is what the kernels do), except int8/uint8
 * Clip, which runs exactly through float32 in scratch memory. Folding also covers
 * float64 (shape arithmetic of some exporters is done in double) and, for Abs,
 * Neg and Clip, the integer types. float32 folds by running the very kernel the
 * bundle would run, and Cast folds with the bundle's Cast kernel, so a folded
 * constant is bit-identical to the value the bundle would have computed.
 *
 * Clip's min and max are inputs (opset 11 and later; vitc reads 13+). A constant
 * bound becomes a literal in the call; a float32 bound computed at run time is
 * read from its one-element tensor. Gelu (opset 20) picks its kernel by the
 * `approximate` attribute; vitc also accepts it in models of older opsets.
 *
 * Relu, at the end, is written out on its own as the worked example of
 * docs/adding-an-op.md. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"
/* The kernels themselves, for folding float32 and Cast (see above). */
#include "eltwise/f32-unary-scalar.c"
#include "eltwise/x-cast-scalar.c"

/* ---- float64 semantics, for folding (they mirror the float32 kernels) ---- */

static double d_abs(double x, const double *p) { (void)p; return fabs(x); }
static double d_ceil(double x, const double *p) { (void)p; return ceil(x); }
static double d_floor(double x, const double *p) { (void)p; return floor(x); }
static double d_erf(double x, const double *p) { (void)p; return erf(x); }
static double d_exp(double x, const double *p) { (void)p; return exp(x); }
static double d_log(double x, const double *p) { (void)p; return log(x); }
static double d_sqrt(double x, const double *p) { (void)p; return sqrt(x); }
static double d_tanh(double x, const double *p) { (void)p; return tanh(x); }
static double d_neg(double x, const double *p) { (void)p; return -x; }
static double d_reciprocal(double x, const double *p) { (void)p; return 1.0 / x; }
static double d_sigmoid(double x, const double *p) { (void)p; return 1.0 / (1.0 + exp(-x)); }
static double d_softplus(double x, const double *p) { (void)p; return (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }
static double d_gelu(double x, const double *p) { (void)p; return 0.5 * x * (1.0 + erf(x * 0.70710678118654752440)); }
static double d_gelu_tanh(double x, const double *p) {
  (void)p;
  return 0.5 * x * (1.0 + tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x)));
}
static double d_elu(double x, const double *p) { return x < 0 ? p[0] * expm1(x) : x; }
static double d_leaky_relu(double x, const double *p) { return x < 0 ? p[0] * x : x; }
static double d_clamp(double v, double lo, double hi) { /* NaN stays NaN */
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}
static double d_clip(double x, const double *p) { return d_clamp(x, p[0], p[1]); }
static double d_hard_sigmoid(double x, const double *p) { return d_clamp(p[0] * x + p[1], 0.0, 1.0); }

/* ---- the table ---- */

typedef void (*Kernel0)(int n, const float *x, float *y);
typedef void (*Kernel1)(int n, float p0, const float *x, float *y);
typedef void (*Kernel2)(int n, float p0, float p1, const float *x, float *y);

enum { INTS_NONE, INTS_SIGNED, INTS_ALL }; /* integer types an op also folds */

typedef struct UnaryOp {
  OpKind op;
  const char *kernel; /* vitc_f32_<kernel>_<isa> */
  int n_params;       /* float parameters after n (unary_params) */
  Kernel0 k0;         /* the kernel with its n_params, for folding float32 */
  Kernel1 k1;
  Kernel2 k2;
  double (*f64)(double x, const double *p);
  int ints;
} UnaryOp;

#define U0(e, k, ints) {OP_##e, #k, 0, vitc_f32_##k##_scalar, NULL, NULL, d_##k, ints}
#define U1(e, k) {OP_##e, #k, 1, NULL, vitc_f32_##k##_scalar, NULL, d_##k, INTS_NONE}
#define U2(e, k, ints) {OP_##e, #k, 2, NULL, NULL, vitc_f32_##k##_scalar, d_##k, ints}
static const UnaryOp unary_ops[] = {
    U0(Abs, abs, INTS_ALL),
    U0(Ceil, ceil, INTS_NONE),
    U2(Clip, clip, INTS_ALL),
    U1(Elu, elu),
    U0(Erf, erf, INTS_NONE),
    U0(Exp, exp, INTS_NONE),
    U0(Floor, floor, INTS_NONE),
    U0(Gelu, gelu, INTS_NONE),
    U2(HardSigmoid, hard_sigmoid, INTS_NONE),
    U1(LeakyRelu, leaky_relu),
    U0(Log, log, INTS_NONE),
    U0(Neg, neg, INTS_SIGNED),
    U0(Reciprocal, reciprocal, INTS_NONE),
    U0(Sigmoid, sigmoid, INTS_NONE),
    U0(Softplus, softplus, INTS_NONE),
    U0(Sqrt, sqrt, INTS_NONE),
    U0(Tanh, tanh, INTS_NONE),
};
static const UnaryOp gelu_tanh_op = U0(Gelu, gelu_tanh, INTS_NONE);
#undef U0
#undef U1
#undef U2

/* The table entry for n (Gelu by its `approximate` attribute, checked in infer). */
static const UnaryOp *unary_op(const Node *n) {
  if (n->op == OP_Gelu && strcmp(attr_str(n, "approximate", "none"), "tanh") == 0) return &gelu_tanh_op;
  for (size_t i = 0; i < sizeof unary_ops / sizeof unary_ops[0]; i++)
    if (unary_ops[i].op == n->op) return &unary_ops[i];
  vitc_die("elementwise.c: no table entry for %s", op_name(n->op));
}

/* The kernel's float parameters. For Clip, a bound that is absent is -/+infinity
 * and one computed at run time is left as its tensor index in `input`. */
typedef struct UnaryParams {
  double v[2];
  int input[2]; /* tensor read at run time, or -1 */
} UnaryParams;

static void unary_params(Graph *g, const Node *n, UnaryParams *p) {
  p->v[0] = p->v[1] = 0;
  p->input[0] = p->input[1] = -1;
  switch (n->op) {
  case OP_Elu: p->v[0] = attr_float(n, "alpha", 1.0f); break;
  case OP_LeakyRelu: p->v[0] = attr_float(n, "alpha", 0.01f); break;
  case OP_HardSigmoid:
    p->v[0] = attr_float(n, "alpha", 0.2f);
    p->v[1] = attr_float(n, "beta", 0.5f);
    break;
  case OP_Clip:
    for (int k = 0; k < 2; k++) {
      Tensor *b = node_in(g, n, k + 1);
      p->v[k] = k == 0 ? -INFINITY : INFINITY;
      if (b && b->data) p->v[k] = tensor_get_f64(b, 0);
      else if (b) p->input[k] = n->in[k + 1];
    }
    break;
  default: break;
  }
}

/* ---- infer ---- */

static bool takes_dtype(const UnaryOp *op, DType dt) {
  switch (dt) {
  case DT_FLOAT: case DT_DOUBLE: return true;
  case DT_INT8: case DT_INT32: case DT_INT64: return op->ints != INTS_NONE;
  case DT_UINT8: return op->ints == INTS_ALL;
  default: return false;
  }
}

/* Clip's optional min (input 1) and max (input 2): one element of X's type. */
static int check_clip_bounds(Graph *g, Node *n, const Tensor *x) {
  static const char *const what[2] = {"min", "max"};
  if (n->n_in > 3) return node_err(g, n, "expects at most 3 inputs (input, min, max), got %d", n->n_in);
  for (int k = 0; k < 2; k++) {
    Tensor *b = node_in(g, n, k + 1);
    if (!b) continue;
    if (!b->typed) return node_err(g, n, "'%s' ('%s') has no known type and shape", what[k], b->name);
    if (b->dtype != x->dtype)
      return node_err(g, n, "'%s' is %s but the input is %s", what[k], dtype_name(b->dtype), dtype_name(x->dtype));
    if (shape_numel(&b->shape) != 1 || b->shape.rank > 1) {
      char sb[128];
      return node_err(g, n, "'%s' must be a scalar, got shape %s", what[k], shape_str(&b->shape, sb, sizeof sb));
    }
  }
  return 0;
}

static int infer_unary(Graph *g, Node *n) {
  const UnaryOp *op = unary_op(n);
  Tensor *x = node_in(g, n, 0);
  if (!x) return node_err(g, n, "missing input X");
  if (!x->typed) return node_err(g, n, "input X ('%s') has no known type and shape", x->name);
  if (n->n_out != 1 || n->out[0] < 0) return node_err(g, n, "expects exactly one output, got %d", n->n_out);
  if (n->op == OP_Clip) {
    if (check_clip_bounds(g, n, x)) return -1;
  } else if (n->n_in != 1) {
    return node_err(g, n, "expects 1 input, got %d", n->n_in);
  }
  if (!takes_dtype(op, x->dtype))
    return node_err(g, n, "input X is %s; vitc supports %s here", dtype_name(x->dtype),
                    op->ints == INTS_ALL      ? "float32, float64, int8, uint8, int32 and int64"
                    : op->ints == INTS_SIGNED ? "float32, float64, int8, int32 and int64"
                                              : "float32 and float64");
  if (n->op == OP_Gelu) {
    const char *approx = attr_str(n, "approximate", "none");
    if (strcmp(approx, "none") != 0 && strcmp(approx, "tanh") != 0)
      return node_err(g, n, "attribute approximate='%s' must be 'none' or 'tanh'", approx);
  }
  set_output(g, n, 0, x->dtype, &x->shape);
  return 0;
}

/* ---- eval ---- */

/* Integer folding: Abs, Neg (wrapping, as two's complement) and Clip. */
static int64_t fold_int(Graph *g, const Node *n, int64_t v) {
  switch (n->op) {
  case OP_Abs: return v < 0 ? (int64_t)(0u - (uint64_t)v) : v;
  case OP_Neg: return (int64_t)(0u - (uint64_t)v);
  case OP_Clip:
    for (int k = 0; k < 2; k++) {
      Tensor *b = node_in(g, n, k + 1);
      if (!b) continue;
      int64_t bound = tensor_get_i64(b, 0);
      if (k == 0 ? v < bound : v > bound) v = bound;
    }
    return v;
  default: vitc_die("fold_int: %s", op_name(n->op));
  }
}

static int eval_unary(Graph *g, Node *n) {
  const UnaryOp *op = unary_op(n);
  Tensor *x = node_in(g, n, 0);
  int64_t numel = shape_numel(&x->shape);
  void *y = alloc_output_data(g, n, 0);
  UnaryParams p;
  unary_params(g, n, &p);
  switch (x->dtype) {
  case DT_FLOAT:
    if (op->k0) op->k0((int)numel, x->data, y);
    else if (op->k1) op->k1((int)numel, (float)p.v[0], x->data, y);
    else op->k2((int)numel, (float)p.v[0], (float)p.v[1], x->data, y);
    break;
  case DT_DOUBLE:
    for (int64_t i = 0; i < numel; i++) ((double *)y)[i] = op->f64(((const double *)x->data)[i], p.v);
    break;
  default:
    for (int64_t i = 0; i < numel; i++) buf_set_i64(y, x->dtype, i, fold_int(g, n, tensor_get_i64(x, i)));
    break;
  }
  return 0;
}

/* ---- emit ---- */

/* A float as a C literal that reads back exactly. */
static void float_literal(char *buf, size_t n, double v) {
  float f = (float)v;
  if (isnan(f)) snprintf(buf, n, "NAN");
  else if (isinf(f)) snprintf(buf, n, "%sINFINITY", f < 0 ? "-" : "");
  else {
    snprintf(buf, n, "%.9g", f);
    snprintf(buf + strlen(buf), n - strlen(buf), "%sf", strpbrk(buf, ".e") ? "" : ".0");
  }
}

/* int8/uint8 Clip runs through float32: every 8-bit value is exact in float32,
 * and so is the result (the input or a bound). */
static bool clip_via_f32(const Node *n, DType dt) { return n->op == OP_Clip && (dt == DT_INT8 || dt == DT_UINT8); }

static size_t scratch_unary(Graph *g, Node *n, const Target *t) {
  Tensor *x = node_in(g, n, 0);
  return clip_via_f32(n, x->dtype) ? (size_t)shape_numel(&x->shape) * sizeof(float) : 0;
}

static int emit_unary(Emitter *e, Graph *g, Node *n) {
  const UnaryOp *op = unary_op(n);
  Tensor *x = node_in(g, n, 0);
  bool via_f32 = clip_via_f32(n, x->dtype);
  if (x->dtype != DT_FLOAT && !via_f32)
    return node_err(g, n, "%s on %s runs only at compile time (on constants): the run-time kernel is float32 only",
                    op_name(n->op), dtype_name(x->dtype));
  UnaryParams p;
  unary_params(g, n, &p);
  char params[160] = "", lit[48];
  for (int k = 0; k < op->n_params; k++) {
    if (p.input[k] >= 0) snprintf(lit, sizeof lit, "%s[0]", emit_ref(e, p.input[k]));
    else float_literal(lit, sizeof lit, p.v[k]);
    snprintf(params + strlen(params), sizeof params - strlen(params), "%s, ", lit);
  }
  char kbase[64];
  snprintf(kbase, sizeof kbase, "vitc_f32_%s", op->kernel);
  const char *kfn = emit_kfn(e, kbase), *y = emit_ref(e, n->out[0]), *xs = emit_ref(e, n->in[0]);
  int64_t numel = shape_numel(&x->shape);
  emit_use_kernel(e, "eltwise/f32-unary");
  if (!via_f32) {
    emit_line(e, "%s(%" PRId64 ", %s%s, %s);", kfn, numel, params, xs, y);
    return 0;
  }
  const char *cast = emit_kfn(e, "vitc_x_cast");
  emit_use_kernel(e, "eltwise/x-cast");
  emit_line(e, "{");
  emit_line(e, "float *const xf = (float *)%s; /* the input as float32 */", emit_scratch(e));
  emit_line(e, "%s(%" PRId64 ", %d, %s, %d, xf);", cast, numel, (int)x->dtype, xs, DT_FLOAT);
  emit_line(e, "%s(%" PRId64 ", %sxf, xf);", kfn, numel, params);
  emit_line(e, "%s(%" PRId64 ", %d, xf, %d, %s);", cast, numel, DT_FLOAT, (int)x->dtype, y);
  emit_line(e, "}");
  return 0;
}

#define UNARY_IMPL {.infer = infer_unary, .eval = eval_unary, .emit = emit_unary, .scratch = scratch_unary}
const OpImpl op_impl_Abs = UNARY_IMPL;
const OpImpl op_impl_Ceil = UNARY_IMPL;
const OpImpl op_impl_Clip = UNARY_IMPL;
const OpImpl op_impl_Elu = UNARY_IMPL;
const OpImpl op_impl_Erf = UNARY_IMPL;
const OpImpl op_impl_Exp = UNARY_IMPL;
const OpImpl op_impl_Floor = UNARY_IMPL;
const OpImpl op_impl_Gelu = UNARY_IMPL;
const OpImpl op_impl_HardSigmoid = UNARY_IMPL;
const OpImpl op_impl_LeakyRelu = UNARY_IMPL;
const OpImpl op_impl_Log = UNARY_IMPL;
const OpImpl op_impl_Neg = UNARY_IMPL;
const OpImpl op_impl_Reciprocal = UNARY_IMPL;
const OpImpl op_impl_Sigmoid = UNARY_IMPL;
const OpImpl op_impl_Softplus = UNARY_IMPL;
const OpImpl op_impl_Sqrt = UNARY_IMPL;
const OpImpl op_impl_Tanh = UNARY_IMPL;
#undef UNARY_IMPL

/* The call of a kernel of signature (int n, const X *x, Y *y) over input 0's
 * elements into output 0, from template `family`: Not, IsNaN, Relu. */
static int emit_elementwise_call(Emitter *e, Graph *g, Node *n, const char *family, const char *kernel) {
  emit_use_kernel(e, family);
  emit_line(e, "%s(%" PRId64 ", %s, %s);", emit_kfn(e, kernel), shape_numel(&node_in(g, n, 0)->shape),
            emit_ref(e, n->in[0]), emit_ref(e, n->out[0]));
  return 0;
}

/* ---- Not: bool -> bool ---- */

static int infer_not(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (n->n_in != 1 || !x) return node_err(g, n, "expects 1 input, got %d", n->n_in);
  if (!x->typed) return node_err(g, n, "input X ('%s') has no known type and shape", x->name);
  if (x->dtype != DT_BOOL) return node_err(g, n, "input X is %s; Not takes bool", dtype_name(x->dtype));
  set_output(g, n, 0, DT_BOOL, &x->shape);
  return 0;
}

static int eval_not(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  uint8_t *y = alloc_output_data(g, n, 0);
  for (int64_t i = 0; i < shape_numel(&x->shape); i++) y[i] = ((const uint8_t *)x->data)[i] == 0;
  return 0;
}

static int emit_not(Emitter *e, Graph *g, Node *n) { return emit_elementwise_call(e, g, n, "eltwise/x-binary", "vitc_bool_not"); }

const OpImpl op_impl_Not = {.infer = infer_not, .eval = eval_not, .emit = emit_not};

/* ---- IsInf, IsNaN: float32 -> bool (templates/eltwise/f32-classify-scalar.c) ---- */

static int infer_classify(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (x->dtype != DT_FLOAT) return node_err(g, n, "input X is %s; vitc supports float32 here", dtype_name(x->dtype));
  set_output(g, n, 0, DT_BOOL, &x->shape);
  return 0;
}

static int emit_classify(Emitter *e, Graph *g, Node *n) {
  int64_t numel = shape_numel(&node_in(g, n, 0)->shape);
  if (n->op == OP_IsNaN) return emit_elementwise_call(e, g, n, "eltwise/f32-classify", "vitc_f32_isnan");
  emit_use_kernel(e, "eltwise/f32-classify");
  emit_line(e, "%s(%" PRId64 ", %d, %d, %s, %s);", emit_kfn(e, "vitc_f32_isinf"), numel,
            attr_int(n, "detect_positive", 1) != 0, attr_int(n, "detect_negative", 1) != 0, emit_ref(e, n->in[0]),
            emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_IsInf = {.infer = infer_classify, .emit = emit_classify};
const OpImpl op_impl_IsNaN = {.infer = infer_classify, .emit = emit_classify};

/* ---- Cast: between the element types a bundle holds (x-cast-scalar.c has the
 * semantics: float -> int truncates and saturates, NaN -> 0; int -> narrower int
 * wraps). The opset-19 `saturate` attribute only concerns float8: ignored. ---- */

static int infer_cast(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (n->n_in != 1 || !x) return node_err(g, n, "expects 1 input, got %d", n->n_in);
  if (!x->typed) return node_err(g, n, "input ('%s') has no known type and shape", x->name);
  const Attr *to = node_attr(n, "to");
  if (!to || to->type != ATTR_INT) return node_err(g, n, "missing integer attribute 'to'");
  if (!dtype_supported(x->dtype)) return node_err(g, n, "casting from %s is not supported", dtype_name(x->dtype));
  if (to->i < 0 || to->i > 64 || !dtype_supported((DType)to->i))
    return node_err(g, n, "casting to %s (to=%" PRId64 ") is not supported (vitc holds float32, float64, int8, uint8, "
                          "int32, int64 and bool)",
                    dtype_size((DType)to->i) ? dtype_name((DType)to->i) : "this type", to->i);
  set_output(g, n, 0, (DType)to->i, &x->shape);
  return 0;
}

static int eval_cast(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *y = node_out(g, n, 0);
  vitc_x_cast_scalar((int)shape_numel(&x->shape), (int)x->dtype, x->data, (int)y->dtype, alloc_output_data(g, n, 0));
  return 0;
}

static int emit_cast(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *y = node_out(g, n, 0);
  emit_use_kernel(e, "eltwise/x-cast");
  emit_line(e, "%s(%" PRId64 ", %d, %s, %d, %s); /* %s -> %s */", emit_kfn(e, "vitc_x_cast"), shape_numel(&x->shape),
            (int)x->dtype, emit_ref(e, n->in[0]), (int)y->dtype, emit_ref(e, n->out[0]), dtype_name(x->dtype),
            dtype_name(y->dtype));
  return 0;
}

const OpImpl op_impl_Cast = {.infer = infer_cast, .eval = eval_cast, .emit = emit_cast};

/* CastLike: Cast to the element type of the second input (whose values are not read). */
static int infer_castlike(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *like = node_in(g, n, 1);
  if (!x->typed || !like->typed) return node_err(g, n, "inputs have no known type");
  if (!dtype_supported(x->dtype)) return node_err(g, n, "casting from %s is not supported", dtype_name(x->dtype));
  if (!dtype_supported(like->dtype)) return node_err(g, n, "casting to %s is not supported", dtype_name(like->dtype));
  set_output(g, n, 0, like->dtype, &x->shape);
  return 0;
}

static int eval_castlike(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *y = node_out(g, n, 0);
  vitc_x_cast_scalar((int)shape_numel(&x->shape), (int)x->dtype, x->data, (int)y->dtype, alloc_output_data(g, n, 0));
  return 0;
}

const OpImpl op_impl_CastLike = {.infer = infer_castlike, .eval = eval_castlike, .emit = emit_cast};

/* ---- Relu: the worked example for docs/adding-an-op.md ---- */

static int infer_same_float(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (!x) return node_err(g, n, "missing input X");
  if (x->dtype != DT_FLOAT) return node_err(g, n, "input X is %s; vitc supports float32 here", dtype_name(x->dtype));
  set_output(g, n, 0, x->dtype, &x->shape);
  return 0;
}

static int eval_relu(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  float *y = alloc_output_data(g, n, 0);
  const float *xv = x->data;
  for (int64_t i = 0; i < shape_numel(&x->shape); i++) y[i] = xv[i] < 0.0f ? 0.0f : xv[i]; /* NaN stays NaN */
  return 0;
}

static int emit_relu(Emitter *e, Graph *g, Node *n) {
  return emit_elementwise_call(e, g, n, "eltwise/f32-unary", "vitc_f32_relu");
}

const OpImpl op_impl_Relu = {.infer = infer_same_float, .eval = eval_relu, .emit = emit_relu};
