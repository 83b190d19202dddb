/* Contexts and the dispatcher's backend choice: AUTO takes CUDA when the
 * plugin loads and finds a device, else x86 when the CPU has AVX2+FMA,
 * else the reference; IM2WIN_BACKEND overrides AUTO. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "common/front.h"
#include "config.h"

static int default_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* The thread count matters only to the multithreaded host backend. */
static void summarize(i2w_context *ctx)
{
    if (ctx->kind == I2W_BACKEND_X86)
        snprintf(ctx->summary, sizeof ctx->summary, "%s, %d thread%s",
                 ctx->describe, ctx->threads, ctx->threads == 1 ? "" : "s");
    else
        snprintf(ctx->summary, sizeof ctx->summary, "%s", ctx->describe);
}

/* The table of a backend compiled into this library, or NULL with why. */
static const i2w_backend_ops *builtin(i2w_backend b, char *why, size_t len)
{
    if (b == I2W_BACKEND_REF)
        return &i2w_ref_backend;
#ifdef I2W_HAVE_X86
    (void)why;
    (void)len;
    return &i2w_x86_backend;
#else
    snprintf(why, len, "the x86 backend is not compiled into this build");
    return NULL;
#endif
}

/* A ready context of backend b, or a status with the reason in why. */
static i2w_status open_backend(i2w_backend b, int device, i2w_context **out,
                               char *why, size_t len)
{
    const i2w_backend_ops *ops = b == I2W_BACKEND_CUDA
                                     ? i2w_cuda_plugin_load(why, len)
                                     : builtin(b, why, len);
    if (!ops)
        return I2W_ERR_BACKEND_UNAVAILABLE;
    i2w_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        snprintf(why, len, "out of memory creating a context");
        return I2W_ERR_OUT_OF_MEMORY;
    }
    ctx->ops = ops;
    ctx->kind = b;
    ctx->device = device;
    ctx->threads = default_threads();
    /* host backends share a memory space, so the reference can stand in
     * for whatever the x86 kernels decline */
    ctx->fallback = b == I2W_BACKEND_X86 ? &i2w_ref_backend : NULL;
    i2w_status st = ops->init(ctx);
    if (st) {
        snprintf(why, len, "%s backend: %s", ops->name, ctx->error);
        free(ctx);
        return st;
    }
    summarize(ctx);
    *out = ctx;
    return I2W_OK;
}

static const char *const env_names[] = {"ref", "x86", "cuda"};

static i2w_status choose(i2w_backend *b)
{
    const char *env = getenv("IM2WIN_BACKEND");
    if (*b != I2W_BACKEND_AUTO || !env || !*env || !strcmp(env, "auto"))
        return I2W_OK;
    for (int i = 0; i < 3; i++)
        if (!strcmp(env, env_names[i])) {
            *b = (i2w_backend)(I2W_BACKEND_REF + i);
            return I2W_OK;
        }
    return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                         "environment IM2WIN_BACKEND = '%s' invalid: must "
                         "be auto, ref, x86 or cuda", env);
}

i2w_status i2w_context_create_device(i2w_context **ctx, i2w_backend backend,
                                     int device)
{
    char why[600] = "";
    i2w_last_clear();
    if (!ctx)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_context_create: 'ctx' is NULL");
    if ((unsigned)backend > I2W_BACKEND_CUDA)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_context_create: backend = %d invalid",
                             (int)backend);
    if (device < 0)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_context_create: device = %d invalid: "
                             "must be >= 0", device);
    *ctx = NULL; /* a failed call leaves no stale handle behind */
    i2w_backend asked = backend;
    i2w_status st = choose(&backend);
    if (st)
        return st;
    if (backend != I2W_BACKEND_AUTO) {
        st = open_backend(backend, device, ctx, why, sizeof why);
        if (st)
            return i2w_last_fail(st, "%s%s", why,
                                 asked == I2W_BACKEND_AUTO
                                     ? " (asked for by IM2WIN_BACKEND)"
                                     : "");
        return I2W_OK;
    }
    /* AUTO: the first backend that opens, best first */
    static const i2w_backend order[] = {I2W_BACKEND_CUDA, I2W_BACKEND_X86,
                                        I2W_BACKEND_REF};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        st = open_backend(order[i], device, ctx, why, sizeof why);
        if (st == I2W_OK) {
            (*ctx)->auto_backend = 1;
            return I2W_OK;
        }
        if (st == I2W_ERR_OUT_OF_MEMORY)
            return i2w_last_fail(st, "%s", why);
    }
    return i2w_last_fail(st, "%s", why);
}

i2w_status i2w_context_create(i2w_context **ctx, i2w_backend backend)
{
    return i2w_context_create_device(ctx, backend, 0);
}

void i2w_context_destroy(i2w_context *ctx)
{
    if (!ctx)
        return;
    ctx->ops->fini(ctx);
    free(ctx);
}

i2w_backend i2w_context_backend(const i2w_context *ctx)
{
    return ctx ? ctx->kind : I2W_BACKEND_AUTO;
}

const char *i2w_context_describe(const i2w_context *ctx)
{
    return ctx ? ctx->summary : "(null context)";
}

const char *i2w_context_error(const i2w_context *ctx)
{
    return ctx ? ctx->error : "(null context)";
}

i2w_status i2w_context_set_threads(i2w_context *ctx, int threads)
{
    if (!ctx)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_context_set_threads: 'ctx' is NULL");
    if (threads < 0)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "i2w_context_set_threads: threads = %d invalid: "
                        "must be >= 0 (0 = default)", threads);
    ctx->threads = threads ? threads : default_threads();
    summarize(ctx);
    return I2W_OK;
}

int i2w_context_threads(const i2w_context *ctx)
{
    return ctx ? ctx->threads : 0;
}

i2w_status i2w_context_set_stream(i2w_context *ctx, void *stream)
{
    if (!ctx)
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT,
                             "i2w_context_set_stream: 'ctx' is NULL");
    if (!ctx->ops->set_stream) {
        if (stream)
            return i2w_fail(ctx, I2W_ERR_UNSUPPORTED,
                            "i2w_context_set_stream: the %s backend has no "
                            "streams (only NULL is accepted)",
                            ctx->ops->name);
        return I2W_OK;
    }
    return ctx->ops->set_stream(ctx, stream);
}
