/* Layout conversion front end: checks, then the backend's re-layout in the
 * context's memory space. */
#include <stdint.h>

#include "common/front.h"
#include "common/layout.h"

/* Elements of a 4-D tensor stored in layout l (batch padding included for
 * CHWN8 activations), or 0 when it overflows. */
static size_t stored_elems(int is_filter, const int dims[4], i2w_layout l)
{
    size_t t = (size_t)(is_filter ? dims[0] : i2w_stored_batch(l, dims[0]));
    for (int i = 1; i < 4; i++)
        if (!i2w_mul_size(t, (size_t)dims[i], &t))
            return 0;
    return t <= (size_t)PTRDIFF_MAX / sizeof(float) ? t : 0;
}

static i2w_status convert(i2w_context *ctx, int is_filter, const int d[4],
                          i2w_layout from, const float *src, i2w_layout to,
                          float *dst)
{
    static const char *const names[2][4] = {{"n", "c", "h", "w"},
                                            {"k", "c", "r", "s"}};
    const char *fn = is_filter ? "i2w_convert_filter_layout"
                               : "i2w_convert_layout";
    if (!ctx)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT, "%s: 'ctx' is NULL",
                             fn);
    for (int i = 0; i < 4; i++)
        if (d[i] < 1)
            return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                            "%s: '%s' = %d invalid: must be >= 1", fn,
                            names[is_filter][i], d[i]);
    if ((unsigned)from > I2W_LAYOUT_CHWN8 || (unsigned)to > I2W_LAYOUT_CHWN8)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "%s: layout '%s' = %d invalid: not an i2w_layout", fn,
                        (unsigned)from > I2W_LAYOUT_CHWN8 ? "from" : "to",
                        (int)((unsigned)from > I2W_LAYOUT_CHWN8 ? from : to));
    if (!src || !dst)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT, "%s: '%s' is NULL",
                        fn, src ? "dst" : "src");
    size_t ns = stored_elems(is_filter, d, from);
    size_t nd = stored_elems(is_filter, d, to);
    if (!ns || !nd)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "%s: tensor %d x %d x %d x %d is too large", fn, d[0],
                        d[1], d[2], d[3]);
    uintptr_t s = (uintptr_t)src, t = (uintptr_t)dst;
    if (s < t + nd * sizeof(float) && t < s + ns * sizeof(float))
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "%s: 'dst' overlaps 'src'", fn);
    return ctx->ops->convert(ctx, is_filter, d[0], d[1], d[2], d[3], from,
                             src, to, dst);
}

i2w_status i2w_convert_layout(i2w_context *ctx, int n, int c, int h, int w,
                              i2w_layout from, const float *src,
                              i2w_layout to, float *dst)
{
    const int d[4] = {n, c, h, w};
    return convert(ctx, 0, d, from, src, to, dst);
}

i2w_status i2w_convert_filter_layout(i2w_context *ctx, int k, int c, int r,
                                     int s, i2w_layout from, const float *src,
                                     i2w_layout to, float *dst)
{
    const int d[4] = {k, c, r, s};
    return convert(ctx, 1, d, from, src, to, dst);
}
