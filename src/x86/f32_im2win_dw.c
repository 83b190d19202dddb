/* Depthwise im2win kernels (im2win_dw.h), compiled once per ISA: the
 * ISA flags pick the vector width and the register blocking.  A work unit
 * is (image or image block, channel block or channel, band of output
 * rows): its window is built in the thread's part of the workspace, then
 * the band's outputs are computed from the window alone. */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#include "x86/im2win_dw.h"
#include "x86/x86.h"

#define I2W_INLINE static inline __attribute__((always_inline))
/* complete unrolling over a register tile, so that its accumulators are
 * registers, not an array in memory */
#define UNROLL _Pragma("GCC unroll 16")

#if defined(__AVX512F__)
#define VL 16
#define DW_FORWARD i2w_x86_im2win_dw_forward_avx512
/* 32 registers: NHWC 7 pixels x 2 channel vectors + 2 filter vectors
 * (the window is an FMA memory operand); planar 8 rows x 2 vectors +
 * broadcast + load.  7 pixels: MobileNet's widths 112, 56, 28, 14 and 7
 * are multiples of it, so their rows have no partial tile. */
#define NHWC_PB 7
#define NHWC_NV 2
#define PL_TR 8
#define PL_TV 2
typedef __m512 vf;
typedef __mmask16 vm;

I2W_INLINE vf v_zero(void) { return _mm512_setzero_ps(); }
I2W_INLINE vf v_set1(float a) { return _mm512_set1_ps(a); }
I2W_INLINE vf v_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
I2W_INLINE vf v_load(const float *p) { return _mm512_loadu_ps(p); }
I2W_INLINE vf v_loadz(const float *p, vm m) { return _mm512_maskz_loadu_ps(m, p); }
/* lane i = p[i*stride] where m is set, else 0 */
I2W_INLINE vf v_gatherz(const float *p, int stride, vm m)
{
    const __m512i idx = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32(stride));
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, p, 4);
}
I2W_INLINE void v_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
I2W_INLINE void v_store_m(float *p, vf v, vm m) { _mm512_mask_storeu_ps(p, m, v); }
/* the first n lanes (all for n >= VL) */
I2W_INLINE vm m_first(int n) { return n >= VL ? 0xffff : (vm)((1u << n) - 1u); }

#else /* AVX2 + FMA */
#define VL 8
#define DW_FORWARD i2w_x86_im2win_dw_forward_avx2
/* 16 registers: NHWC 7 pixels x 1 channel vector + filter + load (7 as
 * for AVX-512); planar 6 rows x 2 vectors + broadcast + load */
#define NHWC_PB 7
#define NHWC_NV 1
#define PL_TR 6
#define PL_TV 2
typedef __m256 vf;
typedef __m256i vm;

I2W_INLINE vf v_zero(void) { return _mm256_setzero_ps(); }
I2W_INLINE vf v_set1(float a) { return _mm256_set1_ps(a); }
I2W_INLINE vf v_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
I2W_INLINE vf v_load(const float *p) { return _mm256_loadu_ps(p); }
I2W_INLINE vf v_loadz(const float *p, vm m) { return _mm256_maskload_ps(p, m); }
I2W_INLINE vf v_gatherz(const float *p, int stride, vm m)
{
    const __m256i idx = _mm256_mullo_epi32(
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(stride));
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, idx,
                                    _mm256_castsi256_ps(m), 4);
}
I2W_INLINE void v_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
I2W_INLINE void v_store_m(float *p, vf v, vm m) { _mm256_maskstore_ps(p, m, v); }
I2W_INLINE vm m_first(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

static int min_int(int a, int b) { return a < b ? a : b; }
/* a / b rounded up, a >= 0, b > 0 */
static int div_up(int a, int b) { return (a + b - 1) / b; }

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

/* Channels [c0, c0 + nv*VL) of the filter as [R*S][nv*VL], zero past C,
 * so every channel vector is a plain load: the taps of VL channels of w
 * ([C][R*S]) are gathered.  Each unit packs its own channels into its
 * thread's part of the workspace, so no thread waits for the others'
 * packing (unless set_filter packed the whole filter once). */
static void nhwc_pack(const i2w_dw_cfg *cfg, const float *w, float *fp,
                      int c0, int nv)
{
    const int taps = cfg->sh.r * cfg->sh.s;
    const size_t ts = (size_t)nv * VL;
    for (int v = 0; v < nv; v++) {
        const int c = c0 + v * VL;
        const vm m = m_first(cfg->sh.c - c);
        for (int t = 0; t < taps; t++)
            v_store(fp + t * ts + v * VL,
                    v_gatherz(w + (size_t)c * taps + t, taps, m));
    }
}

/* Channels [c0, c0 + nv*VL) of the bias, zero past C or without bias. */
static void nhwc_pack_bias(const i2w_dw_cfg *cfg, const float *bias,
                           float *bp, int c0, int nv)
{
    for (int v = 0; v < nv; v++) {
        const int c = c0 + v * VL;
        v_store(bp + v * VL,
                bias ? v_loadz(bias + c, m_first(cfg->sh.c - c)) : v_zero());
    }
}

/* Input row hi of image n, channels [c0, c0 + nv*VL), as one window row
 * [nv][cols][VL]: a plane of columns per channel vector, so the pixels of
 * a tile are a constant distance apart (sw vectors); padding columns (and
 * the whole row, outside the image) are zeros, so are channels past C. */
static void nhwc_window_row(const i2w_dw_cfg *cfg, const float *x, float *wr,
                            int n, int c0, int nv, int hi)
{
    const i2w_shape *sh = &cfg->sh;
    const size_t vs = (size_t)cfg->cols * VL;
    if (hi < 0 || hi >= sh->h) {
        memset(wr, 0, nv * vs * sizeof *wr);
        return;
    }
    const float *xr = x + ((size_t)n * sh->h + hi) * sh->w * sh->c + c0;
    /* window columns [lo, hi_col) are input columns [0, ...) */
    const int lo = min_int(sh->pw, cfg->cols);
    const int in = min_int(sh->w, cfg->cols - lo);
    for (int v = 0; v < nv; v++) {
        float *d = wr + v * vs;
        const float *src = xr + v * VL;
        const vm m = m_first(sh->c - c0 - v * VL);
        for (int col = 0; col < lo; col++)
            v_store(d + (size_t)col * VL, v_zero());
        if (c0 + (v + 1) * VL <= sh->c)
            for (int col = 0; col < in; col++)
                v_store(d + (size_t)(lo + col) * VL,
                        v_load(src + (size_t)col * sh->c));
        else /* the channels past C are zeros */
            for (int col = 0; col < in; col++)
                v_store(d + (size_t)(lo + col) * VL,
                        v_loadz(src + (size_t)col * sh->c, m));
        for (int col = lo + in; col < cfg->cols; col++)
            v_store(d + (size_t)col * VL, v_zero());
    }
}

/* What the tiles of one NHWC unit share.  The window is a ring of
 * cfg->rows rows (the span of one output row's taps): input row h (padded
 * coordinates) lives in slot h % rows, so the window of the next output
 * row reuses the rows it shares with this one and copies only sh new ones. */
typedef struct {
    const i2w_dw_cfg *cfg;
    size_t vs;       /* window plane stride: next channel vector */
    size_t rs;       /* window row stride */
    const float *fp; /* packed filter and bias of channels [c0, ...) */
    const float *bp;
    size_t ts;       /* packed filter tap stride */
    int c0;
} nhwc_ctx;

/* One filter row of 3 undilated taps: each window column of the tile is
 * loaded once and feeds every pixel whose taps cover it (with stride 1, 9
 * loads for 21 FMAs of a vector, not 21). */
I2W_INLINE void nhwc_row3(vf acc[NHWC_PB][NHWC_NV], const float *wr,
                          size_t vs, const float *fr, size_t ts, int np,
                          int nv, int sw)
{
    vf f[3][NHWC_NV];
    UNROLL
    for (int s = 0; s < 3; s++)
        UNROLL
        for (int v = 0; v < NHWC_NV; v++)
            f[s][v] = v < nv ? v_load(fr + s * ts + v * VL) : v_zero();
    UNROLL
    for (int j = 0; j < (NHWC_PB - 1) * sw + 3; j++)
        UNROLL
        for (int v = 0; v < NHWC_NV; v++) {
            if (v >= nv || j > (np - 1) * sw + 2)
                continue;
            const vf xv = v_load(wr + v * vs + j * VL);
            UNROLL
            for (int s = 0; s < 3; s++) {
                const int p = (j - s) / sw;
                if (j >= s && (j - s) % sw == 0 && p < np)
                    acc[p][v] = v_fma(xv, f[s][v], acc[p][v]);
            }
        }
}

/* The ring slot of the filter row below the one in slot. */
static inline int next_slot(int slot, int dh, int span)
{
    slot += dh;
    return slot >= span ? slot - span : slot;
}

/* np pixels of one output row x nv channel vectors [c, c + nv*VL).  win:
 * the window at the tile's first column, channel c's plane; slot0: the
 * ring slot of the row's first tap; y: the first pixel's output at
 * channel c.  sw: the stride, and row3: whether the filter is 3x3 with
 * undilated rows (nhwc_row3); both constants at the calls that matter, so
 * the pixels' window offsets are immediates. */
I2W_INLINE void nhwc_tile(const nhwc_ctx *nc, const float *win, int slot0,
                          float *y, int c, int np, int nv, int sw, int row3)
{
    const i2w_shape *sh = &nc->cfg->sh;
    const size_t ts = nc->ts;
    const float *fc = nc->fp + (c - nc->c0); /* the tile's channels */
    const int span = nc->cfg->rows;
    vf acc[NHWC_PB][NHWC_NV];
    UNROLL
    for (int v = 0; v < NHWC_NV; v++) {
        const vf b = v < nv ? v_load(nc->bp + (c - nc->c0) + v * VL)
                            : v_zero();
        UNROLL
        for (int p = 0; p < NHWC_PB; p++)
            acc[p][v] = b;
    }
    int slot = slot0;
    if (row3) { /* unrolled, so the compiler interleaves the three rows */
        UNROLL
        for (int r = 0; r < 3; r++) {
            nhwc_row3(acc, win + (size_t)slot * nc->rs, nc->vs,
                      fc + (size_t)r * 3 * ts, ts, np, nv, sw);
            slot = next_slot(slot, sh->dh, span);
        }
    } else {
        for (int r = 0; r < sh->r; r++) {
            const float *wr = win + (size_t)slot * nc->rs;
            const float *fr = fc + (size_t)r * sh->s * ts;
            slot = next_slot(slot, sh->dh, span);
            for (int s = 0; s < sh->s; s++) {
                const float *ws = wr + (size_t)s * sh->dw * VL;
                vf f[NHWC_NV];
                UNROLL
                for (int v = 0; v < NHWC_NV; v++)
                    f[v] = v < nv ? v_load(fr + s * ts + v * VL) : v_zero();
                UNROLL
                for (int v = 0; v < NHWC_NV; v++)
                    UNROLL
                    for (int p = 0; p < NHWC_PB; p++)
                        if (p < np && v < nv)
                            acc[p][v] = v_fma(v_load(ws + v * nc->vs +
                                                     p * sw * VL),
                                              f[v], acc[p][v]);
            }
        }
    }
    UNROLL
    for (int v = 0; v < NHWC_NV; v++) {
        if (v >= nv)
            continue;
        const int cv = c + v * VL;
        const int full = cv + VL <= sh->c;
        const vm m = m_first(sh->c - cv);
        UNROLL
        for (int p = 0; p < NHWC_PB; p++)
            if (p < np) {
                if (full)
                    v_store(y + (size_t)p * sh->c + v * VL, acc[p][v]);
                else
                    v_store_m(y + (size_t)p * sh->c + v * VL, acc[p][v], m);
            }
    }
}

/* Output rows [ho0, ho0 + hbn) of image n, channels [c0, c0 + nv*VL):
 * each row's new input rows into the ring, then its tiles, pixels
 * outside, channel vectors inside. */
I2W_INLINE void nhwc_band(const nhwc_ctx *nc, const float *x, float *win,
                          float *y, int n, int c0, int nv, int ho0, int hbn,
                          int sw, int row3)
{
    const i2w_dw_cfg *cfg = nc->cfg;
    const i2w_shape *sh = &cfg->sh;
    int next = ho0 * sh->sh; /* first padded input row not in the ring */
    for (int ho = ho0; ho < ho0 + hbn; ho++) {
        const int lo = ho * sh->sh;
        for (int j = next > lo ? next : lo; j < lo + cfg->rows; j++)
            nhwc_window_row(cfg, x, win + (size_t)(j % cfg->rows) * nc->rs,
                            n, c0, nv, j - sh->ph);
        next = lo + cfg->rows;
        const int slot0 = lo % cfg->rows;
        float *yr = y + ((size_t)n * sh->ho + ho) * sh->wo * sh->c + c0;
        for (int wo0 = 0; wo0 < sh->wo; wo0 += NHWC_PB) {
            const int np = min_int(NHWC_PB, sh->wo - wo0);
            const float *wt = win + (size_t)wo0 * sw * VL;
            float *yt = yr + (size_t)wo0 * sh->c;
            for (int v = 0; v < nv; v += NHWC_NV) {
                const float *wv = wt + v * nc->vs;
                const int c = c0 + v * VL, nvt = min_int(NHWC_NV, nv - v);
                if (np == NHWC_PB && nvt == NHWC_NV)
                    nhwc_tile(nc, wv, slot0, yt + v * VL, c, NHWC_PB,
                              NHWC_NV, sw, row3);
                else if (np == NHWC_PB) /* an odd vector of the block */
                    nhwc_tile(nc, wv, slot0, yt + v * VL, c, NHWC_PB, 1, sw,
                              row3);
                else
                    nhwc_tile(nc, wv, slot0, yt + v * VL, c, np, nvt, sw,
                              row3);
            }
        }
    }
}

/* nhwc_band with the stride a constant for strides 1 and 2, and the 3x3
 * filters of MobileNet's layers done by nhwc_row3. */
static void nhwc_band_any(const nhwc_ctx *nc, const float *x, float *win,
                          float *y, int n, int c0, int nv, int ho0, int hbn)
{
    const i2w_shape *sh = &nc->cfg->sh;
    const int row3 = sh->r == 3 && sh->s == 3 && sh->dw == 1;
    if (row3 && sh->sw == 1)
        nhwc_band(nc, x, win, y, n, c0, nv, ho0, hbn, 1, 1);
    else if (row3 && sh->sw == 2)
        nhwc_band(nc, x, win, y, n, c0, nv, ho0, hbn, 2, 1);
    else if (sh->sw == 1)
        nhwc_band(nc, x, win, y, n, c0, nv, ho0, hbn, 1, 0);
    else if (sh->sw == 2)
        nhwc_band(nc, x, win, y, n, c0, nv, ho0, hbn, 2, 0);
    else
        nhwc_band(nc, x, win, y, n, c0, nv, ho0, hbn, sh->sw, 0);
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
        /* the thread's packed filter and bias, then its window */
        float *fp = areas + (size_t)i2w_x86_thread() *
                                (cfg->filter_floats + cfg->win_floats);
        const int cblk = (int)(t % cfg->cblocks);
        const int band = (int)(t / cfg->cblocks % cfg->bands);
        const int n = (int)(t / cfg->cblocks / cfg->bands);
        const int c0 = cblk * cfg->cb;
        const int nv = min_int(cfg->cb, cfg->cp - c0) / VL;
        const int ho0 = band * cfg->hb;
        float *bp = fp + (size_t)sh->r * sh->s * nv * VL;
        nhwc_pack_bias(cfg, bias, bp, c0, nv);
        if (!packed)
            nhwc_pack(cfg, w, fp, c0, nv);
        const nhwc_ctx nc = {.cfg = cfg,
                             .vs = (size_t)cfg->cols * VL,
                             .rs = (size_t)cfg->cols * nv * VL,
                             .fp = packed ? packed + c0 : fp,
                             .bp = bp,
                             .ts = packed ? (size_t)cfg->cp : (size_t)nv * VL,
                             .c0 = c0};
        nhwc_band_any(&nc, x, fp + cfg->filter_floats, y, n, c0, nv, ho0,
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
            if (L == 1) /* NCHW: a strided copy */
                for (int col = lo; col < hi; col++)
                    d[col] = src[col * step];
            else if (L == 8 && nreal == 8) /* a CHWN8 block: 8 images */
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
    size_t vs;      /* output vector stride: VL, or ncol when a vector is
                       one column of a CHWN image block */
    int masked;     /* vectors from this one on store the lanes of m */
    vm m;
} planar_ctx;

/* nr output rows x nv vectors of one plane: win at the tile's first band
 * row and first vector, y at its first output. */
I2W_INLINE void planar_tile(const planar_ctx *pc, const float *win,
                            float *y, int v0, int nr, int nv)
{
    const i2w_shape *sh = &pc->cfg->sh;
    const size_t pl = (size_t)pc->cfg->cols * pc->cfg->lanes;
    const size_t next_row = (size_t)sh->sh * pc->rs;
    vf acc[PL_TR][PL_TV];
    UNROLL
    for (int i = 0; i < PL_TR; i++)
        UNROLL
        for (int v = 0; v < PL_TV; v++)
            acc[i][v] = v_set1(pc->bias);
    for (int r = 0; r < sh->r; r++) {
        const float *wr = win + (size_t)r * sh->dh * pc->rs;
        for (int s = 0; s < sh->s; s++) {
            const int d = s * sh->dw;
            const float *ws = wr + (size_t)(d % sh->sw) * pl +
                              (size_t)(d / sh->sw) * pc->cfg->lanes;
            const vf f = v_set1(pc->w[(size_t)(r * sh->s + s) * pc->wt]);
            UNROLL
            for (int i = 0; i < PL_TR; i++)
                UNROLL
                for (int v = 0; v < PL_TV; v++)
                    if (i < nr && v < nv)
                        acc[i][v] = v_fma(v_load(ws + i * next_row + v * VL),
                                          f, acc[i][v]);
        }
    }
    UNROLL
    for (int i = 0; i < PL_TR; i++)
        UNROLL
        for (int v = 0; v < PL_TV; v++)
            if (i < nr && v < nv) {
                float *d = y + i * pc->ys + v * pc->vs;
                if (v0 + v >= pc->masked)
                    v_store_m(d, acc[i][v], pc->m);
                else
                    v_store(d, acc[i][v]);
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
            const float *wt = wi + v0 * VL;
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
    const int nvec = (row + VL - 1) / VL;
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
            .vs = blocked ? (size_t)cfg->ncol : VL,
        };
        if (!blocked) { /* the row's last vector, when partial */
            pc.masked = row % VL ? nvec - 1 : nvec;
            pc.m = m_first(row - (nvec - 1) * VL);
        } else { /* every vector of a partial block */
            pc.masked = nreal < L ? 0 : nvec;
            pc.m = m_first(nreal);
        }
        planar_window(cfg, x + b * xb + c * xc, win, ho0, hbn, nreal);
        planar_band(&pc, win, y + b * yb + c * yc, ho0, hbn, nvec);
    }
}

void DW_FORWARD(const i2w_dw_cfg *cfg, const float *x, const float *w,
                const float *bias, float *y, float *ws, int threads)
{
    if (cfg->planar)
        planar_forward(cfg, x, w, bias, y, ws, threads);
    else
        nhwc_forward(cfg, x, w, bias, y, ws, threads);
}
