/* im2win window construction (im2win.h), compiled once per ISA: the
 * input rows of a work unit (cfg->row_window) or, per output row, the R
 * input rows its taps cover, column-major with the chunk's channels (R
 * rows, then channels) innermost.  Rows and columns falling in the
 * padding are zeroed in the window; the input itself is never padded.
 * NHWC copies channel runs, NCHW transposes channel rows, CHWN and CHWN8
 * transpose the channels of a group of images at once. */
#include "x86/im2win_isa.h"

/* NCHW: each channel's input row is contiguous, and a window column
 * holds the nrows*cbn (tap row, channel) pairs contiguously (one input
 * row's channels, or the R tap rows' of one output row), so blocks of
 * I2W_VL pairs x I2W_VL columns are loaded along the input rows and
 * transposed into the columns in registers.  Taking the pairs of all the
 * tap rows at once, not the channels of one, keeps the vectors full when
 * the chunk has few channels (C = 3: 3 useful lanes of 16).  Input rows
 * in the padding read as zeros; columns [lo, hi) are the input's.  xc is
 * channel 0 of the chunk, h0 the input row of tap row 0. */
static void window_cols_planar(const i2w_im2win_cfg *cfg, const float *xc,
                               int h0, int nrows, int cbn, int lo, int hi,
                               float *dst)
{
    const i2w_shape *sh = &cfg->sh;
    const int npairs = nrows * cbn;
    for (int p0 = 0; p0 < npairs; p0 += I2W_VL) {
        const int np = npairs - p0 < I2W_VL ? npairs - p0 : I2W_VL;
        const i2w_vmask mp = i2w_vmask_first(np);
        /* the input row of each pair, NULL in the padding or past the
         * pairs; shifted so that column j of the window is src[t][j] */
        const float *src[I2W_VL];
        for (int t = 0; t < I2W_VL; t++) {
            const int r = (p0 + t) / cbn, c = (p0 + t) % cbn;
            const int h = h0 + r * sh->dh;
            src[t] = t < np && h >= 0 && h < sh->h
                         ? xc + c * cfg->xs_c + h * cfg->xs_h - sh->pw
                         : NULL;
        }
        for (int j0 = lo; j0 < hi; j0 += I2W_VL) {
            const int nj = hi - j0 < I2W_VL ? hi - j0 : I2W_VL;
            const i2w_vmask mj = i2w_vmask_first(nj);
            i2w_vec v[I2W_VL];
            I2W_UNROLL for (int t = 0; t < I2W_VL; t++)
                v[t] = !src[t]        ? i2w_vzero()
                       : nj == I2W_VL ? i2w_vload(src[t] + j0)
                                      : i2w_vload_m(src[t] + j0, mj);
            i2w_vtranspose(v);
            I2W_UNROLL for (int u = 0; u < I2W_VL; u++) {
                if (u >= nj)
                    break;
                float *d = dst + (ptrdiff_t)(j0 + u) * npairs + p0;
                if (np == I2W_VL)
                    i2w_vstore(d, v[u]);
                else
                    i2w_vstore_m(d, mp, v[u]);
            }
        }
    }
}

/* Window columns [*lo, *hi) hold input columns [*lo - pw, *hi - pw) (none
 * when the input row is in the padding); zero the others' run floats at
 * dst's offset in their column (col floats apart: one tap row's cbn
 * channels, or all R*cbn), in each of the nimg windows img_stride
 * apart. */
static void pad_columns(const i2w_im2win_cfg *cfg, int in_rows,
                        ptrdiff_t col, int run, int nimg,
                        ptrdiff_t img_stride, float *dst, int *lo, int *hi)
{
    const i2w_shape *sh = &cfg->sh;
    *lo = in_rows && sh->pw < cfg->wp ? sh->pw : cfg->wp;
    *hi = sh->pw + sh->w < cfg->wp ? sh->pw + sh->w : cfg->wp;
    if (*hi < *lo)
        *hi = *lo;
    for (int i = 0; i < nimg; i++) {
        for (int j = 0; j < *lo; j++)
            i2w_zero_floats(dst + i * img_stride + j * col, run);
        for (int j = *hi; j < cfg->wp; j++)
            i2w_zero_floats(dst + i * img_stride + j * col, run);
    }
}

/* NHWC, one window row (one input row, or tap row r of one output row):
 * wp columns, col floats apart, of cbn channels each, contiguous in x.
 * src is input row h of the chunk's first channel, or NULL when h is in
 * the padding. */
static void window_row_nhwc(const i2w_im2win_cfg *cfg, const float *src,
                            int cbn, ptrdiff_t col, float *dst)
{
    int lo, hi;
    pad_columns(cfg, src != NULL, col, cbn, 1, 0, dst, &lo, &hi);
    /* whole pixels packed alike in x and the window (a window of input
     * rows of all the channels): one copy, however few the channels */
    if (col == cbn && cfg->xs_w == cbn) {
        if (hi > lo)
            i2w_copy_floats(dst + lo * col, src + (lo - cfg->sh.pw) * cbn,
                            (hi - lo) * cbn);
        return;
    }
    for (int j = lo; j < hi; j++)
        i2w_copy_floats(dst + j * col, src + (j - cfg->sh.pw) * cfg->xs_w,
                        cbn);
}

/* NCHW, NHWC, a window of input rows: input row h of the chunk (xc its
 * first channel) into dst, zeros when h is in the padding. */
static void window_input_row(const i2w_im2win_cfg *cfg, const float *xc,
                             int h, int cbn, float *dst)
{
    const int in = h >= 0 && h < cfg->sh.h;
    if (cfg->xs_c != 1) {
        int lo, hi;
        pad_columns(cfg, in, cbn, cbn, 1, 0, dst, &lo, &hi);
        window_cols_planar(cfg, xc, h, 1, cbn, lo, hi, dst);
    } else {
        window_row_nhwc(cfg, in ? xc + h * cfg->xs_h : NULL, cbn, cbn, dst);
    }
}

void I2W_IM2WIN_SYM(i2w_im2win_window)(const i2w_im2win_cfg *cfg,
                                       const float *xn, int g, int c_lo,
                                       int c_hi, const i2w_im2win_span *sp,
                                       float *win)
{
    const i2w_shape *sh = &cfg->sh;
    const int slots = (int)i2w_im2win_window_rows(cfg, cfg->hb);
    for (int c0 = c_lo; c0 < c_hi; c0 += cfg->cb) {
        int cbn = sh->cg - c0 < cfg->cb ? sh->cg - c0 : cfg->cb;
        const float *xc = xn + (ptrdiff_t)(g * sh->cg + c0) * cfg->xs_c;
        float *chunk =
            cfg->chunked ? win : win + i2w_im2win_chunk_offset(cfg, c0);
        if (cfg->row_window) {
            for (int i = sp->from; i < sp->to; i++)
                window_input_row(cfg, xc, sp->ho0 * sh->sh - sh->ph + i, cbn,
                                 chunk + (size_t)(i % slots) * cfg->wp * cbn);
            continue;
        }
        for (int row = 0; row < sp->rows; row++) {
            const int h0 = (sp->ho0 + row) * sh->sh - sh->ph;
            float *dst = chunk + (size_t)row * cfg->wp * sh->r * cbn;
            if (cfg->xs_c != 1) { /* NCHW: every tap row at once */
                int lo, hi;
                pad_columns(cfg, 1, (ptrdiff_t)sh->r * cbn, sh->r * cbn, 1,
                            0, dst, &lo, &hi);
                window_cols_planar(cfg, xc, h0, sh->r, cbn, lo, hi, dst);
                continue;
            }
            for (int r = 0; r < sh->r; r++) {
                int h = h0 + r * sh->dh;
                const float *src =
                    h >= 0 && h < sh->h ? xc + h * cfg->xs_h : NULL;
                window_row_nhwc(cfg, src, cbn, (ptrdiff_t)sh->r * cbn,
                                dst + r * cbn);
            }
        }
    }
}

/* CHWN, CHWN8: the nimg <= I2W_VL images of a column are adjacent in x,
 * so one load takes a channel's value in every image (in cpv columns at
 * once when the columns are adjacent too: CHWN8, or CHWN with one image
 * group); I2W_VL channels of them are transposed into columns of each
 * image's window. */
static void window_row_images(const i2w_im2win_cfg *cfg, const float *src,
                              int nimg, int cbn, ptrdiff_t col,
                              ptrdiff_t img_stride, float *dst)
{
    const int cpv = cfg->xs_w == nimg ? I2W_VL / nimg : 1;
    int lo, hi;
    pad_columns(cfg, src != NULL, col, cbn, nimg, img_stride, dst, &lo,
                &hi);
    for (int c0 = 0; c0 < cbn && lo < hi; c0 += I2W_VL) {
        const int nc = cbn - c0 < I2W_VL ? cbn - c0 : I2W_VL;
        const i2w_vmask mc = i2w_vmask_first(nc);
        for (int j = lo; j < hi; j += cpv) {
            const int ncol = hi - j < cpv ? hi - j : cpv;
            const i2w_vmask ml = i2w_vmask_first(ncol * nimg);
            const float *s =
                src + c0 * cfg->xs_c + (j - cfg->sh.pw) * cfg->xs_w;
            i2w_vec v[I2W_VL];
            I2W_UNROLL for (int t = 0; t < I2W_VL; t++)
                v[t] = t < nc ? i2w_vload_m(s + t * cfg->xs_c, ml)
                              : i2w_vzero();
            i2w_vtranspose(v);
            /* lane q*nimg + i: column j + q of image i */
            I2W_UNROLL for (int l = 0; l < I2W_VL; l++) {
                if (l >= ncol * nimg)
                    break;
                i2w_vstore_m(dst + l % nimg * img_stride +
                                 (j + l / nimg) * col + c0,
                             mc, v[l]);
            }
        }
    }
}

void I2W_IM2WIN_SYM(i2w_im2win_window_images)(const i2w_im2win_cfg *cfg,
                                              const float *xg, int nimg,
                                              int g, int c0, int cbn,
                                              const i2w_im2win_span *sp,
                                              float *win)
{
    const i2w_shape *sh = &cfg->sh;
    const int slots = (int)i2w_im2win_window_rows(cfg, cfg->hb);
    const ptrdiff_t img_stride = (ptrdiff_t)slots * cfg->wp * cbn;
    const float *xc = xg + (ptrdiff_t)(g * sh->cg + c0) * cfg->xs_c;
    if (cfg->row_window) {
        for (int i = sp->from; i < sp->to; i++) {
            const int h = sp->ho0 * sh->sh - sh->ph + i;
            const float *src = h >= 0 && h < sh->h ? xc + h * cfg->xs_h : NULL;
            window_row_images(cfg, src, nimg, cbn, cbn, img_stride,
                              win + (size_t)(i % slots) * cfg->wp * cbn);
        }
        return;
    }
    for (int row = 0; row < sp->rows; row++)
        for (int r = 0; r < sh->r; r++) {
            int h = (sp->ho0 + row) * sh->sh - sh->ph + r * sh->dh;
            const float *src = h >= 0 && h < sh->h ? xc + h * cfg->xs_h : NULL;
            window_row_images(cfg, src, nimg, cbn, (ptrdiff_t)sh->r * cbn,
                              img_stride,
                              win + ((size_t)row * cfg->wp * sh->r + r) * cbn);
        }
}

void I2W_IM2WIN_SYM(i2w_im2win_prefetch)(const i2w_im2win_cfg *cfg,
                                         const float *xg, int nimg, int g,
                                         const i2w_im2win_span *sp)
{
    const i2w_shape *sh = &cfg->sh;
    /* the floats of one input row of one channel (of every channel in
     * NHWC), for the nimg images */
    const int per_channel = cfg->xs_c != 1;
    const ptrdiff_t len = (ptrdiff_t)(sh->w - 1) * cfg->xs_w +
                          (per_channel ? (cfg->xs_w == 1 ? 1 : nimg)
                                       : sh->cg);
    for (int i = sp->from; i < sp->to; i++) {
        const int h = sp->ho0 * sh->sh - sh->ph + i;
        if (h < 0 || h >= sh->h)
            continue;
        const float *row = xg + (ptrdiff_t)g * sh->cg * cfg->xs_c +
                           (ptrdiff_t)h * cfg->xs_h;
        for (int c = 0; c < (per_channel ? sh->cg : 1); c++)
            for (ptrdiff_t j = 0; j < len; j += 64 / sizeof(float))
                _mm_prefetch((const char *)(row + c * cfg->xs_c + j),
                             _MM_HINT_T1);
    }
}
