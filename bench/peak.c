/* Machine peak, measured: every thread runs many independent FMA chains
 * (enough to cover the FMA latency on every FMA port) for the ISA the x86
 * backend uses.  Percentages of this number say how close a kernel comes
 * to what the cores can do here, clock and frequency licences included,
 * which a datasheet figure would not.
 *
 * Each thread's rate is its flops over its own CPU time, summed over the
 * threads: on a shared host, other processes taking a core for a while
 * then lower neither the peak nor, through it, the scale of %peak (wall
 * time made it vary fivefold here).  Threads beyond the online CPUs share
 * cores, so the sum is capped at that many threads' worth. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define ITERS 1000000L /* about 2 ms of AVX-512 FMAs on one core */
#define TRIALS 10

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One thread's probe: returns the flops it did; *sink keeps the result
 * alive so the loop is not optimised away. */
#define FMA_PROBE(name, isa_flags, vec, set1, fma, store, lanes, chains)      \
    __attribute__((target(isa_flags))) static double name(float *sink)       \
    {                                                                      \
        vec acc[chains];                                                   \
        const vec a = set1(0.999f), b = set1(1e-3f);                       \
        for (int i = 0; i < chains; i++)                                   \
            acc[i] = set1((float)i);                                       \
        for (long it = 0; it < ITERS; it++) {                              \
            _Pragma("GCC unroll 16") for (int i = 0; i < chains; i++)      \
                acc[i] = fma(acc[i], a, b);                                \
        }                                                                  \
        float lane[lanes];                                                 \
        for (int i = 1; i < chains; i++)                                   \
            acc[0] = fma(acc[0], a, acc[i]);                               \
        store(lane, acc[0]);                                               \
        *sink += lane[0];                                                  \
        return 2.0 * lanes * chains * (double)ITERS;                       \
    }

/* 2 FMA ports x 4-cycle latency needs 8 chains; more hides port stalls,
 * within the 16 (AVX2) or 32 (AVX-512) vector registers */
FMA_PROBE(probe_avx512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps,
          _mm512_storeu_ps, 16, 16)
FMA_PROBE(probe_avx2, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps,
          _mm256_storeu_ps, 8, 12)

static const struct {
    const char *isa;
    double (*probe)(float *);
} probes[] = { { "avx512", probe_avx512 }, { "avx2", probe_avx2 } };

/* The probe for isa (NULL: the best this CPU has), or -1. */
static int probe_index(const char *isa)
{
    int have[] = { __builtin_cpu_supports("avx512f"),
                   __builtin_cpu_supports("avx2") &&
                       __builtin_cpu_supports("fma") };
    for (int i = 0; i < 2; i++)
        if (have[i] && (!isa || strcmp(isa, probes[i].isa) == 0))
            return i;
    return -1;
}

const char *bench_peak_isa(const char *isa)
{
    int i = probe_index(isa);
    return i < 0 ? NULL : probes[i].isa;
}

double bench_peak_probe(const char *isa, int threads)
{
    int i = probe_index(isa);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (i < 0)
        return 0;
    double best = 0;
    float sink = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
        double rate = 0; /* GFLOP/s, summed over the threads */
        int team = 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : rate, sink)
#endif
        {
            double t0 = thread_cpu_s();
            double flops = probes[i].probe(&sink);
            rate += flops / (thread_cpu_s() - t0) * 1e-9;
#ifdef _OPENMP
#pragma omp single
            team = omp_get_num_threads();
#endif
        }
        if (cpus > 0 && team > cpus)
            rate *= (double)cpus / team;
        if (rate > best)
            best = rate;
    }
    (void)threads;
    /* a result that is never NaN keeps the sink "used" */
    return sink == sink ? best : 0;
}
#else
const char *bench_peak_isa(const char *isa)
{
    (void)isa;
    return NULL;
}

double bench_peak_probe(const char *isa, int threads)
{
    (void)isa;
    (void)threads;
    return 0;
}
#endif

const char *bench_isa_of(const char *describe)
{
    static const char *const isas[] = { "avx512", "avx2" };
    for (int i = 0; i < 2; i++)
        if (describe && strstr(describe, isas[i]))
            return isas[i];
    return NULL;
}
