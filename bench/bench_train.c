/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. bench/bench_train.c -o build/bench_train -lm
   One training epoch of the default model, 784-256-10 ReLU, softmax cross-entropy,
   AdamW, batch 128, float, 60,000 images (real MNIST from data/mnist when present,
   random pixels otherwise: the time is the same), as the library's trainer runs it.
   Prints seconds per epoch (best of 3), samples per second, and GFLOP/s against the
   FMA peak given as the first argument (bench/run.sh passes what bench_gemm measured).
   One epoch is 49.1 GFLOP: 406,528 FLOP per image forward, 411,648 backward (no
   gradient for the input).
   Then the same epochs as the plain loop of steps (ofs__trainer_epoch, plain = 1),
   which ofs_trainer_epoch replaces, for one hidden layer, by one parallel region in
   which each thread owns a slice of the hidden units: the difference is what that
   saves. Then where the time goes: one more epoch, from the same start, as the plain
   loop with a clock read between the parts; each part's median over the steps, times
   the steps per epoch. The parameters must come out bit-identical to the library's
   own epoch, or the breakdown is not printed. Last, one AdamW step over the weights
   after 1 and after 6 epochs: as training goes on, the first moments of weights whose
   inputs are rarely lit decay (x 0.9 a step) into subnormal floats, which are slow. */
#define _POSIX_C_SOURCE 200809L
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

enum { GATHER, FWD1, FWD_REST, ELEMWISE, LOSS, DW1, BWD_REST, OPTIM, NPART };
static const char *const part_name[NPART] = {
    "copy the batch's rows", "X.W1^T (784->256)", "second layer forward", "bias, ReLU and their gradients",
    "softmax cross-entropy", "G1^T.X (dW1)", "second layer backward", "optimizer (AdamW)"};

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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double adamw_step_us(ofs_trainer *t, size_t *subnormal);


/* One epoch of t (784-256-10, no schedule), as ofs_trainer_epoch and ofs__train_step
   compute it, adding each part's time per step to dt[part][step]. */
static void timed_epoch(ofs_trainer *t, const ofs_dataset *ds, double *dt[NPART])
{
    ofs_mlp *m = t->mlp;
    size_t i, start, correct, s = 0;
    for (i = 0; i < t->n; i++) t->order[i] = (uint32_t)i;
    ofs_rng_shuffle(&t->rng, t->order, t->n);
    for (start = 0; start < t->n; start += (size_t)t->batch, s++) {
        int b = t->n - start < (size_t)t->batch ? (int)(t->n - start) : t->batch, g;
        ofs_mat X = ofs_mat_view(t->xb, b, 784), H = ofs_mat_view(m->out[0], b, 256), Z = ofs_mat_view(m->out[1], b, 10);
        ofs_mat G2 = ofs_mat_view(m->dlogits, b, 10), G1 = ofs_mat_view(m->delta[1], b, 256);
        double c[10];   /* the clock before, between and after the parts */
        c[0] = now();
        ofs__gather(t, ds->x, ds->y, start, b);
        m->input = t->xb; m->batch = b;
        c[1] = now();
        ofs_mat_mul_nt(H, X, ofs__mlp_w(m, m->params, 0), 0);
        c[2] = now();
        ofs_bias_act_forward(H, m->params + m->b_off[0], OFS_ACT_RELU);
        c[3] = now();
        ofs_mat_mul_nt(Z, H, ofs__mlp_w(m, m->params, 1), 0);
        ofs_bias_act_forward(Z, m->params + m->b_off[1], OFS_ACT_IDENTITY);
        c[4] = now();
        correct = ofs_count_correct(Z, t->yb);   /* the trainer counts too: same work, result unused */
        (void)ofs_softmax_xent(Z, t->yb, m->dlogits);
        c[5] = now();
        memset(m->grads + m->b_off[0], 0, (m->nparams - m->nweights) * sizeof(ofs_real));   /* the biases */
        ofs__add_colsums(m->grads + m->b_off[1], m->dlogits, b, 10);
        ofs_mat_mul_tn(ofs__mlp_w(m, m->grads, 1), G2, H, 0);
        ofs_mat_mul(G1, G2, ofs__mlp_w(m, m->params, 1), 0);
        c[6] = now();
        ofs_act_bias_backward(OFS_ACT_RELU, H, G1, m->grads + m->b_off[0]);
        c[7] = now();
        ofs_mat_mul_tn(ofs__mlp_w(m, m->grads, 0), G1, X, 0);
        c[8] = now();
        for (g = 0; g < t->ngroups; g++)
            (void)ofs_optim_step(&t->opt[g], m->params + t->offset[g], m->grads + t->offset[g], NULL);
        t->step++;
        c[9] = now();
        (void)correct;
        dt[GATHER][s] = c[1] - c[0];
        dt[FWD1][s] = c[2] - c[1];
        dt[ELEMWISE][s] = (c[3] - c[2]) + (c[7] - c[6]);
        dt[FWD_REST][s] = c[4] - c[3];
        dt[LOSS][s] = c[5] - c[4];
        dt[BWD_REST][s] = c[6] - c[5];
        dt[DW1][s] = c[8] - c[7];
        dt[OPTIM][s] = c[9] - c[8];
    }
    t->epoch++;
}

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

    int own = 0;   /* 1: ds holds this program's malloc'ed random pixels, not the library's arrays */
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

    {   /* where the time goes: the library's epoch (a) against the timed one (b) */
        const size_t steps = (n + 127) / 128;
        double *dt[NPART], total = 0;
        ofs_mlp ma, mb;
        ofs_trainer ta, tb;
        int p;
        for (p = 0; p < NPART; p++) dt[p] = (double *)malloc(steps * sizeof(double));
        for (p = 0; p < 2; p++) {   /* two identical runs: a by the library, b step by step */
            ofs_mlp *mp = p ? &mb : &ma;
            ofs_rng_seed(&rng, 1);
            if (ofs_mlp_create(mp, sizes, 3, OFS_ACT_RELU, 128, &err) != OFS_OK ||
                (ofs_mlp_randomize(mp, OFS_INIT_HE, &rng), ofs_trainer_create(p ? &tb : &ta, mp, &cfg, 0, 128, n, &rng, &err)) != OFS_OK) {
                printf("%s\n", err.msg);
                return 1;
            }
        }
        if (ofs_trainer_epoch(&ta, ds.x, ds.y, NULL, &err) != OFS_OK) { printf("%s\n", err.msg); return 1; }
        timed_epoch(&tb, &ds, dt);
        if (memcmp(ma.params, mb.params, ma.nparams * sizeof(ofs_real)) != 0) {
            printf("where the time goes: NOT PRINTED, the step-by-step epoch differs from ofs_trainer_epoch\n");
            return 1;
        }
        printf("where the time goes (one more epoch as the plain loop of steps, one part at a time,\n"
               "bit-identical to ofs_trainer_epoch; each part's median per step x %lu steps):\n", (unsigned long)steps);
        for (p = 0; p < NPART; p++) {
            double sec;
            qsort(dt[p], steps, sizeof(double), cmp_double);
            sec = dt[p][steps / 2] * (double)steps;
            total += sec;
            printf("  %-32s %.4f s", part_name[p], sec);
            if (p == FWD1 || p == DW1) {
                double gf = 2.0 * 784 * 256 * (double)n / sec / 1e9;
                printf("  %6.1f GFLOP/s", gf);
                if (peak > 0) printf(" = %.0f%% of peak", 100.0 * gf / peak);
            }
            printf("\n");
            free(dt[p]);
        }
        printf("  %-32s %.4f s\n", "sum of the medians", total);
        ofs_trainer_free(&ta); ofs_trainer_free(&tb);
        ofs_mlp_free(&ma); ofs_mlp_free(&mb);
    }
    if (own) { free(ds.x); free(ds.y); }
    else ofs_dataset_free(&ds);
    return 0;
}
