/* ops/conv_transpose.c: ConvTranspose (the learned upsampling of U-Net-style
 * decoders and detection heads).
 *
 * X (N, C_in, [H,] W), W (C_in, C_out/group, [KH,] KW), B (C_out) optional. The
 * output size per spatial axis, ONNX's rule:
 *
 *   out = s*(in-1) + output_padding + (k-1)*d + 1 - pad_begin - pad_end
 *
 * With output_shape (or auto_pad SAME_*, which asks for out = in*s), the pads
 * are what makes that true: total = s*(in-1) + output_padding + (k-1)*d + 1 -
 * out, split total/2 at the beginning for SAME_UPPER and total - total/2
 * otherwise (the spec's rule, which ONNX Runtime follows); a negative total
 * (out larger than the full output) is 0, the extra outputs holding the bias. 1-D runs as 2-D with
 * H = 1; 3-D is refused.
 *
 * Lowered to templates/conv/f32-deconv2d: per image and group, a GEMM of the
 * input channels into a column buffer (scratch) and a col2im into Y, the bias
 * written first. W keeps its ONNX layout. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"
#include "ops/window.h"

typedef struct DeconvDims {
  int64_t N, G, Cig, Cog;
  int64_t H, W, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl;
  Shape out;
} DeconvDims;

static int deconv_dims(Graph *g, Node *n, DeconvDims *d) {
  Tensor *x = node_in(g, n, 0), *w = node_in(g, n, 1), *b = node_in(g, n, 2);
  if (x->dtype != DT_FLOAT || w->dtype != DT_FLOAT || (b && b->dtype != DT_FLOAT))
    return node_err(g, n, "inputs must be float32 (X %s, W %s); vitc supports float32 here", dtype_name(x->dtype),
                    dtype_name(w->dtype));
  int r = x->shape.rank, nsp = r - 2;
  if (nsp < 1) return node_err(g, n, "X must be (N, C, spatial...), got rank %d", r);
  if (nsp > 2) return node_err(g, n, "%d-D transposed convolutions are not supported (1-D and 2-D only)", nsp);
  if (w->shape.rank != r) return node_err(g, n, "W has rank %d but X has rank %d", w->shape.rank, r);
  int64_t group = attr_int(n, "group", 1);
  if (group < 1 || x->shape.d[1] % group) return node_err(g, n, "group %" PRId64 " does not divide %" PRId64 " channels", group, x->shape.d[1]);
  if (w->shape.d[0] != x->shape.d[1])
    return node_err(g, n, "W has %" PRId64 " input channels, X has %" PRId64, w->shape.d[0], x->shape.d[1]);
  d->N = x->shape.d[0], d->G = group, d->Cig = x->shape.d[1] / group, d->Cog = w->shape.d[1];
  if (b && (b->shape.rank != 1 || b->shape.d[0] != d->G * d->Cog))
    return node_err(g, n, "B must have %" PRId64 " values", d->G * d->Cog);
  int64_t k[2], s[2], dil[2], op[2], pads[4], oshape[2] = {-1, -1};
  for (int i = 0; i < nsp; i++) k[i] = w->shape.d[2 + i];
  const int64_t *ks;
  int nks = attr_ints(n, "kernel_shape", &ks);
  for (int i = 0; i < nks && i < nsp; i++)
    if (ks[i] != k[i]) return node_err(g, n, "kernel_shape does not match W");
  if (window_ints(g, n, "strides", nsp, 1, 0, s) || window_ints(g, n, "dilations", nsp, 1, 0, dil) ||
      window_ints(g, n, "output_padding", nsp, 0, 0, op) || window_ints(g, n, "pads", 2 * nsp, 0, 0, pads))
    return -1;
  for (int i = 0; i < nsp; i++)
    if (s[i] < 1 || dil[i] < 1) return node_err(g, n, "strides and dilations must be positive");
  const char *auto_pad = attr_str(n, "auto_pad", "NOTSET");
  bool same_upper = strcmp(auto_pad, "SAME_UPPER") == 0, same = same_upper || strcmp(auto_pad, "SAME_LOWER") == 0;
  if (!same && strcmp(auto_pad, "NOTSET") && strcmp(auto_pad, "VALID"))
    return node_err(g, n, "unknown auto_pad '%s'", auto_pad);
  if (strcmp(auto_pad, "VALID") == 0)
    for (int i = 0; i < 2 * nsp; i++) pads[i] = 0;
  const int64_t *os;
  int nos = attr_ints(n, "output_shape", &os);
  if (nos >= 0) {
    if (nos != nsp && nos != r) return node_err(g, n, "output_shape has %d values for %d spatial axes", nos, nsp);
    for (int i = 0; i < nsp; i++) oshape[i] = os[nos == r ? 2 + i : i];
  } else if (same) {
    for (int i = 0; i < nsp; i++) oshape[i] = x->shape.d[2 + i] * s[i];
  }
  int64_t out[2];
  for (int i = 0; i < nsp; i++) {
    int64_t in = x->shape.d[2 + i], full = s[i] * (in - 1) + op[i] + (k[i] - 1) * dil[i] + 1;
    if (oshape[i] >= 0) {
      /* an output larger than the full one is padded at the end with the bias
       * (ONNX Runtime clamps the total to 0; test_convtranspose_output_shape) */
      int64_t total = full > oshape[i] ? full - oshape[i] : 0;
      pads[i] = same_upper ? total / 2 : total - total / 2;
      pads[nsp + i] = total - pads[i];
      out[i] = oshape[i];
    } else {
      out[i] = full - pads[i] - pads[nsp + i];
    }
    if (out[i] < 1) return node_err(g, n, "output size %" PRId64 " along spatial axis %d is not positive", out[i], i);
  }
  int o = nsp - 1;
  d->H = nsp == 2 ? x->shape.d[2] : 1, d->OH = nsp == 2 ? out[0] : 1, d->KH = nsp == 2 ? k[0] : 1;
  d->sh = nsp == 2 ? s[0] : 1, d->dh = nsp == 2 ? dil[0] : 1, d->pt = nsp == 2 ? pads[0] : 0;
  d->W = x->shape.d[2 + o], d->OW = out[o], d->KW = k[o], d->sw = s[o], d->dw = dil[o], d->pl = pads[o];
  d->out.rank = r;
  d->out.d[0] = d->N;
  d->out.d[1] = d->G * d->Cog;
  for (int i = 0; i < nsp; i++) d->out.d[2 + i] = out[i];
  if (check_numel(g, n, &d->out)) return -1;
  Shape cols = {2, {d->Cog * d->KH * d->KW, d->H * d->W}};
  return check_numel(g, n, &cols);
}

static int infer_deconv(Graph *g, Node *n) {
  DeconvDims d;
  if (deconv_dims(g, n, &d)) return -1;
  set_output(g, n, 0, DT_FLOAT, &d.out);
  return 0;
}

static size_t scratch_deconv(Graph *g, Node *n, const Target *t) {
  DeconvDims d;
  if (deconv_dims(g, n, &d)) return 0;
  return (size_t)(d.Cog * d.KH * d.KW * d.H * d.W) * sizeof(float);
}

static int64_t macs_deconv(Graph *g, Node *n) {
  DeconvDims d;
  if (deconv_dims(g, n, &d)) return 0;
  return d.N * d.G * d.Cig * d.Cog * d.KH * d.KW * d.H * d.W;
}

static int emit_deconv(Emitter *e, Graph *g, Node *n) {
  DeconvDims d;
  if (deconv_dims(g, n, &d)) return -1;
  emit_use_kernel(e, "conv/f32-deconv2d");
  char bias[160] = "NULL";
  if (node_in(g, n, 2)) snprintf(bias, sizeof bias, "%s", emit_ref(e, n->in[2]));
  char sb[128];
  emit_line(e, "/* Y %s = ConvTranspose(X, W (%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ")) + B, stride %" PRId64
            "x%" PRId64 " */",
            shape_str(&d.out, sb, sizeof sb), d.G * d.Cig, d.Cog, d.KH, d.KW, d.sh, d.sw);
  emit_line(e,
            "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
            ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
            ", %s, %s, %s, %s, (float *)%s);",
            emit_kfn(e, "vitc_f32_deconv2d"), d.N, d.G, d.Cig, d.Cog, d.H, d.W, d.OH, d.OW, d.KH, d.KW, d.sh, d.sw,
            d.dh, d.dw, d.pt, d.pl, emit_ref(e, n->in[0]), emit_ref(e, n->in[1]), bias, emit_ref(e, n->out[0]),
            emit_scratch(e));
  return 0;
}

const OpImpl op_impl_ConvTranspose = {
    .infer = infer_deconv, .emit = emit_deconv, .scratch = scratch_deconv, .macs = macs_deconv};
