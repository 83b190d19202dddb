/* tu_run_suite (testsuite.h): apart from testutil.c, which needs no
 * Check. */
#include "testsuite.h"

#include <stdlib.h>

int tu_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
