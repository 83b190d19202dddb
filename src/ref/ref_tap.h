/* The one input element a filter tap reads, shared by the reference
 * forward and backward-filter loops. */
#ifndef I2W_REF_TAP_H
#define I2W_REF_TAP_H

#include "common/layout.h"
#include "common/internal.h"

/* x[n][c][oh*sh - ph + r*dh][ow*sw - pw + s*dw] of the input tensor of
 * sh, or 0 where that position lies in the zero padding. */
static inline double i2w_ref_tap(const i2w_shape *sh, const float *x, int n,
                                 int c, int oh, int ow, int r, int s)
{
    int ih = oh * sh->sh - sh->ph + r * sh->dh;
    int iw = ow * sh->sw - sh->pw + s * sh->dw;
    if (ih < 0 || ih >= sh->h || iw < 0 || iw >= sh->w)
        return 0.0;
    return x[i2w_act_offset(sh->layout, sh->nb, sh->c, sh->h, sh->w, n, c,
                            ih, iw)];
}

#endif /* I2W_REF_TAP_H */
