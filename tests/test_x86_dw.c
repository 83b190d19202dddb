/* The depthwise im2win family (src/x86/im2win_dw.h) against the
 * reference: each ISA this host runs x every layout x 1 and 2 threads, on
 * shapes that reach its edges (channel counts that are not a multiple of
 * the vector width, batches that fill CHWN8 blocks partly, 1x1, 3x3 and 5x5
 * filters, strides 1-3, padding 0-2, dilation 1-2, odd output widths,
 * output width 1, partial bands and register tiles), with and without
 * bias; its refusals; its workspace, which does not grow with the batch;
 * and the backend, which runs IM2WIN and AUTO on depthwise shapes with it. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cpu.h"
#include "common/layout.h"
#include "ref/ref.h"
#include "testsuite.h"
#include "testutil.h"
#include "testx86.h"

static uint64_t seed;

static const i2w_layout layouts[] = {I2W_LAYOUT_NCHW, I2W_LAYOUT_NHWC,
                                     I2W_LAYOUT_CHWN, I2W_LAYOUT_CHWN8};
static const int channels[] = {1, 3, 16, 17, 33, 144};
static const int batches[] = {1, 3, 8, 9};
static const int filters[] = {1, 3, 5};
#define NCHANNELS 6
#define NBATCHES 4
#define NFILTERS 3
/* every channel count with every batch, each twice with other filters */
#define NCASES (2 * NCHANNELS * NBATCHES)

/* Input extent whose output extent is `out`. */
static int extent_for(int out, int f, int stride, int pad, int dil)
{
    const int in = (out - 1) * stride + dil * (f - 1) + 1 - 2 * pad;
    return in > 0 ? in : 1;
}

/* Depthwise case i: channels and batch from the lists, the rest random
 * within the ranges of the header comment. */
static void case_desc(int i, uint64_t *st, i2w_conv_desc *d)
{
    *d = (i2w_conv_desc){0};
    d->c = d->k = d->groups = channels[i % NCHANNELS];
    d->n = batches[i / NCHANNELS % NBATCHES];
    d->r = filters[i % NFILTERS];
    d->s = filters[(i + i / NFILTERS) % NFILTERS];
    d->stride_h = tu_rand_int(st, 1, 3);
    d->stride_w = tu_rand_int(st, 1, 3);
    d->dilation_h = tu_rand_int(st, 1, 2);
    d->dilation_w = tu_rand_int(st, 1, 2);
    const int ph_max = d->dilation_h * (d->r - 1);
    const int pw_max = d->dilation_w * (d->s - 1);
    d->pad_h = tu_rand_int(st, 0, ph_max < 2 ? ph_max : 2);
    d->pad_w = tu_rand_int(st, 0, pw_max < 2 ? pw_max : 2);
    const int ho = tu_rand_int(st, 1, 19);
    const int wo = i % 5 == 0 ? 1 : tu_rand_int(st, 1, 40);
    d->h = extent_for(ho, d->r, d->stride_h, d->pad_h, d->dilation_h);
    d->w = extent_for(wo, d->s, d->stride_w, d->pad_w, d->dilation_w);
}

/* Random x; the CHWN8 batch-padding lanes NaN: they must not leak into
 * real outputs. */
/* The family on isa with `threads` threads (and the context asking for
 * one more at execute, which the plan must not exceed) against want,
 * given w at execute and then fixed by set_filter. */
static void check_family(const i2w_shape *sh, i2w_isa isa, int threads,
                         const float *x, const float *w, const float *bias,
                         const float *want, const char *what)
{
    char label[400];
    snprintf(label, sizeof label, "%s %s threads=%d bias=%d (seed %llu)",
             i2w_isa_name(isa), what, threads, bias != NULL,
             (unsigned long long)seed);
    tu_x86_plan hp;
    i2w_status st = tu_x86_plan_create(&hp, sh, I2W_ALGO_IM2WIN, &i2w_x86_im2win_dw, isa, threads);
    ck_assert_msg(st == I2W_OK, "%s: create: %s (%s)", label,
                  i2w_status_string(st), hp.ctx.error);
    float *y = tu_alloc_nan(sh->y_elems);
    hp.ctx.threads = threads + 1;
    st = i2w_x86_im2win_dw.execute(&hp.plan, x, w, bias, y);
    ck_assert_msg(st == I2W_OK, "%s: execute: %s", label,
                  i2w_status_string(st));
    ck_assert_msg(tu_compare_tensor(sh, 'y', y, want, sh->r * sh->s,
                                    label) == 0,
                  "%s: differs from the reference", label);
    /* the filter fixed: a family that repacks it gets w == NULL after,
     * as the front end passes it */
    ck_assert_int_eq(i2w_x86_im2win_dw.set_filter(&hp.plan, w), I2W_OK);
    ck_assert_int_eq(hp.plan.filter_packed, sh->layout == I2W_LAYOUT_NHWC);
    tu_fill_nan(y, sh->y_elems);
    st = i2w_x86_im2win_dw.execute(&hp.plan, x,
                                   hp.plan.filter_packed ? NULL : w, bias, y);
    ck_assert_msg(st == I2W_OK, "%s: execute after set_filter: %s", label,
                  i2w_status_string(st));
    ck_assert_msg(tu_compare_tensor(sh, 'y', y, want, sh->r * sh->s,
                                    label) == 0,
                  "%s: differs from the reference after set_filter", label);
    i2w_x86_im2win_dw.destroy(&hp.plan);
    free(y);
}

/* Every ISA x layout x thread count on d (its layout is overwritten). */
static void check_all(i2w_conv_desc d, int with_bias, uint64_t *seedp)
{
    uint64_t st = *seedp;
    const i2w_isa top = i2w_cpu_isa_detected();
    for (size_t li = 0; li < 4; li++) {
        d.layout = layouts[li];
        i2w_shape sh;
        char msg[256], what[256];
        tu_describe(&d, what, sizeof what);
        ck_assert_msg(i2w_shape_from_desc(&d, &sh, msg, sizeof msg) == I2W_OK,
                      "%s: %s", what, msg);
        float *x = tu_alloc_input(&sh, 'x', &st);
        float *w = tu_alloc_random(sh.w_elems, &st);
        float *bias = with_bias ? tu_alloc_random((size_t)sh.k, &st) : NULL;
        float *want = tu_alloc_nan(sh.y_elems);
        i2w_ref_forward(&sh, x, w, bias, want);
        for (i2w_isa isa = I2W_ISA_AVX2; isa <= top; isa++)
            for (int threads = 1; threads <= 2; threads++)
                check_family(&sh, isa, threads, x, w, bias, want, what);
        free(want);
        free(bias);
        free(w);
        free(x);
    }
}

START_TEST(test_against_ref)
{
    uint64_t st = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(_i + 1));
    i2w_conv_desc d;
    case_desc(_i, &st, &d);
    check_all(d, _i % 2, &st);
}
END_TEST

/* MobileNet's depthwise 3x3 layers, shrunk in height: the NHWC paths with
 * 3-tap rows (strides 1 and 2), 7-pixel tiles and odd channel vectors,
 * whatever the random cases drew. */
START_TEST(test_mobile)
{
    static const int layer[][4] = {/* C, W, stride, height */
                                   {32, 112, 1, 5},
                                   {96, 112, 2, 9},
                                   {144, 56, 1, 4},
                                   {384, 14, 1, 14},
                                   {960, 7, 1, 7}};
    uint64_t st = seed ^ (0x51ull * (uint64_t)(_i + 1));
    const i2w_conv_desc d = {.n = 1, .c = layer[_i][0], .h = layer[_i][3],
                             .w = layer[_i][1], .k = layer[_i][0], .r = 3,
                             .s = 3, .stride_h = layer[_i][2],
                             .stride_w = layer[_i][2], .pad_h = 1,
                             .pad_w = 1, .groups = layer[_i][0]};
    check_all(d, 1, &st);
}
END_TEST

/* Padding that leaves taps of whole output rows, or of whole pixels, in
 * it (dilated taps straddling a 1-pixel image: their outputs the bias),
 * rows with no pixel whose taps all lie inside the image, a vector and a
 * partial one of channels. */
START_TEST(test_wide_padding)
{
    static const i2w_conv_desc descs[] = {
        {.n = 2, .c = 20, .h = 1, .w = 1, .k = 20, .r = 2, .s = 2,
         .stride_h = 1, .stride_w = 1, .pad_h = 2, .pad_w = 2,
         .dilation_h = 2, .dilation_w = 2, .groups = 20},
        {.n = 1, .c = 33, .h = 5, .w = 2, .k = 33, .r = 3, .s = 5,
         .stride_h = 2, .stride_w = 1, .pad_h = 4, .pad_w = 4,
         .dilation_h = 2, .dilation_w = 1, .groups = 33},
    };
    uint64_t st = seed ^ (0x77ull * (uint64_t)(_i + 1));
    check_all(descs[_i], 1, &st);
}
END_TEST

/* Channel multiplier 2, and a grouped layer: the family declines with
 * nothing allocated; the backend's IM2WIN still takes them (the general
 * family). */
START_TEST(test_declines)
{
    static const i2w_conv_desc descs[] = {
        {.n = 1, .c = 4, .h = 6, .w = 6, .k = 8, .r = 3, .s = 3,
         .groups = 4, .layout = I2W_LAYOUT_NHWC},
        {.n = 1, .c = 8, .h = 6, .w = 6, .k = 8, .r = 3, .s = 3,
         .groups = 4, .layout = I2W_LAYOUT_NCHW},
    };
    i2w_context *ctx;
    ck_assert_int_eq(i2w_context_create(&ctx, I2W_BACKEND_X86), I2W_OK);
    for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++) {
        i2w_shape sh;
        char msg[256];
        ck_assert_int_eq(i2w_shape_from_desc(&descs[i], &sh, msg, sizeof msg),
                         I2W_OK);
        tu_x86_plan hp;
        ck_assert_int_eq(tu_x86_plan_create(&hp, &sh, I2W_ALGO_IM2WIN, &i2w_x86_im2win_dw, i2w_cpu_isa(), 1),
                         I2W_ERR_UNSUPPORTED);
        ck_assert_ptr_null(hp.plan.workspace);
        ck_assert_ptr_null(hp.plan.priv);
        ck_assert_str_ne(hp.ctx.error, "");
        i2w_plan *plan = NULL;
        ck_assert_int_eq(i2w_plan_create(ctx, &descs[i], I2W_OP_FORWARD,
                                         I2W_ALGO_IM2WIN, &plan),
                         I2W_OK);
        i2w_plan_destroy(plan);
    }
    i2w_context_destroy(ctx);
}
END_TEST

/* The workspace is the packed filter plus one window per planned thread:
 * the same for a batch of 20 and of 40 in every layout (CHWN's window
 * holds a vector of images, not the batch). */
START_TEST(test_workspace)
{
    for (size_t li = 0; li < 4; li++) {
        i2w_conv_desc d = {.n = 20, .c = 144, .h = 56, .w = 56, .k = 144,
                           .r = 3, .s = 3, .pad_h = 1, .pad_w = 1,
                           .groups = 144, .layout = layouts[li]};
        size_t bytes[2];
        for (int i = 0; i < 2; i++, d.n = 40) {
            i2w_shape sh;
            char msg[256];
            ck_assert_int_eq(i2w_shape_from_desc(&d, &sh, msg, sizeof msg),
                             I2W_OK);
            tu_x86_plan hp;
            ck_assert_int_eq(tu_x86_plan_create(&hp, &sh, I2W_ALGO_IM2WIN, &i2w_x86_im2win_dw, i2w_cpu_isa(), 2), I2W_OK);
            bytes[i] = hp.plan.workspace_bytes;
            ck_assert_uint_gt(bytes[i], 0);
            i2w_x86_im2win_dw.destroy(&hp.plan);
        }
        ck_assert_uint_eq(bytes[0], bytes[1]);
    }
}
END_TEST

/* Through the public API: IM2WIN and AUTO on a depthwise layer report
 * IM2WIN, match the reference, and their plans run and free through the
 * backend (executed twice: the filter is packed at each execute). */
START_TEST(test_backend)
{
    uint64_t st = seed ^ 0xd3ull;
    i2w_context *ctx;
    ck_assert_int_eq(i2w_context_create(&ctx, I2W_BACKEND_X86), I2W_OK);
    ck_assert_int_eq(i2w_context_set_threads(ctx, 2), I2W_OK);
    const i2w_conv_desc d = {.n = 1, .c = 40, .h = 15, .w = 13, .k = 40,
                             .r = 3, .s = 3, .stride_h = 2, .stride_w = 2,
                             .pad_h = 1, .pad_w = 1, .groups = 40,
                             .layout = I2W_LAYOUT_NHWC};
    i2w_shape sh;
    char msg[256];
    ck_assert_int_eq(i2w_shape_from_desc(&d, &sh, msg, sizeof msg), I2W_OK);
    float *x = tu_alloc_input(&sh, 'x', &st), *w = tu_alloc_random(sh.w_elems, &st);
    float *bias = tu_alloc_random((size_t)sh.k, &st);
    float *want = tu_alloc_nan(sh.y_elems), *y = tu_alloc_nan(sh.y_elems);
    static const i2w_algo algos[] = {I2W_ALGO_IM2WIN, I2W_ALGO_AUTO};
    for (size_t a = 0; a < 2; a++) {
        i2w_plan *plan;
        ck_assert_int_eq(i2w_plan_create(ctx, &d, I2W_OP_FORWARD, algos[a],
                                         &plan),
                         I2W_OK);
        ck_assert_int_eq(i2w_plan_algo(plan), I2W_ALGO_IM2WIN);
        for (int round = 0; round < 2; round++) { /* plans take no bias */
            tu_fill_random(w, sh.w_elems, &st);
            i2w_ref_forward(&sh, x, w, NULL, want);
            tu_fill_nan(y, sh.y_elems);
            ck_assert_int_eq(i2w_plan_execute(plan, x, w, y), I2W_OK);
            ck_assert_uint_eq(tu_compare_tensor(&sh, 'y', y, want, 9,
                                                "backend dw"),
                              0);
        }
        i2w_plan_destroy(plan);
    }
    /* a filter fixed with i2w_plan_set_filter, then a different one given
     * explicitly (which replaces it), in every layout */
    for (size_t li = 0; li < 4; li++) {
        i2w_conv_desc dl = d;
        dl.layout = layouts[li];
        i2w_shape shl;
        ck_assert_int_eq(i2w_shape_from_desc(&dl, &shl, msg, sizeof msg),
                         I2W_OK);
        float *xl = tu_alloc_input(&shl, 'x', &st);
        float *w2 = tu_alloc_random(shl.w_elems, &st);
        float *yl = tu_alloc_nan(shl.y_elems), *wl = tu_alloc_nan(shl.y_elems);
        i2w_plan *plan;
        ck_assert_int_eq(i2w_plan_create(ctx, &dl, I2W_OP_FORWARD,
                                         I2W_ALGO_IM2WIN, &plan),
                         I2W_OK);
        ck_assert_int_eq(i2w_plan_set_filter(plan, w), I2W_OK);
        i2w_ref_forward(&shl, xl, w, NULL, wl);
        ck_assert_int_eq(i2w_plan_execute(plan, xl, NULL, yl), I2W_OK);
        ck_assert_uint_eq(tu_compare_tensor(&shl, 'y', yl, wl, 9,
                                            "set_filter dw"),
                          0);
        i2w_ref_forward(&shl, xl, w2, NULL, wl);
        tu_fill_nan(yl, shl.y_elems);
        ck_assert_int_eq(i2w_plan_execute(plan, xl, w2, yl), I2W_OK);
        ck_assert_uint_eq(tu_compare_tensor(&shl, 'y', yl, wl, 9,
                                            "explicit after set_filter dw"),
                          0);
        i2w_plan_destroy(plan);
        free(wl);
        free(yl);
        free(w2);
        free(xl);
    }
    /* the one-shot call with bias */
    i2w_ref_forward(&sh, x, w, bias, want);
    tu_fill_nan(y, sh.y_elems);
    ck_assert_int_eq(i2w_conv_forward(ctx, &d, I2W_ALGO_IM2WIN, x, w, bias,
                                      y),
                     I2W_OK);
    ck_assert_uint_eq(tu_compare_tensor(&sh, 'y', y, want, 9, "one-shot dw"),
                      0);
    free(y);
    free(want);
    free(bias);
    free(w);
    free(x);
    i2w_context_destroy(ctx);
}
END_TEST

static Suite *dw_suite(void)
{
    Suite *s = suite_create("x86_dw");
    TCase *tc = tcase_create("ref");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_against_ref, 0, NCASES);
    tcase_add_loop_test(tc, test_mobile, 0, 5);
    tcase_add_loop_test(tc, test_wide_padding, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("plan");
    tcase_add_test(tc, test_declines);
    tcase_add_test(tc, test_workspace);
    tcase_add_test(tc, test_backend);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (i2w_cpu_isa_detected() == I2W_ISA_NONE) {
        fprintf(stderr, "test_x86_dw: SKIP: this CPU has no AVX2+FMA\n");
        return 77;
    }
    seed = tu_seed();
    return tu_run_suite(dw_suite());
}
