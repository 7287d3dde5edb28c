/* cc -std=c99 -O2 -I. examples/ch12_schedules.c -o ch12_schedules -lm */
/* Chapter 12: learning-rate schedules. Prints every value D2L's scheduling section
   prints or plots (sqrt, factor, multistep, cosine, warmup + cosine), a
   table of every schedule at a few steps, the ReduceLROnPlateau state machine on a
   loss that stalls, and what annealing buys noisy SGD on f = x1^2 + 2 x2^2 (mean
   final loss over many seeds). Writes every schedule's curve, 100 steps from
   eta0 = 0.1, to out/ch12_schedules.dat for figures/ch12_schedules.gp.
   --smoke: fewer seeds in the SGD comparison; everything else is the same. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <string.h>
#include <math.h>

#define N 100          /* steps drawn in the figure */
#define ETA0 0.1
#define NCURVES 34

typedef struct curve { const char *name; ofs_sched s; } curve;

/* LambdaLR's and MultiplicativeLR's functions of the step k (ctx unused). */
static double inverse_k(int64_t k, void *ctx) { (void)ctx; return 1.0 / (1.0 + 0.05 * (double)k); }
static double times_097(int64_t k, void *ctx) { (void)ctx; (void)k; return 0.97; }

static const int64_t multi[2] = {30, 80}, pieces[3] = {20, 50, 75};
static const double piece_values[4] = {1.0, 0.6, 0.3, 0.1};

/* Every schedule of the figure, from eta0 = 0.1 over N = 100 steps. */
static int make_curves(curve *c)
{
    int n = 0;
#define ADD(label, kind) (c[n].name = label, c[n].s = ofs_sched_defaults(kind, ETA0), &c[n++].s)
    ofs_sched *s;
    ADD("constant", OFS_SCHED_CONSTANT);
    s = ADD("constant_factor", OFS_SCHED_CONSTANT_FACTOR); s->factor = 0.5; s->total_iters = 10;
    s = ADD("step", OFS_SCHED_STEP); s->step_size = 20; s->gamma = 0.5;
    s = ADD("multistep", OFS_SCHED_MULTISTEP); s->milestones = multi; s->n_milestones = 2;
    s = ADD("piecewise", OFS_SCHED_PIECEWISE); s->milestones = pieces; s->n_milestones = 3; s->values = piece_values;
    s = ADD("exponential", OFS_SCHED_EXPONENTIAL); s->gamma = 0.97;
    s = ADD("factor", OFS_SCHED_FACTOR); s->gamma = 0.95; s->eta_min = 0.02;
    s = ADD("linear", OFS_SCHED_LINEAR); s->start_factor = 1.0; s->end_factor = 0.1; s->total_iters = N;
    s = ADD("polynomial", OFS_SCHED_POLYNOMIAL); s->total_iters = N; s->power = 2;
    s = ADD("inverse_power", OFS_SCHED_INVERSE_POWER);               /* D2L: beta 0.1, alpha 0.5 */
    ADD("sqrt", OFS_SCHED_SQRT);
    s = ADD("cosine", OFS_SCHED_COSINE); s->t_max = N;
    s = ADD("cosine_periodic", OFS_SCHED_COSINE); s->t_max = 40;     /* PyTorch: rises again after 40 */
    s = ADD("cosine_hold", OFS_SCHED_COSINE); s->t_max = 40; s->hold = 1; s->eta_min = 0.01;   /* D2L */
    s = ADD("warmup_cosine", OFS_SCHED_COSINE); s->warmup_steps = 10; ofs_sched_set_run(s, N, NULL);
    s = ADD("cosine_restarts", OFS_SCHED_COSINE_RESTARTS); s->t_0 = 10; s->t_mult = 2;
    s = ADD("warmup_linear", OFS_SCHED_LINEAR); s->start_factor = 1.0; s->end_factor = 0.0; s->warmup_steps = 10;
    ofs_sched_set_run(s, N, NULL);
    s = ADD("onecycle", OFS_SCHED_ONECYCLE); s->total_steps = N;
    s = ADD("onecycle_3phase_linear", OFS_SCHED_ONECYCLE); s->total_steps = N; s->three_phase = 1; s->anneal_linear = 1;
    s = ADD("warmup_step", OFS_SCHED_STEP); s->warmup_steps = 5; s->warmup_start = 0.1; s->step_size = 30; s->gamma = 0.3;
    s = ADD("cyclic", OFS_SCHED_CYCLIC); s->base_lr = 0.01; s->max_lr = ETA0; s->step_size_up = 10; s->step_size_down = 15;
    s = ADD("cyclic_triangular2", OFS_SCHED_CYCLIC); s->base_lr = 0.01; s->max_lr = ETA0; s->step_size_up = 10;
    s->cyclic_mode = OFS_CYCLIC_TRIANGULAR2;
    s = ADD("cyclic_exp_range", OFS_SCHED_CYCLIC); s->base_lr = 0.01; s->max_lr = ETA0; s->step_size_up = 10;
    s->cyclic_mode = OFS_CYCLIC_EXP_RANGE; s->gamma = 0.98;
    s = ADD("swalr", OFS_SCHED_SWALR); s->swa_lr = 0.02; s->anneal_epochs = 30;
    s = ADD("lambda", OFS_SCHED_LAMBDA); s->lr_lambda = inverse_k;
    s = ADD("multiplicative", OFS_SCHED_MULTIPLICATIVE); s->lr_lambda = times_097;   /* = exponential 0.97 */
    {   /* warmup-stable-decay: 10 steps of warmup, eta0 held, a 30-step cooldown at the end of the 100 */
        static const char *const shape_names[4] = {"wsd_linear", "wsd_cosine", "wsd_sqrt", "wsd_square"};
        int shape;
        for (shape = OFS_WSD_LINEAR; shape <= OFS_WSD_SQUARE; shape++) {
            s = ADD(shape_names[shape], OFS_SCHED_WSD); s->warmup_steps = 10; s->decay_steps = 30; s->wsd_shape = shape;
            ofs_sched_set_run(s, N, NULL);
        }
    }
#undef ADD
    return n;
}

static const ofs_sched *find(const curve *c, int n, const char *name)
{
    int i;
    for (i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0) return &c[i].s;
    return NULL;
}

/* D2L's "Learning Rate Scheduling" (d2l-en, PyTorch version): every value its code
   prints or plots, each from the library's schedule, with %f, ten to a line. D2L's
   scheduler(t), t = 0, 1, ..., is lr(t) here (shift 0), except FactorScheduler's: it
   multiplies before it returns, so its scheduler(t) is lr(t + 1) (shift 1). */
static void d2l_rows(const char *title, const ofs_sched *s, int n, int shift)
{
    ofs_err err;
    int t;
    printf("%s\n", title);
    if (ofs_sched_validate(s, &err) != OFS_OK) { printf("  refused: %s\n", err.msg); return; }
    for (t = 0; t < n; t++) {
        if (t % 10 == 0) printf("  t %2d..%-2d", t, t + 9);
        printf(" %f", ofs_sched_lr(s, t + shift));
        if (t % 10 == 9 || t == n - 1) printf("\n");
    }
}

static void d2l_numbers(void)
{
    static const int64_t d2l_milestones[2] = {15, 30};
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
    ofs_sched s = ofs_sched_defaults(OFS_SCHED_CONSTANT, 0.1);
    ofs_err err;
    printf("D2L, \"Learning Rate Scheduling\" (PyTorch): every value its code prints or plots\n");
    cfg.lr = 0.3;                                         /* torch.optim.SGD(net.parameters(), lr=0.3) */
    if (ofs_sched_apply(&s, 0, &cfg, &err) == OFS_OK) printf("learning rate is now %.2f\n", cfg.lr);
    s = ofs_sched_defaults(OFS_SCHED_SQRT, 0.1);          /* SquareRootScheduler(lr=0.1) */
    d2l_rows("SquareRootScheduler(lr=0.1): scheduler(t) = sqrt lr(t)", &s, 30, 0);
    s = ofs_sched_defaults(OFS_SCHED_FACTOR, 2.0); s.gamma = 0.9; s.eta_min = 1e-2;
    d2l_rows("FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0): scheduler(t) = factor lr(t + 1)", &s, 50, 1);
    s = ofs_sched_defaults(OFS_SCHED_MULTISTEP, 0.5); s.milestones = d2l_milestones; s.n_milestones = 2; s.gamma = 0.5;
    d2l_rows("MultiStepLR(SGD(lr=0.5), milestones=[15, 30], gamma=0.5): get_lr(trainer, scheduler) = multistep lr(t)", &s, 30, 0);
    s = ofs_sched_defaults(OFS_SCHED_COSINE, 0.3);
    s.t_max = 20; s.eta_min = 0.01; s.hold = 1;           /* CosineScheduler(20, 0.3, 0.01) */
    d2l_rows("CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01): scheduler(t) = cosine (hold) lr(t)", &s, 30, 0);
    s.warmup_steps = 5;                                   /* CosineScheduler(20, warmup_steps=5, ...) */
    ofs_sched_set_run(&s, 20, NULL);                      /* the cosine gets the other 15 steps */
    d2l_rows("CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01): scheduler(t) = the same, warmup 5, set_run 20", &s, 30, 0);
}

static void table(const curve *c, int n)
{
    static const int ks[7] = {0, 1, 5, 10, 25, 50, 99};
    int i, j;
    double m;
    printf("\nlr(k), eta0 = %g:\n%-24s", ETA0, "schedule");
    for (j = 0; j < 7; j++) { char h[16]; snprintf(h, sizeof h, "k = %d", ks[j]); printf(" %9s", h); }
    printf("\n");
    for (i = 0; i < n; i++) {
        printf("%-24s", c[i].name);
        for (j = 0; j < 7; j++) printf(" %9.6f", ofs_sched_lr(&c[i].s, ks[j]));
        printf("\n");
    }
    printf("%-24s", "onecycle momentum");
    for (j = 0; j < 7; j++) { ofs_sched_momentum(find(c, n, "onecycle"), ks[j], &m); printf(" %9.6f", m); }
    printf("\n%-24s", "cyclic momentum");
    for (j = 0; j < 7; j++) { ofs_sched_momentum(find(c, n, "cyclic"), ks[j], &m); printf(" %9.6f", m); }
    printf("\n");
}

/* A validation loss that falls, then stalls at 0.3 with a little wobble. */
static double stalling_loss(int epoch)
{
    return 0.3 + 0.7 * exp(-0.12 * epoch) + 0.015 * sin(1.7 * epoch);
}

/* ReduceLROnPlateau on that loss: patience 5, factor 0.5, cooldown 3, min_lr 0.005. */
static void plateau(double *lr_after)
{
    ofs_plateau p = ofs_plateau_defaults();
    ofs_err err;
    double lr = ETA0;
    int e;
    p.patience = 5; p.factor = 0.5; p.cooldown = 3; p.min_lr = 0.005;
    printf("\nReduceLROnPlateau (patience 5, factor 0.5, cooldown 3, min_lr 0.005) on a stalling loss:\n");
    for (e = 0; e < N; e++) {
        double before = lr;
        if (ofs_plateau_step(&p, stalling_loss(e), &lr, &err) != OFS_OK) { fprintf(stderr, "ch12_schedules: %s\n", err.msg); return; }
        if (lr != before) printf("  epoch %2d: loss %.4f, best %.4f -> lr %g\n", e, stalling_loss(e), p.best, lr);
        lr_after[e] = lr;
    }
}

/* Noisy SGD (momentum 0.9) on x1^2 + 2 x2^2 from (-5, -2): N(0, 1) noise on each
   gradient coordinate; the schedule sets lr (and momentum) before every step. */
static double noisy_sgd(const ofs_sched *s, int steps, int seeds)
{
    ofs_toy quad = ofs_toy_make(OFS_TOY_QUAD);
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
    ofs_optim o;
    ofs_rng rng;
    ofs_err err;
    double sum = 0, x[2], g[2];
    int seed, t;
    cfg.momentum = 0.9;
    if (ofs_optim_init(&o, &cfg, 2, &err) != OFS_OK) { fprintf(stderr, "ch12_schedules: %s\n", err.msg); return (double)NAN; }
    for (seed = 1; seed <= seeds; seed++) {
        ofs_rng_seed(&rng, (uint64_t)seed);
        ofs_optim_reset(&o);
        x[0] = -5; x[1] = -2;
        for (t = 0; t < steps; t++) {
            ofs_toy_eval(&quad, x, g, NULL);
            g[0] += ofs_rng_normal(&rng); g[1] += ofs_rng_normal(&rng);
            if (ofs_sched_apply(s, o.t, &o.cfg, &err) != OFS_OK || ofs_optim_step(&o, x, g, &err) != OFS_OK) {
                fprintf(stderr, "ch12_schedules: %s\n", err.msg);
                ofs_optim_free(&o);
                return (double)NAN;
            }
        }
        sum += ofs_toy_eval(&quad, x, NULL, NULL);
    }
    ofs_optim_free(&o);
    return sum / seeds;
}

static void sgd_comparison(const curve *c, int n, int seeds)
{
    static const char *which[7] = {"constant", "step", "exponential", "cosine", "warmup_cosine", "onecycle", "wsd_sqrt"};
    int j;
    printf("\nNoisy SGD (momentum 0.9) on x1^2 + 2 x2^2, %d steps, mean final f over %d seeds (minimum 0):\n", N, seeds);
    for (j = 0; j < 7; j++) printf("  %-16s %.6f\n", which[j], noisy_sgd(find(c, n, which[j]), N, seeds));
}

static int write_curves(const curve *c, int n, const double *plateau_lr)
{
    const char *path = "out/ch12_schedules.dat";
    FILE *f = fopen(path, "w");
    int i, k;
    double m;
    if (!f) {
        fprintf(stderr, "ch12_schedules: cannot open %s for writing (run from the repository root; `make` creates out/)\n", path);
        return 1;
    }
    fprintf(f, "# k");
    for (i = 0; i < n; i++) fprintf(f, " %s", c[i].name);
    fprintf(f, " onecycle_momentum plateau_loss plateau_lr\n");
    for (k = 0; k < N; k++) {
        fprintf(f, "%d", k);
        for (i = 0; i < n; i++) fprintf(f, " %.9g", ofs_sched_lr(&c[i].s, k));
        ofs_sched_momentum(find(c, n, "onecycle"), k, &m);
        fprintf(f, " %.9g %.9g %.9g\n", m, stalling_loss(k), plateau_lr[k]);
    }
    fclose(f);
    printf("\nwrote %s (%d schedules, k = 0..%d)\n", path, n, N - 1);
    return 0;
}

/* What the library answers to settings that cannot work: each is refused with
   OFS_ERR_ARG and a sentence; the program prints the sentences. */
static void bad_settings(void)
{
    static const int64_t backwards[2] = {30, 20};
    ofs_sched s[8];
    ofs_plateau p = ofs_plateau_defaults();
    ofs_sched_kind kind;
    ofs_err err;
    int i;
    s[0] = ofs_sched_defaults(OFS_SCHED_COSINE, ETA0);                          /* t_max not set */
    s[1] = ofs_sched_defaults(OFS_SCHED_EXPONENTIAL, ETA0);                     /* gamma not set */
    s[2] = ofs_sched_defaults(OFS_SCHED_MULTISTEP, ETA0); s[2].milestones = backwards; s[2].n_milestones = 2;
    s[3] = ofs_sched_defaults(OFS_SCHED_ONECYCLE, ETA0);                        /* total_steps not set */
    s[4] = ofs_sched_defaults(OFS_SCHED_CONSTANT_FACTOR, ETA0); s[4].factor = 0;
    s[5] = ofs_sched_defaults(OFS_SCHED_ONECYCLE, ETA0); s[5].total_steps = 10; s[5].pct_start = 0.1;
    printf("\nBad settings, each refused with a sentence:\n");
    for (i = 0; i < 6; i++) if (ofs_sched_validate(&s[i], &err) != OFS_OK) printf("%s\n", err.msg);
    s[6] = ofs_sched_defaults(OFS_SCHED_COSINE, ETA0); s[6].warmup_steps = 600;
    if (ofs_sched_set_run(&s[6], 500, &err) != OFS_OK) printf("%s\n", err.msg);
    p.factor = 1;
    if (ofs_plateau_validate(&p, &err) != OFS_OK) printf("%s\n", err.msg);
    if (ofs_sched_kind_from_name("cosine_annealing", &kind, &err) != OFS_OK) printf("%s\n", err.msg);
}

int main(int argc, char **argv)
{
    curve c[NCURVES];
    double plateau_lr[N];
    ofs_err err;
    int n = make_curves(c), i, smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
    for (i = 0; i < n; i++)
        if (ofs_sched_validate(&c[i].s, &err) != OFS_OK) { fprintf(stderr, "ch12_schedules: %s: %s\n", c[i].name, err.msg); return 1; }
    printf("Chapter 12: learning-rate schedules (optimfs.h chapter 12)\n\n");
    d2l_numbers();
    table(c, n);
    plateau(plateau_lr);
    sgd_comparison(c, n, smoke ? 20 : 500);
    bad_settings();
    return write_curves(c, n, plateau_lr);
}
