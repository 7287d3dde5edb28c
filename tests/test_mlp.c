/* The MLP pieces (chapter 15): matrix products, activations, the loss, the MLP's
   layout, forward pass, accumulation, initialisation, evaluation and training. */
#include <stdlib.h>
/* An allocator that can be told to fail its k-th call, and counts what is live. */
static long fail_at = -1, calls, live;
static void *test_malloc(size_t n)
{
    void *p;
    if (calls++ == fail_at) return NULL;
    p = malloc(n);
    if (p) live++;
    return p;
}
static void test_free(void *p) { if (p) live--; free(p); }
#define OFS_MALLOC(n) test_malloc(n)
#define OFS_FREE(p) test_free(p)
#define OPTIMFS_IMPLEMENTATION
#define OFS__OWNED_BALANCE_STEPS 1   /* the trainer's threads trade units after every step */
#include "optimfs.h"
#include "harness.h"
#include <string.h>

/* float needs looser tolerances than double */
#define RTOL (sizeof(ofs_real) == 4 ? 1e-5 : 1e-12)

static void fill(ofs_real *x, size_t n, ofs_rng *r)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = (ofs_real)ofs_rng_normal(r);
}

/* Naive C(MxN) = op(A) op(B) in double. */
static double naive(int ta, int tb, int M, int N, int K, const ofs_real *A, const ofs_real *B, int i, int j)
{
    double s = 0;
    int k;
    (void)M; (void)N;
    for (k = 0; k < K; k++) {
        double a = ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
        double b = tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
        s += a * b;
    }
    return s;
}

static void check_products(void)
{
    enum { M = 7, N = 5, K = 9 };
    ofs_real A[M * K], B[K * N], C[M * N], C0[M * N];
    ofs_rng r;
    int t, i, j;
    double worst = 0;
    ofs_rng_seed(&r, 1);
    fill(A, M * K, &r); fill(B, K * N, &r); fill(C0, M * N, &r);
    for (t = 0; t < 3; t++) {
        int ta = t == 1, tb = t == 2;
        ofs_mat Cm = ofs_mat_view(C, M, N);
        memcpy(C, C0, sizeof C);
        if (t == 0) ofs_mat_mul(Cm, ofs_mat_view(A, M, K), ofs_mat_view(B, K, N), 1);
        if (t == 1) ofs_mat_mul_tn(Cm, ofs_mat_view(A, K, M), ofs_mat_view(B, K, N), 1);   /* A read as K x M */
        if (t == 2) ofs_mat_mul_nt(Cm, ofs_mat_view(A, M, K), ofs_mat_view(B, N, K), 1);   /* B read as N x K */
        for (i = 0; i < M; i++)
            for (j = 0; j < N; j++) {
                double want = naive(ta, tb, M, N, K, A, B, i, j) + (double)C0[i * N + j];
                double d = fabs((double)C[i * N + j] - want) / (fabs(want) + 1);
                if (!(d <= worst)) worst = d;
            }
    }
    CHECK(worst <= 10 * RTOL, "A B, A^T B, A B^T + C agree with the naive product: worst %g", worst);
}

static void check_activations(void)
{
    ofs_real x[6] = {-3, -0.5, 0, 0.5, 3, 40}, y[6], d[6];
    int i;
    memcpy(y, x, sizeof x); ofs_act_forward(OFS_ACT_RELU, y, 6);
    CHECK(y[0] == 0 && y[1] == 0 && y[2] == 0 && y[3] == (ofs_real)0.5 && y[5] == 40, "relu values");
    memcpy(y, x, sizeof x); ofs_act_forward(OFS_ACT_SIGMOID, y, 6);
    CHECK_CLOSE(y[2], 0.5, 1e-7, 0, "sigmoid(0)");
    CHECK_CLOSE(y[4], 1 / (1 + exp(-3.0)), RTOL, 0, "sigmoid(3)");
    for (i = 0; i < 6; i++) d[i] = 1;
    ofs_act_backward(OFS_ACT_SIGMOID, y, d, 6);
    CHECK_CLOSE(d[4], y[4] * (1 - y[4]), RTOL, 0, "sigmoid'(3) from its output");
    y[0] = (ofs_real)-1000; ofs_act_forward(OFS_ACT_SIGMOID, y, 1);
    CHECK(y[0] >= 0 && (double)y[0] < 1e-30, "sigmoid(-1000) underflows cleanly to %g", (double)y[0]);
    memcpy(y, x, sizeof x); ofs_act_forward(OFS_ACT_TANH, y, 6);
    CHECK_CLOSE(y[3], tanh(0.5), RTOL, 0, "tanh(0.5)");
    y[0] = (ofs_real)NAN; ofs_act_forward(OFS_ACT_RELU, y, 1);
    CHECK(y[0] != y[0], "relu keeps a NaN");
    {
        ofs_act a;
        ofs_err e;
        CHECK(ofs_act_from_name("tanh", &a, &e) == OFS_OK && a == OFS_ACT_TANH, "act from name");
        CHECK(ofs_act_from_name("gelu", &a, &e) == OFS_ERR_ARG && strstr(e.msg, "gelu") && strstr(e.msg, "relu"),
              "an unknown activation is named: %s", e.msg);
    }
}

static void check_loss(void)
{
    ofs_real z[2 * 3] = {0, 0, 0, 1000, 0, -1000}, g[6];
    unsigned char y[2] = {2, 0};
    double loss = ofs_softmax_xent(ofs_mat_view(z, 2, 3), y, g);
    /* row 0: log 3; row 1: log(1 + e^-1000 + e^-2000) = 0 */
    CHECK_CLOSE(loss, log(3.0) / 2, RTOL, 0, "mean cross-entropy");
    CHECK_CLOSE(g[2], (1.0 / 3 - 1) / 2, RTOL, 0, "gradient at the label");
    CHECK_CLOSE(g[0], (1.0 / 3) / 2, RTOL, 0, "gradient elsewhere");
    CHECK(g[3] == 0 && g[4] == 0 && g[5] == 0, "a confident right answer has zero gradient");
    y[1] = 1;
    loss = ofs_softmax_xent(ofs_mat_view(z, 2, 3), y, NULL);
    CHECK_CLOSE(loss, (log(3.0) + 1000) / 2, RTOL, 0, "a confident wrong answer costs 1000, without overflow");
    /* in place: the logits become the gradient */
    ofs_softmax_xent(ofs_mat_view(z, 2, 3), y, z);
    CHECK_CLOSE(z[4], -0.5, RTOL, 0, "in-place gradient");
    {   /* more rows than one block of the parallel loop: the same bits as a plain
           sum of the rows' losses in row order, on any number of threads */
        enum { R = 600, C = 10 };
        static ofs_real zz[R * C], gg[R * C];
        static unsigned char yy[R];
        ofs_rng rng;
        double want = 0, got;
        int i, same = 1;
        ofs_rng_seed(&rng, 3);
        for (i = 0; i < R * C; i++) zz[i] = (ofs_real)(4 * ofs_rng_normal(&rng));
        for (i = 0; i < R; i++) yy[i] = (unsigned char)ofs_rng_below(&rng, C);
        got = ofs_softmax_xent(ofs_mat_view(zz, R, C), yy, gg);
        for (i = 0; i < R; i++) {
            ofs_real row[C];
            want += ofs__xent_row(zz + i * C, C, yy[i], row, 1.0 / R);
            same &= memcmp(row, gg + i * C, sizeof row) == 0;
        }
        want *= 1.0 / R;
        CHECK(got == want, "softmax over %d rows: loss %.17g, the rows summed in order %.17g", R, got, want);
        CHECK(same, "softmax over %d rows: every row's gradient as the row alone gives it", R);
    }
    {
        ofs_real l[6] = {1, 7, 2, 3, -1, 3};
        unsigned char lab[2] = {1, 2};
        CHECK(ofs_argmax(l + 3, 3) == 0, "argmax takes the first of equal maxima");
        CHECK(ofs_count_correct(ofs_mat_view(l, 2, 3), lab) == 1, "count_correct");
    }
}

static void check_layout(void)
{
    static const int sizes[] = {784, 256, 10};
    ofs_mlp m;
    ofs_err e;
    int bad[] = {784, 0, 10};
    CHECK(ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 128, &e) == OFS_OK, "create: %s", e.msg);
    CHECK(m.nparams == 784 * 256 + 256 * 10 + 256 + 10, "nparams = %lu", (unsigned long)m.nparams);
    CHECK(m.nweights == 784 * 256 + 256 * 10, "weights first: nweights = %lu", (unsigned long)m.nweights);
    CHECK(m.w_off[1] == 784 * 256 && m.b_off[0] == m.nweights && m.b_off[1] == m.nweights + 256, "offsets");
    ofs_mlp_free(&m);
    CHECK(m.params == NULL, "free clears");
    CHECK(ofs_mlp_create(&m, bad, 3, OFS_ACT_RELU, 128, &e) == OFS_ERR_ARG && strstr(e.msg, "sizes[1] = 0"), "zero width: %s", e.msg);
    CHECK(ofs_mlp_create(&m, sizes, 1, OFS_ACT_RELU, 128, &e) == OFS_ERR_ARG && strstr(e.msg, "found 1"), "one size: %s", e.msg);
    CHECK(ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 0, &e) == OFS_ERR_ARG && strstr(e.msg, "max_batch"), "batch 0: %s", e.msg);
    CHECK(ofs_mlp_create(&m, sizes, 3, (ofs_act)9, 4, &e) == OFS_ERR_ARG && strstr(e.msg, "activation"), "bad act: %s", e.msg);
    CHECK(m.params == NULL, "a failed create leaves nothing allocated");
}

/* The forward pass against a plain loop; backward accumulates; zero_grad clears. */
static void check_forward_backward(void)
{
    static const int sizes[] = {5, 4, 3};
    enum { B = 3 };
    ofs_mlp m;
    ofs_rng r;
    ofs_real x[B * 5], h[4];
    unsigned char y[B] = {0, 2, 1};
    const ofs_real *z;
    double worst = 0, l1, l2;
    ofs_real *g1;
    int b, j, k;
    size_t i, c;
    ofs_mlp_create(&m, sizes, 3, OFS_ACT_TANH, 4, NULL);
    ofs_rng_seed(&r, 3);
    fill(m.params, m.nparams, &r);
    fill(x, B * 5, &r);
    z = ofs_mlp_forward(&m, x, B);
    for (b = 0; b < B; b++) {
        for (j = 0; j < 4; j++) {
            double s = (double)m.params[m.b_off[0] + j];
            for (k = 0; k < 5; k++) s += (double)x[b * 5 + k] * (double)m.params[m.w_off[0] + j * 5 + k];
            h[j] = (ofs_real)tanh(s);
        }
        for (j = 0; j < 3; j++) {
            double s = (double)m.params[m.b_off[1] + j], d;
            for (k = 0; k < 4; k++) s += (double)h[k] * (double)m.params[m.w_off[1] + j * 4 + k];
            d = fabs((double)z[b * 3 + j] - s) / (fabs(s) + 1);
            if (!(d <= worst)) worst = d;
        }
    }
    CHECK(worst <= 10 * RTOL, "forward matches a plain loop: %g", worst);
    g1 = (ofs_real *)malloc(m.nparams * sizeof(ofs_real));
    ofs_mlp_zero_grad(&m);
    l1 = ofs_mlp_loss_grad(&m, x, y, B, &c);
    memcpy(g1, m.grads, m.nparams * sizeof(ofs_real));
    l2 = ofs_mlp_loss_grad(&m, x, y, B, NULL);
    CHECK(l1 == l2 && l1 > 0, "the same batch gives the same loss: %g %g", l1, l2);
    worst = 0;
    for (i = 0; i < m.nparams; i++) {
        double d = fabs((double)m.grads[i] - 2.0 * (double)g1[i]);
        if (!(d <= worst)) worst = d;
    }
    CHECK(worst <= 1e-6, "backward accumulates: two passes give twice the gradient (%g)", worst);
    for (i = 0; i < m.nparams; i++) m.grads[i] = (ofs_real)1e30;   /* stale values that must not survive */
    l2 = ofs__mlp_loss_grad(&m, x, y, B, NULL, 0, 1.0 / B, NULL, NULL);
    CHECK(l2 == l1 && memcmp(m.grads, g1, m.nparams * sizeof(ofs_real)) == 0,
          "the trainer's overwriting backward (beta 0) equals zero_grad + backward, bit for bit");
    ofs_mlp_zero_grad(&m);
    for (i = 0, worst = 0; i < m.nparams; i++) worst += fabs((double)m.grads[i]);
    CHECK(worst == 0, "zero_grad clears");
    CHECK(c <= B, "correct count in range");
    free(g1);
    ofs_mlp_free(&m);
}

static void check_init(void)
{
    static const int sizes[] = {400, 300, 10};
    ofs_mlp m, m2;
    ofs_rng r;
    double s = 0, s2 = 0, mx = 0;
    size_t i, n = 400 * 300;
    ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 1, NULL);
    ofs_mlp_create(&m2, sizes, 3, OFS_ACT_RELU, 1, NULL);
    ofs_rng_seed(&r, 42);
    ofs_mlp_randomize(&m, OFS_INIT_HE, &r);
    for (i = 0; i < n; i++) { double w = (double)m.params[i]; s += w; s2 += w * w; }
    CHECK_CLOSE(sqrt(s2 / n - (s / n) * (s / n)), sqrt(2.0 / 400), 0.01, 0, "He: std sqrt(2/fan_in)");
    CHECK(fabs(s / n) < 0.001, "He: mean 0 (%g)", s / n);
    for (i = m.nweights; i < m.nparams; i++) mx += fabs((double)m.params[i]);
    CHECK(mx == 0, "biases start at 0");
    ofs_rng_seed(&r, 42);
    ofs_mlp_randomize(&m2, OFS_INIT_HE, &r);
    CHECK(memcmp(m.params, m2.params, m.nparams * sizeof(ofs_real)) == 0, "the same seed gives the same network");
    ofs_mlp_randomize(&m, OFS_INIT_XAVIER, &r);
    for (i = 0, mx = 0, s2 = 0; i < n; i++) { double a = fabs((double)m.params[i]); if (a > mx) mx = a; s2 += a * a; }
    CHECK(mx <= sqrt(6.0 / 700) && mx > 0.99 * sqrt(6.0 / 700), "Xavier: |w| up to sqrt(6/(in+out)): %g", mx);
    CHECK_CLOSE(sqrt(s2 / n), sqrt(2.0 / 700), 0.01, 0, "Xavier: std sqrt(2/(in+out))");
    ofs_mlp_free(&m); ofs_mlp_free(&m2);
}

/* Three Gaussian blobs in 8 dimensions. */
static void blobs(ofs_real *x, unsigned char *y, size_t n, uint64_t seed)
{
    ofs_real mu[3][8];
    ofs_rng r;
    size_t i;
    int j, c;
    ofs_rng_seed(&r, 99);
    for (c = 0; c < 3; c++) for (j = 0; j < 8; j++) mu[c][j] = (ofs_real)(1.5 * ofs_rng_normal(&r));
    ofs_rng_seed(&r, seed);
    for (i = 0; i < n; i++) {
        c = (int)ofs_rng_below(&r, 3);
        y[i] = (unsigned char)c;
        for (j = 0; j < 8; j++) x[i * 8 + j] = mu[c][j] + (ofs_real)ofs_rng_normal(&r);
    }
}

static void check_evaluate_and_train(void)
{
    static const int sizes[] = {8, 16, 3};
    enum { N = 300, NT = 200 };
    ofs_real *x = (ofs_real *)malloc(N * 8 * sizeof(ofs_real)), *xt = (ofs_real *)malloc(NT * 8 * sizeof(ofs_real));
    unsigned char y[N], yt[NT], pred[NT];
    ofs_mlp m;
    ofs_trainer t;
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    ofs_epoch_stats st;
    ofs_rng r;
    ofs_err e;
    size_t correct, c2 = 0, i;
    double loss0, loss, sum = 0;
    int ep;
    blobs(x, y, N, 1); blobs(xt, yt, NT, 2);
    ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 32, NULL);
    ofs_rng_seed(&r, 5);
    ofs_mlp_randomize(&m, OFS_INIT_HE, &r);
    /* evaluate in chunks of 32 equals one pass per chunk */
    loss0 = ofs_mlp_evaluate(&m, xt, yt, NT, &correct, pred);
    for (i = 0; i < NT; i += 32) {
        int b = NT - i < 32 ? (int)(NT - i) : 32, k;
        const ofs_real *z = ofs_mlp_forward(&m, xt + i * 8, b);
        sum += ofs_softmax_xent(ofs_mat_view((ofs_real *)z, b, 3), yt + i, NULL) * b;
        for (k = 0; k < b; k++) c2 += pred[i + k] == ofs_argmax(z + k * 3, 3) && pred[i + k] == yt[i + k];
    }
    CHECK_CLOSE(loss0, sum / NT, 1e-12, 0, "evaluate: mean loss over chunks");
    CHECK(correct == c2, "evaluate: predictions and count agree (%lu, %lu)", (unsigned long)correct, (unsigned long)c2);

    cfg.lr = 0.01;
    CHECK(ofs_trainer_create(&t, &m, &cfg, 0, 64, N, &r, &e) == OFS_ERR_ARG && strstr(e.msg, "max_batch 32"),
          "batch above max_batch refused: %s", e.msg);
    CHECK(ofs_trainer_create(&t, &m, &cfg, 0, 32, N, &r, &e) == OFS_OK, "trainer: %s", e.msg);
    CHECK(t.ngroups == 2 && t.opt[0].n == m.nweights && t.opt[1].n == m.nparams - m.nweights && t.offset[1] == m.nweights,
          "two groups: weights, biases");
    CHECK(t.opt[0].cfg.weight_decay == cfg.weight_decay && t.opt[1].cfg.weight_decay == 0, "no weight decay on biases");
    {   /* every array the library allocates starts on a 64-byte boundary (a cache line, an AVX-512 vector) */
        const void *arr[8];
        int a, aligned = 1;
        arr[0] = m.params; arr[1] = m.grads; arr[2] = m.work; arr[3] = t.opt[0].s[0];
        arr[4] = t.opt[0].s[1]; arr[5] = t.opt[1].s[0]; arr[6] = t.xb; arr[7] = t.order;
        for (a = 0; a < 8; a++) aligned &= arr[a] != NULL && (uintptr_t)arr[a] % 64 == 0;
        CHECK(aligned, "params, grads, workspace, moments, batch and order are 64-byte aligned");
    }
    for (ep = 0; ep < 5; ep++) CHECK(ofs_trainer_epoch(&t, x, y, &st, &e) == OFS_OK, "epoch: %s", e.msg);
    CHECK(t.epoch == 5 && t.step == 5 * 10 && st.steps == 10, "counters: epoch %lld, step %lld", (long long)t.epoch, (long long)t.step);
    loss = ofs_mlp_evaluate(&m, xt, yt, NT, &correct, NULL);
    CHECK(loss < 0.5 * loss0, "training lowers the test loss: %g -> %g", loss0, loss);
    CHECK(correct >= 0.9 * NT, "blobs are learned: %lu of %d", (unsigned long)correct, NT);
    CHECK(st.accuracy > 0.8 && st.loss < loss0, "epoch stats: accuracy %g, loss %g", st.accuracy, st.loss);

    /* A NaN in the data stops the epoch before the update, naming step and epoch. */
    x[17 * 8 + 3] = (ofs_real)NAN;
    {
        int finite = 1;
        CHECK(ofs_trainer_epoch(&t, x, y, &st, &e) == OFS_ERR_NONFINITE, "NaN input stops training");
        CHECK(strstr(e.msg, "non-finite loss") && strstr(e.msg, "epoch 6") && strstr(e.msg, "step "), "message: %s", e.msg);
        for (i = 0; i < m.nparams; i++) finite &= m.params[i] == m.params[i];
        CHECK(finite, "no NaN reached the parameters");
        CHECK(t.epoch == 5, "the failed epoch is not counted");
    }
    ofs_trainer_free(&t);
    CHECK(t.order == NULL && t.opt[0].s[0] == NULL, "trainer_free clears");
    ofs_mlp_free(&m);
    free(x); free(xt);
}

/* The trainer's epoch for one hidden layer (each thread owns a slice of the hidden
   units, ofs__owned_epoch) against the plain loop of ofs__train_step: the same
   bits in the parameters, the moments and the counters, for several optimizers, a
   schedule, a last batch shorter than the rest, a width that is not a whole number
   of vectors, and (with OpenMP) 1, 2 and 3 threads, which (OFS__OWNED_BALANCE_STEPS 1)
   may hand units to each other after every step, as their timings say. */
/* lr = -1 at step 7: for every group, or (the_biases) only for a group without
   weight decay, which with two groups is the second one, after the first has begun. */
static ofs_status fail_at_7(int64_t step, ofs_optim_config *cfg, void *the_biases, ofs_err *err)
{
    cfg->lr = step == 7 && (!the_biases || cfg->weight_decay == 0) ? -1.0 : 0.01 / (1.0 + (double)step);
    return ofs_optim_validate(cfg, err);
}


static int same_trainers(const ofs_trainer *a, const ofs_trainer *b, int lr_too)
{
    const ofs_mlp *ma = a->mlp, *mb = b->mlp;
    int g, k, same = memcmp(ma->params, mb->params, ma->nparams * sizeof(ofs_real)) == 0 &&
                     a->step == b->step && a->epoch == b->epoch;
    for (g = 0; g < a->ngroups; g++) {
        same &= a->opt[g].t == b->opt[g].t && a->opt[g].mu_product == b->opt[g].mu_product && a->opt[g].eta == b->opt[g].eta &&
                (!lr_too || a->opt[g].cfg.lr == b->opt[g].cfg.lr);
        for (k = 0; k < 3; k++)
            if (a->opt[g].s[k]) same &= memcmp(a->opt[g].s[k], b->opt[g].s[k], a->opt[g].n * sizeof(ofs_real)) == 0;
    }
    if (a->average || b->average)
        same &= a->average && b->average && a->average->count == b->average->count &&
                memcmp(a->average->avg, b->average->avg, ma->nparams * sizeof(ofs_real)) == 0;
    return same;
}

/* Twins from the same start (model seed 11, batch 16): t[0] takes ofs_trainer_epoch's
   path, t[1] the plain loop (ofs__trainer_epoch(..., plain = 1)). */
static void twin_trainers(ofs_mlp m[2], ofs_trainer t[2], const int *sizes, ofs_act act,
                          const ofs_optim_config *cfg, int decay_biases, size_t n)
{
    int p;
    for (p = 0; p < 2; p++) {
        ofs_rng r;
        ofs_err e;
        ofs_rng_seed(&r, 11);
        ofs_mlp_create(&m[p], sizes, 3, act, 16, NULL);
        ofs_mlp_randomize(&m[p], OFS_INIT_HE, &r);
        CHECK(ofs_trainer_create(&t[p], &m[p], cfg, decay_biases, 16, n, &r, &e) == OFS_OK, "trainer: %s", e.msg);
    }
}

static void free_twins(ofs_mlp m[2], ofs_trainer t[2])
{
    int p;
    for (p = 0; p < 2; p++) { ofs_trainer_free(&t[p]); ofs_mlp_free(&m[p]); }
}

/* Two epochs of each twin: the same losses, accuracies and step counts, and the same
   bits in the parameters, the moments and the counters. */
static int twins_agree(ofs_trainer t[2], const ofs_real *x, const unsigned char *y, size_t n)
{
    int ep, same = 1;
    for (ep = 0; ep < 2; ep++) {
        ofs_epoch_stats sa, sb;
        ofs_err e;
        CHECK(ofs_trainer_epoch(&t[0], x, y, &sa, &e) == OFS_OK, "epoch: %s", e.msg);
        CHECK(ofs__trainer_epoch(&t[1], x, y, &sb, &e, 1) == OFS_OK, "plain epoch: %s", e.msg);
        same &= sa.loss == sb.loss && sa.accuracy == sb.accuracy && sa.steps == (int64_t)((n + 15) / 16) &&
                sb.steps == sa.steps;
    }
    return same && same_trainers(&t[0], &t[1], 1);
}

static void check_owned_epoch(void)
{
    static const int sizes[] = {8, 70, 5};
    static const ofs_optim_kind kinds[] = {OFS_ADAMW, OFS_NADAM, OFS_SGD, OFS_RMSPROP, OFS_LAMB, OFS_ASGD, OFS_RPROP};
    enum { N = 203 };
    ofs_real *x = (ofs_real *)malloc(N * 8 * sizeof(ofs_real));
    unsigned char y[N];
    ofs_sched sch = ofs_sched_defaults(OFS_SCHED_COSINE, 0.02);
    int kk, nthreads, maxthreads = 1;
#ifdef _OPENMP
    int saved = omp_get_max_threads();
    maxthreads = 3;
#endif
    sch.t_max = 30; sch.warmup_steps = 5;
    blobs(x, y, N, 3);
    for (nthreads = 1; nthreads <= maxthreads; nthreads++)
        for (kk = 0; kk < 7; kk++) {
            ofs_mlp m[2];
            ofs_trainer t[2];
            ofs_average avg[2];
            ofs_optim_config cfg = ofs_optim_defaults(kinds[kk]);
            ofs_epoch_stats st;
            ofs_err e;
            int p;
#ifdef _OPENMP
            omp_set_num_threads(nthreads);
#endif
            if (kinds[kk] == OFS_SGD) { cfg.momentum = 0.9; cfg.nesterov = 1; cfg.weight_decay = 1e-3; }
            if (kinds[kk] == OFS_RMSPROP) { cfg.centered = 1; cfg.momentum = 0.5; }
            if (kinds[kk] == OFS_ASGD) { cfg.t0 = 5; cfg.lambd = 0.01; }
            twin_trainers(m, t, sizes, kk % 2 ? OFS_ACT_TANH : OFS_ACT_RELU, &cfg, kk == 1, N);
            for (p = 0; p < 2; p++) {   /* an EMA every step, or SWA every third step from step 10 */
                t[p].schedule = ofs_sched_callback; t[p].schedule_ctx = &sch;
                if (kk % 3 == 1) continue;
                CHECK(ofs_average_init(&avg[p], m[p].nparams, kk % 3 ? 0.9 : 0, &e) == OFS_OK, "average: %s", e.msg);
                t[p].average = &avg[p]; t[p].average_from = kk % 3 ? 0 : 10; t[p].average_every = kk % 3 ? 1 : 3;
            }
            CHECK(ofs__owned_ok(&t[0]) == (kinds[kk] != OFS_LAMB), "%s: the owned path is taken for element-wise optimizers",
                  ofs_optim_name(kinds[kk]));
            CHECK(twins_agree(t, x, y, N), "%s, %d thread(s): two epochs give the same bits as the plain loop",
                  ofs_optim_name(kinds[kk]), nthreads);
            CHECK(kk % 3 == 1 || (avg[0].count == (kk % 3 ? 26 : 5) && avg[0].avg[3] != m[0].params[3]),
                  "%s: the average was updated %lld times", ofs_optim_name(kinds[kk]), kk % 3 == 1 ? 0 : (long long)avg[0].count);
            for (p = 0; p < 2 && kk % 3 != 1; p++) ofs_average_free(&avg[p]);
            free_twins(m, t);
            /* a schedule that fails at step 7 (lr = -1) for the biases' group only, which
               both paths reach after the weights' schedule has run: an error, and nothing
               moves at that step on either path; the yardstick r[0] fails in its first
               group, before any group has begun */
            if (kinds[kk] != OFS_LAMB) {
                ofs_mlp rm[2];
                ofs_trainer r[2];
                twin_trainers(m, t, sizes, OFS_ACT_RELU, &cfg, kk == 1, N);
                twin_trainers(rm, r, sizes, OFS_ACT_RELU, &cfg, kk == 1, N);
                for (p = 0; p < 2; p++) { t[p].schedule = fail_at_7; t[p].schedule_ctx = &t[p]; }
                r[0].schedule = fail_at_7; r[0].schedule_ctx = NULL;
                CHECK(ofs_trainer_epoch(&t[0], x, y, &st, &e) == OFS_ERR_ARG && strstr(e.msg, "lr") && strstr(e.msg, "-1"),
                      "%s: a failing schedule stops the epoch: %s", ofs_optim_name(kinds[kk]), e.msg);
                CHECK(ofs__trainer_epoch(&t[1], x, y, NULL, NULL, 1) == OFS_ERR_ARG, "the plain loop stops at the same step");
                CHECK(ofs__trainer_epoch(&r[0], x, y, NULL, NULL, 1) == OFS_ERR_ARG, "so does the yardstick");
                for (p = 0; p < 2; p++)
                    CHECK(t[p].step == 7 && t[p].opt[0].t == 7 && t[p].epoch == 0 && same_trainers(&t[p], &r[0], 0),
                          "%s, %s path: 7 steps taken, the 8th moved nothing (step %lld, t %lld)", ofs_optim_name(kinds[kk]),
                          p ? "plain" : "owned", (long long)t[p].step, (long long)t[p].opt[0].t);
                free_twins(m, t);
                free_twins(rm, r);
            }
        }
#ifdef _OPENMP
    omp_set_num_threads(saved);
#endif
    free(x);
}

/* Inputs wider than two depth blocks of the product (OFS__GEMM_KC), as MNIST's 784 are
   on a machine whose KC is under 784: H^T is then summed block by block, and its
   bias and activation (added on each tile as the product finishes it) must come after
   the last block, as in the plain loop. ReLU and sigmoid, 1 to 3 threads, bit for bit. */
static void check_owned_wide(void)
{
    enum { N = 150, W = 2 * OFS__GEMM_KC + 17 };
    static const int sizes[] = {W, 40, 3};
    static const ofs_act acts[] = {OFS_ACT_RELU, OFS_ACT_SIGMOID};
    ofs_real *x = (ofs_real *)malloc((size_t)N * W * sizeof(ofs_real));
    unsigned char y[N];
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    ofs_rng r;
    int i, a, nthreads, maxthreads = 1;
#ifdef _OPENMP
    int saved = omp_get_max_threads();
    maxthreads = 3;
#endif
    ofs_rng_seed(&r, 5);
    for (i = 0; i < N * W; i++) x[i] = (ofs_real)ofs_rng_uniform(&r);
    for (i = 0; i < N; i++) y[i] = (unsigned char)ofs_rng_below(&r, 3);
    for (nthreads = 1; nthreads <= maxthreads; nthreads++)
        for (a = 0; a < 2; a++) {
            ofs_mlp m[2];
            ofs_trainer t[2];
#ifdef _OPENMP
            omp_set_num_threads(nthreads);
#endif
            twin_trainers(m, t, sizes, acts[a], &cfg, 0, N);
            CHECK(ofs__owned_ok(&t[0]) && twins_agree(t, x, y, N),
                  "%d inputs (%s), %d thread(s): the owned epoch gives the plain loop's bits", W, ofs_act_name(acts[a]), nthreads);
            free_twins(m, t);
        }
#ifdef _OPENMP
    omp_set_num_threads(saved);
#endif
    free(x);
}

/* The phase timer (ofs_trainer.phase), on both paths: every part of the epoch gets
   a time >= 0, and together they are the epoch's time, no more (same clock). */
static void check_phases(void)
{
    static const int sizes[] = {64, 128, 3};   /* large enough that each part takes microseconds */
    enum { N = 600 };
    ofs_real *x = (ofs_real *)malloc(N * 64 * sizeof(ofs_real));
    unsigned char y[N];
    ofs_rng r;
    ofs_mlp m[2];
    ofs_trainer t[2];
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    int p, k;
    ofs_rng_seed(&r, 9);
    for (k = 0; k < N * 64; k++) x[k] = (ofs_real)ofs_rng_uniform(&r);
    for (k = 0; k < N; k++) y[k] = (unsigned char)ofs_rng_below(&r, 3);
    twin_trainers(m, t, sizes, OFS_ACT_RELU, &cfg, 0, N);
    for (p = 0; p < 2; p++) {
        double phase[OFS_PHASES] = {0}, sum = 0, t0, wall;
        ofs_err e;
        int ok = 1;
        t[p].phase = phase;
        t0 = ofs__wtime();
        CHECK(ofs__trainer_epoch(&t[p], x, y, NULL, &e, p) == OFS_OK, "epoch with phases: %s", e.msg);
        wall = ofs__wtime() - t0;
        for (k = 0; k < OFS_PHASES; k++) { ok &= phase[k] >= 0; sum += phase[k]; }
        CHECK(ok && sum > 0 && sum <= wall * (1 + 1e-9) + 1e-6, "%s path: phases >= 0 summing to %g s of the epoch's %g s",
              p ? "plain" : "owned", sum, wall);
        CHECK(phase[OFS_PHASE_FORWARD] > 0 && phase[OFS_PHASE_BACKWARD] > 0, "%s path: forward and backward timed",
              p ? "plain" : "owned");
    }
    free_twins(m, t);
    free(x);
}

/* Every allocation of ofs_trainer_create fails in turn: each time it answers
   OFS_ERR_NOMEM with a message, and leaves nothing allocated. */
static void check_trainer_nomem(void)
{
    static const int sizes[3] = {20, 16, 3};
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    ofs_mlp m;
    ofs_rng rng;
    ofs_err err;
    long k, before, n_allocs;
    ofs_trainer t;
    ofs_rng_seed(&rng, 3);
    CHECK(ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 8, &err) == OFS_OK, "mlp: %s", err.msg);
    before = live; calls = 0; fail_at = -1;
    CHECK(ofs_trainer_create(&t, &m, &cfg, 0, 8, 50, &rng, &err) == OFS_OK, "trainer: %s", err.msg);
    n_allocs = calls;
    CHECK(n_allocs >= 9, "the trainer made %ld allocations, expected at least 9 (2 optimizers' moments, "
          "order, two batch blocks, labels, losses, H^T, G1^T, dW2^T)", n_allocs);
    ofs_trainer_free(&t);
    CHECK(live == before, "ofs_trainer_free left %ld blocks", live - before);
    for (k = 0; k < n_allocs; k++) {
        ofs_status st;
        calls = 0; fail_at = k;
        st = ofs_trainer_create(&t, &m, &cfg, 0, 8, 50, &rng, &err);
        fail_at = -1;
        CHECK(st == OFS_ERR_NOMEM && strstr(err.msg, "cannot allocate") != NULL && live == before,
              "allocation %ld failing: status %d, \"%s\", %ld blocks left", k, (int)st, err.msg, live - before);
    }
    ofs_mlp_free(&m);
}

int main(void)
{
    check_products();
    check_activations();
    check_loss();
    check_layout();
    check_forward_backward();
    check_init();
    check_evaluate_and_train();
    {   /* the owned epoch against the plain loop, with each matrix kernel in turn */
        static const char *const kernels[] = {"book", "generic", "avx2", "avx512"};
        int k;
        for (k = 0; k < 4; k++) {
            ofs_err e;
            if (ofs_gemm_set_kernel(kernels[k], &e) != OFS_OK) { SKIP("kernel %s: %s", kernels[k], e.msg); continue; }
            check_owned_epoch();
            check_owned_wide();
        }
        (void)ofs_gemm_set_kernel("auto", NULL);
    }
    check_phases();
    check_trainer_nomem();
    return harness_done("test_mlp");
}
