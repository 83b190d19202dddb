/* The timing loop: the runner is set up outside it (plan or primitive
 * creation is not timed), one warm-up run, then repetitions; the median is
 * robust to the odd preempted run on a shared host. */
#include <stdlib.h>
#include <time.h>

#include "bench.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void host_begin(void *t)
{
    *(double *)t = bench_now();
}

static double host_end_ms(void *t)
{
    return 1e3 * (bench_now() - *(double *)t);
}

static double host_start;
const bench_timer bench_host_timer = { host_begin, host_end_ms, &host_start };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define MIN_REPS 5
#define MAX_REPS 10000

static int timed_run(const bench_runner *r, const bench_timer *t,
                     double *ms, char *note, size_t notelen)
{
    t->begin(t->t);
    int rc = r->run(r->self, note, notelen);
    *ms = t->end_ms(t->t);
    if (rc == 0 && *ms < 0) {
        snprintf(note, notelen, "the timer failed");
        return -1;
    }
    return rc;
}

int bench_measure(const bench_runner *r, const bench_timer *t, int reps,
                  double target_s, bench_stats *st, char *note,
                  size_t notelen)
{
    double first;
    /* warm-up: page faults, caches, lazy initialisation (GPU modules) */
    if (timed_run(r, t, &first, note, notelen))
        return -1;
    if (reps <= 0) {
        /* a second run, free of the warm-up's costs, sizes the count */
        if (timed_run(r, t, &first, note, notelen))
            return -1;
        double want = target_s * 1e3 / (first > 1e-3 ? first : 1e-3);
        reps = want < MIN_REPS ? MIN_REPS
               : want > MAX_REPS ? MAX_REPS
                                 : (int)want;
    }
    double *ms = malloc((size_t)reps * sizeof *ms);
    if (!ms) {
        snprintf(note, notelen, "out of memory");
        return -1;
    }
    for (int i = 0; i < reps; i++)
        if (timed_run(r, t, &ms[i], note, notelen)) {
            free(ms);
            return -1;
        }
    qsort(ms, (size_t)reps, sizeof *ms, cmp_double);
    st->median_ms = reps % 2 ? ms[reps / 2]
                             : 0.5 * (ms[reps / 2 - 1] + ms[reps / 2]);
    st->min_ms = ms[0];
    st->reps = reps;
    free(ms);
    return 0;
}
