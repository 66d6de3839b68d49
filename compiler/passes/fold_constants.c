/* passes/fold_constants.c: shape inference and constant folding, in one walk.
 *
 * The two cannot be separate passes: Reshape's output shape is its second input's
 * value, which is often computed by the legacy exporter's Shape -> Gather ->
 * Unsqueeze -> Concat chain. So each node, in topological order, first gets its
 * output shapes (ops' infer) and then, if every input it reads is a constant (for
 * Shape: if its input's shape is known), is evaluated (ops' eval) and deleted; its
 * outputs become constants for the nodes after it.
 *
 * A fold that would materialize a large constant out of small ones (Expand or
 * ConstantOfShape to an activation-sized tensor) is left to run time, so the
 * weights in the bundle never grow beyond the model's own. */
#include <string.h>

#include "ops/op.h"
#include "passes/passes.h"

/* Fold only if the outputs are small, or no larger than the constant inputs. */
#define FOLD_FREE_BYTES (64 * 1024)

static bool worth_folding(Graph *g, Node *n, bool shapes_only) {
  size_t in_bytes = 0, out_bytes = 0;
  for (int k = 0; k < n->n_in; k++) {
    Tensor *t = node_in(g, n, k);
    if (!t) continue;
    if (!shapes_only && !t->data) return false;
    if (!t->typed) return false;
    if (t->data) in_bytes += (size_t)shape_numel(&t->shape) * dtype_size(t->dtype);
  }
  for (int o = 0; o < n->n_out; o++) {
    Tensor *t = node_out(g, n, o);
    if (t) out_bytes += (size_t)shape_numel(&t->shape) * dtype_size(t->dtype);
  }
  return out_bytes <= FOLD_FREE_BYTES || out_bytes <= in_bytes;
}

int pass_fold_constants(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    if (n->dead) continue;
    const OpImpl *impl = op_impl(n->op);
    bool need_infer = false;
    for (int o = 0; o < n->n_out; o++)
      if (n->out[o] >= 0 && !g->t[n->out[o]].typed) need_infer = true;
    if (!impl->infer) return node_err(g, n, "this op is not supported by vitc yet");
    if (need_infer && impl->infer(g, n)) return -1;
    if (!impl->eval) continue;
    bool graph_out = false;
    for (int o = 0; o < n->n_out; o++)
      if (n->out[o] >= 0 && g->t[n->out[o]].is_output) graph_out = true;
    if (graph_out) continue; /* outputs stay computed by the bundle */
    if (!worth_folding(g, n, impl->fold_from_shapes)) continue;
    if (impl->eval(g, n)) return -1;
    n->dead = true;
    changed = 1;
  }
  return changed;
}
