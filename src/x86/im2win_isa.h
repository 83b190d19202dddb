/* What the im2win sources compiled once per ISA share beyond the vector
 * vocabulary (simd.h): the register budget of a micro-kernel tile and the
 * entry points of the window and packing code (the micro-kernels:
 * im2win_ukernel.h).  The symbols of each ISA's copy get the ISA as
 * suffix through I2W_IM2WIN_SYM. */
#ifndef I2W_X86_IM2WIN_ISA_H
#define I2W_X86_IM2WIN_ISA_H

#include <stddef.h>

#include "x86/im2win.h"
#include "x86/simd.h"

#if defined(I2W_X86_AVX512)
#define I2W_IM2WIN_SYM(name) name##_avx512
/* 14 pixels x 2 vectors = 28 accumulators + 2 filter vectors + 1
 * broadcast of the 32 zmm registers; the wide tiles (panels of 4
 * vectors) 6 pixels x 4 vectors = 24 + 4 + 1 */
#define I2W_MR_MAX 14
#define I2W_NV_MAX 4
#define I2W_NV_NARROW 2
#define I2W_MR_WIDE 6
#else /* I2W_X86_AVX2 */
#define I2W_IM2WIN_SYM(name) name##_avx2
/* 6 pixels x 2 vectors = 12 accumulators + 2 filter vectors + 1
 * broadcast of the 16 ymm registers */
#define I2W_MR_MAX 6
#define I2W_NV_MAX 2
#define I2W_NV_NARROW 2
#define I2W_MR_WIDE 0 /* no wide tiles */
#endif

/* NCHW, NHWC: build the rows sp names of the window of group g, chunks
 * [c_lo, c_hi) of its channels, in win (cfg->win_elems floats: every
 * chunk, or with cfg->chunked the one); xn points at image n's element
 * (n,0,0,0). */
I2W_HIDDEN void I2W_IM2WIN_SYM(i2w_im2win_window)(const i2w_im2win_cfg *cfg,
                                                  const float *xn, int g,
                                                  int c_lo, int c_hi,
                                                  const i2w_im2win_span *sp,
                                                  float *win);

/* CHWN, CHWN8: the rows sp names of the windows of nimg images (xg
 * points at the first one's element (n,0,0,0), the others follow it in
 * x), group g, chunk [c0, c0 + cbn) only, one after the other in win:
 * [image][window row][column][cbn] (im2win.h). */
I2W_HIDDEN void I2W_IM2WIN_SYM(i2w_im2win_window_images)(
    const i2w_im2win_cfg *cfg, const float *xg, int nimg, int g, int c0,
    int cbn, const i2w_im2win_span *sp, float *win);

/* Ask for the input rows sp names, of every channel of group g of nimg
 * images (xg as for the windows), to be brought into L2: the rows the
 * next block of a band adds to the ring, read from memory while this
 * block computes. */
I2W_HIDDEN void I2W_IM2WIN_SYM(i2w_im2win_prefetch)(
    const i2w_im2win_cfg *cfg, const float *xg, int nimg, int g,
    const i2w_im2win_span *sp);

/* Planar work unit `unit` (cfg->planar, im2win_planar.c): w is the
 * filter as given (KCRS, one row of C*R*S per output channel) or its
 * copy, win the thread's window, stage its staging rows
 * (cfg->stage_pix). */
I2W_HIDDEN void I2W_IM2WIN_SYM(i2w_im2win_planar_unit)(
    const i2w_im2win_cfg *cfg, const float *x, const float *w,
    const float *bias, float *y, float *win, float *stage, int unit);

/* Packing the filter from w (in the layout's filter order) into packed
 * is split into independent items: how many, and one of them. */
I2W_HIDDEN int I2W_IM2WIN_SYM(i2w_im2win_pack_items)(
    const i2w_im2win_cfg *cfg);
I2W_HIDDEN void I2W_IM2WIN_SYM(i2w_im2win_pack_item)(
    const i2w_im2win_cfg *cfg, const float *w, int item, float *packed);

#endif /* I2W_X86_IM2WIN_ISA_H */
