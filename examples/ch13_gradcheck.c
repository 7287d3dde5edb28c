/* cc -std=c99 -O2 -I. examples/ch13_gradcheck.c -o ch13_gradcheck -lm */
/* Chapter 13: gradient checking. Compares every toy objective's gradient and
   Hessian, and an MLP's backpropagation, with central differences in double;
   shows that a classic backprop bug is caught; and writes the error of a finite
   difference against the step h (the V-shaped curve) to out/ch13_error_vs_h.dat. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <float.h>

#define H 1e-5        /* near the best h for f of order 1: (3 eps)^(1/3) ~ 1e-5 */
#define FLOOR 1e-4    /* entries smaller than this are compared in absolute terms */
#define TOL 1e-6

/* d f_j / dx: the Hessian's row j is the gradient of the gradient's entry j. */
typedef struct { const ofs_toy *t; int j; } hess_row_ctx;

static double hess_row(const double *x, double *grad, void *ctx)
{
    const hess_row_ctx *c = (const hess_row_ctx *)ctx;
    double g[2], h[4];
    int d = ofs_toy_dim(c->t), k;
    ofs_toy_eval(c->t, x, g, h);
    if (grad) for (k = 0; k < d; k++) grad[k] = h[c->j * d + k];
    return g[c->j];
}

/* Worst relative error of the gradient and of the Hessian of toy t at x. */
static int check_toy(const ofs_toy *t, double *x, double *eg, double *eh)
{
    ofs_gradcheck_result r;
    ofs_err err;
    double g[2];
    int j, d = ofs_toy_dim(t);
    if (ofs_gradcheck(ofs_toy_objective, (void *)t, x, (size_t)d, H, FLOOR, g, &r, &err) != OFS_OK) {
        fprintf(stderr, "ch13_gradcheck: %s: %s\n", ofs_toy_name(t), err.msg);
        return 1;
    }
    *eg = r.max_rel_err; *eh = 0;
    for (j = 0; j < d; j++) {
        hess_row_ctx c;
        c.t = t; c.j = j;
        if (ofs_gradcheck(hess_row, &c, x, (size_t)d, H, FLOOR, g, &r, &err) != OFS_OK) {
            fprintf(stderr, "ch13_gradcheck: %s Hessian: %s\n", ofs_toy_name(t), err.msg);
            return 1;
        }
        if (r.max_rel_err > *eh) *eh = r.max_rel_err;
    }
    return 0;
}

static int check_toys(void)
{
    static const double pts[OFS_TOY_COUNT][2] = {
        {0.7, 0}, {0.7, 0}, {1.9, 0}, {0.6, 0}, {-1.2, 0}, {0.5, -0.8}, {-1.3, 0.6}, {-0.4, 1.1}, {1.3, 0.4}, {2.2, -1.4} };
    int k, bad = 0;
    printf("gradient check: central differences in double, h = %g, relative error floor %g\n", H, FLOOR);
    printf("objective     point            gradient    Hessian\n");
    for (k = 0; k < OFS_TOY_COUNT; k++) {
        ofs_toy t = ofs_toy_make((ofs_toy_kind)k);
        double x[2], eg, eh;
        char pt[40];
        x[0] = pts[k][0]; x[1] = pts[k][1];
        if (ofs_toy_dim(&t) == 1) sprintf(pt, "(%g)", x[0]); else sprintf(pt, "(%g, %g)", x[0], x[1]);
        if (check_toy(&t, x, &eg, &eh)) return -1;
        bad += eg > TOL || eh > TOL;
        printf("%-12s  %-15s  %8.1e    %8.1e  %s\n", ofs_toy_name(&t), pt, eg, eh, eg <= TOL && eh <= TOL ? "ok" : "WRONG");
    }
    if (bad == 0) printf("all %d toy gradients and Hessians agree to %g\n", OFS_TOY_COUNT, TOL);
    return bad;
}

/* A realistic bug: the gradient is computed twice without zero_grad in between.
   Backward accumulates (+=), so the gradient comes out doubled. */
static double buggy_objective(const double *theta, double *grad, void *ctx)
{
    ofs_mlp_batch *b = (ofs_mlp_batch *)ctx;
    double f = ofs_mlp_objective(theta, grad, ctx);
    size_t i;
    if (grad) {
        ofs_mlp_loss_grad(b->mlp, b->x, b->y, b->batch, NULL);    /* forgot ofs_mlp_zero_grad */
        for (i = 0; i < b->mlp->nparams; i++) grad[i] = b->mlp->grads[i];
    }
    return f;
}

static int check_mlp(void)
{
    static const int sizes[] = {20, 16, 10};
    enum { B = 8 };
    ofs_mlp m;
    ofs_mlp_batch b;
    ofs_gradcheck_result r;
    ofs_rng rng;
    ofs_err err;
    double x[B * 20], *theta, *g;
    unsigned char y[B];
    size_t i;
    int k, rc = 0;
    /* The book's plain matrix product (chapter 15): the sums in plain k order, so the
       rounding, and with it the worst coordinate printed below, is the same on every
       processor (the fast kernels of Appendix A differ from one to the next). */
    if (ofs_gemm_set_kernel("book", &err) != OFS_OK ||
        ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, B, &err) != OFS_OK) { fprintf(stderr, "ch13_gradcheck: %s\n", err.msg); return -1; }
    ofs_rng_seed(&rng, 13);
    ofs_mlp_randomize(&m, OFS_INIT_HE, &rng);
    for (i = m.nweights; i < m.nparams; i++) m.params[i] = 0.1 * ofs_rng_normal(&rng);
    for (k = 0; k < B * 20; k++) x[k] = ofs_rng_normal(&rng);
    for (k = 0; k < B; k++) y[k] = (unsigned char)ofs_rng_below(&rng, 10);
    theta = (double *)malloc(m.nparams * sizeof(double));
    g = (double *)malloc(m.nparams * sizeof(double));
    if (!theta || !g) { fprintf(stderr, "ch13_gradcheck: out of memory\n"); free(theta); free(g); ofs_mlp_free(&m); return -1; }
    for (i = 0; i < m.nparams; i++) theta[i] = m.params[i];
    b.mlp = &m; b.x = x; b.y = y; b.batch = B;
    if (ofs_gradcheck(ofs_mlp_objective, &b, theta, m.nparams, H, FLOOR, g, &r, &err) != OFS_OK) rc = -1;
    else {
        printf("MLP 20-16-10 relu, batch %d, %lu parameters: worst relative error %.1e (parameter %lu: %.6e vs %.6e) %s\n",
               B, (unsigned long)m.nparams, r.max_rel_err, (unsigned long)r.worst, r.analytic, r.numeric,
               r.max_rel_err <= TOL ? "ok" : "WRONG");
        rc = r.max_rel_err > TOL;
    }
    if (rc == 0 && ofs_gradcheck(buggy_objective, &b, theta, m.nparams, H, FLOOR, g, &r, &err) == OFS_OK)
        printf("the same MLP, backward run twice without zero_grad: worst relative error %.2f -> %s\n",
               r.max_rel_err, r.max_rel_err > TOL ? "caught" : "missed");
    free(theta); free(g);
    ofs_mlp_free(&m);
    return rc;
}

/* The V: the error of the forward and central differences of f(x) = x cos(pi x)
   at x = 1 (f' = -1, f'' = pi^2, f''' = 3 pi^2) against h, in double, and of the central difference in float. */
static double f_double(double x) { return x * cos(M_PI * x); }
static float f_float(float x) { return x * cosf(3.14159265f * x); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int error_vs_h(void)
{
    const double x = 1.0, exact = cos(M_PI * x) - M_PI * x * sin(M_PI * x), eps = DBL_EPSILON, fx = fabs(f_double(x));
    FILE *f = fopen("out/ch13_error_vs_h.dat", "w");
    double best_c = 1, best_f = 1, best_fl = 1, hc = 0, hf = 0, hfl = 0, e4 = 0, max75 = 0, max84 = 0, zero_fl = 0;
    double ratio[64];
    int k, nr = 0;
    if (!f) { fprintf(stderr, "ch13_gradcheck: cannot open out/ch13_error_vs_h.dat for writing (run from the repository root; make creates out/)\n"); return -1; }
    fprintf(f, "# h forward_err central_err central_err_float   (derivative of x cos(pi x) at x = 1, absolute errors)\n");
    for (k = 4; k <= 56; k++) {
        double h = pow(10.0, -k / 4.0);
        float hf32 = (float)h, xf = (float)x;
        double fwd = fabs((f_double(x + h) - f_double(x)) / h - exact);
        double cen = fabs((f_double(x + h) - f_double(x - h)) / (2 * h) - exact);
        double cfl = fabs((double)((f_float(xf + hf32) - f_float(xf - hf32)) / (2 * hf32)) - exact);
        fprintf(f, "%.6e %.6e %.6e %.6e\n", h, fwd, cen, cfl);
        if (cen < best_c) { best_c = cen; hc = h; }
        if (fwd < best_f) { best_f = fwd; hf = h; }
        if (cfl < best_fl) { best_fl = cfl; hfl = h; }
        if (k == 16) e4 = cen;                                      /* h = 1e-4 */
        if (k >= 20 && k <= 28) max75 = fmax(max75, cen);           /* h from 1e-5 down to 1e-7 */
        if (k >= 16 && k <= 32) max84 = fmax(max84, cen);           /* h from 1e-4 down to 1e-8 */
        if (zero_fl == 0 && f_float(xf + hf32) == f_float(xf - hf32)) zero_fl = h;   /* the same float: derivative 0 */
        if (h <= 1e-7) ratio[nr++] = cen / (eps * fx / h);          /* rounding dominates: truncation < 5e-14 */
    }
    fclose(f);
    qsort(ratio, (size_t)nr, sizeof ratio[0], cmp_double);
    printf("derivative of x cos(pi x) at x = 1 (exact %.12f) against the step h:\n", exact);
    printf("  forward difference: smallest error %.1e at h = %.0e\n", best_f, hf);
    printf("  central difference: smallest error %.1e at h = %.0e; error at h = 1e-4: %.1e\n", best_c, hc, e4);
    printf("  central difference: largest error for h from 1e-7 to 1e-5: %.1e; for h from 1e-8 to 1e-4: %.1e\n", max75, max84);
    printf("  central difference, h <= 1e-7: error / (eps |f| / h) from %.3f to %.3f, median %.3f (%d values of h)\n",
           ratio[0], ratio[nr - 1], ratio[nr / 2], nr);
    printf("  central difference in float: smallest error %.1e at h = %.0e; f(x + h) = f(x - h) (derivative 0) first at h = %.1e\n",
           best_fl, hfl, zero_fl);
    printf("wrote out/ch13_error_vs_h.dat\n");
    return 0;
}

int main(int argc, char **argv)
{
    int rc;
    (void)argc; (void)argv;   /* --smoke: the same quick run */
    rc = check_toys();
    if (rc == 0) rc = check_mlp();
    if (rc == 0) rc = error_vs_h();
    return rc == 0 ? 0 : 1;
}
