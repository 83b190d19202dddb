/* The x86 backend: forward convolutions by the AVX2 / AVX-512 families of
 * x86.h on OpenMP threads, in host memory.  It does no backward operator:
 * those return UNSUPPORTED, and the front end runs them on the reference
 * backend, which shares the memory space. */
#include <stdlib.h>

#include "ref/ref.h"
#include "x86/x86.h"

typedef struct {
    i2w_isa isa; /* read once, at init: IM2WIN_ISA applies per context */
} x86_state;

static i2w_status x86_init(i2w_context *ctx)
{
    const i2w_isa isa = i2w_cpu_isa();
    if (isa == I2W_ISA_NONE)
        return i2w_fail(ctx, I2W_ERR_BACKEND_UNAVAILABLE, "%s",
                        i2w_cpu_isa_none_reason());
    x86_state *st = malloc(sizeof *st);
    if (!st)
        return i2w_fail(ctx, I2W_ERR_OUT_OF_MEMORY,
                        "out of memory creating an x86 context");
    st->isa = isa;
    ctx->priv = st;
    /* the front end appends the thread count, which may change later */
    snprintf(ctx->describe, sizeof ctx->describe, "x86 %s",
             i2w_isa_name(isa));
    return I2W_OK;
}

static void x86_fini(i2w_context *ctx)
{
    free(ctx->priv);
    ctx->priv = NULL;
}

/* Depthwise with channel multiplier 1: the general im2win kernels would
 * fill one lane of a vector, so IM2WIN takes its depthwise family. */
static int depthwise(const i2w_shape *sh)
{
    return sh->cg == 1 && sh->kg == 1;
}

/* The family of a forward algorithm on a shape, or NULL when the backend
 * has none.  Plan creation, execution and destruction all ask here, so a
 * plan is always run and freed by the family that made it. */
static const i2w_x86_algo *family(i2w_algo algo, const i2w_shape *sh)
{
    switch (algo) {
    case I2W_ALGO_IM2WIN:
        return depthwise(sh) ? &i2w_x86_im2win_dw : &i2w_x86_im2win;
    case I2W_ALGO_DIRECT:
        return &i2w_x86_direct;
    case I2W_ALGO_IM2COL_GEMM:
        return &i2w_x86_im2col_gemm;
    default:
        return NULL;
    }
}

static i2w_status x86_plan_create(i2w_plan *plan)
{
    i2w_context *ctx = plan->ctx;
    const i2w_isa isa = ((const x86_state *)ctx->priv)->isa;
    if (plan->op != I2W_OP_FORWARD)
        return i2w_fail(ctx, I2W_ERR_UNSUPPORTED,
                        "the x86 backend computes forward convolutions only");
    if (plan->algo != I2W_ALGO_AUTO) {
        const i2w_x86_algo *f = family(plan->algo, &plan->shape);
        if (!f)
            return i2w_fail(ctx, I2W_ERR_UNSUPPORTED,
                            "the x86 backend has no %s forward algorithm",
                            i2w_algo_name(plan->algo));
        return f->create(plan, isa);
    }
    /* AUTO: the fastest family that takes the shape */
    static const i2w_algo order[] = {I2W_ALGO_IM2WIN, I2W_ALGO_DIRECT};
    i2w_status st = I2W_ERR_UNSUPPORTED;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const i2w_x86_algo *f = family(order[i], &plan->shape);
        if (!f)
            continue;
        st = f->create(plan, isa);
        if (st == I2W_OK)
            plan->algo = order[i];
        if (st != I2W_ERR_UNSUPPORTED)
            break;
    }
    return st;
}

static i2w_status x86_plan_execute(i2w_plan *plan, const float *a,
                                   const float *b, const float *bias,
                                   float *out)
{
    return family(plan->algo, &plan->shape)->execute(plan, a, b, bias,
                                                     out);
}

static i2w_status x86_plan_set_filter(i2w_plan *plan, const float *w)
{
    const i2w_x86_algo *f = family(plan->algo, &plan->shape);
    return f->set_filter ? f->set_filter(plan, w) : I2W_OK;
}

static void x86_plan_destroy(i2w_plan *plan)
{
    family(plan->algo, &plan->shape)->destroy(plan);
}

const i2w_backend_ops i2w_x86_backend = {
    .abi = I2W_BACKEND_ABI,
    .kind = I2W_BACKEND_X86,
    .name = "x86",
    .init = x86_init,
    .fini = x86_fini,
    .mem_alloc = i2w_host_alloc,
    .mem_free = i2w_host_free,
    .copy = i2w_host_copy,
    .synchronize = i2w_host_synchronize,
    .set_stream = NULL,
    .plan_create = x86_plan_create,
    .plan_execute = x86_plan_execute,
    .plan_destroy = x86_plan_destroy,
    .convert = i2w_ref_convert,
    .plan_set_filter = x86_plan_set_filter,
};
