/* onnx/load.h: the front end. The only code in vitc that knows protobuf.
 *
 * onnx_load() reads a ModelProto with protobuf-c (unknown fields of newer ONNX
 * IR versions are skipped), checks the opsets, turns initializers, Constant nodes
 * and external data into constant tensors, fixes every input dimension (from the
 * model or from --shape overrides) and returns a topologically sorted Graph. */
#ifndef VITC_ONNX_LOAD_H
#define VITC_ONNX_LOAD_H

#include "ir/graph.h"

#define VITC_OPSET_MIN 13
#define VITC_OPSET_MAX 20

typedef struct ShapeOverride {
  const char *name; /* graph input name */
  Shape shape;
} ShapeOverride;

/* Parse "NAME=1x3x224x224". Returns -1 (with an error) on bad syntax. */
int shape_override_parse(const char *arg, ShapeOverride *out);

/* Load a model. On bad input prints one error line and returns NULL. */
Graph *onnx_load(const char *path, const ShapeOverride *ov, int n_ov);

/* Load one serialized TensorProto (the backend test data's input_0.pb). Returns
 * -1 on error; on success *data is malloc'ed (numel * dtype_size bytes). */
int onnx_load_tensor_file(const char *path, DType *dt, Shape *shape, void **data, char **name);

#endif
