/* The DIRECT family of the x86 backend: no workspace, every shape; the
 * kernel of the plan's ISA is chosen once, at plan creation. */
#include "x86/direct.h"
#include "x86/x86.h"

static const i2w_direct_fn kernels[] = {
    [I2W_ISA_NONE] = NULL,
    [I2W_ISA_AVX2] = i2w_x86_direct_forward_avx2,
    [I2W_ISA_AVX512] = i2w_x86_direct_forward_avx512,
};

static i2w_status direct_create(i2w_plan *plan, i2w_isa isa)
{
    if ((unsigned)isa >= sizeof kernels / sizeof kernels[0] || !kernels[isa])
        return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                        "x86 DIRECT needs AVX2 or AVX-512 (ISA %s)",
                        i2w_isa_name(isa));
    /* priv points into the const table: the plan never writes through it */
    plan->priv = (void *)&kernels[isa];
    plan->workspace = NULL;
    plan->workspace_bytes = 0;
    return I2W_OK;
}

static i2w_status direct_execute(i2w_plan *plan, const float *x,
                                 const float *w, const float *bias, float *y)
{
    const i2w_direct_fn fn = *(const i2w_direct_fn *)plan->priv;
    fn(&plan->shape, x, w, bias, y, plan->ctx->threads);
    return I2W_OK;
}

static void direct_destroy(i2w_plan *plan)
{
    plan->priv = NULL; /* nothing was allocated */
}

const i2w_x86_algo i2w_x86_direct = {
    .create = direct_create,
    .execute = direct_execute,
    .destroy = direct_destroy,
};
