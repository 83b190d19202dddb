/* What the im2win sources compiled once per ISA share: the vector
 * vocabulary of that ISA and the entry points of the window and packing
 * code (the micro-kernels: im2win_ukernel.h).  Exactly one of
 * I2W_IM2WIN_AVX512 / I2W_IM2WIN_AVX2 is defined by the build (im2win.inc),
 * together with that ISA's -m flags; the symbols of each copy get the ISA
 * as suffix through I2W_IM2WIN_SYM. */
#ifndef I2W_X86_IM2WIN_ISA_H
#define I2W_X86_IM2WIN_ISA_H

#include <immintrin.h>
#include <stddef.h>

#include "x86/im2win.h"

/* Loops over the registers of a tile must be unrolled for the tile to
 * live in registers rather than on the stack. */
#define I2W_UNROLL _Pragma("GCC unroll 16")

#if defined(I2W_IM2WIN_AVX512)

#define I2W_IM2WIN_SYM(name) name##_avx512
/* the intrinsics of this vector width: _mm512_<name> */
#define I2W_MM(name) _mm512_##name
#define I2W_VL 16
/* 14 pixels x 2 vectors = 28 accumulators + 2 filter vectors + 1
 * broadcast of the 32 zmm registers */
#define I2W_MR_MAX 14
#define I2W_NV_MAX 2

typedef __m512 i2w_vec;
typedef __mmask16 i2w_vmask;

static inline i2w_vmask i2w_vmask_first(int n)
{
    return (i2w_vmask)((1u << n) - 1u);
}
static inline i2w_vec i2w_vload_m(const float *p, i2w_vmask m)
{
    return _mm512_maskz_loadu_ps(m, p);
}
static inline void i2w_vstore_m(float *p, i2w_vmask m, i2w_vec v)
{
    _mm512_mask_storeu_ps(p, m, v);
}


/* Second half of i2w_vtranspose: u holds 4x4 blocks transposed within
 * each 128-bit lane; transpose the 4x4 lanes of every group of four
 * vectors into r. */
static inline __attribute__((always_inline)) void
i2w_vtranspose_lanes(const i2w_vec u[16], i2w_vec r[16])
{
    i2w_vec t[16];
    I2W_UNROLL for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0xdd);
    }
    I2W_UNROLL for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
    }
}

#elif defined(I2W_IM2WIN_AVX2)

#define I2W_IM2WIN_SYM(name) name##_avx2
/* the intrinsics of this vector width: _mm256_<name> */
#define I2W_MM(name) _mm256_##name
#define I2W_VL 8
/* 6 pixels x 2 vectors = 12 accumulators + 2 filter vectors + 1
 * broadcast of the 16 ymm registers */
#define I2W_MR_MAX 6
#define I2W_NV_MAX 2

typedef __m256 i2w_vec;
typedef __m256i i2w_vmask;

static inline i2w_vmask i2w_vmask_first(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline i2w_vec i2w_vload_m(const float *p, i2w_vmask m)
{
    return _mm256_maskload_ps(p, m);
}
static inline void i2w_vstore_m(float *p, i2w_vmask m, i2w_vec v)
{
    _mm256_maskstore_ps(p, m, v);
}


/* Second half of i2w_vtranspose: swap the off-diagonal 128-bit lanes. */
static inline __attribute__((always_inline)) void
i2w_vtranspose_lanes(const i2w_vec u[8], i2w_vec r[8])
{
    I2W_UNROLL for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

#else
#error "define I2W_IM2WIN_AVX512 or I2W_IM2WIN_AVX2"
#endif

/* The operations both widths spell alike. */
static inline i2w_vec i2w_vload(const float *p) { return I2W_MM(loadu_ps)(p); }
/* p aligned to the vector */
static inline void i2w_vstream(float *p, i2w_vec v) { I2W_MM(stream_ps)(p, v); }
static inline void i2w_vstore(float *p, i2w_vec v) { I2W_MM(storeu_ps)(p, v); }
static inline i2w_vec i2w_vbcast(const float *p) { return I2W_MM(set1_ps)(*p); }
static inline i2w_vec i2w_vzero(void) { return I2W_MM(setzero_ps)(); }
static inline i2w_vec i2w_vfma(i2w_vec a, i2w_vec b, i2w_vec c)
{
    return I2W_MM(fmadd_ps)(a, b, c);
}

/* n contiguous floats: whole vectors, then a masked tail (window columns
 * and packed filter rows are a few dozen floats, too short to be worth a
 * memcpy call). */
static inline void i2w_copy_floats(float *dst, const float *src, int n)
{
    int i = 0;
    for (; i + I2W_VL <= n; i += I2W_VL)
        i2w_vstore(dst + i, i2w_vload(src + i));
    if (i < n) {
        i2w_vmask m = i2w_vmask_first(n - i);
        i2w_vstore_m(dst + i, m, i2w_vload_m(src + i, m));
    }
}

static inline void i2w_zero_floats(float *dst, int n)
{
    int i = 0;
    for (; i + I2W_VL <= n; i += I2W_VL)
        i2w_vstore(dst + i, i2w_vzero());
    if (i < n)
        i2w_vstore_m(dst + i, i2w_vmask_first(n - i), i2w_vzero());
}

/* r[i][j] becomes r[j][i] for the I2W_VL x I2W_VL block: 4x4 transposes
 * inside each 128-bit lane, then of the lanes. */
static inline __attribute__((always_inline)) void
i2w_vtranspose(i2w_vec r[I2W_VL])
{
    i2w_vec t[I2W_VL], u[I2W_VL];
    I2W_UNROLL for (int i = 0; i < I2W_VL; i += 2) {
        t[i] = I2W_MM(unpacklo_ps)(r[i], r[i + 1]);
        t[i + 1] = I2W_MM(unpackhi_ps)(r[i], r[i + 1]);
    }
    I2W_UNROLL for (int i = 0; i < I2W_VL; i += 4) {
        u[i] = I2W_MM(shuffle_ps)(t[i], t[i + 2], 0x44);
        u[i + 1] = I2W_MM(shuffle_ps)(t[i], t[i + 2], 0xee);
        u[i + 2] = I2W_MM(shuffle_ps)(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = I2W_MM(shuffle_ps)(t[i + 1], t[i + 3], 0xee);
    }
    i2w_vtranspose_lanes(u, r);
}

/* NCHW, NHWC: build the rows sp names of the window of group g in win
 * (cfg->win_elems floats, every chunk); xn points at image n's element
 * (n,0,0,0). */
I2W_HIDDEN void I2W_IM2WIN_SYM(i2w_im2win_window)(const i2w_im2win_cfg *cfg,
                                                  const float *xn, int g,
                                                  const i2w_im2win_span *sp,
                                                  float *win);

/* CHWN, CHWN8: the rows sp names of the windows of nimg images (xg
 * points at the first one's element (n,0,0,0), the others follow it in
 * x), group g, chunk [c0, c0 + cbn) only, one after the other in win:
 * [image][window row][column][cbn] (im2win.h). */
I2W_HIDDEN void I2W_IM2WIN_SYM(i2w_im2win_window_images)(
    const i2w_im2win_cfg *cfg, const float *xg, int nimg, int g, int c0,
    int cbn, const i2w_im2win_span *sp, float *win);

/* Packing the filter from w (in the layout's filter order) into packed
 * is split into independent items: how many, and one of them. */
I2W_HIDDEN int I2W_IM2WIN_SYM(i2w_im2win_pack_items)(
    const i2w_im2win_cfg *cfg);
I2W_HIDDEN void I2W_IM2WIN_SYM(i2w_im2win_pack_item)(
    const i2w_im2win_cfg *cfg, const float *w, int item, float *packed);

#endif /* I2W_X86_IM2WIN_ISA_H */
