/* Names of the enums, the version, and the per-thread context-less error. */
#include <stdarg.h>
#include <stdio.h>

#include "common/front.h"

static _Thread_local char last_error[512];

i2w_status i2w_last_fail(i2w_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

void i2w_last_clear(void)
{
    last_error[0] = '\0';
}

const char *i2w_last_error(void)
{
    return last_error;
}

int i2w_version(void)
{
    return I2W_VERSION;
}

const char *i2w_status_string(i2w_status status)
{
    switch (status) {
    case I2W_OK: return "success";
    case I2W_ERR_INVALID_ARGUMENT: return "invalid argument";
    case I2W_ERR_UNSUPPORTED: return "unsupported";
    case I2W_ERR_OUT_OF_MEMORY: return "out of memory";
    case I2W_ERR_BACKEND_UNAVAILABLE: return "backend unavailable";
    case I2W_ERR_DEVICE: return "device error";
    case I2W_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *i2w_algo_name(i2w_algo algo)
{
    switch (algo) {
    case I2W_ALGO_AUTO: return "auto";
    case I2W_ALGO_DIRECT: return "direct";
    case I2W_ALGO_IM2COL_GEMM: return "im2col_gemm";
    case I2W_ALGO_IM2WIN: return "im2win";
    case I2W_ALGO_CONVV2: return "convv2";
    case I2W_ALGO_ZERO_INSERT: return "zero_insert";
    case I2W_ALGO_SUBKERNEL: return "subkernel";
    case I2W_ALGO_KS_DECONV: return "ks_deconv";
    case I2W_ALGO_SK_DILATED: return "sk_dilated";
    }
    return "unknown";
}

const char *i2w_layout_name(i2w_layout layout)
{
    switch (layout) {
    case I2W_LAYOUT_NCHW: return "nchw";
    case I2W_LAYOUT_NHWC: return "nhwc";
    case I2W_LAYOUT_CHWN: return "chwn";
    case I2W_LAYOUT_CHWN8: return "chwn8";
    }
    return "unknown";
}

const char *i2w_backend_name(i2w_backend backend)
{
    switch (backend) {
    case I2W_BACKEND_AUTO: return "auto";
    case I2W_BACKEND_REF: return "ref";
    case I2W_BACKEND_X86: return "x86";
    case I2W_BACKEND_CUDA: return "cuda";
    }
    return "unknown";
}
