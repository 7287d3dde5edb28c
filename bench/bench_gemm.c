/* gcc -std=c99 -O3 -march=native -fopenmp -o bench_gemm bench/bench_gemm.c -lm
 *
 * Benchmark for ofs_gemm.
 *  1. Measures the machine's multiply-add peak (GFLOP/s, 1 FMA = 2 flops)
 *     with a vectorized loop of independent FMA chains, on one thread and on
 *     all OpenMP threads.
 *  2. For the matrix products of an MNIST MLP 784-256-10 with batch 128, in the
 *     layouts ofs_mlp uses (the first two are the epoch's large products), times
 *     ofs_gemm (warm-up, then best of several timed batches, CLOCK_MONOTONIC)
 *     on one thread and on all threads, and prints GFLOP/s and the percentage
 *     of the measured peak for the same thread count.
 *
 * Build in double with -DOFS_REAL=double. Thread count: OMP_NUM_THREADS.
 */
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

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* ------------------------------------------------------------ FMA peak */

#define PEAK_LANES ((int)(64 / sizeof(ofs_real))) /* one 512-bit vector */
#define PEAK_CHAINS 12 /* independent accumulator vectors (> latency x ports);
                          peak_run spells out this many steps */

static ofs_real peak_fma(ofs_real a, ofs_real b, ofs_real c)
{
#if defined(__FMA__) || defined(__AVX512F__) || defined(__aarch64__) || \
    defined(FP_FAST_FMAF)
    return sizeof(ofs_real) == sizeof(float)
               ? (ofs_real)fmaf((float)a, (float)b, (float)c)
               : (ofs_real)fma((double)a, (double)b, (double)c);
#else
    return a * b + c;
#endif
}

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define PEAK_LANE_LOOP _Pragma("GCC unroll 1")
#else
#define PEAK_LANE_LOOP
#endif

volatile long peak_iters_v = 20000000L;
volatile ofs_real peak_seed_v = (ofs_real)1;

/* 2 * PEAK_CHAINS * PEAK_LANES * iters flops */
static ofs_real peak_run(long iters, ofs_real seed)
{
    ofs_real acc[PEAK_CHAINS][PEAK_LANES], m[PEAK_LANES], d[PEAK_LANES];
    ofs_real s = 0;
    long it;
    int i, l;
    for (l = 0; l < PEAK_LANES; ++l) {
        m[l] = (ofs_real)0.999999;
        d[l] = (ofs_real)1e-7 * seed * (ofs_real)l;
    }
    for (i = 0; i < PEAK_CHAINS; ++i)
        PEAK_LANE_LOOP
        for (l = 0; l < PEAK_LANES; ++l)
            acc[i][l] = seed;
    for (it = 0; it < iters; ++it) {
        /* chains written out so that each is one vector op in a register */
#define PEAK_STEP(c)                                                          \
    PEAK_LANE_LOOP                                                            \
    for (l = 0; l < PEAK_LANES; ++l)                                          \
        acc[c][l] = peak_fma(acc[c][l], m[l], d[l]);
        PEAK_STEP(0) PEAK_STEP(1) PEAK_STEP(2) PEAK_STEP(3)
        PEAK_STEP(4) PEAK_STEP(5) PEAK_STEP(6) PEAK_STEP(7)
        PEAK_STEP(8) PEAK_STEP(9) PEAK_STEP(10) PEAK_STEP(11)
#undef PEAK_STEP
    }
    for (i = 0; i < PEAK_CHAINS; ++i)
        PEAK_LANE_LOOP
        for (l = 0; l < PEAK_LANES; ++l)
            s += acc[i][l];
    return s;
}

/* best GFLOP/s over a few runs with nthreads threads each running the loop */
static double measure_peak(int nthreads, double *sink)
{
    const long iters = peak_iters_v;
    const double flops_per_thread =
        2.0 * PEAK_CHAINS * PEAK_LANES * (double)iters;
    double best = 0.0;
    int r;
    for (r = 0; r < 4; ++r) { /* first run doubles as warm-up */
        double t, gf, s = 0.0;
        int used = 1;
        t = now_sec();
        if (nthreads <= 1) {
            s = (double)peak_run(iters, peak_seed_v);
        } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(nthreads) reduction(+ : s)
            {
                s += (double)peak_run(iters, peak_seed_v);
#pragma omp single
                used = omp_get_num_threads();
            }
#endif
        }
        t = now_sec() - t;
        *sink += s;
        gf = flops_per_thread * used / t * 1e-9;
        if (gf > best)
            best = gf;
    }
    return best;
}

/* ------------------------------------------------------------ gemm timing */

typedef struct shape {
    const char *name;
    int ta, tb, M, N, K;
} shape;

static void fill(ofs_real *x, size_t n, unsigned *state)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        *state = *state * 1664525u + 1013904223u;
        x[i] = (ofs_real)((double)(*state >> 8) / 8388608.0 - 1.0);
    }
}

/* Seconds per call: warm-up, then `rounds` timed batches of about 2 ms;
 * returns the best batch average and stores the median in *median. The best
 * batch filters out interference from other processes on a shared machine. */
static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

#define TIME_ROUNDS 201

static double time_gemm(const shape *s, const ofs_real *A, const ofs_real *B,
                        ofs_real *C, double *median)
{
    const double flops = 2.0 * s->M * s->N * s->K;
    /* batch size from a rough 1e11 flop/s guess, at least 1 call */
    const int reps = (int)(2e-3 * 1e11 / flops) + 1;
    double t, sample[TIME_ROUNDS];
    int r, q;
    for (q = 0; q < 20 * reps; ++q) /* warm-up: caches, threads, pages */
        ofs_gemm(s->ta, s->tb, s->M, s->N, s->K, A, B, (ofs_real)0, C);
    for (r = 0; r < TIME_ROUNDS; ++r) {
        t = now_sec();
        for (q = 0; q < reps; ++q)
            ofs_gemm(s->ta, s->tb, s->M, s->N, s->K, A, B, (ofs_real)0, C);
        sample[r] = (now_sec() - t) / reps;
    }
    qsort(sample, TIME_ROUNDS, sizeof sample[0], cmp_double);
    *median = sample[TIME_ROUNDS / 2];
    return sample[0];
}

static double max_rel_err(const ofs_real *C, const ofs_real *R, size_t n)
{
    double e = 0.0, scale = 0.0;
    size_t i;
    for (i = 0; i < n; ++i)
        if (fabs((double)R[i]) > scale)
            scale = fabs((double)R[i]);
    for (i = 0; i < n; ++i) {
        double d = fabs((double)C[i] - (double)R[i]);
        if (!(d <= e))
            e = d;
    }
    return scale > 0.0 ? e / scale : e;
}

int main(void)
{
    static const shape shapes[] = {
        /* as ofs_mlp computes them: W is out x in, row-major (PyTorch's nn.Linear) */
        {"fwd  784->256  X.W^T   NT", 0, 1, 128, 256, 784},
        {"dW   784->256  G^T.X   TN", 1, 0, 256, 784, 128},
        {"dX   784->256  G.W     NN", 0, 0, 128, 784, 256},  /* not needed for the input layer */
        {"fwd  256->10   H.W^T   NT", 0, 1, 128, 10, 256},
        {"dW   256->10   G^T.H   TN", 1, 0, 10, 256, 128},
        {"dH   256->10   G.W     NN", 0, 0, 128, 256, 10},
    };
    const int nshape = (int)(sizeof shapes / sizeof shapes[0]);
    const int nthr = max_threads();
    double sink = 0.0, peak1, peakn;
    unsigned seed = 12345u;
    int si;

    printf("ofs_gemm benchmark: ofs_real = %s, %d thread(s) available\n",
           sizeof(ofs_real) == sizeof(float) ? "float" : "double", nthr);
    peak1 = measure_peak(1, &sink);
    peakn = nthr > 1 ? measure_peak(nthr, &sink) : peak1;
    printf("FMA peak: %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d threads\n",
           peak1, peakn, nthr);
    printf("%-26s %12s %6s %-20s %-20s %8s\n", "", "", "",
           " ----- 1 thread -----", " --- all threads ----", "");
    printf("%-26s %12s %6s %6s %6s %6s %6s %6s %6s %8s\n", "shape",
           "MxNxK", "MFLOP", "best", "%peak", "median", "best", "%peak",
           "median", "rel.err");

    for (si = 0; si < nshape; ++si) {
        const shape *s = &shapes[si];
        const size_t na = (size_t)s->M * s->K, nb = (size_t)s->K * s->N,
                     nc = (size_t)s->M * s->N;
        ofs_real *A = (ofs_real *)malloc(na * sizeof *A);
        ofs_real *B = (ofs_real *)malloc(nb * sizeof *B);
        ofs_real *C = (ofs_real *)malloc(nc * sizeof *C);
        ofs_real *R = (ofs_real *)malloc(nc * sizeof *R);
        const double flops = 2.0 * s->M * s->N * s->K;
        double t1, tn, m1, mn, g1, gn, err;
        char dims[32];
        if (!A || !B || !C || !R) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        fill(A, na, &seed);
        fill(B, nb, &seed);
        ofs_gemm(s->ta, s->tb, s->M, s->N, s->K, A, B, (ofs_real)0, C);
        ofs_gemm_ref(s->ta, s->tb, s->M, s->N, s->K, A, B, (ofs_real)0, R);
        err = max_rel_err(C, R, nc);

        set_threads(1);
        t1 = time_gemm(s, A, B, C, &m1);
        set_threads(nthr);
        tn = time_gemm(s, A, B, C, &mn);
        g1 = flops / t1 * 1e-9;
        gn = flops / tn * 1e-9;
        sprintf(dims, "%dx%dx%d", s->M, s->N, s->K);
        printf("%-26s %12s %6.2f %6.1f (%3.0f%%) %6.1f %6.1f (%3.0f%%) %6.1f"
               " %8.1e\n",
               s->name, dims, flops * 1e-6, g1, 100.0 * g1 / peak1,
               flops / m1 * 1e-9, gn, 100.0 * gn / peakn, flops / mn * 1e-9,
               err);
        sink += (double)C[0];
        free(A);
        free(B);
        free(C);
        free(R);
    }
    printf("GFLOP/s over %d batches of ~2 ms (best and median); %%peak = best"
           " / measured FMA peak\nfor the same thread count. Products under"
           " %.0e multiply-adds run on one thread\nwhatever the thread count."
           " rel.err = max |C - ref| / max |ref|. (checksum %g)\n",
           TIME_ROUNDS, (double)OFS__GEMM_PAR_MIN, sink);
    return 0;
}
