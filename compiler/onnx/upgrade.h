/* onnx/upgrade.h: which ONNX op versions vitc reads (compiler/onnx/opsets.def) and
 * the rewrite of older versions into the newest form (onnx/upgrade.c). */
#ifndef VITC_ONNX_UPGRADE_H
#define VITC_ONNX_UPGRADE_H

#include "ir/graph.h"

/* The version of op `op` in effect at `opset` if vitc reads it, 0 if vitc reads
 * none at that opset (older than the first it reads), -1 if the table has no
 * row for the op. */
int opset_version(const char *op, int opset);
/* The first version of `op` vitc reads, -1 if none. */
int opset_first(const char *op);
/* Row i of the table (for tests and docs): 1 and the op's name and versions
 * (0-terminated), or 0 past the end. */
int opset_table(int i, const char **name, const int **versions);

/* The op of compiler/ir/ops.def that a node of ONNX op `onnx_op` is read as before
 * upgrade_node rewrites it: Upsample as Resize, Mean as Sum (then a division),
 * MeanVarianceNormalization as the first ReduceMean of its function body; every
 * other op as itself. */
const char *onnx_read_as(const char *onnx_op);

/* Rewrites node ni, read as version `version` of ONNX op `onnx_op`, into the
 * form compiler/ops/ implements. Adds constant tensors and nodes; the caller
 * reindexes and sorts the graph afterwards. Returns -1 (reported) if the node
 * cannot be mapped. */
int upgrade_node(Graph *g, int ni, const char *onnx_op, int version);

#endif
