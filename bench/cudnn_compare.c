/* cuDNN as the GPU comparison: cudnnConvolutionForward, BackwardData or
 * BackwardFilter (the case's op) in FP32 with CUDNN_FMA_MATH (no TF32, as
 * im2win), the fastest algorithm that cudnnFind*Algorithm measures for
 * the shape, with its workspace; on the case's own device buffers and the
 * bench's stream, so the same event timer times both.  cuDNN filters come
 * in NCHW (KCRS) or NHWC (KRSC) order only, the same as im2win's filters
 * for those two layouts; CHWN and CHWN8 are reported as skipped. */
#include <stdlib.h>

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "bench.h"

typedef struct {
    cudnnHandle_t handle;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    int algo; /* the op's cudnnConvolution*Algo_t */
    void *workspace;
    size_t workspace_bytes;
    const bench_case *c;
} cudnn_runner;

static void destroy(void *self)
{
    cudnn_runner *r = self;
    cudaFree(r->workspace);
    if (r->conv)
        cudnnDestroyConvolutionDescriptor(r->conv);
    if (r->w)
        cudnnDestroyFilterDescriptor(r->w);
    if (r->y)
        cudnnDestroyTensorDescriptor(r->y);
    if (r->x)
        cudnnDestroyTensorDescriptor(r->x);
    if (r->handle)
        cudnnDestroy(r->handle);
    free(r);
}

/* FORWARD: a=x b=w out=y; BACKWARD_DATA: a=dy b=w out=dx;
 * BACKWARD_FILTER: a=x b=dy out=dw */
static int run(void *self, char *note, size_t notelen)
{
    cudnn_runner *r = self;
    const bench_case *c = r->c;
    const float one = 1.0f, zero = 0.0f;
    cudnnStatus_t st;
    switch (c->op) {
    case I2W_OP_BACKWARD_DATA:
        st = cudnnConvolutionBackwardData(
            r->handle, &one, r->w, c->b, r->y, c->a, r->conv,
            (cudnnConvolutionBwdDataAlgo_t)r->algo, r->workspace,
            r->workspace_bytes, &zero, r->x, c->out);
        break;
    case I2W_OP_BACKWARD_FILTER:
        st = cudnnConvolutionBackwardFilter(
            r->handle, &one, r->x, c->a, r->y, c->b, r->conv,
            (cudnnConvolutionBwdFilterAlgo_t)r->algo, r->workspace,
            r->workspace_bytes, &zero, r->w, c->out);
        break;
    default:
        st = cudnnConvolutionForward(
            r->handle, &one, r->x, c->a, r->w, c->b, r->conv,
            (cudnnConvolutionFwdAlgo_t)r->algo, r->workspace,
            r->workspace_bytes, &zero, r->y, c->out);
        break;
    }
    if (st == CUDNN_STATUS_SUCCESS)
        return 0;
    snprintf(note, notelen, "cuDNN: %s", cudnnGetErrorString(st));
    return -1;
}

/* The first (fastest) usable result of a cudnnFind*Algorithm call: the
 * run uses the descriptor's FMA math, so only results that needed
 * tensor-op math are out.  The three ops' perf structs share these
 * fields. */
#define PICK(r, perf, found)                                                \
    do {                                                                    \
        for (int i_ = 0; i_ < (found); i_++)                                \
            if ((perf)[i_].status == CUDNN_STATUS_SUCCESS &&                \
                (perf)[i_].mathType != CUDNN_TENSOR_OP_MATH &&              \
                (perf)[i_].mathType !=                                      \
                    CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) {                \
                (r)->algo = (int)(perf)[i_].algo;                           \
                (r)->workspace_bytes = (perf)[i_].memory;                   \
                return CUDNN_STATUS_SUCCESS;                                \
            }                                                               \
        return CUDNN_STATUS_NOT_SUPPORTED;                                  \
    } while (0)

static cudnnStatus_t find_algo(cudnn_runner *r, i2w_op op)
{
    int found = 0;
    cudnnStatus_t st;
    if (op == I2W_OP_BACKWARD_DATA) {
        cudnnConvolutionBwdDataAlgoPerf_t
            perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        st = cudnnFindConvolutionBackwardDataAlgorithm(
            r->handle, r->w, r->y, r->conv, r->x,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &found, perf);
        if (st == CUDNN_STATUS_SUCCESS)
            PICK(r, perf, found);
    } else if (op == I2W_OP_BACKWARD_FILTER) {
        cudnnConvolutionBwdFilterAlgoPerf_t
            perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        st = cudnnFindConvolutionBackwardFilterAlgorithm(
            r->handle, r->x, r->y, r->conv, r->w,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &found, perf);
        if (st == CUDNN_STATUS_SUCCESS)
            PICK(r, perf, found);
    } else {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        st = cudnnFindConvolutionForwardAlgorithm(
            r->handle, r->x, r->w, r->conv, r->y,
            CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &found, perf);
        if (st == CUDNN_STATUS_SUCCESS)
            PICK(r, perf, found);
    }
    return st;
}

/* Descriptors and the algorithm; the first failing call's name, or NULL. */
static const char *build(cudnn_runner *r, const bench_case *c,
                         cudnnStatus_t *st)
{
    const bench_geom *g = &c->g;
    cudnnTensorFormat_t f = c->d.layout == I2W_LAYOUT_NCHW
                                ? CUDNN_TENSOR_NCHW
                                : CUDNN_TENSOR_NHWC;
#define STEP(call)                                                          \
    if ((*st = (call)) != CUDNN_STATUS_SUCCESS)                             \
        return #call;
    STEP(cudnnCreate(&r->handle))
    STEP(cudnnSetStream(r->handle, (cudaStream_t)bench_gpu_stream()))
    STEP(cudnnCreateTensorDescriptor(&r->x))
    STEP(cudnnCreateTensorDescriptor(&r->y))
    STEP(cudnnCreateFilterDescriptor(&r->w))
    STEP(cudnnCreateConvolutionDescriptor(&r->conv))
    STEP(cudnnSetTensor4dDescriptor(r->x, f, CUDNN_DATA_FLOAT, g->n, g->c,
                                    g->h, g->w))
    STEP(cudnnSetTensor4dDescriptor(r->y, f, CUDNN_DATA_FLOAT, g->n, g->k,
                                    g->ho, g->wo))
    STEP(cudnnSetFilter4dDescriptor(r->w, CUDNN_DATA_FLOAT, f, g->k, g->cg,
                                    g->r, g->s))
    STEP(cudnnSetConvolution2dDescriptor(r->conv, g->ph, g->pw, g->sh, g->sw,
                                         g->dh, g->dw,
                                         CUDNN_CROSS_CORRELATION,
                                         CUDNN_DATA_FLOAT))
    STEP(cudnnSetConvolutionGroupCount(r->conv, g->g))
    STEP(cudnnSetConvolutionMathType(r->conv, CUDNN_FMA_MATH))
    STEP(find_algo(r, c->op))
#undef STEP
    if (r->workspace_bytes &&
        cudaMalloc(&r->workspace, r->workspace_bytes) != cudaSuccess) {
        *st = CUDNN_STATUS_ALLOC_FAILED;
        return "cudaMalloc (workspace)";
    }
    return NULL;
}

static bench_setup setup(bench_case *c, bench_runner *out, char *note,
                         size_t notelen)
{
    cudnnStatus_t st;
    if (c->d.layout != I2W_LAYOUT_NCHW && c->d.layout != I2W_LAYOUT_NHWC) {
        snprintf(note, notelen, "cuDNN has no %s filter format",
                 i2w_layout_name(c->d.layout));
        return BENCH_SKIP;
    }
    cudnn_runner *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(note, notelen, "out of memory");
        return BENCH_ERROR;
    }
    r->c = c;
    const char *failed = build(r, c, &st);
    if (failed) {
        snprintf(note, notelen, "cuDNN %s: %s", failed,
                 cudnnGetErrorString(st));
        destroy(r);
        return st == CUDNN_STATUS_NOT_SUPPORTED ? BENCH_SKIP : BENCH_ERROR;
    }
    *out = (bench_runner){ run, destroy, r, r->workspace_bytes };
    return BENCH_OK;
}

static void describe(char *buf, size_t len)
{
    size_t v = cudnnGetVersion();
    snprintf(buf, len, "cuDNN %zu.%zu.%zu", v / 10000, v / 100 % 100,
             v % 100);
}

const bench_comparator bench_cudnn = { "cuDNN", setup, describe };
