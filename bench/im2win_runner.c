/* The library under test as a runner: a plan made once, executed per run. */
#include <stdlib.h>

#include "bench.h"

typedef struct {
    i2w_plan *plan;
    bench_case *c;
} plan_runner;

static int run_plan(void *self, char *note, size_t notelen)
{
    plan_runner *p = self;
    i2w_status st = i2w_plan_execute(p->plan, p->c->a, p->c->b, p->c->out);
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
                                bench_runner *r, char *note, size_t notelen)
{
    plan_runner *p = malloc(sizeof *p);
    if (!p) {
        snprintf(note, notelen, "out of memory");
        return BENCH_ERROR;
    }
    p->c = c;
    i2w_status st = i2w_plan_create(c->ctx, &c->d, c->op, algo, &p->plan);
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
