/* Element strides of im2win's layouts, for the comparison libraries,
 * which take arbitrary strides (oneDNN) or a named format (cuDNN). */
#include "bench.h"

int bench_activation_strides(i2w_layout layout, const int dim[4],
                             long stride[4])
{
    long n = dim[0], c = dim[1], h = dim[2], w = dim[3];
    switch (layout) {
    case I2W_LAYOUT_NCHW:
        stride[0] = c * h * w, stride[1] = h * w, stride[2] = w;
        stride[3] = 1;
        return 0;
    case I2W_LAYOUT_NHWC:
        stride[0] = h * w * c, stride[1] = 1, stride[2] = w * c;
        stride[3] = c;
        return 0;
    case I2W_LAYOUT_CHWN:
        stride[0] = 1, stride[1] = h * w * n, stride[2] = w * n;
        stride[3] = n;
        return 0;
    default: /* CHWN8 blocks the batch: no plain strides */
        return -1;
    }
}

void bench_filter_strides(i2w_layout layout, const bench_geom *g,
                          long stride[5])
{
    long kg = g->kg, cg = g->cg, r = g->r, s = g->s;
    switch (layout) {
    case I2W_LAYOUT_NCHW: /* [K][C/g][R][S] */
        stride[0] = kg * cg * r * s, stride[1] = cg * r * s;
        stride[2] = r * s, stride[3] = s, stride[4] = 1;
        break;
    case I2W_LAYOUT_NHWC: /* [K][R][S][C/g] */
        stride[0] = kg * r * s * cg, stride[1] = r * s * cg;
        stride[2] = 1, stride[3] = s * cg, stride[4] = cg;
        break;
    default: /* CHWN, CHWN8: [C/g][R][S][K] */
        stride[0] = kg, stride[1] = 1;
        stride[2] = r * s * g->k, stride[3] = s * g->k, stride[4] = g->k;
        break;
    }
}
