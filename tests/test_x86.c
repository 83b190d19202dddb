/* The x86 backend against the reference: every forward family on every
 * ISA this host runs (AVX2 too when it has AVX-512: each family is called
 * directly with the ISA, so one run covers both), in every layout, on
 * random shapes that reach each kernel's edge cases; thread counts 1 and 2;
 * the families' refusals; and the backend through the public API. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/cpu.h"
#include "common/layout.h"
#include "config.h"
#include "ref/ref.h"
#include "testsuite.h"
#include "testutil.h"
#include "testx86.h"

static uint64_t seed;

static const i2w_layout layouts[] = {I2W_LAYOUT_NCHW, I2W_LAYOUT_NHWC,
                                     I2W_LAYOUT_CHWN, I2W_LAYOUT_CHWN8};

/* The forward families; IM2COL_GEMM declines everything without OpenBLAS. */
static const struct {
    i2w_algo algo;
    const i2w_x86_algo *family;
} families[] = {
    {I2W_ALGO_IM2WIN, &i2w_x86_im2win},
    {I2W_ALGO_DIRECT, &i2w_x86_direct},
#ifdef I2W_HAVE_OPENBLAS
    {I2W_ALGO_IM2COL_GEMM, &i2w_x86_im2col_gemm},
#endif
};
#define NFAMILIES (sizeof families / sizeof families[0])

static float *alloc_floats(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

static const int channel_counts[] = {1, 3, 5, 16, 17, 64};
static const int batches[] = {1, 2, 3, 4, 8, 9};

static int pick(uint64_t *st, const int *v, int n)
{
    return v[tu_rand_int(st, 0, n - 1)];
}

/* Input extent whose output extent is `out` for filter f, stride, pad and
 * dilation; never below the effective filter size minus the padding. */
static int extent_for(int out, int f, int stride, int pad, int dil)
{
    int in = (out - 1) * stride + dil * (f - 1) + 1 - 2 * pad;
    return in > 0 ? in : 1;
}

/* Shape `kind` of the sweep: each kind aims at edge cases of the kernels
 * (register-block tails, masks, the im2col fast path, gathers, groups);
 * sizes are random within it. */
static void sweep_desc(uint64_t *st, int kind, i2w_conv_desc *d)
{
    *d = (i2w_conv_desc){0};
    d->n = pick(st, batches, 6);
    d->groups = 1;
    d->c = pick(st, channel_counts, 6);
    d->k = tu_rand_int(st, 1, 37);
    d->r = tu_rand_int(st, 1, 5);
    d->s = tu_rand_int(st, 1, 5);
    d->stride_h = tu_rand_int(st, 1, 4);
    d->stride_w = tu_rand_int(st, 1, 4);
    d->dilation_h = tu_rand_int(st, 1, 2);
    d->dilation_w = tu_rand_int(st, 1, 2);
    int ho = tu_rand_int(st, 1, 9), wo = tu_rand_int(st, 1, 40);
    switch (kind) {
    case 0: /* generic */
        break;
    case 1: /* grouped */
        d->groups = tu_rand_int(st, 2, 4);
        d->c = d->groups * pick(st, channel_counts, 3);
        d->k = d->groups * tu_rand_int(st, 1, 7);
        break;
    case 2: /* depthwise, channel multiplier 1 or 2 */
        d->c = d->groups = pick(st, channel_counts, 6);
        d->k = d->c * tu_rand_int(st, 1, 2);
        break;
    case 3: /* 1x1, unit stride, no padding: im2col uses x in place */
        d->r = d->s = 1;
        d->stride_h = d->stride_w = 1;
        ho = tu_rand_int(st, 1, 6);
        break;
    case 4: /* 11x11 at stride 4, as AlexNet's first layer */
        d->c = 3;
        d->r = d->s = 11;
        d->stride_h = d->stride_w = 4;
        d->dilation_h = d->dilation_w = 1;
        ho = tu_rand_int(st, 1, 3);
        wo = tu_rand_int(st, 1, 9);
        break;
    case 5: /* output width 1 */
        wo = 1;
        break;
    case 6: /* 1x1 with a stride or padding: a copy after all */
        d->r = d->s = 1;
        d->stride_w = tu_rand_int(st, 2, 3);
        break;
    case 8: { /* groups of 2 or 4 channels in and out, several to a
                 vector (the lane-group kernels) or not (12 groups of 2) */
        static const int counts[] = {4, 8, 12, 16};
        d->groups = pick(st, counts, 4);
        d->c = d->groups * (tu_rand_int(st, 1, 2) * 2);
        d->k = d->c;
        break;
    }
    default: /* wider reduction: 64 channels, 3x3 with padding 1 */
        d->c = 64;
        d->r = d->s = 3;
        d->stride_h = d->stride_w = 1;
        d->dilation_h = d->dilation_w = 1;
        ho = tu_rand_int(st, 1, 5);
        wo = tu_rand_int(st, 1, 20);
        break;
    }
    d->pad_h = tu_rand_int(st, 0, d->dilation_h * (d->r - 1));
    d->pad_w = tu_rand_int(st, 0, d->dilation_w * (d->s - 1));
    d->h = extent_for(ho, d->r, d->stride_h, d->pad_h, d->dilation_h);
    d->w = extent_for(wo, d->s, d->stride_w, d->pad_w, d->dilation_w);
}
#define SWEEP_KINDS 9

/* Random x, with the CHWN8 batch-padding lanes NaN: they must be ignored. */
/* Every real element of two outputs equal (CHWN8 padding lanes skipped). */
static int identical_outputs(const i2w_shape *sh, const float *a,
                             const float *b)
{
    for (int n = 0; n < sh->n; n++)
        for (int k = 0; k < sh->k; k++)
            for (int h = 0; h < sh->ho; h++)
                for (int w = 0; w < sh->wo; w++) {
                    size_t o = i2w_act_offset(sh->layout, sh->nb, sh->k,
                                              sh->ho, sh->wo, n, k, h, w);
                    if (a[o] != b[o])
                        return 0;
                }
    return 1;
}

/* y of family f on isa with `threads` threads, NaN-poisoned first. */
static float *run_family(const i2w_shape *sh, int fi, i2w_isa isa,
                         int threads, const float *x, const float *w,
                         const float *bias, const char *label)
{
    tu_x86_plan hp;
    i2w_status st = tu_x86_plan_create(&hp, sh, families[fi].algo,
                                families[fi].family, isa, threads);
    ck_assert_msg(st == I2W_OK, "%s: create: %s (%s)", label,
                  i2w_status_string(st), hp.ctx.error);
    float *y = alloc_floats(sh->y_elems);
    tu_fill_nan(y, sh->y_elems);
    st = families[fi].family->execute(&hp.plan, x, w, bias, y);
    ck_assert_msg(st == I2W_OK, "%s: execute: %s (%s)", label,
                  i2w_status_string(st), hp.ctx.error);
    families[fi].family->destroy(&hp.plan);
    return y;
}

/* Every family x ISA x layout on one random shape of kind _i % SWEEP_KINDS,
 * against the reference, on 2 threads and on 1.  DIRECT must give
 * identical results on both (each output's sum runs in one order whatever
 * the split); the others only agree within the tolerance. */
START_TEST(test_sweep)
{
    uint64_t st = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(_i + 1));
    i2w_conv_desc d;
    sweep_desc(&st, _i % SWEEP_KINDS, &d);
    const int with_bias = _i % 3 != 0;
    const i2w_isa top = i2w_cpu_isa_detected();
    for (size_t li = 0; li < 4; li++) {
        d.layout = layouts[li];
        i2w_shape sh;
        char msg[256], desc[256];
        tu_describe(&d, desc, sizeof desc);
        ck_assert_msg(i2w_shape_from_desc(&d, &sh, msg, sizeof msg) == I2W_OK,
                      "%s: %s", desc, msg);
        float *x = tu_alloc_input(&sh, 'x', &st);
        float *w = alloc_floats(sh.w_elems);
        float *bias = alloc_floats((size_t)sh.k);
        tu_fill_random(w, sh.w_elems, &st);
        tu_fill_random(bias, (size_t)sh.k, &st);
        const float *b = with_bias ? bias : NULL;
        float *want = alloc_floats(sh.y_elems);
        i2w_ref_forward(&sh, x, w, b, want);
        for (i2w_isa isa = I2W_ISA_AVX2; isa <= top; isa++)
            for (size_t fi = 0; fi < NFAMILIES; fi++) {
                char label[400];
                snprintf(label, sizeof label, "%s %s %s bias=%d (seed %llu)",
                         i2w_algo_name(families[fi].algo), i2w_isa_name(isa),
                         desc, with_bias, (unsigned long long)seed);
                float *y2 = run_family(&sh, (int)fi, isa, 2, x, w, b, label);
                ck_assert_msg(tu_compare_tensor(&sh, 'y', y2, want,
                                                sh.cg * sh.r * sh.s,
                                                label) == 0,
                              "%s: differs from the reference", label);
                float *y1 = run_family(&sh, (int)fi, isa, 1, x, w, b, label);
                ck_assert_msg(tu_compare_tensor(&sh, 'y', y1, want,
                                                sh.cg * sh.r * sh.s,
                                                label) == 0,
                              "%s: 1 thread differs from the reference",
                              label);
                if (families[fi].algo == I2W_ALGO_DIRECT)
                    ck_assert_msg(identical_outputs(&sh, y1, y2),
                                  "%s: 1 and 2 threads differ", label);
                free(y1);
                free(y2);
            }
        free(want);
        free(bias);
        free(w);
        free(x);
    }
}
END_TEST

/* A shape whose column matrix overflows sgemm's int sizes: IM2COL_GEMM
 * declines it at creation with nothing allocated, the backend does too for
 * the explicit algorithm, and AUTO takes another family. */
START_TEST(test_decline)
{
    i2w_conv_desc d = {.n = 1, .c = 1, .h = 50000, .w = 50000, .k = 1,
                       .r = 3, .s = 3, .layout = I2W_LAYOUT_NCHW};
    i2w_shape sh;
    char msg[256];
    ck_assert_int_eq(i2w_shape_from_desc(&d, &sh, msg, sizeof msg), I2W_OK);
    tu_x86_plan hp;
    ck_assert_int_eq(tu_x86_plan_create(&hp, &sh, I2W_ALGO_IM2COL_GEMM,
                                 &i2w_x86_im2col_gemm, i2w_cpu_isa(), 1),
                     I2W_ERR_UNSUPPORTED);
    ck_assert_ptr_null(hp.plan.workspace);
    ck_assert_str_ne(hp.ctx.error, "");

    i2w_context *ctx;
    ck_assert_int_eq(i2w_context_create(&ctx, I2W_BACKEND_X86), I2W_OK);
    i2w_plan *plan = NULL;
    ck_assert_int_eq(i2w_plan_create(ctx, &d, I2W_OP_FORWARD,
                                     I2W_ALGO_IM2COL_GEMM, &plan),
                     I2W_ERR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    ck_assert_int_eq(i2w_plan_create(ctx, &d, I2W_OP_FORWARD,
                                     I2W_ALGO_CONVV2, &plan),
                     I2W_ERR_UNSUPPORTED);
    ck_assert_int_eq(i2w_plan_create(ctx, &d, I2W_OP_FORWARD, I2W_ALGO_AUTO,
                                     &plan),
                     I2W_OK);
    ck_assert_int_ne(i2w_plan_algo(plan), I2W_ALGO_IM2COL_GEMM);
    ck_assert_int_ne(i2w_plan_algo(plan), I2W_ALGO_AUTO);
    ck_assert_ptr_eq(plan->ops, &i2w_x86_backend);
    i2w_plan_destroy(plan);
    i2w_context_destroy(ctx);
}
END_TEST

/* IM2COL_GEMM's workspace is one image's column matrix (NCHW: C/g*R*S by
 * Ho*Wo) per thread when the threads share out the images, one when there
 * are fewer images than threads; a 1x1 unit-stride filter needs none. */
START_TEST(test_im2col_workspace)
{
    i2w_context *ctx;
    ck_assert_int_eq(i2w_context_create(&ctx, I2W_BACKEND_X86), I2W_OK);
    i2w_conv_desc d = {.n = 4, .c = 6, .h = 10, .w = 12, .k = 8, .r = 3,
                       .s = 3, .groups = 2, .layout = I2W_LAYOUT_NCHW};
    const size_t image = sizeof(float) * 3 * 3 * 3 * 8 * 10;
    /* threads, and the column matrices expected: 4 images x 2 groups */
    static const int cases[][2] = {{1, 1}, {2, 2}, {8, 8}, {9, 1}};
    i2w_plan *plan = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(i2w_context_set_threads(ctx, cases[i][0]), I2W_OK);
        i2w_status st = i2w_plan_create(ctx, &d, I2W_OP_FORWARD,
                                        I2W_ALGO_IM2COL_GEMM, &plan);
#ifdef I2W_HAVE_OPENBLAS
        ck_assert_int_eq(st, I2W_OK);
        ck_assert_uint_eq(i2w_plan_workspace_bytes(plan),
                          image * (size_t)cases[i][1]);
        i2w_plan_destroy(plan);
#else
        /* nothing to size: the family needs OpenBLAS */
        ck_assert_int_eq(st, I2W_ERR_UNSUPPORTED);
#endif
    }
#ifdef I2W_HAVE_OPENBLAS
    d.r = d.s = 1;
    ck_assert_int_eq(i2w_plan_create(ctx, &d, I2W_OP_FORWARD,
                                     I2W_ALGO_IM2COL_GEMM, &plan),
                     I2W_OK);
    ck_assert_uint_eq(i2w_plan_workspace_bytes(plan), 0);
    i2w_plan_destroy(plan);
#endif
    i2w_context_destroy(ctx);
}
END_TEST

/* The backend through the public API: describe, one-shot forward with
 * AUTO, and the backward ops, which run on the reference. */
START_TEST(test_api)
{
    uint64_t st = seed ^ 0x5eedull;
    i2w_context *ctx;
    ck_assert_int_eq(i2w_context_create(&ctx, I2W_BACKEND_X86), I2W_OK);
    char want_desc[64];
    snprintf(want_desc, sizeof want_desc, "x86 %s, 2 threads",
             i2w_isa_name(i2w_cpu_isa()));
    ck_assert_int_eq(i2w_context_set_threads(ctx, 2), I2W_OK);
    ck_assert_str_eq(i2w_context_describe(ctx), want_desc);

    i2w_conv_desc d = {.n = 3, .c = 5, .h = 9, .w = 11, .k = 7, .r = 3,
                       .s = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1,
                       .layout = I2W_LAYOUT_NHWC};
    i2w_shape sh;
    char msg[256];
    ck_assert_int_eq(i2w_shape_from_desc(&d, &sh, msg, sizeof msg), I2W_OK);
    float *x = tu_alloc_input(&sh, 'x', &st), *w = alloc_floats(sh.w_elems);
    float *dy = alloc_floats(sh.y_elems), *bias = alloc_floats(7);
    float *got = alloc_floats(sh.x_elems + sh.y_elems + sh.w_elems);
    float *want = alloc_floats(sh.x_elems + sh.y_elems + sh.w_elems);
    tu_fill_random(w, sh.w_elems, &st);
    tu_fill_random(dy, sh.y_elems, &st);
    tu_fill_random(bias, 7, &st);

    tu_fill_nan(got, sh.y_elems);
    ck_assert_int_eq(i2w_conv_forward(ctx, &d, I2W_ALGO_AUTO, x, w, bias,
                                      got),
                     I2W_OK);
    i2w_ref_forward(&sh, x, w, bias, want);
    ck_assert_uint_eq(tu_compare_tensor(&sh, 'y', got, want, 30, "api fwd"),
                      0);

    i2w_plan *plan;
    ck_assert_int_eq(i2w_plan_create(ctx, &d, I2W_OP_BACKWARD_DATA,
                                     I2W_ALGO_AUTO, &plan),
                     I2W_OK);
    ck_assert_ptr_eq(plan->ops, &i2w_ref_backend);
    i2w_plan_destroy(plan);

    tu_fill_nan(got, sh.x_elems);
    ck_assert_int_eq(i2w_conv_backward_data(ctx, &d, I2W_ALGO_AUTO, dy, w,
                                            got),
                     I2W_OK);
    i2w_ref_backward_data(&sh, dy, w, want);
    ck_assert_uint_eq(tu_compare_tensor(&sh, 'x', got, want, 7 * 6, "api bd"),
                      0);

    tu_fill_nan(got, sh.w_elems);
    ck_assert_int_eq(i2w_conv_backward_filter(ctx, &d, I2W_ALGO_AUTO, x, dy,
                                              got),
                     I2W_OK);
    i2w_ref_backward_filter(&sh, x, dy, want);
    ck_assert_uint_eq(tu_compare_tensor(&sh, 'w', got, want,
                                        sh.n * sh.ho * sh.wo, "api bf"),
                      0);

    free(want);
    free(got);
    free(bias);
    free(dy);
    free(w);
    free(x);
    i2w_context_destroy(ctx);
}
END_TEST

static Suite *x86_suite(void)
{
    Suite *s = suite_create("x86");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_sweep, 0, 4 * SWEEP_KINDS);
    suite_add_tcase(s, tc);
    tc = tcase_create("api");
    tcase_add_test(tc, test_decline);
    tcase_add_test(tc, test_im2col_workspace);
    tcase_add_test(tc, test_api);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (i2w_cpu_isa_detected() == I2W_ISA_NONE) {
        fprintf(stderr, "test_x86: SKIP: this CPU has no AVX2+FMA\n");
        return 77;
    }
    seed = tu_seed();
    return tu_run_suite(x86_suite());
}
