/* verify/calibrate.c: the activation ranges of a float model on calibration
 * inputs, for `vitc compile --quantize int8` (passes/quantize_int8.c, docs/int8.md).
 *
 * The float model is compiled by this vitc as a traced bundle for this machine
 * (--trace, the best target it runs) with runtime/verify/calibrate_main.c.in as its
 * program, which runs every calibration input and prints the minimum and maximum
 * of every float tensor of the final graph; the quantized compile that follows
 * runs the same passes, so its tensors have the same names. Calibration inputs:
 * --calibrate PATH (one raw float32 file of N inputs back to back, or a folder of
 * one raw file per input, as `vitc analyze`) or --calibrate-random N (uniform in
 * [-1, 1), vx_write_random's). Also here: vx_gather_inputs, shared with analyze. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emit/embedded.h"
#include "ir/diag.h"
#include "passes/passes.h"
#include "verify/verify.h"

int vx_gather_inputs(const char *who, const char *path, size_t bytes, const char *out, long *n) {
  struct stat st;
  if (stat(path, &st) != 0) return fprintf(stderr, "%s: --calibrate %s: %s\n", who, path, strerror(errno)), 2;
  FILE *o = fopen(out, "wb");
  if (!o) return fprintf(stderr, "%s: cannot write %s\n", who, out), 2;
  if (S_ISDIR(st.st_mode)) {
    struct dirent **list;
    int k = scandir(path, &list, NULL, alphasort);
    *n = 0;
    for (int i = 0; i < k; i++) {
      if (list[i]->d_name[0] != '.') {
        char *f = vx_printf("%s/%s", path, list[i]->d_name);
        size_t len;
        char *d = vx_read(f, &len);
        if (!d || len != bytes) {
          fprintf(stderr, "%s: %s: a calibration input has %zu bytes, not %zu\n", who, f, d ? len : 0, bytes);
          fclose(o);
          return 2;
        }
        fwrite(d, 1, len, o);
        (*n)++;
        free(d), free(f);
      }
      free(list[i]);
    }
    free(list);
  } else {
    size_t len;
    char *d = vx_read(path, &len);
    if (!d || len == 0 || len % bytes) {
      fprintf(stderr, "%s: --calibrate %s: %zu bytes is not a whole number of %zu-byte inputs\n", who, path,
              d ? len : 0, bytes);
      fclose(o);
      return 2;
    }
    fwrite(d, 1, len, o);
    *n = (long)(len / bytes);
    free(d);
  }
  if (fclose(o) != 0 || *n == 0) return fprintf(stderr, "%s: no calibration inputs in %s\n", who, path), 2;
  return 0;
}


int calibrate_ranges(const char *model, const ShapeOverride *ov, char *const *shape_args, int n_ov, const char *path,
                     long random_n, QuantRanges *q) {
  memset(q, 0, sizeof *q);
  Graph *g = onnx_load(model, ov, n_ov);
  if (!g) return 1;
  if (g->n_inputs != 1 || g->t[g->inputs[0]].dtype != DT_FLOAT) {
    graph_free(g);
    return vitc_err("--quantize int8 calibrates models with one float32 input"), 1;
  }
  Tensor in = g->t[g->inputs[0]];
  size_t in_bytes = (size_t)shape_numel(&in.shape) * 4;
  char why[400];
  const Target *target = target_native(why, sizeof why);
  char *work = vx_tmpdir("calibrate");
  if (!work) return graph_free(g), 1;
  const char *tmpl = embedded_file("runtime/verify/calibrate_main.c.in");
  if (!tmpl) vitc_die("runtime/verify/calibrate_main.c.in is not built in");
  char *driver = vx_printf("%s/calibrate_main.c", work);
  if (vx_write_driver(tmpl, driver)) return graph_free(g), vitc_err("cannot write %s", driver), 1;
  VxBuild vb = {model, target, ov, shape_args, n_ov, true, NULL, work, NULL, NULL, driver, false};
  int rc = vx_build(&vb) ? 1 : 0;
  char *samples = vx_printf("%s/calibration.bin", work);
  long n = random_n;
  if (rc == 0 && path) rc = vx_gather_inputs("vitc: error", path, in_bytes, samples, &n) ? 1 : 0;
  else if (rc == 0) {
    FILE *o = fopen(samples, "wb");
    for (long s = 0; o && s < random_n; s++) {
      char *one = vx_printf("%s/one.bin", work);
      size_t len;
      vx_write_random(one, &in, 0, (int)s, 0);
      char *d = vx_read(one, &len);
      if (d) fwrite(d, 1, len, o);
      free(d), free(one);
    }
    if (!o || fclose(o) != 0) rc = (vitc_err("cannot write %s", samples), 1);
  }
  graph_free(g);
  char *out = vx_printf("%s/ranges.txt", work), *err = vx_printf("%s/calibrate.err", work);
  if (rc == 0) {
    int pc;
    char **v = vx_prog_argv(&vb, 4, &pc);
    v[pc++] = xstrdup("--input");
    v[pc++] = xstrdup(samples);
    v[pc++] = xstrdup("--count");
    v[pc++] = vx_printf("%ld", n);
    v[pc] = NULL;
    int prc = vx_run(v, out, err);
    if (prc) {
      char *msg = vx_read(err, NULL);
      fprintf(stderr, "%s", msg ? msg : "");
      free(msg);
      rc = (vitc_err("--quantize int8: the calibration program failed (exit status %d)", prc), 1);
    }
    for (int k = 0; k < pc; k++) free(v[k]);
    free(v);
  }
  if (rc == 0) {
    char *text = vx_read(out, NULL);
    int cap = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
      char name[1024];
      float lo, hi;
      if (sscanf(line, "%1023s %g %g", name, &lo, &hi) != 3) continue;
      if (q->n == cap) {
        cap = cap ? 2 * cap : 256;
        q->name = xrealloc(q->name, sizeof(char *) * (size_t)cap);
        q->lo = xrealloc(q->lo, sizeof(float) * (size_t)cap);
        q->hi = xrealloc(q->hi, sizeof(float) * (size_t)cap);
      }
      q->name[q->n] = xstrdup(name);
      q->lo[q->n] = lo;
      q->hi[q->n++] = hi;
    }
    free(text);
    if (!vitc_quiet) printf("vitc: --quantize int8: calibrated %d tensors on %ld input%s (%s, target %s)\n", q->n, n,
                            n == 1 ? "" : "s", path ? path : "random", target->name);
  }
  vx_rm_rf(work);
  free(work), free(driver), free(samples), free(out), free(err);
  return rc;
}
