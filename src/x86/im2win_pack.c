/* im2win filter packing (im2win.h): one panel of output channels, every
 * reduction chunk, in the order the micro-kernel reads it: taps (s, r),
 * then channels, then the panel's output channels as whole vectors, the
 * lanes past the last channel zero so they add nothing. */
#include "common/layout.h"
#include "x86/im2win_window.h"

void i2w_im2win_pack_panel(const i2w_im2win_cfg *cfg, const float *w, int g,
                           int kp, float *packed)
{
    const i2w_shape *sh = &cfg->sh;
    const i2w_layout l = sh->layout;
    /* every filter layout is linear in each index: read the strides off */
    const ptrdiff_t wk = i2w_filter_offset(l, sh->k, sh->cg, sh->r, sh->s, 1, 0, 0, 0);
    const ptrdiff_t wc = i2w_filter_offset(l, sh->k, sh->cg, sh->r, sh->s, 0, 1, 0, 0);
    const ptrdiff_t wr = i2w_filter_offset(l, sh->k, sh->cg, sh->r, sh->s, 0, 0, 1, 0);
    const ptrdiff_t ws = i2w_filter_offset(l, sh->k, sh->cg, sh->r, sh->s, 0, 0, 0, 1);
    const int nrp = i2w_im2win_panel_width(cfg, kp);
    const int k0 = kp * cfg->nr;
    const int nk = sh->kg - k0 < nrp ? sh->kg - k0 : nrp;
    const float *wp = w + (ptrdiff_t)(g * sh->kg + k0) * wk;

    for (int c0 = 0; c0 < sh->cg; c0 += cfg->cb) {
        int cbn = sh->cg - c0 < cfg->cb ? sh->cg - c0 : cfg->cb;
        float *dst = packed + i2w_im2win_packed_offset(cfg, g, kp, c0);
        for (int s = 0; s < sh->s; s++)
            for (int r = 0; r < sh->r; r++)
                for (int c = c0; c < c0 + cbn; c++) {
                    const float *src = wp + c * wc + r * wr + s * ws;
                    for (int j = 0; j < nk; j++)
                        dst[j] = src[j * wk];
                    for (int j = nk; j < nrp; j++)
                        dst[j] = 0.0f;
                    dst += nrp;
                }
    }
}
