/* cc -std=c99 -O2 -I. examples/ch10_adam.c -o ch10_adam -lm */
/* Chapter 10: Adam and its family. What bias correction does (the library's Adam
   beside a hand-written Adam without it), the moment estimates m and v as a noisy
   gradient streams in, and how Adam, AMSGrad, Yogi and Adamax keep their scale of
   the gradient when the gradient suddenly shrinks. Then all of them on
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
    c.lr = lr; c.amsgrad = amsgrad;
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
    fprintf(f, "# t g m v m_hat v_hat   (Adam, beta1 0.9, beta2 0.999, g = 1 + 0.5 N(0,1))\n");
    printf("  t     g          m          m^         v          v^\n");
    for (t = 1; t <= 2000; t++) {
        double g = 1 + 0.5 * ofs_rng_normal(&rng), m, v;
        ofs_optim_step(&o, &th, &g, NULL);
        m = (double)o.s[0][0]; v = (double)o.s[1][0];
        fprintf(f, "%d %.8g %.8g %.8g %.8g %.8g\n", t, g, m, v, m / (1 - pow(0.9, t)), v / (1 - pow(0.999, t)));
        if (t <= 3 || t == 10 || t == 100 || t == 1000)
            printf("  %-4d  %.6f   %.6f   %.6f   %.6f   %.6f\n", t, g, m, m / (1 - pow(0.9, t)), v, v / (1 - pow(0.999, t)));
    }
    ofs_optim_free(&o);
    return fclose(f) != 0;
}

/* The scale of the gradient each method divides by, when |g| drops from 1 to 0.1
   at step 500: Adam sqrt(v^), AMSGrad sqrt(max v / (1 - beta2^t)), Yogi sqrt(v^),
   Adamax u. All read from the library's state (lr = 0). */
static int denominators(const char *path)
{
    static const ofs_optim_kind kinds[4] = {OFS_ADAM, OFS_ADAM, OFS_YOGI, OFS_ADAMAX};
    ofs_optim o[4];
    double th[4] = {0, 0, 0, 0};
    FILE *f = open_out(path);
    int t, j;
    if (!f) return 1;
    for (j = 0; j < 4; j++) {
        ofs_optim_config c = family(kinds[j], 0.0, j == 1);
        if (ofs_optim_init(&o[j], &c, 1, NULL) != OFS_OK) { fclose(f); return 1; }
    }
    fprintf(f, "# t |g| adam amsgrad yogi adamax   (the scale each divides by; |g| = 1, then 0.1 from t = 501)\n");
    printf("  t      |g|    Adam       AMSGrad    Yogi       Adamax\n");
    for (t = 1; t <= 5000; t++) {
        double g = t <= 500 ? 1.0 : 0.1, bc2 = 1 - pow(0.999, t), d[4];
        for (j = 0; j < 4; j++) ofs_optim_step(&o[j], &th[j], &g, NULL);
        d[0] = sqrt((double)o[0].s[1][0] / bc2);
        d[1] = sqrt((double)o[1].s[2][0] / bc2);
        d[2] = sqrt((double)o[2].s[1][0] / bc2);
        d[3] = (double)o[3].s[1][0];
        fprintf(f, "%d %g %.8g %.8g %.8g %.8g\n", t, g, d[0], d[1], d[2], d[3]);
        if (t == 500 || t == 600 || t == 1000 || t == 2000 || t == 5000)
            printf("  %-5d  %-4g   %.6f   %.6f   %.6f   %.6f\n", t, g, d[0], d[1], d[2], d[3]);
    }
    for (j = 0; j < 4; j++) ofs_optim_free(&o[j]);
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    static const char *names[6] = {"Adam", "Adam, no bias correction", "AMSGrad", "Adamax", "Yogi", "AdaBelief"};
    static const ofs_optim_kind kinds[6] = {OFS_ADAM, OFS_ADAM, OFS_ADAM, OFS_ADAMAX, OFS_YOGI, OFS_ADABELIEF};
    static const double box[4] = {-5.5, 2.5, -3, 3};
    double path[101 * 3], x[2];
    FILE *paths;
    ofs_err err;
    int j;
    (void)argc; (void)argv;                   /* --smoke: the full run takes milliseconds */

    printf("Bias correction. Constant gradient g = 1: the step divided by lr\n");
    if (step_sizes()) return 1;

    printf("\nMoment estimates for g = 1 + 0.5 N(0,1) (seeded), beta1 0.9, beta2 0.999 (out/ch10_moments.dat):\n");
    if (moments("out/ch10_moments.dat")) return 1;

    printf("\nThe gradient drops from 1 to 0.1 after step 500; the scale each method divides by:\n");
    if (denominators("out/ch10_denominators.dat")) return 1;

    if (!(paths = open_out("out/ch10_paths.dat"))) return 1;
    fprintf(paths, "# step x1 x2 f   blocks: Adam | Adam without bias correction | AMSGrad | Adamax | Yogi | AdaBelief (lr 0.1)\n");
    printf("\nf(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2), lr 0.1, beta1 0.9, beta2 0.999:\n");
    printf("                               after 20 steps                  f after 100 steps\n");
    for (j = 0; j < 6; j++) {               /* 100 steps; row 20 of the path is the point after 20 */
        ofs_optim_config c = family(kinds[j], 0.1, j == 2);
        x[0] = -5; x[1] = -2;
        if (j == 1) adam_uncorrected(0.1, 100, path);
        else if (ofs_toy_trace(&quad, &c, x, 100, path, &err) != OFS_OK) break;
        if (ofs_toy_trace_write(paths, &quad, path, 100, &err) != OFS_OK) break;
        printf("  %-26s   x1: %9f, x2: %9f   f: %.3e\n", names[j], path[3 * 20], path[3 * 20 + 1], path[3 * 100 + 2]);
    }
    if (fclose(paths) != 0) return 1;
    if (j < 6 || ofs_toy_grid_save("out/ch10_grid.dat", &quad, box, 81, 61, 0, &err) != OFS_OK) {
        fprintf(stderr, "ch10_adam: %s\n", err.msg);
        return 1;
    }
    return 0;
}
