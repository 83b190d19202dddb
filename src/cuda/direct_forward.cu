/* DIRECT forward: one thread per output element, the plain sum over the
 * filter taps.  The baseline the GEMM algorithms are measured against. */
#include "cuda/plugin.h"

__global__ void i2w_cuda_direct_forward_kernel(
    i2w_shape sh, i2w_cuda_strides xs, i2w_cuda_strides fs,
    i2w_cuda_strides ys, const float *__restrict__ x,
    const float *__restrict__ w, const float *__restrict__ bias,
    float *__restrict__ y)
{
    long long total = (long long)sh.n * sh.k * sh.ho * sh.wo;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
         i < total; i += (long long)gridDim.x * blockDim.x) {
        int wo = (int)(i % sh.wo);
        long long t = i / sh.wo;
        int ho = (int)(t % sh.ho);
        t /= sh.ho;
        int k = (int)(t % sh.k);
        int n = (int)(t / sh.k);
        int c0 = k / sh.kg * sh.cg;
        float acc = bias ? bias[k] : 0.0f;
        for (int c = 0; c < sh.cg; c++)
            for (int r = 0; r < sh.r; r++) {
                int h = ho * sh.sh - sh.ph + r * sh.dh;
                if (h < 0 || h >= sh.h)
                    continue;
                for (int s = 0; s < sh.s; s++) {
                    int ww = wo * sh.sw - sh.pw + s * sh.dw;
                    if (ww < 0 || ww >= sh.w)
                        continue;
                    acc = fmaf(x[i2w_cuda_offset(xs, n, c0 + c, h, ww)],
                               w[i2w_cuda_offset(fs, k, c, r, s)], acc);
                }
            }
        y[i2w_cuda_offset(ys, n, k, ho, wo)] = acc;
    }
}

i2w_status i2w_cuda_direct_forward(i2w_plan *plan, const float *x,
                                   const float *w, const float *bias,
                                   float *y)
{
    const i2w_shape *sh = &plan->shape;
    long long total = (long long)sh->n * sh->k * sh->ho * sh->wo;
    i2w_cuda_direct_forward_kernel<<<i2w_cuda_blocks(total, 256), 256, 0,
                                     i2w_cuda_stream(plan->ctx)>>>(
        *sh, i2w_cuda_act_strides(sh->layout, sh->nb, sh->c, sh->h, sh->w),
        i2w_cuda_filter_strides(sh->layout, sh->k, sh->cg, sh->r, sh->s),
        i2w_cuda_act_strides(sh->layout, sh->nb, sh->k, sh->ho, sh->wo), x,
        w, bias, y);
    I2W_CUDA_LAUNCHED(plan->ctx, "direct forward");
    return I2W_OK;
}
