/* cc -std=c99 -O3 -march=native -fno-math-errno -fopenmp -I. bench/bench_sweep.c -o build/bench_sweep -lm
 *
 * The size sweep of bench/run.sh, optimfs's side (bench/blas_peer.py and
 * bench/peer_torch.py are the peers'). Thread count: OMP_NUM_THREADS.
 *
 *   bench_sweep square 128 256 ...
 *       C = A B (ofs_gemm, no transposes) for n x n matrices of ofs_real: best and
 *       median GFLOP/s over timed batches of about 2 ms (at least one call each),
 *       as many as fit in about 0.3 s but at least 5 (at most 201), after a
 *       warm-up; 256 entries checked against a product in double. One line each:
 *           sweep: square <n> <best GFLOP/s> <median GFLOP/s> rel.err <e>
 *   bench_sweep mlp 784,1024,10 <samples> <epochs>
 *       Training by the library's trainer (ofs_mlp_create, ofs_trainer_create with
 *       AdamW, lr 1e-3, weight decay 0.01 on the weights only, He-normal weights,
 *       ReLU, softmax cross-entropy, batch 128), <epochs> epochs of <samples>
 *       random pixels and labels (the time does not depend on the values);
 *       the fastest epoch:
 *           sweep: mlp 784-1024-10 <samples> <s/epoch> <samples/s> <GFLOP/s>
 *
 * FLOP of one training sample, layer widths n_0 (inputs), n_1, ..., n_L (outputs),
 * counting the matrix products only (2 flops per multiply-add; the biases, the
 * activations, the loss and the optimizer are left out):
 *     forward   F = 2 * sum_{l=0}^{L-1} n_l * n_{l+1}
 *     backward  B = 2 * F - 2 * n_0 * n_1
 *               (every layer's weight gradient, F; every layer's input gradient
 *               but the first layer's, which no one needs, F - 2 n_0 n_1)
 *     total     F + B = 3 F - 2 n_0 n_1
 * For 784-256-10: F = 406,528 and B = 411,648, bench_train.c's count.
 *
 * First line: whether subnormal floats are flushed to zero. The library's
 * ofs_set_flush_denormal (which mirrors torch.set_flush_denormal) is called,
 * when the header has it (OFS_HAVE_FLUSH_DENORMAL), before anything is timed;
 * bench/run.sh gives PyTorch the same setting. */
#include "bench.h"

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

#define SQUARE_ROUNDS_MAX 201

/* C = A B, n x n: 1 on success, 0 on a wrong product or no memory */
static int sweep_square(int n, ofs_rng *rng)
{
    const size_t nn = (size_t)n * (size_t)n;
    const double flops = 2.0 * n * (double)n * n;
    ofs_real *A = (ofs_real *)malloc(nn * sizeof *A);
    ofs_real *B = (ofs_real *)malloc(nn * sizeof *B);
    ofs_real *C = (ofs_real *)malloc(nn * sizeof *C);
    double sample[SQUARE_ROUNDS_MAX], once, t, err = 0.0, scale = 0.0;
    size_t i;
    int r, rounds, reps, ok;
    if (!A || !B || !C) {
        fprintf(stderr, "bench_sweep: out of memory for n = %d\n", n);
        free(A); free(B); free(C);
        return 0;
    }
    for (i = 0; i < nn; ++i) {
        A[i] = (ofs_real)(2.0 * ofs_rng_uniform(rng) - 1.0);
        B[i] = (ofs_real)(2.0 * ofs_rng_uniform(rng) - 1.0);
    }
    ofs_gemm(0, 0, n, n, n, A, B, (ofs_real)0, C);   /* warm-up: pages, threads */
    t = now_sec();
    ofs_gemm(0, 0, n, n, n, A, B, (ofs_real)0, C);
    once = now_sec() - t;
    if (once < 1e-7) once = 1e-7;
    reps = (int)(2e-3 / once) + 1;   /* a batch of about 2 ms */
    rounds = (int)(0.3 / (reps * once));
    rounds = rounds < 5 ? 5 : rounds > SQUARE_ROUNDS_MAX ? SQUARE_ROUNDS_MAX : rounds;
    for (r = 0; r < rounds; ++r) {
        int q;
        t = now_sec();
        for (q = 0; q < reps; ++q)
            ofs_gemm(0, 0, n, n, n, A, B, (ofs_real)0, C);
        sample[r] = (now_sec() - t) / reps;
    }
    qsort(sample, (size_t)rounds, sizeof sample[0], cmp_double);
    for (r = 0; r < 256; ++r) {   /* spot checks, in double */
        const int row = (int)ofs_rng_below(rng, (uint32_t)n), col = (int)ofs_rng_below(rng, (uint32_t)n);
        double ref = 0.0, d;
        int k;
        for (k = 0; k < n; ++k)
            ref += (double)A[(size_t)row * n + k] * (double)B[(size_t)k * n + col];
        d = fabs((double)C[(size_t)row * n + col] - ref);
        if (!(d <= err)) err = d;   /* NaN is kept */
        if (fabs(ref) > scale) scale = fabs(ref);
    }
    err = scale > 0.0 ? err / scale : err;
    ok = err < (sizeof(ofs_real) == sizeof(float) ? 1e-4 : 1e-12);
    printf("sweep: square %d %.1f %.1f rel.err %.1e%s\n", n, flops / sample[0] * 1e-9,
           flops / sample[rounds / 2] * 1e-9, err, ok ? "" : " WRONG PRODUCT");
    free(A); free(B); free(C);
    return ok;
}

/* "784,1024,10" into sizes; returns the count, 0 if malformed */
static int parse_sizes(const char *s, int *sizes, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 1000000 || n == max) return 0;
        sizes[n++] = (int)v;
        s = end;
        if (*s == ',') ++s;
        else if (*s) return 0;
    }
    return n;
}

static int sweep_mlp(const char *spec, long samples, int epochs)
{
    int sizes[OFS_MLP_MAX_LAYERS + 1], nsizes = parse_sizes(spec, sizes, OFS_MLP_MAX_LAYERS + 1), l, e;
    double fwd = 0.0, flop, best = 1e30;
    const size_t n = (size_t)samples;
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    ofs_real *x;
    unsigned char *y;
    ofs_mlp m;
    ofs_trainer t;
    ofs_rng rng;
    ofs_err err;
    size_t i;
    char name[128];
    int len = 0;
    if (nsizes < 2 || samples < 1 || epochs < 1) {
        fprintf(stderr, "bench_sweep: expected mlp SIZES SAMPLES EPOCHS, e.g. mlp 784,1024,10 16384 2\n");
        return 0;
    }
    for (l = 0; l + 1 < nsizes; ++l) fwd += 2.0 * sizes[l] * (double)sizes[l + 1];
    flop = 3.0 * fwd - 2.0 * sizes[0] * (double)sizes[1];   /* per sample: see the top comment */
    for (l = 0; l < nsizes && len < (int)sizeof name - 12; ++l)
        len += sprintf(name + len, l ? "-%d" : "%d", sizes[l]);
    x = (ofs_real *)malloc(n * (size_t)sizes[0] * sizeof *x);
    y = (unsigned char *)malloc(n);
    if (!x || !y) {
        fprintf(stderr, "bench_sweep: out of memory for %s\n", name);
        free(x); free(y);
        return 0;
    }
    ofs_rng_seed(&rng, 7);
    for (i = 0; i < n * (size_t)sizes[0]; ++i) x[i] = (ofs_real)ofs_rng_uniform(&rng);
    for (i = 0; i < n; ++i) y[i] = (unsigned char)ofs_rng_below(&rng, (uint32_t)sizes[nsizes - 1]);
    ofs_rng_seed(&rng, 1);
    if (ofs_mlp_create(&m, sizes, nsizes, OFS_ACT_RELU, 128, &err) != OFS_OK) {
        fprintf(stderr, "bench_sweep: %s\n", err.msg);
        free(x); free(y);
        return 0;
    }
    ofs_mlp_randomize(&m, OFS_INIT_HE, &rng);
    if (ofs_trainer_create(&t, &m, &cfg, 0, 128, n, &rng, &err) != OFS_OK) {
        fprintf(stderr, "bench_sweep: %s\n", err.msg);
        ofs_mlp_free(&m); free(x); free(y);
        return 0;
    }
    for (e = 0; e < epochs; ++e) {
        double t0 = now_sec(), dt;
        if (ofs_trainer_epoch(&t, x, y, NULL, &err) != OFS_OK) {
            fprintf(stderr, "bench_sweep: %s: %s\n", name, err.msg);
            ofs_trainer_free(&t); ofs_mlp_free(&m); free(x); free(y);
            return 0;
        }
        dt = now_sec() - t0;
        if (dt < best) best = dt;
    }
    printf("sweep: mlp %s %lu %.4f %.0f %.1f\n", name, (unsigned long)n, best, (double)n / best,
           flop * (double)n / best * 1e-9);
    ofs_trainer_free(&t);
    ofs_mlp_free(&m);
    free(x); free(y);
    return 1;
}

int main(int argc, char **argv)
{
    int ok = 1, i;
#ifdef OFS_HAVE_FLUSH_DENORMAL
    ofs_err err;
    if (ofs_set_flush_denormal(1, &err) == OFS_OK)
        printf("flush-denormal: on (ofs_set_flush_denormal)\n");
    else
        printf("flush-denormal: off (ofs_set_flush_denormal: %s)\n", err.msg);
#else
    printf("flush-denormal: off (this optimfs.h has no ofs_set_flush_denormal)\n");
#endif
    if (argc >= 3 && strcmp(argv[1], "square") == 0) {
        ofs_rng rng;
        ofs_rng_seed(&rng, 12345);
        for (i = 2; i < argc; ++i) {
            const int n = atoi(argv[i]);
            if (n < 1 || n > 16384) {
                fprintf(stderr, "bench_sweep: size %s not in [1, 16384]\n", argv[i]);
                return 2;
            }
            ok &= sweep_square(n, &rng);
        }
    } else if (argc == 5 && strcmp(argv[1], "mlp") == 0) {
        ok = sweep_mlp(argv[2], atol(argv[3]), atoi(argv[4]));
    } else {
        fprintf(stderr, "usage: bench_sweep square N...  |  bench_sweep mlp 784,1024,10 SAMPLES EPOCHS\n");
        return 2;
    }
    return ok ? 0 : 1;
}
