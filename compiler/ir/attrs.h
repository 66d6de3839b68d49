/* ir/attrs.h: the attribute schema of every op (ir/attrs.def) and its check. */
#ifndef VITC_ATTRS_H
#define VITC_ATTRS_H

#include "ir/graph.h"

typedef struct AttrSchema {
  const char *name; /* NULL ends an op's list */
  AttrType type;
  bool required;
} AttrSchema;

/* The attributes op k accepts, ended by a NULL name. */
const AttrSchema *op_attr_schema(OpKind k);
/* The row of attribute `name` of op k, NULL if the op has no such attribute. */
const AttrSchema *op_attr_find(OpKind k, const char *name);
/* "INT", "FLOATS", ... as ONNX names the types. */
const char *attr_type_name(AttrType t);
/* Node n's attributes against its op's row: every one known, of its type, given once,
 * the required ones present. Bad input: one error line naming node, op and attribute;
 * returns -1. */
int node_check_attrs(const Graph *g, const Node *n);
/* node_check_attrs on every live node; -1 at the first bad one. */
int graph_check_attrs(const Graph *g);

#endif
