/* The x86 backend: each forward algorithm is a family of three functions;
 * x86_backend.c dispatches on plan->algo.  Kernels see a validated
 * i2w_shape and never check user input again. */
#ifndef I2W_X86_H
#define I2W_X86_H

#ifdef _OPENMP
#include <omp.h>
#endif

#include "common/cpu.h"
#include "common/internal.h"

/* This thread's index in the enclosing OpenMP team (0 without OpenMP):
 * it picks the thread's own slice of a plan's workspace. */
static inline int i2w_x86_thread(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

typedef struct {
    /* Set plan->priv and plan->workspace(_bytes) for this shape and ISA;
     * I2W_ERR_UNSUPPORTED (message via i2w_fail) with nothing allocated
     * when the shape is outside what the family does. */
    i2w_status (*create)(i2w_plan *plan, i2w_isa isa);
    /* y = conv(x, w) (+ bias); threads: plan->ctx->threads. */
    i2w_status (*execute)(i2w_plan *plan, const float *x, const float *w,
                          const float *bias, float *y);
    void (*destroy)(i2w_plan *plan);
    /* Repack w for the executes that follow (see i2w_backend_ops
     * .plan_set_filter); NULL for families that read w as it is. */
    i2w_status (*set_filter)(i2w_plan *plan, const float *w);
} i2w_x86_algo;

extern I2W_HIDDEN const i2w_x86_algo i2w_x86_im2win;
/* IM2WIN for depthwise shapes (one input and one output channel per
 * group): im2win_dw.h */
extern I2W_HIDDEN const i2w_x86_algo i2w_x86_im2win_dw;
extern I2W_HIDDEN const i2w_x86_algo i2w_x86_direct;
extern I2W_HIDDEN const i2w_x86_algo i2w_x86_im2col_gemm;
/* Bytes of the workspace an IM2COL_GEMM plan of the shape holds on
 * `threads` threads (whether or not OpenBLAS is there to run it). */
I2W_HIDDEN size_t i2w_x86_im2col_workspace(const i2w_shape *sh, int threads);

#endif /* I2W_X86_H */
