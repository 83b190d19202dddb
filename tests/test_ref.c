/* The reference backend, which every other backend is tested against:
 * hand-computed cases per operator, the adjoint identities on random
 * shapes, layout independence, and the layout conversions. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "common/layout.h"
#include "ref/ref.h"
#include "testsuite.h"
#include "testutil.h"

static uint64_t seed;

static i2w_shape shape_of(const i2w_conv_desc *d)
{
    i2w_shape sh;
    char text[256];
    tu_describe(d, text, sizeof text);
    ck_assert_msg(tu_shape(d, &sh) == 0, "descriptor rejected: %s", text);
    return sh;
}

/* ------------------------------------------------------------------ hand
 * Small NCHW cases whose results were worked out by hand (derivations in
 * the comments); every value is an integer, so the comparison is exact. */

static const float seq9[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const float seq16[] = {1, 2, 3, 4, 5, 6, 7, 8,
                              9, 10, 11, 12, 13, 14, 15, 16};
static const float seq25[] = {1, 2, 3, 4, 5, 6, 7, 8, 9,
                              10, 11, 12, 13, 14, 15, 16, 17, 18,
                              19, 20, 21, 22, 23, 24, 25};
static const float ones9[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
static const float w2x2[] = {1, 2, 3, 4}; /* [[1, 2], [3, 4]] */
static const float sobel[] = {1, 0, -1, 2, 0, -2, 1, 0, -1};
/* groups 2, 1x1: k0 reads channels 0,1 with weights 1,10; k1 reads
 * channels 2,3 with weights 100,1000 */
static const float grouped[] = {1, 10, 100, 1000};
/* two images of two channels of 1x2: n0 = [1 2 | 3 4], n1 = [5 6 | 7 8] */
static const float batch2[] = {1, 2, 3, 4, 5, 6, 7, 8};

typedef struct {
    const char *name;
    i2w_conv_desc d;
    i2w_op op;
    const float *a, *b, *bias, *want;
} hand_case;

#define DESC(N, C, H, W, K, R, S, ...)                                    \
    {.n = N, .c = C, .h = H, .w = W, .k = K, .r = R, .s = S, __VA_ARGS__}

static const hand_case hand[] = {
    /* Columns of x: c0 = (1,4,7), c1 = (2,5,8), c2 = (3,6,9).  The Sobel
     * filter weighs the left neighbour column by (1,2,1) down the rows and
     * subtracts the right one the same way; with padding 1, row 0 sees
     * 2*row0 + row1, row 1 sees row0 + 2*row1 + row2, row 2 sees
     * row1 + 2*row2.  Weighted columns: row 0: 6, 9, 12; row 1: 16, 20,
     * 24; row 2: 18, 21, 24.  y = left - right (+ bias 0.5):
     * row 0: -9, 6-12, 9; row 1: -20, 16-24, 20; row 2: -21, 18-24, 21. */
    {"forward pad 1 + bias", DESC(1, 1, 3, 3, 1, 3, 3, .pad_h = 1,
                                  .pad_w = 1),
     I2W_OP_FORWARD, seq9, sobel, (const float[]){0.5f},
     (const float[]){-8.5f, -5.5f, 9.5f, -19.5f, -7.5f, 20.5f, -20.5f,
                     -5.5f, 21.5f}},
    /* x(i,j) = 4i+j+1; y(a,b) = v + 2(v+1) + 3(v+4) + 4(v+5) = 10v + 34
     * with v = x(2a,2b) = 1, 3, 9, 11 */
    {"forward stride 2", DESC(1, 1, 4, 4, 1, 2, 2, .stride_h = 2,
                              .stride_w = 2),
     I2W_OP_FORWARD, seq16, w2x2, NULL, (const float[]){44, 64, 124, 144}},
    /* x(i,j) = 5i+j+1; taps at distance 2: y(a,b) = v + 2(v+2) + 3(v+10)
     * + 4(v+12) = 10v + 82 with v = x(a,b) = 1,2,3, 6,7,8, 11,12,13 */
    {"forward dilation 2", DESC(1, 1, 5, 5, 1, 2, 2, .dilation_h = 2,
                                .dilation_w = 2),
     I2W_OP_FORWARD, seq25, w2x2, NULL,
     (const float[]){92, 102, 112, 142, 152, 162, 192, 202, 212}},
    /* y0 = 1*1 + 10*2 + bias 0.5 = 21.5;
     * y1 = 100*3 + 1000*4 + bias -0.25 = 4299.75 */
    {"forward groups 2 + bias", DESC(1, 4, 1, 1, 2, 1, 1, .groups = 2),
     I2W_OP_FORWARD, (const float[]){1, 2, 3, 4}, grouped,
     (const float[]){0.5f, -0.25f}, (const float[]){21.5f, 4299.75f}},
    /* 1x1 filter (10, 100) over two channels:
     * n0 = (10*1 + 100*3, 10*2 + 100*4), n1 = (10*5 + 100*7, 10*6 + 100*8) */
    {"forward batch 2", DESC(2, 2, 1, 2, 1, 1, 1), I2W_OP_FORWARD, batch2,
     (const float[]){10, 100}, NULL, (const float[]){310, 420, 750, 860}},

    /* stride = filter size: each dy element stamps dy * w on its own 2x2
     * block: dy 1 -> 1 2 / 3 4, dy 2 -> 2 4 / 6 8, dy 3 -> 3 6 / 9 12,
     * dy 4 -> 4 8 / 12 16 */
    {"backward data stride 2", DESC(1, 1, 4, 4, 1, 2, 2, .stride_h = 2,
                                    .stride_w = 2),
     I2W_OP_BACKWARD_DATA, (const float[]){1, 2, 3, 4}, w2x2,
     NULL, (const float[]){1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12,
                           16}},
    /* dy all ones, w(r,s) = 3r+s+1, padding 1: dx(i,j) sums w over the
     * taps that reach (i,j): rows {0,1} for i=0, all for i=1, {1,2} for
     * i=2, same for columns: 1+2+4+5, 1+..+6, 2+3+5+6, 1+2+4+5+7+8, 45,
     * 2+3+5+6+8+9, 4+5+7+8, 4+..+9, 5+6+8+9 */
    {"backward data pad 1", DESC(1, 1, 3, 3, 1, 3, 3, .pad_h = 1,
                                 .pad_w = 1),
     I2W_OP_BACKWARD_DATA, ones9, seq9, NULL,
     (const float[]){12, 21, 16, 27, 45, 33, 24, 39, 28}},
    /* one output; the 2x2 taps at distance 2 hit the corners: 5 * w,
     * nothing elsewhere */
    {"backward data dilation 2", DESC(1, 1, 3, 3, 1, 2, 2, .dilation_h = 2,
                                      .dilation_w = 2),
     I2W_OP_BACKWARD_DATA, (const float[]){5}, w2x2, NULL,
     (const float[]){5, 0, 10, 0, 0, 0, 15, 0, 20}},
    /* dy = (1, 2): channels 0,1 get 1 * (1, 10), channels 2,3 get
     * 2 * (100, 1000) */
    {"backward data groups 2", DESC(1, 4, 1, 1, 2, 1, 1, .groups = 2),
     I2W_OP_BACKWARD_DATA, (const float[]){1, 2}, grouped, NULL,
     (const float[]){1, 10, 200, 2000}},
    /* dy n0 = (1, 2), n1 = (3, 4), w = (10, 100): dx = 10 dy | 100 dy */
    {"backward data batch 2", DESC(2, 2, 1, 2, 1, 1, 1),
     I2W_OP_BACKWARD_DATA, (const float[]){1, 2, 3, 4},
     (const float[]){10, 100}, NULL,
     (const float[]){10, 20, 100, 200, 30, 40, 300, 400}},

    /* dy all ones: dw(r,s) is the sum of the 2x2 block of x at (r,s):
     * 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9 */
    {"backward filter", DESC(1, 1, 3, 3, 1, 2, 2), I2W_OP_BACKWARD_FILTER,
     seq9, (const float[]){1, 1, 1, 1}, NULL,
     (const float[]){12, 16, 24, 28}},
    /* x(i,j) = 4i+j+1, dy = (1,2,3,4): dw(r,s) = sum dy(a,b) x(2a+r, 2b+s)
     * = sum dy (8a+2b+1) + (4r+s) sum dy = 78 + 10 (4r+s) */
    {"backward filter stride 2", DESC(1, 1, 4, 4, 1, 2, 2, .stride_h = 2,
                                      .stride_w = 2),
     I2W_OP_BACKWARD_FILTER, seq16, (const float[]){1, 2, 3, 4}, NULL,
     (const float[]){78, 88, 118, 128}},
    /* x = 1 2 / 3 4, padding 1, 3x3 filter, 2x2 output, dy all ones:
     * tap row 0 only sees x row 0, tap row 1 both rows, tap row 2 row 1;
     * same for columns: 1, 1+2, 2 / 1+3, 10, 2+4 / 3, 3+4, 4 */
    {"backward filter pad 1", DESC(1, 1, 2, 2, 1, 3, 3, .pad_h = 1,
                                   .pad_w = 1),
     I2W_OP_BACKWARD_FILTER, (const float[]){1, 2, 3, 4},
     (const float[]){1, 1, 1, 1}, NULL,
     (const float[]){1, 3, 2, 4, 10, 6, 3, 7, 4}},
    /* one output, dy = 2: dw(r,s) = 2 x(2r, 2s) = 2*1, 2*3, 2*7, 2*9 */
    {"backward filter dilation 2", DESC(1, 1, 3, 3, 1, 2, 2,
                                        .dilation_h = 2, .dilation_w = 2),
     I2W_OP_BACKWARD_FILTER, seq9, (const float[]){2}, NULL,
     (const float[]){2, 6, 14, 18}},
    /* x channels (1 2 3 4 | 5 6 7 8), dy k0 = all ones, k1 = (1 0 0 2):
     * dw k0 = 1+2+3+4 over channel 0; dw k1 = 5 + 2*8 over channel 1 */
    {"backward filter groups 2", DESC(1, 2, 2, 2, 2, 1, 1, .groups = 2),
     I2W_OP_BACKWARD_FILTER, batch2, (const float[]){1, 1, 1, 1, 1, 0, 0, 2},
     NULL, (const float[]){10, 21}},
    /* sums over both images: c0: 1*1 + 2*2 + 5*3 + 6*4 = 44;
     * c1: 3*1 + 4*2 + 7*3 + 8*4 = 64 */
    {"backward filter batch 2", DESC(2, 2, 1, 2, 1, 1, 1),
     I2W_OP_BACKWARD_FILTER, batch2, (const float[]){1, 2, 3, 4}, NULL,
     (const float[]){44, 64}},
};

START_TEST(test_hand)
{
    const hand_case *hc = &hand[_i];
    i2w_shape sh = shape_of(&hc->d);
    char which = tu_op_tensors[hc->op][2];
    float *out = tu_alloc_nan(tu_tensor_elems(&sh, which));
    tu_ref_run(&sh, hc->op, hc->a, hc->b, hc->bias, out);
    ck_assert_msg(tu_compare_tensor(&sh, which, out, hc->want, 1,
                                    hc->name) == 0,
                  "%s: wrong result", hc->name);
    free(out);
}
END_TEST

/* ------------------------------------------------------------- adjoints
 * For a linear map A, <A x, y> = <x, A^T y>: forward, backward data and
 * backward filter are three views of one trilinear form
 * sum y(n,k,oh,ow) dy(...) = sum x dx = sum w dw, so any wrong index,
 * bound or stride in one of them breaks the equality. */

typedef struct {
    double dot, mag; /* sum a*b and sum |a*b| */
} dot_t;

static dot_t dot(const float *a, const float *b, size_t n)
{
    dot_t r = {0, 0};
    for (size_t i = 0; i < n; i++) {
        r.dot += (double)a[i] * b[i];
        r.mag += fabs((double)a[i] * b[i]);
    }
    return r;
}

static void assert_no_nan(const float *p, size_t n, const char *what,
                          const char *text)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(!isnan(p[i]), "%s[%zu] not written (%s)", what, i,
                      text);
}

static void assert_close(dot_t a, dot_t b, const char *what,
                         const char *text)
{
    /* each output was rounded to float once: relative error eps/2 per
     * term, so the sums differ by at most eps * sum |terms| */
    double tol = 4.0 * FLT_EPSILON * fmax(a.mag, b.mag);
    ck_assert_msg(fabs(a.dot - b.dot) <= tol,
                  "%s: %.9g vs %.9g (tol %.3g) for %s", what, a.dot, b.dot,
                  tol, text);
}

START_TEST(test_adjoint)
{
    uint64_t st = seed + (uint64_t)_i * UINT64_C(0x9E3779B97F4A7C15);
    i2w_layout l = (i2w_layout)tu_rand_int(&st, 0, 3);
    i2w_conv_desc d;
    tu_random_desc(&st, l, l == I2W_LAYOUT_CHWN8 ? 10 : 3, &d);
    char text[256];
    tu_describe(&d, text, sizeof text);
    i2w_shape sh = shape_of(&d);

    float *x = tu_alloc_random(sh.x_elems, &st);
    float *w = tu_alloc_random(sh.w_elems, &st);
    float *dy = tu_alloc_random(sh.y_elems, &st);
    float *y = tu_alloc_nan(sh.y_elems);
    float *dx = tu_alloc_nan(sh.x_elems);
    float *dw = tu_alloc_nan(sh.w_elems);
    i2w_ref_forward(&sh, x, w, NULL, y);
    i2w_ref_backward_data(&sh, dy, w, dx);
    i2w_ref_backward_filter(&sh, x, dy, dw);
    assert_no_nan(y, sh.y_elems, "y", text);
    assert_no_nan(dx, sh.x_elems, "dx", text);
    assert_no_nan(dw, sh.w_elems, "dw", text);

    /* whole stored tensors: CHWN8 padding lanes of y and dx are 0, so the
     * random padding lanes of x and dy add nothing */
    dot_t fwd = dot(y, dy, sh.y_elems);
    assert_close(fwd, dot(x, dx, sh.x_elems), "<y,dy> vs <x,dx>", text);
    assert_close(fwd, dot(w, dw, sh.w_elems), "<y,dy> vs <w,dw>", text);
    free(x), free(w), free(dy), free(y), free(dx), free(dw);
}
END_TEST

/* ---------------------------------------------------------------- layouts */

static void to_layout(int is_filter, int d0, int d1, int d2, int d3,
                      i2w_layout from, const float *src, i2w_layout to,
                      float *dst)
{
    ck_assert_int_eq(i2w_ref_convert(NULL, is_filter, d0, d1, d2, d3, from,
                                     src, to, dst),
                     I2W_OK);
}

/* The NCHW tensors of one random problem, each op's output computed. */
typedef struct {
    i2w_shape sh;
    float *in[3][2]; /* (a, b) of each op */
    float *bias;
    float *out[3];
} problem;

static void solve(problem *p)
{
    for (int op = 0; op < 3; op++) {
        char t = tu_op_tensors[op][2];
        p->out[op] = tu_alloc_nan(tu_tensor_elems(&p->sh, t));
        tu_ref_run(&p->sh, (i2w_op)op, p->in[op][0], p->in[op][1],
                op == I2W_OP_FORWARD ? p->bias : NULL, p->out[op]);
    }
}

/* Logical dims of tensor which of sh and whether it is a filter. */
static void dims_of(const i2w_shape *sh, char which, int dims[5])
{
    int t[3][5] = {{sh->n, sh->c, sh->h, sh->w, 0},
                   {sh->n, sh->k, sh->ho, sh->wo, 0},
                   {sh->k, sh->cg, sh->r, sh->s, 1}};
    int i = which == 'x' ? 0 : which == 'y' ? 1 : 2;
    for (int j = 0; j < 5; j++)
        dims[j] = t[i][j];
}

/* A copy of NCHW tensor which of sh in layout l. */
static float *relayout(const i2w_shape *sh, char which, const float *src,
                       i2w_layout from, i2w_layout l, size_t elems)
{
    int d[5];
    dims_of(sh, which, d);
    float *dst = tu_alloc_nan(elems);
    to_layout(d[4], d[0], d[1], d[2], d[3], from, src, l, dst);
    return dst;
}

static void assert_padding_zero(const i2w_shape *sh, char which,
                                const float *p, const char *text)
{
    int d[5];
    dims_of(sh, which, d);
    for (int n = sh->n; n < sh->nb; n++)
        for (int c = 0; c < d[1]; c++)
            for (int h = 0; h < d[2]; h++)
                for (int w = 0; w < d[3]; w++)
                    ck_assert_msg(p[i2w_act_offset(sh->layout, sh->nb, d[1],
                                                   d[2], d[3], n, c, h,
                                                   w)] == 0.0f,
                                  "%c padding lane %d not 0 (%s)", which, n,
                                  text);
}

START_TEST(test_layouts_agree)
{
    uint64_t st = seed ^ ((uint64_t)(_i + 1) * UINT64_C(0xD1B54A32D192ED03));
    i2w_conv_desc d;
    tu_random_desc(&st, I2W_LAYOUT_NCHW, 10, &d);
    char text[256];
    tu_describe(&d, text, sizeof text);
    problem base = {.sh = shape_of(&d)};
    const i2w_shape *sh = &base.sh;
    float *x = tu_alloc_random(sh->x_elems, &st);
    float *w = tu_alloc_random(sh->w_elems, &st);
    float *dy = tu_alloc_random(sh->y_elems, &st);
    base.bias = tu_alloc_random((size_t)sh->k, &st);
    float *ins[3][2] = {{x, w}, {dy, w}, {x, dy}};
    static const char in_tensor[3][2] = {{'x', 'w'}, {'y', 'w'}, {'x', 'y'}};
    for (int op = 0; op < 3; op++)
        for (int j = 0; j < 2; j++)
            base.in[op][j] = ins[op][j];
    solve(&base);

    for (int l = I2W_LAYOUT_NHWC; l <= I2W_LAYOUT_CHWN8; l++) {
        d.layout = (i2w_layout)l;
        tu_describe(&d, text, sizeof text);
        problem lp = {.sh = shape_of(&d), .bias = base.bias};
        for (int op = 0; op < 3; op++)
            for (int j = 0; j < 2; j++) {
                char t = in_tensor[op][j];
                lp.in[op][j] =
                    relayout(sh, t, base.in[op][j], I2W_LAYOUT_NCHW,
                             (i2w_layout)l, tu_tensor_elems(&lp.sh, t));
            }
        solve(&lp);
        for (int op = 0; op < 3; op++) {
            char t = tu_op_tensors[op][2];
            if (t != 'w')
                assert_padding_zero(&lp.sh, t, lp.out[op], text);
            float *back = relayout(&lp.sh, t, lp.out[op], (i2w_layout)l,
                                   I2W_LAYOUT_NCHW, tu_tensor_elems(sh, t));
            /* same loops in the same order: equal up to the tightest
             * tolerance */
            ck_assert_msg(tu_compare_tensor(sh, t, back, base.out[op], 1,
                                            text) == 0,
                          "op %d in %s differs from NCHW (%s)", op,
                          i2w_layout_name((i2w_layout)l), text);
            free(back);
            free(lp.out[op]);
            for (int j = 0; j < 2; j++)
                free(lp.in[op][j]);
        }
    }
    for (int op = 0; op < 3; op++)
        free(base.out[op]);
    free(x), free(w), free(dy), free(base.bias);
}
END_TEST

/* Hand-written orders: activations n=2 c=2 h=1 w=2 and filters k=2 c=2
 * r=1 s=2, holding 0..7 in NCHW order, i.e. value = 4*i0 + 2*i1 + i3. */
START_TEST(test_convert_hand)
{
    static const float nchw[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    /* [n][h][w][c] / filters [k][r][s][c]: for each i0, s: c0, c1 */
    static const float nhwc[8] = {0, 2, 1, 3, 4, 6, 5, 7};
    /* [c][h][w][n] / filters [c][r][s][k]: for each i1, s: i0 = 0, 1 */
    static const float chwn[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    /* [n/8][c][h][w][8]: as CHWN, each pair followed by 6 zero lanes */
    float chwn8[32] = {0};
    for (int i = 0; i < 4; i++) {
        chwn8[8 * i] = chwn[2 * i];
        chwn8[8 * i + 1] = chwn[2 * i + 1];
    }
    const float *want[4] = {nchw, nhwc, chwn, chwn8};
    for (int is_filter = 0; is_filter < 2; is_filter++)
        for (int l = 0; l < 4; l++) {
            /* CHWN8 filters are stored as CHWN */
            int lw = is_filter && l == I2W_LAYOUT_CHWN8 ? I2W_LAYOUT_CHWN : l;
            size_t n = l == I2W_LAYOUT_CHWN8 && !is_filter ? 32 : 8;
            float got[32];
            tu_fill_nan(got, 32);
            to_layout(is_filter, 2, 2, 1, 2, I2W_LAYOUT_NCHW, nchw,
                      (i2w_layout)l, got);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(got[i] == want[lw][i],
                              "%s %s [%zu] = %g, want %g",
                              is_filter ? "filter" : "activation",
                              i2w_layout_name((i2w_layout)l), i, got[i],
                              want[lw][i]);
            for (size_t i = n; i < 32; i++)
                ck_assert_msg(isnan(got[i]), "written past the end [%zu]",
                              i);
        }
}
END_TEST

/* Element-by-element check of one conversion through the offsets. */
static void assert_same_elements(int is_filter, const int d[4],
                                 i2w_layout la, const float *a,
                                 i2w_layout lb, const float *b,
                                 const char *what)
{
    i2w_shape sa = {.n = d[0], .c = d[1], .h = d[2], .w = d[3],
                    .k = d[0], .cg = d[1], .r = d[2], .s = d[3],
                    .nb = i2w_stored_batch(la, d[0]), .layout = la};
    i2w_shape sb = sa;
    sb.nb = i2w_stored_batch(lb, d[0]);
    sb.layout = lb;
    char which = is_filter ? 'w' : 'x';
    size_t plane = (size_t)d[1] * d[2] * d[3];
    /* bring b into a's layout by offsets alone, then compare exactly */
    float *b_in_a = tu_alloc_nan(plane * (is_filter ? d[0] : sa.nb));
    for (int i0 = 0; i0 < d[0]; i0++)
        for (int i1 = 0; i1 < d[1]; i1++)
            for (int i2 = 0; i2 < d[2]; i2++)
                for (int i3 = 0; i3 < d[3]; i3++) {
                    size_t oa = is_filter
                                    ? i2w_filter_offset(la, d[0], d[1], d[2],
                                                        d[3], i0, i1, i2, i3)
                                    : i2w_act_offset(la, sa.nb, d[1], d[2],
                                                     d[3], i0, i1, i2, i3);
                    size_t ob = is_filter
                                    ? i2w_filter_offset(lb, d[0], d[1], d[2],
                                                        d[3], i0, i1, i2, i3)
                                    : i2w_act_offset(lb, sb.nb, d[1], d[2],
                                                     d[3], i0, i1, i2, i3);
                    b_in_a[oa] = b[ob];
                }
    ck_assert_msg(tu_compare_tensor(&sa, which, b_in_a, a, 1, what) == 0,
                  "%s", what);
    free(b_in_a);
}

START_TEST(test_convert_round_trip)
{
    i2w_layout from = (i2w_layout)(_i / 4), to = (i2w_layout)(_i % 4);
    uint64_t st = seed + (uint64_t)_i;
    for (int is_filter = 0; is_filter < 2; is_filter++) {
        /* batches 1..13 cross CHWN8's multiple of 8 either way */
        int d[4] = {tu_rand_int(&st, 1, 13), tu_rand_int(&st, 1, 5),
                    tu_rand_int(&st, 1, 4), tu_rand_int(&st, 1, 4)};
        size_t plane = (size_t)d[1] * d[2] * d[3];
        size_t nf = is_filter ? plane * d[0]
                              : plane * i2w_stored_batch(from, d[0]);
        size_t nt = is_filter ? plane * d[0]
                              : plane * i2w_stored_batch(to, d[0]);
        char what[128];
        snprintf(what, sizeof what, "%s %d x %d x %d x %d %s -> %s",
                 is_filter ? "filter" : "activation", d[0], d[1], d[2], d[3],
                 i2w_layout_name(from), i2w_layout_name(to));
        float *src = tu_alloc_random(nf, &st); /* padding lanes random too */
        float *mid = tu_alloc_nan(nt);
        float *back = tu_alloc_nan(nf);
        to_layout(is_filter, d[0], d[1], d[2], d[3], from, src, to, mid);
        to_layout(is_filter, d[0], d[1], d[2], d[3], to, mid, from, back);
        assert_same_elements(is_filter, d, from, src, to, mid, what);
        assert_same_elements(is_filter, d, from, src, from, back, what);
        if (!is_filter) {
            i2w_shape pt = {.n = d[0], .c = d[1], .h = d[2], .w = d[3],
                            .nb = i2w_stored_batch(to, d[0]), .layout = to};
            assert_padding_zero(&pt, 'x', mid, what);
        }
        free(src), free(mid), free(back);
    }
}
END_TEST

static Suite *ref_suite(void)
{
    Suite *s = suite_create("ref");
    TCase *tc = tcase_create("hand");
    tcase_add_loop_test(tc, test_hand, 0,
                        (int)(sizeof hand / sizeof hand[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("adjoint");
    tcase_add_loop_test(tc, test_adjoint, 0, 50);
    suite_add_tcase(s, tc);
    tc = tcase_create("layouts");
    tcase_add_loop_test(tc, test_layouts_agree, 0, 20);
    suite_add_tcase(s, tc);
    tc = tcase_create("convert");
    tcase_add_test(tc, test_convert_hand);
    tcase_add_loop_test(tc, test_convert_round_trip, 0, 16);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    seed = tu_seed(); /* printed once, before the tests fork */
    return tu_run_suite(ref_suite());
}
