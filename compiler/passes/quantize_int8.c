/* passes/quantize_int8.c: `vitc compile --quantize int8` for a float model: every
 * vitc.Gemm (a product by constant weights, with its fused epilogue) becomes the
 * int8 GEMM vitc.QGemm (ops/qgemm.c), as if the model had been exported in QDQ
 * form with ONNX Runtime's defaults:
 *
 *   weights   per output column, symmetric int8: scale = max |w| / 127 (1 for a
 *             zero column), q = round(w / scale) in [-127, 127], zero point 0;
 *   inputs    per tensor, uint8, from the calibration range [lo, hi] of the tensor
 *             the GEMM reads (vitc_quantize: verify/calibrate.c runs the float
 *             model on the calibration inputs and records every tensor's range),
 *             widened to include 0: scale = (hi - lo) / 255, zero point
 *             round(-lo / scale) (MinMax calibration, as models/quantize_qdq.py).
 *
 * Everything else stays float: attention, LayerNorm, the convolutions, a GEMM
 * reading a column range of a wider tensor (attribute `a`), one whose input has
 * no calibration range. The GEMM quantizes its float input as it packs it (the
 * fused quantize of ops/qgemm.c), so no QuantizeLinear node is added.
 *
 * Runs last but for eliminate_dead, so every fusion has happened and the tensor
 * names are those of the float model's final graph (what the calibration saw). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "passes/passes.h"

const QuantRanges *vitc_quantize = NULL;

static bool range_of(const char *name, float *lo, float *hi) {
  for (int i = 0; i < vitc_quantize->n; i++)
    if (strcmp(vitc_quantize->name[i], name) == 0) {
      *lo = vitc_quantize->lo[i];
      *hi = vitc_quantize->hi[i];
      return true;
    }
  return false;
}

int pass_quantize_int8(Graph *g) {
  if (!vitc_quantize) return 0;
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    if (n->dead || n->op != OP_VitcGemm || node_attr(n, "a")) continue;
    Tensor *a = node_in(g, n, 0), *w = node_in(g, n, 1);
    float lo, hi;
    if (!a || a->dtype != DT_FLOAT || !w || !w->data || w->dtype != DT_FLOAT || w->shape.rank != 2) continue;
    if (!range_of(a->name, &lo, &hi) || !isfinite(lo) || !isfinite(hi)) continue;
    int64_t K = w->shape.d[0], N = w->shape.d[1];
    const float *wv = w->data;
    float *sw = xmalloc(sizeof(float) * (size_t)(N ? N : 1));
    int8_t *wq = xmalloc((size_t)(K * N > 0 ? K * N : 1));
    for (int64_t j = 0; j < N; j++) {
      float amax = 0.0f;
      for (int64_t k = 0; k < K; k++) amax = fmaxf(amax, fabsf(wv[k * N + j]));
      sw[j] = amax > 0.0f ? amax / 127.0f : 1.0f;
      for (int64_t k = 0; k < K; k++) {
        float q = rintf(wv[k * N + j] / sw[j]);
        wq[k * N + j] = (int8_t)(q < -127.0f ? -127.0f : q > 127.0f ? 127.0f : q);
      }
    }
    lo = fminf(lo, 0.0f), hi = fmaxf(hi, 0.0f);
    float sa = hi > lo ? (hi - lo) / 255.0f : 1.0f, z = rintf(-lo / sa);
    int za = (int)(z < 0.0f ? 0.0f : z > 255.0f ? 255.0f : z);
    char *name = xmalloc(strlen(w->name) + 8);
    strcpy(name, w->name);
    strcat(name, "_int8");
    Shape s = w->shape;
    int t = graph_add_const(g, name, DT_INT8, &s, wq);
    free(name);
    n = &g->n[i];
    graph_set_input(g, i, 1, t);
    n->op = OP_VitcQGemm;
    node_add_attr(g, i, "a_scale", ATTR_FLOAT)->f = sa;
    node_add_attr(g, i, "a_zero", ATTR_INT)->i = za;
    node_add_attr(g, i, "a_signed", ATTR_INT)->i = 0;
    Attr *at = node_add_attr(g, i, "w_scale", ATTR_FLOATS);
    at->n = (int)N;
    at->floats = sw;
    changed = 1;
  }
  return changed;
}
