/* cc -std=c99 -O2 -I. examples/ch06_minibatch.c -o ch06_minibatch -lm */
/* Chapter 6: minibatch SGD on a synthetic linear regression (1500 examples, 5
   features, noise sigma = 0.5, all from a seeded ofs_rng), with batch sizes 1, 10,
   100 and 1500 (full-batch gradient descent). The loss is the mean of
   (x.w + b - y)^2 / 2, so no model can do better on average than sigma^2 / 2.
   Prints the loss per epoch (deterministic) and the seconds per epoch (measured;
   they vary from machine to machine). --smoke times fewer epochs.
   Writes out/ch06_*.dat for figures/ch06_*.gp. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <time.h>

#define N 1500          /* examples */
#define D 5             /* features */
#define P (D + 1)       /* parameters: w and the bias b */
#define EPOCHS 10
#define SIGMA 0.5

typedef struct data { double x[N][D], y[N]; } data;

/* The true parameters (w_1..w_5, then b) and the feature scales s_j. */
static const double theta_true[P] = {2.0, -3.4, 1.5, 0.5, -1.0, 4.2};
static const double scale[D] = {0.3, 0.6, 1.0, 1.5, 2.0};

/* Features x_j ~ N(0, s_j^2) with different scales s_j (so that the problem is not
   perfectly conditioned), y = x.w + b + sigma * noise. */
static void make_data(data *d, uint64_t seed)
{
    ofs_rng rng;
    int i, j;
    ofs_rng_seed(&rng, seed);
    for (i = 0; i < N; i++) {
        d->y[i] = theta_true[D];
        for (j = 0; j < D; j++) { d->x[i][j] = scale[j] * ofs_rng_normal(&rng); d->y[i] += theta_true[j] * d->x[i][j]; }
        d->y[i] += SIGMA * ofs_rng_normal(&rng);
    }
}

static double residual(const data *d, int i, const double *theta)   /* x_i.w + b - y_i */
{
    double r = theta[D] - d->y[i];
    int j;
    for (j = 0; j < D; j++) r += d->x[i][j] * theta[j];
    return r;
}

/* L(theta) = (1/N) sum_i r_i^2 / 2 over the whole data set. */
static double loss(const data *d, const double *theta)
{
    double s = 0;
    int i;
    for (i = 0; i < N; i++) { double r = residual(d, i, theta); s += 0.5 * r * r; }
    return s / N;
}

/* The minibatch gradient: g = (1/b) sum_{i in batch} r_i (x_i, 1). */
static void batch_grad(const data *d, const uint32_t *idx, int b, const double *theta, double *g)
{
    int k, j;
    memset(g, 0, P * sizeof *g);
    for (k = 0; k < b; k++) {
        double r = residual(d, (int)idx[k], theta);
        for (j = 0; j < D; j++) g[j] += r * d->x[idx[k]][j];
        g[D] += r;
    }
    for (j = 0; j < P; j++) g[j] /= b;
}

/* Where a training run logs its loss curve: "epoch loss seconds" rows every
   `every` examples, seconds = epoch * the measured seconds per epoch. */
typedef struct curve { FILE *out; int every; double sec_per_epoch; } curve;

static void log_loss(const curve *c, double ep, const data *d, const double *theta)
{
    if (c) fprintf(c->out, "%.4f %.6f %.9f\n", ep, loss(d, theta), ep * c->sec_per_epoch);
}

/* One epoch: a fresh random order, then N / b updates on consecutive slices of it. */
static void epoch(const data *d, ofs_optim *opt, ofs_rng *rng, uint32_t *idx, int b, double *theta,
                  int e, const curve *c)
{
    double g[P];
    int start;
    ofs_rng_shuffle(rng, idx, N);
    for (start = 0; start < N; start += b) {
        batch_grad(d, idx + start, b, theta, g);
        ofs_optim_step(opt, theta, g, NULL);   /* theta <- theta - lr g */
        if (c && (start + b) % c->every == 0) log_loss(c, e + (double)(start + b) / N, d, theta);
    }
}

/* Train from theta = 0 for `epochs` epochs with batch size b and rate lr, logging
   to c when it is not NULL. Returns the final loss. */
static double train(const data *d, int b, double lr, int epochs, const curve *c)
{
    ofs_optim opt;
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);   /* plain SGD: no momentum */
    ofs_rng rng;
    ofs_err err;
    static uint32_t idx[N];
    double theta[P] = {0};
    int i, e;
    cfg.lr = lr;
    if (ofs_optim_init(&opt, &cfg, P, &err) != OFS_OK) { fprintf(stderr, "ch06_minibatch: %s\n", err.msg); return HUGE_VAL; }
    ofs_rng_seed(&rng, 7);   /* the same shuffles for every run */
    for (i = 0; i < N; i++) idx[i] = (uint32_t)i;
    log_loss(c, 0.0, d, theta);
    for (e = 0; e < epochs; e++) epoch(d, &opt, &rng, idx, b, theta, e, c);
    ofs_optim_free(&opt);
    return loss(d, theta);
}

/* Seconds per epoch of training alone (no loss evaluation): CPU time of `reps`
   whole training runs divided by the epochs they did. */
static double seconds_per_epoch(const data *d, int b, double lr, int reps)
{
    clock_t c0 = clock();
    volatile double sink = 0;
    int r;
    for (r = 0; r < reps; r++) sink += train(d, b, lr, EPOCHS, NULL);
    (void)sink;
    return (double)(clock() - c0) / CLOCKS_PER_SEC / (reps * EPOCHS);
}

static data dset;   /* 72 kB: static, not on the stack */

/* ---- Gradient accumulation ----------------------------------------------------- */
/* A batch too large for memory can be taken in micro-batches: chapter 15's trainer
   with t.accumulate = 4 and batch 32 sums four micro-batches' gradients, each scaled
   by its share of the step's rows, into one step of 128 rows. A 784-32-10 MLP
   (AdamW, lr 1e-3) on 1280 generated digits, two epochs (20 steps) both ways, with
   two of the matrix kernels of Appendix A that give the same sums on every machine:
   "book" (chapter 15's loop) and "generic" (plain C, in blocks). */
#define ACC_N 1280
static void train_digits(ofs_mlp *m, const ofs_real *x, const unsigned char *y, int batch, int accumulate, double *loss)
{
    static const int sizes[3] = {784, 32, 10};
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    ofs_trainer t;
    ofs_epoch_stats st;
    ofs_rng rng;
    int ep;
    cfg.lr = 1e-3;
    ofs_rng_seed(&rng, 7);
    ofs_mlp_create(m, sizes, 3, OFS_ACT_RELU, 128, NULL);
    ofs_mlp_randomize(m, OFS_INIT_HE, &rng);
    ofs_trainer_create(&t, m, &cfg, 0, batch, ACC_N, &rng, NULL);
    t.accumulate = accumulate;
    for (ep = 0; ep < 2; ep++) ofs_trainer_epoch(&t, x, y, &st, NULL);
    *loss = st.loss;
    ofs_trainer_free(&t);
}

static int accumulation(void)
{
    static const char *const kernels[2] = {"book", "generic"};
    static unsigned char px[ACC_N * 784], lab[ACC_N];
    static ofs_real x[ACC_N * 784];
    size_t i;
    int k;
    ofs_mnist_synthetic(px, lab, ACC_N, 3);
    for (i = 0; i < sizeof px; i++) x[i] = px[i] / 255.0;
    printf("\nGradient accumulation: a 784-32-10 MLP, AdamW, %d generated digits, 20 steps\n", ACC_N);
    printf("  %-8s %20s %20s %12s\n", "kernel", "loss, 4 x batch 32", "loss, batch 128", "weights");
    for (k = 0; k < 2; k++) {
        ofs_mlp m[2];
        double loss[2], d = 0, w = 0;
        if (ofs_gemm_set_kernel(kernels[k], NULL) != OFS_OK) return 1;
        train_digits(&m[0], x, lab, 32, 4, &loss[0]);
        train_digits(&m[1], x, lab, 128, 1, &loss[1]);
        for (i = 0; i < m[0].nparams; i++) {
            d = fmax(d, fabs(m[0].params[i] - m[1].params[i]));
            w = fmax(w, fabs(m[1].params[i]));
        }
        printf("  %-8s %20.15f %20.15f %12.1e\n", kernels[k], loss[0], loss[1], d / w);
        ofs_mlp_free(&m[0]); ofs_mlp_free(&m[1]);
    }
    printf("  (weights: the largest difference, relative to the largest weight)\n");
    return 0;
}

int main(int argc, char **argv)
{
    const int batch[4] = {1, 10, 100, N};
    const double lr[4] = {0.02, 0.05, 0.2, 0.4};
    int smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0, k;
    curve c[4];
    FILE *fl = fopen("out/ch06_loss.dat", "w");
    if (!fl) {
        fprintf(stderr, "ch06_minibatch: cannot open out/ch06_loss.dat for writing (run from the repository root; `make` creates out/)\n");
        return 1;
    }
    make_data(&dset, 42);
    printf("Linear regression: %d examples, %d features, noise sigma = %g\n", N, D, SIGMA);
    printf("  loss floor sigma^2/2 = %f\n", SIGMA * SIGMA / 2);
    printf("  loss at the true w and b (this sample's noise): %f\n", loss(&dset, theta_true));
    printf("  lowest loss on this sample (full-batch GD, 2000 epochs): %f\n", train(&dset, N, 0.4, 2000, NULL));

    /* Time first (training alone), so that the loss curves can carry a time column. */
    for (k = 0; k < 4; k++) {
        c[k].out = fl;
        c[k].every = batch[k] < 100 ? 100 : batch[k];
        c[k].sec_per_epoch = seconds_per_epoch(&dset, batch[k], lr[k], smoke ? 1 : batch[k] == 1 ? 200 : 1000);
    }
    printf("\nLoss over the whole data set, from w = 0, b = 0 (same shuffles for every run)\n");
    printf("  %5s %5s %10s %10s %10s %10s\n", "batch", "lr", "updates/ep", "epoch 1", "epoch 2", "epoch 10");
    fprintf(fl, "# epoch loss seconds   (blocks: batch 1, 10, 100, 1500; seconds = epoch * measured seconds per epoch)\n");
    for (k = 0; k < 4; k++) {
        double l1 = train(&dset, batch[k], lr[k], 1, NULL), l2 = train(&dset, batch[k], lr[k], 2, NULL);
        double l10 = train(&dset, batch[k], lr[k], EPOCHS, &c[k]);
        fprintf(fl, "\n\n");
        printf("  %5d %5g %10d %10f %10f %10f\n", batch[k], lr[k], N / batch[k], l1, l2, l10);
    }
    printf("\nTime per epoch, training only (CPU time; varies from machine to machine)\n");
    for (k = 0; k < 4; k++)
        printf("  batch %4d: %7.1f us per epoch, %6.1f ns per example\n", batch[k], 1e6 * c[k].sec_per_epoch,
               1e9 * c[k].sec_per_epoch / N);
    fclose(fl);
    return accumulation();
}
