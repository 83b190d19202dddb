/* Host-side geometry shared by the kernels: layout strides read off
 * layout.h, and the multiply-shift divisors. */
#include "cuda/plugin.h"

/* The layouts are affine in each index (CHWN8 in n/8 and n%8 separately),
 * so the offsets of unit steps are the strides. */
i2w_cuda_strides i2w_cuda_act_strides(i2w_layout l, int n, int c, int h,
                                      int w)
{
    i2w_cuda_strides st;
    st.nb = (long long)i2w_act_offset(l, n, c, h, w, 8, 0, 0, 0);
    st.n8 = (long long)i2w_act_offset(l, n, c, h, w, 1, 0, 0, 0);
    st.c = (long long)i2w_act_offset(l, n, c, h, w, 0, 1, 0, 0);
    st.h = (long long)i2w_act_offset(l, n, c, h, w, 0, 0, 1, 0);
    st.w = (long long)i2w_act_offset(l, n, c, h, w, 0, 0, 0, 1);
    return st;
}

/* Filters have no batch padding: the output channel k is the "n" index,
 * split the same way (nb = 8 * n8). */
i2w_cuda_strides i2w_cuda_filter_strides(i2w_layout l, int k, int c, int r,
                                         int s)
{
    i2w_cuda_strides st;
    st.n8 = (long long)i2w_filter_offset(l, k, c, r, s, 1, 0, 0, 0);
    st.nb = 8 * st.n8;
    st.c = (long long)i2w_filter_offset(l, k, c, r, s, 0, 1, 0, 0);
    st.h = (long long)i2w_filter_offset(l, k, c, r, s, 0, 0, 1, 0);
    st.w = (long long)i2w_filter_offset(l, k, c, r, s, 0, 0, 0, 1);
    return st;
}

/* shift = ceil(log2 d), mul = floor(2^32 (2^shift - d) / d) + 1; then
 * n / d = (mulhi(n, mul) + n) >> shift for every n < 2^31. */
i2w_cuda_divisor i2w_cuda_divisor_make(unsigned d)
{
    i2w_cuda_divisor v;
    unsigned shift = 0;
    while (shift < 31 && (1u << shift) < d)
        shift++;
    v.d = d;
    v.shift = shift;
    v.mul = (unsigned)((((unsigned long long)1 << 32) *
                        (((unsigned long long)1 << shift) - d)) / d + 1);
    return v;
}
