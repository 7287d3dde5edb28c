/* cc -std=c99 -O2 -I. examples/ch10_adam.c -o ch10_adam -lm */
/* Chapter 10: Adam and its family. What bias correction does (the library's Adam
   beside a hand-written Adam without it), the moment estimates m and v as a noisy
   gradient streams in, where eps goes (PyTorch's eps against the paper's
   "eps hat"), and how Adam, AMSGrad, Yogi, Adamax and AdaBelief keep their scale
   of the gradient when the gradient suddenly shrinks. Then all of them on
   f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2). Figure data goes to out/. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>

static const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0};   /* f = 0.1 x1^2 + 2 x2^2 */

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch10_adam: cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
}

static ofs_optim_config family(ofs_optim_kind kind, double lr, int amsgrad)
{
    ofs_optim_config c = ofs_optim_defaults(kind);   /* beta1 0.9, beta2 0.999 */
    c.lr = lr; c.amsgrad = amsgrad; c.beta2 = 0.999;   /* ADOPT's own default is 0.9999 */
    return c;
}

/* Adam without bias correction, by hand: m/(sqrt(v) + eps) in place of m^/(sqrt(v^) + eps).
   `steps` steps from (-5, -2); rows x1 x2 f into path, as ofs_toy_trace records them. */
static void adam_uncorrected(double lr, int steps, double *path)
{
    double x[2] = {-5, -2}, g[2], m[2] = {0, 0}, v[2] = {0, 0};
    int k, i;
    for (k = 0; k <= steps; k++, path += 3) {
        path[0] = x[0]; path[1] = x[1]; path[2] = ofs_toy_eval(&quad, x, g, NULL);
        if (k == steps) break;
        for (i = 0; i < 2; i++) {
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
            x[i] -= lr * m[i] / (sqrt(v[i]) + 1e-8);
        }
    }
}

/* A constant gradient g = 1 on one parameter: the library's step divided by lr
   (bias-corrected: m^/sqrt(v^)), and m/sqrt(v) from its raw state (what the step
   would be without the correction), for beta2 = 0.999 and 0.9999. */
static int step_sizes(void)
{
    static const int when[7] = {1, 2, 5, 10, 100, 1000, 10000};
    ofs_optim o[2];
    double th[2] = {0, 0}, one = 1.0;
    int k, j, w = 0;
    for (j = 0; j < 2; j++) {
        ofs_optim_config c = family(OFS_ADAM, 1e-3, 0);
        c.beta2 = j == 0 ? 0.999 : 0.9999;
        if (ofs_optim_init(&o[j], &c, 1, NULL) != OFS_OK) return 1;
    }
    printf("  t       with correction   without, beta2 0.999   without, beta2 0.9999\n");
    for (k = 1; k <= 10000; k++) {
        double step[2], raw[2];
        for (j = 0; j < 2; j++) {
            double before = th[j];
            ofs_optim_step(&o[j], &th[j], &one, NULL);
            step[j] = (before - th[j]) / o[j].cfg.lr;
            raw[j] = (double)o[j].s[0][0] / (sqrt((double)o[j].s[1][0]) + o[j].cfg.eps);
        }
        if (k == when[w]) {
            printf("  %-6d  %.6f          %.6f               %.6f\n", k, step[0], raw[0], raw[1]);
            w++;
        }
    }
    ofs_optim_free(&o[0]); ofs_optim_free(&o[1]);
    return 0;
}

/* m, v and their corrected forms, read from Adam's state, for the gradient
   g_t = 1 + 0.5 n_t with n_t ~ N(0, 1) from a seeded ofs_rng. lr = 0: the
   parameter stays put, only the averages move. */
static int moments(const char *path)
{
    ofs_optim_config c = family(OFS_ADAM, 0.0, 0);
    ofs_optim o;
    ofs_rng rng;
    double th = 0;
    FILE *f = open_out(path);
    int t;
    if (!f) return 1;
    if (ofs_optim_init(&o, &c, 1, NULL) != OFS_OK) { fclose(f); return 1; }
    ofs_rng_seed(&rng, 10);
    fprintf(f, "# t g m v m_hat v_hat E[m] E[v]   (Adam, beta1 0.9, beta2 0.999, g = 1 + 0.5 N(0,1); E[m] = 1 - 0.9^t, E[v] = 1.25 (1 - 0.999^t))\n");
    printf("  t     g          m          m^         v          v^         E[v] = 1.25 (1 - 0.999^t)\n");
    for (t = 1; t <= 2000; t++) {
        double g = 1 + 0.5 * ofs_rng_normal(&rng), m, v;
        ofs_optim_step(&o, &th, &g, NULL);
        m = (double)o.s[0][0]; v = (double)o.s[1][0];
        fprintf(f, "%d %.8g %.8g %.8g %.8g %.8g %.8g %.8g\n", t, g, m, v, m / (1 - pow(0.9, t)), v / (1 - pow(0.999, t)),
                1 - pow(0.9, t), 1.25 * (1 - pow(0.999, t)));
        if (t <= 3 || t == 10 || t == 100 || t == 1000 || t == 2000)
            printf("  %-4d  %.6f   %.6f   %.6f   %.6f   %.6f   %.6f\n", t, g, m, m / (1 - pow(0.9, t)), v, v / (1 - pow(0.999, t)),
                   1.25 * (1 - pow(0.999, t)));
    }
    ofs_optim_free(&o);
    {   /* When does the raw average reach 90% of its target? 1 - beta^t >= 0.9. */
        int t1 = 1, t2 = 1;
        while (1 - pow(0.9, t1) < 0.9) t1++;
        while (1 - pow(0.999, t2) < 0.9) t2++;
        printf("  1 - beta^t reaches 0.9 at t = %d for beta 0.9 and at t = %d for beta 0.999\n", t1, t2);
    }
    return fclose(f) != 0;
}

/* Where eps goes. PyTorch divides by sqrt(v^) + eps; the paper's efficient form
   (Kingma and Ba, end of section 2) folds the corrections into the rate,
       lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t),  theta <- theta - lr_t m / (sqrt(v) + eps_hat),
   which is the same step exactly when eps_hat = eps sqrt(1 - beta2^t). Keras and
   TF1 keep eps_hat fixed instead: in PyTorch's terms an eps of eps_hat / sqrt(1 - beta2^t),
   31.6 eps_hat on step 1. A constant gradient g = 1e-7: the library's step / lr, and the
   eps-hat form with a fixed eps_hat = 1e-8 and with eps_hat = 1e-8 sqrt(1 - beta2^t). */
static int eps_hat(void)
{
    static const int when[5] = {1, 10, 100, 1000, 10000};
    ofs_optim_config c = family(OFS_ADAM, 1e-3, 0);
    ofs_optim o;
    double th = 0, g = 1e-7, m = 0, v = 0, maxdiff = 0;
    int t, w = 0;
    if (ofs_optim_init(&o, &c, 1, NULL) != OFS_OK) return 1;
    printf("  step 1: sqrt(1 - beta2) = %.6f, so PyTorch's eps is an eps_hat of %.6f eps, and a fixed eps_hat an eps of %.6f eps_hat\n",
           sqrt(0.001), sqrt(0.001), 1 / sqrt(0.001));
    printf("  t       eps_hat / sqrt(1 - beta2^t)   PyTorch (library)   eps_hat form, fixed eps_hat 1e-8\n");
    for (t = 1; t <= 10000; t++) {
        double before = th, bc2 = sqrt(1 - pow(0.999, t)), lr_t = bc2 / (1 - pow(0.9, t)), step, fixed, matched;
        ofs_optim_step(&o, &th, &g, NULL);
        step = (before - th) / c.lr;
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        fixed = lr_t * m / (sqrt(v) + 1e-8);
        matched = lr_t * m / (sqrt(v) + 1e-8 * bc2);
        maxdiff = fmax(maxdiff, fabs(matched - step) / step);
        if (t == when[w]) {
            printf("  %-6d  %.3e                     %.6f            %.6f\n", t, 1e-8 / bc2, step, fixed);
            w++;
        }
    }
    printf("  the eps_hat form with eps_hat = eps sqrt(1 - beta2^t) against the library: largest relative difference %.1e\n", maxdiff);
    ofs_optim_free(&o);
    return 0;
}

/* The scale of the gradient each method divides by, when |g| drops from 1 to 0.1
   at step 500: Adam sqrt(v^), AMSGrad sqrt(max v / (1 - beta2^t)), Yogi sqrt(v^),
   Adamax u, AdaBelief sqrt(s^) (s averages (g - m)^2, the spread of g around its
   average). All read from the library's state (lr = 0). */
static int denominators(const char *path)
{
    static const ofs_optim_kind kinds[5] = {OFS_ADAM, OFS_ADAM, OFS_YOGI, OFS_ADAMAX, OFS_ADABELIEF};
    ofs_optim o[5];
    double th[5] = {0, 0, 0, 0, 0};
    FILE *f = open_out(path);
    double amsgrad_v500 = 0;
    int t, j;
    if (!f) return 1;
    for (j = 0; j < 5; j++) {
        ofs_optim_config c = family(kinds[j], 0.0, j == 1);
        if (ofs_optim_init(&o[j], &c, 1, NULL) != OFS_OK) { fclose(f); return 1; }
    }
    fprintf(f, "# t |g| adam amsgrad yogi adamax adabelief   (the scale each divides by; |g| = 1, then 0.1 from t = 501)\n");
    printf("  t      |g|    Adam       AMSGrad    Yogi       Adamax     AdaBelief\n");
    for (t = 1; t <= 5000; t++) {
        double g = t <= 500 ? 1.0 : 0.1, bc2 = 1 - pow(0.999, t), d[5];
        for (j = 0; j < 5; j++) ofs_optim_step(&o[j], &th[j], &g, NULL);
        d[0] = sqrt((double)o[0].s[1][0] / bc2);
        d[1] = sqrt((double)o[1].s[2][0] / bc2);
        d[2] = sqrt((double)o[2].s[1][0] / bc2);
        d[3] = (double)o[3].s[1][0];
        d[4] = sqrt((double)o[4].s[1][0] / bc2);
        fprintf(f, "%d %g %.8g %.8g %.8g %.8g %.8g\n", t, g, d[0], d[1], d[2], d[3], d[4]);
        if (t == 10 || t == 500 || t == 501 || t == 600 || t == 1000 || t == 2000 || t == 5000)
            printf("  %-5d  %-4g   %.6f   %.6f   %.6f   %.6f   %.6f\n", t, g, d[0], d[1], d[2], d[3], d[4]);
        if (t == 500)
            amsgrad_v500 = (double)o[1].s[2][0];
    }
    printf("  (AMSGrad keeps the raw v of step 500, %.6f, and still divides by sqrt(1 - beta2^t): its scale tends to sqrt(%.6f) = %.6f)\n",
           amsgrad_v500, amsgrad_v500, sqrt(amsgrad_v500));
    for (j = 0; j < 5; j++) ofs_optim_free(&o[j]);
    return fclose(f) != 0;
}

/* Reddi et al.'s online problem (2018), the one Adam fails: on x in [-1, 1] the gradient
   is C = 3 at every third step and -1 at the others, so the average slope is +1/3 and
   the best x is -1. Adam divides the rare large gradient by a v that already holds it,
   so that step is small, and the frequent -1 steps win; ADOPT divides by the v of the
   steps before. The iterate is clamped to [-1, 1] after each step (a projection). */
static int online_problem(void)
{
    static const ofs_optim_kind kinds[2] = {OFS_ADAM, OFS_ADOPT};
    static const double beta2s[3] = {0.1, 0.5, 0.99};
    int j, b, t;
    printf("  beta2    Adam x after 30000 steps   ADOPT x after 30000 steps\n");
    for (b = 0; b < 3; b++) {
        double x[2];
        for (j = 0; j < 2; j++) {
            ofs_optim o;
            ofs_optim_config c = ofs_optim_defaults(kinds[j]);
            c.lr = 1e-3; c.beta1 = 0; c.beta2 = beta2s[b];
            if (ofs_optim_init(&o, &c, 1, NULL) != OFS_OK) return 1;
            x[j] = 0;
            for (t = 1; t <= 30000; t++) {
                double g = t % 3 == 1 ? 3.0 : -1.0;
                ofs_optim_step(&o, &x[j], &g, NULL);
                x[j] = x[j] > 1 ? 1 : x[j] < -1 ? -1 : x[j];
            }
            ofs_optim_free(&o);
        }
        printf("  %-7g  %-25f  %f\n", beta2s[b], x[0], x[1]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const char *names[7] = {"Adam", "Adam, no bias correction", "AMSGrad", "Adamax", "Yogi", "AdaBelief", "ADOPT"};
    static const ofs_optim_kind kinds[7] = {OFS_ADAM, OFS_ADAM, OFS_ADAM, OFS_ADAMAX, OFS_YOGI, OFS_ADABELIEF, OFS_ADOPT};
    static const double box[4] = {-5.5, 2.5, -3, 3};
    double path[101 * 3], x[2];
    FILE *paths;
    ofs_err err;
    int j;
    (void)argc; (void)argv;                   /* --smoke: the full run takes milliseconds */

    printf("Bias correction. Constant gradient g = 1: the step divided by lr\n");
    if (step_sizes()) return 1;

    printf("\nMoment estimates for g = 1 + 0.5 N(0,1) (seeded; E[g] = 1, E[g^2] = 1.25), beta1 0.9, beta2 0.999 (out/ch10_moments.dat):\n");
    if (moments("out/ch10_moments.dat")) return 1;

    printf("\nWhere eps goes, for a constant gradient g = 1e-7 (Adam, lr 1e-3, eps 1e-8): the step divided by lr\n");
    if (eps_hat()) return 1;

    printf("\nThe gradient drops from 1 to 0.1 after step 500; the scale each method divides by:\n");
    if (denominators("out/ch10_denominators.dat")) return 1;

    if (!(paths = open_out("out/ch10_paths.dat"))) return 1;
    fprintf(paths, "# step x1 x2 f   blocks: Adam | Adam without bias correction | AMSGrad | Adamax | Yogi | AdaBelief | ADOPT (lr 0.1)\n");
    printf("\nf(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2), lr 0.1, beta1 0.9, beta2 0.999:\n");
    printf("                               after 20 steps                  f after 100 steps\n");
    for (j = 0; j < 7; j++) {               /* 100 steps; row 20 of the path is the point after 20 */
        ofs_optim_config c = family(kinds[j], 0.1, j == 2);
        x[0] = -5; x[1] = -2;
        if (j == 1) adam_uncorrected(0.1, 100, path);
        else if (ofs_toy_trace(&quad, &c, x, 100, path, &err) != OFS_OK) break;
        if (ofs_toy_trace_write(paths, &quad, path, 100, &err) != OFS_OK) break;
        printf("  %-26s   x1: %9f, x2: %9f   f: %.3e\n", names[j], path[3 * 20], path[3 * 20 + 1], path[3 * 100 + 2]);
    }
    if (fclose(paths) != 0) return 1;
    printf("\nReddi et al.'s online problem: g = 3 at every third step, else -1, x clamped to [-1, 1]; the best x is -1\n"
           "(lr 1e-3, beta1 0 as in their theorem, from x = 0):\n");
    if (online_problem()) return 1;
    if (j < 7 || ofs_toy_grid_save("out/ch10_grid.dat", &quad, box, 81, 61, 0, &err) != OFS_OK) {
        fprintf(stderr, "ch10_adam: %s\n", err.msg);
        return 1;
    }
    return 0;
}
