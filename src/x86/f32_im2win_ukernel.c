/* The im2win micro-kernel family f32_im2win_<MR>x<NV>v__<isa>: MR output
 * pixels x NV vectors of output channels held in registers for the whole
 * reduction of a chunk.  Each step broadcasts one window element per pixel
 * and does MR*NV FMAs with NV packed filter vectors.  One generic body,
 * specialised by the compiler for every (MR, NV) of the tables below.
 *
 * With AVX-512 the wide kernels, NV = 3 or 4 and MR up to 6, run panels
 * of 64 output channels (cfg->nr): a pixel's broadcast then feeds 4
 * FMAs, not 2, and a tile's outputs are whole 256-byte pixels of y.
 *
 * The lane-group kernels f32_im2win_lg<G>_<MR>__<isa> are the same body
 * for bundled groups of G = 2 or 4 input and output channels each
 * (ResNeXt's 32x4d), one vector of output channels holding I2W_VL / G
 * whole groups.  The general kernels multiply such a bundle by its
 * block-diagonal filter, I2W_VL FMAs a tap of which G carry weight; here
 * a tap is one vector of the window (the pixel's I2W_VL input channels,
 * the same groups as the output lanes) and G FMAs: for i < G, the vector
 * with input channel i of each group spread over that group's lanes (an
 * in-lane permute: no group crosses a 128-bit lane) times the filter
 * vector of input channel i.  Their window chunk is one vector wide (run
 * counts I2W_VL floats a tap), and the filter holds G vectors a tap. */
#include "x86/im2win_ukernel.h"

/* Input channel i of each group of g lanes, in all the group's lanes. */
static inline __attribute__((always_inline)) i2w_vec spread(i2w_vec v, int g,
                                                            int i)
{
    if (g == 2)
        return i == 0 ? I2W_MM(permute_ps)(v, 0xa0)  /* lanes 0 0 2 2 */
                      : I2W_MM(permute_ps)(v, 0xf5); /* lanes 1 1 3 3 */
    switch (i) {
    case 0:
        return I2W_MM(permute_ps)(v, 0x00);
    case 1:
        return I2W_MM(permute_ps)(v, 0x55);
    case 2:
        return I2W_MM(permute_ps)(v, 0xaa);
    default:
        return I2W_MM(permute_ps)(v, 0xff);
    }
}

/* Valid lanes of vector v: all, or the mask of the channel tail. */
static inline __attribute__((always_inline)) int lanes(int nk, int v)
{
    int n = nk - v * I2W_VL;
    return n < I2W_VL ? n : I2W_VL;
}

/* The accumulators' start (tile below), for per-channel bias or the
 * partial sums in c.  Each choice is made once per vector, not per pixel:
 * short reductions (1x1 layers of 16 channels) spent a third of the
 * kernel's time in the branches of a per-pixel choice. */
static inline __attribute__((always_inline)) void
init_channels(const int mr, const int nv, const i2w_im2win_uk_args *args,
              const float *bias, const float *c,
              i2w_vec acc[I2W_MR_MAX][I2W_NV_MAX])
{
    const ptrdiff_t ldc = args->ldc;
    I2W_UNROLL for (int v = 0; v < nv; v++) {
        const int n = lanes(args->nk, v);
        const i2w_vmask m = i2w_vmask_first(n);
        const float *cv = c + v * I2W_VL;
        if (args->first) {
            i2w_vec init = i2w_vzero();
            if (bias)
                init = n == I2W_VL ? i2w_vload(bias + v * I2W_VL)
                                   : i2w_vload_m(bias + v * I2W_VL, m);
            I2W_UNROLL for (int p = 0; p < mr; p++) acc[p][v] = init;
        } else if (n == I2W_VL) {
            I2W_UNROLL for (int p = 0; p < mr; p++)
                acc[p][v] = i2w_vload(cv + p * ldc);
        } else {
            I2W_UNROLL for (int p = 0; p < mr; p++)
                acc[p][v] = i2w_vload_m(cv + p * ldc, m);
        }
    }
}

/* The tile of pixels from a0 for panel j of the call, stored at c, its
 * per-pixel bias (if any) from bias_pix; g: 0, or the lane groups'
 * channels (then nv = 1). */
static inline __attribute__((always_inline)) void
tile(const int mr, const int nv, const int g, const i2w_im2win_uk_args *args,
     int j, const float *a0, float *c, const float *bias_pix)
{
    i2w_vec acc[I2W_MR_MAX][I2W_NV_MAX];
    const ptrdiff_t ldc = args->ldc;
    const int nk = args->nk;

    if (args->first && bias_pix) {
        I2W_UNROLL for (int p = 0; p < mr; p++) {
            const i2w_vec init = i2w_vbcast(bias_pix + p);
            I2W_UNROLL for (int v = 0; v < nv; v++) acc[p][v] = init;
        }
    } else {
        init_channels(mr, nv, args,
                      args->bias ? args->bias + j * nv * I2W_VL : NULL, c,
                      acc);
    }

    const ptrdiff_t a_pix = args->a_pix;
    const int half = (mr + 1) / 2;
    const int run = args->run;
    const ptrdiff_t b_step = args->b_step;
    int slot = args->seg0;
    for (int sr = 0; sr < args->nseg; sr++) {
        const float *a_r = a0 + slot * args->a_seg;
        const float *b = args->b + j * args->b_panel + sr * args->b_row;
        slot += args->seg_step;
        if (slot >= args->seg_wrap)
            slot -= args->seg_wrap;
        for (int ss = 0; ss < args->nseg_s; ss++) {
            /* Pixels from two bases, half the tile apart: each pixel
             * is then a base plus one of half the offsets, which leave
             * the x86-64 registers enough for the whole loop (with one
             * offset per pixel, the 14-pixel tile reloaded 5 of them
             * from the stack at every step); the second base may also
             * start the next output row (a_half). */
            const float *a = a_r + ss * args->a_col;
            const float *a_hi = a + args->a_half;
            if (g) {
                for (int t = 0; t < run / I2W_VL; t++) {
                    i2w_vec f[4];
                    I2W_UNROLL for (int i = 0; i < g; i++)
                        f[i] = i2w_vload(b + i * I2W_VL);
                    b += g * I2W_VL;
                    I2W_UNROLL for (int p = 0; p < mr; p++) {
                        const i2w_vec x = i2w_vload(
                            (p < half ? a + p * a_pix
                                      : a_hi + (p - half) * a_pix) +
                            t * I2W_VL);
                        I2W_UNROLL for (int i = 0; i < g; i++)
                            acc[p][0] =
                                i2w_vfma(spread(x, g, i), f[i], acc[p][0]);
                    }
                }
                continue;
            }
            I2W_UNROLL_2 for (int i = 0; i < run; i++) {
                i2w_vec bv[I2W_NV_MAX];
                I2W_UNROLL for (int v = 0; v < nv; v++)
                    bv[v] = i2w_vload(b + v * I2W_VL);
                b += b_step;
                I2W_UNROLL for (int p = 0; p < mr; p++) {
                    i2w_vec av = i2w_vbcast(
                        p < half ? a + p * a_pix + i
                                 : a_hi + (p - half) * a_pix + i);
                    I2W_UNROLL for (int v = 0; v < nv; v++)
                        acc[p][v] = i2w_vfma(av, bv[v], acc[p][v]);
                }
            }
        }
    }

    I2W_UNROLL for (int v = 0; v < nv; v++) {
        const int n = lanes(nk, v);
        float *cv = c + v * I2W_VL;
        if (n != I2W_VL) {
            const i2w_vmask m = i2w_vmask_first(n);
            I2W_UNROLL for (int p = 0; p < mr; p++)
                i2w_vstore_m(cv + p * ldc, m, acc[p][v]);
        } else if (args->stream) {
            I2W_UNROLL for (int p = 0; p < mr; p++)
                i2w_vstream(cv + p * ldc, acc[p][v]);
        } else {
            I2W_UNROLL for (int p = 0; p < mr; p++)
                i2w_vstore(cv + p * ldc, acc[p][v]);
        }
    }
}

/* The kernel of tile(mr, nv, g), for ntiles tiles one after another,
 * each for npanels panels. */
#define I2W_UK_BODY(mr, nv, g)                                             \
    for (int t = 0; t < args->ntiles; t++)                                 \
        for (int j = 0; j < args->npanels; j++)                            \
            tile(mr, nv, g, args, j, args->a + t * (mr) * args->a_pix,     \
                 args->c + t * (mr) * args->ldc + j * (nv) * I2W_VL,       \
                 args->bias_pix ? args->bias_pix + t * (mr) : NULL);

#define I2W_UK_NAME(mr, nv) I2W_IM2WIN_SYM(f32_im2win_##mr##x##nv##v_)
#define I2W_UK_DEFINE(mr, nv)                                              \
    static void I2W_UK_NAME(mr, nv)(const i2w_im2win_uk_args *args)        \
    {                                                                      \
        I2W_UK_BODY(mr, nv, 0)                                             \
    }
#define I2W_LG_NAME(mr, g) I2W_IM2WIN_SYM(f32_im2win_lg##g##_##mr##_)
#define I2W_LG_DEFINE(mr, g)                                               \
    static void I2W_LG_NAME(mr, g)(const i2w_im2win_uk_args *args)         \
    {                                                                      \
        I2W_UK_BODY(mr, 1, g)                                              \
    }

I2W_FOR_MR(I2W_UK_DEFINE, 1)
I2W_FOR_MR(I2W_UK_DEFINE, 2)
#if I2W_MR_WIDE
I2W_FOR_MR_WIDE(I2W_UK_DEFINE, 3)
I2W_FOR_MR_WIDE(I2W_UK_DEFINE, 4)
#endif
I2W_FOR_MR(I2W_LG_DEFINE, 2)
I2W_FOR_MR(I2W_LG_DEFINE, 4)

#define I2W_UK_ENTRY(mr, nv) I2W_UK_NAME(mr, nv),
#define I2W_LG_ENTRY(mr, g) I2W_LG_NAME(mr, g),

const i2w_im2win_ukernel I2W_IM2WIN_SYM(i2w_im2win_ukernels)[I2W_NV_MAX]
                                                          [I2W_MR_MAX] = {
    {I2W_FOR_MR(I2W_UK_ENTRY, 1)},
    {I2W_FOR_MR(I2W_UK_ENTRY, 2)},
#if I2W_MR_WIDE
    {I2W_FOR_MR_WIDE(I2W_UK_ENTRY, 3)},
    {I2W_FOR_MR_WIDE(I2W_UK_ENTRY, 4)},
#endif
};

const i2w_im2win_ukernel I2W_IM2WIN_SYM(i2w_im2win_lg_kernels)[2]
                                                             [I2W_MR_MAX] = {
    {I2W_FOR_MR(I2W_LG_ENTRY, 2)},
    {I2W_FOR_MR(I2W_LG_ENTRY, 4)},
};
