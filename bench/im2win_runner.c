/* The library under test as a runner: a plan made once, executed per run. */
#include <stdlib.h>

#include "bench.h"

typedef struct {
    i2w_plan *plan;
    bench_case *c;
    const void *b; /* NULL: the filter was set on the plan */
} plan_runner;

static int run_plan(void *self, char *note, size_t notelen)
{
    plan_runner *p = self;
    i2w_status st = i2w_plan_execute(p->plan, p->c->a, p->b, p->c->out);
    if (st == I2W_OK)
        return 0;
    snprintf(note, notelen, "execute: %s: %s", i2w_status_string(st),
             i2w_context_error(p->c->ctx));
    return -1;
}

static void destroy_plan(void *self)
{
    plan_runner *p = self;
    i2w_plan_destroy(p->plan);
    free(p);
}

bench_setup bench_im2win_runner(bench_case *c, i2w_algo algo,
                                int fixed_filter, bench_runner *r,
                                char *note, size_t notelen)
{
    plan_runner *p = malloc(sizeof *p);
    if (!p) {
        snprintf(note, notelen, "out of memory");
        return BENCH_ERROR;
    }
    p->c = c;
    p->b = c->b;
    i2w_status st = i2w_plan_create(c->ctx, &c->d, c->op, algo, &p->plan);
    /* the filter given once, outside the timing, as the comparison
     * libraries' weights are prepared once (forward and backward data) */
    if (st == I2W_OK && fixed_filter && c->op != I2W_OP_BACKWARD_FILTER) {
        st = i2w_plan_set_filter(p->plan, c->b);
        if (st != I2W_OK)
            i2w_plan_destroy(p->plan);
        p->b = NULL;
    }
    if (st != I2W_OK) {
        snprintf(note, notelen, "%s: %s", i2w_status_string(st),
                 i2w_context_error(c->ctx));
        free(p);
        return st == I2W_ERR_UNSUPPORTED ? BENCH_SKIP : BENCH_ERROR;
    }
    *r = (bench_runner){ run_plan, destroy_plan, p,
                         i2w_plan_workspace_bytes(p->plan) };
    return BENCH_OK;
}
