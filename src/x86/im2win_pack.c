/* im2win filter packing (im2win.h), compiled once per ISA, in the order
 * the micro-kernel reads it: per panel of output channels and reduction
 * chunk, taps (in the window's order, i2w_im2win_tap), then channels,
 * then the panel's output channels as whole vectors, the lanes past the
 * last channel zero so they add nothing. */
#include "common/layout.h"
#include "x86/im2win_isa.h"

/* Panel row d of nrp floats, nk of them output channels kb.. of bundled
 * group g, for input channel c of that group and tap (r, s): each the
 * filter's element where the output and input channel belong to the same
 * group of the plan, zero between groups and past nk. */
static void pack_bundled_row(const i2w_im2win_cfg *cfg, const float *w,
                             int g, int kb, int c, int r, int s, int nk,
                             int nrp, float *d)
{
    const i2w_shape *sh = &cfg->sh;
    const int cg = sh->cg / cfg->gb, kg = sh->kg / cfg->gb;
    for (int j = 0; j < nrp; j++) {
        const int k = kb + j;
        d[j] = j < nk && k / kg == c / cg
                   ? w[i2w_filter_offset(sh->layout, sh->k, cg, sh->r,
                                         sh->s, g * sh->kg + k, c % cg, r,
                                         s)]
                   : 0.0f;
    }
}

/* Filters with contiguous output channels (CHWN, CHWN8), and bundled
 * groups in any layout: input channel c of group g.  Its R*S rows of
 * output channels are read in order, each cut into the panels' rows. */
static void pack_channel(const i2w_im2win_cfg *cfg, const float *w, int g,
                         int c, float *packed)
{
    const i2w_shape *sh = &cfg->sh;
    const int c0 = c / cfg->cb * cfg->cb;
    const int cbn = sh->cg - c0 < cfg->cb ? sh->cg - c0 : cfg->cb;
    for (int r = 0; r < sh->r; r++)
        for (int s = 0; s < sh->s; s++) {
            const ptrdiff_t row =
                (ptrdiff_t)i2w_im2win_tap(cfg, r, s) * cbn + c - c0;
            for (int kp = 0; kp < cfg->nkp; kp++) {
                const int nrp = i2w_im2win_panel_width(cfg, kp);
                const int nk = sh->kg - kp * cfg->nr < nrp
                                   ? sh->kg - kp * cfg->nr
                                   : nrp;
                float *d = packed + i2w_im2win_packed_offset(cfg, g, kp, c0) +
                           row * nrp;
                if (cfg->gb > 1) {
                    pack_bundled_row(cfg, w, g, kp * cfg->nr, c, r, s, nk,
                                     nrp, d);
                    continue;
                }
                i2w_copy_floats(d,
                                w + i2w_filter_offset(sh->layout, sh->k,
                                                      sh->cg, sh->r, sh->s,
                                                      g * sh->kg +
                                                          kp * cfg->nr,
                                                      c, r, s),
                                nk);
                i2w_zero_floats(d + nk, nrp - nk);
            }
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

/* Bundle g for the lane-group kernels: per tap (the window's order),
 * per input channel i of a group, the vector whose lane l is the weight
 * of output channel l of the bundle from input channel i of l's group. */
static void pack_lane_groups(const i2w_im2win_cfg *cfg, const float *w,
                             int g, float *packed)
{
    const i2w_shape *sh = &cfg->sh;
    const int gc = cfg->lane_groups; /* channels of a group of the plan */
    float *d = packed + i2w_im2win_packed_offset(cfg, g, 0, 0);
    for (int r = 0; r < sh->r; r++)
        for (int s = 0; s < sh->s; s++)
            for (int i = 0; i < gc; i++) {
                float *row = d + ((ptrdiff_t)i2w_im2win_tap(cfg, r, s) * gc +
                                  i) * cfg->vl;
                for (int l = 0; l < cfg->vl; l++)
                    row[l] = w[i2w_filter_offset(sh->layout, sh->k, gc,
                                                 sh->r, sh->s,
                                                 g * sh->kg + l, i, r, s)];
            }
}

/* Filters with output channels outermost (NCHW, NHWC) are packed a panel
 * per item, the others an input channel per item, bundles for the
 * lane-group kernels a bundle per item; the planar units' filter is
 * copied a group per item, its rows planar_lda floats apart. */
int I2W_IM2WIN_SYM(i2w_im2win_pack_items)(const i2w_im2win_cfg *cfg)
{
    if (cfg->planar || cfg->lane_groups)
        return cfg->sh.g;
    return cfg->sh.g * (cfg->pack_row ? cfg->nkp : cfg->sh.cg);
}

void I2W_IM2WIN_SYM(i2w_im2win_pack_item)(const i2w_im2win_cfg *cfg,
                                          const float *w, int item,
                                          float *packed)
{
    const i2w_shape *sh = &cfg->sh;
    if (cfg->lane_groups) {
        pack_lane_groups(cfg, w, item, packed);
        return;
    }
    if (cfg->planar) {
        const int red = sh->cg * sh->r * sh->s;
        for (int k = item * sh->kg; k < (item + 1) * sh->kg; k++)
            i2w_copy_floats(packed + (size_t)k * cfg->planar_lda,
                            w + (size_t)k * red, red);
        return;
    }
    if (!cfg->pack_row) {
        pack_channel(cfg, w, item / sh->cg, item % sh->cg, packed);
        return;
    }
    const int g = item / cfg->nkp, kp = item % cfg->nkp;
    /* every filter layout is linear in each index: read the stride off */
    const ptrdiff_t wk = i2w_filter_offset(sh->layout, sh->k, sh->cg, sh->r,
                                           sh->s, 1, 0, 0, 0);
    const int nrp = i2w_im2win_panel_width(cfg, kp);
    const int k0 = kp * cfg->nr;
    const int nk = sh->kg - k0 < nrp ? sh->kg - k0 : nrp;
    pack_transpose(cfg, w + (ptrdiff_t)(g * sh->kg + k0) * wk, wk, nk, nrp,
                   packed + i2w_im2win_packed_offset(cfg, g, kp, 0));
}
