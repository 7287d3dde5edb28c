/* cc -std=c99 -O2 -I. examples/ch02_convexity.c -o ch02_convexity -lm */
/* Chapter 2: convexity. Three functions from the library's toys, tested two ways:
   Jensen's chord test f(l a + (1-l) b) <= l f(a) + (1-l) f(b), and the second
   difference f(x+h) - 2 f(x) + f(x-h) >= 0 (checked against the exact f'').
   Then projection onto a ball, and projected gradient descent with it.
   Writes out/ch02_*.dat for figures/ch02_*.gp. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch02_convexity: cannot open %s for writing (run from the repository root; `make` creates out/)\n", path);
    return f;
}

static double value(const ofs_toy *t, double x) { return ofs_toy_eval(t, &x, NULL, NULL); }

/* The worst violation of Jensen's inequality over a grid of pairs (a, b) in
   [lo, hi] and weights l: max of f(l a + (1-l) b) - (l f(a) + (1-l) f(b)).
   Convex: <= 0 (up to rounding). Records the worst pair. */
static double jensen_gap(const ofs_toy *t, double lo, double hi, double *wa, double *wb)
{
    const int n = 60, nl = 19;
    double worst = -HUGE_VAL;
    int i, j, k;
    for (i = 0; i <= n; i++)
        for (j = i + 1; j <= n; j++)
            for (k = 1; k <= nl; k++) {
                double a = lo + (hi - lo) * i / n, b = lo + (hi - lo) * j / n, l = (double)k / (nl + 1);
                double gap = value(t, l * a + (1 - l) * b) - (l * value(t, a) + (1 - l) * value(t, b));
                if (gap > worst) { worst = gap; *wa = a; *wb = b; }
            }
    return worst;
}

/* The smallest second difference (f(x+h) - 2f(x) + f(x-h)) / h^2 on a grid, and
   the largest distance from the exact f''(x) that ofs_toy_eval returns. */
static double min_second_difference(const ofs_toy *t, double lo, double hi, double *at, double *maxdev)
{
    const int n = 300;
    const double h = 1e-3;
    double worst = HUGE_VAL;
    int i;
    *maxdev = 0;
    for (i = 0; i <= n; i++) {
        double x = lo + (hi - lo) * i / n, g, fxx;
        double d2 = (value(t, x + h) - 2 * value(t, x) + value(t, x - h)) / (h * h);
        ofs_toy_eval(t, &x, &g, &fxx);
        if (fabs(d2 - fxx) > *maxdev) *maxdev = fabs(d2 - fxx);
        if (d2 < worst) { worst = d2; *at = x; }
    }
    return worst;
}

/* Figure data: each function on [-2, 2] and the chord between a = -1.5 and b = 1 (D2L's). */
static void chord_data(FILE *fc, FILE *fl, const ofs_toy *t, int panel)
{
    const double a = -1.5, b = 1.0;
    int i;
    for (i = 0; i <= 200; i++) { double x = -2.0 + 4.0 * i / 200; fprintf(fc, "%d %.4f %.6f\n", panel, x, value(t, x)); }
    fprintf(fc, "\n\n");
    fprintf(fl, "%d %.4f %.6f\n%d %.4f %.6f\n\n\n", panel, a, value(t, a), panel, b, value(t, b));
}

static void convexity(FILE *fc, FILE *fl)
{
    ofs_toy t[3];
    const char *formula[3] = {"x^2", "x cos(pi x)", "cosh(x/2)"};
    int k;
    t[0] = ofs_toy_make(OFS_TOY_SQUARE);
    t[1] = ofs_toy_make(OFS_TOY_XCOS);
    t[2] = ofs_toy_make(OFS_TOY_COSH);
    fprintf(fc, "# panel x f   (panels: 0 x^2, 1 x cos(pi x), 2 cosh(x/2); blocks separated by two blank lines)\n");
    fprintf(fl, "# panel x f   (chord endpoints a = -1.5, b = 1)\n");
    printf("Convexity on [-2, 2]: Jensen's chord test and second differences (h = 1e-3)\n");
    printf("  %-12s %14s  %-18s %14s  %s\n", "f", "max Jensen gap", "worst chord", "min f''(x)", "verdict");
    for (k = 0; k < 3; k++) {
        double a = 0, b = 0, at = 0, dev, gap = jensen_gap(&t[k], -2, 2, &a, &b);
        double d2 = min_second_difference(&t[k], -2, 2, &at, &dev);
        char chord[40];
        snprintf(chord, sizeof chord, "[%.2f, %.2f]", a, b);
        printf("  %-12s %14.6f  %-18s %14.6f  %s\n", formula[k], gap, chord, d2,
               gap <= 1e-12 && d2 >= 0 ? "convex" : "not convex");
        if (dev > 1e-4) printf("  warning: second difference and exact f'' differ by %g\n", dev);
        chord_data(fc, fl, &t[k], k);
    }
}

/* Projection onto the ball |x - c| <= r, and projected gradient descent:
   x <- Proj(x - eta grad f(x)) for f = x1^2 + 2 x2^2 on the ball around c = (2, 1)
   with radius 1. The unconstrained minimum (0, 0) is outside, so the answer lies on
   the circle, where the gradient points straight into the ball. */
static void projection(FILE *fp, FILE *fb)
{
    ofs_toy quad = ofs_toy_make(OFS_TOY_QUAD);
    const double c[2] = {2.0, 1.0}, r = 1.0;
    double p[2] = {-1.0, 3.0}, x[2] = {2.8, 1.6}, g[2], normal[2], cosang;
    ofs_optim opt;
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
    ofs_err err;
    int t;

    ofs_project_ball(p, 2, c, r);
    printf("\nProjection onto the ball |x - (2, 1)| <= 1\n");
    printf("  Proj(-1, 3) = (%f, %f), distance to the centre %f\n", p[0], p[1], hypot(p[0] - c[0], p[1] - c[1]));
    p[0] = 2.5; p[1] = 1.5;
    ofs_project_ball(p, 2, c, r);
    printf("  Proj(2.5, 1.5) = (%f, %f) (inside: unchanged)\n", p[0], p[1]);

    cfg.lr = 0.1;
    if (ofs_optim_init(&opt, &cfg, 2, &err) != OFS_OK) { fprintf(stderr, "ch02_convexity: %s\n", err.msg); return; }
    fprintf(fp, "# step x1 x2 f   (projected gradient descent, eta = 0.1)\n");
    fprintf(fp, "%d %.6f %.6f %.6f\n", 0, x[0], x[1], ofs_toy_eval(&quad, x, NULL, NULL));
    for (t = 1; t <= 30; t++) {
        ofs_toy_eval(&quad, x, g, NULL);
        ofs_optim_step(&opt, x, g, NULL);   /* x <- x - eta grad f(x) */
        ofs_project_ball(x, 2, c, r);       /* x <- Proj(x) */
        fprintf(fp, "%d %.6f %.6f %.6f\n", t, x[0], x[1], ofs_toy_eval(&quad, x, NULL, NULL));
    }
    ofs_optim_free(&opt);
    /* At the constrained minimum, -grad f points out of the ball along the normal. */
    ofs_toy_eval(&quad, x, g, NULL);
    normal[0] = x[0] - c[0]; normal[1] = x[1] - c[1];
    cosang = -(g[0] * normal[0] + g[1] * normal[1]) / (hypot(g[0], g[1]) * hypot(normal[0], normal[1]));
    printf("  projected GD on x1^2 + 2 x2^2 from (2.8, 1.6), eta = 0.1, 30 steps: x = (%f, %f), f = %f\n",
           x[0], x[1], ofs_toy_eval(&quad, x, NULL, NULL));
    printf("  |x - c| = %f; cosine between -grad f and the outward normal: %f\n",
           hypot(x[0] - c[0], x[1] - c[1]), cosang);
    fprintf(fb, "# x1 x2   (the circle |x - (2, 1)| = 1)\n");
    for (t = 0; t <= 120; t++) fprintf(fb, "%.6f %.6f\n", c[0] + r * cos(2 * M_PI * t / 120), c[1] + r * sin(2 * M_PI * t / 120));
}

int main(int argc, char **argv)
{
    const char *paths[4] = {"out/ch02_curves.dat", "out/ch02_chords.dat", "out/ch02_pgd.dat", "out/ch02_ball.dat"};
    FILE *f[4];
    int i, ok = 1;
    (void)argc; (void)argv;   /* --smoke: the full run is already quick */
    for (i = 0; i < 4; i++) { f[i] = open_out(paths[i]); ok = ok && f[i]; }
    if (ok) {
        convexity(f[0], f[1]);
        projection(f[2], f[3]);
    }
    for (i = 0; i < 4; i++) if (f[i]) fclose(f[i]);
    return ok ? 0 : 1;
}
