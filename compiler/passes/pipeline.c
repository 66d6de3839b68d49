/* passes/pipeline.c: the pass pipeline, in the order it runs.
 *
 * fold_constants comes first: it runs shape inference node by node and folds
 * every node whose inputs are known at compile time, which is what turns the
 * exporters' Shape/Gather/Concat arithmetic into plain constants. Later passes
 * (pattern recognition, fusion) see a graph where every tensor has a static shape. */
#include "passes/passes.h"

#include <string.h>

#include "ir/diag.h"

const Pass vitc_pipeline[] = {
    {"fold_constants", pass_fold_constants, "infer shapes and evaluate nodes whose inputs are constants"},
    {"eliminate_identity", pass_eliminate_identity, "remove Identity and inference-mode Dropout"},
    {"eliminate_dead", pass_eliminate_dead, "remove nodes whose outputs nobody reads"},
};
const int vitc_pipeline_len = sizeof vitc_pipeline / sizeof vitc_pipeline[0];

static int check_typed(Graph *g, const char *after) {
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    if (n->dead) continue;
    for (int o = 0; o < n->n_out; o++)
      if (n->out[o] >= 0 && !g->t[n->out[o]].typed)
        vitc_die("after %s: output '%s' of node '%s' has no shape", after, g->t[n->out[o]].name, n->name);
  }
  return 0;
}

int run_pipeline(Graph *g, PipelineOptions *opt) {
  opt->changed[0] = 0;
  for (int i = 0; i < vitc_pipeline_len; i++) {
    const Pass *p = &vitc_pipeline[i];
    int rc = p->run(g);
    if (rc < 0) return -1;
    graph_compact(g);
    graph_verify(g, p->name);
    check_typed(g, p->name);
    if (rc > 0) {
      size_t len = strlen(opt->changed);
      if (len + strlen(p->name) + 2 < sizeof opt->changed)
        snprintf(opt->changed + len, sizeof opt->changed - len, "%s%s", len ? "," : "", p->name);
    }
    if (opt->dump_after && opt->dump_file && (strcmp(opt->dump_after, p->name) == 0 || strcmp(opt->dump_after, "all") == 0)) {
      fprintf(opt->dump_file, "# after %s (%s)\n", p->name, rc > 0 ? "changed" : "unchanged");
      graph_dump(g, opt->dump_file);
    }
  }
  return 0;
}
