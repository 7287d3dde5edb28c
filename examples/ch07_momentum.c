/* cc -std=c99 -O2 -I. examples/ch07_momentum.c -o ch07_momentum -lm */
/* Chapter 7: momentum and Nesterov on the ill-conditioned quadratic
   f(x) = 0.1 x1^2 + 2 x2^2, started at (-5, -2) as in D2L.
   Prints D2L's numbers (from the library's SGD), shows that the three ways of
   writing momentum are one algorithm, measures the largest stable learning rate
   of GD, heavy-ball momentum and Nesterov, measures the rate of convergence at
   GD's best learning rate, at D2L's setting, at critical damping and at the best
   (lr, beta), against the roots of the 2x2 iteration, computes the map of the
   rate over (lr, beta), and writes figure data to out/.
   D2L labels its steps "epoch"; here a step is a step. */
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

/* The rate of heavy-ball momentum (v <- beta v + g, x <- x - lr v) along one
   direction of curvature lam: per step (v, x) is multiplied by
       M = [ beta        lam      ]
           [ -lr beta    1 - lr lam ],
   whose eigenvalues are the roots of z^2 - (1 + beta - h) z + beta, h = lr lam.
   The rate is the larger |root|: sqrt(beta) when the roots are complex. */
static double rate_theory(double lr, double beta, double lam)
{
    double b = 1 + beta - lr * lam, disc = b * b - 4 * beta;
    if (disc < 0) return sqrt(beta);
    return fmax(fabs(b + sqrt(disc)), fabs(b - sqrt(disc))) / 2;
}

/* On f, both directions: the slower one sets the rate. */
static double rate_f(double lr, double beta) { return fmax(rate_theory(lr, beta, 0.2), rate_theory(lr, beta, 4.0)); }

#define RATE_STEPS 1200
/* The rate measured from the library's SGD on f from (-5, -2). Each coordinate is one
   direction of curvature, and its iterates obey a linear recurrence: fitting
   x_{t+2} = p x_{t+1} - q x_t to x_10 .. x_13 measures the polynomial z^2 - p z + q
   the library's steps follow (for gradient descent the recurrence is of first order,
   x_{t+1} = p x_t), and its largest |root| is that coordinate's factor per step.
   Also the step from which |x_t| stays below 1e-10 |x_0|. */
typedef struct { double p[2], q[2], rate; int steps_to; } measured;

static int rate_measured(double lr, double beta, measured *m)
{
    ofs_optim_config c = sgd(lr, beta, 0);
    static double path[RATE_STEPS + 1][2];
    double x[2] = {-5, -2}, g[2], x0 = hypot(x[0], x[1]);
    ofs_optim o;
    int k, i;
    if (ofs_optim_init(&o, &c, 2, NULL) != OFS_OK) return 1;
    path[0][0] = x[0]; path[0][1] = x[1];
    for (k = 1; k <= RATE_STEPS; k++) {
        ofs_toy_eval(&quad, x, g, NULL);
        ofs_optim_step(&o, x, g, NULL);
        path[k][0] = x[0]; path[k][1] = x[1];
    }
    ofs_optim_free(&o);
    m->rate = 0;
    for (i = 0; i < 2; i++) {
        double a = path[10][i], b = path[11][i], cc = path[12][i], d = path[13][i], det = b * b - a * cc, disc, r;
        if (!(fabs(det) > 1e-9 * b * b)) { m->p[i] = b / a; m->q[i] = 0; r = fabs(b / a); }   /* first order */
        else {
            m->p[i] = (cc * b - a * d) / det;
            m->q[i] = -(b * d - cc * cc) / det;
            disc = m->p[i] * m->p[i] - 4 * m->q[i];
            r = disc < 0 ? sqrt(m->q[i]) : fmax(fabs(m->p[i] + sqrt(disc)), fabs(m->p[i] - sqrt(disc))) / 2;
        }
        m->rate = fmax(m->rate, r);
    }
    for (k = RATE_STEPS; k > 0 && hypot(path[k - 1][0], path[k - 1][1]) < 1e-10 * x0; k--) {}
    m->steps_to = k;
    return !(m->rate > 0);
}

static int rates(void)
{
    const double lmin = 0.2, lmax = 4.0, kappa = lmax / lmin, sk = sqrt(kappa);
    const double gd_lr = 2 / (lmin + lmax), best_lr = pow(2 / (sqrt(lmin) + sqrt(lmax)), 2), best_beta = pow((sk - 1) / (sk + 1), 2);
    const double crit_beta = pow(1 - sqrt(0.6 * lmin), 2);
    const char *name[4] = {"gradient descent at its best lr 2/(lmin + lmax)", "momentum at D2L's lr 0.6, beta 0.5",
                           "momentum at lr 0.6, critically damped for lmin: beta (1 - sqrt(lr lmin))^2",
                           "momentum at its best: lr (2/(sqrt lmin + sqrt lmax))^2, beta ((sqrt kappa - 1)/(sqrt kappa + 1))^2"};
    const double lr[4] = {gd_lr, 0.6, 0.6, best_lr}, beta[4] = {0, 0.5, crit_beta, best_beta};
    const char *formula[4] = {"(kappa - 1)/(kappa + 1)", "sqrt(beta)", "1 - sqrt(lr lmin)", "(sqrt kappa - 1)/(sqrt kappa + 1)"};
    const double closed[4] = {(kappa - 1) / (kappa + 1), sqrt(0.5), 1 - sqrt(0.6 * lmin), (sk - 1) / (sk + 1)};
    int i, bad = 0;
    printf("\nRates on f (lambda_min 0.2, lambda_max 4, kappa 20): the polynomial z^2 - p z + q that each coordinate's iterates\n"
           "follow, fitted to the library's x_10..x_13 (theory: p = 1 + beta - lr lambda, q = beta), its largest |root|, and the\n"
           "step from which |x_t| < 1e-10 |x_0|\n");
    for (i = 0; i < 4; i++) {
        measured m;
        if (rate_measured(lr[i], beta[i], &m)) return 1;
        printf("  %s: lr %.6f, beta %.6f\n", name[i], lr[i], beta[i]);
        printf("      fitted x1: p %.6f q %.6f, x2: p %.6f q %.6f (theory %.6f %.6f, %.6f %.6f)\n", m.p[0], m.q[0], m.p[1], m.q[1],
               1 + beta[i] - lr[i] * lmin, beta[i], 1 + beta[i] - lr[i] * lmax, beta[i]);
        printf("      rate: measured %.6f, %s = %.6f; below 1e-10 from step %d (ln 1e-10 / ln rate = %.1f)\n",
               m.rate, formula[i], closed[i], m.steps_to, log(1e-10) / log(closed[i]));
        bad |= !(fabs(m.rate - rate_f(lr[i], beta[i])) < 1e-6);   /* the program fails if the library's steps do not */
    }
    return bad;
}

/* The map of the rate over (lr, beta), as Distill's "Why Momentum Really Works"
   draws it: for one direction against h = lr lambda (block 0), and for f, the
   slower of its two directions, against lr (block 1). Rates above 1.5 are written as 1.5. */
static int rate_map(const char *path)
{
    FILE *f = open_out(path);
    int i, j;
    if (!f) return 1;
    fprintf(f, "# x beta rate   (block 0: x = h = lr lambda, one direction; block 1: x = lr, f = 0.1 x1^2 + 2 x2^2)\n");
    for (i = 0; i <= 200; i++) {
        for (j = 0; j <= 200; j++) {
            double h = 4.0 * i / 200, beta = 0.995 * j / 200;
            fprintf(f, "%.4f %.5f %.6f\n", h, beta, fmin(rate_theory(h, beta, 1.0), 1.5));
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
    for (i = 0; i <= 200; i++) {
        for (j = 0; j <= 200; j++) {
            double lr = 1.0 * i / 200, beta = 0.995 * j / 200;
            fprintf(f, "%.4f %.5f %.6f\n", lr, beta, fmin(rate_f(lr, beta), 1.5));
        }
        fprintf(f, "\n");
    }
    return fclose(f) != 0;
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
    printf("gradient descent, lr 0.4:            step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = sgd(0.6, 0, 0);  if (run(&c, x, NULL)) return 1;
    printf("gradient descent, lr 0.6:            step 20, x1: %f, x2: %f  (x2 diverges)\n", x[0], x[1]);
    c = sgd(0.6, 0.5, 0);  if (run(&c, x, paths)) return 1;
    printf("momentum, lr 0.6, beta 0.5:          step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = sgd(0.6, 0.25, 0);  if (run(&c, x, paths)) return 1;
    printf("momentum, lr 0.6, beta 0.25:         step 20, x1: %f, x2: %f\n", x[0], x[1]);

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
    printf("  Nesterov, lr 0.3, beta 0.5:  step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = sgd(0.3, 0.5, 0);  if (run(&c, x, NULL)) return 1;
    printf("  momentum, lr 0.3, beta 0.5:  step 20, x1: %f, x2: %f\n", x[0], x[1]);
    c = sgd(0.6, 0.5, 1);  if (run(&c, x, NULL)) return 1;
    printf("  Nesterov, lr 0.6, beta 0.5:  step 20, x1: %f, x2: %e  (diverges)\n", x[0], x[1]);
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

    if (rates() || rate_map("out/ch07_ratemap.dat")) return 1;

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
