/* im2win-bench: every (backend, layer, layout, algorithm) of the run is an
 * entry; the entries of one (layer, layout) form a group that shares its
 * operands and is printed together, with speed-ups over the op's baselines
 * and the comparison library. */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench.h"

#define SAMPLES 256
#define TARGET_S 0.5
/* a forked measurement (--mem) that takes longer has hung */
#define CHILD_TIMEOUT_S 300

/* One backend's run. */
typedef struct {
    const bench_options *opt;
    i2w_context *host; /* ref context: layout conversions for the checker */
    i2w_context *ctx;  /* backend under test */
    const char *backend;
    int cuda;
    const bench_timer *timer;
    const bench_comparator *lib; /* or NULL */
    double peak;                 /* GFLOP/s, 0 = unknown */
    i2w_op op;
    const i2w_algo *algo;
    int nalgos;
} bench_env;

typedef struct {
    i2w_op op;
    i2w_algo algo[4];
    int nalgos;
    i2w_algo baseline[2];
    int nbaselines;
} op_algos;

/* The baselines are what the other algorithms replace (DESIGN.md). */
static const op_algos op_table[] = {
    [I2W_OP_FORWARD] = { I2W_OP_FORWARD,
                         { I2W_ALGO_DIRECT, I2W_ALGO_IM2COL_GEMM,
                           I2W_ALGO_IM2WIN, I2W_ALGO_CONVV2 }, 4,
                         { I2W_ALGO_IM2COL_GEMM, I2W_ALGO_DIRECT }, 2 },
    [I2W_OP_BACKWARD_DATA] = { I2W_OP_BACKWARD_DATA,
                               { I2W_ALGO_ZERO_INSERT, I2W_ALGO_SUBKERNEL,
                                 I2W_ALGO_KS_DECONV }, 3,
                               { I2W_ALGO_ZERO_INSERT }, 1 },
    [I2W_OP_BACKWARD_FILTER] = { I2W_OP_BACKWARD_FILTER,
                                 { I2W_ALGO_DIRECT, I2W_ALGO_SK_DILATED }, 2,
                                 { I2W_ALGO_DIRECT }, 1 },
};

/* What runs now, on one terminal line that the next one replaces (NULL
 * clears it); nothing when stderr is not a terminal. */
static void progress(const bench_row *row)
{
    if (!isatty(STDERR_FILENO))
        return;
    fputs("\r\033[K", stderr);
    if (row)
        fprintf(stderr, "%s %s %s %s ...", row->backend, row->layer,
                row->layout, row->algo);
}

/* Entry i < nalgos is an im2win algorithm, i == nalgos the library. */
static void run_entry(const bench_env *e, bench_case *c, int entry,
                      bench_row *row)
{
    bench_runner r;
    bench_stats st;
    bench_setup s = entry < e->nalgos
                        ? bench_im2win_runner(c, e->algo[entry],
                                              e->opt->fixed_filter, &r,
                                              row->note, sizeof row->note)
                        : e->lib->setup(c, &r, row->note, sizeof row->note);
    if (s != BENCH_OK) {
        row->error = s == BENCH_ERROR;
        return;
    }
    if (bench_case_poison(c)) {
        snprintf(row->note, sizeof row->note, "cannot poison the output");
        row->error = 1;
    } else if (bench_measure(&r, e->timer, e->opt->reps, TARGET_S, &st,
                             row->note, sizeof row->note)) {
        row->error = 1;
    } else {
        row->ok = 1;
        row->ms = st.median_ms;
        row->min_ms = st.min_ms;
        row->reps = st.reps;
        row->gflops = c->flops / st.median_ms * 1e-6;
        row->peak_gflops = e->peak;
        row->peak_pct = e->peak > 0 ? 100.0 * row->gflops / e->peak : 0;
        row->workspace = r.workspace;
    }
    r.destroy(r.self);
    if (!row->ok || !e->opt->check)
        return;
    float *got = bench_case_result(c, e->host);
    row->checked = 1;
    if (got) {
        row->check = bench_check_sample(c, got, SAMPLES, (uint64_t)entry + 7);
        free(got);
    } else {
        row->check.fail = 1;
        snprintf(row->note, sizeof row->note, "cannot read the result back");
    }
}

/* Runs fn(arg, out) in a forked child and copies out back, so the peak
 * RSS measured is the child's alone (plus the process's baseline), and a
 * kernel that crashes or hangs costs one row, not the run.  It also keeps
 * OpenMP out of the parent: GNU OpenMP cannot start threads in a child
 * forked after the parent ran a parallel region.  Returns the child's
 * peak RSS in KiB, or -1 with *why set when out did not come back. */
static long run_forked(void (*fn)(void *arg, void *out), void *arg,
                       void *out, size_t len, const char **why)
{
    int fd[2];
    *why = "pipe failed";
    if (pipe(fd))
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        fn(arg, out);
        _exit(write(fd[1], out, len) == (ssize_t)len ? 0 : 1);
    }
    close(fd[1]);
    struct pollfd p = { .fd = fd[0], .events = POLLIN };
    int ready = pid > 0 ? poll(&p, 1, CHILD_TIMEOUT_S * 1000) : -1;
    ssize_t got = ready > 0 ? read(fd[0], out, len) : -1;
    close(fd[0]);
    if (ready <= 0 && pid > 0)
        kill(pid, SIGKILL);
    struct rusage ru;
    int status = 0;
    *why = pid < 0 ? "fork failed" : "the child died";
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
        return -1;
    if (ready <= 0)
        *why = "timed out: killed";
    else if (WIFSIGNALED(status))
        *why = strsignal(WTERMSIG(status));
    return got == (ssize_t)len ? ru.ru_maxrss : -1;
}

typedef struct {
    const bench_env *e;
    const i2w_conv_desc *d;
    uint64_t seed;
    int entry;
} entry_job;

/* An entry with its own operands. */
static void entry_alone(void *arg, void *out)
{
    const entry_job *j = arg;
    bench_row *row = out;
    bench_case c;
    if (bench_case_init(&c, j->e->ctx, j->e->host, j->d, j->e->op, j->seed,
                        row->note, sizeof row->note)) {
        row->error = 1;
        return;
    }
    run_entry(j->e, &c, j->entry, row);
    bench_case_free(&c);
}

static void speedups(const bench_env *e, bench_row *rows, int count)
{
    const op_algos *t = &op_table[e->op];
    for (int i = 0; i < count; i++) {
        for (int b = 0; b < t->nbaselines; b++)
            for (int j = 0; j < count; j++)
                if (rows[i].ok && rows[j].ok &&
                    strcmp(rows[j].algo, i2w_algo_name(t->baseline[b])) == 0)
                    rows[i].speedup[b] = rows[j].ms / rows[i].ms;
        if (e->lib && rows[count - 1].ok && rows[i].ok && i < count - 1)
            rows[i].vs_lib = rows[count - 1].ms / rows[i].ms;
    }
}

typedef struct {
    bench_row *rows;
    size_t count, cap;
} row_list;

/* Room for `more` rows past list->count; -1 out of memory. */
static int reserve(row_list *list, size_t more)
{
    if (list->count + more <= list->cap)
        return 0;
    size_t cap = 2 * list->cap + more;
    bench_row *grown = realloc(list->rows, cap * sizeof *grown);
    if (!grown)
        return -1;
    list->rows = grown;
    list->cap = cap;
    return 0;
}

/* One (layer, layout) group into rows[0 .. entries-1]: every algorithm,
 * then the library. */
static void measure_group(const bench_env *e, const bench_layer *layer,
                          int index, i2w_layout layout, bench_row *rows)
{
    int entries = e->nalgos + (e->lib != NULL);
    i2w_conv_desc d = layer->d;
    int batch = e->opt->batch ? e->opt->batch
                : e->cuda || d.n < 8 ? d.n
                                     : 8;
    uint64_t seed = 0x9E3779B97F4A7C15ULL * (uint64_t)(index + 1);
    bench_case c;
    int have_case = 0;

    d.n = batch;
    d.layout = layout;
    bench_geom g;
    double flops = bench_geom_of(&d, &g) == 0 ? bench_flops(&g) : 0;
    /* host memory is measured per child; device memory is not RSS */
    int forked = e->opt->mem && !e->cuda;
    for (int i = 0; i < entries; i++) {
        bench_row *row = &rows[i];
        *row = (bench_row){ .backend = e->backend,
                            .layout = i2w_layout_name(layout),
                            .n = batch, .maxrss_kb = -1 };
        snprintf(row->layer, sizeof row->layer, "%s", layer->name);
        snprintf(row->algo, sizeof row->algo, "%s",
                 i < e->nalgos ? i2w_algo_name(e->algo[i]) : e->lib->name);
        progress(row);
        if (forked) {
            entry_job job = { e, &d, seed, i };
            const char *why;
            row->maxrss_kb = run_forked(entry_alone, &job, row, sizeof *row,
                                        &why);
            if (row->maxrss_kb < 0) {
                row->ok = 0;
                row->error = 1;
                snprintf(row->note, sizeof row->note, "%s", why);
            }
        } else {
            if (!have_case &&
                bench_case_init(&c, e->ctx, e->host, &d, e->op, seed,
                                row->note, sizeof row->note) == 0)
                have_case = 1;
            if (have_case)
                run_entry(e, &c, i, row);
            else
                row->error = 1;
        }
        row->flops = flops;
    }
    if (have_case)
        bench_case_free(&c);
    progress(NULL);
}

static void print_group(const bench_env *e, const bench_output *out,
                        bench_row *rows)
{
    int entries = e->nalgos + (e->lib != NULL);
    speedups(e, rows, entries);
    for (int i = 0; i < entries; i++)
        bench_output_row(out, &rows[i]);
    fflush(stdout);
}

typedef struct {
    const char *isa;
    int threads;
} peak_job;

static void peak_alone(void *arg, void *out)
{
    const peak_job *j = arg;
    *(double *)out = bench_peak_probe(j->isa, j->threads);
}

static const bench_comparator *comparator_for(i2w_backend b)
{
    (void)b;
#ifdef I2W_HAVE_ONEDNN
    if (b == I2W_BACKEND_X86)
        return &bench_onednn;
#endif
#ifdef I2W_HAVE_CUDNN
    if (b == I2W_BACKEND_CUDA)
        return &bench_cudnn;
#endif
    return NULL;
}

/* The host backend's peak by the probe (in a child under --mem, which
 * keeps OpenMP out of the parent), 0 when it cannot be measured. */
static double host_peak(const bench_env *e)
{
    peak_job job = { bench_isa_of(i2w_context_describe(e->ctx)),
                     i2w_context_threads(e->ctx) };
    double peak;
    const char *why;
    if (!e->opt->mem)
        return bench_peak_probe(job.isa, job.threads);
    return run_forked(peak_alone, &job, &peak, sizeof peak, &why) < 0 ? 0
                                                                      : peak;
}

/* The host backend's table title, with the peak in e. */
static void host_title(const bench_env *e, char *title, size_t len)
{
    const char *used =
        bench_peak_isa(bench_isa_of(i2w_context_describe(e->ctx)));
    int threads = i2w_context_threads(e->ctx);
    snprintf(title, len, "%s: peak %.1f GFLOP/s (measured: %s FMA probe, "
             "%d thread%s)", i2w_context_describe(e->ctx), e->peak,
             used ? used : "no", threads, threads == 1 ? "" : "s");
}

/* The timer and the peak for e's backend; the table title.  0 on
 * success. */
static int prepare_backend(bench_env *e, char *title, size_t len)
{
    if (e->cuda) {
#ifdef I2W_HAVE_CUDA
        char name[128];
        double theoretical;
        e->timer = bench_gpu_attach(e->ctx, title, len);
        if (!e->timer)
            return -1;
        e->peak = bench_gpu_peak(name, sizeof name, &theoretical);
        snprintf(title, len, "%s (%s): peak %.0f GFLOP/s (measured: FP32 "
                 "FMA probe; theoretical %.0f: SMs x clock x lanes x 2)",
                 i2w_context_describe(e->ctx), name, e->peak, theoretical);
        return 0;
#else
        snprintf(title, len, "built without the CUDA runtime: cannot time "
                             "the CUDA backend");
        return -1;
#endif
    }
    e->timer = &bench_host_timer;
    e->peak = host_peak(e);
    host_title(e, title, len);
    return 0;
}

/* Every (layer, layout) group, e->opt->rounds times over.  One round
 * prints each group as it is measured; more keep each row's best round
 * (bench_rounds_merge) and print the table at the end, under the highest
 * peak the rounds measured. */
static int run_rounds(bench_env *e, const bench_output *out, char *title,
                      size_t len, const bench_layer *layers, int nlayers,
                      row_list *list)
{
    const int rounds = e->opt->rounds;
    const int nlayouts = e->opt->nlayouts ? e->opt->nlayouts : 4;
    const size_t entries = (size_t)e->nalgos + (e->lib != NULL);
    const size_t groups = (size_t)nlayers * nlayouts;
    if (reserve(list, (groups + 1) * entries))
        return -1;
    bench_row *rows = list->rows + list->count;
    bench_row *scratch = rows + groups * entries;
    if (rounds == 1)
        bench_output_header(out, title);
    for (int r = 0; r < rounds; r++) {
        if (r > 0 && !e->cuda) {
            double peak = host_peak(e);
            if (peak > e->peak)
                e->peak = peak;
        }
        for (size_t gi = 0; gi < groups; gi++) {
            const int l = (int)(gi / nlayouts), k = (int)(gi % nlayouts);
            bench_row *best = rows + gi * entries;
            measure_group(e, &layers[l], l,
                          e->opt->nlayouts ? e->opt->layout[k]
                                           : (i2w_layout)k,
                          r == 0 ? best : scratch);
            if (rounds == 1)
                print_group(e, out, best);
            else if (r > 0)
                bench_rounds_merge(best, scratch, (int)entries);
        }
    }
    if (rounds > 1) {
        bench_rounds_set_peak(rows, groups * entries, e->peak);
        if (!e->cuda)
            host_title(e, title, len);
        snprintf(title + strlen(title), len - strlen(title),
                 "; each row its best of %d rounds%s", rounds,
                 e->cuda ? "" : ", the peak the probe's highest");
        bench_output_header(out, title);
        for (size_t gi = 0; gi < groups; gi++)
            print_group(e, out, rows + gi * entries);
    }
    list->count += groups * entries;
    return 0;
}

/* Every group of one backend; -1 when the backend could not run. */
static int run_backend(bench_env *e, i2w_backend b, const bench_layer *layers,
                       int nlayers, bench_output *out, row_list *rows)
{
    char title[512];
    i2w_status st = i2w_context_create(&e->ctx, b);
    e->backend = i2w_backend_name(b);
    if (st != I2W_OK) {
        printf("\n== %s: not run: %s: %s\n", e->backend,
               i2w_status_string(st), i2w_last_error());
        return -1;
    }
    if (e->opt->threads &&
        (st = i2w_context_set_threads(e->ctx, e->opt->threads)) != I2W_OK)
        printf("note: %s: --threads: %s: %s\n", e->backend,
               i2w_status_string(st), i2w_context_error(e->ctx));
    e->cuda = b == I2W_BACKEND_CUDA;
    e->lib = comparator_for(b);
    int rc = prepare_backend(e, title, sizeof title);
    if (rc == 0) {
        out->lib = e->lib ? e->lib->name : NULL;
        rc = run_rounds(e, out, title, sizeof title, layers, nlayers, rows);
    } else {
        printf("\n== %s: not run: %s\n", e->backend, title);
    }
    /* the context may still use its stream while it shuts down */
    i2w_context_destroy(e->ctx);
#ifdef I2W_HAVE_CUDA
    if (e->cuda)
        bench_gpu_release();
#endif
    return rc;
}

/* Keeps the layers named by --layer; -1 naming one that is not there. */
static int select_layers(const char *names, bench_layer *layers, int count)
{
    int kept = 0;
    if (!names)
        return count;
    for (const char *p = names; *p;) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (int i = 0; i < count; i++)
            found |= bench_same_name(p, len, layers[i].name);
        if (!found) {
            fprintf(stderr, "im2win-bench: --layer: no layer '%.*s'\n",
                    (int)len, p);
            return -1;
        }
        p += len + (p[len] == ',');
    }
    for (int i = 0; i < count; i++)
        if (bench_in_list(names, layers[i].name))
            layers[kept++] = layers[i];
    return kept;
}

/* Run from a build tree before `make install`, the bench uses the CUDA
 * plugin built beside it, as the tests do; an installed plugin, or one
 * named by IM2WIN_CUDA_PLUGIN, takes precedence. */
static void use_build_tree_plugin(void)
{
    if (!getenv("IM2WIN_CUDA_PLUGIN") &&
        access(I2W_BENCH_INSTALLED_PLUGIN, R_OK) != 0 &&
        access(I2W_BENCH_BUILD_PLUGIN, R_OK) == 0)
        setenv("IM2WIN_CUDA_PLUGIN", I2W_BENCH_BUILD_PLUGIN, 0);
}

int main(int argc, char **argv)
{
    bench_options o;
    int rc = bench_options_parse(argc, argv, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
#ifdef _OPENMP
    /* the comparison library and the peak probe use OpenMP's count */
    if (o.threads)
        omp_set_num_threads(o.threads);
#endif
    use_build_tree_plugin();
    if (o.info)
        return bench_info(&o);

    char err[256];
    const char *path = o.layers_file ? o.layers_file : bench_default_layers();
    bench_layer *layers;
    int nlayers = bench_layers_load(path, &layers, err, sizeof err);
    if (nlayers < 0) {
        fprintf(stderr, "im2win-bench: %s\n", err);
        return 2;
    }
    if ((nlayers = select_layers(o.layer_names, layers, nlayers)) < 0) {
        free(layers);
        return 2;
    }

    bench_env e = { .opt = &o, .op = o.op };
    if (layers[0].transposed && o.op != I2W_OP_BACKWARD_DATA) {
        printf("note: %s holds transposed convolutions: they run as "
               "bwd-data\n", path);
        e.op = I2W_OP_BACKWARD_DATA;
    }
    const op_algos *t = &op_table[e.op];
    e.algo = o.nalgos ? o.algo : t->algo;
    e.nalgos = o.nalgos ? o.nalgos : t->nalgos;

    i2w_status st = i2w_context_create(&e.host, I2W_BACKEND_REF);
    if (st != I2W_OK) {
        fprintf(stderr, "im2win-bench: reference context: %s: %s\n",
                i2w_status_string(st), i2w_last_error());
        free(layers);
        return 2;
    }
    bench_output out = { .mem = o.mem };
    for (int b = 0; b < t->nbaselines; b++)
        out.baseline[b] = i2w_algo_name(t->baseline[b]);
    if (o.csv && !(out.csv = fopen(o.csv, "w"))) {
        perror(o.csv);
        i2w_context_destroy(e.host);
        free(layers);
        return 2;
    }
    bench_output_csv_header(&out);
    int v = i2w_version();
    printf("im2win-bench: library %d.%d.%d, layers %s (%d), op %s, reps %s, "
           "rounds %d, check %s\n", v / 10000, v / 100 % 100, v % 100, path,
           nlayers,
           e.op == I2W_OP_FORWARD ? "fwd"
           : e.op == I2W_OP_BACKWARD_DATA ? "bwd-data"
                                           : "bwd-filter",
           o.reps ? "fixed" : "median of ~0.5 s (>= 5)", o.rounds,
           o.check ? "on a sample of 256 elements" : "off");

    /* no --backend: every available one but ref (AUTO's candidates) */
    static const i2w_backend all[] = { I2W_BACKEND_CUDA, I2W_BACKEND_X86 };
    const i2w_backend *backends = o.nbackends ? o.backend : all;
    int nbackends = o.nbackends ? o.nbackends : 2, ran = 0;
    row_list rows = { NULL, 0, 0 };
    for (int b = 0; b < nbackends; b++)
        ran += run_backend(&e, backends[b], layers, nlayers, &out, &rows) == 0;
    if (!ran && !o.nbackends) {
        printf("note: no fast backend here; running ref\n");
        ran += run_backend(&e, I2W_BACKEND_REF, layers, nlayers, &out,
                           &rows) == 0;
    }
    bench_output_totals(rows.rows, rows.count);

    int bad = ran == 0 || (o.nbackends && ran < o.nbackends);
    for (size_t i = 0; i < rows.count; i++)
        bad |= rows.rows[i].error ||
               (rows.rows[i].checked && rows.rows[i].check.fail);
    if (out.csv)
        fclose(out.csv);
    free(rows.rows);
    i2w_context_destroy(e.host);
    free(layers);
    return bad ? 1 : 0;
}
