/* The depthwise im2win family (im2win_dw.h): blocking and workspace sizes
 * for a shape and ISA, chosen once at plan creation.  ISA-neutral. */
#include "x86/im2win_dw.h"
#include "x86/x86.h"

/* Output rows per band: every row of a band shares one window, so the
 * input rows between them are copied once; a multiple of the planar
 * kernel's register block (8 rows on AVX-512). */
#define I2W_DW_BAND_ROWS 8
/* Floats of a flat band's window and outputs, at most: the band stays
 * in L1, and a band longer than the 8 rows of the other windows copies
 * the R - 1 rows it shares with the next band fewer times. */
#define I2W_DW_FLAT_FLOATS 4096
/* NHWC channel vectors per block, at most: x is read in place, a block's
 * vectors of a pixel side by side, so wide blocks read whole lines of
 * x's pixels (MobileNetV2 at batch 1, 2 threads: 2 vectors against all
 * of them: stride-2 layer 0.117 -> 0.095 ms, 144 channels at 56 0.062 ->
 * 0.058); 16 leave 960 channels 4 blocks, units for both threads. */
#define I2W_DW_BLOCK_VECTORS 16
/* NHWC units (image, channel block, band) per thread: 8 keep the static
 * split within an eighth of a unit of even */
#define I2W_DW_UNITS_PER_THREAD 8

typedef struct {
    i2w_dw_cfg cfg;
    i2w_dw_fn fn;
} dw_priv;

static int div_up(int a, int b) { return (a + b - 1) / b; }

/* floats rounded up to whole cache lines, so each part of the workspace
 * starts on one */
static size_t line_floats(size_t n) { return (n + 15) / 16 * 16; }

/* Rows of every band but the last: bands equal as far as they can be. */
static void set_bands(i2w_dw_cfg *cfg, int bands)
{
    cfg->hb = div_up(cfg->sh.ho, bands);
    cfg->bands = div_up(cfg->sh.ho, cfg->hb);
}

/* The flat bands (cfg->flat): as many output rows as keep the window and
 * the outputs' run within I2W_DW_FLAT_FLOATS, but enough bands for the
 * threads' static shares of (image, channel, band) units. */
static void flat_blocking(i2w_dw_cfg *cfg, int vl)
{
    const i2w_shape *sh = &cfg->sh;
    const int shift = (sh->s - 1) * sh->dw / sh->sw;
    const int groups = sh->sh;
    const int shared = (sh->r - 1) * sh->dh / sh->sh;
    cfg->lanes = cfg->ncol = 1;
    cfg->blocks = sh->nb;
    cfg->cblocks = sh->c;
    cfg->cols = sh->wo + shift;
    /* floats a band takes: per output row, and besides */
    const long per_row = (long)(groups * sh->sw + 1) * cfg->cols;
    const long fixed =
        (long)groups * sh->sw * shared * cfg->cols + 2 * vl + shift;
    long hb = (I2W_DW_FLAT_FLOATS - fixed) / per_row;
    if (hb < 1)
        hb = 1;
    long bands = (sh->ho + hb - 1) / hb;
    const long want = (long)I2W_DW_UNITS_PER_THREAD * cfg->threads;
    const long others = (long)cfg->blocks * sh->c;
    if (bands * others < want)
        bands = (want + others - 1) / others;
    set_bands(cfg, bands < sh->ho ? (int)bands : sh->ho);
    cfg->rows = cfg->hb + shared;
    /* past the planes, a vector's reach beyond the last position */
    cfg->stage_off = line_floats((size_t)groups * sh->sw * cfg->rows *
                                     cfg->cols +
                                 vl + shift);
    /* two windows and runs: flat_forward's pipeline */
    cfg->win_floats =
        2 * (cfg->stage_off +
             line_floats((size_t)div_up(cfg->hb * cfg->cols, vl) * vl));
    cfg->filter_floats = cfg->packed_floats = 0;
}

static void plan_blocking(i2w_dw_cfg *cfg, int vl)
{
    const i2w_shape *sh = &cfg->sh;
    cfg->planar = sh->layout != I2W_LAYOUT_NHWC;
    /* flat where the rows of vectors would waste lanes, or are a few
     * vectors long (a window row each, and a tile of them, cost more
     * than their FMAs), or have strided columns: MobileNetV2 at batch 1,
     * 7x7 planes 0.072 -> 0.049-0.055 ms, 14x14 0.047-0.061 -> 0.031,
     * 56x56 0.149 -> 0.136, stride 2 0.445 -> 0.25; 112-wide rows fill
     * whole vectors and keep the rows' windows (flat: 5% slower) */
    const int row_floats = div_up(sh->wo, vl) * vl;
    cfg->flat = cfg->planar &&
                (sh->layout == I2W_LAYOUT_NCHW ||
                 (sh->layout == I2W_LAYOUT_CHWN && sh->n == 1)) &&
                (sh->sw > 1 || sh->wo < 4 * vl ||
                 sh->wo + (sh->s - 1) * sh->dw < row_floats);
    cfg->stage_off = 0;
    if (cfg->flat) {
        flat_blocking(cfg, vl);
        return;
    }
    if (cfg->planar) {
        set_bands(cfg, div_up(sh->ho, I2W_DW_BAND_ROWS));
        cfg->rows = (cfg->hb - 1) * sh->sh + (sh->r - 1) * sh->dh + 1;
        cfg->ncol = sh->layout == I2W_LAYOUT_NCHW    ? 1
                    : sh->layout == I2W_LAYOUT_CHWN8 ? 8
                                                     : sh->n;
        cfg->lanes = cfg->ncol > vl ? vl : cfg->ncol;
        cfg->blocks = div_up(sh->nb, cfg->lanes);
        cfg->cblocks = sh->c;
        /* the vectors of an output row read up to a whole vector past its
         * end, plus the columns the taps shift by */
        const int row = div_up(sh->wo * cfg->lanes, vl) * vl;
        cfg->cols = div_up(row, cfg->lanes) + (sh->s - 1) * sh->dw / sh->sw;
        cfg->win_floats = line_floats((size_t)cfg->rows * sh->sw * cfg->cols *
                                      cfg->lanes);
        cfg->filter_floats = cfg->packed_floats = 0;
        return;
    }
    cfg->lanes = cfg->ncol = 1;
    cfg->blocks = sh->n;
    cfg->cp = div_up(sh->c, vl) * vl;
    /* equal blocks of at most I2W_DW_BLOCK_VECTORS vectors */
    const int nv = cfg->cp / vl;
    const int nblk = div_up(nv, I2W_DW_BLOCK_VECTORS);
    cfg->cb = div_up(nv, nblk) * vl;
    cfg->cblocks = div_up(cfg->cp, cfg->cb);
    /* x is read in place; bands long, to pack each block's filter few
     * times, yet enough of them that the threads get equal shares of
     * units */
    const long want = (long)I2W_DW_UNITS_PER_THREAD * cfg->threads;
    const long others = (long)cfg->blocks * cfg->cblocks;
    const long bands = (want + others - 1) / others;
    set_bands(cfg, bands < sh->ho ? (int)bands : sh->ho);
    cfg->rows = cfg->cols = 0;
    cfg->win_floats = 0;
    cfg->filter_floats = line_floats((size_t)(sh->r * sh->s + 1) * cfg->cb);
    cfg->packed_floats = line_floats((size_t)sh->r * sh->s * cfg->cp);
}

static i2w_status dw_create(i2w_plan *plan, i2w_isa isa)
{
    const i2w_shape *sh = &plan->shape;
    plan->priv = NULL;
    plan->workspace = NULL;
    plan->workspace_bytes = 0;
    if (sh->cg != 1 || sh->kg != 1)
        return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                        "x86 depthwise IM2WIN needs one input and one output "
                        "channel per group (groups %d, C %d, K %d)",
                        sh->g, sh->c, sh->k);
    if (isa != I2W_ISA_AVX2 && isa != I2W_ISA_AVX512)
        return i2w_fail(plan->ctx, I2W_ERR_UNSUPPORTED,
                        "x86 depthwise IM2WIN needs AVX2 or AVX-512 (ISA %s)",
                        i2w_isa_name(isa));
    dw_priv *p = NULL;
    i2w_status st = i2w_host_alloc(plan->ctx, (void **)&p, sizeof *p);
    if (st != I2W_OK)
        return st;
    p->cfg.sh = *sh;
    p->cfg.threads = plan->ctx->threads;
    p->fn = isa == I2W_ISA_AVX512 ? i2w_x86_im2win_dw_forward_avx512
                                  : i2w_x86_im2win_dw_forward_avx2;
    plan_blocking(&p->cfg, isa == I2W_ISA_AVX512 ? 16 : 8);
    const size_t bytes =
        sizeof(float) * (p->cfg.packed_floats +
                         (p->cfg.filter_floats + p->cfg.win_floats) *
                             (size_t)p->cfg.threads);
    st = i2w_host_alloc(plan->ctx, &plan->workspace, bytes);
    if (st != I2W_OK) {
        i2w_host_free(plan->ctx, p);
        plan->workspace = NULL;
        return st;
    }
    plan->workspace_bytes = bytes;
    plan->priv = p;
    return I2W_OK;
}

static i2w_status dw_execute(i2w_plan *plan, const float *x, const float *w,
                             const float *bias, float *y)
{
    const dw_priv *p = plan->priv;
    /* the workspace has windows for the threads planned, no more */
    const int threads = plan->ctx->threads < p->cfg.threads
                            ? plan->ctx->threads
                            : p->cfg.threads;
    p->fn(&p->cfg, x, w, bias, y, plan->workspace, threads);
    return I2W_OK;
}

/* A filter fixed for the coming executes: NHWC packs it once, here, as
 * [R*S][cp] (zero past C), so the executes skip their gathers; the planar
 * kernels read w as it is and need nothing. */
static i2w_status dw_set_filter(i2w_plan *plan, const float *w)
{
    const i2w_dw_cfg *cfg = &((const dw_priv *)plan->priv)->cfg;
    if (cfg->planar)
        return I2W_OK;
    const int taps = cfg->sh.r * cfg->sh.s;
    float *packed = plan->workspace;
    for (int t = 0; t < taps; t++)
        for (int k = 0; k < cfg->cp; k++)
            packed[(size_t)t * cfg->cp + k] =
                k < cfg->sh.c ? w[(size_t)k * taps + t] : 0.0f;
    plan->filter_packed = 1;
    return I2W_OK;
}

static void dw_destroy(i2w_plan *plan)
{
    i2w_host_free(plan->ctx, plan->workspace);
    i2w_host_free(plan->ctx, plan->priv);
    plan->workspace = NULL;
    plan->workspace_bytes = 0;
    plan->priv = NULL;
}

const i2w_x86_algo i2w_x86_im2win_dw = {
    .create = dw_create,
    .execute = dw_execute,
    .destroy = dw_destroy,
    .set_filter = dw_set_filter,
};
