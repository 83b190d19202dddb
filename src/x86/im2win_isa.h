/* What the im2win sources compiled once per ISA share: the vector
 * vocabulary of that ISA and the micro-kernel family.  Exactly one of
 * I2W_IM2WIN_AVX512 / I2W_IM2WIN_AVX2 is defined by the build (im2win.inc),
 * together with that ISA's -m flags; the symbols of each copy get the ISA
 * as suffix through I2W_IM2WIN_SYM. */
#ifndef I2W_X86_IM2WIN_ISA_H
#define I2W_X86_IM2WIN_ISA_H

#include <immintrin.h>
#include <stddef.h>

#include "x86/im2win.h"

#if defined(I2W_IM2WIN_AVX512)

#define I2W_IM2WIN_SYM(name) name##_avx512
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
static inline i2w_vec i2w_vload(const float *p) { return _mm512_loadu_ps(p); }
static inline i2w_vec i2w_vload_m(const float *p, i2w_vmask m)
{
    return _mm512_maskz_loadu_ps(m, p);
}
static inline void i2w_vstore(float *p, i2w_vec v) { _mm512_storeu_ps(p, v); }
static inline void i2w_vstore_m(float *p, i2w_vmask m, i2w_vec v)
{
    _mm512_mask_storeu_ps(p, m, v);
}
static inline i2w_vec i2w_vbcast(const float *p) { return _mm512_set1_ps(*p); }
static inline i2w_vec i2w_vzero(void) { return _mm512_setzero_ps(); }
static inline i2w_vec i2w_vfma(i2w_vec a, i2w_vec b, i2w_vec c)
{
    return _mm512_fmadd_ps(a, b, c);
}

#elif defined(I2W_IM2WIN_AVX2)

#define I2W_IM2WIN_SYM(name) name##_avx2
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
static inline i2w_vec i2w_vload(const float *p) { return _mm256_loadu_ps(p); }
static inline i2w_vec i2w_vload_m(const float *p, i2w_vmask m)
{
    return _mm256_maskload_ps(p, m);
}
static inline void i2w_vstore(float *p, i2w_vec v) { _mm256_storeu_ps(p, v); }
static inline void i2w_vstore_m(float *p, i2w_vmask m, i2w_vec v)
{
    _mm256_maskstore_ps(p, m, v);
}
static inline i2w_vec i2w_vbcast(const float *p) { return _mm256_broadcast_ss(p); }
static inline i2w_vec i2w_vzero(void) { return _mm256_setzero_ps(); }
static inline i2w_vec i2w_vfma(i2w_vec a, i2w_vec b, i2w_vec c)
{
    return _mm256_fmadd_ps(a, b, c);
}

#else
#error "define I2W_IM2WIN_AVX512 or I2W_IM2WIN_AVX2"
#endif

/* One micro-tile: mr output pixels x nv vectors of output channels.
 * Pixel p's reduction is nseg segments of run contiguous window floats,
 * the first at a + p*a_pix, the others a_seg apart; the packed filter
 * holds one row of nv vectors per reduction step.  The tile lands at
 * c[p*ldc + j] for the nk < = nv*I2W_VL valid channels j. */
typedef struct {
    const float *a;
    ptrdiff_t a_pix, a_seg;
    int nseg, run;
    const float *b;
    float *c;
    ptrdiff_t ldc;
    int nk;
    /* first chunk of the reduction: start from bias (zero if NULL)
     * instead of the partial sums in c */
    int first;
    const float *bias;
} i2w_im2win_uk_args;

typedef void (*i2w_im2win_ukernel)(const i2w_im2win_uk_args *args);

/* [nv - 1][mr - 1] */
extern I2W_HIDDEN const i2w_im2win_ukernel
    I2W_IM2WIN_SYM(i2w_im2win_ukernels)[I2W_NV_MAX][I2W_MR_MAX];

#endif /* I2W_X86_IM2WIN_ISA_H */
