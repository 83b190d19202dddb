/* Internal contract between the backend-neutral front end (src/common) and
 * the backends (src/ref, src/x86, src/cuda).  The CUDA plugin is built
 * against this header alone: everything it needs from here is a type or a
 * static inline function, so the plugin has no link-time dependency on
 * libim2win. */
#ifndef I2W_INTERNAL_H
#define I2W_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "im2win.h"

#define I2W_HIDDEN __attribute__((visibility("hidden")))

/* Bump whenever i2w_backend_ops, i2w_context, i2w_plan or i2w_shape change
 * shape: the plugin loader refuses a plugin built against another ABI. */
#define I2W_BACKEND_ABI 2u

/* A validated descriptor with every default filled in and the derived
 * sizes computed.  Kernels read this, never the user's descriptor. */
typedef struct {
    int n, c, h, w;      /* input batch, channels, height, width */
    int k, r, s;         /* output channels, filter height, width */
    int sh, sw;          /* stride (>= 1) */
    int ph, pw;          /* padding (>= 0) */
    int dh, dw;          /* dilation (>= 1) */
    int g;               /* groups (>= 1) */
    int cg, kg;          /* input / output channels per group */
    int ho, wo;          /* output height, width */
    int nb;              /* batch as stored: n rounded up to 8 for CHWN8 */
    i2w_layout layout;
    size_t x_elems, w_elems, y_elems; /* element counts as stored */
} i2w_shape;

typedef enum { I2W_COPY_UPLOAD, I2W_COPY_DOWNLOAD } i2w_copy_dir;

typedef struct i2w_backend_ops i2w_backend_ops;

struct i2w_context {
    const i2w_backend_ops *ops;      /* the backend */
    const i2w_backend_ops *fallback; /* same memory space, used by AUTO when
                                        ops cannot do a request; or NULL */
    i2w_backend kind;
    int auto_backend; /* created with I2W_BACKEND_AUTO: may use fallback
                         for explicit algorithms too */
    int device;      /* CUDA device index */
    int threads;     /* host threads, >= 1 */
    void *stream;    /* cudaStream_t for CUDA, NULL otherwise */
    void *priv;      /* backend state */
    char describe[128]; /* set by the backend's init, e.g. "x86 avx512" */
    char summary[160];  /* describe plus the thread count, for the user */
    char error[512];
};

struct i2w_plan {
    i2w_context *ctx;
    const i2w_backend_ops *ops; /* backend that made the plan */
    i2w_shape shape;
    i2w_op op;
    i2w_algo algo;          /* resolved, never AUTO after creation */
    size_t workspace_bytes; /* what the backend allocated for this plan */
    void *workspace;        /* in the context's memory space, or NULL */
    void *priv;             /* backend state */
    const float *filter;    /* set by i2w_plan_set_filter, or NULL */
    int filter_packed;      /* the backend holds filter repacked: execute
                               gets b == NULL */
};

/* A backend: the front end reaches a backend only through this table. */
struct i2w_backend_ops {
    unsigned abi; /* I2W_BACKEND_ABI */
    i2w_backend kind;
    const char *name;
    /* Make ctx usable: set ctx->priv and ctx->describe.  A backend that
     * cannot run here returns I2W_ERR_BACKEND_UNAVAILABLE with the reason
     * in ctx->error. */
    i2w_status (*init)(i2w_context *ctx);
    void (*fini)(i2w_context *ctx);
    i2w_status (*mem_alloc)(i2w_context *ctx, void **ptr, size_t bytes);
    void (*mem_free)(i2w_context *ctx, void *ptr);
    i2w_status (*copy)(i2w_context *ctx, void *dst, const void *src,
                       size_t bytes, i2w_copy_dir dir);
    i2w_status (*synchronize)(i2w_context *ctx);
    /* NULL when the backend has no streams */
    i2w_status (*set_stream)(i2w_context *ctx, void *stream);
    /* plan->ctx, ops, shape, op and algo are set (algo may be AUTO, and is
     * valid for op).  Resolve AUTO, allocate plan->workspace, fill priv.
     * I2W_ERR_UNSUPPORTED (with a message) when this backend cannot do it;
     * then nothing may be left allocated. */
    i2w_status (*plan_create)(i2w_plan *plan);
    /* Inputs are valid, non-aliasing pointers of the plan's sizes; bias is
     * NULL or [K] (FORWARD only).  On failure the output is untouched or
     * fully written. */
    i2w_status (*plan_execute)(i2w_plan *plan, const float *a,
                               const float *b, const float *bias,
                               float *out);
    void (*plan_destroy)(i2w_plan *plan);
    /* Re-layout a 4-D tensor in the context's memory space: an activation
     * [d0=n][d1=c][d2=h][d3=w] when is_filter is 0, a filter
     * [d0=k][d1=c per group][d2=r][d3=s] when 1. */
    i2w_status (*convert)(i2w_context *ctx, int is_filter, int d0, int d1,
                          int d2, int d3, i2w_layout from, const float *src,
                          i2w_layout to, float *dst);
    /* FORWARD and BACKWARD_DATA plans: the filter w (valid, of the plan's
     * size) will stay the same for the coming executes.  A backend that
     * repacks it does so now and sets plan->filter_packed; from then on
     * plan_execute gets b == NULL.  NULL: the backend never repacks. */
    i2w_status (*plan_set_filter)(i2w_plan *plan, const float *w);
};

/* The CUDA plugin exports this one symbol; it returns NULL when built for
 * another ABI. */
typedef const i2w_backend_ops *(*i2w_plugin_entry_fn)(unsigned abi);
#define I2W_PLUGIN_ENTRY "i2w_cuda_plugin_entry"

/* Records a printf-style message as the context's last error and returns
 * status, so a failure path is one statement. */
static inline i2w_status i2w_fail(i2w_context *ctx, i2w_status status,
                                  const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline i2w_status i2w_fail(i2w_context *ctx, i2w_status status,
                                  const char *fmt, ...)
{
    if (ctx) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* Front-end services the host backends use (in libim2win only). */
I2W_HIDDEN i2w_status i2w_shape_from_desc(const i2w_conv_desc *d,
                                          i2w_shape *sh, char *msg,
                                          size_t msglen);
I2W_HIDDEN i2w_status i2w_host_alloc(i2w_context *ctx, void **ptr,
                                     size_t bytes);
I2W_HIDDEN void i2w_host_free(i2w_context *ctx, void *ptr);
I2W_HIDDEN i2w_status i2w_host_copy(i2w_context *ctx, void *dst,
                                    const void *src, size_t bytes,
                                    i2w_copy_dir dir);
I2W_HIDDEN i2w_status i2w_host_synchronize(i2w_context *ctx);

/* Backend tables compiled into libim2win. */
extern I2W_HIDDEN const i2w_backend_ops i2w_ref_backend;
extern I2W_HIDDEN const i2w_backend_ops i2w_x86_backend;

#endif /* I2W_INTERNAL_H */
