/* cc -std=c99 -O2 -I. examples/ch07_momentum.c -o ch07_momentum -lm */
/* Chapter 7: momentum and Nesterov on the ill-conditioned quadratic
   f(x) = 0.1 x1^2 + 2 x2^2, started at (-5, -2) as in D2L.
   Prints D2L's numbers (from the library's SGD), shows that the three ways of
   writing momentum are one algorithm, measures the largest stable learning rate
   of GD, heavy-ball momentum and Nesterov, and writes figure data to out/. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <string.h>
#include <math.h>

static const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0};   /* f = 0.1 x1^2 + 2 x2^2 */

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch07_momentum: cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
}

/* 20 steps of cfg from (-5, -2) (the library's ofs_toy_trace); the end point goes
   to x. When `out` is not NULL, every iterate is appended to it as one gnuplot block. */
static int run(const ofs_optim_config *cfg, double x[2], FILE *out)
{
    double path[21 * 3];
    ofs_err err;
    x[0] = -5; x[1] = -2;
    if (ofs_toy_trace(&quad, cfg, x, 20, path, &err) == OFS_OK && (!out || ofs_toy_trace_write(out, &quad, path, 20, &err) == OFS_OK))
        return 0;
    fprintf(stderr, "ch07_momentum: %s\n", err.msg);
    return 1;
}

static ofs_optim_config sgd(double lr, double momentum, int nesterov)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    c.lr = lr; c.momentum = momentum; c.nesterov = nesterov;
    return c;
}

/* Sutskever's form, written out by hand: v <- beta v + lr_t g, x <- x - v.
   lr_t = lr until step `drop`, lr/2 after it. */
static void sutskever(double lr, double beta, int steps, int drop, double x[2])
{
    double v[2] = {0, 0}, g[2];
    int k, i;
    x[0] = -5; x[1] = -2;
    for (k = 1; k <= steps; k++) {
        double lr_t = k > drop ? lr / 2 : lr;
        ofs_toy_eval(&quad, x, g, NULL);
        for (i = 0; i < 2; i++) { v[i] = beta * v[i] + lr_t * g[i]; x[i] -= v[i]; }
    }
}

/* The same schedule through the library (PyTorch's form, lr outside the buffer). */
static int pytorch_dropped(double lr, double beta, int steps, int drop, double x[2])
{
    ofs_optim_config c = sgd(lr, beta, 0);
    ofs_optim o;
    double g[2];
    int k;
    x[0] = -5; x[1] = -2;
    if (ofs_optim_init(&o, &c, 2, NULL) != OFS_OK) return 1;
    for (k = 1; k <= steps; k++) {
        o.cfg.lr = k > drop ? lr / 2 : lr;        /* what a scheduler would do */
        ofs_toy_eval(&quad, x, g, NULL);
        ofs_optim_step(&o, x, g, NULL);
    }
    ofs_optim_free(&o);
    return 0;
}

/* Stable: after 4000 steps f is below its starting value 10.5 (NaN and inf are not). */
static int stable(ofs_optim_config c)
{
    double x[2] = {-5, -2};
    return ofs_toy_trace(&quad, &c, x, 4000, NULL, NULL) == OFS_OK && ofs_toy_eval(&quad, x, NULL, NULL) < 10.5;
}

/* Bisection on lr in (0, 2) for the boundary between stable and unstable. */
static double largest_stable_lr(ofs_optim_config c)
{
    double lo = 0.0, hi = 2.0;
    int it;
    for (it = 0; it < 40; it++) {
        c.lr = 0.5 * (lo + hi);
        if (stable(c)) lo = c.lr; else hi = c.lr;
    }
    return lo;
}

int main(int argc, char **argv)
{
    static const double betas[4] = {0.95, 0.9, 0.6, 0.0}, box[4] = {-5.5, 1.5, -3, 3};
    double x[2], y[2], z[2], lam = 4.0;      /* lam: the largest curvature, d2f/dx2^2 = 4 */
    ofs_optim_config c;
    FILE *paths, *w;
    ofs_err err;
    int k, i;
    (void)argc; (void)argv;                   /* --smoke: the full run takes milliseconds */

    if (ofs_toy_grid_save("out/ch07_grid.dat", &quad, box, 81, 61, 0, &err) != OFS_OK) {
        fprintf(stderr, "ch07_momentum: %s (run from the repository root; make creates out/)\n", err.msg);
        return 1;
    }
    if (!(paths = open_out("out/ch07_paths.dat"))) return 1;
    fprintf(paths, "# step x1 x2 f   blocks: GD lr 0.4 | momentum lr 0.6 beta 0.5 | momentum lr 0.6 beta 0.25 | Nesterov lr 0.3 beta 0.5\n");

    printf("f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps\n\n");
    c = sgd(0.4, 0, 0);  if (run(&c, x, paths)) return 1;
    printf("gradient descent, lr 0.4:            epoch 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = sgd(0.6, 0, 0);  if (run(&c, x, NULL)) return 1;
    printf("gradient descent, lr 0.6:            epoch 20, x1: %f, x2: %f  (x2 diverges)\n", x[0], x[1]);
    c = sgd(0.6, 0.5, 0);  if (run(&c, x, paths)) return 1;
    printf("momentum, lr 0.6, beta 0.5:          epoch 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = sgd(0.6, 0.25, 0);  if (run(&c, x, paths)) return 1;
    printf("momentum, lr 0.6, beta 0.25:         epoch 20, x1: %f, x2: %f\n", x[0], x[1]);

    printf("\nThree ways to write momentum (beta 0.5), 20 steps:\n");
    c = sgd(0.6, 0.5, 0);  if (run(&c, x, NULL)) return 1;
    printf("  PyTorch/D2L  v = b v + g,      x -= 0.6 v:   x1: %f, x2: %f\n", x[0], x[1]);
    c = ofs_optim_defaults(OFS_SGD); c.lr = 0.6 / (1 - 0.5); c.momentum = 0.5; c.ema_momentum = 1;
    if (run(&c, y, NULL)) return 1;
    printf("  EMA (Ng)     v = b v + (1-b) g, x -= 1.2 v:   x1: %f, x2: %f\n", y[0], y[1]);
    sutskever(0.6, 0.5, 20, 20, z);
    printf("  Sutskever    v = b v + 0.6 g,  x -= v:       x1: %f, x2: %f\n", z[0], z[1]);
    printf("  largest difference from the PyTorch form: %.1e (EMA), %.1e (Sutskever)\n",
           fmax(fabs(x[0] - y[0]), fabs(x[1] - y[1])), fmax(fabs(x[0] - z[0]), fabs(x[1] - z[1])));
    pytorch_dropped(0.6, 0.5, 20, 10, x);
    sutskever(0.6, 0.5, 20, 10, z);
    printf("  with lr halved after step 10:  PyTorch x1: %f, x2: %f\n", x[0], x[1]);
    printf("                                 Sutskever x1: %f, x2: %f  (v keeps the old lr)\n", z[0], z[1]);

    printf("\nNesterov, 20 steps:\n");
    c = sgd(0.3, 0.5, 1);  if (run(&c, x, paths)) return 1;
    printf("  Nesterov, lr 0.3, beta 0.5:  epoch 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = sgd(0.3, 0.5, 0);  if (run(&c, x, NULL)) return 1;
    printf("  momentum, lr 0.3, beta 0.5:  epoch 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = sgd(0.6, 0.5, 1);  if (run(&c, x, NULL)) return 1;
    printf("  Nesterov, lr 0.6, beta 0.5:  epoch 20, x1: %f, x2: %e  (diverges)\n", x[0], x[1]);
    if (fclose(paths) != 0) return 1;

    printf("\nLargest stable lr on f (largest curvature lambda = 4), measured by bisection:\n");
    printf("  method             beta   measured   theory\n");
    printf("  gradient descent   0      %.4f     2/lambda                    = %.4f\n",
           largest_stable_lr(sgd(0, 0, 0)), 2 / lam);
    for (i = 0; i < 2; i++) {
        double b = i == 0 ? 0.5 : 0.9;
        printf("  momentum           %.1f    %.4f     (2+2b)/lambda               = %.4f\n",
               b, largest_stable_lr(sgd(0, b, 0)), (2 + 2 * b) / lam);
        printf("  Nesterov           %.1f    %.4f     (2+2b)/((1+2b) lambda)      = %.4f\n",
               b, largest_stable_lr(sgd(0, b, 1)), (2 + 2 * b) / ((1 + 2 * b) * lam));
    }

    if (!(w = open_out("out/ch07_weights.dat"))) return 1;
    fprintf(w, "# t beta=0.95 beta=0.9 beta=0.6 beta=0   (weight beta^t of the gradient t steps ago)\n");
    for (k = 0; k < 40; k++) {
        fprintf(w, "%d", k);
        for (i = 0; i < 4; i++) fprintf(w, " %.6g", pow(betas[i], k));
        fprintf(w, "\n");
    }
    if (fclose(w) != 0) return 1;
    printf("\nWeights beta^t: the sum over all t is 1/(1-beta), the effective number of gradients:\n");
    for (i = 0; i < 4; i++) printf("  beta %.2f: 1/(1-beta) = %.1f\n", betas[i], 1 / (1 - betas[i]));
    return 0;
}
