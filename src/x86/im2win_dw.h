/* The depthwise im2win family of the x86 backend (groups == C == K, one
 * input and one output channel per group).  The general im2win kernels
 * vectorize over the output channels of a group, so a depthwise layer
 * would fill one lane of a vector; this family puts other things in the
 * lanes:
 *   NHWC          channels: x's rows are the window, read in place (a
 *                 pixel's channels contiguous), the taps in the padding
 *                 skipped (rows for a whole output row, columns for the
 *                 pixels at either end, done one at a time); the filter
 *                 is repacked at execute into [R][S][C padded] vectors;
 *   NCHW, CHWN,   the flattened (output column, image) axis of one channel
 *   CHWN8         plane ("planar": an image column holds L = 1, N or 8
 *                 floats): the window of a band of output rows is
 *                 [input row][phase][column][L], the rows they cover once
 *                 each, split by column phase modulo the stride so the
 *                 taps of a vector of outputs are one contiguous load;
 *                 filter taps are broadcast; where a column is one float
 *                 (NCHW, or CHWN of one image) the band is computed
 *                 "flat" instead: its output rows one run of positions
 *                 over a window of planes (below), so short rows share
 *                 vectors.
 * The planar windows hold the padding zeros, materialized there only, so
 * the inner loops run without a bound test.  f32_im2win_dw.c is compiled once per
 * ISA; im2win_dw.c (ISA-neutral) plans and dispatches. */
#ifndef I2W_X86_IM2WIN_DW_H
#define I2W_X86_IM2WIN_DW_H

#include "common/internal.h"

typedef struct {
    i2w_shape sh;
    int planar;  /* lanes along (output column, image) of a plane */
    /* planar, one float per image column: output (i, wo) of a band is
     * position i*cols + wo of one run, and its tap (r, s) reads the
     * window at that position plus a fixed offset; the window holds
     * planes [row phase][column phase][rows][cols], row j of row phase
     * g the padded input row (ho0 + j)*sh + g, column j of column phase
     * p the padded input column j*sw + p: each input row the band reads
     * once */
    int flat;
    size_t stage_off; /* flat: the outputs' run, after the window */
    int lanes;   /* planar: floats per image column in the window (L) */
    int ncol;    /* planar: floats per image column in x and y: L, or N for
                    a CHWN batch wider than a vector, cut into blocks of L
                    images (one vector), so the window never grows with N */
    int blocks;  /* image blocks: planes of one channel */
    int hb;      /* output rows per band */
    int bands;   /* ceil(ho / hb) */
    int rows;    /* planar: window rows of a full band (flat: a plane's);
                    NHWC: 0 */
    int cols;    /* planar: window columns per phase; NHWC: 0 */
    int cp;      /* NHWC: channels rounded up to the vector width */
    int cb;      /* NHWC: channels per block, a multiple of the width */
    int cblocks; /* NHWC: ceil(cp / cb); planar: C */
    int threads; /* windows in the workspace */
    size_t win_floats;    /* one thread's window (planar; flat: two
                             windows, each with its outputs' run; NHWC:
                             0) */
    size_t filter_floats; /* NHWC: one thread's packed filter and bias,
                             before its window */
    size_t packed_floats; /* NHWC: the whole filter as [R*S][cp], packed
                             once by set_filter, at the workspace's start */
} i2w_dw_cfg;

/* y = depthwise conv(x, w) (+ bias) for cfg; ws: the plan's workspace;
 * threads <= cfg->threads.  w == NULL: the filter packed by set_filter at
 * the start of ws (NHWC). */
typedef void (*i2w_dw_fn)(const i2w_dw_cfg *cfg, const float *x,
                          const float *w, const float *bias, float *y,
                          float *ws, int threads);

I2W_HIDDEN void i2w_x86_im2win_dw_forward_avx2(const i2w_dw_cfg *cfg,
                                               const float *x,
                                               const float *w,
                                               const float *bias, float *y,
                                               float *ws, int threads);
I2W_HIDDEN void i2w_x86_im2win_dw_forward_avx512(const i2w_dw_cfg *cfg,
                                                 const float *x,
                                                 const float *w,
                                                 const float *bias, float *y,
                                                 float *ws, int threads);

#endif /* I2W_X86_IM2WIN_DW_H */
