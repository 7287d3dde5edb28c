/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. bench/bench_train.c -o build/bench_train -lm
   build/bench_train [PEAK] [--flush-denormal]
   One training epoch of the default model, 784-256-10 ReLU, softmax cross-entropy,
   AdamW, batch 128, float, 60,000 images (real MNIST from data/mnist when present,
   random pixels otherwise), as the library's trainer runs it. Prints the matrix
   kernel, seconds per epoch (best of 3), samples per second, and GFLOP/s against
   the FMA peak PEAK (bench/run.sh passes what bench_gemm measured). One epoch is
   49.1 GFLOP: 406,528 FLOP per image forward, 411,648 backward (no gradient for the
   input). --flush-denormal: subnormal floats are flushed (ofs_set_flush_denormal),
   as PyTorch's peer then does too.
   Then the same epochs as chapter 15's plain loop of steps (ofs__trainer_epoch,
   plain = 1), which ofs_trainer_epoch replaces, for one hidden layer, by Appendix
   B's threaded epoch: the difference is what that saves. Then where the time goes,
   from the library's own phase timer (ofs_trainer.phase), for one more epoch of each.
   Last, one AdamW step over the weights after 1 and after 6 epochs: as training
   goes on, the first moments of weights whose inputs are rarely lit decay (x 0.9 a
   step) into subnormal floats, which are slow unless flushed. */
#define _POSIX_C_SOURCE 200809L
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

static const char *const part_name[OFS_PHASES] = {
    "copy the batch's rows", "forward (784->256 product, bias, ReLU)", "second layer, softmax cross-entropy",
    "backward (gradients)", "schedule and AdamW"};

static double now(void);

/* The mean time of one AdamW step over the trainer's weights, after one warm-up step
   (params and moments change: only for the end of a run); and how many of the first
   moments are subnormal floats, which the FPU handles slowly. */
static double adamw_step_us(ofs_trainer *t, size_t *subnormal)
{
    const int reps = 50;
    double t0;
    size_t i;
    int r;
    *subnormal = 0;
    for (i = 0; i < t->opt[0].n; i++) {
        double a = fabs((double)t->opt[0].s[0][i]);
        *subnormal += a > 0 && a < 1.17549435e-38;
    }
    (void)ofs_optim_step(&t->opt[0], t->mlp->params, t->mlp->grads, NULL);
    t0 = now();
    for (r = 0; r < reps; r++) (void)ofs_optim_step(&t->opt[0], t->mlp->params, t->mlp->grads, NULL);
    return (now() - t0) / reps * 1e6;
}

static double adamw_step_us(ofs_trainer *t, size_t *subnormal);


static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static const int sizes[3] = {784, 256, 10};
    const size_t n = 60000;
    const double flop = (double)n * (406528.0 + 411648.0);
    double peak = argc > 1 ? atof(argv[1]) : 0, best = 1e30;
    const int flush = argc > 2 && strcmp(argv[2], "--flush-denormal") == 0;
    ofs_dataset ds;
    ofs_mlp m;
    ofs_trainer t;
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    ofs_rng rng;
    ofs_err err;
    int e;

    int own = 0;   /* 1: ds holds this program's malloc'ed random pixels, not the library's arrays */
    if (flush && ofs_set_flush_denormal(1, &err) != OFS_OK) { printf("%s\n", err.msg); return 1; }
    printf("matrix kernel: %s; subnormals %s\n", ofs_gemm_kernel(), flush ? "flushed to zero" : "kept (IEEE)");
    if (ofs_mnist_load("data/mnist/train-images-idx3-ubyte", "data/mnist/train-labels-idx1-ubyte", &ds, NULL) != OFS_OK) {
        size_t i;
        ds.n = n; ds.dim = 784;
        ds.x = (ofs_real *)malloc(n * 784 * sizeof(ofs_real));
        ds.y = (unsigned char *)malloc(n);
        ofs_rng_seed(&rng, 7);
        for (i = 0; i < n * 784; i++) ds.x[i] = (ofs_real)ofs_rng_uniform(&rng);
        for (i = 0; i < n; i++) ds.y[i] = (unsigned char)ofs_rng_below(&rng, 10);
        own = 1;
        printf("(data/mnist not found: random pixels)\n");
    }
    ofs_rng_seed(&rng, 1);
    if (ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 128, &err) != OFS_OK ||
        (ofs_mlp_randomize(&m, OFS_INIT_HE, &rng), ofs_trainer_create(&t, &m, &cfg, 0, 128, n, &rng, &err)) != OFS_OK) {
        printf("%s\n", err.msg);
        return 1;
    }
    for (e = 0; e < 3; e++) {
        ofs_epoch_stats st;
        double t0 = now(), dt;
        if (ofs_trainer_epoch(&t, ds.x, ds.y, &st, &err) != OFS_OK) { printf("%s\n", err.msg); return 1; }
        dt = now() - t0;
        if (dt < best) best = dt;
        printf("epoch %d: %.3f s, loss %.4f\n", e + 1, dt, st.loss);
    }
    printf("optimfs: %.4f s/epoch, %.0f samples/s, %.1f GFLOP/s", best, (double)n / best, flop / best / 1e9);
    if (peak > 0) printf(" = %.0f%% of the %.0f GFLOP/s peak", 100.0 * flop / best / 1e9 / peak, peak);
    printf("\n");
    {   /* the same epochs as the plain loop of steps */
        double plain = 1e30;
        for (e = 0; e < 3; e++) {
            double t0 = now(), dt;
            (void)ofs__trainer_epoch(&t, ds.x, ds.y, NULL, NULL, 1);   /* the plain loop */
            dt = now() - t0;
            if (dt < plain) plain = dt;
        }
        printf("the plain loop of steps (each product on all threads in turn): %.4f s/epoch; "
               "each thread owning its hidden units saves %.0f%%\n", plain, 100.0 * (plain - best) / plain);
    }
    {   /* the optimizer after 6 epochs, against a fresh one */
        ofs_mlp m2;
        ofs_trainer t2;
        size_t sub, sub2;
        double fresh, trained;
        ofs_rng_seed(&rng, 1);
        ofs_mlp_create(&m2, sizes, 3, OFS_ACT_RELU, 128, NULL);
        ofs_mlp_randomize(&m2, OFS_INIT_HE, &rng);
        ofs_trainer_create(&t2, &m2, &cfg, 0, 128, n, &rng, NULL);
        if (ofs_trainer_epoch(&t2, ds.x, ds.y, NULL, &err) != OFS_OK) { printf("%s\n", err.msg); return 1; }
        fresh = adamw_step_us(&t2, &sub2);
        trained = adamw_step_us(&t, &sub);
        printf("one AdamW step over the weights: %.1f us after 1 epoch (%lu subnormal first moments), "
               "%.1f us after 6 (%lu of %lu subnormal)\n", fresh, (unsigned long)sub2, trained,
               (unsigned long)sub, (unsigned long)t.opt[0].n);
        ofs_trainer_free(&t2);
        ofs_mlp_free(&m2);
    }
    ofs_trainer_free(&t);
    ofs_mlp_free(&m);

    {   /* where the time goes: the library's own phase timer (ofs_trainer.phase), one more
           epoch of each path from the same start */
        int p, path;
        for (path = 0; path < 2; path++) {
            double phase[OFS_PHASES] = {0}, total = 0;
            ofs_mlp mp;
            ofs_trainer tp;
            ofs_rng_seed(&rng, 1);
            if (ofs_mlp_create(&mp, sizes, 3, OFS_ACT_RELU, 128, &err) != OFS_OK ||
                (ofs_mlp_randomize(&mp, OFS_INIT_HE, &rng), ofs_trainer_create(&tp, &mp, &cfg, 0, 128, n, &rng, &err)) != OFS_OK) {
                printf("%s\n", err.msg);
                return 1;
            }
            tp.phase = phase;
            if ((path == 0 ? ofs_trainer_epoch(&tp, ds.x, ds.y, NULL, &err) : ofs__trainer_epoch(&tp, ds.x, ds.y, NULL, &err, 1)) != OFS_OK) {
                printf("%s\n", err.msg);
                return 1;
            }
            printf("where the time goes, %s (thread 0's wall time, waits included):\n",
                   path == 0 ? "ofs_trainer_epoch (Appendix B's threaded epoch)" : "chapter 15's plain loop of steps");
            for (p = 0; p < OFS_PHASES; p++) {
                total += phase[p];
                printf("  %-42s %.4f s", part_name[p], phase[p]);
                if (p == OFS_PHASE_FORWARD) {
                    double gf = 2.0 * 784 * 256 * (double)n / phase[p] / 1e9;
                    printf("  %6.1f GFLOP/s", gf);
                    if (peak > 0) printf(" = %.0f%% of peak", 100.0 * gf / peak);
                }
                printf("\n");
            }
            printf("  %-42s %.4f s\n", "in all", total);
            ofs_trainer_free(&tp);
            ofs_mlp_free(&mp);
        }
    }
    if (own) { free(ds.x); free(ds.y); }
    else ofs_dataset_free(&ds);
    return 0;
}
