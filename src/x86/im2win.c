/* The x86 IM2WIN algorithm family (x86.h): choose the ISA's kernels and
 * the blocking for a shape, size the per-thread windows and allocate the
 * packed filter once.  ISA-neutral: compiled without -mavx, so the library
 * still loads on any x86-64; the kernels are reached only for the ISA the
 * backend asks for. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/layout.h"
#include "x86/im2win.h"
#include "x86/x86.h"

/* Filter bytes per reduction chunk and panel: a chunk's panel is reused by
 * every micro-tile of a work unit from L2 (half of it).  Measured on Zen 5
 * (NHWC, 2 threads): 40 KiB chunks that stay in L1 lose 5-20% to the
 * partial sums' round trips and short runs; 320-640 KiB are best. */
#define I2W_IM2WIN_PANEL_BYTES (512 * 1024)
/* Most channels per chunk of an NHWC window whose rows of all the
 * channels would crowd the L1 (rows_alias): ResNet-50's 1024 -> 256 1x1
 * at 14 x 14, batch 1, one thread on the Zen 4 host, 1.53 ms in place,
 * 0.98 with chunks of 128 channels, 0.94-0.95 with 256. */
#define I2W_IM2WIN_ALIAS_CHUNK 256
/* Bytes of all the panels' filter chunks, at most, for a tile to run
 * every panel in turn (cfg->panels_inner): they stay in L1 (32-48 KiB)
 * beside the tile's pixels. */
#define I2W_IM2WIN_INNER_BYTES (32 * 1024)
/* Output pixels per work unit worth sharing one pass over the filter:
 * each filter element is loaded once per unit and used this many times.
 * NCHW takes more: a unit's tile goes to the channel planes of y at its
 * end, one run of the unit's pixels a plane, and longer runs store
 * faster (Intel host, 2048 against 128: conv7 NCHW 11.4 -> 9.5 ms, conv1
 * 6.1 -> 5.5 ms; 512-2048 all 3% faster in total).  So does NHWC on the
 * dynamic schedule (not cfg->affine), more since it reads the filter
 * from L3 when the filter outgrows L2 (three alternating runs on the
 * Intel host: batch-8 total 0.97x -> 1.00x oneDNN's, conv10 4.6-4.9 ->
 * 4.5-4.6 ms; DeepLab's dilation-2 3x3 at batch 1 2.70-2.81 -> 2.48-2.57
 * ms); CHWN (a unit of 8-16 images) was slower, and layers whose data
 * stays cached (cfg->affine) want the units to share out evenly.  A
 * chunked NHWC window (cfg->chunked) is sized for the smaller count. */
#define I2W_IM2WIN_UNIT_PIXELS 128
#define I2W_IM2WIN_UNIT_PIXELS_LARGE 1024
/* Most pixels per planar work unit (cfg->planar): a unit reuses nothing
 * across its panels, so its size only sets the count of units. */
#define I2W_IM2WIN_PLANAR_PIXELS 256
#define I2W_IM2WIN_PLANAR_UNITS 8
/* Most pixels per planar unit whose tiles are staged (planar_blocking). */
#define I2W_IM2WIN_STAGED_PIXELS 2048
/* Most input channels of an NCHW layer with taps (unit column stride) to
 * run planar: its window holds C*R*S floats a pixel, where the other
 * scheme's holds about C, but its tiles go to y untransposed. */
#define I2W_IM2WIN_PLANAR_TAPS_CHANNELS 4
/* Window bytes per thread: stays in the 1 MiB L2 beside the filter. */
#define I2W_IM2WIN_WINDOW_BYTES (512 * 1024)
/* Bytes of x, y and the packed filter per thread, at most, for the same
 * work units to go to the same thread every call (cfg->affine): their
 * data is then still in that core's L2 (2 MiB here); and multiply-adds
 * per byte of x and y, at most: a layer with more spends its time in the
 * FMAs, where a static split gains nothing and can lose the balance.
 * Intel host, batch 1, 2 threads, against units handed out as threads
 * come free: 1x1 layers of MobileNetV2 (3-66 multiply-adds a byte) 8-26%
 * faster, ResNet-50's 1x1 at 56 (13) 6-25%; DeepLab's dilation-2 3x3
 * (290) 3% slower in NCHW; the benchmark's layers at batch 8 (larger)
 * lost up to 25% in NCHW with static units. */
#define I2W_IM2WIN_AFFINE_BYTES (3u << 20)
#define I2W_IM2WIN_AFFINE_INTENSITY 128
/* Outputs larger than this go past the caches (streaming stores, no
 * read for ownership): they would not stay in the 32 MiB L3 anyway. */
#define I2W_IM2WIN_STREAM_BYTES (16u << 20)
/* Shortest run (S*C floats per tap row, C with column dilation) worth a
 * window of input rows: each run costs the micro-kernel a loop of its
 * own, and with C = 3 the 3x3 layer conv7 ran 5% slower in NCHW on runs
 * of 9 floats than on the per-output-row window's single run of 27
 * (Zen 5). */
#define I2W_IM2WIN_MIN_ROW_RUN 64
/* Most CHWN/CHWN8 window and tile bytes per thread, in percent of a
 * thread's share of IM2COL_GEMM's column matrices (chunk_blocking): the
 * issue bounds im2win's workspace by 45% of IM2COL_GEMM's. */
#define I2W_IM2WIN_UNFOLDED_PERCENT 40
/* Tile bytes of a CHWN/CHWN8 work unit (all its outputs, stored at the
 * end as vectors of images): stays in L2 while the panels run. */
#define I2W_IM2WIN_TILE_BYTES (512 * 1024)

typedef struct {
    i2w_im2win_cfg cfg;
    const i2w_im2win_isa *isa;
    float *packed;
    int *pack_row; /* cfg.pack_row */
} im2win_priv;

static int div_up(size_t a, size_t b) { return (int)((a + b - 1) / b); }

/* Split n into the fewest parts of at most max, as equal as possible;
 * returns the part size. */
static int balanced(int n, size_t max)
{
    if (max < 1)
        max = 1;
    return div_up(n, div_up(n, max));
}

/* Whether the micro-kernel's mr pixels, `stride` floats apart in x or
 * the window, crowd the L1: addresses 4 KiB apart share a set (64 sets
 * of 64-byte lines on the hosts measured, 8 or 12 ways), and more of a
 * tile's pixel rows in one set than the smaller L1 has ways evict each
 * other at every step.  NHWC 1x1 layers of 1024 or 2048 channels read
 * in place (4-8 KiB apart, all 14 rows in one set) ran at 57-68% of the
 * peak on the Zen 4 host, against 93% from a window of 256-channel
 * chunks (1 KiB apart); 512 channels (2 KiB, 7 rows a set) ran 5-10%
 * faster in place than chunked. */
static int rows_alias(int mr, size_t stride)
{
    const size_t line = 64 / sizeof(float), sets = 64;
    if (stride % line != 0)
        return 0;
    size_t g = stride / line % sets, a = sets;
    while (g) { /* gcd(stride in lines, sets) */
        const size_t t = a % g;
        a = g;
        g = t;
    }
    return (size_t)mr > 8 * (sets / a);
}


static int batch_minor(const i2w_shape *sh)
{
    return sh->layout == I2W_LAYOUT_CHWN || sh->layout == I2W_LAYOUT_CHWN8;
}

/* Window bytes per input channel of a work unit of hb output rows. */
static size_t channel_bytes(const i2w_im2win_cfg *cfg, int hb)
{
    return i2w_im2win_window_rows(cfg, hb) * cfg->wp * cfg->ng *
           sizeof(float);
}

/* Half the L2 of a core, or the window's budget where that is more (or
 * the size is unknown). */
static size_t half_l2(void)
{
#ifdef _SC_LEVEL2_CACHE_SIZE /* a glibc extension */
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#else
    const long l2 = 0;
#endif
    return l2 > 2 * I2W_IM2WIN_WINDOW_BYTES ? (size_t)l2 / 2
                                            : I2W_IM2WIN_WINDOW_BYTES;
}

/* Input channels per reduction chunk the filter's budget allows: a
 * chunk's panel is reused by every micro-tile of a work unit from L2. */
static size_t filter_chunk(const i2w_im2win_cfg *cfg)
{
    const i2w_shape *sh = &cfg->sh;
    return I2W_IM2WIN_PANEL_BYTES /
           ((size_t)sh->r * sh->s * cfg->nr * sizeof(float));
}

/* Whether x is read in place (cfg->in_place): NHWC of one group, no
 * padding, no column dilation, and one reduction chunk (chunk_blocking
 * takes all the channels where the filter's budget allows them), of an
 * input that stays in the caches.  A larger one comes from memory, and
 * the micro-kernel's broadcasts then wait on it where the window's copy,
 * a pass of sequential reads, would not (conv4 of the benchmark, 103 MB
 * at batch 8, on the AMD host with its 1 MiB L2: 172-174 ms with the
 * window against 184-187 in place on 2 threads, 339-352 against 372-380
 * on one; conv8, 26 MB, 64.3-64.8 against 65.3-66.5). */
static int reads_in_place(const i2w_im2win_cfg *cfg)
{
    const i2w_shape *sh = &cfg->sh;
    return sh->layout == I2W_LAYOUT_NHWC && sh->g == 1 && sh->dw == 1 &&
           sh->ph == 0 && sh->pw == 0 && !cfg->chunked &&
           filter_chunk(cfg) >= (size_t)sh->cg &&
           sh->x_elems * sizeof(float) <= I2W_IM2WIN_STREAM_BYTES;
}

/* The most output rows, up to hb, whose window (all the channels) fits
 * the per-thread budget: NCHW and NHWC build a group's window whole; CHWN
 * and CHWN8 a chunk at a time, which chunk_blocking sizes instead.  NHWC
 * read in place builds none, but its units' input rows are read again
 * for every panel: they stay within half the L2 (conv4 of the benchmark,
 * 64 channels at 224 x 224, 7 x 7 taps of stride 2, when it was read in
 * place at batch 8: 2 rows a unit within the window's budget, 6-20 rows
 * 5-7% faster on the Intel host, 6 within its 1 MiB). */
static int fit_window(const i2w_im2win_cfg *cfg, int hb)
{
    const i2w_shape *sh = &cfg->sh;
    const size_t chans = cfg->chunked ? (size_t)cfg->cb : (size_t)sh->cg;
    const size_t budget =
        reads_in_place(cfg) ? half_l2() : I2W_IM2WIN_WINDOW_BYTES;
    while (!batch_minor(sh) && hb > 1 &&
           chans * channel_bytes(cfg, hb) > budget)
        hb--;
    return hb;
}

/* Chunks of at most cb channels, equal ones, of whole 64-byte lines of
 * channels per window column when the channels split. */
static int line_chunks(const i2w_shape *sh, size_t cb)
{
    if (cb < (size_t)sh->cg && cb >= 16)
        cb = cb / 16 * 16;
    return balanced(sh->cg, cb);
}

/* Chunks of at most cb channels (line_chunks), fewer where the tile's
 * pixel rows, `per` chunks apart in the window, would crowd the L1
 * (rows_alias). */
static int unaliased_chunks(const i2w_im2win_cfg *cfg, size_t per,
                            size_t cb)
{
    const i2w_shape *sh = &cfg->sh;
    int c = line_chunks(sh, cb);
    while (c > 16 && rows_alias(cfg->mr, per * (size_t)c))
        c = line_chunks(sh, (size_t)c - 1);
    return c;
}

/* Output rows the busiest thread computes, a unit of `rows` rows of each
 * of `others` images or parts, the units split evenly between the
 * threads in order (a static schedule). */
static size_t thread_rows(int ho, int rows, size_t others, int threads)
{
    return div_up(div_up(ho, rows) * others, threads) * (size_t)rows;
}

/* The work unit: images (ng), output rows (hb), parts of the panels. */
static void unit_blocking(i2w_im2win_cfg *cfg, int vl, int threads)
{
    const i2w_shape *sh = &cfg->sh;
    const int bm = batch_minor(sh);
    /* CHWN and CHWN8 keep the images of a pixel adjacent: a unit does the
     * images that share cache lines of y (a block of 8 of CHWN8, a vector
     * of CHWN), their windows built together, their outputs kept in the
     * tile and stored as vectors of images */
    const int block = sh->layout == I2W_LAYOUT_CHWN8 ? 8 : vl;
    cfg->ng = !bm ? 1 : sh->n < block ? sh->n : block;
    const int ngroups = div_up(sh->n, cfg->ng);

    /* rows: enough pixels per pass over the filter, within the window;
     * a window of input rows when it holds no more rows than R per output
     * row would (not when strided taps skip rows or dilation spreads a
     * few output rows' taps far) and its runs are not too short */
    const int large = sh->layout == I2W_LAYOUT_NCHW ||
                      (sh->layout == I2W_LAYOUT_NHWC && !cfg->affine);
    int hb = div_up(large ? I2W_IM2WIN_UNIT_PIXELS_LARGE
                          : I2W_IM2WIN_UNIT_PIXELS,
                    (size_t)sh->wo * cfg->ng);
    if (hb > sh->ho)
        hb = sh->ho;
    int hb_chunk = div_up(I2W_IM2WIN_UNIT_PIXELS, (size_t)sh->wo * cfg->ng);
    if (hb_chunk > sh->ho)
        hb_chunk = sh->ho;
    const size_t run = (size_t)(sh->dw == 1 ? sh->s : 1) * sh->cg;
    cfg->row_window = (sh->layout == I2W_LAYOUT_NHWC && sh->dw == 1) ||
                      run >= I2W_IM2WIN_MIN_ROW_RUN;
    if (i2w_im2win_window_rows(cfg, hb) > (size_t)hb * sh->r)
        cfg->row_window = 0;
    /* CHWN, CHWN8 build the window a chunk at a time: unless all the
     * channels fit in one, no row outlives its block, and the runs of one
     * tap row are R times shorter than the per-output-row window's (conv4
     * in CHWN with AVX2, chunks of 10 channels: 7% slower) */
    if (bm && (sh->g > 1 || sh->cg * channel_bytes(cfg, hb) >
                                I2W_IM2WIN_WINDOW_BYTES))
        cfg->row_window = 0;
    const int hb_want = hb;
    hb = fit_window(cfg, hb_want);
    /* a ring of input rows cut down to a few output rows (thousands of
     * channels) holds more rows than R per output row, and a band of a
     * few such blocks copies each input row many times (DeepLab's ASPP,
     * 2048 channels, dilation 12, one row a block: 25 rows copied per
     * output row instead of 3, a third of the time): R rows per output
     * row then */
    if (cfg->row_window && i2w_im2win_window_rows(cfg, hb) > (size_t)hb * sh->r) {
        cfg->row_window = 0;
        hb = fit_window(cfg, hb_want);
    }
    /* NHWC whose window of all the channels holds fewer rows than
     * wanted: one chunk at a time, of as many channels as the window of
     * the rows wanted holds (DeepLab's ASPP, 2048 channels: one output
     * row a unit, the whole 19 MiB filter read from L3 for 33 pixels;
     * chunks of 171 channels for 4 rows: 26.4-26.9 -> 22.1-22.4 ms on 2
     * threads, 51.3 -> 45.8 on one) */
    if (sh->layout == I2W_LAYOUT_NHWC && hb < hb_chunk &&
        filter_chunk(cfg) < (size_t)sh->cg) {
        cfg->chunked = 1;
        size_t cb = filter_chunk(cfg);
        const size_t win_cb =
            I2W_IM2WIN_WINDOW_BYTES / channel_bytes(cfg, hb_chunk);
        if (cb > win_cb)
            cb = win_cb;
        cfg->cb = line_chunks(sh, cb);
        hb = fit_window(cfg, hb_chunk);
    } else if (sh->layout == I2W_LAYOUT_NHWC && cfg->row_window &&
               rows_alias(cfg->mr, (size_t)sh->sw * sh->cg)) {
        /* NHWC whose tile's pixel rows, in x or a window of all the
         * channels, would crowd the L1 (rows_alias): a window of chunks
         * whose rows do not */
        size_t cb = filter_chunk(cfg);
        if (cb > I2W_IM2WIN_ALIAS_CHUNK)
            cb = I2W_IM2WIN_ALIAS_CHUNK;
        cfg->cb = unaliased_chunks(cfg, sh->sw, cb);
        cfg->chunked = 1;
        hb = fit_window(cfg, hb_want);
    }
    cfg->hb = balanced(sh->ho, hb);
    /* the same units go to the same threads every call (cfg->affine):
     * fewer rows a block if that shares them out more evenly, where the
     * rows give units enough (else the channels are split below) */
    for (int h = cfg->hb - 1; cfg->affine && h >= (cfg->hb + 1) / 2; h--)
        if (div_up(sh->ho, cfg->hb) * ngroups >= 2 * threads &&
            thread_rows(sh->ho, h, ngroups, threads) <
                thread_rows(sh->ho, cfg->hb, ngroups, threads))
            cfg->hb = h;
    /* the tile of a CHWN/CHWN8 unit holds all its outputs: split the
     * channels until it fits in L2 */
    cfg->kparts = 1;
    if (bm)
        cfg->kparts = div_up((size_t)cfg->hb * sh->wo * cfg->kgp * cfg->ng *
                                 sizeof(float), I2W_IM2WIN_TILE_BYTES);
    /* too few units for the threads, or a count that leaves a thread idle
     * at the end (5 units on 2 threads: 83%): split the channels (the
     * window is then built once per part), then the rows (each filter
     * element is then used on fewer pixels per pass) */
    const int units = div_up(sh->ho, cfg->hb) * ngroups;
    if (units * cfg->kparts < 2 * threads)
        cfg->kparts = div_up(2 * (size_t)threads, units);
    while (cfg->kparts < cfg->nkp &&
           10 * units * cfg->kparts <
               9 * threads * div_up((size_t)units * cfg->kparts, threads))
        cfg->kparts++;
    if (cfg->kparts > cfg->nkp)
        cfg->kparts = cfg->nkp;
    size_t want = div_up(2 * (size_t)threads, (size_t)ngroups * cfg->kparts);
    if ((size_t)div_up(sh->ho, cfg->hb) < want)
        cfg->hb = balanced(sh->ho, div_up(sh->ho, want));
}

/* NHWC images of fewer pixels than a unit wants, each reading a filter
 * larger than half the L2 (from L3, for those few pixels alone): the
 * units split the panels into parts that fit there and run part by part
 * (cfg->part_major), so each thread reads a part from L3 once and reuses
 * it on image after image.  Intel host (2 MiB L2), three alternating
 * runs: conv12 of the benchmark (512 channels at 7 x 7, 9 MiB of filter,
 * batch 8, ten parts) 2.74-3.06 -> 2.69-2.75 ms, conv6 (4.5 MiB, five)
 * 4.46-4.89 -> 4.26-4.66; ResNet-50's 2048 -> 512 at 7 x 7 at batch 8
 * (4 MiB, four) unchanged. */
static void part_blocking(i2w_im2win_cfg *cfg)
{
    const i2w_shape *sh = &cfg->sh;
    const size_t filter = (size_t)cfg->kgp * sh->cg * sh->r * sh->s *
                          sizeof(float);
    const size_t parts = div_up(filter, half_l2());
    if (sh->layout != I2W_LAYOUT_NHWC || cfg->affine || cfg->chunked ||
        sh->n < 2 ||
        (size_t)sh->ho * sh->wo >= I2W_IM2WIN_UNIT_PIXELS_LARGE ||
        parts < 2)
        return;
    cfg->part_major = 1;
    if ((size_t)cfg->kparts < parts)
        cfg->kparts = parts < (size_t)cfg->nkp ? (int)parts : cfg->nkp;
}

/* Blocks of rows per work unit: a window of input rows keeps a band's
 * rows from block to block, copying each input row once instead of once
 * per block it serves, so blocks are grouped into bands while enough
 * units are left for the dynamic schedule to even out the threads on a
 * shared machine. */
#define I2W_IM2WIN_UNITS_PER_THREAD 8
static void band_blocking(i2w_im2win_cfg *cfg, int threads)
{
    const i2w_shape *sh = &cfg->sh;
    const int blocks = div_up(sh->ho, cfg->hb);
    cfg->nsub = 1;
    if (!cfg->row_window || cfg->in_place || cfg->chunked)
        return;
    int bands = div_up((size_t)I2W_IM2WIN_UNITS_PER_THREAD * threads,
                       (size_t)div_up(sh->n, cfg->ng) * cfg->kparts);
    if (bands > blocks)
        bands = blocks;
    cfg->nsub = blocks / bands;
    /* fewer blocks a band if that shares them out more evenly between
     * threads that take the same units every call (cfg->affine) */
    const size_t others = (size_t)div_up(sh->n, cfg->ng) * cfg->kparts;
    for (int b = cfg->nsub - 1; cfg->affine && b >= 1; b--)
        if (thread_rows(sh->ho, cfg->hb * b, others, threads) <
            thread_rows(sh->ho, cfg->hb * cfg->nsub, others, threads))
            cfg->nsub = b;
}

/* Input channels per reduction chunk: the filter chunk of a panel within
 * its budget; CHWN and CHWN8 build the window one chunk at a time, so the
 * window budget bounds the chunk too. */
static void chunk_blocking(i2w_im2win_cfg *cfg)
{
    const i2w_shape *sh = &cfg->sh;
    if (cfg->chunked) /* unit_blocking chose it with the rows */
        return;
    size_t cb = filter_chunk(cfg);
    size_t win_bytes = I2W_IM2WIN_WINDOW_BYTES;
    if (batch_minor(sh)) {
        /* the window and the tile together within a share of a
         * thread's part of IM2COL_GEMM's column matrices (the x86 issue
         * bounds im2win's workspace by 45% of them), or of one output row
         * of the unit's images unfolded (C/g*R*S x Wo x ng floats) where
         * that is more (1x1 layers, whose im2col unfolds nothing; groups
         * bundled here, which it unfolds one at a time): layers of few
         * large output rows (conv12: 5 x 5, 512 channels) take fewer
         * channels a chunk.  Bounded by the one row alone, the
         * benchmark's conv6-conv11 ran smaller chunks: CHWN conv9 (64
         * channels at 56 x 56) chunks of 32, 6.03-6.14 ms against
         * 5.36-5.63 with 64, conv11 4.19-4.36 against 3.85-4.11 (Intel
         * host, alternating runs). */
        size_t unfolded = (size_t)sh->cg * sh->r * sh->s * sh->wo *
                          cfg->ng * sizeof(float);
        const size_t im2col =
            cfg->gb == 1 ? i2w_x86_im2col_workspace(sh, cfg->threads) /
                               (size_t)cfg->threads
                         : 0;
        if (unfolded < im2col)
            unfolded = im2col;
        const size_t tile = (size_t)cfg->hb * sh->wo * cfg->ng *
                            div_up(cfg->nkp, cfg->kparts) * cfg->nr *
                            sizeof(float);
        const size_t cap = unfolded / 100 * I2W_IM2WIN_UNFOLDED_PERCENT;
        const size_t floor = 16 * channel_bytes(cfg, cfg->hb);
        if (cap < tile + win_bytes)
            win_bytes = cap > tile + floor ? cap - tile : floor;
    }
    const size_t win_cb = win_bytes / channel_bytes(cfg, cfg->hb);
    if (batch_minor(sh) && cb > win_cb)
        cb = win_cb;
    /* NCHW's window: a tile's pixels sw chunk columns apart (sw*R with
     * R rows per output row), not 4 KiB (ResNet-50's 2048 -> 512 at 7,
     * batch 1, 2 threads, Zen 4 host: 0.80-0.83 -> 0.55-0.62 ms) */
    cfg->cb = sh->layout == I2W_LAYOUT_NCHW
                  ? unaliased_chunks(cfg,
                                     (size_t)sh->sw *
                                         (cfg->row_window ? 1 : sh->r),
                                     cb)
                  : line_chunks(sh, cb);
}

/* Whether the shape takes the planar units: NCHW flat rows (1x1, unit
 * stride, no padding) of unbundled groups, whose planes lose at most an
 * eighth of the lanes to the last vector of pixels (7x7 planes, 49
 * pixels in 64 lanes, do not), and of reductions long enough for a
 * tile's stores to 2*mr lines of as many planes, or of 16 channels where
 * those lines stay in the cache from call to call (cfg->affine): on the
 * Intel host MobileNetV2's 16 -> 96 at 112 took 0.50-0.52 ms with the
 * window of channels and 0.63-0.65 planar on one thread (y in L3), and
 * 0.28 against 0.21 on two (a static schedule, y in the L2s). */
static int planar_fits(const i2w_im2win_cfg *cfg)
{
    const i2w_shape *sh = &cfg->sh;
    const int npix = sh->ho * sh->wo;
    const int lanes = div_up(npix, cfg->vl) * cfg->vl;
    const int taps = !cfg->flat && sh->sw == 1 &&
                     sh->cg <= I2W_IM2WIN_PLANAR_TAPS_CHANNELS;
    return sh->layout == I2W_LAYOUT_NCHW && cfg->gb == 1 &&
           (taps || (cfg->flat && (sh->cg >= 32 ||
                                   (sh->cg >= 16 && cfg->affine)))) &&
           8 * (lanes - npix) <= npix;
}

/* The planar units: blocks of whole panels of pixels, their window (C
 * floats a pixel) within the budget, times parts of the channel tiles
 * (each part packs the same pixels again), chosen for the shortest run
 * on the threads: units of at most the largest one's work (panels x
 * tiles), a thread taking div_up(units, threads) of them; of equal runs,
 * the fewest units.  A layer of 196 pixels (7 panels) and 28 channel
 * tiles on 2 threads: 1 block in 4 parts, not 4 blocks, one of them a
 * 4-pixel panel. */
static void planar_blocking(i2w_im2win_cfg *cfg, int threads)
{
    const i2w_shape *sh = &cfg->sh;
    const int npix = sh->ho * sh->wo, images = sh->n * sh->g;
    const int ntile = div_up(sh->kg, cfg->mr);
    const int npanel = div_up(npix, cfg->nr);
    const size_t red = (size_t)sh->cg * sh->r * sh->s;
    /* half the L2: a unit of few pixels reads its part of the filter for
     * them alone (ResNet-50's 1024 -> 256 at 14, 2 MiB L2: 4 of its 7
     * panels in 512 KiB, units of one panel, 0.385-0.394 ms; all 7 in 1
     * MiB, 0.339-0.354) */
    const size_t budget = half_l2();
    /* a streamed output whose planes do not start on vectors (with
     * taps): the tiles go to staging rows, whose whole lines of y are
     * streamed from there (the kernel's stores to y would read every
     * line first), in units long enough for long runs of each plane
     * (VGG's first layer at batch 8, 222 x 222 planes: 9.9 ms with
     * units of 256 pixels and the transposed tiles, 9.2 staged, 8.0
     * staged in units of 2048) */
    const int staged =
        !cfg->flat && cfg->stream && cfg->ys_k % cfg->vl != 0;
    size_t most = budget / (red * cfg->nr * sizeof(float));
    const size_t cap = staged ? I2W_IM2WIN_STAGED_PIXELS / cfg->nr
                              : I2W_IM2WIN_PLANAR_PIXELS / cfg->nr;
    if (most > cap)
        most = cap;
    if (staged && most > I2W_IM2WIN_TILE_BYTES /
                             ((size_t)sh->kg * cfg->nr * sizeof(float)))
        most = I2W_IM2WIN_TILE_BYTES /
               ((size_t)sh->kg * cfg->nr * sizeof(float));
    if (most < 1)
        most = 1;
    size_t best = SIZE_MAX;
    int best_units = 0;
    for (int kp = 1; kp <= ntile && kp <= 4 * threads; kp++)
        for (int nb = div_up(npanel, most); nb <= npanel; nb++) {
            const int per = div_up(npanel, nb); /* panels a block */
            const size_t units = (size_t)images * div_up(npanel, per) * kp;
            const size_t run = div_up(units, threads) * (size_t)per *
                               div_up(ntile, kp);
            if (run < best || (run == best && units < (size_t)best_units)) {
                best = run;
                best_units = (int)units;
                cfg->kparts = kp;
                cfg->pb = per * cfg->nr;
            }
            if (units >= (size_t)I2W_IM2WIN_PLANAR_UNITS * threads)
                break;
        }
    cfg->cb = sh->cg;
    cfg->hb = sh->ho;
    cfg->ng = 1;
    cfg->nsub = 1;
    /* the tile's mr output channels broadcast from mr filter rows: rows
     * 4 KiB apart (1024 or 2048 channels, 1x1) share an L1 set, so they
     * go a line further apart in a packed copy (ResNet-50's 1024 -> 256
     * at 14, batch 1, 2 threads, Zen 4 host: 0.91 -> 0.61 ms) */
    cfg->planar_lda = (int)red + (rows_alias(cfg->mr, red) ? 16 : 0);
    cfg->win_elems = (size_t)cfg->pb * red;
    cfg->stage_pix = staged ? cfg->pb : 0;
    cfg->stage_off = 0;
    cfg->tile_elems = (size_t)sh->kg * cfg->stage_pix;
}

/* Per-thread window and tile, each starting on a cache line: NHWC needs
 * no tile, NCHW one panel's, CHWN/CHWN8 a part of the panels' for every
 * image of the unit. */
static void thread_sizes(i2w_im2win_cfg *cfg)
{
    const i2w_shape *sh = &cfg->sh;
    const int bm = batch_minor(sh);
    const size_t win = (size_t)(bm || cfg->chunked ? cfg->cb : sh->cg) *
                       channel_bytes(cfg, cfg->hb);
    const size_t tile_width =
        (size_t)(bm ? div_up(cfg->nkp, cfg->kparts) : 1) * cfg->nr;
    cfg->win_elems =
        cfg->in_place ? 0 : (win / sizeof(float) + 15) / 16 * 16;
    cfg->tile_elems =
        sh->layout == I2W_LAYOUT_NHWC
            ? 0
            : ((size_t)cfg->hb * sh->wo * cfg->ng * tile_width + 15) / 16 * 16;
    if (sh->layout == I2W_LAYOUT_NCHW && cfg->stream) {
        cfg->stage_off = cfg->tile_elems;
        cfg->stage_pix = (cfg->hb * sh->wo + 15) / 16 * 16;
        cfg->tile_elems += (size_t)cfg->nr * cfg->stage_pix;
    }
}

/* Activation strides of x and y, read off the layout's offset function. */
static void strides(i2w_im2win_cfg *cfg)
{
    const i2w_shape *sh = &cfg->sh;
    const i2w_layout l = sh->layout;
    cfg->xs_c = i2w_act_offset(l, sh->nb, sh->c, sh->h, sh->w, 0, 1, 0, 0);
    cfg->xs_h = i2w_act_offset(l, sh->nb, sh->c, sh->h, sh->w, 0, 0, 1, 0);
    cfg->xs_w = i2w_act_offset(l, sh->nb, sh->c, sh->h, sh->w, 0, 0, 0, 1);
    cfg->ys_k = i2w_act_offset(l, sh->nb, sh->k, sh->ho, sh->wo, 0, 1, 0, 0);
    cfg->ys_h = i2w_act_offset(l, sh->nb, sh->k, sh->ho, sh->wo, 0, 0, 1, 0);
    cfg->ys_w = i2w_act_offset(l, sh->nb, sh->k, sh->ho, sh->wo, 0, 0, 0, 1);
}

/* Whether the wide micro-tiles (f32_im2win_ukernel.c) run the layer:
 * NHWC of one group whose output channels are one wide panel, or whole
 * wide panels of a 1x1 layer (cfg->flat).  Each pixel's input is then
 * broadcast once per 64 output channels, not per 32, and its outputs are
 * stored whole; and 6 pixel rows 4 KiB apart (1024 channels and more)
 * do not crowd the L1 (rows_alias), so x is read in place.  Alternating
 * runs on the Zen 4 host, 2 threads, against 14 x 2 tiles: conv9 of the
 * benchmark (64 -> 64 at 56, batch 8) 8.1-9.1 -> 7.7-8.6 ms, VGG's
 * first layer at batch 1 1.03-1.53 -> 0.93-1.15; ResNet-50's 1x1 layers
 * 1024 -> 256 at 14 at batch 1 0.49-0.61 -> 0.44-0.47 ms, at batch 8
 * 4.45-4.70 -> 3.73-3.85, 2048 -> 512 at 7 at batch 8 3.98-4.09 ->
 * 3.60-3.70, the other 1x1 layers of 64 to 2048 channels level or a few
 * % faster.  Wide panels of 128 or more channels with taps were 0-8%
 * slower (conv4-6, conv11); NCHW (its tiles transposed into y's planes)
 * and CHWN/CHWN8 (tiles of images) gained nothing beyond the noise on
 * conv9, nor 1x1 layers on a last panel of 32 channels (MobileNetV2's
 * 96- and 160-channel outputs). */
static int wide_fits(const i2w_im2win_cfg *cfg, const i2w_im2win_isa *isa)
{
    const i2w_shape *sh = &cfg->sh;
    const int panel = isa->nv_wide * isa->vl;
    return isa->mr_wide && sh->layout == I2W_LAYOUT_NHWC && cfg->gb == 1 &&
           (sh->kg == panel || (cfg->flat && sh->kg % panel == 0));
}

/* The blocking of the layer with the narrow or (wide) the wide tiles. */
static void blocking(i2w_im2win_cfg *cfg, const i2w_im2win_isa *isa,
                     int threads, int wide)
{
    const i2w_shape *sh = &cfg->sh;
    cfg->vl = isa->vl;
    cfg->mr = wide ? isa->mr_wide : isa->mr_max;
    cfg->nr = (wide ? isa->nv_wide : isa->nv_max) * isa->vl;
    cfg->nkp = div_up(sh->kg, cfg->nr);
    cfg->kgp = (cfg->nkp - 1) * cfg->nr +
               i2w_im2win_panel_width(cfg, cfg->nkp - 1);
    cfg->wp = (sh->wo - 1) * sh->sw + (sh->s - 1) * sh->dw + 1;
    cfg->threads = threads;
    cfg->chunked = 0;
    cfg->part_major = 0;
    cfg->panels_inner = 0;
    cfg->stream = sh->y_elems * sizeof(float) > I2W_IM2WIN_STREAM_BYTES;
    const size_t act = (sh->x_elems + sh->y_elems) * sizeof(float);
    const double macs = (double)sh->n * sh->ho * sh->wo * sh->k *
                        (sh->cg / cfg->gb) * sh->r * sh->s;
    cfg->affine = act + i2w_im2win_packed_elems(cfg) * sizeof(float) <=
                      (size_t)threads * I2W_IM2WIN_AFFINE_BYTES &&
                  macs <= (double)I2W_IM2WIN_AFFINE_INTENSITY * act;
    strides(cfg);
    cfg->planar = planar_fits(cfg);
    if (cfg->planar) {
        planar_blocking(cfg, threads);
        return;
    }
    unit_blocking(cfg, isa->vl, threads);
    part_blocking(cfg);
    chunk_blocking(cfg);
    /* NHWC of short reductions: a tile's outputs written whole pixels at
     * a time, not a panel's share of them per pass over the unit (Intel
     * host, batch 1, 2 threads, three alternating runs: MobileNetV2's 16
     * -> 96 expansion at 112 0.186-0.196 -> 0.170-0.174 ms, VGG's first
     * layer, 3 -> 64 at 224, 0.720 -> 0.678-0.707; ResNet-50's 1024 ->
     * 256 at 14, whose 1 MiB filter each tile would read from L2,
     * 0.317-0.320 -> 0.322-0.337, hence the bound) */
    cfg->panels_inner = sh->layout == I2W_LAYOUT_NHWC && cfg->gb == 1 &&
                        (size_t)cfg->kgp * cfg->cb * sh->r * sh->s *
                                sizeof(float) <=
                            I2W_IM2WIN_INNER_BYTES;
    cfg->in_place = reads_in_place(cfg);
    if (cfg->in_place)
        cfg->row_window = 1;
    band_blocking(cfg, threads);
    /* one block per unit whose window of input rows is no smaller than R
     * rows per output row: nothing is copied less often, and the per-output
     * row window (the same size) gives the micro-kernel one run R times
     * longer (conv10 in CHWN, one row a block: 4% faster with AVX2); NHWC
     * keeps its input rows, each copied in one piece */
    if (cfg->row_window && !cfg->in_place && sh->layout != I2W_LAYOUT_NHWC &&
        cfg->nsub == 1 &&
        i2w_im2win_window_rows(cfg, cfg->hb) == (size_t)cfg->hb * sh->r)
        cfg->row_window = 0;
    thread_sizes(cfg);
}

/* The wide tiles where wide_fits says so, and for NHWC layers whose
 * window the narrow tiles' blocking takes a chunk of channels at a time
 * (cfg->chunked: thousands of channels, or rows that would crowd the L1):
 * there the tiles' window columns are read again for each panel, from L2,
 * and 64-channel panels read them half as often.  Four alternating runs
 * on the Zen 4 host, batch 1, 2 threads: DeepLab's ASPP layers (2048 ->
 * 256 at 33, dilation 6, 12, 18) 39.3-40.2, 30.0-32.8, 22.9-26.1 ms ->
 * 37.7-39.5, 29.0-31.7, 22.2-25.0; a 1024 -> 256 3x3 at 14, batch 1
 * and 8, level. */
static void choose_blocking(i2w_im2win_cfg *cfg, const i2w_im2win_isa *isa,
                            int threads)
{
    const i2w_shape *sh = &cfg->sh;
    cfg->flat = sh->r == 1 && sh->s == 1 && sh->sh == 1 && sh->sw == 1 &&
                sh->ph == 0 && sh->pw == 0;
    const int wide = wide_fits(cfg, isa);
    blocking(cfg, isa, threads, wide);
    if (!wide && isa->mr_wide && cfg->chunked && cfg->gb == 1 &&
        sh->kg % (isa->nv_wide * isa->vl) == 0)
        blocking(cfg, isa, threads, 1);
}

/* cfg->pack_row for filters whose output channels are outermost: where
 * the element (c, r, s) of a panel's reduction lands, counted in packed
 * rows from the panel's start (chunk by chunk, taps in the window's
 * order, channels).  Returns NULL when the filter needs no table (output
 * channels innermost, or bundled groups), or on out of memory. */
static int *pack_rows_table(const i2w_im2win_cfg *cfg, int *oom)
{
    const i2w_shape *sh = &cfg->sh;
    const i2w_layout l = sh->layout;
    const int K = sh->k, C = sh->cg, R = sh->r, S = sh->s;
    *oom = 0;
    if (cfg->planar || cfg->gb > 1 ||
        i2w_filter_offset(l, K, C, R, S, 1, 0, 0, 0) == 1)
        return NULL;
    int *row = malloc((size_t)C * R * S * sizeof *row);
    if (!row) {
        *oom = 1;
        return NULL;
    }
    for (int c = 0; c < C; c++) {
        const int c0 = c / cfg->cb * cfg->cb;
        const int cbn = C - c0 < cfg->cb ? C - c0 : cfg->cb;
        for (int r = 0; r < R; r++)
            for (int s = 0; s < S; s++)
                row[i2w_filter_offset(l, K, C, R, S, 0, c, r, s)] =
                    R * S * c0 + i2w_im2win_tap(cfg, r, s) * cbn + (c - c0);
    }
    return row;
}

/* Groups per bundle (i2w_im2win_cfg.gb): the most that divide the groups
 * and whose output channels fit one vector.  Bundling multiplies the
 * FMAs by gb but fills the lanes gb times better, so the arithmetic is
 * the same; the windows, passes and reductions are gb times fewer and
 * longer (ResNeXt-50 32x4d 3x3 at 56, NHWC, batch 1, 1 thread: 1.15 ->
 * 0.67 ms on Zen 5). */
static int bundle_groups(const i2w_shape *sh, int vl)
{
    int gb = 1;
    for (int d = 2; d <= sh->g && d * sh->kg <= vl; d++)
        if (sh->g % d == 0)
            gb = d;
    return gb;
}

static void im2win_destroy(i2w_plan *plan)
{
    im2win_priv *p = plan->priv;
    if (p) {
        i2w_host_free(plan->ctx, p->packed);
        free(p->pack_row);
    }
    free(p);
    i2w_host_free(plan->ctx, plan->workspace);
    plan->priv = NULL;
    plan->workspace = NULL;
    plan->workspace_bytes = 0;
}

static i2w_status im2win_create(i2w_plan *plan, i2w_isa isa)
{
    const i2w_im2win_isa *kernels;
    if (isa == I2W_ISA_AVX512)
        kernels = &i2w_im2win_isa_avx512;
    else if (isa == I2W_ISA_AVX2)
        kernels = &i2w_im2win_isa_avx2;
    else
        return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                        "im2win: needs AVX2+FMA or AVX-512");
    if (plan->op != I2W_OP_FORWARD)
        return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                        "im2win: forward convolution only");

    im2win_priv *p = calloc(1, sizeof *p);
    if (!p)
        return i2w_fail(plan->ctx, I2W_ERR_OUT_OF_MEMORY,
                        "im2win: out of host memory");
    p->isa = kernels;
    p->cfg.sh = plan->shape;
    p->cfg.gb = bundle_groups(&plan->shape, kernels->vl);
    p->cfg.sh.g /= p->cfg.gb;
    p->cfg.sh.cg *= p->cfg.gb;
    p->cfg.sh.kg *= p->cfg.gb;
    choose_blocking(&p->cfg, kernels, plan->ctx->threads);
    const int g_ch = plan->shape.cg;
    if (p->cfg.gb > 1 && g_ch == plan->shape.kg && (g_ch == 2 || g_ch == 4) &&
        p->cfg.sh.cg == kernels->vl && p->cfg.cb == p->cfg.sh.cg)
        p->cfg.lane_groups = g_ch;
    plan->priv = p;

    int oom;
    p->pack_row = pack_rows_table(&p->cfg, &oom);
    p->cfg.pack_row = p->pack_row;
    if (oom) {
        im2win_destroy(plan);
        return i2w_fail(plan->ctx, I2W_ERR_OUT_OF_MEMORY,
                        "im2win: out of host memory");
    }

    size_t ws = p->cfg.threads * (p->cfg.win_elems + p->cfg.tile_elems);
    i2w_status st = i2w_host_alloc(plan->ctx, (void **)&p->packed,
                                   i2w_im2win_packed_elems(&p->cfg) *
                                       sizeof(float));
    if (st == I2W_OK)
        st = i2w_host_alloc(plan->ctx, &plan->workspace, ws * sizeof(float));
    if (st != I2W_OK) {
        im2win_destroy(plan);
        return st;
    }
    plan->workspace_bytes = ws * sizeof(float);
    return I2W_OK;
}

/* the workspace holds cfg.threads windows: never run more threads */
static int threads_of(const i2w_plan *plan)
{
    const im2win_priv *p = plan->priv;
    return plan->ctx->threads < p->cfg.threads ? plan->ctx->threads
                                               : p->cfg.threads;
}

static i2w_status im2win_set_filter(i2w_plan *plan, const float *w)
{
    im2win_priv *p = plan->priv;
    p->isa->pack(&p->cfg, w, p->packed, threads_of(plan));
    plan->filter_packed = 1;
    return I2W_OK;
}

static i2w_status im2win_execute(i2w_plan *plan, const float *x,
                                 const float *w, const float *bias, float *y)
{
    im2win_priv *p = plan->priv;
    int threads = threads_of(plan);
    p->isa->forward(&p->cfg, x, w, bias, y, p->packed, plan->workspace,
                    threads);
    return I2W_OK;
}

const i2w_x86_algo i2w_x86_im2win = {
    .create = im2win_create,
    .execute = im2win_execute,
    .destroy = im2win_destroy,
    .set_filter = im2win_set_filter,
};
