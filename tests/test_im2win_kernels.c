/* The x86 im2win family (src/x86/im2win.h) against the reference forward
 * convolution: every ISA x layout, on fixed shapes covering the blocking
 * edges (channel chunks, output-channel tails, every pixel-block width,
 * strides, padding, dilation, groups, 1x1 and 11x11 filters, output width
 * 1, batches 1, 3, 8, 9, 20), on random shapes, on an output large enough
 * for the streaming stores and an input too large to be read in place;
 * plus the workspace bound on the benchmark layers.  AVX-512 cases are
 * skipped, saying so, on a CPU without it. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cpu.h"
#include "ref/ref.h"
#include "testsuite.h"
#include "testutil.h"
#include "x86/x86.h"

static uint64_t seed;

static const i2w_layout layouts[] = {I2W_LAYOUT_NCHW, I2W_LAYOUT_NHWC,
                                     I2W_LAYOUT_CHWN, I2W_LAYOUT_CHWN8};

static int isa_missing(i2w_isa isa)
{
    if (i2w_cpu_isa_detected() >= isa)
        return 0;
    static int told;
    if (!told++)
        fprintf(stderr, "test_im2win_kernels: this CPU has no %s: its "
                        "cases are skipped\n", i2w_isa_name(isa));
    return 1;
}

/* One plan, executed twice with different weights and bias (so packing
 * at execute is checked too), each time on a NaN-poisoned output; the
 * context asks for more threads than the plan was made for the second
 * time (the workspace only has room for the planned ones). */
static void check_desc(i2w_isa isa, const i2w_conv_desc *d, int threads,
                       uint64_t *st)
{
    char what[256], msg[256], label[320];
    i2w_shape sh;
    tu_describe(d, what, sizeof what);
    ck_assert_msg(i2w_shape_from_desc(d, &sh, msg, sizeof msg) == I2W_OK,
                  "%s: %s", what, msg);

    i2w_context ctx = {.threads = threads};
    i2w_plan plan = {.ctx = &ctx, .shape = sh, .op = I2W_OP_FORWARD,
                     .algo = I2W_ALGO_IM2WIN};
    i2w_status status = i2w_x86_im2win.create(&plan, isa);
    ck_assert_msg(status == I2W_OK, "%s: create: %s", what, ctx.error);

    float *x = tu_alloc_random(sh.x_elems, st);
    float *w = tu_alloc_random(sh.w_elems, st);
    float *bias = tu_alloc_random(sh.k, st);
    float *y = tu_alloc_nan(sh.y_elems), *want = tu_alloc_nan(sh.y_elems);
    for (int round = 0; round < 2; round++) {
        if (round) { /* new weights, no bias, more threads than planned */
            tu_fill_random(w, sh.w_elems, st);
            tu_fill_nan(bias, sh.k);
            ctx.threads = threads + 1;
        }
        const float *b = round == 0 ? bias : NULL;
        /* the reference result first, then the kernel on a poisoned y */
        i2w_ref_forward(&sh, x, w, b, want);
        tu_fill_nan(y, sh.y_elems);
        status = i2w_x86_im2win.execute(&plan, x, w, b, y);
        ck_assert_msg(status == I2W_OK, "%s: execute: %s", what, ctx.error);
        snprintf(label, sizeof label, "%s %s threads=%d round %d",
                 i2w_isa_name(isa), what, threads, round);
        size_t bad = tu_compare_tensor(&sh, 'y', y, want,
                                       tu_reduction(&sh, I2W_OP_FORWARD),
                                       label);
        ck_assert_msg(bad == 0, "%s: %zu wrong outputs", label, bad);
    }
    i2w_x86_im2win.destroy(&plan);
    ck_assert_ptr_null(plan.workspace);
    free(x);
    free(w);
    free(bias);
    free(y);
    free(want);
}

/* n c h w k r s stride_h stride_w pad_h pad_w dilation_h dilation_w groups */
static const int fixed[][14] = {
    {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1},      /* C = K = 1 */
    {3, 3, 23, 23, 20, 11, 11, 4, 4, 0, 0, 1, 1, 1}, /* 11x11, K tail */
    {8, 5, 9, 9, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1},     /* N = 8, K = 16+1 */
    {9, 16, 8, 8, 33, 1, 1, 1, 1, 0, 0, 1, 1, 1},    /* 1x1, N = 9 */
    {1, 17, 7, 30, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1},   /* 3 pixel blocks */
    {3, 64, 6, 6, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1},    /* C = 64 */
    {2, 12, 9, 9, 18, 3, 3, 1, 1, 2, 2, 2, 2, 1},    /* dilation */
    {2, 12, 9, 11, 18, 3, 2, 2, 3, 1, 1, 1, 1, 3},   /* groups, stride 2/3 */
    {8, 6, 10, 1, 10, 3, 1, 1, 1, 1, 0, 1, 1, 2},    /* output width 1 */
    {1, 3, 12, 14, 5, 2, 3, 3, 4, 1, 2, 1, 3, 1},    /* stride 4, dil. w */
    {9, 130, 5, 5, 48, 3, 3, 1, 1, 0, 0, 1, 1, 1},   /* C = 130 */
    {2, 80, 12, 12, 20, 11, 11, 1, 1, 1, 1, 1, 1, 1}, /* several chunks */
    {3, 10, 7, 7, 64, 5, 5, 1, 1, 4, 4, 1, 1, 2},    /* large padding */
    {20, 5, 6, 6, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1},    /* image groups split */
    {2, 24, 11, 37, 40, 3, 2, 2, 1, 0, 0, 2, 1, 1},  /* NHWC read in place */
    /* windows of input rows (S*C >= 64) skipping the rows between
     * dilated taps, and of R rows per output row when a stride skips
     * input rows */
    {3, 24, 15, 13, 20, 3, 3, 1, 1, 2, 1, 2, 1, 1},  /* dilation h only */
    {5, 70, 13, 9, 19, 1, 1, 3, 2, 0, 0, 1, 1, 1},   /* 1x1, stride 3 > R */
    {2, 48, 17, 16, 24, 5, 3, 2, 1, 3, 1, 3, 1, 2},  /* 5x3, dil. h 3 */
    /* bands of several blocks of rows, the window a ring of input rows
     * that wraps (padding, stride and dilation in rows) */
    {1, 24, 70, 66, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {1, 32, 121, 50, 18, 5, 3, 2, 1, 2, 1, 2, 1, 1},
    /* dilated columns in a window of input rows, padding wider than the
     * dilated filter: taps, rows and whole tiles in the padding skipped */
    {2, 64, 2, 6, 20, 3, 3, 1, 1, 6, 6, 4, 3, 1},
    /* tap columns entering and leaving the input far enough from the
     * row's ends for the row's tiles to split there (stretch_end): two
     * stretches; three, at a column stride of 2 */
    {2, 24, 20, 20, 40, 3, 3, 1, 1, 8, 8, 8, 8, 1},
    {1, 16, 9, 60, 40, 3, 3, 1, 2, 1, 14, 1, 14, 1},
    /* the same in a window of R rows per output row (ASPP: 1024
     * channels, one output row's ring would hold 13 input rows): tap
     * rows skipped at both ends, a run per valid tap column */
    {1, 1024, 9, 9, 20, 3, 3, 1, 1, 6, 6, 6, 6, 1},
    {1, 1024, 9, 9, 128, 3, 3, 1, 1, 6, 6, 6, 6, 1}, /* NHWC: wide tiles */
    /* NCHW 1x1 as planar units (pixels the vector lanes): channel tiles
     * of two widths, a 2-pixel last panel, groups, dilation (moot), a
     * few pixels split into parts of the channel tiles */
    {3, 40, 8, 8, 30, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {1, 33, 10, 13, 17, 1, 1, 1, 1, 0, 0, 2, 2, 1},
    {2, 96, 8, 8, 60, 1, 1, 1, 1, 0, 0, 1, 1, 2},
    {1, 64, 14, 14, 100, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    /* NCHW with taps over few channels as planar units (unit column
     * stride, the window a row of the unit's pixels a tap): padding,
     * dilation, a row stride, groups, blocks of several panels */
    {2, 3, 23, 29, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {1, 4, 30, 31, 33, 5, 3, 2, 1, 2, 1, 2, 2, 1},
    {2, 6, 12, 17, 40, 3, 3, 1, 1, 1, 1, 1, 1, 2},
    {1, 1, 40, 40, 17, 7, 7, 1, 1, 3, 3, 1, 1, 1},
    /* groups of few channels, bundled several to a vector */
    {3, 32, 9, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 8},   /* 8 groups 4 -> 4 */
    {2, 12, 7, 9, 18, 3, 3, 2, 1, 1, 0, 1, 1, 6},    /* 6 groups 2 -> 3 */
    /* groups of 2 or 4 channels in and out, a vector of them: the
     * lane-group kernels, with a window of input rows and of R rows per
     * output row (stride 2), dilation */
    {2, 16, 7, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 8},    /* 8 groups 2 -> 2 */
    {1, 32, 11, 12, 32, 3, 3, 2, 2, 1, 1, 1, 1, 8},  /* 8 groups 4 -> 4 */
    {3, 64, 9, 9, 64, 3, 3, 1, 1, 2, 2, 2, 2, 16},   /* 16 groups 4 -> 4 */
    /* NHWC images of few pixels reading a filter of over 2 MiB: units of
     * parts of the panels that fit half an L2 (of up to 4 MiB), part by
     * part; read in place, and with padding (a window) */
    {3, 288, 5, 5, 272, 3, 3, 1, 1, 0, 0, 1, 1, 1},
    {5, 256, 6, 6, 240, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    /* pixel rows or filter rows 4 KiB apart, which would crowd the L1:
     * NHWC takes a window of 256-channel chunks in place of x, NCHW
     * smaller chunks (7x7 planes) or planar filter rows a line apart */
    {1, 1024, 7, 9, 40, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {2, 512, 9, 11, 24, 1, 1, 2, 2, 0, 0, 1, 1, 1},
    {1, 2048, 7, 7, 20, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    /* NHWC of 64 output channels (one group): AVX-512's wide tiles of 6
     * pixels x 4 vectors, with padding over 17 channels, rows of 3
     * pixels paired into one tile, read in place, 11x11 of stride 4,
     * dilated taps over padding in 1024-channel chunks, 1x1 layers (3
     * wide panels; 2048 channels read in place), a filter over half an
     * L2 */
    {2, 17, 9, 31, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {3, 8, 7, 3, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {2, 24, 11, 37, 64, 3, 2, 2, 1, 0, 0, 2, 1, 1},
    {3, 3, 23, 23, 64, 11, 11, 4, 4, 0, 0, 1, 1, 1},
    {1, 1024, 9, 9, 64, 3, 3, 1, 1, 6, 6, 6, 6, 1},
    {1, 1024, 7, 9, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {3, 40, 5, 7, 192, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {1, 2048, 7, 7, 128, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {3, 288, 5, 5, 64, 3, 3, 1, 1, 0, 0, 1, 1, 1},
};

static i2w_conv_desc desc_of(const int *f, i2w_layout l)
{
    return (i2w_conv_desc){.n = f[0], .c = f[1], .h = f[2], .w = f[3],
                           .k = f[4], .r = f[5], .s = f[6],
                           .stride_h = f[7], .stride_w = f[8], .pad_h = f[9],
                           .pad_w = f[10], .dilation_h = f[11],
                           .dilation_w = f[12], .groups = f[13],
                           .layout = l};
}

static void fixed_shapes(i2w_isa isa, int li)
{
    if (isa_missing(isa))
        return;
    uint64_t st = seed + (uint64_t)li;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        i2w_conv_desc d = desc_of(fixed[i], layouts[li]);
        check_desc(isa, &d, 2, &st);
        check_desc(isa, &d, 1, &st);
    }
}

/* Output widths 1..30 reach every micro-tile width of both ISAs (up to
 * 14 pixels, and the splits of two and three blocks); K = 40 reaches the
 * one- and two-vector tiles and a masked tail, K = 64 the wide tiles of
 * AVX-512 (NHWC: up to 6 pixels, 4 vectors). */
static void every_tile(i2w_isa isa, int li)
{
    if (isa_missing(isa))
        return;
    uint64_t st = seed + 10 + (uint64_t)li;
    for (int k = 40; k <= 64; k += 24)
        for (int wo = 1; wo <= 30; wo++) {
            i2w_conv_desc d = {.n = 2, .c = 5, .h = 4, .w = wo + 2, .k = k,
                               .r = 3, .s = 3, .layout = layouts[li]};
            check_desc(isa, &d, 2, &st);
        }
}

static void random_shapes(i2w_isa isa, int li)
{
    if (isa_missing(isa))
        return;
    uint64_t st = seed + 20 + (uint64_t)li;
    for (int i = 0; i < 60; i++) {
        i2w_conv_desc d;
        tu_random_desc(&st, layouts[li], 9, &d);
        check_desc(isa, &d, 1 + i % 2, &st);
    }
}

/* The three suites of one ISA. */
#define ISA_TESTS(name, isa)                                               \
    START_TEST(name##_fixed) { fixed_shapes(isa, _i); }                    \
    END_TEST                                                               \
    START_TEST(name##_tiles) { every_tile(isa, _i); }                      \
    END_TEST                                                               \
    START_TEST(name##_random) { random_shapes(isa, _i); }                  \
    END_TEST

ISA_TESTS(avx2, I2W_ISA_AVX2)
ISA_TESTS(avx512, I2W_ISA_AVX512)

/* Outputs past 16 MiB are written with streaming stores where y is
 * aligned: such a layer against the reference, y on a cache line and one
 * float past it.  3x3 over 3 and 5 channels: planes (259 x 259) that
 * start anywhere in a line (NCHW streams the whole lines of each plane
 * and stores the partial ones, from the staged tiles of the planar units
 * with 3 channels, from the transposed tiles with 5); 1x1 over 32
 * channels, planes of whole lines (NCHW's planar units stream their
 * tiles' rows).  Kind 3: an input past 16 MiB, which NHWC copies into
 * its window instead of reading it in place (3x3 at stride 2 over 64
 * channels, no padding). */
static void streamed_output(i2w_isa isa, i2w_layout layout, int kind)
{
    if (isa_missing(isa))
        return;
    uint64_t st = seed + 30;
    i2w_conv_desc d = {.n = 1, .c = kind ? 5 : 3, .h = 261, .w = 261,
                       .k = 64, .r = 3, .s = 3, .layout = layout};
    if (kind == 2)
        d = (i2w_conv_desc){.n = 1, .c = 32, .h = 256, .w = 272, .k = 64,
                            .r = 1, .s = 1, .layout = layout};
    if (kind == 3)
        d = (i2w_conv_desc){.n = 1, .c = 64, .h = 263, .w = 262, .k = 19,
                            .r = 3, .s = 3, .stride_h = 2, .stride_w = 2,
                            .layout = layout};
    i2w_shape sh;
    char msg[256];
    ck_assert(i2w_shape_from_desc(&d, &sh, msg, sizeof msg) == I2W_OK);
    ck_assert((kind == 3 ? sh.x_elems : sh.y_elems) * sizeof(float) >
              (16u << 20));
    i2w_context ctx = {.threads = 2};
    i2w_plan plan = {.ctx = &ctx, .shape = sh, .op = I2W_OP_FORWARD,
                     .algo = I2W_ALGO_IM2WIN};
    ck_assert(i2w_x86_im2win.create(&plan, isa) == I2W_OK);
    float *x = tu_alloc_random(sh.x_elems, &st);
    float *w = tu_alloc_random(sh.w_elems, &st);
    float *bias = tu_alloc_random(sh.k, &st);
    float *want = tu_alloc_nan(sh.y_elems);
    /* a whole number of 64-byte lines, as aligned_alloc requires */
    float *y =
        aligned_alloc(64, (sh.y_elems + 31) / 16 * 16 * sizeof(float));
    ck_assert_ptr_nonnull(y);
    i2w_ref_forward(&sh, x, w, bias, want);
    for (int off = 0; off < 2; off++) {
        tu_fill_nan(y + off, sh.y_elems);
        ck_assert(i2w_x86_im2win.execute(&plan, x, w, bias, y + off) ==
                  I2W_OK);
        size_t bad = tu_compare_tensor(&sh, 'y', y + off, want,
                                       tu_reduction(&sh, I2W_OP_FORWARD),
                                       i2w_isa_name(isa));
        ck_assert_msg(bad == 0, "%s, y + %d: %zu wrong outputs",
                      i2w_isa_name(isa), off, bad);
    }
    i2w_x86_im2win.destroy(&plan);
    free(x);
    free(w);
    free(bias);
    free(want);
    free(y);
}

START_TEST(streamed)
{
    for (int kind = 0; kind < 4; kind++)
        streamed_output(_i / 4 ? I2W_ISA_AVX512 : I2W_ISA_AVX2,
                        layouts[_i % 4], kind);
}
END_TEST

/* The window is per thread and per block of rows: on the benchmark layers
 * at batch 8 and 2 threads, in every layout, it stays within 45% of the
 * workspace of the IM2COL_GEMM plan of the same layer (the x86 issue's
 * bound), and that of a whole-batch im2col. */
START_TEST(workspace_bound)
{
    static const int layers[][7] = {
        /* c h w k r=s stride */
        {3, 227, 227, 96, 11, 4}, {3, 231, 231, 96, 11, 4},
        {3, 227, 227, 64, 7, 2},  {64, 224, 224, 64, 7, 2},
        {96, 24, 24, 256, 5, 1},  {256, 12, 12, 512, 3, 1},
        {3, 224, 224, 64, 3, 1},  {64, 112, 112, 128, 3, 1},
        {64, 56, 56, 64, 3, 1},   {128, 28, 28, 128, 3, 1},
        {256, 14, 14, 256, 3, 1}, {512, 7, 7, 512, 3, 1},
    };
    for (i2w_isa isa = I2W_ISA_AVX2; isa <= I2W_ISA_AVX512; isa++)
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
        for (int li = 0; li < 4; li++) {
            if (isa_missing(isa))
                continue;
            const int *f = layers[i];
            i2w_conv_desc d = {.n = 8, .c = f[0], .h = f[1], .w = f[2],
                               .k = f[3], .r = f[4], .s = f[4],
                               .stride_h = f[5], .stride_w = f[5],
                               .layout = layouts[li]};
            i2w_shape sh;
            char msg[256];
            ck_assert(i2w_shape_from_desc(&d, &sh, msg, sizeof msg) == 0);
            i2w_context ctx = {.threads = 2};
            i2w_plan plan = {.ctx = &ctx, .shape = sh,
                             .op = I2W_OP_FORWARD, .algo = I2W_ALGO_IM2WIN};
            ck_assert(i2w_x86_im2win.create(&plan, isa) == I2W_OK);
            double im2col = 4.0 * sh.n * sh.c * sh.r * sh.s * sh.ho * sh.wo;
            ck_assert_msg(plan.workspace_bytes <= 0.45 * im2col,
                          "%s layer %zu layout %d: workspace %zu > 45%% of "
                          "im2col %.0f", i2w_isa_name(isa), i + 1, li,
                          plan.workspace_bytes, im2col);
#ifdef I2W_HAVE_OPENBLAS /* IM2COL_GEMM is built with OpenBLAS only */
            i2w_plan gemm = {.ctx = &ctx, .shape = sh,
                             .op = I2W_OP_FORWARD,
                             .algo = I2W_ALGO_IM2COL_GEMM};
            ck_assert(i2w_x86_im2col_gemm.create(&gemm, isa) == I2W_OK);
            ck_assert_msg(plan.workspace_bytes <= 0.45 * gemm.workspace_bytes,
                          "%s layer %zu layout %d: workspace %zu > 45%% of "
                          "IM2COL_GEMM's %zu", i2w_isa_name(isa), i + 1, li,
                          plan.workspace_bytes, gemm.workspace_bytes);
            i2w_x86_im2col_gemm.destroy(&gemm);
#endif
            i2w_x86_im2win.destroy(&plan);
        }
}
END_TEST

static TCase *isa_case(const char *name, const TTest *fixed_t,
                       const TTest *tiles_t, const TTest *random_t)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, fixed_t, 0, 4);
    tcase_add_loop_test(tc, tiles_t, 0, 4);
    tcase_add_loop_test(tc, random_t, 0, 4);
    return tc;
}

int main(void)
{
    seed = tu_seed();
    Suite *s = suite_create("im2win_kernels");
    suite_add_tcase(s, isa_case("avx2", avx2_fixed, avx2_tiles, avx2_random));
    suite_add_tcase(s, isa_case("avx512", avx512_fixed, avx512_tiles,
                                avx512_random));
    TCase *tc = tcase_create("workspace");
    tcase_add_test(tc, workspace_bound);
    suite_add_tcase(s, tc);
    tc = tcase_create("streamed");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, streamed, 0, 8);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
