/* passes/passes.h: graph rewrites, one per file, and the pipeline that runs them.
 *
 * Every pass has the same signature: it rewrites the graph in place and returns
 * 1 if it changed something, 0 if not, -1 on bad input (already reported). The
 * pipeline (passes/pipeline.c) is one table read top to bottom; graph_verify()
 * runs after each pass. */
#ifndef VITC_PASSES_H
#define VITC_PASSES_H

#include <stdbool.h>
#include <stdio.h>

#include "ir/graph.h"

typedef int (*PassFn)(Graph *g);

enum {
  /* Exact only when activations are finite (it rewrites 0 * y as 0, but
   * 0 * inf = NaN): skipped by a --strict-nan compile. */
  PASS_FINITE_ONLY = 1,
};

typedef struct Pass {
  const char *name;
  PassFn run;
  const char *what; /* one line for --help and docs */
  unsigned flags;   /* PASS_* */
} Pass;

int pass_fold_constants(Graph *g);
int pass_eliminate_identity(Graph *g);
int pass_fold_transposes(Graph *g);
int pass_fold_batchnorm(Graph *g);
int pass_recognize_layernorm(Graph *g);
int pass_recognize_gelu(Graph *g);
int pass_eliminate_zero_attention(Graph *g);
int pass_fuse_filter_tokens(Graph *g);
int pass_concat_projections(Graph *g);
int pass_fuse_attention(Graph *g);
int pass_fuse_attention_rows(Graph *g);
int pass_fuse_qdq_gemm(Graph *g);
int pass_fuse_gemm_epilogue(Graph *g);
int pass_fold_scale(Graph *g);
int pass_quantize_int8(Graph *g);
int pass_eliminate_dead(Graph *g);

/* --quantize int8 (passes/quantize_int8.c): the calibration range of each float
 * tensor of the float model's final graph, by name (verify/calibrate.c makes it);
 * NULL (the default): the pass does nothing. */
typedef struct QuantRanges {
  int n;
  char **name;
  float *lo, *hi;
} QuantRanges;
extern const QuantRanges *vitc_quantize;
/* fuse_gemm_epilogue's rewrite without its check that vitc.Gemm is implemented (tests). */
int rewrite_gemm_epilogue(Graph *g);

typedef struct PipelineOptions {
  const char *dump_after; /* pass name, "all", or NULL */
  FILE *dump_file;
  /* Filled in: names of the passes that changed the graph, comma-separated. */
  char changed[512];
} PipelineOptions;

/* Pipeline-wide settings (globals so PipelineOptions initializers stay as they are):
 * vitc_strict_nan (vitc --strict-nan): NaN-exact, skip the PASS_FINITE_ONLY passes;
 * vitc_skip_passes: comma-separated pass names not to run, or NULL (the tests
 * compare fused and unfused bundles with it). */
extern bool vitc_strict_nan;
extern const char *vitc_skip_passes;

extern const Pass vitc_pipeline[];
extern const int vitc_pipeline_len;

int run_pipeline(Graph *g, PipelineOptions *opt);

#endif
