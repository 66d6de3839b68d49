/* ops/attention.c: vitc.Attention, multi-head scaled dot-product attention as one
 * op (the contract is in ir/ops.def; passes/fuse_attention.c makes it).
 *
 *   O[b,h,i,:] = sum_k softmax_k(scale * Q[b,h,i,:] . K[b,h,k,:]) V[b,h,k,:]
 *
 * Q, K and V are read where the projections left them and O is written where its
 * reader wants it, through an offset and three strides per operand (batch, head,
 * row), the dk or dv floats of a row being contiguous. So timm's qkv output
 * [B, N, 3*H*d] is read in place (Q, K, V are the same tensor at offsets 0, H*d
 * and 2*H*d, row stride 3*H*d, head stride d) and O comes out heads merged,
 * [B, N, H*d], for the proj MatMul: no Transpose, Split or Reshape copies.
 *
 * An optional fourth input G gates the values as MABViT does (V * sigmoid(G),
 * G laid out like V with its own offset and strides, attribute g); the kernel
 * computes the gated values of a head once, in scratch, so the v and g Slices,
 * the Sigmoid and the Mul of the exported graph disappear too.
 *
 * infer checks that every strided row lies inside its operand, and that the
 * output strides cover the output tensor exactly once (every element is written,
 * none twice). The kernel is templates/attention/f32-attention-<isa>.c; its
 * scratch (K^T of one head and one tile of scores) is planned here with the
 * kernels' common bound, VITC_ATTENTION_SCRATCH_FLOATS. With --threads N the
 * call is split into tasks of one head and a slice of query rows
 * (emit_attention_tasks, docs/threads.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

/* VITC_ATTENTION_SCRATCH_FLOATS, the scratch every attention kernel may use, read from
 * the kernel itself (its functions are unused here) */
#include "attention/f32-attention-scalar.c"

/* The op's attributes, decoded. */
typedef struct AttnDesc {
  int64_t B, H, Nq, Nk, dk, dv;
  int64_t lay[5][4]; /* Q, K, V, O, G: offset, batch stride, head stride, row stride */
  bool gated;        /* input 3, G, is present */
  float scale;
} AttnDesc;

enum { OQ, OK_, OV, OO, OG };
static const char *const operand_name[5] = {"Q", "K", "V", "O", "G"};
static const char *const layout_attr[5] = {"q", "k", "v", "o", "g"};

static int attn_desc(Graph *g, Node *n, AttnDesc *a) {
  const int64_t *v;
  if (attr_ints(n, "dims", &v) != 6) return node_err(g, n, "attribute 'dims' must be [B, H, Nq, Nk, dk, dv]");
  a->B = v[0], a->H = v[1], a->Nq = v[2], a->Nk = v[3], a->dk = v[4], a->dv = v[5];
  for (int i = 0; i < 6; i++)
    if (v[i] < 1 || v[i] > INT32_MAX) return node_err(g, n, "dims[%d] = %" PRId64 " is out of range", i, v[i]);
  a->gated = n->n_in > 3 && n->in[3] >= 0;
  for (int k = 0; k < (a->gated ? 5 : 4); k++) {
    if (attr_ints(n, layout_attr[k], &v) != 4)
      return node_err(g, n, "attribute '%s' must be [offset, batch stride, head stride, row stride]", layout_attr[k]);
    for (int i = 0; i < 4; i++) {
      if (v[i] < 0 || v[i] > INT32_MAX)
        return node_err(g, n, "attribute '%s'[%d] = %" PRId64 " is out of range", layout_attr[k], i, v[i]);
      a->lay[k][i] = v[i];
    }
  }
  const Attr *s = node_attr(n, "scale");
  if (!s || s->type != ATTR_FLOAT) return node_err(g, n, "missing float attribute 'scale'");
  a->scale = s->f;
  return 0;
}

/* Rows (counts nb x nh x nr of `width` floats) of operand k stay inside numel floats. */
static int check_inside(Graph *g, Node *n, const AttnDesc *a, int k, int64_t nr, int64_t width, int64_t numel) {
  const int64_t *l = a->lay[k];
  int64_t last = l[0] + (a->B - 1) * l[1] + (a->H - 1) * l[2] + (nr - 1) * l[3] + width - 1;
  if (last >= numel)
    return node_err(g, n, "%s rows reach element %" PRId64 " of a tensor of %" PRId64, operand_name[k], last, numel);
  return 0;
}

/* The output strides enumerate [0, numel) exactly once: sorted by stride, each
 * (size > 1) dimension's stride is the product of the sizes below it. */
static int check_output_dense(Graph *g, Node *n, const AttnDesc *a, int64_t numel) {
  int64_t size[4] = {a->dv, a->Nq, a->H, a->B}, stride[4] = {1, a->lay[OO][3], a->lay[OO][2], a->lay[OO][1]};
  if (a->lay[OO][0] != 0) return node_err(g, n, "output offset must be 0");
  for (int i = 1; i < 4; i++) /* insertion sort by stride, size-1 dims last */
    for (int j = i; j > 0; j--) {
      bool swap = size[j - 1] == 1 || (size[j] > 1 && stride[j] < stride[j - 1]);
      if (!swap) break;
      int64_t t = size[j]; size[j] = size[j - 1]; size[j - 1] = t;
      t = stride[j]; stride[j] = stride[j - 1]; stride[j - 1] = t;
    }
  int64_t want = 1;
  for (int i = 0; i < 4 && size[i] > 1; i++) {
    if (stride[i] != want) return node_err(g, n, "output strides do not cover the output exactly once");
    want *= size[i];
  }
  if (want != numel) return node_err(g, n, "output has %" PRId64 " elements, the attention writes %" PRId64, numel, want);
  return 0;
}

static int infer_attention(Graph *g, Node *n) {
  if (n->n_in < 3 || n->n_in > 4 || n->n_out != 1 || n->out[0] < 0)
    return node_err(g, n, "expects inputs Q, K, V (and optionally G) and one output");
  AttnDesc a;
  if (attn_desc(g, n, &a)) return -1;
  static const int input_operand[4] = {OQ, OK_, OV, OG};
  for (int i = 0; i < (a.gated ? 4 : 3); i++) {
    int k = input_operand[i];
    Tensor *t = node_in(g, n, i);
    if (!t || !t->typed || t->dtype != DT_FLOAT) return node_err(g, n, "input %s must be a float32 tensor", operand_name[k]);
    int64_t rows = k == OQ ? a.Nq : a.Nk, width = k == OQ || k == OK_ ? a.dk : a.dv;
    if (check_inside(g, n, &a, k, rows, width, shape_numel(&t->shape))) return -1;
  }
  const int64_t *sv;
  int r = attr_ints(n, "shape", &sv);
  if (r < 0 || r > IR_MAX_RANK) return node_err(g, n, "attribute 'shape' (the output shape) is missing or too long");
  Shape s = {r, {0}};
  for (int i = 0; i < r; i++) {
    if (sv[i] < 0) return node_err(g, n, "shape[%d] is negative", i);
    s.d[i] = sv[i];
  }
  if (check_numel(g, n, &s) || check_output_dense(g, n, &a, shape_numel(&s))) return -1;
  set_output(g, n, 0, DT_FLOAT, &s);
  return 0;
}

/* "(base) + b*s0 + h*s1 [+ i0*s2]" for a task's operand. */
static const char *task_operand(Emitter *e, const char *base, const int64_t *s, bool rows) {
  const char *p = emit_offset(e, emit_offset(e, base, "b", s[0]), "h", s[1]);
  return rows ? emit_offset(e, p, "i0", s[2]) : p;
}

/* With --threads N: tasks over (batch x head x a slice of query rows), each a
 * call of the kernel for one head (B = H = 1) and Nq' query rows, with its own
 * scratch. Query rows are cut into slices so that there are about
 * EMIT_TASKS_PER_THREAD tasks per worker, a multiple of N where the rows allow
 * (DeiT-Tiny, 3 heads on 2 threads: 2 slices of 104 and 93 rows, 6 tasks), in
 * multiples of 8 rows (the avx512 and neon query tile; avx2's is 6, scalar's
 * 16). Each task packs its head's K^T itself: dk x Nk copies against
 * Nq' x Nk x (dk + dv) MACs. */
static int emit_attention_tasks(Emitter *e, const AttnDesc *a, char ptr[5][512], int64_t st[5][3]) {
  int64_t threads = emit_threads(e), bh = a->B * a->H;
  int64_t want = EMIT_TASKS_PER_THREAD * threads, slices = (want + bh - 1) / bh;
  while ((bh * slices) % threads) slices++; /* whole rounds of tasks where rows allow */
  int64_t rows = (a->Nq + slices - 1) / slices;
  rows = (rows + 7) / 8 * 8;
  if (rows > a->Nq) rows = a->Nq;
  slices = (a->Nq + rows - 1) / rows;
  emit_line(e, "/* B=%" PRId64 " H=%" PRId64 " Nq=%" PRId64 " Nk=%" PRId64 " dk=%" PRId64 " dv=%" PRId64
               "; %" PRId64 " tasks of one head and %" PRId64 " query rows */",
            a->B, a->H, a->Nq, a->Nk, a->dk, a->dv, bh * slices, rows);
  emit_task_begin(e, (int)(bh * slices));
  emit_line(e, "const int bh = task / %" PRId64 ", b = bh / %" PRId64 ", h = bh %% %" PRId64 ";", slices, a->H, a->H);
  emit_line(e, "const int i0 = task %% %" PRId64 " * %" PRId64 ", nq = %" PRId64 " - i0 < %" PRId64 " ? %" PRId64
               " - i0 : %" PRId64 ";", slices, rows, a->Nq, rows, a->Nq, rows);
  const char *p[5];
  for (int k = 0; k < (a->gated ? 5 : 4); k++) /* the head's first row (Q, O: the slice's) */
    p[k] = task_operand(e, ptr[k], st[k], k == OQ || k == OO);
  emit_line(e, "%s(1, 1, nq, %" PRId64 ", %" PRId64 ", %" PRId64 ", %s,", emit_kfn(e, "vitc_f32_attention"), a->Nk, a->dk,
            a->dv, emit_float(e, a->scale));
  emit_line(e, "    %s, %s, %s, %s,", p[OQ], emit_ints(e, "qs", st[OQ], 3), p[OK_], emit_ints(e, "ks", st[OK_], 3));
  if (a->gated)
    emit_line(e, "    %s, %s, %s, %s,", p[OV], emit_ints(e, "vs", st[OV], 3), p[OG], emit_ints(e, "gs", st[OG], 3));
  else
    emit_line(e, "    %s, %s, NULL, NULL,", p[OV], emit_ints(e, "vs", st[OV], 3));
  emit_line(e, "    %s, %s, (float *)%s);", p[OO], emit_ints(e, "os", st[OO], 3), emit_scratch(e));
  emit_task_end(e);
  return 0;
}

static int emit_attention(Emitter *e, Graph *g, Node *n) {
  AttnDesc a;
  if (attn_desc(g, n, &a)) return -1;
  char ptr[5][512];
  int64_t st[5][3];
  for (int k = 0; k < (a.gated ? 5 : 4); k++) {
    const char *ref = emit_ref(e, k == OO ? n->out[0] : k == OG ? n->in[3] : n->in[k]);
    if (a.lay[k][0]) snprintf(ptr[k], sizeof ptr[k], "%s + %" PRId64, ref, a.lay[k][0]);
    else snprintf(ptr[k], sizeof ptr[k], "%s", ref);
    for (int i = 0; i < 3; i++) st[k][i] = a.lay[k][i + 1];
  }
  emit_use_kernel(e, "attention/f32-attention");
  if (emit_threads(e) > 1 && a.B * a.H * a.Nq > 8) return emit_attention_tasks(e, &a, ptr, st);
  emit_line(e, "/* B=%" PRId64 " H=%" PRId64 " Nq=%" PRId64 " Nk=%" PRId64 " dk=%" PRId64 " dv=%" PRId64
               "; strides (batch, head, row): Q K V%s O */",
            a.B, a.H, a.Nq, a.Nk, a.dk, a.dv, a.gated ? " G (V * sigmoid(G))" : "");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s,", emit_kfn(e, "vitc_f32_attention"),
            a.B, a.H, a.Nq, a.Nk, a.dk, a.dv, emit_float(e, a.scale));
  emit_line(e, "    %s, %s, %s, %s,", ptr[OQ], emit_ints(e, "qs", st[OQ], 3), ptr[OK_], emit_ints(e, "ks", st[OK_], 3));
  if (a.gated)
    emit_line(e, "    %s, %s, %s, %s,", ptr[OV], emit_ints(e, "vs", st[OV], 3), ptr[OG], emit_ints(e, "gs", st[OG], 3));
  else
    emit_line(e, "    %s, %s, NULL, NULL,", ptr[OV], emit_ints(e, "vs", st[OV], 3));
  emit_line(e, "    %s, %s, (float *)%s);", ptr[OO], emit_ints(e, "os", st[OO], 3), emit_scratch(e));
  return 0;
}

static size_t scratch_attention(Graph *g, Node *n, const Target *t) {
  AttnDesc a;
  if (attn_desc(g, n, &a)) return 0;
  return VITC_ATTENTION_SCRATCH_FLOATS(a.Nk, a.dk, a.dv, a.gated) * sizeof(float);
}

static int64_t macs_attention(Graph *g, Node *n) {
  AttnDesc a;
  if (attn_desc(g, n, &a)) return 0;
  return a.B * a.H * a.Nq * a.Nk * (a.dk + a.dv);
}

const OpImpl op_impl_VitcAttention = {
    .infer = infer_attention, .emit = emit_attention, .scratch = scratch_attention, .macs = macs_attention};
