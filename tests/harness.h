/* A tiny test harness: CHECK counts a pass or prints a failure; every program
   ends with the line "NAME: N passed, N failed" that tests/run.sh adds up.
   Comparisons are written so that a NaN on either side fails. */
#ifndef OFS_HARNESS_H
#define OFS_HARNESS_H
#include <stdio.h>
#include <math.h>

static int harness_pass, harness_fail, harness_skip;

/* Something this machine cannot run (said, and counted as skipped). */
#define SKIP(...) do { harness_skip++; printf("SKIP "); printf(__VA_ARGS__); printf("\n"); } while (0)

#define CHECK(cond, ...) do { \
        if (cond) harness_pass++; \
        else { harness_fail++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
    } while (0)

/* |got - want| <= rtol |want| + atol; false when either is NaN. */
static inline int harness_close(double got, double want, double rtol, double atol)
{
    double d = fabs(got - want);
    return d <= rtol * fabs(want) + atol;
}

#define CHECK_CLOSE(got, want, rtol, atol, what) do { double g_ = (got), w_ = (want); \
        CHECK(harness_close(g_, w_, rtol, atol), "%s: got %.17g, want %.17g (rel err %.3g)", what, g_, w_, \
              fabs(g_ - w_) / (fabs(w_) > 0 ? fabs(w_) : 1.0)); } while (0)

static inline int harness_done(const char *name)
{
    if (harness_skip) printf("%s: %d passed, %d failed, %d skipped\n", name, harness_pass, harness_fail, harness_skip);
    else printf("%s: %d passed, %d failed\n", name, harness_pass, harness_fail);
    return harness_fail != 0;
}
#endif
