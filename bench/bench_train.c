/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. bench/bench_train.c -o build/bench_train -lm
   One training epoch of the default model, 784-256-10 ReLU, softmax cross-entropy,
   AdamW, batch 128, float, 60,000 images (real MNIST from data/mnist when present,
   random pixels otherwise: the time is the same), as the library's trainer runs it.
   Prints seconds per epoch (best of 3), samples per second, and GFLOP/s against the
   FMA peak given as the first argument (bench/run.sh passes what bench_gemm measured).
   One epoch is 49.1 GFLOP: 406,528 FLOP per image forward, 411,648 backward (no
   gradient for the input). */
#define _POSIX_C_SOURCE 200809L
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
    ofs_dataset ds;
    ofs_mlp m;
    ofs_trainer t;
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    ofs_rng rng;
    ofs_err err;
    int e;

    if (ofs_mnist_load("data/mnist/train-images-idx3-ubyte", "data/mnist/train-labels-idx1-ubyte", &ds, NULL) != OFS_OK) {
        size_t i;
        ds.n = n; ds.dim = 784;
        ds.x = (ofs_real *)malloc(n * 784 * sizeof(ofs_real));
        ds.y = (unsigned char *)malloc(n);
        ofs_rng_seed(&rng, 7);
        for (i = 0; i < n * 784; i++) ds.x[i] = (ofs_real)ofs_rng_uniform(&rng);
        for (i = 0; i < n; i++) ds.y[i] = (unsigned char)ofs_rng_below(&rng, 10);
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
    ofs_trainer_free(&t);
    ofs_mlp_free(&m);
    free(ds.x); free(ds.y);
    return 0;
}
