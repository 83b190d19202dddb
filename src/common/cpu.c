/* x86 feature detection: cpuid says what the core can do, xgetbv says
 * whether the OS saves the wider register state; both are needed. */
#include <stdlib.h>
#include <string.h>

#include "common/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void)
{
    unsigned int lo, hi;
    /* xgetbv with ecx = 0; encoded by hand so the library needs no -mxsave */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/* Why detect() found no usable level. */
static const char *why_none;

static i2w_isa detect(void)
{
    unsigned int a, b, c, d;
    why_none = "the CPU lacks AVX2+FMA";
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return I2W_ISA_NONE;
    const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
    if ((c & (fma | avx)) != (fma | avx))
        return I2W_ISA_NONE;
    /* xgetbv exists only where the OS set OSXSAVE */
    unsigned long long xcr0 = c & osxsave ? read_xcr0() : 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 5)))
        return I2W_ISA_NONE; /* no AVX2 */
    why_none = "the OS does not enable the AVX register state";
    if ((xcr0 & 0x6) != 0x6) /* SSE and YMM state */
        return I2W_ISA_NONE;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return I2W_ISA_NONE;
    const unsigned avx512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    if ((b & avx512) == avx512 && (xcr0 & 0xe0) == 0xe0) /* F DQ BW VL, ZMM */
        return I2W_ISA_AVX512;
    return I2W_ISA_AVX2;
}
#else
static const char *why_none = "not an x86 CPU";

static i2w_isa detect(void)
{
    return I2W_ISA_NONE;
}
#endif

const char *i2w_cpu_isa_none_reason(void)
{
    return i2w_cpu_isa_detected() == I2W_ISA_NONE ? why_none : "";
}

i2w_isa i2w_cpu_isa_detected(void)
{
    /* cpuid is costly in a VM and the answer never changes: read it once */
    static int known;
    static i2w_isa isa;
    if (!__atomic_load_n(&known, __ATOMIC_ACQUIRE)) {
        isa = detect();
        __atomic_store_n(&known, 1, __ATOMIC_RELEASE);
    }
    return isa;
}

i2w_isa i2w_cpu_isa(void)
{
    i2w_isa hw = i2w_cpu_isa_detected();
    const char *env = getenv("IM2WIN_ISA");
    if (env && strcmp(env, "avx2") == 0 && hw > I2W_ISA_AVX2)
        return I2W_ISA_AVX2;
    return hw;
}

const char *i2w_isa_name(i2w_isa isa)
{
    switch (isa) {
    case I2W_ISA_AVX512: return "avx512";
    case I2W_ISA_AVX2: return "avx2";
    case I2W_ISA_NONE: break;
    }
    return "none";
}
