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
 * FMAs so their latency hides behind them; 16-byte loads for A.  FP32 FMA
 * throughout.  Template parameters generate the tile shapes the heuristic
 * picks from and the two B load patterns.  Layers with too few tiles to
 * fill the GPU split the reduction into slices whose partial sums a
 * second kernel adds in a fixed order (deterministic, no atomics). */
#include "cuda/plugin.h"

#define BN 128 /* pixels per block */
/* Blocks of 256 threads per multiprocessor the registers allow (125-168
 * registers a thread): the launch bounds cap registers to keep two. */
#define MIN_BLOCKS 2
/* Share of a partial last wave's idle time the tiling heuristic charges
 * (blocks start as others finish, so less than all of it). */
#ifndef TAIL
#define TAIL 0.5
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

/* Where the outputs of pixel pix go, at channel 0: y, or the slice's
 * partial sums when the reduction is split; *k_step to the next channel. */
static __device__ __forceinline__ float *
output_at(const i2w_cuda_gemm_args &p, unsigned pix, int slice, int k_total,
          long long *k_step)
{
    if (p.splits > 1) {
        *k_step = p.pixels;
        return p.partial + (size_t)slice * k_total * p.pixels + pix;
    }
    pixel q = decompose(p, pix);
    *k_step = p.y_st.c;
    return p.y + i2w_cuda_offset(p.y_st, q.n, 0, q.ho, q.wo);
}

/* How a block loads its B tile: along pixels (the window's pixels are
 * its fastest dimension: NCHW, CHWN, CHWN8) or along the reduction (NHWC,
 * whose channels are fastest), one float at a time or four (16 bytes) at
 * a time where four consecutive indices are adjacent in the window (see
 * vector_loads in im2win_plan.cu). */
enum { LOAD_PIX, LOAD_PIX4, LOAD_RED, LOAD_RED4 };

template <int BM, int BK, int LOAD>
__global__ void __launch_bounds__(BM * BN / 64, MIN_BLOCKS)
i2w_cuda_im2win_gemm_kernel(const i2w_cuda_gemm_args p)
{
    constexpr int T = BM * BN / 64; /* threads: 64 outputs each */
    constexpr bool RED_MAJOR = LOAD == LOAD_RED || LOAD == LOAD_RED4;
    /* floats per load along the reduction (VR) and along pixels (VP) */
    constexpr int VR = LOAD == LOAD_RED4 ? 4 : 1;
    constexpr int VP = LOAD == LOAD_PIX4 ? 4 : 1;
    /* B rows padded by one 16-byte vector: the red-major stores put 8
     * consecutive threads on 8 rows of one column */
    constexpr int BNP = BN + 4;
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

    extern __shared__ int red_s[];
    __shared__ __align__(16) float as[2][BK][BM];
    __shared__ __align__(16) float bs[2][BK][BNP];

    const int tid = threadIdx.x;
    const int m0 = blockIdx.y * BM;
    const int p0 = blockIdx.x * BN;
    const int g = blockIdx.z / p.splits;
    const int slice = blockIdx.z - g * p.splits;
    const int first = slice * p.split_steps;
    const int steps = min(p.split_steps, p.red_pad / BK - first);
    const float *a = p.a + (size_t)g * p.red_pad * p.kpad + m0;
    const float *win = p.win + g * p.win_group;

    for (int i = tid; i < p.red_pad; i += T)
        red_s[i] = p.red_win[i];

    const int tp = RED_MAJOR ? tid / B_TR : tid % B_TP;
    const int tr = RED_MAJOR ? tid % B_TR : tid / B_TP;
    int poff[B_NP];
#pragma unroll
    for (int i = 0; i < B_NP; i++) {
        unsigned pix = (unsigned)(p0 + (tp + i * B_TP) * VP);
        poff[i] = 0; /* past the end: any valid address, never stored */
        if (pix < (unsigned)p.pixels) {
            pixel q = decompose(p, pix);
            poff[i] = (int)((q.n >> 3) * p.win_st.nb +
                            (q.n & 7) * p.win_st.n8 +
                            (long long)q.ho * p.sh * p.win_st.h +
                            (long long)q.wo * p.sw * p.win_st.w);
        }
    }

    const int tx = tid % (BN / 8), ty = tid / (BN / 8);
    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++)
            acc[i][j] = 0.0f;
    float4 areg[A_V];
    float4 breg[B_NR][B_NP]; /* .x only for scalar loads */

    __syncthreads(); /* red_s */

    auto load = [&](int step) {
        int k0 = (first + step) * BK;
#pragma unroll
        for (int v = 0; v < A_V; v++) {
            int e = tid + v * T;
            areg[v] = __ldg((const float4 *)(a + (size_t)(k0 + e / (BM / 4)) *
                                                     p.kpad +
                                             e % (BM / 4) * 4));
        }
#pragma unroll
        for (int j = 0; j < B_NR; j++) {
            /* a vector's VR indices are all inside the reduction or all
             * in its padding (the reduction is a multiple of 4 then) */
            int ro = red_s[k0 + (tr + j * B_TR) * VR];
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
            *(float4 *)&as[buf][e / (BM / 4)][e % (BM / 4) * 4] = areg[v];
        }
#pragma unroll
        for (int j = 0; j < B_NR; j++)
#pragma unroll
            for (int i = 0; i < B_NP; i++) {
                int row = (tr + j * B_TR) * VR;
                int col = column((tp + i * B_TP) * VP);
                if (VP == 4) {
                    *(float4 *)&bs[buf][row][col] = breg[j][i];
                } else if (VR == 4) {
                    bs[buf][row][col] = breg[j][i].x;
                    bs[buf][row + 1][col] = breg[j][i].y;
                    bs[buf][row + 2][col] = breg[j][i].z;
                    bs[buf][row + 3][col] = breg[j][i].w;
                } else {
                    bs[buf][row][col] = breg[j][i].x;
                }
            }
    };

    load(0);
    store(0);
    __syncthreads();
    for (int kt = 0; kt < steps; kt++) {
        const int cur = kt & 1;
        /* Unconditional, so the compiler cannot sink the loads below the
         * FMAs to their stores (it did, exposing their whole latency);
         * the last step reloads its own tile into the idle buffer. */
        load(kt + 1 < steps ? kt + 1 : kt);
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float4 a0 = *(const float4 *)&as[cur][kk][ty * 4];
            float4 a1 = *(const float4 *)&as[cur][kk][BM / 2 + ty * 4];
            float4 b0 = *(const float4 *)&bs[cur][kk][tx * 4];
            float4 b1 = *(const float4 *)&bs[cur][kk][BN / 2 + tx * 4];
            const float av[8] = {a0.x, a0.y, a0.z, a0.w,
                                 a1.x, a1.y, a1.z, a1.w};
            const float bv[8] = {b0.x, b0.y, b0.z, b0.w,
                                 b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++)
                    acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        /* the other buffer was last read before the previous barrier */
        store(cur ^ 1);
        __syncthreads();
    }

    const int k_total = gridDim.z / p.splits * p.kg;
    /* output channel of accumulator row i (-1 past kg) and its bias (the
     * slices' sum adds it when the reduction is split) */
    auto channel = [&](int i, float *b) {
        int m = m0 + (i >> 2) * (BM / 2) + ty * 4 + (i & 3);
        if (m >= p.kg)
            return -1;
        int k = g * p.kg + m;
        *b = p.splits == 1 && p.bias ? p.bias[k] : 0.0f;
        return k;
    };
    if (LOAD == LOAD_PIX4) {
        /* 4 consecutive pixels of one channel per 16-byte store: the
         * pixel groups never straddle an image group (see vector_loads) */
#pragma unroll
        for (int h = 0; h < 2; h++) {
            unsigned pix = (unsigned)(p0 + h * (BN / 2) + tx * 4);
            if (pix >= (unsigned)p.pixels)
                continue;
            long long k_step;
            float *y = output_at(p, pix, slice, k_total, &k_step);
#pragma unroll
            for (int i = 0; i < 8; i++) {
                float b;
                int k = channel(i, &b);
                if (k < 0)
                    continue;
                *(float4 *)(y + k * k_step) = make_float4(
                    acc[i][h * 4] + b, acc[i][h * 4 + 1] + b,
                    acc[i][h * 4 + 2] + b, acc[i][h * 4 + 3] + b);
            }
        }
        return;
    }
    /* NHWC output keeps channels fastest: a thread's 4 consecutive
     * channels of a pixel go out as one 16-byte store when aligned */
    const bool vec = RED_MAJOR && p.splits == 1 && p.y_st.c == 1 &&
                     p.kg % 4 == 0 && ((size_t)p.y & 15) == 0 &&
                     ((size_t)p.bias & 15) == 0;
#pragma unroll
    for (int j = 0; j < 8; j++) {
        unsigned pix = (unsigned)(p0 + (j >> 2) * (BN / 2) +
                                  (PERMUTED ? tx + 16 * (j & 3)
                                            : tx * 4 + (j & 3)));
        if (pix >= (unsigned)p.pixels)
            continue;
        long long k_step;
        float *y = output_at(p, pix, slice, k_total, &k_step);
        if (vec) {
#pragma unroll
            for (int h = 0; h < 2; h++) {
                int m = m0 + h * (BM / 2) + ty * 4;
                if (m >= p.kg)
                    continue;
                int k = g * p.kg + m;
                float4 b = p.bias ? *(const float4 *)(p.bias + k)
                                  : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                *(float4 *)(y + k) =
                    make_float4(acc[h * 4][j] + b.x, acc[h * 4 + 1][j] + b.y,
                                acc[h * 4 + 2][j] + b.z,
                                acc[h * 4 + 3][j] + b.w);
            }
            continue;
        }
#pragma unroll
        for (int i = 0; i < 8; i++) {
            float b;
            int k = channel(i, &b);
            if (k >= 0)
                y[k * k_step] = acc[i][j] + b;
        }
    }
}

/* Sum of the reduction slices, slice 0 first, plus bias, into y. */
__global__ void i2w_cuda_im2win_split_sum_kernel(const i2w_cuda_gemm_args p,
                                                 int k_total)
{
    long long total = (long long)k_total * p.pixels;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
         i < total; i += (long long)gridDim.x * blockDim.x) {
        int k = (int)(i / p.pixels);
        unsigned pix = (unsigned)(i - (long long)k * p.pixels);
        float v = p.bias ? p.bias[k] : 0.0f;
        for (int s = 0; s < p.splits; s++)
            v += p.partial[s * total + i];
        pixel q = decompose(p, pix);
        p.y[i2w_cuda_offset(p.y_st, q.n, k, q.ho, q.wo)] = v;
    }
}

typedef void (*gemm_kernel)(const i2w_cuda_gemm_args);

/* [tile_m 32, 64, 128][load pattern], 8-deep steps */
#define I2W_GEMM_KERNELS(bm)                                             \
    {                                                                    \
        i2w_cuda_im2win_gemm_kernel<bm, 8, LOAD_PIX>,                    \
            i2w_cuda_im2win_gemm_kernel<bm, 8, LOAD_PIX4>,               \
            i2w_cuda_im2win_gemm_kernel<bm, 8, LOAD_RED>,                \
            i2w_cuda_im2win_gemm_kernel<bm, 8, LOAD_RED4>                \
    }
static const gemm_kernel kernels[3][4] = {
    I2W_GEMM_KERNELS(32), I2W_GEMM_KERNELS(64), I2W_GEMM_KERNELS(128)};
/* 64-channel tiles of the pixel-major layouts whose images are fastest,
 * 16-deep steps: [load pattern PIX, PIX4] */
static const gemm_kernel kernels_deep[2] = {
    i2w_cuda_im2win_gemm_kernel<64, 16, LOAD_PIX>,
    i2w_cuda_im2win_gemm_kernel<64, 16, LOAD_PIX4>};

/* Tile height (output channels per block), reduction step and slices
 * for a layer: the least estimated time in clocks.  Resident blocks hold
 * 256 output channels' worth of 128-pixel tiles per multiprocessor
 * whatever the tile height (two blocks of 128, four of 64, eight of 32),
 * so a wave of blocks doing `per` 8-deep steps takes 256 * 128 * 8 * per
 * FMAs at 128 a clock, slowed for smaller tiles (they re-read the window
 * more per FMA: the speeds were fitted to H100 runs); a partial last wave
 * costs about half of its idle part.  Slices add a write and a read of
 * their partial sums at about 1700 bytes a clock.  64-channel tiles of
 * CHWN and CHWN8 take 16-deep steps: half the barriers per FMA (H100,
 * CHWN: conv4 13.1 -> 12.4 ms, conv9 0.645 -> 0.613 ms); for 128-channel
 * tiles and for NHWC the deeper step was no faster or slower. */
void i2w_cuda_im2win_tiling(const i2w_shape *sh, int pixels, int red,
                            int sm_count, i2w_cuda_tiling *t)
{
    static const int tiles[3] = {32, 64, 128};
    static const double speed[3] = {0.80, 0.95, 1.0};
    int steps = (red + 7) / 8;
    double best = -1.0;
    for (int i = 0; i < 3; i++) {
        long long mt = (sh->kg + tiles[i] - 1) / tiles[i];
        long long blocks = mt * ((pixels + BN - 1) / BN) * sh->g;
        long long slots = (long long)sm_count * 256 / tiles[i];
        for (int sp = 1; sp <= 16 && sp <= steps; sp++) {
            int per = (steps + sp - 1) / sp;
            if ((steps + per - 1) / per != sp)
                continue; /* an empty slice: the same as fewer */
            double w = (double)(blocks * sp) / (double)slots;
            /* blocks start as others finish: half a wave of tail */
            double cost = ((w < 1.0 ? 1.0 : w) + TAIL * (ceil(w) - w)) *
                          2048.0 * per / speed[i];
            if (sp > 1)
                cost += (sp + 1.0) * sh->k * (double)pixels * 8.0 / 1700.0;
            if (best < 0.0 || cost < best) {
                best = cost;
                t->tile_m = tiles[i];
                t->splits = sp;
            }
        }
    }
    t->step = t->tile_m == 64 && (sh->layout == I2W_LAYOUT_CHWN ||
                                  sh->layout == I2W_LAYOUT_CHWN8)
                  ? 16
                  : 8;
    steps = (red + t->step - 1) / t->step;
    t->red_pad = steps * t->step;
    t->split_steps = (steps + t->splits - 1) / t->splits;
    t->splits = (steps + t->split_steps - 1) / t->split_steps;
}

i2w_status i2w_cuda_im2win_gemm(i2w_context *ctx,
                                const i2w_cuda_gemm_args *args, int groups,
                                int tile_m, int step, int red_major, int vec)
{
    int load = red_major ? (vec ? LOAD_RED4 : LOAD_RED)
                         : (vec ? LOAD_PIX4 : LOAD_PIX);
    gemm_kernel k =
        step == 16 ? kernels_deep[load == LOAD_PIX4]
                   : kernels[tile_m == 32 ? 0 : tile_m == 64 ? 1 : 2][load];
    cudaStream_t st = i2w_cuda_stream(ctx);
    size_t smem = (size_t)args->red_pad * sizeof(int);
    /* the reduction table may pass the 48 KB default; the plan checked it
     * against the device's opt-in limit */
    I2W_CUDA_TRY(ctx, cudaFuncSetAttribute(
                          k, cudaFuncAttributeMaxDynamicSharedMemorySize,
                          (int)smem));
    dim3 grid((unsigned)((args->pixels + BN - 1) / BN),
              (unsigned)(args->kpad / tile_m),
              (unsigned)(groups * args->splits));
    k<<<grid, tile_m * BN / 64, smem, st>>>(*args);
    I2W_CUDA_LAUNCHED(ctx, "im2win GEMM");
    if (args->splits == 1)
        return I2W_OK;
    int k_total = groups * args->kg;
    long long total = (long long)k_total * args->pixels;
    i2w_cuda_im2win_split_sum_kernel<<<i2w_cuda_blocks(total, 256), 256, 0,
                                       st>>>(*args, k_total);
    I2W_CUDA_LAUNCHED(ctx, "im2win split sum");
    return I2W_OK;
}
