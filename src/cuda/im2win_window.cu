/* The im2win window transform on the device.  For every (plane, output
 * row ho) the R input rows the filter covers, ho*sh - ph + r*dh, are
 * copied with the horizontal padding made explicit, so the GEMM reads
 * the window with no bounds checks.  The window is an activation tensor
 * of the input's own layout with Ho*R rows of Wq columns: its inner
 * dimension is the input's (w for NCHW, (w, c) for NHWC, (w, n) for CHWN,
 * (w, lane) for CHWN8), so reads and writes are both coalesced.  (The
 * CPU window keeps the R values of a column adjacent for SIMD dot
 * products; here a warp wants consecutive pixels in consecutive words.)
 * A "plane" is what lies above the rows: (n, c) for NCHW, n for NHWC, c
 * for CHWN, (n/8, c) for CHWN8; a "unit" is what lies below a column. */
#include "cuda/plugin.h"

__global__ void i2w_cuda_im2win_window_kernel(
    const float *__restrict__ x, float *__restrict__ win, unsigned total,
    i2w_cuda_divisor row_len, i2w_cuda_divisor div_r,
    i2w_cuda_divisor div_ho, int h, int wu, long long hwu, int sh, int ph,
    int dh, int pwu)
{
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += gridDim.x * blockDim.x) {
        unsigned row = i2w_cuda_div(i, row_len);
        int j = (int)(i - row * row_len.d) - pwu;
        unsigned t = i2w_cuda_div(row, div_r);
        int r = (int)(row - t * div_r.d);
        unsigned plane = i2w_cuda_div(t, div_ho);
        int ho = (int)(t - plane * div_ho.d);
        int hh = ho * sh - ph + r * dh;
        float v = 0.0f;
        if (hh >= 0 && hh < h && j >= 0 && j < wu)
            v = __ldg(x + plane * hwu + (long long)hh * wu + j);
        win[i] = v;
    }
}

i2w_status i2w_cuda_im2win_window(i2w_context *ctx, const float *x,
                                  float *win, int planes, int unit,
                                  const i2w_shape *sh, int wq)
{
    unsigned total = (unsigned)planes * sh->ho * sh->r * wq * unit;
    i2w_cuda_im2win_window_kernel<<<i2w_cuda_blocks(total, 256), 256, 0,
                                    i2w_cuda_stream(ctx)>>>(
        x, win, total, i2w_cuda_divisor_make((unsigned)(wq * unit)),
        i2w_cuda_divisor_make((unsigned)sh->r),
        i2w_cuda_divisor_make((unsigned)sh->ho), sh->h, sh->w * unit,
        (long long)sh->h * sh->w * unit, sh->sh, sh->ph, sh->dh,
        sh->pw * unit);
    I2W_CUDA_LAUNCHED(ctx, "im2win window transform");
    return I2W_OK;
}
