/* The reference backend's table: host memory, one algorithm (DIRECT) for
 * every operator, no workspace.  The x86 backend falls back to it for
 * whatever its kernels decline, so it must accept every valid shape. */

#include "ref/ref.h"

static i2w_status ref_init(i2w_context *ctx)
{
    ctx->priv = NULL;
    snprintf(ctx->describe, sizeof ctx->describe,
             "ref (scalar, double accumulation)");
    return I2W_OK;
}

static void ref_fini(i2w_context *ctx)
{
    (void)ctx;
}

static i2w_status ref_plan_create(i2w_plan *plan)
{
    if (plan->algo != I2W_ALGO_AUTO && plan->algo != I2W_ALGO_DIRECT)
        return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                        "algorithm %s is not implemented by the ref backend "
                        "(it has DIRECT only)",
                        i2w_algo_name(plan->algo));
    plan->algo = I2W_ALGO_DIRECT;
    plan->workspace = NULL;
    plan->workspace_bytes = 0;
    plan->priv = NULL;
    return I2W_OK;
}

static i2w_status ref_plan_execute(i2w_plan *plan, const float *a,
                                   const float *b, const float *bias,
                                   float *out)
{
    switch (plan->op) {
    case I2W_OP_FORWARD:
        i2w_ref_forward(&plan->shape, a, b, bias, out);
        break;
    case I2W_OP_BACKWARD_DATA:
        i2w_ref_backward_data(&plan->shape, a, b, out);
        break;
    case I2W_OP_BACKWARD_FILTER:
        i2w_ref_backward_filter(&plan->shape, a, b, out);
        break;
    }
    return I2W_OK;
}

static void ref_plan_destroy(i2w_plan *plan)
{
    (void)plan; /* nothing was allocated */
}

const i2w_backend_ops i2w_ref_backend = {
    .abi = I2W_BACKEND_ABI,
    .kind = I2W_BACKEND_REF,
    .name = "ref",
    .init = ref_init,
    .fini = ref_fini,
    .mem_alloc = i2w_host_alloc,
    .mem_free = i2w_host_free,
    .copy = i2w_host_copy,
    .synchronize = i2w_host_synchronize,
    .set_stream = NULL,
    .plan_create = ref_plan_create,
    .plan_execute = ref_plan_execute,
    .plan_destroy = ref_plan_destroy,
    .convert = i2w_ref_convert,
};
