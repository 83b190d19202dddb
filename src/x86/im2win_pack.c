/* im2win filter packing (im2win.h): one panel of output channels, every
 * reduction chunk, in the order the micro-kernel reads it: taps (s, r),
 * then channels, then the panel's output channels as whole vectors, the
 * lanes past the last channel zero so they add nothing. */
#include <string.h>

#include "common/layout.h"
#include "x86/im2win_window.h"

/* One index of a 3-deep copy loop: extent, source and destination
 * strides. */
typedef struct {
    int n;
    ptrdiff_t src, dst;
} axis;

static void copy3(const float *src, float *dst, axis a, axis b, axis c)
{
    for (int i = 0; i < a.n; i++)
        for (int j = 0; j < b.n; j++)
            for (int k = 0; k < c.n; k++)
                dst[i * a.dst + j * b.dst + k * c.dst] =
                    src[i * a.src + j * b.src + k * c.src];
}

/* Filters with contiguous output channels (CHWN): one copy per tap and
 * channel. */
static void pack_rows(const i2w_shape *sh, const float *src, ptrdiff_t wc,
                      ptrdiff_t wr, ptrdiff_t ws, int cbn, int nk, int nrp,
                      float *dst)
{
    for (int s = 0; s < sh->s; s++)
        for (int r = 0; r < sh->r; r++)
            for (int c = 0; c < cbn; c++) {
                memcpy(dst, src + c * wc + r * wr + s * ws,
                       (size_t)nk * sizeof(float));
                memset(dst + nk, 0, (size_t)(nrp - nk) * sizeof(float));
                dst += nrp;
            }
}

/* Filters with output channels outermost (NCHW, NHWC): read each output
 * channel's taps in memory order (channels innermost for NHWC, taps for
 * NCHW) and scatter them into the chunk's block, which stays in L1
 * meanwhile (see I2W_IM2WIN_PANEL_BYTES). */
static void pack_transpose(const i2w_shape *sh, const float *src,
                           ptrdiff_t wk, ptrdiff_t wc, ptrdiff_t wr,
                           ptrdiff_t ws, int cbn, int nk, int nrp,
                           float *dst)
{
    const axis c = {cbn, wc, nrp}, r = {sh->r, wr, (ptrdiff_t)cbn * nrp},
               s = {sh->s, ws, (ptrdiff_t)sh->r * cbn * nrp};
    for (int j = 0; j < nk; j++) {
        if (wc == 1)
            copy3(src + j * wk, dst + j, r, s, c);
        else
            copy3(src + j * wk, dst + j, c, r, s);
    }
    for (size_t i = 0; i < (size_t)sh->s * sh->r * cbn; i++)
        for (int j = nk; j < nrp; j++)
            dst[i * nrp + j] = 0.0f;
}

void i2w_im2win_pack_panel(const i2w_im2win_cfg *cfg, const float *w, int g,
                           int kp, float *packed)
{
    const i2w_shape *sh = &cfg->sh;
    const i2w_layout l = sh->layout;
    const int K = sh->k, C = sh->cg, R = sh->r, S = sh->s;
    /* every filter layout is linear in each index: read the strides off */
    const ptrdiff_t wk = i2w_filter_offset(l, K, C, R, S, 1, 0, 0, 0);
    const ptrdiff_t wc = i2w_filter_offset(l, K, C, R, S, 0, 1, 0, 0);
    const ptrdiff_t wr = i2w_filter_offset(l, K, C, R, S, 0, 0, 1, 0);
    const ptrdiff_t ws = i2w_filter_offset(l, K, C, R, S, 0, 0, 0, 1);
    const int nrp = i2w_im2win_panel_width(cfg, kp);
    const int k0 = kp * cfg->nr;
    const int nk = sh->kg - k0 < nrp ? sh->kg - k0 : nrp;
    const float *wp = w + (ptrdiff_t)(g * sh->kg + k0) * wk;

    for (int c0 = 0; c0 < sh->cg; c0 += cfg->cb) {
        const int cbn = sh->cg - c0 < cfg->cb ? sh->cg - c0 : cfg->cb;
        const float *src = wp + c0 * wc;
        float *dst = packed + i2w_im2win_packed_offset(cfg, g, kp, c0);
        if (wk == 1)
            pack_rows(sh, src, wc, wr, ws, cbn, nk, nrp, dst);
        else
            pack_transpose(sh, src, wk, wc, wr, ws, cbn, nk, nrp, dst);
    }
}
