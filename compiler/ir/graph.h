/* ir/graph.h: vitc's graph IR.
 *
 * A Graph owns an array of Tensors and an array of Nodes; nodes refer to tensors
 * by index (int), -1 marking an absent optional input. Every tensor has a static
 * shape and a dtype once shape inference has run; a tensor with `data` is a
 * compile-time constant (initializer, Constant node or folded value). The graph
 * knows nothing of protobuf (onnx/ builds it) nor of C text (emit/ reads it).
 *
 * Nodes are kept in topological order: the loader sorts them, and passes that add
 * nodes call graph_toposort(). Passes delete a node by setting `dead`;
 * graph_compact() drops dead nodes and unused tensors' producers.
 *
 * No query scans the whole graph, so compiling stays linear in its size (a chain
 * of 40,000 nodes: docs/PERFORMANCE.md). The graph keeps two indexes: tensor names
 * (graph_find_tensor) and, per tensor, the nodes that read it (tensor_uses,
 * graph_readers). graph_add_node, graph_replace_uses and graph_swap_nodes keep the
 * readers up to date, graph_compact and graph_toposort rebuild them; code that
 * rewires a node's inputs by hand calls graph_reindex() before the next query. */
#ifndef VITC_GRAPH_H
#define VITC_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IR_MAX_RANK 8

/* ONNX TensorProto.DataType codes. */
typedef enum DType {
  DT_UNDEFINED = 0,
  DT_FLOAT = 1,
  DT_UINT8 = 2,
  DT_INT8 = 3,
  DT_UINT16 = 4,
  DT_INT16 = 5,
  DT_INT32 = 6,
  DT_INT64 = 7,
  DT_STRING = 8,
  DT_BOOL = 9,
  DT_FLOAT16 = 10,
  DT_DOUBLE = 11,
  DT_UINT32 = 12,
  DT_UINT64 = 13,
} DType;

size_t dtype_size(DType t);      /* bytes per element; 0 if unsupported */
const char *dtype_name(DType t); /* "float32", "int64", ... */
const char *dtype_ctype(DType t);/* "float", "int64_t", "uint8_t" (bool) ... */
bool dtype_supported(DType t);   /* can live in a bundle */

enum {
  OPF_VIEW = 1, /* output 0 aliases input 0 */
  OPF_FOLD = 2, /* must fold away at compile time */
  OPF_INTERNAL = 4, /* created by passes; never read from a model file */
  OPF_INPLACE = 8,  /* output 0 may take input 0's buffer when this node reads it last (plan/plan.c) */
};

typedef enum OpKind {
#define OP(e, name, flags, ...) OP_##e,
#include "ir/ops.def"
#undef OP
  OP_COUNT
} OpKind;

#define VITC_MANY 1024 /* arity of variadic ops */

const char *op_name(OpKind k);      /* ONNX op_type */
/* Allowed input and output counts of an op (ops.def). */
void op_arity(OpKind k, int *min_in, int *max_in, int *min_out, int *max_out);
unsigned op_flags(OpKind k);
int op_lookup(const char *onnx_name); /* OpKind or -1 */

typedef struct Shape {
  int rank;
  int64_t d[IR_MAX_RANK];
} Shape;

int64_t shape_numel(const Shape *s); /* 1 for rank 0 */
bool shape_eq(const Shape *a, const Shape *b);
/* "[1,197,192]" into buf (static-size buffer of at least 128 bytes). */
const char *shape_str(const Shape *s, char *buf, size_t n);

typedef struct Tensor {
  char *name;
  DType dtype;
  Shape shape;
  bool typed;          /* dtype and shape known (after shape inference) */
  void *data;          /* non-NULL: compile-time constant, numel*dtype_size bytes, owned */
  int producer;        /* index of the producing node, -1 for inputs and constants */
  bool is_input;       /* graph input (fed by the caller) */
  bool is_output;      /* graph output (written to the caller's buffer) */
  int out_index;       /* position among graph outputs, if is_output */
} Tensor;

typedef enum AttrType {
  ATTR_FLOAT, ATTR_INT, ATTR_STRING, ATTR_TENSOR, ATTR_FLOATS, ATTR_INTS, ATTR_OTHER
} AttrType;

typedef struct Attr {
  char *name;
  AttrType type;
  float f;
  int64_t i;
  char *s;
  int n;            /* count for FLOATS / INTS */
  float *floats;
  int64_t *ints;
  int tensor;       /* ATTR_TENSOR: index of a constant tensor in the graph */
} Attr;

typedef struct Node {
  OpKind op;
  char *name;       /* ONNX node name, or a made-up "OpType_<index>" */
  int n_in, n_out;
  int *in;          /* tensor indices, -1 = absent optional input */
  int *out;
  int n_attr;
  Attr *attr;
  bool dead;
} Node;

/* The nodes reading one tensor: one entry per input slot, possibly naming dead
 * nodes (graph_readers' callers skip them). */
typedef struct TensorReaders {
  int *node;
  int n, cap;
} TensorReaders;

typedef struct Graph {
  Tensor *t;
  int nt, cap_t;
  Node *n;
  int nn, cap_n;
  int *inputs;      /* graph inputs fed at run time (initializers excluded), in ONNX order */
  int n_inputs;
  int *outputs;     /* graph outputs in ONNX order */
  int n_outputs;
  int opset;        /* default-domain opset */
  char *source;     /* model file name, for messages */
  /* the indexes (see the top of this file); only graph.c touches them */
  int *name_slot;   /* open addressing on tensor names: tensor index + 1, 0 = empty */
  int name_cap;     /* a power of two, at least twice nt */
  TensorReaders *readers; /* per tensor (cap_t entries) */
} Graph;

Graph *graph_new(void);
void graph_free(Graph *g);

/* New tensor (untyped, no data); returns its index. Names must be unique: pass
 * NULL to get a fresh "vitc_tN" name. */
int graph_add_tensor(Graph *g, const char *name);
/* New constant tensor taking ownership of data (numel*dtype_size bytes). */
int graph_add_const(Graph *g, const char *name, DType dt, const Shape *s, void *data);
/* Find a tensor by name, -1 if absent. */
int graph_find_tensor(const Graph *g, const char *name);
/* New node; copies in/out arrays; returns its index (nodes may move: re-fetch pointers). */
int graph_add_node(Graph *g, OpKind op, const char *name, const int *in, int n_in, const int *out, int n_out);
/* Add an attribute to node `ni` (copied). */
Attr *node_add_attr(Graph *g, int ni, const char *name, AttrType type);

/* Attribute accessors with defaults. */
const Attr *node_attr(const Node *n, const char *name);
int64_t attr_int(const Node *n, const char *name, int64_t dflt);
float attr_float(const Node *n, const char *name, float dflt);
const char *attr_str(const Node *n, const char *name, const char *dflt);
/* INTS attribute: returns count (or -1 if absent) and sets *v. */
int attr_ints(const Node *n, const char *name, const int64_t **v);

/* Input i of node n as a tensor pointer, NULL if absent. */
Tensor *node_in(Graph *g, const Node *n, int i);
Tensor *node_out(Graph *g, const Node *n, int i);
/* True when input i is present and is a compile-time constant. */
bool node_in_const(Graph *g, const Node *n, int i);

/* Number of live nodes that read tensor t (+1 if it is a graph output). */
int tensor_uses(const Graph *g, int t);
/* The nodes that may read tensor t, one entry per input slot at the last update:
 * a caller skips dead nodes and nodes that no longer read t (node_reads). Returns
 * the count and sets *nodes (valid until the graph changes). */
int graph_readers(const Graph *g, int t, const int **nodes);
/* How many of node n's inputs are tensor t. */
int node_reads(const Node *n, int t);
/* Replace every use of tensor `from` by `to` (node inputs and graph outputs). */
void graph_replace_uses(Graph *g, int from, int to);
/* Exchange nodes a and b (their positions in g->n), keeping producers and readers. */
void graph_swap_nodes(Graph *g, int a, int b);
/* Node ni's input slot k reads tensor t from now on, the readers index kept up to date
 * (constant time: the way to rewire one input without graph_reindex). */
void graph_set_input(Graph *g, int ni, int k, int t);
/* Rebuild the readers index after inputs were rewired by hand. */
void graph_reindex(Graph *g);
/* Dies (an internal bug) if a live node reads a tensor the readers index does not list:
 * the pipeline calls it after each pass, so a pass that rewires inputs by hand and
 * forgets graph_reindex() fails loudly instead of miscounting uses. Linear. */
void graph_check_readers(const Graph *g, const char *after_pass);

/* Sort live nodes topologically; error (cycle, naming a node on it) returns -1. */
int graph_toposort(Graph *g);
/* Drop dead nodes and refresh producers. */
void graph_compact(Graph *g);
/* Structural checks between passes; returns -1 and reports on a broken invariant. */
int graph_verify(Graph *g, const char *after_pass);

/* The model block a node belongs to, from the exporter's node name: the first path
 * component of the form NAME.INDEX ("/blocks/blocks.3/attn/MatMul" -> "blocks.3"),
 * else the first component ("/patch_embed/Conv" -> "patch_embed"), else "" (names
 * without a path, e.g. the dynamo exporter's). Sections of the generated code and
 * the block table of `vitc inspect` both use it. */
const char *node_block(const char *name, char *out, size_t n);

/* "node 'name' (Op)" for messages. */
const char *node_desc(const Graph *g, const Node *n, char *buf, size_t nbuf);
/* Report bad input about a node: "MODEL: node 'x' (Op, opset N): message". Returns -1. */
int node_err(const Graph *g, const Node *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Print the graph (one line per node, with shapes) for --dump-after. */
void graph_dump(const Graph *g, void *file);

#endif
