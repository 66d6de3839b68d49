/* verify/analyze.c: `vitc analyze MODEL.onnx --entropy`, NOSE's selection signal.
 *
 *   vitc analyze MODEL.onnx --entropy [--calibrate PATH | --random N] [--seed S]
 *                [--target T] [--shape IN=DxD...]... [--runner CMD] [--strict-nan] [--keep]
 * (--strict-nan: compile as vitc compile --strict-nan, which keeps an attention
 * multiplied by zero, so its degeneracy is measured instead of seen in the graph)
 *
 * NOSE degenerates the attention layers whose removal the network notices least. For
 * the user's own trained model this command measures, on calibration inputs (PATH:
 * one raw float32 file holding N inputs back to back, or a folder of raw input files,
 * the convention planned for --quantize's calibration; or N random inputs), per block:
 *   - the entropy of the attention branch's output and of the MLP branch's output
 *     (Gaussian estimate: sum over channels of log of the standard deviation);
 *   - the change in the final layer's entropy when that block's attention is
 *     degenerated (the paper's transfer-entropy criterion);
 * and ranks the attention layers greedily, degenerating one more each step (the one
 * that moves the final layer's entropy least, given those already chosen), printed
 * last as `degenerate first: I J K ...`.
 *
 * Blocks are found in the compiled graph (the one the traced bundle runs), so the
 * numbers are the bundle's: each LayerNormalization whose result flows into a node
 * that also reads the residual stream it normalized (directly, or scaled: NOSE's
 * diluted blocks) starts a branch, an attention branch if it holds an attention
 * (vitc.Attention, or a Softmax feeding a MatMul), else an MLP branch; an attention
 * branch and the MLP branch after it form a block, and an MLP branch with no attention
 * before it is a block whose attention is already gone (shrunk, or multiplied by zero
 * and folded away by the compiler): those rank first. An attention branch with no MLP
 * branch after it is a parallel block (MABViT: one LayerNormalization feeds both);
 * its whole branch counts as the attention's. The measurements run in a
 * program built from the traced bundle (vitc compile --trace) and
 * runtime/verify/analyze_main.c.in, whose hooks read each branch and degenerate a
 * layer by writing zeros over its attention's output. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emit/embedded.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "passes/passes.h"
#include "verify/verify.h"

typedef struct Branch {
  int ln;     /* the LayerNormalization */
  int merge;  /* the node adding the branch to the stream */
  int slot;   /* merge's input holding the stream */
  int core;   /* attention: the node computing softmax(QK^T)V; -1 for an MLP */
} Branch;

/* A node reading the stream s: s itself, or s scaled by a node reading only s and
 * constants (not the LayerNormalization). */
static bool is_stream(const Graph *g, int t, int s, int ln) {
  if (t == s) return true;
  int p = g->t[t].producer;
  if (p < 0 || p == ln) return false;
  const Node *n = &g->n[p];
  bool reads_s = false;
  for (int k = 0; k < n->n_in; k++) {
    if (n->in[k] < 0) continue;
    if (n->in[k] == s) reads_s = true;
    else if (!g->t[n->in[k]].data) return false;
  }
  return reads_s;
}

static bool find_branch(const Graph *g, int ln, char *reached, Branch *br) {
  const Node *L = &g->n[ln];
  if (L->n_in < 1 || L->in[0] < 0) return false;
  int s = L->in[0];
  memset(reached, 0, (size_t)g->nn);
  reached[ln] = 1;
  int softmax = -1;
  br->core = -1;
  for (int i = ln + 1; i < g->nn; i++) {
    const Node *n = &g->n[i];
    bool r = false;
    for (int k = 0; k < n->n_in && !r; k++)
      if (n->in[k] >= 0 && g->t[n->in[k]].producer >= 0 && reached[g->t[n->in[k]].producer]) r = true;
    if (!r) continue;
    reached[i] = 1;
    if (strcmp(op_name(n->op), "vitc.Attention") == 0 && br->core < 0) br->core = i;
    if (strcmp(op_name(n->op), "Softmax") == 0 && softmax < 0) softmax = i;
    if (strcmp(op_name(n->op), "MatMul") == 0 && softmax >= 0 && br->core < 0)
      for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && g->t[n->in[k]].producer == softmax) br->core = i;
    for (int k = 0; k < n->n_in; k++)
      if (n->in[k] >= 0 && is_stream(g, n->in[k], s, ln)) {
        br->ln = ln;
        br->merge = i;
        br->slot = k;
        return true;
      }
  }
  return false;
}

static int usage(void) {
  fprintf(stderr, "usage: vitc analyze MODEL.onnx --entropy [--calibrate PATH | --random N] [--seed S] [--target T]\n"
                  "                    [--shape IN=DxD...]... [--runner CMD] [--strict-nan] [--keep]\n");
  return 2;
}

static void fmt_h(char *b, size_t n, double h) {
  if (isinf(h)) snprintf(b, n, "%s", h < 0 ? "-inf" : "inf");
  else snprintf(b, n, "%.4g", h);
}

int analyze_main(int argc, char **argv) {
  const char *model = NULL, *calibrate = NULL, *runner = NULL, *target_name = "native";
  char *shape_args[32];
  ShapeOverride ov[32];
  int n_ov = 0, random_n = 0;
  unsigned long long seed = 0;
  bool entropy = false, keep = false;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    char *end;
#define TAKE(flag) (strcmp(s, flag) == 0 && (val ? (i++, 1) : (fprintf(stderr, "vitc analyze: %s needs a value\n", flag), exit(2), 0)))
    if (strcmp(s, "--entropy") == 0) entropy = true;
    else if (strcmp(s, "--keep") == 0) keep = true;
    else if (strcmp(s, "--strict-nan") == 0) vitc_strict_nan = true;
    else if (TAKE("--calibrate")) calibrate = val;
    else if (TAKE("--random")) {
      random_n = (int)strtol(val, &end, 10);
      if (*end || random_n < 1 || random_n > 100000) return fprintf(stderr, "vitc analyze: --random needs a count >= 1\n"), 2;
    } else if (TAKE("--seed")) {
      seed = strtoull(val, &end, 10);
      if (*end) return fprintf(stderr, "vitc analyze: --seed needs a number\n"), 2;
    } else if (TAKE("--target")) target_name = val;
    else if (TAKE("--runner")) runner = val;
    else if (TAKE("--shape")) {
      if (n_ov == 32 || shape_override_parse(val, &ov[n_ov])) return 2;
      shape_args[n_ov++] = (char *)val;
    } else if (s[0] == '-') return fprintf(stderr, "vitc analyze: unknown or incomplete option '%s'\n", s), usage();
    else if (!model) model = s;
    else return fprintf(stderr, "vitc analyze: unexpected argument '%s'\n", s), usage();
#undef TAKE
  }
  if (!model || !entropy) return fprintf(stderr, "vitc analyze: %s\n", model ? "give --entropy" : "no model given"), usage();
  if (calibrate && random_n) return fprintf(stderr, "vitc analyze: --calibrate and --random exclude each other\n"), 2;
  if (!calibrate && !random_n) random_n = 8;
  char why[400];
  const Target *target = strcmp(target_name, "native") == 0 ? target_native(why, sizeof why) : target_find(target_name);
  if (!target) return fprintf(stderr, "vitc analyze: unknown target '%s' (known: %s, native)\n", target_name, target_names()), 2;
  Graph *g = onnx_load(model, ov, n_ov);
  PipelineOptions po = {NULL, stderr, ""};
  if (!g || run_pipeline(g, &po)) return 2;
  if (g->n_inputs != 1 || g->n_outputs != 1 || g->t[g->inputs[0]].dtype != DT_FLOAT)
    return fprintf(stderr, "vitc analyze: --entropy needs a model with one float input and one output\n"), 2;
  /* the blocks */
  char *reached = xmalloc((size_t)g->nn + 1);
  Branch *br = xcalloc((size_t)g->nn + 1, sizeof(Branch));
  int nbr = 0;
  int head_norm = -1; /* the last LayerNormalization that starts no branch: the head's */
  for (int i = 0; i < g->nn; i++)
    if (strcmp(op_name(g->n[i].op), "LayerNormalization") == 0) {
      if (find_branch(g, i, reached, &br[nbr])) nbr++;
      else head_norm = i;
    }
  free(reached);
  typedef struct { int attn, mlp; } Blk;
  Blk *blk = xcalloc((size_t)nbr + 1, sizeof(Blk));
  int nb = 0;
  for (int i = 0; i < nbr; i++) {
    if (br[i].core >= 0) blk[nb++] = (Blk){i, -1};
    else if (nb > 0 && blk[nb - 1].attn >= 0 && blk[nb - 1].mlp < 0) blk[nb - 1].mlp = i;
    else blk[nb++] = (Blk){-1, i};
  }
  int rc = 0;
  if (nb == 0) rc = (fprintf(stderr, "vitc analyze: no transformer blocks found (LayerNormalization, a branch, a residual)\n"), 2);
  if (rc) return rc;
  /* a block with no MLP branch after its attention: a parallel block (MABViT: one
   * LayerNormalization feeds both), whose branch is measured as the attention's */
  int final_node = br[blk[nb - 1].mlp >= 0 ? blk[nb - 1].mlp : blk[nb - 1].attn].merge;
  /* the final layer: what the head's LayerNormalization reads, if it comes after the
   * blocks (a parallel block merges its MLP after its attention's merge) */
  if (head_norm > final_node && g->n[head_norm].in[0] >= 0 && g->t[g->n[head_norm].in[0]].producer > final_node)
    final_node = g->t[g->n[head_norm].in[0]].producer;
  /* the program */
  char *work = vx_tmpdir("analyze");
  if (!work) return 2;
  const char *tmpl = embedded_file("runtime/verify/analyze_main.c.in");
  if (!tmpl) vitc_die("runtime/verify/analyze_main.c.in is not built in");
  char *driver = vx_printf("%s/analyze_main.c", work);
  if (vx_write_driver(tmpl, driver)) return fprintf(stderr, "vitc analyze: cannot write %s\n", driver), 2;
  VxBuild vb = {model, target, ov, shape_args, n_ov, true, runner, work, NULL, NULL, driver, vitc_strict_nan};
  rc = vx_build(&vb);
  const Tensor *in = &g->t[g->inputs[0]];
  size_t in_bytes = (size_t)shape_numel(&in->shape) * 4;
  char *samples = vx_printf("%s/calibration.bin", work);
  long n = random_n;
  if (rc == 0 && calibrate) rc = vx_gather_inputs("vitc analyze", calibrate, in_bytes, samples, &n);
  else if (rc == 0) {
    FILE *o = fopen(samples, "wb");
    for (int s = 0; o && s < random_n; s++) {
      char *one = vx_printf("%s/one.bin", work);
      size_t len;
      vx_write_random(one, in, seed, s, 0);
      char *d = vx_read(one, &len);
      fwrite(d, 1, len, o);
      free(d), free(one);
    }
    if (!o || fclose(o) != 0) rc = (fprintf(stderr, "vitc analyze: cannot write %s\n", samples), 2);
  }
  char *out = vx_printf("%s/analyze.out", work), *err = vx_printf("%s/analyze.err", work);
  if (rc == 0) {
    int pc;
    char **v = vx_prog_argv(&vb, 8 + 6 * nb, &pc);
    v[pc++] = xstrdup("--input");
    v[pc++] = xstrdup(samples);
    v[pc++] = xstrdup("--count");
    v[pc++] = vx_printf("%ld", n);
    v[pc++] = xstrdup("--final");
    v[pc++] = vx_printf("%d", final_node);
    for (int b = 0; b < nb; b++) {
      const Branch *a = blk[b].attn >= 0 ? &br[blk[b].attn] : NULL, *m = blk[b].mlp >= 0 ? &br[blk[b].mlp] : NULL;
      v[pc++] = xstrdup("--block");
      v[pc++] = vx_printf("%d", a ? a->core : -1);
      v[pc++] = vx_printf("%d", a ? a->merge : -1);
      v[pc++] = vx_printf("%d", a ? a->slot : -1);
      v[pc++] = vx_printf("%d", m ? m->merge : -1);
      v[pc++] = vx_printf("%d", m ? m->slot : -1);
    }
    int prc = vx_run(v, out, err);
    if (prc) {
      char *msg = vx_read(err, NULL);
      fprintf(stderr, "%svitc analyze: the analysis program failed (exit status %d)\n", msg ? msg : "", prc);
      free(msg);
      rc = 2;
    }
    for (int k = 0; k < pc; k++) free(v[k]);
    free(v);
  }
  if (rc == 0) {
    char *text = vx_read(out, NULL);
    double h_final = 0;
    char *rank = NULL;
    printf("vitc analyze --entropy: %s, target %s, %ld calibration input%s (", model, target->name, n, n == 1 ? "" : "s");
    if (calibrate) printf("%s", calibrate);
    else printf("random, seed %llu", seed);
    printf("), %d blocks found in the graph\n", nb);
    printf("entropy: sum over channels of log(std); dH_final: change of the final layer's entropy with the block's "
           "attention degenerated\n");
    printf("%5s  %-40s %12s %12s %12s\n", "block", "attention (LayerNormalization)", "H(attn)", "H(mlp)", "dH_final");
    for (char *save = NULL, *line = strtok_r(text ? text : (char *)"", "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      int b;
      double ha, hm, dh;
      if (sscanf(line, "final %lf", &h_final) == 1) continue;
      if (sscanf(line, "block %d %lf %lf %lf", &b, &ha, &hm, &dh) == 4 && b >= 0 && b < nb) {
        char sa[32], sm[32], sd[32];
        fmt_h(sa, sizeof sa, ha), fmt_h(sm, sizeof sm, hm), fmt_h(sd, sizeof sd, dh);
        const char *name = blk[b].attn >= 0 ? g->n[br[blk[b].attn].ln].name : "(no attention: already degenerate)";
        printf("%5d  %-40s %12s %12s %12s\n", b, name, sa, blk[b].mlp >= 0 ? sm : "(parallel)", blk[b].attn >= 0 ? sd : "0");
      }
      if (strncmp(line, "rank", 4) == 0) rank = line + 4;
    }
    char sf[32];
    fmt_h(sf, sizeof sf, h_final);
    printf("final layer (%s): H %s\n", g->n[final_node].name, sf);
    if (!rank) rc = (fprintf(stderr, "vitc analyze: the analysis program printed no ranking\n"), 2);
    else printf("degenerate first:%s\n", rank);
    free(text);
  }
  if (keep) fprintf(stderr, "vitc analyze: work folder kept: %s\n", work);
  else vx_rm_rf(work);
  free(out), free(err), free(samples), free(driver), free(work), free(vb.prog), free(br), free(blk);
  graph_free(g);
  return rc;
}
