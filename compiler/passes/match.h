/* passes/match.h: what the pattern passes share to find and replace subgraphs.
 *
 * A pattern pass walks from an anchor node along producer and consumer links,
 * checking at each step that the intermediate it steps over has exactly the uses
 * the pattern gives it (so nothing outside the pattern reads it, and it is not a
 * graph output), that constants hold the expected values, and that shapes are
 * exactly the ones the fused op assumes. When everything holds it replaces the
 * pattern by one node with pm_replace(): the new node takes the slot of the
 * pattern's last node, which keeps the node list topologically sorted (every
 * input from outside the pattern is defined before the pattern's first node), so
 * no pass needs to re-sort. */
#ifndef VITC_PASSES_MATCH_H
#define VITC_PASSES_MATCH_H

#include <stdbool.h>

#include "ir/graph.h"

/* The live node producing t if its op is `op` (any op if op < 0), else -1. */
int pm_producer(const Graph *g, int t, int op);
/* The one live node reading t, if t has exactly one use (one input slot of one
 * node) and is not a graph output; else -1. */
int pm_only_user(const Graph *g, int t);
/* The distinct live readers of t into out[0, max); their count, or -1 if more. */
int pm_live_readers(const Graph *g, int t, int *out, int max);
/* For a node with input t: the index of the other input of a two-input node (or
 * -1 if t is not one of its two inputs, or both inputs are t). */
int pm_other_input(const Node *n, int t);
/* t is a float32 constant whose elements all hold the same finite value: *v. */
bool pm_const_uniform(const Graph *g, int t, double *v);
/* Like pm_const_uniform, and t has one element. */
bool pm_const_scalar(const Graph *g, int t, double *v);
/* t is a one-element constant of any numeric type (Pow's exponent may be an
 * integer): its value. */
bool pm_const_number(const Graph *g, int t, double *v);
/* |v - want| <= rel * |want| (rel = PM_REL for exporter constants). */
bool pm_close(double v, double want, double rel);
#define PM_REL 1e-6
/* t is a float32 tensor with a known shape. */
bool pm_is_f32(const Graph *g, int t);
/* Both tensors have the same shape. */
bool pm_same_shape(const Graph *g, int a, int b);

/* Products by constant weights (passes/fuse_gemm_epilogue.c, concat_projections.c): */
/* A bias for N output columns from constant c, as a [N] tensor (c itself, or a
 * reshaped or expanded copy); -1 if c is not one. */
int pm_bias_vector(Graph *g, int c, int64_t N);
/* The weights of a Gemm node as [K, N]: B itself, or B transposed into a new
 * constant when transB (only when nothing else reads B); -1 if B is not a constant. */
int pm_gemm_weights(Graph *g, const Node *n);
/* The activation applied to t by its one reader (Relu, Sigmoid, Gelu), or by exactly
 * the pair Sigmoid(t) -> s, Mul(t, s) (SiLU): its code of templates/gemm/
 * f32-gemm-epilogue.c, with the node that ends it in *last; -1 if none
 * (passes/fuse_gemm_epilogue.c). */
int pm_activation(const Graph *g, int t, int *last);
/* The same, also LeakyRelu, Clip with constant bounds, HardSigmoid, HardSwish,
 * Mul(t, HardSigmoid(t)) and Max(t, Mul(t, a)) (LeakyRelu(a), 0 <= a <= 1), the
 * activations with parameters: *alpha, *beta; *extra is the first node of a
 * two-node form (the Sigmoid, HardSigmoid or Mul that *last reads), else -1. */
int pm_activation_params(Graph *g, int t, int *last, int *extra, float *alpha, float *beta);
/* What follows a product's output y (N columns): bias (if allowed), activation,
 * gate, residual; the nodes it spans (passes/fuse_gemm_epilogue.c, shared with
 * fuse_qdq_gemm.c, whose int8 GEMM takes the same epilogue). */
typedef struct Chain {
  int bias, act, gate_mode, gate, res;
  float alpha, beta; /* the activation's parameters */
  int last, y;   /* the chain's last node and output */
  int kill[8];   /* nodes of the chain before the last */
  int nk;
} Chain;
/* The chain after node `first` whose output is y: a bias Add (when bias_step), an
 * activation, a gate, a residual Add, each only if its input is read by it alone. */
void pm_epilogue_chain(Graph *g, int first, int y, int64_t N, bool bias_step, Chain *c);
/* Replace the chain by node `op` reading in0, in1, in2 and the chain's residual and
 * gate (the chain's other nodes die); returns the new node, with the activation
 * (its parameters) and gate attributes of the chain. */
int pm_rewrite_chain(Graph *g, const Chain *c, OpKind op, const char *name, int in0, int in1, int in2);

/* Replace the node at index `at` (the pattern's last node, which is marked dead)
 * by a new node of `op` with the given inputs and outputs, placed in the same
 * slot. Returns the new node's index (== at). The caller marks the pattern's other
 * nodes dead. Node pointers taken before the call are invalid after it. */
int pm_replace(Graph *g, int at, OpKind op, const char *name, const int *in, int n_in, const int *out, int n_out);
/* A name for a node replacing a pattern: the pattern's first node's name with its
 * last '/'-component replaced by `what` ("/blocks.0/norm1/ReduceMean" ->
 * "/blocks.0/norm1/LayerNormalization"); malloc'ed. */
char *pm_name(const char *first, const char *what);
/* Copy every attribute of src onto node ni (deep copies; src must not be node ni). */
void pm_copy_attrs(Graph *g, int ni, const Node *src);
/* A new float32 constant holding a copy of `v` (numel of s floats). */
int pm_add_const_f32(Graph *g, const char *name, const Shape *s, const float *v);

#endif
