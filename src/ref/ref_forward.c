/* Reference forward convolution: y[n][k][oh][ow] = bias[k] + sum over the
 * channels c of k's group and the taps (r, s) of
 * x[n][c][oh*sh - ph + r*dh][ow*sw - pw + s*dw] * w[k][c][r][s],
 * taps falling in the padding contributing nothing. */
#include "common/layout.h"
#include "ref/ref.h"
#include "ref/ref_tap.h"

static double output_element(const i2w_shape *sh, const float *x,
                             const float *w, int n, int k, int oh, int ow)
{
    int c0 = k / sh->kg * sh->cg; /* first input channel of k's group */
    double acc = 0.0;
    for (int c = 0; c < sh->cg; c++)
        for (int r = 0; r < sh->r; r++)
            for (int s = 0; s < sh->s; s++)
                acc += i2w_ref_tap(sh, x, n, c0 + c, oh, ow, r, s) *
                       w[i2w_filter_offset(sh->layout, sh->k, sh->cg, sh->r,
                                           sh->s, k, c, r, s)];
    return acc;
}

void i2w_ref_forward(const i2w_shape *sh, const float *x, const float *w,
                     const float *bias, float *y)
{
    /* n runs over the stored batch: CHWN8 padding lanes get 0 */
    for (int n = 0; n < sh->nb; n++)
        for (int k = 0; k < sh->k; k++)
            for (int oh = 0; oh < sh->ho; oh++)
                for (int ow = 0; ow < sh->wo; ow++) {
                    double v = 0.0;
                    if (n < sh->n)
                        v = output_element(sh, x, w, n, k, oh, ow) +
                            (bias ? bias[k] : 0.0);
                    y[i2w_act_offset(sh->layout, sh->nb, sh->k, sh->ho,
                                     sh->wo, n, k, oh, ow)] = (float)v;
                }
}
