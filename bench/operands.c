/* Operands of one benchmark case.  Inputs are generated in NCHW order,
 * kept on the host for the checker, converted to the case's layout with
 * the library's own conversion (on a host context) and uploaded; the
 * output comes back the same way, so the checker knows one layout. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int bench_geom_of(const i2w_conv_desc *d, bench_geom *g)
{
#define OR1(v) ((v) ? (v) : 1)
    *g = (bench_geom){
        .n = d->n, .c = d->c, .h = d->h, .w = d->w,
        .k = d->k, .r = d->r, .s = d->s,
        .sh = OR1(d->stride_h), .sw = OR1(d->stride_w),
        .ph = d->pad_h, .pw = d->pad_w,
        .dh = OR1(d->dilation_h), .dw = OR1(d->dilation_w),
        .g = OR1(d->groups),
    };
#undef OR1
    g->cg = g->c / g->g;
    g->kg = g->k / g->g;
    return i2w_conv_output_dims(d, &g->ho, &g->wo) == I2W_OK ? 0 : -1;
}

double bench_flops(const bench_geom *g)
{
    return 2.0 * g->n * g->k * g->ho * g->wo * (double)g->cg * g->r * g->s;
}

char bench_op_tensor(i2w_op op, int operand)
{
    static const char role[3][4] = {
        [I2W_OP_FORWARD] = "xwy",
        [I2W_OP_BACKWARD_DATA] = "ywx",
        [I2W_OP_BACKWARD_FILTER] = "xyw",
    };
    return role[op][operand];
}

long bench_op_reduction(const bench_geom *g, i2w_op op)
{
    switch (op) {
    case I2W_OP_BACKWARD_DATA:
        return (long)g->kg * g->r * g->s;
    case I2W_OP_BACKWARD_FILTER:
        return (long)g->n * g->ho * g->wo;
    default:
        return (long)g->cg * g->r * g->s;
    }
}

size_t bench_tensor_dims(const bench_geom *g, char which, int dim[4])
{
    const int x[4] = { g->n, g->c, g->h, g->w };
    const int y[4] = { g->n, g->k, g->ho, g->wo };
    const int w[4] = { g->k, g->cg, g->r, g->s };
    memcpy(dim, which == 'x' ? x : which == 'y' ? y : w, sizeof x);
    return (size_t)dim[0] * dim[1] * dim[2] * dim[3];
}

static i2w_status convert(i2w_context *host, const bench_geom *g, char which,
                          i2w_layout from, const float *src, i2w_layout to,
                          float *dst)
{
    int dim[4];
    bench_tensor_dims(g, which, dim);
    if (which == 'w')
        return i2w_convert_filter_layout(host, dim[0], dim[1], dim[2],
                                         dim[3], from, src, to, dst);
    return i2w_convert_layout(host, dim[0], dim[1], dim[2], dim[3], from,
                              src, to, dst);
}

static float *random_tensor(size_t n, uint64_t *state)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; p && i < n; i++) {
        /* xorshift64*: the top 24 bits give a float in [-1, 1) */
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        uint64_t r = *state * 0x2545F4914F6CDD1DULL;
        p[i] = (float)(r >> 40) * (2.0f / 16777216.0f) - 1.0f;
    }
    return p;
}

#define CHECKED(ctx, call, what)                                            \
    do {                                                                    \
        i2w_status st_ = (call);                                            \
        if (st_ != I2W_OK) {                                                \
            snprintf(msg, msglen, "%s: %s: %s", what,                       \
                     i2w_status_string(st_), i2w_context_error(ctx));       \
            goto fail;                                                      \
        }                                                                   \
    } while (0)

/* Operand i (0 = a, 1 = b) from host NCHW to the context, in d.layout. */
static int place_input(bench_case *c, i2w_context *host, int i, char *msg,
                       size_t msglen)
{
    const float *src = i ? c->b_host : c->a_host;
    void **dst = i ? &c->b : &c->a;
    char which = bench_op_tensor(c->op, i);
    size_t bytes = i2w_tensor_bytes(&c->d, which);
    /* zeroed: CHWN8 batch-padding lanes are never written by convert */
    float *staged = calloc(1, bytes);
    if (!staged) {
        snprintf(msg, msglen, "out of host memory (%zu bytes)", bytes);
        return -1;
    }
    CHECKED(host,
            convert(host, &c->g, which, I2W_LAYOUT_NCHW, src, c->d.layout,
                    staged),
            "convert input");
    CHECKED(c->ctx, i2w_malloc(c->ctx, dst, bytes), "i2w_malloc");
    CHECKED(c->ctx, i2w_upload(c->ctx, *dst, staged, bytes), "i2w_upload");
    free(staged);
    return 0;
fail:
    free(staged);
    return -1;
}

int bench_case_init(bench_case *c, i2w_context *ctx, i2w_context *host,
                    const i2w_conv_desc *d, i2w_op op, uint64_t seed,
                    char *msg, size_t msglen)
{
    int dim[4];
    uint64_t state = seed | 1;

    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    c->d = *d;
    c->op = op;
    if (bench_geom_of(d, &c->g)) {
        snprintf(msg, msglen, "invalid layer: %s", i2w_last_error());
        return -1;
    }
    c->flops = bench_flops(&c->g);
    c->a_host = random_tensor(bench_tensor_dims(&c->g, bench_op_tensor(op, 0),
                                                dim), &state);
    c->b_host = random_tensor(bench_tensor_dims(&c->g, bench_op_tensor(op, 1),
                                                dim), &state);
    size_t out_bytes = i2w_tensor_bytes(d, bench_op_tensor(op, 2));
    if (!c->a_host || !c->b_host) {
        snprintf(msg, msglen, "out of host memory");
        goto fail;
    }
    if (place_input(c, host, 0, msg, msglen) ||
        place_input(c, host, 1, msg, msglen))
        goto fail;
    CHECKED(ctx, i2w_malloc(ctx, &c->out, out_bytes), "i2w_malloc");
    return 0;
fail:
    bench_case_free(c);
    return -1;
}

void bench_case_free(bench_case *c)
{
    free(c->a_host);
    free(c->b_host);
    if (c->ctx) {
        i2w_free(c->ctx, c->a);
        i2w_free(c->ctx, c->b);
        i2w_free(c->ctx, c->out);
    }
    memset(c, 0, sizeof *c);
}

int bench_case_poison(bench_case *c)
{
    size_t bytes = i2w_tensor_bytes(&c->d, bench_op_tensor(c->op, 2));
    float *nan = malloc(bytes);
    if (!nan)
        return -1;
    for (size_t i = 0; i < bytes / sizeof *nan; i++)
        nan[i] = NAN;
    i2w_status st = i2w_upload(c->ctx, c->out, nan, bytes);
    if (st == I2W_OK) /* the poison lands before the run, on any stream */
        st = i2w_synchronize(c->ctx);
    free(nan);
    return st == I2W_OK ? 0 : -1;
}

float *bench_case_result(bench_case *c, i2w_context *host)
{
    char which = bench_op_tensor(c->op, 2);
    int dim[4];
    size_t bytes = i2w_tensor_bytes(&c->d, which);
    float *raw = malloc(bytes);
    float *nchw = malloc(bench_tensor_dims(&c->g, which, dim) * sizeof *nchw);
    if (raw && nchw &&
        i2w_download(c->ctx, raw, c->out, bytes) == I2W_OK &&
        convert(host, &c->g, which, c->d.layout, raw, I2W_LAYOUT_NCHW,
                nchw) == I2W_OK) {
        free(raw);
        return nchw;
    }
    free(raw);
    free(nchw);
    return NULL;
}
