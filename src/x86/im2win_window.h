/* The two ISA-neutral steps of im2win (im2win.h): building a work unit's
 * window and packing the filter.  Plain C compiled with the library's
 * flags; the per-ISA code calls them. */
#ifndef I2W_X86_IM2WIN_WINDOW_H
#define I2W_X86_IM2WIN_WINDOW_H

#include "x86/im2win.h"

/* Fill win (cfg->win_elems floats) with the window of output rows
 * [ho0, ho0 + rows) of group g; xn points at image n's element (n,0,0,0). */
I2W_HIDDEN void i2w_im2win_window(const i2w_im2win_cfg *cfg, const float *xn,
                                  int g, int ho0, int rows, float *win);

/* Pack filter panel kp of group g (every chunk) from w in the layout's
 * filter order into its place in packed. */
I2W_HIDDEN void i2w_im2win_pack_panel(const i2w_im2win_cfg *cfg,
                                      const float *w, int g, int kp,
                                      float *packed);

#endif /* I2W_X86_IM2WIN_WINDOW_H */
