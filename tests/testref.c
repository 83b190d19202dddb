/* tu_ref_run (testutil.h): apart from testutil.c so that suites which do
 * not call it need not supply the hidden reference functions. */
#include "ref/ref.h"
#include "testutil.h"

void tu_ref_run(const i2w_shape *sh, i2w_op op, const float *a,
                const float *b, const float *bias, float *out)
{
    switch (op) {
    case I2W_OP_FORWARD:
        i2w_ref_forward(sh, a, b, bias, out);
        break;
    case I2W_OP_BACKWARD_DATA:
        i2w_ref_backward_data(sh, a, b, out);
        break;
    case I2W_OP_BACKWARD_FILTER:
        i2w_ref_backward_filter(sh, a, b, out);
        break;
    }
}
