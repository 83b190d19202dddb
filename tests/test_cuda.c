/* The CUDA backend against the reference backend, through the public API:
 * every layout x algorithm x op on hand-picked and random shapes, outputs
 * poisoned with NaN on the device first so unwritten elements fail, the
 * batch padding lanes of CHWN8 inputs poisoned too since they must be
 * ignored; a user stream; layout conversion on the device; the error
 * paths.  Without a usable GPU it exits 77 (automake's SKIP) and says why.
 * Check runs in-process (no fork): a CUDA context does not survive fork. */
#include <check.h>
#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/layout.h"
#include "testutil.h"

static i2w_context *gpu, *ref;

/* n c h w k r s stride_h stride_w pad_h pad_w dil_h dil_w groups */
typedef struct {
    int n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw, g;
} shape_case;

/* Cover C in {1,3,5,16,17,64}, K off multiples of 16, N in {1,3,8,9},
 * strides 1-4, padding, dilation, groups, 1x1 and 11x11, an output one
 * pixel wide, several reduction steps and more than one output tile. */
static const shape_case cases[] = {
    {1, 1, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {3, 3, 23, 19, 17, 11, 11, 4, 4, 2, 3, 1, 1, 1},
    {8, 5, 9, 11, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {9, 16, 12, 10, 33, 3, 3, 2, 1, 1, 0, 1, 1, 1},
    {2, 17, 8, 8, 70, 3, 2, 1, 2, 1, 1, 2, 1, 1},
    {3, 64, 10, 9, 130, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {9, 64, 6, 6, 64, 3, 3, 3, 3, 1, 1, 1, 1, 4},
    {1, 6, 5, 4, 9, 2, 4, 1, 1, 0, 0, 1, 1, 3},
    {8, 3, 13, 13, 20, 5, 5, 2, 2, 2, 2, 1, 1, 1},
    {3, 12, 9, 14, 24, 3, 3, 1, 4, 0, 2, 2, 2, 2},
    {1, 96, 8, 8, 250, 5, 5, 1, 1, 2, 2, 1, 1, 1},
    {9, 5, 6, 5, 3, 3, 1, 3, 1, 2, 0, 1, 1, 1},
    /* one reduction step and channels a multiple of 4: the IM2WIN GEMM
     * writes y from whole tiles, NHWC with 16-byte stores */
    {5, 4, 6, 7, 8, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {4, 6, 5, 5, 12, 1, 2, 2, 1, 0, 1, 1, 2, 3},
    /* no padding: IM2WIN reads the input in place; batch and channels per
     * group multiples of 4: 16-byte B loads in NHWC, CHWN and CHWN8 */
    {8, 8, 12, 11, 24, 3, 3, 1, 1, 0, 0, 1, 2, 2},
    {4, 12, 9, 10, 20, 2, 3, 2, 1, 0, 0, 2, 1, 1},
    /* 64-channel tiles in CHWN and CHWN8: 16-deep steps; fewer tiles
     * than a wave of blocks, of 54 steps each, which stream-K blocks
     * share: two tiles with scalar B loads, three (some blocks' runs
     * span two tiles) with 16-byte ones */
    {4, 96, 7, 6, 60, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {8, 96, 9, 8, 60, 3, 3, 1, 1, 0, 0, 1, 1, 1},
};
#define NCASES (int)(sizeof cases / sizeof *cases)

/* Enough pixels to fill an H100 with whole tiles, so the IM2WIN GEMM
 * takes the path the large benchmark layers take; the last has 2176
 * tiles of 32 channels (2.7 waves on an H100) of 18 steps each. */
static const shape_case large_cases[] = {
    {8, 2, 130, 130, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {8, 8, 130, 130, 40, 3, 3, 1, 1, 0, 0, 1, 1, 1},
    {17, 16, 130, 130, 5, 3, 3, 1, 1, 0, 0, 1, 1, 1},
};
#define NLARGE (int)(sizeof large_cases / sizeof *large_cases)
#define NLAYOUTS 4

static i2w_conv_desc desc_of(const shape_case *c, i2w_layout l)
{
    return (i2w_conv_desc){c->n, c->c, c->h, c->w, c->k, c->r, c->s,
                           c->sh, c->sw, c->ph, c->pw, c->dh, c->dw,
                           c->g, l};
}

/* The algorithms of each op the CUDA backend has (AUTO included). */
static const i2w_algo fwd_algos[] = {I2W_ALGO_AUTO, I2W_ALGO_DIRECT,
                                     I2W_ALGO_IM2COL_GEMM, I2W_ALGO_IM2WIN};
static const i2w_algo bwd_algos[] = {I2W_ALGO_AUTO, I2W_ALGO_DIRECT};

static float *host_floats(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    ck_assert_msg(p != NULL, "out of host memory");
    return p;
}

static float *to_device(const float *host, size_t n)
{
    void *d = NULL;
    ck_assert_int_eq(i2w_malloc(gpu, &d, n * sizeof(float)), I2W_OK);
    ck_assert_int_eq(i2w_upload(gpu, d, host, n * sizeof(float)), I2W_OK);
    return d;
}

static float *nan_device(size_t n)
{
    float *h = host_floats(n);
    tu_fill_nan(h, n);
    float *d = to_device(h, n);
    free(h);
    return d;
}

static size_t elems(const i2w_shape *sh, char which)
{
    return which == 'x' ? sh->x_elems : which == 'y' ? sh->y_elems
                                                      : sh->w_elems;
}

static int reduction(const i2w_shape *sh, i2w_op op)
{
    return op == I2W_OP_FORWARD         ? sh->cg * sh->r * sh->s
           : op == I2W_OP_BACKWARD_DATA ? sh->kg * sh->r * sh->s
                                        : sh->n * sh->ho * sh->wo;
}

static i2w_status run_ref(const i2w_conv_desc *d, i2w_op op, const float *a,
                          const float *b, const float *bias, float *out)
{
    switch (op) {
    case I2W_OP_BACKWARD_DATA:
        return i2w_conv_backward_data(ref, d, I2W_ALGO_AUTO, a, b, out);
    case I2W_OP_BACKWARD_FILTER:
        return i2w_conv_backward_filter(ref, d, I2W_ALGO_AUTO, a, b, out);
    case I2W_OP_FORWARD:
    default:
        return i2w_conv_forward(ref, d, I2W_ALGO_AUTO, a, b, bias, out);
    }
}

/* One op with one algorithm on the GPU against the reference; returns the
 * number of bad output elements. */
static size_t check_op(const i2w_conv_desc *d, i2w_op op, i2w_algo algo,
                       uint64_t *rng)
{
    static const char tensors[3][3] = {
        {'x', 'w', 'y'}, {'y', 'w', 'x'}, {'x', 'y', 'w'}};
    const char *t = tensors[op];
    i2w_shape sh;
    char label[256], desc[200];
    ck_assert_int_eq(tu_shape(d, &sh), 0);
    tu_describe(d, desc, sizeof desc);
    snprintf(label, sizeof label, "op %d algo %s: %s", (int)op,
             i2w_algo_name(algo), desc);
    size_t na = elems(&sh, t[0]), nb = elems(&sh, t[1]);
    size_t nout = elems(&sh, t[2]);
    float *a = tu_alloc_input(&sh, t[0], rng);
    float *b = tu_alloc_input(&sh, t[1], rng);
    /* bias on every other forward check, so both paths run */
    float *bias = NULL;
    if (op == I2W_OP_FORWARD && (*rng & 1)) {
        bias = host_floats((size_t)d->k);
        tu_fill_random(bias, (size_t)d->k, rng);
    }
    float *want = host_floats(nout), *got = host_floats(nout);
    tu_fill_nan(want, nout);
    ck_assert_msg(run_ref(d, op, a, b, bias, want) == I2W_OK, "%s: ref: %s",
                  label, i2w_context_error(ref));

    float *da = to_device(a, na), *db = to_device(b, nb);
    float *dbias = bias ? to_device(bias, (size_t)d->k) : NULL;
    float *dout = nan_device(nout);
    i2w_plan *plan = NULL;
    i2w_status st = i2w_plan_create(gpu, d, op, algo, &plan);
    ck_assert_msg(st == I2W_OK, "%s: plan: %s", label,
                  i2w_context_error(gpu));
    if (algo == I2W_ALGO_AUTO)
        ck_assert_int_eq(i2w_plan_algo(plan), op == I2W_OP_FORWARD
                                                  ? I2W_ALGO_IM2WIN
                                                  : I2W_ALGO_DIRECT);
    st = op == I2W_OP_FORWARD ? i2w_plan_execute_bias(plan, da, db, dbias,
                                                      dout)
                              : i2w_plan_execute(plan, da, db, dout);
    ck_assert_msg(st == I2W_OK, "%s: execute: %s", label,
                  i2w_context_error(gpu));
    ck_assert_int_eq(i2w_download(gpu, got, dout, nout * sizeof(float)),
                     I2W_OK);
    size_t bad = tu_compare_tensor(&sh, t[2], got, want,
                                   reduction(&sh, op), label);
    i2w_plan_destroy(plan);
    i2w_free(gpu, da);
    i2w_free(gpu, db);
    i2w_free(gpu, dbias);
    i2w_free(gpu, dout);
    free(a);
    free(b);
    free(bias);
    free(want);
    free(got);
    return bad;
}

/* Every op and algorithm of the backend on descriptor d. */
static void check_all(const i2w_conv_desc *d, uint64_t *rng)
{
    size_t bad = 0;
    for (size_t i = 0; i < sizeof fwd_algos / sizeof *fwd_algos; i++)
        bad += check_op(d, I2W_OP_FORWARD, fwd_algos[i], rng);
    for (int op = I2W_OP_BACKWARD_DATA; op <= I2W_OP_BACKWARD_FILTER; op++)
        for (size_t i = 0; i < sizeof bwd_algos / sizeof *bwd_algos; i++)
            bad += check_op(d, (i2w_op)op, bwd_algos[i], rng);
    ck_assert_msg(bad == 0, "%zu bad elements (see above)", bad);
}

static uint64_t test_rng(int i)
{
    return tu_seed() ^ ((uint64_t)(i + 1) * UINT64_C(0x9E3779B97F4A7C15));
}

START_TEST(test_cases)
{
    uint64_t rng = test_rng(_i);
    i2w_conv_desc d = desc_of(&cases[_i / NLAYOUTS],
                              (i2w_layout)(_i % NLAYOUTS));
    check_all(&d, &rng);
}
END_TEST

START_TEST(test_large)
{
    uint64_t rng = test_rng(500 + _i);
    i2w_conv_desc d = desc_of(&large_cases[_i / NLAYOUTS],
                              (i2w_layout)(_i % NLAYOUTS));
    check_all(&d, &rng);
}
END_TEST

START_TEST(test_random)
{
    uint64_t rng = test_rng(1000 + _i);
    i2w_conv_desc d;
    tu_random_desc(&rng, (i2w_layout)(_i % NLAYOUTS), 9, &d);
    check_all(&d, &rng);
}
END_TEST

/* All work of a context goes to the stream it was given. */
START_TEST(test_user_stream)
{
    uint64_t rng = test_rng(2000);
    cudaStream_t s;
    ck_assert_int_eq(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking),
                     cudaSuccess);
    ck_assert_int_eq(i2w_context_set_stream(gpu, s), I2W_OK);
    for (int l = 0; l < NLAYOUTS; l++) {
        i2w_conv_desc d = desc_of(&cases[5], (i2w_layout)l);
        ck_assert_int_eq(check_op(&d, I2W_OP_FORWARD, I2W_ALGO_IM2WIN, &rng),
                         0);
    }
    ck_assert_int_eq(i2w_synchronize(gpu), I2W_OK);
    ck_assert_int_eq(i2w_context_set_stream(gpu, NULL), I2W_OK);
    ck_assert_int_eq(cudaStreamDestroy(s), cudaSuccess);
}
END_TEST

/* Activation (is_filter 0) or filter conversion from layout `from` to
 * `to` on the device, against the reference backend's conversion. */
static void check_convert(int is_filter, i2w_layout from, i2w_layout to,
                          uint64_t *rng)
{
    /* batch 9 and k 9: CHWN8 padding in activations, odd sizes anywhere */
    i2w_conv_desc df = {9, 6, 5, 7, 9, 3, 2, 0, 0, 0, 0, 0, 0, 3, from};
    i2w_conv_desc dt = df;
    dt.layout = to;
    i2w_shape sf, stt;
    ck_assert_int_eq(tu_shape(&df, &sf), 0);
    ck_assert_int_eq(tu_shape(&dt, &stt), 0);
    char which = is_filter ? 'w' : 'x';
    size_t nf = elems(&sf, which), nt = elems(&stt, which);
    float *src = tu_alloc_input(&sf, which, rng);
    float *want = host_floats(nt), *got = host_floats(nt);
    tu_fill_nan(want, nt);
    float *dsrc = to_device(src, nf), *ddst = nan_device(nt);
    i2w_status st, rs;
    if (is_filter) {
        rs = i2w_convert_filter_layout(ref, df.k, df.c / df.groups, df.r,
                                       df.s, from, src, to, want);
        st = i2w_convert_filter_layout(gpu, df.k, df.c / df.groups, df.r,
                                       df.s, from, dsrc, to, ddst);
    } else {
        rs = i2w_convert_layout(ref, df.n, df.c, df.h, df.w, from, src, to,
                                want);
        st = i2w_convert_layout(gpu, df.n, df.c, df.h, df.w, from, dsrc, to,
                                ddst);
    }
    ck_assert_msg(rs == I2W_OK, "ref convert: %s", i2w_context_error(ref));
    ck_assert_msg(st == I2W_OK, "convert: %s", i2w_context_error(gpu));
    ck_assert_int_eq(i2w_download(gpu, got, ddst, nt * sizeof(float)),
                     I2W_OK);
    char label[64];
    snprintf(label, sizeof label, "convert %s %s -> %s",
             is_filter ? "filter" : "activation", i2w_layout_name(from),
             i2w_layout_name(to));
    ck_assert_int_eq(tu_compare_tensor(&stt, which, got, want, 1, label), 0);
    i2w_free(gpu, dsrc);
    i2w_free(gpu, ddst);
    free(src);
    free(want);
    free(got);
}

START_TEST(test_convert)
{
    uint64_t rng = test_rng(3000 + _i);
    i2w_layout from = (i2w_layout)(_i / NLAYOUTS % NLAYOUTS);
    i2w_layout to = (i2w_layout)(_i % NLAYOUTS);
    check_convert(_i >= NLAYOUTS * NLAYOUTS, from, to, &rng);
}
END_TEST

START_TEST(test_errors)
{
    i2w_context *c = NULL;
    ck_assert_int_eq(i2w_context_create_device(&c, I2W_BACKEND_CUDA, 4096),
                     I2W_ERR_BACKEND_UNAVAILABLE);
    ck_assert_msg(strstr(i2w_last_error(), "out of range") != NULL,
                  "message: %s", i2w_last_error());
    /* an algorithm the backend lacks is UNSUPPORTED with a reason */
    i2w_conv_desc d = desc_of(&cases[0], I2W_LAYOUT_NCHW);
    i2w_plan *p = NULL;
    ck_assert_int_eq(i2w_plan_create(gpu, &d, I2W_OP_FORWARD,
                                     I2W_ALGO_CONVV2, &p),
                     I2W_ERR_UNSUPPORTED);
    ck_assert_ptr_null(p);
    ck_assert_str_ne(i2w_context_error(gpu), "");
    ck_assert_msg(strncmp(i2w_context_describe(gpu), "cuda ", 5) == 0,
                  "describe: %s", i2w_context_describe(gpu));
}
END_TEST

static Suite *cuda_suite(void)
{
    Suite *s = suite_create("cuda");
    TCase *tc = tcase_create("cases");
    tcase_add_loop_test(tc, test_cases, 0, NCASES * NLAYOUTS);
    suite_add_tcase(s, tc);
    tc = tcase_create("large");
    tcase_add_loop_test(tc, test_large, 0, NLARGE * NLAYOUTS);
    suite_add_tcase(s, tc);
    tc = tcase_create("random");
    tcase_add_loop_test(tc, test_random, 0, 48);
    suite_add_tcase(s, tc);
    tc = tcase_create("stream");
    tcase_add_test(tc, test_user_stream);
    suite_add_tcase(s, tc);
    tc = tcase_create("convert");
    tcase_add_loop_test(tc, test_convert, 0, 2 * NLAYOUTS * NLAYOUTS);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    i2w_status st = i2w_context_create(&gpu, I2W_BACKEND_CUDA);
    if (st == I2W_ERR_BACKEND_UNAVAILABLE) {
        printf("SKIP: no usable CUDA backend: %s\n", i2w_last_error());
        return 77;
    }
    if (st != I2W_OK || i2w_context_create(&ref, I2W_BACKEND_REF) != I2W_OK) {
        printf("cannot create the contexts: %s\n", i2w_last_error());
        return 1;
    }
    printf("testing on %s\n", i2w_context_describe(gpu));
    tu_seed();
    SRunner *sr = srunner_create(cuda_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    i2w_context_destroy(gpu);
    i2w_context_destroy(ref);
    return failed ? 1 : 0;
}
