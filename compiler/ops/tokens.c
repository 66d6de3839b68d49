/* ops/tokens.c: vitc.GatherTokens and vitc.ScatterTokens, the selected pixels of
 * a feature map as token rows and back (contracts in ir/ops.def; made by
 * passes/fuse_filter_tokens.c; kernels in templates/layout/f32-tokens-scalar.c,
 * and the gather's SIMD form in f32-tokens-simd.c).
 *
 * FilterViT attends over K of a map's HW pixels (picked by TopK of a score
 * map) and DropoutViT over a constant set of K: exporters write the pick as
 * GatherElements with indices Expanded over the channels, a Transpose to
 * [B, K, C] and the position rows added, and the write-back as the reverse
 * Transpose and a ScatterElements of the whole map. These two ops do each side
 * in one pass over the K tokens, reading the map where it is (strides, no
 * transposed copy of the map), and the scatter writes the K tokens into the
 * map's own buffer when the planner lets it (OPF_INPLACE: nothing reads the
 * map afterwards), instead of copying the map.
 *
 * Both check at compile time that the strided map lies inside its tensor, the
 * index tensor holds B*K or K int64 values, the optional inputs have their
 * shapes, and (scatter) that the map strides cover the map densely, so the
 * out-of-place copy is one block. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

typedef struct TokDesc {
  int64_t B, C, P, K;
  int64_t ms[3]; /* map strides: batch, channel, position */
  int64_t us[3]; /* scatter: token strides (batch, token, channel) */
  int64_t os[2]; /* gather: output row strides (batch, token); channels contiguous */
  int64_t ib;    /* index batch stride: K, or 0 for one list for every image */
} TokDesc;

static int read3(Graph *g, Node *n, const char *name, int64_t *v) {
  const int64_t *a;
  if (attr_ints(n, name, &a) != 3) return node_err(g, n, "attribute '%s' must hold 3 strides", name);
  for (int i = 0; i < 3; i++) {
    if (a[i] < 0 || a[i] > INT32_MAX) return node_err(g, n, "attribute '%s'[%d] = %" PRId64 " is out of range", name, i, a[i]);
    v[i] = a[i];
  }
  return 0;
}

/* Element (B-1, C-1, P-1) of a strided [B, C, P] view lies inside numel. */
static int check_inside(Graph *g, Node *n, const char *what, const int64_t *st, int64_t B, int64_t C, int64_t P,
                        int64_t numel) {
  int64_t last = (B - 1) * st[0] + (C - 1) * st[1] + (P - 1) * st[2];
  if (last >= numel)
    return node_err(g, n, "%s reaches element %" PRId64 " of a tensor of %" PRId64, what, last, numel);
  return 0;
}

static int tok_desc(Graph *g, Node *n, bool scatter, TokDesc *d) {
  const int64_t *v;
  if (attr_ints(n, "dims", &v) != 4) return node_err(g, n, "attribute 'dims' must be [B, C, P, K]");
  for (int i = 0; i < 4; i++)
    if (v[i] < 1 || v[i] > INT32_MAX) return node_err(g, n, "dims[%d] = %" PRId64 " is out of range", i, v[i]);
  d->B = v[0], d->C = v[1], d->P = v[2], d->K = v[3];
  if (read3(g, n, "map", d->ms) || (scatter && read3(g, n, "upd", d->us))) return -1;
  Tensor *m = node_in(g, n, 0), *idx = node_in(g, n, 1);
  if (!m || !m->typed || m->dtype != DT_FLOAT) return node_err(g, n, "input M (the map) must be float32");
  if (check_inside(g, n, "the map", d->ms, d->B, d->C, d->P, shape_numel(&m->shape))) return -1;
  if (!idx || !idx->typed || idx->dtype != DT_INT64) return node_err(g, n, "input I (the indices) must be int64");
  int64_t ni = shape_numel(&idx->shape);
  if (ni != d->B * d->K && ni != d->K)
    return node_err(g, n, "I holds %" PRId64 " indices, expected B*K = %" PRId64 " or K = %" PRId64, ni, d->B * d->K,
                    d->K);
  d->ib = ni == d->B * d->K ? d->K : 0;
  return 0;
}

/* ---------------- vitc.GatherTokens ---------------- */

/* The gather's output layout: by default [B, K, C]; attributes `shape` and `out`
 * (the row strides of (b, i)) give the sequence-first [K, B, C] (or a shape
 * with the same bytes). Rows are C contiguous floats either way. */
static int gather_out(Graph *g, Node *n, TokDesc *d, Shape *out) {
  const int64_t *sv, *ov;
  int r = attr_ints(n, "shape", &sv), no = attr_ints(n, "out", &ov);
  if (r < 0 && no < 0) {
    *out = (Shape){3, {d->B, d->K, d->C}};
    d->os[0] = d->K * d->C, d->os[1] = d->C;
    return 0;
  }
  if (r < 1 || r > IR_MAX_RANK || no != 2)
    return node_err(g, n, "attributes 'shape' and 'out' (the output's row strides) must come together");
  out->rank = r;
  for (int i = 0; i < r; i++) out->d[i] = sv[i];
  d->os[0] = ov[0], d->os[1] = ov[1];
  bool bkc = d->os[0] == d->K * d->C && d->os[1] == d->C, kbc = d->os[0] == d->C && d->os[1] == d->B * d->C;
  if (shape_numel(out) != d->B * d->K * d->C || out->d[r - 1] != d->C || !(bkc || kbc))
    return node_err(g, n, "output strides (%" PRId64 ", %" PRId64 ") lay out neither [B, K, C] nor [K, B, C] rows",
                    d->os[0], d->os[1]);
  return 0;
}

static int infer_gather_tokens(Graph *g, Node *n) {
  TokDesc d;
  if (n->n_in < 2 || n->n_in > 4 || n->n_out != 1) return node_err(g, n, "expects inputs M, I [, S [, Tab]] and one output");
  if (tok_desc(g, n, false, &d)) return -1;
  Shape out;
  if (gather_out(g, n, &d, &out)) return -1;
  Tensor *s = node_in(g, n, 2), *tab = node_in(g, n, 3);
  if (s && (s->dtype != DT_FLOAT || shape_numel(&s->shape) != d.B * d.K))
    return node_err(g, n, "input S (the gate) must be float32 with B*K = %" PRId64 " elements", d.B * d.K);
  int64_t rows = attr_int(n, "rows", 0), want = rows == 0 ? d.P * d.C : rows == 1 ? d.K * d.C : d.B * d.K * d.C;
  if (rows < 0 || rows > 2) return node_err(g, n, "attribute 'rows' must be 0 (pixel), 1 (token) or 2 (image, token)");
  if (tab && (tab->dtype != DT_FLOAT || shape_numel(&tab->shape) != want))
    return node_err(g, n, "input Tab (the position rows) must be float32 with %" PRId64 " elements (rows = %" PRId64 ")",
                    want, rows);
  if (check_numel(g, n, &out)) return -1;
  set_output(g, n, 0, DT_FLOAT, &out);
  return 0;
}

static int emit_gather_tokens(Emitter *e, Graph *g, Node *n) {
  TokDesc d;
  Shape out;
  if (tok_desc(g, n, false, &d) || gather_out(g, n, &d, &out)) return -1;
  bool gate = node_in(g, n, 2) != NULL, pos = node_in(g, n, 3) != NULL, seq = d.os[0] < d.os[1];
  emit_use_kernel(e, "layout/f32-tokens");
  static const char *const pos_name[3] = {" + Tab[I]", " + Tab[i]", " + Tab[b, i]"};
  emit_line(e, "/* T (%" PRId64 ",%" PRId64 ",%" PRId64 ") = the map's pixels I as token rows%s%s */", seq ? d.K : d.B,
            seq ? d.B : d.K, d.C, gate ? " * S" : "", pos ? pos_name[attr_int(n, "rows", 0) % 3] : "");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %s, %" PRId64 ", %s, %s, %d, %s, %s);",
            emit_kfn(e, "vitc_f32_gather_tokens"), d.B, d.C, d.P, d.K, emit_ref(e, n->in[0]), emit_ints(e, "ms", d.ms, 3),
            emit_ref(e, n->in[1]), d.ib, gate ? emit_ref(e, n->in[2]) : "NULL", pos ? emit_ref(e, n->in[3]) : "NULL",
            (int)attr_int(n, "rows", 0), emit_ref(e, n->out[0]), emit_ints(e, "os", d.os, 2));
  return 0;
}

const OpImpl op_impl_VitcGatherTokens = {.infer = infer_gather_tokens, .emit = emit_gather_tokens};

/* ---------------- vitc.ScatterTokens ---------------- */

/* The strides (size > 1 dims) enumerate [0, B*C*P) exactly once. */
static bool dense(const TokDesc *d) {
  int64_t size[3] = {d->B, d->C, d->P}, st[3] = {d->ms[0], d->ms[1], d->ms[2]};
  for (int i = 1; i < 3; i++) /* sort by stride, size-1 dims last */
    for (int j = i; j > 0; j--) {
      bool swap = size[j - 1] == 1 || (size[j] > 1 && st[j] < st[j - 1]);
      if (!swap) break;
      int64_t t = size[j]; size[j] = size[j - 1]; size[j - 1] = t;
      t = st[j]; st[j] = st[j - 1]; st[j - 1] = t;
    }
  int64_t want = 1;
  for (int i = 0; i < 3 && size[i] > 1; i++) {
    if (st[i] != want) return false;
    want *= size[i];
  }
  return true;
}

static int infer_scatter_tokens(Graph *g, Node *n) {
  TokDesc d;
  if (n->n_in != 3 || n->n_out != 1) return node_err(g, n, "expects inputs M, I, U and one output");
  if (tok_desc(g, n, true, &d)) return -1;
  Tensor *m = node_in(g, n, 0), *u = node_in(g, n, 2);
  if (shape_numel(&m->shape) != d.B * d.C * d.P || !dense(&d))
    return node_err(g, n, "the map strides must cover the map's %" PRId64 " elements exactly once", shape_numel(&m->shape));
  if (!u || !u->typed || u->dtype != DT_FLOAT) return node_err(g, n, "input U (the tokens) must be float32");
  int64_t us[3] = {d.us[0], d.us[1], d.us[2]};
  if (check_inside(g, n, "the tokens", us, d.B, d.K, d.C, shape_numel(&u->shape))) return -1;
  set_output(g, n, 0, DT_FLOAT, &m->shape);
  return 0;
}

static int emit_scatter_tokens(Emitter *e, Graph *g, Node *n) {
  TokDesc d;
  if (tok_desc(g, n, true, &d)) return -1;
  const char *M = emit_ref(e, n->in[0]), *Y = emit_ref(e, n->out[0]);
  emit_use_kernel(e, "layout/f32-tokens");
  if (strcmp(M, Y) == 0)
    emit_line(e, "/* in place: %" PRId64 " tokens of %" PRId64 " channels written back into the map's buffer */", d.B * d.K, d.C);
  else
    emit_line(e, "/* Y = M (%" PRId64 " floats copied), then %" PRId64 " tokens of %" PRId64 " channels written back */",
              d.B * d.C * d.P, d.B * d.K, d.C);
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %s, %" PRId64 ", %s, %s, %s);",
            emit_kfn(e, "vitc_f32_scatter_tokens"), d.B, d.C, d.P, d.K, M, emit_ints(e, "ms", d.ms, 3),
            emit_ref(e, n->in[1]), d.ib, emit_ref(e, n->in[2]), emit_ints(e, "us", d.us, 3), Y);
  return 0;
}

const OpImpl op_impl_VitcScatterTokens = {.infer = infer_scatter_tokens, .emit = emit_scatter_tokens};
