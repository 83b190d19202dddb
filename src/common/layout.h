/* Element offsets of each layout (DESIGN.md, "Layouts").  Static inline so
 * the reference backend, the x86 kernels, the CUDA plugin and the tests all
 * index tensors through one definition. */
#ifndef I2W_LAYOUT_H
#define I2W_LAYOUT_H

#include <stddef.h>

#include "im2win.h"

/* Batch as stored: CHWN8 pads the batch to a multiple of 8. */
static inline int i2w_stored_batch(i2w_layout l, int n)
{
    return l == I2W_LAYOUT_CHWN8 ? (n + 7) / 8 * 8 : n;
}

/* Offset of activation element (n, c, h, w) of a tensor [N][C][H][W]. */
static inline size_t i2w_act_offset(i2w_layout l, int N, int C, int H, int W,
                                    int n, int c, int h, int w)
{
    switch (l) {
    case I2W_LAYOUT_NHWC:
        return (((size_t)n * H + h) * W + w) * C + c;
    case I2W_LAYOUT_CHWN:
        return (((size_t)c * H + h) * W + w) * N + n;
    case I2W_LAYOUT_CHWN8:
        return ((((size_t)(n / 8) * C + c) * H + h) * W + w) * 8 + n % 8;
    case I2W_LAYOUT_NCHW:
    default:
        return (((size_t)n * C + c) * H + h) * W + w;
    }
}

/* Offset of filter element (k, c, r, s) of K output channels, C input
 * channels per group, R x S taps.  CHWN and CHWN8 share [C][R][S][K]. */
static inline size_t i2w_filter_offset(i2w_layout l, int K, int C, int R,
                                       int S, int k, int c, int r, int s)
{
    switch (l) {
    case I2W_LAYOUT_NHWC:
        return (((size_t)k * R + r) * S + s) * C + c;
    case I2W_LAYOUT_CHWN:
    case I2W_LAYOUT_CHWN8:
        return (((size_t)c * R + r) * S + s) * K + k;
    case I2W_LAYOUT_NCHW:
    default:
        return (((size_t)k * C + c) * R + r) * S + s;
    }
}

#endif /* I2W_LAYOUT_H */
