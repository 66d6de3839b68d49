/* verify/verify.c: `vitc verify`, regression-testing a model's bundle for the user.
 *
 *   vitc verify MODEL.onnx [--target T] [--shape IN=DxD...]... [--input NAME=FILE]...
 *               [--random N] [--seed S] [--rtol R] [--runner CMD] [--per-node]
 *               [--expect FILE]... [--strict-nan] [--keep]
 *
 * It does what the project's own tests do, for any model, target and board: compile
 * the model with --main (this vitc binary, run as a child), build the program with
 * the target's C flags (CC, or the cross compiler for neon off ARM), run it (under
 * qemu-aarch64 for neon on x86, or through --runner CMD, e.g. a script that copies
 * the program to a board), run ONNX Runtime on the same inputs (vitc_ort.js, a node
 * script installed next to vitc, evaluating the graph as written), and compare each
 * output: max abs error, max ULP distance, relative L2 error, cosine similarity,
 * PASS or FAIL against max abs <= rtol * max(1, max |ref|), the tolerance the
 * project's tests use. --expect FILE (one per output, in order) compares with
 * reference outputs the user brings instead of ONNX Runtime.
 *
 * --per-node compiles a traced bundle (vitc compile --trace) and runs it with
 * --dump, runs ONNX Runtime with every dumped tensor exposed as a graph output, and
 * compares tensor by tensor in the order the bundle runs its nodes: the first node
 * whose output is outside the tolerance is named by its ONNX node, with its error
 * and its inputs' errors (an input within tolerance and an output outside it is a
 * node that diverges by itself, not one that inherits an error).
 *
 * Exit status: 0 everything within tolerance, 1 a mismatch, 2 a usage or setup
 * error (no compiler, no node or onnxruntime-node, unreadable files, a model vitc
 * cannot compile). */
#define _GNU_SOURCE
#include "verify/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir/diag.h"
#include "ir/graph.h"
#include "passes/passes.h"

/* ---------------- helpers (verify.h) ---------------- */

char *vx_printf(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = vsnprintf(NULL, 0, f, ap);
  va_end(ap);
  char *s = xmalloc((unsigned long)n + 1);
  va_start(ap, f);
  vsnprintf(s, (size_t)n + 1, f, ap);
  va_end(ap);
  return s;
}

int vx_run(char *const *argv, const char *out_path, const char *err_path) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    if (out_path) {
      int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) dup2(fd, 1), close(fd);
    }
    if (err_path) {
      int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) dup2(fd, 2), close(fd);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return 127;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}

char *vx_tmpdir(const char *what) {
  const char *t = getenv("TMPDIR");
  char *tmpl = vx_printf("%s/vitc-%s-XXXXXX", t && *t ? t : "/tmp", what);
  if (!mkdtemp(tmpl)) {
    vitc_err("cannot create a folder %s: %s", tmpl, strerror(errno));
    free(tmpl);
    return NULL;
  }
  return tmpl;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
  (void)sb, (void)flag, (void)f;
  remove(p);
  return 0;
}

void vx_rm_rf(const char *path) { nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

char *vx_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *s = xmalloc(cap + 1);
  for (size_t k; (k = fread(s + n, 1, cap - n, f)) > 0;) {
    n += k;
    if (n == cap) s = xrealloc(s, (cap *= 2) + 1);
  }
  fclose(f);
  s[n] = 0;
  if (len) *len = n;
  return s;
}

/* Split a command line on spaces into argv entries appended at *n. */
static void split_words(const char *s, char **out, int *n, int max) {
  char *copy = xstrdup(s), *save = NULL;
  for (char *w = strtok_r(copy, " \t", &save); w && *n < max; w = strtok_r(NULL, " \t", &save)) out[(*n)++] = xstrdup(w);
  free(copy);
}

static bool host_is_arm64(void) {
#if defined(__aarch64__)
  return true;
#else
  return false;
#endif
}

static bool cross_neon(const Target *t) { return strcmp(t->name, "neon") == 0 && !host_is_arm64(); }

/* This binary, to run `vitc compile` as a child. */
static char *self_exe(void) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return xstrdup("vitc");
  buf[n] = 0;
  return xstrdup(buf);
}

int vx_build(VxBuild *b) {
  char *self = self_exe();
  char *bundle = vx_printf("%s/bundle", b->dir);
  char *argv[128];
  int n = 0;
  argv[n++] = self;
  argv[n++] = "compile";
  argv[n++] = (char *)b->model;
  argv[n++] = "-o";
  argv[n++] = bundle;
  argv[n++] = "--target";
  argv[n++] = (char *)b->target->name;
  argv[n++] = "--name";
  argv[n++] = "model";
  argv[n++] = "--main";
  argv[n++] = "-q";
  if (b->trace) argv[n++] = "--trace";
  if (b->strict_nan) argv[n++] = "--strict-nan";
  for (int i = 0; i < b->n_ov && n < 120; i++) argv[n++] = "--shape", argv[n++] = b->shape_args[i];
  argv[n] = NULL;
  char *err = vx_printf("%s/compile.err", b->dir), *out = vx_printf("%s/compile.out", b->dir);
  int rc = vx_run(argv, out, err);
  if (rc != 0) {
    char *msg = vx_read(err, NULL);
    fprintf(stderr, "%svitc verify: vitc compile %s failed (exit status %d)\n", msg ? msg : "", b->model, rc);
    free(msg);
    free(self), free(bundle), free(err), free(out);
    return 2;
  }
  /* cc: $CC for the host's targets; for neon off ARM $VITC_CROSS_CC or aarch64-linux-gnu-gcc */
  const char *cc = cross_neon(b->target) ? getenv("VITC_CROSS_CC") : getenv("CC");
  if (!cc || !*cc) cc = cross_neon(b->target) ? "aarch64-linux-gnu-gcc" : "cc";
  char *cv[160];
  int m = 0;
  split_words(cc, cv, &m, 16);
  split_words("-std=c99 -O2", cv, &m, 32);
  if (b->extra_cflags) split_words(b->extra_cflags, cv, &m, 48);
  const char *env_flags = getenv("VITC_CFLAGS"); /* e.g. a toolchain's -march (vitc_add_model VERIFY) */
  if (env_flags && *env_flags) split_words(env_flags, cv, &m, 64);
  split_words(b->target->cflags, cv, &m, 80);
  b->prog = vx_printf("%s/prog", b->dir);
  cv[m++] = vx_printf("-I%s", bundle);
  cv[m++] = xstrdup("-o");
  cv[m++] = xstrdup(b->prog);
  cv[m++] = vx_printf("%s/model.c", bundle);
  cv[m++] = b->driver ? xstrdup(b->driver) : vx_printf("%s/model_main.c", bundle);
  cv[m++] = xstrdup("-lm");
  cv[m] = NULL;
  char *cerr = vx_printf("%s/cc.err", b->dir);
  rc = vx_run(cv, NULL, cerr);
  if (rc != 0) {
    char *msg = vx_read(cerr, NULL);
    if (rc == 127)
      fprintf(stderr, "vitc verify: cannot run the C compiler '%s'%s\n", cv[0],
              cross_neon(b->target) ? " (apt-get install gcc-aarch64-linux-gnu, or set VITC_CROSS_CC)" : " (set CC)");
    else
      fprintf(stderr, "%.2000svitc verify: building the bundle with %s failed (exit status %d)\n", msg ? msg : "", cv[0], rc);
    free(msg);
  }
  for (int i = 0; i < m; i++) free(cv[i]);
  free(cerr);
  free(self), free(bundle), free(err), free(out);
  return rc ? 2 : 0;
}

char **vx_prog_argv(const VxBuild *b, int extra, int *argc) {
  char **v = xcalloc((size_t)extra + 40, sizeof(char *));
  int n = 0;
  if (b->runner) split_words(b->runner, v, &n, 32);
  else if (cross_neon(b->target)) split_words("qemu-aarch64 -L /usr/aarch64-linux-gnu", v, &n, 32);
  v[n++] = xstrdup(b->prog);
  *argc = n;
  return v;
}

/* ---------------- comparing ---------------- */

typedef struct Metrics {
  double max_abs, max_ref, tol, rel_l2, cosine;
  int64_t max_ulp;
  size_t nan_mismatch;
  bool ok;
} Metrics;

static int64_t ordered(float f) {
  int32_t i;
  memcpy(&i, &f, 4);
  return i < 0 ? (int64_t)INT32_MIN - i : i;
}

static void compare_f32(const float *g, const float *r, size_t n, double rtol, Metrics *m) {
  memset(m, 0, sizeof *m);
  double dd = 0, rr = 0, gg = 0, gr = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(g[i]) || isnan(r[i]) || isinf(g[i]) || isinf(r[i])) {
      if (!(isnan(g[i]) && isnan(r[i])) && g[i] != r[i]) m->nan_mismatch++;
      continue;
    }
    double d = fabs((double)g[i] - r[i]);
    if (d > m->max_abs) m->max_abs = d;
    if (fabs(r[i]) > m->max_ref) m->max_ref = fabs(r[i]);
    int64_t u = ordered(g[i]) - ordered(r[i]);
    if (u < 0) u = -u;
    if (u > m->max_ulp) m->max_ulp = u;
    dd += d * d, rr += (double)r[i] * r[i], gg += (double)g[i] * g[i], gr += (double)g[i] * r[i];
  }
  m->rel_l2 = rr > 0 ? sqrt(dd / rr) : sqrt(dd);
  m->cosine = gg > 0 && rr > 0 ? gr / sqrt(gg * rr) : (gg == rr ? 1 : 0);
  m->tol = rtol * (m->max_ref > 1 ? m->max_ref : 1);
  m->ok = m->max_abs <= m->tol && !m->nan_mismatch;
}

/* Integers and bools: equal or not (max_abs counts the elements that differ). */
static void compare_bytes(const unsigned char *g, const unsigned char *r, size_t n, size_t esize, Metrics *m) {
  memset(m, 0, sizeof *m);
  for (size_t i = 0; i < n; i++)
    if (memcmp(g + i * esize, r + i * esize, esize)) m->max_abs++;
  m->cosine = 1;
  m->ok = m->max_abs == 0;
}

static void print_metrics(const char *what, const Metrics *m) {
  printf("%s max_abs %.3g (tol %.3g) max_ulp %" PRId64 " rel_l2 %.3g cosine %.7f", what, m->max_abs, m->tol, m->max_ulp,
         m->rel_l2, m->cosine);
  if (m->nan_mismatch) printf(" nan/inf_mismatch %zu", m->nan_mismatch);
  printf(" %s\n", m->ok ? "PASS" : "FAIL");
}

/* Compare two files of n elements of dtype dt; false with *why if they cannot be. */
static bool compare_files(const char *got, const char *ref, DType dt, size_t numel, double rtol, Metrics *m,
                          char **why) {
  size_t lg = 0, lr = 0, bytes = numel * dtype_size(dt);
  char *g = vx_read(got, &lg), *r = vx_read(ref, &lr);
  bool ok = true;
  if (!g || !r) *why = vx_printf("cannot read %s", !g ? got : ref), ok = false;
  else if (lr != bytes) *why = vx_printf("%s has %zu bytes, the output has %zu", ref, lr, bytes), ok = false;
  else if (lg != bytes) *why = vx_printf("%s has %zu bytes, the output has %zu", got, lg, bytes), ok = false;
  else if (dt == DT_FLOAT) compare_f32((const float *)(void *)g, (const float *)(void *)r, numel, rtol, m);
  else compare_bytes((unsigned char *)g, (unsigned char *)r, numel, dtype_size(dt), m);
  free(g), free(r);
  return ok;
}

/* ---------------- random inputs ---------------- */

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Input k of set j: floats uniform in [-1, 1), integers in [0, 8), bools 0/1. */
int vx_write_driver(const char *tmpl, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  for (const char *p = tmpl; *p; p++) {
    if (strncmp(p, "@NAME@", 6) == 0) fputs("model", f), p += 5;
    else if (strncmp(p, "@UNAME@", 7) == 0) fputs("MODEL", f), p += 6;
    else fputc(*p, f);
  }
  return fclose(f) ? -1 : 0;
}

int vx_write_random(const char *path, const Tensor *t, unsigned long long seed, int set, int k) {
  size_t n = (size_t)shape_numel(&t->shape), es = dtype_size(t->dtype);
  unsigned char *p = xmalloc(n * es + 1);
  uint64_t s = seed * 0x100000001B3u + (uint64_t)set * 0x10001u + (uint64_t)k;
  for (size_t i = 0; i < n; i++) {
    uint64_t r = splitmix(&s);
    switch (t->dtype) {
    case DT_FLOAT: {
      float f = (float)((double)(r >> 40) / 16777216.0 * 2 - 1);
      memcpy(p + i * 4, &f, 4);
      break;
    }
    case DT_BOOL: p[i] = r >> 63; break;
    default: {
      int64_t v = (int64_t)(r >> 61);
      memcpy(p + i * es, &v, es); /* little-endian: the low bytes */
    }
    }
  }
  FILE *f = fopen(path, "wb");
  int rc = f && fwrite(p, 1, n * es, f) == n * es ? 0 : -1;
  if (f && fclose(f)) rc = -1;
  free(p);
  return rc;
}

/* ---------------- ONNX Runtime ---------------- */

/* vitc_ort.js: $VITC_ORT_SCRIPT, else share/vitc/ next to the binary (build tree) or
 * in ../share/vitc (install). */
static char *find_ort_script(void) {
  const char *env = getenv("VITC_ORT_SCRIPT");
  if (env && *env) return xstrdup(env);
  char *self = self_exe();
  char *slash = strrchr(self, '/');
  if (slash) *slash = 0;
  const char *rel[] = {"share/vitc/vitc_ort.js", "../share/vitc/vitc_ort.js"};
  for (int i = 0; i < 2; i++) {
    char *p = vx_printf("%s/%s", self, rel[i]);
    if (access(p, R_OK) == 0) return free(self), p;
    free(p);
  }
  free(self);
  return NULL;
}

/* NODE_PATH for the script: $VITC_NODE_MODULES, the script's node_modules, and the
 * source tree's tests/ort/node_modules of a build tree, before the user's NODE_PATH. */
static void set_node_path(const char *script) {
  const char *mine = getenv("VITC_NODE_MODULES"), *old = getenv("NODE_PATH");
  char *dir = xstrdup(script);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
#ifdef VITC_SOURCE_NODE_MODULES
  const char *src = VITC_SOURCE_NODE_MODULES;
#else
  const char *src = "";
#endif
  char *np = vx_printf("%s%s%s/node_modules:%s%s%s", mine ? mine : "", mine ? ":" : "", dir, src, old ? ":" : "",
                       old ? old : "");
  setenv("NODE_PATH", np, 1);
  free(np);
  free(dir);
}

static const char *install_hint =
    "install it with: npm install --prefix DIR onnxruntime-node, then set VITC_NODE_MODULES=DIR/node_modules "
    "(or install it into the folder of vitc_ort.js); needs node (apt-get install nodejs); docs/verify.md";

/* Runs vitc_ort.js on the inputs; 0, or 2 with a message. */
static int run_ort(const char *model, char **inputs, int n_in, char *const *shape_args, int n_ov, const char *out_dir,
                   const char *extra, const char *work) {
  char *script = find_ort_script();
  if (!script) {
    fprintf(stderr, "vitc verify: vitc_ort.js not found next to vitc (share/vitc/ or ../share/vitc/; or set "
                    "VITC_ORT_SCRIPT)\n");
    return 2;
  }
  set_node_path(script);
  const char *node = getenv("VITC_NODE");
  char **v = xcalloc((size_t)(2 * n_in + 2 * n_ov + 12), sizeof(char *));
  int n = 0;
  v[n++] = (char *)(node && *node ? node : "node");
  v[n++] = script;
  v[n++] = (char *)model;
  for (int i = 0; i < n_in; i++) v[n++] = "--in", v[n++] = inputs[i];
  for (int i = 0; i < n_ov; i++) v[n++] = "--shape", v[n++] = shape_args[i];
  v[n++] = "--out-dir";
  v[n++] = (char *)out_dir;
  if (extra) v[n++] = "--extra", v[n++] = (char *)extra;
  char *err = vx_printf("%s/ort.err", work);
  int rc = vx_run(v, NULL, err);
  char *msg = vx_read(err, NULL);
  if (rc == 127) fprintf(stderr, "vitc verify: cannot run node: %s\n", install_hint);
  else if (rc == 3) fprintf(stderr, "%svitc verify: onnxruntime-node is missing: %s\n", msg ? msg : "", install_hint);
  else if (rc != 0) fprintf(stderr, "%svitc verify: ONNX Runtime failed (exit status %d)\n", msg ? msg : "", rc);
  free(msg), free(err), free(v), free(script);
  return rc ? 2 : 0;
}

/* ---------------- --per-node ---------------- */

typedef struct DumpNode {
  char *name, *op, *onnx_node, *covers, *inputs;
} DumpNode;

typedef struct DumpTensor {
  int node;
  char *name, *file;
  DType dt;
  size_t numel;
  bool compared;
  Metrics m;
} DumpTensor;

static DType dtype_of(const char *s) {
  if (strcmp(s, "float32") == 0) return DT_FLOAT;
  if (strcmp(s, "int64") == 0) return DT_INT64;
  if (strcmp(s, "int32") == 0) return DT_INT32;
  if (strcmp(s, "bool") == 0) return DT_BOOL;
  if (strcmp(s, "uint8") == 0) return DT_UINT8;
  if (strcmp(s, "int8") == 0) return DT_INT8;
  if (strcmp(s, "float64") == 0) return DT_DOUBLE;
  return DT_UNDEFINED;
}

static int split_tabs(char *line, char **f, int max) {
  int n = 0;
  f[n++] = line;
  for (char *p = line; *p && n < max; p++)
    if (*p == '\t') *p = 0, f[n++] = p + 1;
  return n;
}

static const DumpTensor *find_dumped(const DumpTensor *t, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(t[i].name, name) == 0) return &t[i];
  return NULL;
}

/* The exported model's op of an ONNX node, by name. */
static const char *onnx_op(const Graph *x, const char *node) {
  for (int i = 0; i < x->nn; i++)
    if (strcmp(x->n[i].name, node) == 0) return op_name(x->n[i].op);
  return "?";
}

static int per_node(const Graph *x, const char *model, const VxBuild *b, char **inputs, int n_in,
                    char *const *shape_args, int n_ov, double rtol, const char *work) {
  char *dump = vx_printf("%s/dump", work), *ortd = vx_printf("%s/ort_nodes", work);
  mkdir(dump, 0755);
  int argc;
  char **v = vx_prog_argv(b, 2 * n_in + 8, &argc);
  for (int i = 0; i < n_in; i++) v[argc++] = xstrdup("--in"), v[argc++] = xstrdup(inputs[i]);
  for (int i = 0; i < x->n_outputs; i++) v[argc++] = xstrdup("--out"), v[argc++] = xstrdup("/dev/null");
  v[argc++] = xstrdup("--dump");
  v[argc++] = xstrdup(dump);
  char *err = vx_printf("%s/dump.err", work);
  int rc = vx_run(v, NULL, err);
  for (int i = 0; i < argc; i++) free(v[i]);
  free(v);
  if (rc) {
    char *msg = vx_read(err, NULL);
    fprintf(stderr, "%svitc verify: the traced program failed (exit status %d)\n", msg ? msg : "", rc);
    free(msg);
    return 2;
  }
  char *ipath = vx_printf("%s/index.tsv", dump);
  char *index = vx_read(ipath, NULL);
  if (!index) return fprintf(stderr, "vitc verify: no dump index %s\n", ipath), 2;
  DumpNode *nodes = NULL;
  DumpTensor *ts = NULL;
  int nn = 0, nt = 0;
  char *names = vx_printf("%s/names.txt", work);
  FILE *nf = fopen(names, "w");
  for (char *save = NULL, *line = strtok_r(index, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *f[8];
    int k = split_tabs(line, f, 8);
    if (strcmp(f[0], "node") == 0 && k >= 7) {
      nodes = xrealloc(nodes, sizeof(DumpNode) * (size_t)(nn + 1));
      nodes[nn++] = (DumpNode){f[2], f[3], f[4], f[5], f[6]};
    } else if (strcmp(f[0], "tensor") == 0 && k >= 7) {
      bool is_output = false; /* graph outputs are compared as outputs */
      for (int o = 0; o < x->n_outputs; o++)
        if (strcmp(x->t[x->outputs[o]].name, f[3]) == 0) is_output = true;
      int xt = graph_find_tensor(x, f[3]);
      if (is_output || xt < 0 || x->t[xt].is_input || x->t[xt].data) continue;
      size_t numel = 1;
      for (char *p = f[5]; *p;) {
        numel *= (size_t)strtoull(p, &p, 10);
        if (*p == 'x') p++;
      }
      ts = xrealloc(ts, sizeof(DumpTensor) * (size_t)(nt + 1));
      ts[nt++] = (DumpTensor){atoi(f[1]), f[3], vx_printf("%s/%s", dump, f[6]), dtype_of(f[4]), numel, false, {0, 0, 0, 0, 0, 0, 0, false}};
      fprintf(nf, "%s\n", f[3]);
    }
  }
  fclose(nf);
  rc = run_ort(model, inputs, n_in, shape_args, n_ov, ortd, names, work);
  if (rc) return rc;
  for (int i = 0; i < nt; i++) {
    char *ref = vx_printf("%s/extra%d.bin", ortd, i), *why = NULL;
    if (access(ref, R_OK) == 0 && ts[i].dt != DT_UNDEFINED)
      ts[i].compared = compare_files(ts[i].file, ref, ts[i].dt, ts[i].numel, rtol, &ts[i].m, &why);
    free(ref), free(why);
  }
  int compared = 0, first = -1;
  for (int i = 0; i < nt; i++) {
    if (!ts[i].compared) continue;
    compared++;
    if (!ts[i].m.ok && first < 0) first = i;
  }
  printf("per-node: %d intermediate tensors of %d nodes compared with ONNX Runtime\n", compared, nn);
  if (first < 0) {
    printf("per-node: every compared node within tolerance\n");
    return 0;
  }
  const DumpTensor *t = &ts[first];
  const DumpNode *dn = &nodes[t->node];
  const char *onnx = dn->onnx_node[0] ? dn->onnx_node : dn->name;
  printf("first divergent node: %s (%s) output %s max_abs %.3g > tol %.3g (max_ulp %" PRId64 ", rel_l2 %.3g, cosine %.7f); "
         "vitc node %d %s (%s)",
         onnx, onnx_op(x, onnx), t->name, t->m.max_abs, t->m.tol, t->m.max_ulp, t->m.rel_l2, t->m.cosine, t->node,
         dn->name, dn->op);
  if (strchr(dn->covers, ';')) printf(" covering %s", dn->covers);
  printf("; inputs:");
  char *ins = xstrdup(dn->inputs);
  for (char *save = NULL, *in = strtok_r(ins, ";", &save); in; in = strtok_r(NULL, ";", &save)) {
    const DumpTensor *it = find_dumped(ts, nt, in);
    int xt = graph_find_tensor(x, in);
    if (it && it->compared) printf(" %s max_abs %.3g (tol %.3g)", in, it->m.max_abs, it->m.tol);
    else if (xt >= 0 && x->t[xt].is_input) printf(" %s (graph input, exact)", in);
    else if (xt >= 0 && x->t[xt].data) printf(" %s (weight)", in);
    else printf(" %s (not compared)", in);
  }
  printf("\n");
  free(ins);
  return 1;
}

/* ---------------- the command ---------------- */

static int usage(void) {
  fprintf(stderr, "usage: vitc verify MODEL.onnx [--target T] [--shape IN=DxD...]... [--input NAME=FILE]...\n"
                  "                   [--random N] [--seed S] [--rtol R] [--runner CMD] [--per-node] [--expect FILE]...\n"
                  "                   [--strict-nan] [--keep]\n");
  return 2;
}

int verify_main(int argc, char **argv) {
  const char *model = NULL, *target_name = "scalar", *runner = NULL;
  char *shape_args[32], *input_args[32], *expect[32];
  ShapeOverride ov[32];
  int n_ov = 0, n_inputs = 0, n_expect = 0, random_sets = 0;
  unsigned long long seed = 0;
  double rtol = 1e-4;
  bool per_node_mode = false, keep = false;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    char *end;
#define TAKE(flag) (strcmp(s, flag) == 0 && (val ? (i++, 1) : (fprintf(stderr, "vitc verify: %s needs a value\n", flag), exit(2), 0)))
    if (TAKE("--target")) target_name = val;
    else if (TAKE("--shape")) {
      if (n_ov == 32 || shape_override_parse(val, &ov[n_ov])) return 2;
      shape_args[n_ov++] = (char *)val;
    } else if (TAKE("--input")) {
      if (n_inputs == 32 || !strchr(val, '=')) return fprintf(stderr, "vitc verify: --input expects NAME=FILE\n"), 2;
      input_args[n_inputs++] = (char *)val;
    } else if (TAKE("--random")) {
      random_sets = (int)strtol(val, &end, 10);
      if (*end || random_sets < 1 || random_sets > 10000) return fprintf(stderr, "vitc verify: --random needs a count >= 1\n"), 2;
    } else if (TAKE("--seed")) {
      seed = strtoull(val, &end, 10);
      if (*end) return fprintf(stderr, "vitc verify: --seed needs a number\n"), 2;
    } else if (TAKE("--rtol")) {
      rtol = strtod(val, &end);
      if (*end || !(rtol >= 0)) return fprintf(stderr, "vitc verify: --rtol needs a number >= 0\n"), 2;
    } else if (TAKE("--runner")) runner = val;
    else if (TAKE("--expect")) {
      if (n_expect == 32) return usage();
      expect[n_expect++] = (char *)val;
    } else if (strcmp(s, "--per-node") == 0) per_node_mode = true;
    else if (strcmp(s, "--keep") == 0) keep = true;
    else if (strcmp(s, "--strict-nan") == 0) vitc_strict_nan = true;
    else if (s[0] == '-') return fprintf(stderr, "vitc verify: unknown or incomplete option '%s'\n", s), usage();
    else if (!model) model = s;
    else return fprintf(stderr, "vitc verify: unexpected argument '%s'\n", s), usage();
#undef TAKE
  }
  if (!model) return fprintf(stderr, "vitc verify: no model given\n"), usage();
  const Target *target = target_find(target_name);
  if (!target && strcmp(target_name, "native") == 0) {
    char why[400];
    target = target_native(why, sizeof why);
  }
  if (!target) return fprintf(stderr, "vitc verify: unknown target '%s' (known: %s, native)\n", target_name, target_names()), 2;
  if (n_inputs && random_sets) return fprintf(stderr, "vitc verify: --input and --random exclude each other\n"), 2;
  if (n_expect && random_sets > 1) return fprintf(stderr, "vitc verify: --expect holds one set of outputs: --random 1\n"), 2;
  if (n_expect && per_node_mode) return fprintf(stderr, "vitc verify: --per-node compares with ONNX Runtime, not --expect\n"), 2;
  Graph *x = onnx_load(model, ov, n_ov); /* as exported: the ONNX names of --per-node */
  if (!x) return 2;
  Graph *fin = onnx_load(model, ov, n_ov); /* after the passes: the outputs' shapes */
  PipelineOptions po = {NULL, stderr, ""};
  if (!fin || run_pipeline(fin, &po)) return 2;
  if (n_expect && n_expect != x->n_outputs)
    return fprintf(stderr, "vitc verify: the model has %d output(s), %d --expect file(s) given\n", x->n_outputs, n_expect), 2;
  if (n_inputs && n_inputs != x->n_inputs)
    return fprintf(stderr, "vitc verify: the model has %d input(s), %d --input given\n", x->n_inputs, n_inputs), 2;
  if (!n_inputs && !random_sets) random_sets = 1;
  char *work = vx_tmpdir("verify");
  if (!work) return 2;
  VxBuild b = {model, target, ov, shape_args, n_ov, per_node_mode, runner, work, NULL, NULL, NULL, vitc_strict_nan};
  int rc = vx_build(&b);
  int sets = n_inputs ? 1 : random_sets;
  char **in_files = xcalloc((size_t)x->n_inputs + 1, sizeof(char *));
  int failed = 0;
  if (rc == 0) {
    printf("vitc verify: %s, target %s, %d input set%s", model, target->name, sets, sets > 1 ? "s" : "");
    if (n_inputs) printf(" (--input)");
    else printf(" (random, seed %llu)", seed);
    printf(", rtol %g, reference %s\n", rtol, n_expect ? "--expect files" : "ONNX Runtime");
  }
  for (int set = 0; rc == 0 && set < sets; set++) {
    /* the inputs */
    for (int k = 0; k < x->n_inputs; k++) {
      const Tensor *t = &x->t[x->inputs[k]];
      free(in_files[k]);
      if (n_inputs) {
        in_files[k] = NULL;
        for (int j = 0; j < n_inputs; j++) {
          size_t l = strlen(t->name);
          if (strncmp(input_args[j], t->name, l) == 0 && input_args[j][l] == '=') in_files[k] = xstrdup(input_args[j] + l + 1);
        }
        if (!in_files[k]) {
          fprintf(stderr, "vitc verify: no --input %s=FILE\n", t->name);
          rc = 2;
          break;
        }
        struct stat st;
        size_t bytes = (size_t)shape_numel(&t->shape) * dtype_size(t->dtype);
        if (stat(in_files[k], &st) != 0 || (size_t)st.st_size != bytes) {
          fprintf(stderr, "vitc verify: %s: input '%s' needs %zu bytes (%s)\n", in_files[k], t->name, bytes,
                  stat(in_files[k], &st) != 0 ? strerror(errno) : "size differs");
          rc = 2;
          break;
        }
      } else {
        in_files[k] = vx_printf("%s/input%d_%d.bin", work, set, k);
        if (vx_write_random(in_files[k], t, seed, set, k)) {
          fprintf(stderr, "vitc verify: cannot write %s\n", in_files[k]);
          rc = 2;
          break;
        }
      }
    }
    if (rc) break;
    /* the bundle */
    int pc;
    char **v = vx_prog_argv(&b, 2 * (x->n_inputs + x->n_outputs) + 2, &pc);
    char *prog_name = xstrdup(v[0]);
    for (int k = 0; k < x->n_inputs; k++) v[pc++] = xstrdup("--in"), v[pc++] = xstrdup(in_files[k]);
    for (int k = 0; k < x->n_outputs; k++) v[pc++] = xstrdup("--out"), v[pc++] = vx_printf("%s/got%d_%d.bin", work, set, k);
    char *perr = vx_printf("%s/prog.err", work);
    int prc = vx_run(v, NULL, perr);
    if (prc) {
      char *msg = vx_read(perr, NULL);
      fprintf(stderr, "%svitc verify: running the bundle (%s) failed (exit status %d)%s\n", msg ? msg : "", prog_name, prc,
              prc == 127 ? (cross_neon(target) && !runner ? ": install qemu-user (apt-get install qemu-user) or give --runner" : "")
                         : "");
      free(msg);
      rc = 2;
    }
    for (int k = 0; k < pc; k++) free(v[k]);
    free(v), free(perr), free(prog_name);
    if (rc) break;
    /* the reference */
    char *refdir = vx_printf("%s/ref%d", work, set);
    if (!n_expect) rc = run_ort(model, in_files, x->n_inputs, shape_args, n_ov, refdir, NULL, work);
    if (rc) break;
    for (int k = 0; k < x->n_outputs; k++) {
      const Tensor *t = &fin->t[fin->outputs[k]];
      char sb[160];
      char *got = vx_printf("%s/got%d_%d.bin", work, set, k);
      char *ref = n_expect ? xstrdup(expect[k]) : vx_printf("%s/output%d.bin", refdir, k);
      char set_label[32] = "";
      if (sets > 1) snprintf(set_label, sizeof set_label, "set %d ", set);
      char *what = vx_printf("%soutput %s %s%s:", set_label, t->name, dtype_name(t->dtype),
                             shape_str(&t->shape, sb, sizeof sb));
      Metrics m;
      char *why = NULL;
      if (!compare_files(got, ref, t->dtype, (size_t)shape_numel(&t->shape), rtol, &m, &why)) {
        printf("%s %s FAIL\n", what, why);
        failed++;
      } else {
        print_metrics(what, &m);
        failed += !m.ok;
      }
      free(got), free(ref), free(what), free(why);
    }
    free(refdir);
  }
  if (rc == 0 && per_node_mode) {
    int prc = per_node(x, model, &b, in_files, x->n_inputs, shape_args, n_ov, rtol, work);
    if (prc == 2) rc = 2;
    else failed += prc;
  }
  if (rc == 0) printf("vitc verify: %s\n", failed ? "FAIL" : "PASS");
  if (keep) fprintf(stderr, "vitc verify: work folder kept: %s\n", work);
  else vx_rm_rf(work);
  for (int k = 0; k < x->n_inputs; k++) free(in_files[k]);
  free(in_files);
  free(work);
  free(b.prog);
  graph_free(x);
  graph_free(fin);
  return rc ? rc : failed ? 1 : 0;
}
