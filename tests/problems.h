/* The two problems of the optimizer references (tests/ref/problems.py): the convex
   "cubic" (3 parameters) and the non-convex "wave" (4). grad_of writes the gradient at
   th, start_of the start point, and returns the number of parameters. */
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
#endif
