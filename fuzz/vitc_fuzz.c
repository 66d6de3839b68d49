/* fuzz/vitc_fuzz.c: libFuzzer target for the whole front of the compiler.
 *
 * Each input is taken as the bytes of a model file and goes where `vitc compile`
 * sends one: decode and load (onnx_load_bytes), every pass (run_pipeline, which
 * first checks attributes against ir/attrs.def), the workspace plan, the MAC count
 * of `vitc inspect`, and the emitter, which writes a whole bundle. Beyond the
 * sanitizers (address, undefined; built by fuzz/CMakeLists.txt) the target checks
 * vitc's bad-input contract itself and aborts when it is broken:
 *   - a refused model reported exactly one error (vitc_error_count), an accepted one none;
 *   - a refused model left no file behind (emit writes all or nothing).
 * vitc_die (an internal bug) aborts too. So every abort libFuzzer reports is a bug.
 *
 * What varies besides the bytes is derived from the input's length, so a crash
 * reproduces from the file alone: the target (scalar, avx2, avx512, neon), one or
 * two threads' scratch, --weights embed or file, --strict-nan.
 *
 * Files: a private folder under $TMPDIR (removed at exit) holds the model's
 * notional path, so external data resolves there, a 1 MiB filler.bin of 0x3c bytes
 * (each float 0.0115) that the model seeds of fuzz/corpus/ read their weights from
 * (fuzz/make_seeds.py), and out/, the bundle, emptied after every input. Error
 * messages are counted, not printed (VITC_FUZZ_VERBOSE=1 prints them).
 *
 * Build and run: docs/security.md. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit/emit.h"
#include "emit/target.h"
#include "ir/diag.h"
#include "onnx/load.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "plan/plan.h"

#define FILLER_BYTES (1 << 20)

static char work_dir[4096], model_path[4200], out_dir[4200];
static int n_targets;

/* Remove every file in dir (the emitter makes no subfolders); returns how many there were. */
static int empty_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  char p[8400];
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    unlink(p);
    n++;
  }
  closedir(d);
  return n;
}

static void remove_work_dir(void) {
  empty_dir(out_dir);
  rmdir(out_dir);
  empty_dir(work_dir);
  rmdir(work_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *tmp = getenv("TMPDIR");
  snprintf(work_dir, sizeof work_dir, "%s/vitc_fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(work_dir)) {
    perror("vitc_fuzz: mkdtemp");
    exit(1);
  }
  atexit(remove_work_dir);
  snprintf(model_path, sizeof model_path, "%s/fuzz.onnx", work_dir);
  snprintf(out_dir, sizeof out_dir, "%s/out", work_dir);
  char filler[4200];
  snprintf(filler, sizeof filler, "%s/filler.bin", work_dir);
  FILE *f = fopen(filler, "wb");
  static uint8_t bytes[FILLER_BYTES];
  memset(bytes, 0x3c, sizeof bytes);
  if (!f || fwrite(bytes, 1, sizeof bytes, f) != sizeof bytes || fclose(f) != 0) {
    perror("vitc_fuzz: filler.bin");
    exit(1);
  }
  while (target_at(n_targets)) n_targets++;
  vitc_err_silent = !getenv("VITC_FUZZ_VERBOSE");
  vitc_quiet = 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const Target *target = target_at((int)(size % (size_t)n_targets));
  int threads = (size / 4) % 2 ? 2 : 1;
  bool weights_file = (size / 8) % 2;
  vitc_strict_nan = (size / 16) % 2;
  int errors = vitc_error_count, rc = -1;
  Graph *g = onnx_load_bytes(model_path, data, size, NULL, 0);
  if (g) {
    PipelineOptions po = {NULL, NULL, ""};
    if (run_pipeline(g, &po) == 0) {
      int64_t macs = 0; /* what vitc inspect adds up */
      for (int i = 0; i < g->nn; i++)
        if (op_impl(g->n[i].op)->macs) macs += op_impl(g->n[i].op)->macs(g, &g->n[i]);
      (void)macs;
      Plan *plan = plan_build_threads(g, target, threads);
      EmitOptions eo = {out_dir, "m", target, true, "vitc compile fuzz.onnx", "fuzz.onnx", weights_file, true, NULL};
      rc = emit_bundle(g, plan, &eo);
      plan_free(plan);
    }
    graph_free(g);
  }
  int reported = vitc_error_count - errors;
  if (rc == 0 ? reported != 0 : reported != 1) {
    fprintf(stderr, "vitc_fuzz: the model was %s with %d error line(s); the contract is %s\n",
            rc == 0 ? "compiled" : "refused", reported, rc == 0 ? "none" : "exactly one");
    abort();
  }
  int left = empty_dir(out_dir);
  if (rc != 0 && left) {
    fprintf(stderr, "vitc_fuzz: a refused model left %d file(s) in the bundle's folder\n", left);
    abort();
  }
  return 0;
}
