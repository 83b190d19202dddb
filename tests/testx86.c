/* A hand-made x86 plan (testx86.h). */
#include "testx86.h"

#include <string.h>

i2w_status tu_x86_plan_create(tu_x86_plan *hp, const i2w_shape *sh,
                              i2w_algo algo, const i2w_x86_algo *f,
                              i2w_isa isa, int threads)
{
    memset(hp, 0, sizeof *hp);
    hp->ctx.ops = &i2w_x86_backend;
    hp->ctx.kind = I2W_BACKEND_X86;
    hp->ctx.threads = threads;
    hp->plan.ctx = &hp->ctx;
    hp->plan.ops = &i2w_x86_backend;
    hp->plan.shape = *sh;
    hp->plan.op = I2W_OP_FORWARD;
    hp->plan.algo = algo;
    return f->create(&hp->plan, isa);
}
