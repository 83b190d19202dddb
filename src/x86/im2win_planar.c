/* The planar work unit of the im2win family (cfg->planar, im2win.h): an
 * NCHW 1x1 convolution of unit stride and no padding is y[k][p] =
 * sum_c w[k][c] x[c][p] for the pixels p of each plane, so the
 * micro-kernel runs with the roles of its operands swapped: its "pixels"
 * are output channels, broadcast from the filter's rows as they are
 * (w[k][0..C) is a run), and its vectors are output pixels, read from
 * x's planes in place or from the unit's window, the planes copied into
 * panels [C][nr pixels], so the tile lands in y's planes directly; the
 * window of the other scheme (channels innermost) and the transpose of
 * its tile into the planes both go.  Compiled once per ISA. */
#include <limits.h>
#include <stdint.h>

#include "common/layout.h"
#include "x86/im2win_ukernel.h"

/* Panels of pixels [p0, p0 + np) of the cg planes from xg, panel after
 * panel of cfg->nr pixels (the last of fewer, rounded up to whole
 * vectors, zero past np), each [channel][width]. */
static void pack_panels(const i2w_im2win_cfg *cfg, const float *xg, int p0,
                        int np, float *win)
{
    const int cg = cfg->sh.cg, nr = cfg->nr;
    xg += p0;
    /* plane by plane, so x is read in runs of np floats */
    for (int c = 0; c < cg; c++) {
        const float *src = xg + (ptrdiff_t)c * cfg->xs_c;
        for (int q = 0; q < np; q += nr) {
            const int n = np - q < nr ? np - q : nr;
            const int width = (n + I2W_VL - 1) / I2W_VL * I2W_VL;
            float *d = win + (ptrdiff_t)q * cg + (ptrdiff_t)c * width;
            for (int i = 0; i < width; i += I2W_VL) {
                const int m = n - i < I2W_VL ? n - i : I2W_VL;
                i2w_vstore(d + i, m == I2W_VL
                                      ? i2w_vload(src + q + i)
                                      : i2w_vload_m(src + q + i,
                                                    i2w_vmask_first(m)));
            }
        }
    }
}

void I2W_IM2WIN_SYM(i2w_im2win_planar_unit)(const i2w_im2win_cfg *cfg,
                                            const float *x, const float *w,
                                            const float *bias, float *y,
                                            float *win, int unit)
{
    const i2w_shape *sh = &cfg->sh;
    const int npix = sh->ho * sh->wo, cg = sh->cg, kg = sh->kg;
    const int nblk = (npix + cfg->pb - 1) / cfg->pb;
    /* unit = ((image, group), pixel block, part of the channel tiles) */
    const int kq = unit % cfg->kparts, v = unit / cfg->kparts;
    const int pblk = v % nblk, ng = v / nblk;
    const int n = ng / sh->g, g = ng % sh->g;
    const int p0 = pblk * cfg->pb;
    const int np = npix - p0 < cfg->pb ? npix - p0 : cfg->pb;
    /* channel tiles of equal widths, the first ones one wider */
    const int ntile = (kg + cfg->mr - 1) / cfg->mr;
    const int t0 = kq * ntile / cfg->kparts,
              t1 = (kq + 1) * ntile / cfg->kparts;

    /* Planes that start on a vector are read in place, a vector of
     * pixels of each channel per step, but for a last partial panel
     * (whose vectors would run past the plane): the copy cost as much as
     * the FMAs with few output channels (MobileNetV2's 32 -> 16 at 112:
     * 0.11 -> 0.07 ms).  Others are copied: their every vector would
     * straddle two cache lines (196-pixel planes: 8% slower in place). */
    const float *xn = x + i2w_act_offset(sh->layout, sh->nb, sh->c, sh->h,
                                        sh->w, n, 0, 0, 0);
    const float *xg = xn + (ptrdiff_t)g * cg * cfg->xs_c;
    const int direct = cfg->xs_c % I2W_VL == 0 &&
                       (uintptr_t)xg % (I2W_VL * sizeof(float)) == 0;
    const int nfull = direct ? np / cfg->nr * cfg->nr : 0;
    if (nfull < np)
        pack_panels(cfg, xg, p0 + nfull, np - nfull,
                    win + (ptrdiff_t)nfull * cg);
    float *yg = y + i2w_act_offset(sh->layout, sh->nb, sh->k, sh->ho, sh->wo,
                                   n, g * kg, 0, 0);
    i2w_im2win_uk_args args = {
        .a_pix = cg, .nseg = 1, .nseg_s = 1, .run = cg, .seg_step = 1,
        .seg_wrap = INT_MAX, .ldc = cfg->ys_k, .first = 1};
    for (int q = 0; q < np; q += cfg->nr) {
        args.nk = np - q < cfg->nr ? np - q : cfg->nr;
        const int nv = (args.nk + I2W_VL - 1) / I2W_VL;
        if (q < nfull) {
            args.b = xg + p0 + q;
            args.b_step = cfg->xs_c;
        } else {
            args.b = win + (ptrdiff_t)q * cg;
            args.b_step = (ptrdiff_t)nv * I2W_VL;
        }
        /* whole lines of planes that start on one: past the caches */
        args.stream = cfg->stream && args.nk == cfg->nr &&
                      cfg->ys_k % I2W_VL == 0 &&
                      (uintptr_t)y % (I2W_VL * sizeof(float)) == 0;
        for (int t = t0; t < t1; t += args.ntiles) {
            const int wide = kg % ntile, mr = kg / ntile + (t < wide);
            const int k0 = t * (kg / ntile) + (t < wide ? t : wide);
            /* the tiles of this width in one call */
            args.ntiles = (t < wide && t1 > wide ? wide : t1) - t;
            args.a = w + ((ptrdiff_t)g * kg + k0) * cg;
            args.a_half = (mr + 1) / 2 * args.a_pix;
            args.c = yg + (ptrdiff_t)k0 * cfg->ys_k + p0 + q;
            args.bias_pix = bias ? bias + g * kg + k0 : NULL;
            I2W_IM2WIN_SYM(i2w_im2win_ukernels)[nv - 1][mr - 1](&args);
        }
    }
}
