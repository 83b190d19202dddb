/* Transposed convolution (ConvTranspose2d terms) as the backward-data pass
 * of the forward convolution whose input has the transposed output's
 * shape. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "common/front.h"
#include "common/layout.h"

#define BAD(...) i2w_last_fail(I2W_ERR_INVALID_ARGUMENT, \
                               "conv transpose desc: " __VA_ARGS__)

/* Output extent of one axis: (in-1)*stride - 2*pad + dil*(f-1) + 1 + opad */
static i2w_status extent(int in, int f, int stride, int pad, int dil,
                         int opad, const char *axis, int *out)
{
    int st = stride ? stride : 1, dl = dil ? dil : 1;
    if (opad < 0 || opad >= st)
        return BAD("field 'output_pad_%s' = %d invalid: must be >= 0 and "
                   "< stride_%s %d", axis, opad, axis, st);
    long long e = (long long)(in - 1) * st - 2LL * pad +
                  (long long)dl * (f - 1) + 1 + opad;
    if (e < 1 || e > INT_MAX)
        return BAD("output extent along %s = %lld invalid: must be in "
                   "1..%d", axis, e, INT_MAX);
    *out = (int)e;
    return I2W_OK;
}

i2w_status i2w_conv_transpose_as_forward(const i2w_conv_transpose_desc *t,
                                         i2w_conv_desc *d)
{
    if (!t || !d)
        return BAD("'%s' is NULL", t ? "d" : "t");
    const struct { int v; const char *name; } sizes[] = {
        {t->n, "n"}, {t->c_in, "c_in"}, {t->h_in, "h_in"},
        {t->w_in, "w_in"}, {t->c_out, "c_out"}, {t->r, "r"}, {t->s, "s"}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].v < 1)
            return BAD("field '%s' = %d invalid: must be >= 1",
                       sizes[i].name, sizes[i].v);
    if (t->stride_h < 0 || t->stride_w < 0 || t->dilation_h < 0 ||
        t->dilation_w < 0)
        return BAD("negative stride or dilation (stride %d x %d, dilation "
                   "%d x %d)", t->stride_h, t->stride_w, t->dilation_h,
                   t->dilation_w);
    i2w_conv_desc f = {
        .n = t->n, .c = t->c_out, .k = t->c_in, .r = t->r, .s = t->s,
        .stride_h = t->stride_h, .stride_w = t->stride_w,
        .pad_h = t->pad_h, .pad_w = t->pad_w,
        .dilation_h = t->dilation_h, .dilation_w = t->dilation_w,
        .groups = t->groups, .layout = t->layout};
    i2w_status st;
    if ((st = extent(t->h_in, t->r, t->stride_h, t->pad_h, t->dilation_h,
                     t->output_pad_h, "h", &f.h)) ||
        (st = extent(t->w_in, t->s, t->stride_w, t->pad_w, t->dilation_w,
                     t->output_pad_w, "w", &f.w)))
        return st;
    char msg[256];
    i2w_shape sh;
    if ((st = i2w_shape_from_desc(&f, &sh, msg, sizeof msg)))
        return i2w_last_fail(st, "conv transpose (as its forward "
                             "convolution): %s", msg);
    /* with output_pad < stride the forward output is exactly the input */
    if (sh.ho != t->h_in || sh.wo != t->w_in)
        return i2w_last_fail(I2W_ERR_INTERNAL, "conv transpose: forward "
                             "shape %d x %d does not match input %d x %d",
                             sh.ho, sh.wo, t->h_in, t->w_in);
    *d = f;
    return I2W_OK;
}

i2w_status i2w_conv_transpose(i2w_context *ctx,
                              const i2w_conv_transpose_desc *t, i2w_algo algo,
                              const float *x, const float *w,
                              const float *bias, float *y)
{
    i2w_conv_desc d;
    if (!ctx)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_conv_transpose: 'ctx' is NULL");
    i2w_status st = i2w_conv_transpose_as_forward(t, &d);
    if (st)
        return i2w_fail(ctx, st, "%s", i2w_last_error());
    if (bias && ctx->kind == I2W_BACKEND_CUDA)
        return i2w_fail(ctx, I2W_ERR_UNSUPPORTED,
                        "i2w_conv_transpose: bias is not supported on the "
                        "cuda backend yet; add it in a separate kernel");
    size_t ny = i2w_tensor_bytes(&d, 'x');
    if (bias && y && (uintptr_t)bias < (uintptr_t)y + ny &&
        (uintptr_t)y < (uintptr_t)(bias + d.c))
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "i2w_conv_transpose: output 'y' overlaps 'bias'");
    st = i2w_conv_backward_data(ctx, &d, algo, x, w, y);
    if (st || !bias)
        return st;
    for (int n = 0; n < d.n; n++)
        for (int c = 0; c < d.c; c++)
            for (int h = 0; h < d.h; h++)
                for (int v = 0; v < d.w; v++)
                    y[i2w_act_offset(d.layout, d.n,
                                     d.c, d.h, d.w, n, c, h, v)] += bias[c];
    return I2W_OK;
}
