/* oneDNN as the CPU comparison: a dnnl convolution primitive of the case's
 * op (forward, backward data or backward weights), FP32, direct algorithm
 * (Winograd would change the numerics), on the case's own activation
 * buffers described with the layout's strides; input weights in the
 * format oneDNN prefers, reordered once before timing, output weights (dw)
 * in the case's format.  Primitive
 * creation is not timed; oneDNN's OpenMP uses the same thread count as
 * im2win.  CHWN8 blocks the batch in a way no oneDNN format describes: it
 * is reported as skipped rather than compared with another layout. */
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "bench.h"

#if DNNL_VERSION_MAJOR == 2

typedef struct {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t conv;
    dnnl_memory_t mem[3]; /* the case's operands a, b and out */
    const int *arg;       /* oneDNN's argument for each of them */
} onednn_runner;

/* FORWARD: a=x b=w out=y; BACKWARD_DATA: a=dy b=w out=dx;
 * BACKWARD_FILTER: a=x b=dy out=dw */
static const int args_of[3][3] = {
    [I2W_OP_FORWARD] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST },
    [I2W_OP_BACKWARD_DATA] = { DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS,
                               DNNL_ARG_DIFF_SRC },
    [I2W_OP_BACKWARD_FILTER] = { DNNL_ARG_SRC, DNNL_ARG_DIFF_DST,
                                 DNNL_ARG_DIFF_WEIGHTS },
};

static void destroy(void *self)
{
    onednn_runner *o = self;
    if (o->conv)
        dnnl_primitive_destroy(o->conv);
    for (int i = 0; i < 3; i++)
        if (o->mem[i])
            dnnl_memory_destroy(o->mem[i]);
    if (o->stream)
        dnnl_stream_destroy(o->stream);
    if (o->engine)
        dnnl_engine_destroy(o->engine);
    free(o);
}

static int run(void *self, char *note, size_t notelen)
{
    onednn_runner *o = self;
    dnnl_exec_arg_t args[3];
    for (int i = 0; i < 3; i++)
        args[i] = (dnnl_exec_arg_t){ o->arg[i], o->mem[i] };
    dnnl_status_t st = dnnl_primitive_execute(o->conv, o->stream, 3, args);
    if (st == dnnl_success)
        st = dnnl_stream_wait(o->stream);
    if (st == dnnl_success)
        return 0;
    snprintf(note, notelen, "oneDNN execute: status %d", (int)st);
    return -1;
}

/* An activation memory descriptor with the case layout's strides. */
static dnnl_status_t activation_md(dnnl_memory_desc_t *md, i2w_layout layout,
                                   const int dim[4])
{
    long stride[4];
    dnnl_dims_t dims, strides;
    bench_activation_strides(layout, dim, stride);
    for (int i = 0; i < 4; i++) {
        dims[i] = dim[i];
        strides[i] = stride[i];
    }
    return dnnl_memory_desc_init_by_strides(md, 4, dims, dnnl_f32, strides);
}

/* Replaces the weights operand (the case's filter, user format) with a
 * copy in the format the primitive chose, when they differ. */
static dnnl_status_t reorder_weights(onednn_runner *o,
                                     const dnnl_memory_desc_t *want)
{
    const dnnl_memory_desc_t *have;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t reorder;
    dnnl_memory_t packed;
    dnnl_status_t st = dnnl_memory_get_memory_desc(o->mem[1], &have);
    if (st != dnnl_success || dnnl_memory_desc_equal(have, want))
        return st;
    if ((st = dnnl_memory_create(&packed, want, o->engine,
                                 DNNL_MEMORY_ALLOCATE)) != dnnl_success)
        return st;
    st = dnnl_reorder_primitive_desc_create(&pd, have, o->engine, want,
                                            o->engine, NULL);
    if (st == dnnl_success) {
        st = dnnl_primitive_create(&reorder, pd);
        dnnl_primitive_desc_destroy(pd);
    }
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[] = { { DNNL_ARG_FROM, o->mem[1] },
                                   { DNNL_ARG_TO, packed } };
        st = dnnl_primitive_execute(reorder, o->stream, 2, args);
        if (st == dnnl_success)
            st = dnnl_stream_wait(o->stream);
        dnnl_primitive_destroy(reorder);
    }
    dnnl_memory_destroy(st == dnnl_success ? o->mem[1] : packed);
    if (st == dnnl_success)
        o->mem[1] = packed;
    return st;
}

/* The memory descriptors of x, w (in the user's format and as "any") and
 * y, and the convolution geometry in oneDNN's terms. */
typedef struct {
    dnnl_memory_desc_t x, w, w_any, y;
    dnnl_dims_t strides, dilates, pad_l, pad_r;
} conv_mds;

static dnnl_status_t describe_conv(const bench_case *c, conv_mds *m)
{
    const bench_geom *g = &c->g;
    int xdim[4], ydim[4];
    long wstride[5];
    dnnl_dims_t wdims = { g->g, g->kg, g->cg, g->r, g->s }, wstrides;
    /* a 1-group convolution takes 4-D weights: drop the group dim */
    int grouped = g->g > 1, wnd = 4 + grouped;
    dnnl_status_t st;

    bench_tensor_dims(g, 'x', xdim);
    bench_tensor_dims(g, 'y', ydim);
    bench_filter_strides(c->d.layout, g, wstride);
    for (int i = 0; i < wnd; i++) {
        wdims[i] = wdims[i + !grouped];
        wstrides[i] = wstride[i + !grouped];
    }
    m->strides[0] = g->sh, m->strides[1] = g->sw;
    m->dilates[0] = g->dh - 1, m->dilates[1] = g->dw - 1;
    m->pad_l[0] = g->ph, m->pad_l[1] = g->pw;
    /* the right padding that makes the output size exact: negative when
     * the last input rows are not reached */
    m->pad_r[0] = (g->ho - 1) * g->sh + (g->r - 1) * g->dh + 1 - g->h - g->ph;
    m->pad_r[1] = (g->wo - 1) * g->sw + (g->s - 1) * g->dw + 1 - g->w - g->pw;
    if ((st = activation_md(&m->x, c->d.layout, xdim)) ||
        (st = activation_md(&m->y, c->d.layout, ydim)) ||
        (st = dnnl_memory_desc_init_by_strides(&m->w, wnd, wdims, dnnl_f32,
                                               wstrides)))
        return st;
    return dnnl_memory_desc_init_by_tag(&m->w_any, wnd, wdims, dnnl_f32,
                                        dnnl_format_tag_any);
}

/* The primitive descriptor of c's op.  Backward ones need a forward one
 * as a hint; dw, an output, keeps the user's format. */
static dnnl_status_t op_pd(onednn_runner *o, const bench_case *c,
                           const conv_mds *m, dnnl_primitive_desc_t *pd)
{
    dnnl_convolution_desc_t fd, bd;
    dnnl_primitive_desc_t hint;
    dnnl_status_t st = dnnl_dilated_convolution_forward_desc_init(
        &fd,
        c->op == I2W_OP_FORWARD ? dnnl_forward_inference
                                : dnnl_forward_training,
        dnnl_convolution_direct, &m->x, &m->w_any, NULL, &m->y, m->strides,
        m->dilates, m->pad_l, m->pad_r);
    if (st || (st = dnnl_primitive_desc_create(&hint, &fd, NULL, o->engine,
                                               NULL)))
        return st;
    if (c->op == I2W_OP_FORWARD) {
        *pd = hint;
        return st;
    }
    if (c->op == I2W_OP_BACKWARD_DATA)
        st = dnnl_dilated_convolution_backward_data_desc_init(
            &bd, dnnl_convolution_direct, &m->x, &m->w_any, &m->y,
            m->strides, m->dilates, m->pad_l, m->pad_r);
    else
        st = dnnl_dilated_convolution_backward_weights_desc_init(
            &bd, dnnl_convolution_direct, &m->x, &m->w, NULL, &m->y,
            m->strides, m->dilates, m->pad_l, m->pad_r);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(pd, &bd, NULL, o->engine, hint);
    dnnl_primitive_desc_destroy(hint);
    return st;
}

/* Everything but running; returns the failing step's name, or NULL. */
static const char *build(onednn_runner *o, bench_case *c, dnnl_status_t *st)
{
    void *ptr[3] = { c->a, c->b, c->out };
    conv_mds m;
    dnnl_primitive_desc_t pd;

    o->arg = args_of[c->op];
    if ((*st = dnnl_engine_create(&o->engine, dnnl_cpu, 0)) ||
        (*st = dnnl_stream_create(&o->stream, o->engine,
                                  dnnl_stream_default_flags)))
        return "engine";
    if ((*st = describe_conv(c, &m)))
        return "memory descriptors";
    for (int i = 0; i < 3; i++) {
        char which = bench_op_tensor(c->op, i);
        const dnnl_memory_desc_t *md = which == 'x'   ? &m.x
                                       : which == 'y' ? &m.y
                                                      : &m.w;
        if ((*st = dnnl_memory_create(&o->mem[i], md, o->engine, ptr[i])))
            return "memory";
    }
    if ((*st = op_pd(o, c, &m, &pd)))
        return "primitive descriptor";
    /* oneDNN's reference kernels (its only ones for some strided layouts,
     * e.g. chwn) run for minutes a layer and compare nothing useful */
    const char *impl = "", *step = "weights reorder";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    if (strncmp(impl, "ref", 3) == 0) {
        *st = dnnl_unimplemented;
        step = "has only its reference implementation for this layout";
    } else if (c->op == I2W_OP_BACKWARD_FILTER ||
               !(*st = reorder_weights(o, dnnl_primitive_desc_query_md(
                                              pd, dnnl_query_weights_md, 0)))) {
        step = "primitive";
        *st = dnnl_primitive_create(&o->conv, pd);
    }
    dnnl_primitive_desc_destroy(pd);
    return *st == dnnl_success ? NULL : step;
}

static bench_setup setup(bench_case *c, bench_runner *r, char *note,
                         size_t notelen)
{
    int dim[4];
    long stride[4];
    dnnl_status_t st;
    bench_tensor_dims(&c->g, 'x', dim);
    if (bench_activation_strides(c->d.layout, dim, stride)) {
        snprintf(note, notelen, "oneDNN has no %s format",
                 i2w_layout_name(c->d.layout));
        return BENCH_SKIP;
    }
    onednn_runner *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(note, notelen, "out of memory");
        return BENCH_ERROR;
    }
    const char *failed = build(o, c, &st);
    if (failed) {
        snprintf(note, notelen, "oneDNN %s (status %d)", failed, (int)st);
        destroy(o);
        /* an unimplemented shape/format is a skip, anything else an error */
        return st == dnnl_unimplemented ? BENCH_SKIP : BENCH_ERROR;
    }
    *r = (bench_runner){ run, destroy, o, 0 };
    /* scratchpad and other memory the primitive holds besides its args */
    int64_t scratch = 0;
    const_dnnl_primitive_desc_t pd;
    if (dnnl_primitive_get_primitive_desc(o->conv, &pd) == dnnl_success &&
        dnnl_primitive_desc_query(pd, dnnl_query_memory_consumption_s64, 0,
                                  &scratch) == dnnl_success)
        r->workspace = (size_t)scratch;
    return BENCH_OK;
}

#else /* the v3 API replaced op descriptors; not written yet */

static bench_setup setup(bench_case *c, bench_runner *r, char *note,
                         size_t notelen)
{
    (void)c;
    (void)r;
    snprintf(note, notelen, "oneDNN v%d API not supported by this bench",
             DNNL_VERSION_MAJOR);
    return BENCH_SKIP;
}

#endif

static void describe(char *buf, size_t len)
{
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, len, "oneDNN %d.%d.%d (cpu runtime %s)", v->major, v->minor,
             v->patch, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other");
}

const bench_comparator bench_onednn = { "oneDNN", setup, describe };
