/* The im2win micro-kernel family of one ISA (f32_im2win_ukernel.c) and
 * its arguments, shared with the driver (im2win_forward.c). */
#ifndef I2W_X86_IM2WIN_UKERNEL_H
#define I2W_X86_IM2WIN_UKERNEL_H

#include "x86/im2win_isa.h"

/* One micro-tile: mr output pixels x nv vectors of output channels.
 * Pixel p's reduction is nseg tap rows of nseg_s segments of run
 * contiguous window floats: segment (i, j) at a + p*a_pix + slot_i*a_seg
 * + j*a_col, where slot_0 = seg0 and each next slot is seg_step further,
 * modulo seg_wrap (the rows of a ring window; a wrap no slot reaches
 * otherwise); for the pixels from half = (mr+1)/2 on, a + a_half + (p -
 * half)*a_pix instead of a + p*a_pix: half*a_pix for pixels of one output
 * row, or the next output row's offset for a tile of two rows of half
 * pixels each.  The packed filter holds one row of nv vectors per
 * reduction step, b_step floats apart (nv*I2W_VL when packed), those of
 * tap row i from b + i*b_row.  The tile lands at
 * c[p*ldc + j] for the nk <= nv*I2W_VL valid channels j.  The kernel does
 * ntiles such tiles, each mr pixels after the last (a + mr*a_pix, c +
 * mr*ldc): one call per run of like tiles of an output row, whose setup
 * the short reductions of 1x1 layers felt. */
typedef struct {
    const float *a;
    ptrdiff_t a_pix, a_half, a_seg, a_col;
    int nseg, nseg_s, run;
    int seg0, seg_step, seg_wrap;
    const float *b;
    ptrdiff_t b_row, b_step;
    /* panels of nv vectors run on each tile in turn (1: the one at b),
     * the next b_panel floats further in the packed filter and nv
     * vectors further in c and bias */
    int npanels;
    ptrdiff_t b_panel;
    float *c;
    ptrdiff_t ldc;
    int nk;
    int ntiles;
    /* first chunk of the reduction: start from bias (zero if NULL), a
     * vector of channels, instead of the partial sums in c; or, when
     * bias_pix is set, from bias_pix[p] in every lane of pixel p (the
     * planar tiles, whose pixels are output channels; the tile t of a
     * call from bias_pix + t*mr) */
    int first;
    const float *bias;
    const float *bias_pix;
    /* last chunk of a large output: whole vectors bypass the caches
     * (c and ldc are aligned to the vector) */
    int stream;
} i2w_im2win_uk_args;

typedef void (*i2w_im2win_ukernel)(const i2w_im2win_uk_args *args);

/* X(mr, arg) for the MR values of each ISA (register budget in
 * im2win_isa.h): the kernel families are defined and tabled with it. */
#if I2W_MR_MAX == 14
#define I2W_FOR_MR(X, arg)                                                 \
    X(1, arg) X(2, arg) X(3, arg) X(4, arg) X(5, arg) X(6, arg) X(7, arg)  \
    X(8, arg) X(9, arg) X(10, arg) X(11, arg) X(12, arg) X(13, arg)        \
    X(14, arg)
#elif I2W_MR_MAX == 6
#define I2W_FOR_MR(X, arg)                                                 \
    X(1, arg) X(2, arg) X(3, arg) X(4, arg) X(5, arg) X(6, arg)
#else
#error "no MR list for this I2W_MR_MAX"
#endif

/* X(mr, arg) for the MR values of the wide tiles (nv > I2W_NV_NARROW),
 * where the ISA has them. */
#if I2W_MR_WIDE == 6
#define I2W_FOR_MR_WIDE(X, arg)                                            \
    X(1, arg) X(2, arg) X(3, arg) X(4, arg) X(5, arg) X(6, arg)
#elif I2W_MR_WIDE != 0
#error "no MR list for this I2W_MR_WIDE"
#endif

/* [nv - 1][mr - 1]: every mr up to I2W_MR_MAX for nv up to I2W_NV_NARROW,
 * up to I2W_MR_WIDE beyond (NULL past it) */
extern I2W_HIDDEN const i2w_im2win_ukernel
    I2W_IM2WIN_SYM(i2w_im2win_ukernels)[I2W_NV_MAX][I2W_MR_MAX];
/* The lane-group kernels (f32_im2win_ukernel.c, cfg->lane_groups):
 * [groups of 4 channels][mr - 1], nv = 1. */
extern I2W_HIDDEN const i2w_im2win_ukernel
    I2W_IM2WIN_SYM(i2w_im2win_lg_kernels)[2][I2W_MR_MAX];

#endif /* I2W_X86_IM2WIN_UKERNEL_H */
