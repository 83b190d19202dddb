/* --rounds: the whole layer set measured several times over.  On a shared
 * host a neighbour's burst of load can slow every repetition of one row
 * (conv8 NCHW on the Zen 4 host: 130 ms in one pass, 72 ms in the next),
 * which a median within the row cannot filter; a row's best round can.
 * im2win and the comparison library are measured alike, round after
 * round, so their ratio is not tilted either way. */
#include "bench.h"

static int failed(const bench_row *r)
{
    return r->error || (r->checked && r->check.fail);
}

void bench_rounds_merge(bench_row *best, const bench_row *now, int count)
{
    for (int i = 0; i < count; i++) {
        if (failed(&best[i]))
            continue;
        if (failed(&now[i]) || (now[i].ok && best[i].ok &&
                                now[i].ms < best[i].ms))
            best[i] = now[i];
    }
}

void bench_rounds_set_peak(bench_row *rows, size_t count, double peak)
{
    for (size_t i = 0; i < count; i++) {
        rows[i].peak_gflops = peak;
        rows[i].peak_pct = peak > 0 ? 100.0 * rows[i].gflops / peak : 0;
    }
}
