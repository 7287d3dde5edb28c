/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. examples/ch16_sweep.c -o ch16_sweep -lm */
/* Chapter 16: every optimizer with every schedule, on MNIST.
   Every optimizer of the library x four learning-rate schedules (constant, step, cosine,
   warmup + cosine), each run training chapter 15's 784-256-10 ReLU network for
   5 epochs from the same initial weights with the same batches. Prints a log
   line per epoch, then the results table (test accuracy, test loss, final
   training loss, seconds); the full sweep writes out/ch16_results.dat,
   out/ch16_results.txt and out/ch16_curves.dat (--smoke: out/ch16_smoke_*).
   `--tune` picks the learning rates on a validation split; `--help` lists the
   options; `make data` downloads MNIST. */
#define _POSIX_C_SOURCE 199309L
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define PROG "ch16_sweep"
#define NOPT OFS_OPTIM_COUNT
#define NSCHED 4
#define BATCH 128
#define MSG 1024           /* a message: the values quoted in it are shortened to fit */

#include "mnist_cli.h"

/* ---- what is swept ----------------------------------------------------------- */

/* One learning rate per optimizer, used with all four schedules (the peak rate of
   the decaying ones). Each is the best of five on a factor-2 grid around `centre`,
   by validation accuracy (the last 10,000 training images, never the test set)
   averaged over the constant and warmup + cosine schedules: `--tune` redoes it.
   The centres began as the usual rates and moved up where the best was at an edge. */
typedef struct optim_entry { ofs_optim_kind kind; double lr, centre; } optim_entry;
static const optim_entry optims[] = {
    /* kind          lr      centre of the grid */
    {OFS_SGD,       0.2,    0.1},    /* momentum 0.9 */
    {OFS_ADAGRAD,   0.04,   0.02},
    {OFS_RMSPROP,   4e-3,   2e-3},
    {OFS_ADADELTA,  4.0,    4.0},
    {OFS_ADAM,      4e-3,   2e-3},
    {OFS_ADAMW,     4e-3,   2e-3},   /* weight decay 0.05, as in chapter 15 */
    {OFS_ADAMAX,    1.6e-2, 8e-3},
    {OFS_NADAM,     4e-3,   2e-3},
    {OFS_RADAM,     4e-3,   2e-3},
    {OFS_LION,      4e-4,   4e-4},
    {OFS_YOGI,      1e-2,   5e-3},
    {OFS_LAMB,      5e-3,   1e-2},
    {OFS_ADABELIEF, 4e-3,   2e-3},
    {OFS_RPROP,     8e-3,   8e-3},
    {OFS_ASGD,      1.0,    1.0},
    {OFS_ADOPT,     4e-3,   2e-3},   /* not yet tuned by --tune: Adam's rate and centre */
    {OFS_SFADAMW,   4e-3,   4e-3},   /* Schedule-Free (chapter 11b): not yet tuned nor in the  */
    {OFS_SFSGD,     0.5,    0.5},    /* chapter's results; `--tune` and a rerun will place them */
    {OFS_MUON,      0.02,   0.02},   /* Muon and Adafactor need ofs_trainer_create_layers (Muon: two */
    {OFS_ADAFACTOR, 1e-2,   1e-2}    /* hidden layers): not in this sweep's 784-256-10 runs yet */
};
/* One row per optimizer of the library: a new one does not compile until it has its row. */
typedef char every_optimizer_has_a_row[sizeof optims / sizeof optims[0] == OFS_OPTIM_COUNT ? 1 : -1];

static const char *const sched_names[NSCHED] = {"constant", "step", "cosine", "warmup_cosine"};

/* Every setting but the rate is the library's default (PyTorch's; optax's for
   lion, yogi, lamb, adabelief), except SGD's momentum and AdamW's decay. */
static ofs_optim_config optim_config(ofs_optim_kind kind, double lr)
{
    ofs_optim_config c = ofs_optim_defaults(kind);
    c.lr = lr;
    if (kind == OFS_SGD) c.momentum = 0.9;
    if (kind == OFS_ADAMW) c.weight_decay = 0.05;
    return c;
}

/* The schedules, for a run of `total` steps, `per_epoch` to an epoch:
     constant       lr
     step           lr, x 0.1 after a third of the run, x 0.01 after two thirds
     cosine         lr (1 + cos(pi k / total)) / 2, from lr down to 0
     warmup_cosine  linear from 0 to lr over the first epoch (a fifth of the run at
                    most), then the cosine over the rest                          */
static ofs_status make_sched(int which, double lr, int64_t total, int64_t per_epoch, ofs_sched *s, ofs_err *e)
{
    *s = ofs_sched_defaults(which == 0 ? OFS_SCHED_CONSTANT : which == 1 ? OFS_SCHED_STEP : OFS_SCHED_COSINE, lr);
    if (which == 1) s->step_size = (total + 2) / 3;
    if (which == 3) s->warmup_steps = per_epoch < total / 5 ? per_epoch : total / 5;
    return ofs_sched_set_run(s, total, e);
}

/* ---- options ----------------------------------------------------------------- */

typedef struct options {
    int use_opt[NOPT], use_sched[NSCHED];
    int epochs, threads, smoke, tune;
    int given[8];                  /* each option given on the command line (F_...) */
    uint64_t seed;
    const char *data;
} options;

static void usage(void)
{
    const char *names[NOPT];
    int k;
    for (k = 0; k < NOPT; k++) names[k] = ofs_optim_name(optims[k].kind);   /* the library's table */
    printf("usage: " PROG " [options]\n"
           "Train chapter 15's MLP on MNIST with every optimizer and every schedule (chapter 16).\n\n");
    print_names("  --optim LIST   optimizers, comma-separated, e.g. adam,lion (all of): ", names, NOPT, 17);
    printf("  --sched LIST   among constant,step,cosine,warmup_cosine            (all 4)\n"
           "  --epochs N     epochs per run                                      (5)\n"
           "  --seed N       seed of the initial weights and of the batches      (1)\n"
           "  --data DIR     the four MNIST files                                (data/mnist)\n"
           "  --threads N    OpenMP threads (default: all)\n"
           "  --tune         choose each optimizer's learning rate on a validation split\n"
           "                 (the last sixth of the training images; at least 60 images)\n"
           "  --smoke        sgd and adamw, constant and warmup_cosine, 3 epochs on generated\n"
           "                 digits (or on --data DIR)\n"
           "  --help         this text\n"
           "Exit status: 0 done, 1 a file that cannot be read or written, 2 a bad option.\n");
}

/* "adam,lion": use[k] = 1 for each of names[0..n) in the list, 0 for the others;
   each name once. */
static int parse_list(const char *flag, const char *s, const char *const *names, int n, int *use, const char *what, char *msg)
{
    const char *p = s;
    memset(use, 0, sizeof(int) * (size_t)n);
    if (!*p) return bad_value(msg, flag, what, s, "empty");
    while (*p) {
        size_t len = strcspn(p, ",");
        int k, found = 0;
        for (k = 0; k < n && !found; k++)
            if (strlen(names[k]) == len && strncmp(p, names[k], len) == 0) {
                if (use[k]) return bad_value(msg, flag, what, s, "a name given twice");
                use[k] = found = 1;
            }
        if (!found) return bad_value(msg, flag, what, s, NULL);
        p += len;
        if (*p == ',' && !*++p) return bad_value(msg, flag, what, s, "nothing after the last comma");
    }
    return 0;
}

enum { F_OPTIM, F_SCHED, F_EPOCHS, F_SEED, F_DATA, F_THREADS, F_TUNE, F_SMOKE, F_COUNT };
static const char *const flag_names[F_COUNT] = {"--optim", "--sched", "--epochs", "--seed", "--data", "--threads", "--tune", "--smoke"};

static int parse_value(options *o, int f, const char *v, char *msg)
{
    const char *opt_names[NOPT];
    char want[300] = "optimizer names from ";
    int k, seed;
    for (k = 0; k < NOPT; k++) {
        opt_names[k] = ofs_optim_name(optims[k].kind);
        strcat(strcat(want, k ? "," : ""), opt_names[k]);
    }
    switch (f) {
    case F_OPTIM: return parse_list("--optim", v, opt_names, NOPT, o->use_opt, want, msg);
    case F_SCHED: return parse_list("--sched", v, sched_names, NSCHED, o->use_sched, "schedules from constant,step,cosine,warmup_cosine", msg);
    case F_EPOCHS: return parse_int("--epochs", v, 1, 100000, "a number of epochs from 1 to 100000", &o->epochs, msg);
    case F_SEED: if (parse_int("--seed", v, 0, 2147483647L, "a seed from 0 to 2147483647", &seed, msg)) return 2;
                 o->seed = (uint64_t)seed; return 0;
    case F_THREADS: return parse_int("--threads", v, 1, 4096, "a thread count from 1 to 4096", &o->threads, msg);
    default: o->data = v; return *v ? 0 : bad_value(msg, "--data", "a directory", v, "empty");
    }
}

/* Fills *o from the command line. 0: go on; 1: --help; 2: a mistake, described in
   msg. Never exits, never prints. */
static int parse_args(int argc, char **argv, options *o, char *msg)
{
    int i, k;
    memset(o, 0, sizeof *o);
    msg[0] = 0;
    for (k = 0; k < NOPT; k++) o->use_opt[k] = !ofs_optim_wants_shape(optims[k].kind);   /* not the matrix ones */
    for (k = 0; k < NSCHED; k++) o->use_sched[k] = 1;
    o->epochs = -1; o->seed = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        char ab[128];
        int f;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return 1;
        for (f = 0; f < F_COUNT && strcmp(a, flag_names[f]) != 0; f++) {}
        if (f == F_COUNT) return fail(msg, "unknown option '%s' (see --help)", shorten(a, ab));
        if (o->given[f]) return fail(msg, "%s: given twice (see --help)", a);
        o->given[f] = 1;
        if (f == F_SMOKE) { o->smoke = 1; continue; }
        if (f == F_TUNE) { o->tune = 1; continue; }
        if (i + 1 >= argc) return fail(msg, "%s: expected a value after it (see --help)", a);
        if (parse_value(o, f, argv[++i], msg)) return 2;
    }
    if (o->tune && o->given[F_SCHED])
        return fail(msg, "--sched: --tune always scores the constant and warmup_cosine schedules, so --sched would do nothing");
#ifndef _OPENMP
    if (o->threads > 1) return fail(msg, "--threads: this build has no OpenMP (compile with -fopenmp): it runs on one thread");
#endif
    if (o->smoke && !o->given[F_OPTIM])       /* the smoke run's two optimizers */
        for (k = 0; k < NOPT; k++) o->use_opt[k] = optims[k].kind == OFS_SGD || optims[k].kind == OFS_ADAMW;
    if (o->smoke && !o->given[F_SCHED])     /* and two schedules */
        for (k = 0; k < NSCHED; k++) o->use_sched[k] = k == 0 || k == 3;
    if (o->epochs < 0) o->epochs = o->smoke ? 3 : 5;
    return 0;
}

/* ---- data -------------------------------------------------------------------- */

/* MNIST's train and t10k pairs in --data DIR, as chapter 15 reads them; --smoke:
   chapter 15's generated digits (ofs_mnist_synthetic, a bright disc at each class's
   own place plus noise), written as IDX files into out/ and read back like MNIST,
   or with --data the first images of DIR's. */
static int load_data(const options *o, ofs_dataset *train, ofs_dataset *test)
{
    int gen = o->smoke && !o->data;
    const char *dir = gen ? "out" : o->data ? o->data : "data/mnist";
    const char *tr = gen ? "ch16_smoke-train" : "train", *te = gen ? "ch16_smoke-t10k" : "t10k";
    ofs_err e;
    if (gen && (ofs_mnist_synthetic_save("out/ch16_smoke-train-images-idx3-ubyte", "out/ch16_smoke-train-labels-idx1-ubyte",
                                         2000, 11, &e) != OFS_OK ||
                ofs_mnist_synthetic_save("out/ch16_smoke-t10k-images-idx3-ubyte", "out/ch16_smoke-t10k-labels-idx1-ubyte",
                                         500, 12, &e) != OFS_OK)) {
        fprintf(stderr, PROG ": %s (run from the repository root; make creates out/)\n", e.msg);
        return -1;
    }
    if (ofs_mnist_load_dir(dir, tr, train, &e) != OFS_OK || ofs_mnist_load_dir(dir, te, test, &e) != OFS_OK) {
        print_err("", &e);
        if (e.status == OFS_ERR_IO) fprintf(stderr, PROG ": run `make data` to download MNIST, or give --data DIR (or --smoke)\n");
        return -1;
    }
    if (check_same_images(dir, train, test)) return -1;
    if (gen) printf("smoke run: 2000 generated training images, 500 test images\n");
    else if (o->smoke) {
        if (train->n > 2000) train->n = 2000;
        if (test->n > 500) test->n = 500;
        printf("smoke run: the first %lu training and %lu test images\n", (unsigned long)train->n, (unsigned long)test->n);
    }
    return 0;
}

/* Examples [from, from + n) of ds, without copying (not to be freed). */
static ofs_dataset slice(const ofs_dataset *ds, size_t from, size_t n)
{
    ofs_dataset v = *ds;
    v.n = n;
    v.x = ds->x + from * (size_t)ds->dim;
    v.y = ds->y + from;
    return v;
}

/* ---- one run ------------------------------------------------------------------ */

typedef struct result {
    double test_acc, test_loss, train_loss, seconds;   /* after the last epoch */
    int diverged;                                      /* a non-finite loss stopped the run */
} result;

typedef struct sweep {
    options o;
    ofs_dataset train, test;
    outfile curves;                /* curves.f == NULL: no curves (tuning, a subset) */
    int verbose;                   /* a log line per epoch */
} sweep;

/* Evaluation on `ev`: accuracy (fraction) and mean loss. */
static double evaluate(ofs_mlp *m, const ofs_dataset *ev, double *loss)
{
    size_t correct;
    *loss = ofs_mlp_evaluate(m, ev->x, ev->y, ev->n, &correct, NULL);
    return (double)correct / (double)ev->n;
}

/* The trainer's whole state is finite: the parameters and every moment array. */
static int state_finite(const ofs_mlp *m, const ofs_trainer *t, ofs_err *e)
{
    int g, k;
    if (ofs_check_finite(m->params, m->nparams, "parameters", t->step, e) != OFS_OK) return 0;
    for (g = 0; g < t->ngroups; g++)
        for (k = 0; k < 3; k++)
            if (t->opt[g].s[k] && ofs_check_finite(t->opt[g].s[k], t->opt[g].n, "optimizer state", t->step, e) != OFS_OK)
                return 0;
    return 1;
}

/* Train a fresh 784-256-10 network (the same initial weights and batch order for
   every run: both come from the seed) with optimizer cfg and schedule `which`,
   evaluating on `ev` after each epoch. Returns 0, or 1 on a setup error. */
static int run_one(sweep *S, const ofs_optim_config *cfg, int which, const ofs_dataset *tr,
                   const ofs_dataset *ev, result *res)
{
    int sizes[3] = {0, 256, 10}, rc = 1, batch = BATCH;    /* sizes[0]: the images' pixels */
    int64_t per_epoch = (int64_t)((tr->n + (size_t)batch - 1) / (size_t)batch);
    ofs_mlp m;
    ofs_trainer t;
    ofs_sched sched;
    ofs_rng rng;
    ofs_err e;
    memset(res, 0, sizeof *res);
    memset(&t, 0, sizeof t);
    sizes[0] = tr->dim;
    if (ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, batch, &e) != OFS_OK) { fprintf(stderr, PROG ": %s\n", e.msg); return 1; }
    ofs_rng_seed(&rng, S->o.seed);
    ofs_mlp_randomize(&m, OFS_INIT_HE, &rng);
    if (ofs_trainer_create(&t, &m, cfg, 0, batch, tr->n, &rng, &e) != OFS_OK ||
        make_sched(which, cfg->lr, per_epoch * S->o.epochs, per_epoch, &sched, &e) != OFS_OK) {
        fprintf(stderr, PROG ": %s\n", e.msg);
        goto done;
    }
    t.schedule = ofs_sched_callback; t.schedule_ctx = &sched;
    if (S->curves.f) {            /* epoch 0: the initial network */
        double trl, tel, tra = evaluate(&m, tr, &trl), tea = evaluate(&m, ev, &tel);
        out_printf(&S->curves, "%s %s\n0 %.6f %.6f %.6f %.6f %.6e 0\n", ofs_optim_name(cfg->kind), sched_names[which],
                trl, tra, tel, tea, ofs_sched_lr(&sched, 0));
    }
    while (t.epoch < S->o.epochs) {
        ofs_epoch_stats st;
        double t0 = now(), sec;
        if (ofs_trainer_epoch(&t, tr->x, tr->y, &st, &e) != OFS_OK) {
            if (S->verbose) printf("  %s\n", e.msg);
            res->diverged = 1;
            res->test_acc = res->test_loss = res->train_loss = (double)NAN;
            rc = 0;
            goto done;
        }
        if (!state_finite(&m, &t, &e)) {   /* a finite loss, but the last steps broke the weights */
            if (S->verbose) printf("  epoch %lld: %s\n", (long long)t.epoch, e.msg);
            res->diverged = 1;
            res->test_acc = res->test_loss = res->train_loss = (double)NAN;
            rc = 0;
            goto done;
        }
        sec = now() - t0;
        res->seconds += sec;
        res->train_loss = st.loss;
        res->test_acc = evaluate(&m, ev, &res->test_loss);
        if (S->verbose)
            printf("  epoch %lld/%d  loss %.4f  train %6.2f%%  test %6.2f%% (loss %.4f)  lr %.2e  %.2f s\n",
                   (long long)t.epoch, S->o.epochs, st.loss, 100 * st.accuracy, 100 * res->test_acc, res->test_loss, st.lr, sec);
        if (S->curves.f)
            out_printf(&S->curves, "%lld %.6f %.6f %.6f %.6f %.6e %.3f\n", (long long)t.epoch, st.loss, st.accuracy,
                    res->test_loss, res->test_acc, st.lr, res->seconds);
    }
    rc = 0;
done:
    if (S->curves.f) out_printf(&S->curves, "\n\n");
    fflush(stdout);
    ofs_trainer_free(&t);
    ofs_mlp_free(&m);
    return rc;
}

static void describe(const ofs_optim_config *c, char *buf, size_t cap)
{
    int m = snprintf(buf, cap, "%s lr %g", ofs_optim_name(c->kind), c->lr);
    if (c->kind == OFS_SGD && m > 0 && (size_t)m < cap) m += snprintf(buf + m, cap - (size_t)m, " momentum %g", c->momentum);
    if (c->weight_decay > 0 && m > 0 && (size_t)m < cap) snprintf(buf + m, cap - (size_t)m, " wd %g (not on biases)", c->weight_decay);
}

/* ---- the sweep --------------------------------------------------------------- */

static void print_pct(FILE *f, const result *r, int width)
{
    if (r->diverged) fprintf(f, "%*s", width, "diverged");
    else fprintf(f, "%*.2f", width, 100 * r->test_acc);
}

/* The mean test accuracy over the selected runs that did not diverge: of optimizer
   i0 (or of all, i0 < 0) with schedule k0 (or with all, k0 < 0). */
static void print_mean(FILE *f, const options *o, result R[NOPT][NSCHED], int i0, int k0, int width)
{
    double sum = 0;
    int i, k, n = 0;
    for (i = 0; i < NOPT; i++)
        for (k = 0; k < NSCHED; k++)
            if (o->use_opt[i] && o->use_sched[k] && (i0 < 0 || i == i0) && (k0 < 0 || k == k0) && !R[i][k].diverged) {
                sum += R[i][k].test_acc;
                n++;
            }
    if (n) fprintf(f, "%*.2f", width, 100 * sum / n);
    else fprintf(f, "%*s", width, "-");
}

/* The results: test accuracy, optimizer by schedule, with means; then every run. */
static void print_tables(FILE *f, const options *o, result R[NOPT][NSCHED])
{
    int i, k;
    fprintf(f, "test accuracy (%%) after %d epochs\n%-10s %7s", o->epochs, "optimizer", "lr");
    for (k = 0; k < NSCHED; k++) if (o->use_sched[k]) fprintf(f, " %14s", sched_names[k]);
    fprintf(f, " %8s\n", "mean");
    for (i = 0; i < NOPT; i++) {
        if (!o->use_opt[i]) continue;
        fprintf(f, "%-10s %7g", ofs_optim_name(optims[i].kind), optims[i].lr);
        for (k = 0; k < NSCHED; k++) if (o->use_sched[k]) print_pct(f, &R[i][k], 15);
        print_mean(f, o, R, i, -1, 9);
        fprintf(f, "\n");
    }
    fprintf(f, "%-18s", "mean");
    for (k = 0; k < NSCHED; k++) if (o->use_sched[k]) print_mean(f, o, R, -1, k, 15);
    print_mean(f, o, R, -1, -1, 9);
    fprintf(f, "\n");
    fprintf(f, "\nevery run\n%-10s %-14s %7s %9s %10s %11s %8s\n", "optimizer", "schedule", "lr", "test acc", "test loss",
            "train loss", "seconds");
    for (i = 0; i < NOPT; i++)
        for (k = 0; k < NSCHED; k++) {
            const result *r = &R[i][k];
            if (!o->use_opt[i] || !o->use_sched[k]) continue;
            fprintf(f, "%-10s %-14s %7g", ofs_optim_name(optims[i].kind), sched_names[k], optims[i].lr);
            if (r->diverged) fprintf(f, " %9s %10s %11s %8.2f\n", "diverged", "-", "-", r->seconds);
            else fprintf(f, " %8.2f%% %10.4f %11.4f %8.2f\n", 100 * r->test_acc, r->test_loss, r->train_loss, r->seconds);
        }
}

static int write_results(const char *prefix, const options *o, result R[NOPT][NSCHED])
{
    char path[2][256];
    outfile f;
    int i, k;
    snprintf(path[0], sizeof path[0], "%sresults.dat", prefix);
    snprintf(path[1], sizeof path[1], "%sresults.txt", prefix);
    if (out_open(&f, path[0], 1)) return -1;
    out_printf(&f, "# opt sched optimizer schedule lr test_acc test_loss train_loss seconds (NaN: diverged)\n");
    for (i = 0; i < NOPT; i++)
        for (k = 0; k < NSCHED; k++)
            if (o->use_opt[i] && o->use_sched[k])
                out_printf(&f, "%d %d %s %s %g %.6f %.6f %.6f %.3f\n", i, k, ofs_optim_name(optims[i].kind), sched_names[k],
                           optims[i].lr, R[i][k].test_acc, R[i][k].test_loss, R[i][k].train_loss, R[i][k].seconds);
    if (out_close(&f)) return -1;
    if (out_open(&f, path[1], 1)) return -1;
    print_tables(f.f, o, R);       /* a failed write shows in ferror, which out_close checks */
    return out_close(&f);
}

/* The schedules' lengths for n training examples, as run_one makes them. */
static void print_schedules(const options *o, size_t n)
{
    int64_t per_epoch = (int64_t)((n + BATCH - 1) / BATCH), total = per_epoch * o->epochs;
    ofs_sched step, warm;
    if (make_sched(1, 1.0, total, per_epoch, &step, NULL) != OFS_OK || make_sched(3, 1.0, total, per_epoch, &warm, NULL) != OFS_OK)
        return;
    printf("%lld steps per run (%lld per epoch); step: x 0.1 after %lld and %lld steps; warmup_cosine: %lld steps of warmup\n",
           (long long)total, (long long)per_epoch, (long long)step.step_size, (long long)(2 * step.step_size),
           (long long)warm.warmup_steps);
}

/* The figures need the whole table, so a subset (--optim, --sched) writes no files;
   --smoke writes its own (out/ch16_smoke_*), --tune none. */
static int writes_files(const options *o)
{
    int i, k, runs = 0;
    for (i = 0; i < NOPT; i++) for (k = 0; k < NSCHED; k++) runs += o->use_opt[i] && o->use_sched[k];
    return !o->tune && (o->smoke || runs == NOPT * NSCHED);
}

/* The figures need the whole table, so a subset (--optim, --sched) writes no files;
   --smoke writes its own (out/ch16_smoke_*). */
static int run_sweep(sweep *S)
{
    result R[NOPT][NSCHED];
    const options *o = &S->o;
    const char *prefix = o->smoke ? "out/ch16_smoke_" : "out/ch16_";
    char path[256], what[128];
    int i, k, n = 0, runs = 0, write;
    double t_all = now();
    memset(R, 0, sizeof R);
    for (i = 0; i < NOPT; i++) for (k = 0; k < NSCHED; k++) runs += o->use_opt[i] && o->use_sched[k];
    write = writes_files(o);
    snprintf(path, sizeof path, "%scurves.dat", prefix);
    if (write && out_open(&S->curves, path, 1)) return 1;
    if (write)
        out_printf(&S->curves, "# one block per run (gnuplot index: the run's number from 0), its first line: optimizer schedule\n"
                           "# epoch train_loss train_acc test_loss test_acc lr seconds (epoch 0: the initial network, both evaluated)\n");
    S->verbose = 1;
    print_schedules(o, S->train.n);
    for (i = 0; i < NOPT; i++)
        for (k = 0; k < NSCHED; k++) {
            ofs_optim_config cfg = optim_config(optims[i].kind, optims[i].lr);
            if (!o->use_opt[i] || !o->use_sched[k]) continue;
            describe(&cfg, what, sizeof what);
            printf("run %2d/%d  %s, %s\n", ++n, runs, what, sched_names[k]);
            if (run_one(S, &cfg, k, &S->train, &S->test, &R[i][k])) return 1;
            if (R[i][k].diverged) printf("  -> diverged\n");
            else printf("  -> test %.2f%%  final training loss %.4f  %.2f s\n", 100 * R[i][k].test_acc, R[i][k].train_loss, R[i][k].seconds);
        }
    printf("\n");
    print_tables(stdout, o, R);
    printf("\nsweep time %.1f s (%d runs)\n", now() - t_all, runs);
    if (!write) { printf("a subset of the sweep: no files written\n"); return 0; }
    if (out_close(&S->curves) || write_results(prefix, o, R)) return 1;
    printf("wrote %sresults.dat, %sresults.txt, %scurves.dat\n", prefix, prefix, prefix);
    return 0;
}

/* ---- --tune: the learning rates ----------------------------------------------- */

/* For each optimizer, five rates a factor 2 apart around its centre, each with the
   constant and the warmup + cosine schedule, trained on the first 50,000 training
   images and scored on the last 10,000: the best mean validation accuracy wins. */
static int run_tune(sweep *S)
{
    static const double factor[5] = {0.25, 0.5, 1, 2, 4};
    size_t nval = S->train.n / 6;
    ofs_dataset tr = slice(&S->train, 0, S->train.n - nval), val = slice(&S->train, S->train.n - nval, nval);
    int i, j;
    double t_all = now();
    printf("tuning: %lu training images, validation on the other %lu; %d epochs per run\n",
           (unsigned long)tr.n, (unsigned long)val.n, S->o.epochs);
    printf("%-10s %9s %10s %14s %8s\n", "optimizer", "lr", "constant", "warmup_cosine", "mean");
    for (i = 0; i < NOPT; i++) {
        double best = -1, best_lr = 0;
        if (!S->o.use_opt[i]) continue;
        for (j = 0; j < 5; j++) {
            ofs_optim_config cfg = optim_config(optims[i].kind, optims[i].centre * factor[j]);
            result a, b;
            double mean;
            if (run_one(S, &cfg, 0, &tr, &val, &a) || run_one(S, &cfg, 3, &tr, &val, &b)) return 1;
            mean = a.diverged || b.diverged ? 0 : (a.test_acc + b.test_acc) / 2;
            printf("%-10s %9g", ofs_optim_name(optims[i].kind), cfg.lr);
            print_pct(stdout, &a, 11); print_pct(stdout, &b, 15);
            printf(" %8.2f\n", 100 * mean);
            if (mean > best) { best = mean; best_lr = cfg.lr; }
        }
        printf("%-10s best lr %g (mean validation accuracy %.2f%%)%s\n", ofs_optim_name(optims[i].kind), best_lr, 100 * best,
               best_lr == optims[i].centre * factor[0] || best_lr == optims[i].centre * factor[4] ? ": at the edge of the grid" : "");
        fflush(stdout);
    }
    printf("tuning time %.1f s\n", now() - t_all);
    return 0;
}

/* --tune keeps a sixth of the training images for validation: at least 10 of them. */
#define TUNE_MIN 60

int main(int argc, char **argv)
{
    sweep S;
    int rc;
    char msg[MSG];
    memset(&S, 0, sizeof S);
    rc = parse_args(argc, argv, &S.o, msg);
    if (rc == 1) { usage(); return fflush(stdout) != 0 || ferror(stdout) ? 1 : 0; }
    if (rc != 0) { fprintf(stderr, PROG ": %s\n", msg); return 2; }
#ifdef _OPENMP
    if (S.o.threads) omp_set_num_threads(S.o.threads);
#endif
    if (writes_files(&S.o) && check_out_path("output", S.o.smoke ? "out/ch16_smoke_results.dat" : "out/ch16_results.dat", 1,
                                             " (run from the repository root; make creates out/)"))
        return 2;
    rc = 1;
    if (load_data(&S.o, &S.train, &S.test) == 0) {
        if (S.o.tune && S.train.n < TUNE_MIN)
            fprintf(stderr, PROG ": --tune: expected at least %d training images (a sixth of them, at least 10, for validation), "
                    "found %lu\n", TUNE_MIN, (unsigned long)S.train.n);
        else {
            printf("model %d-256-10 relu, batch %d, %d epochs per run, seed %lu, %lu training and %lu test images\n",
                   S.train.dim, BATCH, S.o.epochs, (unsigned long)S.o.seed, (unsigned long)S.train.n, (unsigned long)S.test.n);
#ifdef _OPENMP
            printf("threads: %d\n", omp_get_max_threads());
#endif
            rc = S.o.tune ? run_tune(&S) : run_sweep(&S);
        }
    }
    out_abort(&S.curves);             /* not renamed into place unless the sweep finished */
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) {
        fprintf(stderr, PROG ": writing to the standard output failed: %s\n", strerror(errno));
        rc = 1;
    }
    ofs_dataset_free(&S.train);
    ofs_dataset_free(&S.test);
    return rc;
}
