/* passes/fold_scale.c: a multiplication of the residual stream by a power of two
 * (NOSE's degenerated blocks) is folded into the ops that read it, so no pass over
 * the tokens computes it.
 *
 * Once eliminate_zero_attention has deleted a lambda = 0 block's attention branch
 * (and fuse_gemm_epilogue has put the MLP's residual Add into fc2's epilogue), a
 * degenerated block and NOSE's shrunk block both read
 *
 *     z = Mul(x, s)                      s = 2: (2 - lambda) * x at lambda = 0, or 2 * x
 *     h = LayerNormalization(z)          LN2
 *     y = vitc.Gemm(GELU(fc1(h)), ..., residual z)           x + MLP(LN(x)) with x = s*x
 *
 * and z is computed only for them. Both can take s instead:
 *
 *     LN_eps(s * x) = LN_{eps / s^2}(x)          the LayerNorm's epsilon divided by s^2
 *     acc + 1 * (s * x) = acc + s * x            the GEMM epilogue's residual_scale times s
 *
 * so the Mul goes: its readers read x. A scale read by another such Mul merges into
 * it (consecutive scales multiply: Mul(Mul(x, a), b) = Mul(x, a*b)), and a vitc.Conv's
 * residual takes it like a vitc.Gemm's. Add(x, x) is the scale 2 (attention replaced
 * by an identity in a block x = x + x). When some reader cannot take the scale, a
 * LayerNormalization that produces z's input (the dilution that mixes with LN1(x),
 * z = s * LN1(x)) takes it in its affine parameters instead: gamma and beta times s.
 *
 * Exactness. s must be a positive power of two and every rewritten constant exact
 * (eps / s^2 a normal float, gamma * s and beta * s with no overflow or underflow,
 * residual scales multiplying exactly). Then, on finite activations that do not
 * overflow or underflow when scaled, the result is bit for bit the unfolded one:
 * multiplying by a power of two is exact, every step of a LayerNorm (sums, the mean,
 * differences, squares, + eps, the square root, the division) commutes with it, and
 * the epilogue's fused s * r + acc rounds once, as acc + (s * r) does when s * r is
 * exact. A non-power-of-two scale is left alone: it would not fold into epsilon
 * exactly. On activations that overflow, s * x = inf gives NaN in the unfolded
 * LayerNorm and a finite value folded, so the pass is PASS_FINITE_ONLY: skipped by
 * `vitc compile --strict-nan`, like eliminate_zero_attention. Scales that are graph
 * outputs, or whose LayerNorm readers also return their Mean/InvStdDev, stay. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "ir/diag.h"
#include "passes/match.h"
#include "passes/passes.h"

/* v is a positive power of two (a normal float): its exponent e, v = 2^e. */
static bool power_of_two(double v, int *e) {
  if (!(v > 0.0) || !isfinite(v) || v < FLT_MIN || v > FLT_MAX) return false;
  return frexp(v, e) == 0.5 && (--*e, true);
}

/* y = v * 2^e is exact and a normal float (or zero when v is zero). */
static bool scaled_exactly(float v, int e, float *y) {
  if (v == 0.0f) return *y = v, true;
  float r = ldexpf(v, e);
  if (!isfinite(r) || fabsf(r) < FLT_MIN || ldexpf(r, -e) != v) return false;
  *y = r;
  return true;
}

/* Node ni multiplies a float tensor by a uniform constant power of two (or adds it to
 * itself): the tensor (*x) and the exponent (*e), keeping its shape. */
static bool scale_node(const Graph *g, int ni, int *x, int *e) {
  const Node *n = &g->n[ni];
  if (n->n_in != 2 || n->n_out != 1 || !pm_is_f32(g, n->out[0])) return false;
  if (n->op == OP_Add && n->in[0] == n->in[1] && pm_same_shape(g, n->in[0], n->out[0])) {
    *x = n->in[0];
    *e = 1;
    return true;
  }
  if (n->op != OP_Mul) return false;
  for (int k = 0; k < 2; k++) {
    double v;
    if (!pm_const_uniform(g, n->in[k], &v) || !power_of_two(v, e)) continue;
    if (!pm_is_f32(g, n->in[1 - k]) || !pm_same_shape(g, n->in[1 - k], n->out[0])) continue;
    *x = n->in[1 - k];
    return true;
  }
  return false;
}

/* Whether reader `ri` of z can take the scale 2^e (apply = false), or takes it
 * (apply = true: it reads x instead of z). */
static bool take(Graph *g, int ri, int z, int x, int e, bool apply) {
  Node *r = &g->n[ri];
  int uses = 0;
  for (int k = 0; k < r->n_in; k++) uses += r->in[k] == z;
  if (r->op == OP_LayerNormalization) {
    if (uses != 1 || r->in[0] != z) return false;
    for (int o = 1; o < r->n_out; o++)
      if (r->out[o] >= 0 && tensor_uses(g, r->out[o]) > 0) return false;
    float eps = attr_float(r, "epsilon", 1e-5f), eps2;
    if (!scaled_exactly(eps, -2 * e, &eps2) || eps2 == 0.0f) return false;
    if (apply) {
      Attr *a = (Attr *)node_attr(r, "epsilon");
      if (!a) a = node_add_attr(g, ri, "epsilon", ATTR_FLOAT), r = &g->n[ri];
      a->f = eps2;
      graph_set_input(g, ri, 0, x);
    }
    return true;
  }
  if (r->op == OP_VitcGemm || r->op == OP_VitcConv) {
    if (uses != 1 || r->n_in < 4 || r->in[3] != z) return false;
    float rs = attr_float(r, "residual_scale", 1.0f), rs2;
    if (!scaled_exactly(rs, e, &rs2)) return false;
    if (apply) {
      Attr *a = (Attr *)node_attr(r, "residual_scale");
      if (!a) a = node_add_attr(g, ri, "residual_scale", ATTR_FLOAT), r = &g->n[ri];
      a->f = rs2;
      graph_set_input(g, ri, 3, x);
    }
    return true;
  }
  int x2, e2;
  if (scale_node(g, ri, &x2, &e2) && x2 == z && g->n[ri].op == OP_Mul) { /* consecutive scales */
    if (apply) {
      int k = r->in[0] == z ? 1 : 0;
      Shape one = {0, {0}};
      float v = ldexpf(1.0f, e + e2);
      if (!isfinite(v) || v < FLT_MIN) return false;
      int c = pm_add_const_f32(g, "vitc_scale", &one, &v);
      graph_set_input(g, ri, k, c);
      graph_set_input(g, ri, 1 - k, x);
    } else {
      float v = ldexpf(1.0f, e + e2);
      if (!isfinite(v) || v < FLT_MIN) return false;
    }
    return true;
  }
  return false;
}

/* z = LayerNormalization(...) read only by the scale node si, with constant gamma and
 * beta: they take the scale, the LayerNorm writes the scale's output. */
static bool into_producer(Graph *g, int si, int x, int e) {
  int li = pm_producer(g, x, OP_LayerNormalization);
  if (li < 0 || pm_only_user(g, x) != si) return false;
  Node *ln = &g->n[li];
  if (ln->n_in < 2 || ln->n_out < 1) return false;
  for (int o = 1; o < ln->n_out; o++)
    if (ln->out[o] >= 0 && tensor_uses(g, ln->out[o]) > 0) return false;
  int gm = ln->in[1], bt = ln->n_in > 2 ? ln->in[2] : -1;
  if (!pm_is_f32(g, gm) || !g->t[gm].data || (bt >= 0 && (!pm_is_f32(g, bt) || !g->t[bt].data))) return false;
  int64_t ng = shape_numel(&g->t[gm].shape), nb = bt >= 0 ? shape_numel(&g->t[bt].shape) : 0;
  float *gv = xmalloc(sizeof(float) * (size_t)(ng + 1)), *bv = xmalloc(sizeof(float) * (size_t)(nb + 1));
  bool ok = true;
  for (int64_t i = 0; i < ng && ok; i++) ok = scaled_exactly(((const float *)g->t[gm].data)[i], e, &gv[i]);
  for (int64_t i = 0; i < nb && ok; i++) ok = scaled_exactly(((const float *)g->t[bt].data)[i], e, &bv[i]);
  if (ok) {
    Shape sg = g->t[gm].shape;
    int g2 = pm_add_const_f32(g, g->t[gm].name, &sg, gv);
    int b2 = -1;
    if (bt >= 0) {
      Shape sb = g->t[bt].shape;
      b2 = pm_add_const_f32(g, g->t[bt].name, &sb, bv);
    }
    graph_set_input(g, li, 1, g2);
    if (bt >= 0) graph_set_input(g, li, 2, b2);
    int z = g->n[si].out[0];
    graph_replace_uses(g, z, x); /* the LayerNorm's output now holds s * LN(...) */
    g->n[si].dead = true;
  }
  free(gv);
  free(bv);
  return ok;
}

static int cmp_int(const void *a, const void *b) { return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b); }

static int try_scale(Graph *g, int si) {
  int x, e;
  if (!scale_node(g, si, &x, &e)) return 0;
  int z = g->n[si].out[0];
  if (g->t[z].is_output) return 0;
  /* z's live readers, each once (the index has an entry per slot, and stale ones);
   * copied, since taking the scale adds tensors and entries */
  const int *idx;
  int n_idx = graph_readers(g, z, &idx), readers = 0;
  int *rd = xmalloc(sizeof(int) * (size_t)(n_idx + 1));
  for (int j = 0; j < n_idx; j++) rd[j] = idx[j];
  qsort(rd, (size_t)n_idx, sizeof(int), cmp_int);
  for (int j = 0; j < n_idx; j++) {
    int ri = rd[j];
    if ((readers == 0 || rd[readers - 1] != ri) && !g->n[ri].dead && node_reads(&g->n[ri], z)) rd[readers++] = ri;
  }
  bool all = readers > 0;
  for (int q = 0; q < readers && all; q++) all = take(g, rd[q], z, x, e, false);
  int folded = 0;
  if (all) {
    for (int q = 0; q < readers; q++)
      if (!take(g, rd[q], z, x, e, true)) vitc_die("fold_scale: reader %s refused a scale it accepted", g->n[rd[q]].name);
    g->n[si].dead = true;
    folded = 1;
  } else if (readers) /* none: eliminate_dead's job */
    folded = into_producer(g, si, x, e) ? 1 : 0;
  free(rd);
  return folded;
}

int pass_fold_scale(Graph *g) {
  int changed = 0, round;
  do { /* a folded scale may make its merged successor foldable */
    round = 0;
    for (int i = 0; i < g->nn; i++)
      if (!g->n[i].dead && (g->n[i].op == OP_Mul || g->n[i].op == OP_Add)) round |= try_scale(g, i);
    changed |= round;
  } while (round);
  return changed;
}
