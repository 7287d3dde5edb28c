/* cc -std=c99 -O2 -I. examples/ch03_gd.c -o ch03_gd -lm */
/* Chapter 3: gradient descent, x <- x - eta grad f(x), done by the library's
   optimizer (SGD with every option off). Reproduces D2L's numbers: x^2 from
   x = 10 with eta = 0.2, 0.05, 1.1; x cos(0.15 pi x) with eta = 2; and
   f = x1^2 + 2 x2^2 from (-5, -2) with eta = 0.1.
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
    FILE *fp = open_out("out/ch03_path2d.dat");
    ofs_toy sq = ofs_toy_make(OFS_TOY_SQUARE), xc = ofs_toy_make(OFS_TOY_XCOS), quad = ofs_toy_make(OFS_TOY_QUAD);
    const double etas[3] = {0.2, 0.05, 1.1};
    double x[2];
    int i, rc = 0;
    (void)argc; (void)argv;   /* --smoke: the full run is already quick */
    if (!ft || !fc || !fp) { rc = 1; goto done; }
    xc.a = 0.15 * M_PI;       /* D2L's c = 0.15 pi */

    fprintf(ft, "# step x f   (blocks: x^2 with eta 0.2, 0.05, 1.1; x cos(0.15 pi x) with eta 2)\n");
    fprintf(fc, "# x f   (blocks: x^2 on [-10, 10], [-70, 70]; x cos(0.15 pi x) on [-13, 13])\n");
    printf("Gradient descent on f(x) = x^2 from x = 10, 10 steps\n");
    for (i = 0; i < 3; i++) {
        x[0] = 10.0;
        rc |= gd(&sq, x, etas[i], 10, ft, 0);
        printf("  eta = %-4g  epoch 10, x: %f\n", etas[i], x[0]);
    }
    printf("  (x <- (1 - 2 eta) x: the factor is %g, %g and %g)\n", 1 - 2 * etas[0], 1 - 2 * etas[1], 1 - 2 * etas[2]);

    printf("\nGradient descent on f(x) = x cos(0.15 pi x) from x = 10, eta = 2, 10 steps\n");
    x[0] = 10.0;
    rc |= gd(&xc, x, 2.0, 10, ft, 1);
    printf("  epoch 10, x: %f, f(x) = %f\n", x[0], ofs_toy_eval(&xc, x, NULL, NULL));
    curve(fc, &sq, -10, 10);
    curve(fc, &sq, -70, 70);
    curve(fc, &xc, -13, 13);

    printf("\nGradient descent on f(x1, x2) = x1^2 + 2 x2^2 from (-5, -2), eta = 0.1, 20 steps\n");
    fprintf(fp, "# step x1 x2 f\n");
    x[0] = -5.0; x[1] = -2.0;
    rc |= gd(&quad, x, 0.1, 20, fp, 0);
    printf("  epoch 20, x1: %f, x2: %f\n", x[0], x[1]);
    printf("  (x1 shrinks by 1 - 0.2 = 0.8 per step, x2 by 1 - 0.4 = 0.6)\n");
done:
    if (ft) fclose(ft);
    if (fc) fclose(fc);
    if (fp) fclose(fp);
    return rc;
}
