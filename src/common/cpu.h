/* x86 instruction-set level, read once with cpuid + xgetbv. */
#ifndef I2W_CPU_H
#define I2W_CPU_H

#include "common/internal.h"

typedef enum {
    I2W_ISA_NONE = 0, /* no AVX2+FMA (or not x86): x86 backend unavailable */
    I2W_ISA_AVX2,     /* AVX2 + FMA, OS saves YMM state */
    I2W_ISA_AVX512    /* AVX-512 F/DQ/BW/VL too, OS saves ZMM state */
} i2w_isa;

/* What the hardware and OS support. */
I2W_HIDDEN i2w_isa i2w_cpu_isa_detected(void);
/* What the library uses: the detected level, lowered by IM2WIN_ISA
 * (avx2|avx512) when that names a lower one. */
I2W_HIDDEN i2w_isa i2w_cpu_isa(void);
I2W_HIDDEN const char *i2w_isa_name(i2w_isa isa);
/* Why the detected level is I2W_ISA_NONE ("" otherwise). */
I2W_HIDDEN const char *i2w_cpu_isa_none_reason(void);

#endif /* I2W_CPU_H */
