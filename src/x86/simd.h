/* The vector vocabulary of the x86 sources compiled once per ISA (the
 * DIRECT baseline, the depthwise and the general im2win families): one
 * name per operation, spelled in the intrinsics of the ISA being compiled,
 * so a kernel is written once for both widths.  Exactly one of
 * I2W_X86_AVX512 / I2W_X86_AVX2 is defined by the build (Makefile.inc,
 * im2win.inc), together with that ISA's -m flags; the files that include
 * this header are compiled into per-ISA convenience libraries only, never
 * into the library itself, which must load on any x86-64.  An operation
 * the two ISAs spell differently has both spellings in its one
 * definition, so that they are read, and kept in agreement, side by
 * side. */
#ifndef I2W_X86_SIMD_H
#define I2W_X86_SIMD_H

#include <immintrin.h>
#include <stdint.h>

/* For functions that take a tile (an array of vectors) by address: only
 * inlined, with the loops over it unrolled, does the array become
 * registers rather than memory.  The single operations below are left
 * plain inline, which GCC always takes; forcing them too moves the
 * compiler's layout of the im2win micro-kernels. */
#define I2W_INLINE static inline __attribute__((always_inline))
/* Loops over the registers of a tile must be unrolled for the tile to
 * live in registers rather than on the stack. */
#define I2W_UNROLL _Pragma("GCC unroll 16")
/* The reduction loop of a micro-kernel, unrolled twice: its loop
 * overhead and the stack reloads of the pixel offsets GCC spills are
 * shared by two steps (Intel Sapphire Rapids class, AVX-512: the 13x2
 * kernel from 155-165 to 175 GFLOP/s on one core, peak 213). */
#define I2W_UNROLL_2 _Pragma("GCC unroll 2")

/* The macro picks the width, the flags allow its instructions: a copy
 * built with one and not the other would be the wrong kernel. */
#if defined(I2W_X86_AVX512)
#ifndef __AVX512F__
#error "I2W_X86_AVX512 needs the AVX-512 flags"
#endif
/* the intrinsics of this vector width: _mm512_<name> */
#define I2W_MM(name) _mm512_##name
#define I2W_VL 16
typedef __m512 i2w_vec;
typedef __m512i i2w_vint; /* I2W_VL int32 lanes: indices */
typedef __mmask16 i2w_vmask;
#elif defined(I2W_X86_AVX2)
#if !defined(__AVX2__) || !defined(__FMA__)
#error "I2W_X86_AVX2 needs the AVX2 and FMA flags"
#endif
#define I2W_MM(name) _mm256_##name
#define I2W_VL 8
typedef __m256 i2w_vec;
typedef __m256i i2w_vint;
/* AVX2 has no mask registers: a mask is a vector, all ones in the lanes
 * that are set */
typedef __m256i i2w_vmask;
#else
#error "define I2W_X86_AVX512 or I2W_X86_AVX2"
#endif

/* ------------------------------------------------------------ masks */

/* the first n lanes, 0 <= n <= I2W_VL */
static inline i2w_vmask i2w_vmask_first(int n)
{
#ifdef I2W_X86_AVX512
    return (i2w_vmask)((1u << n) - 1u);
#else
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#endif
}

static inline i2w_vmask i2w_vmask_none(void)
{
#ifdef I2W_X86_AVX512
    return 0;
#else
    return _mm256_setzero_si256();
#endif
}

static inline i2w_vmask i2w_vmask_all(void)
{
#ifdef I2W_X86_AVX512
    return 0xffff;
#else
    return _mm256_set1_epi32(-1);
#endif
}

static inline i2w_vmask i2w_vmask_and(i2w_vmask a, i2w_vmask b)
{
#ifdef I2W_X86_AVX512
    return a & b;
#else
    return _mm256_and_si256(a, b);
#endif
}

/* lanes whose idx lies in [0, hi) */
static inline i2w_vmask i2w_vmask_in(i2w_vint idx, int hi)
{
#ifdef I2W_X86_AVX512
    return _mm512_cmpge_epi32_mask(idx, _mm512_setzero_si512()) &
           _mm512_cmplt_epi32_mask(idx, _mm512_set1_epi32(hi));
#else
    return _mm256_and_si256(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(-1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), idx));
#endif
}

/* --------------------------------------------------- integer lanes */

static inline i2w_vint i2w_vint_load(const int *p)
{
#ifdef I2W_X86_AVX512
    return _mm512_loadu_si512(p);
#else
    return _mm256_loadu_si256((const i2w_vint *)p);
#endif
}

/* v*mul + add in every lane */
static inline i2w_vint i2w_vint_lin(i2w_vint v, int mul, int add)
{
    return I2W_MM(add_epi32)(I2W_MM(mullo_epi32)(v, I2W_MM(set1_epi32)(mul)),
                             I2W_MM(set1_epi32)(add));
}

static inline i2w_vint i2w_vint_add(i2w_vint a, i2w_vint b)
{
    return I2W_MM(add_epi32)(a, b);
}

/* 0, 1, ..., I2W_VL-1 */
static inline i2w_vint i2w_vint_iota(void)
{
    static const int iota[16] = {0, 1, 2, 3, 4, 5, 6, 7,
                                 8, 9, 10, 11, 12, 13, 14, 15};
    return i2w_vint_load(iota);
}

/* lanes i whose index start + i*step lies in [0, hi) */
static inline i2w_vmask i2w_vmask_range(int start, int step, int hi)
{
    return i2w_vmask_in(i2w_vint_lin(i2w_vint_iota(), step, start), hi);
}

/* ------------------------------------------------ loads and stores */

static inline i2w_vec i2w_vload(const float *p) { return I2W_MM(loadu_ps)(p); }
static inline void i2w_vstore(float *p, i2w_vec v) { I2W_MM(storeu_ps)(p, v); }
/* p aligned to the vector */
static inline void i2w_vstream(float *p, i2w_vec v) { I2W_MM(stream_ps)(p, v); }
static inline i2w_vec i2w_vbcast(const float *p) { return I2W_MM(set1_ps)(*p); }
static inline i2w_vec i2w_vzero(void) { return I2W_MM(setzero_ps)(); }

/* lanes where m is clear are 0 and read nothing */
static inline i2w_vec i2w_vload_m(const float *p, i2w_vmask m)
{
#ifdef I2W_X86_AVX512
    return _mm512_maskz_loadu_ps(m, p);
#else
    return _mm256_maskload_ps(p, m);
#endif
}

static inline void i2w_vstore_m(float *p, i2w_vmask m, i2w_vec v)
{
#ifdef I2W_X86_AVX512
    _mm512_mask_storeu_ps(p, m, v);
#else
    _mm256_maskstore_ps(p, m, v);
#endif
}

/* lane i = base[idx_i] where m is set, else 0 */
static inline i2w_vec i2w_vgather_m(const float *base, i2w_vint idx,
                                    i2w_vmask m)
{
#ifdef I2W_X86_AVX512
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, base, 4);
#else
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, idx,
                                    _mm256_castsi256_ps(m), 4);
#endif
}

/* the lower half of the lanes from lo, the upper half from hi, where m
 * is set */
static inline i2w_vec i2w_vload_halves_m(const float *lo, const float *hi,
                                         i2w_vmask m)
{
#ifdef I2W_X86_AVX512
    return _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(m & 0x00ff, lo),
                                m & 0xff00, hi - 8);
#else
    const i2w_vmask low = _mm256_setr_epi32(-1, -1, -1, -1, 0, 0, 0, 0);
    return _mm256_blend_ps(_mm256_maskload_ps(lo, _mm256_and_si256(m, low)),
                           _mm256_maskload_ps(hi - 4,
                                              _mm256_andnot_si256(low, m)),
                           0xf0);
#endif
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

/* The even lanes of a, then those of b: floats 0, 2, 4, ... of the 2 *
 * I2W_VL from a's first. */
static inline i2w_vec i2w_vevens(i2w_vec a, i2w_vec b)
{
#ifdef I2W_X86_AVX512
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16,
                                           18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(a, even, b);
#else
    /* a0 a2 b0 b2 | a4 a6 b4 b6, then its 64-bit lanes 0 2 1 3 */
    const __m256 t = _mm256_shuffle_ps(a, b, 0x88);
    return _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(t), 0xd8));
#endif
}

/* dst[i] = src[2*i] for i < n: two loads and a permute a vector, where a
 * gather of the same took several times longer; masked at the tail, so
 * nothing past src[2*n - 2] is read. */
static inline void i2w_copy_even_floats(float *dst, const float *src, int n)
{
    int i = 0;
    for (; i + I2W_VL < n; i += I2W_VL)
        i2w_vstore(dst + i, i2w_vevens(i2w_vload(src + 2 * i),
                                       i2w_vload(src + 2 * i + I2W_VL)));
    if (i < n) {
        const int c = 2 * (n - i) - 1; /* floats up to the last one read */
        const i2w_vec lo = i2w_vload_m(
            src + 2 * i, i2w_vmask_first(c < I2W_VL ? c : I2W_VL));
        const i2w_vec hi =
            i2w_vload_m(src + 2 * i + I2W_VL,
                        i2w_vmask_first(c > I2W_VL ? c - I2W_VL : 0));
        i2w_vstore_m(dst + i, i2w_vmask_first(n - i), i2w_vevens(lo, hi));
    }
}

/* n floats from s to d, the cache lines of d that n covers whole streamed
 * past the caches, the partial ones at either end (shared with the
 * neighbouring work units) stored through them: a line must not mix the
 * two kinds of store. */
static inline void i2w_stream_floats(float *d, const float *s, int n)
{
    enum { LINE = 64 / sizeof(float) };
    int head = (int)((LINE - (uintptr_t)d / sizeof(float) % LINE) % LINE);
    if (head > n)
        head = n;
    int i = 0;
    for (; i < head; i += I2W_VL) {
        const int m = head - i < I2W_VL ? head - i : I2W_VL;
        i2w_vstore_m(d + i, i2w_vmask_first(m),
                     i2w_vload_m(s + i, i2w_vmask_first(m)));
    }
    i = head;
    for (; i + LINE <= n; i += LINE)
        I2W_UNROLL for (int v = 0; v < LINE; v += I2W_VL)
            i2w_vstream(d + i + v, i2w_vload(s + i + v));
    for (; i < n; i += I2W_VL) {
        const int m = n - i < I2W_VL ? n - i : I2W_VL;
        i2w_vstore_m(d + i, i2w_vmask_first(m),
                     i2w_vload_m(s + i, i2w_vmask_first(m)));
    }
}

/* ------------------------------------------------------ arithmetic */

/* a*b + c */
static inline i2w_vec i2w_vfma(i2w_vec a, i2w_vec b, i2w_vec c)
{
    return I2W_MM(fmadd_ps)(a, b, c);
}

/* the sum of the lanes */
static inline float i2w_vhsum(i2w_vec v)
{
#ifdef I2W_X86_AVX512
    return _mm512_reduce_add_ps(v);
#else
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v),
                          _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
#endif
}

/* ------------------------------------------------------- transpose */

/* Second half of i2w_vtranspose: u holds 4x4 blocks transposed within
 * each 128-bit lane; transpose the lanes: of every group of four vectors
 * (AVX-512), or swap the off-diagonal ones (AVX2). */
I2W_INLINE void i2w_vtranspose_lanes(const i2w_vec u[I2W_VL],
                                     i2w_vec r[I2W_VL])
{
#ifdef I2W_X86_AVX512
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
#else
    I2W_UNROLL for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
#endif
}

/* r[i][j] becomes r[j][i] for the I2W_VL x I2W_VL block: 4x4 transposes
 * inside each 128-bit lane, then of the lanes. */
I2W_INLINE void i2w_vtranspose(i2w_vec r[I2W_VL])
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

#endif /* I2W_X86_SIMD_H */
