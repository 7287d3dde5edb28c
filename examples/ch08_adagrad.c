/* cc -std=c99 -O2 -I. examples/ch08_adagrad.c -o ch08_adagrad -lm */
/* Chapter 8: Adagrad on f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2), as in D2L, with
   eps inside the square root (D2L) and outside it (PyTorch) side by side; the
   per-coordinate learning rate lr / sqrt(s) as it shrinks; and a gradient small
   enough for the placement of eps to matter. Figure data goes to out/. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>

static const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0};   /* f = 0.1 x1^2 + 2 x2^2 */

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch08_adagrad: cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
}

static ofs_optim_config adagrad(double lr, double eps, int inside)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAGRAD);
    c.lr = lr; c.eps = eps; c.eps_inside_sqrt = inside;
    return c;
}

/* 20 steps of cfg from (-5, -2) (the library's ofs_toy_trace); the end point goes
   to x. `out` (may be NULL) gets every iterate as one gnuplot block; `rates` (may be
   NULL) the learning rate each coordinate used at each step, lr / sqrt(s + eps) or
   lr / (sqrt(s) + eps), where s, the optimizer's state, is the sum of the squared
   gradients so far: here summed again along the path. */
static int run(const ofs_optim_config *cfg, double x[2], FILE *out, FILE *rates)
{
    double path[21 * 3], s[2] = {0, 0}, g[2], r[2];
    ofs_err err;
    int k, i;
    x[0] = -5; x[1] = -2;
    if (ofs_toy_trace(&quad, cfg, x, 20, path, &err) != OFS_OK || (out && ofs_toy_trace_write(out, &quad, path, 20, &err) != OFS_OK)) {
        fprintf(stderr, "ch08_adagrad: %s\n", err.msg);
        return 1;
    }
    for (k = 1; rates && k <= 20; k++) {
        ofs_toy_eval(&quad, path + 3 * (k - 1), g, NULL);     /* the gradient step k used */
        for (i = 0; i < 2; i++) {
            s[i] += g[i] * g[i];
            r[i] = cfg->eps_inside_sqrt ? cfg->lr / sqrt(s[i] + cfg->eps) : cfg->lr / (sqrt(s[i]) + cfg->eps);
        }
        fprintf(rates, "%d %.10g %.10g\n", k, r[0], r[1]);
        if (k == 1 || k == 5 || k == 20) printf("    step %2d: rate of x1 %.6f, rate of x2 %.6f\n", k, r[0], r[1]);
    }
    return 0;
}

/* One step of Adagrad (lr 0.4) on a single parameter whose gradient is g. */
static double first_step(double g, double eps, int inside)
{
    ofs_optim_config c = adagrad(0.4, eps, inside);
    ofs_optim o;
    double x = 0.0;
    if (ofs_optim_init(&o, &c, 1, NULL) != OFS_OK) return -1.0;   /* cannot happen: the config is valid */
    ofs_optim_step(&o, &x, &g, NULL);
    ofs_optim_free(&o);
    return -x;
}

int main(int argc, char **argv)
{
    static const double gs[3] = {1.0, 1e-4, 1e-6}, box[4] = {-5.5, 1.5, -3, 3};
    double x[2];
    ofs_optim_config c;
    FILE *paths, *rates;
    ofs_err err;
    int i;
    (void)argc; (void)argv;                   /* --smoke: the full run takes milliseconds */

    if (ofs_toy_grid_save("out/ch08_grid.dat", &quad, box, 81, 61, 0, &err) != OFS_OK) {
        fprintf(stderr, "ch08_adagrad: %s (run from the repository root; make creates out/)\n", err.msg);
        return 1;
    }
    if (!(paths = open_out("out/ch08_paths.dat"))) return 1;
    if (!(rates = open_out("out/ch08_rates.dat"))) { fclose(paths); return 1; }
    fprintf(paths, "# step x1 x2 f   blocks: lr 0.4 eps inside | lr 0.4 eps outside | lr 2 eps inside\n");
    fprintf(rates, "# step rate_x1 rate_x2   (lr 0.4 / sqrt(s + 1e-6), the learning rate each coordinate used)\n");

    printf("f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps of Adagrad\n\n");
    printf("lr 0.4, eps 1e-6 inside, the rate each coordinate used, lr / sqrt(s + eps):\n");
    c = adagrad(0.4, 1e-6, 1);  if (run(&c, x, paths, rates)) return 1;
    printf("lr 0.4, eps 1e-6 inside  (D2L):      epoch 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = adagrad(0.4, 1e-6, 0);  if (run(&c, x, paths, NULL)) return 1;
    printf("lr 0.4, eps 1e-6 outside (PyTorch):  epoch 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = adagrad(0.4, 1e-10, 0);  if (run(&c, x, NULL, NULL)) return 1;
    printf("lr 0.4, eps 1e-10 outside (default): epoch 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = adagrad(2.0, 1e-6, 1);  if (run(&c, x, paths, NULL)) return 1;
    printf("lr 2,   eps 1e-6 inside  (D2L):      epoch 20, x1: %f, x2: %f\n", x[0], x[1]);
    if (fclose(paths) != 0 || fclose(rates) != 0) return 1;

    printf("\nThe first step of Adagrad (lr 0.4) for a gradient g: where eps goes matters when g is small\n");
    printf("  g        inside, eps 1e-6   outside, eps 1e-6   outside, eps 1e-10\n");
    for (i = 0; i < 3; i++)
        printf("  %-7g  %.6f           %.6f            %.6f\n", gs[i],
               first_step(gs[i], 1e-6, 1), first_step(gs[i], 1e-6, 0), first_step(gs[i], 1e-10, 0));
    return 0;
}
