/* Reference backward filter: dw[k][c][r][s] = sum over the images n and
 * output positions (oh, ow) of
 * x[n][c0 + c][oh*sh - ph + r*dh][ow*sw - pw + s*dw] * dy[n][k][oh][ow],
 * c0 being the first input channel of k's group. */
#include "common/layout.h"
#include "ref/ref.h"
#include "ref/ref_tap.h"

static double filter_element(const i2w_shape *sh, const float *x,
                             const float *dy, int k, int c, int r, int s)
{
    int c0 = k / sh->kg * sh->cg;
    double acc = 0.0;
    for (int n = 0; n < sh->n; n++)
        for (int oh = 0; oh < sh->ho; oh++)
            for (int ow = 0; ow < sh->wo; ow++)
                acc += i2w_ref_tap(sh, x, n, c0 + c, oh, ow, r, s) *
                       dy[i2w_act_offset(sh->layout, sh->nb, sh->k, sh->ho,
                                         sh->wo, n, k, oh, ow)];
    return acc;
}

void i2w_ref_backward_filter(const i2w_shape *sh, const float *x,
                             const float *dy, float *dw)
{
    for (int k = 0; k < sh->k; k++)
        for (int c = 0; c < sh->cg; c++)
            for (int r = 0; r < sh->r; r++)
                for (int s = 0; s < sh->s; s++)
                    dw[i2w_filter_offset(sh->layout, sh->k, sh->cg, sh->r,
                                         sh->s, k, c, r, s)] =
                        (float)filter_element(sh, x, dy, k, c, r, s);
}
