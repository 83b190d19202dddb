/* Descriptor validation and shape math, shared by every backend: a request
 * that passes here is well-formed, and every size derived from it fits in
 * size_t and in int where kernels index with int. */
#include <stdint.h>
#include <stdio.h>

#include "common/front.h"
#include "common/layout.h"

#define BAD(...) (snprintf(msg, msglen, "conv desc: " __VA_ARGS__), \
                  I2W_ERR_INVALID_ARGUMENT)

static i2w_status positive(int v, const char *field, char *msg,
                           size_t msglen)
{
    if (v < 1)
        return BAD("field '%s' = %d invalid: must be >= 1", field, v);
    return I2W_OK;
}

/* 0 means 1 for stride, dilation and groups */
static i2w_status defaulted(int v, const char *field, int *out, char *msg,
                            size_t msglen)
{
    if (v < 0)
        return BAD("field '%s' = %d invalid: must be >= 0 (0 means 1)",
                   field, v);
    *out = v ? v : 1;
    return I2W_OK;
}

/* Output extent along one axis, or a message naming what is wrong. */
static i2w_status axis(int in, int f, int pad, int dil, int stride,
                       const char *pad_name, const char *dim, int *out,
                       char *msg, size_t msglen)
{
    long long eff = (long long)dil * (f - 1) + 1;
    if (pad < 0)
        return BAD("field '%s' = %d invalid: must be >= 0", pad_name, pad);
    if (pad >= eff)
        return BAD("field '%s' = %d invalid: must be < effective filter "
                   "%s %lld", pad_name, pad, dim, eff);
    long long span = (long long)in + 2LL * pad - eff;
    if (span < 0)
        return BAD("output %s < 1: input %s %d + 2*pad %d < effective "
                   "filter %s %lld", dim, dim, in, pad, dim, eff);
    *out = (int)(span / stride + 1);
    return I2W_OK;
}

/* a*b*c*d elements into *out, when their byte count fits a pointer
 * difference (so no size or offset computed from it can wrap). */
static int elems(size_t a, size_t b, size_t c, size_t d, size_t *out)
{
    size_t t, bytes;
    if (!i2w_mul_size(a, b, &t) || !i2w_mul_size(t, c, &t) ||
        !i2w_mul_size(t, d, &t) || !i2w_mul_size(t, sizeof(float), &bytes) ||
        bytes > (size_t)PTRDIFF_MAX)
        return 0;
    *out = t;
    return 1;
}

i2w_status i2w_shape_from_desc(const i2w_conv_desc *d, i2w_shape *sh,
                               char *msg, size_t msglen)
{
    i2w_status st;
    if (!d)
        return BAD("descriptor pointer is NULL");
    if ((unsigned)d->layout > I2W_LAYOUT_CHWN8)
        return BAD("field 'layout' = %d invalid: not an i2w_layout",
                   (int)d->layout);
    const struct { int v; const char *name; } sizes[] = {
        {d->n, "n"}, {d->c, "c"}, {d->h, "h"}, {d->w, "w"},
        {d->k, "k"}, {d->r, "r"}, {d->s, "s"}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if ((st = positive(sizes[i].v, sizes[i].name, msg, msglen)))
            return st;
    i2w_shape t = {0};
    t.n = d->n; t.c = d->c; t.h = d->h; t.w = d->w;
    t.k = d->k; t.r = d->r; t.s = d->s;
    t.ph = d->pad_h; t.pw = d->pad_w;
    t.layout = d->layout;
    if ((st = defaulted(d->stride_h, "stride_h", &t.sh, msg, msglen)) ||
        (st = defaulted(d->stride_w, "stride_w", &t.sw, msg, msglen)) ||
        (st = defaulted(d->dilation_h, "dilation_h", &t.dh, msg, msglen)) ||
        (st = defaulted(d->dilation_w, "dilation_w", &t.dw, msg, msglen)) ||
        (st = defaulted(d->groups, "groups", &t.g, msg, msglen)))
        return st;
    if (t.c % t.g)
        return BAD("field 'c' = %d invalid: not divisible by groups %d",
                   t.c, t.g);
    if (t.k % t.g)
        return BAD("field 'k' = %d invalid: not divisible by groups %d",
                   t.k, t.g);
    if ((st = axis(t.h, t.r, t.ph, t.dh, t.sh, "pad_h", "height", &t.ho,
                   msg, msglen)) ||
        (st = axis(t.w, t.s, t.pw, t.dw, t.sw, "pad_w", "width", &t.wo,
                   msg, msglen)))
        return st;
    t.cg = t.c / t.g;
    t.kg = t.k / t.g;
    t.nb = i2w_stored_batch(t.layout, t.n);
    if (!elems(t.nb, t.c, t.h, t.w, &t.x_elems))
        return BAD("input tensor %d x %d x %d x %d is too large for this "
                   "machine", t.n, t.c, t.h, t.w);
    if (!elems(t.k, t.cg, t.r, t.s, &t.w_elems))
        return BAD("filter tensor %d x %d x %d x %d is too large for this "
                   "machine", t.k, t.cg, t.r, t.s);
    if (!elems(t.nb, t.k, t.ho, t.wo, &t.y_elems))
        return BAD("output tensor %d x %d x %d x %d is too large for this "
                   "machine", t.n, t.k, t.ho, t.wo);
    *sh = t;
    return I2W_OK;
}

i2w_status i2w_conv_output_dims(const i2w_conv_desc *d, int *ho, int *wo)
{
    char msg[256];
    i2w_shape sh;
    if (!ho || !wo)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_conv_output_dims: '%s' is NULL",
                             ho ? "wo" : "ho");
    i2w_status st = i2w_shape_from_desc(d, &sh, msg, sizeof msg);
    if (st)
        return i2w_last_fail(st, "%s", msg);
    *ho = sh.ho;
    *wo = sh.wo;
    return I2W_OK;
}

size_t i2w_tensor_bytes(const i2w_conv_desc *d, char which)
{
    char msg[256];
    i2w_shape sh;
    i2w_status st = i2w_shape_from_desc(d, &sh, msg, sizeof msg);
    if (st) {
        i2w_last_fail(st, "%s", msg);
        return 0;
    }
    switch (which) {
    case 'x': return sh.x_elems * sizeof(float);
    case 'w': return sh.w_elems * sizeof(float);
    case 'y': return sh.y_elems * sizeof(float);
    }
    i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                  "i2w_tensor_bytes: which = '%c' invalid: must be 'x', "
                  "'w' or 'y'", which);
    return 0;
}
