/* Shared test helpers; see testutil.h. */
#include "testutil.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/layout.h"

/* Correct FP32 code may sum in any order; sequential summation is the
 * worst common order, and its error on a dot product of uniform [-1, 1)
 * values grows like n * eps when the result cancels to near zero.  A
 * simulation (sequential float sums against double, 1e3..4e5 terms, 1e3..1e6
 * trials each) stayed below 8 * eps * sqrt(n) * (1 + |want|) * 4.6, so 8
 * leaves margin while one missing or misplaced term, of order 0.1..1, is
 * still far outside the bound for the reductions the suites use. */
#define TU_TOL_SCALE 8.0
/* How many bad elements are printed before the count. */
#define TU_MAX_REPORT 8

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t tu_seed(void)
{
    static int printed;
    static uint64_t seed;
    if (!printed) {
        const char *env = getenv("IM2WIN_TEST_SEED");
        if (env && *env)
            seed = strtoull(env, NULL, 0);
        else
            seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        fprintf(stderr, "test seed: IM2WIN_TEST_SEED=%" PRIu64 "\n", seed);
        printed = 1;
    }
    return seed;
}

void tu_fill_random(float *p, size_t n, uint64_t *state)
{
    /* 24 random bits scaled by 2^-23 are exact in float: [0, 2) - 1 */
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(splitmix64(state) >> 40) * 0x1p-23f - 1.0f;
}

void tu_fill_nan(float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = NAN;
}

int tu_rand_int(uint64_t *state, int lo, int hi)
{
    uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
    return (int)((int64_t)lo + (int64_t)(splitmix64(state) % span));
}

/* Logical 4-D extent and storage offsets of one tensor of sh. */
typedef struct {
    int d0, d1, d2, d3;
    int is_filter;
    const i2w_shape *sh;
} tu_view;

static tu_view tu_view_of(const i2w_shape *sh, char which)
{
    tu_view v = {sh->n, sh->c, sh->h, sh->w, 0, sh};
    if (which == 'y') {
        v.d1 = sh->k;
        v.d2 = sh->ho;
        v.d3 = sh->wo;
    } else if (which == 'w') {
        v = (tu_view){sh->k, sh->cg, sh->r, sh->s, 1, sh};
    }
    return v;
}

static size_t tu_offset(const tu_view *v, int i0, int i1, int i2, int i3)
{
    if (v->is_filter)
        return i2w_filter_offset(v->sh->layout, v->d0, v->d1, v->d2, v->d3,
                                 i0, i1, i2, i3);
    return i2w_act_offset(v->sh->layout, v->sh->nb, v->d1, v->d2, v->d3, i0,
                          i1, i2, i3);
}

size_t tu_compare_tensor(const i2w_shape *sh, char which, const float *got,
                         const float *want, int reduction, const char *label)
{
    tu_view v = tu_view_of(sh, which);
    double tol = 8.0 * FLT_EPSILON * sqrt(reduction > 1 ? reduction : 1) *
                 TU_TOL_SCALE;
    size_t bad = 0;
    /* d0 counts real images only, so CHWN8 padding lanes are skipped */
    for (int i0 = 0; i0 < v.d0; i0++)
        for (int i1 = 0; i1 < v.d1; i1++)
            for (int i2 = 0; i2 < v.d2; i2++)
                for (int i3 = 0; i3 < v.d3; i3++) {
                    size_t o = tu_offset(&v, i0, i1, i2, i3);
                    double g = got[o], e = want[o];
                    if (!isnan(g) && fabs(g - e) <= tol * (1.0 + fabs(e)))
                        continue;
                    if (bad < TU_MAX_REPORT)
                        fprintf(stderr,
                                "%s: %c[%d][%d][%d][%d] (%s offset %zu) = "
                                "%.9g, want %.9g (tol %.3g)\n",
                                label, which, i0, i1, i2, i3,
                                i2w_layout_name(sh->layout), o, g, e,
                                tol * (1.0 + fabs(e)));
                    bad++;
                }
    if (bad)
        fprintf(stderr, "%s: %zu bad elements of %c\n", label, bad, which);
    return bad;
}

int tu_shape(const i2w_conv_desc *d, i2w_shape *sh)
{
    int ho, wo;
    if (i2w_conv_output_dims(d, &ho, &wo) != I2W_OK)
        return -1;
    *sh = (i2w_shape){
        .n = d->n, .c = d->c, .h = d->h, .w = d->w,
        .k = d->k, .r = d->r, .s = d->s,
        .sh = d->stride_h ? d->stride_h : 1,
        .sw = d->stride_w ? d->stride_w : 1,
        .ph = d->pad_h, .pw = d->pad_w,
        .dh = d->dilation_h ? d->dilation_h : 1,
        .dw = d->dilation_w ? d->dilation_w : 1,
        .g = d->groups ? d->groups : 1,
        .ho = ho, .wo = wo,
        .nb = i2w_stored_batch(d->layout, d->n),
        .layout = d->layout,
        .x_elems = i2w_tensor_bytes(d, 'x') / sizeof(float),
        .w_elems = i2w_tensor_bytes(d, 'w') / sizeof(float),
        .y_elems = i2w_tensor_bytes(d, 'y') / sizeof(float),
    };
    sh->cg = sh->c / sh->g;
    sh->kg = sh->k / sh->g;
    return 0;
}

/* Input extent for a filter of f taps, dilation dil and padding pad that
 * gives an output of at least one element, plus 0..extra. */
static int tu_random_extent(uint64_t *state, int f, int dil, int pad,
                            int extra)
{
    int eff = dil * (f - 1) + 1;
    int least = eff - 2 * pad > 1 ? eff - 2 * pad : 1;
    return least + tu_rand_int(state, 0, extra);
}

void tu_random_desc(uint64_t *state, i2w_layout l, int nmax,
                    i2w_conv_desc *d)
{
    /* one statement per draw: initializer side effects are unordered, and
     * a seed must replay the same shapes with every compiler */
    *d = (i2w_conv_desc){.layout = l};
    d->groups = tu_rand_int(state, 1, 3);
    d->n = tu_rand_int(state, 1, nmax);
    d->c = d->groups * tu_rand_int(state, 1, 3);
    d->k = d->groups * tu_rand_int(state, 1, 3);
    d->r = tu_rand_int(state, 1, 4);
    d->s = tu_rand_int(state, 1, 4);
    d->stride_h = tu_rand_int(state, 1, 3);
    d->stride_w = tu_rand_int(state, 1, 3);
    d->dilation_h = tu_rand_int(state, 1, 3);
    d->dilation_w = tu_rand_int(state, 1, 3);
    d->pad_h = tu_rand_int(state, 0, d->dilation_h * (d->r - 1));
    d->pad_w = tu_rand_int(state, 0, d->dilation_w * (d->s - 1));
    d->h = tu_random_extent(state, d->r, d->dilation_h, d->pad_h, 7);
    d->w = tu_random_extent(state, d->s, d->dilation_w, d->pad_w, 7);
}

void tu_describe(const i2w_conv_desc *d, char *buf, size_t len)
{
    snprintf(buf, len,
             "n=%d c=%d h=%d w=%d k=%d r=%d s=%d stride=%d,%d pad=%d,%d "
             "dilation=%d,%d groups=%d layout=%s",
             d->n, d->c, d->h, d->w, d->k, d->r, d->s, d->stride_h,
             d->stride_w, d->pad_h, d->pad_w, d->dilation_h, d->dilation_w,
             d->groups, i2w_layout_name(d->layout));
}

static float *tu_alloc(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) {
        fprintf(stderr, "test: out of memory for %zu floats\n", n);
        abort();
    }
    return p;
}

float *tu_alloc_random(size_t n, uint64_t *state)
{
    float *p = tu_alloc(n);
    tu_fill_random(p, n, state);
    return p;
}

float *tu_alloc_nan(size_t n)
{
    float *p = tu_alloc(n);
    tu_fill_nan(p, n);
    return p;
}

float *tu_alloc_input(const i2w_shape *sh, char which, uint64_t *state)
{
    float *p = tu_alloc_random(tu_tensor_elems(sh, which), state);
    if (which == 'w')
        return p;
    int x = which == 'x';
    int c = x ? sh->c : sh->k, h = x ? sh->h : sh->ho, w = x ? sh->w : sh->wo;
    for (int n = sh->n; n < sh->nb; n++)
        for (int i = 0; i < c; i++)
            for (int r = 0; r < h; r++)
                for (int q = 0; q < w; q++)
                    p[i2w_act_offset(sh->layout, sh->nb, c, h, w, n, i, r,
                                     q)] = NAN;
    return p;
}

const char tu_op_tensors[3][3] = {
    {'x', 'w', 'y'}, {'y', 'w', 'x'}, {'x', 'y', 'w'}};

size_t tu_tensor_elems(const i2w_shape *sh, char which)
{
    return which == 'x' ? sh->x_elems : which == 'y' ? sh->y_elems
                                                      : sh->w_elems;
}

int tu_reduction(const i2w_shape *sh, i2w_op op)
{
    switch (op) {
    case I2W_OP_BACKWARD_DATA:
        return sh->kg * sh->r * sh->s;
    case I2W_OP_BACKWARD_FILTER:
        return sh->n * sh->ho * sh->wo;
    case I2W_OP_FORWARD:
    default:
        return sh->cg * sh->r * sh->s;
    }
}
