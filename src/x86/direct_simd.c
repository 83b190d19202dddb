/* The DIRECT baseline: a direct convolution in each layout, vectorized the
 * obvious way for that layout and blocked in registers, reading x and w
 * where they lie (no padded, packed or windowed copy):
 *   NCHW   vectors along an output row, filter taps broadcast;
 *   NHWC   vectors along the contiguous (s, c) reduction, one horizontal
 *          sum per output element;
 *   CHWN   vectors along the batch, filter taps broadcast (K contiguous);
 *   CHWN8  every block of 8 images is a CHWN tensor of batch 8.
 * Padding is skipped with masked loads.  This file is compiled once per
 * ISA; the ISA flags pick the vector width and the register blocking. */
#include <immintrin.h>

#include "x86/direct.h"

#define I2W_INLINE static inline __attribute__((always_inline))

#if defined(__AVX512F__)
#define VL 16
#define DIRECT_FORWARD i2w_x86_direct_forward_avx512
/* 32 vector registers: up to 16 accumulators */
#define NCHW_KB 4 /* output channels per tile */
#define NCHW_NV 2 /* vectors of output columns per tile */
#define NHWC_PB 3 /* output pixels per tile */
#define NHWC_KB 4
#define CHWN_PB 4
#define CHWN_KB 4
typedef __m512 vf;
typedef __mmask16 vm;

I2W_INLINE vf v_zero(void) { return _mm512_setzero_ps(); }
I2W_INLINE vf v_set1(float a) { return _mm512_set1_ps(a); }
I2W_INLINE vf v_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
I2W_INLINE vm m_none(void) { return 0; }
I2W_INLINE vm m_all(void) { return 0xffff; }
I2W_INLINE __m512i lane_index(int start, int step)
{
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                           11, 12, 13, 14, 15);
    return _mm512_add_epi32(_mm512_set1_epi32(start),
                            _mm512_mullo_epi32(iota, _mm512_set1_epi32(step)));
}
/* lanes i whose index start + i*step lies in [0, hi) */
I2W_INLINE vm m_range(int start, int step, int hi)
{
    __m512i i = lane_index(start, step);
    return _mm512_cmpge_epi32_mask(i, _mm512_setzero_si512()) &
           _mm512_cmplt_epi32_mask(i, _mm512_set1_epi32(hi));
}
I2W_INLINE vf v_load(const float *p, vm m) { return _mm512_maskz_loadu_ps(m, p); }
I2W_INLINE vf v_loadu(const float *p) { return _mm512_loadu_ps(p); }
/* lane i = row[start + i*step] where m is set, else 0 */
I2W_INLINE vf v_gather(const float *row, int start, int step, vm m)
{
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m,
                                    lane_index(start, step), row, 4);
}
I2W_INLINE void v_store(float *p, vf v, vm m) { _mm512_mask_storeu_ps(p, m, v); }
I2W_INLINE float v_hsum(vf v) { return _mm512_reduce_add_ps(v); }

#else /* AVX2 + FMA */
#define VL 8
#define DIRECT_FORWARD i2w_x86_direct_forward_avx2
/* 16 vector registers: accumulators + the operands of one step fit */
#define NCHW_KB 4
#define NCHW_NV 2
#define NHWC_PB 2
#define NHWC_KB 4
#define CHWN_PB 3
#define CHWN_KB 4
typedef __m256 vf;
typedef __m256i vm;

I2W_INLINE vf v_zero(void) { return _mm256_setzero_ps(); }
I2W_INLINE vf v_set1(float a) { return _mm256_set1_ps(a); }
I2W_INLINE vf v_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
I2W_INLINE vm m_none(void) { return _mm256_setzero_si256(); }
I2W_INLINE vm m_all(void) { return _mm256_set1_epi32(-1); }
I2W_INLINE __m256i lane_index(int start, int step)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_add_epi32(_mm256_set1_epi32(start),
                            _mm256_mullo_epi32(iota, _mm256_set1_epi32(step)));
}
I2W_INLINE vm m_range(int start, int step, int hi)
{
    __m256i i = lane_index(start, step);
    return _mm256_and_si256(_mm256_cmpgt_epi32(i, _mm256_set1_epi32(-1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), i));
}
I2W_INLINE vf v_load(const float *p, vm m) { return _mm256_maskload_ps(p, m); }
I2W_INLINE vf v_loadu(const float *p) { return _mm256_loadu_ps(p); }
I2W_INLINE vf v_gather(const float *row, int start, int step, vm m)
{
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), row,
                                    lane_index(start, step),
                                    _mm256_castsi256_ps(m), 4);
}
I2W_INLINE void v_store(float *p, vf v, vm m) { _mm256_maskstore_ps(p, m, v); }
I2W_INLINE float v_hsum(vf v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v),
                          _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#endif

static int min_int(int a, int b) { return a < b ? a : b; }

/* NCHW and CHWN split the work into tasks of (image or block of images,
 * group, block of kblk output channels, output row), rows innermost, so a
 * thread's consecutive tasks share the filter block and most input rows. */
typedef struct {
    int n, g, k0, kb, ho;
} task;

static long task_count(const i2w_shape *sh, int outer, int kblk)
{
    return (long)outer * sh->g * ((sh->kg + kblk - 1) / kblk) * sh->ho;
}

static task task_of(const i2w_shape *sh, long t, int kblk)
{
    const int nkb = (sh->kg + kblk - 1) / kblk;
    task k;
    k.ho = (int)(t % sh->ho);
    t /= sh->ho;
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

/* Output row ho, columns [wo0, wo0 + nv*VL) of kb output channels.
 * x: the image's first input channel of the group; w: filter of the
 * first channel k0; y: (k0, ho, 0). */
I2W_INLINE void nchw_tile(const i2w_shape *sh, const float *x,
                          const float *w, const float *bias, float *y,
                          int ho, int wo0, int kb, int nv)
{
    const size_t hw = (size_t)sh->h * sh->w, rs = (size_t)sh->r * sh->s;
    const size_t wk = (size_t)sh->cg * rs, howo = (size_t)sh->ho * sh->wo;
    const int sw = sh->sw;
    vf acc[NCHW_KB][NCHW_NV];
    for (int i = 0; i < NCHW_KB; i++)
        for (int j = 0; j < NCHW_NV; j++)
            acc[i][j] = bias && i < kb ? v_set1(bias[i]) : v_zero();
    for (int r = 0; r < sh->r; r++) {
        const int hi = ho * sh->sh - sh->ph + r * sh->dh;
        if (hi < 0 || hi >= sh->h)
            continue;
        for (int s = 0; s < sh->s; s++) {
            /* input column of output column wo0 + lane, for this tap */
            const int wi0 = wo0 * sw - sh->pw + s * sh->dw;
            vm m[NCHW_NV];
            for (int j = 0; j < NCHW_NV; j++)
                m[j] = j < nv ? m_range(wi0 + j * VL * sw, sw, sh->w)
                              : m_none();
            const float *xp = x + (size_t)hi * sh->w;
            const float *wp = w + (size_t)r * sh->s + s;
            for (int c = 0; c < sh->cg; c++, xp += hw, wp += rs) {
                vf xv[NCHW_NV];
                for (int j = 0; j < NCHW_NV; j++)
                    xv[j] = j >= nv  ? v_zero()
                            : sw == 1 ? v_load(xp + wi0 + j * VL, m[j])
                                      : v_gather(xp, wi0 + j * VL * sw, sw,
                                                 m[j]);
                for (int i = 0; i < NCHW_KB; i++)
                    if (i < kb) {
                        const vf wv = v_set1(wp[i * wk]);
                        for (int j = 0; j < NCHW_NV; j++)
                            if (j < nv)
                                acc[i][j] = v_fma(wv, xv[j], acc[i][j]);
                    }
            }
        }
    }
    for (int i = 0; i < NCHW_KB; i++)
        for (int j = 0; j < NCHW_NV; j++)
            if (i < kb && j < nv)
                v_store(y + i * howo + wo0 + j * VL, acc[i][j],
                        m_range(wo0 + j * VL, 1, sh->wo));
}

static void nchw_forward(const i2w_shape *sh, const float *x, const float *w,
                         const float *bias, float *y, int threads)
{
    const size_t hw = (size_t)sh->h * sh->w, howo = (size_t)sh->ho * sh->wo;
    const size_t wk = (size_t)sh->cg * sh->r * sh->s;
    const long tasks = task_count(sh, sh->n, NCHW_KB);
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (long t = 0; t < tasks; t++) {
        const task tk = task_of(sh, t, NCHW_KB);
        const int ho = tk.ho, k0 = tk.k0, kb = tk.kb;
        const float *xg =
            x + ((size_t)tk.n * sh->c + (size_t)tk.g * sh->cg) * hw;
        const float *wg = w + (size_t)k0 * wk;
        const float *bg = bias ? bias + k0 : NULL;
        float *yg =
            y + ((size_t)tk.n * sh->k + k0) * howo + (size_t)ho * sh->wo;
        for (int wo0 = 0; wo0 < sh->wo; wo0 += NCHW_NV * VL) {
            const int nv = min_int(NCHW_NV, (sh->wo - wo0 + VL - 1) / VL);
            if (kb == NCHW_KB && nv == NCHW_NV)
                nchw_tile(sh, xg, wg, bg, yg, ho, wo0, NCHW_KB, NCHW_NV);
            else
                nchw_tile(sh, xg, wg, bg, yg, ho, wo0, kb, nv);
        }
    }
}

/* ------------------------------------------------------------------ NHWC */

/* One vector step of the reduction at offset c of every run. */
I2W_INLINE void nhwc_step(vf acc[NHWC_PB][NHWC_KB], const float *const *xp,
                          const float *wp, size_t wk, int c, vm m, int full,
                          int np, int kb)
{
    vf xv[NHWC_PB];
    for (int p = 0; p < NHWC_PB; p++)
        xv[p] = p >= np || !xp[p] ? v_zero()
                    : full ? v_loadu(xp[p] + c)
                           : v_load(xp[p] + c, m);
    for (int i = 0; i < NHWC_KB; i++)
        if (i < kb) {
            const vf wv = full ? v_loadu(wp + i * wk + c)
                               : v_load(wp + i * wk + c, m);
            for (int p = 0; p < NHWC_PB; p++)
                if (p < np)
                    acc[p][i] = v_fma(xv[p], wv, acc[p][i]);
        }
}

/* acc[p][i] += dot(xp[p][0..len), wp[i*wk + 0..len)); xp[p] is NULL for
 * a pixel whose taps fall in the padding. */
I2W_INLINE void nhwc_run(vf acc[NHWC_PB][NHWC_KB], const float *const *xp,
                         const float *wp, size_t wk, int len, int np, int kb)
{
    int c = 0;
    for (; c + VL <= len; c += VL)
        nhwc_step(acc, xp, wp, wk, c, m_all(), 1, np, kb);
    if (c < len)
        nhwc_step(acc, xp, wp, wk, c, m_range(c, 1, len), 0, np, kb);
}

/* Pixels [wo0, wo0 + np) of output row ho, kb output channels.  x: the
 * image with its channel offset of the group; w: filter of channel k0;
 * y: (ho, wo0, k0) of the image. */
I2W_INLINE void nhwc_tile(const i2w_shape *sh, const float *x,
                          const float *w, const float *bias, float *y,
                          int ho, int wo0, int np, int kb)
{
    const size_t wk = (size_t)sh->r * sh->s * sh->cg;
    vf acc[NHWC_PB][NHWC_KB];
    const float *xp[NHWC_PB];
    for (int p = 0; p < NHWC_PB; p++)
        for (int i = 0; i < NHWC_KB; i++)
            acc[p][i] = v_zero();
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
            for (int p = 0; p < NHWC_PB; p++)
                xp[p] = xr + (size_t)(wi_first + p * sh->sw) * sh->c;
            nhwc_run(acc, xp, wr, wk, sh->s * sh->c, np, kb);
            continue;
        }
        for (int s = 0; s < sh->s; s++) {
            for (int p = 0; p < NHWC_PB; p++) {
                const int wi = wi_first + p * sh->sw + s * sh->dw;
                xp[p] = wi >= 0 && wi < sh->w ? xr + (size_t)wi * sh->c
                                              : NULL;
            }
            nhwc_run(acc, xp, wr + (size_t)s * sh->cg, wk, sh->cg, np, kb);
        }
    }
    for (int p = 0; p < NHWC_PB; p++)
        for (int i = 0; i < NHWC_KB; i++)
            if (p < np && i < kb)
                y[(size_t)p * sh->k + i] =
                    v_hsum(acc[p][i]) + (bias ? bias[i] : 0.0f);
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

/* Pixels [wo0, wo0 + np) of output row ho, kb output channels, the images
 * [n0, n0 + VL) of mask mn.  Activations have ldn images per pixel.
 * x: the group's first input channel; w: filter column k0 of
 * [C/g][R][S][K]; y: (k0, ho, 0, 0). */
I2W_INLINE void chwn_tile(const i2w_shape *sh, const float *x,
                          const float *w, const float *bias, float *y,
                          int ldn, int ho, int wo0, int n0, vm mn, int np,
                          int kb)
{
    const size_t xc = (size_t)sh->h * sh->w * ldn;
    const size_t wc = (size_t)sh->r * sh->s * sh->k;
    const size_t yk = (size_t)sh->ho * sh->wo * ldn;
    vf acc[CHWN_PB][CHWN_KB];
    for (int p = 0; p < CHWN_PB; p++)
        for (int i = 0; i < CHWN_KB; i++)
            acc[p][i] = bias && i < kb ? v_set1(bias[i]) : v_zero();
    for (int r = 0; r < sh->r; r++) {
        const int hi = ho * sh->sh - sh->ph + r * sh->dh;
        if (hi < 0 || hi >= sh->h)
            continue;
        for (int s = 0; s < sh->s; s++) {
            const float *xp[CHWN_PB];
            vm mp[CHWN_PB];
            for (int p = 0; p < CHWN_PB; p++) {
                const int wi = (wo0 + p) * sh->sw - sh->pw + s * sh->dw;
                const int in = p < np && wi >= 0 && wi < sh->w;
                /* a pixel in the padding loads nothing and adds zeros */
                xp[p] = in ? x + ((size_t)hi * sh->w + wi) * ldn + n0 : x;
                mp[p] = in ? mn : m_none();
            }
            const float *wp = w + ((size_t)r * sh->s + s) * sh->k;
            for (int c = 0; c < sh->cg; c++) {
                vf xv[CHWN_PB];
                for (int p = 0; p < CHWN_PB; p++)
                    xv[p] = p < np ? v_load(xp[p] + c * xc, mp[p]) : v_zero();
                for (int i = 0; i < CHWN_KB; i++)
                    if (i < kb) {
                        const vf wv = v_set1(wp[c * wc + i]);
                        for (int p = 0; p < CHWN_PB; p++)
                            if (p < np)
                                acc[p][i] = v_fma(xv[p], wv, acc[p][i]);
                    }
            }
        }
    }
    for (int p = 0; p < CHWN_PB; p++)
        for (int i = 0; i < CHWN_KB; i++)
            if (p < np && i < kb)
                v_store(y + i * yk + (size_t)(wo0 + p) * ldn + n0, acc[p][i],
                        mn);
}

/* nblk blocks of ldn images each ([nblk][C][H][W][ldn]): CHWN is one
 * block of N, CHWN8 N/8 blocks of 8 (padding lanes computed, unspecified). */
static void chwn_forward(const i2w_shape *sh, const float *x, const float *w,
                         const float *bias, float *y, int ldn, int nblk,
                         int threads)
{
    const size_t xblk = (size_t)sh->c * sh->h * sh->w * ldn;
    const size_t yplane = (size_t)sh->ho * sh->wo * ldn;
    const long tasks = task_count(sh, nblk, CHWN_KB);
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (long t = 0; t < tasks; t++) {
        const task tk = task_of(sh, t, CHWN_KB);
        const int ho = tk.ho, k0 = tk.k0, kb = tk.kb;
        const float *xg = x + tk.n * xblk +
                          (size_t)tk.g * sh->cg * sh->h * sh->w * ldn;
        const float *bg = bias ? bias + k0 : NULL;
        float *yg = y + ((size_t)tk.n * sh->k + k0) * yplane +
                    (size_t)ho * sh->wo * ldn;
        for (int wo0 = 0; wo0 < sh->wo; wo0 += CHWN_PB) {
            const int np = min_int(CHWN_PB, sh->wo - wo0);
            for (int n0 = 0; n0 < ldn; n0 += VL) {
                const vm mn = m_range(n0, 1, ldn);
                if (np == CHWN_PB && kb == CHWN_KB)
                    chwn_tile(sh, xg, w + k0, bg, yg, ldn, ho, wo0, n0, mn,
                              CHWN_PB, CHWN_KB);
                else
                    chwn_tile(sh, xg, w + k0, bg, yg, ldn, ho, wo0, n0, mn,
                              np, kb);
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
