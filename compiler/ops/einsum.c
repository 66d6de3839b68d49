/* ops/einsum.c: Einsum.
 *
 * The equation ("bhid,bhjd->bhij", "...ii->...i", "i,i") is parsed here into
 * index letters: each operand's term names its dims, "..." standing for the
 * dims the letters do not name (the same count in every operand that has one,
 * right-aligned like numpy broadcasting, sizes equal or 1); without "->" the
 * output is the ellipsis then the letters used once, in alphabetical order. A
 * letter's size must agree wherever it appears (a size-1 ellipsis dim
 * broadcasts). The kernel, templates/einsum/f32-einsum-scalar.c, then gets the
 * letters' sizes (the output's first) and each operand's stride per letter,
 * and computes every form of the equation by one loop nest; on SIMD targets
 * (templates/einsum/f32-einsum-simd.c) with a vector along the last output letter
 * or a summed one, so attention written with Einsum takes vector loads and
 * multiply-adds, though not the packed GEMM's blocking (docs/kernels.md). */
#include <ctype.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

#define EIN_MAX_IDX 16
#define EIN_MAX_OPS 8

typedef struct EinsumPlan {
  int n_ops, n_idx, out_rank;
  int64_t dims[EIN_MAX_IDX];
  int64_t ostr[EIN_MAX_OPS * EIN_MAX_IDX];
  Shape out;
} EinsumPlan;

/* Letter codes: 'a'..'z' 0..25, 'A'..'Z' 26..51, ellipsis dims 52.. (right-aligned). */
static int letter_code(char c) { return islower((unsigned char)c) ? c - 'a' : isupper((unsigned char)c) ? 26 + c - 'A' : -1; }

static char code_letter(int c) { return c < 26 ? (char)('a' + c) : c < 52 ? (char)('A' + c - 26) : '.'; }

/* One term of the equation (len chars at t) for an operand of rank `rank` (-1: the
 * output, whose ellipsis is one placeholder): its letter codes into codes, each
 * ellipsis dim as 52 (the caller places them); returns the count, and the
 * ellipsis dims in *n_ell. */
static int parse_term(Graph *g, Node *n, const char *t, size_t len, int rank, int *codes, int *n_ell) {
  int named = 0;
  bool ell = false;
  for (size_t i = 0; i < len; i++) {
    if (t[i] == ' ') continue;
    if (t[i] == '.') {
      if (ell || i + 2 >= len || t[i + 1] != '.' || t[i + 2] != '.') return node_err(g, n, "bad ellipsis in the equation");
      ell = true;
      i += 2;
    } else if (letter_code(t[i]) >= 0) {
      named++;
    } else {
      return node_err(g, n, "unexpected '%c' in the equation", t[i]);
    }
  }
  int ne = ell ? (rank >= 0 ? rank - named : 1) : 0;
  if (rank >= 0 && (ne < 0 || (!ell && named != rank)))
    return node_err(g, n, "a term of the equation names %d dims of an operand of rank %d", named, rank);
  if (named + ne > IR_MAX_RANK) return node_err(g, n, "a term of the equation has more than %d dims", IR_MAX_RANK);
  *n_ell = ne;
  int k = 0;
  for (size_t i = 0; i < len; i++) {
    if (t[i] == ' ') continue;
    if (t[i] == '.') {
      for (int e = 0; e < ne; e++) codes[k++] = 52;
      i += 2;
    } else {
      codes[k++] = letter_code(t[i]);
    }
  }
  return k;
}

static int einsum_plan(Graph *g, Node *n, EinsumPlan *p) {
  const char *eq = attr_str(n, "equation", NULL);
  if (!eq) return node_err(g, n, "attribute equation is required");
  p->n_ops = n->n_in;
  if (p->n_ops < 1 || p->n_ops > EIN_MAX_OPS) return node_err(g, n, "%d operands (1 to %d supported)", p->n_ops, EIN_MAX_OPS);
  const char *arrow = strstr(eq, "->");
  size_t lhs_len = arrow ? (size_t)(arrow - eq) : strlen(eq);
  int codes[EIN_MAX_OPS][IR_MAX_RANK + 1], max_ell = 0, n_ell[EIN_MAX_OPS];
  int64_t size_of[52 + IR_MAX_RANK];
  for (int i = 0; i < 52 + IR_MAX_RANK; i++) size_of[i] = -1;
  int count[52 + IR_MAX_RANK] = {0};
  const char *t = eq;
  for (int k = 0; k < p->n_ops; k++) {
    Tensor *x = node_in(g, n, k);
    if (x->dtype != DT_FLOAT) return node_err(g, n, "operand %d is %s; vitc supports float32 here", k, dtype_name(x->dtype));
    const char *comma = memchr(t, ',', lhs_len - (size_t)(t - eq));
    size_t len = comma ? (size_t)(comma - t) : lhs_len - (size_t)(t - eq);
    if (!comma && k + 1 < p->n_ops) return node_err(g, n, "the equation has fewer terms than the %d operands", p->n_ops);
    if (comma && k + 1 == p->n_ops) return node_err(g, n, "the equation has more terms than the %d operands", p->n_ops);
    if (parse_term(g, n, t, len, x->shape.rank, codes[k], &n_ell[k]) < 0) return -1;
    if (n_ell[k] > max_ell) max_ell = n_ell[k];
    t = comma ? comma + 1 : t + len;
  }
  /* ellipsis dims right-aligned: operand k's e-th one is code 52 + (max_ell - n_ell + e) */
  for (int k = 0; k < p->n_ops; k++) {
    Tensor *x = node_in(g, n, k);
    int e = 0;
    for (int d = 0; d < x->shape.rank; d++) {
      if (codes[k][d] >= 52) codes[k][d] = 52 + (max_ell - n_ell[k]) + e++;
      int c = codes[k][d];
      int64_t sz = x->shape.d[d];
      if (size_of[c] < 0 || size_of[c] == 1) size_of[c] = sz > size_of[c] ? sz : size_of[c];
      else if (sz != size_of[c] && !(c >= 52 && sz == 1))
        return node_err(g, n, "index '%c' has sizes %" PRId64 " and %" PRId64, code_letter(c), size_of[c], sz);
      count[c]++;
    }
  }
  int out_codes[IR_MAX_RANK + EIN_MAX_IDX], no = 0;
  if (arrow) {
    const char *o = arrow + 2;
    int oc[IR_MAX_RANK + 1], ne;
    int r = parse_term(g, n, o, strlen(o), -1, oc, &ne);
    if (r < 0) return -1;
    for (int i = 0; i < r; i++) {
      if (oc[i] >= 52) { /* the ellipsis: all of its dims */
        for (int e = 0; e < max_ell; e++) out_codes[no++] = 52 + e;
      } else {
        if (size_of[oc[i]] < 0) return node_err(g, n, "output index '%c' is in no operand", code_letter(oc[i]));
        out_codes[no++] = oc[i];
      }
    }
    (void)ne;
  } else {
    for (int e = 0; e < max_ell; e++) out_codes[no++] = 52 + e;
    for (int c = 0; c < 52; c++)
      if (count[c] == 1) out_codes[no++] = c;
  }
  if (no > IR_MAX_RANK) return node_err(g, n, "output rank %d is more than %d", no, IR_MAX_RANK);
  /* letters: the output's, then the summed ones */
  int order[52 + IR_MAX_RANK], pos[52 + IR_MAX_RANK];
  for (int i = 0; i < 52 + IR_MAX_RANK; i++) pos[i] = -1;
  p->n_idx = 0;
  for (int i = 0; i < no; i++) {
    if (pos[out_codes[i]] >= 0) return node_err(g, n, "an output index is repeated");
    pos[out_codes[i]] = p->n_idx, order[p->n_idx++] = out_codes[i];
  }
  p->out_rank = p->n_idx;
  for (int c = 0; c < 52 + IR_MAX_RANK; c++)
    if (size_of[c] >= 0 && pos[c] < 0) {
      if (p->n_idx == EIN_MAX_IDX) return node_err(g, n, "more than %d indices", EIN_MAX_IDX);
      pos[c] = p->n_idx, order[p->n_idx++] = c;
    }
  p->out.rank = no;
  for (int i = 0; i < p->n_idx; i++) p->dims[i] = size_of[order[i]];
  for (int i = 0; i < no; i++) p->out.d[i] = p->dims[i];
  memset(p->ostr, 0, sizeof p->ostr);
  for (int k = 0; k < p->n_ops; k++) {
    Tensor *x = node_in(g, n, k);
    int64_t st[IR_MAX_RANK];
    shape_strides(&x->shape, st);
    for (int d = 0; d < x->shape.rank; d++)
      if (x->shape.d[d] != 1) p->ostr[k * p->n_idx + pos[codes[k][d]]] += st[d]; /* size 1: broadcast */
  }
  return check_numel(g, n, &p->out);
}

static int infer_einsum(Graph *g, Node *n) {
  EinsumPlan p;
  if (einsum_plan(g, n, &p)) return -1;
  set_output(g, n, 0, DT_FLOAT, &p.out);
  return 0;
}

static int emit_einsum(Emitter *e, Graph *g, Node *n) {
  EinsumPlan p;
  if (einsum_plan(g, n, &p)) return -1;
  emit_use_kernel(e, "einsum/f32-einsum");
  emit_line(e, "{ /* Einsum '%s' */", attr_str(n, "equation", ""));
  char ops[1024];
  int len = 0;
  for (int k = 0; k < p.n_ops; k++) len += snprintf(ops + len, sizeof ops - (size_t)len, "%s%s", k ? ", " : "", emit_ref(e, n->in[k]));
  emit_line(e, "  const float *const ops[%d] = {%s};", p.n_ops, ops);
  const char *dims = emit_ints(e, "einsum_dims", p.dims, p.n_idx);
  const char *strides = emit_ints(e, "einsum_strides", p.ostr, p.n_ops * p.n_idx);
  emit_line(e, "  %s(%d, %d, %d, %s, %s, ops, %s);", emit_kfn(e, "vitc_f32_einsum"), p.n_ops, p.n_idx, p.out_rank, dims,
            strides, emit_ref(e, n->out[0]));
  emit_line(e, "}");
  return 0;
}

static int64_t macs_einsum(Graph *g, Node *n) {
  EinsumPlan p;
  if (einsum_plan(g, n, &p)) return 0;
  int64_t m = 1;
  for (int i = 0; i < p.n_idx; i++) m *= p.dims[i];
  return m;
}

const OpImpl op_impl_Einsum = {.infer = infer_einsum, .emit = emit_einsum, .macs = macs_einsum};
