/* DIRECT backward data: one thread per dx element gathers every (output
 * pixel, tap) pair that reads it, so no atomics and a fixed sum order. */
#include "cuda/plugin.h"

/* The output index o that tap t reaches from input position i, or -1:
 * i + pad - t*dil must be a multiple of the stride inside [0, out). */
static __device__ __forceinline__ int source(int i, int pad, int t, int dil,
                                             int stride, int out)
{
    int v = i + pad - t * dil;
    if (v < 0 || v % stride)
        return -1;
    v /= stride;
    return v < out ? v : -1;
}

__global__ void i2w_cuda_direct_backward_data_kernel(
    i2w_shape sh, i2w_cuda_strides dys, i2w_cuda_strides fs,
    i2w_cuda_strides dxs, const float *__restrict__ dy,
    const float *__restrict__ w, float *__restrict__ dx)
{
    long long total = (long long)sh.n * sh.c * sh.h * sh.w;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
         i < total; i += (long long)gridDim.x * blockDim.x) {
        int xw = (int)(i % sh.w);
        long long t = i / sh.w;
        int xh = (int)(t % sh.h);
        t /= sh.h;
        int c = (int)(t % sh.c);
        int n = (int)(t / sh.c);
        int k0 = c / sh.cg * sh.kg, cc = c % sh.cg;
        float acc = 0.0f;
        for (int r = 0; r < sh.r; r++) {
            int ho = source(xh, sh.ph, r, sh.dh, sh.sh, sh.ho);
            if (ho < 0)
                continue;
            for (int s = 0; s < sh.s; s++) {
                int wo = source(xw, sh.pw, s, sh.dw, sh.sw, sh.wo);
                if (wo < 0)
                    continue;
                for (int k = k0; k < k0 + sh.kg; k++)
                    acc = fmaf(dy[i2w_cuda_offset(dys, n, k, ho, wo)],
                               w[i2w_cuda_offset(fs, k, cc, r, s)], acc);
            }
        }
        dx[i2w_cuda_offset(dxs, n, c, xh, xw)] = acc;
    }
}

i2w_status i2w_cuda_direct_backward_data(i2w_plan *plan, const float *dy,
                                         const float *w, const float *bias,
                                         float *dx)
{
    (void)bias; /* the front end passes bias for forward only */
    const i2w_shape *sh = &plan->shape;
    long long total = (long long)sh->n * sh->c * sh->h * sh->w;
    i2w_cuda_direct_backward_data_kernel<<<i2w_cuda_blocks(total, 256), 256,
                                           0, i2w_cuda_stream(plan->ctx)>>>(
        *sh, i2w_cuda_act_strides(sh->layout, sh->nb, sh->k, sh->ho, sh->wo),
        i2w_cuda_filter_strides(sh->layout, sh->k, sh->cg, sh->r, sh->s),
        i2w_cuda_act_strides(sh->layout, sh->nb, sh->c, sh->h, sh->w), dy, w,
        dx);
    I2W_CUDA_LAUNCHED(plan->ctx, "direct backward data");
    return I2W_OK;
}
