/* The IM2COL_GEMM baseline, as frameworks did it: for one image (and one
 * group) at a time, copy every filter window of the input into a column
 * matrix, then one OpenBLAS sgemm (multithreaded by OpenBLAS) multiplies
 * it with the filter straight into y.  Each layout uses its natural form,
 * so no whole-tensor conversion is needed:
 *   NCHW   y[k][pix]   = w[k][crs]        x col[crs][pix]
 *   NHWC   y[pix][k]   = col[pix][rsc]    x w[k][rsc]^T
 *   CHWN   y[k][pix n] = w[crs][k]^T      x col[crs][pix n]
 * (CHWN8: the same per block of 8 images).  For CHWN the column matrix
 * covers a chunk of output rows whose size matches one image's, so the
 * workspace is one image's column matrix in every layout.  A 1x1 filter
 * with unit stride and no padding needs no copy: x is the column matrix. */
#include <limits.h>
#include <string.h>

#include "config.h"
#include "x86/x86.h"

#ifdef I2W_HAVE_OPENBLAS
#include <cblas.h>

/* The geometry of one plan's products. */
typedef struct {
    int unit;     /* 1x1 filter, stride 1, no padding: x is the column matrix */
    int crs;      /* reduction length: C/g * R * S */
    int ldn;      /* images per pixel: N for CHWN, 8 for CHWN8, else 1 */
    int rows;     /* output rows per column matrix (CHWN, CHWN8) */
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
    return g;
}

/* Elements of the column matrix, 0 when x is used in place. */
static size_t col_elems(const i2w_shape *sh, const geometry *g)
{
    if (g->unit)
        return 0;
    return (size_t)g->crs * g->rows * sh->wo * g->ldn;
}

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

static void forward_nchw(const i2w_shape *sh, const geometry *ge,
                         const float *x, const float *w, const float *bias,
                         float *y, float *col, int threads)
{
    const int howo = sh->ho * sh->wo;
    const size_t hw = (size_t)sh->h * sh->w;
    for (int n = 0; n < sh->n; n++)
        for (int g = 0; g < sh->g; g++) {
            const float *xg = x + ((size_t)n * sh->c + (size_t)g * sh->cg) * hw;
            float *yg = y + ((size_t)n * sh->k + (size_t)g * sh->kg) * howo;
            if (!ge->unit)
                im2col_planar(sh, xg, col, 0, sh->ho, 1, threads);
            if (bias)
                fill_bias(yg, sh->kg, howo, howo, bias + g * sh->kg, 1,
                          threads);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, sh->kg,
                        howo, ge->crs, 1.0f, w + (size_t)g * sh->kg * ge->crs,
                        ge->crs, ge->unit ? xg : col, howo, bias ? 1.0f : 0.0f,
                        yg, howo);
        }
}

static void forward_nhwc(const i2w_shape *sh, const geometry *ge,
                         const float *x, const float *w, const float *bias,
                         float *y, float *col, int threads)
{
    const int howo = sh->ho * sh->wo;
    const size_t image = (size_t)sh->h * sh->w * sh->c;
    for (int n = 0; n < sh->n; n++)
        for (int g = 0; g < sh->g; g++) {
            const float *xg = x + n * image + (size_t)g * sh->cg;
            float *yg = y + (size_t)n * howo * sh->k + (size_t)g * sh->kg;
            if (!ge->unit)
                im2col_nhwc(sh, xg, col, threads);
            if (bias)
                fill_bias(yg, howo, sh->kg, sh->k, bias + g * sh->kg, 0,
                          threads);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, howo, sh->kg,
                        ge->crs, 1.0f, ge->unit ? xg : col,
                        ge->unit ? sh->c : ge->crs,
                        w + (size_t)g * sh->kg * ge->crs, ge->crs,
                        bias ? 1.0f : 0.0f, yg, sh->k);
        }
}

/* CHWN, and CHWN8 block by block. */
static void forward_chwn(const i2w_shape *sh, const geometry *ge,
                         const float *x, const float *w, const float *bias,
                         float *y, float *col, int threads)
{
    const int e = ge->ldn, nblk = sh->nb / e;
    const size_t in_plane = (size_t)sh->h * sh->w * e;
    const size_t plane = (size_t)sh->ho * sh->wo * e;
    for (int b = 0; b < nblk; b++)
        for (int g = 0; g < sh->g; g++) {
            const float *xg = x + ((size_t)b * sh->c + (size_t)g * sh->cg) *
                                      in_plane;
            float *yg = y + ((size_t)b * sh->k + (size_t)g * sh->kg) * plane;
            for (int ho0 = 0; ho0 < sh->ho; ho0 += ge->rows) {
                const int ho1 = ho0 + ge->rows < sh->ho ? ho0 + ge->rows
                                                        : sh->ho;
                const int len = (ho1 - ho0) * sh->wo * e;
                float *yc = yg + (size_t)ho0 * sh->wo * e;
                if (!ge->unit)
                    im2col_planar(sh, xg, col, ho0, ho1, e, threads);
                if (bias)
                    fill_bias(yc, sh->kg, len, plane, bias + g * sh->kg, 1,
                              threads);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, sh->kg,
                            len, ge->crs, 1.0f, w + (size_t)g * sh->kg, sh->k,
                            ge->unit ? xg : col,
                            ge->unit ? (int)in_plane : len,
                            bias ? 1.0f : 0.0f, yc, (int)plane);
            }
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
    const size_t elems = col_elems(&plan->shape, &g);
    plan->workspace = NULL;
    plan->workspace_bytes = elems * sizeof(float);
    if (elems) {
        i2w_status st = i2w_host_alloc(plan->ctx, &plan->workspace,
                                       plan->workspace_bytes);
        if (st) {
            plan->workspace_bytes = 0;
            return st;
        }
    }
    return I2W_OK;
}

static i2w_status im2col_execute(i2w_plan *plan, const float *x,
                                 const float *w, const float *bias, float *y)
{
    const i2w_shape *sh = &plan->shape;
    const geometry g = geometry_of(sh);
    const int threads = plan->ctx->threads;
    openblas_set_num_threads(threads);
    switch (sh->layout) {
    case I2W_LAYOUT_NCHW:
        forward_nchw(sh, &g, x, w, bias, y, plan->workspace, threads);
        break;
    case I2W_LAYOUT_NHWC:
        forward_nhwc(sh, &g, x, w, bias, y, plan->workspace, threads);
        break;
    case I2W_LAYOUT_CHWN:
    case I2W_LAYOUT_CHWN8:
        forward_chwn(sh, &g, x, w, bias, y, plan->workspace, threads);
        break;
    }
    return I2W_OK;
}

static void im2col_destroy(i2w_plan *plan)
{
    i2w_host_free(plan->ctx, plan->workspace);
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
