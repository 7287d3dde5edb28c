/* cc -std=c99 -O2 -I. examples/ch01_landscape.c -o ch01_landscape -lm */
/* Chapter 1: why optimization is hard. Local minima of x cos(pi x), empirical
   versus true risk, a flat inflection point (x^3) and a saddle point (x^2 - y^2),
   gradient descent near the saddle, how rare minima are among the stationary
   points of random quadratics as the dimension grows, and the vanishing gradient
   of tanh, all evaluated with the library's toy objectives and optimizer.
   Writes out/ch01_*.dat for figures/ch01_*.gp. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <string.h>
#include <math.h>

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch01_landscape: cannot open %s for writing (run from the repository root; `make` creates out/)\n", path);
    return f;
}

/* f(x) and f'(x) of a 1-D toy. */
static double value(const ofs_toy *t, double x) { return ofs_toy_eval(t, &x, NULL, NULL); }
static double slope(const ofs_toy *t, double x) { double g; ofs_toy_eval(t, &x, &g, NULL); return g; }
static double curvature(const ofs_toy *t, double x) { double g, h; ofs_toy_eval(t, &x, &g, &h); return h; }

/* A stationary point of the toy between lo and hi, where f' changes sign: bisection. */
static double stationary(const ofs_toy *t, double lo, double hi)
{
    int i;
    for (i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi);
        if ((slope(t, lo) < 0) == (slope(t, mid) < 0)) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* The empirical risk of D2L's picture: g(x) = f(x) + 0.2 cos(5 pi x), and its slope. */
static double risk_emp(const ofs_toy *t, double x) { return value(t, x) + 0.2 * cos(5 * M_PI * x); }
static double risk_emp_slope(const ofs_toy *t, double x) { return slope(t, x) - M_PI * sin(5 * M_PI * x); }

/* Scan [a, b] for sign changes of f' and print every stationary point. Writes the
   minima to fm. Returns the number of minima. */
static int find_stationary(const ofs_toy *t, double a, double b, FILE *fm)
{
    const int n = 3000;
    int i, minima = 0;
    double best = 0, fbest = HUGE_VAL;
    for (i = 0; i < n; i++) {
        double lo = a + (b - a) * i / n, hi = a + (b - a) * (i + 1) / n;
        if ((slope(t, lo) < 0) != (slope(t, hi) < 0)) {
            double x = stationary(t, lo, hi), fx = value(t, x), h = curvature(t, x);
            printf("  stationary point x = %9.6f  f(x) = %9.6f  f''(x) = %9.6f  -> %s\n",
                   x, fx, h, h > 0 ? "local minimum" : h < 0 ? "local maximum" : "flat");
            if (h > 0) {
                minima++;
                fprintf(fm, "%.6f %.6f\n", x, fx);
                if (fx < fbest) { fbest = fx; best = x; }
            }
        }
    }
    printf("  endpoints: f(%g) = %f, f(%g) = %f\n", a, value(t, a), b, value(t, b));
    printf("  global minimum on [%g, %g]: x = %f, f = %f\n", a, b, best, fbest);
    return minima;
}

static int local_minima(FILE *fcurve, FILE *fm)
{
    ofs_toy t = ofs_toy_make(OFS_TOY_XCOS);   /* f(x) = x cos(pi x) */
    int i;
    printf("Local minima of f(x) = x cos(pi x) on [-1, 2]\n");
    fprintf(fcurve, "# x f\n");
    fprintf(fm, "# x f   (local minima)\n");
    for (i = 0; i <= 300; i++) {
        double x = -1.0 + 3.0 * i / 300;
        fprintf(fcurve, "%.5f %.6f\n", x, value(&t, x));
    }
    return find_stationary(&t, -1.0, 2.0, fm);
}

static void risks(FILE *fr)
{
    ofs_toy t = ofs_toy_make(OFS_TOY_XCOS);
    double xf, xg, lo = 0.5, hi = 1.5;
    int i;
    fprintf(fr, "# x risk_f empirical_g\n");
    for (i = 0; i <= 400; i++) {
        double x = lo + (hi - lo) * i / 400;
        fprintf(fr, "%.5f %.6f %.6f\n", x, value(&t, x), risk_emp(&t, x));
    }
    /* Minimum of the risk: near 1.1. Minimum of the empirical risk: scan a fine grid
       for the lowest g, then bisect g' around it. */
    xf = stationary(&t, 1.0, 1.3);
    xg = lo;
    for (i = 0; i <= 4000; i++) {
        double x = lo + (hi - lo) * i / 4000;
        if (risk_emp(&t, x) < risk_emp(&t, xg)) xg = x;
    }
    {
        double a = xg - (hi - lo) / 4000, b = xg + (hi - lo) / 4000;
        int k;
        for (k = 0; k < 100; k++) {
            double m = 0.5 * (a + b);
            if ((risk_emp_slope(&t, a) < 0) == (risk_emp_slope(&t, m) < 0)) a = m; else b = m;
        }
        xg = 0.5 * (a + b);
    }
    printf("\nEmpirical risk g(x) = f(x) + 0.2 cos(5 pi x) versus risk f(x), on [0.5, 1.5]\n");
    printf("  minimum of the risk f:           x = %f, f = %f\n", xf, value(&t, xf));
    printf("  minimum of the empirical risk g: x = %f, g = %f, f there = %f\n", xg, risk_emp(&t, xg), value(&t, xg));
}

static int saddles(FILE *fc, const char *grid)
{
    static const double box[4] = {-1, 1, -1, 1};
    ofs_toy cube = ofs_toy_make(OFS_TOY_CUBE), sad = ofs_toy_make(OFS_TOY_SADDLE);
    double x0 = 0.0, p[2] = {0.0, 0.0}, g[2], h[4];
    ofs_err err;
    int i;
    printf("\nStationary points that are not minima\n");
    ofs_toy_eval(&sad, p, g, h);
    printf("  f(x) = x^3 at x = 0: f' = %f, f'' = %f (an inflection point: neither a minimum nor a maximum)\n",
           slope(&cube, x0), curvature(&cube, x0));
    /* + 0.0 prints the gradient -2 * 0 = -0 as 0 */
    printf("  f(x, y) = x^2 - y^2 at (0, 0): gradient (%f, %f), Hessian diag(%f, %f): curving up along x, down along y\n",
           g[0] + 0.0, g[1] + 0.0, h[0], h[3]);
    fprintf(fc, "# x f\n");
    for (i = 0; i <= 200; i++) { double x = -2.0 + 4.0 * i / 200; fprintf(fc, "%.4f %.6f\n", x, value(&cube, x)); }
    /* A 31 x 31 grid for gnuplot's splot: blocks of constant x separated by blank lines. */
    if (ofs_toy_grid_save(grid, &sad, box, 31, 31, 0, &err) == OFS_OK) return 0;
    fprintf(stderr, "ch01_landscape: %s\n", err.msg);
    return 1;
}

/* Gradient descent (the library's SGD, lr 0.1) on the saddle x^2 - y^2 from (1, y0):
   x shrinks by 0.8 per step, y grows by 1.2. Returns the first step at which |y| > 1
   (the iterate has left the saddle), or 0 if it has not after `steps` steps; *f_end
   gets f there, or at the end. */
static int escape(double y0, int steps, double *f_end, ofs_err *err)
{
    ofs_toy sad = ofs_toy_make(OFS_TOY_SADDLE);
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
    ofs_optim opt;
    double x[2], g[2];
    int k;
    cfg.lr = 0.1;
    x[0] = 1.0; x[1] = y0;
    if (ofs_optim_init(&opt, &cfg, 2, err) != OFS_OK) return -1;
    for (k = 1; k <= steps; k++) {
        ofs_toy_eval(&sad, x, g, NULL);
        ofs_optim_step(&opt, x, g, NULL);
        if (fabs(x[1]) > 1) break;
    }
    ofs_optim_free(&opt);
    *f_end = ofs_toy_eval(&sad, x, NULL, NULL);
    return k <= steps ? k : 0;
}

static int saddle_escape(void)
{
    static const double y0[4] = {1e-2, 1e-4, 1e-8, 0.0};
    ofs_err err;
    int i;
    printf("\nGradient descent (lr 0.1) on f(x, y) = x^2 - y^2 from (1, y0), at most 1000 steps: y grows by 1.2 per step\n");
    for (i = 0; i < 4; i++) {
        double f;
        int k = escape(y0[i], 1000, &f, &err);
        if (k < 0) { fprintf(stderr, "ch01_landscape: %s\n", err.msg); return 1; }
        if (k > 0) printf("  y0 = %-6g  leaves the saddle (|y| > 1) at step %3d, f = %f   (log(1/y0) / log(1.2) = %.1f)\n",
                          y0[i], k, f, log(1 / y0[i]) / log(1.2));
        else printf("  y0 = %-6g  never leaves: after 1000 steps f = %f, the saddle's value\n", y0[i], f);
    }
    {   /* x^3: f'' = 0 at the flat point, not a strict saddle. From x = 1 the step
           0.3 x^2 shrinks faster than x, and the iterate creeps towards 0. */
        ofs_toy cube = ofs_toy_make(OFS_TOY_CUBE);
        ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
        double x = 1.0;
        cfg.lr = 0.1;
        if (ofs_toy_trace(&cube, &cfg, &x, 1000, NULL, &err) != OFS_OK) { fprintf(stderr, "ch01_landscape: %s\n", err.msg); return 1; }
        printf("Gradient descent (lr 0.1) on f(x) = x^3 from x = 1: after 1000 steps x = %f (1/(0.3 * 1000) = %f)\n", x, 1 / 300.0);
    }
    return 0;
}

/* How often is a stationary point a minimum? For random symmetric n x n matrices
   A = (G + G^T)/2, G with independent N(0, 1) entries (the Gaussian orthogonal
   ensemble), count how many are positive definite, i.e. how many quadratics
   x^T A x have a minimum at 0 rather than a saddle or a maximum. Positive
   definite exactly when the Cholesky factorization A = L L^T succeeds. */
static int positive_definite(double *a, int n)
{
    int i, j, k;
    for (j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0)) return 0;
        a[j * n + j] = sqrt(d);
        for (i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = s / a[j * n + j];
        }
    }
    return 1;
}

static void random_hessians(int samples)
{
    enum { NMAX = 6 };
    ofs_rng rng;
    double a[NMAX * NMAX];
    int n, s, i, j;
    ofs_rng_seed(&rng, 1);
    printf("\nRandom symmetric n x n matrices (G + G^T)/2, %d samples each: the fraction that is positive definite\n", samples);
    for (n = 1; n <= NMAX; n++) {
        long pd = 0;
        for (s = 0; s < samples; s++) {
            for (i = 0; i < n; i++)
                for (j = 0; j <= i; j++) {
                    double v = i == j ? ofs_rng_normal(&rng) : ofs_rng_normal(&rng) * sqrt(0.5);
                    a[i * n + j] = a[j * n + i] = v;
                }
            pd += positive_definite(a, n);
        }
        printf("  n = %d: %.6f  (%ld of %d)\n", n, (double)pd / samples, pd, samples);
    }
}

static void vanishing(FILE *ft)
{
    ofs_toy t = ofs_toy_make(OFS_TOY_TANH);
    int i;
    printf("\nVanishing gradients: f(x) = tanh(x)\n");
    printf("  f'(0) = %f, f'(2) = %f, f'(4) = %f\n", slope(&t, 0.0), slope(&t, 2.0), slope(&t, 4.0));
    fprintf(ft, "# x tanh dtanh\n");
    for (i = 0; i <= 240; i++) {
        double x = -6.0 + 12.0 * i / 240;
        fprintf(ft, "%.4f %.6f %.6f\n", x, value(&t, x), slope(&t, x));
    }
}

int main(int argc, char **argv)
{
    const char *paths[5] = {"out/ch01_xcos.dat", "out/ch01_minima.dat", "out/ch01_risk.dat",
                            "out/ch01_cube.dat", "out/ch01_tanh.dat"};
    FILE *f[5];
    int i, ok = 1;
    (void)argc; (void)argv;   /* --smoke: the full run takes under a second, it always does it */
    for (i = 0; i < 5; i++) { f[i] = open_out(paths[i]); ok = ok && f[i]; }
    if (ok) {
        local_minima(f[0], f[1]);
        risks(f[2]);
        ok = saddles(f[3], "out/ch01_saddle.dat") == 0 && saddle_escape() == 0;
        random_hessians(1000000);
        vanishing(f[4]);
    }
    for (i = 0; i < 5; i++) if (f[i]) fclose(f[i]);
    return ok ? 0 : 1;
}
