/* Context and memory operations of the CUDA backend. */
#include <stdlib.h>

#include "cuda/plugin.h"

/* Say why CUDA cannot run here in the words a user can act on. */
static i2w_status unavailable(i2w_context *ctx, cudaError_t err)
{
    switch (err) {
    case cudaErrorNoDevice:
        return i2w_fail(ctx, I2W_ERR_BACKEND_UNAVAILABLE, "no CUDA device");
    case cudaErrorInsufficientDriver:
        return i2w_fail(ctx, I2W_ERR_BACKEND_UNAVAILABLE,
                        "no NVIDIA driver, or one too old for CUDA %d.%d "
                        "(%s)", CUDART_VERSION / 1000,
                        CUDART_VERSION % 1000 / 10, cudaGetErrorString(err));
    default:
        return i2w_fail(ctx, I2W_ERR_BACKEND_UNAVAILABLE,
                        "CUDA cannot start: %s", cudaGetErrorString(err));
    }
}

i2w_status i2w_cuda_init(i2w_context *ctx)
{
    int count = 0, major = 0, minor = 0, sms = 0, optin = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess)
        return unavailable(ctx, err);
    if (count == 0)
        return unavailable(ctx, cudaErrorNoDevice);
    if (ctx->device < 0 || ctx->device >= count)
        return i2w_fail(ctx, I2W_ERR_BACKEND_UNAVAILABLE,
                        "CUDA device index %d out of range (%d device%s)",
                        ctx->device, count, count == 1 ? "" : "s");
    I2W_CUDA_TRY(ctx, cudaSetDevice(ctx->device));
    cudaDeviceProp prop;
    I2W_CUDA_TRY(ctx, cudaGetDeviceProperties(&prop, ctx->device));
    I2W_CUDA_TRY(ctx, cudaDeviceGetAttribute(
                          &major, cudaDevAttrComputeCapabilityMajor,
                          ctx->device));
    I2W_CUDA_TRY(ctx, cudaDeviceGetAttribute(
                          &minor, cudaDevAttrComputeCapabilityMinor,
                          ctx->device));
    I2W_CUDA_TRY(ctx, cudaDeviceGetAttribute(
                          &sms, cudaDevAttrMultiProcessorCount, ctx->device));
    I2W_CUDA_TRY(ctx, cudaDeviceGetAttribute(
                          &optin, cudaDevAttrMaxSharedMemoryPerBlockOptin,
                          ctx->device));
    i2w_cuda_ctx *cc = (i2w_cuda_ctx *)calloc(1, sizeof *cc);
    if (!cc)
        return i2w_fail(ctx, I2W_ERR_OUT_OF_MEMORY,
                        "cannot allocate the CUDA context state");
    cc->sm_count = sms;
    cc->smem_optin = (size_t)optin;
    ctx->priv = cc;
    snprintf(ctx->describe, sizeof ctx->describe, "cuda %.100s (sm_%d%d)",
             prop.name, major, minor);
    return I2W_OK;
}

void i2w_cuda_fini(i2w_context *ctx)
{
    i2w_cuda_ctx *cc = (i2w_cuda_ctx *)ctx->priv;
    if (!cc)
        return;
    i2w_cuda_cublas_release(cc);
    free(cc);
    ctx->priv = NULL;
}

i2w_status i2w_cuda_mem_alloc(i2w_context *ctx, void **ptr, size_t bytes)
{
    cudaError_t err = cudaMalloc(ptr, bytes);
    if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError(); /* not sticky: clear it for the next launch */
        *ptr = NULL;
        return i2w_fail(ctx, I2W_ERR_OUT_OF_MEMORY,
                        "cudaMalloc of %zu bytes: out of device memory",
                        bytes);
    }
    return i2w_cuda_check(ctx, err, "cudaMalloc");
}

void i2w_cuda_mem_free(i2w_context *ctx, void *ptr)
{
    (void)ctx;
    /* cudaFree waits for the device; nothing to report to a void call */
    cudaFree(ptr);
}

i2w_status i2w_cuda_copy(i2w_context *ctx, void *dst, const void *src,
                         size_t bytes, i2w_copy_dir dir)
{
    cudaStream_t st = i2w_cuda_stream(ctx);
    if (dir == I2W_COPY_UPLOAD) {
        /* from pageable memory the call returns once src is staged, so the
         * caller may reuse it; the copy itself stays ordered on st */
        I2W_CUDA_TRY(ctx, cudaMemcpyAsync(dst, src, bytes,
                                          cudaMemcpyHostToDevice, st));
        return I2W_OK;
    }
    I2W_CUDA_TRY(ctx, cudaMemcpyAsync(dst, src, bytes,
                                      cudaMemcpyDeviceToHost, st));
    I2W_CUDA_TRY(ctx, cudaStreamSynchronize(st));
    return I2W_OK;
}

i2w_status i2w_cuda_synchronize(i2w_context *ctx)
{
    I2W_CUDA_TRY(ctx, cudaStreamSynchronize(i2w_cuda_stream(ctx)));
    return I2W_OK;
}

i2w_status i2w_cuda_set_stream(i2w_context *ctx, void *stream)
{
    ctx->stream = stream;
    return I2W_OK;
}
