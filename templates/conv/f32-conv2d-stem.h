/* templates/conv/f32-conv2d-stem.h: the geometry of the stem conv
 * (templates/conv/f32-conv2d-stem-simd.c), one definition read by the kernel and
 * by the compiler (compiler/ops/conv.c sizes its scratch and picks the path with
 * it), so the two cannot disagree.
 *
 * The kernel reads a band of input rows per band of output rows, each input
 * channel copied into scratch with its padding made explicit: rows of
 * vitc__stem_wp floats (pad_l zeros, the W inputs, zeros), as many rows as the
 * band's taps reach. Rows are wide enough for every vector load of a row of
 * outputs rounded up to 16 (the widest vector), stride 2 reading two vectors'
 * worth; bands are as tall as fits VITC__STEM_BAND_FLOATS (64 KiB, in L2 with
 * room for the output rows being written). */
#ifndef VITC_F32_CONV2D_STEM_H
#define VITC_F32_CONV2D_STEM_H

#include "../prelude.h"

/* The stem path takes convs of group 1 with at most this many input channels
 * (an image's 1 to 4) and stride 1 or 2 along W. */
#define VITC_CONV2D_STEM_MAX_CIN 4
#define VITC__STEM_BAND_FLOATS 16384

/* Floats per padded input row. */
static inline VITC_UNUSED ptrdiff_t vitc__stem_wp(int W, int OW, int KW, int stride_w, int dil_w, int pad_l)
{
    const ptrdiff_t reach = (ptrdiff_t)stride_w * ((OW + 15) / 16 * 16) + (ptrdiff_t)(KW - 1) * dil_w;
    return pad_l + W > reach ? pad_l + W : reach;
}

/* Output rows per band: as many as keep the band's padded rows within the budget, at least 1. */
static inline VITC_UNUSED int vitc__stem_band_rows(int C_in, int OH, int KH, int stride_h, int dil_h, ptrdiff_t wp)
{
    const ptrdiff_t rows = VITC__STEM_BAND_FLOATS / ((ptrdiff_t)C_in * wp); /* input rows that fit */
    const ptrdiff_t br = (rows - (ptrdiff_t)(KH - 1) * dil_h - 1) / stride_h + 1;
    return br < 1 ? 1 : br > OH ? OH : (int)br;
}

/* Input rows a band of br output rows reads. */
static inline VITC_UNUSED int vitc__stem_band_in_rows(int br, int KH, int stride_h, int dil_h)
{
    return (br - 1) * stride_h + (KH - 1) * dil_h + 1;
}

/* Scratch floats of vitc_f32_conv2d_stem_<isa>: one band's padded input channels. */
static inline VITC_UNUSED ptrdiff_t vitc_f32_conv2d_stem_scratch_floats(int C_in, int H, int W, int OH, int OW, int KH,
                                                                         int KW, int stride_h, int stride_w,
                                                                         int dil_h, int dil_w, int pad_l)
{
    const ptrdiff_t wp = vitc__stem_wp(W, OW, KW, stride_w, dil_w, pad_l);
    const int br = vitc__stem_band_rows(C_in, OH, KH, stride_h, dil_h, wp);
    (void)H;
    return (ptrdiff_t)C_in * vitc__stem_band_in_rows(br, KH, stride_h, dil_h) * wp;
}

#endif /* VITC_F32_CONV2D_STEM_H */
