/* Memory in the context's space, forwarded to the backend after the
 * arguments are checked. */
#include "common/front.h"

#define NEED_CTX(fn) \
    if (!ctx) \
        return i2w_last_fail(I2W_ERR_INVALID_ARGUMENT, fn ": 'ctx' is NULL")

i2w_status i2w_malloc(i2w_context *ctx, void **ptr, size_t bytes)
{
    NEED_CTX("i2w_malloc");
    if (!ptr)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "i2w_malloc: 'ptr' is NULL");
    if (bytes == 0)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT,
                        "i2w_malloc: bytes = 0 invalid: must be >= 1");
    return ctx->ops->mem_alloc(ctx, ptr, bytes);
}

void i2w_free(i2w_context *ctx, void *ptr)
{
    if (ctx && ptr)
        ctx->ops->mem_free(ctx, ptr);
}

/* names: what the public call calls its destination and source */
static i2w_status copy(i2w_context *ctx, void *dst, const void *src,
                       size_t bytes, i2w_copy_dir dir, const char *fn,
                       const char *const names[2])
{
    if (!dst || !src)
        return i2w_fail(ctx, I2W_ERR_INVALID_ARGUMENT, "%s: '%s' is NULL",
                        fn, names[dst != NULL]);
    if (bytes == 0)
        return I2W_OK;
    return ctx->ops->copy(ctx, dst, src, bytes, dir);
}

i2w_status i2w_upload(i2w_context *ctx, void *dst, const void *host_src,
                      size_t bytes)
{
    NEED_CTX("i2w_upload");
    static const char *const names[2] = {"dst", "host_src"};
    return copy(ctx, dst, host_src, bytes, I2W_COPY_UPLOAD, "i2w_upload",
                names);
}

i2w_status i2w_download(i2w_context *ctx, void *host_dst, const void *src,
                        size_t bytes)
{
    NEED_CTX("i2w_download");
    static const char *const names[2] = {"host_dst", "src"};
    return copy(ctx, host_dst, src, bytes, I2W_COPY_DOWNLOAD, "i2w_download",
                names);
}

i2w_status i2w_synchronize(i2w_context *ctx)
{
    NEED_CTX("i2w_synchronize");
    return ctx->ops->synchronize(ctx);
}
