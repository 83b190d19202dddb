/* Checks a result against a scalar recomputation of a random sample of its
 * elements, in double, from the NCHW host inputs.  The error of an element
 * is |got - want| divided by the sum of the magnitudes of its terms: the
 * scale FP32 rounding errors grow with, so cancellation cannot make a
 * correct sum look wrong. */
#include <float.h>
#include <math.h>

#include "bench.h"

typedef struct {
    double sum, mag;
} dot;

static void add(dot *acc, double a, double b)
{
    acc->sum += a * b;
    acc->mag += fabs(a * b);
}

#define AT(t, d1, d2, d3, i0, i1, i2, i3) \
    (t)[(((size_t)(i0) * (d1) + (i1)) * (d2) + (i2)) * (d3) + (i3)]

/* y[n][k][ho][wo] from x and w */
static dot forward_at(const bench_geom *g, const float *x, const float *w,
                      const int at[4])
{
    dot acc = { 0, 0 };
    int n = at[0], k = at[1], c0 = k / g->kg * g->cg;
    for (int c = 0; c < g->cg; c++)
        for (int r = 0; r < g->r; r++)
            for (int s = 0; s < g->s; s++) {
                int hi = at[2] * g->sh - g->ph + r * g->dh;
                int wi = at[3] * g->sw - g->pw + s * g->dw;
                if (hi >= 0 && hi < g->h && wi >= 0 && wi < g->w)
                    add(&acc, AT(x, g->c, g->h, g->w, n, c0 + c, hi, wi),
                        AT(w, g->cg, g->r, g->s, k, c, r, s));
            }
    return acc;
}

/* dx[n][c][h][w] from dy and w: the taps whose output position is whole */
static dot backward_data_at(const bench_geom *g, const float *dy,
                            const float *w, const int at[4])
{
    dot acc = { 0, 0 };
    int n = at[0], c = at[1] % g->cg, k0 = at[1] / g->cg * g->kg;
    for (int k = k0; k < k0 + g->kg; k++)
        for (int r = 0; r < g->r; r++)
            for (int s = 0; s < g->s; s++) {
                int th = at[2] + g->ph - r * g->dh;
                int tw = at[3] + g->pw - s * g->dw;
                if (th < 0 || tw < 0 || th % g->sh || tw % g->sw)
                    continue;
                int ho = th / g->sh, wo = tw / g->sw;
                if (ho < g->ho && wo < g->wo)
                    add(&acc, AT(dy, g->k, g->ho, g->wo, n, k, ho, wo),
                        AT(w, g->cg, g->r, g->s, k, c, r, s));
            }
    return acc;
}

/* dw[k][c][r][s] from x and dy */
static dot backward_filter_at(const bench_geom *g, const float *x,
                              const float *dy, const int at[4])
{
    dot acc = { 0, 0 };
    int k = at[0], c = at[1] + at[0] / g->kg * g->cg;
    for (int n = 0; n < g->n; n++)
        for (int ho = 0; ho < g->ho; ho++)
            for (int wo = 0; wo < g->wo; wo++) {
                int hi = ho * g->sh - g->ph + at[2] * g->dh;
                int wi = wo * g->sw - g->pw + at[3] * g->dw;
                if (hi >= 0 && hi < g->h && wi >= 0 && wi < g->w)
                    add(&acc, AT(x, g->c, g->h, g->w, n, c, hi, wi),
                        AT(dy, g->k, g->ho, g->wo, n, k, ho, wo));
            }
    return acc;
}

typedef dot (*element_fn)(const bench_geom *, const float *, const float *,
                          const int[4]);

bench_check bench_check_sample(const bench_case *c, const float *got,
                               int samples, uint64_t seed)
{
    static const element_fn element[] = {
        [I2W_OP_FORWARD] = forward_at,
        [I2W_OP_BACKWARD_DATA] = backward_data_at,
        [I2W_OP_BACKWARD_FILTER] = backward_filter_at,
    };
    int dim[4];
    size_t total = bench_tensor_dims(&c->g, bench_op_tensor(c->op, 2), dim);
    /* FP32 summation error grows about with the square root of the number
     * of terms for the orders real kernels use; 8 ulps of headroom */
    double terms = (double)bench_op_reduction(&c->g, c->op);
    bench_check res = { .tol = 8.0 * FLT_EPSILON * (1.0 + sqrt(terms)) };
    uint64_t state = seed | 1;

    for (int i = 0; i < samples; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t idx = (size_t)(state >> 17) % total;
        int at[4];
        size_t rest = idx;
        for (int j = 3; j >= 0; j--) {
            at[j] = (int)(rest % (size_t)dim[j]);
            rest /= (size_t)dim[j];
        }
        dot want = element[c->op](&c->g, c->a_host, c->b_host, at);
        double err = fabs((double)got[idx] - want.sum) /
                     (want.mag > 0 ? want.mag : 1.0);
        if (!isnan(res.max_err) && !(err <= res.max_err)) /* NaN sticks */
            res.max_err = err;
        res.samples++;
    }
    res.fail = !(res.max_err <= res.tol);
    return res;
}
