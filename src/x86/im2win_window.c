/* im2win window construction (im2win.h): per output row, the R input rows
 * its taps cover, column-major with the R rows and then the chunk's
 * channels innermost.  Rows and columns falling in the padding are zeroed
 * in the window; the input itself is never padded. */
#include <string.h>

#include "x86/im2win_window.h"

/* One window row (tap row r of one output row): wp columns, R*cbn apart,
 * of cbn channels each.  src is input row h of the chunk's first channel,
 * or NULL when h is in the padding. */
static void window_row(const i2w_im2win_cfg *cfg, const float *src, int cbn,
                       float *dst)
{
    const i2w_shape *sh = &cfg->sh;
    const ptrdiff_t col = (ptrdiff_t)sh->r * cbn;
    const size_t bytes = (size_t)cbn * sizeof(float);
    /* window columns [lo, hi) hold input columns [lo - pw, hi - pw) */
    int lo = src ? sh->pw : cfg->wp, hi = sh->pw + sh->w;
    if (lo > cfg->wp)
        lo = cfg->wp;
    if (hi > cfg->wp)
        hi = cfg->wp;
    if (hi < lo)
        hi = lo;
    for (int j = 0; j < lo; j++)
        memset(dst + j * col, 0, bytes);
    for (int j = hi; j < cfg->wp; j++)
        memset(dst + j * col, 0, bytes);
    if (lo == hi)
        return;
    if (cfg->xs_c == 1 && cbn >= 16) { /* NHWC: channels contiguous */
        for (int j = lo; j < hi; j++)
            memcpy(dst + j * col, src + (j - sh->pw) * cfg->xs_w, bytes);
        return;
    }
    /* channel-strided layouts, or too few channels to be worth a call:
     * walk each channel's row in input order */
    for (int c = 0; c < cbn; c++) {
        const float *s = src + c * cfg->xs_c;
        for (int j = lo; j < hi; j++)
            dst[j * col + c] = s[(j - sh->pw) * cfg->xs_w];
    }
}

void i2w_im2win_window(const i2w_im2win_cfg *cfg, const float *xn, int g,
                       int ho0, int rows, float *win)
{
    const i2w_shape *sh = &cfg->sh;
    for (int c0 = 0; c0 < sh->cg; c0 += cfg->cb) {
        int cbn = sh->cg - c0 < cfg->cb ? sh->cg - c0 : cfg->cb;
        const float *xc = xn + (ptrdiff_t)(g * sh->cg + c0) * cfg->xs_c;
        float *chunk = win + i2w_im2win_chunk_offset(cfg, rows, c0);
        for (int row = 0; row < rows; row++)
            for (int r = 0; r < sh->r; r++) {
                int h = (ho0 + row) * sh->sh - sh->ph + r * sh->dh;
                const float *src =
                    h >= 0 && h < sh->h ? xc + h * cfg->xs_h : NULL;
                window_row(cfg, src, cbn,
                           chunk + ((size_t)row * cfg->wp * sh->r + r) * cbn);
            }
    }
}
