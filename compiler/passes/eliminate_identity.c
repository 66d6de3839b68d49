/* passes/eliminate_identity.c: Identity and Dropout (inference) forward their input.
 *
 * The consumers of the output read the input instead. When the output is a graph
 * output the node stays (it becomes a copy into the caller's buffer). */
#include "passes/passes.h"

int pass_eliminate_identity(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    if (n->dead || (n->op != OP_Identity && n->op != OP_Dropout)) continue;
    if (n->n_in < 1 || n->in[0] < 0 || n->out[0] < 0) continue;
    if (n->op == OP_Dropout && n->n_out > 1 && n->out[1] >= 0 && tensor_uses(g, n->out[1]) > 0) continue;
    int out = n->out[0];
    if (g->t[out].is_output) continue;
    graph_replace_uses(g, out, n->in[0]);
    n->dead = true;
    changed = 1;
  }
  return changed;
}
