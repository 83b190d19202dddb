/* Reference re-layout of an activation or filter tensor in host memory:
 * one loop over the logical indices, reading and writing through the
 * layout offsets.  CHWN8 padding lanes of the destination are set to 0 so
 * the result is fully defined. */
#include "common/layout.h"
#include "ref/ref.h"

/* Offset of logical element (i0, i1, i2, i3) of a d0 x d1 x d2 x d3
 * tensor stored in layout l. */
static size_t offset(int is_filter, i2w_layout l, int d0, int d1, int d2,
                     int d3, int i0, int i1, int i2, int i3)
{
    if (is_filter)
        return i2w_filter_offset(l, d0, d1, d2, d3, i0, i1, i2, i3);
    return i2w_act_offset(l, i2w_stored_batch(l, d0), d1, d2, d3, i0, i1,
                          i2, i3);
}

i2w_status i2w_ref_convert(i2w_context *ctx, int is_filter, int d0, int d1,
                           int d2, int d3, i2w_layout from, const float *src,
                           i2w_layout to, float *dst)
{
    (void)ctx;
    /* filters have no batch padding; activations cover to's padded batch */
    int rows = is_filter ? d0 : i2w_stored_batch(to, d0);
    for (int i0 = 0; i0 < rows; i0++)
        for (int i1 = 0; i1 < d1; i1++)
            for (int i2 = 0; i2 < d2; i2++)
                for (int i3 = 0; i3 < d3; i3++)
                    dst[offset(is_filter, to, d0, d1, d2, d3, i0, i1, i2,
                               i3)] =
                        i0 < d0 ? src[offset(is_filter, from, d0, d1, d2, d3,
                                             i0, i1, i2, i3)]
                                : 0.0f;
    return I2W_OK;
}
