/* Depthwise im2win kernels (im2win_dw.h), compiled once per ISA: the
 * ISA flags pick the vector width and the register blocking.  A work unit
 * is (image or image block, channel block or channel, band of output
 * rows): its window is built in the thread's part of the workspace, then
 * the band's outputs are computed from the window alone. */
#include <immintrin.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "x86/im2win_dw.h"

#define I2W_INLINE static inline __attribute__((always_inline))
/* complete unrolling over a register tile, so that its accumulators are
 * registers, not an array in memory */
#define UNROLL _Pragma("GCC unroll 16")

#if defined(__AVX512F__)
#define VL 16
#define DW_FORWARD i2w_x86_im2win_dw_forward_avx512
/* 32 registers: NHWC 12 pixel accumulators + filter + load; planar 8 rows
 * x 2 vectors + broadcast + load */
#define NHWC_PB 12
#define PL_TR 8
#define PL_TV 2
typedef __m512 vf;
typedef __mmask16 vm;

I2W_INLINE vf v_zero(void) { return _mm512_setzero_ps(); }
I2W_INLINE vf v_set1(float a) { return _mm512_set1_ps(a); }
I2W_INLINE vf v_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
I2W_INLINE vf v_load(const float *p) { return _mm512_loadu_ps(p); }
I2W_INLINE vf v_loadz(const float *p, vm m) { return _mm512_maskz_loadu_ps(m, p); }
I2W_INLINE void v_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
I2W_INLINE void v_store_m(float *p, vf v, vm m) { _mm512_mask_storeu_ps(p, m, v); }
/* the first n lanes (all for n >= VL) */
I2W_INLINE vm m_first(int n) { return n >= VL ? 0xffff : (vm)((1u << n) - 1u); }

#else /* AVX2 + FMA */
#define VL 8
#define DW_FORWARD i2w_x86_im2win_dw_forward_avx2
/* 16 registers: NHWC 8 pixel accumulators + filter + load; planar 6 rows
 * x 2 vectors + broadcast + load */
#define NHWC_PB 8
#define PL_TR 6
#define PL_TV 2
typedef __m256 vf;
typedef __m256i vm;

I2W_INLINE vf v_zero(void) { return _mm256_setzero_ps(); }
I2W_INLINE vf v_set1(float a) { return _mm256_set1_ps(a); }
I2W_INLINE vf v_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
I2W_INLINE vf v_load(const float *p) { return _mm256_loadu_ps(p); }
I2W_INLINE vf v_loadz(const float *p, vm m) { return _mm256_maskload_ps(p, m); }
I2W_INLINE void v_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
I2W_INLINE void v_store_m(float *p, vf v, vm m) { _mm256_maskstore_ps(p, m, v); }
I2W_INLINE vm m_first(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

static int min_int(int a, int b) { return a < b ? a : b; }

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
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

/* The filter as [R*S][cp] and the bias as [cp], zero past C, so every
 * channel vector is a plain load. */
static void nhwc_pack(const i2w_dw_cfg *cfg, const float *w,
                      const float *bias, float *fp, float *bp)
{
    const int taps = cfg->sh.r * cfg->sh.s, c = cfg->sh.c;
    for (int t = 0; t < taps; t++)
        for (int k = 0; k < cfg->cp; k++)
            fp[(size_t)t * cfg->cp + k] = k < c ? w[(size_t)k * taps + t] : 0;
    for (int k = 0; k < cfg->cp; k++)
        bp[k] = bias && k < c ? bias[k] : 0;
}

/* The window [rows][cols][nv*VL] of image n, channels [c0, c0 + nv*VL),
 * output rows [ho0, ho0 + hbn): padding columns and rows are zeros, so
 * are the channels past C. */
static void nhwc_window(const i2w_dw_cfg *cfg, const float *x, float *win,
                        int n, int c0, int nv, int ho0, int hbn)
{
    const i2w_shape *sh = &cfg->sh;
    const size_t cs = (size_t)nv * VL, rs = (size_t)cfg->cols * cs;
    const vm tail = m_first(sh->c - c0 - (nv - 1) * VL);
    const int rows = band_rows(sh, hbn);
    for (int j = 0; j < rows; j++) {
        if (!row_used(sh, j, hbn))
            continue;
        float *wr = win + j * rs;
        const int hi = ho0 * sh->sh - sh->ph + j;
        if (hi < 0 || hi >= sh->h) {
            memset(wr, 0, rs * sizeof *wr);
            continue;
        }
        const float *xr = x + ((size_t)n * sh->h + hi) * sh->w * sh->c + c0;
        for (int col = 0; col < cfg->cols; col++) {
            const int wi = col - sh->pw;
            float *d = wr + col * cs;
            if (wi < 0 || wi >= sh->w) {
                for (int v = 0; v < nv; v++)
                    v_store(d + v * VL, v_zero());
                continue;
            }
            const float *s = xr + (size_t)wi * sh->c;
            for (int v = 0; v < nv - 1; v++)
                v_store(d + v * VL, v_load(s + v * VL));
            v_store(d + (nv - 1) * VL, v_loadz(s + (nv - 1) * VL, tail));
        }
    }
}

/* np pixels of one output row and one channel vector.  win: the window
 * at the row's first band row, the tile's first column, the vector's
 * channels; cs, rs: window column and row strides; f: packed filter at the
 * vector's channels; y: the first pixel's output at those channels, pixels
 * c apart; m: the channels to store (all when full). */
I2W_INLINE void nhwc_tile(const i2w_dw_cfg *cfg, const float *win, size_t cs,
                          size_t rs, const float *f, vf b, float *y, int np,
                          vm m, int full)
{
    const i2w_shape *sh = &cfg->sh;
    const size_t ps = (size_t)sh->sw * cs; /* next pixel in the window */
    vf acc[NHWC_PB];
    UNROLL
    for (int p = 0; p < NHWC_PB; p++)
        acc[p] = b;
    for (int r = 0; r < sh->r; r++) {
        const float *wr = win + (size_t)r * sh->dh * rs;
        for (int s = 0; s < sh->s; s++) {
            const vf fv = v_load(f + (size_t)(r * sh->s + s) * cfg->cp);
            const float *ws = wr + (size_t)s * sh->dw * cs;
            UNROLL
            for (int p = 0; p < NHWC_PB; p++)
                if (p < np)
                    acc[p] = v_fma(v_load(ws + p * ps), fv, acc[p]);
        }
    }
    UNROLL
    for (int p = 0; p < NHWC_PB; p++)
        if (p < np) {
            if (full)
                v_store(y + (size_t)p * sh->c, acc[p]);
            else
                v_store_m(y + (size_t)p * sh->c, acc[p], m);
        }
}

/* Output rows [ho0, ho0 + hbn) of image n, channels [c0, c0 + nv*VL),
 * from their window. */
static void nhwc_band(const i2w_dw_cfg *cfg, const float *win,
                      const float *fp, const float *bp, float *y, int n,
                      int c0, int nv, int ho0, int hbn)
{
    const i2w_shape *sh = &cfg->sh;
    const size_t cs = (size_t)nv * VL, rs = (size_t)cfg->cols * cs;
    for (int i = 0; i < hbn; i++) {
        float *yr = y + ((size_t)n * sh->ho + ho0 + i) * sh->wo * sh->c;
        const float *wi = win + (size_t)i * sh->sh * rs;
        for (int v = 0; v < nv; v++) {
            const int c = c0 + v * VL;
            const int full = c + VL <= sh->c;
            const vm m = m_first(sh->c - c);
            const vf b = v_load(bp + c);
            const float *f = fp + c;
            for (int wo0 = 0; wo0 < sh->wo; wo0 += NHWC_PB) {
                const int np = min_int(NHWC_PB, sh->wo - wo0);
                const float *wt = wi + (size_t)wo0 * sh->sw * cs + v * VL;
                float *yt = yr + (size_t)wo0 * sh->c + c;
                if (np == NHWC_PB && full)
                    nhwc_tile(cfg, wt, cs, rs, f, b, yt, NHWC_PB, m, 1);
                else
                    nhwc_tile(cfg, wt, cs, rs, f, b, yt, np, m, full);
            }
        }
    }
}

static void nhwc_forward(const i2w_dw_cfg *cfg, const float *x,
                         const float *w, const float *bias, float *y,
                         float *ws, int threads)
{
    const i2w_shape *sh = &cfg->sh;
    float *fp = ws, *bp = ws + (size_t)sh->r * sh->s * cfg->cp;
    float *wins = ws + cfg->filter_floats;
    nhwc_pack(cfg, w, bias, fp, bp);
    const long units = (long)cfg->blocks * cfg->bands * cfg->cblocks;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (long t = 0; t < units; t++) {
        float *win = wins + (size_t)thread_id() * cfg->win_floats;
        const int cblk = (int)(t % cfg->cblocks);
        const int band = (int)(t / cfg->cblocks % cfg->bands);
        const int n = (int)(t / cfg->cblocks / cfg->bands);
        const int c0 = cblk * cfg->cb;
        const int nv = min_int(cfg->cb, cfg->cp - c0) / VL;
        const int ho0 = band * cfg->hb;
        const int hbn = min_int(cfg->hb, sh->ho - ho0);
        nhwc_window(cfg, x, win, n, c0, nv, ho0, hbn);
        nhwc_band(cfg, win, fp, bp, y, n, c0, nv, ho0, hbn);
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
        for (int ph = 0; ph < sh->sw; ph++)
            for (int col = 0; col < cols; col++) {
                const int wi = col * sh->sw + ph - sh->pw;
                float *d = wr + ph * pl + (size_t)col * L;
                const int in = wi < 0 || wi >= sh->w ? 0 : nreal;
                if (in)
                    memcpy(d, xr + (size_t)wi * cfg->ncol, in * sizeof *d);
                memset(d + in, 0, (size_t)(L - in) * sizeof *d);
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
        float *win = wins + (size_t)thread_id() * cfg->win_floats;
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
        planar_forward(cfg, x, w, bias, y, ws + cfg->filter_floats, threads);
    else
        nhwc_forward(cfg, x, w, bias, y, ws, threads);
}
