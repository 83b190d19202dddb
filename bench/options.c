/* Command-line options of im2win-bench. */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void usage(FILE *f)
{
    fputs(
        "usage: im2win-bench [OPTION]...\n"
        "Times im2win's convolution algorithms on a layer set, checks each\n"
        "result against a scalar recomputation of a sample, and compares with\n"
        "oneDNN (CPU) or cuDNN (GPU) when they were found at configure time.\n"
        "With no option: im2win12.csv forward layers, every layout, every\n"
        "algorithm, on every available backend except ref.\n"
        "\n"
        "  --backend ref|x86|cuda[,..]  backends to run (ref is slow)\n"
        "  --algo NAME[,NAME]     algorithms (default: all of the op), e.g.\n"
        "                         im2win,convv2,direct,im2col_gemm\n"
        "  --layout nchw|nhwc|chwn|chwn8|all[,..]  (default: all)\n"
        "  --op fwd|bwd-data|bwd-filter  (default: fwd; deconv.csv layers\n"
        "                         always run as bwd-data)\n"
        "  --layers FILE          layer CSV (im2win12.csv or deconv.csv format)\n"
        "  --layer NAME[,NAME]    only these layers\n"
        "  --batch N              batch (default: 8 on CPU, the CSV's on CUDA)\n"
        "  --reps N               timed repetitions (default: ~0.5 s, >= 5)\n"
        "  --rounds N             measure the whole set N times and report\n"
        "                         each row's best round (least median) and\n"
        "                         the highest peak: a shared host's bursts\n"
        "                         of load pass; default 1\n"
        "  --threads N            host threads (default: OpenMP's)\n"
        "  --csv FILE             write the rows as CSV too (for plot.sh)\n"
        "  --mem                  peak RSS of each measurement (forked child)\n"
        "  --no-check             do not check results\n"
        "  --filter-each-run      pass the filter to every execute (time\n"
        "                         its repacking too); default: set it on\n"
        "                         the plan once, outside the timing, as\n"
        "                         oneDNN's weights are reordered once\n"
        "  --info                 version, backends, ISA, threads, peak\n"
        "  --help                 this text\n",
        f);
}

/* Case-insensitive, '-' matching '_', so "im2col-gemm" names
 * I2W_ALGO_IM2COL_GEMM. */
int bench_same_name(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen && b[i]; i++) {
        int x = tolower((unsigned char)a[i]), y = tolower((unsigned char)b[i]);
        if (x != y && !(strchr("-_", x) && strchr("-_", y)))
            return 0;
    }
    return i == alen && !b[i];
}

int bench_in_list(const char *list, const char *name)
{
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (bench_same_name(p, len, name))
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

typedef const char *(*name_fn)(int value);

static const char *algo_name(int v) { return i2w_algo_name((i2w_algo)v); }
static const char *layout_name(int v)
{
    return i2w_layout_name((i2w_layout)v);
}
static const char *backend_name(int v)
{
    return i2w_backend_name((i2w_backend)v);
}

/* Fills out[] with the values lo..hi whose name is in list (in list
 * order); "all" (when allowed) takes every value.  Returns the count, or
 * -1 after naming the unknown word. */
static int parse_list(const char *opt, const char *list, name_fn name, int lo,
                      int hi, int allow_all, int *out, int max)
{
    int count = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (int v = lo; v <= hi; v++) {
            if (!(allow_all && bench_same_name(p, len, "all")) &&
                !bench_same_name(p, len, name(v)))
                continue;
            found = 1;
            int seen = 0;
            for (int i = 0; i < count; i++)
                seen |= out[i] == v;
            if (!seen && count < max)
                out[count++] = v;
        }
        if (!found) {
            fprintf(stderr, "im2win-bench: %s: unknown name '%.*s'\n", opt,
                    (int)len, p);
            return -1;
        }
        p += len + (p[len] == ',');
    }
    return count;
}

static int positive(const char *opt, const char *arg, int *out)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end || v < 1 || v > 1 << 20) {
        fprintf(stderr, "im2win-bench: %s: expected a positive number, got "
                        "'%s'\n", opt, arg);
        return -1;
    }
    *out = (int)v;
    return 0;
}

enum {
    OPT_BACKEND = 256, OPT_ALGO, OPT_LAYOUT, OPT_OP, OPT_LAYERS, OPT_LAYER,
    OPT_BATCH, OPT_REPS, OPT_ROUNDS, OPT_THREADS, OPT_CSV, OPT_MEM, OPT_NO_CHECK, OPT_FILTER_EACH_RUN,
    OPT_INFO, OPT_HELP
};

static const struct option long_options[] = {
    { "backend", required_argument, NULL, OPT_BACKEND },
    { "algo", required_argument, NULL, OPT_ALGO },
    { "layout", required_argument, NULL, OPT_LAYOUT },
    { "op", required_argument, NULL, OPT_OP },
    { "layers", required_argument, NULL, OPT_LAYERS },
    { "layer", required_argument, NULL, OPT_LAYER },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "reps", required_argument, NULL, OPT_REPS },
    { "rounds", required_argument, NULL, OPT_ROUNDS },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "csv", required_argument, NULL, OPT_CSV },
    { "mem", no_argument, NULL, OPT_MEM },
    { "no-check", no_argument, NULL, OPT_NO_CHECK },
    { "filter-each-run", no_argument, NULL, OPT_FILTER_EACH_RUN },
    { "info", no_argument, NULL, OPT_INFO },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static int parse_op(const char *arg, i2w_op *op)
{
    static const char *const names[] = { "fwd", "bwd-data", "bwd-filter" };
    for (int i = 0; i < 3; i++)
        if (strcmp(arg, names[i]) == 0) {
            *op = (i2w_op)i;
            return 0;
        }
    fprintf(stderr, "im2win-bench: --op: expected fwd, bwd-data or "
                    "bwd-filter, got '%s'\n", arg);
    return -1;
}

int bench_options_parse(int argc, char **argv, bench_options *o)
{
    int opt, list[8], n = 0;
    *o = (bench_options){ .op = I2W_OP_FORWARD, .check = 1,
                          .fixed_filter = 1, .rounds = 1 };
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_BACKEND:
            n = parse_list("--backend", optarg, backend_name, I2W_BACKEND_REF,
                           I2W_BACKEND_CUDA, 0, list, 3);
            for (int i = 0; i < n; i++)
                o->backend[i] = (i2w_backend)list[i];
            o->nbackends = n;
            break;
        case OPT_ALGO:
            n = parse_list("--algo", optarg, algo_name, I2W_ALGO_DIRECT,
                           I2W_ALGO_SK_DILATED, 0, list, 8);
            for (int i = 0; i < n; i++)
                o->algo[i] = (i2w_algo)list[i];
            o->nalgos = n;
            break;
        case OPT_LAYOUT:
            n = parse_list("--layout", optarg, layout_name, I2W_LAYOUT_NCHW,
                           I2W_LAYOUT_CHWN8, 1, list, 4);
            for (int i = 0; i < n; i++)
                o->layout[i] = (i2w_layout)list[i];
            o->nlayouts = n;
            break;
        case OPT_OP: n = parse_op(optarg, &o->op); break;
        case OPT_LAYERS: o->layers_file = optarg; break;
        case OPT_LAYER: o->layer_names = optarg; break;
        case OPT_BATCH: n = positive("--batch", optarg, &o->batch); break;
        case OPT_REPS: n = positive("--reps", optarg, &o->reps); break;
        case OPT_ROUNDS: n = positive("--rounds", optarg, &o->rounds); break;
        case OPT_THREADS: n = positive("--threads", optarg, &o->threads); break;
        case OPT_CSV: o->csv = optarg; break;
        case OPT_MEM: o->mem = 1; break;
        case OPT_NO_CHECK: o->check = 0; break;
        case OPT_FILTER_EACH_RUN: o->fixed_filter = 0; break;
        case OPT_INFO: o->info = 1; break;
        case OPT_HELP: usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
        if (n < 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "im2win-bench: unexpected argument '%s'\n",
                argv[optind]);
        return -1;
    }
    return 0;
}
