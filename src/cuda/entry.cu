/* The plugin's one exported symbol: the backend table. */
#include "cuda/plugin.h"

static const i2w_backend_ops cuda_backend = {
    I2W_BACKEND_ABI,
    I2W_BACKEND_CUDA,
    "cuda",
    i2w_cuda_init,
    i2w_cuda_fini,
    i2w_cuda_mem_alloc,
    i2w_cuda_mem_free,
    i2w_cuda_copy,
    i2w_cuda_synchronize,
    i2w_cuda_set_stream,
    i2w_cuda_plan_create,
    i2w_cuda_plan_execute,
    i2w_cuda_plan_destroy,
    i2w_cuda_convert,
    NULL, /* plan_set_filter: CUDA plans repack the filter every execute */
};

/* A loader built against another ABI gets NULL and reports the mismatch. */
extern "C" __attribute__((visibility("default"))) const i2w_backend_ops *
i2w_cuda_plugin_entry(unsigned abi)
{
    return abi == I2W_BACKEND_ABI ? &cuda_backend : NULL;
}
