/* Tests for ofs_gemm against ofs_gemm_ref.
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

/* One case: compare ofs_gemm with ofs_gemm_ref. Returns nothing; records
 * one check for the values and, for beta == 0 over NaN, one for finiteness. */
static void run_case(int ta, int tb, int M, int N, int K, ofs_real beta,
                     int nan_fill)
{
    const size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    ofs_real *A = (ofs_real *)malloc((na ? na : 1) * sizeof *A);
    ofs_real *B = (ofs_real *)malloc((nb ? nb : 1) * sizeof *B);
    ofs_real *C = (ofs_real *)malloc((nc ? nc : 1) * sizeof *C);
    ofs_real *R = (ofs_real *)malloc((nc ? nc : 1) * sizeof *R);
    ofs_real *C0 = (ofs_real *)malloc((nc ? nc : 1) * sizeof *C0);
    double worst = 0.0, worst_tol = 0.0;
    int ok = 1, finite = 1;
    size_t t;
    int i, j, k;

    if (!A || !B || !C || !R || !C0) {
        printf("FAIL out of memory\n");
        ++g_fail;
        free(A);
        free(B);
        free(C);
        free(R);
        free(C0);
        return;
    }
    for (t = 0; t < na; ++t)
        A[t] = rnd();
    for (t = 0; t < nb; ++t)
        B[t] = rnd();
    for (t = 0; t < nc; ++t) {
        C[t] = nan_fill ? (ofs_real)NAN : rnd();
        R[t] = C[t];
        C0[t] = C[t];
    }

    ofs_gemm(ta, tb, M, N, K, A, B, beta, C);
    ofs_gemm_ref(ta, tb, M, N, K, A, B, beta, R);

    for (i = 0; i < M; ++i) {
        for (j = 0; j < N; ++j) {
            /* recursive summation bound plus rounding of the reference:
             * (K + 4) eps (sum_k |a b| + |beta c0|) */
            double mag = 0.0, tol, err;
            const double got = (double)C[(size_t)i * N + j];
            const double ref = (double)R[(size_t)i * N + j];
            for (k = 0; k < K; ++k) {
                const double a = (double)(ta ? A[(size_t)k * M + i]
                                             : A[(size_t)i * K + k]);
                const double b = (double)(tb ? B[(size_t)j * K + k]
                                             : B[(size_t)k * N + j]);
                mag += fabs(a * b);
            }
            if (beta != (ofs_real)0)
                mag += fabs((double)beta * (double)C0[(size_t)i * N + j]);
            tol = ((double)K + 4.0) * g_eps * mag + 1e-300;
            err = fabs(got - ref);
            if (!(err <= tol)) { /* NaN counts as failure */
                if (ok || !(err <= worst)) {
                    worst = err;
                    worst_tol = tol;
                }
                ok = 0;
            }
            if (!(got == got) || fabs(got) > 1e300)
                finite = 0;
        }
    }
    check(ok, nan_fill ? "values (C was NaN)" : "values", ta, tb, M, N, K,
          (double)beta, worst, worst_tol);
    if (nan_fill)
        check(finite, "finite after beta=0 over NaN", ta, tb, M, N, K,
              (double)beta, 0.0, 0.0);
    free(A);
    free(B);
    free(C);
    free(R);
    free(C0);
}

/* ofs_gemm must write exactly the M x N elements of C: guard elements just
 * before and after C must survive. */
static void run_guard_case(int ta, int tb, int M, int N, int K)
{
    const size_t nc = (size_t)M * N;
    ofs_real *A = (ofs_real *)malloc((size_t)M * K * sizeof *A);
    ofs_real *B = (ofs_real *)malloc((size_t)K * N * sizeof *B);
    ofs_real *Cg = (ofs_real *)malloc((nc + 2) * sizeof *Cg);
    size_t t;
    int ok;
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
    ofs_gemm(ta, tb, M, N, K, A, B, (ofs_real)0, Cg + 1);
    ok = Cg[0] == (ofs_real)12345 && Cg[nc + 1] == (ofs_real)12345;
    check(ok, "no writes outside C", ta, tb, M, N, K, 0.0, 0.0, 0.0);
    free(A);
    free(B);
    free(Cg);
}

int main(void)
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
    printf("test_gemm: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail != 0;
}
