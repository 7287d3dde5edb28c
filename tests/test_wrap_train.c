/* The trainer with chapter 11b's wrappers and gradient accumulation (chapter 15):
   accumulate k micro-batches of b rows against one batch of k b rows (to rounding, the
   schedule and the counters counting steps); Lookahead in the trainer against
   ofs_lookahead_after_step after each step, the sync before the weight average, and
   the owned epoch of Appendix B against the plain loop bit for bit (with OpenMP on
   the threads of the run); SAM and ASAM in the trainer against ofs_sam_step with a
   closure over the same batch, bit for bit, one norm over both groups, the loss at w
   reported; with accumulation; a failing step that leaves everything as it was; and
   the refusals of bad fields. */
#define OPTIMFS_IMPLEMENTATION
#include "../optimfs.h"
#include "harness.h"
#include <stdlib.h>
#include <string.h>

#define IS_DOUBLE (sizeof(ofs_real) == sizeof(double))
enum { N = 150, D = 8 };
static ofs_real X[N * D];
static unsigned char Y[N];

/* Three Gaussian blobs in 8 dimensions, labelled by blob. */
static void blobs(void)
{
    ofs_real mu[3][D];
    ofs_rng r;
    size_t i;
    int j, c;
    ofs_rng_seed(&r, 99);
    for (c = 0; c < 3; c++) for (j = 0; j < D; j++) mu[c][j] = (ofs_real)(1.5 * ofs_rng_normal(&r));
    ofs_rng_seed(&r, 5);
    for (i = 0; i < N; i++) {
        c = (int)ofs_rng_below(&r, 3);
        Y[i] = (unsigned char)c;
        for (j = 0; j < D; j++) X[i * D + j] = mu[c][j] + (ofs_real)ofs_rng_normal(&r);
    }
}

/* A model (seed 11, max_batch N) and its trainer. */
typedef struct rig { ofs_mlp m; ofs_trainer t; } rig;
static void rig_make(rig *g, const int *sizes, int nsizes, const ofs_optim_config *cfg, int decay_biases, int batch, int accumulate)
{
    ofs_rng r;
    ofs_err e;
    ofs_rng_seed(&r, 11);
    CHECK(ofs_mlp_create(&g->m, sizes, nsizes, OFS_ACT_TANH, N, &e) == OFS_OK, "mlp: %s", e.msg);
    ofs_mlp_randomize(&g->m, OFS_INIT_HE, &r);
    CHECK(ofs_trainer_create(&g->t, &g->m, cfg, decay_biases, batch, N, &r, &e) == OFS_OK, "trainer: %s", e.msg);
    g->t.accumulate = accumulate;
}
static void rig_free(rig *g) { ofs_trainer_free(&g->t); ofs_mlp_free(&g->m); }

static int epochs(rig *g, int count, ofs_epoch_stats *st, int plain)
{
    ofs_err e;
    int k, ok = 1;
    for (k = 0; k < count && ok; k++) {
        ok = ofs__trainer_epoch(&g->t, X, Y, st, &e, plain) == OFS_OK;
        CHECK(ok, "epoch %d: %s", k + 1, e.msg);
    }
    return ok;
}

/* max |a - b| / max |b| over n values (NaN: 1e300). */
static double rel_diff(const ofs_real *a, const ofs_real *b, size_t n)
{
    double d = 0, s = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        const double di = fabs((double)a[i] - (double)b[i]);
        if (!(di <= d)) d = di;
        if (fabs((double)b[i]) > s) s = fabs((double)b[i]);
    }
    return d == d && s > 0 ? d / s : 1e300;
}

static int same(const ofs_real *a, const ofs_real *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

/* ---- accumulate k x b against one batch of k b rows --------------------------------- */
static double worst_accum_double, worst_accum_float;

static void check_accumulate(const int *sizes, int nsizes, ofs_optim_kind kind, int k, int b)
{
    ofs_optim_config cfg = ofs_optim_defaults(kind);
    ofs_sched sch = ofs_sched_defaults(OFS_SCHED_COSINE, kind == OFS_SGD ? 0.05 : 0.01);
    ofs_epoch_stats sa, sb;
    rig a, big;
    double d, dm, dl;
    cfg.lr = sch.base_lr; cfg.momentum = 0.9; cfg.weight_decay = 0.01;
    sch.t_max = 20;
    rig_make(&a, sizes, nsizes, &cfg, 0, b, k);
    rig_make(&big, sizes, nsizes, &cfg, 0, k * b, 1);
    a.t.schedule = big.t.schedule = ofs_sched_callback;
    a.t.schedule_ctx = big.t.schedule_ctx = &sch;
    if (epochs(&a, 3, &sa, 0) && epochs(&big, 3, &sb, 0)) {
        const int64_t steps = (N + k * b - 1) / (k * b);
        d = rel_diff(a.m.params, big.m.params, a.m.nparams);
        dm = rel_diff(a.t.opt[0].s[0], big.t.opt[0].s[0], a.t.opt[0].n);
        dl = fabs(sa.loss - sb.loss) / sb.loss;
        if (IS_DOUBLE) {
            if (d > worst_accum_double) worst_accum_double = d;
            CHECK(d <= 1e-12 && dm <= 1e-12 && dl <= 1e-12, "%s, %d layers: accumulate %d x %d against batch %d after 3 epochs: "
                  "parameters %.3g, moments %.3g, loss %.3g apart (relative)", ofs_optim_name(kind), nsizes - 1, k, b, k * b, d, dm, dl);
        } else {
            if (d > worst_accum_float) worst_accum_float = d;
            CHECK(d <= 2e-5 && dm <= 1e-4 && dl <= 1e-5, "%s, %d layers, float: accumulate %d x %d against batch %d: parameters %.3g, "
                  "moments %.3g, loss %.3g apart", ofs_optim_name(kind), nsizes - 1, k, b, k * b, d, dm, dl);
        }
        CHECK(d > 0 || k == 1, "accumulation sums in another order than the large batch: some bit should differ (found none)");
        CHECK(sa.steps == steps && sb.steps == steps && a.t.step == 3 * steps && big.t.step == 3 * steps &&
              a.t.opt[0].t == 3 * steps && a.t.opt[1].cfg.lr == big.t.opt[1].cfg.lr,
              "steps, not micro-batches: %lld and %lld steps per epoch (want %lld), counters %lld and %lld, lr %g and %g",
              (long long)sa.steps, (long long)sb.steps, (long long)steps, (long long)a.t.step, (long long)big.t.step,
              a.t.opt[1].cfg.lr, big.t.opt[1].cfg.lr);
    }
    rig_free(&a); rig_free(&big);
}

/* ---- Lookahead in the trainer ----------------------------------------------------- */
static void check_lookahead(void)
{
    static const int sizes[] = {D, 20, 3};
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_lookahead la[2];
    ofs_average avg[2];
    ofs_err e;
    rig a, yard, p[2];
    int ep, ok = 1, q;
    cfg.lr = 0.02; lc.k = 3; lc.alpha = 0.5;
    /* one step per epoch (batch N): the trainer against the yardstick's step, then the
       sync, then the average, by hand */
    rig_make(&a, sizes, 3, &cfg, 0, N, 1);
    rig_make(&yard, sizes, 3, &cfg, 0, N, 1);
    CHECK(ofs_lookahead_init(&la[0], &lc, a.m.params, a.m.nparams, &e) == OFS_OK, "lookahead: %s", e.msg);
    CHECK(ofs_lookahead_init(&la[1], &lc, yard.m.params, yard.m.nparams, &e) == OFS_OK, "lookahead: %s", e.msg);
    ofs_average_init(&avg[0], a.m.nparams, 0.9, &e);
    ofs_average_init(&avg[1], a.m.nparams, 0.9, &e);
    a.t.lookahead = &la[0]; a.t.average = &avg[0]; a.t.average_every = 1;
    for (ep = 0; ep < 7 && ok; ep++) {
        ok = epochs(&a, 1, NULL, 0) && epochs(&yard, 1, NULL, 0);
        CHECK(ofs_lookahead_after_step(&la[1], yard.m.params, &e) == OFS_OK, "after_step: %s", e.msg);
        CHECK(ofs_average_update(&avg[1], yard.m.params, &e) == OFS_OK, "average: %s", e.msg);
    }
    CHECK(ok && la[0].count == 7 % 3 && la[0].count == la[1].count && same(a.m.params, yard.m.params, a.m.nparams) &&
          same(la[0].slow, la[1].slow, a.m.nparams) && same(avg[0].avg, avg[1].avg, a.m.nparams),
          "Lookahead in the trainer is a step then ofs_lookahead_after_step, then the average: counts %lld and %lld",
          (long long)la[0].count, (long long)la[1].count);
    CHECK(!same(la[0].slow, yard.m.params, a.m.nparams), "the slow weights lag the fast after step 7 (k 3)");
    rig_free(&a); rig_free(&yard);
    for (q = 0; q < 2; q++) ofs_average_free(&avg[q]);
    /* batch 16: the owned epoch (threads own slices of the units) against the plain loop */
    for (q = 0; q < 2; q++) {
        rig_make(&p[q], sizes, 3, &cfg, 0, 16, 1);
        ofs_lookahead_free(&la[q]);
        CHECK(ofs_lookahead_init(&la[q], &lc, p[q].m.params, p[q].m.nparams, &e) == OFS_OK, "lookahead: %s", e.msg);
        p[q].t.lookahead = &la[q];
        ok &= epochs(&p[q], 3, NULL, q);
    }
    CHECK(ok && p[0].t.step == 30 && la[0].count == 0 && la[1].count == 0 && same(p[0].m.params, p[1].m.params, p[0].m.nparams) &&
          same(la[0].slow, la[1].slow, p[0].m.nparams) && same(la[0].slow, p[0].m.params, p[0].m.nparams),
          "Lookahead: the owned epoch and the plain loop give the same bits (and after step 30 = 10 k, fast = slow)");
    for (q = 0; q < 2; q++) { rig_free(&p[q]); ofs_lookahead_free(&la[q]); }
}

/* ---- SAM and ASAM in the trainer -------------------------------------------------- */
/* The yardstick's closure: the model's mean loss and gradient at x over the gathered batch. */
typedef struct yard_ctx { ofs_mlp *m; const ofs_real *xb; const unsigned char *yb; int rows; } yard_ctx;
static double yard_loss(const ofs_real *x, ofs_real *g, void *vctx)
{
    yard_ctx *c = (yard_ctx *)vctx;
    double loss;
    memcpy(c->m->params, x, c->m->nparams * sizeof *x);
    ofs_mlp_zero_grad(c->m);
    loss = ofs_mlp_loss_grad(c->m, c->xb, c->yb, c->rows, NULL);
    memcpy(g, c->m->grads, c->m->nparams * sizeof *g);
    return loss;
}

static void check_sam(int adaptive, ofs_optim_kind kind)
{
    static const int sizes[] = {D, 20, 3};
    ofs_optim_config cfg = ofs_optim_defaults(kind);
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_sam s[2];
    ofs_optim base;
    ofs_err e;
    ofs_epoch_stats st;
    ofs_rng order;
    uint32_t idx[N];
    ofs_real *w, xb[N * D];
    unsigned char yb[N];
    yard_ctx ctx;
    rig a, m;
    double fw = 0;
    int ep, i, ok = 1;
    cfg.lr = kind == OFS_SGD ? 0.1 : 0.01; cfg.momentum = 0.9; cfg.weight_decay = 0.01;
    sc.rho = adaptive ? 0.5 : 0.05; sc.adaptive = adaptive;
    rig_make(&a, sizes, 3, &cfg, 1, N, 1);        /* one group: the yardstick's one optimizer */
    rig_make(&m, sizes, 3, &cfg, 1, N, 1);        /* the yardstick's model (its parameters: w) */
    w = (ofs_real *)malloc(m.m.nparams * sizeof *w);
    memcpy(w, m.m.params, m.m.nparams * sizeof *w);
    ofs_optim_init(&base, &cfg, m.m.nparams, &e);
    for (i = 0; i < 2; i++) CHECK(ofs_sam_init(&s[i], &sc, a.m.nparams, &e) == OFS_OK, "sam: %s", e.msg);
    s[1].adapt_n = m.m.nweights;
    a.t.sam = &s[0];
    order = m.t.rng;
    ctx.m = &m.m; ctx.xb = xb; ctx.yb = yb; ctx.rows = N;
    for (ep = 0; ep < 5 && ok; ep++) {
        for (i = 0; i < N; i++) idx[i] = (uint32_t)i;
        ofs_rng_shuffle(&order, idx, N);
        for (i = 0; i < N; i++) { memcpy(xb + (size_t)i * D, X + (size_t)idx[i] * D, sizeof(ofs_real) * D); yb[i] = Y[idx[i]]; }
        fw = yard_loss(w, s[1].g2, &ctx);   /* the loss at w, what the epoch reports (g2: scratch here) */
        ok = epochs(&a, 1, &st, 0);
        CHECK(ofs_sam_step(&s[1], &base, w, NULL, yard_loss, &ctx, NULL, &e) == OFS_OK, "sam step: %s", e.msg);
        CHECK(fabs(st.loss - fw) <= 1e-15 * fw, "%s epoch %d: the reported loss %.17g is the loss at w %.17g",
              adaptive ? "ASAM" : "SAM", ep + 1, st.loss, fw);
    }
    CHECK(ok && s[0].adapt_n == a.m.nweights && same(a.m.params, w, a.m.nparams) && base.t == a.t.opt[0].t &&
          same(a.t.opt[0].s[0], base.s[0], a.m.nparams) && s[0].norm == s[1].norm && !s[0].perturbed,
          "%s around %s in the trainer is ofs_sam_step with a closure over the batch, bit for bit (norms %.17g and %.17g)",
          adaptive ? "ASAM" : "SAM", ofs_optim_name(kind), s[0].norm, s[1].norm);
    rig_free(&a); rig_free(&m); ofs_optim_free(&base); free(w);
    for (i = 0; i < 2; i++) ofs_sam_free(&s[i]);
}

/* Two trainers with SAM (defaults) around cfg for two epochs: trainer q has
   decay_biases dec[q], batch bat[q] and accumulate acc[q]. 1 if both ran. */
static int sam_pair(rig g[2], ofs_sam s[2], const int *sizes, int nsizes, const ofs_optim_config *cfg, const int dec[2],
                    const int bat[2], const int acc[2])
{
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_err e;
    int q, ok = 1;
    for (q = 0; q < 2; q++) {
        rig_make(&g[q], sizes, nsizes, cfg, dec[q], bat[q], acc[q]);
        ofs_sam_init(&s[q], &sc, g[q].m.nparams, &e);
        g[q].t.sam = &s[q];
        ok &= epochs(&g[q], 2, NULL, 0);
    }
    return ok;
}

static void sam_pair_free(rig g[2], ofs_sam s[2])
{
    int q;
    for (q = 0; q < 2; q++) { rig_free(&g[q]); ofs_sam_free(&s[q]); }
}

/* SAM over two groups (weights, biases) against one group, weight decay 0: the norm
   spans every group, so the steps are the same. Then SAM with accumulate 4 x 8
   against one batch of 32: both evaluations accumulate. */
static void check_sam_groups_accumulate(void)
{
    static const int two[] = {D, 12, 9, 3}, one[] = {D, 20, 3}, dec[2] = {0, 1}, dec0[2] = {0, 0}, bat[2] = {16, 16},
                     bat2[2] = {8, 32}, acc[2] = {1, 1}, acc2[2] = {4, 1};
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
    ofs_sam s[2];
    rig g[2];
    double d;
    int ok;
    cfg.lr = 0.1; cfg.momentum = 0.9;
    ok = sam_pair(g, s, two, 4, &cfg, dec, bat, acc);
    CHECK(ok && g[0].t.ngroups == 2 && g[1].t.ngroups == 1 && same(g[0].m.params, g[1].m.params, g[0].m.nparams),
          "SAM: two groups (decay_biases 0) and one give the same bits with weight decay 0: one norm over all");
    sam_pair_free(g, s);
    cfg = ofs_optim_defaults(OFS_ADAMW);
    cfg.lr = 0.01;
    ok = sam_pair(g, s, one, 3, &cfg, dec0, bat2, acc2);
    d = rel_diff(g[0].m.params, g[1].m.params, g[0].m.nparams);
    CHECK(ok && d <= (IS_DOUBLE ? 1e-12 : 2e-5) && g[0].t.step == 10 && g[1].t.step == 10,
          "SAM with accumulate 4 x 8 against batch 32: %.3g apart after 10 steps (steps %lld, %lld)", d,
          (long long)g[0].t.step, (long long)g[1].t.step);
    sam_pair_free(g, s);
}

/* ---- a failing step changes nothing --------------------------------------------------- */
static ofs_status fail_at_5(int64_t step, ofs_optim_config *cfg, void *ctx, ofs_err *err)
{
    (void)ctx;
    cfg->lr = step == 5 ? -1.0 : 0.01;
    return ofs_optim_validate(cfg, err);
}

static void check_failing_step(void)
{
    static const int sizes[] = {D, 20, 3};
    ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_lookahead la;
    ofs_sam s;
    ofs_average avg;
    ofs_err e;
    rig g;
    ofs_real *p, *slow, *mom, *av;
    size_t n;
    int64_t count, t, step;
    lc.k = 4;
    rig_make(&g, sizes, 3, &cfg, 0, 8, 4);      /* 5 steps per epoch: the first of epoch 2 fails */
    n = g.m.nparams;
    ofs_lookahead_init(&la, &lc, g.m.params, n, &e);
    ofs_sam_init(&s, &sc, n, &e);
    ofs_average_init(&avg, n, 0, &e);
    g.t.lookahead = &la; g.t.sam = &s; g.t.average = &avg; g.t.average_every = 1;
    g.t.schedule = fail_at_5;
    CHECK(epochs(&g, 1, NULL, 0) && g.t.step == 5, "the first epoch: 5 steps, found %lld", (long long)g.t.step);
    p = (ofs_real *)malloc(4 * n * sizeof *p); slow = p + n; mom = slow + n; av = mom + n;
    memcpy(p, g.m.params, n * sizeof *p); memcpy(slow, la.slow, n * sizeof *p);
    memcpy(mom, g.t.opt[0].s[0], g.t.opt[0].n * sizeof *p); memcpy(av, avg.avg, n * sizeof *p);
    count = la.count; t = g.t.opt[0].t; step = g.t.step;
    CHECK(ofs_trainer_epoch(&g.t, X, Y, NULL, &e) == OFS_ERR_ARG && strstr(e.msg, "lr") != NULL,
          "a schedule that sets lr -1 at step 5 stops the epoch: %s", e.msg);
    CHECK(same(p, g.m.params, n) && same(slow, la.slow, n) && same(mom, g.t.opt[0].s[0], g.t.opt[0].n) && same(av, avg.avg, n) &&
          count == la.count && t == g.t.opt[0].t && step == g.t.step && avg.count == 5 && !s.perturbed,
          "the failing step (after SAM's two gradients) left the parameters (restored from w + e), the slow weights, "
          "Lookahead's count, the moments, the average and the counters as they were");
    ofs_lookahead_free(&la); ofs_sam_free(&s); ofs_average_free(&avg); rig_free(&g); free(p);
}

/* ---- refusals ----------------------------------------------------------------------- */
static void refused(rig *g, const char *needle, const char *what)
{
    ofs_err e;
    ofs_real p0 = g->m.params[0];
    ofs_status st = ofs_trainer_epoch(&g->t, X, Y, NULL, &e);
    CHECK(st == OFS_ERR_ARG && strstr(e.msg, needle) && g->t.step == 0 && g->t.epoch == 0 && g->m.params[0] == p0,
          "%s: expected OFS_ERR_ARG and '%s', found status %d: %s", what, needle, (int)st, e.msg);
}

static void check_refusals(void)
{
    static const int sizes[] = {D, 20, 3}, other[] = {D, 21, 3};
    rig g, h;
    ofs_err e;
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_lookahead la;
    ofs_sam s;
    rig_make(&g, sizes, 3, &cfg, 0, 16, 0);
    rig_make(&h, other, 3, &cfg, 0, 16, 1);
    refused(&g, "training: expected accumulate >= 1 (micro-batches per step), found 0", "accumulate 0");
    g.t.accumulate = INT_MAX / 16 + 1;
    refused(&g, "training: expected accumulate x batch at most 2147483647 rows, found 134217728 x 16",
            "accumulate x batch overflowing an int");
    g.t.accumulate = 1;
    ofs_lookahead_init(&la, &lc, h.m.params, h.m.nparams, &e);
    ofs_sam_init(&s, &sc, h.m.nparams, &e);
    g.t.lookahead = &la;
    refused(&g, "training: expected a Lookahead over the model's 243 parameters, found one over 255", "Lookahead of another n");
    g.t.lookahead = NULL; g.t.sam = &s;
    refused(&g, "training: expected SAM over the model's 243 parameters, found one over 255", "SAM of another n");
    ofs_lookahead_free(&la);
    g.t.sam = NULL;
    ofs_lookahead_init(&la, &lc, g.m.params, g.m.nparams, &e);
    la.count = 5;
    g.t.lookahead = &la;
    refused(&g, "training: lookahead: expected a count in [0, k = 5), found 5", "Lookahead's count");
    ofs_lookahead_free(&la); ofs_sam_free(&s); rig_free(&g); rig_free(&h);
}

int main(void)
{
    static const int one[] = {D, 20, 3}, two[] = {D, 12, 9, 3};
    blobs();
    check_accumulate(one, 3, OFS_ADAMW, 4, 8);
    check_accumulate(two, 4, OFS_ADAMW, 4, 8);
    check_accumulate(two, 4, OFS_SGD, 3, 16);
    check_accumulate(one, 3, OFS_SGD, 5, 7);
    printf("accumulate k x b against one batch of k b rows, after 3 epochs: largest relative difference %.3g\n",
           IS_DOUBLE ? worst_accum_double : worst_accum_float);
    check_lookahead();
    check_sam(0, OFS_SGD);
    check_sam(0, OFS_ADAMW);
    check_sam(1, OFS_SGD);
    check_sam_groups_accumulate();
    check_failing_step();
    check_refusals();
    return harness_done("test_wrap_train");
}
