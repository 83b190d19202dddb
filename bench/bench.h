/* im2win-bench: shared types of the benchmark driver.  The driver sees the
 * library only through the public header; each file here does one thing
 * (layer CSVs, operands, timing, checking, peak probe, output, comparison
 * libraries, main). */
#ifndef I2W_BENCH_H
#define I2W_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h" /* I2W_HAVE_ONEDNN, I2W_HAVE_CUDNN, I2W_HAVE_CUDA */
#include "im2win.h"

/* ------------------------------------------------------------ options.c */

typedef struct {
    i2w_backend backend[3];
    int nbackends;          /* 0: every available one but ref */
    i2w_algo algo[8];
    int nalgos;             /* 0: every algorithm of the op */
    i2w_layout layout[4];
    int nlayouts;
    i2w_op op;
    const char *layers_file; /* NULL: the installed/source im2win12.csv */
    const char *layer_names; /* comma list, or NULL for all */
    int batch;               /* 0: 8 on host backends, the CSV's on CUDA */
    int reps;                /* 0: enough for ~0.5 s, at least 5 */
    int rounds;              /* passes over the whole set (>= 1) */
    int threads;             /* 0: the library's default */
    const char *csv;
    int mem, check, info;
    int fixed_filter; /* filter set on the plan once, outside the timing */
} bench_options;

/* 0: run; 1: done (--help printed); -1: bad usage (message printed). */
int bench_options_parse(int argc, char **argv, bench_options *o);
/* Whether the alen characters at a spell the name b (case-insensitive,
 * '-' matching '_'). */
int bench_same_name(const char *a, size_t alen, const char *b);
/* Whether name is in the comma-separated list. */
int bench_in_list(const char *list, const char *name);

/* ------------------------------------------------------------ layers.c */

/* One row of a layer CSV, as a forward convolution description.  Rows of a
 * transposed-convolution file (deconv.csv) are mapped with
 * i2w_conv_transpose_as_forward and can only run as backward data. */
typedef struct {
    char name[32];
    i2w_conv_desc d; /* n is the CSV's batch; layout set per run */
    int transposed;
} bench_layer;

/* The benchmark layer set: the source tree's copy when it is there, else
 * the installed one. */
const char *bench_default_layers(void);
/* Reads a CSV in im2win12.csv or deconv.csv format (told apart by the
 * header).  Returns the number of layers (>= 1) or -1 with err filled. */
int bench_layers_load(const char *path, bench_layer **layers, char *err,
                      size_t errlen);

/* ------------------------------------------------------------ operands.c */

/* A descriptor with its defaults filled in and the output size. */
typedef struct {
    int n, c, h, w, k, r, s;
    int sh, sw, ph, pw, dh, dw, g, cg, kg, ho, wo;
} bench_geom;

/* 0 on success; -1 when the library rejects the descriptor. */
int bench_geom_of(const i2w_conv_desc *d, bench_geom *g);
/* 2*N*K*Ho*Wo*C/g*R*S: the multiply-adds of every op on this shape */
double bench_flops(const bench_geom *g);

/* One op on one descriptor with its operands: random inputs kept in NCHW
 * terms on the host for the checker, and copies in the descriptor's layout
 * in the context's memory space for the run. */
typedef struct {
    i2w_context *ctx;
    i2w_conv_desc d;
    bench_geom g;
    i2w_op op;
    float *a_host, *b_host; /* NCHW-ordered inputs */
    void *a, *b, *out;      /* context memory, d.layout */
    double flops;           /* 2*N*K*Ho*Wo*C/g*R*S */
} bench_case;

/* 'x', 'w' or 'y': which tensor plays a, b and out for op. */
char bench_op_tensor(i2w_op op, int operand); /* operand 0=a 1=b 2=out */
/* terms summed per output element of op, for the error tolerance */
long bench_op_reduction(const bench_geom *g, i2w_op op);
/* The NCHW-order dims of tensor which ('x', 'w', 'y'): [n][c][h][w]
 * for activations, [k][c/g][r][s] for the filter; returns the product. */
size_t bench_tensor_dims(const bench_geom *g, char which, int dim[4]);

/* Creates the operands (host is a reference context used for host-side
 * layout conversions).  0 on success, else -1 with msg. */
int bench_case_init(bench_case *c, i2w_context *ctx, i2w_context *host,
                    const i2w_conv_desc *d, i2w_op op, uint64_t seed,
                    char *msg, size_t msglen);
void bench_case_free(bench_case *c);
/* Fills the output with NaN, so an element the run does not write fails
 * the check. */
int bench_case_poison(bench_case *c);
/* Downloads the output and converts it to NCHW order; NULL on failure. */
float *bench_case_result(bench_case *c, i2w_context *host);

/* ------------------------------------------------------------ strides.c */

/* Strides (in elements) of an activation of NCHW-order dims dim in
 * layout; -1 for CHWN8, which has none. */
int bench_activation_strides(i2w_layout layout, const int dim[4],
                             long stride[4]);
/* Strides of the filter as [g][K/g][C/g][R][S] in layout's format. */
void bench_filter_strides(i2w_layout layout, const bench_geom *g,
                          long stride[5]);

/* ------------------------------------------------------------ check.c */

typedef struct {
    int samples;
    double max_err; /* |got-want| / sum|terms|, worst over the sample */
    double tol;
    int fail;
} bench_check;

/* Recomputes a random sample of output elements in double from the host
 * inputs and compares them with got (NCHW order). */
bench_check bench_check_sample(const bench_case *c, const float *got,
                               int samples, uint64_t seed);

/* ------------------------------------------------------------ timing.c */

/* One execution of the thing measured: 0 on success, else nonzero with a
 * note. */
typedef struct {
    int (*run)(void *self, char *note, size_t notelen);
    void (*destroy)(void *self);
    void *self;
    size_t workspace;
} bench_runner;

/* Host timers bracket a run that returns when the work is done; GPU timers
 * record events on the stream the run was queued on. */
typedef struct {
    void (*begin)(void *t);
    double (*end_ms)(void *t); /* < 0 when the timer failed */
    void *t;
} bench_timer;

extern const bench_timer bench_host_timer;

typedef struct {
    double median_ms;
    double min_ms; /* the fastest run: on a loaded host the median lands on
                      scheduler ticks, the minimum less often */
    int reps;
} bench_stats;

/* Warm-up, then reps timed runs (reps <= 0: enough for target_s, at least
 * 5); the median.  0 on success, else nonzero with note. */
int bench_measure(const bench_runner *r, const bench_timer *t, int reps,
                  double target_s, bench_stats *st, char *note,
                  size_t notelen);
double bench_now(void);

/* ------------------------------------------------------------ runners */

typedef enum { BENCH_OK = 0, BENCH_SKIP, BENCH_ERROR } bench_setup;

/* im2win plan for c->op with algo (im2win_runner.c). */
bench_setup bench_im2win_runner(bench_case *c, i2w_algo algo,
                                int fixed_filter, bench_runner *r,
                                char *note, size_t notelen);

/* A comparison library: a runner for the case (its op, layout, operands),
 * or BENCH_SKIP with the reason when the library cannot do it. */
typedef struct {
    const char *name;
    bench_setup (*setup)(bench_case *c, bench_runner *r, char *note,
                         size_t notelen);
    /* the library's version, for --info */
    void (*describe)(char *buf, size_t len);
} bench_comparator;

#ifdef I2W_HAVE_ONEDNN
extern const bench_comparator bench_onednn;
#endif
#ifdef I2W_HAVE_CUDNN
extern const bench_comparator bench_cudnn;
#endif

/* ------------------------------------------------------------ gpu.c */

#ifdef I2W_HAVE_CUDA
/* A stream for ctx and an event timer on it; NULL when that fails. */
const bench_timer *bench_gpu_attach(i2w_context *ctx, char *msg,
                                    size_t msglen);
void *bench_gpu_stream(void);
/* FP32 peak of the current device in GFLOP/s, measured on the stream
 * (0 if unknown), its theoretical peak and its name. */
double bench_gpu_peak(char *name, size_t namelen, double *theoretical);
/* gpu_peak.cu: the FMA probe on a stream, GFLOP/s (0 if it cannot run) */
double bench_gpu_peak_probe(void *stream);
void bench_gpu_release(void);
#endif

/* ------------------------------------------------------------ peak.c */

/* The ISA a context description names ("avx512", "avx2"), else NULL. */
const char *bench_isa_of(const char *describe);
/* The ISA bench_peak_probe(isa, ...) measures: isa when this CPU has it,
 * the best it has when isa is NULL; NULL when there is none to probe. */
const char *bench_peak_isa(const char *isa);
/* Measured FMA throughput of that ISA on threads threads, GFLOP/s; 0 when
 * the probe cannot run here. */
double bench_peak_probe(const char *isa, int threads);

/* ------------------------------------------------------------ info.c */

/* --info: prints what this host and build offer; the exit status. */
int bench_info(const bench_options *o);

/* ------------------------------------------------------------ output.c */

typedef struct {
    char layer[32];
    const char *backend;
    const char *layout;
    char algo[24];
    int n;
    int ok;          /* measured */
    int error;       /* not measured because something failed (not a skip) */
    char note[160];  /* why not, when !ok */
    double ms, gflops, peak_gflops, peak_pct; /* peak 0 = unknown */
    double min_ms;
    int reps;
    size_t workspace;
    long maxrss_kb;  /* -1: not measured */
    int checked;     /* check ran */
    bench_check check;
    double speedup[2]; /* over the op's baselines; 0 = n/a */
    double vs_lib;     /* comparison library's ms / ms; 0 = n/a */
    double flops;
} bench_row;

typedef struct {
    FILE *csv;
    int mem;
    const char *baseline[2]; /* names of the op's baselines, or NULL */
    const char *lib;         /* comparison library name, or NULL */
} bench_output;

/* The CSV's header line (once, when o->csv is set). */
void bench_output_csv_header(const bench_output *o);
/* The column heads of one backend's table, under title. */
void bench_output_header(const bench_output *o, const char *title);
/* A measured row, or the reason it was not measured. */
void bench_output_row(const bench_output *o, const bench_row *row);
/* Sum of ms and overall GFLOP/s per (backend, layout, algo). */
void bench_output_totals(const bench_row *rows, size_t count);

/* ------------------------------------------------------------ rounds.c */

/* Another round's rows of a group into the best so far: a failure (an
 * error or a failed check) in any round sticks; else each row keeps the
 * round of the least median. */
void bench_rounds_merge(bench_row *best, const bench_row *now, int count);
/* The rows' share of the peak, measured again after the rounds. */
void bench_rounds_set_peak(bench_row *rows, size_t count, double peak);

#endif /* I2W_BENCH_H */
