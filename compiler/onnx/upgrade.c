/* onnx/upgrade.c: every op version vitc reads, mapped onto the one its ops implement.
 *
 * ONNX changes an op's schema now and then (docs/Changelog.md): attributes become
 * inputs (Slice 10, Pad 11, Clip 11, Squeeze/Unsqueeze/Split/ReduceSum 13, the
 * other reductions 18, TopK 10, Reshape 5), Softmax/LogSoftmax/Hardmax stop
 * coercing their input to 2-D (13), binary ops drop the `broadcast`/`axis`
 * attributes for numpy broadcasting (7), Upsample becomes Resize (10). A model
 * declares one opset for its whole default domain, and each node means the
 * newest version of its op at that opset (compiler/onnx/opsets.def lists them).
 *
 * Rather than teach every op every version, the loader rewrites each node of an
 * older version into the newest form right after reading it, as ONNX's own
 * version converter does: attribute values become constant inputs, the 2-D
 * coercion becomes Flatten -> op(axis -1) -> Reshape to the input's shape (views,
 * and a Shape that folds), Upsample becomes Resize with the asymmetric
 * coordinates and floor rounding that Upsample defines. The ops in compiler/ops/
 * then implement the newest schema only, and g->opset stays the model's opset,
 * for messages. A version that vitc cannot map is refused here with one error
 * naming the node, the op and the opset. */
#include "onnx/upgrade.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/attrs.h"
#include "ir/diag.h"

/* ---------------- the version table ---------------- */

typedef struct OpVersions {
  const char *name;
  int v[12]; /* ascending, 0-terminated */
} OpVersions;

static const OpVersions op_versions[] = {
#define VERSIONS(name, ...) {name, {__VA_ARGS__, 0}},
#include "onnx/opsets.def"
#undef VERSIONS
};
#define N_OP_VERSIONS ((int)(sizeof op_versions / sizeof op_versions[0]))

static const OpVersions *find_versions(const char *op) {
  int lo = 0, hi = N_OP_VERSIONS - 1; /* opsets.def is sorted by name */
  while (lo <= hi) {
    int mid = (lo + hi) / 2, c = strcmp(op, op_versions[mid].name);
    if (c == 0) return &op_versions[mid];
    if (c < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return NULL;
}

int opset_version(const char *op, int opset) {
  const OpVersions *ov = find_versions(op);
  if (!ov) return -1;
  int best = 0;
  for (int i = 0; ov->v[i]; i++)
    if (ov->v[i] <= opset) best = ov->v[i];
  return best;
}

int opset_first(const char *op) {
  const OpVersions *ov = find_versions(op);
  return ov ? ov->v[0] : -1;
}

int opset_table(int i, const char **name, const int **versions) {
  if (i < 0 || i >= N_OP_VERSIONS) return 0;
  *name = op_versions[i].name;
  *versions = op_versions[i].v;
  return 1;
}

/* ---------------- helpers ---------------- */

static Node *node(Graph *g, int ni) { return &g->n[ni]; }

static void drop_attr(Graph *g, int ni, const char *name) {
  Node *n = node(g, ni);
  for (int i = 0; i < n->n_attr; i++)
    if (strcmp(n->attr[i].name, name) == 0) {
      free(n->attr[i].name);
      free(n->attr[i].s);
      free(n->attr[i].floats);
      free(n->attr[i].ints);
      n->attr[i] = n->attr[--n->n_attr];
      return;
    }
}

/* Input slot `slot` of node ni becomes tensor t (the input list grows with
 * absent inputs as needed). The caller reindexes the graph afterwards. */
static void set_input(Graph *g, int ni, int slot, int t) {
  Node *n = node(g, ni);
  if (slot >= n->n_in) {
    n->in = xrealloc(n->in, (size_t)(slot + 1) * sizeof(int));
    for (int i = n->n_in; i <= slot; i++) n->in[i] = -1;
    n->n_in = slot + 1;
  }
  n->in[slot] = t;
}

/* A fresh constant tensor named after the node: "<node>/<what>". */
static int new_const(Graph *g, int ni, const char *what, DType dt, const Shape *s, void *data) {
  char *name = xmalloc(strlen(node(g, ni)->name) + strlen(what) + 16);
  sprintf(name, "%s/%s", node(g, ni)->name, what);
  while (graph_find_tensor(g, name) >= 0) strcat(name, "_");
  int t = graph_add_const(g, name, dt, s, data);
  free(name);
  return t;
}

static int new_tensor(Graph *g, int ni, const char *what) {
  char *name = xmalloc(strlen(node(g, ni)->name) + strlen(what) + 16);
  sprintf(name, "%s/%s", node(g, ni)->name, what);
  while (graph_find_tensor(g, name) >= 0) strcat(name, "_");
  int t = graph_add_tensor(g, name);
  free(name);
  return t;
}

/* A node "<node>/<what>" computing `out` by op from the n_in tensors `in`, added
 * after node ni (the caller reindexes and sorts); its index. */
static int new_node(Graph *g, int ni, OpKind op, const char *what, const int *in, int n_in, int out) {
  char *name = xmalloc(strlen(node(g, ni)->name) + strlen(what) + 2);
  sprintf(name, "%s/%s", node(g, ni)->name, what);
  int k = graph_add_node(g, op, name, in, n_in, &out, 1);
  free(name);
  return k;
}

/* INTS attribute `attr` -> a 1-D int64 constant in input `slot`; absent: nothing. */
static void ints_attr_to_input(Graph *g, int ni, const char *attr, int slot) {
  const int64_t *v;
  int k = attr_ints(node(g, ni), attr, &v);
  if (k < 0) return;
  int64_t *data = xmalloc((size_t)(k ? k : 1) * sizeof(int64_t));
  if (k) memcpy(data, v, (size_t)k * sizeof(int64_t));
  Shape s = {1, {k}};
  set_input(g, ni, slot, new_const(g, ni, attr, DT_INT64, &s, data));
  drop_attr(g, ni, attr);
}

/* A float attribute -> a scalar float32 constant in input `slot`. */
static void float_attr_to_input(Graph *g, int ni, const char *attr, int slot) {
  const Attr *a = node_attr(node(g, ni), attr);
  if (!a || a->type != ATTR_FLOAT) return;
  float *data = xmalloc(sizeof(float));
  *data = a->f;
  Shape s = {0, {0}};
  set_input(g, ni, slot, new_const(g, ni, attr, DT_FLOAT, &s, data));
  drop_attr(g, ni, attr);
}

/* The rank of tensor t if known at load time (a graph input or a constant), else -1. */
static int known_rank(const Graph *g, int t) {
  if (t < 0) return -1;
  const Tensor *x = &g->t[t];
  return x->data || x->is_input ? x->shape.rank : -1;
}

/* ---------------- the rewrites ---------------- */

/* Binary ops before 7: `broadcast=1` lets B broadcast to A's shape, aligned at
 * `axis` (default: trailing, as numpy). A trailing alignment is what the ops do
 * already; another axis appends B ones by a Reshape, which folds for a constant B. */
static int legacy_broadcast(Graph *g, int ni) {
  Node *n = node(g, ni);
  const Attr *ax = node_attr(n, "axis");
  int64_t broadcast = attr_int(n, "broadcast", 0);
  drop_attr(g, ni, "broadcast");
  if (!ax || !broadcast || n->n_in != 2) {
    drop_attr(g, ni, "axis");
    return 0;
  }
  int ra = known_rank(g, n->in[0]), rb = known_rank(g, n->in[1]);
  if (ra < 0 || rb < 0)
    return node_err(g, n, "legacy broadcast with an axis needs operands of known rank; not supported here");
  int64_t axis = ax->i < 0 ? ax->i + ra : ax->i;
  int trailing = ra - (int)axis - rb;
  drop_attr(g, ni, "axis");
  if (axis < 0 || trailing < 0) return node_err(g, n, "broadcast axis %" PRId64 " does not fit ranks %d and %d", ax->i, ra, rb);
  if (trailing == 0) return 0;
  const Tensor *b = &g->t[n->in[1]];
  int64_t *shape = xmalloc((size_t)(rb + trailing) * sizeof(int64_t));
  for (int i = 0; i < rb; i++) shape[i] = b->shape.d[i];
  for (int i = 0; i < trailing; i++) shape[rb + i] = 1;
  Shape ss = {1, {rb + trailing}};
  int shape_t = new_const(g, ni, "broadcast_shape", DT_INT64, &ss, shape);
  int b2 = new_tensor(g, ni, "broadcast_b");
  int ins[2] = {node(g, ni)->in[1], shape_t};
  new_node(g, ni, OP_Reshape, "broadcast_reshape", ins, 2, b2);
  node(g, ni)->in[1] = b2;
  return 0;
}

/* Softmax, LogSoftmax, Hardmax before 13 treat X as 2-D, [d0*..*d(axis-1),
 * d(axis)*..*dn] (axis defaults to 1), and normalize its rows: Y = Reshape(op(
 * Flatten(X, axis), axis=-1), Shape(X)). The Flatten and Reshape are views and
 * the Shape folds, so this costs nothing at run time. */
static int coerce_2d(Graph *g, int ni) {
  Node *n = node(g, ni);
  int64_t axis = attr_int(n, "axis", 1);
  drop_attr(g, ni, "axis");
  Attr *a = node_add_attr(g, ni, "axis", ATTR_INT);
  a->i = -1;
  n = node(g, ni);
  int x = n->in[0], y = n->out[0];
  if (y < 0) return 0; /* the loader reports the empty output */
  int flat = new_tensor(g, ni, "flat_in"), flat_y = new_tensor(g, ni, "flat_out"), shp = new_tensor(g, ni, "shape");
  int fi = new_node(g, ni, OP_Flatten, "flatten", &x, 1, flat);
  Attr *fa = node_add_attr(g, fi, "axis", ATTR_INT);
  fa->i = axis;
  new_node(g, ni, OP_Shape, "shape", &x, 1, shp);
  int rin[2] = {flat_y, shp};
  new_node(g, ni, OP_Reshape, "reshape", rin, 2, y); /* now y's producer */
  n = node(g, ni);
  n->in[0] = flat;
  n->out[0] = flat_y;
  g->t[flat_y].producer = ni;
  return 0;
}

/* Upsample (7: scales attribute; 9, 10: scales input) and Resize 10 are Resize
 * with asymmetric coordinates (x_in = x_out / scale) and, for nearest, floor. */
static int upsample_to_resize(Graph *g, int ni, int version, bool was_upsample) {
  Node *n = node(g, ni);
  const char *mode = attr_str(n, "mode", "nearest");
  if (strcmp(mode, "nearest") != 0 && strcmp(mode, "linear") != 0 && strcmp(mode, "bilinear") != 0)
    return node_err(g, n, "mode '%s' is not supported (nearest or linear)", mode);
  bool linear = strcmp(mode, "nearest") != 0;
  int scales;
  if (was_upsample && version < 9) {
    const Attr *sa = node_attr(n, "scales");
    if (!sa || sa->type != ATTR_FLOATS) return node_err(g, n, "attribute scales is required");
    float *v = xmalloc((size_t)sa->n * sizeof(float) + 1);
    memcpy(v, sa->floats, (size_t)sa->n * sizeof(float));
    Shape s = {1, {sa->n}};
    scales = new_const(g, ni, "scales", DT_FLOAT, &s, v);
    drop_attr(g, ni, "scales");
  } else {
    if (n->n_in < 2 || n->in[1] < 0) return node_err(g, n, "input scales is required");
    scales = n->in[1];
  }
  drop_attr(g, ni, "mode");
  n = node(g, ni);
  n->op = OP_Resize;
  set_input(g, ni, 1, -1); /* roi */
  set_input(g, ni, 2, scales);
  Attr *a = node_add_attr(g, ni, "mode", ATTR_STRING);
  a->s = xstrdup(linear ? "linear" : "nearest");
  a = node_add_attr(g, ni, "coordinate_transformation_mode", ATTR_STRING);
  a->s = xstrdup("asymmetric");
  a = node_add_attr(g, ni, "nearest_mode", ATTR_STRING);
  a->s = xstrdup("floor");
  return 0;
}

/* Mean(x1..xk) is Sum(x1..xk) / k (float32: the only type vitc computes Mean in). */
static int mean_to_sum(Graph *g, int ni) {
  Node *n = node(g, ni);
  int y = n->out[0], k = n->n_in;
  if (y < 0 || k < 1) return 0; /* the loader reports these */
  float *kv = xmalloc(sizeof(float));
  *kv = (float)k;
  Shape s = {0, {0}};
  int kt = new_const(g, ni, "count", DT_FLOAT, &s, kv), sum = new_tensor(g, ni, "sum");
  int ins[2] = {sum, kt};
  new_node(g, ni, OP_Div, "divide", ins, 2, y); /* now y's producer */
  node(g, ni)->out[0] = sum;
  g->t[sum].producer = ni;
  return 0;
}

/* MeanVarianceNormalization (9, 13) is its ONNX function body, read as its first node
 * ReduceMean(X, axes) (axes default [0, 2, 3], keepdims) = m, then
 *   Y = (X - m) / (Sqrt(ReduceMean(X * X, axes) - m * m) + 1e-9),
 * every op the body names in the body's order (Pow(., 2) written as a product, which
 * is the same rounding), so each runs its own kernel. */
static int mvn_expand(Graph *g, int ni) {
  Node *n = node(g, ni);
  int x = n->n_in > 0 ? n->in[0] : -1, y = n->out[0];
  if (x < 0 || y < 0 || n->n_in != 1 || n->n_out != 1) return 0; /* the loader reports these */
  if (node_attr(n, "axes")) {
    ints_attr_to_input(g, ni, "axes", 1);
  } else {
    int64_t *d = xmalloc(3 * sizeof(int64_t));
    d[0] = 0, d[1] = 2, d[2] = 3;
    Shape s = {1, {3}};
    set_input(g, ni, 1, new_const(g, ni, "axes", DT_INT64, &s, d));
  }
  int axes = node(g, ni)->in[1];
  float *eps = xmalloc(sizeof(float));
  *eps = 1e-9f;
  Shape s0 = {0, {0}};
  int eps_t = new_const(g, ni, "epsilon", DT_FLOAT, &s0, eps);
  int m = new_tensor(g, ni, "mean"), xx = new_tensor(g, ni, "x_squared"), mxx = new_tensor(g, ni, "mean_of_squares");
  int mm = new_tensor(g, ni, "mean_squared"), var = new_tensor(g, ni, "variance"), sd = new_tensor(g, ni, "std");
  int d = new_tensor(g, ni, "centered"), den = new_tensor(g, ni, "std_eps");
  node(g, ni)->out[0] = m;
  g->t[m].producer = ni;
  struct { OpKind op; const char *what; int a, b, out; } body[] = {
      {OP_Mul, "x_squared", x, x, xx},     {OP_ReduceMean, "mean_of_squares", xx, axes, mxx},
      {OP_Mul, "mean_squared", m, m, mm},  {OP_Sub, "variance", mxx, mm, var},
      {OP_Sqrt, "std", var, -1, sd},       {OP_Sub, "centered", x, m, d},
      {OP_Add, "std_eps", sd, eps_t, den}, {OP_Div, "normalize", d, den, y},
  };
  for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) {
    int ins[2] = {body[i].a, body[i].b};
    new_node(g, ni, body[i].op, body[i].what, ins, body[i].b < 0 ? 1 : 2, body[i].out);
  }
  return 0;
}

static bool is_op(const Node *n, const char *name) { return strcmp(op_name(n->op), name) == 0; }

const char *onnx_read_as(const char *onnx_op) {
  static const char *const as[][2] = {
      {"Upsample", "Resize"}, {"Mean", "Sum"}, {"MeanVarianceNormalization", "ReduceMean"}};
  for (size_t i = 0; i < sizeof as / sizeof as[0]; i++)
    if (strcmp(onnx_op, as[i][0]) == 0) return as[i][1];
  return onnx_op;
}

/* The attributes of older versions that the rewrites read or drop, with their ONNX
 * types (ONNX's Changelog). The schema check of ir/attrs.def runs after the rewrite,
 * against the newest version, so these are checked here, before any is read: a wrong
 * type is one error naming the attribute, never taken for an absent one. */
typedef struct OldAttr {
  const char *ops; /* ONNX op names, space-separated; "*": every op */
  int before;      /* versions below this one have it */
  const char *attr;
  AttrType type;
} OldAttr;

static const OldAttr old_attrs[] = {
    {"*", 1 << 30, "consumed_inputs", ATTR_INTS},
    {"Add Sub Mul Div Pow And Or Equal Greater Less Gemm", 7, "broadcast", ATTR_INT},
    {"Add Sub Mul Div Pow And Or Equal Greater Less", 7, "axis", ATTR_INT},
    {"Softmax LogSoftmax Hardmax", 13, "axis", ATTR_INT},
    {"Upsample", 1 << 30, "mode", ATTR_STRING},
    {"Upsample", 9, "scales", ATTR_FLOATS},
    {"Slice", 10, "starts", ATTR_INTS},
    {"Slice", 10, "ends", ATTR_INTS},
    {"Slice", 10, "axes", ATTR_INTS},
    {"Squeeze Unsqueeze", 13, "axes", ATTR_INTS},
    {"Split", 13, "split", ATTR_INTS},
    {"Clip", 11, "min", ATTR_FLOAT},
    {"Clip", 11, "max", ATTR_FLOAT},
    {"TopK", 10, "k", ATTR_INT},
    {"BatchNormalization", 9, "spatial", ATTR_INT},
    {"BatchNormalization", 9, "is_test", ATTR_INT},
    {"Pad", 11, "pads", ATTR_INTS},
    {"Pad", 11, "value", ATTR_FLOAT},
    {"Dropout", 12, "ratio", ATTR_FLOAT},
    {"Dropout", 12, "is_test", ATTR_INT},
    {"ReduceSum", 13, "axes", ATTR_INTS},
    {"MeanVarianceNormalization", 1 << 30, "axes", ATTR_INTS},
    {"ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSumSquare", 18,
     "axes", ATTR_INTS},
};

/* Whether the space-separated list names op (or is "*"). */
static bool names_op(const char *list, const char *op) {
  size_t len = strlen(op);
  if (strcmp(list, "*") == 0) return true;
  for (const char *p = list; (p = strstr(p, op)) != NULL; p += len)
    if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == 0)) return true;
  return false;
}

static int check_old_attrs(Graph *g, int ni, const char *onnx_op, int version) {
  const Node *n = node(g, ni);
  for (size_t i = 0; i < sizeof old_attrs / sizeof old_attrs[0]; i++) {
    const OldAttr *o = &old_attrs[i];
    const Attr *a = version < o->before && names_op(o->ops, onnx_op) ? node_attr(n, o->attr) : NULL;
    if (a && a->type != o->type)
      return node_err(g, n, "attribute '%s' must be %s, not %s (%s version %d)", o->attr, attr_type_name(o->type),
                      attr_type_name(a->type), onnx_op, version);
  }
  return 0;
}

static bool is_reduce(const Node *n) {
  switch (n->op) {
  case OP_ReduceMax: case OP_ReduceMean: case OP_ReduceSum:
    return true;
  default:
    return strncmp(op_name(n->op), "Reduce", 6) == 0;
  }
}

int upgrade_node(Graph *g, int ni, const char *onnx_op, int version) {
  if (check_old_attrs(g, ni, onnx_op, version)) return -1;
  Node *n = node(g, ni);
  drop_attr(g, ni, "consumed_inputs"); /* version 1's memory hint */
  if (strcmp(onnx_op, "Upsample") == 0) return upsample_to_resize(g, ni, version, true);
  if (strcmp(onnx_op, "Mean") == 0) return mean_to_sum(g, ni);
  if (strcmp(onnx_op, "MeanVarianceNormalization") == 0) return mvn_expand(g, ni);
  n = node(g, ni);
  switch (n->op) {
  case OP_Add: case OP_Sub: case OP_Mul: case OP_Div: case OP_Pow: case OP_And: case OP_Or: case OP_Equal:
  case OP_Greater: case OP_Less:
    return version < 7 ? legacy_broadcast(g, ni) : 0;
  case OP_PRelu:
    if (version < 7 && n->n_in == 2 && known_rank(g, n->in[0]) >= 2) {
      /* 6: the slope is per channel (axis 1), not numpy-aligned to the last axis */
      Attr *b = node_add_attr(g, ni, "broadcast", ATTR_INT);
      b->i = 1;
      Attr *a = node_add_attr(g, ni, "axis", ATTR_INT);
      a->i = 1;
      return legacy_broadcast(g, ni);
    }
    return 0;
  case OP_Gemm:
    drop_attr(g, ni, "broadcast"); /* 6: C broadcasts (7 and up always may) */
    return 0;
  case OP_Softmax: case OP_LogSoftmax: case OP_Hardmax:
    return version < 13 ? coerce_2d(g, ni) : 0;
  case OP_Slice:
    if (version < 10) {
      if (!node_attr(n, "starts") || !node_attr(n, "ends")) return node_err(g, n, "attributes starts and ends are required");
      ints_attr_to_input(g, ni, "starts", 1);
      ints_attr_to_input(g, ni, "ends", 2);
      ints_attr_to_input(g, ni, "axes", 3);
    }
    return 0;
  case OP_Squeeze: case OP_Unsqueeze:
    if (version < 13) ints_attr_to_input(g, ni, "axes", 1);
    return 0;
  case OP_Split:
    if (version < 13) ints_attr_to_input(g, ni, "split", 1);
    return 0;
  case OP_Clip:
    if (version < 11) {
      float_attr_to_input(g, ni, "min", 1);
      float_attr_to_input(g, ni, "max", 2);
    }
    return 0;
  case OP_TopK:
    if (version < 10) {
      const Attr *k = node_attr(n, "k");
      if (!k) return node_err(g, n, "attribute k is required");
      int64_t *v = xmalloc(sizeof(int64_t));
      *v = k->i;
      Shape s = {1, {1}};
      set_input(g, ni, 1, new_const(g, ni, "k", DT_INT64, &s, v));
      drop_attr(g, ni, "k");
    }
    return 0;
  case OP_BatchNormalization:
    if (version < 9) {
      if (attr_int(n, "spatial", 1) != 1) return node_err(g, n, "spatial=0 is not supported");
      drop_attr(g, ni, "spatial");
      drop_attr(g, ni, "is_test");
    }
    return 0;
  case OP_Pad:
    if (version < 11) { /* 2: pads and value attributes */
      if (!node_attr(n, "pads")) return node_err(g, n, "attribute pads is required");
      ints_attr_to_input(g, ni, "pads", 1);
      float_attr_to_input(g, ni, "value", 2);
    }
    return 0;
  case OP_Dropout:
    if (version < 12) {
      drop_attr(g, ni, "ratio");
      drop_attr(g, ni, "is_test");
    }
    return 0;
  default:
    break;
  }
  if (is_reduce(n) && n->n_in < 2) {
    int since = is_op(n, "ReduceSum") ? 13 : 18;
    if (version < since) ints_attr_to_input(g, ni, "axes", 1);
  }
  return 0;
}
