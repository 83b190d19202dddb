/* IM2COL_GEMM forward, the baseline im2win is measured against: per chunk
 * of images, unroll every filter tap of every output pixel into columns
 * [g][red][pix] (R*S times the input), multiply by the packed filter with
 * cuBLAS, and scatter the [g][pix][kg] product into y's layout. */
#include <limits.h>

#include "cuda/plugin.h"

/* Columns plus product floats allowed per chunk (1 GiB). */
#define CHUNK_CAP (256LL << 20)

__global__ void i2w_cuda_im2col_kernel(i2w_shape sh, i2w_cuda_strides xs,
                                       const float *__restrict__ x,
                                       float *__restrict__ col, int images)
{
    int pixels = images * sh.ho * sh.wo, red = sh.cg * sh.r * sh.s;
    long long total = (long long)sh.g * red * pixels;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
         i < total; i += (long long)gridDim.x * blockDim.x) {
        int pix = (int)(i % pixels);
        long long t = i / pixels;
        int e = (int)(t % red);
        int g = (int)(t / red);
        int s = e % sh.s, r = e / sh.s % sh.r, c = e / (sh.s * sh.r);
        int wo = pix % sh.wo, ho = pix / sh.wo % sh.ho;
        int n = pix / (sh.wo * sh.ho);
        int h = ho * sh.sh - sh.ph + r * sh.dh;
        int w = wo * sh.sw - sh.pw + s * sh.dw;
        col[i] = h >= 0 && h < sh.h && w >= 0 && w < sh.w
                     ? x[i2w_cuda_offset(xs, n, g * sh.cg + c, h, w)]
                     : 0.0f;
    }
}

__global__ void i2w_cuda_im2col_scatter_kernel(
    i2w_shape sh, i2w_cuda_strides ys, const float *__restrict__ prod,
    const float *__restrict__ bias, float *__restrict__ y, int images)
{
    int pixels = images * sh.ho * sh.wo;
    long long total = (long long)sh.g * pixels * sh.kg;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
         i < total; i += (long long)gridDim.x * blockDim.x) {
        int kk = (int)(i % sh.kg);
        long long t = i / sh.kg;
        int pix = (int)(t % pixels);
        int k = (int)(t / pixels) * sh.kg + kk;
        int wo = pix % sh.wo, ho = pix / sh.wo % sh.ho;
        int n = pix / (sh.wo * sh.ho);
        y[i2w_cuda_offset(ys, n, k, ho, wo)] =
            prod[i] + (bias ? bias[k] : 0.0f);
    }
}

static i2w_status execute(i2w_plan *plan, const float *x, const float *w,
                          const float *bias, float *y)
{
    const i2w_shape *sh = &plan->shape;
    const i2w_cuda_plan *cp = (const i2w_cuda_plan *)plan->priv;
    cudaStream_t st = i2w_cuda_stream(plan->ctx);
    i2w_status s = i2w_cuda_pack_filter(plan, w);
    if (s != I2W_OK)
        return s;
    i2w_cuda_strides xs =
        i2w_cuda_act_strides(sh->layout, sh->nb, sh->c, sh->h, sh->w);
    i2w_cuda_strides ys =
        i2w_cuda_act_strides(sh->layout, sh->nb, sh->k, sh->ho, sh->wo);
    for (int n0 = 0; n0 < sh->nb; n0 += cp->chunk) {
        int nc = sh->nb - n0 < cp->chunk ? sh->nb - n0 : cp->chunk;
        int pixels = nc * sh->ho * sh->wo;
        long long cols = (long long)sh->g * cp->red * pixels;
        const float *xc = x + i2w_act_offset(sh->layout, sh->nb, sh->c,
                                             sh->h, sh->w, n0, 0, 0, 0);
        /* the chunk's images are consecutive in every layout but CHWN,
         * which is one chunk; xs then still indexes from the chunk start */
        i2w_cuda_im2col_kernel<<<i2w_cuda_blocks(cols, 256), 256, 0, st>>>(
            *sh, xs, xc, cp->buffer, nc);
        I2W_CUDA_LAUNCHED(plan->ctx, "im2col");
        s = i2w_cuda_cublas_gemm(plan->ctx, sh->kg, pixels, cp->red, sh->g,
                                 cp->packed, (long long)cp->red * sh->kg,
                                 cp->buffer, (long long)cp->red * pixels,
                                 cp->product, (long long)pixels * sh->kg);
        if (s != I2W_OK)
            return s;
        float *yc = y + i2w_act_offset(sh->layout, sh->nb, sh->k, sh->ho,
                                       sh->wo, n0, 0, 0, 0);
        long long outs = (long long)sh->g * pixels * sh->kg;
        i2w_cuda_im2col_scatter_kernel<<<i2w_cuda_blocks(outs, 256), 256, 0,
                                         st>>>(*sh, ys, cp->product, bias, yc,
                                               nc);
        I2W_CUDA_LAUNCHED(plan->ctx, "im2col scatter");
    }
    return I2W_OK;
}

i2w_status i2w_cuda_im2col_plan(i2w_plan *plan)
{
    const i2w_shape *sh = &plan->shape;
    i2w_cuda_plan *cp = (i2w_cuda_plan *)plan->priv;
    i2w_status st = i2w_cuda_cublas_load(plan->ctx);
    if (st != I2W_OK)
        return st;
    cp->red = sh->cg * sh->r * sh->s;
    cp->red_pad = cp->red; /* cuBLAS takes any reduction length */
    cp->kpad = sh->kg;
    long long per_image =
        (long long)sh->g * (cp->red + sh->kg) * sh->ho * sh->wo;
    int step = sh->layout == I2W_LAYOUT_CHWN8 ? 8 : 1;
    long long fit = CHUNK_CAP / (per_image * step) * step;
    cp->chunk = sh->layout == I2W_LAYOUT_CHWN ? sh->nb
                : fit < step                  ? step
                : fit < sh->nb                ? (int)fit
                                              : sh->nb;
    long long pixels = (long long)cp->chunk * sh->ho * sh->wo;
    if (pixels * cp->red >= INT_MAX || pixels * sh->kg >= INT_MAX)
        return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                        "IM2COL_GEMM on CUDA: a chunk of %lld pixels x %d "
                        "taps is too large for cuBLAS",
                        pixels, cp->red);
    size_t packed =
        i2w_cuda_align((size_t)sh->g * cp->red * sh->kg * sizeof(float));
    size_t cols = i2w_cuda_align((size_t)sh->g * cp->red * pixels *
                                 sizeof(float));
    size_t prod =
        i2w_cuda_align((size_t)sh->g * sh->kg * pixels * sizeof(float));
    size_t table = i2w_cuda_align((size_t)cp->red * sizeof(int));
    st = i2w_cuda_plan_workspace(plan, packed + cols + prod + table);
    if (st != I2W_OK)
        return st;
    char *base = (char *)plan->workspace;
    cp->packed = (float *)base;
    cp->buffer = (float *)(base + packed);
    cp->product = (float *)(base + packed + cols);
    cp->red_filter = (int *)(base + packed + cols + prod);
    cp->execute = execute;
    return i2w_cuda_reduction_tables(plan, 0, NULL);
}
