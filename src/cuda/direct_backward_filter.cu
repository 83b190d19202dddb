/* DIRECT backward filter: one block per dw element reduces over the batch
 * and the output pixels (N*Ho*Wo terms, far more than one thread should
 * sum), in a fixed order so results repeat run to run. */
#include "cuda/plugin.h"

#define THREADS 256

__global__ void __launch_bounds__(THREADS)
i2w_cuda_direct_backward_filter_kernel(
    i2w_shape sh, i2w_cuda_strides xs, i2w_cuda_strides dys,
    i2w_cuda_strides fs, const float *__restrict__ x,
    const float *__restrict__ dy, float *__restrict__ dw)
{
    __shared__ float part[THREADS];
    int e = blockIdx.x; /* (k, c, r, s) with s fastest */
    int s = e % sh.s, r = e / sh.s % sh.r, c = e / (sh.s * sh.r) % sh.cg;
    int k = e / (sh.s * sh.r * sh.cg);
    int cx = k / sh.kg * sh.cg + c;
    int pixels = sh.ho * sh.wo;
    float acc = 0.0f;
    for (long long i = threadIdx.x; i < (long long)sh.n * pixels;
         i += THREADS) {
        int n = (int)(i / pixels), p = (int)(i % pixels);
        int ho = p / sh.wo, wo = p % sh.wo;
        int h = ho * sh.sh - sh.ph + r * sh.dh;
        int w = wo * sh.sw - sh.pw + s * sh.dw;
        if (h < 0 || h >= sh.h || w < 0 || w >= sh.w)
            continue;
        acc = fmaf(x[i2w_cuda_offset(xs, n, cx, h, w)],
                   dy[i2w_cuda_offset(dys, n, k, ho, wo)], acc);
    }
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if (threadIdx.x < half)
            part[threadIdx.x] += part[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        dw[i2w_cuda_offset(fs, k, c, r, s)] = part[0];
}

i2w_status i2w_cuda_direct_backward_filter(i2w_plan *plan, const float *x,
                                           const float *dy,
                                           const float *bias, float *dw)
{
    (void)bias; /* the front end passes bias for forward only */
    const i2w_shape *sh = &plan->shape;
    unsigned blocks = (unsigned)((size_t)sh->k * sh->cg * sh->r * sh->s);
    i2w_cuda_direct_backward_filter_kernel<<<blocks, THREADS, 0,
                                             i2w_cuda_stream(plan->ctx)>>>(
        *sh, i2w_cuda_act_strides(sh->layout, sh->nb, sh->c, sh->h, sh->w),
        i2w_cuda_act_strides(sh->layout, sh->nb, sh->k, sh->ho, sh->wo),
        i2w_cuda_filter_strides(sh->layout, sh->k, sh->cg, sh->r, sh->s), x,
        dy, dw);
    I2W_CUDA_LAUNCHED(plan->ctx, "direct backward filter");
    return I2W_OK;
}
