/* What the bench programs share: the header's implementation, and a monotonic clock.
   Include it first (it asks for POSIX's clock_gettime). */
#ifndef OFS_BENCH_H
#define OFS_BENCH_H
#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 199309L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"

static double now_sec(void)   /* seconds on CLOCK_MONOTONIC */
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#endif
