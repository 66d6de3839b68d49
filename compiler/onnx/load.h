/* onnx/load.h: the front end. The only code in vitc that knows protobuf.
 *
 * onnx_load() reads a ModelProto with protobuf-c (unknown fields of newer ONNX
 * IR versions are skipped), checks the opsets, turns initializers, Constant nodes
 * and external data into constant tensors, fixes every input dimension (from the
 * model or from --shape overrides) and returns a topologically sorted Graph. */
#ifndef VITC_ONNX_LOAD_H
#define VITC_ONNX_LOAD_H

#include "ir/graph.h"

#define VITC_OPSET_MIN 1
#define VITC_OPSET_MAX 21

typedef struct ShapeOverride {
  const char *name; /* graph input name */
  Shape shape;
} ShapeOverride;

/* Parse "NAME=1x3x224x224". Returns -1 (with an error) on bad syntax. */
int shape_override_parse(const char *arg, ShapeOverride *out);

/* --const NAME=VALUE (onnx/consts.c): graph input NAME becomes a constant, read
 * from FILE.pb (a TensorProto), FILE.npy, or inline values "1,2,3". */
typedef struct ConstOverride {
  const char *name;  /* graph input name */
  const char *value; /* as given after '=' */
} ConstOverride;

/* Parse "NAME=VALUE" (the value is read when the model is). -1 (reported) on bad syntax. */
int const_override_parse(const char *arg, ConstOverride *out);
/* The value of co for an input declared as `declared` (shape_known: with the rank
 * and fixed dims of declared_shape, dims <= 0 free): sets *dt, *shape and a
 * malloc'ed *data. -1 (reported) if unreadable or not of the declared type/shape. */
int const_override_value(const ConstOverride *co, DType declared, const Shape *declared_shape, bool shape_known,
                         DType *dt, Shape *shape, void **data);

/* Load a model. On bad input prints one error line and returns NULL. */
Graph *onnx_load(const char *path, const ShapeOverride *ov, int n_ov);
/* The same with --const overrides. */
Graph *onnx_load_with_consts(const char *path, const ShapeOverride *ov, int n_ov, const ConstOverride *co, int n_co);
/* The same from bytes in memory (the fuzzer, fuzz/vitc_fuzz.c): path is the name
 * used in messages, and its folder is where external data is looked for. */
Graph *onnx_load_bytes(const char *path, const uint8_t *bytes, size_t len, const ShapeOverride *ov, int n_ov);

/* Load one serialized TensorProto (the backend test data's input_0.pb). Returns
 * -1 on error; on success *data is malloc'ed (numel * dtype_size bytes). */
int onnx_load_tensor_file(const char *path, DType *dt, Shape *shape, void **data, char **name);

#endif
