/* Helpers shared by the Check suites: a reproducible random source, NaN
 * poisoning of outputs, and a tensor comparison whose FP32 tolerance is
 * scaled by the reduction length.  Link tests/libtestutil.la (see
 * tests/Makefile.inc); it needs only the public API of libim2win. */
#ifndef I2W_TESTUTIL_H
#define I2W_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/internal.h"

/* Seed from the environment variable IM2WIN_TEST_SEED, else from the
 * clock; printed once to stderr so any failure can be replayed. */
uint64_t tu_seed(void);
/* Uniform in [-1, 1): never zero-filled, so a missing term shows. */
void tu_fill_random(float *p, size_t n, uint64_t *state);
void tu_fill_nan(float *p, size_t n);
/* Uniform in [lo, hi], both inclusive. */
int tu_rand_int(uint64_t *state, int lo, int hi);

/* Compare an activation tensor of shape sh ('x' input or 'y' output, in
 * sh->layout, skipping the batch padding lanes of CHWN8) or a filter
 * ('w').  reduction = number of terms summed per element; it sets the
 * tolerance.  Returns the number of bad elements and prints the first few
 * with their logical indices, prefixed by label. */
size_t tu_compare_tensor(const i2w_shape *sh, char which, const float *got,
                         const float *want, int reduction, const char *label);

/* Fill sh from d through the public API (so it works in tests linked to
 * the shared library, where i2w_shape_from_desc is hidden).  Returns 0 on
 * success, -1 when the library rejects d. */
int tu_shape(const i2w_conv_desc *d, i2w_shape *sh);

#endif /* I2W_TESTUTIL_H */
