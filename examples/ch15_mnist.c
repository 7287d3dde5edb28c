/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. examples/ch15_mnist.c -o ch15_mnist -lm */
/* Chapter 15: a multi-layer perceptron on MNIST, trained from scratch.
   784 -> 256 (ReLU) -> 10 logits, softmax cross-entropy, hand-written backprop,
   AdamW (no weight decay on biases) with a linear warmup and a cosine decay.
   Prints one line per epoch, the test accuracy and the confusion matrix, and
   writes out/ch15_curves.dat, out/ch15_confusion.dat, out/ch15_misclassified.dat.
   `./ch15_mnist --help` lists the options; `make data` downloads MNIST.
   Compiled with -DOFS_EXAMPLE_NO_MAIN it has no main (fuzz/fuzz_cli.c fuzzes its
   command-line parser, parse_args and check_options, which never exit). */
#define _POSIX_C_SOURCE 199309L
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define PROG "ch15_mnist"
#define MAX_SETS 16
#define MSG 1024           /* a message: the values quoted in it are shortened to fit */

/* The options, in --help's order; each may be given once (--set once per key). */
enum { F_OPTIM, F_MUON_LR, F_SCHED, F_LR, F_WD, F_WARMUP, F_SET, F_EPOCHS, F_BATCH, F_ACCUMULATE, F_HIDDEN, F_ACT, F_SEED,
       F_SWA_START, F_SWA_LR, F_EMA, F_LOOKAHEAD, F_SAM, F_ASAM, F_DATA, F_LOG, F_SAVE, F_RESUME, F_THREADS, F_KERNEL, F_FLUSH,
       F_SMOKE, F_COUNT };
static const char *const flag_names[F_COUNT] = {
    "--optim", "--muon-lr", "--sched", "--lr", "--wd", "--warmup", "--set", "--epochs", "--batch", "--accumulate", "--hidden",
    "--act", "--seed", "--swa-start", "--swa-lr", "--ema-decay", "--lookahead", "--sam", "--asam", "--data", "--log", "--save",
    "--resume", "--threads", "--kernel", "--flush-denormal", "--smoke" };

typedef struct options {
    const char *optim, *sched, *act, *data, *log, *save, *resume, *kernel;
    double lr, wd, warmup;             /* warmup in epochs (warmup_cosine and --warmup) */
    double swa_lr, ema_decay;          /* --swa-lr (-1: hold the rate), --ema-decay (0: none) */
    double muon_lr;                    /* --optim muon: the hidden matrices' peak rate */
    int la_k;                          /* --lookahead K,ALPHA (0: none) */
    double la_alpha;
    double rho, eta;                   /* --sam RHO or --asam RHO[,ETA] (rho -1: none) */
    int epochs, batch, accumulate, threads, smoke, flush, swa_start;   /* swa_start: -1, none */
    int hidden[OFS_MLP_MAX_LAYERS], nhidden;
    uint64_t seed;
    int given[F_COUNT];                /* given on the command line */
    const char *set_key[MAX_SETS];     /* --set KEY=VALUE: an optimizer hyperparameter */
    double set_val[MAX_SETS];
    int nset;
    char set_buf[MAX_SETS][64];
} options;

#include "mnist_cli.h"

/* ---- numbers: checked in full before any conversion ------------------------------ */

/* NULL and *v when s is a whole finite number in [lo, hi]; else what is wrong. */
static const char *real_problem(const char *s, double lo, double hi, double *v)
{
    char *end;
    if (!*s) return "empty";
    if (isspace((unsigned char)*s)) return "a space before the number";
    errno = 0;
    *v = strtod(s, &end);
    if (end == s) return "not a number";
    if (*end) return "characters after the number";
    if (*v != *v) return "not a number";
    if (errno == ERANGE || *v - *v != 0 || *v < lo || *v > hi) return "out of range";
    return NULL;
}

static int parse_real(const char *flag, const char *s, double lo, double hi, const char *what, double *out, char *msg)
{
    const char *why = real_problem(s, lo, hi, out);
    return why ? bad_value(msg, flag, what, s, why) : 0;
}

static int parse_hidden(options *o, const char *s, char *msg)
{
    const char *p = s;
    o->nhidden = 0;
    if (strcmp(s, "0") == 0) return 0;
    if (!*s) return bad_value(msg, "--hidden", "widths like 512,256, or 0 for none", s, "empty");
    while (*p) {
        char num[32];
        size_t len = strcspn(p, ",");
        long v;
        const char *why;
        if (o->nhidden == OFS_MLP_MAX_LAYERS - 1)
            return bad_value(msg, "--hidden", "1 to 7 comma-separated widths like 512,256", s, "too many");
        if (len == 0) return bad_value(msg, "--hidden", "a width before each comma", s, NULL);
        if (len >= sizeof num) return bad_value(msg, "--hidden", "widths from 1 to 100000, like 512,256", s, "too long");
        memcpy(num, p, len); num[len] = 0;
        if ((why = int_problem(num, 1, 100000, &v)) != NULL)
            return bad_value(msg, "--hidden", "widths from 1 to 100000, like 512,256", s, why);
        o->hidden[o->nhidden++] = (int)v;
        p += len;
        if (*p == ',') { p++; if (!*p) return bad_value(msg, "--hidden", "a width after each comma", s, NULL); }
    }
    return 0;
}

/* "A,B" into two numbers checked in [lo_a, hi_a] and [lo_b, hi_b]; B may be absent
   when b_optional (then *b is left as it is). */
static int parse_pair(const char *flag, const char *s, double lo_a, double hi_a, double lo_b, double hi_b, int b_optional,
                      const char *what, double *a, double *b, char *msg)
{
    char first[64];
    const char *comma = strchr(s, ','), *why;
    const size_t len = comma ? (size_t)(comma - s) : strlen(s);
    if (len >= sizeof first) return bad_value(msg, flag, what, s, "too long");
    if (!comma && !b_optional) return bad_value(msg, flag, what, s, "no comma");
    memcpy(first, s, len); first[len] = 0;
    if ((why = real_problem(first, lo_a, hi_a, a)) != NULL) return bad_value(msg, flag, what, s, why);
    if (comma && (why = real_problem(comma + 1, lo_b, hi_b, b)) != NULL) return bad_value(msg, flag, what, s, why);
    return 0;
}

/* --lookahead K,ALPHA: K a whole number of steps, ALPHA in (0, 1]. */
static int parse_lookahead(options *o, const char *s, char *msg)
{
    static const char *what = "K,ALPHA with K from 1 to 100000 steps and ALPHA in (0, 1), e.g. 5,0.8";
    double k;
    if (parse_pair("--lookahead", s, 1, 100000, 0, 1, 0, what, &k, &o->la_alpha, msg)) return 2;
    if (k != floor(k)) return bad_value(msg, "--lookahead", what, s, "K is not a whole number");
    if (o->la_alpha == 0) return bad_value(msg, "--lookahead", what, s, "ALPHA 0 would never move the slow weights");
    if (o->la_alpha == 1) return bad_value(msg, "--lookahead", what, s, "ALPHA 1 is the optimizer alone");
    o->la_k = (int)k;
    return 0;
}

static int parse_set(options *o, const char *s, char *msg)
{
    const char *eq = strchr(s, '=');
    size_t len = eq ? (size_t)(eq - s) : 0;
    const char *why;
    int k;
    if (!eq || len == 0 || len >= sizeof o->set_buf[0])
        return bad_value(msg, "--set", "KEY=VALUE with an optimizer setting such as beta2=0.99", s, NULL);
    if (o->nset == MAX_SETS) return bad_value(msg, "--set", "at most 16 of them", s, NULL);
    memcpy(o->set_buf[o->nset], s, len); o->set_buf[o->nset][len] = 0;
    for (k = 0; k < o->nset; k++)
        if (strcmp(o->set_key[k], o->set_buf[o->nset]) == 0)
            return bad_value(msg, "--set", "each key once", s, "given twice");
    if ((why = real_problem(eq + 1, -DBL_MAX, DBL_MAX, &o->set_val[o->nset])) != NULL)
        return bad_value(msg, "--set", "KEY=VALUE with a finite number as VALUE", s, why);
    o->set_key[o->nset] = o->set_buf[o->nset];
    o->nset++;
    return 0;
}

static int flag_index(const char *a)
{
    int k;
    for (k = 0; k < F_COUNT; k++) if (strcmp(a, flag_names[k]) == 0) return k;
    return -1;
}

static int parse_value(options *o, int f, const char *v, char *msg)
{
    const char *flag = flag_names[f];
    switch (f) {
    case F_OPTIM: case F_SCHED: case F_ACT: case F_KERNEL:
        if (strlen(v) > 40) return bad_value(msg, flag, "a name (see --help for the list)", v, "too long");
        if (f == F_OPTIM) o->optim = v; else if (f == F_SCHED) o->sched = v; else if (f == F_ACT) o->act = v; else o->kernel = v;
        break;
    case F_DATA: o->data = v; break;
    case F_LOG: o->log = v; break;
    case F_SAVE: o->save = v; break;
    case F_RESUME: o->resume = v; break;
    case F_LR: return parse_real(flag, v, 0, DBL_MAX, "a learning rate >= 0", &o->lr, msg);
    case F_MUON_LR: return parse_real(flag, v, 0, DBL_MAX, "a learning rate >= 0", &o->muon_lr, msg);
    case F_WD: return parse_real(flag, v, 0, DBL_MAX, "a weight decay >= 0", &o->wd, msg);
    case F_WARMUP: return parse_real(flag, v, 0, 100000, "a number of epochs from 0 to 100000", &o->warmup, msg);
    case F_EPOCHS: return parse_int(flag, v, 1, 100000, "a number of epochs from 1 to 100000", &o->epochs, msg);
    case F_SWA_START: return parse_int(flag, v, 0, 100000, "a number of epochs from 0 to 100000", &o->swa_start, msg);
    case F_SWA_LR: return parse_real(flag, v, 0, DBL_MAX, "a learning rate >= 0", &o->swa_lr, msg);
    case F_EMA: return parse_real(flag, v, 0, 1, "a decay in (0, 1)", &o->ema_decay, msg);
    case F_BATCH: return parse_int(flag, v, 1, 1 << 20, "a batch size from 1 to 1048576", &o->batch, msg);
    case F_ACCUMULATE: return parse_int(flag, v, 1, 1024, "a number of batches per step from 1 to 1024", &o->accumulate, msg);
    case F_LOOKAHEAD: return parse_lookahead(o, v, msg);
    case F_SAM: return parse_real(flag, v, 0, 1e6, "a radius RHO in [0, 1e6], e.g. 0.05", &o->rho, msg);
    case F_ASAM: return parse_pair(flag, v, 0, 1e6, 0, 1e6, 1, "RHO[,ETA] with RHO and ETA in [0, 1e6], e.g. 0.5 or 0.5,0.01",
                                   &o->rho, &o->eta, msg);
    case F_THREADS: return parse_int(flag, v, 1, 4096, "a thread count from 1 to 4096", &o->threads, msg);
    case F_SEED: { int s; if (parse_int(flag, v, 0, 2147483647L, "a seed from 0 to 2147483647", &s, msg)) return 2;
                   o->seed = (uint64_t)s; break; }
    case F_HIDDEN: return parse_hidden(o, v, msg);
    default: return parse_set(o, v, msg);
    }
    if (!*v) return bad_value(msg, flag, f == F_DATA ? "a directory" : f <= F_ACT || f == F_KERNEL ? "a name" : "a file name", v, "empty");
    return 0;
}

/* Fills *o from the command line. 0: go on; 1: --help was asked; 2: a mistake,
   described in msg (never empty then). Never exits, never prints. */
static int parse_args(int argc, char **argv, options *o, char *msg)
{
    int i;
    memset(o, 0, sizeof *o);
    msg[0] = 0;
    o->optim = "adamw"; o->sched = "warmup_cosine"; o->act = "relu"; o->data = NULL;
    o->lr = 4e-3; o->wd = 0.05; o->muon_lr = 0.02; o->warmup = -1; o->epochs = -1; o->batch = 128; o->seed = 1;
    o->swa_start = -1; o->swa_lr = -1; o->accumulate = 1; o->rho = -1; o->eta = ofs_sam_defaults().eta;
    o->hidden[0] = 256; o->nhidden = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        char ab[128];
        int f;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return 1;
        if (strncmp(a, "--", 2) != 0) return bad_value(msg, shorten(a, ab), "an option starting with --", a, NULL);
        if ((f = flag_index(a)) < 0) return fail(msg, "unknown option '%s' (see --help)", shorten(a, ab));
        if (o->given[f] && f != F_SET) return fail(msg, "%s: given twice (see --help)", a);
        o->given[f] = 1;
        if (f == F_SMOKE || f == F_FLUSH) { if (f == F_SMOKE) o->smoke = 1; else o->flush = 1; continue; }
        if (i + 1 >= argc) return fail(msg, "%s: expected a value after it (see --help)", a);
        if (parse_value(o, f, argv[++i], msg)) return 2;
    }
    if (o->epochs < 0) o->epochs = o->smoke ? 3 : 8;
    return 0;
}

/* ---- checks that need no file ------------------------------------------------------ */

/* The settings kind reads, "momentum, dampening, ...", into buf: the library's table
   (lr and weight_decay, which every optimizer reads, are --lr and --wd). */
static const char *settings_read(ofs_optim_kind kind, char *buf, size_t cap)
{
    const char *f;
    size_t m = 0;
    int i;
    buf[0] = 0;
    for (i = 0; (f = ofs_optim_field(i)) != NULL; i++)
        if (strcmp(f, "lr") != 0 && strcmp(f, "weight_decay") != 0 && ofs_optim_reads(kind, f) && m + strlen(f) + 3 < cap)
            m += (size_t)sprintf(buf + m, "%s%s", m ? ", " : "", f);
    return buf;
}

/* A --set key the chosen optimizer never reads would do nothing. */
static int check_set_key(const options *o, ofs_optim_kind kind, const char *key, int onecycle, char *msg)
{
    char buf[256];
    int i;
    if (strcmp(key, "lr") == 0 || strcmp(key, "weight_decay") == 0)
        return fail(msg, "--set %s: give it as %s (see --help)", key, key[0] == 'l' ? "--lr" : "--wd");
    for (i = 0; ofs_optim_field(i) && strcmp(ofs_optim_field(i), key) != 0; i++) {}
    if (!ofs_optim_field(i)) return 0;    /* unknown: ofs_optim_config_set names it */
    if (!ofs_optim_reads(kind, key))
        return fail(msg, "--set %s: %s does not read %s, so it would do nothing (%s reads %s)", key, ofs_optim_name(kind),
                    key, ofs_optim_name(kind), settings_read(kind, buf, sizeof buf));
    if (onecycle && strcmp(key, ofs_optim_reads(kind, "beta1") ? "beta1" : "momentum") == 0)
        return fail(msg, "--set %s: --sched onecycle sets %s at every step, so it would do nothing", key, key);
    (void)o;
    return 0;
}

/* The optimizer's configuration from --optim, --lr, --wd and --set, each --set key
   one that this optimizer reads, validated by the library. */
static int make_optim_config(const options *o, ofs_optim_config *cfg, char *msg)
{
    ofs_optim_kind kind;
    ofs_err e;
    int k, onecycle = strcmp(o->sched, "onecycle") == 0;
    char kb[128];
    if (ofs_optim_kind_from_name(o->optim, &kind, &e) != OFS_OK) return fail(msg, "--optim: %s", e.msg);
    *cfg = ofs_optim_defaults(kind);
    cfg->lr = kind == OFS_MUON ? o->muon_lr : o->lr; cfg->weight_decay = o->wd;
    for (k = 0; k < o->nset; k++) {
        if (check_set_key(o, kind, o->set_key[k], onecycle, msg)) return 2;
        if (ofs_optim_config_set(cfg, o->set_key[k], o->set_val[k], &e) != OFS_OK)
            return fail(msg, "--set %s: %s", shorten(o->set_key[k], kb), e.msg);
    }
    if (kind == OFS_SGD && cfg->momentum == 0 && cfg->dampening != 0)
        return fail(msg, "--set dampening: sgd reads dampening only with momentum > 0, so it would do nothing");
    if (ofs_optim_validate(cfg, &e) != OFS_OK) return fail(msg, "--optim/--lr/--wd/--set: %s", e.msg);
    return 0;
}

/* The kind --sched names (warmup_cosine is cosine after a warmup). */
static int sched_kind(const options *o, ofs_sched_kind *kind, char *msg)
{
    ofs_err e;
    char sb[128];
    int warm_cos = strcmp(o->sched, "warmup_cosine") == 0;
    if (ofs_sched_kind_from_name(warm_cos ? "cosine" : o->sched, kind, &e) != OFS_OK)
        return fail(msg, "--sched: %s, or warmup_cosine", e.msg);
    if (*kind == OFS_SCHED_MULTISTEP || *kind == OFS_SCHED_PIECEWISE || *kind == OFS_SCHED_SEQUENTIAL || *kind == OFS_SCHED_CHAINED ||
        *kind == OFS_SCHED_LAMBDA || *kind == OFS_SCHED_MULTIPLICATIVE || *kind == OFS_SCHED_CYCLIC || *kind == OFS_SCHED_SWALR)
        return fail(msg, "--sched: expected a schedule without milestones, children, functions or a second rate (swalr: "
                    "see --swa-start), found '%s'", shorten(o->sched, sb));
    return 0;
}

/* Everything the command line alone decides: names, settings that would do nothing,
   combinations that cannot work. 0, or 2 and msg. No file is touched. */
static int check_options(const options *o, char *msg)
{
    ofs_optim_config cfg;
    ofs_sched_kind kind;
    ofs_act act;
    ofs_err e;
    msg[0] = 0;
    if (ofs_act_from_name(o->act, &act, &e) != OFS_OK) return fail(msg, "--act: %s", e.msg);
    if (o->given[F_ACT] && o->nhidden == 0) return fail(msg, "--act: a network without hidden layers (--hidden 0) has no activation");
    if (make_optim_config(o, &cfg, msg) || sched_kind(o, &kind, msg)) return 2;
    if (cfg.kind == OFS_MUON && o->nhidden < 2)
        return fail(msg, "--optim muon: Muon takes the hidden weight matrices (between two hidden layers) and AdamW the "
                    "rest; a network with %d hidden layer%s has none: expected --hidden with two widths or more, e.g. 512,256",
                    o->nhidden, o->nhidden == 1 ? "" : "s");
    if (o->given[F_MUON_LR] && cfg.kind != OFS_MUON)
        return fail(msg, "--muon-lr: it sets Muon's rate, and --optim is %s, so it would do nothing", ofs_optim_name(cfg.kind));
    if (o->warmup >= o->epochs)
        return fail(msg, "--warmup: expected fewer epochs than the run's %d (--epochs), found %g", o->epochs, o->warmup);
    if (o->swa_start >= o->epochs)
        return fail(msg, "--swa-start: expected fewer epochs than the run's %d (--epochs), found %d", o->epochs, o->swa_start);
    if (o->given[F_SWA_LR] && o->swa_start < 0) return fail(msg, "--swa-lr: it sets the rate after --swa-start, which is not given");
    if (o->given[F_EMA] && (o->ema_decay >= 1 || o->ema_decay == 0))
        return fail(msg, "--ema-decay: expected a decay in (0, 1), found %g", o->ema_decay);
    if (o->given[F_EMA] && o->swa_start >= 0) return fail(msg, "--ema-decay: one average at a time: --swa-start is given too");
    if (o->given[F_SAM] && o->given[F_ASAM]) return fail(msg, "--asam: one of --sam and --asam at a time: --sam is given too");
    if (o->rho == 0)
        return fail(msg, "%s: RHO 0 is the optimizer alone at twice the cost (two gradients per step): expected RHO > 0",
                    o->given[F_SAM] ? "--sam" : "--asam");
    if (o->resume && o->given[F_SEED])
        return fail(msg, "--seed: a resumed run goes on with the generator state saved in its checkpoint, so --seed would do nothing");
#ifndef _OPENMP
    if (o->threads > 1) return fail(msg, "--threads: this build has no OpenMP (compile with -fopenmp): it runs on one thread");
#endif
    return 0;
}

/* ---- the learning-rate schedule ------------------------------------------- */

/* --sched NAME over a run of `total` steps of which `per_epoch` make an epoch: 0, or
   2 and msg. */
static int make_sched(const options *o, int64_t total, int64_t per_epoch, ofs_sched *s, char *msg)
{
    ofs_sched_kind kind;
    ofs_err e;
    int warm_cos = strcmp(o->sched, "warmup_cosine") == 0;
    double warmup = o->warmup >= 0 ? o->warmup : warm_cos ? 1.0 : 0.0;   /* epochs, < 100000 */
    if (sched_kind(o, &kind, msg)) return 2;
    *s = ofs_sched_defaults(kind, o->lr);
    s->warmup_steps = (int64_t)(warmup * (double)per_epoch + 0.5);
    if (o->warmup < 0 && s->warmup_steps > total / 5) s->warmup_steps = total / 5;   /* short runs: a fifth */
    if (kind == OFS_SCHED_STEP) s->step_size = (total - s->warmup_steps + 2) / 3;    /* x0.1 at 1/3 and 2/3 */
    if (kind == OFS_SCHED_EXPONENTIAL) s->gamma = pow(0.01, 1.0 / (double)(total - s->warmup_steps));  /* to 1% */
    if (kind == OFS_SCHED_LINEAR) { s->start_factor = 1; s->end_factor = 0; }          /* linear decay to 0 */
    if (ofs_sched_set_run(s, total, &e) != OFS_OK) return fail(msg, "--sched/--warmup/--epochs: %s", e.msg);
    return 0;
}

/* The schedule with the optimizer, tried before training at the steps where what it
   sets changes (the first, the first after the warmup, the last): each must give a
   configuration the optimizer accepts. 0, or 2 and msg. */
static int check_sched_with(const ofs_sched *s, const ofs_optim_config *cfg, int64_t total, char *msg)
{
    int64_t ks[3];
    int i;
    ofs_err e;
    ks[0] = 0; ks[1] = s->warmup_steps < total ? s->warmup_steps : 0; ks[2] = total - 1;
    for (i = 0; i < 3; i++) {
        ofs_optim_config c = *cfg;
        if (ofs_sched_apply(s, ks[i], &c, &e) != OFS_OK || ofs_optim_validate(&c, &e) != OFS_OK)
            return fail(msg, "--sched/--optim: at step %lld: %s", (long long)ks[i], e.msg);
    }
    return 0;
}

#ifndef OFS_EXAMPLE_NO_MAIN

/* The names --optim (optim = 1) and --sched take, from the library's tables. */
static int option_names(int optim, const char **names)
{
    int k, m = 0;
    if (!optim) names[m++] = "warmup_cosine";
    for (k = 0; k < (optim ? OFS_OPTIM_COUNT : OFS_SCHED_COUNT); k++)
        if (optim) names[m++] = ofs_optim_name((ofs_optim_kind)k);
        else if (k != OFS_SCHED_MULTISTEP && k != OFS_SCHED_PIECEWISE && k != OFS_SCHED_SEQUENTIAL && k != OFS_SCHED_CHAINED)
            names[m++] = ofs_sched_name((ofs_sched_kind)k);   /* not those that need milestones or children */
    return m;
}

static void usage(void)
{
    const char *names[OFS_OPTIM_COUNT + OFS_SCHED_COUNT + 1];
    printf("usage: " PROG " [options]\n"
           "Train a multi-layer perceptron on MNIST (chapter 15 of the optimfs.h tutorial).\n\n");
    print_names("  --optim NAME     optimizer (adamw): ", names, option_names(1, names), 19);
    printf("                   muon: Muon on the hidden matrices (two hidden layers or more),\n"
           "                   AdamW (--lr, --wd) on the first and last layers and the biases\n"
           "  --muon-lr X      Muon's peak learning rate (--optim muon)            (0.02)\n");
    print_names("  --sched NAME     learning-rate schedule (warmup_cosine): ", names, option_names(0, names), 19);
    printf("  --lr X           peak learning rate                                  (4e-3)\n"
           "  --wd X           weight decay (never on biases)                      (0.05)\n"
           "  --warmup E       linear warmup over E epochs, fewer than --epochs   (0;\n"
           "                   warmup_cosine: 1, at most a fifth of the run)\n"
           "  --set KEY=VALUE  another setting of the optimizer by name, e.g. beta2=0.99,\n"
           "                   momentum=0.9; a key the optimizer does not read is refused\n"
           "  --epochs N       passes over the training set                        (8)\n"
           "  --batch N        examples per batch, at most the training set        (128)\n"
           "  --accumulate N   N batches per optimizer step, their gradients averaged: a\n"
           "                   step of N x --batch examples in the memory of one   (1)\n"
           "  --hidden LIST    hidden layer widths, e.g. 256 or 512,256; 0 for none (256)\n"
           "  --act NAME       hidden activation: relu, tanh, sigmoid, identity    (relu)\n"
           "  --seed N         seed of the initialisation and of the data order    (1)\n"
           "  --swa-start E    after E epochs: SWA, each later epoch's weights averaged\n"
           "                   (tested at the end too), the rate annealed over one epoch\n"
           "  --swa-lr X       the rate SWA anneals to             (the rate at epoch E)\n"
           "  --ema-decay D    an exponential moving average of the weights, after\n"
           "                   every step, with decay D in (0, 1), tested beside them\n"
           "  --lookahead K,ALPHA  Lookahead around the optimizer: every K steps the slow\n"
           "                   weights move ALPHA of the way to the fast ones (e.g. 5,0.8);\n"
           "                   the slow weights are tested\n"
           "  --sam RHO        SAM: each step's gradient taken at the worst point of a ball\n"
           "                   of radius RHO (e.g. 0.05), two gradients per step\n"
           "  --asam RHO[,ETA] ASAM: the ball scaled by |w| + ETA (0.01) on the weights\n"
           "  --data DIR       the four MNIST files (train-images-idx3-ubyte, ...) (data/mnist)\n"
           "  --log FILE       also write a CSV line per epoch to FILE\n"
           "  --save FILE      save a checkpoint after every epoch (a regular file)\n"
           "  --resume FILE    continue the run saved in FILE, to --epochs in all. The schedule\n"
           "                   is rebuilt from --sched, --lr, --warmup and --epochs as given;\n"
           "                   the optimizer's settings are the checkpoint's: --optim, --wd and\n"
           "                   --set must be the saved ones (a difference is refused), so\n"
           "                   must --accumulate, --lookahead, --sam and --asam, and\n"
           "                   --seed is refused (the saved generator state goes on)\n"
           "  --threads N      OpenMP threads (default: all)\n"
           "  --kernel NAME    matrix-product kernel: auto, book, generic, avx2, avx512\n"
           "                   (auto: the fastest this processor runs)             (auto)\n"
           "  --flush-denormal treat subnormal floats as zero, as torch.set_flush_denormal\n"
           "                   (faster on many processors; changes results below 2^-126)\n"
           "  --smoke          a short run on a small generated data set (or the first\n"
           "                   images of --data DIR when given)\n"
           "  --help           this text\n"
           "Exit status: 0 done, 1 a file that cannot be read or written or a run that\n"
           "failed, 2 a bad option (found before any data is read or any step taken).\n");
}


/* ---- data ------------------------------------------------------------------ */

/* MNIST's train and t10k pairs in --data DIR (data/mnist), under their standard
   names (ofs_mnist_load_dir). --smoke without --data: a stand-in for MNIST that
   needs no download (the header's ofs_mnist_synthetic: a bright disc per class,
   plus noise), written as IDX files under the same names into out/ and read back,
   so the loader is exercised too. --smoke with --data: the first images of DIR's. */
static int load_data(const options *o, ofs_dataset *train, ofs_dataset *test)
{
    const char *dir = o->data ? o->data : "data/mnist", *tr = "train", *te = "t10k";
    ofs_err e;
    if (o->smoke && !o->data) {
        dir = "out"; tr = "ch15_smoke-train"; te = "ch15_smoke-t10k";
        if (ofs_mnist_synthetic_save("out/ch15_smoke-train-images-idx3-ubyte", "out/ch15_smoke-train-labels-idx1-ubyte",
                                     2000, 11, &e) != OFS_OK ||
            ofs_mnist_synthetic_save("out/ch15_smoke-t10k-images-idx3-ubyte", "out/ch15_smoke-t10k-labels-idx1-ubyte",
                                     500, 12, &e) != OFS_OK) {
            fprintf(stderr, PROG ": %s (run from the repository root; make creates out/)\n", e.msg);
            return 1;
        }
        printf("smoke run: 2000 generated training images, 500 test images\n");
    }
    if (ofs_mnist_load_dir(dir, tr, train, &e) != OFS_OK || ofs_mnist_load_dir(dir, te, test, &e) != OFS_OK) {
        print_err("", &e);
        if (e.status == OFS_ERR_IO) fprintf(stderr, PROG ": run `make data` to download MNIST, or give --data DIR (or --smoke)\n");
        return 1;
    }
    if (check_same_images(dir, train, test)) return 1;
    if (o->smoke && o->data) {
        if (train->n > 2000) train->n = 2000;
        if (test->n > 500) test->n = 500;
        printf("smoke run: the first %lu training and %lu test images\n", (unsigned long)train->n, (unsigned long)test->n);
    }
    return 0;
}

/* ---- the model and the trainer --------------------------------------------- */

static void print_sizes(const ofs_mlp *m)
{
    int l;
    for (l = 0; l <= m->nlayers; l++) printf("%s%d", l ? "-" : "", m->sizes[l]);
}

/* AdamW with --lr and --wd: with --optim muon, every group but the hidden matrices. */
static ofs_optim_config rest_config(const options *o)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAMW);
    c.lr = o->lr; c.weight_decay = o->wd;
    return c;
}

/* A resumed run keeps the optimizer settings of its checkpoint; the command line's
   (--optim, --wd, --set, or their defaults) must be the same, field by field (the
   library's list). lr is the schedule's at every step, and so is momentum or beta1
   when the schedule cycles it. */
static int check_resumed_settings(const options *o, const ofs_trainer *t, const ofs_optim_config *cfg, int cycled)
{
    int g, i;
    const char *f;
    for (g = t->ngroups - 1; g >= 0; g--) {
        ofs_optim_config want = t->opt[g].cfg.kind == cfg->kind ? *cfg : rest_config(o);
        if (g == t->ngroups - 1 && g > 0) want.weight_decay = 0;      /* the biases' group */
        for (i = 0; (f = ofs_optim_field(i)) != NULL; i++) {
            double a = 0, b = 0;
            if (strcmp(f, "lr") == 0 || (cycled && (strcmp(f, "momentum") == 0 || strcmp(f, "beta1") == 0))) continue;
            ofs_optim_config_get(&t->opt[g].cfg, f, &a, NULL);
            ofs_optim_config_get(&want, f, &b, NULL);
            if (a == b) continue;
            fprintf(stderr, PROG ": --resume %s: the checkpoint's %s is %g, the command line's %g (%s%s): a resumed run keeps "
                    "its optimizer settings; give the saved value, or start a new run\n", o->resume, f, a, b,
                    strcmp(f, "weight_decay") == 0 ? "--wd" : "--set ", strcmp(f, "weight_decay") == 0 ? "" : f);
            return 2;
        }
    }
    return 0;
}

/* ---- results ----------------------------------------------------------------- */

static void confusion(const ofs_dataset *test, const unsigned char *pred, int C[10][10])
{
    size_t i;
    memset(C, 0, sizeof(int) * 100);
    for (i = 0; i < test->n; i++) C[test->y[i]][pred[i]]++;
}

static int write_confusion(int C[10][10])
{
    outfile f;
    int t, p;
    if (out_open(&f, "out/ch15_confusion.dat", 1)) return -1;
    out_printf(&f, "# true pred count fraction_of_true_class\n");
    for (t = 0; t < 10; t++) {
        int row = 0;
        for (p = 0; p < 10; p++) row += C[t][p];
        for (p = 0; p < 10; p++) out_printf(&f, "%d %d %d %.6f\n", t, p, C[t][p], row ? (double)C[t][p] / row : 0.0);
        out_printf(&f, "\n");
    }
    return out_close(&f);
}

static void print_confusion(int C[10][10])
{
    int t, p;
    printf("confusion matrix (rows: true digit, columns: predicted)\n      ");
    for (p = 0; p < 10; p++) printf("%6d", p);
    printf("\n");
    for (t = 0; t < 10; t++) {
        printf("%6d", t);
        for (p = 0; p < 10; p++) printf("%6d", C[t][p]);
        printf("\n");
    }
}

/* The first 24 misclassified test digits as one image: a 6 x 4 grid of the images
   (rows x cols each, 28 x 28 for MNIST) with 2-pixel gaps (index 0: "x y gray",
   y down), then their labels (index 1: "x y true pred"), for gnuplot's "with image"
   and "with labels". */
static int write_misclassified(const ofs_dataset *test, const unsigned char *pred)
{
    enum { GC = 6, GR = 4 };
    const int rows = test->rows, cols = test->cols, CW = cols + 2, CH = rows + 2;
    size_t idx[GC * GR], i;
    int n = 0, X, Y, k;
    outfile f;
    for (i = 0; i < test->n && n < GC * GR; i++) if (pred[i] != test->y[i]) idx[n++] = i;
    if (out_open(&f, "out/ch15_misclassified.dat", 1)) return -1;
    out_printf(&f, "# x y gray: %d misclassified test digits of %d x %d pixels, %d per row, %d and %d pixels apart\n",
               n, rows, cols, GC, CW, CH);
    for (Y = 0; Y < GR * CH && !f.err; Y++) {
        for (X = 0; X < GC * CW; X++) {
            int cell = (Y / CH) * GC + X / CW, x = X % CW - 1, y = Y % CH - 1;
            double v = 0;
            if (cell < n && x >= 0 && x < cols && y >= 0 && y < rows)
                v = (double)test->x[idx[cell] * (size_t)test->dim + (size_t)y * (size_t)cols + (size_t)x];
            out_printf(&f, "%d %d %.4f\n", X, Y, v);
        }
        out_printf(&f, "\n");
    }
    out_printf(&f, "\n\n# x y true pred index\n");
    for (k = 0; k < n; k++)
        out_printf(&f, "%d %d %d %d %lu\n", (k % GC) * CW + CW / 2 + 1, (k / GC) * CH + 1, test->y[idx[k]], pred[idx[k]],
                   (unsigned long)idx[k]);
    return out_close(&f);
}

/* ---- main ------------------------------------------------------------------ */

typedef struct swa_sched { const ofs_sched *main; ofs_sched swalr; int64_t from; } swa_sched;

typedef struct run {
    options o;
    ofs_dataset train, test;
    ofs_mlp m;
    ofs_trainer t;
    ofs_sched sched;
    swa_sched swa;             /* --swa-start: the schedule, then SWALR */
    ofs_average avg;           /* --swa-start, --ema-decay: the weight average */
    ofs_lookahead la;          /* --lookahead */
    ofs_sam sam;               /* --sam, --asam */
    ofs_mlp eval;              /* the model with the averaged weights (or Schedule-Free's x), for evaluation */
    unsigned char *pred;
    outfile curves, log;
    int64_t saved_epoch;       /* the epoch of the last checkpoint this run wrote, -1: none */
    int64_t resumed_epoch;     /* the epoch of --resume's checkpoint, -1: not resumed */
} run;

/* ---- weight averaging ----------------------------------------------------------- */

/* --swa-start E: after E epochs the rate follows SWALR (chapter 12) from the schedule's
   rate at that step to --swa-lr (default: that rate, held) over one epoch, cosine;
   and the weights at the end of each later epoch join an equal-weight average, as
   torch.optim.swa_utils' recipe does. --ema-decay D: an EMA after every step. */

static ofs_status swa_schedule(int64_t step, ofs_optim_config *cfg, void *ctx, ofs_err *err)
{
    const swa_sched *w = (const swa_sched *)ctx;
    if (step < w->from) return ofs_sched_apply(w->main, step, cfg, err);
    return ofs_sched_apply(&w->swalr, step - w->from, cfg, err);
}

/* Schedule-Free (chapter 11b) trains at y and is tested at x, its own average. */
static int schedule_free(const run *R) { return ofs_optim_reads(R->t.opt[0].cfg.kind, "weight_lr_power"); }

/* Sets up the average, the trainer's use of it and the SWA schedule, and the model
   that evaluates averaged weights; 0, or 1. */
static int setup_average(run *R, int64_t per_epoch)
{
    const options *o = &R->o;
    const int average = o->swa_start >= 0 || o->ema_decay != 0;
    ofs_err e;
    if (!average && !schedule_free(R) && !o->la_k) return 0;
    if (ofs_mlp_create(&R->eval, R->m.sizes, R->m.nlayers + 1, R->m.act, R->m.max_batch, &e) != OFS_OK ||
        (average && ofs_average_init(&R->avg, R->m.nparams, o->ema_decay, &e) != OFS_OK)) {
        fprintf(stderr, PROG ": %s\n", e.msg);
        return 1;
    }
    if (!average) return 0;
    R->t.average = &R->avg;
    R->t.average_from = o->swa_start < 0 ? 0 : (int64_t)o->swa_start * per_epoch;
    R->t.average_every = o->swa_start < 0 ? 1 : per_epoch;
    if (o->swa_start < 0) return 0;
    R->swa.main = &R->sched;
    R->swa.from = R->t.average_from;
    R->swa.swalr = ofs_sched_defaults(OFS_SCHED_SWALR, ofs_sched_lr(&R->sched, R->swa.from));
    R->swa.swalr.swa_lr = o->swa_lr >= 0 ? o->swa_lr : R->swa.swalr.base_lr;
    R->swa.swalr.anneal_epochs = per_epoch;
    R->t.schedule = swa_schedule; R->t.schedule_ctx = &R->swa;
    return 0;
}

/* The model to test: the trained one, or for Schedule-Free the weights x of each
   parameter group (ofs_optim_eval_params; training goes on from y), or Lookahead's
   slow weights (the paper's; the fast ones equal them after every K-th step). */
static ofs_mlp *test_model(run *R)
{
    int g;
    if (!schedule_free(R) && R->o.la_k) {
        memcpy(R->eval.params, R->la.slow, R->m.nparams * sizeof(ofs_real));
        return &R->eval;
    }
    if (!schedule_free(R)) return &R->m;
    for (g = 0; g < R->t.ngroups; g++)
        ofs_optim_eval_params(&R->t.opt[g], R->m.params + R->t.offset[g], R->eval.params + R->t.offset[g]);
    return &R->eval;
}

/* Test loss and accuracy of the averaged weights (no average yet: 0). */
static int evaluate_average(run *R, double *loss, double *acc, unsigned char *pred)
{
    size_t correct;
    if (!R->t.average || R->avg.count == 0) return 0;
    memcpy(R->eval.params, R->avg.avg, R->m.nparams * sizeof(ofs_real));
    *loss = ofs_mlp_evaluate(&R->eval, R->test.x, R->test.y, R->test.n, &correct, pred);
    *acc = (double)correct / (double)R->test.n;
    return 1;
}


/* Which checkpoint, if any, holds a good state, after training stopped. */
static void say_last_good(const run *R)
{
    const options *o = &R->o;
    if (o->save && R->saved_epoch >= 0)
        fprintf(stderr, PROG ": the last good checkpoint is %s (after epoch %lld), written by this run; nothing was saved "
                "after it\n", o->save, (long long)R->saved_epoch);
    else if (o->resume)
        fprintf(stderr, PROG ": this run saved nothing%s%s%s; %s (after epoch %lld), which it resumed from, is unchanged\n",
                o->save ? " (" : "", o->save ? o->save : "", o->save ? " was not written)" : "", o->resume,
                (long long)R->resumed_epoch);
    else if (o->save)
        fprintf(stderr, PROG ": no checkpoint was written (%s holds no state of this run)\n", o->save);
    else
        fprintf(stderr, PROG ": no checkpoint was written (--save FILE keeps one per epoch)\n");
}

/* The trainer's whole state is finite: the parameters, every moment array and
   Lookahead's slow weights. */
static int state_finite(const run *R, ofs_err *e)
{
    int g, k;
    if (ofs_check_finite(R->m.params, R->m.nparams, "parameters", R->t.step, e) != OFS_OK) return 0;
    if (R->o.la_k && ofs_check_finite(R->la.slow, R->la.n, "Lookahead's slow weights", R->t.step, e) != OFS_OK) return 0;
    for (g = 0; g < R->t.ngroups; g++)
        for (k = 0; k < 3; k++)
            if (R->t.opt[g].s[k] &&
                ofs_check_finite(R->t.opt[g].s[k], ofs_optim_state_size(&R->t.opt[g], k), "optimizer state", R->t.step, e) != OFS_OK)
                return 0;
    return 1;
}

static int resume(run *R, const ofs_optim_config *cfg, ofs_sched_kind kind)
{
    const options *o = &R->o;
    ofs_err e;
    int rc;
    if (ofs_trainer_load(&R->t, o->resume, &e) != OFS_OK) {
        print_err("--resume: ", &e);
        if (e.status != OFS_ERR_MISMATCH) return 1;
        fprintf(stderr, PROG ": --resume: --optim, --hidden, --act, --batch, --accumulate, --lookahead, --sam, --asam and the "
                "training set must be the saved run's\n");
        return 2;
    }
    if ((rc = check_resumed_settings(o, &R->t, cfg, kind == OFS_SCHED_ONECYCLE)) != 0) return rc;
    if (R->t.average)
        printf("resumed the %s average of %lld updates\n", o->swa_start >= 0 ? "SWA" : "EMA", (long long)R->avg.count);
    if (R->t.epoch >= o->epochs) {
        fprintf(stderr, PROG ": --epochs %d: %s is after epoch %lld already: expected --epochs above %lld\n",
                o->epochs, o->resume, (long long)R->t.epoch, (long long)R->t.epoch);
        return 2;
    }
    if (!state_finite(R, &e)) { fprintf(stderr, PROG ": --resume %s: %s\n", o->resume, e.msg); return 1; }
    R->resumed_epoch = R->t.epoch;
    printf("resumed from %s after epoch %lld (step %lld)\n", o->resume, (long long)R->t.epoch, (long long)R->t.step);
    return 0;
}

/* --kernel and --flush-denormal, which the library applies process-wide: before
   anything is read. Both are bad options (status 2) when the machine cannot do them. */
static int machine(const options *o)
{
    ofs_err e;
    if (o->kernel && ofs_gemm_set_kernel(o->kernel, &e) != OFS_OK) { fprintf(stderr, PROG ": --kernel: %s\n", e.msg); return 2; }
    if (o->flush && ofs_set_flush_denormal(1, &e) != OFS_OK) { fprintf(stderr, PROG ": --flush-denormal: %s\n", e.msg); return 2; }
    return 0;
}

/* The parameter groups: weights and biases (no decay on these); for Muon, which takes
   matrices only, the hidden matrices on Muon and everything else on AdamW; for
   Adafactor, one group per weight matrix with its shape (factored), then the biases. */
static ofs_status make_trainer(run *R, const ofs_optim_config *cfg, const ofs_rng *rng, ofs_err *e)
{
    const ofs_optim_config adamw = rest_config(&R->o);
    const int shape = ofs_optim_wants_shape(cfg->kind);
    if (shape == 2) return ofs_trainer_create_layers(&R->t, &R->m, &adamw, cfg, R->o.batch, R->train.n, rng, e);
    if (shape == 1) return ofs_trainer_create_layers(&R->t, &R->m, cfg, NULL, R->o.batch, R->train.n, rng, e);
    return ofs_trainer_create(&R->t, &R->m, cfg, 0, R->o.batch, R->train.n, rng, e);
}

/* --accumulate, --lookahead, --sam and --asam on the trainer (Lookahead's slow weights
   start as the initial ones); 0, or 1. */
static int setup_wrappers(run *R)
{
    const options *o = &R->o;
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_err e;
    R->t.accumulate = o->accumulate;
    lc.k = o->la_k; lc.alpha = o->la_alpha;
    sc.rho = o->rho; sc.adaptive = o->given[F_ASAM]; sc.eta = o->eta;
    if ((o->la_k && ofs_lookahead_init(&R->la, &lc, R->m.params, R->m.nparams, &e) != OFS_OK) ||
        (o->rho >= 0 && ofs_sam_init(&R->sam, &sc, R->m.nparams, &e) != OFS_OK)) {
        fprintf(stderr, PROG ": %s\n", e.msg);
        return 1;
    }
    if (o->la_k) R->t.lookahead = &R->la;
    if (o->rho >= 0) R->t.sam = &R->sam;
    return 0;
}

/* The wrappers and accumulation, in the banner. */
static void print_wrappers(const run *R)
{
    const options *o = &R->o;
    if (o->accumulate > 1)
        printf("accumulate: %d batches of %d per step (%d examples)\n", o->accumulate, o->batch, o->accumulate * o->batch);
    if (o->la_k) printf("Lookahead: k %d, alpha %g (the slow weights are tested)\n", o->la_k, o->la_alpha);
    if (o->given[F_SAM]) printf("SAM: rho %g, two gradients per step\n", o->rho);
    if (o->given[F_ASAM]) printf("ASAM: rho %g, eta %g, two gradients per step\n", o->rho, o->eta);
}

/* Optimizer steps per epoch: batches of --batch, --accumulate of them per step. */
static int64_t steps_per_epoch(const run *R)
{
    const size_t per = (size_t)R->o.batch * (size_t)R->o.accumulate;
    return (int64_t)((R->train.n + per - 1) / per);
}

static int setup(run *R)
{
    const options *o = &R->o;
    int sizes[OFS_MLP_MAX_LAYERS + 1], l, rc;
    ofs_optim_config cfg;
    ofs_sched_kind kind;
    ofs_act act;
    ofs_rng rng;
    ofs_err e;
    char msg[MSG];
    int64_t per_epoch, total;
    const char *hint = " (run from the repository root; make creates out/)";
    R->saved_epoch = R->resumed_epoch = -1;
    if (check_options(o, msg)) { fprintf(stderr, PROG ": %s\n", msg); return 2; }
    if (make_optim_config(o, &cfg, msg) || sched_kind(o, &kind, msg)) { fprintf(stderr, PROG ": %s\n", msg); return 2; }
    ofs_act_from_name(o->act, &act, &e);
    if (check_out_path("output", "out/ch15_curves.dat", 1, hint) || (o->save && check_out_path("--save", o->save, 1, "")) ||
        (o->log && check_out_path("--log", o->log, 0, "")))
        return 2;
    if (o->log) {
        if (out_open(&R->log, o->log, 0)) return 1;
        out_printf(&R->log, "epoch,step,train_loss,train_acc,test_loss,test_acc,lr,seconds\n");
        if (out_flush(&R->log)) return 1;
    }
    if ((rc = load_data(o, &R->train, &R->test)) != 0) return rc;
    if ((size_t)o->batch > R->train.n) {
        fprintf(stderr, PROG ": --batch: expected at most the %lu training images, found %d\n", (unsigned long)R->train.n, o->batch);
        return 2;
    }
    sizes[0] = R->train.dim;
    for (l = 0; l < o->nhidden; l++) sizes[l + 1] = o->hidden[l];
    sizes[o->nhidden + 1] = 10;
    if (ofs_mlp_create(&R->m, sizes, o->nhidden + 2, act, o->batch, &e) != OFS_OK) { fprintf(stderr, PROG ": %s\n", e.msg); return 1; }
    ofs_rng_seed(&rng, o->seed);
    ofs_mlp_randomize(&R->m, act == OFS_ACT_RELU ? OFS_INIT_HE : OFS_INIT_XAVIER, &rng);
    if (make_trainer(R, &cfg, &rng, &e) != OFS_OK) { fprintf(stderr, PROG ": %s\n", e.msg); return 1; }
    if (setup_wrappers(R)) return 1;
    per_epoch = steps_per_epoch(R);
    total = per_epoch * o->epochs;
    if (make_sched(o, total, per_epoch, &R->sched, msg) || check_sched_with(&R->sched, &cfg, total, msg)) {
        fprintf(stderr, PROG ": %s\n", msg);
        return 2;
    }
    R->t.schedule = ofs_sched_callback; R->t.schedule_ctx = &R->sched;
    if (setup_average(R, per_epoch)) return 1;
    if (o->resume && (rc = resume(R, &cfg, kind)) != 0) return rc;
    R->pred = (unsigned char *)malloc(R->test.n);
    if (!R->pred) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
    if (out_open(&R->curves, "out/ch15_curves.dat", 1)) return 1;
    out_printf(&R->curves, "# epoch train_loss train_acc test_loss test_acc lr seconds\n");
    printf("model "); print_sizes(&R->m);
    printf(" %s (%lu parameters), ", ofs_act_name(act), (unsigned long)R->m.nparams);
    if (ofs_optim_wants_shape(cfg.kind) == 2) printf("%s lr %g on the hidden matrices, adamw on the rest: ", ofs_optim_name(cfg.kind), o->muon_lr);
    printf("%s lr %g wd %g (not on biases), %s, batch %d, %d epochs, seed %lu\n",
           ofs_optim_name(R->t.opt[0].cfg.kind), o->lr, R->t.opt[0].cfg.weight_decay, o->sched, o->batch, o->epochs, (unsigned long)o->seed);
#ifdef _OPENMP
    printf("threads: %d, ", omp_get_max_threads());
#endif
    printf("matrix kernel: %s%s\n", ofs_gemm_kernel(), o->flush ? ", subnormals flushed to zero" : "");
    if (o->swa_start >= 0)
        printf("SWA: after epoch %d, the rate anneals to %g over one epoch and each epoch's weights join the average\n",
               o->swa_start, R->swa.swalr.swa_lr);
    if (o->ema_decay > 0) printf("EMA: the weights' moving average after every step, decay %g\n", o->ema_decay);
    print_wrappers(R);
    return 0;
}

static int train(run *R)
{
    const options *o = &R->o;
    double t_all = now();
    ofs_err e;
    while (R->t.epoch < o->epochs) {
        ofs_epoch_stats st;
        size_t correct;
        double t0 = now(), test_loss, sec, acc, avg_loss, avg_acc;
        if (ofs_trainer_epoch(&R->t, R->train.x, R->train.y, &st, &e) != OFS_OK) {
            fprintf(stderr, PROG ": %s\n", e.msg);
            say_last_good(R);
            return 1;
        }
        if (!state_finite(R, &e)) {
            fprintf(stderr, PROG ": epoch %lld: its last steps made the state non-finite (%s): the run stops, this state "
                    "is not saved\n", (long long)R->t.epoch, e.msg);
            say_last_good(R);
            return 1;
        }
        test_loss = ofs_mlp_evaluate(test_model(R), R->test.x, R->test.y, R->test.n, &correct, NULL);
        acc = (double)correct / (double)R->test.n;
        sec = now() - t0;
        printf("epoch %2lld/%d  loss %.4f  train %6.2f%%  test %6.2f%% (loss %.4f)  lr %.2e  %.2f s\n",
               (long long)R->t.epoch, o->epochs, st.loss, 100 * st.accuracy, 100.0 * acc, test_loss, st.lr, sec);
        if (evaluate_average(R, &avg_loss, &avg_acc, NULL))
            printf("          averaged weights (%lld updates): test %6.2f%% (loss %.4f)\n", (long long)R->avg.count,
                   100.0 * avg_acc, avg_loss);
        fflush(stdout);
        out_printf(&R->curves, "%lld %.6f %.6f %.6f %.6f %.6e %.3f\n", (long long)R->t.epoch, st.loss, st.accuracy,
                   test_loss, acc, st.lr, sec);
        if (R->log.f) {
            out_printf(&R->log, "%lld,%lld,%.6f,%.6f,%.6f,%.6f,%.6e,%.3f\n", (long long)R->t.epoch, (long long)R->t.step,
                       st.loss, st.accuracy, test_loss, acc, st.lr, sec);
            if (out_flush(&R->log)) { say_last_good(R); return 1; }
        }
        if (o->save) {
            if (ofs_trainer_save(&R->t, o->save, &e) != OFS_OK) {
                print_err("--save: ", &e);
                say_last_good(R);
                return 1;
            }
            R->saved_epoch = R->t.epoch;
        }
    }
    printf("training time %.1f s\n", now() - t_all);
    return 0;
}

/* The rate of every step of the run, as the trainer's schedule gave it (for the
   figure: the warmup lasts one epoch, too short to see at one point per epoch). */
static int write_rates(run *R)
{
    outfile f;
    ofs_optim_config c = R->t.opt[0].cfg;
    int64_t k, per_epoch = steps_per_epoch(R);
    if (out_open(&f, "out/ch15_lr.dat", 1)) return -1;
    out_printf(&f, "# step epoch lr   (the rate of optimizer step k + 1)\n");
    for (k = 0; k < per_epoch * R->o.epochs && !f.err; k++)
        if (R->t.schedule(k, &c, R->t.schedule_ctx, NULL) == OFS_OK)
            out_printf(&f, "%lld %.6f %.9g\n", (long long)k, (double)k / (double)per_epoch, c.lr);
    return out_close(&f);
}

static int report(run *R)
{
    int C[10][10];
    size_t correct;
    double loss, acc;
    ofs_mlp_evaluate(test_model(R), R->test.x, R->test.y, R->test.n, &correct, R->pred);
    printf("test accuracy%s: %.2f%% (%lu of %lu)\n", schedule_free(R) ? " (Schedule-Free's x)" : "",
           100.0 * (double)correct / (double)R->test.n,
           (unsigned long)correct, (unsigned long)R->test.n);
    if (evaluate_average(R, &loss, &acc, NULL))
        printf("averaged weights (%s, %lld updates): test accuracy %.2f%% (%.0f of %lu), loss %.4f\n",
               R->o.swa_start >= 0 ? "SWA" : "EMA", (long long)R->avg.count, 100.0 * acc, acc * (double)R->test.n,
               (unsigned long)R->test.n, loss);
    confusion(&R->test, R->pred, C);
    print_confusion(C);
    if (out_close(&R->curves) || write_confusion(C) || write_misclassified(&R->test, R->pred) || write_rates(R)) return 1;
    printf("wrote out/ch15_curves.dat, out/ch15_confusion.dat, out/ch15_misclassified.dat, out/ch15_lr.dat\n");
    return 0;
}

int main(int argc, char **argv)
{
    run R;
    int rc;
    char msg[MSG];
    memset(&R, 0, sizeof R);
    rc = parse_args(argc, argv, &R.o, msg);
    if (rc == 1) { usage(); return fflush(stdout) != 0 || ferror(stdout) ? 1 : 0; }
    if (rc != 0) { fprintf(stderr, PROG ": %s\n", msg); return 2; }
#ifdef _OPENMP
    if (R.o.threads) omp_set_num_threads(R.o.threads);
#endif
    rc = machine(&R.o);
    if (rc == 0) rc = setup(&R);
    if (rc == 0) rc = train(&R);
    if (rc == 0) rc = report(&R);
    out_abort(&R.curves);             /* not renamed into place unless the run finished */
    if (R.log.f && out_close(&R.log) && rc == 0) rc = 1;
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) {
        fprintf(stderr, PROG ": writing to the standard output failed: %s\n", strerror(errno));
        rc = 1;
    }
    free(R.pred);
    ofs_trainer_free(&R.t);
    ofs_mlp_free(&R.m);
    if (R.avg.avg) ofs_average_free(&R.avg);
    if (R.la.slow) ofs_lookahead_free(&R.la);
    if (R.sam.x) ofs_sam_free(&R.sam);
    if (R.eval.params) ofs_mlp_free(&R.eval);
    ofs_dataset_free(&R.train);
    ofs_dataset_free(&R.test);
    return rc;
}

#endif /* OFS_EXAMPLE_NO_MAIN */
