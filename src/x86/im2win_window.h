/* The ISA-neutral step of im2win (im2win.h): building a work unit's
 * window.  Plain C compiled with the library's flags; the per-ISA code
 * calls it. */
#ifndef I2W_X86_IM2WIN_WINDOW_H
#define I2W_X86_IM2WIN_WINDOW_H

#include "x86/im2win.h"

/* Fill win (cfg->win_elems floats) with the window of output rows
 * [ho0, ho0 + rows) of group g; xn points at image n's element (n,0,0,0). */
I2W_HIDDEN void i2w_im2win_window(const i2w_im2win_cfg *cfg, const float *xn,
                                  int g, int ho0, int rows, float *win);

#endif /* I2W_X86_IM2WIN_WINDOW_H */
