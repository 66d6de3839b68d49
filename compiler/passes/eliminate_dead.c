/* passes/eliminate_dead.c: delete nodes none of whose outputs is read.
 *
 * Walks backwards so a chain that only fed a deleted node disappears in one run. */
#include <stdlib.h>

#include "ir/diag.h"
#include "passes/passes.h"

int pass_eliminate_dead(Graph *g) {
  int changed = 0;
  int *uses = xcalloc((size_t)g->nt + 1, sizeof(int));
  for (int i = 0; i < g->nn; i++)
    if (!g->n[i].dead)
      for (int k = 0; k < g->n[i].n_in; k++)
        if (g->n[i].in[k] >= 0) uses[g->n[i].in[k]]++;
  for (int k = 0; k < g->n_outputs; k++) uses[g->outputs[k]]++;
  for (int i = g->nn - 1; i >= 0; i--) {
    Node *n = &g->n[i];
    if (n->dead) continue;
    bool used = false;
    for (int o = 0; o < n->n_out; o++)
      if (n->out[o] >= 0 && uses[n->out[o]] > 0) used = true;
    if (used) continue;
    n->dead = true;
    changed = 1;
    for (int k = 0; k < n->n_in; k++)
      if (n->in[k] >= 0) uses[n->in[k]]--;
  }
  free(uses);
  return changed;
}
