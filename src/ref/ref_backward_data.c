/* Reference backward data: dx[n][c][ih][iw] = sum over the output channels
 * k of c's group and the taps (r, s) of w[k][c'][r][s] * dy[n][k][oh][ow]
 * for every output position (oh, ow) whose tap (r, s) reads (ih, iw), i.e.
 * oh*sh - ph + r*dh == ih and ow*sw - pw + s*dw == iw. */
#include "common/layout.h"
#include "ref/ref.h"

/* The output coordinate whose tap at offset t = i + pad - tap*dilation
 * lands on input coordinate i, or -1 when no output position does. */
static int source(int t, int stride, int out_size)
{
    if (t < 0 || t % stride != 0 || t / stride >= out_size)
        return -1;
    return t / stride;
}

static double input_element(const i2w_shape *sh, const float *dy,
                            const float *w, int n, int c, int ih, int iw)
{
    int grp = c / sh->cg, cl = c % sh->cg; /* c's group, index within it */
    double acc = 0.0;
    for (int k = grp * sh->kg; k < (grp + 1) * sh->kg; k++)
        for (int r = 0; r < sh->r; r++) {
            int oh = source(ih + sh->ph - r * sh->dh, sh->sh, sh->ho);
            if (oh < 0)
                continue;
            for (int s = 0; s < sh->s; s++) {
                int ow = source(iw + sh->pw - s * sh->dw, sh->sw, sh->wo);
                if (ow < 0)
                    continue;
                acc += (double)dy[i2w_act_offset(sh->layout, sh->nb, sh->k,
                                                 sh->ho, sh->wo, n, k, oh,
                                                 ow)] *
                       w[i2w_filter_offset(sh->layout, sh->k, sh->cg, sh->r,
                                           sh->s, k, cl, r, s)];
            }
        }
    return acc;
}

void i2w_ref_backward_data(const i2w_shape *sh, const float *dy,
                           const float *w, float *dx)
{
    /* n runs over the stored batch: CHWN8 padding lanes get 0 */
    for (int n = 0; n < sh->nb; n++)
        for (int c = 0; c < sh->c; c++)
            for (int ih = 0; ih < sh->h; ih++)
                for (int iw = 0; iw < sh->w; iw++)
                    dx[i2w_act_offset(sh->layout, sh->nb, sh->c, sh->h,
                                      sh->w, n, c, ih, iw)] =
                        n < sh->n ? (float)input_element(sh, dy, w, n, c,
                                                         ih, iw)
                                  : 0.0f;
}
