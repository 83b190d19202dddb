/* Layout conversion on the device: one thread per logical element; the
 * batch padding lanes of a CHWN8 destination are left as they are (their
 * content is unspecified by the API). */
#include "cuda/plugin.h"

__global__ void i2w_cuda_convert_kernel(int d0, int d1, int d2, int d3,
                                        i2w_cuda_strides from,
                                        i2w_cuda_strides to,
                                        const float *__restrict__ src,
                                        float *__restrict__ dst)
{
    long long total = (long long)d0 * d1 * d2 * d3;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
         i < total; i += (long long)gridDim.x * blockDim.x) {
        int i3 = (int)(i % d3);
        long long t = i / d3;
        int i2 = (int)(t % d2);
        t /= d2;
        int i1 = (int)(t % d1);
        int i0 = (int)(t / d1);
        dst[i2w_cuda_offset(to, i0, i1, i2, i3)] =
            src[i2w_cuda_offset(from, i0, i1, i2, i3)];
    }
}

static i2w_cuda_strides strides(int is_filter, i2w_layout l, int d0, int d1,
                                int d2, int d3)
{
    return is_filter ? i2w_cuda_filter_strides(l, d0, d1, d2, d3)
                     : i2w_cuda_act_strides(l, i2w_stored_batch(l, d0), d1,
                                            d2, d3);
}

i2w_status i2w_cuda_convert(i2w_context *ctx, int is_filter, int d0, int d1,
                            int d2, int d3, i2w_layout from, const float *src,
                            i2w_layout to, float *dst)
{
    long long total = (long long)d0 * d1 * d2 * d3;
    i2w_cuda_convert_kernel<<<i2w_cuda_blocks(total, 256), 256, 0,
                              i2w_cuda_stream(ctx)>>>(
        d0, d1, d2, d3, strides(is_filter, from, d0, d1, d2, d3),
        strides(is_filter, to, d0, d1, d2, d3), src, dst);
    I2W_CUDA_LAUNCHED(ctx, "layout conversion");
    return I2W_OK;
}
