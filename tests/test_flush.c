/* ofs_set_flush_denormal: with it on, a subnormal float read as an operand counts as
   zero and a result that would be subnormal is zero, on the calling thread and on
   every OpenMP thread; with it off, IEEE behaviour again. Where the processor or
   compiler cannot (neither x86 nor AArch64), turning it on must fail with
   OFS_ERR_UNSUPPORTED and a message, and turning it off succeed.
     cc -std=c99 -O2 -I. tests/test_flush.c -lm   (add -fopenmp for the threads) */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include <float.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* volatile: computed by the processor at run time, not folded by the compiler. */
static volatile float g_tiny = 1e-40f, g_small = 1e-30f, g_scale = 1e-10f, g_one = 1.0f;

/* 1 when this thread flushes: a subnormal operand reads as zero (DAZ) and a
   subnormal product becomes zero (FTZ); 0 when both are kept; -1 for a mix. */
static int thread_flushes(void)
{
    const float in = g_tiny * g_one, out = g_small * g_scale;   /* 1e-40 and 1e-40: both subnormal */
    const int daz = in == 0.0f, ftz = out == 0.0f;
    return daz && ftz ? 1 : !daz && !ftz ? 0 : -1;
}

/* How the threads of a parallel region behave: 1 all flush, 0 none, -1 otherwise. */
static int team_flushes(int *nthreads)
{
    int all = 1, none = 1, n = 1;
#ifdef _OPENMP
#pragma omp parallel reduction(&& : all, none)
    {
        const int f = thread_flushes();
        all = f == 1; none = f == 0;
#pragma omp single
        n = omp_get_num_threads();
    }
#else
    const int f = thread_flushes();
    all = f == 1; none = f == 0;
#endif
    *nthreads = n;
    return all ? 1 : none ? 0 : -1;
}

int main(void)
{
    ofs_err e;
    ofs_status st;
    int n = 0;
    CHECK(g_tiny > 0 && g_tiny < FLT_MIN, "the test value is subnormal");
    CHECK(thread_flushes() == 0, "subnormals are kept by default");
    CHECK(team_flushes(&n) == 0, "subnormals are kept by default on all %d threads", n);
    st = ofs_set_flush_denormal(1, &e);
    if (st == OFS_OK) {
        CHECK(thread_flushes() == 1, "on: a subnormal operand is zero and a subnormal result is zero");
        CHECK(team_flushes(&n) == 1, "on: every one of the %d OpenMP threads flushes", n);
        CHECK(st == OFS_OK && ofs_set_flush_denormal(0, &e) == OFS_OK, "turned off again");
        CHECK(thread_flushes() == 0, "off: subnormals are kept again");
        CHECK(team_flushes(&n) == 0, "off: on all %d threads", n);
    } else {
        CHECK(st == OFS_ERR_UNSUPPORTED && strstr(e.msg, "not supported") != NULL, "a clear refusal, found %d: %s", (int)st, e.msg);
        CHECK(thread_flushes() == 0, "a refusal changes nothing");
        CHECK(ofs_set_flush_denormal(0, &e) == OFS_OK, "off is always possible");
    }
    return harness_done("test_flush");
}
