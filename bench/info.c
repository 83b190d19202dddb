/* --info: what this build and host offer, and why a backend is missing. */
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench.h"

static void comparison(const char *name, const bench_comparator *c)
{
    char version[64] = "";
    if (c)
        c->describe(version, sizeof version);
    printf("%-8s comparison: %s%s\n", name,
           c ? "compiled in, " : "not compiled in", version);
}

int bench_info(const bench_options *o)
{
    static const i2w_backend backends[] = { I2W_BACKEND_REF, I2W_BACKEND_X86,
                                            I2W_BACKEND_CUDA };
    int v = i2w_version();
    const char *isa = NULL;

    printf("im2win library %d.%d.%d (bench built against %d.%d.%d)\n",
           v / 10000, v / 100 % 100, v % 100, I2W_VERSION_MAJOR,
           I2W_VERSION_MINOR, I2W_VERSION_PATCH);
    printf("backends:\n");
    for (int i = 0; i < 3; i++) {
        i2w_context *ctx;
        i2w_status st = i2w_context_create(&ctx, backends[i]);
        if (st != I2W_OK) {
            printf("  %-5s unavailable: %s: %s\n",
                   i2w_backend_name(backends[i]), i2w_status_string(st),
                   i2w_last_error());
            continue;
        }
        printf("  %-5s available: %s\n", i2w_backend_name(backends[i]),
               i2w_context_describe(ctx));
        if (backends[i] == I2W_BACKEND_X86)
            isa = bench_isa_of(i2w_context_describe(ctx));
#ifdef I2W_HAVE_CUDA
        if (backends[i] == I2W_BACKEND_CUDA) {
            char name[128];
            double theoretical;
            double peak = bench_gpu_peak(name, sizeof name, &theoretical);
            printf("        %s, FP32 peak %.0f GFLOP/s measured, %.0f "
                   "theoretical\n", name, peak, theoretical);
        }
#endif
        i2w_context_destroy(ctx);
    }
    printf("x86 ISA in use: %s\n", isa ? isa : "none (no x86 context)");
#ifdef _OPENMP
    int threads = o->threads ? o->threads : omp_get_max_threads();
    printf("OpenMP threads: %d\n", threads);
#else
    int threads = 1;
    (void)o;
    printf("OpenMP: not compiled in (1 thread)\n");
#endif
    const char *probed = bench_peak_isa(isa);
    if (probed)
        printf("measured peak: %.1f GFLOP/s (%s FMA probe, %d thread%s)\n",
               bench_peak_probe(isa, threads), probed, threads,
               threads == 1 ? "" : "s");
    else
        printf("measured peak: no FMA probe for this CPU\n");
#ifdef I2W_HAVE_ONEDNN
    comparison("oneDNN", &bench_onednn);
#else
    comparison("oneDNN", NULL);
#endif
#ifdef I2W_HAVE_CUDNN
    comparison("cuDNN", &bench_cudnn);
#else
    comparison("cuDNN", NULL);
#endif
    printf("layers: %s\n", bench_default_layers());
    return 0;
}
