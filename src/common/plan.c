/* Plans and the one-shot calls built on them.  Everything the user passes
 * is checked here, before any backend runs, so kernels never re-validate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/front.h"

/* Names of (a, b, out) per op, as the messages call them. */
static const char *const arg_names[3][3] = {
    {"x", "w", "y"}, {"dy", "w", "dx"}, {"x", "dy", "dw"}};

static int algo_valid(i2w_op op, i2w_algo a)
{
    switch (a) {
    case I2W_ALGO_AUTO:
    case I2W_ALGO_DIRECT:
        return 1;
    case I2W_ALGO_IM2COL_GEMM:
    case I2W_ALGO_IM2WIN:
    case I2W_ALGO_CONVV2:
        return op == I2W_OP_FORWARD;
    case I2W_ALGO_ZERO_INSERT:
    case I2W_ALGO_SUBKERNEL:
    case I2W_ALGO_KS_DECONV:
        return op == I2W_OP_BACKWARD_DATA;
    case I2W_ALGO_SK_DILATED:
        return op == I2W_OP_BACKWARD_FILTER;
    }
    return 0;
}

static const char *op_name(i2w_op op)
{
    static const char *const names[] = {"forward", "backward data",
                                        "backward filter"};
    return names[op];
}

/* Element counts of (a, b, out) for op. */
static void arg_elems(const i2w_shape *sh, i2w_op op, size_t e[3])
{
    size_t x = sh->x_elems, w = sh->w_elems, y = sh->y_elems;
    size_t t[3][3] = {{x, w, y}, {y, w, x}, {x, y, w}};
    memcpy(e, t[op], sizeof t[op]);
}

static int overlap(const void *p, size_t pn, const void *q, size_t qn)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)q;
    return a < b + qn * sizeof(float) && b < a + pn * sizeof(float);
}

/* NULL and aliasing checks of one call's tensors. */
static i2w_status check_args(i2w_context *ctx, const i2w_shape *sh,
                             i2w_op op, const float *a, const float *b,
                             const float *bias, const float *out)
{
    const char *const *n = arg_names[op];
    const float *in[2] = {a, b};
    size_t e[3];
    arg_elems(sh, op, e);
    for (int i = 0; i < 2; i++)
        if (!in[i])
            return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                            "%s: input '%s' is NULL", op_name(op), n[i]);
    if (!out)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "%s: output '%s' is NULL", op_name(op), n[2]);
    for (int i = 0; i < 2; i++)
        if (overlap(out, e[2], in[i], e[i]))
            return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                            "%s: output '%s' overlaps input '%s'",
                            op_name(op), n[2], n[i]);
    if (bias && overlap(out, e[2], bias, (size_t)sh->k))
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "%s: output '%s' overlaps input 'bias'",
                        op_name(op), n[2]);
    return I2W_OK;
}

/* Validates everything but the tensors: context, op, algorithm, shape. */
static i2w_status check_request(i2w_context *ctx, const i2w_conv_desc *d,
                                i2w_op op, i2w_algo algo, i2w_shape *sh)
{
    char msg[256];
    if ((unsigned)op > I2W_OP_BACKWARD_FILTER)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "op = %d invalid: not an i2w_op", (int)op);
    if ((unsigned)algo > I2W_ALGO_SK_DILATED)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "algo = %d invalid: not an i2w_algo", (int)algo);
    if (!algo_valid(op, algo))
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "algo = %s invalid: not an algorithm of %s",
                        i2w_algo_name(algo), op_name(op));
    i2w_status st = i2w_shape_from_desc(d, sh, msg, sizeof msg);
    if (st)
        return i2w_fail(ctx, st, "%s", msg);
    return I2W_OK;
}

static i2w_status make(i2w_plan *p, const i2w_backend_ops *ops)
{
    p->ops = ops;
    p->workspace = NULL;
    p->workspace_bytes = 0;
    p->priv = NULL;
    return ops->plan_create(p);
}

static i2w_status create(i2w_context *ctx, const i2w_shape *sh, i2w_op op,
                         i2w_algo algo, i2w_plan **out)
{
    i2w_plan *p = calloc(1, sizeof *p);
    if (!p)
        return i2w_fail(ctx, I2W_ERR_OUT_OF_MEMORY,
                        "out of memory creating a plan");
    p->ctx = ctx;
    p->shape = *sh;
    p->op = op;
    p->algo = algo;
    i2w_status st = make(p, ctx->ops);
    if (st == I2W_ERR_UNSUPPORTED && ctx->fallback &&
        (algo == I2W_ALGO_AUTO || ctx->auto_backend)) {
        char first[sizeof ctx->error];
        memcpy(first, ctx->error, sizeof first);
        p->algo = algo;
        st = make(p, ctx->fallback);
        if (st == I2W_ERR_UNSUPPORTED) {
            char second[sizeof ctx->error];
            memcpy(second, ctx->error, sizeof second);
            i2w_fail(ctx, st, "%s; fallback: %s", first, second);
        }
    }
    if (st) {
        free(p);
        return st;
    }
    *out = p;
    return I2W_OK;
}

i2w_status i2w_plan_create(i2w_context *ctx, const i2w_conv_desc *d,
                           i2w_op op, i2w_algo algo, i2w_plan **plan)
{
    i2w_shape sh;
    if (!ctx)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_plan_create: 'ctx' is NULL");
    if (!plan)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "i2w_plan_create: 'plan' is NULL");
    *plan = NULL;
    i2w_status st = check_request(ctx, d, op, algo, &sh);
    return st ? st : create(ctx, &sh, op, algo, plan);
}

i2w_algo i2w_plan_algo(const i2w_plan *plan)
{
    return plan ? plan->algo : I2W_ALGO_AUTO;
}

size_t i2w_plan_workspace_bytes(const i2w_plan *plan)
{
    return plan ? plan->workspace_bytes : 0;
}

void i2w_plan_destroy(i2w_plan *plan)
{
    if (!plan)
        return;
    plan->ops->plan_destroy(plan);
    free(plan);
}

i2w_status i2w_plan_set_filter(i2w_plan *plan, const float *w)
{
    if (!plan)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_plan_set_filter: 'plan' is NULL");
    if (plan->op == I2W_OP_BACKWARD_FILTER)
        return i2w_fail(plan->ctx, I2W_ERR_INVALID_ARGUMENT,
                        "i2w_plan_set_filter: a backward filter plan has no "
                        "filter input");
    if (!w)
        return i2w_fail(plan->ctx, I2W_ERR_INVALID_ARGUMENT,
                        "i2w_plan_set_filter: 'w' is NULL");
    plan->filter = NULL;
    plan->filter_packed = 0;
    i2w_status st = plan->ops->plan_set_filter
                        ? plan->ops->plan_set_filter(plan, w)
                        : I2W_OK;
    if (st == I2W_OK)
        plan->filter = w;
    return st;
}

static i2w_status execute(i2w_plan *plan, const float *a, const float *b,
                          const float *bias, float *out)
{
    if (!plan)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_plan_execute: 'plan' is NULL");
    if (bias && plan->op != I2W_OP_FORWARD)
        return i2w_fail(plan->ctx, I2W_ERR_INVALID_ARGUMENT,
                        "bias is only valid for the forward op");
    /* b = NULL: the filter set with i2w_plan_set_filter (checked like any
     * other filter pointer) */
    int fixed = !b && plan->filter;
    i2w_status st = check_args(plan->ctx, &plan->shape, plan->op, a,
                               fixed ? plan->filter : b, bias, out);
    if (st)
        return st;
    if (fixed && !plan->filter_packed)
        b = plan->filter;
    if (b && plan->filter_packed) {
        /* a backend that repacks overwrites its copy with this b */
        plan->filter = NULL;
        plan->filter_packed = 0;
    }
    return plan->ops->plan_execute(plan, a, b, bias, out);
}

i2w_status i2w_plan_execute(i2w_plan *plan, const float *a, const float *b,
                            float *out)
{
    return execute(plan, a, b, NULL, out);
}

i2w_status i2w_plan_execute_bias(i2w_plan *plan, const float *x,
                                 const float *w, const float *bias, float *y)
{
    return execute(plan, x, w, bias, y);
}

/* One-shot: every check before the plan allocates anything. */
static i2w_status once(i2w_context *ctx, const i2w_conv_desc *d, i2w_op op,
                       i2w_algo algo, const float *a, const float *b,
                       const float *bias, float *out)
{
    i2w_shape sh;
    i2w_plan *plan;
    if (!ctx)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT, "'ctx' is NULL");
    i2w_status st = check_request(ctx, d, op, algo, &sh);
    if (!st)
        st = check_args(ctx, &sh, op, a, b, bias, out);
    if (!st)
        st = create(ctx, &sh, op, algo, &plan);
    if (st)
        return st;
    st = plan->ops->plan_execute(plan, a, b, bias, out);
    i2w_plan_destroy(plan);
    return st;
}

i2w_status i2w_conv_forward(i2w_context *ctx, const i2w_conv_desc *d,
                            i2w_algo algo, const float *x, const float *w,
                            const float *bias, float *y)
{
    return once(ctx, d, I2W_OP_FORWARD, algo, x, w, bias, y);
}

i2w_status i2w_conv_backward_data(i2w_context *ctx, const i2w_conv_desc *d,
                                  i2w_algo algo, const float *dy,
                                  const float *w, float *dx)
{
    return once(ctx, d, I2W_OP_BACKWARD_DATA, algo, dy, w, NULL, dx);
}

i2w_status i2w_conv_backward_filter(i2w_context *ctx,
                                    const i2w_conv_desc *d, i2w_algo algo,
                                    const float *x, const float *dy,
                                    float *dw)
{
    return once(ctx, d, I2W_OP_BACKWARD_FILTER, algo, x, dy, NULL, dw);
}
