/* cc -std=c99 -O2 -I. examples/ch03_gd.c -o ch03_gd -lm */
/* Chapter 3: gradient descent, x <- x - eta grad f(x), done by the library's
   optimizer (SGD with every option off). Reproduces D2L's numbers: x^2 from
   x = 10 with eta = 0.2, 0.05, 1.1; x cos(0.15 pi x) with eta = 2 (and where
   that run is really headed); and f = x1^2 + 2 x2^2 from (-5, -2) with
   eta = 0.1. Then the rate of convergence on a quadratic against the learning
   rate, measured and compared with max |1 - eta lambda_i|, the best rate
   2 / (lambda_min + lambda_max) and its rate (kappa - 1) / (kappa + 1).
   D2L labels its steps "epoch"; here a step is a step.
   Writes out/ch03_*.dat for figures/ch03_*.gp. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch03_gd: cannot open %s for writing (run from the repository root; `make` creates out/)\n", path);
    return f;
}

/* `steps` (<= 20) steps of gradient descent on toy t from x (dim values, the end
   point on return) by the library's ofs_toy_trace; the path goes to out as one
   gnuplot block ("step x... f" rows), and the 1-D iterates to stdout when verbose. */
static int gd(const ofs_toy *t, double *x, double eta, int steps, FILE *out, int verbose)
{
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);   /* momentum 0: plain GD */
    ofs_err err;
    double path[21 * 3];
    int k, row = ofs_toy_dim(t) + 1;                      /* a row: x..., f */
    cfg.lr = eta;
    if (ofs_toy_trace(t, &cfg, x, steps, path, &err) != OFS_OK || ofs_toy_trace_write(out, t, path, steps, &err) != OFS_OK) {
        fprintf(stderr, "ch03_gd: %s\n", err.msg);
        return 1;
    }
    for (k = 0; verbose && k <= steps; k++)
        printf("%s%f%s", k == 0 ? "  x: " : "", path[k * row], k == steps ? "\n" : k % 5 == 4 ? "\n     " : "  ");
    return 0;
}

/* A stationary point of the 1-D toy t between lo and hi, where f' changes sign:
   bisection, as in chapter 1. */
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

/* `steps` steps of gradient descent with rate eta on the quadratic a x1^2 + b x2^2
   (curvatures lambda = 2a, 2b) from (-5, -2); the measured rate is the factor by
   which the distance to the minimum shrank in the last step, |x_T| / |x_{T-1}|,
   which tends to max_i |1 - eta lambda_i|. A failed run gives HUGE_VAL. */
static double measured_rate(const ofs_toy *q, double eta, int steps)
{
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
    double x[2] = {-5.0, -2.0}, before;
    cfg.lr = eta;
    if (ofs_toy_trace(q, &cfg, x, steps - 1, NULL, NULL) != OFS_OK) return HUGE_VAL;   /* fails the check below */
    before = hypot(x[0], x[1]);
    if (ofs_toy_trace(q, &cfg, x, 1, NULL, NULL) != OFS_OK) return HUGE_VAL;   /* fails the check below */
    return hypot(x[0], x[1]) / before;
}

static double theory_rate(double eta, double l1, double l2) { return fmax(fabs(1 - eta * l1), fabs(1 - eta * l2)); }

/* The rate against eta for a x1^2 + b x2^2: every 1/200 of (0, 2/lambda_max) to out
   (one block), and printed for a few rates, the best one 2/(lambda_min + lambda_max)
   among them. Returns 1 if a measured rate is not the theory's. */
static int rates(FILE *out, const char *name, double a, double b)
{
    ofs_toy q = ofs_toy_make(OFS_TOY_QUAD);
    const double l1 = 2 * a, l2 = 2 * b, kappa = l2 / l1, best = 2 / (l1 + l2);
    const double show[4] = {0.1, 1 / l2, best, 1.9 / l2};
    const char *why[4] = {"", "(1/lambda_max)", "(2/(lambda_min + lambda_max))", "(1.9/lambda_max)"};
    int i, bad = 0;
    q.a = a; q.b = b;
    fprintf(out, "# eta measured_rate theory_rate   (%s, lambda %g and %g)\n", name, l1, l2);
    for (i = 1; i < 200; i++) {
        double eta = (2 / l2) * i / 200, r = measured_rate(&q, eta, 200);
        fprintf(out, "%.6f %.6f %.6f\n", eta, r, theory_rate(eta, l1, l2));
        bad |= !(fabs(r - theory_rate(eta, l1, l2)) < 0.01);
    }
    fprintf(out, "\n\n");
    printf("  f = %s: lambda %g and %g, kappa = %g\n", name, l1, l2, kappa);
    for (i = 0; i < 4; i++)
        printf("    lr %.6f %-30s  measured %.6f   max |1 - lr lambda| = %.6f\n", show[i], why[i],
               measured_rate(&q, show[i], 200), theory_rate(show[i], l1, l2));
    printf("    the best rate, at lr 2/(lambda_min + lambda_max): measured %.6f   (kappa - 1)/(kappa + 1) = %.6f\n",
           measured_rate(&q, best, 200), (kappa - 1) / (kappa + 1));
    return bad;
}

/* Curve data for the trace panels: f on [lo, hi]. */
static void curve(FILE *out, const ofs_toy *t, double lo, double hi)
{
    int i;
    for (i = 0; i <= 400; i++) {
        double x = lo + (hi - lo) * i / 400;
        fprintf(out, "%.5f %.6f\n", x, ofs_toy_eval(t, &x, NULL, NULL));
    }
    fprintf(out, "\n\n");
}

int main(int argc, char **argv)
{
    FILE *ft = open_out("out/ch03_traces.dat"), *fc = open_out("out/ch03_curves.dat");
    FILE *fp = open_out("out/ch03_path2d.dat"), *fr = open_out("out/ch03_rates.dat");
    ofs_toy sq = ofs_toy_make(OFS_TOY_SQUARE), xc = ofs_toy_make(OFS_TOY_XCOS), quad = ofs_toy_make(OFS_TOY_QUAD);
    const double etas[3] = {0.2, 0.05, 1.1};
    double x[2];
    int i, rc = 0;
    (void)argc; (void)argv;   /* --smoke: the full run is already quick */
    if (!ft || !fc || !fp || !fr) { rc = 1; goto done; }
    xc.a = 0.15 * M_PI;       /* D2L's c = 0.15 pi */

    fprintf(ft, "# step x f   (blocks: x^2 with eta 0.2, 0.05, 1.1; x cos(0.15 pi x) with eta 2)\n");
    fprintf(fc, "# x f   (blocks: x^2 on [-10, 10], [-70, 70]; x cos(0.15 pi x) on [-13, 13])\n");
    printf("Gradient descent on f(x) = x^2 from x = 10, 10 steps\n");
    for (i = 0; i < 3; i++) {
        x[0] = 10.0;
        rc |= gd(&sq, x, etas[i], 10, ft, 0);
        printf("  eta = %-4g  step 10, x: %f\n", etas[i], x[0]);
    }
    printf("  (x <- (1 - 2 eta) x: the factor is %g, %g and %g)\n", 1 - 2 * etas[0], 1 - 2 * etas[1], 1 - 2 * etas[2]);

    printf("\nGradient descent on f(x) = x cos(0.15 pi x) from x = 10, eta = 2, 10 steps\n");
    x[0] = 10.0;
    rc |= gd(&xc, x, 2.0, 10, ft, 1);
    printf("  step 10, x: %f, f(x) = %f\n", x[0], ofs_toy_eval(&xc, x, NULL, NULL));
    {   /* Where this run is headed, and the deep minimum it jumped over. */
        double m = stationary(&xc, -2.5, -1.0), deep = stationary(&xc, 5.0, 9.0), g, h, fm, fd;
        fm = ofs_toy_eval(&xc, &m, &g, &h);
        printf("  the nearby local minimum: x = %f, f = %f, f'' = %f: a step multiplies the distance to it by about 1 - 2 f'' = %f\n",
               m, fm, h, 1 - 2.0 * h);
        for (i = 0; i < 2; i++) {
            ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
            int steps = i == 0 ? 100 : 1000;
            double y = 10.0;
            cfg.lr = 2.0;
            if (ofs_toy_trace(&xc, &cfg, &y, steps, NULL, NULL) != OFS_OK) { rc = 1; break; }
            printf("  step %d, x: %f, f(x) = %f\n", steps, y, ofs_toy_eval(&xc, &y, NULL, NULL));
        }
        fd = ofs_toy_eval(&xc, &deep, &g, &h);
        printf("  the deep minimum it jumped over: x = %f, f = %f\n", deep, fd);
    }
    curve(fc, &sq, -10, 10);
    curve(fc, &sq, -70, 70);
    curve(fc, &xc, -13, 13);

    printf("\nGradient descent on f(x1, x2) = x1^2 + 2 x2^2 from (-5, -2), eta = 0.1, 20 steps\n");
    fprintf(fp, "# step x1 x2 f\n");
    x[0] = -5.0; x[1] = -2.0;
    rc |= gd(&quad, x, 0.1, 20, fp, 0);
    printf("  step 20, x1: %f, x2: %f\n", x[0], x[1]);
    printf("  (x1 shrinks by 1 - 0.2 = 0.8 per step, x2 by 1 - 0.4 = 0.6)\n");

    printf("\nThe rate on a quadratic: the factor |x_T| / |x_{T-1}| by which step T = 200 shrinks the distance to the minimum\n");
    rc |= rates(fr, "x1^2 + 2 x2^2", 1.0, 2.0);
    rc |= rates(fr, "0.1 x1^2 + 2 x2^2 (chapter 7's)", 0.1, 2.0);
done:
    if (ft) fclose(ft);
    if (fc) fclose(fc);
    if (fp) fclose(fp);
    if (fr) fclose(fr);
    return rc;
}
