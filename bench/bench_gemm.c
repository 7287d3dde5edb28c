/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. bench/bench_gemm.c -o build/bench_gemm -lm
 *
 * Benchmark for ofs_gemm.
 *  1. Measures the machine's multiply-add peak (GFLOP/s, 1 FMA = 2 flops) with
 *     independent chains of vector FMAs written with intrinsics, at the widest
 *     vector width the CPU runs (found at run time: AVX-512F, else AVX2 + FMA,
 *     else a plain C loop), whatever -march the program was built with; on one
 *     thread and on all OpenMP threads. On an AVX-512 machine the 256-bit peak
 *     is printed too, for comparison.
 *  2. For the matrix products of an MNIST MLP 784-256-10 with batch 128, in the
 *     layouts ofs_mlp uses (the first two are the epoch's large products), times
 *     ofs_gemm (warm-up, then best of several timed batches, CLOCK_MONOTONIC)
 *     on one thread and on all threads, and prints GFLOP/s and the percentage
 *     of the measured (widest) peak for the same thread count. The operands
 *     start on 64-byte boundaries, as every array the library allocates does;
 *     the forward product is timed once more with C 16 bytes past one (where
 *     malloc may put it), which costs it some 10% on two threads here.
 *
 * Build in double with -DOFS_REAL=double. Thread count: OMP_NUM_THREADS.
 */
#include "bench.h"

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

/* ------------------------------------------------------------ FMA peak
 *
 * Each thread runs PEAK chains of a = a * m + d (m = 0.999999: the values stay
 * normal and finite), each chain one vector register, with explicit vector
 * intrinsics in functions compiled for their own instruction set (target
 * attributes), so the width measured does not depend on the build's -march or
 * on the compiler's preferred vector width. The widest the CPU runs is picked at
 * run time: AVX-512F (512-bit, 16 chains), else AVX2 + FMA (256-bit, 12 chains
 * in 16 registers), else the plain C loop (whatever the compiler makes of it).
 * Both cover an FMA latency of 4 cycles times 2 ports and leave registers to
 * spare (with 24 chains, clang 14 spills some to the stack when the build's
 * -march has no AVX-512, and measures half the peak). On an AVX-512 machine
 * the 256-bit peak is measured too, for comparison (some compilers' tuning
 * prefers 256-bit vectors there). */

#define PEAK_C_CHAINS 12
#define PEAK_C_LANES ((int)(64 / sizeof(ofs_real)))

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define PEAK_LANE_LOOP _Pragma("GCC unroll 1")
#else
#define PEAK_LANE_LOOP
#endif

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

volatile long peak_iters_v = 20000000L;
volatile double peak_seed_v = 1.0;

/* the plain C loop: 2 * PEAK_C_CHAINS * PEAK_C_LANES * iters flops */
static double peak_plain(long iters, double seed)
{
    ofs_real acc[PEAK_C_CHAINS][PEAK_C_LANES], m[PEAK_C_LANES], d[PEAK_C_LANES];
    double s = 0;
    long it;
    int i, l;
    for (l = 0; l < PEAK_C_LANES; ++l) {
        m[l] = (ofs_real)0.999999;
        d[l] = (ofs_real)(1e-7 * seed * l);
    }
    for (i = 0; i < PEAK_C_CHAINS; ++i)
        PEAK_LANE_LOOP
        for (l = 0; l < PEAK_C_LANES; ++l)
            acc[i][l] = (ofs_real)seed;
    for (it = 0; it < iters; ++it) {
#define PEAK_C_STEP(c)                                                        \
    PEAK_LANE_LOOP                                                            \
    for (l = 0; l < PEAK_C_LANES; ++l)                                        \
        acc[c][l] = peak_fma(acc[c][l], m[l], d[l]);
        PEAK_C_STEP(0) PEAK_C_STEP(1) PEAK_C_STEP(2) PEAK_C_STEP(3)
        PEAK_C_STEP(4) PEAK_C_STEP(5) PEAK_C_STEP(6) PEAK_C_STEP(7)
        PEAK_C_STEP(8) PEAK_C_STEP(9) PEAK_C_STEP(10) PEAK_C_STEP(11)
#undef PEAK_C_STEP
    }
    for (i = 0; i < PEAK_C_CHAINS; ++i)
        for (l = 0; l < PEAK_C_LANES; ++l)
            s += (double)acc[i][l];
    return s;
}

#if (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
#define PEAK_X86 1
#include <immintrin.h>

/* X(i, p, q) for each chain i */
#define PEAK_CH12(X, p, q)                                                    \
    X(0, p, q) X(1, p, q) X(2, p, q) X(3, p, q) X(4, p, q) X(5, p, q)         \
    X(6, p, q) X(7, p, q) X(8, p, q) X(9, p, q) X(10, p, q) X(11, p, q)
#define PEAK_CH16(X, p, q)                                                    \
    PEAK_CH12(X, p, q) X(12, p, q) X(13, p, q) X(14, p, q) X(15, p, q)
#define PEAK_DECL(i, V, SET1) V a##i = SET1(s0 + (i));
#define PEAK_STEP(i, FMA, unused) a##i = FMA(a##i, m, d);
#define PEAK_SUM(i, STORE, unused)                                            \
    STORE(out, a##i);                                                         \
    for (l = 0; l < (int)(sizeof out / sizeof out[0]); ++l)                   \
        sum += (double)out[l];

/* 2 * chains * (vector bytes / sizeof(S)) * iters flops */
#define PEAK_KERNEL(NAME, TARGET, V, S, SET1, FMA, STORE, CH)                 \
    __attribute__((target(TARGET))) static double NAME(long iters,            \
                                                       double seed)           \
    {                                                                         \
        const S s0 = (S)seed;                                                 \
        const V m = SET1((S)0.999999), d = SET1((S)(1e-7 * seed));           \
        S out[sizeof(V) / sizeof(S)];                                         \
        double sum = 0;                                                       \
        long it;                                                              \
        int l;                                                                \
        CH(PEAK_DECL, V, SET1)                                                \
        for (it = 0; it < iters; ++it) {                                      \
            CH(PEAK_STEP, FMA, 0)                                             \
        }                                                                     \
        CH(PEAK_SUM, STORE, 0)                                                \
        return sum;                                                           \
    }

PEAK_KERNEL(peak512_ps, "avx512f", __m512, float, _mm512_set1_ps,
            _mm512_fmadd_ps, _mm512_storeu_ps, PEAK_CH16)
PEAK_KERNEL(peak512_pd, "avx512f", __m512d, double, _mm512_set1_pd,
            _mm512_fmadd_pd, _mm512_storeu_pd, PEAK_CH16)
PEAK_KERNEL(peak256_ps, "avx2,fma", __m256, float, _mm256_set1_ps,
            _mm256_fmadd_ps, _mm256_storeu_ps, PEAK_CH12)
PEAK_KERNEL(peak256_pd, "avx2,fma", __m256d, double, _mm256_set1_pd,
            _mm256_fmadd_pd, _mm256_storeu_pd, PEAK_CH12)
#endif

typedef struct peak_kind {
    const char *what;                 /* printed: the width and instruction set */
    double (*run)(long iters, double seed);
    double flops_per_iter;            /* 2 x chains x lanes */
} peak_kind;

/* widest = 1: the widest kernel the CPU runs; widest = 0: the 256-bit one.
   Returns 0 (and leaves *k alone) when there is no such kernel here. */
static int peak_pick(int widest, peak_kind *k)
{
    const int single = sizeof(ofs_real) == sizeof(float);
    const double lanes256 = single ? 8 : 4;
#ifdef PEAK_X86
    __builtin_cpu_init();
    if (widest && __builtin_cpu_supports("avx512f")) {
        k->what = "512-bit AVX-512F vectors, 16 chains";
        k->run = single ? peak512_ps : peak512_pd;
        k->flops_per_iter = 2.0 * 16 * 2 * lanes256;
        return 1;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        k->what = "256-bit AVX2+FMA vectors, 12 chains";
        k->run = single ? peak256_ps : peak256_pd;
        k->flops_per_iter = 2.0 * 12 * lanes256;
        return 1;
    }
#else
    (void)lanes256;
#endif
    if (!widest)
        return 0;
    k->what = "plain C loop, vector width the compiler's choice, 12 chains";
    k->run = peak_plain;
    k->flops_per_iter = 2.0 * PEAK_C_CHAINS * PEAK_C_LANES;
    return 1;
}

/* best GFLOP/s over a few runs with nthreads threads each running the loop */
static double measure_peak(const peak_kind *k, int nthreads, double *sink)
{
    const long iters = peak_iters_v;
    double best = 0.0;
    int r;
    for (r = 0; r < 5; ++r) { /* the first run doubles as warm-up */
        double t, gf, s = 0.0;
        int used = 1;
        t = now_sec();
        if (nthreads <= 1) {
            s = k->run(iters, peak_seed_v);
        } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(nthreads) reduction(+ : s)
            {
                s += k->run(iters, peak_seed_v);
#pragma omp single
                used = omp_get_num_threads();
            }
#endif
        }
        t = now_sec() - t;
        *sink += s;
        gf = k->flops_per_iter * (double)iters * used / t * 1e-9;
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

/* n numbers starting `off` bytes past a 64-byte boundary (every array the library
 * allocates starts on one: off 0); *base is what to free. */
static ofs_real *alloc_at(size_t n, size_t off, void **base)
{
    unsigned char *p = (unsigned char *)malloc(n * sizeof(ofs_real) + 64 + off);
    *base = p;
    if (!p) return NULL;
    return (ofs_real *)(p + (64 - (size_t)((uintptr_t)p % 64)) % 64 + off);
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
    double sink = 0.0, peak1, peakn, unaligned1 = 0, unalignedn = 0;
    peak_kind kind, narrow;
    unsigned seed = 12345u;
    int si;

    printf("ofs_gemm benchmark: matrix kernel %s, ofs_real = %s, %d thread(s) available\n", ofs_gemm_kernel(),
           sizeof(ofs_real) == sizeof(float) ? "float" : "double", nthr);
    peak_pick(1, &kind);
    peak1 = measure_peak(&kind, 1, &sink);
    peakn = nthr > 1 ? measure_peak(&kind, nthr, &sink) : peak1;
    printf("FMA peak: %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d thread%s"
           " (%s, %s)\n", peak1, peakn, nthr, nthr > 1 ? "s" : "", kind.what,
           sizeof(ofs_real) == sizeof(float) ? "float" : "double");
    if (peak_pick(0, &narrow) && narrow.run != kind.run) {
        const double n1 = measure_peak(&narrow, 1, &sink);
        const double nn = nthr > 1 ? measure_peak(&narrow, nthr, &sink) : n1;
        printf("for comparison, 256-bit FMA: %.1f GFLOP/s on 1 thread, %.1f"
               " GFLOP/s on %d thread%s (%s)\n", n1, nn, nthr,
               nthr > 1 ? "s" : "", narrow.what);
    }
    printf("%-26s %12s %6s %-20s %-20s %8s\n", "", "", "",
           " ----- 1 thread -----", " --- all threads ----", "");
    printf("%-26s %12s %6s %6s %6s %6s %6s %6s %6s %8s\n", "shape",
           "MxNxK", "MFLOP", "best", "%peak", "median", "best", "%peak",
           "median", "rel.err");

    for (si = 0; si < nshape; ++si) {
        const shape *s = &shapes[si];
        const size_t na = (size_t)s->M * s->K, nb = (size_t)s->K * s->N,
                     nc = (size_t)s->M * s->N;
        void *base[5];
        ofs_real *A = alloc_at(na, 0, &base[0]), *B = alloc_at(nb, 0, &base[1]);
        ofs_real *C = alloc_at(nc, 0, &base[2]), *R = alloc_at(nc, 0, &base[3]);
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
        printf("%-26s %12s %6.2f %6.1f %5.0f%% %6.1f %6.1f %5.0f%% %6.1f"
               " %8.1e\n",
               s->name, dims, flops * 1e-6, g1, 100.0 * g1 / peak1,
               flops / m1 * 1e-9, gn, 100.0 * gn / peakn, flops / mn * 1e-9,
               err);
        sink += (double)C[0];
        if (si == 0) {   /* the forward product once more, C as malloc may place it */
            ofs_real *C16 = alloc_at(nc, 16, &base[4]);
            if (C16) {
                set_threads(1);
                t1 = time_gemm(s, A, B, C16, &m1);
                set_threads(nthr);
                tn = time_gemm(s, A, B, C16, &mn);
                unaligned1 = flops / t1 * 1e-9;
                unalignedn = flops / tn * 1e-9;
                sink += (double)C16[0];
            }
            free(base[4]);
        }
        free(base[0]);
        free(base[1]);
        free(base[2]);
        free(base[3]);
    }
    if (unaligned1 > 0)
        printf("fwd  784->256 with C 16 bytes past a cache line (malloc's alignment): %.1f GFLOP/s = %.0f%% on 1 thread,"
               " %.1f = %.0f%% on %d\n", unaligned1, 100.0 * unaligned1 / peak1, unalignedn, 100.0 * unalignedn / peakn, nthr);
    printf("GFLOP/s over %d batches of ~2 ms (best and median); %%peak = best"
           " / measured FMA peak\nfor the same thread count. A, B and C start on"
           " 64-byte\nboundaries, as the library's own arrays do. Products under"
           " %.0e multiply-adds run on one thread\nwhatever the thread count."
           " rel.err = max |C - ref| / max |ref|. (checksum %g)\n",
           TIME_ROUNDS, (double)OFS__GEMM_PAR_MIN, sink);
    return 0;
}
