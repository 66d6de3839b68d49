/* ops/elementwise.c: unary element-wise ops and Cast. */
#include <inttypes.h>

#include "emit/emit.h"
#include "ops/op.h"

const OpImpl op_impl_Abs = {0};
const OpImpl op_impl_Ceil = {0};
const OpImpl op_impl_Clip = {0};
const OpImpl op_impl_Elu = {0};
const OpImpl op_impl_Erf = {0};
const OpImpl op_impl_Exp = {0};
const OpImpl op_impl_Floor = {0};
const OpImpl op_impl_Gelu = {0};
const OpImpl op_impl_HardSigmoid = {0};
const OpImpl op_impl_LeakyRelu = {0};
const OpImpl op_impl_Log = {0};
const OpImpl op_impl_Neg = {0};
const OpImpl op_impl_Not = {0};
const OpImpl op_impl_Reciprocal = {0};
const OpImpl op_impl_Sigmoid = {0};
const OpImpl op_impl_Softplus = {0};
const OpImpl op_impl_Sqrt = {0};
const OpImpl op_impl_Tanh = {0};
const OpImpl op_impl_Cast = {0};

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
  for (int64_t i = 0; i < shape_numel(&x->shape); i++) y[i] = xv[i] > 0.0f ? xv[i] : 0.0f;
  return 0;
}

static int emit_relu(Emitter *e, Graph *g, Node *n) {
  emit_use_kernel(e, "eltwise/f32-unary");
  emit_line(e, "%s(%s, %s, %" PRId64 ");", emit_kfn(e, "vitc_f32_relu"), emit_ref(e, n->out[0]), emit_ref(e, n->in[0]),
            shape_numel(&node_in(g, n, 0)->shape));
  return 0;
}

const OpImpl op_impl_Relu = {.infer = infer_same_float, .eval = eval_relu, .emit = emit_relu};
