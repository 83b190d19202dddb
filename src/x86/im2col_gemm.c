/* The IM2COL_GEMM baseline, as frameworks did it: for one image (and one
 * group) at a time, copy every filter window of the input into a column
 * matrix, then one OpenBLAS sgemm multiplies it with the filter straight
 * into y.  Each layout uses its natural form, so no whole-tensor
 * conversion is needed:
 *   NCHW   y[k][pix]   = w[k][crs]        x col[crs][pix]
 *   NHWC   y[pix][k]   = col[pix][rsc]    x w[k][rsc]^T
 *   CHWN   y[k][pix n] = w[crs][k]^T      x col[crs][pix n]
 * (CHWN8: the same per block of 8 images).  For CHWN the column matrix
 * covers a chunk of output rows whose size matches one image's, so the
 * workspace is one image's column matrix per thread in every layout.  A
 * 1x1 filter with unit stride and no padding needs no copy: x is the
 * column matrix. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "config.h"
#include "x86/x86.h"

/* The geometry of one plan's products. */
typedef struct {
    int unit;     /* 1x1 filter, stride 1, no padding: x is the column matrix */
    int crs;      /* reduction length: C/g * R * S */
    int ldn;      /* images per pixel: N for CHWN, 8 for CHWN8, else 1 */
    int rows;     /* output rows per column matrix (CHWN, CHWN8) */
    int chunks;   /* column matrices per block of images (CHWN, CHWN8) */
    long units;   /* products: (image or row chunk of a block) x group */
} geometry;

static geometry geometry_of(const i2w_shape *sh)
{
    geometry g;
    g.unit = sh->r == 1 && sh->s == 1 && sh->sh == 1 && sh->sw == 1 &&
             sh->ph == 0 && sh->pw == 0;
    /* an int once fits_blas has accepted the shape */
    g.crs = (int)((size_t)sh->cg * sh->r * sh->s);
    g.ldn = sh->layout == I2W_LAYOUT_CHWN    ? sh->n
            : sh->layout == I2W_LAYOUT_CHWN8 ? 8
                                             : 1;
    /* as many rows as make ho*wo columns, all of them when nothing is
     * copied */
    g.rows = g.unit ? sh->ho : (sh->ho + g.ldn - 1) / g.ldn;
    g.chunks = (sh->ho + g.rows - 1) / g.rows;
    g.units = (long)(sh->nb / g.ldn) * g.chunks * sh->g;
    return g;
}

/* Elements of the column matrix, 0 when x is used in place. */
static size_t col_elems(const i2w_shape *sh, const geometry *g)
{
    if (g->unit)
        return 0;
    return (size_t)g->crs * g->rows * sh->wo * g->ldn;
}

/* Column matrices the plan holds: one per thread when the products are
 * shared out among the threads, else one. */
static int plan_buffers(const geometry *ge, int threads)
{
    return ge->units >= threads ? threads : 1;
}

size_t i2w_x86_im2col_workspace(const i2w_shape *sh, int threads)
{
    const geometry g = geometry_of(sh);
    return col_elems(sh, &g) * sizeof(float) *
           (size_t)plan_buffers(&g, threads);
}

#ifdef I2W_HAVE_OPENBLAS
#include <cblas.h>

/* Every dimension and leading dimension handed to sgemm fits in int. */
static int fits_blas(const i2w_shape *sh, const geometry *g)
{
    const size_t plane = (size_t)sh->ho * sh->wo * g->ldn;
    const size_t cols = (size_t)g->rows * sh->wo * g->ldn;
    const size_t in_plane = (size_t)sh->h * sh->w * g->ldn;
    return (size_t)sh->cg * sh->r * sh->s <= INT_MAX && plane <= INT_MAX &&
           cols <= INT_MAX && in_plane <= INT_MAX;
}

/* dst[wo*e .. wo*e + e) = src[(start + wo*step)*e ..] for wo in [0, n),
 * zeros where that input column is outside [0, w).  e floats per pixel. */
static void gather_row(float *dst, const float *src, int n, int start,
                       int step, int w, int e)
{
    int lo = start >= 0 ? 0 : (-start + step - 1) / step;
    int hi = w > start ? (w - start + step - 1) / step : 0;
    hi = hi < n ? hi : n;
    lo = lo < hi ? lo : hi;
    const size_t es = (size_t)e * sizeof(float);
    memset(dst, 0, (size_t)lo * es);
    if (step == 1)
        memcpy(dst + (size_t)lo * e, src + (size_t)(start + lo) * e,
               (size_t)(hi - lo) * es);
    else if (e == 1)
        for (int i = lo; i < hi; i++)
            dst[i] = src[start + i * step];
    else
        for (int i = lo; i < hi; i++)
            memcpy(dst + (size_t)i * e, src + (size_t)(start + i * step) * e,
                   es);
    memset(dst + (size_t)hi * e, 0, (size_t)(n - hi) * es);
}

/* Column matrix [crs][(ho - ho0)*wo*e] of output rows [ho0, ho1) from a
 * planar input (NCHW: e = 1; CHWN: e = images per pixel); x is the
 * group's first channel. */
static void im2col_planar(const i2w_shape *sh, const float *x, float *col,
                          int ho0, int ho1, int e, int threads)
{
    const int rs = sh->r * sh->s, crs = sh->cg * rs;
    const size_t row = (size_t)sh->wo * e, len = (size_t)(ho1 - ho0) * row;
    const size_t plane = (size_t)sh->h * sh->w * e;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int q = 0; q < crs; q++) {
        const int c = q / rs, r = q / sh->s % sh->r, s = q % sh->s;
        float *dst = col + (size_t)q * len;
        for (int ho = ho0; ho < ho1; ho++, dst += row) {
            const int hi = ho * sh->sh - sh->ph + r * sh->dh;
            if (hi < 0 || hi >= sh->h)
                memset(dst, 0, row * sizeof(float));
            else
                gather_row(dst, x + c * plane + (size_t)hi * sh->w * e,
                           sh->wo, s * sh->dw - sh->pw, sh->sw, sh->w, e);
        }
    }
}

/* Column matrix [ho*wo][R*S*C/g] of one NHWC image; x is the image with
 * the group's channel offset. */
static void im2col_nhwc(const i2w_shape *sh, const float *x, float *col,
                        int threads)
{
    const int pixels = sh->ho * sh->wo, cg = sh->cg;
    const size_t crs = (size_t)cg * sh->r * sh->s;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int pix = 0; pix < pixels; pix++) {
        const int ho = pix / sh->wo, wo = pix % sh->wo;
        float *dst = col + (size_t)pix * crs;
        for (int r = 0; r < sh->r; r++) {
            const int hi = ho * sh->sh - sh->ph + r * sh->dh;
            for (int s = 0; s < sh->s; s++, dst += cg) {
                const int wi = wo * sh->sw - sh->pw + s * sh->dw;
                if (hi < 0 || hi >= sh->h || wi < 0 || wi >= sh->w)
                    memset(dst, 0, (size_t)cg * sizeof(float));
                else
                    memcpy(dst, x + ((size_t)hi * sh->w + wi) * sh->c,
                           (size_t)cg * sizeof(float));
            }
        }
    }
}

/* c[i][j] = bias[i] (by_row) or bias[j], for an m x n matrix of ldc. */
static void fill_bias(float *c, int m, int n, size_t ldc, const float *bias,
                      int by_row, int threads)
{
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
            c[(size_t)i * ldc + j] = by_row ? bias[i] : bias[j];
}

/* One product: the output rows [ho0, ho1) of image or block b, group g.
 * NCHW and NHWC always take every row of an image; CHWN a chunk. */
typedef struct {
    int b, g, ho0, ho1;
} product;

static product product_of(const i2w_shape *sh, const geometry *ge, long u)
{
    product p;
    p.g = (int)(u % sh->g);
    u /= sh->g;
    const int chunk = (int)(u % ge->chunks);
    p.b = (int)(u / ge->chunks);
    p.ho0 = chunk * ge->rows;
    p.ho1 = p.ho0 + ge->rows < sh->ho ? p.ho0 + ge->rows : sh->ho;
    return p;
}

/* The input of product p, group offset applied. */
static const float *product_x(const i2w_shape *sh, const geometry *ge,
                              const product *p, const float *x)
{
    if (sh->layout == I2W_LAYOUT_NHWC)
        return x + (size_t)p->b * sh->h * sh->w * sh->c + (size_t)p->g * sh->cg;
    return x + ((size_t)p->b * sh->c + (size_t)p->g * sh->cg) * sh->h *
                   sh->w * ge->ldn;
}

/* Columns of product p's output that the sgemm can split (NHWC: rows). */
static int product_len(const i2w_shape *sh, const geometry *ge,
                       const product *p)
{
    return (p->ho1 - p->ho0) * sh->wo * ge->ldn;
}

/* Copies product p's windows into col (unless x is used in place) and
 * sets its output to the bias when there is one, on `threads` threads. */
static void product_prepare(const i2w_shape *sh, const geometry *ge,
                            const product *p, const float *x,
                            const float *bias, float *y, float *col,
                            int threads)
{
    const float *xp = product_x(sh, ge, p, x);
    const size_t plane = (size_t)sh->ho * sh->wo * ge->ldn;
    const int len = product_len(sh, ge, p);
    if (!ge->unit) {
        if (sh->layout == I2W_LAYOUT_NHWC)
            im2col_nhwc(sh, xp, col, threads);
        else
            im2col_planar(sh, xp, col, p->ho0, p->ho1, ge->ldn, threads);
    }
    if (!bias)
        return;
    bias += (size_t)p->g * sh->kg;
    if (sh->layout == I2W_LAYOUT_NHWC)
        fill_bias(y + (size_t)p->b * plane * sh->k + (size_t)p->g * sh->kg,
                  len, sh->kg, sh->k, bias, 0, threads);
    else
        fill_bias(y + ((size_t)p->b * sh->k + (size_t)p->g * sh->kg) * plane +
                      (size_t)p->ho0 * sh->wo * ge->ldn,
                  sh->kg, len, plane, bias, 1, threads);
}

/* Columns [j0, j1) of product p's output (NHWC: its rows of pixels):
 * one single-threaded sgemm, added to the bias when there is one. */
static void product_gemm(const i2w_shape *sh, const geometry *ge,
                         const product *p, const float *x, const float *w,
                         int with_bias, float *y, const float *col, int j0,
                         int j1)
{
    const float *xp = product_x(sh, ge, p, x);
    const size_t plane = (size_t)sh->ho * sh->wo * ge->ldn;
    const int len = product_len(sh, ge, p), crs = ge->crs;
    const float beta = with_bias ? 1.0f : 0.0f;
    switch (sh->layout) {
    case I2W_LAYOUT_NCHW:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, sh->kg,
                    j1 - j0, crs, 1.0f, w + (size_t)p->g * sh->kg * crs, crs,
                    (ge->unit ? xp : col) + j0, len, beta,
                    y + ((size_t)p->b * sh->k + (size_t)p->g * sh->kg) * plane +
                        j0,
                    len);
        break;
    case I2W_LAYOUT_NHWC:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j1 - j0, sh->kg,
                    crs, 1.0f,
                    ge->unit ? xp + (size_t)j0 * sh->c : col + (size_t)j0 * crs,
                    ge->unit ? sh->c : crs, w + (size_t)p->g * sh->kg * crs,
                    crs, beta,
                    y + ((size_t)p->b * plane + j0) * sh->k +
                        (size_t)p->g * sh->kg,
                    sh->k);
        break;
    case I2W_LAYOUT_CHWN:
    case I2W_LAYOUT_CHWN8:
        /* in place, x's rows are whole input planes: ldb is the plane */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, sh->kg, j1 - j0,
                    crs, 1.0f, w + (size_t)p->g * sh->kg, sh->k,
                    (ge->unit ? xp : col) + j0,
                    ge->unit ? (int)((size_t)sh->h * sh->w * ge->ldn) : len,
                    beta,
                    y + ((size_t)p->b * sh->k + (size_t)p->g * sh->kg) * plane +
                        (size_t)p->ho0 * sh->wo * ge->ldn + j0,
                    (int)plane);
        break;
    }
}

static i2w_status im2col_create(i2w_plan *plan, i2w_isa isa)
{
    (void)isa; /* the ISA is OpenBLAS's choice */
    const geometry g = geometry_of(&plan->shape);
    if (!fits_blas(&plan->shape, &g))
        return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                        "x86 IM2COL_GEMM: a matrix of this shape exceeds "
                        "the int dimensions of sgemm");
    int *buffers = malloc(sizeof *buffers);
    if (!buffers)
        return i2w_fail(plan->ctx, I2W_ERR_OUT_OF_MEMORY,
                        "x86 IM2COL_GEMM: out of host memory");
    *buffers = plan_buffers(&g, plan->ctx->threads);
    const size_t elems = col_elems(&plan->shape, &g);
    plan->workspace = NULL;
    plan->workspace_bytes = 0;
    if (elems) {
        const size_t bytes = elems * sizeof(float) * (size_t)*buffers;
        i2w_status st = i2w_host_alloc(plan->ctx, &plan->workspace, bytes);
        if (st) {
            free(buffers);
            return st;
        }
        plan->workspace_bytes = bytes;
    }
    plan->priv = buffers;
    return I2W_OK;
}

/* The threads are OpenMP's: either the products are shared out, one
 * column matrix per thread, or, with fewer products than threads, each
 * product's copy and sgemm are split among them.  Every sgemm is
 * single-threaded. */
static void run_products(const i2w_plan *plan, const float *x, const float *w,
                         const float *bias, float *y)
{
    const i2w_shape *sh = &plan->shape;
    const geometry g = geometry_of(sh);
    const int threads = plan->ctx->threads, buffers = *(int *)plan->priv;
    float *ws = plan->workspace;
    const size_t col = col_elems(sh, &g);
    if (buffers > 1 && g.units >= threads) {
        const int t = threads < buffers ? threads : buffers;
        (void)t;
#ifdef _OPENMP
#pragma omp parallel for num_threads(t) schedule(dynamic)
#endif
        for (long u = 0; u < g.units; u++) {
            const product p = product_of(sh, &g, u);
            float *mine = ws ? ws + (size_t)i2w_x86_thread() * col : NULL;
            product_prepare(sh, &g, &p, x, bias, y, mine, 1);
            product_gemm(sh, &g, &p, x, w, bias != NULL, y, mine, 0,
                         product_len(sh, &g, &p));
        }
        return;
    }
    for (long u = 0; u < g.units; u++) {
        const product p = product_of(sh, &g, u);
        const int len = product_len(sh, &g, &p);
        /* slices of whole cache lines */
        const int slice = ((len + threads - 1) / threads + 15) / 16 * 16;
        product_prepare(sh, &g, &p, x, bias, y, ws, threads);
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
        for (int j0 = 0; j0 < len; j0 += slice)
            product_gemm(sh, &g, &p, x, w, bias != NULL, y, ws, j0,
                         j0 + slice < len ? j0 + slice : len);
    }
}

/* OpenBLAS's own threads would run beside libgomp's, which spin a while
 * after each copy: on 2 cores that oversubscription measured 2-3x slower
 * than single-threaded sgemm calls on OpenMP threads.  The caller's
 * OpenBLAS thread count is restored. */
static i2w_status im2col_execute(i2w_plan *plan, const float *x,
                                 const float *w, const float *bias, float *y)
{
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    run_products(plan, x, w, bias, y);
    openblas_set_num_threads(blas_threads);
    return I2W_OK;
}

static void im2col_destroy(i2w_plan *plan)
{
    free(plan->priv);
    i2w_host_free(plan->ctx, plan->workspace);
    plan->priv = NULL;
    plan->workspace = NULL;
    plan->workspace_bytes = 0;
}

#else /* no OpenBLAS: the family declines every shape */

static i2w_status im2col_create(i2w_plan *plan, i2w_isa isa)
{
    (void)isa;
    return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                    "x86 IM2COL_GEMM needs OpenBLAS, which this build was "
                    "configured without");
}

static i2w_status im2col_execute(i2w_plan *plan, const float *x,
                                 const float *w, const float *bias, float *y)
{
    (void)x, (void)w, (void)bias, (void)y;
    return i2w_fail(plan->ctx, I2W_ERR_INTERNAL,
                    "x86 IM2COL_GEMM executed without a plan");
}

static void im2col_destroy(i2w_plan *plan)
{
    (void)plan;
}
#endif

const i2w_x86_algo i2w_x86_im2col_gemm = {
    .create = im2col_create,
    .execute = im2col_execute,
    .destroy = im2col_destroy,
};
