/* tests/check_testutil.c: the test drivers' own helpers (tests/testutil.c).
 *
 * The conformance, model and bad-input drivers are only as good as the pieces that
 * judge them: the tensor comparison (tolerance, NaN placement, exact integers),
 * the one-error-line contract and the process runner (exit codes, signals, time
 * limits, captured output). This checks those pieces on hand-made inputs whose
 * verdicts are known, including the cases that must fail. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "testutil.h"
#include "emit/target.h"
#include "mkonnx.h"

static CompareResult cmp_f32(const float *got, const float *ref, size_t n) {
  CompareResult cr;
  tu_compare(DT_FLOAT, got, ref, n, 1e-4, &cr);
  return cr;
}

START_TEST(float_tolerance_scales_with_max_ref) {
  /* max|ref| = 10 -> tol 1e-3: an error of 9e-4 passes, 1.1e-3 fails */
  const float ref[3] = {10, 1, -2};
  const float near[3] = {10, 1.0009f, -2}, far[3] = {10, 1.0011f, -2};
  CompareResult cr = cmp_f32(near, ref, 3);
  ck_assert_msg(cr.ok, "%s", cr.why);
  ck_assert_double_eq_tol(cr.tol, 1e-3, 1e-9);
  ck_assert_double_eq(cr.max_ref, 10);
  cr = cmp_f32(far, ref, 3);
  ck_assert(!cr.ok);
  ck_assert_ptr_nonnull(strstr(cr.why, "element 1"));
  /* below 1, the tolerance is absolute: max(1, max|ref|) */
  const float small_ref[2] = {1e-3f, 0}, small_got[2] = {1e-3f + 9e-5f, 0};
  cr = cmp_f32(small_got, small_ref, 2);
  ck_assert_msg(cr.ok, "%s", cr.why);
  ck_assert_double_eq_tol(cr.tol, 1e-4, 1e-12);
}
END_TEST

START_TEST(float_nan_and_inf_must_match) {
  const float ref[3] = {NAN, INFINITY, 1};
  const float same[3] = {NAN, INFINITY, 1};
  ck_assert(cmp_f32(same, ref, 3).ok);
  const float nan_moved[3] = {0, INFINITY, NAN};
  CompareResult cr = cmp_f32(nan_moved, ref, 3);
  ck_assert(!cr.ok);
  ck_assert_ptr_nonnull(strstr(cr.why, "NaN"));
  const float inf_sign[3] = {NAN, -INFINITY, 1};
  ck_assert(!cmp_f32(inf_sign, ref, 3).ok);
  const float inf_for_big[3] = {NAN, 3e38f, 1};
  ck_assert(!cmp_f32(inf_for_big, ref, 3).ok);
}
END_TEST

START_TEST(integers_and_bools_exact) {
  const int64_t ref[3] = {1, -5, INT64_MAX}, got[3] = {1, -5, INT64_MAX - 1};
  CompareResult cr;
  tu_compare(DT_INT64, ref, ref, 3, 1e-4, &cr);
  ck_assert(cr.ok);
  tu_compare(DT_INT64, got, ref, 3, 1e-4, &cr); /* off by one at 2^63: a float tolerance would hide it */
  ck_assert(!cr.ok);
  const uint8_t b_ref[2] = {1, 0}, b_got[2] = {1, 1};
  tu_compare(DT_BOOL, b_got, b_ref, 2, 1e-4, &cr);
  ck_assert(!cr.ok);
  const int8_t i8[2] = {-128, 127};
  tu_compare(DT_INT8, i8, i8, 2, 1e-4, &cr);
  ck_assert(cr.ok);
  ck_assert_double_eq(cr.max_ref, 128);
}
END_TEST

START_TEST(float16_and_double) {
  const uint16_t h_ref[2] = {0x3c00, 0xc000}, h_got[2] = {0x3c00, 0xc001}; /* 1, -2 vs -2.00195 */
  CompareResult cr;
  tu_compare(DT_FLOAT16, h_got, h_ref, 2, 1e-4, &cr);
  ck_assert(!cr.ok);
  ck_assert_double_eq_tol(cr.max_err, 0.001953125, 1e-12);
  const double d_ref[1] = {1.0}, d_got[1] = {1.00005};
  tu_compare(DT_DOUBLE, d_got, d_ref, 1, 1e-4, &cr);
  ck_assert(cr.ok);
}
END_TEST

START_TEST(compare_files_sizes) {
  char *dir = tu_printf("%s/tests/testutil", VITC_BINARY_DIR);
  tu_mkdir_p(dir);
  char *a = tu_printf("%s/a.bin", dir), *b = tu_printf("%s/b.bin", dir);
  const float x[2] = {1, 2};
  tu_write_file(a, x, sizeof x);
  tu_write_file(b, x, sizeof x[0]);
  CompareResult cr;
  tu_compare_files(DT_FLOAT, a, b, 1e-4, &cr);
  ck_assert(!cr.ok);
  ck_assert_ptr_nonnull(strstr(cr.why, "size mismatch"));
  tu_compare_files(DT_FLOAT, a, a, 1e-4, &cr);
  ck_assert(cr.ok);
  tu_rm_rf(dir);
}
END_TEST

static RunResult fake(bool exited, int status, const char *err) {
  RunResult r = {0};
  r.exited = exited;
  r.status = status;
  r.err = (char *)err;
  return r;
}

START_TEST(one_error_line_contract) {
  RunResult r = fake(true, 1, "vitc: error: m.onnx: bad\n");
  ck_assert_ptr_null(tu_check_one_error_line(&r));
  r = fake(true, 1, "vitc: error: a\nvitc: error: b\n");
  ck_assert_ptr_nonnull(tu_check_one_error_line(&r));
  r = fake(true, 2, "vitc: error: usage\n");
  ck_assert_ptr_nonnull(tu_check_one_error_line(&r));
  r = fake(false, 11, "vitc: error: x\n");
  ck_assert_ptr_nonnull(tu_check_one_error_line(&r));
  r = fake(true, 1, "");
  ck_assert_ptr_nonnull(tu_check_one_error_line(&r));
  r = fake(true, 1, "vitc: internal error: boom\n");
  ck_assert_ptr_nonnull(tu_check_one_error_line(&r));
}
END_TEST

START_TEST(runner_status_signal_timeout) {
  RunResult r;
  char *exit3[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
  ck_assert_int_eq(tu_run(exit3, 10, &r), 0);
  ck_assert(r.exited && r.status == 3 && !r.timed_out);
  ck_assert_str_eq(r.out, "out\n");
  ck_assert_str_eq(r.err, "err\n");
  tu_run_free(&r);
  char *segv[] = {"sh", "-c", "kill -SEGV $$", NULL};
  tu_run(segv, 10, &r);
  ck_assert(!r.exited && r.status == 11);
  char *how = tu_run_describe(&r);
  ck_assert_ptr_nonnull(strstr(how, "signal 11"));
  free(how);
  tu_run_free(&r);
  /* the time limit kills the whole process group, grandchildren included */
  char *slow[] = {"sh", "-c", "sleep 30 & sleep 30; wait", NULL};
  tu_run(slow, 1, &r);
  ck_assert(r.timed_out && r.secs < 10);
  tu_run_free(&r);
  char *missing[] = {"/nonexistent/program", NULL};
  tu_run(missing, 10, &r);
  ck_assert(r.exited && r.status == 127);
  tu_run_free(&r);
}
END_TEST

START_TEST(string_helpers) {
  ck_assert_int_eq(tu_count_lines(""), 0);
  ck_assert_int_eq(tu_count_lines("a"), 1);
  ck_assert_int_eq(tu_count_lines("a\nb\n"), 2);
  char *s = tu_line_with("x.c:1: note\nx.c:2: warning: w\n", "warning:", 100);
  ck_assert_str_eq(s, "x.c:2: warning: w");
  free(s);
  s = tu_stem("/a/b/vit_tiny32.onnx");
  ck_assert_str_eq(s, "vit_tiny32");
  free(s);
}
END_TEST

/* tests/CMakeLists.txt's VITC_ISA_TARGETS (one ctest test per ISA) is exactly the targets
 * whose code needs CPU features, so a new one cannot go untested or pass unseen. */
START_TEST(isa_targets_match_the_target_table) {
  char *listed = tu_printf(",%s,", VITC_ISA_TARGETS);
  int n_needs = 0, n_listed = 1;
  for (const char *c = VITC_ISA_TARGETS; *c; c++) n_listed += *c == ',';
  for (int i = 0; target_at(i); i++) {
    const Target *t = target_at(i);
    char *key = tu_printf(",%s,", t->name);
    bool needs = tu_target_needs_cpu_features(t);
    n_needs += needs;
    ck_assert_msg(needs == (strstr(listed, key) != NULL), "target %s (flags '%s') %s VITC_ISA_TARGETS (%s)", t->name,
                  t->cflags, needs ? "needs CPU features but is not in" : "needs no CPU feature but is in",
                  VITC_ISA_TARGETS);
    free(key);
  }
  ck_assert_int_eq(n_needs, n_listed);
  free(listed);
  /* --isa takes only those */
  char *argv[] = {"driver", "--isa", "scalar", NULL};
  int argc = 3;
  char *err = tu_select_isa(&argc, argv);
  ck_assert_ptr_nonnull(err);
  free(err);
}
END_TEST

/* Y = Relu(X) [2,8], times `scale` when scale != 1 (a Mul by a constant), or Neg(X). */
static char *small_model(const char *work, const char *name, const char *op, float scale) {
  char *path = tu_printf("%s/%s.onnx", work, name);
  MB *mb = mb_new(17);
  mb_input(mb, "X", DT_FLOAT, 2, (int64_t[]){2, 8});
  mb_node(mb, op, "op", "X", scale != 1.0f ? "R" : "Y");
  if (scale != 1.0f) {
    mb_init_raw(mb, "S", DT_FLOAT, 0, NULL, &scale);
    mb_node(mb, "Mul", "scale", "R,S", "Y");
  }
  mb_output(mb, "Y", DT_FLOAT);
  mb_write(mb, path);
  mb_free(mb);
  return path;
}

/* tu_against_ort, the model tests' comparison with ONNX Runtime, passes a model against
 * itself and names what disagrees: a graph that is not the model's (vs ONNX Runtime), and
 * a variant within tolerance of ONNX Runtime but not the same bits as variant 0. */
START_TEST(against_ort_passes_and_fails) {
  char *work = tu_work_dir("testutil", "against_ort");
  tu_rm_rf(work);
  tu_mkdir_p(work);
  char *relu = small_model(work, "relu", "Relu", 1.0f), *neg = small_model(work, "neg", "Neg", 1.0f);
  char *near = small_model(work, "near", "Relu", 1.0f + 1.0f / 65536);
  Graph *gr = compile_model(relu, NULL, NULL), *gn = compile_model(neg, NULL, NULL), *gs = compile_model(near, NULL, NULL);
  const TuVariant same[] = {{"relu", gr, false, TU_VS_ORT_ONLY}, {"again", gr, true, TU_VS_FIRST_BITS}};
  TuAgainstOrt spec = {relu, work, "check_testutil", same, 2, false, NULL, 1, 1e-4};
  char *why = tu_against_ort(&spec);
  ck_assert_msg(why == NULL, "%s", why);
  const TuVariant other[] = {{"neg", gn, false, TU_VS_ORT_ONLY}};
  spec.variants = other, spec.n_variants = 1;
  why = tu_against_ort(&spec);
  ck_assert_msg(why && strstr(why, "[scalar] neg output 0 vs ONNX Runtime"), "%s", why ? why : "passed");
  free(why);
  const TuVariant bits[] = {{"relu", gr, false, TU_VS_ORT_ONLY}, {"near", gs, true, TU_VS_FIRST_BITS}};
  spec.variants = bits, spec.n_variants = 2;
  why = tu_against_ort(&spec);
  ck_assert_msg(why && strstr(why, "relu vs near (scalar) output 0: not the same bits"), "%s", why ? why : "passed");
  free(why);
  graph_free(gr), graph_free(gn), graph_free(gs);
  free(relu), free(neg), free(near), free(work);
}
END_TEST

int main(void) {
  Suite *s = suite_create("testutil");
  TCase *tc = tcase_create("testutil");
  tcase_add_test(tc, float_tolerance_scales_with_max_ref);
  tcase_add_test(tc, float_nan_and_inf_must_match);
  tcase_add_test(tc, integers_and_bools_exact);
  tcase_add_test(tc, float16_and_double);
  tcase_add_test(tc, compare_files_sizes);
  tcase_add_test(tc, one_error_line_contract);
  tcase_add_test(tc, runner_status_signal_timeout);
  tcase_add_test(tc, string_helpers);
  tcase_add_test(tc, isa_targets_match_the_target_table);
  suite_add_tcase(s, tc);
  TCase *ta = tcase_create("against_ort");
  tcase_set_timeout(ta, 600);
  tcase_add_test(ta, against_ort_passes_and_fails);
  suite_add_tcase(s, ta);
  return tu_run_suite(s);
}
