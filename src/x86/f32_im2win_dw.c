/* Depthwise im2win kernels (im2win_dw.h), compiled once per ISA: the
 * ISA's macro (simd.h) picks the vector width and the register blocking.
 * A work unit is (image or image block, channel block or channel, band of
 * output rows): its window is built in the thread's part of the
 * workspace, then the band's outputs are computed from the window
 * alone. */
#include <stddef.h>
#include <string.h>

#include "x86/im2win_dw.h"
#include "x86/simd.h"
#include "x86/x86.h"

#if defined(I2W_X86_AVX512)
#define DW_FORWARD i2w_x86_im2win_dw_forward_avx512
/* 32 registers: NHWC 7 pixels x 2 channel vectors + 2 filter vectors
 * (the window is an FMA memory operand); planar 8 rows x 2 vectors +
 * broadcast + load.  7 pixels: MobileNet's widths 112, 56, 28, 14 and 7
 * are multiples of it, so their rows have no partial tile. */
#define NHWC_PB 7
#define NHWC_NV 2
#define PL_TR 8
#define PL_TV 2
#else /* I2W_X86_AVX2 */
#define DW_FORWARD i2w_x86_im2win_dw_forward_avx2
/* 16 registers: NHWC 7 pixels x 1 channel vector + filter + load (7 as
 * for AVX-512); planar 6 rows x 2 vectors + broadcast + load */
#define NHWC_PB 7
#define NHWC_NV 1
#define PL_TR 6
#define PL_TV 2
#endif

/* Vectors of positions per flat tile: accumulators, a filter broadcast
 * and a load fit either ISA's registers. */
#define FLAT_NV 8

static int min_int(int a, int b) { return a < b ? a : b; }
/* a / b rounded up, a >= 0, b > 0 */
static int div_up(int a, int b) { return (a + b - 1) / b; }

/* NHWC: the lanes of the channel vector from channel c on that are
 * channels of x: all of them but in the last vector (tested, not clamped
 * to the vector: the common case then costs no mask arithmetic). */
static inline i2w_vmask channel_lanes(const i2w_shape *sh, int c)
{
    return sh->c - c >= I2W_VL ? i2w_vmask_all() : i2w_vmask_first(sh->c - c);
}

/* Whether window row j of a band of hbn output rows is read by any tap:
 * with a stride or dilation above 1 some input rows never are, and their
 * copy is skipped. */
static int row_used(const i2w_shape *sh, int j, int hbn)
{
    for (int r = 0; r < sh->r; r++) {
        const int d = j - r * sh->dh;
        if (d >= 0 && d % sh->sh == 0 && d / sh->sh < hbn)
            return 1;
    }
    return 0;
}

static int band_rows(const i2w_shape *sh, int hbn)
{
    return (hbn - 1) * sh->sh + (sh->r - 1) * sh->dh + 1;
}

/* ------------------------------------------------------------------ NHWC */

/* Channels [c0, c0 + nv*I2W_VL) of the filter as [R*S][nv*I2W_VL], zero
 * past C, so every channel vector is a plain load: the taps of I2W_VL
 * channels of w ([C][R*S]) are gathered.  Each unit packs its own
 * channels into its thread's part of the workspace, so no thread waits
 * for the others' packing (unless set_filter packed the whole filter
 * once). */
static void nhwc_pack(const i2w_dw_cfg *cfg, const float *w, float *fp,
                      int c0, int nv)
{
    const int taps = cfg->sh.r * cfg->sh.s;
    const size_t ts = (size_t)nv * I2W_VL;
    /* lane i: channel c + i, taps floats after channel c */
    const i2w_vint idx = i2w_vint_lin(i2w_vint_iota(), taps, 0);
    for (int v = 0; v < nv; v++) {
        const int c = c0 + v * I2W_VL;
        const i2w_vmask m = channel_lanes(&cfg->sh, c);
        for (int t = 0; t < taps; t++)
            i2w_vstore(fp + t * ts + v * I2W_VL,
                       i2w_vgather_m(w + (size_t)c * taps + t, idx, m));
    }
}

/* Channels [c0, c0 + nv*I2W_VL) of the bias, zero past C or without
 * bias. */
static void nhwc_pack_bias(const i2w_dw_cfg *cfg, const float *bias,
                           float *bp, int c0, int nv)
{
    for (int v = 0; v < nv; v++) {
        const int c = c0 + v * I2W_VL;
        i2w_vstore(bp + v * I2W_VL,
                   bias ? i2w_vload_m(bias + c, channel_lanes(&cfg->sh, c))
                        : i2w_vzero());
    }
}

/* What the tiles of one NHWC unit share.  x is read in place: its rows
 * are the window (a pixel's channels contiguous, the pixels of a row C
 * floats apart), so nothing is copied; the taps that fall in the padding
 * are skipped instead of multiplied by zeros (rows at the top and bottom
 * for the whole output row, columns for the pixels at either end, which
 * test them). */
typedef struct {
    const i2w_dw_cfg *cfg;
    const float *fp; /* packed filter and bias of channels [c0, ...) */
    const float *bp;
    size_t ts;       /* packed filter tap stride */
    int c0;
    i2w_vmask last;  /* lanes of the last channel vector that are C's */
} nhwc_ctx;

/* A vector of channels at p: a plain load, or (tail: the vector where C
 * ends) a masked one, so nothing past x is read. */
I2W_INLINE i2w_vec nhwc_load(const nhwc_ctx *nc, const float *p, int tail)
{
    return tail ? i2w_vload_m(p, nc->last) : i2w_vload(p);
}

/* Vector v of the input at column col of row xh (x at column 0 and the
 * tile's first channel), or zeros where col is in the padding: tested
 * only at the tiles that reach it (edge).  (A load of no lanes there
 * instead of the branch: MobileNetV2's 7x7 layer 0.010 -> 0.012 ms.) */
I2W_INLINE i2w_vec nhwc_col(const nhwc_ctx *nc, const float *xh, int col,
                            int v, int tail, int edge)
{
    const i2w_shape *sh = &nc->cfg->sh;
    if (edge && (col < 0 || col >= sh->w))
        return i2w_vzero();
    return nhwc_load(nc, xh + (ptrdiff_t)col * sh->c + v * I2W_VL, tail);
}

/* One filter row of 3 undilated taps: each input column of the tile is
 * loaded once and feeds every pixel whose taps cover it (with stride 1, 9
 * loads for 21 FMAs of a vector, not 21).  xh: the input row, col0 the
 * tile's first tap column. */
I2W_INLINE void nhwc_row3(const nhwc_ctx *nc, i2w_vec acc[NHWC_PB][NHWC_NV],
                          const float *xh, int col0, const float *fr, int np,
                          int nv, int sw, int partial, int edge)
{
    const size_t ts = nc->ts;
    i2w_vec f[3][NHWC_NV];
    I2W_UNROLL
    for (int s = 0; s < 3; s++)
        I2W_UNROLL
        for (int v = 0; v < NHWC_NV; v++)
            f[s][v] = v < nv ? i2w_vload(fr + s * ts + v * I2W_VL)
                             : i2w_vzero();
    I2W_UNROLL
    for (int j = 0; j < (NHWC_PB - 1) * sw + 3; j++)
        I2W_UNROLL
        for (int v = 0; v < NHWC_NV; v++) {
            if (v >= nv || j > (np - 1) * sw + 2)
                continue;
            const i2w_vec xv = nhwc_col(nc, xh, col0 + j, v,
                                        partial && v == nv - 1, edge);
            I2W_UNROLL
            for (int s = 0; s < 3; s++) {
                const int p = (j - s) / sw;
                if (j >= s && (j - s) % sw == 0 && p < np)
                    acc[p][v] = i2w_vfma(xv, f[s][v], acc[p][v]);
            }
        }
}

/* np pixels of one output row x nv channel vectors [c, c + nv*I2W_VL):
 * xh is x at the input row of tap row r0, column 0, channel c, tap rows
 * [r0, r1) the ones inside the image, col0 the first pixel's first tap
 * column; y the first pixel's output at channel c.  sw: the stride,
 * row3: whether the filter is 3x3 with undilated columns (nhwc_row3),
 * partial: whether C ends in the tile's last vector, edge: whether some
 * tap column is in the padding; all constants at the calls that
 * matter. */
I2W_INLINE void nhwc_tile(const nhwc_ctx *nc, const float *xh, int r0,
                          int r1, int col0, float *y, int c, int np, int nv,
                          int sw, int row3, int partial, int edge)
{
    const i2w_shape *sh = &nc->cfg->sh;
    const size_t ts = nc->ts;
    const size_t rs = (size_t)sh->dh * sh->w * sh->c; /* next tap row */
    const float *fc = nc->fp + (c - nc->c0); /* the tile's channels */
    i2w_vec acc[NHWC_PB][NHWC_NV];
    I2W_UNROLL
    for (int v = 0; v < NHWC_NV; v++) {
        const i2w_vec b =
            v < nv ? i2w_vload(nc->bp + (c - nc->c0) + v * I2W_VL)
                   : i2w_vzero();
        I2W_UNROLL
        for (int p = 0; p < NHWC_PB; p++)
            acc[p][v] = b;
    }
    if (row3 && r0 == 0 && r1 == 3) {
        /* unrolled, so the compiler interleaves the three rows */
        I2W_UNROLL
        for (int r = 0; r < 3; r++)
            nhwc_row3(nc, acc, xh + r * rs, col0, fc + (size_t)r * 3 * ts,
                      np, nv, sw, partial, edge);
    } else {
        for (int r = r0; r < r1; r++) {
            const float *wr = xh + (r - r0) * rs;
            const float *fr = fc + (size_t)r * sh->s * ts;
            for (int s = 0; s < sh->s; s++) {
                const int col = col0 + s * sh->dw;
                i2w_vec f[NHWC_NV];
                I2W_UNROLL
                for (int v = 0; v < NHWC_NV; v++)
                    f[v] = v < nv ? i2w_vload(fr + s * ts + v * I2W_VL)
                                  : i2w_vzero();
                I2W_UNROLL
                for (int v = 0; v < NHWC_NV; v++)
                    I2W_UNROLL
                    for (int p = 0; p < NHWC_PB; p++)
                        if (p < np && v < nv)
                            acc[p][v] = i2w_vfma(
                                nhwc_col(nc, wr, col + p * sw, v,
                                         partial && v == nv - 1, edge),
                                f[v], acc[p][v]);
            }
        }
    }
    I2W_UNROLL
    for (int v = 0; v < NHWC_NV; v++) {
        if (v >= nv)
            continue;
        I2W_UNROLL
        for (int p = 0; p < NHWC_PB; p++)
            if (p < np) {
                float *d = y + (size_t)p * sh->c + v * I2W_VL;
                if (partial && v == nv - 1)
                    i2w_vstore_m(d, nc->last, acc[p][v]);
                else
                    i2w_vstore(d, acc[p][v]);
            }
    }
}

/* Output rows [ho0, ho0 + hbn) of image n, channels
 * [c0, c0 + nv*I2W_VL), in tiles, pixels outside, channel vectors
 * inside; the tiles whose taps reach the padding columns test them. */
I2W_INLINE void nhwc_band(const nhwc_ctx *nc, const float *x, float *y,
                          int n, int c0, int nv, int ho0, int hbn, int sw,
                          int row3, int partial)
{
    const i2w_shape *sh = &nc->cfg->sh;
    const int reach = (sh->s - 1) * sh->dw; /* a pixel's taps' columns */
    for (int ho = ho0; ho < ho0 + hbn; ho++) {
        /* tap rows [r0, r1) inside the image */
        const int h0 = ho * sh->sh - sh->ph;
        int r0 = 0, r1 = sh->r;
        while (r0 < r1 && h0 + r0 * sh->dh < 0)
            r0++;
        while (r1 > r0 && h0 + (r1 - 1) * sh->dh >= sh->h)
            r1--;
        /* with no tap row inside, the loops run zero times from x */
        const float *xh =
            x + (((size_t)n * sh->h + (r0 < r1 ? h0 + r0 * sh->dh : 0)) *
                     sh->w) * sh->c + c0;
        float *yr = y + ((size_t)n * sh->ho + ho) * sh->wo * sh->c + c0;
        for (int wo0 = 0; wo0 < sh->wo; wo0 += NHWC_PB) {
            const int np = min_int(NHWC_PB, sh->wo - wo0);
            const int col0 = wo0 * sw - sh->pw;
            const int edge = col0 < 0 || col0 + (np - 1) * sw + reach >= sh->w;
            float *yt = yr + (size_t)wo0 * sh->c;
            for (int v = 0; v < nv; v += NHWC_NV) {
                const int c = c0 + v * I2W_VL;
                const int nvt = min_int(NHWC_NV, nv - v);
                /* C ends in this tile's last vector */
                const int tail = partial && c + nvt * I2W_VL > sh->c;
                const float *xv = xh + v * I2W_VL;
                float *yv = yt + v * I2W_VL;
                if (np == NHWC_PB && nvt == NHWC_NV && !tail && !edge)
                    nhwc_tile(nc, xv, r0, r1, col0, yv, c, NHWC_PB, NHWC_NV,
                              sw, row3, 0, 0);
                else if (np == NHWC_PB && nvt == NHWC_NV && !tail)
                    /* a whole tile at the padding, as every tile of rows
                     * of 7 and 14 pixels is (MobileNetV2's last layers;
                     * batch 1, one thread, through the general tile:
                     * 0.016 and 0.024 ms, here 0.012 and 0.019) */
                    nhwc_tile(nc, xv, r0, r1, col0, yv, c, NHWC_PB, NHWC_NV,
                              sw, row3, 0, 1);
                else if (np == NHWC_PB && !tail && !edge) /* odd vector */
                    nhwc_tile(nc, xv, r0, r1, col0, yv, c, NHWC_PB, 1, sw,
                              row3, 0, 0);
                else
                    nhwc_tile(nc, xv, r0, r1, col0, yv, c, np, nvt, sw,
                              row3, tail, 1);
            }
        }
    }
}

/* nhwc_band with the stride a constant for strides 1 and 2, and the 3x3
 * filters of MobileNet's layers done by nhwc_row3. */
static void nhwc_band_any(const nhwc_ctx *nc, const float *x, float *y,
                          int n, int c0, int nv, int ho0, int hbn)
{
    const i2w_shape *sh = &nc->cfg->sh;
    const int row3 = sh->r == 3 && sh->s == 3 && sh->dw == 1;
    /* C ends inside the block's last vector */
    const int partial = c0 + nv * I2W_VL > sh->c;
    if (row3 && sh->sw == 1)
        nhwc_band(nc, x, y, n, c0, nv, ho0, hbn, 1, 1, partial);
    else if (row3 && sh->sw == 2)
        nhwc_band(nc, x, y, n, c0, nv, ho0, hbn, 2, 1, partial);
    else if (sh->sw == 1)
        nhwc_band(nc, x, y, n, c0, nv, ho0, hbn, 1, 0, partial);
    else if (sh->sw == 2)
        nhwc_band(nc, x, y, n, c0, nv, ho0, hbn, 2, 0, partial);
    else
        nhwc_band(nc, x, y, n, c0, nv, ho0, hbn, sh->sw, 0, partial);
}

/* w == NULL: the filter set_filter packed, at ws. */
static void nhwc_forward(const i2w_dw_cfg *cfg, const float *x,
                         const float *w, const float *bias, float *y,
                         float *ws, int threads)
{
    const i2w_shape *sh = &cfg->sh;
    const float *packed = w ? NULL : ws;
    float *areas = ws + cfg->packed_floats;
    const long units = (long)cfg->blocks * cfg->bands * cfg->cblocks;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (long t = 0; t < units; t++) {
        /* the thread's packed filter and bias */
        float *fp = areas + (size_t)i2w_x86_thread() * cfg->filter_floats;
        const int cblk = (int)(t % cfg->cblocks);
        const int band = (int)(t / cfg->cblocks % cfg->bands);
        const int n = (int)(t / cfg->cblocks / cfg->bands);
        const int c0 = cblk * cfg->cb;
        const int nv = min_int(cfg->cb, cfg->cp - c0) / I2W_VL;
        const int ho0 = band * cfg->hb;
        float *bp = fp + (size_t)sh->r * sh->s * nv * I2W_VL;
        nhwc_pack_bias(cfg, bias, bp, c0, nv);
        if (!packed)
            nhwc_pack(cfg, w, fp, c0, nv);
        const nhwc_ctx nc = {
            .cfg = cfg,
            .fp = packed ? packed + c0 : fp,
            .bp = bp,
            .ts = packed ? (size_t)cfg->cp : (size_t)nv * I2W_VL,
            .c0 = c0,
            .last = i2w_vmask_first(sh->c - (cfg->cp - I2W_VL))};
        nhwc_band_any(&nc, x, y, n, c0, nv, ho0,
                      min_int(cfg->hb, sh->ho - ho0));
    }
}

/* ---------------------------------------------- NCHW, CHWN and CHWN8 */

/* The window [rows][sw phases][cols][L] of one plane for output rows
 * [ho0, ho0 + hbn): phase ph, column j holds padded input column
 * j*sw + ph, zeros in the padding; of a column's L floats, the first
 * nreal are x's images, the others zeros.  xp: the plane's first image,
 * columns cfg->ncol floats apart. */
static void planar_window(const i2w_dw_cfg *cfg, const float *xp, float *win,
                          int ho0, int hbn, int nreal)
{
    const i2w_shape *sh = &cfg->sh;
    const int L = cfg->lanes, cols = cfg->cols;
    const size_t pl = (size_t)cols * L; /* one phase of a row */
    const int rows = band_rows(sh, hbn);
    for (int j = 0; j < rows; j++) {
        if (!row_used(sh, j, hbn))
            continue;
        float *wr = win + j * sh->sw * pl;
        const int hi = ho0 * sh->sh - sh->ph + j;
        if (hi < 0 || hi >= sh->h) {
            memset(wr, 0, sh->sw * pl * sizeof *wr);
            continue;
        }
        const float *xr = xp + (size_t)hi * sh->w * cfg->ncol;
        if (sh->sw == 1 && cfg->ncol == L) {
            /* the row is contiguous: one copy between the padding */
            const int lo = min_int(sh->pw, cols);
            const int in = min_int(sh->w, cols - lo);
            memset(wr, 0, (size_t)lo * L * sizeof *wr);
            memcpy(wr + (size_t)lo * L, xr, (size_t)in * L * sizeof *wr);
            memset(wr + (size_t)(lo + in) * L, 0,
                   (size_t)(cols - lo - in) * L * sizeof *wr);
            continue;
        }
        for (int ph = 0; ph < sh->sw; ph++) {
            /* columns [lo, hi) of the phase are inside the image */
            const int first = sh->pw - ph, end = sh->w + sh->pw - ph;
            const int lo = min_int(cols, first > 0 ? div_up(first, sh->sw) : 0);
            const int hi = end > lo * sh->sw ? min_int(cols, div_up(end, sh->sw))
                                             : lo;
            float *d = wr + ph * pl;
            const float *src = xr + (ptrdiff_t)(ph - sh->pw) * cfg->ncol;
            const size_t step = (size_t)sh->sw * cfg->ncol;
            memset(d, 0, (size_t)lo * L * sizeof *d);
            if (L == 8 && nreal == 8) /* a CHWN8 block: 8 images */
                for (int col = lo; col < hi; col++)
                    _mm256_storeu_ps(d + (size_t)col * 8,
                                     _mm256_loadu_ps(src + col * step));
            else
                for (int col = lo; col < hi; col++) {
                    float *dc = d + (size_t)col * L;
                    for (int l = 0; l < nreal; l++)
                        dc[l] = src[col * step + l];
                    for (int l = nreal; l < L; l++)
                        dc[l] = 0.0f;
                }
            memset(d + (size_t)hi * L, 0, (size_t)(cols - hi) * L * sizeof *d);
        }
    }
}

/* What the tiles of one unit share. */
typedef struct {
    const i2w_dw_cfg *cfg;
    size_t rs;      /* window row stride, floats */
    const float *w; /* the channel's filter */
    size_t wt;      /* filter tap stride */
    float bias;
    size_t ys;      /* output row stride */
    size_t vs;      /* output vector stride: I2W_VL, or ncol when a vector
                       is one column of a CHWN image block */
    int masked;     /* vectors from this one on store the lanes of m */
    i2w_vmask m;
} planar_ctx;

/* nr output rows x nv vectors of one plane: win at the tile's first band
 * row and first vector, y at its first output. */
I2W_INLINE void planar_tile(const planar_ctx *pc, const float *win,
                            float *y, int v0, int nr, int nv)
{
    const i2w_shape *sh = &pc->cfg->sh;
    const size_t pl = (size_t)pc->cfg->cols * pc->cfg->lanes;
    const size_t next_row = (size_t)sh->sh * pc->rs;
    i2w_vec acc[PL_TR][PL_TV];
    I2W_UNROLL
    for (int i = 0; i < PL_TR; i++)
        I2W_UNROLL
        for (int v = 0; v < PL_TV; v++)
            acc[i][v] = i2w_vbcast(&pc->bias);
    for (int r = 0; r < sh->r; r++) {
        const float *wr = win + (size_t)r * sh->dh * pc->rs;
        for (int s = 0; s < sh->s; s++) {
            const int d = s * sh->dw;
            const float *ws = wr + (size_t)(d % sh->sw) * pl +
                              (size_t)(d / sh->sw) * pc->cfg->lanes;
            const i2w_vec f =
                i2w_vbcast(pc->w + (size_t)(r * sh->s + s) * pc->wt);
            I2W_UNROLL
            for (int i = 0; i < PL_TR; i++)
                I2W_UNROLL
                for (int v = 0; v < PL_TV; v++)
                    if (i < nr && v < nv)
                        acc[i][v] = i2w_vfma(
                            i2w_vload(ws + i * next_row + v * I2W_VL), f,
                            acc[i][v]);
        }
    }
    I2W_UNROLL
    for (int i = 0; i < PL_TR; i++)
        I2W_UNROLL
        for (int v = 0; v < PL_TV; v++)
            if (i < nr && v < nv) {
                float *d = y + i * pc->ys + v * pc->vs;
                if (v0 + v >= pc->masked)
                    i2w_vstore_m(d, pc->m, acc[i][v]);
                else
                    i2w_vstore(d, acc[i][v]);
            }
}

/* Output rows [ho0, ho0 + hbn), nvec vectors each, of one plane from its
 * window; y at the plane's first output row. */
static void planar_band(const planar_ctx *pc, const float *win, float *y,
                        int ho0, int hbn, int nvec)
{
    for (int i0 = 0; i0 < hbn; i0 += PL_TR) {
        const int nr = min_int(PL_TR, hbn - i0);
        const float *wi = win + (size_t)i0 * pc->cfg->sh.sh * pc->rs;
        float *yi = y + (size_t)(ho0 + i0) * pc->ys;
        for (int v0 = 0; v0 < nvec; v0 += PL_TV) {
            const float *wt = wi + v0 * I2W_VL;
            float *yt = yi + v0 * pc->vs;
            const int nv = min_int(PL_TV, nvec - v0);
            if (nr == PL_TR && nv == PL_TV)
                planar_tile(pc, wt, yt, v0, PL_TR, PL_TV);
            else
                planar_tile(pc, wt, yt, v0, nr, nv);
        }
    }
}

static void planar_forward(const i2w_dw_cfg *cfg, const float *x,
                           const float *w, const float *bias, float *y,
                           float *wins, int threads)
{
    const i2w_shape *sh = &cfg->sh;
    const int L = cfg->lanes, blocked = cfg->ncol != L;
    /* plane (block b, channel c) starts at b*xb + c*xc in x */
    const size_t xc = (size_t)sh->h * sh->w * cfg->ncol;
    const size_t yc = (size_t)sh->ho * sh->wo * cfg->ncol;
    const size_t xb = blocked ? (size_t)L : sh->c * xc;
    const size_t yb = blocked ? (size_t)L : sh->c * yc;
    /* a row of outputs: Wo*L floats in vectors, or Wo vectors of L images */
    const int row = sh->wo * L;
    const int nvec = (row + I2W_VL - 1) / I2W_VL;
    /* NCHW filters are [C][R][S], CHWN ones [R][S][C] */
    const int nchw = sh->layout == I2W_LAYOUT_NCHW;
    const size_t wc = nchw ? (size_t)sh->r * sh->s : 1;
    const long units = (long)cfg->blocks * sh->c * cfg->bands;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (long t = 0; t < units; t++) {
        float *win = wins + (size_t)i2w_x86_thread() * cfg->win_floats;
        const int band = (int)(t % cfg->bands);
        const int c = (int)(t / cfg->bands % sh->c);
        const int b = (int)(t / cfg->bands / sh->c);
        const int ho0 = band * cfg->hb;
        const int hbn = min_int(cfg->hb, sh->ho - ho0);
        const int nreal = blocked ? min_int(L, sh->n - b * L) : L;
        planar_ctx pc = {
            .cfg = cfg,
            .rs = (size_t)sh->sw * cfg->cols * L,
            .w = w + (size_t)c * wc,
            .wt = nchw ? 1 : (size_t)sh->k,
            .bias = bias ? bias[c] : 0.0f,
            .ys = (size_t)sh->wo * cfg->ncol,
            .vs = blocked ? (size_t)cfg->ncol : I2W_VL,
        };
        if (!blocked) { /* the row's last vector, when partial */
            pc.masked = row % I2W_VL ? nvec - 1 : nvec;
            pc.m = i2w_vmask_first(row - (nvec - 1) * I2W_VL);
        } else { /* every vector of a partial block */
            pc.masked = nreal < L ? 0 : nvec;
            pc.m = i2w_vmask_first(nreal);
        }
        planar_window(cfg, x + b * xb + c * xc, win, ho0, hbn, nreal);
        planar_band(&pc, win, y + b * yb + c * yc, ho0, hbn, nvec);
    }
}

/* ------------------------------------------------------------- flat */

/* The flat window (cfg->flat, im2win_dw.h) of output rows [ho0, ho0 +
 * hbn) of the plane xp, its planes of pr rows, and the floats a vector
 * reads past them zeroed (their positions' outputs are dropped, but must
 * not be NaN or denormal). */
static void flat_window(const i2w_dw_cfg *cfg, const float *xp, float *win,
                        int ho0, int pr)
{
    const i2w_shape *sh = &cfg->sh;
    const int P = cfg->cols, sw = sh->sw;
    const int groups = sh->sh;
    /* the planes in order: a row's last vector may run into the next */
    for (int g = 0; g < groups; g++) {
        for (int ph = 0; ph < sw; ph++) {
            /* columns [lo, hc) read x's columns j*sw + ph - pw (divisions
             * here, not per row: they cost as much as a small plane's
             * FMAs) */
            const int first = sh->pw - ph, end = sh->w + sh->pw - ph;
            const int lo = min_int(P, first <= 0 ? 0
                                      : sw == 1   ? first
                                                  : div_up(first, sw));
            const int hc = end <= lo * sw
                               ? lo
                               : min_int(P, sw == 1 ? end : div_up(end, sw));
            for (int j = 0; j < pr; j++) {
                float *d = win + ((size_t)(g * sw + ph) * pr + j) * P;
                const int hi = (ho0 + j) * sh->sh + g - sh->ph;
                if (hi < 0 || hi >= sh->h) {
                    for (int j0 = 0; j0 < P; j0 += I2W_VL)
                        i2w_vstore(d + j0, i2w_vzero());
                    continue;
                }
                if (sw == 1) {
                    /* whole vectors, the padding from masked loads: a
                     * vector may run into the next row, written after
                     * it, or into the zeros past the planes */
                    const float *xr = xp + (size_t)hi * sh->w - sh->pw;
                    for (int j0 = 0; j0 < P; j0 += I2W_VL)
                        i2w_vstore(d + j0,
                                   i2w_vload_m(xr + j0, i2w_vmask_range(
                                                            j0 - sh->pw, 1,
                                                            sh->w)));
                    continue;
                }
                const float *src =
                    xp + (size_t)hi * sh->w + lo * sw + ph - sh->pw;
                i2w_zero_floats(d, lo);
                if (sw == 2)
                    i2w_copy_even_floats(d + lo, src, hc - lo);
                else
                    for (int col = 0; col < hc - lo; col++)
                        d[lo + col] = src[col * sw];
                i2w_zero_floats(d + hc, P - hc);
            }
        }
    }
    i2w_zero_floats(win + (size_t)groups * sw * pr * P,
                    I2W_VL + (sh->s - 1) * sh->dw / sw);
}

/* What the tiles of one flat band share. */
typedef struct {
    const i2w_dw_cfg *cfg;
    const float *w; /* the channel's filter, taps wt floats apart */
    size_t wt;
    float bias;
    size_t plane;   /* floats of a window plane */
} flat_ctx;

/* nv vectors of positions of the band: win and out at the first. */
I2W_INLINE void flat_tile(const flat_ctx *fc, const float *win, float *out,
                          int nv)
{
    const i2w_shape *sh = &fc->cfg->sh;
    const int P = fc->cfg->cols;
    i2w_vec acc[FLAT_NV];
    I2W_UNROLL
    for (int v = 0; v < FLAT_NV; v++)
        acc[v] = i2w_vbcast(&fc->bias);
    /* tap row r*dh: row phase g, rows further down; tap column s*dw:
     * column phase ph, shift columns (no division in the loops: it cost
     * as much as the FMAs of a 7x7 plane) */
    for (int r = 0, g = 0, down = 0; r < sh->r; r++) {
        const size_t row =
            (size_t)g * sh->sw * fc->plane + (size_t)down * P;
        for (g += sh->dh; g >= sh->sh; g -= sh->sh)
            down++;
        for (int s = 0, ph = 0, shift = 0; s < sh->s; s++) {
            const float *p = win + row + (size_t)ph * fc->plane + shift;
            const i2w_vec f =
                i2w_vbcast(fc->w + (size_t)(r * sh->s + s) * fc->wt);
            I2W_UNROLL
            for (int v = 0; v < FLAT_NV; v++)
                if (v < nv)
                    acc[v] = i2w_vfma(i2w_vload(p + v * I2W_VL), f, acc[v]);
            for (ph += sh->dw; ph >= sh->sw; ph -= sh->sw)
                shift++;
        }
    }
    I2W_UNROLL
    for (int v = 0; v < FLAT_NV; v++)
        if (v < nv)
            i2w_vstore(out + v * I2W_VL, acc[v]);
}

/* A unit of the flat bands: plane (image b, channel c) = b*C + c, whose
 * first float is plane * (its size) in x and in y, and its output rows
 * [ho0, ho0 + hbn), pr rows a window plane. */
typedef struct {
    long plane;
    int c, ho0, hbn, pr;
} flat_unit;

static void flat_unit_rows(const i2w_dw_cfg *cfg, flat_unit *u)
{
    u->hbn = min_int(cfg->hb, cfg->sh.ho - u->ho0);
    u->pr = u->hbn + cfg->rows - cfg->hb;
}

/* Unit t: plane t / bands, band t % bands. */
static flat_unit flat_unit_at(const i2w_dw_cfg *cfg, long t)
{
    flat_unit u;
    u.plane = t / cfg->bands;
    u.c = (int)(u.plane % cfg->sh.c);
    u.ho0 = (int)(t % cfg->bands) * cfg->hb;
    flat_unit_rows(cfg, &u);
    return u;
}

/* The unit after u, without a division: a unit of a 7x7 plane is a few
 * dozen FMAs, and the divisions of flat_unit_at took longer. */
static flat_unit flat_unit_next(const i2w_dw_cfg *cfg, flat_unit u)
{
    u.ho0 += cfg->hb;
    if (u.ho0 >= cfg->sh.ho) {
        u.ho0 = 0;
        u.plane++;
        if (++u.c == cfg->sh.c)
            u.c = 0;
    }
    flat_unit_rows(cfg, &u);
    return u;
}

/* u's positions, in tiles, from its window into the run out. */
static void flat_unit_compute(const i2w_dw_cfg *cfg, const float *w,
                              const float *bias, const flat_unit *u,
                              const float *win, float *out)
{
    const i2w_shape *sh = &cfg->sh;
    /* NCHW filters are [C][R][S], CHWN ones [R][S][C] */
    const int nchw = sh->layout == I2W_LAYOUT_NCHW;
    const flat_ctx fc = {
        .cfg = cfg,
        .w = w + (size_t)u->c * (nchw ? (size_t)sh->r * sh->s : 1),
        .wt = nchw ? 1 : (size_t)sh->k,
        .bias = bias ? bias[u->c] : 0.0f,
        .plane = (size_t)u->pr * cfg->cols,
    };
    const int n = u->hbn * cfg->cols;
    for (int q0 = 0; q0 < n; q0 += FLAT_NV * I2W_VL) {
        const int nv = min_int(FLAT_NV, div_up(n - q0, I2W_VL));
        if (nv == FLAT_NV)
            flat_tile(&fc, win + q0, out + q0, FLAT_NV);
        else
            flat_tile(&fc, win + q0, out + q0, nv);
    }
}

/* u's outputs from the run out to y, wo of each row of cols. */
static void flat_unit_store(const i2w_dw_cfg *cfg, const flat_unit *u,
                            const float *out, float *y)
{
    const i2w_shape *sh = &cfg->sh;
    float *yb = y + u->plane * sh->ho * sh->wo + (size_t)u->ho0 * sh->wo;
    for (int i = 0; i < u->hbn; i++)
        i2w_copy_floats(yb + (size_t)i * sh->wo, out + (size_t)i * cfg->cols,
                        sh->wo);
}

/* Each thread runs its units in a pipeline over two windows and two
 * runs: the window of the next unit is built, and the outputs of the
 * previous one stored, around the current one's tiles, so that no load
 * reads what a store just wrote. */
static void flat_forward(const i2w_dw_cfg *cfg, const float *x,
                         const float *w, const float *bias, float *y,
                         float *wins, int threads)
{
    const i2w_shape *sh = &cfg->sh;
    const long units = (long)cfg->blocks * sh->c * cfg->bands;
    const size_t xc = (size_t)sh->h * sh->w;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        float *buf[2];
        buf[0] = wins + (size_t)i2w_x86_thread() * cfg->win_floats;
        buf[1] = buf[0] + cfg->win_floats / 2;
        long built = -1, pending = -1; /* units */
        flat_unit cur = {0}, next = {0}, prev = {0};
#ifdef _OPENMP
#pragma omp for schedule(static) nowait
#endif
        for (long t = 0; t < units; t++) {
            float *win = buf[t & 1];
            if (built != t) { /* the first of the thread's units */
                cur = flat_unit_at(cfg, t);
                flat_window(cfg, x + cur.plane * xc, win, cur.ho0, cur.pr);
            } else {
                cur = next;
            }
            if (t + 1 < units) {
                next = flat_unit_next(cfg, cur);
                flat_window(cfg, x + next.plane * xc, buf[(t + 1) & 1],
                            next.ho0, next.pr);
                built = t + 1;
            }
            flat_unit_compute(cfg, w, bias, &cur, win, win + cfg->stage_off);
            if (pending >= 0)
                flat_unit_store(cfg, &prev,
                                buf[pending & 1] + cfg->stage_off, y);
            prev = cur;
            pending = t;
        }
        if (pending >= 0)
            flat_unit_store(cfg, &prev, buf[pending & 1] + cfg->stage_off,
                            y);
    }
}

void DW_FORWARD(const i2w_dw_cfg *cfg, const float *x, const float *w,
                const float *bias, float *y, float *ws, int threads)
{
    if (cfg->flat)
        flat_forward(cfg, x, w, bias, y, ws, threads);
    else if (cfg->planar)
        planar_forward(cfg, x, w, bias, y, ws, threads);
    else
        nhwc_forward(cfg, x, w, bias, y, ws, threads);
}
