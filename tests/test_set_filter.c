/* i2w_plan_set_filter on every host backend: a filter set once is used by
 * executes that pass b = NULL (the x86 IM2WIN plan repacks it only then),
 * an explicit filter afterwards replaces it, and bad uses are rejected. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testsuite.h"
#include "testutil.h"

static uint64_t seed;

/* Forward plans of backend b with algorithm a, on a shape where every
 * layout and the packed path matter (groups, padding, stride 2), or
 * (one) a 1x1 layer, which the x86 IM2WIN plan runs in NCHW from the
 * filter as given or its copy; one = 2: of 1024 channels, whose filter
 * rows it always reads from a copy, a line further apart. */
static void run_forward(i2w_backend b, i2w_algo a, i2w_layout l, int one)
{
    i2w_conv_desc d = {.n = 3, .c = 12, .h = 11, .w = 9, .k = 20, .r = 3,
                       .s = 3, .stride_h = 2, .pad_h = 1, .pad_w = 1,
                       .groups = 2, .layout = l};
    if (one)
        d = (i2w_conv_desc){.n = 2, .c = one == 2 ? 1024 : 48, .h = 8,
                            .w = 8, .k = 20, .r = 1, .s = 1, .layout = l};
    i2w_shape sh;
    ck_assert_int_eq(tu_shape(&d, &sh), 0);
    uint64_t st = seed;
    float *x = tu_alloc_random(sh.x_elems, &st);
    float *w1 = tu_alloc_random(sh.w_elems, &st);
    float *w2 = tu_alloc_random(sh.w_elems, &st);
    float *bias = tu_alloc_random((size_t)sh.k, &st);
    /* y also serves as a filter below (set to check that a filter
     * aliasing y is refused), which reads w_elems floats from it */
    float *y =
        tu_alloc_nan(sh.y_elems > sh.w_elems ? sh.y_elems : sh.w_elems);
    float *want = tu_alloc_nan(sh.y_elems);
    int red = tu_reduction(&sh, I2W_OP_FORWARD);

    i2w_context *ctx;
    i2w_plan *plan;
    ck_assert_int_eq(i2w_context_create(&ctx, b), I2W_OK);
    ck_assert_int_eq(i2w_plan_create(ctx, &d, I2W_OP_FORWARD, a, &plan),
                     I2W_OK);
    /* no filter set yet: b = NULL is a NULL filter */
    ck_assert_int_eq(i2w_plan_execute(plan, x, NULL, y),
                     I2W_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(i2w_plan_set_filter(plan, w1), I2W_OK);
    for (int rep = 0; rep < 2; rep++) { /* the packed copy is reused */
        tu_fill_nan(y, sh.y_elems);
        ck_assert_int_eq(i2w_plan_execute_bias(plan, x, NULL, bias, y),
                         I2W_OK);
        tu_ref_run(&sh, I2W_OP_FORWARD, x, w1, bias, want);
        ck_assert_uint_eq(tu_compare_tensor(&sh, 'y', y, want, red,
                                            "set filter"), 0);
    }
    /* an explicit filter is used as given, and forgets a packed one */
    tu_fill_nan(y, sh.y_elems);
    ck_assert_int_eq(i2w_plan_execute(plan, x, w2, y), I2W_OK);
    tu_ref_run(&sh, I2W_OP_FORWARD, x, w2, NULL, want);
    ck_assert_uint_eq(tu_compare_tensor(&sh, 'y', y, want, red, "explicit"),
                      0);
    tu_fill_nan(y, sh.y_elems);
    i2w_status s = i2w_plan_execute(plan, x, NULL, y);
    if (s == I2W_OK) { /* a backend that does not repack keeps w1 set */
        tu_ref_run(&sh, I2W_OP_FORWARD, x, w1, NULL, want);
        ck_assert_uint_eq(tu_compare_tensor(&sh, 'y', y, want, red,
                                            "kept"), 0);
    } else {
        ck_assert_int_eq(s, I2W_ERR_INVALID_ARGUMENT);
    }
    /* the set filter is checked for aliasing like an explicit one */
    ck_assert_int_eq(i2w_plan_set_filter(plan, y), I2W_OK);
    ck_assert_int_eq(i2w_plan_execute(plan, x, NULL, y),
                     I2W_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(i2w_plan_set_filter(plan, NULL),
                     I2W_ERR_INVALID_ARGUMENT);
    i2w_plan_destroy(plan);
    i2w_context_destroy(ctx);
    free(x); free(w1); free(w2); free(bias); free(y); free(want);
}

START_TEST(ref_direct)
{
    run_forward(I2W_BACKEND_REF, I2W_ALGO_DIRECT, (i2w_layout)_i, 0);
}
END_TEST

START_TEST(x86_each_algo)
{
    i2w_context *probe;
    if (i2w_context_create(&probe, I2W_BACKEND_X86) != I2W_OK)
        return; /* no AVX2 here: nothing to test */
    i2w_context_destroy(probe);
    static const i2w_algo algos[] = {I2W_ALGO_IM2WIN, I2W_ALGO_DIRECT,
                                     I2W_ALGO_AUTO};
    for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++)
        for (int one = 0; one < 3; one++)
            run_forward(I2W_BACKEND_X86, algos[i], (i2w_layout)_i, one);
}
END_TEST

START_TEST(backward_filter_has_no_filter)
{
    i2w_conv_desc d = {.n = 1, .c = 2, .h = 4, .w = 4, .k = 2, .r = 3,
                       .s = 3, .layout = I2W_LAYOUT_NCHW};
    float w[36] = {0};
    i2w_context *ctx;
    i2w_plan *plan;
    ck_assert_int_eq(i2w_context_create(&ctx, I2W_BACKEND_REF), I2W_OK);
    ck_assert_int_eq(i2w_plan_create(ctx, &d, I2W_OP_BACKWARD_FILTER,
                                     I2W_ALGO_AUTO, &plan), I2W_OK);
    ck_assert_int_eq(i2w_plan_set_filter(plan, w), I2W_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(i2w_context_error(ctx), "backward filter"));
    ck_assert_int_eq(i2w_plan_set_filter(NULL, w), I2W_ERR_INVALID_ARGUMENT);
    i2w_plan_destroy(plan);
    i2w_context_destroy(ctx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("set_filter");
    TCase *t = tcase_create("set_filter");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, ref_direct, I2W_LAYOUT_NCHW, I2W_LAYOUT_CHWN8 + 1);
    tcase_add_loop_test(t, x86_each_algo, I2W_LAYOUT_NCHW,
                        I2W_LAYOUT_CHWN8 + 1);
    tcase_add_test(t, backward_filter_has_no_filter);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    seed = tu_seed();
    return tu_run_suite(suite());
}
