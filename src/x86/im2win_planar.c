/* The planar work unit of the im2win family (cfg->planar, im2win.h): an
 * NCHW convolution is y[k][p] = sum_e w[k][e] col[e][p] over the pixels p
 * of each plane, e = (c*R + r)*S + s running over a filter row as it is
 * (KCRS) and col[e][p] the input that tap (r, s) of channel c brings to
 * pixel p.  So the micro-kernel runs with the roles of its operands
 * swapped: its "pixels" are output channels, broadcast from the filter's
 * rows, and its vectors are output pixels, read from the unit's window
 * [e][pixel], so the tile lands in y's planes directly; the window of
 * the other scheme (channels innermost) and the transpose of its tile
 * into the planes both go.  For a 1x1 layer of unit stride and no
 * padding col is x itself, read in place where its planes start on a
 * vector or copied into panels [C][nr pixels]; with taps (unit column
 * stride) each window row is the unit's pixels' runs of one input row,
 * shifted by the tap, a few floats a pixel where the output is what
 * costs (3 input channels).  Compiled once per ISA. */
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

/* Floats per cache line. */
enum { I2W_LINE = 64 / sizeof(float) };

/* The window of pixels [p0, p0 + np) of a layer with taps and unit
 * column stride: row e = (c*R + r)*S + s of cfg->pb floats holds, for
 * each pixel (ho, wo), x[c][ho*sh - ph + r*dh][wo - pw + s*dw], zero in
 * the padding and past np up to a whole vector.  Output row by output
 * row, each row of the window is a run of one input row. */
static void pack_taps(const i2w_im2win_cfg *cfg, const float *xg, int p0,
                      int np, float *win)
{
    const i2w_shape *sh = &cfg->sh;
    const int R = sh->r, S = sh->s, red = sh->cg * R * S;
    const ptrdiff_t ld = cfg->pb;
    for (int i = 0; i < np;) {
        const int ho = (p0 + i) / sh->wo, wo = (p0 + i) % sh->wo;
        const int seg = np - i < sh->wo - wo ? np - i : sh->wo - wo;
        for (int c = 0; c < sh->cg; c++)
            for (int r = 0; r < R; r++) {
                const int h = ho * sh->sh - sh->ph + r * sh->dh;
                const float *src =
                    h >= 0 && h < sh->h
                        ? xg + c * cfg->xs_c + (ptrdiff_t)h * cfg->xs_h
                        : NULL;
                float *d = win + ((ptrdiff_t)(c * R + r) * S) * ld + i;
                for (int s = 0; s < S; s++, d += ld) {
                    const int col = wo - sh->pw + s * sh->dw;
                    const int lo = col < 0 ? -col : 0;
                    const int hi = sh->w - col < seg ? sh->w - col : seg;
                    /* a padding row, or a tap whose columns all fall in
                     * the padding: no pointer into x is formed (src is
                     * NULL, or src + col + lo past the row) */
                    if (!src || hi <= lo) {
                        i2w_zero_floats(d, seg);
                        continue;
                    }
                    i2w_zero_floats(d, lo);
                    i2w_copy_floats(d + lo, src + col + lo, hi - lo);
                    i2w_zero_floats(d + hi, seg - hi);
                }
            }
        i += seg;
    }
    const int tail = (np + I2W_VL - 1) / I2W_VL * I2W_VL - np;
    for (int e = 0; e < red && tail; e++)
        i2w_zero_floats(win + e * ld + np, tail);
}

/* Staged tiles (cfg->stage_pix): pixels [from, to) of the unit's np
 * reached the staging rows of channels [0, nk) (ld floats apart), and
 * the lines of y they complete go out, whole ones past the caches; the
 * partial lines at either end of the unit's run of a plane, shared with
 * the neighbouring units, through them, once the unit has its share
 * (i2w_stream_floats). */
static void flush_lines(const i2w_im2win_cfg *cfg, float *y, const float *st,
                        ptrdiff_t ld, int nk, int np, int from, int to)
{
    for (int k = 0; k < nk; k++) {
        float *d = y + (ptrdiff_t)k * cfg->ys_k;
        const int head =
            (int)((I2W_LINE - (uintptr_t)d / sizeof(float) % I2W_LINE) %
                  I2W_LINE);
        /* written so far, and now: up to the last whole line done */
        const int a =
            from < head ? 0 : head + (from - head) / I2W_LINE * I2W_LINE;
        const int b = to == np     ? np
                      : to < head ? 0
                                  : head + (to - head) / I2W_LINE * I2W_LINE;
        if (b > a)
            i2w_stream_floats(d + a, st + (ptrdiff_t)k * ld + a, b - a);
    }
}

void I2W_IM2WIN_SYM(i2w_im2win_planar_unit)(const i2w_im2win_cfg *cfg,
                                            const float *x, const float *w,
                                            const float *bias, float *y,
                                            float *win, float *stage,
                                            int unit)
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
    const int staged = cfg->stage_pix != 0;
    /* channel tiles of equal widths, the first ones one wider */
    const int ntile = (kg + cfg->mr - 1) / cfg->mr;
    const int t0 = kq * ntile / cfg->kparts,
              t1 = (kq + 1) * ntile / cfg->kparts;
    const int wide = kg % ntile;
    const int kbeg = t0 * (kg / ntile) + (t0 < wide ? t0 : wide);

    /* Planes that start on a vector are read in place, a vector of
     * pixels of each channel per step, but for a last partial panel
     * (whose vectors would run past the plane): the copy cost as much as
     * the FMAs with few output channels (MobileNetV2's 32 -> 16 at 112:
     * 0.11 -> 0.07 ms).  Others are copied: their every vector would
     * straddle two cache lines (196-pixel planes: 8% slower in place). */
    const float *xn = x + i2w_act_offset(sh->layout, sh->nb, sh->c, sh->h,
                                        sh->w, n, 0, 0, 0);
    const float *xg = xn + (ptrdiff_t)g * cg * cfg->xs_c;
    const int red = cg * sh->r * sh->s;
    const int direct = cfg->flat && cfg->xs_c % I2W_VL == 0 &&
                       (uintptr_t)xg % (I2W_VL * sizeof(float)) == 0;
    const int nfull = direct ? np / cfg->nr * cfg->nr : 0;
    if (!cfg->flat)
        pack_taps(cfg, xg, p0, np, win);
    else if (nfull < np)
        pack_panels(cfg, xg, p0 + nfull, np - nfull,
                    win + (ptrdiff_t)nfull * cg);
    float *yp = y + i2w_act_offset(sh->layout, sh->nb, sh->k, sh->ho, sh->wo,
                                   n, g * kg, 0, 0) + p0;
    i2w_im2win_uk_args args = {
        .a_pix = cfg->planar_lda, .nseg = 1, .nseg_s = 1, .run = red,
        .seg_step = 1, .seg_wrap = INT_MAX, .npanels = 1,
        .ldc = staged ? cfg->stage_pix : cfg->ys_k, .first = 1};
    for (int q = 0; q < np; q += cfg->nr) {
        args.nk = np - q < cfg->nr ? np - q : cfg->nr;
        const int nv = (args.nk + I2W_VL - 1) / I2W_VL;
        if (!cfg->flat) {
            args.b = win + q;
            args.b_step = cfg->pb;
        } else if (q < nfull) {
            args.b = xg + p0 + q;
            args.b_step = cfg->xs_c;
        } else {
            args.b = win + (ptrdiff_t)q * cg;
            args.b_step = (ptrdiff_t)nv * I2W_VL;
        }
        /* whole lines of planes that start on one: past the caches */
        args.stream = cfg->stream && !staged && args.nk == cfg->nr &&
                      cfg->ys_k % I2W_VL == 0 &&
                      (uintptr_t)y % (I2W_VL * sizeof(float)) == 0;
        for (int t = t0; t < t1; t += args.ntiles) {
            const int mr = kg / ntile + (t < wide);
            const int k0 = t * (kg / ntile) + (t < wide ? t : wide);
            /* the tiles of this width in one call */
            args.ntiles = (t < wide && t1 > wide ? wide : t1) - t;
            args.a = w + ((ptrdiff_t)g * kg + k0) * cfg->planar_lda;
            args.a_half = (mr + 1) / 2 * args.a_pix;
            args.c = (staged ? stage + (ptrdiff_t)(k0 - kbeg) * args.ldc
                             : yp + (ptrdiff_t)k0 * args.ldc) +
                     q;
            args.bias_pix = bias ? bias + g * kg + k0 : NULL;
            I2W_IM2WIN_SYM(i2w_im2win_ukernels)[nv - 1][mr - 1](&args);
            /* the lines these tiles complete, while they are in L1 */
            if (staged)
                flush_lines(cfg, yp + (ptrdiff_t)k0 * cfg->ys_k, args.c - q,
                            args.ldc, args.ntiles * mr, np, q, q + args.nk);
        }
    }
}
