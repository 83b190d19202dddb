/* x86 test helper: a plan made by hand, so a family runs with the ISA the
 * test names, not the one the library would pick. */
#ifndef I2W_TESTX86_H
#define I2W_TESTX86_H

#include "x86/x86.h"

typedef struct {
    i2w_context ctx;
    i2w_plan plan;
} tu_x86_plan;

/* Forward plan of family f (as algo) on sh, isa and `threads` threads;
 * the family's create status.  Free with f->destroy(&hp->plan). */
i2w_status tu_x86_plan_create(tu_x86_plan *hp, const i2w_shape *sh,
                              i2w_algo algo, const i2w_x86_algo *f,
                              i2w_isa isa, int threads);

#endif /* I2W_TESTX86_H */
