/* im2win forward driver of one ISA (im2win.h): pack the filter, then run
 * the work units (block of output rows, image or image group, range of
 * filter panels) on the OpenMP threads, each with its own window and
 * tile. */
#ifdef _OPENMP
#include <omp.h>
#endif

#include <limits.h>
#include <stdint.h>

#include "common/layout.h"
#include "x86/im2win_ukernel.h"
#include "x86/x86.h"

/* Output channels of panel kp of a group. */
static int panel_channels(const i2w_im2win_cfg *cfg, int kp)
{
    const int rest = cfg->sh.kg - kp * cfg->nr;
    return rest < cfg->nr ? rest : cfg->nr;
}

/* The window geometry of a chunk of cbn channels, for the micro-kernel:
 * in a window of input rows (or x itself, cfg->in_place) each tap row is
 * one run of S*cbn floats (S runs of cbn, dilation_w columns apart), the
 * tap rows dilation_h slots apart in the ring (or in x); in a window of R
 * rows per output row, the taps of a pixel are S runs of R*cbn floats
 * (tap columns), one run of S*R*cbn without column dilation
 * (row_tiles). */
static void chunk_args(const i2w_im2win_cfg *cfg, int cbn,
                       i2w_im2win_uk_args *args)
{
    const i2w_shape *sh = &cfg->sh;
    if (cfg->row_window) {
        const ptrdiff_t col = cfg->in_place ? cfg->xs_w : cbn;
        args->a_pix = sh->sw * col;
        args->a_col = sh->dw * col;
        args->a_seg = cfg->in_place ? cfg->xs_h : cfg->wp * cbn;
        args->seg_step = sh->dh;
        args->seg_wrap = cfg->in_place
                             ? INT_MAX
                             : (int)i2w_im2win_window_rows(cfg, cfg->hb);
        return;
    }
    const ptrdiff_t col = (ptrdiff_t)sh->r * cbn;
    args->a_pix = sh->sw * col;
    args->a_col = sh->dw * col;
    args->a_seg = args->a_col;
    args->nseg_s = 1;
    args->seg0 = 0;
    args->seg_step = 1;
    args->seg_wrap = INT_MAX;
}

/* a / b rounded down, b > 0 */
static int div_floor(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* [*lo, *hi): the taps t < n of one dimension that read the input (not
 * the padding) for at least one output: x + t*d in [0, size) for some x
 * in [x0, x1], the input coordinates of tap 0 of the outputs. */
static inline void valid_taps(int x0, int x1, int d, int size, int n,
                              int *lo, int *hi)
{
    if (x0 >= 0 && x1 + (n - 1) * d < size) { /* the common case */
        *lo = 0;
        *hi = n;
        return;
    }
    *lo = x1 >= 0 ? 0 : div_floor(-x1 + d - 1, d);
    *hi = div_floor(size - 1 - x0, d) + 1;
    if (*hi > n)
        *hi = n;
    if (*hi < *lo)
        *hi = *lo;
}

/* The valid tap rows [*r_lo, *r_hi) of output row ho. */
static void row_taps(const i2w_im2win_cfg *cfg, int ho, int *r_lo, int *r_hi)
{
    const i2w_shape *sh = &cfg->sh;
    const int h0 = ho * sh->sh - sh->ph;
    valid_taps(h0, h0, sh->dh, sh->h, sh->r, r_lo, r_hi);
}

/* The valid tap columns [*lo, *hi) of the n output pixels of a row from
 * wo0 (all of them in flat rows, whose wo0 may lie past the first). */
static inline void col_taps(const i2w_im2win_cfg *cfg, int wo0, int n,
                            int *lo, int *hi)
{
    const i2w_shape *sh = &cfg->sh;
    if (cfg->flat) {
        *lo = 0;
        *hi = sh->s;
        return;
    }
    valid_taps(wo0 * sh->sw - sh->pw, (wo0 + n - 1) * sh->sw - sh->pw,
               sh->dw, sh->w, sh->s, lo, hi);
}

/* Whether output rows ho and ho + 1 (`rel` rows after the window chunk's
 * first) can be one micro-tile of 2*wo pixels, the second row from the
 * kernel's second base (a_half): both fit one tile, read the same tap
 * rows, and in a ring window the second row's slots do not wrap (the
 * first row's then do not either).  Rows of 7 or fewer pixels (late
 * layers: 7x7 outputs) would otherwise run tiles of at most half the
 * kernel's pixels, whose FMAs per load are too few. */
static int pair_rows(const i2w_im2win_cfg *cfg, const i2w_im2win_uk_args *args,
                     int rel, int ho)
{
    const i2w_shape *sh = &cfg->sh;
    if (2 * sh->wo > cfg->mr)
        return 0;
    int lo0, hi0, lo1, hi1;
    row_taps(cfg, ho, &lo0, &hi0);
    row_taps(cfg, ho + 1, &lo1, &hi1);
    if (lo0 != lo1 || hi0 != hi1)
        return 0;
    return !cfg->row_window || cfg->in_place || hi0 == lo0 ||
           (rel + 1) * sh->sh + (hi0 - 1) * sh->dh < args->seg_wrap;
}

/* The end of the stretch of a row's output columns from `start` whose
 * tiles run apart from the next ones: the next column past which a tap
 * column enters or leaves the input, where the stretch and what is left
 * of the row after it are both at least `least` columns long (else the
 * row's end).  A tile across such a column runs the taps of both sides
 * on all its pixels, the padding's zeros too: DeepLab's ASPP (dilation
 * 6, 33 columns, taps entering at column 6 and leaving at 27) spent 14%
 * more FMAs in tiles of 11 columns than there are taps in the input.
 * Columns 1-3 from the edge (3x3 filters, padding 1-3) do not make
 * stretches of their own: a tile of so few pixels has too few
 * accumulators to cover the FMAs' latency (8 chains of 4 cycles for 2
 * FMAs a cycle). */
#define I2W_IM2WIN_MIN_STRETCH 4
static int stretch_end(const i2w_im2win_cfg *cfg, int start, int least)
{
    const i2w_shape *sh = &cfg->sh;
    int end = sh->wo;
    for (int t = 0; t < sh->s; t++) {
        /* output columns whose tap t reads input column 0, and W */
        const int in0 = sh->pw - t * sh->dw;
        const int edges[2] = {in0, in0 + sh->w};
        for (int e = 0; e < 2; e++) {
            if (edges[e] <= 0)
                continue;
            const int col = (edges[e] + sh->sw - 1) / sh->sw;
            if (col - start >= least && sh->wo - col >= least && col < end)
                end = col;
        }
    }
    return end;
}

/* The micro-tiles of output row ho, `rel` rows after the first output row
 * of the window chunk (cbn channels), or of rows ho and ho + 1 as one
 * tile where `rows` (left in the block) allows and pair_rows says so, for
 * the panel in args whose chunk of the packed filter starts at b; c is
 * the row's first output in the tile, the next row's following it.  The
 * taps that fall in the padding for a whole micro-tile are skipped: rows
 * by the output row, columns by the tile (large dilations over padding,
 * DeepLab's ASPP: half the taps).  Returns the rows done. */
static int row_tiles(const i2w_im2win_cfg *cfg, i2w_im2win_uk_args *args,
                     const float *chunk, const float *b, int cbn, int rel,
                     int ho, int rows, float *c)
{
    const i2w_shape *sh = &cfg->sh;
    const int pair = !cfg->flat && rows > 1 && pair_rows(cfg, args, rel, ho);
    /* the block's rows as one (cfg->flat): tiles of equal widths across
     * them, one call for all, where a row each gave 1x1 layers of 16
     * channels two calls of a tile and a half */
    const int wo = cfg->flat ? rows * sh->wo : sh->wo;
    const int nv = (args->nk + I2W_VL - 1) / I2W_VL;
    /* packed floats per tap */
    const ptrdiff_t step = cfg->lane_groups
                               ? (ptrdiff_t)cfg->lane_groups * I2W_VL
                               : (ptrdiff_t)nv * I2W_VL * cbn;
    const i2w_im2win_ukernel *kernels =
        cfg->lane_groups
            ? I2W_IM2WIN_SYM(i2w_im2win_lg_kernels)[cfg->lane_groups == 4]
            : I2W_IM2WIN_SYM(i2w_im2win_ukernels)[nv - 1];
    const float *a = chunk;
    args->b_step = (ptrdiff_t)nv * I2W_VL;
    int r_lo, r_hi;
    row_taps(cfg, ho, &r_lo, &r_hi);
    if (cfg->row_window) {
        args->nseg = r_hi - r_lo;
        args->seg0 = rel * sh->sh + r_lo * sh->dh;
        if (!cfg->in_place)
            args->seg0 %= args->seg_wrap;
        args->b_row = sh->s * step;
    } else {
        a += rel * i2w_im2win_row_step(cfg, cbn);
        args->b_row = sh->r * step;
    }
    /* the next output row: sh rows (slots) further in a window of input
     * rows or in x, a row step further in a window of R rows per row */
    const ptrdiff_t next_row = cfg->row_window
                                   ? sh->sh * args->a_seg
                                   : i2w_im2win_row_step(cfg, cbn);
    const int whole = pair || cfg->flat;
    for (int wo0 = 0, end = 0, span = 0, nblk = 0, blk = 0; wo0 < wo;
         blk += args->ntiles) {
        if (wo0 == end) { /* the next stretch */
            end = whole ? wo : stretch_end(cfg, wo0, I2W_IM2WIN_MIN_STRETCH);
            span = end - wo0;
            nblk = pair ? 1 : (span + cfg->mr - 1) / cfg->mr;
            blk = 0;
        }
        /* equal blocks, the first ones one pixel longer */
        const int mr = pair ? 2 * wo : span / nblk + (blk < span % nblk);
        const int ext = pair ? wo : mr; /* pixels of one row */
        int s_lo, s_hi;
        col_taps(cfg, wo0, ext, &s_lo, &s_hi);
        /* the next blocks of the same width and tap columns in one call */
        args->ntiles = 1;
        for (int nx = blk + 1;
             nx < nblk && (nx < span % nblk) == (blk < span % nblk); nx++) {
            int lo, hi;
            col_taps(cfg, wo0 + (nx - blk) * mr, mr, &lo, &hi);
            if (lo != s_lo || hi != s_hi)
                break;
            args->ntiles++;
        }
        args->a = a + wo0 * args->a_pix;
        args->a_half = pair ? next_row : (mr + 1) / 2 * args->a_pix;
        args->b = b;
        args->a += s_lo * args->a_col;
        if (cfg->row_window) {
            args->b += r_lo * args->b_row + s_lo * step;
            args->nseg_s = sh->dw == 1 ? 1 : s_hi - s_lo;
            args->run = (sh->dw == 1 ? s_hi - s_lo : 1) * cbn;
        } else if (r_lo == 0 && r_hi == sh->r && sh->dw == 1) {
            /* the tap columns' R*cbn runs are adjacent: one run */
            args->b += s_lo * args->b_row;
            args->nseg = 1;
            args->run = (s_hi - s_lo) * sh->r * cbn;
        } else {
            /* a run of the valid tap rows per tap column */
            args->a += r_lo * cbn;
            args->b += s_lo * args->b_row + r_lo * step;
            args->nseg = s_hi - s_lo;
            args->run = (r_hi - r_lo) * cbn;
        }
        args->c = c + wo0 * args->ldc;
        kernels[mr - 1](args);
        wo0 += pair ? wo : args->ntiles * mr;
    }
    return cfg->flat ? rows : pair ? 2 : 1;
}

/* Vectors of outputs to y: nv (1 or 2) vectors of n0 and n1 valid lanes
 * at d and d + I2W_VL, streamed past the caches when the output is large
 * (cfg->stream) and they fill one cache line whole (a write-combining
 * buffer is then flushed at once; lines streamed half at a time, AVX2
 * vectors stored one pixel group apart, held a buffer each until their
 * other half came: conv7 CHWN with AVX2 took 44 ms, 21 ms with cached
 * stores, 9.6 ms paired).  Only where whole lines are written this way
 * (CHWN, CHWN8): NCHW planes start anywhere, and mixing streamed and
 * cached stores in their lines measured slower. */
static void store_output(const i2w_im2win_cfg *cfg, float *d, int nv,
                         int n0, i2w_vec v0, int n1, i2w_vec v1)
{
    const size_t line = 64;
    if (cfg->stream && nv * I2W_VL * sizeof(float) == line &&
        n0 == I2W_VL && (nv == 1 || n1 == I2W_VL) &&
        (uintptr_t)d % line == 0) {
        i2w_vstream(d, v0);
        if (nv == 2)
            i2w_vstream(d + I2W_VL, v1);
        return;
    }
    if (n0 == I2W_VL)
        i2w_vstore(d, v0);
    else
        i2w_vstore_m(d, i2w_vmask_first(n0), v0);
    if (nv == 2) {
        if (n1 == I2W_VL)
            i2w_vstore(d + I2W_VL, v1);
        else
            i2w_vstore_m(d + I2W_VL, i2w_vmask_first(n1), v1);
    }
}

/* NCHW: the tile's pixels (whole output rows) are contiguous in y for
 * each channel, so the tile is transposed in blocks of I2W_VL pixels x
 * I2W_VL channels, into y, or (stage not NULL) into the staging rows, from
 * which each channel's run of y is streamed: the planes start anywhere
 * in a cache line, so the transposed vectors do not fall on whole
 * lines. */
static void tile_store_planar(const i2w_im2win_cfg *cfg, const float *tile,
                              ptrdiff_t ldt, int nk, int npix, float *stage,
                              float *yk)
{
    const ptrdiff_t ds = stage ? cfg->stage_pix : cfg->ys_k;
    float *dk = stage ? stage : yk;
    /* channel blocks outermost: I2W_VL planes filled front to back */
    for (int k0 = 0; k0 < nk; k0 += I2W_VL)
        for (int p0 = 0; p0 < npix; p0 += I2W_VL) {
            const int np = npix - p0 < I2W_VL ? npix - p0 : I2W_VL;
            const i2w_vmask m = i2w_vmask_first(np);
            i2w_vec v[I2W_VL];
            I2W_UNROLL for (int t = 0; t < I2W_VL; t++)
                v[t] = t < np ? i2w_vload(tile + (p0 + t) * ldt + k0)
                              : i2w_vzero();
            i2w_vtranspose(v);
            I2W_UNROLL for (int t = 0; t < I2W_VL; t++) {
                if (k0 + t >= nk)
                    break;
                float *d = dk + (k0 + t) * ds + p0;
                if (np == I2W_VL)
                    i2w_vstore(d, v[t]);
                else
                    i2w_vstore_m(d, m, v[t]);
            }
        }
    if (stage)
        for (int k = 0; k < nk; k++)
            i2w_stream_floats(yk + k * cfg->ys_k, stage + k * ds, npix);
}

/* NCHW, NHWC: filter panels [kp0, kp1) of group g for `rows` output rows
 * from ho0 of image n, the chunks [c_lo, c_hi) of the group's channels,
 * their window, starting at output row ho_win, already built in win, or
 * (cfg->in_place) win is image n of x (ho_win 0). */
static void group_rows(const i2w_im2win_cfg *cfg, const float *win,
                       const float *packed, const float *bias, float *y,
                       float *tile, int n, int g, int ho_win, int ho0,
                       int rows, int kp0, int kp1, int c_lo, int c_hi)
{
    const i2w_shape *sh = &cfg->sh;
    const int nhwc = sh->layout == I2W_LAYOUT_NHWC;
    float *yn = y + i2w_act_offset(sh->layout, sh->nb, sh->k, sh->ho, sh->wo,
                                   n, 0, ho0, 0);
    for (int kp = kp0, np; kp < kp1; kp += np) {
        /* the full panels from kp on, one call (cfg->panels_inner) */
        np = 1;
        while (cfg->panels_inner && kp + np < kp1 &&
               panel_channels(cfg, kp + np - 1) == cfg->nr &&
               panel_channels(cfg, kp + np) == cfg->nr)
            np++;
        const int kabs = g * sh->kg + kp * cfg->nr;
        /* NHWC accumulates in y itself: pixels are sh->k apart there */
        float *c = nhwc ? yn + kabs : tile;
        i2w_im2win_uk_args args = {.ldc = nhwc ? sh->k : cfg->nr,
                                   .nk = panel_channels(cfg, kp),
                                   .npanels = np,
                                   .b_panel = (ptrdiff_t)sh->r * sh->s *
                                              cfg->nr * sh->cg,
                                   .bias = bias ? bias + kabs : NULL};
        for (int c0 = c_lo; c0 < c_hi; c0 += cfg->cb) {
            const int cbn = sh->cg - c0 < cfg->cb ? sh->cg - c0 : cfg->cb;
            const float *chunk =
                cfg->in_place || cfg->chunked
                    ? win
                    : win + i2w_im2win_chunk_offset(cfg, c0);
            chunk_args(cfg, cbn, &args);
            const float *b =
                packed + i2w_im2win_packed_offset(cfg, g, kp, c0);
            args.first = c0 == 0;
            args.stream = nhwc && cfg->stream && c0 + cbn == sh->cg &&
                          (uintptr_t)c % (I2W_VL * sizeof(float)) == 0 &&
                          sh->k % I2W_VL == 0;
            for (int row = 0; row < rows;)
                row += row_tiles(cfg, &args, chunk, b, cbn,
                                 ho0 + row - ho_win, ho0 + row, rows - row,
                                 c + (ptrdiff_t)row * sh->wo * args.ldc);
        }
        if (!nhwc)
            tile_store_planar(cfg, tile, args.ldc, args.nk, rows * sh->wo,
                              cfg->stream ? tile + cfg->stage_off : NULL,
                              yn + kabs * cfg->ys_k);
    }
}

/* Channels [k0, k0 + I2W_VL) of pixels [p, p + np) of nimg images of the
 * tile [image][pixel][ldt] (npix pixels an image), transposed: v[t] is
 * channel k0 + t, lane q*nimg + i pixel p + q of image i. */
static inline void tile_block(const float *tile, ptrdiff_t ldt, int nimg,
                              int npix, int p, int np, int k0,
                              i2w_vec v[I2W_VL])
{
    I2W_UNROLL for (int l = 0; l < I2W_VL; l++)
        v[l] = l < np * nimg
                   ? i2w_vload(tile + ((ptrdiff_t)(l % nimg) * npix + p +
                                       l / nimg) * ldt + k0)
                   : i2w_vzero();
    i2w_vtranspose(v);
}

/* CHWN, CHWN8: the tile [image][pixel][ldt] of nimg <= I2W_VL images and
 * nk channels goes to y, where the images of a pixel are adjacent, and so
 * are the pixels of a channel when the images are all the batch (CHWN)
 * or its block of 8 (CHWN8): blocks of ppv pixels x nimg images x I2W_VL
 * channels are transposed in registers.  Where a block's vector is half
 * a cache line and the next block's lies beside it in y (AVX2), blocks
 * go in pairs, so each line's halves are stored back to back.  yk points
 * at the first image's channel 0 of output row ho0. */
static void tile_store_images(const i2w_im2win_cfg *cfg, const float *tile,
                              ptrdiff_t ldt, int nimg, int nk, int rows,
                              float *yk)
{
    const int npix = rows * cfg->sh.wo;
    const int ppv = cfg->ys_w == nimg ? I2W_VL / nimg : 1;
    const int pair = I2W_VL * sizeof(float) < 64 && cfg->ys_w == nimg &&
                     ppv * nimg == I2W_VL;
    for (int p = 0; p < npix; p += ppv << pair) {
        const int np = npix - p < ppv ? npix - p : ppv;
        /* the second block of a pair: the pixels of a channel are
         * adjacent in y across output rows too, when ppv > 1 or pair */
        const int np1 = !pair || npix - p <= ppv ? 0
                        : npix - p - ppv < ppv   ? npix - p - ppv
                                                 : ppv;
        const int nv = np1 > 0 ? 2 : 1;
        float *yp = yk + p / cfg->sh.wo * cfg->ys_h + p % cfg->sh.wo * cfg->ys_w;
        for (int k0 = 0; k0 < nk; k0 += I2W_VL) {
            i2w_vec v[I2W_VL], w[I2W_VL];
            tile_block(tile, ldt, nimg, npix, p, np, k0, v);
            if (nv == 2)
                tile_block(tile, ldt, nimg, npix, p + ppv, np1, k0, w);
            else
                I2W_UNROLL for (int t = 0; t < I2W_VL; t++) w[t] = v[t];
            I2W_UNROLL for (int t = 0; t < I2W_VL; t++) {
                if (k0 + t >= nk)
                    break;
                store_output(cfg, yp + (k0 + t) * cfg->ys_k, nv, np * nimg,
                             v[t], np1 * nimg, w[t]);
            }
        }
    }
}

/* The rows of the window to build for the block of `rows` output rows
 * from ho0 in the band from ho_band: with `keep` (the window still holds
 * the band's rows up to *built, which this updates) only those past
 * them, else all of the block's. */
static i2w_im2win_span block_span(const i2w_im2win_cfg *cfg, int ho_band,
                                  int ho0, int rows, int keep, int *built)
{
    if (!cfg->row_window)
        return (i2w_im2win_span){.ho0 = ho0, .rows = rows};
    const int base = keep ? ho_band : ho0;
    i2w_im2win_span sp = {
        .ho0 = base,
        .rows = rows,
        .from = keep ? *built : 0,
        .to = (ho0 - base) * cfg->sh.sh +
              (int)i2w_im2win_window_rows(cfg, rows)};
    *built = sp.to;
    return sp;
}

/* After building the ring rows of sp for the block from ho0: the rows the
 * band's next block (if any before ho_b) will add, prefetched while this
 * block computes. */
static void prefetch_next(const i2w_im2win_cfg *cfg, const float *xg,
                          int nimg, int g, const i2w_im2win_span *sp,
                          int ho0, int ho_b)
{
    const int next = ho0 + cfg->hb;
    if (next >= ho_b)
        return;
    const int rows = ho_b - next < cfg->hb ? ho_b - next : cfg->hb;
    const i2w_im2win_span nx = {
        .ho0 = sp->ho0,
        .from = sp->to,
        .to = (next - sp->ho0) * cfg->sh.sh +
              (int)i2w_im2win_window_rows(cfg, rows)};
    I2W_IM2WIN_SYM(i2w_im2win_prefetch)(cfg, xg, nimg, g, &nx);
}

/* A CHWN/CHWN8 work unit: images [n0, n0 + nimg), which share the cache
 * lines of y, output rows [ho_a, ho_b) block by block, filter panels
 * [kp0, kp1) of every group.  Chunk by chunk, the windows of all the
 * images are built together (each line of x read once) and each filter
 * chunk serves every image; the partial sums wait in the tile, stored
 * once per group and block.  With one group and one chunk the window
 * keeps the band's rows from block to block. */
static void unit_images(const i2w_im2win_cfg *cfg, const float *x,
                        const float *packed, const float *bias, float *y,
                        float *win, float *tile, int n0, int nimg, int ho_a,
                        int ho_b, int kp0, int kp1)
{
    const i2w_shape *sh = &cfg->sh;
    const ptrdiff_t ldt = (ptrdiff_t)(kp1 - kp0 - 1) * cfg->nr +
                          i2w_im2win_panel_width(cfg, kp1 - 1);
    const float *xg = x + i2w_act_offset(sh->layout, sh->nb, sh->c, sh->h,
                                         sh->w, n0, 0, 0, 0);
    const int keep = sh->g == 1 && cfg->cb >= sh->cg;
    int built = 0;
    for (int ho0 = ho_a; ho0 < ho_b; ho0 += cfg->hb) {
        const int rows = ho_b - ho0 < cfg->hb ? ho_b - ho0 : cfg->hb;
        const int npix = rows * sh->wo;
        float *yg = y + i2w_act_offset(sh->layout, sh->nb, sh->k, sh->ho,
                                       sh->wo, n0, 0, ho0, 0);
        for (int g = 0; g < sh->g; g++) {
            for (int c0 = 0; c0 < sh->cg; c0 += cfg->cb) {
                const int cbn = sh->cg - c0 < cfg->cb ? sh->cg - c0 : cfg->cb;
                const ptrdiff_t img_stride =
                    (ptrdiff_t)i2w_im2win_window_rows(cfg, cfg->hb) *
                    cfg->wp * cbn;
                const i2w_im2win_span sp =
                    block_span(cfg, ho_a, ho0, rows, keep, &built);
                I2W_IM2WIN_SYM(i2w_im2win_window_images)(cfg, xg, nimg, g,
                                                         c0, cbn, &sp, win);
                if (keep)
                    prefetch_next(cfg, xg, nimg, g, &sp, ho0, ho_b);
                i2w_im2win_uk_args args = {
                    .ldc = ldt, .npanels = 1, .first = c0 == 0};
                chunk_args(cfg, cbn, &args);
                for (int kp = kp0; kp < kp1; kp++) {
                    const int kabs = g * sh->kg + kp * cfg->nr;
                    args.nk = panel_channels(cfg, kp);
                    args.bias = bias ? bias + kabs : NULL;
                    const float *b =
                        packed + i2w_im2win_packed_offset(cfg, g, kp, c0);
                    for (int i = 0; i < nimg; i++)
                        for (int row = 0; row < rows;)
                            row += row_tiles(
                                cfg, &args, win + i * img_stride, b, cbn,
                                ho0 + row - sp.ho0, ho0 + row, rows - row,
                                tile +
                                    ((ptrdiff_t)i * npix + row * sh->wo) *
                                        ldt +
                                    (kp - kp0) * cfg->nr);
                }
            }
            const int k0 = kp0 * cfg->nr;
            const int nk = sh->kg - k0 < kp1 * cfg->nr - k0
                               ? sh->kg - k0
                               : kp1 * cfg->nr - k0;
            tile_store_images(cfg, tile, ldt, nimg, nk, rows,
                              yg + (g * sh->kg + k0) * cfg->ys_k);
        }
    }
}

/* An NCHW/NHWC work unit: image n, output rows [ho_a, ho_b) block by
 * block, filter panels [kp0, kp1), group after group (the window of a
 * group keeps the band's rows from block to block). */
static void unit_rows(const i2w_im2win_cfg *cfg, const float *x,
                      const float *packed, const float *bias, float *y,
                      float *win, float *tile, int n, int ho_a, int ho_b,
                      int kp0, int kp1)
{
    const i2w_shape *sh = &cfg->sh;
    const float *xn = x + i2w_act_offset(sh->layout, sh->nb, sh->c, sh->h,
                                         sh->w, n, 0, 0, 0);
    for (int g = 0; g < (cfg->in_place ? 1 : sh->g); g++) {
        int built = 0;
        for (int ho0 = ho_a; ho0 < ho_b; ho0 += cfg->hb) {
            const int rows = ho_b - ho0 < cfg->hb ? ho_b - ho0 : cfg->hb;
            if (cfg->in_place) {
                group_rows(cfg, xn, packed, bias, y, tile, n, 0, 0, ho0,
                           rows, kp0, kp1, 0, sh->cg);
                continue;
            }
            if (cfg->chunked) { /* chunk after chunk, the window rebuilt */
                for (int c0 = 0; c0 < sh->cg; c0 += cfg->cb) {
                    const int c1 =
                        sh->cg - c0 < cfg->cb ? sh->cg : c0 + cfg->cb;
                    const i2w_im2win_span sp =
                        block_span(cfg, ho0, ho0, rows, 0, &built);
                    I2W_IM2WIN_SYM(i2w_im2win_window)(cfg, xn, g, c0, c1,
                                                      &sp, win);
                    group_rows(cfg, win, packed, bias, y, tile, n, g,
                               sp.ho0, ho0, rows, kp0, kp1, c0, c1);
                }
                continue;
            }
            const i2w_im2win_span sp =
                block_span(cfg, ho_a, ho0, rows, 1, &built);
            I2W_IM2WIN_SYM(i2w_im2win_window)(cfg, xn, g, 0, sh->cg, &sp,
                                              win);
            if (cfg->row_window)
                prefetch_next(cfg, xn, 1, g, &sp, ho0, ho_b);
            group_rows(cfg, win, packed, bias, y, tile, n, g, sp.ho0, ho0,
                       rows, kp0, kp1, 0, sh->cg);
        }
    }
}

/* Work unit u of forward(); planar_w: the filter the planar units read. */
static void run_unit(const i2w_im2win_cfg *cfg, const float *x,
                     const float *planar_w, const float *packed,
                     const float *bias, float *y, float *win, float *tile,
                     int u)
{
    const i2w_shape *sh = &cfg->sh;
    if (cfg->planar) {
        I2W_IM2WIN_SYM(i2w_im2win_planar_unit)(cfg, x, planar_w, bias, y,
                                               win, tile, u);
        return;
    }
    /* unit = (band of rows, image group, part of the panels), the part
     * fastest or (cfg->part_major) slowest */
    const int band = cfg->hb * cfg->nsub;
    const int ngroups = (sh->n + cfg->ng - 1) / cfg->ng;
    const int per_part = (sh->ho + band - 1) / band * ngroups;
    const int kq = cfg->part_major ? u / per_part : u % cfg->kparts;
    const int v = cfg->part_major ? u % per_part : u / cfg->kparts;
    const int ho_a = v / ngroups * band, n0 = v % ngroups * cfg->ng;
    const int ho_b = sh->ho - ho_a < band ? sh->ho : ho_a + band;
    const int kp0 = kq * cfg->nkp / cfg->kparts,
              kp1 = (kq + 1) * cfg->nkp / cfg->kparts;
    const int n1 = sh->n - n0 < cfg->ng ? sh->n : n0 + cfg->ng;
    if (sh->layout == I2W_LAYOUT_CHWN || sh->layout == I2W_LAYOUT_CHWN8)
        unit_images(cfg, x, packed, bias, y, win, tile, n0, n1 - n0, ho_a,
                    ho_b, kp0, kp1);
    else
        unit_rows(cfg, x, packed, bias, y, win, tile, n0, ho_a, ho_b, kp0,
                  kp1);
}

static void forward(const i2w_im2win_cfg *cfg, const float *x, const float *w,
                    const float *bias, float *y, float *packed, float *ws,
                    int threads)
{
    const i2w_shape *sh = &cfg->sh;
    /* w = NULL: packed already holds the filter (pack() below); the
     * planar units read w itself where its rows are as they want them */
    const int reads_w = cfg->planar && i2w_im2win_planar_reads_w(cfg);
    const int pack_items =
        w && !reads_w ? I2W_IM2WIN_SYM(i2w_im2win_pack_items)(cfg) : 0;
    const float *planar_w = w && reads_w ? w : packed;
    const int band = cfg->hb * cfg->nsub;
    const int nbands = (sh->ho + band - 1) / band;
    const int ngroups = (sh->n + cfg->ng - 1) / cfg->ng;
    const int units =
        cfg->planar ? sh->n * sh->g *
                          ((sh->ho * sh->wo + cfg->pb - 1) / cfg->pb) *
                          cfg->kparts
                    : nbands * ngroups * cfg->kparts;
#ifndef _OPENMP
    (void)threads; /* built without OpenMP: one thread */
#endif
    /* One parallel region.  Units are handed out one at a time, so on a
     * shared machine a thread that loses its core for a while does not
     * hold the others back at the end; but a layer whose data stays in
     * the threads' caches from one call to the next (cfg->affine) gives
     * each thread the same units every call. */
#pragma omp parallel num_threads(threads)
    {
        float *win = ws + (size_t)i2w_x86_thread() *
                              (cfg->win_elems + cfg->tile_elems);
        float *tile = win + cfg->win_elems;
#pragma omp for schedule(dynamic)
        for (int i = 0; i < pack_items; i++)
            I2W_IM2WIN_SYM(i2w_im2win_pack_item)(cfg, w, i, packed);
        if (cfg->affine) {
#pragma omp for schedule(static)
            for (int u = 0; u < units; u++)
                run_unit(cfg, x, planar_w, packed, bias, y, win, tile, u);
        } else {
#pragma omp for schedule(dynamic)
            for (int u = 0; u < units; u++)
                run_unit(cfg, x, planar_w, packed, bias, y, win, tile, u);
        }
        /* order the streamed stores before the threads join */
        _mm_sfence();
    }
}

static void pack(const i2w_im2win_cfg *cfg, const float *w, float *packed,
                 int threads)
{
    const int items = I2W_IM2WIN_SYM(i2w_im2win_pack_items)(cfg);
#ifndef _OPENMP
    (void)threads;
#endif
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int i = 0; i < items; i++)
        I2W_IM2WIN_SYM(i2w_im2win_pack_item)(cfg, w, i, packed);
}

const i2w_im2win_isa I2W_IM2WIN_SYM(i2w_im2win_isa) = {
    .vl = I2W_VL,
    .mr_max = I2W_MR_MAX,
    .nv_max = I2W_NV_NARROW,
    .mr_wide = I2W_MR_WIDE,
    .nv_wide = I2W_MR_WIDE ? I2W_NV_MAX : 0,
    .forward = forward,
    .pack = pack,
};
