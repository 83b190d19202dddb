/* Shared declarations of the CUDA plugin (libim2win-cuda.so).  The plugin
 * is built from internal.h and layout.h alone: it uses their types and
 * static inline functions, never a libim2win symbol.  Every CUDA call goes
 * through i2w_cuda_check so a failure becomes I2W_ERR_DEVICE with the CUDA
 * error text in the context. */
#ifndef I2W_CUDA_PLUGIN_H
#define I2W_CUDA_PLUGIN_H

#include <cuda_runtime.h>

#include "common/internal.h"
#include "common/layout.h"

/* The stream all work of ctx goes to (NULL: the legacy default stream). */
static inline cudaStream_t i2w_cuda_stream(const i2w_context *ctx)
{
    return (cudaStream_t)ctx->stream;
}

static inline i2w_status i2w_cuda_check(i2w_context *ctx, cudaError_t err,
                                        const char *what)
{
    if (err == cudaSuccess)
        return I2W_OK;
    return i2w_fail(ctx, I2W_ERR_DEVICE, "%s: %s", what,
                    cudaGetErrorString(err));
}

/* Return from the calling function when a CUDA call fails. */
#define I2W_CUDA_TRY(ctx, call)                                          \
    do {                                                                 \
        i2w_status i2w_try_st_ = i2w_cuda_check((ctx), (call), #call);   \
        if (i2w_try_st_ != I2W_OK)                                       \
            return i2w_try_st_;                                          \
    } while (0)

/* Launch errors surface at the next runtime call: read them right away so
 * the failure is reported by the call that launched. */
#define I2W_CUDA_LAUNCHED(ctx, kernel_name)                              \
    do {                                                                 \
        i2w_status i2w_try_st_ = i2w_cuda_check(                         \
            (ctx), cudaGetLastError(), "launch of " kernel_name);        \
        if (i2w_try_st_ != I2W_OK)                                       \
            return i2w_try_st_;                                          \
    } while (0)

/* Element strides of a 4-D tensor in one layout, read off layout.h so the
 * plugin has no second copy of the layout definitions.  The batch (or, for
 * filters, the output channel) index is split into n/8 and n%8 so that
 * CHWN8 fits the same formula; for the other layouts nb = 8 * n8. */
typedef struct {
    long long nb, n8, c, h, w;
} i2w_cuda_strides;

I2W_HIDDEN i2w_cuda_strides i2w_cuda_act_strides(i2w_layout l, int n, int c,
                                                 int h, int w);
I2W_HIDDEN i2w_cuda_strides i2w_cuda_filter_strides(i2w_layout l, int k,
                                                    int c, int r, int s);

static __device__ __forceinline__ long long
i2w_cuda_offset(const i2w_cuda_strides &st, int n, int c, int h, int w)
{
    return (n >> 3) * st.nb + (n & 7) * st.n8 + c * st.c + h * st.h +
           w * st.w;
}

/* Division by a divisor fixed at plan time, as a multiply-high and a shift
 * (Granlund and Montgomery): index decompositions in the kernels cost a few
 * instructions instead of a full integer division.  Valid for n < 2^31. */
typedef struct {
    unsigned d, mul, shift;
} i2w_cuda_divisor;

I2W_HIDDEN i2w_cuda_divisor i2w_cuda_divisor_make(unsigned d);

static __device__ __forceinline__ unsigned
i2w_cuda_div(unsigned n, const i2w_cuda_divisor &v)
{
    return (__umulhi(n, v.mul) + n) >> v.shift;
}

/* Blocks for a grid-stride loop over `total` items: enough to fill any
 * GPU, capped so the index arithmetic stays far from overflow. */
static inline unsigned i2w_cuda_blocks(long long total, int threads)
{
    long long b = (total + threads - 1) / threads;
    return (unsigned)(b < 1 ? 1 : b > (1 << 20) ? (1 << 20) : b);
}

/* Backend state of a context. */
typedef struct {
    int sm_count;
    size_t smem_optin; /* shared memory a block may opt in to */
    void *cublas;      /* cublasHandle_t, made on first IM2COL_GEMM plan */
} i2w_cuda_ctx;

/* How the IM2WIN GEMM of a layer is cut (see im2win_gemm.cu): tile_m
 * output channels per block, reduction steps of `step` terms, the
 * reduction padded to red_pad (a whole number of steps); `slots` blocks
 * of the whole-tile kernel resident on the device at once, sk_slots of
 * the stream-K kernel; partial sums of at most max_partials tiles for
 * the pieces of tiles cut between stream-K blocks. */
typedef struct {
    int tile_m, step, red_pad, slots, sk_slots;
    long long max_partials;
} i2w_cuda_tiling;

/* Backend state of a plan: the execute function of its algorithm and the
 * pieces of plan->workspace that algorithm carved out. */
typedef struct i2w_cuda_plan i2w_cuda_plan;
typedef i2w_status (*i2w_cuda_execute_fn)(i2w_plan *plan, const float *a,
                                          const float *b, const float *bias,
                                          float *out);
struct i2w_cuda_plan {
    i2w_cuda_execute_fn execute;
    float *packed;   /* filter as [g][red_pad][kpad], reduction-major */
    float *buffer;   /* window (IM2WIN) or columns (IM2COL_GEMM) of a chunk */
    float *product;  /* IM2COL_GEMM: GEMM result of a chunk, [g][pix][kg] */
    int *red_win;    /* IM2WIN: window offset of each reduction index */
    int *red_filter; /* filter offset of each reduction index */
    int red, red_pad, kpad;
    int chunk;       /* images (stored batch entries) per chunk */
    i2w_cuda_tiling tiling; /* IM2WIN: how the GEMM is cut */
    float *partial;  /* IM2WIN: partial sums of the cut tiles */
    int *flags;      /* IM2WIN: which pieces and cut tiles are done */
    unsigned epoch;  /* IM2WIN: launches so far, the flags' mark of done */
    int red_major;   /* IM2WIN: B tile loaded along the reduction */
};

/* Workspace carving: each piece starts on a 256-byte boundary. */
static inline size_t i2w_cuda_align(size_t bytes)
{
    return (bytes + 255) & ~(size_t)255;
}

/* context.cu */
I2W_HIDDEN i2w_status i2w_cuda_init(i2w_context *ctx);
I2W_HIDDEN void i2w_cuda_fini(i2w_context *ctx);
I2W_HIDDEN i2w_status i2w_cuda_mem_alloc(i2w_context *ctx, void **ptr,
                                         size_t bytes);
I2W_HIDDEN void i2w_cuda_mem_free(i2w_context *ctx, void *ptr);
I2W_HIDDEN i2w_status i2w_cuda_copy(i2w_context *ctx, void *dst,
                                    const void *src, size_t bytes,
                                    i2w_copy_dir dir);
I2W_HIDDEN i2w_status i2w_cuda_synchronize(i2w_context *ctx);
I2W_HIDDEN i2w_status i2w_cuda_set_stream(i2w_context *ctx, void *stream);

/* plan.cu */
I2W_HIDDEN i2w_status i2w_cuda_plan_create(i2w_plan *plan);
I2W_HIDDEN i2w_status i2w_cuda_plan_execute(i2w_plan *plan, const float *a,
                                            const float *b,
                                            const float *bias, float *out);
I2W_HIDDEN void i2w_cuda_plan_destroy(i2w_plan *plan);
/* Allocate plan->workspace of `bytes` (none when 0). */
I2W_HIDDEN i2w_status i2w_cuda_plan_workspace(i2w_plan *plan, size_t bytes);

/* convert.cu */
I2W_HIDDEN i2w_status i2w_cuda_convert(i2w_context *ctx, int is_filter,
                                       int d0, int d1, int d2, int d3,
                                       i2w_layout from, const float *src,
                                       i2w_layout to, float *dst);

/* direct_*.cu: the DIRECT algorithm of each op */
I2W_HIDDEN i2w_status i2w_cuda_direct_forward(i2w_plan *plan, const float *x,
                                              const float *w,
                                              const float *bias, float *y);
I2W_HIDDEN i2w_status i2w_cuda_direct_backward_data(i2w_plan *plan,
                                                    const float *dy,
                                                    const float *w,
                                                    const float *bias,
                                                    float *dx);
I2W_HIDDEN i2w_status i2w_cuda_direct_backward_filter(i2w_plan *plan,
                                                      const float *x,
                                                      const float *dy,
                                                      const float *bias,
                                                      float *dw);

/* reduction.cu: the reduction index order of the GEMM-based algorithms */
I2W_HIDDEN i2w_status i2w_cuda_reduction_tables(i2w_plan *plan,
                                                int channel_fastest,
                                                const i2w_cuda_strides *win);

/* pack_filter.cu: filter to [g][red_pad][kpad] through red_filter */
I2W_HIDDEN i2w_status i2w_cuda_pack_filter(i2w_plan *plan, const float *w);

/* im2win_*.cu */
I2W_HIDDEN i2w_status i2w_cuda_im2win_plan(i2w_plan *plan);
I2W_HIDDEN i2w_status i2w_cuda_im2win_window(
    i2w_context *ctx, const float *x, float *win, int planes, int unit,
    const i2w_shape *sh, int hq, int wq);
/* Geometry of one chunk for the implicit GEMM over the window. */
typedef struct {
    const float *win;   /* window of the chunk */
    const float *a;     /* packed filter */
    const int *red_win; /* window offset of each reduction index, -1 pads */
    const float *bias;  /* [K] or NULL */
    float *y;           /* output, at the chunk's first image */
    float *partial;     /* stream-K: partial sums of the cut tiles */
    /* stream-K: flag c - 1 set when block c's piece is in its slot of
     * partial, flag sk_blocks - 1 + ts when stream-K tile ts is whole in
     * y; set means equal to epoch, this launch's mark */
    int *flags;
    int epoch;
    int kg, kpad, red_pad;
    int pixels;         /* output pixels of the chunk (stored images) */
    /* set by i2w_cuda_im2win_gemm: tiles along pixels and channels, steps
     * per tile, whole tiles, stream-K blocks and the steps they share */
    int tiles_p, tiles_m, steps, dp_tiles, sk_blocks;
    long long sk_iters;
    int sh, sw;         /* stride: output row ho reads window row ho*sh */
    i2w_cuda_divisor n_inner, div_wo, div_ho; /* pixel order, see gemm */
    long long win_group; /* window offset from one group to the next */
    i2w_cuda_strides win_st, y_st;
} i2w_cuda_gemm_args;
/* im2win_gemm.cu: the least-cost tiling of a layer for B loads along the
 * reduction (red_major) or pixels, 16 bytes at a time when vec. */
I2W_HIDDEN i2w_status i2w_cuda_im2win_tiling(i2w_context *ctx,
                                             const i2w_shape *sh, int pixels,
                                             int red, int red_major, int vec,
                                             i2w_cuda_tiling *t);
/* Floats of partial sums, and flags, a launch of `pixels` pixels needs. */
I2W_HIDDEN long long i2w_cuda_im2win_partials(const i2w_cuda_tiling *t,
                                              int kg, int groups,
                                              int pixels);
I2W_HIDDEN long long i2w_cuda_im2win_flags(const i2w_cuda_tiling *t, int kg,
                                           int groups, int pixels);
/* Runs the GEMM of one chunk with the tiling's kernels (B loads along the
 * reduction or pixels, 16 bytes at a time when vec): whole tiles, then,
 * where the schedule has them, the stream-K blocks (which join the
 * tiles they cut) and the fixup of any cut tile whose join timed out. */
I2W_HIDDEN i2w_status i2w_cuda_im2win_gemm(i2w_context *ctx,
                                           i2w_cuda_gemm_args *args,
                                           const i2w_cuda_tiling *t,
                                           int groups, int red_major,
                                           int vec);

/* im2col_gemm.cu and cublas.cu */
I2W_HIDDEN i2w_status i2w_cuda_im2col_plan(i2w_plan *plan);
/* Load cuBLAS (once per process) and make ctx's handle (once per
 * context); I2W_ERR_UNSUPPORTED with the reason when it is not there. */
I2W_HIDDEN i2w_status i2w_cuda_cublas_load(i2w_context *ctx);
I2W_HIDDEN void i2w_cuda_cublas_release(i2w_cuda_ctx *cc);
/* C[g] (kg x pixels, column-major with ld kg) = A[g] B[g]^T in cuBLAS
 * terms: A[g] is [red][kg] reduction-major, B[g] is [red][pixels]. */
I2W_HIDDEN i2w_status i2w_cuda_cublas_gemm(i2w_context *ctx, int kg,
                                           int pixels, int red, int groups,
                                           const float *a, long long a_step,
                                           const float *b, long long b_step,
                                           float *c, long long c_step);

#endif /* I2W_CUDA_PLUGIN_H */
