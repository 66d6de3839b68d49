/* ops/activation.c: element-wise ops that convolutional and older exports use
 * beyond the transformer set of ops/elementwise.c: HardSwish (MobileNetV3),
 * Selu, Celu, ThresholdedRelu, Softsign, Mish, Shrink, Sign, Round and the
 * trigonometric and hyperbolic functions.
 *
 * float32 only, one call of templates/eltwise/f32-activation per node with the
 * op's two float parameters from its attributes (ONNX's defaults). A constant
 * input folds through the very same kernel, so folding and running agree. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"
#include "eltwise/f32-activation-scalar.c"

typedef void (*ActivationKernel)(int n, float p0, float p1, const float *x, float *y);

typedef struct Activation {
  OpKind op;
  const char *kernel; /* vitc_f32_<kernel>_<isa> */
  ActivationKernel fold;
} Activation;

#define A(e, k) {OP_##e, #k, vitc_f32_##k##_scalar}
static const Activation activations[] = {
    A(Acos, acos),   A(Acosh, acosh),         A(Asin, asin),         A(Asinh, asinh),     A(Atan, atan),
    A(Atanh, atanh), A(Celu, celu),           A(Cos, cos),           A(Cosh, cosh),       A(HardSwish, hard_swish),
    A(Mish, mish),   A(Round, round),         A(Selu, selu),         A(Shrink, shrink),   A(Sign, sign),
    A(Sin, sin),     A(Sinh, sinh),           A(Softsign, softsign), A(Tan, tan),
    A(ThresholdedRelu, thresholded_relu),
};
#undef A

static const Activation *activation(const Node *n) {
  for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++)
    if (activations[i].op == n->op) return &activations[i];
  vitc_die("activation.c: no table entry for %s", op_name(n->op));
}

/* The two float parameters, from the attributes with ONNX's defaults. */
static void params(const Node *n, float p[2]) {
  p[0] = p[1] = 0;
  switch (n->op) {
  case OP_Selu:
    p[0] = attr_float(n, "alpha", 1.67326319217681884765625f);
    p[1] = attr_float(n, "gamma", 1.05070102214813232421875f);
    break;
  case OP_Celu: p[0] = attr_float(n, "alpha", 1.0f); break;
  case OP_ThresholdedRelu: p[0] = attr_float(n, "alpha", 1.0f); break;
  case OP_Shrink:
    p[0] = attr_float(n, "lambd", 0.5f);
    p[1] = attr_float(n, "bias", 0.0f);
    break;
  default: break;
  }
}

static int infer_activation(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (x->dtype != DT_FLOAT) return node_err(g, n, "input is %s; vitc supports float32 here", dtype_name(x->dtype));
  set_output(g, n, 0, DT_FLOAT, &x->shape);
  return check_numel(g, n, &x->shape);
}

static int eval_activation(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  float p[2];
  params(n, p);
  activation(n)->fold((int)shape_numel(&x->shape), p[0], p[1], x->data, alloc_output_data(g, n, 0));
  return 0;
}

static int emit_activation(Emitter *e, Graph *g, Node *n) {
  const Activation *a = activation(n);
  float p[2];
  params(n, p);
  char kbase[64];
  snprintf(kbase, sizeof kbase, "vitc_f32_%s", a->kernel);
  emit_use_kernel(e, "eltwise/f32-activation");
  const char *kfn = emit_kfn(e, kbase), *p0 = emit_float(e, p[0]);
  char p0s[64];
  snprintf(p0s, sizeof p0s, "%s", p0);
  emit_line(e, "%s(%" PRId64 ", %s, %s, %s, %s);", kfn, shape_numel(&node_in(g, n, 0)->shape), p0s,
            emit_float(e, p[1]), emit_ref(e, n->in[0]), emit_ref(e, n->out[0]));
  return 0;
}

#define ACTIVATION_IMPL {.infer = infer_activation, .eval = eval_activation, .emit = emit_activation}
const OpImpl op_impl_Acos = ACTIVATION_IMPL;
const OpImpl op_impl_Acosh = ACTIVATION_IMPL;
const OpImpl op_impl_Asin = ACTIVATION_IMPL;
const OpImpl op_impl_Asinh = ACTIVATION_IMPL;
const OpImpl op_impl_Atan = ACTIVATION_IMPL;
const OpImpl op_impl_Atanh = ACTIVATION_IMPL;
const OpImpl op_impl_Celu = ACTIVATION_IMPL;
const OpImpl op_impl_Cos = ACTIVATION_IMPL;
const OpImpl op_impl_Cosh = ACTIVATION_IMPL;
const OpImpl op_impl_HardSwish = ACTIVATION_IMPL;
const OpImpl op_impl_Mish = ACTIVATION_IMPL;
const OpImpl op_impl_Round = ACTIVATION_IMPL;
const OpImpl op_impl_Selu = ACTIVATION_IMPL;
const OpImpl op_impl_Shrink = ACTIVATION_IMPL;
const OpImpl op_impl_Sign = ACTIVATION_IMPL;
const OpImpl op_impl_Sin = ACTIVATION_IMPL;
const OpImpl op_impl_Sinh = ACTIVATION_IMPL;
const OpImpl op_impl_Softsign = ACTIVATION_IMPL;
const OpImpl op_impl_Tan = ACTIVATION_IMPL;
const OpImpl op_impl_ThresholdedRelu = ACTIVATION_IMPL;
