/* The public API through the shared library, on a REF context: shape
 * math, rejection of every kind of invalid request (with a message naming
 * the culprit and the output left alone), one-shot calls and plans against
 * the reference functions, transposed convolution, names and version.
 * The reference functions are compiled into this program (they are hidden
 * inside libim2win), so the oracle is called directly, not through the API
 * under test. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/layout.h"
#include "ref/ref.h"
#include "testsuite.h"
#include "testutil.h"

static uint64_t seed;

/* Every buffer of the rejection tests: large enough for the base
 * descriptor, filled with a sentinel that a write would destroy. */
#define BUF 4096
#define SENTINEL 12345.0f

static float *sentinel_buf(void)
{
    float *p = malloc(BUF * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < BUF; i++)
        p[i] = SENTINEL;
    return p;
}

static void assert_untouched(const float *p, const char *what)
{
    for (size_t i = 0; i < BUF; i++)
        ck_assert_msg(p[i] == SENTINEL, "%s: element %zu written", what, i);
}

static i2w_context *ref_ctx(void)
{
    i2w_context *ctx = NULL;
    ck_assert_int_eq(i2w_context_create(&ctx, I2W_BACKEND_REF), I2W_OK);
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

#define assert_has(text, part)                                            \
    ck_assert_msg(strstr((text), (part)) != NULL,                         \
                  "message '%s' does not mention '%s'", (text), (part))

/* ------------------------------------------------------------ shape math */

typedef struct {
    i2w_conv_desc d;
    int ho, wo;
} dims_case;

/* Ho = (H + 2 pad - dil (R-1) - 1) / stride + 1, worked out per case */
static const dims_case dims_cases[] = {
    /* (7 + 2 - 2 - 1)/2 + 1 = 4; (5 + 0 - 0 - 1)/1 + 1 = 5 */
    {{.n = 1, .c = 1, .h = 7, .w = 5, .k = 1, .r = 3, .s = 1,
      .stride_h = 2, .pad_h = 1}, 4, 5},
    /* dilation 3, r 3: eff 7: (10 - 7)/1 + 1 = 4; s 2 dil 2 stride 3
     * pad 1: (9 + 2 - 2 - 1)/3 + 1 = 3 */
    {{.n = 1, .c = 1, .h = 10, .w = 9, .k = 1, .r = 3, .s = 2,
      .stride_w = 3, .pad_w = 1, .dilation_h = 3, .dilation_w = 2}, 4, 3},
    /* filter as large as the input: 1 x 1 */
    {{.n = 2, .c = 2, .h = 4, .w = 6, .k = 2, .r = 4, .s = 6}, 1, 1},
    /* stride larger than the input: (3 - 1)/5 + 1 = 1; pad 2, s 5:
     * (3 + 4 - 5)/1 + 1 = 3 */
    {{.n = 1, .c = 1, .h = 3, .w = 3, .k = 1, .r = 1, .s = 5,
      .stride_h = 5, .pad_w = 2}, 1, 3},
};

START_TEST(test_output_dims)
{
    const dims_case *dc = &dims_cases[_i];
    int ho = -1, wo = -1;
    ck_assert_int_eq(i2w_conv_output_dims(&dc->d, &ho, &wo), I2W_OK);
    ck_assert_int_eq(ho, dc->ho);
    ck_assert_int_eq(wo, dc->wo);
    ck_assert_int_eq(i2w_conv_output_dims(&dc->d, NULL, &wo),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "'ho'");
    ck_assert_int_eq(i2w_conv_output_dims(&dc->d, &ho, NULL),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "'wo'");
}
END_TEST

START_TEST(test_tensor_bytes)
{
    /* n 3, c 2, 4 x 5, k 6, 3 x 3, pad 1: output 4 x 5 */
    i2w_conv_desc d = {.n = 3, .c = 2, .h = 4, .w = 5, .k = 6, .r = 3,
                       .s = 3, .pad_h = 1, .pad_w = 1};
    for (int l = 0; l < 4; l++) {
        d.layout = (i2w_layout)l;
        size_t nb = l == I2W_LAYOUT_CHWN8 ? 8 : 3; /* batch as stored */
        ck_assert_uint_eq(i2w_tensor_bytes(&d, 'x'), nb * 2 * 4 * 5 * 4);
        ck_assert_uint_eq(i2w_tensor_bytes(&d, 'w'), 6 * 2 * 3 * 3 * 4);
        ck_assert_uint_eq(i2w_tensor_bytes(&d, 'y'), nb * 6 * 4 * 5 * 4);
    }
    d.n = 9; /* CHWN8 pads 9 to 16 */
    ck_assert_uint_eq(i2w_tensor_bytes(&d, 'x'), 16 * 2 * 4 * 5 * 4);
    d.groups = 2; /* filters hold c / groups input channels */
    ck_assert_uint_eq(i2w_tensor_bytes(&d, 'w'), 6 * 1 * 3 * 3 * 4);
    ck_assert_uint_eq(i2w_tensor_bytes(&d, 'q'), 0);
    assert_has(i2w_last_error(), "which");
    d.k = 5; /* not divisible by groups: invalid, so 0 bytes */
    ck_assert_uint_eq(i2w_tensor_bytes(&d, 'x'), 0);
    assert_has(i2w_last_error(), "'k' = 5");
    ck_assert_uint_eq(i2w_tensor_bytes(NULL, 'x'), 0);
}
END_TEST

/* ---------------------------------------------------- invalid descriptors */

/* n 2, c 4, 6 x 7, k 6, 3 x 3, pad 1, groups 2: x 336, w 108, y 504
 * elements, all inside BUF */
static const i2w_conv_desc base = {.n = 2, .c = 4, .h = 6, .w = 7, .k = 6,
                                   .r = 3, .s = 3, .pad_h = 1, .pad_w = 1,
                                   .groups = 2};

#define F(field) offsetof(i2w_conv_desc, field)
#define NONE SIZE_MAX

typedef struct {
    size_t f1; int v1; /* field offset and the value it gets */
    size_t f2; int v2; /* a second field, or NONE */
    const char *says;  /* what the message must contain */
} bad_desc;

static const bad_desc bad_descs[] = {
    {F(n), 0, NONE, 0, "'n' = 0"},
    {F(n), -1, NONE, 0, "'n' = -1"},
    {F(c), 0, NONE, 0, "'c' = 0"},
    {F(h), 0, NONE, 0, "'h' = 0"},
    {F(w), -3, NONE, 0, "'w' = -3"},
    {F(k), 0, NONE, 0, "'k' = 0"},
    {F(r), 0, NONE, 0, "'r' = 0"},
    {F(s), -1, NONE, 0, "'s' = -1"},
    {F(stride_h), -1, NONE, 0, "'stride_h' = -1"},
    {F(stride_w), -2, NONE, 0, "'stride_w' = -2"},
    {F(dilation_h), -1, NONE, 0, "'dilation_h' = -1"},
    {F(dilation_w), -1, NONE, 0, "'dilation_w' = -1"},
    {F(groups), -1, NONE, 0, "'groups' = -1"},
    {F(pad_h), -1, NONE, 0, "'pad_h' = -1"},
    {F(pad_w), -1, NONE, 0, "'pad_w' = -1"},
    /* pad must be below the effective filter size 3 */
    {F(pad_h), 3, NONE, 0, "'pad_h' = 3"},
    /* s 3 dilation 2: effective width 5 */
    {F(pad_w), 5, F(dilation_w), 2, "'pad_w' = 5"},
    /* 1 + 2*1 < 5: no output row */
    {F(h), 1, F(r), 5, "output height"},
    {F(w), 2, F(s), 5, "output width"},
    {F(c), 5, NONE, 0, "'c' = 5"},
    {F(k), 7, NONE, 0, "'k' = 7"},
    /* each size fits an int, their byte count no size_t */
    {F(c), 1 << 30, F(h), 1 << 30, "input tensor"},
    {F(n), 1 << 30, F(k), 1 << 30, "output tensor"},
    {F(layout), 7, NONE, 0, "'layout' = 7"},
    {F(layout), -1, NONE, 0, "'layout' = -1"},
};

static i2w_conv_desc apply(const bad_desc *b)
{
    i2w_conv_desc d = base;
    /* every field of the descriptor is an int or an int-sized enum */
    memcpy((char *)&d + b->f1, &b->v1, sizeof(int));
    if (b->f2 != NONE)
        memcpy((char *)&d + b->f2, &b->v2, sizeof(int));
    return d;
}

START_TEST(test_invalid_desc)
{
    const bad_desc *b = &bad_descs[_i];
    i2w_conv_desc d = apply(b);
    i2w_context *ctx = ref_ctx();
    float *a = sentinel_buf(), *w = sentinel_buf(), *out = sentinel_buf();
    int ho = -7, wo = -7;

    ck_assert_int_eq(i2w_conv_output_dims(&d, &ho, &wo),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), b->says);
    ck_assert_int_eq(ho, -7);
    ck_assert_uint_eq(i2w_tensor_bytes(&d, 'x'), 0);

    ck_assert_int_eq(i2w_conv_forward(ctx, &d, I2W_ALGO_AUTO, a, w, NULL,
                                      out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), b->says);
    ck_assert_int_eq(i2w_conv_backward_data(ctx, &d, I2W_ALGO_DIRECT, a, w,
                                            out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), b->says);
    ck_assert_int_eq(i2w_conv_backward_filter(ctx, &d, I2W_ALGO_AUTO, a, w,
                                              out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), b->says);
    assert_untouched(out, "output");
    assert_untouched(a, "input a");
    assert_untouched(w, "input b");

    i2w_plan *plan = (i2w_plan *)&ctx; /* any non-NULL value */
    ck_assert_int_eq(i2w_plan_create(ctx, &d, I2W_OP_FORWARD, I2W_ALGO_AUTO,
                                     &plan),
                     I2W_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(plan);
    assert_has(i2w_context_error(ctx), b->says);
    free(a), free(w), free(out);
    i2w_context_destroy(ctx);
}
END_TEST

/* op and algorithm: out of the enum, or not an algorithm of that op */
typedef struct {
    int op, algo;
    const char *says;
} bad_request;

static const bad_request bad_requests[] = {
    {3, I2W_ALGO_AUTO, "op = 3"},
    {-1, I2W_ALGO_AUTO, "op = -1"},
    {I2W_OP_FORWARD, 99, "algo = 99"},
    {I2W_OP_FORWARD, -2, "algo = -2"},
    {I2W_OP_FORWARD, I2W_ALGO_SUBKERNEL, "subkernel"},
    {I2W_OP_FORWARD, I2W_ALGO_SK_DILATED, "sk_dilated"},
    {I2W_OP_BACKWARD_DATA, I2W_ALGO_IM2WIN, "im2win"},
    {I2W_OP_BACKWARD_DATA, I2W_ALGO_IM2COL_GEMM, "im2col_gemm"},
    {I2W_OP_BACKWARD_FILTER, I2W_ALGO_KS_DECONV, "ks_deconv"},
    {I2W_OP_BACKWARD_FILTER, I2W_ALGO_CONVV2, "convv2"},
};

START_TEST(test_invalid_request)
{
    const bad_request *b = &bad_requests[_i];
    i2w_context *ctx = ref_ctx();
    i2w_plan *plan = (i2w_plan *)&ctx;
    ck_assert_int_eq(i2w_plan_create(ctx, &base, (i2w_op)b->op,
                                     (i2w_algo)b->algo, &plan),
                     I2W_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(plan);
    assert_has(i2w_context_error(ctx), b->says);
    if (b->op == I2W_OP_FORWARD) { /* and through the one-shot call */
        float *a = sentinel_buf(), *w = sentinel_buf(), *y = sentinel_buf();
        ck_assert_int_eq(i2w_conv_forward(ctx, &base, (i2w_algo)b->algo, a,
                                          w, NULL, y),
                         I2W_ERR_INVALID_ARGUMENT);
        assert_has(i2w_context_error(ctx), b->says);
        assert_untouched(y, "y");
        free(a), free(w), free(y);
    }
    i2w_context_destroy(ctx);
}
END_TEST

/* ------------------------------------------------ NULL and aliasing */

static const char *const arg_names[3][3] = {
    {"'x'", "'w'", "'y'"}, {"'dy'", "'w'", "'dx'"}, {"'x'", "'dy'", "'dw'"}};

static i2w_status one_shot(i2w_context *ctx, const i2w_conv_desc *d,
                           i2w_op op, const float *a, const float *b,
                           const float *bias, float *out)
{
    switch (op) {
    case I2W_OP_FORWARD:
        return i2w_conv_forward(ctx, d, I2W_ALGO_AUTO, a, b, bias, out);
    case I2W_OP_BACKWARD_DATA:
        return i2w_conv_backward_data(ctx, d, I2W_ALGO_AUTO, a, b, out);
    case I2W_OP_BACKWARD_FILTER:
        return i2w_conv_backward_filter(ctx, d, I2W_ALGO_AUTO, a, b, out);
    }
    return I2W_ERR_INTERNAL;
}

/* _i = op * 3 + which argument is NULL */
START_TEST(test_null_pointer)
{
    i2w_op op = (i2w_op)(_i / 3);
    int which = _i % 3;
    i2w_context *ctx = ref_ctx();
    float *buf[3] = {sentinel_buf(), sentinel_buf(), sentinel_buf()};
    const float *arg[3] = {buf[0], buf[1], buf[2]};
    arg[which] = NULL;
    float *out = which == 2 ? NULL : buf[2];

    ck_assert_int_eq(one_shot(ctx, &base, op, arg[0], arg[1], NULL, out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), arg_names[op][which]);

    i2w_plan *plan = NULL;
    ck_assert_int_eq(i2w_plan_create(ctx, &base, op, I2W_ALGO_AUTO, &plan),
                     I2W_OK);
    ck_assert_int_eq(i2w_plan_execute(plan, arg[0], arg[1], out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), arg_names[op][which]);
    i2w_plan_destroy(plan);
    for (int i = 0; i < 3; i++)
        assert_untouched(buf[i], "buffer");
    for (int i = 0; i < 3; i++)
        free(buf[i]);
    i2w_context_destroy(ctx);
}
END_TEST

/* _i = op * 2 + which input the output aliases */
START_TEST(test_alias)
{
    i2w_op op = (i2w_op)(_i / 2);
    int which = _i % 2;
    i2w_context *ctx = ref_ctx();
    float *buf[2] = {sentinel_buf(), sentinel_buf()};
    float *out = buf[which];

    ck_assert_int_eq(one_shot(ctx, &base, op, buf[0], buf[1], NULL, out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), arg_names[op][which]);
    assert_has(i2w_context_error(ctx), arg_names[op][2]);

    i2w_plan *plan = NULL;
    ck_assert_int_eq(i2w_plan_create(ctx, &base, op, I2W_ALGO_AUTO, &plan),
                     I2W_OK);
    ck_assert_int_eq(i2w_plan_execute(plan, buf[0], buf[1], out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), arg_names[op][which]);
    i2w_plan_destroy(plan);
    for (int i = 0; i < 2; i++)
        assert_untouched(buf[i], "buffer");
    free(buf[0]), free(buf[1]);
    i2w_context_destroy(ctx);
}
END_TEST

START_TEST(test_null_handles)
{
    float *a = sentinel_buf(), *b = sentinel_buf(), *out = sentinel_buf();
    i2w_context *ctx = ref_ctx();
    ck_assert_int_eq(i2w_conv_forward(NULL, &base, I2W_ALGO_AUTO, a, b,
                                      NULL, out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "ctx");
    ck_assert_int_eq(i2w_conv_forward(ctx, NULL, I2W_ALGO_AUTO, a, b, NULL,
                                      out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "desc");
    ck_assert_int_eq(i2w_plan_create(ctx, &base, I2W_OP_FORWARD,
                                     I2W_ALGO_AUTO, NULL),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "plan");
    ck_assert_int_eq(i2w_plan_execute(NULL, a, b, out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "plan");
    /* bias belongs to the forward op only */
    i2w_plan *plan = NULL;
    ck_assert_int_eq(i2w_plan_create(ctx, &base, I2W_OP_BACKWARD_DATA,
                                     I2W_ALGO_AUTO, &plan),
                     I2W_OK);
    ck_assert_int_eq(i2w_plan_execute_bias(plan, a, b, a, out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "bias");
    i2w_plan_destroy(plan);
    /* the output may not overlap the bias either */
    ck_assert_int_eq(i2w_conv_forward(ctx, &base, I2W_ALGO_AUTO, a, b,
                                      out + 8, out),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "bias");
    assert_untouched(out, "y");
    i2w_plan_destroy(NULL);
    ck_assert_int_eq(i2w_plan_algo(NULL), I2W_ALGO_AUTO);
    ck_assert_uint_eq(i2w_plan_workspace_bytes(NULL), 0);
    free(a), free(b), free(out);
    i2w_context_destroy(ctx);
}
END_TEST

/* ------------------------------------------- results against the oracle */

/* _i: random shape and layout; every op, one-shot and plan, vs oracle */
START_TEST(test_against_ref)
{
    uint64_t st = seed + (uint64_t)_i * UINT64_C(0x9E3779B97F4A7C15);
    i2w_layout l = (i2w_layout)tu_rand_int(&st, 0, 3);
    i2w_conv_desc d;
    tu_random_desc(&st, l, l == I2W_LAYOUT_CHWN8 ? 10 : 3, &d);
    char text[256];
    tu_describe(&d, text, sizeof text);
    i2w_shape sh;
    ck_assert_msg(tu_shape(&d, &sh) == 0, "rejected: %s", text);
    i2w_context *ctx = ref_ctx();

    for (int o = 0; o < 3; o++) {
        i2w_op op = (i2w_op)o;
        const char *t = tu_op_tensors[o];
        float *a = tu_alloc_random(tu_tensor_elems(&sh, t[0]), &st);
        float *b = tu_alloc_random(tu_tensor_elems(&sh, t[1]), &st);
        float *bias = op == I2W_OP_FORWARD
                          ? tu_alloc_random((size_t)sh.k, &st) : NULL;
        size_t n_out = tu_tensor_elems(&sh, t[2]);
        float *want = tu_alloc_nan(n_out), *once = tu_alloc_nan(n_out),
              *planned = tu_alloc_nan(n_out);
        tu_ref_run(&sh, op, a, b, bias, want);

        ck_assert_int_eq(one_shot(ctx, &d, op, a, b, bias, once), I2W_OK);
        i2w_plan *plan = NULL;
        ck_assert_int_eq(i2w_plan_create(ctx, &d, op, I2W_ALGO_AUTO, &plan),
                         I2W_OK);
        ck_assert_int_eq(i2w_plan_algo(plan), I2W_ALGO_DIRECT);
        ck_assert_uint_eq(i2w_plan_workspace_bytes(plan), 0);
        /* twice: a plan is reusable */
        for (int rep = 0; rep < 2; rep++) {
            ck_assert_int_eq(bias ? i2w_plan_execute_bias(plan, a, b, bias,
                                                          planned)
                                  : i2w_plan_execute(plan, a, b, planned),
                             I2W_OK);
        }
        i2w_plan_destroy(plan);
        int red = tu_reduction(&sh, op);
        ck_assert_msg(tu_compare_tensor(&sh, t[2], once, want, red,
                                        "one-shot") == 0,
                      "op %d one-shot differs from the oracle: %s", o, text);
        ck_assert_msg(tu_compare_tensor(&sh, t[2], planned, want, red,
                                        "plan") == 0,
                      "op %d plan differs from the oracle: %s", o, text);
        free(a), free(b), free(bias), free(want), free(once), free(planned);
    }
    i2w_context_destroy(ctx);
}
END_TEST

/* The ref context does DIRECT only: other algorithms are a clean
 * UNSUPPORTED naming the algorithm and the backend. */
START_TEST(test_unsupported_algo)
{
    static const struct { i2w_op op; i2w_algo algo; } cases[] = {
        {I2W_OP_FORWARD, I2W_ALGO_IM2WIN},
        {I2W_OP_FORWARD, I2W_ALGO_IM2COL_GEMM},
        {I2W_OP_BACKWARD_DATA, I2W_ALGO_SUBKERNEL},
        {I2W_OP_BACKWARD_FILTER, I2W_ALGO_SK_DILATED},
    };
    i2w_context *ctx = ref_ctx();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        i2w_plan *plan = (i2w_plan *)&ctx;
        ck_assert_int_eq(i2w_plan_create(ctx, &base, cases[i].op,
                                         cases[i].algo, &plan),
                         I2W_ERR_UNSUPPORTED);
        ck_assert_ptr_null(plan);
        assert_has(i2w_context_error(ctx), i2w_algo_name(cases[i].algo));
        assert_has(i2w_context_error(ctx), "ref backend");
    }
    float *a = sentinel_buf(), *w = sentinel_buf(), *y = sentinel_buf();
    ck_assert_int_eq(i2w_conv_forward(ctx, &base, I2W_ALGO_CONVV2, a, w,
                                      NULL, y),
                     I2W_ERR_UNSUPPORTED);
    assert_untouched(y, "y");
    free(a), free(w), free(y);
    i2w_context_destroy(ctx);
}
END_TEST

/* ------------------------------------------------------ memory, layouts */

START_TEST(test_memory)
{
    i2w_context *ctx = ref_ctx();
    void *p = NULL;
    ck_assert_int_eq(i2w_malloc(ctx, &p, 1000), I2W_OK);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 64, 0);
    unsigned char src[1000], back[1000];
    for (int i = 0; i < 1000; i++)
        src[i] = (unsigned char)(i * 7 + 1);
    memset(back, 0, sizeof back);
    ck_assert_int_eq(i2w_upload(ctx, p, src, sizeof src), I2W_OK);
    ck_assert_int_eq(i2w_download(ctx, back, p, sizeof back), I2W_OK);
    ck_assert_int_eq(i2w_synchronize(ctx), I2W_OK);
    ck_assert_mem_eq(src, back, sizeof src);
    i2w_free(ctx, p);
    i2w_free(ctx, NULL);

    ck_assert_int_eq(i2w_malloc(ctx, NULL, 16), I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "ptr");
    ck_assert_int_eq(i2w_malloc(ctx, &p, 0), I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "bytes");
    ck_assert_int_eq(i2w_malloc(ctx, &p, SIZE_MAX), I2W_ERR_OUT_OF_MEMORY);
    ck_assert_int_eq(i2w_upload(ctx, NULL, src, 4), I2W_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(i2w_download(ctx, back, NULL, 4),
                     I2W_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(i2w_malloc(NULL, &p, 16), I2W_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(i2w_synchronize(NULL), I2W_ERR_INVALID_ARGUMENT);
    i2w_context_destroy(ctx);
}
END_TEST

/* i2w_convert_layout and i2w_convert_filter_layout against the offsets,
 * for every pair of layouts; batch 11 is not a multiple of 8. */
START_TEST(test_convert_api)
{
    i2w_layout from = (i2w_layout)(_i / 4), to = (i2w_layout)(_i % 4);
    uint64_t st = seed + 77u * (uint64_t)_i;
    i2w_context *ctx = ref_ctx();
    const int n = 11, c = 3, h = 2, w = 5;
    size_t nf = (size_t)i2w_stored_batch(from, n) * c * h * w;
    size_t nt = (size_t)i2w_stored_batch(to, n) * c * h * w;
    float *src = tu_alloc_random(nf, &st), *dst = tu_alloc_nan(nt);
    ck_assert_int_eq(i2w_convert_layout(ctx, n, c, h, w, from, src, to, dst),
                     I2W_OK);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    ck_assert(
                        dst[i2w_act_offset(to, i2w_stored_batch(to, n), c, h,
                                           w, i, j, y, x)] ==
                        src[i2w_act_offset(from, i2w_stored_batch(from, n), c,
                                           h, w, i, j, y, x)]);
    /* filters: 4 output channels, 3 per group, 2 x 5 */
    float *fsrc = tu_alloc_random(120, &st), *fdst = tu_alloc_nan(120);
    ck_assert_int_eq(i2w_convert_filter_layout(ctx, 4, 3, 2, 5, from, fsrc,
                                               to, fdst),
                     I2W_OK);
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 3; j++)
            for (int r = 0; r < 2; r++)
                for (int s = 0; s < 5; s++)
                    ck_assert(fdst[i2w_filter_offset(to, 4, 3, 2, 5, k, j, r,
                                                     s)] ==
                              fsrc[i2w_filter_offset(from, 4, 3, 2, 5, k, j,
                                                     r, s)]);
    /* invalid: a zero size, a bad layout, NULL, dst == src */
    ck_assert_int_eq(i2w_convert_layout(ctx, n, 0, h, w, from, src, to, dst),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "'c' = 0");
    ck_assert_int_eq(i2w_convert_layout(ctx, n, c, h, w, (i2w_layout)9, src,
                                        to, dst),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "from");
    ck_assert_int_eq(i2w_convert_layout(ctx, n, c, h, w, from, NULL, to,
                                        dst),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "src");
    ck_assert_int_eq(i2w_convert_filter_layout(ctx, 4, 3, 2, 5, from, fsrc,
                                               to, fsrc),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "overlaps");
    free(src), free(dst), free(fsrc), free(fdst);
    i2w_context_destroy(ctx);
}
END_TEST

/* ------------------------------------------------- transposed convolution */

START_TEST(test_conv_transpose)
{
    uint64_t st = seed ^ UINT64_C(0x5DEECE66D);
    i2w_layout l = (i2w_layout)_i;
    /* h_out = (3-1)*2 - 2*1 + 1*(3-1) + 1 + 1 = 6;
     * w_out = (4-1)*3 - 0 + 1*(2-1) + 1 + 2 = 13 */
    i2w_conv_transpose_desc t = {
        .n = 2, .c_in = 4, .h_in = 3, .w_in = 4, .c_out = 6, .r = 3,
        .s = 2, .stride_h = 2, .stride_w = 3, .pad_h = 1,
        .output_pad_h = 1, .output_pad_w = 2, .groups = 2, .layout = l};
    i2w_conv_desc d;
    ck_assert_int_eq(i2w_conv_transpose_as_forward(&t, &d), I2W_OK);
    ck_assert_int_eq(d.n, 2);
    ck_assert_int_eq(d.c, 6);
    ck_assert_int_eq(d.k, 4);
    ck_assert_int_eq(d.h, 6);
    ck_assert_int_eq(d.w, 13);
    ck_assert_int_eq(d.groups, 2);
    i2w_shape sh;
    ck_assert_int_eq(tu_shape(&d, &sh), 0);
    ck_assert_int_eq(sh.ho, 3); /* its forward output is the input */
    ck_assert_int_eq(sh.wo, 4);

    float *x = tu_alloc_random(sh.y_elems, &st);
    float *w = tu_alloc_random(sh.w_elems, &st);
    float *bias = tu_alloc_random(6, &st);
    float *want = tu_alloc_nan(sh.x_elems), *y = tu_alloc_nan(sh.x_elems);
    i2w_ref_backward_data(&sh, x, w, want);
    for (int n = 0; n < sh.n; n++)
        for (int c = 0; c < sh.c; c++)
            for (int i = 0; i < sh.h; i++)
                for (int j = 0; j < sh.w; j++)
                    want[i2w_act_offset(l, sh.nb, sh.c, sh.h, sh.w, n, c, i,
                                        j)] += bias[c];
    i2w_context *ctx = ref_ctx();
    ck_assert_int_eq(i2w_conv_transpose(ctx, &t, I2W_ALGO_AUTO, x, w, bias,
                                        y),
                     I2W_OK);
    ck_assert_msg(tu_compare_tensor(&sh, 'x', y, want,
                                    sh.kg * sh.r * sh.s + 1,
                                    "conv_transpose") == 0,
                  "conv_transpose differs in %s", i2w_layout_name(l));

    /* output padding must stay below the stride */
    t.output_pad_h = 2;
    ck_assert_int_eq(i2w_conv_transpose_as_forward(&t, &d),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "output_pad_h");
    float *sent = sentinel_buf();
    ck_assert_int_eq(i2w_conv_transpose(ctx, &t, I2W_ALGO_AUTO, x, w, NULL,
                                        sent),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ctx), "output_pad_h");
    assert_untouched(sent, "y");
    t.output_pad_h = 0;
    t.c_in = 0;
    ck_assert_int_eq(i2w_conv_transpose_as_forward(&t, &d),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "c_in");
    ck_assert_int_eq(i2w_conv_transpose(NULL, &t, I2W_ALGO_AUTO, x, w, NULL,
                                        sent),
                     I2W_ERR_INVALID_ARGUMENT);
    free(x), free(w), free(bias), free(want), free(y), free(sent);
    i2w_context_destroy(ctx);
}
END_TEST

/* --------------------------------------------------- names and version */

START_TEST(test_status_strings)
{
    for (int a = I2W_OK; a <= I2W_ERR_INTERNAL; a++) {
        const char *s = i2w_status_string((i2w_status)a);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_gt(strlen(s), 0);
        for (int b = I2W_OK; b < a; b++)
            ck_assert_str_ne(s, i2w_status_string((i2w_status)b));
    }
    ck_assert_str_eq(i2w_status_string(I2W_OK), "success");
    ck_assert_ptr_nonnull(i2w_status_string((i2w_status)99));
}
END_TEST

/* Every value of an enum has its own non-empty name; one past is known
 * to be unknown. */
static void assert_names(const char *(*name)(int), int count)
{
    for (int a = 0; a < count; a++) {
        ck_assert_uint_gt(strlen(name(a)), 0);
        ck_assert_str_ne(name(a), "unknown");
        for (int b = 0; b < a; b++)
            ck_assert_str_ne(name(a), name(b));
    }
    ck_assert_str_eq(name(count), "unknown");
}

static const char *algo_name(int a) { return i2w_algo_name((i2w_algo)a); }
static const char *layout_name(int a)
{
    return i2w_layout_name((i2w_layout)a);
}
static const char *backend_name(int a)
{
    return i2w_backend_name((i2w_backend)a);
}

START_TEST(test_names_version)
{
    assert_names(algo_name, I2W_ALGO_SK_DILATED + 1);
    assert_names(layout_name, I2W_LAYOUT_CHWN8 + 1);
    assert_names(backend_name, I2W_BACKEND_CUDA + 1);
    ck_assert_str_eq(i2w_algo_name(I2W_ALGO_IM2WIN), "im2win");
    ck_assert_str_eq(i2w_layout_name(I2W_LAYOUT_CHWN8), "chwn8");
    ck_assert_str_eq(i2w_backend_name(I2W_BACKEND_REF), "ref");
    ck_assert_int_eq(i2w_version(), I2W_VERSION);
    ck_assert_int_eq(I2W_VERSION, I2W_VERSION_MAJOR * 10000 +
                                      I2W_VERSION_MINOR * 100 +
                                      I2W_VERSION_PATCH);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("shapes");
    tcase_add_loop_test(tc, test_output_dims, 0,
                        (int)(sizeof dims_cases / sizeof dims_cases[0]));
    tcase_add_test(tc, test_tensor_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("rejections");
    tcase_add_loop_test(tc, test_invalid_desc, 0,
                        (int)(sizeof bad_descs / sizeof bad_descs[0]));
    tcase_add_loop_test(tc, test_invalid_request, 0,
                        (int)(sizeof bad_requests / sizeof bad_requests[0]));
    tcase_add_loop_test(tc, test_null_pointer, 0, 9);
    tcase_add_loop_test(tc, test_alias, 0, 6);
    tcase_add_test(tc, test_null_handles);
    tcase_add_test(tc, test_unsupported_algo);
    suite_add_tcase(s, tc);

    tc = tcase_create("results");
    tcase_add_loop_test(tc, test_against_ref, 0, 24);
    tcase_add_loop_test(tc, test_conv_transpose, 0, 4);
    tcase_add_loop_test(tc, test_convert_api, 0, 16);
    tcase_add_test(tc, test_memory);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_test(tc, test_status_strings);
    tcase_add_test(tc, test_names_version);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    seed = tu_seed(); /* printed once, before the tests fork */
    return tu_run_suite(api_suite());
}
