/* The scalar reference backend: the oracle every other backend is tested
 * against.  Short loops over the layout offsets, accumulating in double. */
#ifndef I2W_REF_H
#define I2W_REF_H

#include "common/internal.h"

/* y = conv(x, w) (+ bias), every element of y written. */
I2W_HIDDEN void i2w_ref_forward(const i2w_shape *sh, const float *x,
                                const float *w, const float *bias, float *y);
/* dx = backward data(dy, w), every element of dx written. */
I2W_HIDDEN void i2w_ref_backward_data(const i2w_shape *sh, const float *dy,
                                      const float *w, float *dx);
/* dw = backward filter(x, dy), every element of dw written. */
I2W_HIDDEN void i2w_ref_backward_filter(const i2w_shape *sh, const float *x,
                                        const float *dy, float *dw);
/* Host re-layout; same contract as i2w_backend_ops.convert. */
I2W_HIDDEN i2w_status i2w_ref_convert(i2w_context *ctx, int is_filter,
                                      int d0, int d1, int d2, int d3,
                                      i2w_layout from, const float *src,
                                      i2w_layout to, float *dst);

#endif /* I2W_REF_H */
