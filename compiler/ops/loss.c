/* ops/loss.c: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
 *
 * Losses are training ops, but exported evaluation graphs (and ONNX's backend
 * cases) use them to score a batch. Both share one kernel,
 * templates/loss/f32-nll-scalar.c, over the input viewed as (N, C, D) with D the
 * product of the trailing dims; SoftmaxCrossEntropyLoss first writes the
 * log-softmax over the class axis (the kernel of LogSoftmax) into its optional
 * log_prob output, or into scratch when that output is absent or not read.
 * Targets are int64 or int32; reduction is none (the target's shape), sum or mean
 * (a scalar). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

typedef struct LossDims {
  int64_t N, C, D;
  int reduction; /* the kernel's: 0 none, 1 sum, 2 mean */
  Shape out;
} LossDims;

static int loss_dims(Graph *g, Node *n, LossDims *ld) {
  Tensor *x = node_in(g, n, 0), *t = node_in(g, n, 1), *w = node_in(g, n, 2);
  if (x->dtype != DT_FLOAT) return node_err(g, n, "input is %s; vitc supports float32 here", dtype_name(x->dtype));
  if (t->dtype != DT_INT64 && t->dtype != DT_INT32)
    return node_err(g, n, "target is %s; expected int64 or int32", dtype_name(t->dtype));
  if (w && (w->dtype != DT_FLOAT || w->shape.rank != 1))
    return node_err(g, n, "weight must be a 1-D float32 tensor");
  int r = x->shape.rank;
  if (r < 2) return node_err(g, n, "input must be (N, C, ...), got rank %d", r);
  if (t->shape.rank != r - 1 || t->shape.d[0] != x->shape.d[0])
    return node_err(g, n, "target must be (N, d1, ...) for an input (N, C, d1, ...)");
  ld->N = x->shape.d[0], ld->C = x->shape.d[1], ld->D = 1;
  for (int i = 2; i < r; i++) {
    if (t->shape.d[i - 1] != x->shape.d[i]) return node_err(g, n, "target's dim %d differs from the input's dim %d", i - 1, i);
    ld->D *= x->shape.d[i];
  }
  if (w && w->shape.d[0] != ld->C) return node_err(g, n, "weight has %" PRId64 " values for %" PRId64 " classes", w->shape.d[0], ld->C);
  const char *red = attr_str(n, "reduction", "mean");
  ld->reduction = strcmp(red, "none") == 0 ? 0 : strcmp(red, "sum") == 0 ? 1 : strcmp(red, "mean") == 0 ? 2 : -1;
  if (ld->reduction < 0) return node_err(g, n, "reduction '%s' is not one of none, sum, mean", red);
  if (ld->reduction == 0) ld->out = t->shape;
  else ld->out.rank = 0;
  return 0;
}

static int infer_loss(Graph *g, Node *n) {
  LossDims ld;
  if (loss_dims(g, n, &ld)) return -1;
  set_output(g, n, 0, DT_FLOAT, &ld.out);
  if (n->op == OP_SoftmaxCrossEntropyLoss) set_output(g, n, 1, DT_FLOAT, &node_in(g, n, 0)->shape);
  return 0;
}

/* log_prob goes to scratch unless the model names and reads it. */
static bool log_prob_in_output(Graph *g, Node *n) {
  return n->op == OP_SoftmaxCrossEntropyLoss && n->n_out > 1 && n->out[1] >= 0 &&
         (tensor_uses(g, n->out[1]) > 0 || g->t[n->out[1]].is_output);
}

static size_t scratch_loss(Graph *g, Node *n, const Target *t) {
  LossDims ld;
  if (n->op != OP_SoftmaxCrossEntropyLoss || log_prob_in_output(g, n) || loss_dims(g, n, &ld)) return 0;
  return (size_t)(ld.N * ld.C * ld.D) * sizeof(float);
}

static int emit_loss(Emitter *e, Graph *g, Node *n) {
  LossDims ld;
  if (loss_dims(g, n, &ld)) return -1;
  const char *x = emit_ref(e, n->in[0]);
  char lp[256];
  if (n->op == OP_SoftmaxCrossEntropyLoss) {
    if (log_prob_in_output(g, n)) {
      snprintf(lp, sizeof lp, "%s", emit_ref(e, n->out[1]));
    } else {
      snprintf(lp, sizeof lp, "(float *)%s", emit_scratch(e));
      if (n->n_out > 1 && n->out[1] >= 0) emit_line(e, "(void)%s; /* log_prob, not read: not computed */", emit_ref(e, n->out[1]));
    }
    emit_use_kernel(e, "norm/f32-softmax");
    emit_line(e, "/* log_prob (%" PRId64 ", %" PRId64 ", %" PRId64 ") = LogSoftmax over the classes */", ld.N, ld.C, ld.D);
    emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s);", emit_kfn(e, "vitc_f32_log_softmax"), ld.N, ld.C,
              ld.D, x, lp);
    x = lp;
  }
  const Attr *ii = node_attr(n, "ignore_index");
  emit_use_kernel(e, "loss/f32-nll");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %d, %s, %d, %" PRId64 ", %d /* %s */, %s);",
            emit_kfn(e, "vitc_f32_nll"), ld.N, ld.C, ld.D, x, emit_ref(e, n->in[1]),
            node_in(g, n, 1)->dtype == DT_INT32, node_in(g, n, 2) ? emit_ref(e, n->in[2]) : "NULL", ii != NULL,
            ii ? ii->i : (int64_t)0, ld.reduction, attr_str(n, "reduction", "mean"), emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_NegativeLogLikelihoodLoss = {.infer = infer_loss, .emit = emit_loss};
const OpImpl op_impl_SoftmaxCrossEntropyLoss = {.infer = infer_loss, .emit = emit_loss, .scratch = scratch_loss};
