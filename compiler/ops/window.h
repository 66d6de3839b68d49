/* ops/window.h: sliding-window geometry shared by Conv (ops/conv.c, where it is
 * defined), the pools (ops/pool.c) and ConvTranspose (ops/conv_transpose.c).
 *
 * window_geometry() turns ONNX's kernel size, strides, dilations, pads, auto_pad
 * and ceil_mode into per-spatial-axis output sizes and explicit begin/end pads;
 * the rules are spelled out at the top of ops/conv.c. */
#ifndef VITC_OPS_WINDOW_H
#define VITC_OPS_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/graph.h"

typedef struct Window {
  int nsp; /* spatial dims: rank of X minus 2 */
  int64_t in[IR_MAX_RANK], k[IR_MAX_RANK], s[IR_MAX_RANK], d[IR_MAX_RANK];
  int64_t pb[IR_MAX_RANK], pe[IR_MAX_RANK], out[IR_MAX_RANK]; /* pads at begin/end, output size */
} Window;

/* X is (N, C, spatial...), kernel has rank-2 sizes. Reads the node's strides,
 * dilations, pads and auto_pad; error naming the node on a
 * bad attribute or a window larger than the padded input. */
int window_geometry(Graph *g, Node *n, const Shape *x, const int64_t *kernel, bool ceil_mode,
                    Window *w);

/* The 2-D view of a 1-D or 2-D window, as the NCHW kernels take it: a 1-D
 * window (N, C, W) is H = 1 with a 1-row kernel. Error for 3-D and up. */
typedef struct Window2D {
  int64_t H, W, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr;
} Window2D;

int window_as_2d(Graph *g, Node *n, const Window *w, Window2D *c);

/* Reads an INTS attribute of exactly `count` values in [min, INT32_MAX] (what
 * the kernels' int arguments hold), or fills `dflt` when it is absent; error
 * naming the node otherwise. Conv's and the pools' strides, dilations and pads,
 * ConvTranspose's too. */
int window_ints(Graph *g, Node *n, const char *name, int count, int64_t dflt, int64_t min, int64_t *out);

#endif
