/* ops/epilogue.h: the epilogue of vitc.Gemm and vitc.Conv as the ops see it.
 *
 * The contract (what is applied, in which order, with which activation codes) is
 * templates/gemm/f32-gemm-epilogue.c, included here for its codes; this module
 * reads the epilogue from a node's attributes and inputs, checks it (infer),
 * applies it to one value (constant folding, and the reference the tests compare
 * with), and writes it as the kernels' `vitc_f32_gemm_epilogue` literal.
 *
 * On a node: inputs 3 (residual R) and 4 (gate G), each of the output's shape;
 * attributes `activation` (code, default 0), `activation_params` (floats: the
 * activation's a and b, codes 6-9 only; required there), `ranges` (ints: triples end,
 * activation, gate column (-1 none) over the output's last axis; overrides
 * `activation`), `gate` (1: y*G, 2: y*sigmoid(G); required with G) and
 * `residual_scale` (float, default 1). */
#ifndef VITC_OPS_EPILOGUE_H
#define VITC_OPS_EPILOGUE_H

#include <stdbool.h>
#include <stdint.h>

#define VITC_GEMM_EPILOGUE_CODES_ONLY
#include "gemm/f32-gemm-epilogue.c"
#undef VITC_GEMM_EPILOGUE_CODES_ONLY

#include "ir/graph.h"

typedef struct Emitter Emitter;
typedef struct EmitRows EmitRows;

#define EPI_MAX_RANGES 16

typedef struct Epilogue {
  int act;                                /* when n_ranges == 0 */
  float alpha, beta;                      /* its parameters (activation_params) */
  int n_ranges;
  int64_t ranges[3 * EPI_MAX_RANGES];     /* (end, act, gate column or -1) triples */
  int gate_mode;                          /* VITC_GEMM_GATE_*; input 4 present iff != 0 */
  float res_scale;                        /* input 3 present: its factor */
  bool has_res;
} Epilogue;

/* Activation names for comments ("GELU (erf)"), by code. */
const char *epi_act_name(int act);
/* Read and check the epilogue of node n whose output has shape `out` (its last
 * dimension is N): attribute values, the residual's and gate's shapes. */
int epi_read(Graph *g, Node *n, const Shape *out, Epilogue *ep);
/* Whether anything follows the bias: activation, gate or residual. */
bool epi_any(const Epilogue *ep);
/* The activation of output column j. */
int epi_act_of(const Epilogue *ep, int64_t j);
/* y (after bias) -> epilogue(y), for element index i (row-major) of the output,
 * column j, with the node's G and R data (NULL when absent) and the output row so
 * far (row[0, j), for a gated range). In float with libm, the same formulas as
 * vitc_f32_gemm_epilogue_scalar. */
float epi_apply(const Epilogue *ep, float y, int64_t j, const float *gate, const float *res, int64_t i,
                const float *row);
/* A comment fragment: ", SiLU, * sigmoid(G), + 2 * residual". */
const char *epi_describe(const Epilogue *ep, char *buf, size_t n);
/* The C expression of the kernels' epilogue for this node, written into buf:
 * "NULL" when there is nothing to do, else "&(const vitc_f32_gemm_epilogue){...}"
 * with `bias` (a C expression, or NULL for none); the residual and gate are the
 * node's inputs 3 and 4 with rows `ld` elements apart, moved to the call's first
 * row by r (emit_rows_ptr; r may be NULL). Returns buf. */
const char *epi_literal(Emitter *e, const Epilogue *ep, Node *n, const char *bias, const EmitRows *r, int64_t ld,
                        char *buf, size_t nbuf);

#endif
