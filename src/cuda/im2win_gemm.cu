/* The im2win convolution proper: an implicit GEMM over the window,
 *   y[g][k][pix] = sum over red of A[g][red][k] * B[g][red][pix],
 * where A is the packed filter and B is never formed: the window offset
 * of (red, pix) is red_win[red] + poff(pix), a sum of two parts, because
 * the window holds every row a filter tap reads at a fixed distance.
 *
 * The structure follows the GPU im2win paper (arXiv 2306.14316): tiles of
 * BM output channels x BN pixels per block in shared memory; an 8x8
 * register micro-kernel per thread (its outputs as two 4x4 quarters half a
 * tile apart, so the shared-memory reads are 16-byte vectors that a warp
 * serves without bank conflicts); double-buffered shared-memory tiles, the
 * next step's global loads issued into registers before the current step's
 * FMAs so their latency hides behind them (on sm_80 and later, the 16-byte
 * pixel-major tiles of CHWN and CHWN8 instead go by cp.async, three
 * buffers deep: async_loads); 16-byte loads for A.  FP32 FMA
 * throughout.  Template parameters generate the tile shapes the heuristic
 * picks from and the B load patterns.
 *
 * Tiles rarely fill a whole number of waves of resident blocks, and a
 * partial last wave leaves multiprocessors idle (conv10 on an H100: 2.56
 * waves, SMs busy 85% of the time).  So the tiles of the last waves go
 * to a second kernel whose blocks share their reduction steps evenly
 * (stream-K, Osama et al., PPoPP 2023): each of one wave of blocks takes
 * an equal run of the (tile, step) sequence, so a tile may be cut between
 * consecutive blocks.  A block writes the later pieces of the tiles it
 * cuts to the workspace and flags them; the block that computes a tile's
 * first piece, the last of its run, adds them to it in block order (so
 * the result is deterministic), waiting for their flags a bounded time;
 * a third kernel adds the pieces of the tiles whose wait ran out (other
 * kernels held the multiprocessors their blocks wanted). */
#include <limits.h>

#include "cuda/plugin.h"

#define BN 128 /* pixels per block */
/* Blocks of 256 threads per multiprocessor the registers allow (125-168
 * registers a thread): the launch bounds cap registers to keep two. */
#define MIN_BLOCKS 2
/* Fewest reduction steps a stream-K block takes: each run of steps costs
 * a prologue and, when it cuts a tile, a 16-64 KB partial-sum store. */
#ifndef SK_MIN_STEPS
#define SK_MIN_STEPS 16
#endif
/* Least share of a launch's rounds of steps stream-K must save.  The
 * model overstates the saving: a partial last wave of whole tiles runs
 * faster than a full one (fewer blocks share each multiprocessor), and
 * the stream-K kernel starts only once the whole-tile one has drained.
 * Measured on an H200, 0.30 -> 0.08 (the stream-K kernels of the
 * previous commit): conv5 NHWC 1.475 -> 1.375 ms, conv6 NCHW 0.866 ->
 * 0.781, conv10 NHWC 0.642 -> 0.608, conv9 CHWN 0.594 -> 0.588, no layer
 * 2% slower; 0.0 made conv9 NCHW 7% slower (0.685 -> 0.732 ms). */
#ifndef SK_MIN_GAIN
#define SK_MIN_GAIN 0.10
#endif

/* Clocks the block with a tile's first piece waits for the other
 * pieces: they end when their blocks' runs end or start, about when its
 * own does, unless those blocks are not resident. */
#ifndef SK_JOIN_CLOCKS
#define SK_JOIN_CLOCKS (1 << 18)
#endif

/* Output pixel -> (n, ho, wo) of the chunk.  Pixels run with the window's
 * fastest pixel dimension fastest: pix = ((nq*Ho + ho)*Wo + wo)*ni + nl,
 * n = nq*ni + nl, where ni = 1 (NCHW, NHWC), N (CHWN) or 8 (CHWN8). */
struct pixel {
    int n, ho, wo;
};

static __device__ __forceinline__ pixel
decompose(const i2w_cuda_gemm_args &p, unsigned pix)
{
    pixel q;
    unsigned t = i2w_cuda_div(pix, p.n_inner);
    int nl = (int)(pix - t * p.n_inner.d);
    unsigned t2 = i2w_cuda_div(t, p.div_wo);
    q.wo = (int)(t - t2 * p.div_wo.d);
    unsigned nq = i2w_cuda_div(t2, p.div_ho);
    q.ho = (int)(t2 - nq * p.div_ho.d);
    q.n = (int)nq * (int)p.n_inner.d + nl;
    return q;
}

/* Tile t of a launch: pixel tiles fastest, then channel tiles, then
 * groups (the order of the blocks, so neighbours share filter rows). */
struct tile {
    int g, m0, p0;
};

template <int BM>
static __device__ __forceinline__ tile tile_at(const i2w_cuda_gemm_args &p,
                                               int t)
{
    tile q;
    int r = t / p.tiles_p;
    q.p0 = (t - r * p.tiles_p) * BN;
    int g = r / p.tiles_m;
    q.m0 = (r - g * p.tiles_m) * BM;
    q.g = g;
    return q;
}

/* First step, in the stream-K blocks' sequence of (tile, step), of
 * stream-K block c, and the block that takes step i of that sequence. */
static __device__ __forceinline__ long long sk_begin(
    const i2w_cuda_gemm_args &p, int c)
{
    return (long long)c * p.sk_iters / p.sk_blocks;
}

static __device__ __forceinline__ int sk_block(const i2w_cuda_gemm_args &p,
                                               int i)
{
    return (int)(((i + 1LL) * p.sk_blocks - 1) / p.sk_iters);
}

/* The segment of stream-K block c's run that starts at step `it` of the
 * stream-K sequence: its tile (of the launch), first step in the tile and
 * number of steps (<= 0 past the run's end). */
struct segment {
    int t, first, steps;
};

static __device__ __forceinline__ segment
segment_at(const i2w_cuda_gemm_args &p, int c, int it)
{
    const int ts = it / p.steps;
    segment sg;
    sg.t = p.dp_tiles + ts;
    sg.first = it - ts * p.steps;
    sg.steps = min(p.steps - sg.first, (int)sk_begin(p, c + 1) - it);
    return sg;
}

/* Partial sums of a tile cut between stream-K blocks: its first piece
 * goes to y itself (without bias), and each later piece is the first
 * segment of the block c >= 1 that computed it, so it takes slot c - 1:
 * sk_blocks - 1 slots in all.  Each thread keeps its 64 sums T floats
 * apart, a warp's 32 adjacent.
 * Scalar, not 16-byte, stores: a float4 of accumulators must sit in four
 * consecutive registers, which puts acc[i][j] in the register bank of
 * the B operand it is multiplied with (both j's parity), and ptxas then
 * gave half the FMAs of the stream-K kernel colliding operands. */
template <int T>
static __device__ __forceinline__ float *
partial_at(const i2w_cuda_gemm_args &p, int c, int tid)
{
    return p.partial + (size_t)(c - 1) * 64 * T + tid;
}

static __device__ __forceinline__ void zero_tile(float (&acc)[8][8])
{
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++)
            acc[i][j] = 0.0f;
}

/* The partial sums of stream-K blocks lo .. hi (later pieces of one
 * tile) added to acc in block order; read from L2, as the pieces may
 * have been stored by other blocks of the running kernel. */
template <int T>
static __device__ __forceinline__ void
add_pieces(const i2w_cuda_gemm_args &p, float (&acc)[8][8], int lo, int hi,
           int tid)
{
    for (int b = lo; b <= hi; b++) {
        const float *part = partial_at<T>(p, b, tid);
#pragma unroll
        for (int i = 0; i < 8; i++)
#pragma unroll
            for (int j = 0; j < 8; j++)
                acc[i][j] += __ldcg(part + (i * 8 + j) * T);
    }
}

/* How a block loads its B tile: along pixels (the window's pixels are
 * its fastest dimension: NCHW, CHWN, CHWN8) or along the reduction (NHWC,
 * whose channels are fastest), one float at a time or four (16 bytes) at
 * a time where four consecutive indices are adjacent in the window (see
 * vector_loads in im2win_plan.cu). */
enum { LOAD_PIX, LOAD_PIX4, LOAD_RED, LOAD_RED4 };

/* What tile_io does: store the outputs (acc plus bias), store the first
 * piece of a tile cut between stream-K blocks (acc alone), or load that
 * piece back into acc (the fixup then adds the later pieces to it, in
 * the order the joining block does). */
enum { WRITE_OUT, WRITE_PIECE, READ_PIECE };

/* The 8x8 outputs of thread tid of the tile at (g, m0, p0) between acc
 * and y, as MODE says: acc[i][j] is channel m0 + (i/4)*BM/2 + ty*4 + i%4,
 * at pixel p0 + (j/4)*BN/2 + tx*4 + j%4, or with pixels tx + 16*(j%4) in
 * place of tx*4 + j%4 for LOAD_PIX (whose columns are permuted: see the
 * kernel). */
template <int BM, int LOAD, int MODE = WRITE_OUT>
static __device__ __forceinline__ void
tile_io(const i2w_cuda_gemm_args &p, float (&acc)[8][8], tile q, int tid)
{
    constexpr bool RED_MAJOR = LOAD == LOAD_RED || LOAD == LOAD_RED4;
    constexpr bool PERMUTED = LOAD == LOAD_PIX;
    const int tx = tid % (BN / 8), ty = tid / (BN / 8);
    /* output channel of accumulator row i (-1 past kg) and its bias */
    auto channel = [&](int i, float *b) {
        int m = q.m0 + (i >> 2) * (BM / 2) + ty * 4 + (i & 3);
        if (m >= p.kg)
            return -1;
        int k = q.g * p.kg + m;
        *b = MODE == WRITE_OUT && p.bias ? p.bias[k] : 0.0f;
        return k;
    };
    auto output_at = [&](unsigned pix) {
        pixel o = decompose(p, pix);
        return p.y + i2w_cuda_offset(p.y_st, o.n, 0, o.ho, o.wo);
    };
    /* one output: the piece alone has no bias (adding a zero instead
     * would cost whole tiles an add per output: the compiler may not
     * drop a + 0.0f, which turns -0.0f into +0.0f) */
    auto io = [](float &a, float *d, float b) {
        if (MODE == READ_PIECE)
            a = *d;
        else
            *d = MODE == WRITE_OUT ? a + b : a;
    };
    auto io4 = [](float &a0, float &a1, float &a2, float &a3, float4 *d,
                  float4 b) {
        if (MODE == READ_PIECE) {
            const float4 v = *d;
            a0 = v.x;
            a1 = v.y;
            a2 = v.z;
            a3 = v.w;
        } else {
            *d = make_float4(a0 + b.x, a1 + b.y, a2 + b.z, a3 + b.w);
        }
    };
    const long long k_step = p.y_st.c;
    /* The first piece of a cut tile goes out one float at a time: a
     * 16-byte store of accumulators would want them in four consecutive
     * registers (see partial_at). */
    if (LOAD == LOAD_PIX4 && MODE != WRITE_PIECE) {
        /* 4 consecutive pixels of one channel per 16-byte access: the
         * pixel groups never straddle an image group (see vector_loads) */
#pragma unroll
        for (int h = 0; h < 2; h++) {
            unsigned pix = (unsigned)(q.p0 + h * (BN / 2) + tx * 4);
            if (pix >= (unsigned)p.pixels)
                continue;
            float *y = output_at(pix);
#pragma unroll
            for (int i = 0; i < 8; i++) {
                float b;
                int k = channel(i, &b);
                if (k < 0)
                    continue;
                io4(acc[i][h * 4], acc[i][h * 4 + 1], acc[i][h * 4 + 2],
                    acc[i][h * 4 + 3], (float4 *)(y + k * k_step),
                    make_float4(b, b, b, b));
            }
        }
        return;
    }
    /* NHWC output keeps channels fastest: a thread's 4 consecutive
     * channels of a pixel go as one 16-byte access when aligned */
    const bool vec = RED_MAJOR && p.y_st.c == 1 && p.kg % 4 == 0 &&
                     ((size_t)p.y & 15) == 0 && ((size_t)p.bias & 15) == 0 &&
                     MODE != WRITE_PIECE;
#pragma unroll
    for (int j = 0; j < 8; j++) {
        unsigned pix = (unsigned)(q.p0 + (j >> 2) * (BN / 2) +
                                  (PERMUTED ? tx + 16 * (j & 3)
                                            : tx * 4 + (j & 3)));
        if (pix >= (unsigned)p.pixels)
            continue;
        float *y = output_at(pix);
        if (vec) {
#pragma unroll
            for (int h = 0; h < 2; h++) {
                int m = q.m0 + h * (BM / 2) + ty * 4;
                if (m >= p.kg)
                    continue;
                int k = q.g * p.kg + m;
                float4 b = MODE == WRITE_OUT && p.bias
                               ? *(const float4 *)(p.bias + k)
                               : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                io4(acc[h * 4][j], acc[h * 4 + 1][j], acc[h * 4 + 2][j],
                    acc[h * 4 + 3][j], (float4 *)(y + k), b);
            }
            continue;
        }
#pragma unroll
        for (int i = 0; i < 8; i++) {
            float b;
            int k = channel(i, &b);
            if (k >= 0)
                io(acc[i][j], y + k * k_step, b);
        }
    }
}

/* Whether a load pattern's tiles go from global to shared memory by
 * cp.async (sm_80 and later): no registers held across the FMAs for the
 * next step's loads and no stores from them, so a third buffer lets the
 * copies run two steps ahead with one barrier a step.  Only the 16-byte
 * pixel-major loads (CHWN, CHWN8): on an H100 they made conv6 CHWN
 * 0.740 -> 0.618 ms and conv12 0.390 -> 0.336, while 4-byte copies made
 * NCHW and NHWC's whole 128-channel tiles slower (conv4 NCHW 13.54 ->
 * 15.49 ms, conv8 NHWC 4.92 -> 5.07), and the 16-byte reduction-major
 * loads transpose their vectors on the way.  Not the compute_75 PTX,
 * which has no cp.async.  I2W_NO_CP_ASYNC builds the register path
 * everywhere, to measure one against the other. */
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800 && !defined(I2W_NO_CP_ASYNC)
#define I2W_CP_ASYNC 1
#else
#define I2W_CP_ASYNC 0
#endif
static __host__ __device__ constexpr bool async_loads(int load)
{
    return I2W_CP_ASYNC && load == LOAD_PIX4;
}

/* Geometry of a tile shape's block: T threads of 64 outputs each, STAGES
 * buffers of A and B; B rows padded by one 16-byte vector (BNP) in the
 * register path, where the red-major stores put 8 consecutive threads on
 * 8 rows of one column (the pixel-major ones were measured so too).  The
 * cp.async tiles of 128 x 16 take exactly the 48 KB a block's static
 * shared memory may. */
template <int BM, int BK, int LOAD> struct gemm_smem {
    static constexpr int T = BM * BN / 64;
    static constexpr bool ASYNC = async_loads(LOAD);
    static constexpr int STAGES = ASYNC ? 3 : 2;
    static constexpr int BNP = ASYNC ? BN : BN + 4;
    float as[STAGES][BK][BM];
    float bs[STAGES][BK][BNP];
};

/* cp.async of 16 bytes from src to shared dst, of which the first
 * `valid` (0 or 16) are read and the rest zero-filled: the reduction's
 * padding columns.  They bypass L1 (.cg): streamed tiles are not
 * reused there.  Unused where no load pattern is async_loads. */
[[maybe_unused]] static __device__ __forceinline__ void
cp_async16(void *dst, const void *src, int valid)
{
#if I2W_CP_ASYNC
    const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d),
                 "l"(src), "r"(valid));
#else
    (void)dst, (void)src, (void)valid;
#endif
}

static __device__ __forceinline__ void cp_async_commit()
{
#if I2W_CP_ASYNC
    asm volatile("cp.async.commit_group;\n" ::);
#endif
}

/* Wait until at most N of this thread's committed groups are pending. */
template <int N> static __device__ __forceinline__ void cp_async_wait()
{
#if I2W_CP_ASYNC
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#endif
}

/* The order of a step's 64 FMAs (fma_order), as the bits of a number
 * 0-31: the outer index is the accumulator row (channels) or, with
 * ORDER_PIXELS, the column; ORDER_ZIGZAG runs the inner index backwards
 * on odd outer indices, ORDER_REVERSED runs the whole sequence backwards,
 * ORDER_HALVES takes the outer indices as 0, 4, 1, 5, ... (the two 4x4
 * quarters of a thread's tile alternating), ORDER_BLOCKS goes through
 * the 8x8 in 4x4 blocks. */
enum {
    ORDER_PIXELS = 1,
    ORDER_ZIGZAG = 2,
    ORDER_REVERSED = 4,
    ORDER_HALVES = 8,
    ORDER_BLOCKS = 16
};

/* The FMA order of a kernel.  An FMA stalls a cycle when two of its
 * operands not in the operand reuse cache are in the same register bank
 * (register number modulo 2), and ptxas's allocation decides how many do:
 * 0-60% of the 512 a step, chaotically, from one kernel to the next and
 * with the order of the FMAs.  scripts/fma-order-search.py compiles with
 * I2W_FMA_ORDER forcing each of the 32 orders on every kernel and counts
 * those FMAs with scripts/sass-banks.py (ptxas 13.0).  Fewer is not
 * always faster below ~200 (with the register-staged tiles, conv8 NCHW
 * measured 5.00 -> 5.12 ms on an H200 at 84 collisions instead of 100),
 * so a table is kept only when it measures faster: the register path's
 * whole-tile kernels keep the best of the first four orders (128-channel
 * NCHW 287 -> 100: H200 NCHW conv4 14.6 -> 13.6 ms).  The stream-K kernels
 * had 250-330 in every order while their 16-byte stores of accumulators
 * tied registers together (see partial_at), 74-140 after.  The cp.async
 * tiles of the 16-byte pixel-major loads (sm_80+, async_loads) freed the
 * staging registers and moved those kernels' allocation: a new search
 * gave them a column of their own (the last), the 128-channel 16-deep
 * stream-K kernel (conv12 in CHWN) 119 collisions instead of 153, and on
 * an H100 CHWN conv6 and conv10-12 ran 1-2% faster than with the
 * register path's orders.  Those stay in their column for the builds
 * without cp.async (compute_75 PTX, I2W_NO_CP_ASYNC), whose kernels are
 * then the ones measured before it, byte for byte (with the cp.async
 * kernels' orders, the 128-channel 16-deep whole-tile one had 546
 * collisions instead of 191).  An order permutes the 64 FMAs of a step,
 * one per accumulator, so every order computes the same sums bit for
 * bit.  Per [kernel: whole tiles, stream-K][tile shape: 32x8, 64x8,
 * 128x8, 64x16, 128x16][load pattern, or 4: LOAD_PIX4 by cp.async];
 * I2W_FMA_ORDER_TABLE replaces the whole table (an initializer), to
 * measure a search's orders in one variant build (scripts/gpu-run.sh
 * tune). */
#ifndef I2W_FMA_ORDER_TABLE
#define I2W_FMA_ORDER_TABLE                                                \
    {{{1, 2, 1, 1, 7},                                                     \
      {1, 1, 3, 1, 7},                                                     \
      {3, 1, 1, 0, 15},                                                    \
      {3, 2, 0, 0, 7},                                                     \
      {3, 1, 0, 0, 7}},                                                    \
     {{31, 1, 27, 7, 7},                                                   \
      {23, 15, 7, 23, 7},                                                  \
      {1, 25, 17, 7, 31},                                                  \
      {7, 7, 7, 7, 7},                                                     \
      {7, 11, 7, 7, 23}}}
#endif
template <int BM, int BK, int LOAD, int SK>
static __device__ __forceinline__ constexpr int fma_order()
{
#ifdef I2W_FMA_ORDER
    return I2W_FMA_ORDER;
#else
    constexpr int table[2][5][5] = I2W_FMA_ORDER_TABLE;
    return table[SK][BK == 16 ? (BM == 128 ? 4 : 3)
                     : BM == 32 ? 0
                     : BM == 64 ? 1
                                : 2][async_loads(LOAD) ? 4 : LOAD];
#endif
}

/* Steps first .. first+steps-1 of tile q into acc (zeroed here), the FMAs
 * of a step in ORDER (fma_order).  Every thread has read the reduction
 * table before the call (a barrier separates them), and every thread's
 * reads of sm are done when it returns: it ends with a barrier. */
template <int BM, int BK, int LOAD, int ORDER>
static __device__ __forceinline__ void
tile_steps(const i2w_cuda_gemm_args &p, const int *red_s,
           gemm_smem<BM, BK, LOAD> &sm, tile q, int first, int steps,
           float (&acc)[8][8])
{
    constexpr int T = gemm_smem<BM, BK, LOAD>::T;
    constexpr bool RED_MAJOR = LOAD == LOAD_RED || LOAD == LOAD_RED4;
    /* floats per load along the reduction (VR) and along pixels (VP) */
    constexpr int VR = LOAD == LOAD_RED4 ? 4 : 1;
    constexpr int VP = LOAD == LOAD_PIX4 ? 4 : 1;
    /* B loads: B_TR threads along the reduction, B_TP along pixels, so
     * that a warp's loads are adjacent along the window's fastest
     * dimension (coalesced) */
    constexpr int B_TR = RED_MAJOR ? BK / VR
                                   : (T * VP >= BN ? T * VP / BN : 1);
    constexpr int B_TP = T / B_TR;
    constexpr int B_NP = BN / (B_TP * VP); /* loads along pixels */
    constexpr int B_NR = BK / (B_TR * VR); /* loads along the reduction */
    constexpr int A_V = BM * BK / T / 4;   /* float4 of A per thread */
    static_assert(B_NP >= 1 && B_NR >= 1 && A_V >= 1, "tile shape");
    /* Scalar pixel-major loads keep pixels h*64 + tx + 16*q (q < 4) of a
     * thread in one 16-byte vector of shared memory (column permuted on
     * store), so a warp's output stores cover 16 consecutive pixels:
     * coalesced in NCHW.  The other loads keep 4 consecutive pixels per
     * vector: NHWC stores 4 channels of a pixel, CHWN and CHWN8 4 pixels
     * of a channel, as one 16-byte store each. */
    constexpr bool PERMUTED = LOAD == LOAD_PIX;
    auto column = [](int pix) {
        return PERMUTED ? (pix & ~63) | ((pix & 15) << 2) | ((pix >> 4) & 3)
                        : pix;
    };

    const int tid = threadIdx.x;
    const int tp = RED_MAJOR ? tid / B_TR : tid % B_TP;
    const int tr = RED_MAJOR ? tid % B_TR : tid / B_TP;
    const int tx = tid % (BN / 8), ty = tid / (BN / 8);

    /* this thread's A vectors at step 0 of the segment: rows
     * tid / (BM/4) + v*T / (BM/4), 4 columns at tid % (BM/4) * 4 */
    const float *a = p.a +
                     ((size_t)q.g * p.red_pad + first * BK + tid / (BM / 4)) *
                         p.kpad +
                     q.m0 + tid % (BM / 4) * 4;
    const int *red = red_s + first * BK + tr * VR;
    const float *win = p.win + q.g * p.win_group;
    int poff[B_NP];
#pragma unroll
    for (int i = 0; i < B_NP; i++) {
        unsigned pix = (unsigned)(q.p0 + (tp + i * B_TP) * VP);
        poff[i] = 0; /* past the end: any valid address, never stored */
        if (pix < (unsigned)p.pixels) {
            pixel o = decompose(p, pix);
            poff[i] = (int)((o.n >> 3) * p.win_st.nb +
                            (o.n & 7) * p.win_st.n8 +
                            (long long)o.ho * p.sh * p.win_st.h +
                            (long long)o.wo * p.sw * p.win_st.w);
        }
    }

    zero_tile(acc);
    float4 areg[A_V];
    float4 breg[B_NR][B_NP]; /* .x only for scalar loads */

    auto load = [&](int step) {
        const int k0 = step * BK;
#pragma unroll
        for (int v = 0; v < A_V; v++)
            areg[v] = __ldg((const float4 *)(
                a + (size_t)(k0 + v * (T / (BM / 4))) * p.kpad));
#pragma unroll
        for (int j = 0; j < B_NR; j++) {
            /* a vector's VR indices are all inside the reduction or all
             * in its padding (the reduction is a multiple of 4 then) */
            int ro = red[k0 + j * B_TR * VR];
#pragma unroll
            for (int i = 0; i < B_NP; i++) {
                const float *src = win + poff[i] + ro;
                if (VR * VP == 4)
                    breg[j][i] = ro >= 0 ? __ldg((const float4 *)src)
                                         : make_float4(0.f, 0.f, 0.f, 0.f);
                else
                    breg[j][i].x = ro >= 0 ? __ldg(src) : 0.0f;
            }
        }
    };
    auto store = [&](int buf) {
#pragma unroll
        for (int v = 0; v < A_V; v++) {
            int e = tid + v * T;
            *(float4 *)&sm.as[buf][e / (BM / 4)][e % (BM / 4) * 4] = areg[v];
        }
#pragma unroll
        for (int j = 0; j < B_NR; j++)
#pragma unroll
            for (int i = 0; i < B_NP; i++) {
                int row = (tr + j * B_TR) * VR;
                int col = column((tp + i * B_TP) * VP);
                if (VP == 4) {
                    *(float4 *)&sm.bs[buf][row][col] = breg[j][i];
                } else if (VR == 4) {
                    sm.bs[buf][row][col] = breg[j][i].x;
                    sm.bs[buf][row + 1][col] = breg[j][i].y;
                    sm.bs[buf][row + 2][col] = breg[j][i].z;
                    sm.bs[buf][row + 3][col] = breg[j][i].w;
                } else {
                    sm.bs[buf][row][col] = breg[j][i].x;
                }
            }
    };

    auto fmas = [&](int cur) {
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float4 a0 = *(const float4 *)&sm.as[cur][kk][ty * 4];
            float4 a1 = *(const float4 *)&sm.as[cur][kk][BM / 2 + ty * 4];
            float4 b0 = *(const float4 *)&sm.bs[cur][kk][tx * 4];
            float4 b1 = *(const float4 *)&sm.bs[cur][kk][BN / 2 + tx * 4];
            const float av[8] = {a0.x, a0.y, a0.z, a0.w,
                                 a1.x, a1.y, a1.z, a1.w};
            const float bv[8] = {b0.x, b0.y, b0.z, b0.w,
                                 b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int n0 = 0; n0 < 64; n0++) {
                /* n -> outer index o0 and inner index q */
                const int n = ORDER & ORDER_REVERSED ? 63 - n0 : n0;
                const int o0 = ORDER & ORDER_BLOCKS
                                   ? (n >> 5) * 4 + (n >> 2 & 3)
                                   : n / 8;
                const int q = ORDER & ORDER_BLOCKS ? (n >> 4 & 1) * 4 + (n & 3)
                                                   : n % 8;
                const int o = ORDER & ORDER_HALVES ? (o0 & 1) * 4 + (o0 >> 1)
                                                   : o0;
                const int in = ORDER & ORDER_ZIGZAG && o0 & 1 ? 7 - q : q;
                const int i = ORDER & ORDER_PIXELS ? in : o;
                const int j = ORDER & ORDER_PIXELS ? o : in;
                acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
            }
        }
    };

    /* the buffers were last read before the caller's last barrier */
    if constexpr (gemm_smem<BM, BK, LOAD>::ASYNC) {
        /* step `step`'s tiles into buffer buf by cp.async, the same
         * elements to the same places as load and store (16-byte
         * pixel-major vectors: async_loads) */
        auto copy = [&](int step, int buf) {
            const int k0 = step * BK;
#pragma unroll
            for (int v = 0; v < A_V; v++) {
                int e = tid + v * T;
                cp_async16(&sm.as[buf][e / (BM / 4)][e % (BM / 4) * 4],
                           a + (size_t)(k0 + v * (T / (BM / 4))) * p.kpad,
                           16);
            }
#pragma unroll
            for (int j = 0; j < B_NR; j++) {
                int ro = red[k0 + j * B_TR * VR];
#pragma unroll
                for (int i = 0; i < B_NP; i++) {
                    int row = (tr + j * B_TR) * VR;
                    int col = column((tp + i * B_TP) * VP);
                    /* padding: nothing read, zeros written, from an
                     * address that is valid anyway */
                    cp_async16(&sm.bs[buf][row][col],
                               win + poff[i] + (ro >= 0 ? ro : 0),
                               ro >= 0 ? 16 : 0);
                }
            }
        };
        /* Step kt's copies are group kt of this thread; the barrier after
         * waiting for them publishes every thread's, and says every
         * thread is done with step kt - 1's buffer, which step kt + 2's
         * copies then take. */
        copy(0, 0);
        cp_async_commit();
        if (steps > 1)
            copy(1, 1);
        cp_async_commit();
        for (int kt = 0, cur = 0; kt < steps; kt++) {
            cp_async_wait<1>();
            __syncthreads();
            const int next = cur == 0 ? 2 : cur - 1; /* (kt + 2) % 3 */
            if (kt + 2 < steps)
                copy(kt + 2, next);
            cp_async_commit();
            fmas(cur);
            cur = cur == 2 ? 0 : cur + 1;
        }
        __syncthreads();
        return;
    }
    load(0);
    store(0);
    __syncthreads();
    for (int kt = 0; kt < steps; kt++) {
        const int cur = kt & 1;
        /* Unconditional, so the compiler cannot sink the loads below the
         * FMAs to their stores (it did, exposing their whole latency);
         * the last step reloads its own tile into the idle buffer. */
        load(kt + 1 < steps ? kt + 1 : kt);
        fmas(cur);
        /* the other buffer was last read before the previous barrier */
        store(cur ^ 1);
        __syncthreads();
    }
}

/* The reduction table into shared memory (dynamic: its size is the
 * layer's), for the caller's barrier to publish. */
static __device__ __forceinline__ void
load_table(const i2w_cuda_gemm_args &p, int *red_s, int threads)
{
    for (int i = threadIdx.x; i < p.red_pad; i += threads)
        red_s[i] = p.red_win[i];
}

/* Block b computes tile b whole (the tiles of whole waves). */
template <int BM, int BK, int LOAD>
__global__ void __launch_bounds__(BM * BN / 64, MIN_BLOCKS)
i2w_cuda_im2win_gemm_kernel(const i2w_cuda_gemm_args p)
{
    extern __shared__ int red_s[];
    __shared__ __align__(16) gemm_smem<BM, BK, LOAD> sm;
    load_table(p, red_s, gemm_smem<BM, BK, LOAD>::T);
    __syncthreads();
    const tile q = tile_at<BM>(p, blockIdx.x);
    float acc[8][8];
    tile_steps<BM, BK, LOAD, fma_order<BM, BK, LOAD, 0>()>(p, red_s, sm, q,
                                                          0, p.steps, acc);
    tile_io<BM, LOAD>(p, acc, q, threadIdx.x);
}

/* Block c, which computed the first piece of stream-K tile ts into acc
 * (the end of its run), adds the later pieces, blocks c+1 .. hi, in
 * block order, once their flags say they are in the workspace: the same
 * sums in the same order as the fixup kernel's.  False, acc unchanged,
 * when a flag is not set within SK_JOIN_CLOCKS.  ok_s: a shared int no
 * thread reads until the next barrier. */
template <int T>
static __device__ __forceinline__ bool
join(const i2w_cuda_gemm_args &p, float (&acc)[8][8], int ts, int c, int tid,
     int *ok_s)
{
    const int hi = sk_block(p, (ts + 1) * p.steps - 1);
    __syncthreads(); /* every thread has read ok_s */
    if (tid == 0) {
        int ok = 1;
        const long long t0 = clock64();
        for (int b = c + 1; b <= hi && ok; b++)
            while (*(volatile int *)&p.flags[b - 1] != p.epoch)
                if (clock64() - t0 > SK_JOIN_CLOCKS) {
                    ok = 0;
                    break;
                }
        /* the pieces' stores, seen through their flags, before ours */
        __threadfence();
        *ok_s = ok;
    }
    __syncthreads();
    if (!*ok_s)
        return false;
    add_pieces<T>(p, acc, c + 1, hi, tid);
    return true;
}

/* Stream-K block c takes steps sk_begin(c) .. sk_begin(c + 1) - 1 of the
 * sequence of (tile, step) of the tiles past dp_tiles, tile ts's steps
 * being ts*steps .. ts*steps + steps-1 (fits an int: see schedule): a
 * tile it computes whole goes to y, a cut one's partial sums to the
 * workspace.  A separate kernel, not the whole-tile one's last blocks:
 * with the run loop around it, the FMA loop of whole tiles ran 4-5%
 * slower (H200: conv4 CHWN 12.44 -> 12.98 ms). */
template <int BM, int BK, int LOAD>
__global__ void __launch_bounds__(BM * BN / 64, MIN_BLOCKS)
i2w_cuda_im2win_stream_k_kernel(const i2w_cuda_gemm_args p)
{
    constexpr int T = gemm_smem<BM, BK, LOAD>::T;
    extern __shared__ int dyn_s[];
    __shared__ __align__(16) gemm_smem<BM, BK, LOAD> sm;
    /* Where the run is lives in shared memory, written by thread 0
     * between barriers: the accumulators and the prefetch leave no
     * register to spare across the FMA loop (held there, the run
     * spilled).  run_s: the run's next step, the segment's first.  The
     * cp.async tiles may take all the static part: their run is in the
     * dynamic part, before the table (after it, at an address unknown
     * to the compiler, it cost registers).  The register path keeps it
     * static: in the dynamic part, ptxas gave the 128-channel 16-deep
     * CHWN kernel 644 colliding FFMAs a step instead of 222. */
    int *run_s, *red_s;
    if constexpr (gemm_smem<BM, BK, LOAD>::ASYNC) {
        run_s = dyn_s;
        red_s = dyn_s + 2;
    } else {
        __shared__ int run_static[2];
        run_s = run_static;
        red_s = dyn_s;
    }
    const int c = blockIdx.x, tid = threadIdx.x;
    load_table(p, red_s, T);
    if (tid == 0)
        run_s[0] = (int)sk_begin(p, c);
    __syncthreads();
    for (;;) {
        const int it = run_s[0];
        const segment sg = segment_at(p, c, it);
        if (sg.steps <= 0)
            break;
        /* every thread has read run_s[0]; they read it and run_s[1] next
         * after tile_steps' last barrier */
        __syncthreads();
        if (tid == 0) {
            run_s[0] = it + sg.steps;
            run_s[1] = it;
        }
        float acc[8][8];
        tile_steps<BM, BK, LOAD, fma_order<BM, BK, LOAD, 1>()>(
            p, red_s, sm, tile_at<BM>(p, sg.t), sg.first, sg.steps, acc);
        const segment done = segment_at(p, c, run_s[1]);
        if (done.steps == p.steps) {
            tile_io<BM, LOAD>(p, acc, tile_at<BM>(p, done.t), tid);
            continue;
        }
        const tile q = tile_at<BM>(p, done.t);
        if (done.first == 0) {
            const int ts = done.t - p.dp_tiles;
            if (join<T>(p, acc, ts, c, tid, &run_s[1])) {
                tile_io<BM, LOAD>(p, acc, q, tid);
                if (tid == 0)
                    p.flags[p.sk_blocks - 1 + ts] = p.epoch;
            } else {
                tile_io<BM, LOAD, WRITE_PIECE>(p, acc, q, tid);
            }
            continue;
        }
        float *part = partial_at<T>(p, c, tid);
#pragma unroll
        for (int i = 0; i < 8; i++)
#pragma unroll
            for (int j = 0; j < 8; j++)
                part[(i * 8 + j) * T] = acc[i][j];
        /* every thread's stores, then the flag (a later piece starts a
         * run: this is the block's first segment, and its next one starts
         * with a barrier only after this one) */
        __threadfence();
        __syncthreads();
        if (tid == 0)
            atomicExch(&p.flags[c - 1], p.epoch);
    }
}

/* Stream-K tiles cut between blocks whose first block did not join
 * them: the partial sums of their later pieces added in block order
 * (deterministic) to the first piece, in y, plus bias.  One block per
 * stream-K tile; a tile one block computed whole, or joined, was written
 * by it. */
template <int BM, int LOAD>
__global__ void __launch_bounds__(BM * BN / 64)
i2w_cuda_im2win_fixup_kernel(const i2w_cuda_gemm_args p)
{
    constexpr int T = BM * BN / 64;
    const int ts = blockIdx.x, tid = threadIdx.x;
    const int first = ts * p.steps;
    const int lo = sk_block(p, first), hi = sk_block(p, first + p.steps - 1);
    if (lo == hi || p.flags[p.sk_blocks - 1 + ts] == p.epoch)
        return;
    const tile q = tile_at<BM>(p, p.dp_tiles + ts);
    float acc[8][8]; /* the entries past the tile's edge stay unstored */
    zero_tile(acc);
    tile_io<BM, LOAD, READ_PIECE>(p, acc, q, tid);
    add_pieces<T>(p, acc, lo + 1, hi, tid);
    tile_io<BM, LOAD>(p, acc, q, tid);
}

typedef void (*gemm_kernel)(const i2w_cuda_gemm_args);

/* A tile shape's kernels for one load pattern: whole tiles, stream-K
 * blocks and the fixup of their cut tiles; 8-deep steps for every tile
 * height, 16-deep ones for 64- and 128-channel tiles of the pixel-major
 * patterns (see i2w_cuda_im2win_tiling). */
struct kernel_set {
    gemm_kernel gemm, stream_k, fixup;
};
/* The whole-tile kernel's load pattern: the 128-channel tiles of 16-byte
 * reduction-major loads take the scalar kernel, which computes the same
 * tile from any window: ptxas gives the 16-byte one 270-316 of 512 FMAs
 * a step with colliding operands, whatever the FMA order or the other
 * permutations tried, and the scalar one 101 (fma_order).  The stream-K
 * kernel keeps the 16-byte loads: the scalar one spills. */
static constexpr int whole_tile_load(int bm, int load)
{
    return bm == 128 && load == LOAD_RED4 ? LOAD_RED : load;
}
#define I2W_KERNEL_SET(bm, bk, load)                                       \
    {i2w_cuda_im2win_gemm_kernel<bm, bk, whole_tile_load(bm, load)>,      \
     i2w_cuda_im2win_stream_k_kernel<bm, bk, load>,                       \
     i2w_cuda_im2win_fixup_kernel<bm, load>}
#define I2W_KERNEL_SETS(bm)                                                \
    {I2W_KERNEL_SET(bm, 8, LOAD_PIX), I2W_KERNEL_SET(bm, 8, LOAD_PIX4),   \
     I2W_KERNEL_SET(bm, 8, LOAD_RED), I2W_KERNEL_SET(bm, 8, LOAD_RED4)}
static const int tiles_m[3] = {32, 64, 128};
static const kernel_set kernels[3][4] = {
    I2W_KERNEL_SETS(32), I2W_KERNEL_SETS(64), I2W_KERNEL_SETS(128)};
static const kernel_set kernels_deep[2][2] = {
    {I2W_KERNEL_SET(64, 16, LOAD_PIX), I2W_KERNEL_SET(64, 16, LOAD_PIX4)},
    {I2W_KERNEL_SET(128, 16, LOAD_PIX), I2W_KERNEL_SET(128, 16, LOAD_PIX4)}};

static const kernel_set *kernels_for(int tile_m, int step, int load)
{
    return step == 16 ? &kernels_deep[tile_m == 128][load == LOAD_PIX4]
                      : &kernels[tile_m == 32 ? 0 : tile_m == 64 ? 1 : 2]
                                [load];
}

static int load_pattern(int red_major, int vec)
{
    return red_major ? (vec ? LOAD_RED4 : LOAD_RED)
                     : (vec ? LOAD_PIX4 : LOAD_PIX);
}

/* Which tiles of a launch are whole (one block each) and how many blocks
 * share the rest.  Whole waves of resident blocks but the last one take
 * whole tiles; the last wave and the partial one after it (tiles between
 * one and two waves) go to the stream-K kernel, launched next: one wave
 * of its blocks, each at least SK_MIN_STEPS steps, and no more than the
 * workspace's cap on partial sums allows (one tile's per block boundary:
 * see partial_at).  Stream-K is used only where it ends sooner than
 * whole tiles would. */
static void schedule(const i2w_cuda_tiling *t, long long tiles,
                     i2w_cuda_gemm_args *p)
{
    const int steps = t->red_pad / t->step;
    const long long slots = t->slots;
    long long dp = tiles % slots == 0 ? tiles
                   : tiles >= 2 * slots ? (tiles / slots - 1) * slots
                                        : 0;
    long long sk_tiles = tiles - dp;
    long long iters = sk_tiles * steps;
    long long blocks = t->sk_slots < iters / SK_MIN_STEPS
                           ? t->sk_slots
                           : iters / SK_MIN_STEPS;
    if (blocks > t->max_partials + 1)
        blocks = t->max_partials + 1;
    /* whole tiles take ceil(tiles / slots) rounds of steps; stream-K
     * takes dp / slots of them, then ceil(iters / blocks) plus about two
     * steps to cut and join, each block sharing its multiprocessor with
     * fewer others where the stream-K kernel has fewer resident
     * (sk_slots / slots of a round) */
    const double whole = (double)((tiles + slots - 1) / slots * steps);
    const double sk = (double)(dp / slots * steps) +
                      (double)((iters + blocks - 1) / (blocks > 0 ? blocks
                                                                  : 1) +
                               2) *
                          t->sk_slots / slots;
    if (sk_tiles == 0 || blocks < 1 || iters >= INT_MAX ||
        sk > (1.0 - SK_MIN_GAIN) * whole) {
        dp = tiles;
        sk_tiles = 0;
        blocks = 0;
    }
    p->steps = steps;
    p->dp_tiles = (int)dp;
    p->sk_blocks = (int)blocks;
    p->sk_iters = sk_tiles * steps;
}

/* Tiles of a launch of `pixels` pixels of g groups. */
static long long tile_count(const i2w_cuda_tiling *t, int kg, int groups,
                            int pixels)
{
    return (long long)((kg + t->tile_m - 1) / t->tile_m) *
           ((pixels + BN - 1) / BN) * groups;
}

long long i2w_cuda_im2win_partials(const i2w_cuda_tiling *t, int kg,
                                   int groups, int pixels)
{
    i2w_cuda_gemm_args p;
    schedule(t, tile_count(t, kg, groups, pixels), &p);
    if (p.sk_blocks == 0)
        return 0;
    return (p.sk_blocks - 1) * (long long)t->tile_m * BN;
}

long long i2w_cuda_im2win_flags(const i2w_cuda_tiling *t, int kg, int groups,
                                int pixels)
{
    i2w_cuda_gemm_args p;
    schedule(t, tile_count(t, kg, groups, pixels), &p);
    if (p.sk_blocks == 0)
        return 0;
    return p.sk_blocks - 1 + p.sk_iters / p.steps;
}

/* Dynamic shared memory of the GEMM kernels: the reduction table, after
 * the cp.async stream-K kernels' run (run_s). */
static size_t table_bytes(int red_pad)
{
    return ((size_t)red_pad + 2) * sizeof(int);
}

/* Tile height (output channels per block) and reduction step for a
 * layer: the least estimated time in clocks.  A multiprocessor does 128
 * FMAs a clock shared by its resident blocks (occupancy from the CUDA
 * runtime), slowed for smaller tiles, which re-read the window more per
 * FMA (the speeds were fitted to H100 runs); the schedule above says how
 * many rounds of steps the blocks take.  Cut tiles add a write and two
 * reads of their partial sums at about 1700 bytes a clock, and the fixup
 * launch.  64- and 128-channel tiles of CHWN and CHWN8 take 16-deep
 * steps: half the barriers per FMA (H100, 64-channel CHWN: conv4 13.1 ->
 * 12.4 ms, conv9 0.645 -> 0.613 ms; H200, 128-channel CHWN once the cut
 * tiles were joined in the stream-K kernel: conv6 0.722 -> 0.667 ms,
 * conv10 0.591 -> 0.559, conv11 0.513 -> 0.479, conv12 0.377 -> 0.355,
 * conv5 1.344 -> 1.294); for NHWC the deeper step was no faster.  Cut
 * tiles are capped at 35% of the floats the
 * chunk's im2col matrix would take, so the workspace stays under 45% of
 * IM2COL_GEMM's (which also holds that matrix's product and the packed
 * filter), or at 16 tiles (1 MB at most) where that is less. */
i2w_status i2w_cuda_im2win_tiling(i2w_context *ctx, const i2w_shape *sh,
                                  int pixels, int red, int red_major, int vec,
                                  i2w_cuda_tiling *t)
{
    static const double speed[3] = {0.80, 0.95, 1.0};
    const i2w_cuda_ctx *cc = (const i2w_cuda_ctx *)ctx->priv;
    double best = -1.0;
    for (int i = 0; i < 3; i++) {
        i2w_cuda_tiling c;
        c.tile_m = tiles_m[i];
        c.step = c.tile_m >= 64 && (sh->layout == I2W_LAYOUT_CHWN ||
                                    sh->layout == I2W_LAYOUT_CHWN8)
                     ? 16
                     : 8;
        c.red_pad = (red + c.step - 1) / c.step * c.step;
        /* the table lives in dynamic shared memory beside the tile
         * buffers (static: their size depends on the device code's
         * architecture, so the kernels' attributes say it) */
        const size_t table = table_bytes(c.red_pad);
        const kernel_set *ks =
            kernels_for(c.tile_m, c.step, load_pattern(red_major, vec));
        cudaFuncAttributes attr[2];
        I2W_CUDA_TRY(ctx, cudaFuncGetAttributes(&attr[0], ks->gemm));
        I2W_CUDA_TRY(ctx, cudaFuncGetAttributes(&attr[1], ks->stream_k));
        if (attr[0].sharedSizeBytes + table > cc->smem_optin ||
            attr[1].sharedSizeBytes + table > cc->smem_optin)
            continue;
        /* resident blocks of each kernel (the stream-K one may hold
         * fewer: more registers) */
        int per_sm[2];
        for (int j = 0; j < 2; j++) {
            gemm_kernel k = j ? ks->stream_k : ks->gemm;
            I2W_CUDA_TRY(ctx, cudaFuncSetAttribute(
                                  k,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  (int)table));
            I2W_CUDA_TRY(ctx, cudaOccupancyMaxActiveBlocksPerMultiprocessor(
                                  &per_sm[j], k, c.tile_m * BN / 64, table));
        }
        if (per_sm[0] < 1)
            continue;
        /* No stream-K where its kernel spills (none does with ptxas 13.0
         * and the order table; with other orders the 128-channel run loop
         * left the FMA loop short of registers): spilled, it ran at 58% of
         * the peak where whole tiles ran at 75% or more (H200, conv11
         * CHWN: 0.511 -> 0.568 ms). */
        if (attr[1].localSizeBytes > 0)
            per_sm[1] = 0;
        c.slots = per_sm[0] * cc->sm_count;
        c.sk_slots = per_sm[1] * cc->sm_count;
        c.max_partials = (long long)(0.35 * red * (double)pixels) /
                         ((long long)c.tile_m * BN);
        if (c.max_partials < 16)
            c.max_partials = 16;
        i2w_cuda_gemm_args p;
        long long tiles = tile_count(&c, sh->kg, sh->g, pixels);
        schedule(&c, tiles, &p);
        double rounds =
            (double)((p.dp_tiles + c.slots - 1) / c.slots * p.steps) +
            (p.sk_blocks ? (double)((p.sk_iters + p.sk_blocks - 1) /
                                    p.sk_blocks) *
                               c.sk_slots / c.slots
                         : 0.0);
        double cost = rounds * per_sm[0] * c.tile_m * BN * c.step /
                      128.0 / speed[i];
        if (p.sk_blocks)
            cost += 3.0 * (double)i2w_cuda_im2win_partials(&c, sh->kg,
                                                           sh->g, pixels) *
                        sizeof(float) / 1700.0 +
                    5000.0;
        if (best < 0.0 || cost < best) {
            best = cost;
            *t = c;
        }
    }
    if (best < 0.0)
        return i2w_fail(ctx, I2W_ERR_UNSUPPORTED,
                        "IM2WIN on CUDA: the table of a reduction of %d "
                        "terms and the GEMM tiles need more shared memory "
                        "than the device's %zu bytes a block",
                        red, cc->smem_optin);
    return I2W_OK;
}

i2w_status i2w_cuda_im2win_gemm(i2w_context *ctx, i2w_cuda_gemm_args *args,
                                const i2w_cuda_tiling *t, int groups,
                                int red_major, int vec)
{
    const kernel_set *ks =
        kernels_for(t->tile_m, t->step, load_pattern(red_major, vec));
    cudaStream_t st = i2w_cuda_stream(ctx);
    size_t smem = table_bytes(args->red_pad);
    args->tiles_p = (args->pixels + BN - 1) / BN;
    args->tiles_m = args->kpad / t->tile_m;
    schedule(t, tile_count(t, args->kg, groups, args->pixels), args);
    const int threads = t->tile_m * BN / 64;
    /* the reduction table may pass the 48 KB default; the plan checked it
     * against the device's opt-in limit */
    if (args->dp_tiles > 0) {
        I2W_CUDA_TRY(ctx, cudaFuncSetAttribute(
                              ks->gemm,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              (int)smem));
        ks->gemm<<<(unsigned)args->dp_tiles, threads, smem, st>>>(*args);
        I2W_CUDA_LAUNCHED(ctx, "im2win GEMM");
    }
    if (args->sk_blocks == 0)
        return I2W_OK;
    I2W_CUDA_TRY(ctx, cudaFuncSetAttribute(
                          ks->stream_k,
                          cudaFuncAttributeMaxDynamicSharedMemorySize,
                          (int)smem));
    ks->stream_k<<<(unsigned)args->sk_blocks, threads, smem, st>>>(*args);
    I2W_CUDA_LAUNCHED(ctx, "im2win stream-K GEMM");
    ks->fixup<<<(unsigned)(args->sk_iters / args->steps), threads, 0, st>>>(
        *args);
    I2W_CUDA_LAUNCHED(ctx, "im2win stream-K fixup");
    return I2W_OK;
}
