/* emit/emit.c: writes the bundle.
 *
 * Layout of DIR/NAME.c, top to bottom:
 *   banner (what generated it, from which model, "do not edit"; no time stamps or
 *   absolute paths, so regenerating gives identical bytes);
 *   templates/prelude.h and every kernel template the model uses, pasted verbatim
 *   (their quoted #includes dropped; a template's quoted includes of other
 *   templates are its dependencies and are pasted before it);
 *   the weights, each a static const union of a byte string and its typed view;
 *   NAME_run(), one section per model block, one kernel call per node, each
 *   workspace buffer a named pointer at a fixed offset with its shape in a comment.
 * With --threads N > 1 (docs/threads.md), the split kernel calls of the GEMMs,
 * Conv and attention become static task functions written before the run
 * function (see "parallel sections" below), NAME_run_pool() joins NAME_run(),
 * and vitc_pool.{c,h} are written next to the model.
 *
 * Weights are written as octal-escaped string literals: exact (the bytes are the
 * ONNX data), compact, and parsed by C compilers an order of magnitude faster than
 * arrays of numbers (DeiT-Tiny: ~1 s of cc -O2 instead of ~20 s for hex integers).
 * The bytes are little-endian; the model file refuses to build on a big-endian target.
 * They are recorded while the nodes are emitted and streamed into the file at the
 * end, never held as text ("weights" below). With --weights file they go to
 * NAME.weights instead (runtime/vitc_weights.h), and NAME.c holds each weight's
 * offset in it. */
#include "emit/emit.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit/buf.h"
#include "emit/embedded.h"
#include "ir/diag.h"
#include "ops/op.h"
/* the weights file's format, shared with the bundles that read it */
#include "vitc_runtime.h"
#include "vitc_weights.h"

#define VITC_VERSION "0.1.0"

/* A set of strings (open addressing; the strings are the caller's): the name
 * checks below cost O(1) per name, not a comparison with every name so far. */
typedef struct NameSet {
  const char **slot;
  size_t cap, n;
} NameSet;

static size_t str_hash(const char *s) {
  uint64_t h = 1469598103934665603u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return (size_t)h;
}

static bool nameset_has(const NameSet *ns, const char *s) {
  if (!ns->cap) return false;
  for (size_t h = str_hash(s) & (ns->cap - 1);; h = (h + 1) & (ns->cap - 1)) {
    if (!ns->slot[h]) return false;
    if (strcmp(ns->slot[h], s) == 0) return true;
  }
}

static void nameset_add(NameSet *ns, const char *s) {
  if (2 * (ns->n + 1) > ns->cap) {
    NameSet bigger = {xcalloc(ns->cap ? 2 * ns->cap : 256, sizeof(char *)), ns->cap ? 2 * ns->cap : 256, 0};
    for (size_t i = 0; i < ns->cap; i++)
      if (ns->slot[i]) nameset_add(&bigger, ns->slot[i]);
    free(ns->slot);
    *ns = bigger;
  }
  size_t h = str_hash(s) & (ns->cap - 1);
  while (ns->slot[h]) {
    if (strcmp(ns->slot[h], s) == 0) return;
    h = (h + 1) & (ns->cap - 1);
  }
  ns->slot[h] = s;
  ns->n++;
}

/* A weight of the bundle (define_const): written with the files, in this order. */
typedef struct Weight {
  const char *cname;   /* its C name */
  const char *comment;
  DType dt;
  int64_t numel;
  size_t bytes;
  const void *data;    /* the graph's bytes, or a PackedConst's */
  size_t offset;       /* --weights file: where it starts in NAME.weights */
} Weight;

struct Emitter {
  Graph *g;
  const Plan *plan;
  const EmitOptions *opt;
  Buf kernels;      /* pasted templates */
  Weight *weights;  /* in the order they are written */
  int n_weights, cap_weights;
  size_t weights_file_bytes; /* --weights file: NAME.weights, header included */
  uint64_t weights_id;       /* its model id (vitc_weights.h) */
  Buf body;         /* run function body */
  char **expr;      /* per tensor: C expression, once known */
  char **cname;     /* per tensor: C identifier */
  char **pasted;    /* template paths already pasted */
  int n_pasted;
  char **strs;      /* strings handed out, freed at the end */
  int n_strs, cap_strs;
  char *const_used; /* per tensor: its weights are referenced */
  struct PackedConst *packed; /* weights made by op emitters (emit_const) */
  int n_packed;
  NameSet packed_names;       /* their C names */
  struct { char *base; const char *isa; } *isa_cache; /* kernel_isa's answers */
  int n_isa_cache;
  int cur_node;
  /* parallel sections (--threads N > 1): task functions, the one being written */
  Buf tasks;
  Buf task_body;
  bool in_task;
  int task_ntasks;
  int n_task_fns;
  Buf trace_table;  /* --trace: the node table (NAME_trace_nodes) */
  Buf *node_kernels; /* emit_kernels: per node, the kernel functions its lowering named */
};

/* A weight packed by an op emitter, written out after every node is emitted so that
 * the file does not depend on the order in which C evaluates an emitter's calls. */
typedef struct PackedConst {
  char *cname;
  char *comment;
  DType dt;
  int64_t numel;
  void *data;
} PackedConst;

/* ---------------- small utilities ---------------- */

static const char *keep(Emitter *e, char *s) {
  s = xrealloc(s, strlen(s) + 1); /* from a Buf of 4 KiB: a few per node add up on big graphs */
  if (e->n_strs == e->cap_strs) {
    e->cap_strs = e->cap_strs ? 2 * e->cap_strs : 256;
    e->strs = xrealloc(e->strs, (size_t)e->cap_strs * sizeof(char *));
  }
  e->strs[e->n_strs++] = s;
  return s;
}

static const char *fmt(Emitter *e, const char *f, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static const char *fmt(Emitter *e, const char *f, ...) {
  Buf b = {0};
  va_list ap;
  va_start(ap, f);
  buf_vprintf(&b, f, ap);
  va_end(ap);
  return keep(e, b.s ? b.s : xstrdup(""));
}

static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "in", "out",
    "ws", "w",
    /* object-like macros of the standard headers a bundle (or its harness) includes */
    "NULL", "EOF", "errno", "stdin", "stdout", "stderr", "INFINITY", "NAN", "HUGE_VAL", "BUFSIZ", "RAND_MAX",
    "EXIT_SUCCESS", "EXIT_FAILURE", "CLOCKS_PER_SEC", "bool", "true", "false", NULL};

/* ONNX names are arbitrary strings; these make them safe inside generated C. */

/* Text for a comment: "*" and "/" next to each other are split by a space, so a
 * name cannot end the comment or open a nested one. */
static const char *c_comment(Emitter *e, const char *s) {
  Buf b = {0};
  for (const char *p = s; *p; p++) {
    buf_putn(&b, p, 1);
    if ((p[0] == '*' && p[1] == '/') || (p[0] == '/' && p[1] == '*')) buf_puts(&b, " ");
  }
  return keep(e, b.s ? b.s : xstrdup(""));
}

/* The body of a string literal: quote, backslash, '?' (trigraphs) and
 * non-printable bytes escaped (octal, always three digits). */
static const char *c_string(Emitter *e, const char *s) {
  Buf b = {0};
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\' || *p == '?') buf_printf(&b, "\\%c", *p);
    else if (*p < 32 || *p >= 127) buf_printf(&b, "\\%03o", *p);
    else buf_putn(&b, (const char *)p, 1);
  }
  return keep(e, b.s ? b.s : xstrdup(""));
}

/* A C identifier from an ONNX name: [A-Za-z0-9_] kept, runs of others -> '_'. */
static char *sanitize(const char *prefix, const char *name) {
  size_t n = strlen(name);
  char *s = xmalloc(strlen(prefix) + n + 3);
  strcpy(s, prefix);
  size_t k = strlen(s);
  int last_us = k > 0 && s[k - 1] == '_';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (isalnum(c)) {
      s[k++] = (char)c;
      last_us = 0;
    } else if (!last_us && k > 0) {
      s[k++] = '_';
      last_us = 1;
    }
  }
  while (k > strlen(prefix) && s[k - 1] == '_') k--;
  s[k] = 0;
  if (k == 0 || isdigit((unsigned char)s[0])) {
    memmove(s + 2, s, k + 1);
    s[0] = 'x';
    s[1] = '_';
  }
  for (int i = 0; c_keywords[i]; i++)
    if (strcmp(s, c_keywords[i]) == 0) {
      strcat(s, "_");
      break;
    }
  return s;
}

/* Make names unique by appending _2, _3 ... (names are compared case-sensitively):
 * a name that clashes with an earlier one becomes name_2, and if that clashes too,
 * name_2_3, and so on. */
static void uniquify(char **names, int n) {
  NameSet seen = {0};
  for (int i = 0; i < n; i++) {
    if (!names[i]) continue;
    for (int suffix = 2; nameset_has(&seen, names[i]); suffix++) {
      char *base = names[i];
      size_t bl = strlen(base);
      char *nn = xmalloc(bl + 16);
      snprintf(nn, bl + 16, "%s_%d", base, suffix);
      names[i] = nn;
      free(base);
    }
    nameset_add(&seen, names[i]);
  }
  free(seen.slot);
}

static const char *upper(Emitter *e, const char *s) {
  char *u = xstrdup(s);
  for (char *p = u; *p; p++) *p = (char)toupper((unsigned char)*p);
  return keep(e, u);
}

/* ---------------- API for op emitters ---------------- */

static void note_kernel(Emitter *e, const char *fn);

void emit_line(Emitter *e, const char *f, ...) {
  Buf *b = e->in_task ? &e->task_body : &e->body;
  va_list ap;
  if (e->node_kernels && strncmp(f, "memcpy(", 7) == 0) note_kernel(e, "memcpy");
  va_start(ap, f);
  buf_puts(b, "  ");
  buf_vprintf(b, f, ap);
  buf_puts(b, "\n");
  va_end(ap);
}

const Target *emit_target(Emitter *e) { return e->opt->target; }

static const char *kernel_isa(Emitter *e, const char *base);

/* emit_kernels records each name once per node, in the order the lowering asks */
static void note_kernel(Emitter *e, const char *fn) {
  Buf *b = &e->node_kernels[e->cur_node];
  size_t n = strlen(fn);
  for (const char *p = b->s; p && (p = strstr(p, fn)) != NULL; p += n)
    if ((p == b->s || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return;
  buf_printf(b, "%s%s", b->len ? " " : "", fn);
}

const char *emit_kfn(Emitter *e, const char *base) {
  const char *fn = fmt(e, "%s_%s", base, kernel_isa(e, base));
  if (e->node_kernels) note_kernel(e, fn);
  return fn;
}

const char *emit_ints(Emitter *e, const char *hint, const int64_t *v, int n) {
  /* A compound literal, not a declaration: the call that uses it stays one line and
   * nothing depends on the order in which an emitter evaluates its arguments. */
  (void)hint;
  Buf b = {0};
  buf_puts(&b, "((const int[]){");
  for (int i = 0; i < n; i++) buf_printf(&b, "%s%" PRId64, i ? ", " : "", v[i]);
  if (n == 0) buf_puts(&b, "0");
  buf_puts(&b, "})");
  return keep(e, b.s);
}

const char *emit_float(Emitter *e, float v) {
  char buf[64];
  if (isnan(v)) snprintf(buf, sizeof buf, "NAN");
  else if (isinf(v)) snprintf(buf, sizeof buf, "%sHUGE_VALF", v < 0 ? "-" : "");
  else {
    snprintf(buf, sizeof buf, "%.9g", (double)v);
    if (!strpbrk(buf, ".en")) strcat(buf, ".0");
    strcat(buf, "f");
  }
  return keep(e, xstrdup(buf));
}

const char *emit_scratch(Emitter *e) {
  if (e->in_task && e->plan->scratch_stride[e->cur_node]) /* the running worker's copy */
    return fmt(e, "(void *)(w + %zu + (size_t)worker * %zu)", e->plan->scratch_off[e->cur_node],
               e->plan->scratch_stride[e->cur_node]);
  return fmt(e, "(void *)(w + %zu)", e->plan->scratch_off[e->cur_node]);
}

/* ---------------- parallel sections ----------------
 *
 * With --threads N > 1, an op emitter may wrap its kernel call(s) between
 * emit_task_begin and emit_task_end: the lines become the body of a static task
 * function `task_K(void *arg, int task, int worker)`, written before the run
 * function, and the run function gets `vitc_pool_run(pool, task_K, &ctx, T);`.
 * ctx carries in, out and the workspace; the task function redeclares the
 * node's workspace tensors at their offsets, so the expressions emit_ref gave
 * the op emitter mean the same thing there. Tasks of one node write disjoint
 * rows, and each worker has its own copy of the node's scratch (the plan made
 * N copies, plan_build_threads), so any assignment of tasks to workers gives
 * the same bytes: NAME_run (no pool) runs the same tasks in order. */

int emit_threads(const Emitter *e) { return e->plan->threads > 1 ? e->plan->threads : 1; }

/* Tasks for `rows` rows in chunks of a multiple of `unit` rows (emit_rows_begin). */
static int row_tasks(Emitter *e, int64_t rows, int64_t unit, int64_t *chunk) {
  int threads = emit_threads(e);
  *chunk = rows;
  if (threads == 1 || !plan_node_parallel(&e->g->n[e->cur_node]) || unit < 1 || rows <= unit) return 1;
  int64_t units = (rows + unit - 1) / unit, per = (units + EMIT_TASKS_PER_THREAD * threads - 1) / (EMIT_TASKS_PER_THREAD * threads);
  *chunk = per * unit;
  return (int)((rows + *chunk - 1) / *chunk);
}

void emit_task_begin(Emitter *e, int ntasks) {
  if (e->in_task) vitc_die("emit_task_begin inside a task");
  if (emit_threads(e) == 1 || !plan_node_parallel(&e->g->n[e->cur_node]))
    vitc_die("a parallel section in a serial bundle or a node without per-worker scratch");
  e->in_task = true;
  e->task_ntasks = ntasks;
  buf_free(&e->task_body);
  buf_free(&e->trace_table);
}

void emit_task_end(Emitter *e) {
  Graph *g = e->g;
  Node *n = &g->n[e->cur_node];
  const char *name = e->opt->name;
  char sb[160];
  int k = e->n_task_fns++;
  if (!e->in_task) vitc_die("emit_task_end without emit_task_begin");
  e->in_task = false;
  buf_printf(&e->tasks, "/* %s %s: one of %d tasks */\n", op_name(n->op), c_comment(e, n->name), e->task_ntasks);
  buf_printf(&e->tasks, "static void task_%d(void *arg, int task, int worker) {\n", k);
  buf_printf(&e->tasks, "  const task_ctx *const c = (const task_ctx *)arg;\n");
  buf_printf(&e->tasks, "  VITC_UNUSED const %s_inputs *const in = c->in;\n", name);
  buf_printf(&e->tasks, "  VITC_UNUSED const %s_outputs *const out = c->out;\n", name);
  buf_printf(&e->tasks, "  VITC_UNUSED unsigned char *const w = c->w;\n");
  if (e->opt->weights_file) buf_printf(&e->tasks, "  VITC_UNUSED const unsigned char *const wt = c->wt;\n");
  /* the node's workspace tensors (views resolve to their roots), each once */
  int *seen = xcalloc((size_t)(n->n_in + n->n_out) + 1, sizeof(int));
  int ns = 0;
  for (int i = 0; i < n->n_in + n->n_out; i++) {
    int t = i < n->n_in ? n->in[i] : n->out[i - n->n_in];
    if (t < 0) continue;
    int r = plan_root(e->plan, t);
    if (e->plan->t[r].kind != ST_WORKSPACE) continue;
    int dup = 0;
    for (int j = 0; j < ns; j++) dup |= seen[j] == r;
    if (dup) continue;
    seen[ns++] = r;
    Tensor *ten = &g->t[r];
    buf_printf(&e->tasks, "  VITC_UNUSED %s *const %s = (%s *)(w + %zu); /* %s %s */\n", dtype_ctype(ten->dtype),
               e->cname[r], dtype_ctype(ten->dtype), e->plan->t[r].offset, dtype_name(ten->dtype),
               shape_str(&ten->shape, sb, sizeof sb));
  }
  free(seen);
  buf_puts(&e->tasks, "  (void)worker;\n");
  buf_putn(&e->tasks, e->task_body.s ? e->task_body.s : "", e->task_body.len);
  buf_puts(&e->tasks, "}\n\n");
  buf_free(&e->task_body);
  emit_line(e, "vitc_pool_run(pool, task_%d, &ctx, %d);", k, e->task_ntasks);
}

const char *emit_offset(Emitter *e, const char *ptr, const char *index, int64_t stride) {
  if (strcmp(ptr, "NULL") == 0) return "NULL";
  return fmt(e, "%s + (ptrdiff_t)%s * %" PRId64, ptr, index, stride);
}

EmitRows emit_rows_begin(Emitter *e, int64_t M, int64_t unit) {
  EmitRows r;
  int64_t chunk;
  r.tasks = row_tasks(e, M, unit, &chunk);
  if (r.tasks < 2) {
    snprintf(r.count, sizeof r.count, "%" PRId64, M);
    return r;
  }
  snprintf(r.count, sizeof r.count, "m");
  emit_task_begin(e, r.tasks);
  emit_line(e, "const int m0 = task * %" PRId64 ", m = %" PRId64 " - m0 < %" PRId64 " ? %" PRId64 " - m0 : %" PRId64 ";",
            chunk, M, chunk, M, chunk);
  return r;
}

const char *emit_rows_ptr(Emitter *e, const EmitRows *r, const char *ptr, int64_t stride) {
  return r->tasks > 1 ? emit_offset(e, ptr, "m0", stride) : ptr;
}

void emit_rows_end(Emitter *e, const EmitRows *r) {
  if (r->tasks > 1) emit_task_end(e);
}

/* ---------------- weights ----------------
 *
 * define_const only records a weight (name, comment, type, bytes); the bytes are
 * written when the files are, straight from the graph or the packed copy into
 * the file: embedded as string literals into NAME.c (write_embedded_weights), or
 * into NAME.weights (write_weights_file). Nothing holds the weights as text. */

static const char *define_const(Emitter *e, const char *cname, const char *comment, DType dt, int64_t numel,
                                const void *data) {
  if (e->n_weights == e->cap_weights) {
    e->cap_weights = e->cap_weights ? 2 * e->cap_weights : 64;
    e->weights = xrealloc(e->weights, (size_t)e->cap_weights * sizeof *e->weights);
  }
  e->weights[e->n_weights++] = (Weight){cname, comment, dt, numel, (size_t)numel * dtype_size(dt), data, 0};
  return e->opt->weights_file ? cname : fmt(e, "%s.v", cname);
}

/* The escapes of the weights' string literals: a byte is itself if printable and
 * not one of " \ ? (and not an octal digit right after an octal escape, which
 * would extend it), else \ and its octal value in 1 to 3 digits. */
typedef struct Escapes {
  char text[256][4];
  unsigned char len[256];
  bool plain[256];
} Escapes;

static void escapes_init(Escapes *x) {
  for (int c = 0; c < 256; c++) {
    x->plain[c] = c >= 32 && c < 127 && c != '"' && c != '\\' && c != '?';
    char tmp[8];
    int k = snprintf(tmp, sizeof tmp, "\\%o", c);
    memcpy(x->text[c], tmp, 4);
    x->len[c] = (unsigned char)k;
  }
}

/* Writes n bytes as an octal-escaped string literal, 32 bytes per source line, into
 * out (room for 5 * n + 8 bytes); returns the length. A table and a 4-byte copy
 * per byte: ~1 GB/s, where a printf per byte made ViT-Base's weights take 20 s. */
static size_t bytes_literal(const Escapes *x, char *out, const unsigned char *p, size_t n) {
  char *o = out;
  int prev_octal = 0;
  *o++ = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned c = p[i];
    if (i && i % 32 == 0) {
      memcpy(o, "\"\n  \"", 5);
      o += 5;
      prev_octal = 0;
    }
    if (x->plain[c] && !(prev_octal && c >= '0' && c <= '7')) {
      *o++ = (char)c;
      prev_octal = 0;
    } else {
      memcpy(o, x->text[c], 4);
      o += x->len[c];
      prev_octal = 1;
    }
  }
  *o++ = '"';
  return (size_t)(o - out);
}

/* Writes the weights section of an embedded bundle to f: each weight a static const
 * union of a byte string and its typed view, through a buffer of about 1 MiB. */
static int write_embedded_weights(Emitter *e, FILE *f) {
  enum { CHUNK = 1 << 20, PIECE = 1 << 16 }; /* PIECE: a multiple of the 32 bytes of a line */
  Escapes x;
  escapes_init(&x);
  char *buf = xmalloc(CHUNK + 5 * PIECE + 16);
  size_t used = 0;
  int rc = 0;
  for (int i = 0; i < e->n_weights && rc == 0; i++) {
    const Weight *w = &e->weights[i];
    Buf head = {0};
    buf_printf(&head, "/* %s */\nstatic const VITC_ALIGNED(%d) union { unsigned char b[%zu]; %s v[%" PRId64 "]; } %s = {\n  ",
               w->comment, e->opt->target->vector_bytes, w->bytes ? w->bytes : dtype_size(w->dt), dtype_ctype(w->dt),
               w->numel ? w->numel : 1, w->cname);
    if (fwrite(head.s, 1, head.len, f) != head.len) rc = -1;
    buf_free(&head);
    if (!w->bytes && fputs("{0}", f) < 0) rc = -1;
    /* The literal of each piece is a run of whole lines in quotes, so the pieces'
     * literals joined by the indentation of a new line are the literal of the whole. */
    for (size_t at = 0; at < w->bytes && rc == 0; at += PIECE) {
      size_t n = w->bytes - at < PIECE ? w->bytes - at : PIECE;
      if (at) memcpy(buf + used, "\n  ", 3), used += 3;
      used += bytes_literal(&x, buf + used, (const unsigned char *)w->data + at, n);
      if (used >= CHUNK) {
        if (fwrite(buf, 1, used, f) != used) rc = -1;
        used = 0;
      }
    }
    if (rc == 0 && (fwrite(buf, 1, used, f) != used || fputs("};\n\n", f) < 0)) rc = -1;
    used = 0;
  }
  free(buf);
  return rc;
}

const char *emit_const(Emitter *e, const char *hint, DType dt, int64_t numel, const void *data) {
  char *base = sanitize("k_", hint);
  char *name = xmalloc(strlen(base) + 16);
  strcpy(name, base);
  for (int k = 2; nameset_has(&e->packed_names, name); k++) /* unique among packed weights */
    snprintf(name, strlen(base) + 16, "%s_%d", base, k);
  free(base);
  nameset_add(&e->packed_names, name);
  e->packed = xrealloc(e->packed, (size_t)(e->n_packed + 1) * sizeof *e->packed);
  PackedConst *pc = &e->packed[e->n_packed++];
  size_t bytes = (size_t)numel * dtype_size(dt);
  pc->cname = name;
  pc->comment = xstrdup(fmt(e, "%s: %s[%" PRId64 "], packed for its kernel", hint, dtype_name(dt), numel));
  pc->dt = dt;
  pc->numel = numel;
  pc->data = xmalloc(bytes ? bytes : 1);
  if (bytes) memcpy(pc->data, data, bytes);
  return e->opt->weights_file ? name : fmt(e, "%s.v", name);
}

static int cmp_packed(const void *a, const void *b) {
  return strcmp(((const PackedConst *)a)->cname, ((const PackedConst *)b)->cname);
}

const char *emit_ref(Emitter *e, int t) {
  if (t < 0) vitc_die("emit_ref of an absent tensor");
  if (e->expr[t]) return e->expr[t];
  const TensorPlan *tp = &e->plan->t[t];
  Tensor *ten = &e->g->t[t];
  switch (tp->kind) {
  case ST_CONST:
    /* Defined after all nodes, in tensor order (see write_source). */
    e->const_used[t] = 1;
    e->expr[t] = xstrdup(e->opt->weights_file ? e->cname[t] : fmt(e, "%s.v", e->cname[t]));
    break;
  case ST_VIEW: {
    int r = plan_root(e->plan, t);
    e->expr[t] = xstrdup(emit_ref(e, r));
    break;
  }
  default:
    vitc_die("tensor '%s' used before it is defined (plan kind %d)", ten->name, tp->kind);
  }
  return e->expr[t];
}

/* ---------------- kernels ---------------- */

static int paste_template(Emitter *e, const char *path);

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int paste_text(Emitter *e, const char *path, const char *text) {
  /* Dependencies first: quoted includes name other templates relative to this file. */
  const char *p = text;
  char dir[512];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len > 10 && strncmp(p, "#include \"", 10) == 0) {
      const char *q = p + 10;
      const char *qe = memchr(q, '"', len - 10);
      if (qe) {
        char rel[512], full[1024];
        snprintf(rel, sizeof rel, "%.*s", (int)(qe - q), q);
        /* resolve "../x/y.c" against dir */
        char base[512];
        snprintf(base, sizeof base, "%s", dir);
        const char *r = rel;
        while (strncmp(r, "../", 3) == 0) {
          char *s2 = strrchr(base, '/');
          if (s2) *s2 = 0; else base[0] = 0;
          r += 3;
        }
        snprintf(full, sizeof full, "%s/%s", base, r);
        /* The prelude and the shim dispatcher are not dependencies: the file has the
         * prelude and the target's shim before every kernel (write_source). */
        if (strcmp(r, "prelude.h") != 0 && strstr(full, "prelude.h") == NULL && !ends_with(full, "simd/shim.h"))
          if (paste_template(e, full)) return -1;
      }
    }
    p = eol ? eol + 1 : p + len;
  }
  buf_printf(&e->kernels, "/* ---- %s ---- */\n", path);
  p = text;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (!(len > 10 && strncmp(p, "#include \"", 10) == 0)) {
      buf_putn(&e->kernels, p, len);
      buf_puts(&e->kernels, "\n");
    }
    p = eol ? eol + 1 : p + len;
  }
  buf_puts(&e->kernels, "\n");
  return 0;
}

static int paste_template(Emitter *e, const char *path) {
  for (int i = 0; i < e->n_pasted; i++)
    if (strcmp(e->pasted[i], path) == 0) return 0;
  const char *text = embedded_file(path);
  if (!text) vitc_die("kernel template %s is not built into the compiler", path);
  e->pasted = xrealloc(e->pasted, (size_t)(e->n_pasted + 1) * sizeof(char *));
  e->pasted[e->n_pasted++] = xstrdup(path);
  return paste_text(e, path, text);
}

/* Template resolution (target.h): "family/stem" -> templates/family/stem-<isa>.c,
 * else (targets with a shim) the shim-based templates/family/stem-simd.c, else
 * templates/family/stem-scalar.c. A shim-based template defines its kernels as
 * VITC_FN(vitc_f32_softmax), which the target's shim (pasted before every kernel,
 * see write_source) turns into vitc_f32_softmax_<isa>. It includes the scalar
 * template of its family, pasted first as a dependency, for the kernels it does
 * not vectorize; emit_kfn() finds which suffix each kernel has. */
int emit_use_kernel(Emitter *e, const char *stem) {
  const Target *t = e->opt->target;
  char path[512];
  snprintf(path, sizeof path, "templates/%s-%s.c", stem, t->isa);
  if (!embedded_file(path) && t->shim) snprintf(path, sizeof path, "templates/%s-simd.c", stem);
  if (!embedded_file(path)) snprintf(path, sizeof path, "templates/%s-scalar.c", stem);
  if (!embedded_file(path)) vitc_die("no kernel template for %s", stem);
  return paste_template(e, path);
}

/* Whether text defines (or declares, or calls) the function name: name followed by
 * '(' and not preceded by an identifier character. */
static bool mentions_function(const char *text, const char *name) {
  size_t n = strlen(name);
  for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
    if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) continue;
    if (p[n] == '(') return true;
  }
  return false;
}

/* The suffix of kernel `base` on this target, the same choice emit_use_kernel
 * makes for its family: the target's ISA if a templates/<family>/<stem>-<isa>.c
 * defines base_<isa>, or (targets with a shim) a -simd.c template defines
 * VITC_FN(base); else "scalar", the reference template every family has. */
static const char *kernel_isa_search(Emitter *e, const char *base);

/* Answers are cached per kernel: every node asks, and the search reads every template. */
static const char *kernel_isa(Emitter *e, const char *base) {
  for (int i = 0; i < e->n_isa_cache; i++)
    if (strcmp(e->isa_cache[i].base, base) == 0) return e->isa_cache[i].isa;
  const char *isa = kernel_isa_search(e, base);
  e->isa_cache = xrealloc(e->isa_cache, (size_t)(e->n_isa_cache + 1) * sizeof *e->isa_cache);
  e->isa_cache[e->n_isa_cache].base = xstrdup(base);
  e->isa_cache[e->n_isa_cache++].isa = isa;
  return isa;
}

static const char *kernel_isa_search(Emitter *e, const char *base) {
  const Target *t = e->opt->target;
  if (strcmp(t->isa, "scalar") == 0) return "scalar";
  const char *isa_file = fmt(e, "-%s.c", t->isa), *isa_fn = fmt(e, "%s_%s", base, t->isa);
  const char *simd_fn = fmt(e, "VITC_FN(%s)", base);
  for (int i = 0; vitc_embedded_files[i].path; i++) {
    const char *path = vitc_embedded_files[i].path, *text = vitc_embedded_files[i].text;
    if (strncmp(path, "templates/", 10) != 0) continue;
    if (ends_with(path, isa_file) && mentions_function(text, isa_fn)) return t->isa;
    if (t->shim && ends_with(path, "-simd.c") && strstr(text, simd_fn)) return t->isa;
  }
  return "scalar";
}

/* The target's SIMD shim, with the shim's own quoted includes (bind.h,
 * fastmath.h) expanded in place, where they must go, instead of pasted first as
 * dependencies; the prelude and the intrinsics header are already in the file. */
static void paste_shim(Emitter *e, Buf *c, const char *path, int depth) {
  const char *text = embedded_file(path);
  if (!text) vitc_die("SIMD shim %s is not built into the compiler", path);
  if (depth > 4) vitc_die("SIMD shim %s: includes nest too deep", path);
  const char *ih = e->opt->target->intrin_header;
  buf_printf(c, "/* ---- %s ---- */\n", path);
  for (const char *p = text; *p;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), p);
    if (strncmp(line, "#include \"", 10) == 0) {
      char *q = strchr(line + 10, '"');
      if (q) *q = 0;
      if (!strstr(line + 10, "prelude.h")) { /* a sibling of the shim */
        char dep[600];
        snprintf(dep, sizeof dep, "templates/simd/%s", line + 10);
        paste_shim(e, c, dep, depth + 1);
      }
    } else if (!(ih && strncmp(line, "#include <", 10) == 0 && strncmp(line + 10, ih, strlen(ih)) == 0)) {
      buf_putn(c, p, len);
      buf_puts(c, "\n");
    }
    p = eol ? eol + 1 : p + len;
  }
}

const char *embedded_file(const char *path) {
  for (int i = 0; vitc_embedded_files[i].path; i++)
    if (strcmp(vitc_embedded_files[i].path, path) == 0) return vitc_embedded_files[i].text;
  return NULL;
}

/* ---------------- the run function ---------------- */

static int emit_node(Emitter *e, int ni) {
  Graph *g = e->g;
  Node *n = &g->n[ni];
  char sb[160];
  e->cur_node = ni;
  emit_line(e, "/* %s %s */", op_name(n->op), c_comment(e, n->name));
  /* Declare workspace outputs first defined here. */
  for (int o = 0; o < n->n_out; o++) {
    int t = n->out[o];
    if (t < 0 || e->expr[t]) continue;
    const TensorPlan *tp = &e->plan->t[t];
    Tensor *ten = &g->t[t];
    if (tp->kind == ST_WORKSPACE) {
      emit_line(e, "%s%s *const %s = (%s *)(w + %zu); /* %s %s */", emit_threads(e) > 1 ? "VITC_UNUSED " : "",
                dtype_ctype(ten->dtype), e->cname[t],
                dtype_ctype(ten->dtype), tp->offset, dtype_name(ten->dtype), shape_str(&ten->shape, sb, sizeof sb));
      e->expr[t] = xstrdup(e->cname[t]);
    }
  }
  bool is_view = (op_flags(n->op) & OPF_VIEW) && e->plan->t[n->out[0]].kind == ST_VIEW;
  if (is_view) {
    emit_line(e, "/* view: %s is %s as %s */", c_comment(e, g->t[n->out[0]].name), c_comment(e, g->t[n->in[0]].name),
              shape_str(&g->t[n->out[0]].shape, sb, sizeof sb));
    return 0;
  }
  if ((op_flags(n->op) & OPF_VIEW)) {
    /* A view that is a graph output: copy into the caller's buffer. */
    Tensor *ot = &g->t[n->out[0]];
    emit_line(e, "memcpy(%s, %s, %zu);", emit_ref(e, n->out[0]), emit_ref(e, n->in[0]),
              (size_t)shape_numel(&ot->shape) * dtype_size(ot->dtype));
    return 0;
  }
  const OpImpl *impl = op_impl(n->op);
  if (!impl->emit) return node_err(g, n, "no lowering for this op on target %s", e->opt->target->name);
  /* dtypes must be storable */
  for (int k = 0; k < n->n_in; k++) {
    Tensor *t = node_in(g, n, k);
    if (t && !dtype_supported(t->dtype))
      return node_err(g, n, "input %d has element type %s, which vitc does not support", k, dtype_name(t->dtype));
  }
  return impl->emit(e, g, n);
}

static void emit_file_banner(Buf *b, const EmitOptions *opt, const char *what) {
  buf_printf(b,
             "/* %s\n"
             " *\n"
             " * Generated by vitc " VITC_VERSION " from %s for target '%s'. Do not edit.\n"
             " * Command: %s\n"
             " */\n",
             what, opt->model_file, opt->target->name, opt->command);
}

/* ---------------- NAME.weights ---------------- */

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Writes the weights at their offsets into f, after a header of zeros, through a
 * 1 MiB buffer that is hashed as it goes; returns the payload's checksum. */
static int write_weights_payload(Emitter *e, FILE *f, uint64_t *checksum) {
  enum { CHUNK = 1 << 20 }; /* a multiple of 32: vitc_weights_hash_add in pieces */
  unsigned char *buf = xcalloc(CHUNK, 1);
  vitc_weights_state hs = {VITC_WEIGHTS_SEED_INIT};
  size_t used = 0, at = VITC_WEIGHTS_HEADER; /* file offset of buf[used] */
  int rc = fwrite(buf, 1, VITC_WEIGHTS_HEADER, f) == VITC_WEIGHTS_HEADER ? 0 : -1;
  for (int i = 0; i <= e->n_weights && rc == 0; i++) {
    size_t start = i < e->n_weights ? e->weights[i].offset : e->weights_file_bytes;
    const unsigned char *src = i < e->n_weights ? e->weights[i].data : NULL;
    size_t n = i < e->n_weights ? e->weights[i].bytes : 0;
    /* zeros up to start, then the bytes */
    for (int part = 0; part < 2 && rc == 0; part++) {
      size_t left = part ? n : start - at;
      while (left && rc == 0) {
        size_t k = CHUNK - used < left ? CHUNK - used : left;
        if (part) memcpy(buf + used, src + (n - left), k);
        else memset(buf + used, 0, k);
        used += k;
        left -= k;
        at += k;
        if (used == CHUNK) {
          vitc_weights_hash_add(&hs, buf, used);
          if (fwrite(buf, 1, used, f) != used) rc = -1;
          used = 0;
        }
      }
    }
  }
  if (rc == 0) {
    vitc_weights_hash_add(&hs, buf, used);
    if (fwrite(buf, 1, used, f) != used) rc = -1;
  }
  *checksum = vitc_weights_hash_end(&hs, e->weights_file_bytes - VITC_WEIGHTS_HEADER);
  free(buf);
  return rc;
}

/* The model id: the payload's checksum, the weights' layout (head's offsets) and
 * the model's code (tail), hashed, so a bundle accepts only the file its compile
 * wrote (or an identical compile's). */
static uint64_t model_id(uint64_t checksum, const Buf *head, const Buf *tail) {
  Buf text = {0};
  buf_printf(&text, "%016" PRIx64 "\n", checksum);
  buf_putn(&text, head->s ? head->s : "", head->len);
  buf_putn(&text, tail->s ? tail->s : "", tail->len);
  vitc_weights_state hs = {VITC_WEIGHTS_SEED_INIT};
  vitc_weights_hash_add(&hs, (const unsigned char *)text.s, text.len);
  uint64_t id = vitc_weights_hash_end(&hs, text.len);
  buf_free(&text);
  return id;
}

/* ---------------- files ---------------- */

typedef struct OutFile {
  char *final_path;
  char *tmp_path;
} OutFile;

/* Opens DIR/.FNAME.tmp for writing, the file's name until the bundle is complete. */
static FILE *open_tmp(OutFile *of, const char *dir, const char *fname) {
  size_t n = strlen(dir) + strlen(fname) + 16;
  of->final_path = xmalloc(n);
  of->tmp_path = xmalloc(n + 8);
  snprintf(of->final_path, n, "%s/%s", dir, fname);
  snprintf(of->tmp_path, n + 8, "%s/.%s.tmp", dir, fname);
  FILE *f = fopen(of->tmp_path, "wb");
  if (!f) vitc_err("cannot write %s: %s", of->tmp_path, strerror(errno));
  return f;
}

/* Closes a file open_tmp opened; ok says whether everything was written. */
static int close_tmp(OutFile *of, FILE *f, bool ok) {
  if (fclose(f) != 0) ok = false;
  if (ok) return 0;
  unlink(of->tmp_path);
  return vitc_err("cannot write %s: %s", of->tmp_path, errno ? strerror(errno) : "write error");
}

/* text, then what middle writes (if not NULL), then tail. */
static int write_file_parts(OutFile *of, const char *dir, const char *fname, const char *text, size_t len,
                            Emitter *e, int (*middle)(Emitter *, FILE *), const Buf *tail) {
  FILE *f = open_tmp(of, dir, fname);
  if (!f) return -1;
  errno = 0;
  bool ok = fwrite(text, 1, len, f) == len;
  if (ok && middle) ok = middle(e, f) == 0;
  if (ok && tail && tail->len) ok = fwrite(tail->s, 1, tail->len, f) == tail->len;
  return close_tmp(of, f, ok);
}

static int write_file(OutFile *of, const char *dir, const char *fname, const char *text, size_t len) {
  return write_file_parts(of, dir, fname, text, len, NULL, NULL, NULL);
}

/* DIR/.NAME.weights.tmp: the payload, then the header with its checksum and the
 * model id, which the header file (NAME_WEIGHTS_ID) gets too. */
static int write_weights_file(Emitter *e, OutFile *of, const Buf *head, const Buf *tail) {
  FILE *f = open_tmp(of, e->opt->out_dir, fmt(e, "%s.weights", e->opt->name));
  if (!f) return -1;
  errno = 0;
  uint64_t checksum;
  bool ok = write_weights_payload(e, f, &checksum) == 0;
  unsigned char hdr[VITC_WEIGHTS_HEADER] = {0};
  e->weights_id = model_id(checksum, head, tail);
  memcpy(hdr, VITC_WEIGHTS_MAGIC, 8);
  put32(hdr + 8, VITC_WEIGHTS_VERSION);
  put32(hdr + 12, VITC_WEIGHTS_HEADER);
  put64(hdr + 16, e->weights_file_bytes - VITC_WEIGHTS_HEADER);
  put64(hdr + 24, e->weights_id);
  put64(hdr + 32, checksum);
  /* the bundle's own check must accept what is written (it reads only the header) */
  VITC_ALIGNED(64) unsigned char aligned[VITC_WEIGHTS_HEADER];
  memcpy(aligned, hdr, sizeof hdr);
  if (vitc_weights_check_header(aligned, e->weights_file_bytes, e->weights_id, e->weights_file_bytes - VITC_WEIGHTS_HEADER))
    vitc_die("the weights header does not pass the bundle's own check");
  if (ok) ok = fseek(f, 0, SEEK_SET) == 0 && fwrite(hdr, 1, sizeof hdr, f) == sizeof hdr;
  return close_tmp(of, f, ok);
}

static int mkdir_p(const char *dir) {
  char *d = xstrdup(dir);
  for (char *p = d + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(d, 0777) != 0 && errno != EEXIST) {
      free(d);
      return vitc_err("cannot create folder %s: %s", dir, strerror(errno));
    }
    *p = '/';
  }
  int rc = 0;
  if (mkdir(d, 0777) != 0 && errno != EEXIST) rc = vitc_err("cannot create folder %s: %s", dir, strerror(errno));
  free(d);
  return rc;
}

static void io_names(Emitter *e, char ***in_names, char ***out_names) {
  Graph *g = e->g;
  int n = g->n_inputs + g->n_outputs;
  char **names = xcalloc((size_t)n + 1, sizeof(char *));
  for (int i = 0; i < g->n_inputs; i++) names[i] = sanitize("", g->t[g->inputs[i]].name);
  for (int i = 0; i < g->n_outputs; i++) names[g->n_inputs + i] = sanitize("", g->t[g->outputs[i]].name);
  uniquify(names, n);
  *in_names = names;
  *out_names = names + g->n_inputs;
}

/* --trace: the hooks' types and NAME_run_traced in NAME.h. */
static void write_trace_api(Emitter *e, Buf *h) {
  const char *name = e->opt->name;
  const char *NAME = upper(e, name);
  buf_printf(h,
             "/* ---- trace (vitc compile --trace; docs/verify.md) ----\n"
             " * %s_run_traced runs the model like %s_run and, around each node of the final\n"
             " * graph (%s_trace_nodes, in the order they run), calls the caller's hooks:\n"
             " * before(user, i, inputs) with the addresses of node i's inputs, after(user, i,\n"
             " * outputs, elapsed) with its outputs' and the time between two calls of now()\n"
             " * around the node (in now's unit; 0 if now is NULL). Addresses are NULL for\n"
             " * weights and absent inputs. A hook may read the tensors; after() may also\n"
             " * change node i's outputs, and the run goes on with the changed values. */\n"
             "typedef struct %s_trace_tensor {\n"
             "  const char *name;     /* its name in the final graph */\n"
             "  int dtype;            /* VITC_DTYPE_* */\n"
             "  int rank;\n"
             "  const int64_t *shape;\n"
             "  int64_t bytes;\n"
             "  int onnx;             /* 1: the ONNX model has a tensor of this name (--dump writes it) */\n"
             "} %s_trace_tensor;\n\n"
             "typedef struct %s_trace_node {\n"
             "  const char *name;      /* the node's name in the final graph */\n"
             "  const char *op;        /* its op (vitc's: fused ops have names of their own) */\n"
             "  const char *onnx_node; /* the ONNX node that made its first ONNX-named output, or \"\" */\n"
             "  const char *covers;    /* the ONNX nodes it computes, \"; \"-separated (more than one: fused) */\n"
             "  int64_t macs;          /* multiply-accumulates (MatMul, Gemm, Conv, attention) */\n"
             "  int n_inputs, n_outputs;\n"
             "  const %s_trace_tensor *inputs, *outputs;\n"
             "} %s_trace_node;\n\n"
             "#define %s_TRACE_NODES %d\n"
             "extern const %s_trace_node %s_trace_nodes[%s_TRACE_NODES];\n\n"
             "typedef struct %s_trace {\n"
             "  double (*now)(void *user); /* a clock (NULL: no times) */\n"
             "  void (*before)(void *user, int node, void *const *inputs);\n"
             "  void (*after)(void *user, int node, void *const *outputs, double elapsed);\n"
             "  void *user;\n"
             "} %s_trace;\n\n"
             "/* Runs the model with the hooks (tr NULL: as %s_run). The same results and\n"
             " * return codes as %s_run if the hooks change nothing. */\n"
             "int %s_run_traced(const %s_inputs *in, const %s_outputs *out, %s_workspace *ws, const %s_trace *tr);\n\n",
             name, name, name, name, name, name, name, name, NAME, e->g->nn, name, name, NAME, name, name, name, name,
             name, name, name, name, name);
}

static void write_header(Emitter *e, Buf *h, char **in_names, char **out_names) {
  Graph *g = e->g;
  const char *name = e->opt->name;
  const char *NAME = upper(e, name);
  char sb[160];
  emit_file_banner(h, e->opt, fmt(e, "%s.h: the API of model '%s'.", name, name));
  buf_printf(h,
             "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n#include \"vitc_runtime.h\"\n%s\n",
             NAME, NAME, emit_threads(e) > 1 ? "#include \"vitc_pool.h\" /* NAME_run_pool: threads (docs/threads.md) */\n" : "");
  bool wfile = e->opt->weights_file;
  buf_printf(h,
             "/* Usage:\n"
             " *   static %s_workspace ws;             (%zu bytes: static or heap, too big for most stacks)\n"
             "%s"
             " *   %s_inputs in = { ... };              one pointer per input, in graph order\n"
             " *   %s_outputs out = { ... };            one pointer per output, in graph order\n"
             " *   int rc = %s_run(&in, &out, &ws);     VITC_OK (0) on success\n"
             " * Buffers hold raw elements in row-major order, with the shapes below. The\n"
             " * function allocates nothing, writes no global state and may run concurrently on\n"
             " * different workspaces. Inputs are only read; outputs must not overlap inputs. */\n\n",
             name, e->plan->workspace_bytes,
             wfile ? fmt(e, " *   rc = %s_bind_weights(&ws, bytes, len);  once per workspace: %s.weights, loaded by you\n", name, name)
                   : "",
             name, name, name);
  buf_printf(h, "#define %s_WORKSPACE_BYTES %zu\n", NAME, e->plan->workspace_bytes ? e->plan->workspace_bytes : 1);
  buf_printf(h, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n\n", NAME, g->n_inputs, NAME, g->n_outputs);
  for (int pass = 0; pass < 2; pass++) {
    int cnt = pass ? g->n_outputs : g->n_inputs;
    const char *kind = pass ? "OUTPUT" : "INPUT";
    for (int i = 0; i < cnt; i++) {
      Tensor *t = &g->t[pass ? g->outputs[i] : g->inputs[i]];
      const char *field = pass ? out_names[i] : in_names[i];
      buf_printf(h, "/* %s %d: '%s', %s%s */\n", pass ? "output" : "input", i, c_comment(e, t->name), dtype_name(t->dtype),
                 shape_str(&t->shape, sb, sizeof sb));
      buf_printf(h, "#define %s_%s%d_NAME \"%s\"\n", NAME, kind, i, c_string(e, t->name));
      buf_printf(h, "#define %s_%s%d_FIELD %s\n", NAME, kind, i, field);
      buf_printf(h, "#define %s_%s%d_DTYPE %d /* VITC_DTYPE_%s */\n", NAME, kind, i, (int)t->dtype,
                 upper(e, dtype_name(t->dtype)));
      buf_printf(h, "#define %s_%s%d_RANK %d\n", NAME, kind, i, t->shape.rank);
      buf_printf(h, "#define %s_%s%d_SHAPE {", NAME, kind, i);
      for (int d = 0; d < t->shape.rank; d++) buf_printf(h, "%s%" PRId64, d ? ", " : "", t->shape.d[d]);
      if (t->shape.rank == 0) buf_puts(h, "1");
      buf_puts(h, "}\n");
      buf_printf(h, "#define %s_%s%d_NUMEL %" PRId64 "\n", NAME, kind, i, shape_numel(&t->shape));
      buf_printf(h, "#define %s_%s%d_BYTES %" PRId64 "\n\n", NAME, kind, i,
                 shape_numel(&t->shape) * (int64_t)dtype_size(t->dtype));
    }
  }
  buf_printf(h, "/* The inputs, by name; distinct struct types keep a model's inputs, outputs and\n"
                " * workspace from being mixed up with each other or with another model's. */\n");
  buf_printf(h, "typedef struct %s_inputs {\n", name);
  for (int i = 0; i < g->n_inputs; i++) {
    Tensor *t = &g->t[g->inputs[i]];
    buf_printf(h, "  const %s *%s; /* %s%s */\n", dtype_ctype(t->dtype), in_names[i], dtype_name(t->dtype),
               shape_str(&t->shape, sb, sizeof sb));
  }
  if (g->n_inputs == 0) buf_puts(h, "  char no_inputs; /* the model has no inputs; C forbids empty structs */\n");
  buf_printf(h, "} %s_inputs;\n\n", name);
  buf_printf(h, "typedef struct %s_outputs {\n", name);
  for (int i = 0; i < g->n_outputs; i++) {
    Tensor *t = &g->t[g->outputs[i]];
    buf_printf(h, "  %s *%s; /* %s%s */\n", dtype_ctype(t->dtype), out_names[i], dtype_name(t->dtype),
               shape_str(&t->shape, sb, sizeof sb));
  }
  buf_printf(h, "} %s_outputs;\n\n", name);
  if (wfile) {
    buf_printf(h,
               "/* The weights are not in this bundle but in %s.weights (vitc compile --weights\n"
               " * file), written with it: %s_WEIGHTS_BYTES bytes, a 64-byte header (vitc_weights.h\n"
               " * in %s.c) and the tensors. Load the file yourself, read into memory at a 64-byte\n"
               " * boundary or mapped (mmap), and bind it to each workspace before its first run.\n"
               " * The bundle only reads it; keep it loaded and unchanged while the workspace runs. */\n"
               "#define %s_WEIGHTS_FILE \"%s.weights\"\n"
               "#define %s_WEIGHTS_BYTES %zu\n"
               "/* The model id in its header: this compile's (a hash of its weights and code). */\n"
               "#define %s_WEIGHTS_ID UINT64_C(0x%016" PRIx64 ")\n\n",
               name, NAME, name, NAME, name, NAME, e->weights_file_bytes, NAME, e->weights_id);
    buf_printf(h,
               "/* Scratch memory for one call at a time (bytes: its contents do not survive\n"
               " * between calls), and the weights bound to it. */\n"
               "typedef struct %s_workspace {\n"
               "  const unsigned char *weights; /* set by %s_bind_weights */\n"
               "  VITC_ALIGNED(64) unsigned char bytes[%s_WORKSPACE_BYTES];\n} %s_workspace;\n\n",
               name, name, NAME, name);
  } else {
    buf_printf(h,
               "/* Scratch memory for one call at a time; its contents do not survive between calls. */\n"
               "typedef struct %s_workspace {\n  VITC_ALIGNED(64) unsigned char bytes[%s_WORKSPACE_BYTES];\n} %s_workspace;\n\n",
               name, NAME, name);
  }
  if (wfile)
    buf_printf(h,
               "/* Checks the header of the weights file at bytes (len bytes, at a 64-byte\n"
               " * boundary) and binds it to the workspace. Reads only the header. Returns\n"
               " * VITC_OK, VITC_ERR_NULL, or (vitc_runtime.h) VITC_ERR_WEIGHTS_MAGIC (not a\n"
               " * weights file), _VERSION (another format version), _MODEL (another model's or\n"
               " * another compile's), _TRUNCATED, _SIZE (longer than it says), _ALIGN; on an\n"
               " * error the workspace has no weights. */\n"
               "int %s_bind_weights(%s_workspace *ws, const void *bytes, size_t len);\n\n"
               "/* The same checks, then the tensors against the header's checksum (reads the\n"
               " * whole file): VITC_OK, an error above, or VITC_ERR_WEIGHTS_CHECKSUM. */\n"
               "int %s_check_weights(const void *bytes, size_t len);\n\n",
               name, name, name);
  buf_printf(h,
             "/* Runs the model. Returns VITC_OK, or VITC_ERR_NULL if a pointer is NULL%s. */\n"
             "int %s_run(const %s_inputs *in, const %s_outputs *out, %s_workspace *ws);\n\n",
             wfile ? ",\n * or VITC_ERR_WEIGHTS_UNBOUND if the workspace has no weights" : "", name, name, name, name);
  if (e->opt->trace) write_trace_api(e, h);
  if (emit_threads(e) > 1)
    buf_printf(h,
               "/* Workers the bundle has scratch for (vitc compile --threads). */\n"
               "#define %s_THREADS %d\n\n"
               "/* Runs the model with its GEMMs and attention split over the pool's workers\n"
               " * (vitc_pool.h; at most %s_THREADS of them). The same results as %s_run\n"
               " * (which runs the same tasks on the calling thread). Returns VITC_OK,\n"
               " * VITC_ERR_NULL, or VITC_ERR_POOL if the pool has too many threads. */\n"
               "int %s_run_pool(const %s_inputs *in, const %s_outputs *out, %s_workspace *ws, vitc_pool *pool);\n\n",
               NAME, emit_threads(e), NAME, name, name, name, name, name);
  buf_printf(h, "#endif /* %s_H */\n", NAME);
}

/* ---------------- --trace ---------------- */

/* A tensor's address for the trace hooks: "NULL" for weights (the hooks see
 * activations; referencing a weight here would also write its unpacked copy). */
static const char *trace_ptr(Emitter *e, int t) {
  if (t < 0) return "NULL";
  const TensorPlan *tp = &e->plan->t[t];
  int root = tp->kind == ST_VIEW ? tp->owner : t;
  if (root < 0 || (e->plan->t[root].kind != ST_INPUT && e->plan->t[root].kind != ST_OUTPUT &&
                   e->plan->t[root].kind != ST_WORKSPACE))
    return "NULL";
  return fmt(e, "(void *)%s", emit_ref(e, t));
}

/* "(void *const[]){a, b}" of the tensors' addresses, or "NULL" for none. */
static const char *trace_ptrs(Emitter *e, const int *ts, int n) {
  if (n == 0) return "NULL";
  Buf b = {0};
  buf_puts(&b, "(void *const[]){");
  for (int k = 0; k < n; k++) buf_printf(&b, "%s%s", k ? ", " : "", trace_ptr(e, ts[k]));
  buf_puts(&b, "}");
  const char *r = keep(e, xstrdup(b.s));
  buf_free(&b);
  return r;
}

/* Node i's row of NAME_trace_nodes, and the tensor rows it points to. */
static void trace_row(Emitter *e, int i, Buf *rows) {
  Graph *g = e->g;
  const Node *n = &g->n[i];
  const TraceInfo *ti = e->opt->trace;
  const char *name = e->opt->name;
  for (int pass = 0; pass < 2; pass++) {
    int cnt = pass ? n->n_out : n->n_in;
    const int *ts = pass ? n->out : n->in;
    if (!cnt) continue;
    for (int k = 0; k < cnt; k++) {
      if (ts[k] < 0) continue;
      const Tensor *t = &g->t[ts[k]];
      buf_printf(&e->trace_table, "static const int64_t trace_shape_%d_%c%d[] = {", i, pass ? 'o' : 'i', k);
      for (int d = 0; d < t->shape.rank; d++) buf_printf(&e->trace_table, "%s%" PRId64, d ? ", " : "", t->shape.d[d]);
      buf_puts(&e->trace_table, t->shape.rank ? "};\n" : "1};\n");
    }
    buf_printf(&e->trace_table, "static const %s_trace_tensor trace_%s_%d[] = {\n", name, pass ? "out" : "in", i);
    for (int k = 0; k < cnt; k++) {
      if (ts[k] < 0) {
        buf_puts(&e->trace_table, "  {\"\", 0, 0, NULL, 0, 0},\n");
        continue;
      }
      const Tensor *t = &g->t[ts[k]];
      buf_printf(&e->trace_table, "  {\"%s\", %d, %d, trace_shape_%d_%c%d, %" PRId64 ", %d},\n", c_string(e, t->name),
                 (int)t->dtype, t->shape.rank, i, pass ? 'o' : 'i', k,
                 shape_numel(&t->shape) * (int64_t)dtype_size(t->dtype), ti->onnx_named[ts[k]]);
    }
    buf_puts(&e->trace_table, "};\n");
  }
  const OpImpl *impl = op_impl(n->op);
  int64_t macs = impl && impl->macs ? impl->macs(g, (Node *)n) : 0;
  buf_printf(rows, "  {\"%s\", \"%s\", \"%s\", \"%s\", %" PRId64 ", %d, %d, %s, %s},\n", c_string(e, n->name),
             op_name(n->op), c_string(e, ti->onnx_node[i]), c_string(e, ti->covers[i]), macs, n->n_in, n->n_out,
             n->n_in ? fmt(e, "trace_in_%d", i) : "NULL", n->n_out ? fmt(e, "trace_out_%d", i) : "NULL");
}

/* The nodes' calls, then the weights they use (Emitter.weights). With
 * release_weights, a constant that only nodes packing it read is freed once the
 * last of them is emitted: the originals left and the packed copies made are then
 * about one copy of the weights together, not two. */
static int emit_nodes(Emitter *e, char **out_names) {
  Graph *g = e->g;
  int *pending = NULL; /* per constant: readers not yet emitted; -1: never freed */
  if (e->opt->release_weights) {
    pending = xcalloc((size_t)g->nt + 1, sizeof(int));
    for (int t = 0; t < g->nt; t++)
      if (e->plan->t[t].kind != ST_CONST || g->t[t].is_output) pending[t] = -1;
    for (int i = 0; i < g->nn; i++)
      for (int k = 0; k < g->n[i].n_in; k++) {
        int t = g->n[i].in[k];
        if (t < 0 || pending[t] < 0) continue;
        /* a view's readers reach the constant through emit_ref of the view */
        pending[t] = op_flags(g->n[i].op) & OPF_VIEW ? -1 : pending[t] + 1;
      }
  }
  char block[256] = "", prev_block[256] = "";
  Buf trace_rows = {0};
  for (int i = 0; i < g->nn; i++) {
    node_block(g->n[i].name, block, sizeof block);
    if (strcmp(block, prev_block) != 0 && block[0]) {
      buf_printf(&e->body, "\n  /* ======== %s ======== */\n", c_comment(e, block));
      snprintf(prev_block, sizeof prev_block, "%s", block);
    }
    if (e->opt->trace) emit_line(e, "trace_t0 = trace_before(tr, %d, %s);", i, trace_ptrs(e, g->n[i].in, g->n[i].n_in));
    if (emit_node(e, i)) {
      free(pending);
      buf_free(&trace_rows);
      return -1;
    }
    if (e->opt->trace) {
      emit_line(e, "trace_after(tr, %d, %s, trace_t0);", i, trace_ptrs(e, g->n[i].out, g->n[i].n_out));
      trace_row(e, i, &trace_rows);
    }
    for (int k = 0; pending && k < g->n[i].n_in; k++) {
      int t = g->n[i].in[k];
      if (t >= 0 && pending[t] > 0 && --pending[t] == 0 && !e->const_used[t]) {
        free(g->t[t].data); /* packed into a PackedConst, never referenced itself */
        g->t[t].data = NULL;
      }
    }
  }
  free(pending);
  if (e->opt->trace) {
    buf_printf(&e->trace_table, "\nconst %s_trace_node %s_trace_nodes[%s_TRACE_NODES] = {\n%s};\n\n", e->opt->name,
               e->opt->name, upper(e, e->opt->name), trace_rows.s ? trace_rows.s : "");
    buf_free(&trace_rows);
  }
  /* Outputs that no node computes (constants): copy them. */
  for (int i = 0; i < g->n_outputs; i++) {
    int t = g->outputs[i];
    if (g->t[t].producer < 0 && g->t[t].data) {
      size_t bytes = (size_t)shape_numel(&g->t[t].shape) * dtype_size(g->t[t].dtype);
      const char *src = define_const(e, fmt(e, "w_graph_output%d", i), c_comment(e, g->t[t].name), g->t[t].dtype, shape_numel(&g->t[t].shape),
                                     g->t[t].data);
      emit_line(e, "memcpy(out->%s, %s, %zu);", out_names[i], src, bytes);
    }
  }
  /* Weights: the model's own in tensor order, then packed ones by name. */
  char sb[160];
  for (int t = 0; t < g->nt; t++) {
    if (!e->const_used[t]) continue;
    Tensor *ten = &g->t[t];
    define_const(e, e->cname[t], fmt(e, "%s: %s%s", c_comment(e, ten->name), dtype_name(ten->dtype), shape_str(&ten->shape, sb, sizeof sb)),
                 ten->dtype, shape_numel(&ten->shape), ten->data);
  }
  if (e->n_packed > 1) qsort(e->packed, (size_t)e->n_packed, sizeof *e->packed, cmp_packed); /* none: packed is NULL */
  for (int i = 0; i < e->n_packed; i++) {
    PackedConst *pc = &e->packed[i];
    define_const(e, pc->cname, pc->comment, pc->dt, pc->numel, pc->data);
  }
  /* --weights file: each weight at a multiple of 64 bytes in NAME.weights */
  size_t off = VITC_WEIGHTS_HEADER;
  for (int i = 0; i < e->n_weights; i++) {
    off = (off + VITC_WEIGHTS_ALIGN - 1) / VITC_WEIGHTS_ALIGN * VITC_WEIGHTS_ALIGN;
    e->weights[i].offset = off;
    off += e->weights[i].bytes;
  }
  e->weights_file_bytes = off;
  return 0;
}

/* NAME.c around its weights: head (banner, kernels, and with --weights file the
 * weights' offsets) and tail (the model). Embedded weights go between the two. */
static void write_source(Emitter *e, Buf *c, Buf *tail, char **in_names, char **out_names) {
  Graph *g = e->g;
  const char *name = e->opt->name;
  const char *NAME = upper(e, name);
  bool wfile = e->opt->weights_file;
  emit_file_banner(c, e->opt, wfile ? fmt(e, "%s.c: model '%s' (code; its weights are in %s.weights).", name, name, name)
                                    : fmt(e, "%s.c: model '%s' (code and weights).", name, name));
  buf_printf(c, "#include \"%s.h\"\n\n", name);
  buf_puts(c, "#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__\n"
              "#error \"vitc bundles store weights little-endian\"\n#endif\n");
  if (!wfile)
    buf_puts(c, "#if defined(__GNUC__)\n"
                "/* Weights are long string literals (exact and fast to compile). */\n"
                "#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n#endif\n");
  buf_puts(c, "\n");
  const char *prelude = embedded_file("templates/prelude.h");
  if (!prelude) vitc_die("templates/prelude.h is not built in");
  buf_puts(c, "/* ================= kernels ================= */\n\n/* ---- templates/prelude.h ---- */\n");
  buf_puts(c, prelude);
  buf_puts(c, "\n");
  /* The target's intrinsics header (the only one), then its SIMD shim. */
  const Target *tg = e->opt->target;
  if (tg->intrin_header) buf_printf(c, "#include <%s>\n\n", tg->intrin_header);
  if (tg->shim) {
    paste_shim(e, c, tg->shim, 0);
    buf_puts(c, "\n");
  }
  buf_putn(c, e->kernels.s ? e->kernels.s : "", e->kernels.len);
  buf_puts(c, "/* ================= weights ================= */\n\n");
  if (wfile) {
    const char *fmt_h = embedded_file("runtime/vitc_weights.h");
    if (!fmt_h) vitc_die("runtime/vitc_weights.h is not built in");
    buf_printf(c, "/* ---- runtime/vitc_weights.h ---- */\n%s\n", fmt_h);
    buf_printf(c,
               "/* The weights are in %s.weights (vitc compile --weights file), each at this\n"
               " * offset from the start of the file; wt is where the caller loaded it\n"
               " * (%s_bind_weights keeps it in the workspace). */\n",
               name, name);
    for (int i = 0; i < e->n_weights; i++) {
      const Weight *w = &e->weights[i];
      buf_printf(c, "/* %s */\n#define %s ((const %s *)(wt + %zu))\n", w->comment, w->cname, dtype_ctype(w->dt), w->offset);
    }
    buf_puts(c, "\n");
  }
  /* The model: the run function (after the weights, embedded or not). */
  bool threaded = emit_threads(e) > 1;
  c = tail;
  buf_puts(c, "/* ================= model ================= */\n\n");
  if (threaded) {
    buf_printf(c,
               "/* What a task function needs of the run (see the tasks below). */\n"
               "typedef struct task_ctx {\n  const %s_inputs *in;\n  const %s_outputs *out;\n  unsigned char *w;\n%s} task_ctx;\n\n"
               "/* ---- tasks: the split kernel calls of the parallel nodes ---- */\n\n",
               name, name, wfile ? "  const unsigned char *wt;\n" : "");
    buf_putn(c, e->tasks.s ? e->tasks.s : "", e->tasks.len);
    buf_printf(c,
               "/* The run, on the pool's workers (pool NULL: on this thread). */\n"
               "static int run(const %s_inputs *in, const %s_outputs *out, %s_workspace *ws, vitc_pool *pool) {\n",
               name, name, name);
  } else if (e->opt->trace) {
    buf_puts(c, "/* ---- --trace: the node table and the hooks (NAME_run_traced) ---- */\n\n");
    buf_putn(c, e->trace_table.s ? e->trace_table.s : "", e->trace_table.len);
    buf_printf(c,
               "static double trace_before(const %s_trace *tr, int node, void *const *inputs) {\n"
               "  if (!tr) return 0;\n"
               "  if (tr->before) tr->before(tr->user, node, inputs);\n"
               "  return tr->now ? tr->now(tr->user) : 0;\n}\n\n"
               "static void trace_after(const %s_trace *tr, int node, void *const *outputs, double t0) {\n"
               "  double t1;\n"
               "  if (!tr) return;\n"
               "  t1 = tr->now ? tr->now(tr->user) : 0;\n"
               "  if (tr->after) tr->after(tr->user, node, outputs, t1 - t0);\n}\n\n",
               name, name);
    buf_printf(c, "int %s_run_traced(const %s_inputs *in, const %s_outputs *out, %s_workspace *ws, const %s_trace *tr) {\n",
               name, name, name, name, name);
    buf_puts(c, "  double trace_t0;\n");
  } else {
    buf_printf(c, "int %s_run(const %s_inputs *in, const %s_outputs *out, %s_workspace *ws) {\n", name, name, name, name);
  }
  buf_puts(c, "  unsigned char *const w = ws ? ws->bytes : NULL;\n");
  if (wfile) buf_puts(c, "  const unsigned char *const wt = ws ? ws->weights : NULL;\n");
  if (threaded) buf_puts(c, "  task_ctx ctx;\n");
  buf_puts(c, "  if (!in || !out || !ws) return VITC_ERR_NULL;\n");
  for (int i = 0; i < g->n_inputs; i++) buf_printf(c, "  if (!in->%s) return VITC_ERR_NULL;\n", in_names[i]);
  for (int i = 0; i < g->n_outputs; i++) buf_printf(c, "  if (!out->%s) return VITC_ERR_NULL;\n", out_names[i]);
  if (wfile) buf_puts(c, "  if (!wt) return VITC_ERR_WEIGHTS_UNBOUND;\n");
  buf_puts(c, wfile ? "  (void)w;\n  (void)wt;\n" : "  (void)w;\n");
  if (threaded) buf_printf(c, "  ctx.in = in;\n  ctx.out = out;\n  ctx.w = w;\n%s  (void)ctx;\n  (void)pool;\n", wfile ? "  ctx.wt = wt;\n" : "");
  buf_putn(c, e->body.s ? e->body.s : "", e->body.len);
  buf_puts(c, "  return VITC_OK;\n}\n");
  if (e->opt->trace)
    buf_printf(c, "\nint %s_run(const %s_inputs *in, const %s_outputs *out, %s_workspace *ws) {\n"
                  "  return %s_run_traced(in, out, ws, NULL);\n}\n", name, name, name, name, name);
  if (threaded)
    buf_printf(c,
               "\nint %s_run(const %s_inputs *in, const %s_outputs *out, %s_workspace *ws) {\n"
               "  return run(in, out, ws, NULL);\n}\n\n"
               "int %s_run_pool(const %s_inputs *in, const %s_outputs *out, %s_workspace *ws, vitc_pool *pool) {\n"
               "  if (pool && vitc_pool_threads(pool) > %s_THREADS) return VITC_ERR_POOL;\n"
               "  return run(in, out, ws, pool);\n}\n",
               name, name, name, name, name, name, name, name, NAME);
  if (wfile)
    buf_printf(c,
               "\nint %s_bind_weights(%s_workspace *ws, const void *bytes, size_t len) {\n"
               "  int rc;\n"
               "  if (!ws) return VITC_ERR_NULL;\n"
               "  rc = vitc_weights_check_header(bytes, len, %s_WEIGHTS_ID, %s_WEIGHTS_BYTES - VITC_WEIGHTS_HEADER);\n"
               "  ws->weights = rc == VITC_OK ? (const unsigned char *)bytes : NULL;\n"
               "  return rc;\n}\n\n"
               "int %s_check_weights(const void *bytes, size_t len) {\n"
               "  return vitc_weights_check_all(bytes, len, %s_WEIGHTS_ID, %s_WEIGHTS_BYTES - VITC_WEIGHTS_HEADER);\n}\n",
               name, name, NAME, NAME, name, NAME, NAME);
}

static const char *dtype_macro(DType t) {
  switch (t) {
  case DT_FLOAT: return "float";
  default: return dtype_ctype(t);
  }
}

static void write_harness(Emitter *e, Buf *m, char **in_names, char **out_names) {
  Graph *g = e->g;
  const char *name = e->opt->name;
  const char *NAME = upper(e, name);
  const char *tmpl = embedded_file("runtime/harness_main.c.in");
  if (!tmpl) vitc_die("runtime/harness_main.c.in is not built in");
  Buf bind = {0};
  for (int i = 0; i < g->n_inputs; i++)
    buf_printf(&bind, "  in.%s = (const %s *)bufs[%d];\n", in_names[i], dtype_macro(g->t[g->inputs[i]].dtype), i);
  for (int i = 0; i < g->n_outputs; i++)
    buf_printf(&bind, "  out.%s = (%s *)bufs[%d];\n", out_names[i], dtype_macro(g->t[g->outputs[i]].dtype),
               g->n_inputs + i);
  Buf table = {0};
  for (int i = 0; i < g->n_inputs; i++)
    buf_printf(&table, "  {%s_INPUT%d_NAME, %s_INPUT%d_BYTES, 0},\n", NAME, i, NAME, i);
  for (int i = 0; i < g->n_outputs; i++)
    buf_printf(&table, "  {%s_OUTPUT%d_NAME, %s_OUTPUT%d_BYTES, 1},\n", NAME, i, NAME, i);
  emit_file_banner(m, e->opt, fmt(e, "%s_main.c: command-line harness for model '%s'.", name, name));
  for (const char *p = tmpl; *p;) {
    if (*p == '@') {
      const char *q = strchr(p + 1, '@');
      if (q) {
        size_t k = (size_t)(q - p - 1);
        if (k == 4 && strncmp(p + 1, "NAME", 4) == 0) { buf_puts(m, name); p = q + 1; continue; }
        if (k == 5 && strncmp(p + 1, "UNAME", 5) == 0) { buf_puts(m, NAME); p = q + 1; continue; }
        if (k == 4 && strncmp(p + 1, "BIND", 4) == 0) { buf_puts(m, bind.s ? bind.s : ""); p = q + 1; continue; }
        if (k == 7 && strncmp(p + 1, "TENSORS", 7) == 0) { buf_puts(m, table.s ? table.s : ""); p = q + 1; continue; }
        /* @RUN@: the call that runs the model; @POOL@ starts a line kept only in a
         * bundle with a pool (--threads) */
        if (k == 3 && strncmp(p + 1, "RUN", 3) == 0) {
          if (emit_threads(e) > 1) buf_printf(m, "%s_run_pool(&in, &out, ws, pool)", name);
          else buf_printf(m, "%s_run(&in, &out, ws)", name);
          p = q + 1;
          continue;
        }
        if (k == 4 && strncmp(p + 1, "POOL", 4) == 0) {
          p = q + 1;
          if (emit_threads(e) == 1) { /* drop the rest of the line and its newline */
            const char *eol = strchr(p, '\n');
            p = eol ? eol + 1 : p + strlen(p);
          }
          continue;
        }
        /* @NOTRACE@ starts a line kept only in a bundle without --trace */
        if (k == 7 && strncmp(p + 1, "NOTRACE", 7) == 0) {
          p = q + 1;
          if (e->opt->trace) {
            const char *eol = strchr(p, '\n');
            p = eol ? eol + 1 : p + strlen(p);
          }
          continue;
        }
        /* @TRACE@ starts a line kept only in a traced bundle (--trace) */
        if (k == 5 && strncmp(p + 1, "TRACE", 5) == 0) {
          p = q + 1;
          if (!e->opt->trace) {
            const char *eol = strchr(p, '\n');
            p = eol ? eol + 1 : p + strlen(p);
          }
          continue;
        }
        /* @WFILE@ starts a line kept only in a bundle with --weights file */
        if (k == 5 && strncmp(p + 1, "WFILE", 5) == 0) {
          p = q + 1;
          if (!e->opt->weights_file) {
            const char *eol = strchr(p, '\n');
            p = eol ? eol + 1 : p + strlen(p);
          }
          continue;
        }
      }
    }
    buf_putn(m, p, 1);
    p++;
  }
  buf_free(&bind);
  buf_free(&table);
}

/* The emitter's state before the first node: names of tensors, inputs and outputs. */
static void emitter_init(Emitter *e, Graph *g, const Plan *plan, const EmitOptions *opt, char ***in_names,
                         char ***out_names) {
  /* scratch sizes depend on the target's kernels (the packed GEMM's tile) */
  if (plan->target != opt->target)
    vitc_die("emitting for target %s, but the workspace was planned for %s", opt->target->name,
             plan->target ? plan->target->name : "no target");
  e->g = g;
  e->plan = plan;
  e->opt = opt;
  e->expr = xcalloc((size_t)g->nt + 1, sizeof(char *));
  e->cname = xcalloc((size_t)g->nt + 1, sizeof(char *));
  e->const_used = xcalloc((size_t)g->nt + 1, 1);
  for (int t = 0; t < g->nt; t++) {
    const TensorPlan *tp = &plan->t[t];
    if (tp->kind == ST_CONST) e->cname[t] = sanitize("w_", g->t[t].name);
    else if (tp->kind == ST_WORKSPACE) e->cname[t] = sanitize("t_", g->t[t].name);
  }
  uniquify(e->cname, g->nt);
  io_names(e, in_names, out_names);
  for (int i = 0; i < g->n_inputs; i++) e->expr[g->inputs[i]] = xstrdup(fmt(e, "in->%s", (*in_names)[i]));
  for (int i = 0; i < g->n_outputs; i++) e->expr[g->outputs[i]] = xstrdup(fmt(e, "out->%s", (*out_names)[i]));
}

static void emitter_free(Emitter *e, char **in_names);

int emit_bundle(Graph *g, const Plan *plan, const EmitOptions *opt) {
  Emitter E = {0};
  Emitter *e = &E;
  char **in_names, **out_names;
  emitter_init(e, g, plan, opt, &in_names, &out_names);
  Buf h = {0}, c = {0}, tail = {0}, m = {0};
  OutFile weights_of = {0};
  int rc = mkdir_p(opt->out_dir);
  if (rc == 0) rc = emit_nodes(e, out_names);
  if (rc == 0) write_source(e, &c, &tail, in_names, out_names);
  if (rc == 0 && opt->weights_file) rc = write_weights_file(e, &weights_of, &c, &tail);
  if (rc == 0) write_header(e, &h, in_names, out_names);
  if (rc == 0 && opt->main_harness) write_harness(e, &m, in_names, out_names);
  /* Write everything under temporary names, then rename: all or nothing. NAME.c is
   * renamed last (NAME.weights just before it), and removed with NAME.weights if a
   * rename fails after others succeeded, so a failure never leaves a NAME.c next to
   * files of another compile. */
  OutFile files[7] = {{0}};
  int nf = 0;
  const char *rt = embedded_file("runtime/vitc_runtime.h");
  if (!rt) vitc_die("runtime/vitc_runtime.h is not built in");
  if (rc == 0) rc = write_file(&files[nf++], opt->out_dir, "vitc_runtime.h", rt, strlen(rt));
  if (emit_threads(e) > 1) { /* the pool, shipped only with --threads (docs/threads.md) */
    const char *ph = embedded_file("runtime/vitc_pool.h"), *pc = embedded_file("runtime/vitc_pool.c");
    if (!ph || !pc) vitc_die("runtime/vitc_pool.{c,h} are not built in");
    if (rc == 0) rc = write_file(&files[nf++], opt->out_dir, "vitc_pool.h", ph, strlen(ph));
    if (rc == 0) rc = write_file(&files[nf++], opt->out_dir, "vitc_pool.c", pc, strlen(pc));
  }
  if (rc == 0) rc = write_file(&files[nf++], opt->out_dir, fmt(e, "%s.h", opt->name), h.s, h.len);
  if (rc == 0 && opt->main_harness) rc = write_file(&files[nf++], opt->out_dir, fmt(e, "%s_main.c", opt->name), m.s, m.len);
  if (weights_of.tmp_path) files[nf++] = weights_of; /* even after a failure: cleaned up below */
  if (rc == 0)
    rc = write_file_parts(&files[nf++], opt->out_dir, fmt(e, "%s.c", opt->name), c.s, c.len, e,
                          opt->weights_file ? NULL : write_embedded_weights, &tail);
  int renamed = 0;
  for (int i = 0; i < nf && rc == 0; i++) {
    if (rename(files[i].tmp_path, files[i].final_path) != 0)
      rc = vitc_err("cannot rename %s: %s", files[i].tmp_path, strerror(errno));
    else renamed++;
  }
  if (rc != 0 && renamed > 0) { /* NAME.c (and NAME.weights) of an older compile, or renamed just now */
    unlink(files[nf - 1].final_path);
    if (weights_of.tmp_path) unlink(weights_of.final_path);
  }
  for (int i = 0; i < nf; i++) {
    if (rc != 0 && files[i].tmp_path) unlink(files[i].tmp_path);
    free(files[i].tmp_path);
    free(files[i].final_path);
  }
  buf_free(&h);
  buf_free(&c);
  buf_free(&tail);
  buf_free(&m);
  emitter_free(e, in_names);
  return rc;
}

static void emitter_free(Emitter *e, char **in_names) {
  Graph *g = e->g;
  buf_free(&e->kernels);
  free(e->weights);
  buf_free(&e->body);
  buf_free(&e->tasks);
  buf_free(&e->task_body);
  for (int t = 0; t < g->nt; t++) {
    free(e->expr[t]);
    free(e->cname[t]);
  }
  free(e->expr);
  free(e->cname);
  free(e->const_used);
  for (int i = 0; i < e->n_packed; i++) {
    free(e->packed[i].cname);
    free(e->packed[i].comment);
    free(e->packed[i].data);
  }
  free(e->packed);
  free(e->packed_names.slot);
  for (int i = 0; i < e->n_isa_cache; i++) free(e->isa_cache[i].base);
  free(e->isa_cache);
  for (int i = 0; i < g->n_inputs + g->n_outputs; i++) free(in_names[i]);
  free(in_names);
  for (int i = 0; i < e->n_pasted; i++) free(e->pasted[i]);
  free(e->pasted);
  for (int i = 0; i < e->n_strs; i++) free(e->strs[i]);
  free(e->strs);
  buf_free(&e->trace_table);
}

int emit_kernels(Graph *g, const Plan *plan, const EmitOptions *opt, EmitKernelsFn cb, void *ctx) {
  Emitter E = {0};
  Emitter *e = &E;
  char **in_names, **out_names;
  emitter_init(e, g, plan, opt, &in_names, &out_names);
  e->node_kernels = xcalloc((size_t)g->nn + 1, sizeof(Buf));
  int rc = emit_nodes(e, out_names); /* the lowering of every node; nothing is written */
  for (int i = 0; rc == 0 && i < g->nn; i++) cb(ctx, i, e->node_kernels[i].s ? e->node_kernels[i].s : "");
  for (int i = 0; i < g->nn; i++) buf_free(&e->node_kernels[i]);
  free(e->node_kernels);
  emitter_free(e, in_names);
  return rc;
}
