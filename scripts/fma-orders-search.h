/* The FMA order table of scripts/fma-order-search.py's best orders that
 * do not spill (ptxas 13.0, the joined stream-K kernels; src/cuda/
 * TUNING.md), for fma_order in src/cuda/im2win_gemm.cu: [whole tiles,
 * stream-K][32x8, 64x8, 128x8, 64x16, 128x16][load].  Not the measured
 * table; a variant build measures it:
 *     OUT=$OUT bash scripts/gpu-run.sh device tune "" \
 *         "-include $PWD/scripts/fma-orders-search.h" -- BENCH_ARGS
 * Colliding FFMAs a step (scripts/sass-banks.py), stream-K 128x16
 * pixel-major 16-byte loads 590 -> 222, 128x8 321 -> 138; whole 128x16
 * 262 -> 191. */
#define I2W_FMA_ORDER_TABLE                                                \
    {{{1, 2, 1, 1}, {1, 1, 3, 1}, {3, 1, 1, 0}, {3, 2, 0, 0}, {3, 1, 0, 0}}, \
     {{31, 1, 27, 7},                                                      \
      {23, 15, 7, 23},                                                     \
      {1, 25, 17, 7},                                                      \
      {7, 7, 7, 7},                                                        \
      {7, 11, 7, 7}}}
