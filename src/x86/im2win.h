/* im2win forward convolution on x86 (DESIGN.md, "im2win").
 *
 * One scheme serves the four layouts.  For a block of output rows and a
 * group, the input rows their taps cover are copied into a window laid
 * out [channel chunk][input row][column][channels of the chunk] (padding
 * rows and columns written as zeros inside the window only: the input is
 * never padded), so the reduction of output pixel wo over one chunk, taps
 * (r, s), is R runs of S*cb contiguous floats, one per tap row (with
 * dilation_w > 1, S runs of cb per tap row), starting at column
 * wo*stride_w of input rows ho*stride_h + r*dilation_h.  Each input row is
 * copied once per work unit however many output rows read it (R /
 * stride_h of them) and kept in a ring from one block of output rows to
 * the next of the same band (i2w_im2win_span), and NHWC input without
 * padding is read in place (cfg->in_place).  Taps that fall in the
 * padding for a whole output row (rows) or micro-tile (columns) are
 * skipped, not multiplied by the window's zeros.  When the runs would be
 * short (few channels) or the window would hold unused rows (strides
 * that skip rows, a large dilation_h over few rows), the window is built
 * per output row instead, [chunk][output row][column][R][cb], and a
 * pixel's reduction is one run of S*R*cb floats (S runs of R*cb with
 * dilation_w > 1): cfg->row_window = 0.  Every layout is read into the
 * window (NHWC by vector copies, the others by register transposes), so
 * one micro-kernel family, pixels x output channels in registers, serves
 * them all.  The window is per thread and covers only the rows of one
 * work unit.
 *
 * The micro-kernel broadcasts one window element per pixel and multiplies
 * it with vectors of the packed filter, so output channels are the vector
 * lanes: NHWC accumulates straight into y; NCHW into a per-thread tile
 * [pixels][channels] transposed into y once a panel's reduction is done;
 * CHWN and CHWN8 into a tile of all the unit's images, stored as vectors
 * of images.
 *
 * A work unit is a band of `nsub` blocks of `hb` output rows of one
 * image (NCHW, NHWC: group by group, block by block, the window of all
 * chunks, then panel after panel; NHWC with cfg->chunked: chunk after
 * chunk, its window, then every panel) or of `ng` images whose outputs share
 * cache lines (CHWN, CHWN8: block by block, chunk after chunk, the
 * windows of all the images, then every panel on every image), for all
 * output channels or, when that gives too few units for the threads or
 * too large a CHWN tile, for one of `kparts` ranges of filter panels.
 *
 * NCHW 1x1 layers of unit stride and no padding, and NCHW layers with
 * taps over a few input channels and unit column stride, run planar
 * units instead (cfg->planar, im2win_planar.c): the same micro-kernels
 * with output channels as their pixels and output pixels as their lanes,
 * so the tiles land in y's planes and neither x nor y is transposed.
 *
 * The filter is packed at execute, or once by set_filter, into
 * [group][panel][chunk][R][S][cb][panel width] ([S][R] without
 * cfg->row_window: the order of the window), panels of cfg->nr output
 * channels, the last one zero-padded to whole vectors, in plan-owned
 * memory allocated at creation. */
#ifndef I2W_X86_IM2WIN_H
#define I2W_X86_IM2WIN_H

#include <stddef.h>

#include "common/internal.h"

/* Everything the per-ISA code needs, fixed at plan creation. */
typedef struct {
    /* the shape the kernels run: the plan's, with gb groups bundled into
     * one (sh.g / gb groups of gb times the channels) */
    i2w_shape sh;
    /* groups of the plan per bundle: groups of few output channels would
     * leave most lanes of a vector idle and pay a window and a pass of
     * short reductions per group, so gb of them run as one group whose
     * filter is block-diagonal (zero between different groups' channels,
     * packed by i2w_im2win_pack_item); 1 when not bundled */
    int gb;
    /* bundled groups of 2 or 4 input and output channels each, a vector
     * of them, one chunk: that channel count, and the lane-group kernels
     * (f32_im2win_ukernel.c) run them, G FMAs a tap where the general
     * kernels' block-diagonal filter takes a vector's width; else 0 */
    int lane_groups;
    int vl;     /* floats per vector */
    int mr;     /* most output pixels per micro-tile */
    int nr;     /* output channels per filter panel (nv_max or nv_wide
                 * vectors) */
    int nkp;    /* filter panels per group */
    int kgp;    /* panel widths of one group summed */
    int cb;     /* input channels per reduction chunk (last may be less) */
    int hb;     /* output rows per block (last may be less) */
    int nsub;   /* blocks of hb rows per work unit (a band of rows) */
    int ng;     /* images per work unit (last may be less) */
    int kparts; /* work units splitting a group's panels */
    /* units run part by part of the panels (all the images' units of
     * part 0 first), not image by image: see part_blocking */
    int part_major;
    int wp;     /* window columns: (wo-1)*sw + (s-1)*dw + 1 */
    /* the window holds input rows, a pixel's reduction is R runs of S*cb
     * floats and the filter is packed in taps (r, s) order; else it holds
     * R rows per output row and the taps are in (s, r) order */
    int row_window;
    /* NHWC, one group, one chunk, no padding, no column dilation: the
     * input rows are the window ([column][channel], every tap in range),
     * so none is built (row_window is set too) */
    int in_place;
    /* NHWC whose window of all the channels would hold fewer output rows
     * than a unit wants (thousands of channels): the window holds one
     * chunk's channels, for more rows, and each chunk's filter serves
     * them all (a block runs chunk after chunk, every panel on each,
     * the partial sums in y) */
    int chunked;
    /* 1x1, unit stride, no padding: the pixels of a block's output rows
     * follow one another in the window (or x) and in the tile (or y), so
     * the rows are one row of tiles */
    int flat;
    /* NHWC: each micro-tile runs every full filter panel of its unit in
     * turn (the kernel's npanels), not panel after panel over the unit's
     * tiles: see choose_blocking */
    int panels_inner;
    /* NCHW flat rows, or taps over a few channels, of one group a
     * bundle: the planar work units of im2win_planar.c, output pixels as
     * the vector lanes, pb pixels a unit (whole panels of nr), kparts
     * parts of the channel tiles */
    int planar;
    int pb;
    /* floats from one output channel's filter row to the next in the
     * planar units: C/g*R*S, the filter read as it is, or a line more
     * where the tile's rows would crowd the L1 (planar_blocking), the
     * filter then always read from its packed copy */
    int planar_lda;
    int threads;       /* threads the workspace is sized for */
    /* x, y and the packed filter small enough to stay in the threads' L2
     * caches between calls: each thread is given the same work units
     * every call (a static schedule), not the next one free */
    int affine;
    int stream;        /* output too large to stay in cache: its final
                          stores bypass it */
    size_t win_elems;  /* window floats per thread */
    size_t tile_elems; /* accumulator tile floats per thread, 0 for NHWC */
    /* NCHW streaming its output (cfg->stream): the tile transposed into
     * [channel][pixel] rows of stage_pix floats, from which whole cache
     * lines of y are streamed; the staging area follows the tile and
     * tile_elems counts it.  Planar units with taps whose planes do not
     * start on vectors: their tiles' rows, stage_pix = pb, the staging
     * area all of the tile (stage_off 0); 0 where they store to y */
    size_t stage_off;
    int stage_pix;
    /* activation strides of x and y in elements (layout.h) */
    ptrdiff_t xs_c, xs_h, xs_w;
    ptrdiff_t ys_k, ys_h, ys_w;
    /* filters with output channels outermost (NCHW, NHWC): packed row of
     * each element of an output channel's reduction, in memory order;
     * NULL for the others */
    const int *pack_row;
} i2w_im2win_cfg;

/* One ISA's implementation, compiled from the same sources with that
 * ISA's flags. */
typedef struct {
    int vl;     /* floats per vector */
    int mr_max; /* pixels per micro-tile */
    int nv_max; /* vectors of output channels per micro-tile */
    /* the wide micro-tiles (f32_im2win_ukernel.c): pixels and vectors of
     * output channels; 0 where the ISA has none */
    int mr_wide, nv_wide;
    /* y = conv(x, w) (+ bias) on up to cfg->threads threads; packed holds
     * the packed filter, ws cfg->threads * (win_elems + tile_elems). */
    void (*forward)(const i2w_im2win_cfg *cfg, const float *x,
                    const float *w, const float *bias, float *y,
                    float *packed, float *ws, int threads);
    /* packed = w packed, on up to `threads` threads: a filter set once
     * for many executes, which then pass w = NULL to forward */
    void (*pack)(const i2w_im2win_cfg *cfg, const float *w, float *packed,
                 int threads);
} i2w_im2win_isa;

extern I2W_HIDDEN const i2w_im2win_isa i2w_im2win_isa_avx2;
extern I2W_HIDDEN const i2w_im2win_isa i2w_im2win_isa_avx512;

/* Floats of the packed filter. */
static inline size_t i2w_im2win_packed_elems(const i2w_im2win_cfg *cfg)
{
    const i2w_shape *sh = &cfg->sh;
    if (cfg->planar)
        return (size_t)sh->g * sh->kg * cfg->planar_lda;
    return (size_t)sh->g * cfg->kgp * sh->cg * sh->r * sh->s;
}

/* Whether the planar units read the filter as it is (planar_lda). */
static inline int i2w_im2win_planar_reads_w(const i2w_im2win_cfg *cfg)
{
    const i2w_shape *sh = &cfg->sh;
    return cfg->planar_lda == sh->cg * sh->r * sh->s;
}

/* Width of filter panel kp: nr, or the channels left rounded up to whole
 * vectors for the last panel. */
static inline int i2w_im2win_panel_width(const i2w_im2win_cfg *cfg, int kp)
{
    int rest = cfg->sh.kg - kp * cfg->nr;
    return rest >= cfg->nr ? cfg->nr : (rest + cfg->vl - 1) / cfg->vl * cfg->vl;
}

/* Offset of the packed block of (group g, panel kp, chunk starting at
 * input channel c0): every panel before kp is full width and every chunk
 * before c0 is cb channels. */
static inline size_t i2w_im2win_packed_offset(const i2w_im2win_cfg *cfg,
                                              int g, int kp, int c0)
{
    const i2w_shape *sh = &cfg->sh;
    size_t rs = (size_t)sh->r * sh->s;
    return rs * ((size_t)g * cfg->kgp * sh->cg + (size_t)kp * cfg->nr * sh->cg +
                 (size_t)c0 * i2w_im2win_panel_width(cfg, kp));
}

/* Rows of wp columns of one channel in the window of `rows` output rows:
 * the input rows they cover, or R per output row. */
static inline size_t i2w_im2win_window_rows(const i2w_im2win_cfg *cfg,
                                            int rows)
{
    const i2w_shape *sh = &cfg->sh;
    return cfg->row_window ? (size_t)(rows - 1) * sh->sh +
                                 (size_t)(sh->r - 1) * sh->dh + 1
                           : (size_t)rows * sh->r;
}

/* Offset in the window of the chunk starting at input channel c0 (every
 * chunk before it is cb channels, each with room for hb output rows). */
static inline size_t i2w_im2win_chunk_offset(const i2w_im2win_cfg *cfg,
                                             int c0)
{
    return (size_t)c0 * i2w_im2win_window_rows(cfg, cfg->hb) * cfg->wp;
}

/* The rows of a window to build.  A window of input rows is a ring of
 * window_rows(hb) slots: input row ho0*stride_h - pad_h + i goes to slot
 * i % window_rows(hb), so a band of blocks of rows copies each input row
 * once, each block adding the rows [from, to) it needs beyond the last
 * one's.  A window per output row holds the R rows of each of `rows`
 * output rows from ho0. */
typedef struct {
    int ho0;      /* the band's first output row, or the block's */
    int rows;     /* per output row: output rows */
    int from, to; /* ring: window rows to build */
} i2w_im2win_span;

/* Floats from one output row to the next in a window chunk of cbn
 * channels. */
static inline ptrdiff_t i2w_im2win_row_step(const i2w_im2win_cfg *cfg,
                                            int cbn)
{
    return (ptrdiff_t)cfg->wp * cbn * (cfg->row_window ? cfg->sh.sh
                                                       : cfg->sh.r);
}

/* Packed row of tap (r, s) among a chunk's R*S taps: the window's order. */
static inline int i2w_im2win_tap(const i2w_im2win_cfg *cfg, int r, int s)
{
    return cfg->row_window ? r * cfg->sh.s + s : s * cfg->sh.r + r;
}

#endif /* I2W_X86_IM2WIN_H */
