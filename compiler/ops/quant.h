/* ops/quant.h: scales and zero points of the quantization ops (ops/quant.c),
 * shared with the int8 GEMM (ops/qgemm.c) and its pass (passes/fuse_qdq_gemm.c). */
#ifndef VITC_OPS_QUANT_H
#define VITC_OPS_QUANT_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/graph.h"

/* A per-tensor (n = 1) or per-axis quantization: n scales and zero points. */
typedef struct QParams {
  int n;
  float *scale; /* NULL for the integer ops (zero points only) */
  int64_t *zp;
} QParams;

bool dtype_is_q8(DType dt); /* uint8 or int8 */
/* Read node n's scale (input si, float32 constant of 1 or axis_len values) and
 * zero point (input zi, absent = 0, a constant of type qtype and as many values);
 * `what` names them in errors ("x", "y"). */
int qparams_read(Graph *g, Node *n, int si, int zi, int64_t axis_len, DType qtype, const char *what, QParams *q);
void qparams_free(QParams *q);

#endif
