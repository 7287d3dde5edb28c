/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. examples/ch15_mnist.c -o ch15_mnist -lm */
/* Chapter 15: a multi-layer perceptron on MNIST, trained from scratch.
   784 -> 256 (ReLU) -> 10 logits, softmax cross-entropy, hand-written backprop,
   AdamW (no weight decay on biases) with a linear warmup and a cosine decay.
   Prints one line per epoch, the test accuracy and the confusion matrix, and
   writes out/ch15_curves.dat, out/ch15_confusion.dat, out/ch15_misclassified.dat.
   `./ch15_mnist --help` lists the options; `make data` downloads MNIST. */
#define _POSIX_C_SOURCE 199309L
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define PROG "ch15_mnist"
#define MAX_SETS 16

typedef struct options {
    const char *optim, *sched, *act, *data, *log, *save, *resume;
    double lr, wd, warmup;             /* warmup in epochs (warmup_cosine and --warmup) */
    int epochs, batch, threads, smoke;
    int hidden[OFS_MLP_MAX_LAYERS], nhidden;
    uint64_t seed;
    const char *set_key[MAX_SETS];     /* --set KEY=VALUE: any optimizer hyperparameter */
    double set_val[MAX_SETS];
    int nset;
    char set_buf[MAX_SETS][64];
} options;

static void usage(void)
{
    printf("usage: " PROG " [options]\n"
           "Train a multi-layer perceptron on MNIST (chapter 15 of the optimfs.h tutorial).\n\n"
           "  --optim NAME     optimizer: sgd, adagrad, rmsprop, adadelta, adam, adamw, adamax,\n"
           "                   nadam, radam, lion, yogi, lamb, adabelief          (adamw)\n"
           "  --sched NAME     learning-rate schedule: warmup_cosine, cosine, constant, step,\n"
           "                   exponential, polynomial, linear, onecycle, sqrt    (warmup_cosine)\n"
           "  --lr X           peak learning rate                                  (4e-3)\n"
           "  --wd X           weight decay (never on biases)                      (0.05)\n"
           "  --warmup E       linear warmup over E epochs (warmup_cosine: 1)     (0)\n"
           "  --set KEY=VALUE  any optimizer setting by name, e.g. beta2=0.99, momentum=0.9\n"
           "  --epochs N       passes over the training set                        (8)\n"
           "  --batch N        examples per step                                   (128)\n"
           "  --hidden LIST    hidden layer widths, e.g. 256 or 512,256; 0 for none (256)\n"
           "  --act NAME       hidden activation: relu, tanh, sigmoid, identity    (relu)\n"
           "  --seed N         seed of the initialisation and of the data order    (1)\n"
           "  --data DIR       the four MNIST files (train-images-idx3-ubyte, ...) (data/mnist)\n"
           "  --log FILE       also write a CSV line per epoch to FILE\n"
           "  --save FILE      save a checkpoint after every epoch\n"
           "  --resume FILE    continue the run saved in FILE (same settings)\n"
           "  --threads N      OpenMP threads (default: all)\n"
           "  --smoke          a short run on a small generated data set (or the first\n"
           "                   images of --data DIR when given)\n"
           "  --help           this text\n");
}

static void die_usage(const char *flag, const char *what, const char *found)
{
    fprintf(stderr, PROG ": %s: expected %s, found '%s' (see --help)\n", flag, what, found);
    exit(2);
}

static double parse_real(const char *flag, const char *s, double lo, const char *what)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo) || v - v != 0) die_usage(flag, what, s);
    return v;
}

static long parse_int(const char *flag, const char *s, long lo, long hi, const char *what)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) die_usage(flag, what, s);
    return v;
}

static void parse_hidden(options *o, const char *s)
{
    const char *p = s;
    o->nhidden = 0;
    if (strcmp(s, "0") == 0) return;
    while (*p) {
        char *end, num[32];
        size_t len = strcspn(p, ",");
        long v;
        if (len == 0 || len >= sizeof num || o->nhidden == OFS_MLP_MAX_LAYERS - 1)
            die_usage("--hidden", "1 to 7 comma-separated widths like 512,256", s);
        memcpy(num, p, len); num[len] = 0;
        v = strtol(num, &end, 10);
        if (*end || v < 1 || v > 100000) die_usage("--hidden", "widths from 1 to 100000, like 512,256", s);
        o->hidden[o->nhidden++] = (int)v;
        p += len;
        if (*p == ',') { p++; if (!*p) die_usage("--hidden", "a width after each comma", s); }
    }
}

static void parse_set(options *o, const char *s)
{
    const char *eq = strchr(s, '=');
    size_t len = eq ? (size_t)(eq - s) : 0;
    if (!eq || len == 0 || len >= sizeof o->set_buf[0] || o->nset == MAX_SETS)
        die_usage("--set", "KEY=VALUE with an optimizer setting such as beta2=0.99", s);
    memcpy(o->set_buf[o->nset], s, len); o->set_buf[o->nset][len] = 0;
    o->set_key[o->nset] = o->set_buf[o->nset];
    o->set_val[o->nset] = parse_real("--set", eq + 1, -1e300, "KEY=VALUE with a numeric VALUE");
    o->nset++;
}

/* The options that take a value, each followed by a space. */
#define VALUE_FLAGS " --optim --sched --act --data --log --save --resume --lr --wd --warmup --epochs --batch --threads --seed --hidden --set "

static int takes_value(const char *a)
{
    char key[40];
    return strlen(a) < sizeof key - 2 && !strchr(a, ' ') && sprintf(key, " %s ", a) > 0 && strstr(VALUE_FLAGS, key) != NULL;
}

static void parse(int argc, char **argv, options *o)
{
    int i;
    memset(o, 0, sizeof *o);
    o->optim = "adamw"; o->sched = "warmup_cosine"; o->act = "relu"; o->data = NULL;
    o->lr = 4e-3; o->wd = 0.05; o->warmup = -1; o->epochs = -1; o->batch = 128; o->seed = 1;
    o->hidden[0] = 256; o->nhidden = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { usage(); exit(0); }
        if (strcmp(a, "--smoke") == 0) { o->smoke = 1; continue; }
        if (strncmp(a, "--", 2) != 0) die_usage(a, "an option starting with --", a);
        if (!takes_value(a)) { fprintf(stderr, PROG ": unknown option '%s' (see --help)\n", a); exit(2); }
        if (i + 1 >= argc) { fprintf(stderr, PROG ": %s: expected a value after it (see --help)\n", a); exit(2); }
        v = argv[++i];
        if (strcmp(a, "--optim") == 0) o->optim = v;
        else if (strcmp(a, "--sched") == 0) o->sched = v;
        else if (strcmp(a, "--act") == 0) o->act = v;
        else if (strcmp(a, "--data") == 0) o->data = v;
        else if (strcmp(a, "--log") == 0) o->log = v;
        else if (strcmp(a, "--save") == 0) o->save = v;
        else if (strcmp(a, "--resume") == 0) o->resume = v;
        else if (strcmp(a, "--lr") == 0) o->lr = parse_real(a, v, 0, "a learning rate >= 0");
        else if (strcmp(a, "--wd") == 0) o->wd = parse_real(a, v, 0, "a weight decay >= 0");
        else if (strcmp(a, "--warmup") == 0) o->warmup = parse_real(a, v, 0, "a number of epochs >= 0");
        else if (strcmp(a, "--epochs") == 0) o->epochs = (int)parse_int(a, v, 1, 100000, "a number of epochs from 1 to 100000");
        else if (strcmp(a, "--batch") == 0) o->batch = (int)parse_int(a, v, 1, 1 << 20, "a batch size from 1 to 1048576");
        else if (strcmp(a, "--threads") == 0) o->threads = (int)parse_int(a, v, 1, 4096, "a thread count from 1 to 4096");
        else if (strcmp(a, "--seed") == 0) o->seed = (uint64_t)parse_int(a, v, 0, 2147483647L, "a seed from 0 to 2147483647");
        else if (strcmp(a, "--hidden") == 0) parse_hidden(o, v);
        else if (strcmp(a, "--set") == 0) parse_set(o, v);
        else { fprintf(stderr, PROG ": unknown option '%s' (see --help)\n", a); exit(2); }
    }
    if (o->epochs < 0) o->epochs = o->smoke ? 3 : 8;
}

static double now(void)
{
#ifdef _OPENMP
    return omp_get_wtime();
#elif defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, PROG ": cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
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
            return -1;
        }
        printf("smoke run: 2000 generated training images, 500 test images\n");
    }
    if (ofs_mnist_load_dir(dir, tr, train, &e) != OFS_OK || ofs_mnist_load_dir(dir, te, test, &e) != OFS_OK) {
        fprintf(stderr, PROG ": %s\n", e.msg);
        if (e.status == OFS_ERR_IO) fprintf(stderr, PROG ": run `make data` to download MNIST, or give --data DIR (or --smoke)\n");
        return -1;
    }
    if (o->smoke && o->data) {
        if (train->n > 2000) train->n = 2000;
        if (test->n > 500) test->n = 500;
        printf("smoke run: the first %lu training and %lu test images\n", (unsigned long)train->n, (unsigned long)test->n);
    }
    return 0;
}

/* ---- the learning-rate schedule ------------------------------------------- */

/* The kind --sched names (warmup_cosine is cosine after a warmup); checked before
   the data are loaded, so that a typo is reported at once. */
static int sched_kind(const options *o, ofs_sched_kind *kind)
{
    ofs_err e;
    int warm_cos = strcmp(o->sched, "warmup_cosine") == 0;
    if (ofs_sched_kind_from_name(warm_cos ? "cosine" : o->sched, kind, &e) != OFS_OK) {
        fprintf(stderr, PROG ": --sched: %s, or warmup_cosine\n", e.msg);
        return 2;
    }
    if (*kind == OFS_SCHED_MULTISTEP || *kind == OFS_SCHED_PIECEWISE || *kind == OFS_SCHED_SEQUENTIAL || *kind == OFS_SCHED_CHAINED) {
        fprintf(stderr, PROG ": --sched: expected a schedule without milestones or children, found '%s'\n", o->sched);
        return 2;
    }
    return 0;
}

/* --sched NAME over a run of `total` steps of which `per_epoch` make an epoch. */
static int make_sched(const options *o, int64_t total, int64_t per_epoch, ofs_sched *s)
{
    ofs_sched_kind kind;
    ofs_err e;
    int warm_cos = strcmp(o->sched, "warmup_cosine") == 0, rc;
    double warmup = o->warmup >= 0 ? o->warmup : warm_cos ? 1.0 : 0.0;   /* epochs */
    if ((rc = sched_kind(o, &kind)) != 0) return rc;
    *s = ofs_sched_defaults(kind, o->lr);
    s->warmup_steps = (int64_t)(warmup * (double)per_epoch + 0.5);
    if (o->warmup < 0 && s->warmup_steps > total / 5) s->warmup_steps = total / 5;   /* short runs: a fifth */
    if (kind == OFS_SCHED_STEP) s->step_size = (total - s->warmup_steps + 2) / 3;    /* x0.1 at 1/3 and 2/3 */
    if (kind == OFS_SCHED_EXPONENTIAL) s->gamma = pow(0.01, 1.0 / (double)(total - s->warmup_steps));  /* to 1% */
    if (kind == OFS_SCHED_LINEAR) { s->start_factor = 1; s->end_factor = 0; }          /* linear decay to 0 */
    if (ofs_sched_set_run(s, total, &e) != OFS_OK) {
        fprintf(stderr, PROG ": --sched/--warmup/--epochs: %s\n", e.msg);
        return 2;
    }
    return 0;
}

/* ---- the model and the trainer --------------------------------------------- */

static int make_optim_config(const options *o, ofs_optim_config *cfg)
{
    ofs_optim_kind kind;
    ofs_err e;
    int k;
    if (ofs_optim_kind_from_name(o->optim, &kind, &e) != OFS_OK) { fprintf(stderr, PROG ": --optim: %s\n", e.msg); return 2; }
    *cfg = ofs_optim_defaults(kind);
    cfg->lr = o->lr; cfg->weight_decay = o->wd;
    for (k = 0; k < o->nset; k++)
        if (ofs_optim_config_set(cfg, o->set_key[k], o->set_val[k], &e) != OFS_OK) {
            fprintf(stderr, PROG ": --set %s: %s\n", o->set_key[k], e.msg);
            return 2;
        }
    if (ofs_optim_validate(cfg, &e) != OFS_OK) { fprintf(stderr, PROG ": --optim/--lr/--wd/--set: %s\n", e.msg); return 2; }
    return 0;
}

static void print_sizes(const ofs_mlp *m)
{
    int l;
    for (l = 0; l <= m->nlayers; l++) printf("%s%d", l ? "-" : "", m->sizes[l]);
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
    FILE *f = open_out("out/ch15_confusion.dat");
    int t, p;
    if (!f) return -1;
    fprintf(f, "# true pred count fraction_of_true_class\n");
    for (t = 0; t < 10; t++) {
        int row = 0;
        for (p = 0; p < 10; p++) row += C[t][p];
        for (p = 0; p < 10; p++) fprintf(f, "%d %d %d %.6f\n", t, p, C[t][p], row ? (double)C[t][p] / row : 0.0);
        fprintf(f, "\n");
    }
    fclose(f);
    return 0;
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

/* The first 24 misclassified test digits as one image: a 6 x 4 grid of 28 x 28
   digits with 2-pixel gaps (index 0: "x y gray", y down), then their labels
   (index 1: "x y true pred"), for gnuplot's "with image" and "with labels". */
static int write_misclassified(const ofs_dataset *test, const unsigned char *pred)
{
    enum { GC = 6, GR = 4, CELL = 30 };
    size_t idx[GC * GR], i;
    int n = 0, X, Y, k;
    FILE *f;
    for (i = 0; i < test->n && n < GC * GR; i++) if (pred[i] != test->y[i]) idx[n++] = i;
    if (!(f = open_out("out/ch15_misclassified.dat"))) return -1;
    fprintf(f, "# x y gray: %d misclassified test digits, %d per row, %d pixels apart\n", n, GC, CELL);
    for (Y = 0; Y < GR * CELL; Y++) {
        for (X = 0; X < GC * CELL; X++) {
            int cell = (Y / CELL) * GC + X / CELL, x = X % CELL - 1, y = Y % CELL - 1;
            double v = 0;
            if (cell < n && x >= 0 && x < 28 && y >= 0 && y < 28)
                v = (double)test->x[idx[cell] * (size_t)test->dim + (size_t)(y * 28 + x)];
            fprintf(f, "%d %d %.4f\n", X, Y, v);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n\n# x y true pred index\n");
    for (k = 0; k < n; k++)
        fprintf(f, "%d %d %d %d %lu\n", (k % GC) * CELL + 15, (k / GC) * CELL + 1, test->y[idx[k]], pred[idx[k]], (unsigned long)idx[k]);
    fclose(f);
    return 0;
}

/* ---- main ------------------------------------------------------------------ */

typedef struct run {
    options o;
    ofs_dataset train, test;
    ofs_mlp m;
    ofs_trainer t;
    ofs_sched sched;
    unsigned char *pred;
    FILE *curves, *log;
} run;

static int setup(run *R)
{
    const options *o = &R->o;
    int sizes[OFS_MLP_MAX_LAYERS + 1], l, rc;
    ofs_optim_config cfg;
    ofs_act act;
    ofs_rng rng;
    ofs_err e;
    int64_t per_epoch;
    if (ofs_act_from_name(o->act, &act, &e) != OFS_OK) { fprintf(stderr, PROG ": --act: %s\n", e.msg); return 2; }
    ofs_sched_kind kind;
    if ((rc = make_optim_config(o, &cfg)) != 0) return rc;
    if ((rc = sched_kind(o, &kind)) != 0) return rc;
    if (load_data(o, &R->train, &R->test)) return 1;
    sizes[0] = R->train.dim;
    for (l = 0; l < o->nhidden; l++) sizes[l + 1] = o->hidden[l];
    sizes[o->nhidden + 1] = 10;
    if (ofs_mlp_create(&R->m, sizes, o->nhidden + 2, act, o->batch, &e) != OFS_OK) { fprintf(stderr, PROG ": %s\n", e.msg); return 1; }
    ofs_rng_seed(&rng, o->seed);
    ofs_mlp_randomize(&R->m, act == OFS_ACT_RELU ? OFS_INIT_HE : OFS_INIT_XAVIER, &rng);
    if (ofs_trainer_create(&R->t, &R->m, &cfg, 0, o->batch, R->train.n, &rng, &e) != OFS_OK) { fprintf(stderr, PROG ": %s\n", e.msg); return 1; }
    per_epoch = (int64_t)((R->train.n + (size_t)o->batch - 1) / (size_t)o->batch);
    if ((rc = make_sched(o, per_epoch * o->epochs, per_epoch, &R->sched)) != 0) return rc;
    R->t.schedule = ofs_sched_callback; R->t.schedule_ctx = &R->sched;
    if (o->resume) {
        if (ofs_trainer_load(&R->t, o->resume, &e) != OFS_OK) { fprintf(stderr, PROG ": --resume: %s\n", e.msg); return 1; }
        printf("resumed from %s after epoch %lld (step %lld)\n", o->resume, (long long)R->t.epoch, (long long)R->t.step);
    }
    R->pred = (unsigned char *)malloc(R->test.n);
    if (!R->pred) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
    if (!(R->curves = open_out("out/ch15_curves.dat"))) return 1;
    fprintf(R->curves, "# epoch train_loss train_acc test_loss test_acc lr seconds\n");
    if (o->log) {
        if (!(R->log = fopen(o->log, "w"))) { fprintf(stderr, PROG ": --log: cannot open %s for writing\n", o->log); return 1; }
        fprintf(R->log, "epoch,step,train_loss,train_acc,test_loss,test_acc,lr,seconds\n");
    }
    printf("model "); print_sizes(&R->m);
    printf(" %s (%lu parameters), %s lr %g wd %g (not on biases), %s, batch %d, %d epochs, seed %lu\n",
           ofs_act_name(act), (unsigned long)R->m.nparams, ofs_optim_name(cfg.kind), o->lr, o->wd, o->sched,
           o->batch, o->epochs, (unsigned long)o->seed);
#ifdef _OPENMP
    printf("threads: %d\n", omp_get_max_threads());
#endif
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
        double t0 = now(), test_loss, sec;
        if (ofs_trainer_epoch(&R->t, R->train.x, R->train.y, &st, &e) != OFS_OK) {
            fprintf(stderr, PROG ": %s\n", e.msg);
            if (o->save && R->t.epoch > 0)
                fprintf(stderr, PROG ": the last good checkpoint, %s (after epoch %lld), is intact\n", o->save, (long long)R->t.epoch);
            return 1;
        }
        test_loss = ofs_mlp_evaluate(&R->m, R->test.x, R->test.y, R->test.n, &correct, NULL);
        sec = now() - t0;
        printf("epoch %2lld/%d  loss %.4f  train %6.2f%%  test %6.2f%% (loss %.4f)  lr %.2e  %.2f s\n",
               (long long)R->t.epoch, o->epochs, st.loss, 100 * st.accuracy, 100.0 * (double)correct / (double)R->test.n,
               test_loss, st.lr, sec);
        fflush(stdout);
        fprintf(R->curves, "%lld %.6f %.6f %.6f %.6f %.6e %.3f\n", (long long)R->t.epoch, st.loss, st.accuracy,
                test_loss, (double)correct / (double)R->test.n, st.lr, sec);
        if (R->log) fprintf(R->log, "%lld,%lld,%.6f,%.6f,%.6f,%.6f,%.6e,%.3f\n", (long long)R->t.epoch, (long long)R->t.step,
                            st.loss, st.accuracy, test_loss, (double)correct / (double)R->test.n, st.lr, sec);
        if (o->save && ofs_trainer_save(&R->t, o->save, &e) != OFS_OK) { fprintf(stderr, PROG ": --save: %s\n", e.msg); return 1; }
    }
    printf("training time %.1f s\n", now() - t_all);
    return 0;
}

static int report(run *R)
{
    int C[10][10];
    size_t correct;
    ofs_mlp_evaluate(&R->m, R->test.x, R->test.y, R->test.n, &correct, R->pred);
    printf("test accuracy: %.2f%% (%lu of %lu)\n", 100.0 * (double)correct / (double)R->test.n,
           (unsigned long)correct, (unsigned long)R->test.n);
    confusion(&R->test, R->pred, C);
    print_confusion(C);
    if (write_confusion(C) || write_misclassified(&R->test, R->pred)) return 1;
    printf("wrote out/ch15_curves.dat, out/ch15_confusion.dat, out/ch15_misclassified.dat\n");
    return 0;
}

int main(int argc, char **argv)
{
    run R;
    int rc;
    memset(&R, 0, sizeof R);
    parse(argc, argv, &R.o);
#ifdef _OPENMP
    if (R.o.threads) omp_set_num_threads(R.o.threads);
#endif
    rc = setup(&R);
    if (rc == 0) rc = train(&R);
    if (rc == 0) rc = report(&R);
    if (R.curves) fclose(R.curves);
    if (R.log) fclose(R.log);
    free(R.pred);
    ofs_trainer_free(&R.t);
    ofs_mlp_free(&R.m);
    ofs_dataset_free(&R.train);
    ofs_dataset_free(&R.test);
    return rc;
}
