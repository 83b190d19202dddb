/* Host memory for the ref and x86 backends: 64-byte aligned so every
 * vector load of a kernel can be aligned when its offset is. */
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"

i2w_status i2w_host_alloc(i2w_context *ctx, void **ptr, size_t bytes)
{
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded < bytes)
        return i2w_fail(ctx, I2W_ERR_OUT_OF_MEMORY,
                        "allocation of %zu bytes overflows", bytes);
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p)
        return i2w_fail(ctx, I2W_ERR_OUT_OF_MEMORY,
                        "out of host memory allocating %zu bytes", bytes);
    *ptr = p;
    return I2W_OK;
}

void i2w_host_free(i2w_context *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}

i2w_status i2w_host_copy(i2w_context *ctx, void *dst, const void *src,
                         size_t bytes, i2w_copy_dir dir)
{
    (void)ctx;
    (void)dir; /* host memory both ways */
    memcpy(dst, src, bytes);
    return I2W_OK;
}

i2w_status i2w_host_synchronize(i2w_context *ctx)
{
    (void)ctx; /* every host call has finished when it returns */
    return I2W_OK;
}
