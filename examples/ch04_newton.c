/* cc -std=c99 -O2 -I. examples/ch04_newton.c -o ch04_newton -lm */
/* Chapter 4: Newton's method, x <- x - eta f'(x) / (f''(x) + damping), with the
   library's ofs_newton_step. On the convex cosh(x/2) from x = 10 it reaches 0 in a
   handful of steps (the error table shows how fast); on the nonconvex
   x cos(0.15 pi x) the pure method heads for a maximum, and a smaller step,
   damping, or a backtracking line search bring it to a minimum; damping keeps
   the step downhill only while f'' + damping > 0, which a start at x = 24 shows.
   D2L labels its steps "epoch"; here a step is a step.
   Writes out/ch04_*.dat for figures/ch04_*.gp. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch04_newton: cannot open %s for writing (run from the repository root; `make` creates out/)\n", path);
    return f;
}

static double value(const ofs_toy *t, double x) { return ofs_toy_eval(t, &x, NULL, NULL); }

/* A stationary point of the 1-D toy between lo and hi, where f' changes sign: bisection. */
static double stationary(const ofs_toy *t, double lo, double hi)
{
    int i;
    for (i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi), glo, gmid;
        ofs_toy_eval(t, &lo, &glo, NULL);
        ofs_toy_eval(t, &mid, &gmid, NULL);
        if ((glo < 0) == (gmid < 0)) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Pure Newton on cosh(x/2) from x = 10. The minimum is 0, so the error is |x|. */
static int newton_cosh(FILE *fe)
{
    ofs_toy t = ofs_toy_make(OFS_TOY_COSH);   /* a = 0.5 */
    ofs_err err;
    double x = 10.0, e[12];
    int k;
    e[0] = fabs(x);
    printf("Newton's method on f(x) = cosh(x/2) from x = 10, eta = 1\n");
    fprintf(fe, "# step x error\n0 %.17g %.17g\n", x, e[0]);
    for (k = 1; k <= 10; k++) {
        if (ofs_newton_step(&t, &x, 1.0, 0.0, &err) != OFS_OK) { fprintf(stderr, "ch04_newton: %s\n", err.msg); return 1; }
        e[k] = fabs(x);
        printf("  step %2d, x: %f\n", k, x);
        fprintf(fe, "%d %.17g %.17g\n", k, x, e[k]);
    }
    printf("\n  error table (e_k = |x_k - 0|)\n");
    printf("  %4s %14s %14s %14s\n", "k", "e_k", "e_k/e_{k-1}^2", "e_k/e_{k-1}^3");
    for (k = 1; k <= 7; k++) {
        printf("  %4d %14.6e %14.6f %14.6f\n", k, e[k], e[k] / (e[k - 1] * e[k - 1]), e[k] / (e[k - 1] * e[k - 1] * e[k - 1]));
    }
    printf("  (far away each step removes about 2 from x; near 0, e_k / e_{k-1}^3 -> a^2/3 = %f)\n", 0.25 / 3);
    return 0;
}

/* Newton with a backtracking line search: take the Newton step with eta = 1, and
   halve eta until f decreases (at most 30 halvings). */
static int newton_backtracking(const ofs_toy *t, double *x, ofs_err *err)
{
    double eta = 1.0, fx = value(t, *x);
    int i;
    for (i = 0; i < 30; i++, eta *= 0.5) {
        double trial = *x;
        if (ofs_newton_step(t, &trial, eta, 0.0, err) != OFS_OK) return 1;
        if (value(t, trial) < fx) { *x = trial; return 0; }
    }
    return 0;   /* no decrease found: stay (the Newton direction points uphill) */
}

/* Ten steps from x = 10 on x cos(0.15 pi x) with four repairs of Newton's method. */
static int newton_xcos(FILE *fp, FILE *fc)
{
    ofs_toy t = ofs_toy_make(OFS_TOY_XCOS);
    const char *name[4] = {"pure Newton, eta = 1", "eta = 0.5", "damping 1", "backtracking line search"};
    const double eta[4] = {1.0, 0.5, 1.0, 1.0}, damping[4] = {0.0, 0.0, 1.0, 0.0};
    ofs_err err;
    int r, k;
    double xmin, xend[4];
    t.a = 0.15 * M_PI;   /* D2L's c = 0.15 pi */
    xmin = stationary(&t, 5.0, 9.0);   /* the minimum the repairs reach */
    printf("\nNewton's method on f(x) = x cos(0.15 pi x) from x = 10, 10 steps\n");
    fprintf(fp, "# step x f |x - xmin|   (blocks: pure, eta 0.5, damping 1, backtracking; xmin = %.17g, the minimum near 7)\n", xmin);
    for (r = 0; r < 4; r++) {
        double x = 10.0, g, h, f;
        fprintf(fp, "0 %.17g %.17g %.17g\n", x, value(&t, x), fabs(x - xmin));
        for (k = 1; k <= 10; k++) {
            int bad = r == 3 ? newton_backtracking(&t, &x, &err) : ofs_newton_step(&t, &x, eta[r], damping[r], &err) != OFS_OK;
            if (bad) { fprintf(stderr, "ch04_newton: %s\n", err.msg); return 1; }
            fprintf(fp, "%d %.17g %.17g %.17g\n", k, x, value(&t, x), fabs(x - xmin));
            if (r == 0) printf("%s%f%s", k == 1 ? "  pure Newton: x = 10.000000  " : "", x, k == 10 ? "\n" : k % 5 == 4 ? "\n     " : "  ");
        }
        fprintf(fp, "\n\n");
        xend[r] = x;
        f = ofs_toy_eval(&t, &x, &g, &h);
        printf("  %-26s step 10, x: %f  f = %f  f'' = %f  (%s)\n", name[r], x, f, h,
               h > 0 ? "a minimum" : "a maximum");
    }
    printf("  the minimum near 7: x* = %f; after 10 steps |x - x*| = %.1e (eta 0.5), %.1e (damping 1), %.1e (line search)\n", xmin,
           fabs(xend[1] - xmin), fabs(xend[2] - xmin), fabs(xend[3] - xmin));

    fprintf(fc, "# x f f''\n");
    for (k = 0; k <= 400; k++) {
        double x = -24.0 + 54.0 * k / 400, g, h, f = ofs_toy_eval(&t, &x, &g, &h);
        fprintf(fc, "%.5f %.6f %.6f\n", x, f, h);
    }
    return 0;
}

/* Damping keeps the step d = -f'(x) / (f''(x) + damping) downhill (f' d < 0) only
   while f'' + damping > 0. From x = 24, where f'' = -0.75, damping 1 leaves 0.25: a
   long first step, into a region where f'' + 1 < 0, and a maximum. Damping 7 exceeds
   -f'' everywhere on its way and walks down to the minimum near 20. */
static int damping_from_24(FILE *fp)
{
    ofs_toy t = ofs_toy_make(OFS_TOY_XCOS);
    const double damping[2] = {1.0, 7.0};
    ofs_err err;
    double g, h;
    int r, k;
    t.a = 0.15 * M_PI;
    g = 24.0; ofs_toy_eval(&t, &g, NULL, &h);
    printf("\nDamped Newton from x = 24, where f'' = %f, 10 steps: the step -f'/(f'' + damping) is downhill only while f'' + damping > 0\n", h);
    fprintf(fp, "# step x f   (blocks: damping 1, damping 7, from x = 24)\n");
    for (r = 0; r < 2; r++) {
        double x = 24.0, f, low = HUGE_VAL, first = 0;
        fprintf(fp, "0 %.17g %.17g\n", x, value(&t, x));
        for (k = 1; k <= 10; k++) {
            ofs_toy_eval(&t, &x, &g, &h);
            if (h + damping[r] < low) low = h + damping[r];
            if (ofs_newton_step(&t, &x, 1.0, damping[r], &err) != OFS_OK) { fprintf(stderr, "ch04_newton: %s\n", err.msg); return 1; }
            if (k == 1) first = x;
            fprintf(fp, "%d %.17g %.17g\n", k, x, value(&t, x));
        }
        fprintf(fp, "\n\n");
        f = ofs_toy_eval(&t, &x, &g, &h);
        printf("  damping %g: first step to %f; smallest f'' + damping on the way %f; step 10, x: %f  f = %f  f'' = %f  (%s)\n",
               damping[r], first, low, x, f, h, h > 0 ? "a minimum" : "a maximum");
    }
    return 0;
}

int main(int argc, char **argv)
{
    FILE *fe = open_out("out/ch04_cosh.dat"), *fp = open_out("out/ch04_xcos_paths.dat"), *fc = open_out("out/ch04_xcos.dat");
    FILE *fd = open_out("out/ch04_damping.dat");
    int rc = !fe || !fp || !fc || !fd;
    (void)argc; (void)argv;   /* --smoke: the full run is already quick */
    if (!rc) rc = newton_cosh(fe);
    if (!rc) rc = newton_xcos(fp, fc);
    if (!rc) rc = damping_from_24(fd);
    if (fe) fclose(fe);
    if (fp) fclose(fp);
    if (fc) fclose(fc);
    if (fd) fclose(fd);
    return rc;
}
