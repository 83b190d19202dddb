/* The reduction index of the GEMM-based algorithms runs over (c, r, s) of
 * one group.  Its order is free (the sum is the same), so it is chosen for
 * the loads: channel fastest when the window keeps channels innermost
 * (NHWC), else s fastest.  The tables map each index to its offset in the
 * window and in the filter; the tail up to red_pad (a whole number of
 * GEMM steps) is marked -1 in the window table and packed as zeros. */
#include <stdlib.h>

#include "cuda/plugin.h"

i2w_status i2w_cuda_reduction_tables(i2w_plan *plan, int channel_fastest,
                                     const i2w_cuda_strides *win)
{
    const i2w_shape *sh = &plan->shape;
    i2w_cuda_plan *cp = (i2w_cuda_plan *)plan->priv;
    i2w_cuda_strides fs =
        i2w_cuda_filter_strides(sh->layout, sh->k, sh->cg, sh->r, sh->s);
    int *t = (int *)malloc(2 * (size_t)cp->red_pad * sizeof *t);
    if (!t)
        return i2w_fail(plan->ctx, I2W_ERR_OUT_OF_MEMORY,
                        "cannot allocate the reduction tables");
    int *tw = t, *tf = t + cp->red_pad;
    for (int i = 0; i < cp->red_pad; i++) {
        tw[i] = -1;
        tf[i] = 0;
    }
    int i = 0;
    for (int a = 0; a < sh->cg * sh->r * sh->s; a++, i++) {
        int c, r, s;
        if (channel_fastest) {
            c = a % sh->cg;
            s = a / sh->cg % sh->s;
            r = a / (sh->cg * sh->s);
        } else {
            s = a % sh->s;
            r = a / sh->s % sh->r;
            c = a / (sh->s * sh->r);
        }
        tf[i] = (int)(c * fs.c + r * fs.h + s * fs.w);
        if (win)
            tw[i] = (int)(c * win->c + r * sh->dh * win->h +
                          s * sh->dw * win->w);
    }
    cudaStream_t st = i2w_cuda_stream(plan->ctx);
    cudaError_t err = cudaMemcpyAsync(cp->red_filter, tf,
                                      (size_t)cp->red_pad * sizeof *tf,
                                      cudaMemcpyHostToDevice, st);
    if (err == cudaSuccess && win)
        err = cudaMemcpyAsync(cp->red_win, tw,
                              (size_t)cp->red_pad * sizeof *tw,
                              cudaMemcpyHostToDevice, st);
    if (err == cudaSuccess)
        err = cudaStreamSynchronize(st); /* before t is freed */
    free(t);
    return i2w_cuda_check(plan->ctx, err, "uploading the reduction tables");
}
