/* The results: a table on stdout for people, the same rows as CSV for
 * plot.sh, and totals per algorithm. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* "12.3M": workspaces span bytes to gigabytes */
static const char *human_bytes(size_t bytes, char *buf, size_t len)
{
    static const char unit[] = "BKMGT";
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, u ? "%.1f%c" : "%.0f%c", v, unit[u]);
    return buf;
}

static const char *ratio(double x, char *buf, size_t len)
{
    if (x > 0)
        snprintf(buf, len, "%.2fx", x);
    else
        snprintf(buf, len, "-");
    return buf;
}

void bench_output_csv_header(const bench_output *o)
{
    if (o->csv)
        fprintf(o->csv, "backend,layer,layout,algo,n,status,ms,min_ms,reps,"
                        "gflops,"
                        "peak_gflops,peak_pct,workspace_bytes,max_rel_err,"
                        "check,baseline1,speedup1,baseline2,speedup2,lib,"
                        "vs_lib,maxrss_kb,note\n");
}

void bench_output_header(const bench_output *o, const char *title)
{
    char b1[24], b2[24], lib[24];
    snprintf(b1, sizeof b1, "x%s", o->baseline[0] ? o->baseline[0] : "-");
    snprintf(b2, sizeof b2, "%s%s", o->baseline[1] ? "x" : "",
             o->baseline[1] ? o->baseline[1] : "-");
    snprintf(lib, sizeof lib, "x%s", o->lib ? o->lib : "lib");
    printf("\n== %s\n", title);
    printf("%-11s %-6s %-12s %10s %9s %6s %8s %-15s %13s %13s %8s%s\n", "layer",
           "layout", "algo", "ms", "GFLOP/s", "%peak", "wspace", "check",
           b1, b2, lib, o->mem ? "   maxRSS" : "");
}

static const char *check_text(const bench_row *row, char *buf, size_t len)
{
    if (!row->checked)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%s %.1e", row->check.fail ? "FAIL" : "ok",
                 row->check.max_err);
    return buf;
}

static void csv_row(const bench_output *o, const bench_row *row)
{
    if (!o->csv)
        return;
    fprintf(o->csv, "%s,%s,%s,%s,%d,%s,", row->backend, row->layer,
            row->layout, row->algo, row->n,
            row->error ? "ERROR"
            : !row->ok ? "skipped"
            : row->checked && row->check.fail ? "FAIL"
                                               : "ok");
    if (row->ok)
        fprintf(o->csv, "%.4f,%.4f,%d,%.3f,%.1f,%.2f,%zu,", row->ms,
                row->min_ms, row->reps, row->gflops, row->peak_gflops,
                row->peak_pct, row->workspace);
    else
        fprintf(o->csv, ",,,,,,,");
    if (row->checked)
        fprintf(o->csv, "%.3e,%s,", row->check.max_err,
                row->check.fail ? "FAIL" : "ok");
    else
        fprintf(o->csv, ",,");
    fprintf(o->csv, "%s,%.3f,%s,%.3f,%s,%.3f,%ld,", o->baseline[0] ? o->baseline[0] : "",
            row->speedup[0], o->baseline[1] ? o->baseline[1] : "",
            row->speedup[1], o->lib ? o->lib : "", row->vs_lib,
            row->maxrss_kb);
    /* the note is free text: keep it one CSV field */
    for (const char *p = row->note; *p; p++)
        fputc(*p == ',' || *p == '\n' ? ';' : *p, o->csv);
    fputc('\n', o->csv);
}

void bench_output_row(const bench_output *o, const bench_row *row)
{
    char ws[16], chk[24], r1[16], r2[16], r3[16], pct[16], rss[24] = "";
    csv_row(o, row);
    if (!row->ok) {
        printf("%-11s %-6s %-12s %s: %s\n", row->layer, row->layout,
               row->algo, row->error ? "*** ERROR" : "skipped", row->note);
        return;
    }
    if (row->peak_pct > 0)
        snprintf(pct, sizeof pct, "%.1f", row->peak_pct);
    else
        snprintf(pct, sizeof pct, "-");
    if (o->mem && row->maxrss_kb >= 0)
        snprintf(rss, sizeof rss, " %7.1fM", row->maxrss_kb / 1024.0);
    printf("%-11s %-6s %-12s %10.3f %9.2f %6s %8s %-15s %13s %13s %8s%s\n",
           row->layer, row->layout, row->algo, row->ms, row->gflops, pct,
           human_bytes(row->workspace, ws, sizeof ws),
           check_text(row, chk, sizeof chk),
           ratio(row->speedup[0], r1, sizeof r1),
           ratio(row->speedup[1], r2, sizeof r2),
           ratio(row->vs_lib, r3, sizeof r3), rss);
    if (row->checked && row->check.fail)
        printf("*** FAIL: %s %s %s %s: max rel error %.3e over %d samples "
               "(tolerance %.1e) ***\n",
               row->backend, row->layer, row->layout, row->algo,
               row->check.max_err, row->check.samples, row->check.tol);
}

typedef struct {
    const bench_row *first; /* names the group */
    double ms, flops;
    int layers, fails;
} total;

static int same_group(const bench_row *a, const bench_row *b)
{
    return strcmp(a->backend, b->backend) == 0 &&
           strcmp(a->layout, b->layout) == 0 && strcmp(a->algo, b->algo) == 0;
}

void bench_output_totals(const bench_row *rows, size_t count)
{
    total *t = calloc(count ? count : 1, sizeof *t);
    size_t groups = 0;
    if (!t)
        return;
    for (size_t i = 0; i < count; i++) {
        if (!rows[i].ok)
            continue;
        size_t g = 0;
        while (g < groups && !same_group(t[g].first, &rows[i]))
            g++;
        if (g == groups)
            t[groups++].first = &rows[i];
        t[g].ms += rows[i].ms;
        t[g].flops += rows[i].flops;
        t[g].layers++;
        t[g].fails += rows[i].checked && rows[i].check.fail;
    }
    printf("\n== totals per algorithm (layers measured; sum of ms; "
           "overall GFLOP/s)\n");
    printf("%-8s %-6s %-12s %6s %12s %9s %s\n", "backend", "layout", "algo",
           "layers", "ms", "GFLOP/s", "");
    for (size_t g = 0; g < groups; g++)
        printf("%-8s %-6s %-12s %6d %12.3f %9.2f %s\n", t[g].first->backend,
               t[g].first->layout, t[g].first->algo, t[g].layers, t[g].ms,
               t[g].flops / t[g].ms * 1e-6,
               t[g].fails ? "*** has FAILs ***" : "");
    free(t);
}
