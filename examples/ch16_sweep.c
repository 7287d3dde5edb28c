/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. examples/ch16_sweep.c -o ch16_sweep -lm */
/* Chapter 16: every optimizer with every schedule, on MNIST.
   Every optimizer of the library x five learning-rate schedules (constant, warmup +
   constant, cosine, warmup + cosine, step), each run training chapter 15's
   784-256-10 ReLU network (a row may give its own hidden sizes: AdamW and Muon also
   train 784-512-256-10; a row may wrap its optimizer in Lookahead, SAM or ASAM) for
   5 epochs from the same initial weights with the same batches.
   Training uses the first five sixths of the training images; the last sixth is a
   validation set, evaluated every quarter epoch (a fixed number of steps) to find
   the steps and seconds to 98.0 % validation accuracy; the test set is evaluated
   once, at the end. Prints a log line per epoch, then the tables; the full sweep
   writes out/ch16_results.dat, out/ch16_results.txt and out/ch16_curves.dat
   (--smoke: out/ch16_smoke_*). `--tune` picks the learning rates on the validation
   split, `--seeds N` repeats the sweep over N seeds and sums them up; `--help`
   lists the options; `make data` downloads MNIST. */
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
#define NSCHED 5
#define NTUNE 4            /* --tune scores the first four schedules: warmup and decay, each on or off */
#define BATCH 128
#define TARGET 0.98        /* the validation accuracy whose steps and seconds are counted */
#define EVAL_BATCH 1000    /* rows per forward pass when evaluating */
#define MSG 1024           /* a message: the values quoted in it are shortened to fit */

#include "mnist_cli.h"

/* ---- what is swept ----------------------------------------------------------- */

/* One row per run of the table: an optimizer, its learning rate and a network.
   The rate is used with every schedule (the peak rate of the decaying ones). Each
   is the best of three a factor 2 apart (lr/2, lr, 2 lr) by validation accuracy
   (the last 10,000 training images, never the test set) averaged over the four
   schedules constant, warmup_constant, cosine and warmup_cosine: `--tune` redoes it,
   and says so when the best is at an edge of the grid (then the row's rate moves
   there and the search is run again; Muon's, whose runs cost the most, was scored on
   constant and warmup_cosine only: --tune --sched constant,warmup_cosine; the
   wrapped rows started from their base's rate, and Lookahead's moved to 0.008,
   ASAM's to 0.1). hidden: the hidden layers' widths, {0}: one layer of 256 (chapter
   15's network); a row with its own network or a wrapper is named by its label.
   wrap: the trainer's wrapper (chapter 11b), with the settings of wrap_config. */
enum { WRAP_NONE, WRAP_LOOKAHEAD, WRAP_SAM, WRAP_ASAM };
typedef struct optim_entry { ofs_optim_kind kind; double lr; const char *label; int hidden[3]; int wrap; } optim_entry;
static const optim_entry optims[] = {
    /* kind          lr      label            hidden          wrap */
    {OFS_SGD,       0.2,    NULL,            {0},            WRAP_NONE},          /* momentum 0.9 */
    {OFS_ADAGRAD,   0.08,   NULL,            {0},            WRAP_NONE},
    {OFS_RMSPROP,   4e-3,   NULL,            {0},            WRAP_NONE},
    {OFS_ADADELTA,  4.0,    NULL,            {0},            WRAP_NONE},
    {OFS_ADAM,      4e-3,   NULL,            {0},            WRAP_NONE},
    {OFS_ADAMW,     4e-3,   NULL,            {0},            WRAP_NONE},          /* weight decay 0.05, as in chapter 15 */
    {OFS_ADAMAX,    1.6e-2, NULL,            {0},            WRAP_NONE},
    {OFS_NADAM,     4e-3,   NULL,            {0},            WRAP_NONE},
    {OFS_RADAM,     4e-3,   NULL,            {0},            WRAP_NONE},
    {OFS_LION,      4e-4,   NULL,            {0},            WRAP_NONE},
    {OFS_YOGI,      1e-2,   NULL,            {0},            WRAP_NONE},
    {OFS_LAMB,      5e-3,   NULL,            {0},            WRAP_NONE},
    {OFS_ADABELIEF, 4e-3,   NULL,            {0},            WRAP_NONE},
    {OFS_RPROP,     8e-3,   NULL,            {0},            WRAP_NONE},
    {OFS_ASGD,      1.0,    NULL,            {0},            WRAP_NONE},
    {OFS_ADOPT,     4e-3,   NULL,            {0},            WRAP_NONE},
    {OFS_SFADAMW,   1.6e-2, NULL,            {0},            WRAP_NONE},          /* Schedule-Free (chapter 11b): no decay, */
    {OFS_SFSGD,     2.0,    NULL,            {0},            WRAP_NONE},          /* their own warmup (warmup_steps) */
    {OFS_ADAMW,     2e-3,   "adamw-512-256", {512, 256, 0},  WRAP_NONE},          /* two hidden layers */
    {OFS_MUON,      0.02,   "muon-512-256",  {512, 256, 0},  WRAP_NONE},          /* Muon on W2, AdamW (the row above) on the rest */
    {OFS_ADAFACTOR, 8e-2,   NULL,            {0},            WRAP_NONE},          /* a group per matrix: factored moments */
    {OFS_ADAMW,     8e-3,   "la-adamw",      {0},            WRAP_LOOKAHEAD},     /* Lookahead around AdamW (the row's setting) */
    {OFS_SGD,       0.2,    "sam-sgd",       {0},            WRAP_SAM},           /* SAM around SGD with momentum 0.9 */
    {OFS_SGD,       0.1,    "asam-sgd",      {0},            WRAP_ASAM}           /* ASAM around the same */
};
#define NOPT ((int)(sizeof optims / sizeof optims[0]))
/* At least a row per optimizer of the library: a new one does not compile until it has one
   (main checks that each has its row). */
typedef char every_optimizer_has_a_row[NOPT >= OFS_OPTIM_COUNT ? 1 : -1];

static const char *const sched_names[NSCHED] = {"constant", "warmup_constant", "cosine", "warmup_cosine", "step"};
enum { S_CONST, S_WCONST, S_COS, S_WCOS, S_STEP };
static int warms(int k) { return k == S_WCONST || k == S_WCOS; }
static int decays(int k) { return k == S_COS || k == S_WCOS || k == S_STEP; }

static const char *row_name(int i) { return optims[i].label ? optims[i].label : ofs_optim_name(optims[i].kind); }
/* Schedule-Free: the optimizers that have a warmup of their own (the library's table says
   which read warmup_steps). They run without a decaying schedule: their two columns are
   constant and warmup_constant, the warmup being their own warmup_steps. */
static int schedule_free(int i) { return ofs_optim_reads(optims[i].kind, "warmup_steps"); }
static int runs_with(int i, int k) { return !(schedule_free(i) && decays(k)); }
/* A row of chapter 15's network that runs every schedule: the rows the column means are over. */
static int full_row(int i) { return optims[i].hidden[0] == 0 && !schedule_free(i); }

/* The network of row i: sizes[0] = dim inputs, its hidden layers, 10 outputs; returns how many sizes. */
static int row_net(int i, int dim, int sizes[5])
{
    int n = 1, h;
    sizes[0] = dim;
    if (optims[i].hidden[0] == 0) sizes[n++] = 256;
    for (h = 0; h < 3 && optims[i].hidden[h] > 0; h++) sizes[n++] = optims[i].hidden[h];
    sizes[n++] = 10;
    return n;
}

static void net_string(int i, int dim, char *buf, size_t cap)
{
    int sizes[5], n = row_net(i, dim, sizes), k, m = 0;
    for (k = 0; k < n && m >= 0 && (size_t)m < cap; k++) m += snprintf(buf + m, cap - (size_t)m, k ? "-%d" : "%d", sizes[k]);
}

/* Every setting but the rate is the library's default (PyTorch's; optax's for
   lion, yogi, lamb, adabelief; the authors' for adopt and the Schedule-Free pair),
   except SGD's momentum and AdamW's decay. */
static ofs_optim_config optim_config(ofs_optim_kind kind, double lr)
{
    ofs_optim_config c = ofs_optim_defaults(kind);
    c.lr = lr;
    if (kind == OFS_SGD) c.momentum = 0.9;
    if (kind == OFS_ADAMW) c.weight_decay = 0.05;
    return c;
}

/* The wrappers' settings: Lookahead with its paper's k 5 and alpha 0.5; SAM with
   rho 0.05 (its paper's, and the library's default); ASAM with rho 0.5 (its ball is
   measured in units of |w| + eta) and eta 0.01, the defaults of its authors' asam.py
   (SamsungLabs/ASAM; eta 0.01 is the library's default too). */
static void wrap_config(int wrap, ofs_lookahead_config *lc, ofs_sam_config *sc)
{
    *lc = ofs_lookahead_defaults();
    lc->k = 5; lc->alpha = 0.5;
    *sc = ofs_sam_defaults();
    if (wrap == WRAP_ASAM) { sc->adaptive = 1; sc->rho = 0.5; }
}

/* The warmup: one epoch, a fifth of the run at most. */
static int64_t warmup_len(int64_t total, int64_t per_epoch) { return per_epoch < total / 5 ? per_epoch : total / 5; }

/* The schedules, for a run of `total` steps, `per_epoch` to an epoch:
     constant         lr
     warmup_constant  linear from 0 to lr over the warmup, then lr
     cosine           lr (1 + cos(pi k / total)) / 2, from lr down to 0
     warmup_cosine    the warmup, then the cosine over the rest
     step             lr, x 0.1 after a third of the run, x 0.01 after two thirds  */
static ofs_status make_sched(int which, double lr, int64_t total, int64_t per_epoch, ofs_sched *s, ofs_err *e)
{
    *s = ofs_sched_defaults(which == S_STEP ? OFS_SCHED_STEP : decays(which) ? OFS_SCHED_COSINE : OFS_SCHED_CONSTANT, lr);
    if (which == S_STEP) s->step_size = (total + 2) / 3;
    if (warms(which)) s->warmup_steps = warmup_len(total, per_epoch);
    return ofs_sched_set_run(s, total, e);
}

/* The validation set is evaluated every quarter epoch, rounded up to whole steps. */
static int64_t eval_every(int64_t per_epoch) { return (per_epoch + 3) / 4; }

/* ---- options ----------------------------------------------------------------- */

typedef struct options {
    int use_opt[NOPT], use_sched[NSCHED];
    int epochs, threads, smoke, tune, seeds;
    int given[9];                  /* each option given on the command line (F_...) */
    uint64_t seed;
    const char *data;
} options;

static void usage(void)
{
    const char *names[NOPT];
    int k;
    for (k = 0; k < NOPT; k++) names[k] = row_name(k);   /* the library's table, and the labels */
    printf("usage: " PROG " [options]\n"
           "Train chapter 15's MLP on MNIST with every optimizer and every schedule (chapter 16).\n\n");
    print_names("  --optim LIST   rows, comma-separated, e.g. adam,lion (all of): ", names, NOPT, 17);
    printf("  --sched LIST   among constant,warmup_constant,cosine,warmup_cosine,step (all 5)\n"
           "  --epochs N     epochs per run                                      (5)\n"
           "  --seed N       seed of the initial weights and of the batches      (1)\n"
           "  --seeds N      the sweep for seeds N of them, from --seed on, and a summary\n"
           "  --data DIR     the four MNIST files                                (data/mnist)\n"
           "  --threads N    OpenMP threads (default: all)\n"
           "  --tune         choose each row's learning rate on the validation split, by the\n"
           "                 mean over the schedules of --sched (the first four: all of them)\n"
           "  --smoke        sgd, adamw and the three wrapped rows, constant and warmup_cosine,\n"
           "                 3 epochs on generated digits (or on --data DIR)\n"
           "  --help         this text\n"
           "Training uses the first five sixths of the training images, the last sixth is the\n"
           "validation set (at least 60 training images). Schedule-Free rows run constant and\n"
           "warmup_constant only (their own warmup).\n"
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

enum { F_OPTIM, F_SCHED, F_EPOCHS, F_SEED, F_SEEDS, F_DATA, F_THREADS, F_TUNE, F_SMOKE, F_COUNT };
static const char *const flag_names[F_COUNT] = {"--optim", "--sched", "--epochs", "--seed", "--seeds", "--data", "--threads",
                                                "--tune", "--smoke"};

static int parse_value(options *o, int f, const char *v, char *msg)
{
    const char *opt_names[NOPT];
    char want[400] = "optimizer rows from ", sched_want[200] = "schedules from ";
    int k, seed;
    for (k = 0; k < NOPT; k++) {
        opt_names[k] = row_name(k);
        strcat(strcat(want, k ? "," : ""), opt_names[k]);
    }
    for (k = 0; k < NSCHED; k++) strcat(strcat(sched_want, k ? "," : ""), sched_names[k]);
    switch (f) {
    case F_OPTIM: return parse_list("--optim", v, opt_names, NOPT, o->use_opt, want, msg);
    case F_SCHED: return parse_list("--sched", v, sched_names, NSCHED, o->use_sched, sched_want, msg);
    case F_EPOCHS: return parse_int("--epochs", v, 1, 100000, "a number of epochs from 1 to 100000", &o->epochs, msg);
    case F_SEED: if (parse_int("--seed", v, 0, 2147483647L, "a seed from 0 to 2147483647", &seed, msg)) return 2;
                 o->seed = (uint64_t)seed; return 0;
    case F_SEEDS: return parse_int("--seeds", v, 1, 1000, "a number of seeds from 1 to 1000", &o->seeds, msg);
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
    for (k = 0; k < NOPT; k++) o->use_opt[k] = 1;
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
    if (o->tune && o->given[F_SCHED] && o->use_sched[S_STEP])
        return fail(msg, "--sched: --tune scores among constant, warmup_constant, cosine and warmup_cosine, "
                    "found step in the list");
    if (o->tune && o->given[F_SEEDS])
        return fail(msg, "--seeds: --tune chooses the rates with one seed (--seed); run --seeds without --tune");
#ifndef _OPENMP
    if (o->threads > 1) return fail(msg, "--threads: this build has no OpenMP (compile with -fopenmp): it runs on one thread");
#endif
    if (o->smoke && !o->given[F_OPTIM])       /* the smoke run's optimizers: sgd, adamw and the wrapped rows */
        for (k = 0; k < NOPT; k++)
            o->use_opt[k] = optims[k].wrap || (!optims[k].label && (optims[k].kind == OFS_SGD || optims[k].kind == OFS_ADAMW));
    if (o->smoke && !o->given[F_SCHED] && !o->tune)     /* and two schedules (--tune: its four) */
        for (k = 0; k < NSCHED; k++) o->use_sched[k] = k == S_CONST || k == S_WCOS;
    if (o->epochs < 0) o->epochs = o->smoke ? 3 : 5;
    if (!o->seeds) o->seeds = 1;
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
                                         2400, 11, &e) != OFS_OK ||
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
    if (gen) printf("smoke run: 2400 generated training images, 500 test images\n");
    else if (o->smoke) {
        if (train->n > 2400) train->n = 2400;
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
    double val_acc, val_loss, test_acc, test_loss, train_loss;   /* after the last epoch (test: NaN if not evaluated) */
    double seconds;             /* training only: no evaluation */
    int64_t steps_to;           /* the first evaluation at TARGET validation accuracy or above; -1: none */
    double seconds_to;          /* training seconds until then */
    int ran, diverged;          /* diverged: a non-finite loss or state stopped the run */
} result;

typedef struct sweep {
    options o;
    ofs_dataset train, test;       /* train: all the training images */
    ofs_dataset tr, val;           /* its first five sixths and its last sixth */
    outfile curves;                /* curves.f == NULL: no curves (tuning, a subset) */
    int verbose;                   /* a log line per epoch */
    int row, which;                /* the run under way: its row and schedule, for the curves */
} sweep;

/* The evaluation points taken during an epoch. The trainer calls its schedule from
   one thread before each step, with the steps taken so far: after every `every`
   steps the callback copies the weights to evaluate (ofs_optim_eval_params: x for
   Schedule-Free, the weights themselves for the others) and the time, and the
   points are evaluated after the epoch, so that no evaluation is inside the timed
   training. The other threads only read the weights at that moment (the last
   update finished before the step's loss was summed). */
typedef struct probe {
    ofs_sched sched;
    ofs_trainer *t;
    int64_t every, last;           /* every: 0, no points */
    int n, cap;                    /* points taken this epoch, room for */
    ofs_real *snap;                /* cap x nparams */
    int64_t *step;
    double *sec, t0;               /* seconds into the epoch; t0: the epoch's start */
} probe;

/* Row i's weights to evaluate, of every parameter group, into out; with Lookahead,
   its slow weights (the paper's; the fast ones equal them after every k-th step). */
static void eval_weights(const ofs_trainer *t, ofs_real *out)
{
    int g;
    if (t->lookahead) { memcpy(out, t->lookahead->slow, t->mlp->nparams * sizeof(ofs_real)); return; }
    for (g = 0; g < t->ngroups; g++) ofs_optim_eval_params(&t->opt[g], t->mlp->params + t->offset[g], out + t->offset[g]);
}

static ofs_status probe_schedule(int64_t step, ofs_optim_config *cfg, void *ctx, ofs_err *err)
{
    probe *p = (probe *)ctx;
    if (p->every > 0 && step > 0 && step % p->every == 0 && step != p->last && p->n < p->cap) {
        p->sec[p->n] = now() - p->t0;
        p->step[p->n] = p->last = step;
        eval_weights(p->t, p->snap + (size_t)p->n * p->t->mlp->nparams);
        p->n++;
    }
    return ofs_sched_callback(step, cfg, &p->sched, err);
}

/* Accuracy (fraction) and mean loss on ev of the weights w, in the evaluation network. */
static double evaluate(ofs_mlp *em, const ofs_real *w, const ofs_dataset *ev, double *loss)
{
    size_t correct;
    memcpy(em->params, w, em->nparams * sizeof(ofs_real));
    *loss = ofs_mlp_evaluate(em, ev->x, ev->y, ev->n, &correct, NULL);
    return (double)correct / (double)ev->n;
}

/* The trainer's whole state is finite: the parameters, every moment array and
   Lookahead's slow weights. */
static int state_finite(const ofs_mlp *m, const ofs_trainer *t, ofs_err *e)
{
    int g, k;
    if (ofs_check_finite(m->params, m->nparams, "parameters", t->step, e) != OFS_OK) return 0;
    if (t->lookahead && ofs_check_finite(t->lookahead->slow, t->lookahead->n, "Lookahead's slow weights", t->step, e) != OFS_OK)
        return 0;
    for (g = 0; g < t->ngroups; g++)
        for (k = 0; k < 3; k++)
            if (t->opt[g].s[k] && ofs_check_finite(t->opt[g].s[k], ofs_optim_state_size(&t->opt[g], k), "optimizer state", t->step, e) != OFS_OK)
                return 0;
    return 1;
}

/* One evaluation point: the curves' line, the first arrival at TARGET. */
static void record_point(sweep *S, result *res, int64_t step, double sec, double acc, double loss)
{
    if (S->curves.f) out_printf(&S->curves, "%d %d %lld %.6f %.6f %.4f\n", S->row, S->which, (long long)step, loss, acc, sec);
    if (acc >= TARGET && res->steps_to < 0) { res->steps_to = step; res->seconds_to = sec; }
}

typedef struct run_ctx {       /* what one run owns */
    ofs_mlp m, em;             /* the trained network, the one evaluated */
    ofs_trainer t;
    ofs_lookahead la;          /* the row's wrapper, if it has one */
    ofs_sam sam;
    probe p;
} run_ctx;

static void run_free(run_ctx *c)
{
    ofs_trainer_free(&c->t);
    if (c->la.slow) ofs_lookahead_free(&c->la);
    if (c->sam.x) ofs_sam_free(&c->sam);
    ofs_mlp_free(&c->m);
    ofs_mlp_free(&c->em);
    free(c->p.snap); free(c->p.step); free(c->p.sec);
}

/* The trainer of row i: a group per weight matrix where the optimizer uses shapes
   (Adafactor), and for Muon (which takes matrices only) Muon on the hidden matrices
   and the deep AdamW row's setting on the first and last layers and the biases. */
static ofs_status make_trainer(int i, const ofs_optim_config *cfg, size_t n, const ofs_rng *rng, run_ctx *c, ofs_err *e)
{
    int shape = ofs_optim_wants_shape(optims[i].kind), r;
    ofs_optim_config rest;
    if (shape == 0) return ofs_trainer_create(&c->t, &c->m, cfg, 0, BATCH, n, rng, e);
    if (shape == 1) return ofs_trainer_create_layers(&c->t, &c->m, cfg, NULL, BATCH, n, rng, e);
    for (r = 0; r < NOPT && !(optims[r].kind == OFS_ADAMW && optims[r].label); r++) {}
    rest = optim_config(OFS_ADAMW, r < NOPT ? optims[r].lr : 2e-3);
    return ofs_trainer_create_layers(&c->t, &c->m, &rest, cfg, BATCH, n, rng, e);
}

/* Row i's wrapper on the trainer: Lookahead's slow weights start as the initial weights. */
static ofs_status make_wrapper(int i, run_ctx *c, ofs_err *e)
{
    ofs_lookahead_config lc;
    ofs_sam_config sc;
    ofs_status st = OFS_OK;
    wrap_config(optims[i].wrap, &lc, &sc);
    if (optims[i].wrap == WRAP_LOOKAHEAD && (st = ofs_lookahead_init(&c->la, &lc, c->m.params, c->m.nparams, e)) == OFS_OK)
        c->t.lookahead = &c->la;
    if ((optims[i].wrap == WRAP_SAM || optims[i].wrap == WRAP_ASAM) && (st = ofs_sam_init(&c->sam, &sc, c->m.nparams, e)) == OFS_OK)
        c->t.sam = &c->sam;
    return st;
}

/* The networks, the trainer and the schedule of one run; 0 or 1 on an error. */
static int run_setup(sweep *S, int row, const ofs_optim_config *cfg0, int which, uint64_t seed, int points, run_ctx *c)
{
    int sizes[5], ns = row_net(row, S->tr.dim, sizes);
    int64_t per_epoch = (int64_t)((S->tr.n + BATCH - 1) / BATCH), total = per_epoch * S->o.epochs;
    ofs_optim_config cfg = *cfg0;
    ofs_rng rng;
    ofs_err e;
    if (ofs_mlp_create(&c->m, sizes, ns, OFS_ACT_RELU, BATCH, &e) != OFS_OK ||
        ofs_mlp_create(&c->em, sizes, ns, OFS_ACT_RELU, EVAL_BATCH, &e) != OFS_OK) {
        fprintf(stderr, PROG ": %s\n", e.msg);
        return 1;
    }
    ofs_rng_seed(&rng, seed);
    ofs_mlp_randomize(&c->m, OFS_INIT_HE, &rng);
    /* Schedule-Free: the warmup is the optimizer's own, the schedule a constant rate */
    if (schedule_free(row) && warms(which)) cfg.warmup_steps = (double)warmup_len(total, per_epoch);
    /* the schedule moves group 0's rate (the first layer's: AdamW's in a Muon row), and the
       trainer scales the others' from it (ofs_trainer_create_layers) */
    if (make_trainer(row, &cfg, S->tr.n, &rng, c, &e) != OFS_OK || make_wrapper(row, c, &e) != OFS_OK ||
        make_sched(schedule_free(row) ? S_CONST : which, c->t.opt[0].cfg.lr, total, per_epoch, &c->p.sched, &e) != OFS_OK) {
        fprintf(stderr, PROG ": %s\n", e.msg);
        return 1;
    }
    c->p.t = &c->t;
    c->p.every = points ? eval_every(per_epoch) : 0;
    c->p.cap = (int)(per_epoch / eval_every(per_epoch)) + 2;
    c->p.snap = (ofs_real *)malloc((size_t)c->p.cap * c->m.nparams * sizeof(ofs_real));
    c->p.step = (int64_t *)malloc((size_t)c->p.cap * sizeof(int64_t));
    c->p.sec = (double *)malloc((size_t)c->p.cap * sizeof(double));
    if (!c->p.snap || !c->p.step || !c->p.sec) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
    c->t.schedule = probe_schedule; c->t.schedule_ctx = &c->p;
    return 0;
}

static void log_epoch(const run_ctx *c, const ofs_epoch_stats *st, int epochs, const double *acc, double sec)
{
    int j;
    printf("  epoch %lld/%d  loss %.4f  train %6.2f%%  val", (long long)c->t.epoch, epochs, st->loss, 100 * st->accuracy);
    for (j = 0; j < c->p.n; j++) printf(" %.2f", 100 * acc[j]);
    printf(" %%  lr %.2e  %.2f s\n", st->lr, sec);
}

/* Train a fresh network of row `row` (the same initial weights and batch order for
   every run of a seed: both come from it) with optimizer cfg and schedule `which`
   on S->tr, evaluating on S->val every quarter epoch (points = 1) or at the end
   only, and on the test set at the end (test = 1). Returns 0, or 1 on a setup error. */
static int run_one(sweep *S, int row, const ofs_optim_config *cfg, int which, uint64_t seed, int points, int test, result *res)
{
    run_ctx c;
    ofs_err e;
    double acc[8];
    int rc = 1, j;
    memset(res, 0, sizeof *res);
    memset(&c, 0, sizeof c);
    res->ran = 1; res->steps_to = -1; res->test_acc = res->test_loss = (double)NAN;
    if (run_setup(S, row, cfg, which, seed, points, &c)) goto done;
    S->row = row; S->which = which;
    if (S->curves.f) out_printf(&S->curves, "# %s %s\n", row_name(row), sched_names[which]);
    while (c.t.epoch < S->o.epochs) {
        ofs_epoch_stats st;
        double sec, loss;
        c.p.n = 0;
        c.p.t0 = now();
        if (ofs_trainer_epoch(&c.t, S->tr.x, S->tr.y, &st, &e) != OFS_OK || !state_finite(&c.m, &c.t, &e)) {
            if (S->verbose) printf("  epoch %lld: %s\n", (long long)c.t.epoch + 1, e.msg);
            res->diverged = 1;
            res->val_acc = res->val_loss = res->train_loss = (double)NAN;
            rc = 0;
            goto done;
        }
        sec = now() - c.p.t0;
        for (j = 0; j < c.p.n && j < 8; j++) {
            acc[j] = evaluate(&c.em, c.p.snap + (size_t)j * c.m.nparams, &S->val, &loss);
            record_point(S, res, c.p.step[j], res->seconds + c.p.sec[j], acc[j], loss);
        }
        res->seconds += sec;
        res->train_loss = st.loss;
        if (S->verbose) log_epoch(&c, &st, S->o.epochs, acc, sec);
    }
    eval_weights(&c.t, c.m.grads);     /* the gradients' buffer, free after training: the weights to evaluate */
    res->val_acc = evaluate(&c.em, c.m.grads, &S->val, &res->val_loss);
    record_point(S, res, c.t.step, res->seconds, res->val_acc, res->val_loss);
    if (test) res->test_acc = evaluate(&c.em, c.m.grads, &S->test, &res->test_loss);
    rc = 0;
done:
    if (S->curves.f) out_printf(&S->curves, "\n\n");
    fflush(stdout);
    run_free(&c);
    return rc;
}

static void describe(int row, const ofs_optim_config *c, int which, int dim, char *buf, size_t cap)
{
    char net[64];
    int m;
    net_string(row, dim, net, sizeof net);
    m = snprintf(buf, cap, "%s lr %g", row_name(row), c->lr);
    if (c->kind == OFS_SGD && m > 0 && (size_t)m < cap) m += snprintf(buf + m, cap - (size_t)m, " momentum %g", c->momentum);
    if (c->weight_decay > 0 && m > 0 && (size_t)m < cap) m += snprintf(buf + m, cap - (size_t)m, " wd %g (not on biases)", c->weight_decay);
    if (optims[row].hidden[0] && m > 0 && (size_t)m < cap) m += snprintf(buf + m, cap - (size_t)m, ", network %s", net);
    if (optims[row].wrap && m > 0 && (size_t)m < cap) {
        ofs_lookahead_config lc;
        ofs_sam_config sc;
        wrap_config(optims[row].wrap, &lc, &sc);
        if (optims[row].wrap == WRAP_LOOKAHEAD) m += snprintf(buf + m, cap - (size_t)m, ", Lookahead k %d alpha %g", lc.k, lc.alpha);
        else if (sc.adaptive) m += snprintf(buf + m, cap - (size_t)m, ", ASAM rho %g eta %g", sc.rho, sc.eta);
        else m += snprintf(buf + m, cap - (size_t)m, ", SAM rho %g", sc.rho);
    }
    if (m > 0 && (size_t)m < cap)
        snprintf(buf + m, cap - (size_t)m, ", %s%s", sched_names[which],
                 schedule_free(row) && warms(which) ? " (its own warmup_steps)" : "");
}

/* ---- the tables --------------------------------------------------------------- */

typedef result table[NOPT][NSCHED];

static int cell(const options *o, table R, int i, int k) { return o->use_opt[i] && o->use_sched[k] && R[i][k].ran; }

/* The rows the means and medians are over (full_row, among those of --optim), named
   for the footnotes: "the 3 rows sgd, adamw, sam-sgd" (cap: room for every name). */
static const char *full_rows(const options *o, char *buf, size_t cap)
{
    int i, n = 0, j = 0, m;
    for (i = 0; i < NOPT; i++) n += o->use_opt[i] && full_row(i);
    m = n == 1 ? snprintf(buf, cap, "the row") : snprintf(buf, cap, "the %d rows", n);
    for (i = 0; i < NOPT && m > 0 && (size_t)m < cap; i++)
        if (o->use_opt[i] && full_row(i)) m += snprintf(buf + m, cap - (size_t)m, "%s %s", j++ ? "," : "", row_name(i));
    return buf;
}

static void print_pct(FILE *f, const result *r, double v, int width)
{
    if (!r->ran) fprintf(f, "%*s", width, "-");
    else if (r->diverged) fprintf(f, "%*s", width, "diverged");
    else fprintf(f, "%*.2f", width, 100 * v);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The mean (median = 0) or median (median = 1) test accuracy over the runs of the
   full rows (full_row) that did not diverge: of row i0 (or of all, i0 < 0) with
   schedule k0 (or with all, k0 < 0). */
static void print_stat(FILE *f, const options *o, table R, int i0, int k0, int median, int width)
{
    double v[NOPT * NSCHED], sum = 0;
    int i, k, n = 0;
    for (i = 0; i < NOPT; i++)
        for (k = 0; k < NSCHED; k++)
            if (cell(o, R, i, k) && (i0 >= 0 ? i == i0 : full_row(i)) && (k0 < 0 || k == k0) && !R[i][k].diverged) {
                v[n++] = R[i][k].test_acc;
                sum += R[i][k].test_acc;
            }
    if (!n) { fprintf(f, "%*s", width, "-"); return; }
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    fprintf(f, "%*.2f", width, 100 * (median ? (v[(n - 1) / 2] + v[n / 2]) / 2 : sum / n));
}

static void print_head(FILE *f, const options *o, const char *title, const char *last)
{
    int k;
    fprintf(f, "%s\n%-14s %7s", title, "optimizer", "lr");
    for (k = 0; k < NSCHED; k++) if (o->use_sched[k]) fprintf(f, " %15s", sched_names[k]);
    fprintf(f, "%s\n", last);
}

/* Test accuracy, row by schedule, with means; steps and seconds to TARGET. */
static void print_grids(FILE *f, const options *o, table R, int64_t every)
{
    int i, k, m;
    char title[200], c[40], names[NOPT * 20];
    snprintf(title, sizeof title, "test accuracy (%%) after %d epochs", o->epochs);
    print_head(f, o, title, "     mean");
    for (i = 0; i < NOPT; i++) {
        if (!o->use_opt[i]) continue;
        fprintf(f, "%-14s %7g", row_name(i), optims[i].lr);
        for (k = 0; k < NSCHED; k++) if (o->use_sched[k]) print_pct(f, &R[i][k], R[i][k].test_acc, 16);
        print_stat(f, o, R, i, -1, 0, 9);
        fprintf(f, "\n");
    }
    for (m = 0; m < 2; m++) {
        fprintf(f, "%-22s", m ? "median*" : "mean*");
        for (k = 0; k < NSCHED; k++) if (o->use_sched[k]) print_stat(f, o, R, -1, k, m, 16);
        print_stat(f, o, R, -1, -1, m, 9);
        fprintf(f, "\n");
    }
    fprintf(f, "* over the rows of chapter 15's network that run every schedule: %s\n", full_rows(o, names, sizeof names));
    snprintf(title, sizeof title, "\nsteps to %.1f%% validation accuracy (training seconds to it), evaluated every %lld steps "
             "and at the end", 100 * TARGET, (long long)every);
    print_head(f, o, title, "");
    for (i = 0; i < NOPT; i++) {
        if (!o->use_opt[i]) continue;
        fprintf(f, "%-14s %7g", row_name(i), optims[i].lr);
        for (k = 0; k < NSCHED; k++) {
            const result *r = &R[i][k];
            if (!o->use_sched[k]) continue;
            if (!r->ran) snprintf(c, sizeof c, "-");
            else if (r->diverged) snprintf(c, sizeof c, "diverged");
            else if (r->steps_to < 0) snprintf(c, sizeof c, "never");
            else snprintf(c, sizeof c, "%lld (%.2f)", (long long)r->steps_to, r->seconds_to);
            fprintf(f, " %15s", c);
        }
        fprintf(f, "\n");
    }
}

/* What warmup alone and decay alone do to the test accuracy: differences in points
   between two schedules of a row, with the mean over the full rows. */
static const int effect_pair[4][2] = {{S_WCONST, S_CONST}, {S_COS, S_CONST}, {S_WCOS, S_COS}, {S_WCOS, S_WCONST}};
static const char *const effect_names[4] = {"warmup alone", "decay alone", "warmup, decayed", "decay, warmed up"};

static int effect(const options *o, table R, int i, int e, double *d)
{
    const result *a = &R[i][effect_pair[e][0]], *b = &R[i][effect_pair[e][1]];
    if (!cell(o, R, i, effect_pair[e][0]) || !cell(o, R, i, effect_pair[e][1]) || a->diverged || b->diverged) return 0;
    *d = 100 * (a->test_acc - b->test_acc);
    return 1;
}

static void print_effects(FILE *f, const options *o, table R)
{
    double d, sum[4] = {0}, v[4][NOPT];
    int i, e, n[4] = {0};
    fprintf(f, "\nwhat warmup and decay do to the test accuracy (points):\n"
            "  warmup alone: warmup_constant - constant;  decay alone: cosine - constant;\n"
            "  warmup, decayed: warmup_cosine - cosine;  decay, warmed up: warmup_cosine - warmup_constant\n"
            "%-14s %16s %16s %16s %16s\n", "optimizer", effect_names[0], effect_names[1], effect_names[2], effect_names[3]);
    for (i = 0; i < NOPT; i++) {
        if (!o->use_opt[i]) continue;
        fprintf(f, "%-14s", row_name(i));
        for (e = 0; e < 4; e++) {
            if (effect(o, R, i, e, &d)) {
                fprintf(f, " %+16.2f", d);
                if (full_row(i)) { sum[e] += d; v[e][n[e]++] = d; }
            } else fprintf(f, " %16s", "-");
        }
        fprintf(f, "\n");
    }
    fprintf(f, "%-14s", "mean*");
    for (e = 0; e < 4; e++) if (n[e]) fprintf(f, " %+16.2f", sum[e] / n[e]); else fprintf(f, " %16s", "-");
    fprintf(f, "\n%-14s", "median*");
    for (e = 0; e < 4; e++) {
        if (!n[e]) { fprintf(f, " %16s", "-"); continue; }
        qsort(v[e], (size_t)n[e], sizeof v[e][0], cmp_double);
        fprintf(f, " %+16.2f", (v[e][(n[e] - 1) / 2] + v[e][n[e] / 2]) / 2);
    }
    fprintf(f, "\n");
}

static void print_runs(FILE *f, const options *o, table R)
{
    int i, k;
    fprintf(f, "\nevery run\n%-14s %-15s %7s %8s %9s %10s %11s %9s %9s %8s\n", "optimizer", "schedule", "lr", "val acc",
            "test acc", "test loss", "train loss", "steps 98", "secs 98", "seconds");
    for (i = 0; i < NOPT; i++)
        for (k = 0; k < NSCHED; k++) {
            const result *r = &R[i][k];
            char st[32], ss[32];
            if (!cell(o, R, i, k)) continue;
            fprintf(f, "%-14s %-15s %7g", row_name(i), sched_names[k], optims[i].lr);
            if (r->diverged) { fprintf(f, " %8s %9s %10s %11s %9s %9s %8.2f\n", "diverged", "-", "-", "-", "-", "-", r->seconds); continue; }
            snprintf(st, sizeof st, r->steps_to < 0 ? "never" : "%lld", (long long)r->steps_to);
            if (r->steps_to < 0) snprintf(ss, sizeof ss, "-"); else snprintf(ss, sizeof ss, "%.2f", r->seconds_to);
            fprintf(f, " %7.2f%% %8.2f%% %10.4f %11.4f %9s %9s %8.2f\n", 100 * r->val_acc, 100 * r->test_acc, r->test_loss,
                    r->train_loss, st, ss, r->seconds);
        }
}

static void print_tables(FILE *f, const options *o, table R, int64_t every)
{
    print_grids(f, o, R, every);
    print_effects(f, o, R);
    print_runs(f, o, R);
}

static int write_results(const char *prefix, const options *o, table R, int64_t every)
{
    char path[2][256];
    outfile f;
    int i, k;
    snprintf(path[0], sizeof path[0], "%sresults.dat", prefix);
    snprintf(path[1], sizeof path[1], "%sresults.txt", prefix);
    if (out_open(&f, path[0], 1)) return -1;
    out_printf(&f, "# row sched optimizer schedule lr val_acc test_acc test_loss train_loss steps_to_98 seconds_to_98 seconds\n"
               "# (NaN: diverged or never at 98%%; rows of Schedule-Free without the decaying schedules, which they do not run)\n");
    for (i = 0; i < NOPT; i++)
        for (k = 0; k < NSCHED; k++) {
            const result *r = &R[i][k];
            if (!cell(o, R, i, k)) continue;
            out_printf(&f, "%d %d %s %s %g %.6f %.6f %.6f %.6f ", i, k, row_name(i), sched_names[k], optims[i].lr,
                       r->val_acc, r->test_acc, r->test_loss, r->train_loss);
            if (r->steps_to < 0) out_printf(&f, "NaN NaN %.3f\n", r->seconds);
            else out_printf(&f, "%lld %.3f %.3f\n", (long long)r->steps_to, r->seconds_to, r->seconds);
        }
    if (out_close(&f)) return -1;
    if (out_open(&f, path[1], 1)) return -1;
    print_tables(f.f, o, R, every);       /* a failed write shows in ferror, which out_close checks */
    return out_close(&f);
}

/* The schedules' lengths for n training examples, as run_one makes them. */
static void print_schedules(const options *o, size_t n)
{
    int64_t per_epoch = (int64_t)((n + BATCH - 1) / BATCH), total = per_epoch * o->epochs;
    ofs_sched step;
    if (make_sched(S_STEP, 1.0, total, per_epoch, &step, NULL) != OFS_OK) return;
    printf("%lld steps per run (%lld per epoch); step: x 0.1 after %lld and %lld steps; warmup: %lld steps; "
           "validation every %lld steps\n", (long long)total, (long long)per_epoch, (long long)step.step_size,
           (long long)(2 * step.step_size), (long long)warmup_len(total, per_epoch), (long long)eval_every(per_epoch));
}

/* ---- the sweep --------------------------------------------------------------- */

static int count_runs(const options *o)
{
    int i, k, runs = 0;
    for (i = 0; i < NOPT; i++) for (k = 0; k < NSCHED; k++) runs += o->use_opt[i] && o->use_sched[k] && runs_with(i, k);
    return runs;
}

/* The figures need the whole table, so a subset (--optim, --sched) writes no files;
   --smoke writes its own (out/ch16_smoke_*), --tune and --seeds none. */
static int writes_files(const options *o)
{
    return !o->tune && o->seeds == 1 && (o->smoke || (!o->given[F_OPTIM] && !o->given[F_SCHED]));
}

/* The selected runs with one seed, into R. */
static int sweep_seed(sweep *S, uint64_t seed, result R[NOPT][NSCHED])
{
    const options *o = &S->o;
    char what[200];
    int i, k, n = 0, runs = count_runs(o);
    memset(R, 0, sizeof(table));
    for (i = 0; i < NOPT; i++)
        for (k = 0; k < NSCHED; k++) {
            ofs_optim_config cfg = optim_config(optims[i].kind, optims[i].lr);
            result *r = &R[i][k];
            if (!o->use_opt[i] || !o->use_sched[k] || !runs_with(i, k)) continue;
            describe(i, &cfg, k, S->tr.dim, what, sizeof what);
            printf("run %2d/%d  %s\n", ++n, runs, what);
            if (run_one(S, i, &cfg, k, seed, 1, 1, r)) return 1;
            if (r->diverged) printf("  -> diverged\n");
            else {
                printf("  -> val %.2f%%  test %.2f%%  final training loss %.4f  %.2f s;  ", 100 * r->val_acc, 100 * r->test_acc,
                       r->train_loss, r->seconds);
                if (r->steps_to < 0) printf("never at %.1f%%\n", 100 * TARGET);
                else printf("%.1f%% at step %lld (%.2f s)\n", 100 * TARGET, (long long)r->steps_to, r->seconds_to);
            }
        }
    return 0;
}

static int64_t every_of(const sweep *S) { return eval_every((int64_t)((S->tr.n + BATCH - 1) / BATCH)); }

static int run_sweep(sweep *S)
{
    static table R;
    const options *o = &S->o;
    const char *prefix = o->smoke ? "out/ch16_smoke_" : "out/ch16_";
    char path[256];
    int write = writes_files(o);
    double t_all = now();
    snprintf(path, sizeof path, "%scurves.dat", prefix);
    if (write && out_open(&S->curves, path, 1)) return 1;
    if (write)
        out_printf(&S->curves, "# one block per run, its first line: # optimizer schedule; then one line per validation\n"
                   "# point: row sched step val_loss val_acc training_seconds (row, sched: as in ch16_results.dat)\n");
    S->verbose = 1;
    print_schedules(o, S->tr.n);
    if (sweep_seed(S, o->seed, R)) return 1;
    printf("\n");
    print_tables(stdout, o, R, every_of(S));
    printf("\nsweep time %.1f s (%d runs)\n", now() - t_all, count_runs(o));
    if (!write) { printf("a subset of the sweep: no files written\n"); return 0; }
    if (out_close(&S->curves) || write_results(prefix, o, R, every_of(S))) return 1;
    printf("wrote %sresults.dat, %sresults.txt, %scurves.dat\n", prefix, prefix, prefix);
    return 0;
}

/* ---- --seeds: the sweep again with other seeds --------------------------------- */

typedef struct stats { double sum, sq, lo, hi; int n; } stats;
static void stats_add(stats *s, double v)
{
    if (!s->n || v < s->lo) s->lo = v;
    if (!s->n || v > s->hi) s->hi = v;
    s->sum += v; s->sq += v * v; s->n++;
}
static double stats_mean(const stats *s) { return s->sum / s->n; }
static double stats_sd(const stats *s)       /* the sample standard deviation */
{
    double m = stats_mean(s), v = s->n > 1 ? (s->sq - s->n * m * m) / (s->n - 1) : 0;
    return v > 0 ? sqrt(v) : 0;
}

/* Per row and schedule: the test accuracy's mean and range over the seeds, the seeds
   at TARGET, their mean steps and seconds to it. */
static void print_seed_cells(const options *o, table *R, int ns)
{
    int i, k, s;
    double pooled = 0;
    int cells = 0;
    char names[NOPT * 20];
    printf("\nover the %d seeds: test accuracy (%%) mean [lowest, highest]; steps to %.1f%% validation accuracy: "
           "seeds that reach it, mean steps, mean seconds [lowest, highest]\n", ns, 100 * TARGET);
    printf("%-14s %-15s %23s %28s\n", "optimizer", "schedule", "test accuracy", "to 98%");
    for (i = 0; i < NOPT; i++)
        for (k = 0; k < NSCHED; k++) {
            stats a = {0, 0, 0, 0, 0}, st = {0, 0, 0, 0, 0}, sec = {0, 0, 0, 0, 0};
            if (!cell(o, R[0], i, k)) continue;
            for (s = 0; s < ns; s++) {
                const result *r = &R[s][i][k];
                if (r->diverged) continue;
                stats_add(&a, 100 * r->test_acc);
                if (r->steps_to >= 0) { stats_add(&st, (double)r->steps_to); stats_add(&sec, r->seconds_to); }
            }
            printf("%-14s %-15s", row_name(i), sched_names[k]);
            if (a.n) printf("   %6.2f [%6.2f, %6.2f]", stats_mean(&a), a.lo, a.hi); else printf(" %23s", "diverged");
            if (st.n) printf("   %d/%d %6.0f %5.2f s [%.2f, %.2f]\n", st.n, ns, stats_mean(&st), stats_mean(&sec), sec.lo, sec.hi);
            else printf("   0/%d\n", ns);
            if (a.n > 1 && full_row(i)) { pooled += stats_sd(&a) * stats_sd(&a); cells++; }
        }
    if (cells) printf("seed-to-seed standard deviation of one run's test accuracy (the root mean square over the "
                      "cells of %s): %.3f points\n", full_rows(o, names, sizeof names), sqrt(pooled / cells));
}

/* Per row, each effect of print_effects: its mean over the seeds, its standard
   deviation, the seeds where it is positive; then the same of the mean over the rows
   of each seed, and its standard error. */
static void print_seed_effects(const options *o, table *R, int ns)
{
    int i, e, s;
    double per_seed[4][1000];      /* the sum over the full rows of each seed's effect (--seeds: at most 1000) */
    int n_rows[4] = {0};
    char names[NOPT * 20];
    memset(per_seed, 0, sizeof per_seed);
    printf("\nover the %d seeds: what warmup and decay do to the test accuracy (points), mean (standard deviation) "
           "and the seeds where it helps\n%-14s", ns, "optimizer");
    for (e = 0; e < 4; e++) printf(" %22s", effect_names[e]);
    printf("\n");
    for (i = 0; i < NOPT; i++) {
        if (!o->use_opt[i]) continue;
        printf("%-14s", row_name(i));
        for (e = 0; e < 4; e++) {
            stats d = {0, 0, 0, 0, 0};
            int pos = 0, full = 1;
            double v;
            for (s = 0; s < ns; s++) {
                if (effect(o, R[s], i, e, &v)) { stats_add(&d, v); pos += v > 0; if (full_row(i)) per_seed[e][s] += v; }
                else full = 0;
            }
            if (d.n) printf("   %+6.2f (%4.2f) %2d/%-2d", stats_mean(&d), stats_sd(&d), pos, d.n); else printf(" %22s", "-");
            if (d.n && full && full_row(i)) n_rows[e]++;
        }
        printf("\n");
    }
    printf("%-14s", "mean*");
    for (e = 0; e < 4; e++) {
        stats m = {0, 0, 0, 0, 0};
        for (s = 0; s < ns && n_rows[e]; s++) stats_add(&m, per_seed[e][s] / n_rows[e]);
        if (m.n) printf("   %+6.3f (se %5.3f)  ", stats_mean(&m), stats_sd(&m) / sqrt((double)m.n)); else printf(" %22s", "-");
    }
    printf("\n(*: the mean over %s of each seed's effect, averaged over the seeds;\n"
           " se: the standard error of that average, from its spread over the seeds)\n", full_rows(o, names, sizeof names));
}

static int run_seeds(sweep *S)
{
    table *R = (table *)calloc((size_t)S->o.seeds, sizeof(table));
    int s, rc = 1;
    double t_all = now();
    if (!R) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
    S->verbose = 1;
    print_schedules(&S->o, S->tr.n);
    for (s = 0; s < S->o.seeds; s++) {
        uint64_t seed = S->o.seed + (uint64_t)s;
        printf("\n== seed %lu\n", (unsigned long)seed);
        if (sweep_seed(S, seed, R[s])) goto done;
        printf("\nseed %lu:\n", (unsigned long)seed);
        print_grids(stdout, &S->o, R[s], every_of(S));
    }
    print_seed_cells(&S->o, R, S->o.seeds);
    print_seed_effects(&S->o, R, S->o.seeds);
    printf("\nseeds time %.1f s (%d runs)\n", now() - t_all, count_runs(&S->o) * S->o.seeds);
    rc = 0;
done:
    free(R);
    return rc;
}

/* ---- --tune: the learning rates ----------------------------------------------- */

/* For each row, three rates a factor 2 apart around its rate, each with the four
   schedules of warmup and decay on or off (the Schedule-Free rows: the two without
   decay; --sched: those of its list), trained on the first five sixths of the training images and scored on the
   last sixth: the best mean validation accuracy wins. Also the best rate of each
   schedule, and how often warmup or decay moves it. */
static int tuned(const sweep *S, int i, int k) { return k < NTUNE && S->o.use_sched[k] && runs_with(i, k); }

static int run_tune(sweep *S)
{
    static const double factor[3] = {0.5, 1, 2};
    int i, j, k, higher[3] = {0}, same[3] = {0}, lower[3] = {0}, runs = 0;
    static const int moved[3][2] = {{S_WCONST, S_CONST}, {S_WCOS, S_COS}, {S_COS, S_CONST}};
    double t_all = now();
    printf("tuning: %lu training images, validation on the other %lu; %d epochs per run\n",
           (unsigned long)S->tr.n, (unsigned long)S->val.n, S->o.epochs);
    printf("%-14s %9s", "optimizer", "lr");
    for (k = 0; k < NTUNE; k++) printf(" %15s", sched_names[k]);
    printf(" %8s %9s\n", "mean", "s per run");
    for (i = 0; i < NOPT; i++) {
        double best = -1, best_lr = 0, best_k[NTUNE], lr_k[NTUNE];
        if (!S->o.use_opt[i]) continue;
        for (k = 0, j = 0; k < NTUNE; k++) best_k[k] = -1, lr_k[k] = 0, j += tuned(S, i, k);
        if (!j) { printf("%-14s not tuned: it runs none of the schedules of --sched\n", row_name(i)); continue; }
        for (j = 0; j < 3; j++) {
            ofs_optim_config cfg = optim_config(optims[i].kind, optims[i].lr * factor[j]);
            double sum = 0, sec = 0, mean;
            int n = 0, bad = 0;
            printf("%-14s %9g", row_name(i), cfg.lr);
            for (k = 0; k < NTUNE; k++) {
                result r;
                if (!tuned(S, i, k)) { printf(" %15s", "-"); continue; }
                if (run_one(S, i, &cfg, k, S->o.seed, 0, 0, &r)) return 1;
                print_pct(stdout, &r, r.val_acc, 16);
                runs++; n++; sec += r.seconds;
                if (r.diverged) bad = 1;
                else {
                    sum += r.val_acc;
                    if (r.val_acc > best_k[k]) { best_k[k] = r.val_acc; lr_k[k] = cfg.lr; }
                }
            }
            mean = bad ? 0 : sum / n;
            printf(" %8.2f %9.2f\n", 100 * mean, sec / n);
            if (mean > best) { best = mean; best_lr = cfg.lr; }
            fflush(stdout);
        }
        printf("%-14s best lr %g (mean validation accuracy %.2f%%)%s; best per schedule:", row_name(i), best_lr, 100 * best,
               best_lr != optims[i].lr ? ": at the edge of the grid" : "");
        for (k = 0; k < NTUNE; k++) if (tuned(S, i, k)) printf(" %s %g", sched_names[k], lr_k[k]);
        printf("\n");
        for (j = 0; j < 3; j++) {
            double a = lr_k[moved[j][0]], b = lr_k[moved[j][1]];
            if (!tuned(S, i, moved[j][0]) || !tuned(S, i, moved[j][1])) continue;
            higher[j] += a > b; same[j] += a == b; lower[j] += a < b;
        }
    }
    printf("\nthe best rate of each schedule, row by row: higher, the same or lower\n");
    for (j = 0; j < 3; j++)
        printf("  %-15s than %-15s %2d higher, %2d the same, %2d lower\n", sched_names[moved[j][0]], sched_names[moved[j][1]],
               higher[j], same[j], lower[j]);
    printf("tuning time %.1f s (%d runs)\n", now() - t_all, runs);
    return 0;
}

/* Training keeps a sixth of the training images for validation: at least 10 of them. */
#define MIN_TRAIN 60

/* Every optimizer of the library has a row of chapter 15's network. */
static int check_rows(void)
{
    int k, i, found;
    for (k = 0; k < OFS_OPTIM_COUNT; k++) {
        for (i = 0, found = 0; i < NOPT; i++) found |= (int)optims[i].kind == k;
        if (!found) {
            fprintf(stderr, PROG ": %s has no row in optims[]: expected one per optimizer of the library\n",
                    ofs_optim_name((ofs_optim_kind)k));
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    sweep S;
    int rc;
    char msg[MSG];
    memset(&S, 0, sizeof S);
    if (check_rows()) return 2;
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
        size_t nval = S.train.n / 6;
        if (S.train.n < MIN_TRAIN)
            fprintf(stderr, PROG ": %sexpected at least %d training images (a sixth of them, at least 10, for validation), "
                    "found %lu\n", S.o.tune ? "--tune: " : "", MIN_TRAIN, (unsigned long)S.train.n);
        else {
            S.tr = slice(&S.train, 0, S.train.n - nval);
            S.val = slice(&S.train, S.train.n - nval, nval);
            printf("model %d-256-10 relu, batch %d, %d epochs per run, seed %lu, %lu training, %lu validation and %lu test images\n",
                   S.train.dim, BATCH, S.o.epochs, (unsigned long)S.o.seed, (unsigned long)S.tr.n, (unsigned long)S.val.n,
                   (unsigned long)S.test.n);
#ifdef _OPENMP
            printf("threads: %d\n", omp_get_max_threads());
#endif
            rc = S.o.tune ? run_tune(&S) : S.o.seeds > 1 || S.o.given[F_SEEDS] ? run_seeds(&S) : run_sweep(&S);
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
