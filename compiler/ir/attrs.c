/* ir/attrs.c: every attribute checked against its op's schema (ir/attrs.def).
 *
 * The ops read attributes through accessors with defaults (attr_int(n, "axis", -1)),
 * which fall back to the default when the attribute is absent *or* has another type.
 * That is right for an absent one and wrong for a mistyped one: a Softmax whose axis
 * is a STRING would silently use -1. So before any pass runs, run_pipeline checks
 * every node here against one table, and an op's code may assume that an attribute
 * it reads has the schema's type or is absent, and that required ones are there.
 *
 * The table is ops.def's order, one row per op; the static assertions below break
 * the build when a row is missing, extra or out of place, as ops.c's do for ops.def. */
#include "ir/attrs.h"

#include <stdio.h>
#include <string.h>

#include "ir/diag.h"

#define REQ true
#define OPT false
#define NO_ATTRS
#define A(name, type, req) {#name, ATTR_##type, req},

#define OP_ATTRS(e, ...) static const AttrSchema attrs_##e[] = {__VA_ARGS__{NULL, ATTR_OTHER, false}};
#include "ir/attrs.def"
#undef OP_ATTRS

static const AttrSchema *const op_attrs[] = {
#define OP_ATTRS(e, ...) attrs_##e,
#include "ir/attrs.def"
#undef OP_ATTRS
};

/* Each row at its op's place: a missing, extra or misplaced row fails here. */
enum {
#define OP_ATTRS(e, ...) ATTRS_ROW_##e,
#include "ir/attrs.def"
#undef OP_ATTRS
  ATTRS_ROWS
};
_Static_assert((int)ATTRS_ROWS == (int)OP_COUNT, "ir/attrs.def needs one row per op of ir/ops.def");
#define OP_ATTRS(e, ...)                                                                                   \
  _Static_assert((int)ATTRS_ROW_##e == (int)OP_##e, "ir/attrs.def: row " #e " is not at its place in ops.def's order"); \
  _Static_assert(sizeof attrs_##e / sizeof attrs_##e[0] <= 33, "ir/attrs.def: row " #e " has more than 32 attributes");
#include "ir/attrs.def"
#undef OP_ATTRS

const AttrSchema *op_attr_schema(OpKind k) {
  if ((unsigned)k >= OP_COUNT) vitc_die("op_attr_schema: op %d is not in ops.def", (int)k);
  return op_attrs[k];
}

const AttrSchema *op_attr_find(OpKind k, const char *name) {
  for (const AttrSchema *s = op_attr_schema(k); s->name; s++)
    if (strcmp(s->name, name) == 0) return s;
  return NULL;
}

const char *attr_type_name(AttrType t) {
  switch (t) {
  case ATTR_FLOAT: return "FLOAT";
  case ATTR_INT: return "INT";
  case ATTR_STRING: return "STRING";
  case ATTR_TENSOR: return "TENSOR";
  case ATTR_FLOATS: return "FLOATS";
  case ATTR_INTS: return "INTS";
  default: return "a type vitc does not read (GRAPH, STRINGS, SPARSE_TENSOR, ...)";
  }
}

/* "axis, epsilon" (the names op k accepts), or "none", into buf. */
static const char *accepted(OpKind k, char *buf, size_t nbuf) {
  size_t len = 0;
  buf[0] = 0;
  for (const AttrSchema *s = op_attr_schema(k); s->name && len + 1 < nbuf; s++)
    len += (size_t)snprintf(buf + len, nbuf - len, "%s%s", len ? ", " : "", s->name);
  if (!buf[0]) snprintf(buf, nbuf, "none");
  return buf;
}

int node_check_attrs(const Graph *g, const Node *n) {
  char names[256];
  unsigned seen = 0; /* bit i: the op's attribute i was given (a row has fewer than 32) */
  for (int i = 0; i < n->n_attr; i++) {
    const Attr *a = &n->attr[i];
    const AttrSchema *s = op_attr_find(n->op, a->name);
    if (!s)
      return node_err(g, n, "has no attribute '%s' (%s takes: %s)", a->name, op_name(n->op),
                      accepted(n->op, names, sizeof names));
    if (a->type != s->type)
      return node_err(g, n, "attribute '%s' must be %s, not %s", a->name, attr_type_name(s->type),
                      attr_type_name(a->type));
    unsigned bit = 1u << (s - op_attr_schema(n->op));
    if (seen & bit) return node_err(g, n, "attribute '%s' is given twice", a->name);
    seen |= bit;
  }
  for (const AttrSchema *s = op_attr_schema(n->op); s->name; s++)
    if (s->required && !(seen & (1u << (s - op_attr_schema(n->op)))))
      return node_err(g, n, "required attribute '%s' (%s) is missing", s->name, attr_type_name(s->type));
  return 0;
}

int graph_check_attrs(const Graph *g) {
  for (int i = 0; i < g->nn; i++)
    if (!g->n[i].dead && node_check_attrs(g, &g->n[i])) return -1;
  return 0;
}
