/* The DIRECT baseline: a direct convolution in each layout, vectorized the
 * obvious way for that layout and blocked in registers, reading x and w
 * where they lie (no padded, packed or windowed copy):
 *   NCHW   vectors along an output row, filter taps broadcast;
 *   NHWC   vectors along the contiguous (s, c) reduction, one horizontal
 *          sum per output element;
 *   CHWN   vectors along the batch, filter taps broadcast (K contiguous);
 *   CHWN8  every block of 8 images is a CHWN tensor of batch 8.
 * Padding is skipped with masked loads.  This file is compiled once per
 * ISA; the ISA's macro (simd.h) picks the vector width and the register
 * blocking. */
#include "x86/direct.h"
#include "x86/simd.h"

#if defined(I2W_X86_AVX512)
#define DIRECT_FORWARD i2w_x86_direct_forward_avx512
/* 32 vector registers: up to 16 accumulators */
#define NHWC_PB 3 /* output pixels per tile */
#define NHWC_KB 4
#define CHWN_PB 4
#define CHWN_KB 4
#else /* I2W_X86_AVX2 */
#define DIRECT_FORWARD i2w_x86_direct_forward_avx2
/* 16 vector registers: accumulators, the x vectors of a step and their
 * load masks (vectors too) must fit */
#define NHWC_PB 2
#define NHWC_KB 4
#define CHWN_PB 2
#define CHWN_KB 4
#endif

static int min_int(int a, int b) { return a < b ? a : b; }

/* NCHW tiles, at most NCHW_KB output channels x NCHW_NV vectors of output
 * columns (16 accumulators: spills on AVX2 only for the rare partial
 * tile).  At unit stride a row vector is one load: 4 channels x 2
 * vectors.  A strided row, or a vector of several narrow rows, is
 * gathered, which costs more: 8 channels share each gather. */
#define NCHW_KB 8
#define NCHW_NV 2
#define NCHW_UNIT_KB 4
#define NCHW_UNIT_NV 2
#define NCHW_GATHER_KB 8
#define NCHW_GATHER_NV 1

/* NCHW and CHWN split the work into tasks of (image or block of images,
 * group, block of kblk output channels, output row or group of rows),
 * rows innermost, so a thread's consecutive tasks share the filter block
 * and most input rows. */
typedef struct {
    int n, g, k0, kb, row;
} task;

static long task_count(const i2w_shape *sh, int outer, int kblk, int rows)
{
    return (long)outer * sh->g * ((sh->kg + kblk - 1) / kblk) * rows;
}

static task task_of(const i2w_shape *sh, long t, int kblk, int rows)
{
    const int nkb = (sh->kg + kblk - 1) / kblk;
    task k;
    k.row = (int)(t % rows);
    t /= rows;
    const int kbi = (int)(t % nkb);
    t /= nkb;
    k.g = (int)(t % sh->g);
    k.n = (int)(t / sh->g);
    k.k0 = k.g * sh->kg + kbi * kblk;
    k.kb = min_int(kblk, sh->kg - kbi * kblk);
    return k;
}

/* Tiles take their extent (kb, nv, np) as arguments bounded by the block
 * constants: loops run to the constant with an `if` on the extent, so the
 * accumulators stay in registers, and the full-tile call, with constant
 * extents, is compiled without the tests. */

/* ------------------------------------------------------------------ NCHW */

/* Output row ho, columns [wo0, wo0 + nv*I2W_VL) of kb output channels.
 * x: the image's first input channel of the group; w: filter of the
 * first channel k0; y: (k0, ho, 0). */
I2W_INLINE void nchw_tile(const i2w_shape *sh, const float *x,
                          const float *w, const float *bias, float *y,
                          int ho, int wo0, int kb, int nv)
{
    const size_t hw = (size_t)sh->h * sh->w, rs = (size_t)sh->r * sh->s;
    const size_t wk = (size_t)sh->cg * rs, howo = (size_t)sh->ho * sh->wo;
    const int sw = sh->sw;
    i2w_vec acc[NCHW_KB][NCHW_NV];
    I2W_UNROLL
    for (int i = 0; i < NCHW_KB; i++)
        I2W_UNROLL
        for (int j = 0; j < NCHW_NV; j++)
            acc[i][j] = bias && i < kb ? i2w_vbcast(bias + i) : i2w_vzero();
    for (int r = 0; r < sh->r; r++) {
        const int hi = ho * sh->sh - sh->ph + r * sh->dh;
        if (hi < 0 || hi >= sh->h)
            continue;
        for (int s = 0; s < sh->s; s++) {
            /* input column of output column wo0 + lane, for this tap */
            const int wi0 = wo0 * sw - sh->pw + s * sh->dw;
            i2w_vint ix[NCHW_NV];
            i2w_vmask m[NCHW_NV];
            I2W_UNROLL
            for (int j = 0; j < NCHW_NV; j++) {
                ix[j] = i2w_vint_lin(i2w_vint_iota(), sw,
                                     wi0 + j * I2W_VL * sw);
                m[j] = j < nv ? i2w_vmask_in(ix[j], sh->w) : i2w_vmask_none();
            }
            const float *xp = x + (size_t)hi * sh->w;
            const float *wp = w + (size_t)r * sh->s + s;
            for (int c = 0; c < sh->cg; c++, xp += hw, wp += rs) {
                i2w_vec xv[NCHW_NV];
                I2W_UNROLL
                for (int j = 0; j < NCHW_NV; j++)
                    xv[j] = j >= nv ? i2w_vzero()
                            : sw == 1
                                ? i2w_vload_m(xp + wi0 + j * I2W_VL, m[j])
                                : i2w_vgather_m(xp, ix[j], m[j]);
                I2W_UNROLL
                for (int i = 0; i < NCHW_KB; i++)
                    if (i < kb) {
                        const i2w_vec wv = i2w_vbcast(wp + i * wk);
                        I2W_UNROLL
                        for (int j = 0; j < NCHW_NV; j++)
                            if (j < nv)
                                acc[i][j] = i2w_vfma(wv, xv[j], acc[i][j]);
                    }
            }
        }
    }
    I2W_UNROLL
    for (int i = 0; i < NCHW_KB; i++)
        I2W_UNROLL
        for (int j = 0; j < NCHW_NV; j++)
            if (i < kb && j < nv)
                i2w_vstore_m(y + i * howo + wo0 + j * I2W_VL,
                             i2w_vmask_range(wo0 + j * I2W_VL, 1, sh->wo),
                             acc[i][j]);
}

/* Output rows narrower than half a vector: one vector holds q = I2W_VL/Wo
 * whole rows [ho, ho + q), lane l at pixel (ho + l/Wo, l%Wo), so it is
 * contiguous in y; x is gathered.  dr, col: each lane's row offset and
 * column; used: the lanes below q*Wo.  Arguments otherwise as nchw_tile's,
 * kb up to NCHW_KB. */
I2W_INLINE void nchw_rows_tile(const i2w_shape *sh, i2w_vint dr,
                               i2w_vint col, i2w_vmask used,
                               const float *x, const float *w,
                               const float *bias, float *y, int ho, int kb)
{
    const size_t hw = (size_t)sh->h * sh->w, rs = (size_t)sh->r * sh->s;
    const size_t wk = (size_t)sh->cg * rs, howo = (size_t)sh->ho * sh->wo;
    i2w_vec acc[NCHW_KB];
    I2W_UNROLL
    for (int i = 0; i < NCHW_KB; i++)
        acc[i] = bias && i < kb ? i2w_vbcast(bias + i) : i2w_vzero();
    for (int r = 0; r < sh->r; r++) {
        const i2w_vint hi =
            i2w_vint_lin(dr, sh->sh, ho * sh->sh - sh->ph + r * sh->dh);
        const i2w_vmask mr = i2w_vmask_and(used, i2w_vmask_in(hi, sh->h));
        const i2w_vint row = i2w_vint_lin(hi, sh->w, 0);
        for (int s = 0; s < sh->s; s++) {
            const i2w_vint wi =
                i2w_vint_lin(col, sh->sw, s * sh->dw - sh->pw);
            const i2w_vmask m = i2w_vmask_and(mr, i2w_vmask_in(wi, sh->w));
            const i2w_vint idx = i2w_vint_add(row, wi);
            const float *xp = x, *wp = w + (size_t)r * sh->s + s;
            for (int c = 0; c < sh->cg; c++, xp += hw, wp += rs) {
                const i2w_vec xv = i2w_vgather_m(xp, idx, m);
                I2W_UNROLL
                for (int i = 0; i < NCHW_KB; i++)
                    if (i < kb)
                        acc[i] =
                            i2w_vfma(i2w_vbcast(wp + i * wk), xv, acc[i]);
            }
        }
    }
    const i2w_vmask ms =
        i2w_vmask_and(used, i2w_vmask_in(i2w_vint_lin(dr, 1, ho), sh->ho));
    I2W_UNROLL
    for (int i = 0; i < NCHW_KB; i++)
        if (i < kb)
            i2w_vstore_m(y + i * howo, ms, acc[i]);
}

static void nchw_forward(const i2w_shape *sh, const float *x, const float *w,
                         const float *bias, float *y, int threads)
{
    const size_t hw = (size_t)sh->h * sh->w, howo = (size_t)sh->ho * sh->wo;
    const size_t wk = (size_t)sh->cg * sh->r * sh->s;
    const int unit = sh->sw == 1;
    /* rows per vector: several when a row fills less than half of one */
    const int q = 2 * sh->wo <= I2W_VL ? I2W_VL / sh->wo : 1;
    const int kblk = unit && q == 1 ? NCHW_UNIT_KB : NCHW_GATHER_KB;
    const int nvmax = unit ? NCHW_UNIT_NV : NCHW_GATHER_NV;
    const int rows = (sh->ho + q - 1) / q;
    int dr_lane[I2W_VL], col_lane[I2W_VL];
    for (int l = 0; l < I2W_VL; l++) {
        dr_lane[l] = l / sh->wo;
        col_lane[l] = l % sh->wo;
    }
    const i2w_vint dr = i2w_vint_load(dr_lane), col = i2w_vint_load(col_lane);
    const i2w_vmask used = i2w_vmask_range(0, 1, q * sh->wo);
    const long tasks = task_count(sh, sh->n, kblk, rows);
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (long t = 0; t < tasks; t++) {
        const task tk = task_of(sh, t, kblk, rows);
        const int ho = tk.row * q, k0 = tk.k0, kb = tk.kb;
        const float *xg =
            x + ((size_t)tk.n * sh->c + (size_t)tk.g * sh->cg) * hw;
        const float *wg = w + (size_t)k0 * wk;
        const float *bg = bias ? bias + k0 : NULL;
        float *yg =
            y + ((size_t)tk.n * sh->k + k0) * howo + (size_t)ho * sh->wo;
        if (q > 1) {
            if (kb == NCHW_GATHER_KB)
                nchw_rows_tile(sh, dr, col, used, xg, wg, bg, yg, ho,
                               NCHW_GATHER_KB);
            else
                nchw_rows_tile(sh, dr, col, used, xg, wg, bg, yg, ho, kb);
            continue;
        }
        for (int wo0 = 0; wo0 < sh->wo; wo0 += nvmax * I2W_VL) {
            const int nv =
                min_int(nvmax, (sh->wo - wo0 + I2W_VL - 1) / I2W_VL);
            if (unit && kb == NCHW_UNIT_KB && nv == NCHW_UNIT_NV)
                nchw_tile(sh, xg, wg, bg, yg, ho, wo0, NCHW_UNIT_KB,
                          NCHW_UNIT_NV);
            else if (!unit && kb == NCHW_GATHER_KB && nv == NCHW_GATHER_NV)
                nchw_tile(sh, xg, wg, bg, yg, ho, wo0, NCHW_GATHER_KB,
                          NCHW_GATHER_NV);
            else
                nchw_tile(sh, xg, wg, bg, yg, ho, wo0, kb, nv);
        }
    }
}

/* ------------------------------------------------------------------ NHWC */

/* One vector step of the reduction at offset c of every run. */
I2W_INLINE void nhwc_step(i2w_vec acc[NHWC_PB][NHWC_KB],
                          const float *const *xp, const float *wp, size_t wk,
                          int c, i2w_vmask m, int full, int np, int kb)
{
    i2w_vec xv[NHWC_PB];
    I2W_UNROLL
    for (int p = 0; p < NHWC_PB; p++)
        xv[p] = p >= np || !xp[p] ? i2w_vzero()
                    : full ? i2w_vload(xp[p] + c)
                           : i2w_vload_m(xp[p] + c, m);
    I2W_UNROLL
    for (int i = 0; i < NHWC_KB; i++)
        if (i < kb) {
            const i2w_vec wv = full ? i2w_vload(wp + i * wk + c)
                                    : i2w_vload_m(wp + i * wk + c, m);
            I2W_UNROLL
            for (int p = 0; p < NHWC_PB; p++)
                if (p < np)
                    acc[p][i] = i2w_vfma(xv[p], wv, acc[p][i]);
        }
}

/* acc[p][i] += dot(xp[p][0..len), wp[i*wk + 0..len)); xp[p] is NULL for
 * a pixel whose taps fall in the padding. */
I2W_INLINE void nhwc_run(i2w_vec acc[NHWC_PB][NHWC_KB],
                         const float *const *xp, const float *wp, size_t wk,
                         int len, int np, int kb)
{
    int c = 0;
    for (; c + I2W_VL <= len; c += I2W_VL)
        nhwc_step(acc, xp, wp, wk, c, i2w_vmask_all(), 1, np, kb);
    if (c < len)
        nhwc_step(acc, xp, wp, wk, c, i2w_vmask_range(c, 1, len), 0, np, kb);
}

/* Pixels [wo0, wo0 + np) of output row ho, kb output channels.  x: the
 * image with its channel offset of the group; w: filter of channel k0;
 * y: (ho, wo0, k0) of the image. */
I2W_INLINE void nhwc_tile(const i2w_shape *sh, const float *x,
                          const float *w, const float *bias, float *y,
                          int ho, int wo0, int np, int kb)
{
    const size_t wk = (size_t)sh->r * sh->s * sh->cg;
    i2w_vec acc[NHWC_PB][NHWC_KB];
    const float *xp[NHWC_PB];
    I2W_UNROLL
    for (int p = 0; p < NHWC_PB; p++)
        I2W_UNROLL
        for (int i = 0; i < NHWC_KB; i++)
            acc[p][i] = i2w_vzero();
    const int wi_first = wo0 * sh->sw - sh->pw;
    const int wi_last = (wo0 + np - 1) * sh->sw - sh->pw + (sh->s - 1) * sh->dw;
    /* without dilation or groups, the taps of one filter row are a single
     * run of S*C floats in x as in w */
    const int one_run = sh->dw == 1 && sh->cg == sh->c && wi_first >= 0 &&
                        wi_last < sh->w;
    for (int r = 0; r < sh->r; r++) {
        const int hi = ho * sh->sh - sh->ph + r * sh->dh;
        if (hi < 0 || hi >= sh->h)
            continue;
        const float *xr = x + (size_t)hi * sh->w * sh->c;
        const float *wr = w + (size_t)r * sh->s * sh->cg;
        if (one_run) {
            I2W_UNROLL
            for (int p = 0; p < NHWC_PB; p++)
                xp[p] = xr + (size_t)(wi_first + p * sh->sw) * sh->c;
            nhwc_run(acc, xp, wr, wk, sh->s * sh->c, np, kb);
            continue;
        }
        for (int s = 0; s < sh->s; s++) {
            I2W_UNROLL
            for (int p = 0; p < NHWC_PB; p++) {
                const int wi = wi_first + p * sh->sw + s * sh->dw;
                xp[p] = wi >= 0 && wi < sh->w ? xr + (size_t)wi * sh->c
                                              : NULL;
            }
            nhwc_run(acc, xp, wr + (size_t)s * sh->cg, wk, sh->cg, np, kb);
        }
    }
    I2W_UNROLL
    for (int p = 0; p < NHWC_PB; p++)
        I2W_UNROLL
        for (int i = 0; i < NHWC_KB; i++)
            if (p < np && i < kb)
                y[(size_t)p * sh->k + i] =
                    i2w_vhsum(acc[p][i]) + (bias ? bias[i] : 0.0f);
}

static void nhwc_forward(const i2w_shape *sh, const float *x, const float *w,
                         const float *bias, float *y, int threads)
{
    const size_t wk = (size_t)sh->r * sh->s * sh->cg;
    const long tasks = (long)sh->n * sh->ho * sh->g;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (long t = 0; t < tasks; t++) {
        const int g = (int)(t % sh->g);
        const int ho = (int)(t / sh->g % sh->ho);
        const int n = (int)(t / sh->g / sh->ho);
        const float *xg = x + (size_t)n * sh->h * sh->w * sh->c +
                          (size_t)g * sh->cg;
        float *yrow = y + ((size_t)n * sh->ho + ho) * sh->wo * sh->k;
        /* channel blocks outside: the block's filter stays in cache while
         * the row's pixels stream past it */
        for (int k0 = g * sh->kg; k0 < (g + 1) * sh->kg; k0 += NHWC_KB) {
            const int kb = min_int(NHWC_KB, (g + 1) * sh->kg - k0);
            const float *wg = w + (size_t)k0 * wk;
            const float *bg = bias ? bias + k0 : NULL;
            for (int wo0 = 0; wo0 < sh->wo; wo0 += NHWC_PB) {
                const int np = min_int(NHWC_PB, sh->wo - wo0);
                float *yp = yrow + (size_t)wo0 * sh->k + k0;
                if (np == NHWC_PB && kb == NHWC_KB)
                    nhwc_tile(sh, xg, wg, bg, yp, ho, wo0, NHWC_PB, NHWC_KB);
                else
                    nhwc_tile(sh, xg, wg, bg, yp, ho, wo0, np, kb);
            }
        }
    }
}

/* ------------------------------------------------------- CHWN and CHWN8 */

/* How a vector covers the ldn images of a pixel.  With ldn >= I2W_VL: I2W_VL
 * images of one pixel, the last vector masked.  With fewer: q = I2W_VL/ldn
 * whole pixels side by side, so no lane idles for a batch of 8 on
 * AVX-512 or of 1, 2, 4 anywhere; such a vector is contiguous in x at unit
 * stride, else loaded as two halves (two pixels filling it exactly) or
 * gathered, and always contiguous in y. */
enum { LOAD_CONTIGUOUS, LOAD_HALVES, LOAD_GATHER };
typedef struct {
    int ldn;       /* images per pixel */
    int q;         /* output pixels per vector */
    int step;      /* images from one vector to the next of a pixel */
    int load;      /* LOAD_* */
    i2w_vint pix;  /* lane -> pixel within the vector */
    i2w_vint img;  /* lane -> image within the pixel */
    i2w_vint gidx; /* lane -> x offset from the vector's first element */
} chwn_lanes;

static chwn_lanes chwn_lanes_of(int ldn, int sw)
{
    chwn_lanes ln = {.ldn = ldn, .q = ldn >= I2W_VL ? 1 : I2W_VL / ldn};
    ln.step = ln.q == 1 ? I2W_VL : ldn;
    ln.load = ln.q == 1 || sw == 1 ? LOAD_CONTIGUOUS
              : 2 * ldn == I2W_VL  ? LOAD_HALVES
                                   : LOAD_GATHER;
    int pix[I2W_VL], img[I2W_VL], gidx[I2W_VL];
    for (int l = 0; l < I2W_VL; l++) {
        pix[l] = ln.q == 1 ? 0 : l / ldn;
        img[l] = ln.q == 1 ? l : l % ldn;
        gidx[l] = pix[l] * sw * ldn + img[l];
    }
    ln.pix = i2w_vint_load(pix);
    ln.img = i2w_vint_load(img);
    ln.gidx = i2w_vint_load(gidx);
    return ln;
}

/* np vectors of output row ho, vector p holding the images [n0, n0+I2W_VL) of
 * pixel wo0 + p (q = 1) or all images of pixels wo0 + p*q ... (q > 1), for
 * kb output channels.  x: the group's first input channel; w: filter
 * column k0 of [C/g][R][S][K]; y: (k0, ho, 0, 0). */
I2W_INLINE void chwn_tile(const i2w_shape *sh, const chwn_lanes *ln,
                          const float *x, const float *w, const float *bias,
                          float *y, int ho, int wo0, int n0, int np, int kb)
{
    const int ldn = ln->ldn, q = ln->q;
    const size_t xc = (size_t)sh->h * sh->w * ldn;
    const size_t wc = (size_t)sh->r * sh->s * sh->k;
    const size_t yk = (size_t)sh->ho * sh->wo * ldn;
    const size_t next_pixel = (size_t)sh->sw * ldn; /* of a vector, in x */
    /* lanes that hold a real (image, pixel) of the vector */
    const i2w_vmask used =
        i2w_vmask_and(i2w_vmask_in(i2w_vint_lin(ln->img, 1, n0), ldn),
                      i2w_vmask_in(ln->pix, q));
    i2w_vec acc[CHWN_PB][CHWN_KB];
    I2W_UNROLL
    for (int p = 0; p < CHWN_PB; p++)
        I2W_UNROLL
        for (int i = 0; i < CHWN_KB; i++)
            acc[p][i] = bias && i < kb ? i2w_vbcast(bias + i) : i2w_vzero();
    for (int r = 0; r < sh->r; r++) {
        const int hi = ho * sh->sh - sh->ph + r * sh->dh;
        if (hi < 0 || hi >= sh->h)
            continue;
        for (int s = 0; s < sh->s; s++) {
            const float *xp[CHWN_PB];
            i2w_vmask mp[CHWN_PB];
            I2W_UNROLL
            for (int p = 0; p < CHWN_PB; p++) {
                /* input column of the vector's first pixel; lanes whose
                 * pixel is in the padding load nothing and add zeros */
                const int wi = (wo0 + p * q) * sh->sw - sh->pw + s * sh->dw;
                xp[p] = x + ((ptrdiff_t)hi * sh->w + wi) * ldn + n0;
                mp[p] = p < np
                            ? i2w_vmask_and(
                                  used, i2w_vmask_in(
                                            i2w_vint_lin(ln->pix, sh->sw, wi),
                                            sh->w))
                            : i2w_vmask_none();
            }
            const float *wp = w + ((size_t)r * sh->s + s) * sh->k;
            for (int c = 0; c < sh->cg; c++) {
                i2w_vec xv[CHWN_PB];
                I2W_UNROLL
                for (int p = 0; p < CHWN_PB; p++)
                    xv[p] = p >= np ? i2w_vzero()
                            : ln->load == LOAD_CONTIGUOUS
                                ? i2w_vload_m(xp[p] + c * xc, mp[p])
                            : ln->load == LOAD_HALVES
                                ? i2w_vload_halves_m(
                                      xp[p] + c * xc,
                                      xp[p] + c * xc + next_pixel, mp[p])
                                : i2w_vgather_m(xp[p] + c * xc, ln->gidx,
                                                mp[p]);
                I2W_UNROLL
                for (int i = 0; i < CHWN_KB; i++)
                    if (i < kb) {
                        const i2w_vec wv = i2w_vbcast(wp + c * wc + i);
                        I2W_UNROLL
                        for (int p = 0; p < CHWN_PB; p++)
                            if (p < np)
                                acc[p][i] = i2w_vfma(xv[p], wv, acc[p][i]);
                    }
            }
        }
    }
    I2W_UNROLL
    for (int p = 0; p < CHWN_PB; p++) {
        if (p >= np)
            continue;
        const int wo = wo0 + p * q;
        const i2w_vmask ms = i2w_vmask_and(
            used, i2w_vmask_in(i2w_vint_lin(ln->pix, 1, wo), sh->wo));
        I2W_UNROLL
        for (int i = 0; i < CHWN_KB; i++)
            if (i < kb)
                i2w_vstore_m(y + i * yk + (size_t)wo * ldn + n0, ms,
                             acc[p][i]);
    }
}

/* nblk blocks of ldn images each ([nblk][C][H][W][ldn]): CHWN is one
 * block of N, CHWN8 N/8 blocks of 8 (padding lanes computed, unspecified). */
static void chwn_forward(const i2w_shape *sh, const float *x, const float *w,
                         const float *bias, float *y, int ldn, int nblk,
                         int threads)
{
    const size_t xblk = (size_t)sh->c * sh->h * sh->w * ldn;
    const size_t yplane = (size_t)sh->ho * sh->wo * ldn;
    const chwn_lanes ln = chwn_lanes_of(ldn, sh->sw);
    const int wo_step = CHWN_PB * ln.q;
    const long tasks = task_count(sh, nblk, CHWN_KB, sh->ho);
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (long t = 0; t < tasks; t++) {
        const task tk = task_of(sh, t, CHWN_KB, sh->ho);
        const int ho = tk.row, k0 = tk.k0, kb = tk.kb;
        const float *xg = x + tk.n * xblk +
                          (size_t)tk.g * sh->cg * sh->h * sh->w * ldn;
        const float *bg = bias ? bias + k0 : NULL;
        float *yg = y + ((size_t)tk.n * sh->k + k0) * yplane +
                    (size_t)ho * sh->wo * ldn;
        for (int wo0 = 0; wo0 < sh->wo; wo0 += wo_step) {
            const int np =
                min_int(CHWN_PB, (sh->wo - wo0 + ln.q - 1) / ln.q);
            for (int n0 = 0; n0 < ldn; n0 += ln.step) {
                if (np == CHWN_PB && kb == CHWN_KB)
                    chwn_tile(sh, &ln, xg, w + k0, bg, yg, ho, wo0, n0,
                              CHWN_PB, CHWN_KB);
                else
                    chwn_tile(sh, &ln, xg, w + k0, bg, yg, ho, wo0, n0, np,
                              kb);
            }
        }
    }
}

void DIRECT_FORWARD(const i2w_shape *sh, const float *x, const float *w,
                    const float *bias, float *y, int threads)
{
    switch (sh->layout) {
    case I2W_LAYOUT_NCHW:
        nchw_forward(sh, x, w, bias, y, threads);
        break;
    case I2W_LAYOUT_NHWC:
        nhwc_forward(sh, x, w, bias, y, threads);
        break;
    case I2W_LAYOUT_CHWN:
        chwn_forward(sh, x, w, bias, y, sh->n, 1, threads);
        break;
    case I2W_LAYOUT_CHWN8:
        chwn_forward(sh, x, w, bias, y, 8, sh->nb / 8, threads);
        break;
    }
}
