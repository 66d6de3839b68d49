/* ops/epilogue.c: the GEMM epilogue of vitc.Gemm and vitc.Conv (see epilogue.h;
 * the contract is templates/gemm/f32-gemm-epilogue.c). */
#include "ops/epilogue.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

#define EPI_NAME(name, code, what) what,
#define EPI_ENUM(name, code, what) "VITC_GEMM_ACT_" #name,
static const char *const act_names[] = {VITC_GEMM_ACTIVATIONS(EPI_NAME)};
static const char *const act_enums[] = {VITC_GEMM_ACTIVATIONS(EPI_ENUM)}; /* as the generated code spells them */
#undef EPI_NAME
#undef EPI_ENUM
_Static_assert(sizeof act_names / sizeof act_names[0] == VITC_GEMM_ACT_COUNT, "activation table");
_Static_assert(sizeof act_enums / sizeof act_enums[0] == VITC_GEMM_ACT_COUNT, "activation table");

const char *epi_act_name(int act) { return act >= 0 && act < VITC_GEMM_ACT_COUNT ? act_names[act] : "?"; }

int epi_read(Graph *g, Node *n, const Shape *out, Epilogue *ep) {
  memset(ep, 0, sizeof *ep);
  int64_t N = out->rank ? out->d[out->rank - 1] : 1;
  int64_t act = attr_int(n, "activation", 0);
  if (act < 0 || act >= VITC_GEMM_ACT_COUNT)
    return node_err(g, n, "activation %" PRId64 " is not 0..%d", act, VITC_GEMM_ACT_COUNT - 1);
  ep->act = (int)act;
  const Attr *ap = node_attr(n, "activation_params");
  bool wants = act >= VITC_GEMM_ACT_LEAKY_RELU;
  if (wants != (ap != NULL) || (ap && (ap->type != ATTR_FLOATS || ap->n != 2)))
    return node_err(g, n, "activation %" PRId64 " (%s) %s", act, epi_act_name((int)act),
                    wants ? "needs activation_params = [alpha, beta]" : "takes no activation_params");
  if (ap) {
    if (!isfinite(ap->floats[0]) || !isfinite(ap->floats[1]))
      return node_err(g, n, "activation_params must be finite");
    ep->alpha = ap->floats[0];
    ep->beta = ap->floats[1];
  }
  const int64_t *rv;
  int nr = attr_ints(n, "ranges", &rv);
  if (nr >= 0) {
    if (nr < 3 || nr % 3 || nr / 3 > EPI_MAX_RANGES)
      return node_err(g, n, "ranges must be 1..%d triples (end, activation, gate column)", EPI_MAX_RANGES);
    int64_t prev = 0;
    for (int i = 0; i < nr; i += 3) {
      if (rv[i] <= prev || rv[i] > N || (i + 3 == nr && rv[i] != N))
        return node_err(g, n, "ranges: ends must increase up to the %" PRId64 " output columns", N);
      if (rv[i + 1] < 0 || rv[i + 1] >= VITC_GEMM_ACT_LEAKY_RELU)
        return node_err(g, n, "ranges: activation %" PRId64 " is not 0..%d (no parameters)", rv[i + 1],
                        VITC_GEMM_ACT_LEAKY_RELU - 1);
      if (rv[i + 2] < -1 || (rv[i + 2] >= 0 && rv[i + 2] + (rv[i] - prev) > prev))
        return node_err(g, n, "ranges: the gate columns of [%" PRId64 ", %" PRId64 ") must lie left of them", prev,
                        rv[i]);
      prev = rv[i];
    }
    ep->n_ranges = nr / 3;
    memcpy(ep->ranges, rv, sizeof(int64_t) * (size_t)nr);
  }
  Tensor *res = node_in(g, n, 3), *gate = node_in(g, n, 4);
  char s1[128], s2[128];
  if (res) {
    if (res->dtype != DT_FLOAT || !shape_eq(&res->shape, out))
      return node_err(g, n, "residual %s must be float32 of the output's shape %s", shape_str(&res->shape, s1, sizeof s1),
                      shape_str(out, s2, sizeof s2));
    ep->has_res = true;
  }
  const Attr *rs = node_attr(n, "residual_scale");
  ep->res_scale = rs ? rs->f : 1.0f;
  if (rs && (rs->type != ATTR_FLOAT || !isfinite(rs->f)))
    return node_err(g, n, "residual_scale must be a finite float");
  int64_t gm = attr_int(n, "gate", 0);
  if (gate) {
    if (gate->dtype != DT_FLOAT || !shape_eq(&gate->shape, out))
      return node_err(g, n, "gate %s must be float32 of the output's shape %s", shape_str(&gate->shape, s1, sizeof s1),
                      shape_str(out, s2, sizeof s2));
    if (gm != VITC_GEMM_GATE_MUL && gm != VITC_GEMM_GATE_MUL_SIGMOID)
      return node_err(g, n, "a gate input needs attribute gate = 1 (y * G) or 2 (y * sigmoid(G))");
    ep->gate_mode = (int)gm;
  } else if (gm != 0) {
    return node_err(g, n, "attribute gate = %" PRId64 " without a gate input", gm);
  }
  for (int r = 0; r < ep->n_ranges; r++)
    if (ep->ranges[3 * r + 2] >= 0 && ep->gate_mode)
      return node_err(g, n, "a gate input and a range gated by its own columns cannot both apply");
  return 0;
}

bool epi_any(const Epilogue *ep) { return ep->act || ep->n_ranges || ep->gate_mode || ep->has_res; }

/* The range of column j: its index, or -1 without ranges. */
static int range_of(const Epilogue *ep, int64_t j) {
  if (!ep->n_ranges) return -1;
  int r = 0;
  while (r + 1 < ep->n_ranges && j >= ep->ranges[3 * r]) r++;
  return r;
}

int epi_act_of(const Epilogue *ep, int64_t j) {
  int r = range_of(ep, j);
  return r < 0 ? ep->act : (int)ep->ranges[3 * r + 1];
}

float epi_apply(const Epilogue *ep, float y, int64_t j, const float *gate, const float *res, int64_t i,
                const float *row) {
  int r = range_of(ep, j);
  y = vitc__f32_gemm_act_scalar(y, epi_act_of(ep, j), ep->alpha, ep->beta);
  if (r >= 0 && ep->ranges[3 * r + 2] >= 0)
    y *= row[ep->ranges[3 * r + 2] + (j - (r ? ep->ranges[3 * (r - 1)] : 0))];
  else if (ep->gate_mode && gate)
    y *= ep->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID ? 1.0f / (1.0f + expf(-gate[i])) : gate[i];
  if (ep->has_res && res) y = fmaf(ep->res_scale, res[i], y);
  return y;
}

const char *epi_describe(const Epilogue *ep, char *buf, size_t n) {
  size_t k = 0;
  buf[0] = 0;
  if (ep->n_ranges) {
    k += (size_t)snprintf(buf + k, n - k, ", by columns:");
    int64_t start = 0;
    for (int r = 0; r < ep->n_ranges && k < n; r++) {
      k += (size_t)snprintf(buf + k, n - k, " [%" PRId64 ",%" PRId64 ") %s", start, ep->ranges[3 * r],
                            epi_act_name((int)ep->ranges[3 * r + 1]));
      if (ep->ranges[3 * r + 2] >= 0 && k < n)
        k += (size_t)snprintf(buf + k, n - k, " * [%" PRId64 ",%" PRId64 ")", ep->ranges[3 * r + 2],
                              ep->ranges[3 * r + 2] + ep->ranges[3 * r] - start);
      start = ep->ranges[3 * r];
    }
  } else if (ep->act >= VITC_GEMM_ACT_LEAKY_RELU) {
    k += (size_t)snprintf(buf + k, n - k, ", %s(%g, %g)", epi_act_name(ep->act), ep->alpha, ep->beta);
  } else if (ep->act) {
    k += (size_t)snprintf(buf + k, n - k, ", %s", epi_act_name(ep->act));
  }
  if (ep->gate_mode && k < n)
    k += (size_t)snprintf(buf + k, n - k, ", * %s", ep->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID ? "sigmoid(G)" : "G");
  if (ep->has_res && k < n) {
    if (ep->res_scale == 1.0f) snprintf(buf + k, n - k, ", + residual");
    else snprintf(buf + k, n - k, ", + %g * residual", ep->res_scale);
  }
  return buf;
}

const char *epi_literal(Emitter *e, const Epilogue *ep, Node *n, const char *bias, const EmitRows *r, int64_t ld,
                        char *buf, size_t nbuf) {
  if (!bias && !epi_any(ep)) return strcpy(buf, "NULL");
  size_t k = (size_t)snprintf(buf, nbuf, "&(const vitc_f32_gemm_epilogue){");
  const char *sep = "";
#define EPI_PUT(...)                                                     \
  do {                                                                   \
    if (k < nbuf) k += (size_t)snprintf(buf + k, nbuf - k, "%s", sep);  \
    if (k < nbuf) k += (size_t)snprintf(buf + k, nbuf - k, __VA_ARGS__); \
    sep = ", ";                                                          \
  } while (0)
  if (bias) EPI_PUT(".bias = %s", bias);
  if (ep->n_ranges) {
    EPI_PUT(".n_ranges = %d, .ranges = (const int[]){", ep->n_ranges);
    for (int i = 0; i < 3 * ep->n_ranges && k < nbuf; i++)
      k += i % 3 == 1 ? (size_t)snprintf(buf + k, nbuf - k, ", %s", act_enums[ep->ranges[i]])
                      : (size_t)snprintf(buf + k, nbuf - k, "%s%" PRId64, i ? ", " : "", ep->ranges[i]);
    if (k < nbuf) k += (size_t)snprintf(buf + k, nbuf - k, "}");
  } else if (ep->act) {
    EPI_PUT(".act = %s", act_enums[ep->act]);
    if (ep->act >= VITC_GEMM_ACT_LEAKY_RELU) {
      EPI_PUT(".act_alpha = %s", emit_float(e, ep->alpha));
      EPI_PUT(".act_beta = %s", emit_float(e, ep->beta));
    }
  }
  if (ep->gate_mode) {
    const char *gp = emit_ref(e, n->in[4]);
    EPI_PUT(".gate_mode = %s, .gate = %s, .ldg = %" PRId64,
            ep->gate_mode == VITC_GEMM_GATE_MUL ? "VITC_GEMM_GATE_MUL" : "VITC_GEMM_GATE_MUL_SIGMOID",
            r ? emit_rows_ptr(e, r, gp, ld) : gp, ld);
  }
  if (ep->has_res) {
    const char *rp = emit_ref(e, n->in[3]);
    EPI_PUT(".res = %s, .ldr = %" PRId64 ", .res_scale = %s", r ? emit_rows_ptr(e, r, rp, ld) : rp, ld,
            emit_float(e, ep->res_scale));
  }
#undef EPI_PUT
  if (k < nbuf) snprintf(buf + k, nbuf - k, "}");
  if (k >= nbuf) vitc_die("epilogue literal longer than %zu bytes", nbuf);
  return buf;
}
