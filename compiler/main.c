/* main.c: the vitc command line.
 *
 *   vitc compile MODEL.onnx -o DIR [--target T] [--name NAME] [--main] [--shape IN=1x3x224x224]...
 *                [--weights embed|file] [--const IN=FILE.pb|FILE.npy|1,2,3]...
 *   vitc inspect MODEL.onnx [--shape ...]
 *   vitc validate FILE.c --target T   (libclang checks of generated C, docs/validate.md)
 *   vitc verify MODEL.onnx [...]      (a bundle against ONNX Runtime, docs/verify.md)
 *   vitc analyze MODEL.onnx --entropy (NOSE's selection signal, docs/verify.md)
 *
 * Bad input ends with one "vitc: error: ..." line and exit status 1; usage errors
 * exit 2. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emit/emit.h"
#include "ir/diag.h"
#include "onnx/load.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "plan/plan.h"
#include "validate/validate.h"
#include "verify/verify.h"

#define VITC_VERSION "0.1.0"

static void usage(FILE *f) {
  fprintf(f,
          "usage:\n"
          "  vitc compile MODEL.onnx -o DIR [--target T] [--name NAME] [--main] [--shape INPUT=DxDx...]...\n"
          "               [--quantize int8 [--calibrate PATH | --calibrate-random N]]\n"
          "               [--const INPUT=FILE.pb|FILE.npy|v1,v2,...]...\n"
          "               [--dump-after PASS|all] [--strict-nan] [--threads N] [--weights embed|file] [--trace] [--quiet]\n"
          "  vitc inspect MODEL.onnx [--shape INPUT=DxDx...]... [--const INPUT=VALUE]... [--kernels [--target T]]\n"
          "  vitc validate FILE.c --target T [--triple TRIPLE] [--name NAME] [--harness]\n"
          "  vitc verify MODEL.onnx [--target T] [--shape ...] [--input NAME=FILE]... [--random N] [--seed S]\n"
          "              [--rtol R] [--runner CMD] [--per-node] [--expect FILE]... [--keep]\n"
          "  vitc analyze MODEL.onnx --entropy [--calibrate PATH | --random N] [--target T]\n"
          "  vitc targets            (each target's C flags; which one native picks here)\n"
          "  vitc --version\n"
          "\n"
          "compile writes DIR/NAME.c (model code and weights), DIR/NAME.h (its API) and\n"
          "DIR/vitc_runtime.h; with --main also DIR/NAME_main.c, a command-line harness.\n"
          "Build with: cc -O3 DIR/*.c -lm\n"
          "With --threads N > 1 also DIR/vitc_pool.{c,h}: build with cc -O3 -pthread DIR/*.c -lm\n"
          "With --weights file the weights go to DIR/NAME.weights, which the program loads\n"
          "(NAME_bind_weights; the harness: --weights PATH); the default, embed, keeps them in NAME.c\n"
          "targets: %s, native (default scalar)\n"
          "passes:",
          target_names());
  for (int i = 0; i < vitc_pipeline_len; i++) fprintf(f, " %s", vitc_pipeline[i].name);
  fprintf(f, "\n");
}

typedef struct Args {
  const char *cmd;
  const char *model;
  const char *out_dir;
  const char *target;
  const char *name;
  const char *dump_after;
  bool main_harness;
  bool strict_nan; /* --strict-nan: no pass that is exact only on finite activations */
  int threads;     /* --threads N: GEMMs and attention split over N workers (docs/threads.md) */
  bool weights_file; /* --weights file: weights in DIR/NAME.weights (runtime/vitc_weights.h) */
  bool trace;        /* --trace: NAME_run_traced and the node table (docs/verify.md) */
  bool kernels;      /* inspect --kernels: the kernel functions of each final node on --target */
  ShapeOverride ov[32];
  int n_ov;
  ConstOverride co[32]; /* --const NAME=FILE.pb|FILE.npy|v1,v2,... */
  int n_co;
  char *shape_args[32];  /* the --shape values as given (for the calibration's compile) */
  bool quantize;         /* --quantize int8 (passes/quantize_int8.c, docs/int8.md) */
  const char *calibrate; /* --calibrate PATH */
  long calibrate_random; /* --calibrate-random N */
} Args;

static int parse_args(int argc, char **argv, Args *a) {
  memset(a, 0, sizeof *a);
  a->target = "scalar";
  if (argc < 2) return 2;
  a->cmd = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *s = argv[i];
    const char *val = NULL;
#define OPTVAL(flag)                                                               \
  (strcmp(s, flag) == 0 ? (i + 1 < argc ? (val = argv[++i]) : NULL)                \
                        : (strncmp(s, flag "=", sizeof(flag)) == 0 ? (val = s + sizeof(flag)) : NULL))
    if (OPTVAL("-o") || OPTVAL("--output")) a->out_dir = val;
    else if (OPTVAL("--target")) a->target = val;
    else if (OPTVAL("--name")) a->name = val;
    else if (OPTVAL("--dump-after")) a->dump_after = val;
    else if (OPTVAL("--threads")) {
      char *end;
      long t = strtol(val, &end, 10);
      if (*end || t < 1 || t > 64) return vitc_err("--threads '%s' is not a count in 1..64", val), 1;
      a->threads = (int)t;
    }
    else if (OPTVAL("--weights")) {
      if (strcmp(val, "file") == 0) a->weights_file = true;
      else if (strcmp(val, "embed") == 0) a->weights_file = false;
      else return vitc_err("--weights '%s' is not embed or file", val), 1;
    }
    else if (OPTVAL("--const")) {
      if (a->n_co == 32) return vitc_err("too many --const options"), 1;
      if (const_override_parse(val, &a->co[a->n_co++])) return 1;
    }
    else if (OPTVAL("--quantize")) {
      if (strcmp(val, "int8") != 0) return vitc_err("--quantize '%s': only int8 is supported", val), 1;
      a->quantize = true;
    }
    else if (OPTVAL("--calibrate")) a->calibrate = val;
    else if (OPTVAL("--calibrate-random")) {
      char *end;
      a->calibrate_random = strtol(val, &end, 10);
      if (*end || a->calibrate_random < 1 || a->calibrate_random > 100000)
        return vitc_err("--calibrate-random '%s' is not a count in 1..100000", val), 1;
    }
    else if (OPTVAL("--shape")) {
      if (a->n_ov == 32) return vitc_err("too many --shape options"), 1;
      a->shape_args[a->n_ov] = (char *)val;
      if (shape_override_parse(val, &a->ov[a->n_ov++])) return 1;
    } else if (strcmp(s, "--main") == 0) a->main_harness = true;
    else if (strcmp(s, "--strict-nan") == 0) a->strict_nan = true;
    else if (strcmp(s, "--trace") == 0) a->trace = true;
    else if (strcmp(s, "--kernels") == 0) a->kernels = true;
    else if (strcmp(s, "--quiet") == 0 || strcmp(s, "-q") == 0) vitc_quiet = 1;
    else if (s[0] == '-' && s[1]) {
      fprintf(stderr, "vitc: unknown or incomplete option '%s'\n", s);
      return 2;
    } else if (!a->model) a->model = s;
    else {
      fprintf(stderr, "vitc: unexpected argument '%s'\n", s);
      return 2;
    }
#undef OPTVAL
  }
  return 0;
}

/* Model file stem as a C identifier: "models/deit-tiny.onnx" -> "deit_tiny". */
static char *default_name(const char *path) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  char *s = xstrdup(b);
  char *dot = strrchr(s, '.');
  if (dot && dot != s) *dot = 0;
  for (char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p)) *p = '_';
  if (!*s || isdigit((unsigned char)s[0])) {
    char *t = xmalloc(strlen(s) + 3);
    sprintf(t, "m_%s", s);
    free(s);
    s = t;
  }
  return s;
}

static bool is_identifier(const char *s) {
  if (!*s || isdigit((unsigned char)*s)) return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return false;
  return true;
}

static const char *basename_of(const char *p) {
  const char *b = strrchr(p, '/');
  return b ? b + 1 : p;
}

static Graph *load_and_optimize(Args *a, PipelineOptions *po) {
  Graph *g = onnx_load_with_consts(a->model, a->ov, a->n_ov, a->co, a->n_co);
  if (!g) return NULL;
  if (run_pipeline(g, po)) {
    graph_free(g);
    return NULL;
  }
  return g;
}

/* ", NAME.weights" for the summary line. */
static const char *fmt_weights_file(const char *name) {
  static char s[300];
  snprintf(s, sizeof s, ", %s.weights", name);
  return s;
}

static int cmd_compile(Args *a) {
  if (!a->model) return fprintf(stderr, "vitc compile: no model given\n"), 2;
  if (!a->out_dir) return fprintf(stderr, "vitc compile: no output folder given (-o DIR)\n"), 2;
  const Target *target = target_find(a->target);
  if (!target && strcmp(a->target, "native") == 0) {
    char why[400];
    target = target_native(why, sizeof why);
    /* The bundle records the picked name, not "native": say which it was. */
    printf("vitc: --target native: picked %s (%s)\n", target->name, why);
  }
  if (!target) return vitc_err("unknown target '%s' (known: %s, native)", a->target, target_names()), 1;
  if (a->trace && a->threads > 1) return vitc_err("--trace works on serial bundles only (not with --threads %d)", a->threads), 1;
  char *name = a->name ? xstrdup(a->name) : default_name(a->model);
  if (!is_identifier(name)) {
    vitc_err("--name '%s' is not a C identifier", name);
    free(name);
    return 1;
  }
  QuantRanges ranges = {0};
  if (!a->quantize && (a->calibrate || a->calibrate_random))
    return free(name), vitc_err("--calibrate and --calibrate-random go with --quantize int8"), 1;
  if (a->calibrate && a->calibrate_random)
    return free(name), vitc_err("--calibrate and --calibrate-random exclude each other"), 1;
  if (a->quantize) { /* the float model's activation ranges first (verify/calibrate.c) */
    long n = a->calibrate ? 0 : a->calibrate_random ? a->calibrate_random : 8;
    if (calibrate_ranges(a->model, a->ov, a->shape_args, a->n_ov, a->calibrate, n, &ranges)) return free(name), 1;
    vitc_quantize = &ranges;
  }
  clock_t t0 = clock();
  PipelineOptions po = {a->dump_after, stderr, ""};
  Graph *g = load_and_optimize(a, &po);
  if (!g) {
    free(name);
    return 1;
  }
  TraceInfo *ti = NULL;
  if (a->trace) { /* the exported graph, to link the final nodes back to it (emit/trace.c) */
    Graph *x = onnx_load(a->model, a->ov, a->n_ov);
    if (!x) {
      graph_free(g);
      free(name);
      return 1;
    }
    ti = trace_info(g, x);
    graph_free(x);
  }
  Plan *plan = plan_build_threads(g, target, a->threads);
  /* The command as written into the banner: file names only, so output is reproducible. */
  char command[1024];
  snprintf(command, sizeof command, "vitc compile %s --target %s --name %s%s%s", basename_of(a->model), target->name,
           name, a->main_harness ? " --main" : "", a->strict_nan ? " --strict-nan" : "");
  if (a->threads > 1) snprintf(command + strlen(command), sizeof command - strlen(command), " --threads %d", a->threads);
  if (a->weights_file) snprintf(command + strlen(command), sizeof command - strlen(command), " --weights file");
  if (a->trace) snprintf(command + strlen(command), sizeof command - strlen(command), " --trace");
  if (a->quantize) {
    snprintf(command + strlen(command), sizeof command - strlen(command), " --quantize int8");
    if (a->calibrate)
      snprintf(command + strlen(command), sizeof command - strlen(command), " --calibrate %s", basename_of(a->calibrate));
    else
      snprintf(command + strlen(command), sizeof command - strlen(command), " --calibrate-random %ld",
               a->calibrate_random ? a->calibrate_random : 8);
  }
  /* release_weights: the graph's weights are freed as they are packed, so vitc holds
   * about one copy of them (the graph is not used after this) */
  EmitOptions eo = {a->out_dir, name, target, a->main_harness, command, basename_of(a->model), a->weights_file, true, ti};
  int rc = emit_bundle(g, plan, &eo);
  if (rc == 0) {
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("vitc: wrote %s/%s.c, %s.h%s%s (target %s) in %.2f s\n", a->out_dir, name, name,
           a->main_harness ? ", _main.c" : "", a->weights_file ? fmt_weights_file(name) : "", target->name, secs);
    printf("workspace %zu bytes (sum of intermediates %zu bytes, %d buffers)\n", plan->workspace_bytes,
           plan->intermediate_bytes, plan->n_buffers);
  }
  plan_free(plan);
  trace_info_free(ti);
  graph_free(g);
  free(name);
  for (int i = 0; i < ranges.n; i++) free(ranges.name[i]);
  free(ranges.name), free(ranges.lo), free(ranges.hi);
  vitc_quantize = NULL;
  return rc ? 1 : 0;
}

/* vitc targets: one "NAME: C FLAGS" line per target, then what native picks here.
 * Build systems read it (runtime/cmake/vitcAddModel.cmake), so the flags live only in target.c. */
static int cmd_targets(void) {
  for (int i = 0; target_at(i); i++) printf("%s: %s\n", target_at(i)->name, target_at(i)->cflags);
  for (int i = 0; target_sub_at(i); i++) printf("%s: %s\n", target_sub_at(i)->name, target_sub_at(i)->cflags);
  char why[400];
  const Target *t = target_native(why, sizeof why);
  printf("native = %s (%s)\n", t->name, why);
  return 0;
}

/* One row of inspect's block table. */
typedef struct BlockRow {
  char name[256];
  int64_t macs_before, macs_after;
  int attention_before, attention_after; /* Softmax or vitc.Attention nodes */
} BlockRow;

/* The row of block `name` in rows (added in order of first appearance). */
static BlockRow *block_row(BlockRow **rows, int *n, const char *name) {
  for (int i = 0; i < *n; i++)
    if (strcmp((*rows)[i].name, name) == 0) return &(*rows)[i];
  *rows = xrealloc(*rows, sizeof **rows * (size_t)(*n + 1));
  BlockRow *r = &(*rows)[(*n)++];
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  return r;
}

/* Per model block (node_block: exporter names like /blocks.3/...): whether it still
 * has attention, and the MACs the passes removed (the graph after fold_constants
 * alone against the optimized one). */
static void print_blocks(Args *a, Graph *g) {
  char skip[1024] = "";
  for (int i = 0; i < vitc_pipeline_len; i++) { /* everything but shape inference and folding */
    if (strcmp(vitc_pipeline[i].name, "fold_constants") == 0) continue;
    snprintf(skip + strlen(skip), sizeof skip - strlen(skip), "%s%s", skip[0] ? "," : "", vitc_pipeline[i].name);
  }
  Graph *g0 = onnx_load(a->model, a->ov, a->n_ov);
  PipelineOptions po = {NULL, NULL, ""};
  const char *saved = vitc_skip_passes;
  vitc_skip_passes = skip;
  int rc = g0 ? run_pipeline(g0, &po) : -1;
  vitc_skip_passes = saved;
  BlockRow *rows = NULL;
  int nrows = 0;
  char name[256];
  for (int pass = 0; rc == 0 && pass < 2; pass++) {
    Graph *h = pass ? g : g0;
    for (int i = 0; i < h->nn; i++) {
      Node *n = &h->n[i];
      if (n->dead || !node_block(n->name, name, sizeof name)[0]) continue;
      BlockRow *r = block_row(&rows, &nrows, name);
      int64_t m = op_impl(n->op)->macs ? op_impl(n->op)->macs(h, n) : 0;
      bool attn = n->op == OP_Softmax || n->op == OP_VitcAttention;
      if (pass) r->macs_after += m, r->attention_after += attn;
      else r->macs_before += m, r->attention_before += attn;
    }
  }
  if (g0) graph_free(g0);
  if (rc != 0 || nrows == 0) {
    printf("blocks: none (the export's node names have no /block/ paths)\n");
    free(rows);
    return;
  }
  printf("%-28s %-10s %16s %16s %16s\n", "block", "attention", "MACs exported", "MACs final", "removed by passes");
  for (int i = 0; i < nrows; i++) {
    const BlockRow *r = &rows[i];
    const char *attn = r->attention_after ? "yes" : r->attention_before ? "removed" : "no";
    printf("%-28s %-10s %16" PRId64 " %16" PRId64 " %16" PRId64 "\n", r->name, attn, r->macs_before, r->macs_after,
           r->macs_before - r->macs_after);
  }
  free(rows);
}

/* inspect --kernels: one line per node of the final graph */
typedef struct KernelRows {
  const Graph *g;
  const Target *t;
  int scalar_float; /* calls of a scalar float kernel (vitc_f32_*_scalar) on a SIMD target */
} KernelRows;

static void print_kernel_row(void *ctx, int i, const char *kernels) {
  KernelRows *k = ctx;
  const Node *n = &k->g->n[i];
  printf("%5d %-22s %-40s %s\n", i, op_name(n->op), n->name[0] ? n->name : "-", kernels[0] ? kernels : "(view)");
  for (const char *p = strstr(kernels, "vitc_f32_"); p; p = strstr(p + 1, "vitc_f32_")) {
    size_t len = strcspn(p, " ");
    if (strcmp(k->t->isa, "scalar") != 0 && len > 7 && strncmp(p + len - 7, "_scalar", 7) == 0) k->scalar_float++;
  }
}

/* The kernel view, from the emitter's own lowering (emit_kernels). */
static int inspect_kernels(Args *a) {
  const Target *target = target_find(a->target);
  if (!target) return vitc_err("unknown target '%s' (known: %s)", a->target, target_names()), 1;
  PipelineOptions po = {a->dump_after, stderr, ""};
  Graph *g = load_and_optimize(a, &po);
  if (!g) return 1;
  Plan *plan = plan_build(g, target); /* as vitc compile: scratch sizes depend on the target */
  EmitOptions eo = {".", "model", target, false, "", basename_of(a->model), false, false, NULL};
  KernelRows k = {g, target, 0};
  printf("model %s, target %s: the kernel functions each node of the final graph calls\n", basename_of(a->model),
         target->name);
  printf("%5s %-22s %-40s %s\n", "node", "op", "name", "kernels");
  int rc = emit_kernels(g, plan, &eo, print_kernel_row, &k);
  if (rc == 0)
    printf("scalar float kernel calls on a SIMD target: %d (docs/kernels.md lists the allowed ones)\n", k.scalar_float);
  plan_free(plan);
  graph_free(g);
  return rc ? 1 : 0;
}

static int cmd_inspect(Args *a) {
  if (!a->model) return fprintf(stderr, "vitc inspect: no model given\n"), 2;
  if (a->kernels) return inspect_kernels(a);
  Graph *g0 = onnx_load_with_consts(a->model, a->ov, a->n_ov, a->co, a->n_co);
  if (!g0) return 1;
  int counts0[OP_COUNT] = {0};
  for (int i = 0; i < g0->nn; i++) counts0[g0->n[i].op]++;
  int nn0 = g0->nn;
  int opset = g0->opset;
  graph_free(g0);
  PipelineOptions po = {a->dump_after, stderr, ""};
  Graph *g = load_and_optimize(a, &po);
  if (!g) return 1;
  char sb[160];
  printf("model %s (opset %d)\n", basename_of(a->model), opset);
  for (int i = 0; i < g->n_inputs; i++) {
    Tensor *t = &g->t[g->inputs[i]];
    printf("input  %s %s%s\n", t->name, dtype_name(t->dtype), shape_str(&t->shape, sb, sizeof sb));
  }
  for (int i = 0; i < g->n_outputs; i++) {
    Tensor *t = &g->t[g->outputs[i]];
    printf("output %s %s%s\n", t->name, dtype_name(t->dtype), shape_str(&t->shape, sb, sizeof sb));
  }
  int64_t params = 0;
  for (int t = 0; t < g->nt; t++) {
    if (!g->t[t].data || !g->t[t].typed) continue;
    if (tensor_uses(g, t) == 0) continue;
    params += shape_numel(&g->t[t].shape);
  }
  printf("parameters %" PRId64 "\n", params);
  printf("nodes %d as exported, %d after passes\n", nn0, g->nn);
  printf("passes that changed the graph: %s\n", po.changed[0] ? po.changed : "(none)");
  int counts[OP_COUNT] = {0};
  int64_t macs[OP_COUNT] = {0};
  int64_t total_macs = 0;
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    counts[n->op]++;
    const OpImpl *impl = op_impl(n->op);
    if (impl->macs) {
      int64_t m = impl->macs(g, n);
      macs[n->op] += m;
      total_macs += m;
    }
  }
  printf("%-22s %8s %8s %16s\n", "op", "exported", "final", "MACs");
  for (int k = 0; k < OP_COUNT; k++) {
    if (!counts0[k] && !counts[k]) continue;
    printf("%-22s %8d %8d %16" PRId64 "\n", op_name((OpKind)k), counts0[k], counts[k], macs[k]);
  }
  printf("total MACs %" PRId64 " (%.3f GFLOP)\n", total_macs, 2.0 * (double)total_macs / 1e9);
  print_blocks(a, g);
  printf("tensors after passes:\n");
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    for (int o = 0; o < n->n_out; o++) {
      Tensor *t = node_out(g, n, o);
      if (t) printf("  %-16s %-48s %s%s\n", op_name(n->op), t->name, dtype_name(t->dtype), shape_str(&t->shape, sb, sizeof sb));
    }
  }
  Plan *plan = plan_build(g, target_find("scalar")); /* this view ignores --target: a scalar bundle's */
  printf("workspace %zu bytes (sum of intermediates %zu bytes)\n", plan->workspace_bytes, plan->intermediate_bytes);
  plan_free(plan);
  graph_free(g);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "--version") == 0)) {
    printf("vitc %s\n", VITC_VERSION);
    return 0;
  }
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
    usage(stdout);
    return 0;
  }
  /* validate has options of its own (compiler/validate/validate.c). */
  if (argc >= 2 && strcmp(argv[1], "validate") == 0) return validate_main(argc - 1, argv + 1);
  /* verify and analyze too (compiler/verify/) */
  if (argc >= 2 && strcmp(argv[1], "verify") == 0) return verify_main(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "analyze") == 0) return analyze_main(argc - 1, argv + 1);
  Args a;
  int rc = parse_args(argc, argv, &a);
  if (rc == 2) {
    usage(stderr);
    return 2;
  }
  if (rc) return rc;
  vitc_strict_nan = a.strict_nan;
  if (a.dump_after && strcmp(a.dump_after, "all") != 0) {
    bool known = false;
    for (int i = 0; i < vitc_pipeline_len; i++)
      if (strcmp(vitc_pipeline[i].name, a.dump_after) == 0) known = true;
    if (!known) {
      fprintf(stderr, "vitc: --dump-after: unknown pass '%s'\n", a.dump_after);
      usage(stderr);
      return 2;
    }
  }
  if (strcmp(a.cmd, "compile") == 0) return cmd_compile(&a);
  if (strcmp(a.cmd, "inspect") == 0) return cmd_inspect(&a);
  if (strcmp(a.cmd, "targets") == 0) return cmd_targets();
  fprintf(stderr, "vitc: unknown command '%s'\n", a.cmd);
  usage(stderr);
  return 2;
}
