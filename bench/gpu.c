/* The GPU side of the bench, through the CUDA runtime: one stream given to
 * the CUDA context (and to cuDNN), CUDA events around each run on it, and
 * the device's FP32 peak: measured by the probe kernel of gpu_peak.cu,
 * and the theoretical one from the device attributes beside it. */
#include <cuda_runtime_api.h>

#include "bench.h"

static cudaStream_t stream;
static cudaEvent_t event[2];

static void gpu_begin(void *t)
{
    (void)t;
    cudaEventRecord(event[0], stream);
}

static double gpu_end_ms(void *t)
{
    float ms;
    (void)t;
    if (cudaEventRecord(event[1], stream) != cudaSuccess ||
        cudaEventSynchronize(event[1]) != cudaSuccess ||
        cudaEventElapsedTime(&ms, event[0], event[1]) != cudaSuccess)
        return -1;
    return ms;
}

static const bench_timer gpu_timer = { gpu_begin, gpu_end_ms, NULL };

void *bench_gpu_stream(void)
{
    return stream;
}

const bench_timer *bench_gpu_attach(i2w_context *ctx, char *msg,
                                    size_t msglen)
{
    /* a blocking stream: work on it waits for copies the library may
     * queue on the legacy default stream (uploads, the NaN poison) */
    cudaError_t err = cudaStreamCreate(&stream);
    if (err == cudaSuccess)
        err = cudaEventCreate(&event[0]);
    if (err == cudaSuccess)
        err = cudaEventCreate(&event[1]);
    if (err != cudaSuccess) {
        snprintf(msg, msglen, "CUDA runtime: %s", cudaGetErrorString(err));
        return NULL;
    }
    i2w_status st = i2w_context_set_stream(ctx, stream);
    if (st != I2W_OK) {
        snprintf(msg, msglen, "i2w_context_set_stream: %s: %s",
                 i2w_status_string(st), i2w_context_error(ctx));
        return NULL;
    }
    return &gpu_timer;
}

void bench_gpu_release(void)
{
    for (int i = 0; i < 2; i++)
        if (event[i])
            cudaEventDestroy(event[i]);
    if (stream)
        cudaStreamDestroy(stream);
    event[0] = event[1] = NULL;
    stream = NULL;
}

/* FP32 lanes per SM: 64 on Volta/Turing and on the A100 (sm_80), 128 from
 * sm_86 on (Ampere consumer, Ada, Hopper, Blackwell). */
static int fp32_lanes(int major, int minor)
{
    return major > 8 || (major == 8 && minor >= 6) ? 128 : 64;
}

double bench_gpu_peak(char *name, size_t namelen, double *theoretical)
{
    int dev, sms, khz, major, minor;
    struct cudaDeviceProp prop;
    snprintf(name, namelen, "unknown GPU");
    *theoretical = 0;
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) ||
        cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev) ||
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor,
                               dev) ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor,
                               dev))
        return 0;
    if (cudaGetDeviceProperties(&prop, dev) == cudaSuccess)
        snprintf(name, namelen, "%s, sm_%d%d", prop.name, major, minor);
    /* one FMA = 2 flops per lane per clock */
    *theoretical =
        (double)sms * khz * 1e3 * fp32_lanes(major, minor) * 2 * 1e-9;
    return bench_gpu_peak_probe(stream);
}
