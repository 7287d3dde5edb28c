/* Tests for ofs_gemm against ofs_gemm_ref, for every kernel (book, generic, avx2, avx512).
 *
 *   cc -std=c99 -O2 -Wall -Wextra -pedantic tests/test_gemm.c -lm && ./a.out
 *   cc ... -DOFS_REAL=double ...            (double precision)
 *   cc ... -fopenmp ...                     (threaded paths)
 *
 * Checks every (trans_a, trans_b) combination, beta 0 and 1, beta 0 with C
 * pre-filled with NaN (must be ignored), K == 0, and sizes chosen to hit
 * full and partial register/cache tiles. The error bound is relative to
 * sum_k |a(i,k)| |b(k,j)| and grows with K.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* with OpenMP, split even the smallest products over the threads so that the
 * partitioning is exercised everywhere */
#ifndef OFS__GEMM_PAR_MIN
#define OFS__GEMM_PAR_MIN 0.0
#endif
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"

static int g_pass = 0, g_fail = 0;

static void check(int ok, const char *what, int ta, int tb, int M, int N,
                  int K, double beta, double err, double tol)
{
    if (ok) {
        ++g_pass;
    } else {
        ++g_fail;
        printf("FAIL %s: ta=%d tb=%d M=%d N=%d K=%d beta=%g err=%.3g "
               "tol=%.3g\n",
               what, ta, tb, M, N, K, beta, err, tol);
    }
}

static unsigned g_rng = 2463534242u;
static ofs_real rnd(void) /* uniform in [-1, 1) */
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 17;
    g_rng ^= g_rng << 5;
    return (ofs_real)((double)(g_rng >> 8) / 8388608.0 - 1.0);
}

static const double g_eps =
    sizeof(ofs_real) == sizeof(float) ? 1.1920929e-7 : 2.220446e-16;

/* The kernels this processor runs (set in main); each case runs all of them. */
static const char *g_kernels[4];
static int g_nkernels;

/* One case: compare ofs_gemm, with each kernel, with ofs_gemm_ref (computed once,
 * with the error bound of each element). Records one check per kernel for the
 * values and, for beta == 0 over NaN, one for finiteness. */
static void run_case(int ta, int tb, int M, int N, int K, ofs_real beta,
                     int nan_fill)
{
    const size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    ofs_real *A = (ofs_real *)calloc(na ? na : 1, sizeof *A);
    ofs_real *B = (ofs_real *)calloc(nb ? nb : 1, sizeof *B);
    ofs_real *C = (ofs_real *)malloc((nc ? nc : 1) * sizeof *C);
    ofs_real *R = (ofs_real *)malloc((nc ? nc : 1) * sizeof *R);
    ofs_real *C0 = (ofs_real *)malloc((nc ? nc : 1) * sizeof *C0);
    double *tol = (double *)malloc((nc ? nc : 1) * sizeof *tol);
    const char *mine = ofs_gemm_kernel();
    size_t t;
    int i, j, k, q;

    if (!A || !B || !C || !R || !C0 || !tol) {
        printf("FAIL out of memory\n");
        ++g_fail;
        free(A); free(B); free(C); free(R); free(C0); free(tol);
        return;
    }
    for (t = 0; t < na; ++t)
        A[t] = rnd();
    for (t = 0; t < nb; ++t)
        B[t] = rnd();
    for (t = 0; t < nc; ++t) {
        C0[t] = nan_fill ? (ofs_real)NAN : rnd();
        R[t] = C0[t];
    }
    ofs_gemm_ref(ta, tb, M, N, K, A, B, beta, R);
    for (i = 0; i < M; ++i)
        for (j = 0; j < N; ++j) {
            /* recursive summation bound plus rounding of the reference:
             * (K + 4) eps (sum_k |a b| + |beta c0|) */
            double mag = 0.0;
            for (k = 0; k < K; ++k)
                mag += fabs((double)(ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k]) *
                            (double)(tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j]));
            if (beta != (ofs_real)0)
                mag += fabs((double)beta * (double)C0[(size_t)i * N + j]);
            tol[(size_t)i * N + j] = ((double)K + 4.0) * g_eps * mag + 1e-300;
        }
    for (q = 0; q < g_nkernels; ++q) {
        double worst = 0.0, worst_tol = 0.0;
        int ok = 1, finite = 1;
        char what[64];
        memcpy(C, C0, (nc ? nc : 1) * sizeof *C);
        (void)ofs_gemm_set_kernel(g_kernels[q], NULL);
        ofs_gemm(ta, tb, M, N, K, A, B, beta, C);
        for (t = 0; t < nc; ++t) {
            const double got = (double)C[t], err = fabs(got - (double)R[t]);
            if (!(err <= tol[t])) { /* NaN counts as failure */
                if (ok || !(err <= worst)) {
                    worst = err;
                    worst_tol = tol[t];
                }
                ok = 0;
            }
            if (!(got == got) || fabs(got) > 1e300)
                finite = 0;
        }
        sprintf(what, "%s: values%s", g_kernels[q], nan_fill ? " (C was NaN)" : "");
        check(ok, what, ta, tb, M, N, K, (double)beta, worst, worst_tol);
        if (nan_fill) {
            sprintf(what, "%s: finite after beta=0 over NaN", g_kernels[q]);
            check(finite, what, ta, tb, M, N, K, (double)beta, 0.0, 0.0);
        }
    }
    (void)ofs_gemm_set_kernel(mine, NULL);
    free(A); free(B); free(C); free(R); free(C0); free(tol);
}

/* ofs_gemm must write exactly the M x N elements of C: guard elements just
 * before and after C must survive. */
static void run_guard_case(int ta, int tb, int M, int N, int K)
{
    const size_t nc = (size_t)M * N;
    ofs_real *A = (ofs_real *)malloc((size_t)M * K * sizeof *A);
    ofs_real *B = (ofs_real *)malloc((size_t)K * N * sizeof *B);
    ofs_real *Cg = (ofs_real *)malloc((nc + 2) * sizeof *Cg);
    const char *mine = ofs_gemm_kernel();
    size_t t;
    int ok, q;
    if (!A || !B || !Cg) {
        printf("FAIL out of memory\n");
        ++g_fail;
        free(A);
        free(B);
        free(Cg);
        return;
    }
    for (t = 0; t < (size_t)M * K; ++t)
        A[t] = rnd();
    for (t = 0; t < (size_t)K * N; ++t)
        B[t] = rnd();
    for (t = 0; t < nc + 2; ++t)
        Cg[t] = (ofs_real)12345;
    for (q = 0; q < g_nkernels; ++q) {
        (void)ofs_gemm_set_kernel(g_kernels[q], NULL);
        ofs_gemm(ta, tb, M, N, K, A, B, (ofs_real)0, Cg + 1);
        ok = Cg[0] == (ofs_real)12345 && Cg[nc + 1] == (ofs_real)12345;
        check(ok, g_kernels[q], ta, tb, M, N, K, 0.0, 0.0, 0.0);
    }
    (void)ofs_gemm_set_kernel(mine, NULL);
    free(A);
    free(B);
    free(Cg);
}

/* The whole suite, on the kernel ofs_gemm uses now. */
static void run_suite(void)
{
    static const int sizes[] = {1, 3, 17, 31, 65, 129};
    const int ns = (int)(sizeof sizes / sizeof sizes[0]);
    /* shapes around the register tile (12 or 6 rows x 2 vectors), the
     * depth block (256) and the MLP shapes */
    static const int shapes[][3] = {
        {12, 32, 5},    {13, 33, 7},     {24, 64, 300},   {11, 15, 257},
        {8, 16, 1},     {4, 48, 513},    {20, 10, 40},    {2, 200, 3},
        {128, 256, 784}, {256, 784, 128}, {128, 784, 256}, {128, 10, 256},
        {10, 256, 128}, {128, 256, 10},  {100, 300, 600}, {257, 97, 33},
    };
    const int nsh = (int)(sizeof shapes / sizeof shapes[0]);
    int ta, tb, a, b, c, s, nb;

    for (ta = 0; ta < 2; ++ta) {
        for (tb = 0; tb < 2; ++tb) {
            /* all combinations of the odd sizes, beta 0 and 1 */
            for (a = 0; a < ns; ++a)
                for (b = 0; b < ns; ++b)
                    for (c = 0; c < ns; ++c)
                        for (nb = 0; nb < 2; ++nb)
                            run_case(ta, tb, sizes[a], sizes[b], sizes[c],
                                     (ofs_real)nb, 0);
            /* beta = 0 over NaN, a few other betas, larger shapes */
            for (s = 0; s < nsh; ++s) {
                const int M = shapes[s][0], N = shapes[s][1],
                          K = shapes[s][2];
                run_case(ta, tb, M, N, K, (ofs_real)0, 1);
                run_case(ta, tb, M, N, K, (ofs_real)1, 0);
                run_case(ta, tb, M, N, K, (ofs_real)-0.5, 0);
                run_guard_case(ta, tb, M, N, K);
            }
            /* K == 0: C = beta * C, and zero (not NaN) for beta == 0 */
            run_case(ta, tb, 7, 9, 0, (ofs_real)0, 1);
            run_case(ta, tb, 7, 9, 0, (ofs_real)1, 0);
        }
    }
#ifdef _OPENMP
    /* other team sizes: column split with leftover columns shared by rows,
     * row split, more threads than row panels */
    {
        static const int teams[] = {1, 3, 4, 7};
        int q;
        for (q = 0; q < 4; ++q) {
            omp_set_num_threads(teams[q]);
            for (ta = 0; ta < 2; ++ta)
                for (tb = 0; tb < 2; ++tb) {
                    run_case(ta, tb, 128, 256, 784, (ofs_real)0, 1);
                    run_case(ta, tb, 37, 301, 129, (ofs_real)1, 0);
                    run_case(ta, tb, 301, 17, 129, (ofs_real)1, 0);
                    run_case(ta, tb, 5, 784, 20, (ofs_real)0, 1);
                    run_case(ta, tb, 2, 3, 4, (ofs_real)1, 0);
                    run_guard_case(ta, tb, 13, 113, 9);
                }
        }
    }
#endif
}

/* Two kernels that add in the same order must give the same bits: C from the
   current kernel against C from `other`, on the MLP's shapes in every layout. */
static void same_bits_as(const char *other)
{
    static const int shapes[][3] = {{128, 256, 784}, {256, 784, 128}, {37, 301, 129}, {13, 33, 7}, {128, 10, 256}};
    const char *mine = ofs_gemm_kernel();
    int s, ta, tb;
    for (s = 0; s < 5; ++s)
        for (ta = 0; ta < 2; ++ta)
            for (tb = 0; tb < 2; ++tb) {
                const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                const size_t nc = (size_t)M * N;
                ofs_real *A = (ofs_real *)malloc((size_t)M * K * sizeof *A), *B = (ofs_real *)malloc((size_t)K * N * sizeof *B);
                ofs_real *C1 = (ofs_real *)malloc(nc * sizeof *C1), *C2 = (ofs_real *)malloc(nc * sizeof *C2);
                size_t t;
                if (!A || !B || !C1 || !C2) { printf("FAIL out of memory\n"); ++g_fail; free(A); free(B); free(C1); free(C2); return; }
                for (t = 0; t < (size_t)M * K; ++t) A[t] = rnd();
                for (t = 0; t < (size_t)K * N; ++t) B[t] = rnd();
                for (t = 0; t < nc; ++t) C1[t] = C2[t] = rnd();
                ofs_gemm(ta, tb, M, N, K, A, B, (ofs_real)1, C1);
                (void)ofs_gemm_set_kernel(other, NULL);
                ofs_gemm(ta, tb, M, N, K, A, B, (ofs_real)1, C2);
                (void)ofs_gemm_set_kernel(mine, NULL);
                check(memcmp(C1, C2, nc * sizeof *C1) == 0, other, ta, tb, M, N, K, 1.0, 0.0, 0.0);
                free(A); free(B); free(C1); free(C2);
            }
}

int main(void)
{
    static const char *const kernels[] = {"book", "generic", "avx2", "avx512"};
    const char *best = ofs_gemm_kernel();
    ofs_err e;
    int k, skipped = 0;
    printf("test_gemm: the processor's kernel is %s\n", best);
    for (k = 0; k < 4; ++k) {
        ofs_status st = ofs_gemm_set_kernel(kernels[k], &e);
        if (st != OFS_OK) {   /* not on this processor or compiler: skipped, and said */
            check(st == OFS_ERR_UNSUPPORTED || (st == OFS_ERR_ARG && k >= 2), "a kernel that exists is accepted", 0, 0, 0, 0, 0, 0, 0, 0);
            printf("SKIP kernel %s: %s\n", kernels[k], e.msg);
            ++skipped;
            continue;
        }
        check(strcmp(ofs_gemm_kernel(), kernels[k]) == 0, "the kernel set is the kernel used", 0, 0, 0, 0, 0, 0, 0, 0);
        g_kernels[g_nkernels++] = kernels[k];
    }
    (void)ofs_gemm_set_kernel("auto", NULL);
    check(strcmp(ofs_gemm_kernel(), best) == 0, "auto chooses the processor's kernel again", 0, 0, 0, 0, 0, 0, 0, 0);
    printf("test_gemm: every case with the kernels");
    for (k = 0; k < g_nkernels; ++k) printf(" %s", g_kernels[k]);
    printf("\n");
    run_suite();
    /* the vector kernels add in the generic kernel's order: where it has
       hardware FMA, the same bits; AVX-512 and AVX2 always */
    for (k = 0; k < g_nkernels; ++k) {
        if (strcmp(g_kernels[k], "avx2") != 0 && strcmp(g_kernels[k], "avx512") != 0) continue;
        (void)ofs_gemm_set_kernel(g_kernels[k], NULL);
        if (OFS__USE_FMA) same_bits_as("generic");
        if (k + 1 < g_nkernels) same_bits_as(g_kernels[k + 1]);
    }
    (void)ofs_gemm_set_kernel("auto", NULL);
    check(ofs_gemm_set_kernel("avx1024", &e) == OFS_ERR_ARG && strstr(e.msg, "expected one of auto, book, generic") != NULL,
          "an unknown kernel is refused, with the names", 0, 0, 0, 0, 0, 0, 0, 0);
    if (skipped) printf("test_gemm: %d passed, %d failed, %d skipped\n", g_pass, g_fail, skipped);
    else printf("test_gemm: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail != 0;
}
