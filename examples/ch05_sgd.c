/* cc -std=c99 -O2 -I. examples/ch05_sgd.c -o ch05_sgd -lm */
/* Chapter 5: stochastic gradient descent on f = x1^2 + 2 x2^2 from (-5, -2), as in
   D2L: the exact gradient plus N(0, 1) noise in each coordinate (from a seeded
   ofs_rng), eta0 = 0.1, and four learning rates (constant, piecewise constant,
   exponential, polynomial). The updates are the library's SGD with cfg.lr set
   before each step. Because the dynamics are linear, the mean over many seeds
   must equal the noise-free run; the program checks it, and checks the spread
   against its exact variance. --smoke uses 1000 seeds instead of 10000.
   Writes out/ch05_*.dat for figures/ch05_*.gp. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <string.h>
#include <math.h>

#define ETA0 0.1
#define TMAX 1000
#define NSCHED 4

static const char *sched_name[NSCHED] = {"constant", "piecewise constant", "exponential", "polynomial"};
static const int sched_steps[NSCHED] = {50, 50, 1000, 50};   /* D2L's: 50, -, 1000, 50 */

/* The learning rate at step t = 1, 2, ... Chapter 12 turns each of these one-liners
   into a library schedule; here they are written out. */
static double rate(int sched, int t)
{
    switch (sched) {
    case 0: return ETA0;                                                  /* eta0 */
    case 1: return t <= 20 ? ETA0 : t <= 35 ? 0.3 * ETA0 : 0.1 * ETA0;   /* eta_i on [t_i, t_i+1) */
    case 2: return ETA0 * exp(-0.1 * t);                                  /* eta0 e^(-lambda t), lambda = 0.1 */
    default: return ETA0 * pow(0.1 * t + 1, -0.5);                        /* eta0 (beta t + 1)^(-alpha), beta = 0.1, alpha = 0.5 */
    }
}

/* sum_{t=1..T} eta_t^p: how far the run can travel (p = 1) and how much noise it
   lets in (p = 2). */
static double rate_sum(int sched, int T, int p)
{
    double s = 0;
    int t;
    for (t = 1; t <= T; t++) s += p == 1 ? rate(sched, t) : rate(sched, t) * rate(sched, t);
    return s;
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch05_sgd: cannot open %s for writing (run from the repository root; `make` creates out/)\n", path);
    return f;
}

/* One run of T steps from (-5, -2); noise from rng when rng is not NULL. Stores
   the iterates in path[0..T][2]. The optimizer is reset, so it starts at step 0. */
static void run(ofs_optim *opt, int sched, ofs_rng *rng, double path[][2])
{
    ofs_toy quad = ofs_toy_make(OFS_TOY_QUAD);   /* x1^2 + 2 x2^2 */
    double x[2] = {-5.0, -2.0}, g[2];
    int t, T = sched_steps[sched];
    ofs_optim_reset(opt);
    path[0][0] = x[0]; path[0][1] = x[1];
    for (t = 1; t <= T; t++) {
        ofs_toy_eval(&quad, x, g, NULL);
        if (rng) { g[0] += ofs_rng_normal(rng); g[1] += ofs_rng_normal(rng); }   /* noisy gradient */
        opt->cfg.lr = rate(sched, t);
        ofs_optim_step(opt, x, g, NULL);   /* x <- x - eta_t g */
        path[t][0] = x[0]; path[t][1] = x[1];
    }
}

static double clean[TMAX + 1][2], noisy[TMAX + 1][2], sum[TMAX + 1][2], sum2[TMAX + 1][2];

/* Everything for one schedule: the noise-free run, seed 1, and the statistics over
   seeds 1..nseeds. Returns the largest |mean - noise-free| in standard errors. */
static double schedule(ofs_optim *opt, int sched, int nseeds, FILE *fp, FILE *fm)
{
    ofs_rng rng;
    double var[2] = {0, 0}, zmax = 0;
    const double curv[2] = {2.0, 4.0};   /* the gradient is (2 x1, 4 x2) */
    int s, t, i, T = sched_steps[sched];

    run(opt, sched, NULL, clean);
    memset(sum, 0, sizeof sum);
    memset(sum2, 0, sizeof sum2);
    for (s = 1; s <= nseeds; s++) {
        ofs_rng_seed(&rng, (uint64_t)s);
        run(opt, sched, &rng, noisy);
        for (t = 0; t <= T; t++)
            for (i = 0; i < 2; i++) { sum[t][i] += noisy[t][i]; sum2[t][i] += noisy[t][i] * noisy[t][i]; }
        if (s == 1) {
            fprintf(fp, "# %s: step x1 x2 (seed 1) clean_x1 clean_x2 (noise-free)\n", sched_name[sched]);
            for (t = 0; t <= T; t++) fprintf(fp, "%d %.6f %.6f %.6f %.6f\n", t, noisy[t][0], noisy[t][1], clean[t][0], clean[t][1]);
            fprintf(fp, "\n\n");
            printf("\n%s rate, %d steps\n", sched_name[sched], T);
            printf("  noise-free    step %d, x1: %f, x2: %f\n", T, clean[T][0], clean[T][1]);
            printf("  seed 1        step %d, x1: %f, x2: %f\n", T, noisy[T][0], noisy[T][1]);
            printf("  sum of the rates %f, of their squares %f\n", rate_sum(sched, T, 1), rate_sum(sched, T, 2));
        }
    }
    /* Mean and spread per step. Exact variance: x_t = (1 - c eta_t) x_{t-1} - eta_t xi,
       so Var_t = (1 - c eta_t)^2 Var_{t-1} + eta_t^2 with Var_0 = 0. */
    fprintf(fm, "# %s: step clean_x1 mean_x1 sd_x1 exact_sd_x1 clean_x2 mean_x2 sd_x2 exact_sd_x2\n", sched_name[sched]);
    for (t = 0; t <= T; t++) {
        double mean[2], sd[2];
        if (t > 0)
            for (i = 0; i < 2; i++) {
                double eta = rate(sched, t), k = 1 - curv[i] * eta;
                var[i] = k * k * var[i] + eta * eta;
            }
        for (i = 0; i < 2; i++) {
            mean[i] = sum[t][i] / nseeds;
            sd[i] = sqrt(fmax(sum2[t][i] / nseeds - mean[i] * mean[i], 0.0) * nseeds / (nseeds - 1));
            if (t > 0) {
                double z = fabs(mean[i] - clean[t][i]) / (sd[i] / sqrt((double)nseeds));
                if (!(z <= zmax)) zmax = z;   /* a NaN z also lands here */
            }
        }
        fprintf(fm, "%d %.6f %.6f %.6f %.6f %.6f %.6f %.6f %.6f\n", t, clean[t][0], mean[0], sd[0], sqrt(var[0]),
                clean[t][1], mean[1], sd[1], sqrt(var[1]));
        if (t == T) {
            printf("  mean of %d seeds  x1: %f, x2: %f\n", nseeds, mean[0], mean[1]);
            printf("  spread over seeds sd x1: %.4f, sd x2: %.4f (exact: %.4f, %.4f)\n", sd[0], sd[1], sqrt(var[0]), sqrt(var[1]));
        }
    }
    fprintf(fm, "\n\n");
    printf("  largest |mean - noise-free| over all steps: %.2f standard errors\n", zmax);
    return zmax;
}

/* Averaging instead of decaying: 200 steps at the constant rate eta0 from (-5, -2),
   and the mean over seeds of f at the last iterate, at SWA's equal-weight average of
   steps 101..200, at an EMA of every step, and at ASGD's average (lambd 0, so its
   iterates are SGD's; t0 100: it averages steps 102..200). */
#define AVG_T 200
static int averaging(int nseeds)
{
    ofs_toy quad = ofs_toy_make(OFS_TOY_QUAD);
    ofs_optim sgd, asgd;
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD), a = ofs_optim_defaults(OFS_ASGD);
    ofs_average swa, ema9, ema99;
    double mean[5] = {0, 0, 0, 0, 0};
    int s, t, k, same = 1;
    static const char *what[5] = {"the last iterate", "SWA, steps 101-200", "EMA, decay 0.9", "EMA, decay 0.99",
                                  "ASGD's average (t0 100)"};
    c.lr = ETA0; a.lr = ETA0; a.lambd = 0; a.t0 = 100;
    if (ofs_optim_init(&sgd, &c, 2, NULL) || ofs_optim_init(&asgd, &a, 2, NULL) || ofs_average_init(&swa, 2, 0, NULL) ||
        ofs_average_init(&ema9, 2, 0.9, NULL) || ofs_average_init(&ema99, 2, 0.99, NULL))
        return 1;
    for (s = 1; s <= nseeds; s++) {
        ofs_rng rng;
        double x[2] = {-5.0, -2.0}, y[2] = {-5.0, -2.0}, g[2], h[2];
        const double *at[5];
        ofs_rng_seed(&rng, (uint64_t)s);
        ofs_optim_reset(&sgd); ofs_optim_reset(&asgd);
        swa.count = ema9.count = ema99.count = 0;
        for (t = 1; t <= AVG_T; t++) {
            ofs_toy_eval(&quad, x, g, NULL);
            g[0] += ofs_rng_normal(&rng); g[1] += ofs_rng_normal(&rng);
            h[0] = g[0]; h[1] = g[1];
            ofs_optim_step(&sgd, x, g, NULL);
            ofs_optim_step(&asgd, y, h, NULL);
            if (t > AVG_T / 2) ofs_average_update(&swa, x, NULL);
            ofs_average_update(&ema9, x, NULL); ofs_average_update(&ema99, x, NULL);
        }
        same &= x[0] == y[0] && x[1] == y[1];
        at[0] = x; at[1] = swa.avg; at[2] = ema9.avg; at[3] = ema99.avg; at[4] = ofs_optim_averaged(&asgd);
        for (k = 0; k < 5; k++) mean[k] += ofs_toy_eval(&quad, at[k], NULL, NULL) / nseeds;
    }
    printf("\nAveraging at the constant rate %g, %d steps, mean f over %d seeds (minimum 0):\n", ETA0, AVG_T, nseeds);
    for (k = 0; k < 5; k++) printf("  %-26s %.6f\n", what[k], mean[k]);
    printf("  ASGD's iterates are SGD's, bit for bit: %s\n", same ? "yes" : "NO");
    printf("  the stationary E f of the last iterate: %.6f (E x_i^2 = eta / (c_i (2 - c_i eta)), c = 2, 4)\n",
           ETA0 / (2 * (2 - 2 * ETA0)) + 2 * ETA0 / (4 * (2 - 4 * ETA0)));
    ofs_optim_free(&sgd); ofs_optim_free(&asgd);
    ofs_average_free(&swa); ofs_average_free(&ema9); ofs_average_free(&ema99);
    return same ? 0 : 1;
}

int main(int argc, char **argv)
{
    FILE *fp = open_out("out/ch05_paths.dat"), *fm = open_out("out/ch05_mean.dat"), *fl = open_out("out/ch05_lr.dat");
    int smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0, nseeds = smoke ? 1000 : 10000, k, t;
    ofs_optim opt;
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
    ofs_err err;
    double zmax = 0;
    if (!fp || !fm || !fl) return 1;
    cfg.lr = ETA0;
    if (ofs_optim_init(&opt, &cfg, 2, &err) != OFS_OK) { fprintf(stderr, "ch05_sgd: %s\n", err.msg); return 1; }

    printf("SGD on f(x1, x2) = x1^2 + 2 x2^2 from (-5, -2): gradient + N(0, 1) noise, eta0 = %g\n", ETA0);
    fprintf(fl, "# t eta_t   (blocks: constant, piecewise constant, exponential, polynomial; each over its run's steps)\n");
    for (k = 0; k < NSCHED; k++) {
        for (t = 1; t <= sched_steps[k]; t++) fprintf(fl, "%d %.6g\n", t, rate(k, t));
        fprintf(fl, "\n\n");
    }
    for (k = 0; k < NSCHED; k++) {
        double z = schedule(&opt, k, nseeds, fp, fm);
        if (!(z <= zmax)) zmax = z;
    }
    ofs_optim_free(&opt);
    if (averaging(smoke ? 1000 : 10000)) return 1;
    printf("\nExpectation check: the mean of %d seeds equals the noise-free run within 5 standard errors: %s\n",
           nseeds, zmax < 5 ? "yes" : "NO");
    fclose(fp); fclose(fm); fclose(fl);
    return zmax < 5 ? 0 : 1;
}
