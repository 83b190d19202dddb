/* cuBLAS for the IM2COL_GEMM baseline, loaded with dlopen on first use so
 * the plugin needs nothing but the driver, and only that baseline is lost
 * where cuBLAS is missing. */
#include <dlfcn.h>
#include <pthread.h>

#include <cublas_v2.h>

#include "cuda/plugin.h"

#ifndef I2W_CUDA_LIBDIR
#define I2W_CUDA_LIBDIR "/usr/local/cuda/lib64"
#endif

/* The entry points used, typed from cublas_v2.h; the names dlsym needs
 * are the versioned ones the header's macros expand to. */
static struct {
    int tried;
    char why[256];
    decltype(&cublasCreate) create;
    decltype(&cublasDestroy) destroy;
    decltype(&cublasSetStream) set_stream;
    decltype(&cublasSgemmStridedBatched) gemm;
} lib;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

template <typename F> static int resolve(void *h, const char *name, F *fn)
{
    *fn = (F)dlsym(h, name);
    return *fn != NULL;
}

static void load_once(void)
{
    static const char *const names[] = {
        "libcublas.so.13", "libcublas.so", I2W_CUDA_LIBDIR "/libcublas.so.13",
        I2W_CUDA_LIBDIR "/libcublas.so"};
    void *h = NULL;
    lib.tried = 1;
    for (size_t i = 0; !h && i < sizeof names / sizeof *names; i++)
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(lib.why, sizeof lib.why, "cannot load cuBLAS: %s",
                 dlerror());
        return;
    }
    if (!resolve(h, "cublasCreate_v2", &lib.create) ||
        !resolve(h, "cublasDestroy_v2", &lib.destroy) ||
        !resolve(h, "cublasSetStream_v2", &lib.set_stream) ||
        !resolve(h, "cublasSgemmStridedBatched", &lib.gemm)) {
        snprintf(lib.why, sizeof lib.why,
                 "the cuBLAS found lacks cublasSgemmStridedBatched or "
                 "cublasCreate_v2");
        lib.create = NULL;
        dlclose(h);
    }
    /* a loaded cuBLAS stays loaded, like the CUDA runtime it uses */
}

i2w_status i2w_cuda_cublas_load(i2w_context *ctx)
{
    i2w_cuda_ctx *cc = (i2w_cuda_ctx *)ctx->priv;
    pthread_mutex_lock(&lock);
    if (!lib.tried)
        load_once();
    pthread_mutex_unlock(&lock);
    if (!lib.create)
        return i2w_fail(ctx, I2W_ERR_UNSUPPORTED,
                        "IM2COL_GEMM on CUDA needs cuBLAS: %s", lib.why);
    if (cc->cublas)
        return I2W_OK;
    cublasHandle_t h;
    cublasStatus_t s = lib.create(&h);
    if (s != CUBLAS_STATUS_SUCCESS)
        return i2w_fail(ctx, I2W_ERR_DEVICE, "cublasCreate failed: status %d",
                        (int)s);
    cc->cublas = h;
    return I2W_OK;
}

void i2w_cuda_cublas_release(i2w_cuda_ctx *cc)
{
    if (cc->cublas)
        lib.destroy((cublasHandle_t)cc->cublas);
    cc->cublas = NULL;
}

i2w_status i2w_cuda_cublas_gemm(i2w_context *ctx, int kg, int pixels,
                                int red, int groups, const float *a,
                                long long a_step, const float *b,
                                long long b_step, float *c, long long c_step)
{
    cublasHandle_t h = (cublasHandle_t)((i2w_cuda_ctx *)ctx->priv)->cublas;
    const float one = 1.0f, zero = 0.0f;
    cublasStatus_t s = lib.set_stream(h, i2w_cuda_stream(ctx));
    /* column-major: C (kg x pixels) = A (kg x red) * B^T, B (pixels x red) */
    if (s == CUBLAS_STATUS_SUCCESS)
        s = lib.gemm(h, CUBLAS_OP_N, CUBLAS_OP_T, kg, pixels, red, &one, a,
                     kg, a_step, b, pixels, b_step, &zero, c, kg, c_step,
                     groups);
    if (s != CUBLAS_STATUS_SUCCESS)
        return i2w_fail(ctx, I2W_ERR_DEVICE,
                        "cublasSgemmStridedBatched failed: status %d",
                        (int)s);
    return I2W_OK;
}
