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

/* A random valid descriptor in layout l, small enough for the reference:
 * batch 1..nmax, groups 1..3 with 1..3 input and output channels each,
 * filters 1..4, stride 1..3, dilation 1..3, padding 0 .. effective filter
 * size - 1, input size such that the output is 1..~6 wide. */
void tu_random_desc(uint64_t *state, i2w_layout l, int nmax,
                    i2w_conv_desc *d);
/* One-line text of d, for failure messages. */
void tu_describe(const i2w_conv_desc *d, char *buf, size_t len);

/* malloc'd arrays of n floats (never NULL: abort when memory is out),
 * random as tu_fill_random or NaN as tu_fill_nan; free() them. */
float *tu_alloc_random(size_t n, uint64_t *state);
float *tu_alloc_nan(size_t n);
/* Tensor 'x', 'y' or 'w' of sh, random, with the CHWN8 batch-padding lanes
 * of an activation set to NaN: a kernel must never let them reach a real
 * output. */
float *tu_alloc_input(const i2w_shape *sh, char which, uint64_t *state);

/* The tensors (a, b, out) of each op, as tu_compare_tensor names them:
 * FORWARD x w y, BACKWARD_DATA y w x, BACKWARD_FILTER x y w. */
extern const char tu_op_tensors[3][3];
/* Elements of tensor which ('x', 'y' or 'w') of sh, as stored. */
size_t tu_tensor_elems(const i2w_shape *sh, char which);
/* Terms summed per output element of op (an upper bound), for
 * tu_compare_tensor. */
int tu_reduction(const i2w_shape *sh, i2w_op op);

/* Runs op on the reference (i2w_ref_*): a, b, out as tu_op_tensors, bias
 * only for FORWARD.  In tests/testref.c, apart, because it needs the
 * reference functions, which libim2win hides: link libim2win_core.la, or
 * compile src/ref/ref_forward.c, ref_backward_data.c and
 * ref_backward_filter.c into the test. */
void tu_ref_run(const i2w_shape *sh, i2w_op op, const float *a,
                const float *b, const float *bias, float *out);

#endif /* I2W_TESTUTIL_H */
