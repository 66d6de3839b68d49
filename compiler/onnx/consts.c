/* onnx/consts.c: `--const NAME=VALUE`, a graph input fixed at compile time.
 *
 * Exporters and ONNX's backend tests sometimes feed a shape, a list of axes,
 * Resize's scales or TopK's k as a graph input, although it never changes in
 * practice. vitc compiles static shapes, so such an input would be refused; the
 * user can give its value instead, and the input becomes a constant tensor of
 * the graph (it folds like an initializer and leaves the bundle's inputs).
 * VALUE is one of
 *
 *   FILE.pb    a serialized ONNX TensorProto (the backend tests' input_N.pb)
 *   FILE.npy   a NumPy array (format 1.0-3.0, little-endian, C order; float32,
 *              float64, int8/16/32/64, uint8, bool)
 *   1,2,3      inline values, read as the input's declared element type; one
 *              value for a scalar input, otherwise a 1-D tensor (or the declared
 *              shape when its element count matches)
 *
 * A file's element type must be the input's declared one, and its shape must
 * agree with the declared dimensions that are fixed. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/diag.h"
#include "onnx/load.h"

int const_override_parse(const char *arg, ConstOverride *out) {
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg || !eq[1]) return vitc_err("--const expects NAME=FILE.pb|FILE.npy|v1,v2,..., got '%s'", arg);
  char *name = xmalloc((size_t)(eq - arg) + 1);
  memcpy(name, arg, (size_t)(eq - arg));
  name[eq - arg] = 0;
  out->name = name;
  out->value = eq + 1;
  return 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* NumPy's format: magic, version, header length, a Python dict literal, data. */
static int load_npy(const char *path, DType *dt, Shape *shape, void **data) {
  FILE *f = fopen(path, "rb");
  if (!f) return vitc_err("--const: cannot open '%s': %s", path, strerror(errno));
  unsigned char head[12];
  size_t got = fread(head, 1, 10, f);
  if (got != 10 || memcmp(head, "\x93NUMPY", 6) != 0) {
    fclose(f);
    return vitc_err("--const: '%s' is not a .npy file", path);
  }
  size_t hlen = head[8] | (size_t)head[9] << 8;
  if (head[6] >= 2) {
    if (fread(head + 10, 1, 2, f) != 2) {
      fclose(f);
      return vitc_err("--const: '%s' is truncated", path);
    }
    hlen |= (size_t)head[10] << 16 | (size_t)head[11] << 24;
  }
  if (hlen > 65536) {
    fclose(f);
    return vitc_err("--const: '%s' has a header of %zu bytes", path, hlen);
  }
  char *h = xmalloc(hlen + 1);
  if (fread(h, 1, hlen, f) != hlen) {
    free(h);
    fclose(f);
    return vitc_err("--const: '%s' is truncated", path);
  }
  h[hlen] = 0;
  const char *descr = strstr(h, "'descr':"), *fo = strstr(h, "'fortran_order':"), *sh = strstr(h, "'shape':");
  int rc = 0;
  char code[8] = "";
  if (!descr || !fo || !sh || sscanf(descr + 8, " '%7[^']'", code) != 1)
    rc = vitc_err("--const: '%s': cannot read the .npy header", path);
  else if (strncmp(fo + 16, " True", 5) == 0)
    rc = vitc_err("--const: '%s' is in Fortran order; save it in C order", path);
  static const struct { const char *code; DType dt; } codes[] = {
      {"<f4", DT_FLOAT}, {"<f8", DT_DOUBLE}, {"<i8", DT_INT64}, {"<i4", DT_INT32}, {"<i2", DT_INT16},
      {"|i1", DT_INT8},  {"|u1", DT_UINT8},  {"|b1", DT_BOOL},  {NULL, DT_UNDEFINED}};
  *dt = DT_UNDEFINED;
  for (int i = 0; rc == 0 && codes[i].code; i++)
    if (strcmp(code, codes[i].code) == 0) *dt = codes[i].dt;
  if (rc == 0 && *dt == DT_UNDEFINED) rc = vitc_err("--const: '%s' holds '%s', which vitc does not support", path, code);
  shape->rank = 0;
  const char *p = rc == 0 ? strchr(sh, '(') : NULL;
  if (rc == 0 && !p) rc = vitc_err("--const: '%s': cannot read the shape", path);
  int64_t numel = 1;
  for (p = p ? p + 1 : NULL; rc == 0 && p && *p && *p != ')';) {
    while (*p == ' ' || *p == ',') p++;
    if (*p == ')') break;
    char *end;
    long long d = strtoll(p, &end, 10);
    if (end == p || d < 0 || d > INT32_MAX || shape->rank == IR_MAX_RANK)
      rc = vitc_err("--const: '%s': bad shape", path);
    else {
      shape->d[shape->rank++] = d;
      numel *= d;
      if (numel > INT32_MAX) rc = vitc_err("--const: '%s': too many elements", path);
    }
    p = end;
  }
  free(h);
  if (rc == 0) {
    size_t bytes = (size_t)numel * dtype_size(*dt);
    *data = xmalloc(bytes ? bytes : 1);
    if (fread(*data, 1, bytes, f) != bytes) {
      free(*data);
      rc = vitc_err("--const: '%s' has fewer values than its shape needs", path);
    }
  }
  fclose(f);
  return rc;
}

/* Inline "1,2.5,-3" in the declared element type. */
static int parse_inline(const char *name, const char *text, DType dt, Shape *shape, void **data) {
  if (dtype_size(dt) == 0) return vitc_err("--const %s: its element type %s is not supported", name, dtype_name(dt));
  int cap = 8, n = 0;
  double *v = xmalloc((size_t)cap * sizeof(double));
  int64_t *iv = xmalloc((size_t)cap * sizeof(int64_t));
  for (const char *p = text; *p;) {
    char *end;
    errno = 0;
    if (n == cap) {
      cap *= 2;
      v = xrealloc(v, (size_t)cap * sizeof(double));
      iv = xrealloc(iv, (size_t)cap * sizeof(int64_t));
    }
    if (dt == DT_FLOAT || dt == DT_DOUBLE) v[n] = strtod(p, &end);
    else iv[n] = strtoll(p, &end, 10);
    if (end == p || errno) {
      free(v);
      free(iv);
      return vitc_err("--const %s: '%s' is not a list of %s values", name, text, dtype_name(dt));
    }
    n++;
    p = end;
    if (*p == ',') p++;
    else if (*p) {
      free(v);
      free(iv);
      return vitc_err("--const %s: unexpected '%c' in '%s'", name, *p, text);
    }
  }
  shape->rank = 1;
  shape->d[0] = n;
  uint8_t *out = xmalloc((size_t)(n ? n : 1) * dtype_size(dt));
  for (int i = 0; i < n; i++) {
    switch (dt) {
    case DT_FLOAT: ((float *)out)[i] = (float)v[i]; break;
    case DT_DOUBLE: ((double *)out)[i] = v[i]; break;
    case DT_INT64: ((int64_t *)out)[i] = iv[i]; break;
    case DT_INT32: ((int32_t *)out)[i] = (int32_t)iv[i]; break;
    case DT_INT16: ((int16_t *)out)[i] = (int16_t)iv[i]; break;
    case DT_INT8: ((int8_t *)out)[i] = (int8_t)iv[i]; break;
    case DT_UINT8: ((uint8_t *)out)[i] = (uint8_t)iv[i]; break;
    case DT_BOOL: ((uint8_t *)out)[i] = iv[i] != 0; break;
    default:
      free(v);
      free(iv);
      free(out);
      return vitc_err("--const %s: inline values of type %s are not supported; give a file", name, dtype_name(dt));
    }
  }
  free(v);
  free(iv);
  *data = out;
  return 0;
}

int const_override_value(const ConstOverride *co, DType declared, const Shape *declared_shape, bool shape_known,
                         DType *dt, Shape *shape, void **data) {
  int rc;
  if (ends_with(co->value, ".pb")) rc = onnx_load_tensor_file(co->value, dt, shape, data, NULL);
  else if (ends_with(co->value, ".npy")) rc = load_npy(co->value, dt, shape, data);
  else {
    rc = parse_inline(co->name, co->value, declared, shape, data);
    *dt = declared;
    if (rc == 0 && shape_known && shape_numel(declared_shape) == shape->d[0]) {
      bool fixed = true;
      for (int i = 0; i < declared_shape->rank; i++) fixed &= declared_shape->d[i] > 0;
      if (fixed) *shape = *declared_shape; /* a scalar, or a fixed shape with as many values */
    }
  }
  if (rc) return -1;
  if (*dt != declared) {
    free(*data);
    return vitc_err("--const %s: the value is %s, the input is declared %s", co->name, dtype_name(*dt),
                    dtype_name(declared));
  }
  if (shape_known) {
    bool ok = shape->rank == declared_shape->rank;
    for (int i = 0; ok && i < shape->rank; i++) ok = declared_shape->d[i] <= 0 || declared_shape->d[i] == shape->d[i];
    if (!ok) {
      char a[128], b[128];
      free(*data);
      return vitc_err("--const %s: the value has shape %s, the input is declared %s", co->name,
                      shape_str(shape, a, sizeof a), shape_str(declared_shape, b, sizeof b));
    }
  }
  return 0;
}
