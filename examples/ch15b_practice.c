/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. examples/ch15b_practice.c -o ch15b_practice -lm */
/* Chapter 15b: checking a training run. Chapter 15's 784-256-10 network on MNIST,
   with the checks every course teaches, each one measured:
     1. the loss before training, against ln 10;
     2. overfitting one small batch (and what a bug does to it);
     3. a learning-rate range test (Smith 2017), for AdamW and for SGD;
     4. loss curves and update-to-weight ratios at rates too low, right and too high;
     5. the gap between training and validation loss on a small training set;
     6. gradient clipping, with SGD at a rate where the unclipped run spikes and
        does not recover.
   Training uses the first 50,000 training images, validation the last 10,000 (the
   test set is never touched). Writes out/ch15b_*.dat for figures/ch15b_*.gp.
   --smoke: the same on 2000 generated digits (ofs_mnist_synthetic), shorter.
   `make data` downloads MNIST. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define PROG "ch15b_practice"
#define BATCH 128
#define HIDDEN 256

/* ---- the data: a training and a validation split of MNIST's training set ---------- */

typedef struct split { const ofs_real *x; const unsigned char *y; size_t n; } split;
typedef struct data { ofs_dataset all; split train, val; int dim; } data;

static int load(const char *dir, int smoke, data *D)
{
    ofs_err e;
    const char *set = "train";
    const int generated = smoke && !dir;
    size_t nval;
    if (generated) {
        dir = "out"; set = "ch15b_smoke-train";
        if (ofs_mnist_synthetic_save("out/ch15b_smoke-train-images-idx3-ubyte", "out/ch15b_smoke-train-labels-idx1-ubyte",
                                     2000, 11, &e) != OFS_OK) {
            fprintf(stderr, PROG ": %s (run from the repository root; make creates out/)\n", e.msg);
            return 1;
        }
    }
    if (ofs_mnist_load_dir(dir ? dir : "data/mnist", set, &D->all, &e) != OFS_OK) {
        fprintf(stderr, PROG ": %s\n", e.msg);
        if (e.status == OFS_ERR_IO) fprintf(stderr, PROG ": run `make data` to download MNIST, or give --data DIR (or --smoke)\n");
        return 1;
    }
    if (smoke && D->all.n > 2000) D->all.n = 2000;
    if (D->all.n < 1200) {
        fprintf(stderr, PROG ": expected at least 1200 training images, found %lu\n", (unsigned long)D->all.n);
        return 1;
    }
    nval = D->all.n / 6;                       /* MNIST: 10,000 of 60,000 */
    D->dim = D->all.dim;
    D->train.x = D->all.x; D->train.y = D->all.y; D->train.n = D->all.n - nval;
    D->val.x = D->all.x + D->train.n * (size_t)D->dim; D->val.y = D->all.y + D->train.n; D->val.n = nval;
    printf("%s: %lu training images (the first %lu for training, the last %lu for validation; the test set is not used)\n",
           generated ? "smoke run, generated digits" : "MNIST", (unsigned long)D->all.n, (unsigned long)D->train.n,
           (unsigned long)D->val.n);
    return 0;
}

/* ---- a network, its two optimizers (weights, biases) and its batches -------------- */

typedef struct net {
    ofs_mlp m;
    ofs_optim opt[2];            /* opt[0] the weights [0, nweights), opt[1] the biases: no decay */
    ofs_rng rng;                 /* the initialisation, then each epoch's order */
    uint32_t *order;
    size_t n, pos;               /* examples drawn from, and the next position in order */
    ofs_real *xb, *prev;         /* a batch's rows; the weights before a step */
    unsigned char *yb;
} net;

static void net_free(net *N)
{
    ofs_mlp_free(&N->m);
    ofs_optim_free(&N->opt[0]); ofs_optim_free(&N->opt[1]);
    free(N->order); free(N->xb); free(N->prev); free(N->yb);
    memset(N, 0, sizeof *N);
}

/* Chapter 15's network, He-initialised from seed, over n training examples. */
static int net_create(net *N, int dim, const ofs_optim_config *cfg, size_t n, uint64_t seed)
{
    int sizes[3];
    size_t i;
    ofs_optim_config bias = *cfg;
    ofs_err e;
    memset(N, 0, sizeof *N);
    sizes[0] = dim; sizes[1] = HIDDEN; sizes[2] = 10;
    bias.weight_decay = 0;
    if (ofs_mlp_create(&N->m, sizes, 3, OFS_ACT_RELU, BATCH, &e) != OFS_OK ||
        ofs_optim_init(&N->opt[0], cfg, N->m.nweights, &e) != OFS_OK ||
        ofs_optim_init(&N->opt[1], &bias, N->m.nparams - N->m.nweights, &e) != OFS_OK) {
        fprintf(stderr, PROG ": %s\n", e.msg);
        return 1;
    }
    N->n = n; N->pos = n;
    N->order = (uint32_t *)malloc(n * sizeof *N->order);
    N->xb = (ofs_real *)malloc((size_t)BATCH * (size_t)dim * sizeof *N->xb);
    N->prev = (ofs_real *)malloc(N->m.nparams * sizeof *N->prev);
    N->yb = (unsigned char *)malloc(BATCH);
    if (!N->order || !N->xb || !N->prev || !N->yb) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
    for (i = 0; i < n; i++) N->order[i] = (uint32_t)i;
    ofs_rng_seed(&N->rng, seed);
    ofs_mlp_randomize(&N->m, OFS_INIT_HE, &N->rng);
    return 0;
}

/* The next batch of up to BATCH examples of s, in a fresh order each epoch. */
static int next_batch(net *N, const split *s, int dim)
{
    int b = 0;
    if (N->pos >= N->n) { ofs_rng_shuffle(&N->rng, N->order, N->n); N->pos = 0; }
    for (; b < BATCH && N->pos < N->n; b++, N->pos++) {
        memcpy(N->xb + (size_t)b * (size_t)dim, s->x + (size_t)N->order[N->pos] * (size_t)dim, (size_t)dim * sizeof(ofs_real));
        N->yb[b] = s->y[N->order[N->pos]];
    }
    return b;
}

/* The Euclidean norm of n numbers, in double. */
static double norm2(const ofs_real *a, size_t n)
{
    double s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += (double)a[i] * (double)a[i];
    return sqrt(s);
}

/* What one step saw. */
typedef struct step_info {
    double loss, gnorm;          /* the batch loss; the gradient's norm before clipping */
    double ratio[2];             /* ||W_new - W_old|| / ||W_old||, layer 1 and layer 2 */
    int clipped;
} step_info;

/* flags: measure the ratios; and two bugs: the old gradient kept (no zero_grad), the
   weights' optimizer never called (only the biases train) */
enum { RATIOS = 1, KEEP_GRAD = 2, BIASES_ONLY = 4 };

/* One step on the rows x, y: loss and gradient, clipping to max_norm (0: none), the
   update at rate lr. 0, or 1 when the loss or the gradient is not finite (nothing
   moved then). */
static int train_step(net *N, const ofs_real *x, const unsigned char *y, int b, double lr, double max_norm, int flags,
                      step_info *s)
{
    ofs_mlp *m = &N->m;
    ofs_err e;
    int g, l;
    memset(s, 0, sizeof *s);
    if (!(flags & KEEP_GRAD)) ofs_mlp_zero_grad(m);
    s->loss = ofs_mlp_loss_grad(m, x, y, b, NULL);
    if (!(s->loss - s->loss == 0)) return 1;
    if (ofs_clip_grad_norm(m->grads, m->nparams, max_norm > 0 ? max_norm : HUGE_VAL, 2, &s->gnorm, &e) != OFS_OK) return 1;
    s->clipped = max_norm > 0 && s->gnorm > max_norm;
    if (flags & RATIOS) memcpy(N->prev, m->params, m->nweights * sizeof(ofs_real));
    for (g = (flags & BIASES_ONLY) ? 1 : 0; g < 2; g++) {
        size_t off = g ? m->nweights : 0;
        N->opt[g].cfg.lr = lr;
        if (ofs_optim_step(&N->opt[g], m->params + off, m->grads + off, &e) != OFS_OK) { fprintf(stderr, PROG ": %s\n", e.msg); return 1; }
    }
    for (l = 0; (flags & RATIOS) && l < 2; l++) {
        size_t i, off = m->w_off[l], len = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
        double d = 0;
        for (i = off; i < off + len; i++) d += ((double)m->params[i] - (double)N->prev[i]) * ((double)m->params[i] - (double)N->prev[i]);
        s->ratio[l] = sqrt(d) / norm2(N->prev + off, len);
    }
    return 0;
}

static double evaluate(net *N, const split *s, double *acc)
{
    size_t correct;
    double loss = ofs_mlp_evaluate(&N->m, s->x, s->y, s->n, &correct, NULL);
    *acc = (double)correct / (double)s->n;
    return loss;
}

/* Hidden units that are 0 on every image of s: dead ReLUs, which no gradient reaches. */
static int dead_units(net *N, const split *s)
{
    ofs_mlp *m = &N->m;
    const int H = m->sizes[1];
    char *alive = (char *)calloc((size_t)H, 1);
    size_t i, r;
    int j, dead = 0;
    if (!alive) return -1;
    for (i = 0; i < s->n; i += (size_t)m->max_batch) {
        int b = s->n - i < (size_t)m->max_batch ? (int)(s->n - i) : m->max_batch;
        ofs_mlp_forward(m, s->x + i * (size_t)m->sizes[0], b);
        for (r = 0; r < (size_t)b; r++)
            for (j = 0; j < H; j++) if (m->out[0][r * (size_t)H + (size_t)j] > 0) alive[j] = 1;
    }
    for (j = 0; j < H; j++) dead += !alive[j];
    free(alive);
    return dead;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of n values (sorted in place). */
static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[(size_t)(q * (double)(n - 1) + 0.5)];
}

/* An output file for the figures, named in messages. */
typedef struct ofile { FILE *f; const char *path; } ofile;

static int out_file(ofile *o, const char *path, const char *head)
{
    o->path = path;
    if (!(o->f = fopen(path, "w"))) {
        fprintf(stderr, PROG ": cannot write %s (run from the repository root; make creates out/)\n", path);
        return 1;
    }
    fprintf(o->f, "%s\n", head);
    return 0;
}

static int out_done(ofile *o)
{
    int bad;
    if (!o->f) return 0;
    bad = ferror(o->f) != 0;
    if (fclose(o->f) != 0 || bad) bad = 1;
    o->f = NULL;
    if (bad) fprintf(stderr, PROG ": writing %s failed\n", o->path);
    return bad;
}

static ofs_optim_config adamw(double wd)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAMW);
    c.weight_decay = wd;
    return c;
}

static ofs_optim_config sgd_momentum(void)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    c.momentum = 0.9;
    return c;
}

/* ---- 1. the loss before training ---------------------------------------------------- */

static int initial_loss(const data *D)
{
    ofs_optim_config c = adamw(0);
    net N;
    double acc, loss;
    size_t i;
    int l;
    printf("\n1. The loss before training (on the %lu validation images)\n", (unsigned long)D->val.n);
    printf("   ln 10                                        %.6f (every class at 1/10)\n", log(10.0));
    if (net_create(&N, D->dim, &c, D->train.n, 1)) return 1;
    loss = evaluate(&N, &D->val, &acc);
    printf("   He initialisation, N(0, 2/fan_in)            %.6f (accuracy %.2f%%)\n", loss, 100 * acc);
    for (l = 0; l < 2; l++) {                /* the same draws, scaled to N(0, 1) */
        double scale = 1.0 / sqrt(2.0 / (double)N.m.sizes[l]);
        for (i = N.m.w_off[l]; i < N.m.w_off[l] + (size_t)N.m.sizes[l] * (size_t)N.m.sizes[l + 1]; i++)
            N.m.params[i] = (ofs_real)((double)N.m.params[i] * scale);
    }
    loss = evaluate(&N, &D->val, &acc);
    printf("   weights N(0, 1), unscaled                    %.6f (accuracy %.2f%%)\n", loss, 100 * acc);
    memset(N.m.params + N.m.w_off[1], 0, (size_t)N.m.sizes[1] * (size_t)N.m.sizes[2] * sizeof(ofs_real));
    loss = evaluate(&N, &D->val, &acc);
    printf("   last layer's weights 0                       %.6f (accuracy %.2f%%)\n", loss, 100 * acc);
    net_free(&N);
    return 0;
}

/* ---- 2. overfitting one batch ------------------------------------------------------- */

static int overfit(const data *D, int steps)
{
    static const int at[] = {0, 10, 25, 50, 100, 200, 300};
    static const char *const names[3][2] = {{"loss", "accuracy"}, {"bug 1, only the biases step: loss", "accuracy"},
                                            {"bug 2, no zero_grad: loss", "accuracy"}};
    static const int bugs[3] = {0, BIASES_ONLY, KEEP_GRAD};
    const int B = 32;
    ofs_optim_config c = adamw(0);
    split one;
    int run, k, j;
    c.lr = 1e-3;
    one.x = D->train.x; one.y = D->train.y; one.n = (size_t)B;
    printf("\n2. Overfitting one batch: the first %d training images, AdamW lr %g, no weight decay, %d steps\n", B, c.lr, steps);
    printf("   %-34s", "step");
    for (j = 0; j < 7 && at[j] <= steps; j++) printf("%10d", at[j]);
    printf("\n");
    for (run = 0; run < 3; run++) {
        net N;
        step_info s;
        double loss[7] = {0}, acc[7] = {0};
        if (net_create(&N, D->dim, &c, D->train.n, 1)) return 1;
        for (k = 0, j = 0; k <= steps; k++) {
            if (k == at[j]) { loss[j] = evaluate(&N, &one, &acc[j]); j++; }
            if (k < steps && train_step(&N, one.x, one.y, B, c.lr, 0, bugs[run], &s)) break;
        }
        printf("   %-34s", names[run][0]);
        for (k = 0; k < j; k++) printf("%10.2e", loss[k]);
        printf("\n   %-34s", names[run][1]);
        for (k = 0; k < j; k++) printf("%9.2f%%", 100 * acc[k]);
        printf("\n");
        net_free(&N);
    }
    return 0;
}

/* ---- 3. the learning-rate range test ------------------------------------------------ */

/* lr from lo to hi, exponentially, over `steps` batches of a fresh network; the loss
   smoothed as fastai's finder smooths it (an EMA with beta 0.98, bias-corrected).
   Stops when the smoothed loss passes 4 times its lowest. One index of f per test. */
static int range_test(const data *D, const char *name, ofs_optim_config c, double lo, double hi, int steps, FILE *f)
{
    net N;
    step_info s;
    double avg = 0, sm = 0, prev = 0, best = HUGE_VAL, best_lr = lo, fall = 0, fall_lr = lo;
    int k, b, stop = 0;
    if (net_create(&N, D->dim, &c, D->train.n, 1)) return 1;
    fprintf(f, "# %s: step lr loss smoothed\n", name);
    printf("   %s, lr from %g to %g:\n   %6s %10s %10s %10s\n", name, lo, hi, "step", "lr", "loss", "smoothed");
    for (k = 0; k < steps && !stop; k++) {
        double lr = lo * pow(hi / lo, (double)k / (double)(steps - 1));
        b = next_batch(&N, &D->train, D->dim);
        if (train_step(&N, N.xb, N.yb, b, lr, 0, 0, &s)) { printf("   %6d %10.2e  not finite: stopped\n", k + 1, lr); break; }
        avg = 0.98 * avg + 0.02 * s.loss;
        sm = avg / (1 - pow(0.98, (double)(k + 1)));
        fprintf(f, "%d %.6e %.6f %.6f\n", k + 1, lr, s.loss, sm);
        if (sm < best) { best = sm; best_lr = lr; }
        if (k >= steps / 10 && prev - sm > fall) { fall = prev - sm; fall_lr = lr; }   /* past the first tenth */
        prev = sm;
        stop = sm > 4 * best;
        if (k % (steps / 12) == 0 || k == steps - 1 || stop)
            printf("   %6d %10.2e %10.4f %10.4f%s\n", k + 1, lr, s.loss, sm, stop ? "  above 4 x the lowest: stopped" : "");
    }
    fprintf(f, "\n\n");
    printf("   lowest smoothed loss %.4f at lr %.2e; steepest fall at lr %.2e; a tenth of the lowest's lr: %.2e\n",
           best, best_lr, fall_lr, best_lr / 10);
    net_free(&N);
    return 0;
}

/* The mean of the last (up to) 25 values added. */
typedef struct window { double v[25]; int n; } window;
static double window_add(window *w, double x)
{
    double sum = 0;
    int i, m = w->n < 25 ? w->n + 1 : 25;
    w->v[w->n++ % 25] = x;
    for (i = 0; i < m; i++) sum += w->v[i];
    return sum / m;
}

/* ---- 4. loss curves and update-to-weight ratios at three rates ---------------------- */

/* Each rate's run: every step's loss, its mean over the last 25 steps and the two
   ratios into f; the validation loss and accuracy four times an epoch into fv. */
static int five_rates(const data *D, int epochs, FILE *f, FILE *fv)
{
    static const double rates[] = {4e-5, 4e-4, 4e-3, 4e-2, 4e-1};
    static const char *const names[] = {"too low", "low", "chapter 15's", "too high", "far too high"};
    const int nrates = (int)(sizeof rates / sizeof rates[0]), per_epoch = (int)((D->train.n + BATCH - 1) / BATCH);
    ofs_optim_config c = adamw(0.05);
    double *ratio1 = (double *)malloc((size_t)per_epoch * sizeof(double)), *ratio2 = (double *)malloc((size_t)per_epoch * sizeof(double));
    int r;
    if (!ratio1 || !ratio2) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
    printf("\n4. AdamW at a constant rate, %d epoch%s each: loss curves and update-to-weight ratios\n", epochs, epochs > 1 ? "s" : "");
    printf("   ratio: ||W after - W before|| / ||W before|| of each step, the median over the epoch; dead: hidden units\n"
           "   that are 0 on every validation image\n");
    printf("   %-13s %8s %5s %10s %10s %8s %10s %10s %5s\n", "rate", "lr", "epoch", "train loss", "val loss", "val acc",
           "ratio W1", "ratio W2", "dead");
    for (r = 0; r < nrates; r++) {
        net N;
        step_info s;
        int k = 0, ep, b;
        double vloss, vacc;
        window w;
        w.n = 0;
        c.lr = rates[r];
        if (net_create(&N, D->dim, &c, D->train.n, 1)) return 1;
        fprintf(f, "# lr %g (%s): step epoch loss mean_of_last_25 ratio_w1 ratio_w2\n", rates[r], names[r]);
        fprintf(fv, "# lr %g (%s): epoch val_loss val_acc\n", rates[r], names[r]);
        vloss = evaluate(&N, &D->val, &vacc);
        fprintf(fv, "0 %.6f %.6f\n", vloss, vacc);
        for (ep = 1; ep <= epochs; ep++) {
            double sum = 0;
            int j;
            size_t seen = 0;
            for (j = 0; j < per_epoch; j++, k++) {
                b = next_batch(&N, &D->train, D->dim);
                if (train_step(&N, N.xb, N.yb, b, rates[r], 0, RATIOS, &s)) {
                    fprintf(stderr, PROG ": lr %g: not finite at step %d\n", rates[r], k + 1);
                    return 1;
                }
                sum += s.loss * b; seen += (size_t)b;
                ratio1[j] = s.ratio[0]; ratio2[j] = s.ratio[1];
                fprintf(f, "%d %.5f %.6f %.6f %.6e %.6e\n", k + 1, (double)(k + 1) / per_epoch, s.loss, window_add(&w, s.loss),
                        s.ratio[0], s.ratio[1]);
                if (4 * (j + 1) / per_epoch != 4 * j / per_epoch) {   /* each quarter of the epoch */
                    vloss = evaluate(&N, &D->val, &vacc);
                    fprintf(fv, "%.5f %.6f %.6f\n", (double)(k + 1) / per_epoch, vloss, vacc);
                }
            }
            printf("   %-13s %8.0e %5d %10.4f %10.4f %7.2f%% %10.2e %10.2e %5d\n", names[r], rates[r], ep, sum / (double)seen,
                   vloss, 100 * vacc, quantile(ratio1, (size_t)per_epoch, 0.5), quantile(ratio2, (size_t)per_epoch, 0.5),
                   dead_units(&N, &D->val));
        }
        fprintf(f, "\n\n");
        fprintf(fv, "\n\n");
        net_free(&N);
    }
    free(ratio1); free(ratio2);
    return 0;
}

/* ---- 5. the training-validation gap ------------------------------------------------- */

static int gap(const data *D, size_t n, int epochs, FILE *f)
{
    ofs_optim_config c = adamw(0.05);
    net N;
    step_info s;
    split small;
    int ep, best_ep = 0, per_epoch = (int)((n + BATCH - 1) / BATCH);
    double best = HUGE_VAL, best_acc = 0;
    c.lr = 4e-3;
    small.x = D->train.x; small.y = D->train.y; small.n = n;
    printf("\n5. Training on the first %lu images only, AdamW lr %g (constant), %d epochs of %d steps\n", (unsigned long)n, c.lr,
           epochs, per_epoch);
    printf("   %5s %10s %10s %9s %9s\n", "epoch", "train loss", "val loss", "train acc", "val acc");
    if (net_create(&N, D->dim, &c, n, 1)) return 1;
    fprintf(f, "# epoch train_loss val_loss train_acc val_acc (train: the whole small set after the epoch)\n");
    for (ep = 1; ep <= epochs; ep++) {
        double tl, ta, vl, va;
        int j;
        for (j = 0; j < per_epoch; j++) {
            int b = next_batch(&N, &small, D->dim);
            if (train_step(&N, N.xb, N.yb, b, c.lr, 0, 0, &s)) { fprintf(stderr, PROG ": not finite\n"); return 1; }
        }
        tl = evaluate(&N, &small, &ta);
        vl = evaluate(&N, &D->val, &va);
        if (vl < best) { best = vl; best_ep = ep; best_acc = va; }
        fprintf(f, "%d %.6f %.6f %.6f %.6f\n", ep, tl, vl, ta, va);
        if (ep <= 10 ? ep == 1 || ep % 2 == 0 : ep % 10 == 0) printf("   %5d %10.4f %10.4f %8.2f%% %8.2f%%\n", ep, tl, vl, 100 * ta, 100 * va);
    }
    printf("   the lowest validation loss, %.4f, after epoch %d (validation accuracy %.2f%% then)\n", best, best_ep, 100 * best_acc);
    net_free(&N);
    return 0;
}

/* ---- 6. gradient clipping ----------------------------------------------------------- */

/* Three runs from the same weights over the same batches: lr without clipping, lr
   with the gradient's norm clipped to max_norm, and the sane rate lr_ok without. */
static int clipping(const data *D, double lr, double max_norm, double lr_ok, int epochs, FILE *f)
{
    const ofs_optim_config c = sgd_momentum();
    const int per_epoch = (int)((D->train.n + BATCH - 1) / BATCH), steps = epochs * per_epoch;
    const double rate[3] = {lr, lr, lr_ok}, clip[3] = {0, max_norm, 0};
    double *norms = (double *)malloc((size_t)steps * sizeof(double));
    int run;
    if (!norms) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
    printf("\n6. Gradient clipping: SGD, momentum 0.9, %d epoch%s, at lr %g without and with ofs_clip_grad_norm to norm %g,\n"
           "   and at lr %g without, for comparison\n", epochs, epochs > 1 ? "s" : "", lr, max_norm, lr_ok);
    for (run = 0; run < 3; run++) {
        net N;
        step_info s;
        int k, clipped = 0, done = 0, worst_k = 0;
        double worst = 0, vloss, vacc;
        window w;
        w.n = 0;
        if (net_create(&N, D->dim, &c, D->train.n, 1)) return 1;
        fprintf(f, "# lr %g, %s: step loss mean_of_last_25 gradient_norm (before clipping)\n", rate[run],
                clip[run] > 0 ? "clipped" : "not clipped");
        for (k = 0; k < steps; k++) {
            int b = next_batch(&N, &D->train, D->dim);
            if (train_step(&N, N.xb, N.yb, b, rate[run], clip[run], 0, &s)) break;
            norms[done++] = s.gnorm;
            clipped += s.clipped;
            if (s.loss > worst) { worst = s.loss; worst_k = k + 1; }
            fprintf(f, "%d %.6f %.6f %.6e\n", k + 1, s.loss, window_add(&w, s.loss), s.gnorm);
        }
        fprintf(f, "\n\n");
        printf("   lr %g, %s:\n", rate[run], clip[run] > 0 ? "clipped" : "not clipped");
        if (done > 0) {
            double first = norms[0], med = quantile(norms, (size_t)done, 0.5), p90 = quantile(norms, (size_t)done, 0.9);
            printf("     gradient norm before clipping: step 1 %.3f, median %.3f, 90th percentile %.3f, largest %.3f\n",
                   first, med, p90, norms[done - 1]);
            printf("     largest batch loss %.4f (step %d); %d of %d steps clipped\n", worst, worst_k, clipped, done);
        }
        if (k < steps) {
            printf("     step %d: the loss or the gradient is not finite: training stops\n", k + 1);
        } else {
            vloss = evaluate(&N, &D->val, &vacc);
            printf("     after training: validation loss %.4f, accuracy %.2f%%; %d of %d hidden units dead\n", vloss,
                   100 * vacc, dead_units(&N, &D->val), HIDDEN);
        }
        net_free(&N);
    }
    free(norms);
    return 0;
}

/* ---- main --------------------------------------------------------------------------- */

static void usage(void)
{
    printf("usage: " PROG " [--smoke] [--data DIR]\n"
           "Chapter 15b of the optimfs.h tutorial: the checks of a training run, on MNIST.\n"
           "  --data DIR  the MNIST files (train-images-idx3-ubyte, ...)     (data/mnist)\n"
           "  --smoke     a short run on 2000 generated digits (or the first 2000 of DIR)\n"
           "Writes out/ch15b_lr_range.dat, out/ch15b_rates.dat, out/ch15b_rates_val.dat, out/ch15b_gap.dat\n"
           "and out/ch15b_clip.dat (--smoke: out/ch15b_smoke_*.dat).\n");
}

int main(int argc, char **argv)
{
    data D;
    const char *dir = NULL;
    int smoke = 0, i, rc = 1;
    ofile f = {NULL, NULL}, fv = {NULL, NULL};
    memset(&D, 0, sizeof D);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0) smoke = 1;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) dir = argv[++i];
        else if (strcmp(argv[i], "--help") == 0) { usage(); return 0; }
        else { fprintf(stderr, PROG ": unknown option '%s' (see --help)\n", argv[i]); return 2; }
    }
    if (load(dir, smoke, &D)) return 1;
    printf("model %d-%d-10 relu, batch %d, seed 1 for every run (the same initial weights)\n", D.dim, HIDDEN, BATCH);
    if (initial_loss(&D) || overfit(&D, smoke ? 100 : 300)) goto done;
    printf("\n3. Learning-rate range test: %d steps, the rate growing exponentially, batch loss and its smoothed value\n",
           smoke ? 60 : 300);
    if (out_file(&f, smoke ? "out/ch15b_smoke_lr_range.dat" : "out/ch15b_lr_range.dat", "# learning-rate range test") ||
        range_test(&D, "AdamW", adamw(0.05), 1e-6, 1, smoke ? 60 : 300, f.f) ||
        range_test(&D, "SGD, momentum 0.9", sgd_momentum(), 1e-4, 100, smoke ? 60 : 300, f.f) || out_done(&f))
        goto done;
    if (out_file(&f, smoke ? "out/ch15b_smoke_rates.dat" : "out/ch15b_rates.dat", "# five constant rates, every step") ||
        out_file(&fv, smoke ? "out/ch15b_smoke_rates_val.dat" : "out/ch15b_rates_val.dat", "# five constant rates, validation") ||
        five_rates(&D, smoke ? 1 : 2, f.f, fv.f) || out_done(&f) || out_done(&fv))
        goto done;
    if (out_file(&f, smoke ? "out/ch15b_smoke_gap.dat" : "out/ch15b_gap.dat", "# a small training set") ||
        gap(&D, smoke ? 200 : 1000, smoke ? 16 : 40, f.f) || out_done(&f))
        goto done;
    if (out_file(&f, smoke ? "out/ch15b_smoke_clip.dat" : "out/ch15b_clip.dat", "# gradient clipping") ||
        clipping(&D, 1.0, 1.0, 0.1, smoke ? 1 : 2, f.f) || out_done(&f))
        goto done;
    rc = 0;
done:
    if (f.f) fclose(f.f);
    if (fv.f) fclose(fv.f);
    ofs_dataset_free(&D.all);
    return rc;
}
