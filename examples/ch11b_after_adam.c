/* cc -std=c99 -O2 -I. examples/ch11b_after_adam.c -o ch11b_after_adam -lm */
/* Chapter 11b: optimizers after Adam. Schedule-Free's three sequences z, x, y on
   f(w) = w^2 / 2 with noisy gradients, then Schedule-Free AdamW against AdamW with
   warmup + cosine on f(w) = (w1^2 + 10 w2^2) / 2 with noisy gradients, at three
   run lengths, each learning rate the best of a grid. Figure data goes to out/.
   --smoke is the same run (it takes well under a second). */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>

#define NOISE 1.0       /* standard deviation of each gradient coordinate's noise */

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch11b_after_adam: cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
}

/* The three sequences of Schedule-Free SGD in 1-D: params hold y, o.s[0] is z,
   ofs_optim_eval_params gives x. One row per step to out/ch11b_sequences.dat. */
static int sequences(const char *path)
{
    static const int when[5] = {1, 10, 50, 100, 300};
    ofs_optim o;
    ofs_optim_config c = ofs_optim_defaults(OFS_SFSGD);
    ofs_rng rng;
    double y = 4, x = 4, g, sz = 0, szz = 0, sx = 0, sxx = 0;
    FILE *f = open_out(path);
    int t, k = 0;
    if (!f) return 1;
    c.lr = 0.2;
    if (ofs_optim_init(&o, &c, 1, NULL) != OFS_OK) { fclose(f); return 1; }
    ofs_rng_seed(&rng, 1);
    printf("Schedule-Free SGD, lr %g, beta1 %g, on f(w) = w^2/2 with gradient noise N(0, %g), from w = 4\n", c.lr, c.beta1, NOISE);
    printf("step          z          x          y\n");
    fprintf(f, "# Schedule-Free SGD on f(w) = w^2/2, noisy gradients (examples/ch11b_after_adam.c)\n# step z x y\n");
    fprintf(f, "0 4 4 4\n");
    for (t = 1; t <= 300; t++) {
        g = y + NOISE * ofs_rng_normal(&rng);          /* the gradient is taken at y */
        ofs_optim_step(&o, &y, &g, NULL);
        ofs_optim_eval_params(&o, &y, &x);
        fprintf(f, "%d %.6f %.6f %.6f\n", t, o.s[0][0], x, y);
        if (k < 5 && t == when[k]) { printf("%4d  %9.4f  %9.4f  %9.4f\n", t, o.s[0][0], x, y); k++; }
        if (t > 200) { sz += o.s[0][0]; szz += o.s[0][0] * o.s[0][0]; sx += x; sxx += x * x; }
    }
    printf("over steps 201-300: sd(z) = %.3f, sd(x) = %.3f, mean x = %.3f\n", sqrt(szz / 100 - sz * sz / 1e4),
           sqrt(sxx / 100 - sx * sx / 1e4), sx / 100);
    ofs_optim_free(&o);
    fclose(f);
    return 0;
}

/* f(w) = (w1^2 + 10 w2^2) / 2 at the evaluation point. */
static double loss(const double *w) { return 0.5 * (w[0] * w[0] + 10 * w[1] * w[1]); }

#define NSEEDS 20
#define NLR 8
#define WARMUP 10
static const double lrs[NLR] = {0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0};
static const int horizons[3] = {50, 200, 800};

/* One run of `steps` steps; the mean loss at the evaluation point after each step
   in at[0..na) is added to sum[] (and after every step to curve[], if not NULL). sched: AdamW's warmup + cosine fitted to `plan`
   steps (0: Schedule-Free AdamW, constant lr after its own warmup). */
static void run(ofs_optim_kind kind, double lr, int plan, int steps, const int *at, int na, double *sum, double *curve)
{
    int seed, t, k;
    for (seed = 1; seed <= NSEEDS; seed++) {
        ofs_optim o;
        ofs_optim_config c = ofs_optim_defaults(kind);
        ofs_sched s = ofs_sched_defaults(OFS_SCHED_COSINE, lr);
        ofs_rng rng;
        double w[2] = {3, -2}, g[2], e[2];
        c.lr = lr; c.weight_decay = 0;
        if (kind == OFS_SFADAMW) c.warmup_steps = WARMUP;
        s.warmup_steps = WARMUP;
        if (plan) ofs_sched_set_run(&s, plan, NULL);
        ofs_optim_init(&o, &c, 2, NULL);
        ofs_rng_seed(&rng, (uint64_t)seed);
        for (t = 1, k = 0; t <= steps; t++) {
            if (plan) ofs_sched_apply(&s, t - 1, &o.cfg, NULL);
            g[0] = w[0] + NOISE * ofs_rng_normal(&rng);
            g[1] = 10 * w[1] + NOISE * ofs_rng_normal(&rng);
            ofs_optim_step(&o, w, g, NULL);
            ofs_optim_eval_params(&o, w, e);
            if (curve) curve[t - 1] += loss(e) / NSEEDS;
            if (k < na && t == at[k]) sum[k++] += loss(e) / NSEEDS;
        }
        ofs_optim_free(&o);
    }
}

static int comparison(const char *path)
{
    static double curve[2][800];
    double best[3][3], best_lr[3][3], early = 0, early_lr = 0;
    int h, j, m, t;
    FILE *f;
    for (h = 0; h < 3; h++) for (m = 0; m < 3; m++) best[h][m] = HUGE_VAL;
    for (j = 0; j < NLR; j++) {
        double sf[3] = {0, 0, 0}, cst[3] = {0, 0, 0}, planned[2] = {0, 0};
        static const int two[2] = {200, 800};
        run(OFS_SFADAMW, lrs[j], 0, 800, horizons, 3, sf, NULL);       /* one run serves every horizon */
        run(OFS_ADAMW, lrs[j], 0, 800, horizons, 3, cst, NULL);
        run(OFS_ADAMW, lrs[j], 800, 800, two, 2, planned, NULL);       /* planned for 800, read at 200 */
        for (h = 0; h < 3; h++) {
            double cos_h = 0;
            run(OFS_ADAMW, lrs[j], horizons[h], horizons[h], horizons + h, 1, &cos_h, NULL);   /* one run per horizon */
            if (cos_h < best[h][0]) { best[h][0] = cos_h; best_lr[h][0] = lrs[j]; }
            if (sf[h] < best[h][1]) { best[h][1] = sf[h]; best_lr[h][1] = lrs[j]; }
            if (cst[h] < best[h][2]) { best[h][2] = cst[h]; best_lr[h][2] = lrs[j]; }
        }
        if (j == 0 || planned[0] < early) { early = planned[0]; early_lr = lrs[j]; }
    }
    printf("\nf(w) = (w1^2 + 10 w2^2)/2 from (3, -2), gradient noise N(0, %g) per coordinate; mean loss at the\n", NOISE);
    printf("evaluation point over %d seeds, each lr the best of", NSEEDS);
    for (j = 0; j < NLR; j++) printf(" %g", lrs[j]);
    printf("; %d warmup steps for all\n", WARMUP);
    printf("steps   adamw warmup+cosine (lr)   sfadamw (lr)         adamw constant (lr)\n");
    for (h = 0; h < 3; h++)
        printf("%5d   %12.3e (%-5g)       %12.3e (%-5g)   %12.3e (%-5g)\n", horizons[h], best[h][0], best_lr[h][0],
               best[h][1], best_lr[h][1], best[h][2], best_lr[h][2]);
    printf("adamw warmup+cosine planned for 800 steps, stopped at 200: %.3e (best lr %g)\n", early, early_lr);
    f = open_out(path);
    if (!f) return 1;
    fprintf(f, "# mean loss at the evaluation point over %d seeds, each at its 800-step best lr (examples/ch11b_after_adam.c)\n", NSEEDS);
    fprintf(f, "# step adamw_warmup_cosine_800 sfadamw\n");
    run(OFS_ADAMW, best_lr[2][0], 800, 800, horizons, 0, best[0], curve[0]);
    run(OFS_SFADAMW, best_lr[2][1], 0, 800, horizons, 0, best[0], curve[1]);
    for (t = 0; t < 800; t++) fprintf(f, "%d %.6g %.6g\n", t + 1, curve[0][t], curve[1][t]);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;                   /* --smoke: the full run takes well under a second */
    if (sequences("out/ch11b_sequences.dat")) return 1;
    if (comparison("out/ch11b_loss.dat")) return 1;
    printf("wrote out/ch11b_sequences.dat, out/ch11b_loss.dat\n");
    return 0;
}
