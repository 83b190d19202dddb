/* IM2WIN forward: plan (chunk size, tile shape, workspace, reduction
 * tables) and execute (pack the filter, then per chunk of images the
 * window transform and the implicit GEMM over it). */
#include <limits.h>

#include "cuda/plugin.h"

/* Window floats allowed per chunk: bounds the workspace (1 GiB) and keeps
 * every window offset in an int. */
#define WINDOW_CAP (256LL << 20)

/* The window holds each input row the filter reaches once, as the
 * rows of a window of input rows on the CPU: output row ho reads its R
 * rows at ho*sh + r*dh, so consecutive output rows share the rows they
 * overlap in instead of each copying R of its own.  Its rows and columns
 * start at the padding's (-ph, -pw) and end where the filter reaches for
 * the last output row and column. */
static int window_rows(const i2w_shape *sh)
{
    return (sh->ho - 1) * sh->sh + (sh->r - 1) * sh->dh + 1;
}

static int window_cols(const i2w_shape *sh)
{
    return (sh->wo - 1) * sh->sw + (sh->s - 1) * sh->dw + 1;
}

/* Without padding there is nothing to make explicit: the input is its own
 * window, read in place, and no transform runs. */
static int in_place(const i2w_shape *sh)
{
    return sh->ph == 0 && sh->pw == 0;
}

/* Stored images per chunk: as many as keep the window (or, in place, the
 * input the chunk reads) within WINDOW_CAP, or within an int for offsets.
 * CHWN keeps the batch innermost, so its window cannot be cut by image:
 * one chunk.  CHWN8 cuts at groups of 8. */
static int chunk_images(const i2w_shape *sh, long long per_image)
{
    if (sh->layout == I2W_LAYOUT_CHWN)
        return sh->nb;
    int step = sh->layout == I2W_LAYOUT_CHWN8 ? 8 : 1;
    long long cap = in_place(sh) ? INT_MAX : WINDOW_CAP;
    long long fit = cap / (per_image * step) * step;
    if (fit < step)
        fit = step;
    return fit < sh->nb ? (int)fit : sh->nb;
}

/* Pixels run with the window's fastest pixel dimension fastest. */
static int pixel_inner(const i2w_shape *sh, int chunk)
{
    switch (sh->layout) {
    case I2W_LAYOUT_CHWN:
        return chunk;
    case I2W_LAYOUT_CHWN8:
        return 8;
    default:
        return 1;
    }
}

/* Strides of the window of a chunk: the input's own in place. */
static i2w_cuda_strides window_strides(const i2w_shape *sh, int chunk)
{
    if (in_place(sh))
        return i2w_cuda_act_strides(sh->layout, sh->nb, sh->c, sh->h, sh->w);
    return i2w_cuda_act_strides(sh->layout, chunk, sh->c, window_rows(sh),
                                window_cols(sh));
}

/* B loads of 16 bytes need four consecutive reduction indices (NHWC:
 * channels, when a group has a multiple of 4) or pixels (CHWN, CHWN8:
 * images, when a chunk has a multiple of 4) at consecutive window
 * addresses; this part the shape decides, and the plan picks its tiling
 * for it. */
static int vector_shape(const i2w_shape *sh, int chunk)
{
    switch (sh->layout) {
    case I2W_LAYOUT_NHWC:
        return sh->cg % 4 == 0;
    case I2W_LAYOUT_CHWN:
        return chunk % 4 == 0;
    case I2W_LAYOUT_CHWN8:
        return 1;
    default:
        return 0;
    }
}

/* ... and the addresses 16-byte aligned; CHWN and CHWN8 then also store
 * their output 4 pixels at a time, and need the output aligned too. */
static int vector_loads(const i2w_shape *sh, int chunk, const float *win,
                        const float *y)
{
    if (((size_t)win & 15) != 0)
        return 0;
    if ((sh->layout == I2W_LAYOUT_CHWN || sh->layout == I2W_LAYOUT_CHWN8) &&
        ((size_t)y & 15) != 0)
        return 0;
    return vector_shape(sh, chunk);
}

static i2w_status execute(i2w_plan *plan, const float *x, const float *w,
                          const float *bias, float *y)
{
    const i2w_shape *sh = &plan->shape;
    i2w_cuda_plan *cp = (i2w_cuda_plan *)plan->priv;
    i2w_status st = i2w_cuda_pack_filter(plan, w);
    if (st != I2W_OK)
        return st;
    i2w_cuda_gemm_args g;
    g.a = cp->packed;
    g.red_win = cp->red_win;
    g.bias = bias;
    g.kg = sh->kg;
    g.kpad = cp->kpad;
    g.red_pad = cp->red_pad;
    g.partial = cp->partial;
    g.flags = cp->flags;
    g.sh = sh->sh;
    g.sw = sh->sw;
    g.div_wo = i2w_cuda_divisor_make((unsigned)sh->wo);
    g.div_ho = i2w_cuda_divisor_make((unsigned)sh->ho);
    g.win_st = window_strides(sh, cp->chunk);
    g.win_group = sh->cg * g.win_st.c;
    g.y_st = i2w_cuda_act_strides(sh->layout, sh->nb, sh->k, sh->ho, sh->wo);
    /* the unit below a window column is the input's */
    int unit = (int)i2w_cuda_act_strides(sh->layout, sh->nb, sh->c, sh->h,
                                         sh->w).w;
    for (int n0 = 0; n0 < sh->nb; n0 += cp->chunk) {
        int nc = sh->nb - n0 < cp->chunk ? sh->nb - n0 : cp->chunk;
        int planes = (int)((long long)nc * sh->c / unit);
        const float *xc = x + i2w_act_offset(sh->layout, sh->nb, sh->c,
                                             sh->h, sh->w, n0, 0, 0, 0);
        g.win = xc;
        if (!in_place(sh)) {
            st = i2w_cuda_im2win_window(plan->ctx, xc, cp->buffer, planes,
                                        unit, sh, window_rows(sh),
                                        window_cols(sh));
            if (st != I2W_OK)
                return st;
            g.win = cp->buffer;
        }
        g.y = y + i2w_act_offset(sh->layout, sh->nb, sh->k, sh->ho, sh->wo,
                                 n0, 0, 0, 0);
        g.pixels = nc * sh->ho * sh->wo;
        g.n_inner = i2w_cuda_divisor_make((unsigned)pixel_inner(sh, nc));
        /* a new mark for the flags of each launch; 0, which the flags
         * started at, is never one */
        if (++cp->epoch > INT_MAX)
            cp->epoch = 1;
        g.epoch = (int)cp->epoch;
        st = i2w_cuda_im2win_gemm(plan->ctx, &g, &cp->tiling, sh->g,
                                  cp->red_major,
                                  vector_loads(sh, cp->chunk, g.win, g.y));
        if (st != I2W_OK)
            return st;
    }
    return I2W_OK;
}

i2w_status i2w_cuda_im2win_plan(i2w_plan *plan)
{
    const i2w_shape *sh = &plan->shape;
    i2w_cuda_plan *cp = (i2w_cuda_plan *)plan->priv;
    long long per_image = in_place(sh)
                              ? (long long)sh->c * sh->h * sh->w
                              : (long long)sh->c * window_rows(sh) *
                                    window_cols(sh);
    cp->chunk = chunk_images(sh, per_image);
    long long win = per_image * cp->chunk;
    long long pixels = (long long)cp->chunk * sh->ho * sh->wo;
    if (win >= INT_MAX || pixels >= INT_MAX || sh->g > 65535)
        return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                        "IM2WIN on CUDA: window of %lld floats, %lld pixels "
                        "or %d groups per launch is too large",
                        win, pixels, sh->g);
    cp->red = sh->cg * sh->r * sh->s;
    cp->red_major = sh->layout == I2W_LAYOUT_NHWC;
    i2w_cuda_tiling *t = &cp->tiling;
    i2w_status st = i2w_cuda_im2win_tiling(
        plan->ctx, sh, (int)pixels, cp->red, cp->red_major,
        vector_shape(sh, cp->chunk), t);
    if (st != I2W_OK)
        return st;
    cp->red_pad = t->red_pad;
    cp->kpad = (sh->kg + t->tile_m - 1) / t->tile_m * t->tile_m;
    /* partial sums for the whole chunks and the last, shorter one */
    int last = sh->nb % cp->chunk;
    long long partials =
        i2w_cuda_im2win_partials(t, sh->kg, sh->g, (int)pixels);
    long long last_partials = i2w_cuda_im2win_partials(
        t, sh->kg, sh->g, last * sh->ho * sh->wo);
    if (last_partials > partials)
        partials = last_partials;
    long long flags = i2w_cuda_im2win_flags(t, sh->kg, sh->g, (int)pixels);
    long long last_flags = i2w_cuda_im2win_flags(t, sh->kg, sh->g,
                                                 last * sh->ho * sh->wo);
    if (last_flags > flags)
        flags = last_flags;
    size_t packed = i2w_cuda_align((size_t)sh->g * cp->red_pad * cp->kpad *
                                   sizeof(float));
    size_t window =
        in_place(sh) ? 0 : i2w_cuda_align((size_t)win * sizeof(float));
    size_t table = i2w_cuda_align((size_t)cp->red_pad * sizeof(int));
    size_t partial = i2w_cuda_align((size_t)partials * sizeof(float));
    size_t flag = i2w_cuda_align((size_t)flags * sizeof(int));
    st = i2w_cuda_plan_workspace(plan, packed + window + 2 * table +
                                           partial + flag);
    if (st != I2W_OK)
        return st;
    char *base = (char *)plan->workspace;
    cp->packed = (float *)base;
    cp->buffer = window ? (float *)(base + packed) : NULL;
    cp->red_win = (int *)(base + packed + window);
    cp->red_filter = (int *)(base + packed + window + table);
    cp->partial = partial ? (float *)(base + packed + window + 2 * table)
                          : NULL;
    cp->flags = NULL;
    cp->epoch = 0;
    if (flag) {
        cp->flags = (int *)(base + packed + window + 2 * table + partial);
        I2W_CUDA_TRY(plan->ctx, cudaMemsetAsync(cp->flags, 0, flag,
                                                i2w_cuda_stream(plan->ctx)));
    }
    i2w_cuda_strides ws = window_strides(sh, cp->chunk);
    cp->execute = execute;
    return i2w_cuda_reduction_tables(plan, cp->red_major, &ws);
}
