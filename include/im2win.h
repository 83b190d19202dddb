/* im2win: FP32 convolution operators (forward, backward data, backward
 * filter) on a scalar reference backend, AVX2/AVX-512 OpenMP kernels and a
 * CUDA plugin, chosen at run time.  This header is the whole public API. */
#ifndef IM2WIN_H
#define IM2WIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define I2W_VERSION_MAJOR 0
#define I2W_VERSION_MINOR 1
#define I2W_VERSION_PATCH 0
/* MAJOR*10000 + MINOR*100 + PATCH, for compile-time comparisons */
#define I2W_VERSION \
    (I2W_VERSION_MAJOR * 10000 + I2W_VERSION_MINOR * 100 + I2W_VERSION_PATCH)

#if defined(I2W_BUILDING_LIBRARY) && defined(__GNUC__)
#define I2W_API __attribute__((visibility("default")))
#else
#define I2W_API
#endif

typedef enum {
    I2W_OK = 0,
    I2W_ERR_INVALID_ARGUMENT,
    I2W_ERR_UNSUPPORTED,
    I2W_ERR_OUT_OF_MEMORY,
    I2W_ERR_BACKEND_UNAVAILABLE,
    I2W_ERR_DEVICE,
    I2W_ERR_INTERNAL
} i2w_status;

typedef enum {
    I2W_BACKEND_AUTO = 0,
    I2W_BACKEND_REF,
    I2W_BACKEND_X86,
    I2W_BACKEND_CUDA
} i2w_backend;

typedef enum {
    I2W_LAYOUT_NCHW = 0,
    I2W_LAYOUT_NHWC,
    I2W_LAYOUT_CHWN,
    I2W_LAYOUT_CHWN8
} i2w_layout;

typedef enum {
    I2W_OP_FORWARD = 0,
    I2W_OP_BACKWARD_DATA,
    I2W_OP_BACKWARD_FILTER
} i2w_op;

typedef enum {
    I2W_ALGO_AUTO = 0,
    I2W_ALGO_DIRECT,
    I2W_ALGO_IM2COL_GEMM,
    I2W_ALGO_IM2WIN,
    I2W_ALGO_CONVV2,
    I2W_ALGO_ZERO_INSERT,
    I2W_ALGO_SUBKERNEL,
    I2W_ALGO_KS_DECONV,
    I2W_ALGO_SK_DILATED
} i2w_algo;

/* One convolution, described from the forward direction.  Activations
 * (x, y, dx, dy) use `layout`; filters use the matching filter layout:
 *   NCHW  x [N][C][H][W]          w [K][C/g][R][S]
 *   NHWC  x [N][H][W][C]          w [K][R][S][C/g]
 *   CHWN  x [C][H][W][N]          w [C/g][R][S][K]
 *   CHWN8 x [ceil(N/8)][C][H][W][8], w [C/g][R][S][K]
 * Output size: Ho = (H + 2*pad_h - dilation_h*(R-1) - 1) / stride_h + 1. */
typedef struct {
    int n, c, h, w;             /* input batch, channels, height, width */
    int k, r, s;                /* output channels, filter height, width */
    int stride_h, stride_w;     /* 0 means 1 */
    int pad_h, pad_w;
    int dilation_h, dilation_w; /* 0 means 1 */
    int groups;                 /* 0 means 1 */
    i2w_layout layout;
} i2w_conv_desc;

/* A transposed convolution (ConvTranspose2d) in its own terms: input
 * [N][c_in][h_in][w_in], weight [c_in][c_out/g][R][S] in NCHW terms (for the
 * other layouts, the filter layout of the equivalent forward convolution),
 * output h_out = (h_in-1)*stride_h - 2*pad_h + dilation_h*(R-1) + 1
 * + output_pad_h.  It is the backward-data pass of the forward convolution
 * that i2w_conv_transpose_as_forward() returns. */
typedef struct {
    int n, c_in, h_in, w_in;
    int c_out, r, s;
    int stride_h, stride_w;         /* 0 means 1 */
    int pad_h, pad_w;
    int output_pad_h, output_pad_w; /* each < its stride */
    int dilation_h, dilation_w;     /* 0 means 1 */
    int groups;                     /* 0 means 1 */
    i2w_layout layout;
} i2w_conv_transpose_desc;

typedef struct i2w_context i2w_context; /* one backend on one device */
typedef struct i2w_plan i2w_plan;       /* one op on one descriptor */

/* Version of the library actually loaded (I2W_VERSION form). */
I2W_API int i2w_version(void);

I2W_API i2w_status i2w_context_create(i2w_context **ctx, i2w_backend backend);
/* device: CUDA device index (ignored by host backends) */
I2W_API i2w_status i2w_context_create_device(i2w_context **ctx,
                                             i2w_backend backend, int device);
I2W_API void i2w_context_destroy(i2w_context *ctx);
I2W_API i2w_backend i2w_context_backend(const i2w_context *ctx);
/* e.g. "x86 avx512, 2 threads" */
I2W_API const char *i2w_context_describe(const i2w_context *ctx);
/* detail of the last failure on this context ("" when none) */
I2W_API const char *i2w_context_error(const i2w_context *ctx);
I2W_API const char *i2w_status_string(i2w_status status);
/* Detail of the last failure, in this thread, of a call that has no context
 * to keep it (i2w_context_create, i2w_conv_output_dims, i2w_tensor_bytes,
 * i2w_conv_transpose_as_forward); "" when none. */
I2W_API const char *i2w_last_error(void);
/* Threads used by host backends; 0 restores the default (OpenMP's). */
I2W_API i2w_status i2w_context_set_threads(i2w_context *ctx, int threads);
I2W_API int i2w_context_threads(const i2w_context *ctx);
/* CUDA: the cudaStream_t all work of this context is queued on (NULL =
 * the default stream).  Host backends accept only NULL. */
I2W_API i2w_status i2w_context_set_stream(i2w_context *ctx, void *stream);

/* Memory in the context's space: device memory for CUDA, 64-byte aligned
 * host memory otherwise. */
I2W_API i2w_status i2w_malloc(i2w_context *ctx, void **ptr, size_t bytes);
I2W_API void i2w_free(i2w_context *ctx, void *ptr);
I2W_API i2w_status i2w_upload(i2w_context *ctx, void *dst,
                              const void *host_src, size_t bytes);
I2W_API i2w_status i2w_download(i2w_context *ctx, void *host_dst,
                                const void *src, size_t bytes);
I2W_API i2w_status i2w_synchronize(i2w_context *ctx);

I2W_API i2w_status i2w_conv_output_dims(const i2w_conv_desc *d, int *ho,
                                        int *wo);
/* bytes of tensor 'x' (input), 'w' (filter) or 'y' (output); 0 when the
 * descriptor is invalid */
I2W_API size_t i2w_tensor_bytes(const i2w_conv_desc *d, char which);

/* One-shot calls; pointers live in the context's memory space; bias ([K])
 * may be NULL. */
I2W_API i2w_status i2w_conv_forward(i2w_context *ctx, const i2w_conv_desc *d,
                                    i2w_algo algo, const float *x,
                                    const float *w, const float *bias,
                                    float *y);
I2W_API i2w_status i2w_conv_backward_data(i2w_context *ctx,
                                          const i2w_conv_desc *d,
                                          i2w_algo algo, const float *dy,
                                          const float *w, float *dx);
I2W_API i2w_status i2w_conv_backward_filter(i2w_context *ctx,
                                            const i2w_conv_desc *d,
                                            i2w_algo algo, const float *x,
                                            const float *dy, float *dw);

/* Transposed convolution: y = conv_transpose(x, w) (+ bias[c_out]). */
I2W_API i2w_status i2w_conv_transpose_as_forward(
    const i2w_conv_transpose_desc *t, i2w_conv_desc *d);
I2W_API i2w_status i2w_conv_transpose(i2w_context *ctx,
                                      const i2w_conv_transpose_desc *t,
                                      i2w_algo algo, const float *x,
                                      const float *w, const float *bias,
                                      float *y);

/* Plans: choose the algorithm, size and allocate the workspace, once. */
I2W_API i2w_status i2w_plan_create(i2w_context *ctx, const i2w_conv_desc *d,
                                   i2w_op op, i2w_algo algo, i2w_plan **plan);
I2W_API i2w_algo i2w_plan_algo(const i2w_plan *plan);
/* Scratch memory the plan allocated at creation (cuDNN's "workspace").
 * Plans that repack the filter (x86 IM2WIN) hold that copy beside it:
 * about K * C/groups * R * S floats more. */
I2W_API size_t i2w_plan_workspace_bytes(const i2w_plan *plan);
/* FORWARD: a=x b=w out=y; BACKWARD_DATA: a=dy b=w out=dx;
 * BACKWARD_FILTER: a=x b=dy out=dw */
I2W_API i2w_status i2w_plan_execute(i2w_plan *plan, const float *a,
                                    const float *b, float *out);
/* FORWARD and BACKWARD_DATA plans: declare the filter w fixed for the
 * executes that follow (inference, or a layer whose weights do not change
 * between calls).  Backends that repack filters (x86 IM2WIN) do it once,
 * here, instead of in every execute; afterwards i2w_plan_execute and
 * i2w_plan_execute_bias may pass b = NULL to use it; passing a filter
 * explicitly again forgets the one set.  The caller keeps w valid and
 * unchanged while it is set. */
I2W_API i2w_status i2w_plan_set_filter(i2w_plan *plan, const float *w);
/* FORWARD only: as i2w_plan_execute, adding bias[K] (may be NULL). */
I2W_API i2w_status i2w_plan_execute_bias(i2w_plan *plan, const float *x,
                                         const float *w, const float *bias,
                                         float *y);
I2W_API void i2w_plan_destroy(i2w_plan *plan);

/* Activation tensor [n][c][h][w] from one layout to another. */
I2W_API i2w_status i2w_convert_layout(i2w_context *ctx, int n, int c, int h,
                                      int w, i2w_layout from, const float *src,
                                      i2w_layout to, float *dst);
/* Filter tensor of k output channels, c input channels per group, r x s,
 * from one layout's filter format to another's. */
I2W_API i2w_status i2w_convert_filter_layout(i2w_context *ctx, int k, int c,
                                             int r, int s, i2w_layout from,
                                             const float *src, i2w_layout to,
                                             float *dst);

I2W_API const char *i2w_algo_name(i2w_algo algo);
I2W_API const char *i2w_layout_name(i2w_layout layout);
I2W_API const char *i2w_backend_name(i2w_backend backend);

#ifdef __cplusplus
}
#endif

#endif /* IM2WIN_H */
