/* tests/testutil.c: process running, model interfaces and tensor comparison for the
 * end-to-end test drivers (see testutil.h).
 *
 * Programs run in their own process group so a time limit can kill a compiler
 * driver together with the cc1 it started; their output goes to anonymous temporary
 * files (not pipes), so a chatty child can never block on a full pipe while we wait. */
#define _GNU_SOURCE
#include "testutil.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emit/emit.h"
#include "emit/target.h"
#include "onnx/onnx.pb-c.h"
#include "plan/plan.h"

#define CAPTURE_MAX (64 * 1024)

/* ---------------- strings and files ---------------- */

char *tu_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) abort();
  va_end(ap);
  return s;
}

bool tu_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

bool tu_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) break;
    cap *= 2;
    buf = realloc(buf, cap + 1);
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

int tu_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t put = fwrite(data, 1, len, f);
  return (fclose(f) == 0 && put == len) ? 0 : -1;
}

static int copy_file(const char *from, const char *to) {
  size_t n;
  void *b = tu_read_file(from, &n);
  int rc = b ? tu_write_file(to, b, n) : -1;
  free(b);
  return rc;
}

int tu_copy_sample_data(const char *model, const char *in, const char *ref) {
  size_t len = strlen(model);
  if (len < 5 || strcmp(model + len - 5, ".onnx") != 0) return -1;
  char *sin = tu_printf("%.*s.input.bin", (int)(len - 5), model);
  char *sref = tu_printf("%.*s.ort_output.bin", (int)(len - 5), model);
  int rc = copy_file(sin, in) || copy_file(sref, ref) ? -1 : 0;
  free(sin);
  free(sref);
  return rc;
}

char *tu_tmp_path(const char *name) {
  const char *tmp = getenv("TMPDIR");
  return tu_printf("%s/%s", tmp && *tmp ? tmp : "/tmp", name);
}

int tu_mkdir_p(const char *dir) {
  char *d = strdup(dir);
  int rc = 0;
  for (char *p = d + 1; *p && rc == 0; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(d, 0777) != 0 && errno != EEXIST) rc = -1;
    *p = '/';
  }
  if (rc == 0 && mkdir(d, 0777) != 0 && errno != EEXIST) rc = -1;
  free(d);
  return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)ftw;
  return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int tu_rm_rf(const char *path) {
  if (!tu_exists(path)) return 0;
  return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_stem(const char *path) {
  const char *b = strrchr(path, '/');
  char *s = strdup(b ? b + 1 : path);
  char *dot = strrchr(s, '.');
  if (dot && dot != s) *dot = 0;
  return s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **tu_list_dir(const char *dir, const char *prefix, int *count) {
  int n = 0, cap = 64;
  char **list = malloc((size_t)cap * sizeof(char *));
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d))) {
      if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, strlen(prefix)) != 0) continue;
      if (n + 1 >= cap) list = realloc(list, (size_t)(cap *= 2) * sizeof(char *));
      list[n++] = strdup(de->d_name);
    }
    closedir(d);
  }
  qsort(list, (size_t)n, sizeof(char *), cmp_str);
  list[n] = NULL;
  if (count) *count = n;
  return list;
}

void tu_free_list(char **list) {
  if (!list) return;
  for (char **p = list; *p; p++) free(*p);
  free(list);
}

/* ---------------- running programs ---------------- */

static double now_secs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *slurp_fd(FILE *f) {
  fflush(f);
  rewind(f);
  char *s = malloc(CAPTURE_MAX + 1);
  size_t n = fread(s, 1, CAPTURE_MAX, f);
  s[n] = 0;
  fclose(f);
  return s;
}

int tu_run(char *const argv[], int timeout_secs, RunResult *r) {
  memset(r, 0, sizeof *r);
  FILE *out = tmpfile(), *err = tmpfile();
  if (!out || !err) {
    if (out) fclose(out);
    if (err) fclose(err);
    return -1;
  }
  fflush(stdout);
  fflush(stderr);
  double t0 = now_secs();
  pid_t pid = fork();
  if (pid < 0) {
    fclose(out);
    fclose(err);
    return -1;
  }
  if (pid == 0) {
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid); /* also from the parent, so killpg works even if the child has not run yet */
  int st = 0;
  long sleep_us = 200;
  for (;;) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (now_secs() - t0 > timeout_secs) {
      killpg(pid, SIGKILL);
      waitpid(pid, &st, 0);
      r->timed_out = true;
      break;
    }
    /* Poll fast at first (most commands take milliseconds), then back off. */
    struct timespec ts = {0, sleep_us * 1000};
    nanosleep(&ts, NULL);
    if (sleep_us < 20000) sleep_us *= 2;
  }
  r->secs = now_secs() - t0;
  r->exited = !r->timed_out && WIFEXITED(st);
  r->status = r->exited ? WEXITSTATUS(st) : (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  r->out = slurp_fd(out);
  r->err = slurp_fd(err);
  return 0;
}

void tu_run_free(RunResult *r) {
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
}

bool tu_run_ok(const char *what, char *const argv[], int timeout_secs, double *secs) {
  RunResult r;
  if (tu_run(argv, timeout_secs, &r) != 0) {
    printf("  %s: cannot start %s\n", what, argv[0]);
    return false;
  }
  bool ok = r.exited && r.status == 0;
  if (!ok) {
    char *how = tu_run_describe(&r), *cmd = tu_argv_str(argv);
    printf("  %s FAILED (%s)\n    command: %s\n    stderr: %.2000s\n", what, how, cmd, r.err);
    free(how);
    free(cmd);
  }
  if (secs) *secs = r.secs;
  tu_run_free(&r);
  return ok;
}

int tu_capture_begin(Capture *c) {
  fflush(stderr);
  char *tmpl = tu_tmp_path("vitc_stderr_XXXXXX");
  snprintf(c->path, sizeof c->path, "%s", tmpl);
  free(tmpl);
  int fd = mkstemp(c->path);
  if (fd < 0) return -1;
  c->saved_fd = dup(2);
  dup2(fd, 2);
  close(fd);
  return 0;
}

char *tu_capture_end(Capture *c) {
  fflush(stderr);
  dup2(c->saved_fd, 2);
  close(c->saved_fd);
  char *s = tu_read_file(c->path, NULL);
  unlink(c->path);
  if (!s) s = tu_printf("%s", "");
  fputs(s, stderr);
  return s;
}

char *tu_run_describe(const RunResult *r) {
  if (r->timed_out) return tu_printf("timed out after %.0f s", r->secs);
  if (!r->exited) return tu_printf("killed by signal %d (%s)", r->status, strsignal(r->status));
  return tu_printf("exit status %d", r->status);
}

char *tu_argv_str(char *const argv[]) {
  size_t n = 1;
  for (int i = 0; argv[i]; i++) n += strlen(argv[i]) + 1;
  char *s = malloc(n);
  s[0] = 0;
  for (int i = 0; argv[i]; i++) {
    if (i) strcat(s, " ");
    strcat(s, argv[i]);
  }
  return s;
}

char *tu_first_line(const char *s, size_t max) {
  size_t n = strcspn(s, "\n");
  if (n > max) n = max;
  return strndup(s, n);
}

char *tu_line_with(const char *s, const char *needle, size_t max) {
  const char *hit = strstr(s, needle);
  if (!hit) return tu_first_line(s, max);
  while (hit > s && hit[-1] != '\n') hit--;
  return tu_first_line(hit, max);
}

int tu_count_lines(const char *s) {
  int n = 0;
  for (const char *p = s; *p; p++)
    if (*p == '\n') n++;
  size_t len = strlen(s);
  if (len && s[len - 1] != '\n') n++;
  return n;
}

char *tu_check_one_error_line(const RunResult *r) {
  if (!r->exited || r->status != 1) {
    char *how = tu_run_describe(r);
    char *first = tu_first_line(r->err, 300);
    char *msg = tu_printf("expected exit status 1, got %s (stderr: %s)", how, first);
    free(how);
    free(first);
    return msg;
  }
  int lines = tu_count_lines(r->err);
  if (lines != 1) return tu_printf("expected exactly one line on stderr, got %d: %.300s", lines, r->err);
  if (strncmp(r->err, "vitc: error: ", 13) != 0) return tu_printf("stderr does not start with 'vitc: error: ': %.300s", r->err);
  return NULL;
}

/* ---------------- models ---------------- */

static void io_from_proto(const Onnx__ValueInfoProto *v, ModelIO *io) {
  io->name = strdup(v->name ? v->name : "");
  io->dtype = DT_UNDEFINED;
  io->shape.rank = -1;
  const Onnx__TypeProto *tp = v->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) return;
  io->dtype = (DType)tp->tensor_type->elem_type;
  const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
  if (!sh || sh->n_dim > IR_MAX_RANK) return;
  io->shape.rank = (int)sh->n_dim;
  for (size_t i = 0; i < sh->n_dim; i++)
    io->shape.d[i] = sh->dim[i]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                         ? sh->dim[i]->dim_value
                         : -1;
}

static bool is_initializer(const Onnx__GraphProto *g, const char *name) {
  for (size_t i = 0; i < g->n_initializer; i++)
    if (g->initializer[i]->name && strcmp(g->initializer[i]->name, name) == 0) return true;
  return false;
}

char *tu_model_info(const char *path, ModelInfo *mi) {
  memset(mi, 0, sizeof *mi);
  mi->opset = -1;
  size_t len;
  uint8_t *buf = tu_read_file(path, &len);
  if (!buf) return tu_printf("cannot read %s: %s", path, strerror(errno));
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
  free(buf);
  if (!m) return tu_printf("%s: protobuf decoding failed", path);
  if (!m->graph) {
    onnx__model_proto__free_unpacked(m, NULL);
    return tu_printf("%s: no graph", path);
  }
  mi->ir_version = m->ir_version;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const char *d = m->opset_import[i]->domain;
    if (!d || !*d || strcmp(d, "ai.onnx") == 0) mi->opset = (int)m->opset_import[i]->version;
  }
  const Onnx__GraphProto *g = m->graph;
  mi->ops = calloc(g->n_node + 1, sizeof(char *));
  for (size_t i = 0; i < g->n_node; i++) {
    const Onnx__NodeProto *n = g->node[i];
    const char *d = n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0 ? n->domain : NULL;
    char *op = d ? tu_printf("%s:%s", d, n->op_type ? n->op_type : "?") : strdup(n->op_type ? n->op_type : "?");
    bool seen = false;
    for (int k = 0; k < mi->n_ops && !seen; k++) seen = strcmp(mi->ops[k], op) == 0;
    if (seen) free(op);
    else mi->ops[mi->n_ops++] = op;
  }
  mi->in = calloc(g->n_input + 1, sizeof(ModelIO));
  for (size_t i = 0; i < g->n_input; i++)
    if (!is_initializer(g, g->input[i]->name ? g->input[i]->name : "")) io_from_proto(g->input[i], &mi->in[mi->n_in++]);
  mi->out = calloc(g->n_output + 1, sizeof(ModelIO));
  for (size_t i = 0; i < g->n_output; i++) io_from_proto(g->output[i], &mi->out[mi->n_out++]);
  onnx__model_proto__free_unpacked(m, NULL);
  return NULL;
}

void tu_model_info_free(ModelInfo *mi) {
  for (int i = 0; i < mi->n_ops; i++) free(mi->ops[i]);
  for (int i = 0; i < mi->n_in; i++) free(mi->in[i].name);
  for (int i = 0; i < mi->n_out; i++) free(mi->out[i].name);
  free(mi->ops);
  free(mi->in);
  free(mi->out);
  memset(mi, 0, sizeof *mi);
}

/* ---------------- comparing tensors ---------------- */

static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
  return (h & 0x8000) ? -v : v;
}

static double float_elem(DType dt, const void *p, size_t i) {
  switch (dt) {
  case DT_FLOAT: return ((const float *)p)[i];
  case DT_DOUBLE: return ((const double *)p)[i];
  default: return half_to_double(((const uint16_t *)p)[i]);
  }
}

static int64_t int_elem(DType dt, const void *p, size_t i) {
  switch (dt) {
  case DT_UINT8: case DT_BOOL: return ((const uint8_t *)p)[i];
  case DT_INT8: return ((const int8_t *)p)[i];
  case DT_UINT16: return ((const uint16_t *)p)[i];
  case DT_INT16: return ((const int16_t *)p)[i];
  case DT_INT32: return ((const int32_t *)p)[i];
  case DT_UINT32: return ((const uint32_t *)p)[i];
  default: return ((const int64_t *)p)[i]; /* int64, uint64 (compared bit for bit) */
  }
}

static void compare_floats(DType dt, const void *got, const void *ref, size_t n, double rtol, CompareResult *cr) {
  size_t worst = 0;
  for (size_t i = 0; i < n; i++) {
    double g = float_elem(dt, got, i), r = float_elem(dt, ref, i);
    if (isnan(g) || isnan(r)) {
      if (isnan(g) != isnan(r) && cr->ok) {
        cr->ok = false;
        snprintf(cr->why, sizeof cr->why, "NaN mismatch at element %zu: got %g, ref %g", i, g, r);
      }
      continue;
    }
    if (isinf(g) || isinf(r)) {
      if (g != r && cr->ok) {
        cr->ok = false;
        snprintf(cr->why, sizeof cr->why, "infinity mismatch at element %zu: got %g, ref %g", i, g, r);
      }
      continue;
    }
    if (fabs(r) > cr->max_ref) cr->max_ref = fabs(r);
    if (fabs(g - r) > cr->max_err) cr->max_err = fabs(g - r), worst = i;
  }
  cr->tol = rtol * (cr->max_ref > 1 ? cr->max_ref : 1);
  if (cr->ok && !(cr->max_err <= cr->tol)) {
    cr->ok = false;
    snprintf(cr->why, sizeof cr->why, "max_abs_err %.3g at element %zu (got %.9g, ref %.9g) exceeds tol %.3g", cr->max_err,
             worst, float_elem(dt, got, worst), float_elem(dt, ref, worst), cr->tol);
  }
}

static void compare_ints(DType dt, const void *got, const void *ref, size_t n, CompareResult *cr) {
  for (size_t i = 0; i < n; i++) {
    int64_t g = int_elem(dt, got, i), r = int_elem(dt, ref, i);
    double ar = fabs((double)r), d = fabs((double)g - (double)r);
    if (ar > cr->max_ref) cr->max_ref = ar;
    if (d > cr->max_err) cr->max_err = d;
    if (g != r && cr->ok) {
      cr->ok = false;
      snprintf(cr->why, sizeof cr->why, "element %zu differs: got %lld, ref %lld (integers must match exactly)", i,
               (long long)g, (long long)r);
    }
  }
}

void tu_compare(DType dt, const void *got, const void *ref, size_t n, double rtol, CompareResult *cr) {
  memset(cr, 0, sizeof *cr);
  cr->ok = true;
  if (dt == DT_FLOAT || dt == DT_DOUBLE || dt == DT_FLOAT16) compare_floats(dt, got, ref, n, rtol, cr);
  else if (dtype_size(dt) > 0 && dt != DT_STRING) compare_ints(dt, got, ref, n, cr);
  else {
    cr->ok = false;
    snprintf(cr->why, sizeof cr->why, "cannot compare element type %s (%d)", dtype_name(dt), (int)dt);
  }
}

void tu_compare_files(DType dt, const char *got_path, const char *ref_path, double rtol, CompareResult *cr) {
  memset(cr, 0, sizeof *cr);
  size_t ng, nr, es = dtype_size(dt);
  void *got = tu_read_file(got_path, &ng), *ref = tu_read_file(ref_path, &nr);
  if (!got || !ref) snprintf(cr->why, sizeof cr->why, "cannot read %s", got ? ref_path : got_path);
  else if (!es || ng != nr || nr % es)
    snprintf(cr->why, sizeof cr->why, "size mismatch: %s has %zu bytes, reference %s has %zu (%s)", got_path, ng, ref_path,
             nr, dtype_name(dt));
  else tu_compare(dt, got, ref, nr / es, rtol, cr);
  free(got);
  free(ref);
}

/* ---------------- environment ---------------- */

int tu_jobs(void) {
  const char *s = getenv("VITC_TEST_JOBS");
  long n = s && *s ? strtol(s, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

const char *tu_cc(void) {
  const char *s = getenv("VITC_TEST_CC");
  return s && *s ? s : "cc";
}

char *tu_ort_unavailable(void) {
  char *probe[] = {"node", "-e", "require(process.argv[1])", NULL, NULL};
  char *mod = tu_printf("%s/tests/ort/node_modules/onnxruntime-node", VITC_SOURCE_DIR);
  probe[3] = mod;
  RunResult r;
  char *why = NULL;
  if (tu_run(probe, 60, &r) != 0) why = tu_printf("cannot start node");
  else if (!r.exited || r.status != 0) {
    char *first = tu_first_line(r.err, 200);
    why = r.exited && r.status == 127 ? tu_printf("node is not installed (apt-get install nodejs)")
                                      : tu_printf("onnxruntime-node does not load from %s (%s); install it with "
                                                  "ONNXRUNTIME_NODE_INSTALL=skip npm ci --prefix tests/ort",
                                                  mod, first);
    free(first);
  }
  tu_run_free(&r);
  free(mod);
  return why;
}

/* ---------------- building bundles ---------------- */

int tu_build_bundle(const Platform *p, const char *flags, const char *bundle, const char *prog, int timeout,
                    RunResult *r) {
  enum { MAX_ARGS = 128 };
  char *argv[MAX_ARGS] = {(char *)p->cc, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-o", (char *)prog};
  int argc = 7, first_owned = argc;
  char *copy = tu_printf("%s %s", p->cflags ? p->cflags : "", flags ? flags : ""), *save = NULL;
  for (char *f = strtok_r(copy, " \t", &save); f && argc < MAX_ARGS / 2; f = strtok_r(NULL, " \t", &save))
    argv[argc++] = strdup(f);
  char **files = tu_list_dir(bundle, "", NULL);
  for (char **f = files; *f && argc < MAX_ARGS - 2; f++) {
    size_t n = strlen(*f);
    if (n > 2 && strcmp(*f + n - 2, ".c") == 0) argv[argc++] = tu_printf("%s/%s", bundle, *f);
  }
  argv[argc++] = "-lm";
  int rc = tu_run(argv, timeout, r);
  for (int i = first_owned; i < argc - 1; i++) free(argv[i]);
  free(copy);
  tu_free_list(files);
  return rc;
}

char *tu_build_error_line(const char *err, size_t max) {
  return tu_line_with(err, strstr(err, "undefined reference") ? "undefined reference" : "error", max);
}

/* ---------------- targets ---------------- */

#if defined(__x86_64__) || defined(__i386__)
#define CPU_FEATURE(f)                                                                                                 \
  { "-m" #f, f##_present }
#define PRESENT(f)                                                                                                     \
  static int f##_present(void) { return __builtin_cpu_supports(#f); }
PRESENT(avx)
PRESENT(avx2)
PRESENT(fma)
PRESENT(f16c)
PRESENT(avx512f)
PRESENT(avx512bw)
PRESENT(avx512vl)
PRESENT(avx512dq)
PRESENT(avx512vnni)
PRESENT(avx512bf16)
static const struct {
  const char *flag;
  int (*present)(void);
} cpu_flags[] = {
    CPU_FEATURE(avx),      CPU_FEATURE(avx2),       CPU_FEATURE(fma),        CPU_FEATURE(f16c),
    CPU_FEATURE(avx512f),  CPU_FEATURE(avx512bw),   CPU_FEATURE(avx512vl),   CPU_FEATURE(avx512dq),
    CPU_FEATURE(avx512vnni), CPU_FEATURE(avx512bf16),
};
#endif

/* ARM targets (their intrinsics header is arm_neon.h) on an x86 host are
 * cross-compiled and run under qemu-user; x86 targets run natively when the CPU
 * has every -m feature their flags ask for. */
static bool is_arm_target(const Target *t) { return t->intrin_header && strcmp(t->intrin_header, "arm_neon.h") == 0; }

/* NULL if `argv[0] --version` runs, else why not. */
static char *tool_missing(const char *tool, const char *package) {
  char *argv[] = {(char *)tool, "--version", NULL};
  RunResult r;
  bool ok = tu_run(argv, 60, &r) == 0 && r.exited && r.status == 0;
  tu_run_free(&r);
  return ok ? NULL : tu_printf("%s is not installed (apt-get install %s)", tool, package);
}

#define ARMV7_FLAGS "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard"

/* The ARM platforms (testutil.h). `arch` is the host architecture on which the
 * platform runs natively with the host's cc; elsewhere it is cross-compiled. */
static const struct ArmPlatform {
  const char *name, *arch, *cc, *cc_package, *cflags, *emulator, *sysroot, *sysroot_package, *how;
} arm_platforms[] = {
    {"aarch64", "aarch64", "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", "", "qemu-aarch64",
     "/usr/aarch64-linux-gnu", "libc6-dev-arm64-cross", "under qemu-aarch64 (aarch64, gcc)"},
    {"aarch64-clang", "aarch64", "clang", "clang", "--target=aarch64-linux-gnu", "qemu-aarch64",
     "/usr/aarch64-linux-gnu", "libc6-dev-arm64-cross", "under qemu-aarch64 (aarch64, clang)"},
    {"armv7", "armv7", "arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf", ARMV7_FLAGS, "qemu-arm",
     "/usr/arm-linux-gnueabihf", "libc6-dev-armhf-cross", "under qemu-arm (armv7 neon-vfpv4, gcc)"},
    {"armv7-clang", "armv7", "clang", "clang", "--target=arm-linux-gnueabihf " ARMV7_FLAGS, "qemu-arm",
     "/usr/arm-linux-gnueabihf", "libc6-dev-armhf-cross", "under qemu-arm (armv7 neon-vfpv4, clang)"},
    {"armv7-nofma", "armv7", "arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf",
     "-march=armv7-a -mfpu=neon -mfloat-abi=hard", "qemu-arm", "/usr/arm-linux-gnueabihf", "libc6-dev-armhf-cross",
     "under qemu-arm (armv7 neon without VFPv4, gcc)"},
};
#define N_ARM_PLATFORMS (sizeof arm_platforms / sizeof arm_platforms[0])

const char *tu_arm_platform_names(void) { return "aarch64, aarch64-clang, armv7, armv7-clang, armv7-nofma"; }

#if defined(__aarch64__)
#define HOST_ARCH "aarch64"
#elif defined(__arm__) && defined(__ARM_NEON)
#define HOST_ARCH "armv7"
#else
#define HOST_ARCH ""
#endif

/* A NEON program that needs libm: proves the compiler, its flags, the sysroot and
 * the emulator work together. */
static const char probe_src[] = "#include <arm_neon.h>\n#include <math.h>\n#include <stdio.h>\n"
                                "int main(void) {\n"
                                "  float32x4_t v = vaddq_f32(vdupq_n_f32(1.0f), vdupq_n_f32(3.0f));\n"
                                "  printf(\"%g\\n\", sqrtf(vgetq_lane_f32(v, 2)));\n"
                                "  return 0;\n"
                                "}\n";

/* NULL if p builds and runs the probe, else why not. */
static char *probe_platform(const Platform *p) {
  char *dir = tu_tmp_path("vitc_platform_probe_XXXXXX");
  if (!mkdtemp(dir)) {
    char *why = tu_printf("cannot create %s: %s", dir, strerror(errno));
    free(dir);
    return why;
  }
  char *src = tu_printf("%s/probe.c", dir), *exe = tu_printf("%s/probe.bin", dir), *why = NULL;
  tu_write_file(src, probe_src, sizeof probe_src - 1);
  RunResult r;
  if (tu_build_bundle(p, "-O1", dir, exe, 120, &r) != 0) why = tu_printf("cannot start %s", p->cc);
  else if (!r.exited || r.status != 0) {
    char *line = tu_build_error_line(r.err, 200);
    why = tu_printf("%s %s cannot build a NEON program (is its C library installed? .ci/setup.sh): %s", p->cc,
                    p->cflags, line);
    free(line);
  }
  tu_run_free(&r);
  if (!why) {
    char *argv[5];
    argv[tu_platform_argv(p, argv, exe)] = NULL;
    if (tu_run(argv, 120, &r) != 0 || !r.exited || r.status != 0 || strcmp(r.out ? r.out : "", "2\n") != 0) {
      char *cmd = tu_argv_str(argv), *first = tu_first_line(r.err ? r.err : "", 200);
      why = tu_printf("a probe program built with %s %s does not run (%s: %s)", p->cc, p->cflags, cmd, first);
      free(cmd);
      free(first);
    }
    tu_run_free(&r);
  }
  tu_rm_rf(dir);
  free(dir);
  free(src);
  free(exe);
  return why;
}

/* Fills *p for the ARM platform `name`; returns why it cannot run here, or NULL.
 * The verdict is remembered: the drivers ask several times per process. */
static char *arm_platform(const char *name, Platform *p) {
  static char *verdict[N_ARM_PLATFORMS];
  static bool probed[N_ARM_PLATFORMS];
  size_t i = 0;
  while (i < N_ARM_PLATFORMS && strcmp(arm_platforms[i].name, name) != 0) i++;
  if (i == N_ARM_PLATFORMS) return tu_printf("no ARM platform '%s' (platforms: %s)", name, tu_arm_platform_names());
  const struct ArmPlatform *a = &arm_platforms[i];
  bool native = strcmp(a->arch, HOST_ARCH) == 0 && strcmp(a->cc, "clang") != 0;
  *p = native ? (Platform){a->name, tu_cc(), a->cflags, NULL, NULL, false}
              : (Platform){a->name, a->cc, a->cflags, a->emulator, a->sysroot, false};
  if (!probed[i]) {
    char *why = native ? NULL : tool_missing(a->cc, a->cc_package);
    if (!why && p->emulator) why = tool_missing(p->emulator, "qemu-user");
    if (!why && p->sysroot && !tu_is_dir(p->sysroot))
      why = tu_printf("%s is absent (apt-get install %s)", p->sysroot, a->sysroot_package);
    if (!why) why = probe_platform(p);
    verdict[i] = why;
    probed[i] = true;
  }
  return verdict[i] ? strdup(verdict[i]) : NULL;
}

char *tu_target_platform(const Target *t, Platform *p) { return tu_target_platform_named(t, NULL, p); }

/* NULL if this CPU has every -m feature in cflags, else why not. On a host that is not
 * x86, no -m feature of vitc's x86 targets can be told to run. */
static char *cpu_lacks_flags(const char *cflags) {
  char *flags = strdup(cflags ? cflags : ""), *save = NULL, *why = NULL;
  for (char *f = strtok_r(flags, " \t", &save); f && !why; f = strtok_r(NULL, " \t", &save)) {
    if (strncmp(f, "-m", 2) != 0 || strcmp(f, "-march=native") == 0) continue;
    bool known = false;
#if defined(__x86_64__) || defined(__i386__)
    for (size_t i = 0; i < sizeof cpu_flags / sizeof cpu_flags[0] && !known; i++) {
      if (strcmp(f, cpu_flags[i].flag) != 0) continue;
      known = true;
      if (!cpu_flags[i].present()) why = tu_printf("this CPU lacks %s (flag %s)", f + 2, f);
    }
#endif
    if (!known && !why) why = tu_printf("this machine cannot run code built with %s", f);
  }
  free(flags);
  return why;
}

char *tu_target_platform_named(const Target *t, const char *platform, Platform *p) {
  /* $VITC_TEST_PLATFORM picks the ARM platform of drivers that test every target */
  if (is_arm_target(t) && (!platform || !*platform)) platform = getenv("VITC_TEST_PLATFORM");
  bool named = platform && *platform && strcmp(platform, "host") != 0;
  *p = (Platform){"host", tu_cc(), "", NULL, NULL, false};
  if (is_arm_target(t)) return arm_platform(named ? platform : "aarch64", p);
  if (named) return tu_printf("platform %s is for ARM targets; target %s runs on the host", platform, t->name);
  char *why = cpu_lacks_flags(t->cflags);
  p->no_hardware = why != NULL;
  return why;
}

int tu_cannot_run(const char *label, const Platform *p, const char *why) {
  printf("%s: %s: %s\n", label, p->no_hardware ? "SKIPPED" : "FAIL", why);
  fflush(stdout);
  return p->no_hardware ? TU_SKIP : 1;
}

/* ---------------- one ctest test per ISA ---------------- */

static const char *selected_isa;

bool tu_target_needs_cpu_features(const Target *t) {
  const char *f = t->cflags ? t->cflags : "";
  return strncmp(f, "-m", 2) == 0 || strstr(f, " -m") != NULL;
}

char *tu_select_isa(int *argc, char **argv) {
  for (int i = 1; i < *argc; i++) {
    if (strcmp(argv[i], "--isa") != 0) continue;
    if (i + 1 >= *argc) return tu_printf("--isa needs a target name");
    const Target *t = target_find(argv[i + 1]);
    if (!t || !tu_target_needs_cpu_features(t))
      return tu_printf("--isa %s: not a target whose code needs CPU features (the others run without --isa)",
                       argv[i + 1]);
    selected_isa = t->name;
    for (int j = i; j + 2 <= *argc; j++) argv[j] = argv[j + 2];
    *argc -= 2;
    return NULL;
  }
  return NULL;
}

const char *tu_selected_isa(void) { return selected_isa; }

char *tu_work_dir(const char *folder, const char *name) {
  const char *isa = tu_selected_isa();
  return tu_printf("%s/tests/%s/%s%s%s", VITC_BINARY_DIR, folder, name, isa ? "-" : "", isa ? isa : "");
}

bool tu_target_selected(const Target *t) {
  return selected_isa ? strcmp(t->name, selected_isa) == 0 : !tu_target_needs_cpu_features(t);
}

char *tu_cpu_lacks(const char *target) {
  const Target *t = target_find(target);
  return t ? cpu_lacks_flags(t->cflags) : tu_printf("vitc has no target '%s'", target);
}

int tu_isa_verdict(const char *driver, int *argc, char **argv) {
  char *err = tu_select_isa(argc, argv);
  if (err) {
    fprintf(stderr, "%s: %s\n", driver, err);
    free(err);
    return 2;
  }
  if (!selected_isa) return -1;
  char *why = tu_cpu_lacks(selected_isa);
  if (!why) return -1;
  printf("%s [%s]: SKIPPED: %s\n", driver, selected_isa, why);
  free(why);
  return TU_SKIP;
}

int tu_isa_main(const char *driver, const char *suite, int argc, char **argv, double timeout_secs,
                const TuIsaTest *tests, size_t n) {
  int verdict = tu_isa_verdict(driver, &argc, argv);
  if (verdict >= 0) return verdict;
  return tu_run_suite(tu_isa_suite(suite, tu_selected_isa(), timeout_secs, tests, n));
}

char *tu_run_neon_standalone(const char *src, const char *define, const char *const *args) {
  Platform p;
  char *why = tu_target_platform(target_find("neon"), &p);
  if (why) {
    char *msg = tu_printf("cannot build and run for neon: %s", why);
    free(why);
    return msg;
  }
  char *dir = tu_tmp_path("vitc_neon_standalone_XXXXXX");
  if (!mkdtemp(dir)) {
    char *why = tu_printf("cannot create %s: %s", dir, strerror(errno));
    free(dir);
    return why;
  }
  char *path = tu_printf("%s/tests/%s", VITC_SOURCE_DIR, src), *def = tu_printf("-D%s", define);
  char *inc_t = tu_printf("-I%s/templates", VITC_SOURCE_DIR), *inc_tests = tu_printf("-I%s/tests", VITC_SOURCE_DIR);
  char *prog = tu_printf("%s/prog", dir), *fail = NULL;
  enum { MAX_ARGS = 64 };
  char *cc[MAX_ARGS] = {(char *)p.cc};
  int n = 1;
  char *flags = strdup(p.cflags ? p.cflags : ""), *save = NULL;
  for (char *f = strtok_r(flags, " \t", &save); f && n < MAX_ARGS / 2; f = strtok_r(NULL, " \t", &save)) cc[n++] = f;
  const char *fixed[] = {"-std=c99", "-O2", "-Wall", "-Wextra", "-pedantic", "-Werror", def, inc_t, inc_tests, path,
                         "-lm", "-o", prog};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) cc[n++] = (char *)fixed[i];
  cc[n] = NULL;
  RunResult r;
  if (tu_run(cc, 600, &r) != 0) fail = tu_printf("cannot start %s", p.cc);
  else if (!r.exited || r.status != 0) {
    char *cmd = tu_argv_str(cc);
    fail = tu_printf("%s: %s\n%s", cmd, tu_run_describe(&r), r.err ? r.err : "");
    free(cmd);
  } else {
    printf("[neon] %s compiled with %s %s -std=c99 -O2 -Wall -Wextra -pedantic -Werror\n", src, p.cc, p.cflags);
    fflush(stdout);
  }
  tu_run_free(&r);
  if (!fail) {
    char *run[MAX_ARGS];
    int m = tu_platform_argv(&p, run, prog);
    for (int i = 0; args && args[i] && m < MAX_ARGS - 1; i++) run[m++] = (char *)args[i];
    run[m] = NULL;
    int rc = tu_run(run, 900, &r);
    if (rc == 0) printf("[neon] run %s:\n%s", tu_platform_how(&p), r.out ? r.out : "");
    fflush(stdout);
    if (rc != 0 || !r.exited || r.status != 0) {
      char *cmd = tu_argv_str(run);
      fail = tu_printf("%s: %s\n%s", cmd, rc != 0 ? "cannot start" : tu_run_describe(&r), r.err ? r.err : "");
      free(cmd);
    }
    if (rc == 0) tu_run_free(&r);
  }
  tu_rm_rf(dir);
  free(dir), free(path), free(def), free(inc_t), free(inc_tests), free(prog), free(flags);
  return fail;
}

const char *tu_platform_how(const Platform *p) {
  for (size_t i = 0; i < N_ARM_PLATFORMS && p->emulator; i++)
    if (strcmp(arm_platforms[i].name, p->name) == 0) return arm_platforms[i].how;
  return "natively";
}

int tu_platform_argv(const Platform *p, char **argv, const char *prog) {
  int argc = 0;
  if (p->emulator) {
    argv[argc++] = (char *)p->emulator;
    argv[argc++] = "-L";
    argv[argc++] = (char *)p->sysroot;
  }
  argv[argc++] = (char *)prog;
  return argc;
}

int tu_validate_bundle(const char *vitc, const Target *t, const Platform *p, const char *bundle, char **report) {
  int n, failures = 0;
  char **files = tu_list_dir(bundle, "", &n);
  bool armv7 = p && p->name && strncmp(p->name, "armv7", 5) == 0;
  if (report) *report = NULL;
  for (int i = 0; i < n; i++) {
    size_t len = strlen(files[i]);
    if (len < 3 || strcmp(files[i] + len - 2, ".c") != 0 || strncmp(files[i], "vitc_", 5) == 0) continue;
    char *file = tu_printf("%s/%s", bundle, files[i]);
    char *argv[] = {(char *)vitc, "validate", file, "--target", (char *)t->name,
                    armv7 ? "--triple" : NULL, "arm-linux-gnueabihf", NULL};
    RunResult r;
    bool started = tu_run(argv, 600, &r) == 0;
    bool ok = started && r.exited && r.status == 0 && r.out && !r.out[0];
    if (!ok && report && !*report) {
      char *how = started ? tu_run_describe(&r) : tu_printf("cannot start %s", vitc);
      *report = tu_printf("vitc validate %s --target %s (%s): %.4000s%.1000s", file, t->name, how,
                          started && r.out ? r.out : "", started && r.err ? r.err : "");
      free(how);
    }
    failures += !ok;
    if (started) tu_run_free(&r);
    free(file);
  }
  tu_free_list(files);
  return failures;
}

/* ---- kernels a SIMD bundle calls ---- */

char **tu_kernel_allowlist(void) {
  char *text = tu_read_file(VITC_SOURCE_DIR "/docs/kernels.md", NULL);
  if (!text) return NULL;
  char *sec = strstr(text, "\n## Allow-list");
  char **list = NULL;
  int n = 0;
  for (char *p = sec; p && *p;) {
    char *eol = strchr(p + 1, '\n');
    if (p != sec && strncmp(p, "\n## ", 4) == 0) break; /* the next section */
    if (strncmp(p, "\n| `vitc_f32_", 13) == 0) {
      const char *name = p + 4;
      size_t len = strcspn(name, "`");
      list = realloc(list, (size_t)(n + 2) * sizeof *list);
      list[n++] = strndup(name, len);
      list[n] = NULL;
    }
    p = eol;
  }
  free(text);
  return list;
}

char *tu_kernel_offenders(const char *out, char *const *allow) {
  char *found = NULL;
  for (const char *p = strstr(out, "vitc_f32_"); p; p = strstr(p + 1, "vitc_f32_")) {
    if (p > out && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) continue;
    size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (len <= 7 || strncmp(p + len - 7, "_scalar", 7) != 0) continue;
    char *base = strndup(p, len - 7);
    bool allowed = false;
    for (int i = 0; allow && allow[i]; i++) allowed |= strcmp(allow[i], base) == 0;
    if (!allowed) {
      char *word = tu_printf("%s_scalar", base);
      bool seen = false;
      if (found)
        for (const char *q = strstr(found, word); q; q = strstr(q + 1, word))
          seen |= (q == found || q[-1] == ' ') && (q[strlen(word)] == 0 || q[strlen(word)] == ' ');
      if (!seen) {
        char *next = tu_printf("%s%s%s", found ? found : "", found ? " " : "", word);
        free(found);
        found = next;
      }
      free(word);
    }
    free(base);
  }
  return found;
}

/* ---------------- a model against ONNX Runtime on every target ---------------- */

char *tu_ort_reference(const char *model, const char *data, int seed, char *const *in, int n_in) {
  char *why = tu_ort_unavailable();
  if (why) {
    char *msg = tu_printf("no ONNX Runtime reference: %s", why);
    free(why);
    return msg;
  }
  char *script = tu_printf("%s/tests/ort/ort_run.js", VITC_SOURCE_DIR), *sd = tu_printf("%d", seed);
  char *argv[48];
  int argc = 0;
  argv[argc++] = "node", argv[argc++] = script, argv[argc++] = (char *)model;
  if (in)
    for (int i = 0; i < n_in && argc < 40; i++) argv[argc++] = "--in", argv[argc++] = in[i];
  else
    argv[argc++] = "--gen-inputs", argv[argc++] = (char *)data, argv[argc++] = "--seed", argv[argc++] = sd;
  argv[argc++] = "--out-dir", argv[argc++] = (char *)data;
  argv[argc] = NULL;
  RunResult r;
  if (tu_run(argv, 600, &r) != 0) why = tu_printf("cannot start node");
  else {
    if (!r.exited || r.status != 0) why = tu_printf("ort_run.js %s: %s: %s", model, tu_run_describe(&r), r.err);
    tu_run_free(&r);
  }
  free(script);
  free(sd);
  return why;
}

char *tu_build_graph(Graph *g, const Target *t, const Platform *p, const char *dir, const char *command) {
  tu_rm_rf(dir);
  tu_mkdir_p(dir);
  Plan *plan = plan_build(g, t); /* scratch sizes depend on the target */
  EmitOptions eo = {dir, "m", t, true, command, "model.onnx", false, false, NULL};
  int rc = emit_bundle(g, plan, &eo);
  plan_free(plan);
  if (rc != 0) return tu_printf("emit_bundle failed for %s", dir);
  char *report = NULL; /* every generated bundle keeps the generated-code contract (docs/validate.md) */
  if (tu_validate_bundle(VITC_BINARY_DIR "/vitc", t, p, dir, &report) != 0) return report;
  char *prog = tu_printf("%s/prog", dir), *flags = tu_printf("-O1 -Werror %s", t->cflags ? t->cflags : ""), *why = NULL;
  RunResult r;
  if (tu_build_bundle(p, flags, dir, prog, 900, &r) != 0) why = tu_printf("cannot start %s", p->cc);
  else {
    if (!r.exited || r.status != 0) {
      char *line = tu_build_error_line(r.err, 300);
      why = tu_printf("cc failed for %s: %s", dir, line);
      free(line);
    }
    tu_run_free(&r);
  }
  free(flags);
  free(prog);
  return why;
}

char *tu_run_graph(const Platform *p, const char *dir, char *const *in, int n_in, char *const *out, int n_out) {
  char *prog = tu_printf("%s/prog", dir), *why = NULL;
  char *argv[48];
  int argc = tu_platform_argv(p, argv, prog);
  for (int i = 0; i < n_in && argc < 24; i++) argv[argc++] = "--in", argv[argc++] = in[i];
  for (int k = 0; k < n_out && argc < 46; k++) argv[argc++] = "--out", argv[argc++] = out[k];
  argv[argc] = NULL;
  RunResult r;
  if (tu_run(argv, 900, &r) != 0) why = tu_printf("cannot start %s", prog);
  else {
    if (!r.exited || r.status != 0) why = tu_printf("%s: %s: %s", prog, tu_run_describe(&r), r.err);
    tu_run_free(&r);
  }
  free(prog);
  return why;
}

/* The output files of one bundle: DIR/out<k>.bin. */
static char **output_files(const char *dir, int n_out) {
  char **out = calloc((size_t)n_out + 1, sizeof *out);
  for (int k = 0; k < n_out; k++) out[k] = tu_printf("%s/out%d.bin", dir, k);
  return out;
}

/* Builds and runs variant v for target t; *outs gets its output files. */
static char *run_variant(const TuAgainstOrt *s, const TuVariant *v, const Target *t, char **in, int n_in,
                         char ***outs) {
  Platform p;
  char *why = tu_target_platform(t, &p); /* a CPU without the ISA was a skip before the test ran */
  if (why) {
    char *msg = tu_printf("[%s] cannot run: %s", t->name, why);
    free(why);
    return msg;
  }
  char *dir = tu_printf("%s/%s_%s", s->work, v->name, t->name);
  *outs = output_files(dir, v->g->n_outputs);
  why = tu_build_graph(v->g, t, &p, dir, s->command);
  if (!why) why = tu_run_graph(&p, dir, in, n_in, *outs, v->g->n_outputs);
  if (!why) printf("  [%s, %s] %s ran\n", t->name, tu_platform_how(&p), v->name);
  free(dir);
  return why;
}

/* Output k of `got` against `ref`: within rtol, or (bits) the same bytes. */
static char *agree(const TuAgainstOrt *s, DType dt, const char *got, const char *ref, bool bits, const char *what) {
  if (bits) {
    size_t na = 0, nb = 0;
    void *a = tu_read_file(got, &na), *b = tu_read_file(ref, &nb);
    bool same = a && b && na == nb && memcmp(a, b, na) == 0;
    free(a), free(b);
    printf("  %s: %s\n", what, same ? "identical bits" : "DIFFERENT BITS");
    return same ? NULL : tu_printf("%s %s: not the same bits (%s, %s)", s->model, what, got, ref);
  }
  CompareResult cr;
  tu_compare_files(dt, got, ref, s->rtol, &cr);
  printf("  %s: max_err %.3g (max_ref %.3g)\n", what, cr.max_err, cr.max_ref);
  return cr.ok ? NULL : tu_printf("%s %s: %s", s->model, what, cr.why);
}

static void free_list_n(char **list) {
  for (char **p = list; p && *p; p++) free(*p);
  free(list);
}

char *tu_against_ort(const TuAgainstOrt *s) {
  const Graph *g0 = s->variants[0].g;
  int n_in = g0->n_inputs, n_out = g0->n_outputs, nv = s->n_variants;
  char *data = tu_printf("%s/data", s->work), *why = NULL;
  tu_rm_rf(data);
  tu_mkdir_p(data);
  char **in = calloc((size_t)n_in + 1, sizeof *in), **ref = calloc((size_t)n_out + 1, sizeof *ref);
  for (int i = 0; i < n_in; i++) in[i] = s->in ? strdup(s->in[i]) : tu_printf("%s/input%d.bin", data, i);
  for (int k = 0; k < n_out; k++) ref[k] = tu_printf("%s/ort_output%d.bin", data, k);
  if (s->sample) {
    if (n_in != 1 || n_out != 1 || tu_copy_sample_data(s->model, in[0], ref[0]) != 0)
      why = tu_printf("cannot copy %s's input and ONNX Runtime output", s->model);
  } else {
    why = tu_ort_reference(s->model, data, s->seed, s->in, n_in);
  }
  char ***scalar_outs = calloc((size_t)nv, sizeof *scalar_outs); /* the scalar-only variants' outputs */
  for (int v = 0; v < nv && !why; v++) {
    const TuVariant *var = &s->variants[v];
    if (!var->scalar_only) continue;
    why = run_variant(s, var, target_find("scalar"), in, n_in, &scalar_outs[v]);
    for (int k = 0; k < n_out && !why; k++) {
      char *what = tu_printf("[scalar] %s output %d vs ONNX Runtime", var->name, k);
      why = agree(s, g0->t[g0->outputs[k]].dtype, scalar_outs[v][k], ref[k], false, what);
      free(what);
    }
  }
  for (int ti = 0; target_at(ti) && !why; ti++) {
    const Target *t = target_at(ti);
    if (!tu_target_selected(t)) continue; /* another ctest test's (--isa) */
    char ***outs = calloc((size_t)nv, sizeof *outs);
    for (int v = 0; v < nv && !why; v++) {
      const TuVariant *var = &s->variants[v];
      if (var->scalar_only) continue;
      why = run_variant(s, var, t, in, n_in, &outs[v]);
      for (int k = 0; k < n_out && !why; k++) {
        char *what = tu_printf("[%s] %s output %d vs ONNX Runtime", t->name, var->name, k);
        why = agree(s, g0->t[g0->outputs[k]].dtype, outs[v][k], ref[k], false, what);
        free(what);
      }
    }
    for (int v = 1; v < nv && !why; v++) {
      const TuVariant *var = &s->variants[v];
      if (var->vs_first == TU_VS_ORT_ONLY) continue;
      char **other = var->scalar_only ? scalar_outs[v] : outs[v];
      for (int k = 0; k < n_out && !why; k++) {
        char *what = tu_printf("[%s] %s vs %s%s output %d", t->name, s->variants[0].name, var->name,
                               var->scalar_only ? " (scalar)" : "", k);
        why = agree(s, g0->t[g0->outputs[k]].dtype, outs[0][k], other[k], var->vs_first == TU_VS_FIRST_BITS, what);
        free(what);
      }
    }
    for (int v = 0; v < nv; v++) free_list_n(outs[v]);
    free(outs);
  }
  for (int v = 0; v < nv; v++) free_list_n(scalar_outs[v]);
  free(scalar_outs);
  free_list_n(in);
  free_list_n(ref);
  free(data);
  return why;
}
