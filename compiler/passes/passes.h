/* passes/passes.h: graph rewrites, one per file, and the pipeline that runs them.
 *
 * Every pass has the same signature: it rewrites the graph in place and returns
 * 1 if it changed something, 0 if not, -1 on bad input (already reported). The
 * pipeline (passes/pipeline.c) is one table read top to bottom; graph_verify()
 * runs after each pass. */
#ifndef VITC_PASSES_H
#define VITC_PASSES_H

#include <stdio.h>

#include "ir/graph.h"

typedef int (*PassFn)(Graph *g);

typedef struct Pass {
  const char *name;
  PassFn run;
  const char *what; /* one line for --help and docs */
} Pass;

int pass_fold_constants(Graph *g);
int pass_eliminate_identity(Graph *g);
int pass_eliminate_dead(Graph *g);

typedef struct PipelineOptions {
  const char *dump_after; /* pass name, "all", or NULL */
  FILE *dump_file;
  /* Filled in: names of the passes that changed the graph, comma-separated. */
  char changed[512];
} PipelineOptions;

extern const Pass vitc_pipeline[];
extern const int vitc_pipeline_len;

int run_pipeline(Graph *g, PipelineOptions *opt);

#endif
