/* passes/pipeline.c: the pass pipeline, in the order it runs.
 *
 * fold_constants comes first: it runs shape inference node by node and folds
 * every node whose inputs are known at compile time, which is what turns the
 * exporters' Shape/Gather/Concat arithmetic into plain constants. Later passes
 * (pattern recognition, fusion) see a graph where every tensor has a static shape.
 *
 * Then the patterns, smallest first: the Transposes tf2onnx puts around every NCHW
 * op of an NHWC model cancel through the element-wise ops between them (so each
 * conv meets its BatchNormalization and activation); BatchNormalization after a Conv goes into the
 * conv's weights (so the conv's epilogue can take what follows); LayerNorm and GELU written out in elementary
 * ops become single ops (older opsets have neither); branches multiplied by a
 * constant zero go (NOSE); FilterViT's gather of K pixels as tokens and their
 * scatter back become two ops that read and write the map in place; products that
 * read one tensor become one GEMM over their concatenated weights (MABViT), before
 * attention so that pass traces q, k and v to that GEMM's output; attention
 * becomes one op, and the transposes of token rows around its projections
 * (torch's sequence-first MultiheadAttention) go into its strides; a QDQ model's
 * quantized Linears (DequantizeLinear on both operands) become int8 GEMMs with the
 * fp32 GEMM's epilogue (before fuse_gemm_epilogue, which would otherwise take
 * their Adds, and which then sees the weights it folds); and last,
 * products by constant weights take their bias, activation and residual add as
 * a GEMM epilogue (it needs the Gelu ops recognized above, and runs after
 * attention so that pass sees the plain MatMul/Add it matches, and the
 * out-projections fuse_attention_rows made); then the power-of-two scales NOSE leaves on the
 * residual stream go into the LayerNorms and GEMM residuals that read them (they
 * need the residual Adds inside vitc.Gemm); with --quantize int8 the fused GEMMs
 * then become int8 GEMMs (after every fusion, so the tensor names are the float
 * model's that the calibration measured). eliminate_dead sweeps what the
 * rewrites left.
 *
 * Before the first pass, every node's attributes are checked against its op's row
 * in ir/attrs.def (known name, the schema's type, given once, required ones
 * present), so no op or pass reads a mistyped attribute as its default.
 *
 * A pass flagged PASS_FINITE_ONLY is exact only on finite activations and is
 * skipped when vitc_strict_nan is set. */
#include "passes/passes.h"

#include <string.h>

#include "ir/attrs.h"
#include "ir/diag.h"

const Pass vitc_pipeline[] = {
    {"fold_constants", pass_fold_constants, "infer shapes and evaluate nodes whose inputs are constants", 0},
    {"eliminate_identity", pass_eliminate_identity, "remove Identity, inference-mode Dropout and products by constant ones", 0},
    {"fold_transposes", pass_fold_transposes,
     "Transpose pairs around NCHW ops (tf2onnx's NHWC layout dance) cancelled through element-wise ops, so the convs "
     "meet their BatchNormalization and activation", 0},
    {"fold_batchnorm", pass_fold_batchnorm, "Conv (or ConvTranspose) + BatchNormalization -> Conv with scaled weights and bias (not bit-exact)", 0},
    {"recognize_layernorm", pass_recognize_layernorm, "ReduceMean/Sub/Pow/../Div/Mul/Add -> LayerNormalization", 0},
    {"recognize_gelu", pass_recognize_gelu, "erf and tanh GELU written out in elementary ops -> Gelu", 0},
    {"eliminate_zero_attention", pass_eliminate_zero_attention,
     "delete branches multiplied by constant zero (NOSE); exact for finite activations", PASS_FINITE_ONLY},
    {"fuse_filter_tokens", pass_fuse_filter_tokens,
     "FilterViT/DropoutViT: K pixels gathered as tokens and scattered back -> vitc.GatherTokens/ScatterTokens", 0},
    {"concat_projections", pass_concat_projections,
     "products by constant weights reading one tensor (MABViT's q|k|v|g|fc1) -> one GEMM, a GELU/SiLU gate in its epilogue", 0},
    {"fuse_attention", pass_fuse_attention, "softmax(Q K^T * scale) V with its head split/merge copies -> vitc.Attention", 0},
    {"fuse_attention_rows", pass_fuse_attention_rows,
     "token-row Transposes around vitc.Attention's projections (sequence-first MultiheadAttention) -> its strides", 0},
    {"fuse_qdq_gemm", pass_fuse_qdq_gemm,
     "DQ(x_q) @ DQ(w_q) (a QDQ model's Linear) + bias, activation, residual -> vitc.QGemm, the int8 GEMM", 0},
    {"fuse_gemm_epilogue", pass_fuse_gemm_epilogue, "MatMul/Gemm by constant weights + bias, GELU/ReLU, residual -> vitc.Gemm", 0},
    {"fold_scale", pass_fold_scale,
     "x * 2^k (NOSE) into its readers: LayerNorm eps / 4^k, GEMM residual scale; exact for finite activations",
     PASS_FINITE_ONLY},
    {"quantize_int8", pass_quantize_int8,
     "--quantize int8: vitc.Gemm -> vitc.QGemm, weights per column, inputs per tensor from calibration", 0},
    {"eliminate_dead", pass_eliminate_dead, "remove nodes whose outputs nobody reads", 0},
};
const int vitc_pipeline_len = sizeof vitc_pipeline / sizeof vitc_pipeline[0];

bool vitc_strict_nan = false;
const char *vitc_skip_passes = NULL;

/* Is `name` in the comma-separated list? */
static bool in_list(const char *list, const char *name) {
  size_t len = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == len && strncmp(p, name, len) == 0) return true;
    p = end ? end + 1 : p + n;
  }
  return false;
}

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
  if (graph_check_attrs(g)) return -1;
  for (int i = 0; i < vitc_pipeline_len; i++) {
    const Pass *p = &vitc_pipeline[i];
    bool skip = (vitc_strict_nan && (p->flags & PASS_FINITE_ONLY)) || in_list(vitc_skip_passes, p->name);
    int rc = skip ? 0 : p->run(g);
    if (rc < 0) return -1;
    graph_check_readers(g, p->name); /* before compact, which rebuilds the index */
    graph_compact(g);
    graph_verify(g, p->name);
    check_typed(g, p->name);
    if (rc > 0) {
      size_t len = strlen(opt->changed);
      if (len + strlen(p->name) + 2 < sizeof opt->changed)
        snprintf(opt->changed + len, sizeof opt->changed - len, "%s%s", len ? "," : "", p->name);
    }
    if (opt->dump_after && opt->dump_file && (strcmp(opt->dump_after, p->name) == 0 || strcmp(opt->dump_after, "all") == 0)) {
      fprintf(opt->dump_file, "# after %s (%s)\n", p->name, skip ? "skipped" : rc > 0 ? "changed" : "unchanged");
      graph_dump(g, opt->dump_file);
    }
  }
  return 0;
}
