/* The im2win window transform on the device, for layers with padding
 * (without, the input is read in place).  Each of the Hq window rows of a
 * plane is input row hq - ph with the horizontal padding made explicit
 * (zeros where the row falls in the vertical padding), so the GEMM reads
 * the window with no bounds checks; output row ho reads window rows
 * ho*sh + r*dh.  The window is an activation tensor of the input's own
 * layout with Hq rows of Wq columns: its inner dimension is the input's
 * (w for NCHW, (w, c) for NHWC, (w, n) for CHWN, (w, lane) for CHWN8), so
 * reads and writes are both coalesced.  (The CPU window keeps the R
 * values of a column adjacent for SIMD dot products; here a warp wants
 * consecutive pixels in consecutive words.)  A "plane" is what lies above
 * the rows: (n, c) for NCHW, n for NHWC, c for CHWN, (n/8, c) for CHWN8; a
 * "unit" is what lies below a column. */
#include "cuda/plugin.h"

/* One warp per window row (plane, hq): the row's index arithmetic is
 * done once, then the lanes stream its Wq*unit floats, reading zeros
 * where the row or the column falls in the padding. */
__global__ void i2w_cuda_im2win_window_kernel(
    const float *__restrict__ x, float *__restrict__ win, unsigned rows,
    int row_len, i2w_cuda_divisor div_hq, int h, int wu, long long hwu,
    int ph, int pwu)
{
    const int lane = threadIdx.x & 31;
    const unsigned warps = gridDim.x * blockDim.x / 32;
    for (unsigned row = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
         row < rows; row += warps) {
        unsigned plane = i2w_cuda_div(row, div_hq);
        int hh = (int)(row - plane * div_hq.d) - ph;
        /* a row in the vertical padding reads nothing: an empty range */
        bool inside = hh >= 0 && hh < h;
        int lo = inside ? pwu : row_len, hi = pwu + wu;
        const float *src =
            x + plane * hwu + (inside ? (long long)hh * wu - pwu : 0);
        float *dst = win + (size_t)row * row_len;
        for (int j = lane; j < row_len; j += 32)
            dst[j] = j >= lo && j < hi ? __ldg(src + j) : 0.0f;
    }
}

i2w_status i2w_cuda_im2win_window(i2w_context *ctx, const float *x,
                                  float *win, int planes, int unit,
                                  const i2w_shape *sh, int hq, int wq)
{
    unsigned rows = (unsigned)planes * hq;
    i2w_cuda_im2win_window_kernel<<<i2w_cuda_blocks(rows, 8), 256, 0,
                                    i2w_cuda_stream(ctx)>>>(
        x, win, rows, wq * unit, i2w_cuda_divisor_make((unsigned)hq), sh->h,
        sh->w * unit, (long long)sh->h * sh->w * unit, sh->ph,
        sh->pw * unit);
    I2W_CUDA_LAUNCHED(ctx, "im2win window transform");
    return I2W_OK;
}
