/* im2win filter packing (im2win.h), compiled once per ISA: one panel of
 * output channels, every reduction chunk, in the order the micro-kernel
 * reads it: taps (s, r), then channels, then the panel's output channels
 * as whole vectors, the lanes past the last channel zero so they add
 * nothing. */
#include "common/layout.h"
#include "x86/im2win_isa.h"

/* Filters with contiguous output channels (CHWN): one copy per tap and
 * channel. */
static void pack_rows(const i2w_shape *sh, const float *src, ptrdiff_t wc,
                      ptrdiff_t wr, ptrdiff_t ws, int cbn, int nk, int nrp,
                      float *dst)
{
    for (int s = 0; s < sh->s; s++)
        for (int r = 0; r < sh->r; r++)
            for (int c = 0; c < cbn; c++) {
                i2w_copy_floats(dst, src + c * wc + r * wr + s * ws, nk);
                i2w_zero_floats(dst + nk, nrp - nk);
                dst += nrp;
            }
}

/* Filters with output channels outermost (NCHW, NHWC): the reduction of
 * each output channel is one contiguous run.  Blocks of I2W_VL channels x
 * I2W_VL consecutive elements are transposed in registers, and each
 * element's channel vector goes to its packed row (cfg->pack_row). */
static void pack_transpose(const i2w_im2win_cfg *cfg, const float *src,
                           ptrdiff_t wk, int nk, int nrp, float *dst)
{
    const int red = cfg->sh.cg * cfg->sh.r * cfg->sh.s;
    /* whole packed rows at a time: each destination line is written once */
    for (int i0 = 0; i0 < red; i0 += I2W_VL)
        for (int j0 = 0; j0 < nrp; j0 += I2W_VL) {
            const int ni = red - i0 < I2W_VL ? red - i0 : I2W_VL;
            const i2w_vmask m = i2w_vmask_first(ni);
            i2w_vec v[I2W_VL];
            I2W_UNROLL for (int t = 0; t < I2W_VL; t++) {
                const float *p = src + (j0 + t) * wk + i0;
                /* I2W_VL (or 2*I2W_VL) rows far apart are more streams
                 * than the hardware prefetcher follows: ask for the line
                 * after next of each */
                _mm_prefetch((const char *)(p + 32), _MM_HINT_T0);
                v[t] = j0 + t >= nk   ? i2w_vzero()
                       : ni == I2W_VL ? i2w_vload(p)
                                      : i2w_vload_m(p, m);
            }
            i2w_vtranspose(v);
            I2W_UNROLL for (int t = 0; t < ni; t++)
                i2w_vstore(dst + (ptrdiff_t)cfg->pack_row[i0 + t] * nrp + j0,
                           v[t]);
        }
}

void I2W_IM2WIN_SYM(i2w_im2win_pack_panel)(const i2w_im2win_cfg *cfg,
                                           const float *w, int g, int kp,
                                           float *packed)
{
    const i2w_shape *sh = &cfg->sh;
    const i2w_layout l = sh->layout;
    const int K = sh->k, C = sh->cg, R = sh->r, S = sh->s;
    /* every filter layout is linear in each index: read the strides off */
    const ptrdiff_t wk = i2w_filter_offset(l, K, C, R, S, 1, 0, 0, 0);
    const int nrp = i2w_im2win_panel_width(cfg, kp);
    const int k0 = kp * cfg->nr;
    const int nk = sh->kg - k0 < nrp ? sh->kg - k0 : nrp;
    const float *src = w + (ptrdiff_t)(g * sh->kg + k0) * wk;
    float *dst = packed + i2w_im2win_packed_offset(cfg, g, kp, 0);

    if (wk != 1) {
        pack_transpose(cfg, src, wk, nk, nrp, dst);
        return;
    }
    const ptrdiff_t wc = i2w_filter_offset(l, K, C, R, S, 0, 1, 0, 0);
    const ptrdiff_t wr = i2w_filter_offset(l, K, C, R, S, 0, 0, 1, 0);
    const ptrdiff_t ws = i2w_filter_offset(l, K, C, R, S, 0, 0, 0, 1);
    for (int c0 = 0; c0 < sh->cg; c0 += cfg->cb) {
        const int cbn = sh->cg - c0 < cfg->cb ? sh->cg - c0 : cfg->cb;
        pack_rows(sh, src + c0 * wc, wc, wr, ws, cbn, nk, nrp,
                  packed + i2w_im2win_packed_offset(cfg, g, kp, c0));
    }
}
