/* The GPU's FP32 FMA peak, measured the way the CPU's is: every thread of
 * a full-occupancy grid runs independent FMA chains (enough of them to
 * hide the FMA latency), timed with CUDA events on the bench's stream,
 * best of several launches after a warm-up.  Under a long FMA load the
 * clock settles below the boost clock the device attributes give, so
 * %peak against this rate is against what the GPU really sustains. */
#include <cuda_runtime.h>

#define CHAINS 8
#define ITERS 16384
#define THREADS 256
#define BLOCKS_PER_SM 8
#define LAUNCHES 5

__global__ void bench_gpu_fma_probe(float *sink, float b, float c)
{
    float a[CHAINS];
#pragma unroll
    for (int i = 0; i < CHAINS; i++)
        a[i] = (float)(threadIdx.x + i);
#pragma unroll 16
    for (int it = 0; it < ITERS; it++)
#pragma unroll
        for (int i = 0; i < CHAINS; i++)
            a[i] = fmaf(a[i], b, c);
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < CHAINS; i++)
        s += a[i];
    /* never true for the arguments given, but the compiler cannot know:
     * the chains stay live */
    if (s == -1.0f)
        *sink = s;
}

/* GFLOP/s, or 0 when the probe cannot run. */
extern "C" double bench_gpu_peak_probe(void *stream)
{
    cudaStream_t st = (cudaStream_t)stream;
    int dev, sms;
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) !=
            cudaSuccess)
        return 0;
    float *sink;
    cudaEvent_t ev[2];
    if (cudaMalloc(&sink, sizeof *sink) != cudaSuccess)
        return 0;
    double best = 0;
    if (cudaEventCreate(&ev[0]) == cudaSuccess) {
        if (cudaEventCreate(&ev[1]) == cudaSuccess) {
            unsigned blocks = (unsigned)sms * BLOCKS_PER_SM;
            double flops = 2.0 * CHAINS * ITERS * THREADS * blocks;
            for (int l = 0; l <= LAUNCHES; l++) {
                float ms;
                cudaEventRecord(ev[0], st);
                bench_gpu_fma_probe<<<blocks, THREADS, 0, st>>>(
                    sink, 0.999f, 0.001f);
                cudaEventRecord(ev[1], st);
                if (cudaEventSynchronize(ev[1]) != cudaSuccess ||
                    cudaEventElapsedTime(&ms, ev[0], ev[1]) != cudaSuccess) {
                    best = 0;
                    break;
                }
                /* launch 0 warms up the clock and the code */
                if (l > 0 && ms > 0 && flops / (ms * 1e6) > best)
                    best = flops / (ms * 1e6);
            }
            cudaEventDestroy(ev[1]);
        }
        cudaEventDestroy(ev[0]);
    }
    cudaFree(sink);
    return best;
}
