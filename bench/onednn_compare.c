/* oneDNN as the CPU comparison: a dnnl convolution_forward primitive, FP32,
 * direct algorithm (Winograd would change the numerics), on the case's own
 * activation buffers described with the layout's strides; the weights in
 * the format oneDNN prefers, reordered once before timing.  Primitive
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
    dnnl_memory_t src, weights, dst;
} onednn_runner;

static void destroy(void *self)
{
    onednn_runner *o = self;
    if (o->conv)
        dnnl_primitive_destroy(o->conv);
    if (o->src)
        dnnl_memory_destroy(o->src);
    if (o->weights)
        dnnl_memory_destroy(o->weights);
    if (o->dst)
        dnnl_memory_destroy(o->dst);
    if (o->stream)
        dnnl_stream_destroy(o->stream);
    if (o->engine)
        dnnl_engine_destroy(o->engine);
    free(o);
}

static int run(void *self, char *note, size_t notelen)
{
    onednn_runner *o = self;
    dnnl_exec_arg_t args[] = { { DNNL_ARG_SRC, o->src },
                               { DNNL_ARG_WEIGHTS, o->weights },
                               { DNNL_ARG_DST, o->dst } };
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

/* Replaces o->weights (the case's filter, user format) with a copy in the
 * format the primitive chose, when they differ. */
static dnnl_status_t reorder_weights(onednn_runner *o,
                                     const dnnl_memory_desc_t *want)
{
    const dnnl_memory_desc_t *have;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t reorder;
    dnnl_memory_t packed;
    dnnl_status_t st = dnnl_memory_get_memory_desc(o->weights, &have);
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
        dnnl_exec_arg_t args[] = { { DNNL_ARG_FROM, o->weights },
                                   { DNNL_ARG_TO, packed } };
        st = dnnl_primitive_execute(reorder, o->stream, 2, args);
        if (st == dnnl_success)
            st = dnnl_stream_wait(o->stream);
        dnnl_primitive_destroy(reorder);
    }
    dnnl_memory_destroy(st == dnnl_success ? o->weights : packed);
    if (st == dnnl_success)
        o->weights = packed;
    return st;
}

/* Everything but the final primitive; returns the first failing step. */
static const char *build(onednn_runner *o, bench_case *c, dnnl_status_t *st)
{
    const bench_geom *g = &c->g;
    int xdim[4], ydim[4];
    long wstride[5];
    dnnl_memory_desc_t src_md, dst_md, wuser_md, wany_md;
    dnnl_dims_t wdims = { g->g, g->kg, g->cg, g->r, g->s }, wstrides;
    /* a 1-group convolution takes 4-D weights: drop the group dim */
    int grouped = g->g > 1, wnd = 4 + grouped;
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd;

    bench_tensor_dims(g, 'x', xdim);
    bench_tensor_dims(g, 'y', ydim);
    bench_filter_strides(c->d.layout, g, wstride);
    for (int i = 0; i < wnd; i++) {
        wdims[i] = wdims[i + !grouped];
        wstrides[i] = wstride[i + !grouped];
    }
    /* oneDNN wants the right padding that makes the output size exact:
     * negative when the last input rows are not reached */
    dnnl_dims_t strides = { g->sh, g->sw }, dilates = { g->dh - 1, g->dw - 1 },
                pad_l = { g->ph, g->pw },
                pad_r = { (g->ho - 1) * g->sh + (g->r - 1) * g->dh + 1 -
                              g->h - g->ph,
                          (g->wo - 1) * g->sw + (g->s - 1) * g->dw + 1 -
                              g->w - g->pw };

    if ((*st = dnnl_engine_create(&o->engine, dnnl_cpu, 0)) ||
        (*st = dnnl_stream_create(&o->stream, o->engine,
                                  dnnl_stream_default_flags)))
        return "engine";
    if ((*st = activation_md(&src_md, c->d.layout, xdim)) ||
        (*st = activation_md(&dst_md, c->d.layout, ydim)) ||
        (*st = dnnl_memory_desc_init_by_strides(&wuser_md, wnd, wdims,
                                                dnnl_f32, wstrides)) ||
        (*st = dnnl_memory_desc_init_by_tag(&wany_md, wnd, wdims, dnnl_f32,
                                            dnnl_format_tag_any)))
        return "memory descriptors";
    if ((*st = dnnl_memory_create(&o->src, &src_md, o->engine, c->a)) ||
        (*st = dnnl_memory_create(&o->weights, &wuser_md, o->engine, c->b)) ||
        (*st = dnnl_memory_create(&o->dst, &dst_md, o->engine, c->out)))
        return "memory";
    if ((*st = dnnl_dilated_convolution_forward_desc_init(
             &cd, dnnl_forward_inference, dnnl_convolution_direct, &src_md,
             &wany_md, NULL, &dst_md, strides, dilates, pad_l, pad_r)))
        return "convolution descriptor";
    if ((*st = dnnl_primitive_desc_create(&pd, &cd, NULL, o->engine, NULL)))
        return "primitive descriptor";
    /* oneDNN's reference kernels (its only ones for some strided layouts,
     * e.g. chwn) run for minutes a layer and compare nothing useful */
    const char *impl = "", *step = "weights reorder";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    if (strncmp(impl, "ref", 3) == 0) {
        *st = dnnl_unimplemented;
        step = "has only its reference implementation for this layout";
    } else if (!(*st = reorder_weights(
              o, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)))) {
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
