/* Gradient checks (chapter 13), always in double: every activation, the softmax
   cross-entropy, MLPs of several shapes with batch > 1, and every toy objective's
   gradient and Hessian. Central differences must agree to 1e-6 (relative). */
#ifndef OFS_REAL
#define OFS_REAL double
#endif
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include <string.h>

#define TOL 1e-6
#define H 1e-5
#define FLOOR 1e-4

/* f(z) = sum_i w_i act(z_i); grad = w * act'(z), from the library's backward. */
typedef struct { ofs_act act; const double *w; } act_ctx;

static double act_objective(const double *z, double *grad, void *ctx)
{
    const act_ctx *c = (const act_ctx *)ctx;
    double y[16], f = 0;
    int i;
    for (i = 0; i < 16; i++) y[i] = z[i];
    ofs_act_forward(c->act, y, 16);
    for (i = 0; i < 16; i++) f += c->w[i] * y[i];
    if (grad) {
        for (i = 0; i < 16; i++) grad[i] = c->w[i];
        ofs_act_backward(c->act, y, grad, 16);
    }
    return f;
}

static void check_activations(void)
{
    double z[16], w[16], g[16];
    ofs_rng r;
    int a, i;
    ofs_rng_seed(&r, 13);
    for (i = 0; i < 16; i++) {
        z[i] = 4 * ofs_rng_uniform(&r) - 2;
        if (fabs(z[i]) < 0.05) z[i] = 0.5;              /* away from relu's kink */
        w[i] = ofs_rng_normal(&r);
    }
    for (a = 0; a < OFS_ACT_COUNT; a++) {
        act_ctx c;
        ofs_gradcheck_result res;
        ofs_err e;
        c.act = (ofs_act)a; c.w = w;
        CHECK(ofs_gradcheck(act_objective, &c, z, 16, H, FLOOR, g, &res, &e) == OFS_OK, "%s: %s", ofs_act_name(c.act), e.msg);
        CHECK(res.max_rel_err <= TOL, "activation %s: max rel err %g at %lu (analytic %g, numeric %g)",
              ofs_act_name(c.act), res.max_rel_err, (unsigned long)res.worst, res.analytic, res.numeric);
    }
}

/* A deliberately wrong derivative (tanh' taken as 1 - y) must be caught. */
static double bad_tanh(const double *z, double *grad, void *ctx)
{
    int i;
    double f = 0;
    (void)ctx;
    for (i = 0; i < 4; i++) {
        double y = tanh(z[i]);
        f += y;
        if (grad) grad[i] = 1 - y;
    }
    return f;
}

static void check_catches_bugs(void)
{
    double z[4] = {0.3, -0.7, 1.1, 0.05}, g[4];
    ofs_gradcheck_result res;
    CHECK(ofs_gradcheck(bad_tanh, NULL, z, 4, H, FLOOR, g, &res, NULL) == OFS_OK, "bad tanh runs");
    CHECK(res.max_rel_err > 0.1, "a wrong derivative is caught: max rel err %g", res.max_rel_err);
    CHECK(res.worst == 1, "the worst coordinate is the one with the largest error: %lu", (unsigned long)res.worst);
}

/* The loss as a function of the logits. */
typedef struct { int rows, cols; const unsigned char *y; } xent_ctx;

static double xent_objective(const double *z, double *grad, void *ctx)
{
    const xent_ctx *c = (const xent_ctx *)ctx;
    double zz[64];
    memcpy(zz, z, sizeof(double) * (size_t)(c->rows * c->cols));
    return ofs_softmax_xent(ofs_mat_view(zz, c->rows, c->cols), c->y, grad);
}

static void check_loss(void)
{
    static const unsigned char y[5] = {0, 3, 2, 3, 1};
    double z[20], g[20];
    xent_ctx c = {5, 4, y};
    ofs_gradcheck_result res;
    ofs_rng r;
    int i;
    ofs_rng_seed(&r, 7);
    for (i = 0; i < 20; i++) z[i] = 3 * ofs_rng_normal(&r);
    CHECK(ofs_gradcheck(xent_objective, &c, z, 20, H, FLOOR, g, &res, NULL) == OFS_OK, "xent runs");
    CHECK(res.max_rel_err <= TOL, "softmax cross-entropy: max rel err %g at %lu", res.max_rel_err, (unsigned long)res.worst);
    /* Shift invariance: softmax(z + c) = softmax(z), so loss and gradient must not
       change when every logit grows by 1000 (exp(1000) overflows a double). */
    {
        double z2[20], g2[20], f1, f2, worst = 0;
        for (i = 0; i < 20; i++) z2[i] = z[i] + 1000;
        f1 = ofs_softmax_xent(ofs_mat_view(z, 5, 4), y, g);
        f2 = ofs_softmax_xent(ofs_mat_view(z2, 5, 4), y, g2);
        for (i = 0; i < 20; i++) if (!(fabs(g2[i] - g[i]) <= worst)) worst = fabs(g2[i] - g[i]);   /* NaN sticks */
        CHECK_CLOSE(f2, f1, 1e-11, 0, "loss of logits + 1000");
        CHECK(worst <= 1e-11, "gradient of logits + 1000: max abs difference %g", worst);
    }
}

/* MLPs of several shapes on a random batch. */
static void check_mlp(const int *sizes, int nsizes, ofs_act act, int batch, uint64_t seed)
{
    ofs_mlp m;
    ofs_mlp_batch b;
    ofs_gradcheck_result res;
    ofs_rng r;
    ofs_err e;
    double *theta, *g, x[8 * 16];
    unsigned char y[8];
    size_t i;
    int k;
    char name[64];
    sprintf(name, "mlp %d-...-%d %s batch %d", sizes[0], sizes[nsizes - 1], ofs_act_name(act), batch);
    CHECK(ofs_mlp_create(&m, sizes, nsizes, act, batch, &e) == OFS_OK, "%s: %s", name, e.msg);
    ofs_rng_seed(&r, seed);
    ofs_mlp_randomize(&m, act == OFS_ACT_RELU ? OFS_INIT_HE : OFS_INIT_XAVIER, &r);
    for (i = m.nweights; i < m.nparams; i++) m.params[i] = 0.1 * ofs_rng_normal(&r);   /* non-zero biases */
    for (k = 0; k < batch * sizes[0]; k++) x[k] = ofs_rng_normal(&r);
    for (k = 0; k < batch; k++) y[k] = (unsigned char)ofs_rng_below(&r, (uint32_t)sizes[nsizes - 1]);
    theta = (double *)malloc(m.nparams * sizeof(double));
    g = (double *)malloc(m.nparams * sizeof(double));
    for (i = 0; i < m.nparams; i++) theta[i] = m.params[i];
    b.mlp = &m; b.x = x; b.y = y; b.batch = batch;
    CHECK(ofs_gradcheck(ofs_mlp_objective, &b, theta, m.nparams, H, FLOOR, g, &res, &e) == OFS_OK, "%s: %s", name, e.msg);
    CHECK(res.max_rel_err <= TOL, "%s: max rel err %g at parameter %lu (analytic %g, numeric %g)", name,
          res.max_rel_err, (unsigned long)res.worst, res.analytic, res.numeric);
    CHECK(res.f > 0, "%s: the loss is positive: %g", name, res.f);
    free(theta); free(g);
    ofs_mlp_free(&m);
}

static void check_mlps(void)
{
    static const int a[] = {5, 7, 3}, b[] = {4, 6, 5, 3}, c[] = {3, 4}, d[] = {6, 8, 8, 8, 4}, e[] = {16, 9, 10};
    check_mlp(a, 3, OFS_ACT_RELU, 4, 1);
    check_mlp(b, 4, OFS_ACT_TANH, 3, 2);
    check_mlp(c, 2, OFS_ACT_RELU, 5, 3);      /* no hidden layer: softmax regression */
    check_mlp(d, 5, OFS_ACT_SIGMOID, 2, 4);
    check_mlp(e, 3, OFS_ACT_IDENTITY, 8, 5);
    check_mlp(e, 3, OFS_ACT_RELU, 8, 6);
}

/* A toy's gradient, and its Hessian as the gradient of each gradient component. */
typedef struct { const ofs_toy *t; int j; } hess_ctx;

static double hess_row(const double *x, double *grad, void *ctx)
{
    const hess_ctx *c = (const hess_ctx *)ctx;
    double g[2], h[4];
    int d = ofs_toy_dim(c->t), k;
    ofs_toy_eval(c->t, x, g, h);
    if (grad) for (k = 0; k < d; k++) grad[k] = h[c->j * d + k];
    return g[c->j];
}

static void check_toys(void)
{
    static const double pts[4][2] = {{0.7, -0.4}, {-1.3, 0.9}, {2.1, 1.6}, {0.35, 0.45}};
    int k, p, j;
    for (k = 0; k < OFS_TOY_COUNT; k++) {
        ofs_toy t = ofs_toy_make((ofs_toy_kind)k);
        int d = ofs_toy_dim(&t);
        double worst_g = 0, worst_h = 0;
        for (p = 0; p < 4; p++) {
            double x[2], g[2];
            ofs_gradcheck_result res;
            x[0] = pts[p][0]; x[1] = pts[p][1];
            CHECK(ofs_gradcheck(ofs_toy_objective, &t, x, (size_t)d, H, FLOOR, g, &res, NULL) == OFS_OK, "%s runs", ofs_toy_name(&t));
            if (res.max_rel_err > worst_g) worst_g = res.max_rel_err;
            for (j = 0; j < d; j++) {
                hess_ctx c;
                c.t = &t; c.j = j;
                CHECK(ofs_gradcheck(hess_row, &c, x, (size_t)d, H, FLOOR, g, &res, NULL) == OFS_OK, "%s hessian runs", ofs_toy_name(&t));
                if (res.max_rel_err > worst_h) worst_h = res.max_rel_err;
            }
        }
        CHECK(worst_g <= TOL, "toy %s: gradient max rel err %g", ofs_toy_name(&t), worst_g);
        CHECK(worst_h <= TOL, "toy %s: Hessian max rel err %g", ofs_toy_name(&t), worst_h);
    }
}

static double nan_objective(const double *x, double *grad, void *ctx)
{
    (void)ctx;
    if (grad) grad[0] = 1;
    return x[0] > 0.5 ? (double)NAN : x[0];
}

static void check_api(void)
{
    ofs_toy t = ofs_toy_make(OFS_TOY_XCOS);
    double x[1] = {0.123456789}, g[1], x2[1] = {0.5};
    ofs_gradcheck_result res;
    ofs_err e;
    double d = ofs_fd_partial(ofs_toy_objective, &t, x, 0, 1e-3);
    CHECK(x[0] == 0.123456789, "fd_partial restores x exactly");
    CHECK(fabs(d - (cos(M_PI * x[0]) - M_PI * x[0] * sin(M_PI * x[0]))) < 1e-4, "fd_partial approximates f': %g", d);
    CHECK(ofs_gradcheck(ofs_toy_objective, &t, x, 1, 0.0, FLOOR, g, &res, &e) == OFS_ERR_ARG && strstr(e.msg, "h > 0"),
          "h = 0 is refused: %s", e.msg);
    CHECK(ofs_gradcheck(ofs_toy_objective, &t, x, 1, (double)NAN, FLOOR, g, &res, &e) == OFS_ERR_ARG, "h = NaN is refused");
    CHECK(ofs_gradcheck(nan_objective, NULL, x2, 1, 0.1, FLOOR, g, &res, &e) == OFS_ERR_NONFINITE && strstr(e.msg, "coordinate 0"),
          "a NaN in a difference is reported: %s", e.msg);
    CHECK(x2[0] == 0.5, "x restored after a failed check");
}

int main(void)
{
    check_activations();
    check_catches_bugs();
    check_loss();
    check_mlps();
    check_toys();
    check_api();
    return harness_done("test_gradcheck");
}
