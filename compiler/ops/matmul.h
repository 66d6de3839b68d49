/* ops/matmul.h: the shape algebra of numpy's matmul, shared by MatMul
 * (ops/matmul.c, where it is defined) and the integer products of ops/quant.c
 * (MatMulInteger, QLinearMatMul), whose operands differ in element type; and the
 * packed GEMM's weight layout and entry point, which ops/conv.c's Winograd
 * convolution also multiplies by. */
#ifndef VITC_OPS_MATMUL_H
#define VITC_OPS_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

/* The shape algebra of one MatMul. */
typedef struct MatMulDims {
  int64_t M, K, N;
  Shape batch;                        /* broadcast batch dims of the output */
  int64_t a_stride[IR_MAX_RANK];      /* per output batch dim, elements between A matrices (0 = broadcast) */
  int64_t b_stride[IR_MAX_RANK];
  Shape out;
} MatMulDims;

/* A (sa) @ B (sb) as numpy: the last two dims are the matrix, the rest batch dims
 * that broadcast; a 1-D A is a row, a 1-D B a column. Error naming node n when the
 * shapes do not fit. */
int matmul_shape_dims(Graph *g, Node *n, const Shape *sa, const Shape *sb, MatMulDims *md);

/* "(const ptrdiff_t[]){a, b, c}": a literal array a kernel reads by pointer, in buf. */
const char *ptrdiff_literal(const int64_t *v, int n, char *buf, size_t nbuf);

/* B (K,N), element (k,j) at w[k*rs + j*cs] times scale, packed in panels of nr
 * columns (templates/gemm/f32-gemm-driver.c's layout) into p, ceil(N/nr)*nr*K floats. */
void gemm_pack_panels(int64_t nr, const float *w, int64_t K, int64_t N, int64_t rs, int64_t cs, float scale, float *p);

struct Emitter;
/* "vitc_f32_gemm_12x32_avx512" for base "vitc_f32_gemm" on the emitter's target,
 * after pasting the tile's template (templates/gemm/f32-gemm-12x32-avx512.c). */
const char *gemm_tile_fn(struct Emitter *e, const char *base);

#endif
