/* cc -std=c99 -O2 -I. examples/ch09_rmsprop.c -o ch09_rmsprop -lm */
/* Chapter 9: RMSProp and Adadelta on f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2).
   RMSProp as D2L writes it (gamma 0.9, eps 1e-6 inside the square root) and as
   PyTorch does (eps outside); centered RMSProp; the weights (1-gamma) gamma^t of
   the leaky average; and Adadelta, whose eps turns out to be a learning rate in
   disguise. Figure data goes to out/.
   D2L labels its steps "epoch"; here a step is a step. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>

static const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0};   /* f = 0.1 x1^2 + 2 x2^2 */

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch09_rmsprop: cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
}

static ofs_optim_config rmsprop(double lr, double gamma, int inside, int centered)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_RMSPROP);
    c.lr = lr; c.alpha = gamma; c.eps = 1e-6; c.eps_inside_sqrt = inside; c.centered = centered;
    return c;
}

static ofs_optim_config adadelta(double lr, double eps)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_ADADELTA);
    c.lr = lr; c.rho = 0.9; c.eps = eps;
    return c;
}

static double trace[2002 * 3];   /* the last run: row k = x1 x2 f after k steps (2001 at most) */

/* `steps` steps of cfg from (-5, -2), recorded in `trace`; the end point goes to x.
   When `out` is not NULL, every iterate is appended to it as one gnuplot block. */
static int run(const ofs_optim_config *cfg, int steps, double x[2], FILE *out)
{
    ofs_err err;
    x[0] = -5; x[1] = -2;
    if (ofs_toy_trace(&quad, cfg, x, steps, trace, &err) != OFS_OK || (out && ofs_toy_trace_write(out, &quad, trace, steps, &err) != OFS_OK)) {
        fprintf(stderr, "ch09_rmsprop: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int write_weights(const char *path)
{
    static const double gammas[4] = {0.95, 0.9, 0.8, 0.7};
    FILE *f = open_out(path);
    int k, i;
    if (!f) return 1;
    fprintf(f, "# t gamma=0.95 gamma=0.9 gamma=0.8 gamma=0.7   (weight (1-gamma) gamma^t of g^2 from t steps ago)\n");
    for (k = 0; k < 40; k++) {
        fprintf(f, "%d", k);
        for (i = 0; i < 4; i++) fprintf(f, " %.6g", (1 - gammas[i]) * pow(gammas[i], k));
        fprintf(f, "\n");
    }
    return fclose(f) != 0;
}

/* Adadelta's rate for x2 after `steps` steps with lr 1, eps 1e-2: the library's
   state holds v (s[0]) and u (s[1]); the rate is lr sqrt(u + eps) / sqrt(v + eps). */
static int adadelta_rate(int steps)
{
    ofs_optim_config c = adadelta(1.0, 1e-2);
    ofs_optim o;
    double x[2] = {-5, -2}, g[2], rate;
    int k;
    if (ofs_optim_init(&o, &c, 2, NULL) != OFS_OK) return 1;
    for (k = 0; k < steps; k++) {
        ofs_toy_eval(&quad, x, g, NULL);
        ofs_optim_step(&o, x, g, NULL);
    }
    rate = c.lr * sqrt((double)o.s[1][1] + c.eps) / sqrt((double)o.s[0][1] + c.eps);
    printf("  after %d steps: x2 = %f, rate of x2 = %.4f, rate x curvature 4 = %.4f\n", steps, x[1], rate, 4 * rate);
    ofs_optim_free(&o);
    return 0;
}

int main(int argc, char **argv)
{
    static const double epss[4] = {1e-8, 1e-6, 1e-4, 1e-2}, box[4] = {-5.5, 1.5, -3, 3};
    double x[2];
    ofs_optim_config c;
    FILE *paths, *ad;
    ofs_err err;
    int i;
    (void)argc; (void)argv;                   /* --smoke: the full run takes milliseconds */

    if (ofs_toy_grid_save("out/ch09_grid.dat", &quad, box, 81, 61, 0, &err) != OFS_OK) {
        fprintf(stderr, "ch09_rmsprop: %s (run from the repository root; make creates out/)\n", err.msg);
        return 1;
    }
    if (write_weights("out/ch09_weights.dat")) return 1;
    if (!(paths = open_out("out/ch09_paths.dat"))) return 1;
    fprintf(paths, "# step x1 x2 f   blocks: RMSProp lr 0.4 gamma 0.9 eps inside | eps outside | centered, eps inside | gamma 0.99 (20 steps) | gamma 0.9, eps inside, 2001 steps\n");

    printf("f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps of RMSProp, lr 0.4, gamma 0.9, eps 1e-6\n\n");
    c = rmsprop(0.4, 0.9, 1, 0);  if (run(&c, 20, x, paths)) return 1;
    printf("eps inside the root (D2L):    step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = rmsprop(0.4, 0.9, 0, 0);  if (run(&c, 20, x, paths)) return 1;
    printf("eps outside (PyTorch):        step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = rmsprop(0.4, 0.9, 1, 1);  if (run(&c, 20, x, paths)) return 1;
    printf("centered, eps inside:         step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = rmsprop(0.4, 0.99, 0, 0);  if (run(&c, 20, x, paths)) return 1;
    printf("PyTorch's gamma 0.99:         step 20, x1: %f, x2: %f\n", x[0], x[1]);
    printf("  (gamma 0.99, first step: x1 %f, x2 %f: a move of %f = lr / sqrt(1 - gamma) in each coordinate)\n",
           trace[3], trace[4], fabs(trace[3] - trace[0]));
    printf("\nWith a constant lr RMSProp does not stop: its step tends to lr g/|g|, and it ends in a cycle\n"
           "between -lr/2 and lr/2 in each coordinate (lr 0.4, gamma 0.9, eps inside):\n");
    c = rmsprop(0.4, 0.9, 1, 0);
    for (i = 0; i < 2; i++) {
        int steps = i == 0 ? 200 : 2001;
        if (run(&c, steps, x, i == 1 ? paths : NULL)) return 1;
        printf("  after %4d steps: x1: %f, x2: %f, f: %f\n", steps, x[0], x[1], trace[3 * steps + 2]);
    }
    {   /* On the way it passes very close to the minimum, then leaves it. */
        int k, best = 0;
        for (k = 1; k <= 2001; k++) if (trace[3 * k + 2] < trace[3 * best + 2]) best = k;
        printf("  the smallest f on the way: %.1e at step %d; at step %d, f = %.1e; at step %d, f = %f\n", trace[3 * best + 2], best,
               best + 10, trace[3 * (best + 10) + 2], best + 40, trace[3 * (best + 40) + 2]);
    }
    if (fclose(paths) != 0) return 1;

    printf("\nThe weights (1-gamma) gamma^t sum to 1 - gamma^T (out/ch09_weights.dat); after 40 steps:\n");
    printf("  gamma 0.95: %.6f   gamma 0.9: %.6f   gamma 0.8: %.6f   gamma 0.7: %.6f\n",
           1 - pow(0.95, 40), 1 - pow(0.9, 40), 1 - pow(0.8, 40), 1 - pow(0.7, 40));

    printf("\nAdadelta (rho 0.9) on the same f. The first step is about lr sqrt(eps / (1 - rho)):\n");
    printf("  lr    eps     first step  sqrt(eps/(1-rho))  f after 20    f after 200\n");
    if (!(ad = open_out("out/ch09_adadelta.dat"))) return 1;
    fprintf(ad, "# step x1 x2 f   blocks: Adadelta lr 1, rho 0.9, eps 1e-8 | 1e-6 | 1e-4 | 1e-2\n");
    for (i = 0; i < 4; i++) {
        c = adadelta(1.0, epss[i]);
        if (run(&c, 2000, x, ad)) { fclose(ad); return 1; }
        printf("  1     %-6g  %.6f    %.6f           %.4e    %.4e\n", epss[i], fabs(trace[3] - trace[0]), sqrt(epss[i] / 0.1),
               trace[3 * 20 + 2], trace[3 * 200 + 2]);
    }
    if (fclose(ad) != 0) return 1;
    {   /* The eps 1e-2 run is the last in `trace`: when is f first below 1e-14, and how low does it get? */
        int k, first = -1, best = 0;
        for (k = 0; k <= 2000; k++) {
            if (first < 0 && trace[3 * k + 2] < 1e-14) first = k;
            if (trace[3 * k + 2] < trace[3 * best + 2]) best = k;
        }
        if (first < 0) { fprintf(stderr, "ch09_rmsprop: Adadelta with eps 1e-2 never reached f < 1e-14\n"); return 1; }
        printf("\nWith eps 1e-2 Adadelta first has f < 1e-14 at step %d (smallest f %.1e, at step %d), then leaves: x2 settles\n"
               "where its rate times its curvature is 2, gradient descent's edge of stability (chapter 7), and oscillates there:\n",
               first, trace[3 * best + 2], best);
    }
    if (adadelta_rate(500) || adadelta_rate(2000)) return 1;
    printf("\nOnly lr sqrt(eps) matters while g^2 >> eps: three settings with lr sqrt(eps) = 1e-3:\n");
    for (i = 0; i < 3; i++) {
        double lr = i == 0 ? 0.1 : i == 1 ? 1.0 : 10.0, eps = 1e-6 / (lr * lr);
        c = adadelta(lr, eps);
        if (run(&c, 200, x, NULL)) return 1;
        printf("  lr %-4g eps %-6g  first step %.6f  f after 20: %.4e  after 200: %.4e\n", lr, eps, fabs(trace[3] - trace[0]),
               trace[3 * 20 + 2], trace[3 * 200 + 2]);
    }
    return 0;
}
