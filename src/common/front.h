/* Front-end services shared by the files of src/common. */
#ifndef I2W_FRONT_H
#define I2W_FRONT_H

#include "common/internal.h"

/* Records a message as this thread's last context-less error (read by
 * i2w_last_error) and returns status. */
I2W_HIDDEN i2w_status i2w_last_fail(i2w_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
I2W_HIDDEN void i2w_last_clear(void);

/* The CUDA plugin's backend table, loaded on first use; NULL with the
 * reason in why when it cannot be loaded. */
I2W_HIDDEN const i2w_backend_ops *i2w_cuda_plugin_load(char *why,
                                                       size_t whylen);

/* a * b into *out unless it overflows size_t (then returns 0). */
static inline int i2w_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > (size_t)-1 / a)
        return 0;
    *out = a * b;
    return 1;
}

#endif /* I2W_FRONT_H */
