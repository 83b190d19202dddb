/* Filter packing for the GEMM-based algorithms: w in its layout becomes
 * [g][red_pad][kpad], reduction-major so a GEMM step reads a contiguous,
 * 16-byte aligned row of output channels.  Padding (k >= kg, reduction
 * index >= red) is zero, so the GEMM needs no bounds checks on A. */
#include "cuda/plugin.h"

__global__ void i2w_cuda_pack_filter_kernel(
    const float *__restrict__ w, const int *__restrict__ red_filter,
    float *__restrict__ packed, long long total, int kg, int kpad, int red,
    int red_pad, long long k_stride)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
         i < total; i += (long long)gridDim.x * blockDim.x) {
        int k = (int)(i % kpad);
        long long t = i / kpad;
        int e = (int)(t % red_pad);
        int g = (int)(t / red_pad);
        packed[i] = k < kg && e < red
                        ? w[(g * (long long)kg + k) * k_stride + red_filter[e]]
                        : 0.0f;
    }
}

i2w_status i2w_cuda_pack_filter(i2w_plan *plan, const float *w)
{
    const i2w_shape *sh = &plan->shape;
    const i2w_cuda_plan *cp = (const i2w_cuda_plan *)plan->priv;
    long long total = (long long)sh->g * cp->red_pad * cp->kpad;
    i2w_cuda_strides fs =
        i2w_cuda_filter_strides(sh->layout, sh->k, sh->cg, sh->r, sh->s);
    i2w_cuda_pack_filter_kernel<<<i2w_cuda_blocks(total, 256), 256, 0,
                                  i2w_cuda_stream(plan->ctx)>>>(
        w, cp->red_filter, cp->packed, total, sh->kg, cp->kpad, cp->red,
        cp->red_pad, fs.n8);
    I2W_CUDA_LAUNCHED(plan->ctx, "filter packing");
    return I2W_OK;
}
