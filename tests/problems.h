/* The two problems of the optimizer references (tests/ref/problems.py): the convex
   "cubic" (3 parameters) and the non-convex "wave" (4). grad_of writes the gradient at
   th, start_of the start point, and returns the number of parameters. The matrix
   problems "lsq" (3 x 5, convex) and "mf" (4 x 2, non-convex) of the Muon and
   Adafactor references: matrix_grad_of and matrix_start_of (which also gives the shape). */
#ifndef OFS_TEST_PROBLEMS_H
#define OFS_TEST_PROBLEMS_H
#include <string.h>
#include <math.h>

static void grad_of(const char *problem, const ofs_real *th, ofs_real *g, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        double x = (double)th[i];
        if (strcmp(problem, "cubic") == 0) {
            static const double c[3] = {1, 0.5, 2}, b[3] = {0.3, -0.1, 0.2};
            g[i] = (ofs_real)(c[i] * x + x * x * x - b[i]);
        } else {
            double k = 0.15 * M_PI;
            g[i] = (ofs_real)(cos(k * x) - k * x * sin(k * x) + 0.1 * x);
        }
    }
}

static size_t start_of(const char *problem, ofs_real *th)
{
    static const double cubic[3] = {1, -2, 0.5}, wave[4] = {1.5, -2.5, 0.3, 4.0};
    const double *s = strcmp(problem, "cubic") == 0 ? cubic : wave;
    size_t i, n = strcmp(problem, "cubic") == 0 ? 3 : 4;
    for (i = 0; i < n; i++) th[i] = (ofs_real)s[i];
    return n;
}

/* lsq: f(W) = |W A - B|^2 / 2, W 3 x 5, A 5 x 6, B 3 x 6: grad = (W A - B) A^T.
   mf: f(W) = |W W^T - M|^2 / 4, W 4 x 2, M = U U^T (4 x 4): grad = (W W^T - M) W.
   Every constant is an exact binary fraction (tests/ref/problems.py); sums in double. */
static inline double lsq_a(int i, int j) { return ((3 * i + 5 * j) % 7 - 3) / 4.0; }
static inline double lsq_b(int i, int j) { return ((2 * i + 3 * j) % 5 - 2) / 2.0; }
static inline double mf_u(int i, int j) { return ((i + 3 * j) % 4 - 1.5) / 2.0; }

static inline void matrix_grad_of(const char *problem, const ofs_real *th, ofs_real *g)
{
    int i, j, k;
    if (strcmp(problem, "lsq") == 0) {
        double r[3][6];
        for (i = 0; i < 3; i++)
            for (k = 0; k < 6; k++) {
                double s = 0;
                for (j = 0; j < 5; j++) s += (double)th[i * 5 + j] * lsq_a(j, k);
                r[i][k] = s - lsq_b(i, k);
            }
        for (i = 0; i < 3; i++)
            for (j = 0; j < 5; j++) {
                double s = 0;
                for (k = 0; k < 6; k++) s += r[i][k] * lsq_a(j, k);
                g[i * 5 + j] = (ofs_real)s;
            }
    } else {
        double S[4][4];
        for (i = 0; i < 4; i++)
            for (j = 0; j < 4; j++) {
                double m = mf_u(i, 0) * mf_u(j, 0) + mf_u(i, 1) * mf_u(j, 1);
                S[i][j] = (double)th[i * 2] * (double)th[j * 2] + (double)th[i * 2 + 1] * (double)th[j * 2 + 1] - m;
            }
        for (i = 0; i < 4; i++)
            for (j = 0; j < 2; j++) {
                double s = 0;
                for (k = 0; k < 4; k++) s += S[i][k] * (double)th[k * 2 + j];
                g[i * 2 + j] = (ofs_real)s;
            }
    }
}

static inline size_t matrix_start_of(const char *problem, ofs_real *th, size_t *rows, size_t *cols)
{
    int i, j;
    const int lsq = strcmp(problem, "lsq") == 0;
    *rows = lsq ? 3 : 4; *cols = lsq ? 5 : 2;
    for (i = 0; i < (int)*rows; i++)
        for (j = 0; j < (int)*cols; j++)
            th[i * (int)*cols + j] = (ofs_real)(lsq ? ((i + 2 * j) % 4 - 1.5) / 2.0 : ((2 * i + j) % 3 - 1) / 2.0 + 0.25);
    return *rows * *cols;
}
#endif
