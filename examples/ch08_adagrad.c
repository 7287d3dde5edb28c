/* cc -std=c99 -O2 -I. examples/ch08_adagrad.c -o ch08_adagrad -lm */
/* Chapter 8: Adagrad on f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2), as in D2L, with
   eps inside the square root (D2L) and outside it (PyTorch) side by side; the
   per-coordinate learning rate lr / sqrt(s) as it shrinks; a gradient small
   enough for the placement of eps to matter; why per-coordinate rates help
   (a rare feature; the diagonal preconditioner they approximate) and where they
   fail (the same quadratic rotated by 45 degrees). Figure data goes to out/.
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

/* A rare feature: two coordinates with losses (x_i - 1)^2 / 2, the first seen in
   every example, the second in one example out of ten (its gradient is 0 in the
   others). 1000 steps from 0 of SGD with the schedule lr_t = 0.1 / sqrt(t), which
   decays for both alike, and of Adagrad with lr 0.1, whose rate decays with each
   coordinate's own gradients. Prints the distance 1 - x_i left. */
static int rare_feature(void)
{
    ofs_optim_config cs = ofs_optim_defaults(OFS_SGD), ca = ofs_optim_defaults(OFS_ADAGRAD);
    ofs_optim sgd_o, ada_o;
    double xs[2] = {0, 0}, xa[2] = {0, 0}, g[2];
    int t;
    cs.lr = 0.1; ca.lr = 0.1;
    if (ofs_optim_init(&sgd_o, &cs, 2, NULL) != OFS_OK) return 1;
    if (ofs_optim_init(&ada_o, &ca, 2, NULL) != OFS_OK) { ofs_optim_free(&sgd_o); return 1; }
    for (t = 1; t <= 1000; t++) {
        int seen = t % 10 == 0;
        g[0] = xs[0] - 1; g[1] = seen ? xs[1] - 1 : 0;
        sgd_o.cfg.lr = 0.1 / sqrt((double)t);
        ofs_optim_step(&sgd_o, xs, g, NULL);
        g[0] = xa[0] - 1; g[1] = seen ? xa[1] - 1 : 0;
        ofs_optim_step(&ada_o, xa, g, NULL);
    }
    printf("\nA frequent and a rare feature (gradient in every step, and in every tenth), losses (x_i - 1)^2 / 2, from 0, 1000 steps:\n");
    printf("  SGD, lr 0.1 / sqrt(t):  1 - x1 = %.2e, 1 - x2 = %.6f\n", 1 - xs[0], 1 - xs[1]);
    printf("  Adagrad, lr 0.1:        1 - x1 = %.2e, 1 - x2 = %.6f\n", 1 - xa[0], 1 - xa[1]);
    ofs_optim_free(&sgd_o); ofs_optim_free(&ada_o);
    return 0;
}

/* kappa of a symmetric 2 x 2 matrix [a b; b d]: the ratio of its eigenvalues. */
static double kappa2(double a, double b, double d)
{
    double m = (a + d) / 2, r = sqrt((a - d) * (a - d) / 4 + b * b);
    return (m + r) / (m - r);
}

/* The quadratic f = x^T Q x / 2 with Q = R diag(0.2, 4) R^T, R a rotation by `deg`
   degrees: the chapter's f for deg = 0, a valley along the diagonal for 45. */
typedef struct { double q11, q12, q22; } quadform;

static quadform rotated(double deg)
{
    double c = cos(deg * M_PI / 180), s = sin(deg * M_PI / 180);
    quadform q;
    q.q11 = c * c * 0.2 + s * s * 4;
    q.q12 = c * s * (0.2 - 4);
    q.q22 = s * s * 0.2 + c * c * 4;
    return q;
}

static double qf(const quadform *q, const double *x, double *g)
{
    if (g) { g[0] = q->q11 * x[0] + q->q12 * x[1]; g[1] = q->q12 * x[0] + q->q22 * x[1]; }
    return 0.5 * (q->q11 * x[0] * x[0] + 2 * q->q12 * x[0] * x[1] + q->q22 * x[1] * x[1]);
}

/* 100 steps of cfg on the quadratic q from the start (-5, -2) rotated as q is; f after. */
static double run_rotated(const ofs_optim_config *cfg, double deg, FILE *out)
{
    quadform q = rotated(deg);
    double c = cos(deg * M_PI / 180), s = sin(deg * M_PI / 180), x[2], g[2], f;
    ofs_optim o;
    int k;
    x[0] = c * -5 - s * -2; x[1] = s * -5 + c * -2;
    if (ofs_optim_init(&o, cfg, 2, NULL) != OFS_OK) return HUGE_VAL;
    for (k = 0; k <= 100; k++) {
        f = qf(&q, x, g);
        if (out) fprintf(out, "%d %.10g %.10g %.10g\n", k, x[0], x[1], f);
        if (k < 100) ofs_optim_step(&o, x, g, NULL);
    }
    if (out) fprintf(out, "\n\n");
    ofs_optim_free(&o);
    return f;
}

static int rotation(void)
{
    static const char *name[5] = {"gradient descent, lr 0.4", "momentum, lr 0.6, beta 0.5", "Adagrad, lr 0.4 (D2L)",
                                  "RMSProp, lr 0.4, gamma 0.9 (D2L)", "Adam, lr 0.1"};
    ofs_optim_config c[5];
    quadform q0 = rotated(0), q45 = rotated(45);
    FILE *out = open_out("out/ch08_rotated.dat");
    int i;
    if (!out) return 1;
    c[0] = ofs_optim_defaults(OFS_SGD); c[0].lr = 0.4;
    c[1] = ofs_optim_defaults(OFS_SGD); c[1].lr = 0.6; c[1].momentum = 0.5;
    c[2] = adagrad(0.4, 1e-6, 1);
    c[3] = ofs_optim_defaults(OFS_RMSPROP); c[3].lr = 0.4; c[3].alpha = 0.9; c[3].eps = 1e-6; c[3].eps_inside_sqrt = 1;
    c[4] = ofs_optim_defaults(OFS_ADAM); c[4].lr = 0.1;
    printf("\nThe diagonal preconditioner: Q = R diag(0.2, 4) R^T, R a rotation; kappa of Q and of D^-1/2 Q D^-1/2, D = diag(Q)\n");
    printf("  rotation  0: Q = [%.1f %.1f; %.1f %.1f], kappa %.1f, preconditioned %.1f\n", q0.q11, q0.q12 + 0.0, q0.q12 + 0.0, q0.q22,
           kappa2(q0.q11, q0.q12, q0.q22), kappa2(1, q0.q12 / sqrt(q0.q11 * q0.q22), 1));
    printf("  rotation 45: Q = [%.1f %.1f; %.1f %.1f], kappa %.1f, preconditioned %.1f\n", q45.q11, q45.q12, q45.q12, q45.q22,
           kappa2(q45.q11, q45.q12, q45.q22), kappa2(1, q45.q12 / sqrt(q45.q11 * q45.q22), 1));
    printf("\nThe same valley rotated by 45 degrees (start rotated with it, f(x_0) = 10.5): f after 100 steps\n");
    printf("  %-34s %-12s %-12s %s\n", "", "aligned", "rotated 45", "rotated / aligned");
    fprintf(out, "# step x1 x2 f   (blocks: for each of GD, momentum, Adagrad, RMSProp, Adam: aligned, then rotated by 45 degrees)\n");
    for (i = 0; i < 5; i++) {
        double fa = run_rotated(&c[i], 0, out), fr = run_rotated(&c[i], 45, out);
        printf("  %-34s %-12.3e %-12.3e %.3g\n", name[i], fa, fr, fr / fa);
    }
    return fclose(out) != 0;
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
    printf("lr 0.4, eps 1e-6 inside  (D2L):      step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = adagrad(0.4, 1e-6, 0);  if (run(&c, x, paths, NULL)) return 1;
    printf("lr 0.4, eps 1e-6 outside (PyTorch):  step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = adagrad(0.4, 1e-10, 0);  if (run(&c, x, NULL, NULL)) return 1;
    printf("lr 0.4, eps 1e-10 outside (default): step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = adagrad(2.0, 1e-6, 1);  if (run(&c, x, paths, NULL)) return 1;
    printf("lr 2,   eps 1e-6 inside  (D2L):      step 20, x1: %f, x2: %f\n", x[0], x[1]);
    if (fclose(paths) != 0 || fclose(rates) != 0) return 1;

    printf("\nThe first step of Adagrad (lr 0.4) for a gradient g: where eps goes matters when g is small\n");
    printf("  g        inside, eps 1e-6   outside, eps 1e-6   outside, eps 1e-10\n");
    for (i = 0; i < 3; i++)
        printf("  %-7g  %.6f           %.6f            %.6f\n", gs[i],
               first_step(gs[i], 1e-6, 1), first_step(gs[i], 1e-6, 0), first_step(gs[i], 1e-10, 0));
    if (rare_feature() || rotation()) return 1;
    return 0;
}
