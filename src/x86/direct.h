/* The DIRECT baseline's kernels, one per ISA: direct_simd.c is compiled
 * once with the AVX2 flags and once with the AVX-512 flags, and each copy
 * defines the function of its ISA. */
#ifndef I2W_X86_DIRECT_H
#define I2W_X86_DIRECT_H

#include "common/internal.h"

/* y = conv(x, w) (+ bias) in sh->layout, every element of y written, on
 * `threads` OpenMP threads. */
typedef void (*i2w_direct_fn)(const i2w_shape *sh, const float *x,
                              const float *w, const float *bias, float *y,
                              int threads);

I2W_HIDDEN void i2w_x86_direct_forward_avx2(const i2w_shape *sh,
                                            const float *x, const float *w,
                                            const float *bias, float *y,
                                            int threads);
I2W_HIDDEN void i2w_x86_direct_forward_avx512(const i2w_shape *sh,
                                              const float *x, const float *w,
                                              const float *bias, float *y,
                                              int threads);

#endif /* I2W_X86_DIRECT_H */
