/* Plans of the CUDA backend: resolve the algorithm, let it size and carve
 * the workspace, and run it. */
#include <stdlib.h>

#include "cuda/plugin.h"

static i2w_status unsupported(i2w_plan *plan)
{
    static const char *const ops[] = {"forward", "backward data",
                                      "backward filter"};
    return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                    "the CUDA backend has no algorithm %d for %s "
                    "(it has DIRECT for every op, IM2WIN and IM2COL_GEMM "
                    "for forward)",
                    (int)plan->algo, ops[plan->op]);
}

/* AUTO: IM2WIN for forward, DIRECT for the backward ops. */
static i2w_status choose(i2w_plan *plan)
{
    i2w_cuda_plan *cp = (i2w_cuda_plan *)plan->priv;
    if (plan->algo == I2W_ALGO_AUTO)
        plan->algo = plan->op == I2W_OP_FORWARD ? I2W_ALGO_IM2WIN
                                                : I2W_ALGO_DIRECT;
    switch (plan->op) {
    case I2W_OP_FORWARD:
        if (plan->algo == I2W_ALGO_DIRECT) {
            cp->execute = i2w_cuda_direct_forward;
            return I2W_OK;
        }
        if (plan->algo == I2W_ALGO_IM2WIN)
            return i2w_cuda_im2win_plan(plan);
        if (plan->algo == I2W_ALGO_IM2COL_GEMM)
            return i2w_cuda_im2col_plan(plan);
        break;
    case I2W_OP_BACKWARD_DATA:
        if (plan->algo == I2W_ALGO_DIRECT) {
            cp->execute = i2w_cuda_direct_backward_data;
            return I2W_OK;
        }
        break;
    case I2W_OP_BACKWARD_FILTER:
        if (plan->algo == I2W_ALGO_DIRECT) {
            cp->execute = i2w_cuda_direct_backward_filter;
            return I2W_OK;
        }
        break;
    }
    return unsupported(plan);
}

i2w_status i2w_cuda_plan_create(i2w_plan *plan)
{
    i2w_cuda_plan *cp = (i2w_cuda_plan *)calloc(1, sizeof *cp);
    if (!cp)
        return i2w_fail(plan->ctx, I2W_ERR_OUT_OF_MEMORY,
                        "cannot allocate the CUDA plan state");
    plan->priv = cp;
    i2w_status st = choose(plan);
    if (st != I2W_OK)
        i2w_cuda_plan_destroy(plan);
    return st;
}

i2w_status i2w_cuda_plan_workspace(i2w_plan *plan, size_t bytes)
{
    if (bytes == 0)
        return I2W_OK;
    i2w_status st = i2w_cuda_mem_alloc(plan->ctx, &plan->workspace, bytes);
    if (st == I2W_OK)
        plan->workspace_bytes = bytes;
    return st;
}

i2w_status i2w_cuda_plan_execute(i2w_plan *plan, const float *a,
                                 const float *b, const float *bias,
                                 float *out)
{
    i2w_cuda_plan *cp = (i2w_cuda_plan *)plan->priv;
    return cp->execute(plan, a, b, bias, out);
}

void i2w_cuda_plan_destroy(i2w_plan *plan)
{
    if (plan->workspace)
        i2w_cuda_mem_free(plan->ctx, plan->workspace);
    plan->workspace = NULL;
    plan->workspace_bytes = 0;
    free(plan->priv);
    plan->priv = NULL;
}
