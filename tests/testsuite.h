/* Running a Check suite the same way in every test program. */
#ifndef I2W_TESTSUITE_H
#define I2W_TESTSUITE_H

#include <check.h>

/* Runs s (forking per test unless CK_FORK=no says otherwise), prints
 * Check's summary, frees it; returns the exit status for main. */
int tu_run_suite(Suite *s);

#endif /* I2W_TESTSUITE_H */
