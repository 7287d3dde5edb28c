/* cc -std=c99 -O2 -I. examples/ch04b_lbfgs.c -o ch04b_lbfgs -lm */
/* Chapter 4b: quasi-Newton. L-BFGS (ofs_lbfgs_step: torch.optim.LBFGS's algorithm)
   on Rosenbrock from (-1.5, 2), against Newton's method (chapter 4) and gradient
   descent (chapter 3): iterations, evaluations of f and its gradient, the distance
   to the minimum reached, and the CPU time of each run (printed apart: it varies
   from machine to machine). Then the first line search of L-BFGS, drawn along its
   direction with the two Wolfe conditions. Writes out/ch04b_*.dat for
   figures/ch04b_*.gp. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <time.h>

#define GD_LR 5e-4            /* about the largest that is stable from (-1.5, 2): 2 / 2085 = 9.6e-4 */
#define GD_MAX 100000
#define TARGET 1e-4           /* gradient descent runs until |x - (1, 1)| < TARGET */

static const double start[2] = {-1.5, 2.0};

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch04b_lbfgs: cannot open %s for writing (run from the repository root; `make` creates out/)\n", path);
    return f;
}

static double dist(const double *x) { return sqrt((x[0] - 1) * (x[0] - 1) + (x[1] - 1) * (x[1] - 1)); }

/* What a run reports: where it ended, after how many iterations and evaluations, and
   how many of its iterations went uphill. */
typedef struct result { long iters, evals, uphill; double x[2], f; } result;

/* ---- L-BFGS --------------------------------------------------------------------- */
/* The closure: f and its gradient from the toy objective, and a log of each call. */
typedef struct lbfgs_run {
    ofs_toy toy;
    FILE *out;                /* one row per iteration: iteration evaluations error f x1 x2 (NULL: none) */
    result last;              /* the last iteration that moved x */
    long uphill;              /* iterations that ended higher than they started */
    int ncalls;               /* calls logged in calls[] (the line search's trials) */
    double calls[64][3];      /* x1, x2, f of each call */
} lbfgs_run;

static double rosenbrock(const ofs_real *x, ofs_real *grad, void *ctx)
{
    lbfgs_run *r = (lbfgs_run *)ctx;
    double f = ofs_toy_eval(&r->toy, x, grad, NULL);
    if (r->ncalls < 64) { r->calls[r->ncalls][0] = x[0]; r->calls[r->ncalls][1] = x[1]; r->calls[r->ncalls][2] = f; }
    r->ncalls++;
    return f;
}

static void after_iteration(const ofs_lbfgs *o, const ofs_real *x, double loss, void *ctx)
{
    lbfgs_run *r = (lbfgs_run *)ctx;
    r->last.iters = (long)o->n_iter; r->last.evals = (long)o->func_evals;
    r->last.x[0] = x[0]; r->last.x[1] = x[1];
    r->uphill += ofs_toy_eval(&r->toy, x, NULL, NULL) > r->last.f;
    r->last.f = ofs_toy_eval(&r->toy, x, NULL, NULL);
    (void)loss;   /* NaN after a last iteration without line search: f is computed above instead */
    if (r->out) fprintf(r->out, "%ld %ld %.6e %.6e %.10g %.10g\n", r->last.iters, r->last.evals, dist(r->last.x), r->last.f, x[0], x[1]);
}

/* Steps of torch's size (max_iter = 20 iterations each) until a step leaves x where it
   was: torch's rules then stop every further step at once. */
static int lbfgs(const ofs_lbfgs_config *cfg, FILE *out, result *res)
{
    ofs_lbfgs o;
    ofs_err err;
    lbfgs_run r;
    double x[2];
    int s;
    memset(&r, 0, sizeof r);
    r.toy = ofs_toy_make(OFS_TOY_ROSENBROCK);
    r.out = out;
    x[0] = start[0]; x[1] = start[1];
    r.last.x[0] = x[0]; r.last.x[1] = x[1]; r.last.f = ofs_toy_eval(&r.toy, x, NULL, NULL);
    if (ofs_lbfgs_init(&o, cfg, 2, &err) != OFS_OK) { fprintf(stderr, "ch04b_lbfgs: %s\n", err.msg); return 1; }
    o.monitor = after_iteration;
    if (out) fprintf(out, "0 0 %.6e %.6e %.10g %.10g\n", dist(x), r.last.f, x[0], x[1]);
    for (s = 0; s < 50; s++) {
        double before[2], loss;
        before[0] = x[0]; before[1] = x[1];
        if (ofs_lbfgs_step(&o, x, rosenbrock, &r, &loss, &err) != OFS_OK) {
            fprintf(stderr, "ch04b_lbfgs: %s\n", err.msg);
            ofs_lbfgs_free(&o);
            return 1;
        }
        if (x[0] == before[0] && x[1] == before[1]) break;
    }
    if (out) fprintf(out, "\n\n");
    *res = r.last;
    res->uphill = r.uphill;
    ofs_lbfgs_free(&o);
    return 0;
}

/* ---- Newton and gradient descent -------------------------------------------------- */
/* Pure Newton (eta = 1): each iteration evaluates the gradient and the Hessian once. */
static int newton(FILE *out, result *res)
{
    ofs_toy t = ofs_toy_make(OFS_TOY_ROSENBROCK);
    ofs_err err;
    double x[2];
    long k;
    x[0] = start[0]; x[1] = start[1];
    if (out) fprintf(out, "0 0 %.6e %.6e %.10g %.10g\n", dist(x), ofs_toy_eval(&t, x, NULL, NULL), x[0], x[1]);
    for (k = 1; k <= 50; k++) {
        double before[2];
        before[0] = x[0]; before[1] = x[1];
        if (ofs_newton_step(&t, x, 1.0, 0.0, &err) != OFS_OK) { fprintf(stderr, "ch04b_lbfgs: %s\n", err.msg); return 1; }
        if (x[0] == before[0] && x[1] == before[1]) break;
        res->iters = res->evals = k;
        if (out) fprintf(out, "%ld %ld %.6e %.6e %.10g %.10g\n", k, k, dist(x), ofs_toy_eval(&t, x, NULL, NULL), x[0], x[1]);
    }
    if (out) fprintf(out, "\n\n");
    res->x[0] = x[0]; res->x[1] = x[1]; res->f = ofs_toy_eval(&t, x, NULL, NULL);
    return 0;
}

/* Gradient descent (chapter 3's SGD with no options) until |x - (1, 1)| < TARGET;
   x_k costs k gradients. Rows for the figures: the first 100 iterates, then every
   iterate 5% further on (and the last). */
static int gradient_descent(FILE *out, result *res)
{
    ofs_toy t = ofs_toy_make(OFS_TOY_ROSENBROCK);
    ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);
    ofs_optim opt;
    ofs_err err;
    double x[2], g[2], f = 0;
    long k, next = 0;
    cfg.lr = GD_LR;
    if (ofs_optim_init(&opt, &cfg, 2, &err) != OFS_OK) { fprintf(stderr, "ch04b_lbfgs: %s\n", err.msg); return 1; }
    x[0] = start[0]; x[1] = start[1];
    for (k = 0; k <= GD_MAX; k++) {
        int done;
        f = ofs_toy_eval(&t, x, g, NULL);
        done = dist(x) < TARGET || k == GD_MAX;
        if (out && (k == next || done)) {
            fprintf(out, "%ld %ld %.6e %.6e %.10g %.10g\n", k, k, dist(x), f, x[0], x[1]);
            next = k < 100 ? k + 1 : k + k / 20;
        }
        if (done) break;
        ofs_optim_step(&opt, x, g, NULL);
    }
    if (out) fprintf(out, "\n\n");
    ofs_optim_free(&opt);
    res->iters = res->evals = k; res->x[0] = x[0]; res->x[1] = x[1]; res->f = f;
    return 0;
}

/* ---- The first line search, along d = -g at the start ------------------------------ */
/* phi(t) = f(x0 + t d) and phi'(t) = g(x0 + t d).d on [0, 1.5 t_first], with the two
   strong Wolfe conditions: phi(t) <= phi(0) + c1 t phi'(0) and |phi'(t)| <= c2 |phi'(0)|.
   The trials are the calls of one L-BFGS step with max_iter = 1 after the first. */
static int wolfe_slice(FILE *fs, FILE *ft)
{
    const double c1 = 1e-4, c2 = 0.9;
    ofs_lbfgs_config cfg = ofs_lbfgs_defaults();
    ofs_lbfgs o;
    ofs_err err;
    lbfgs_run r;
    double x[2], g0[2], d[2], phi0, dphi0, tmax, loss;
    int k;
    memset(&r, 0, sizeof r);
    r.toy = ofs_toy_make(OFS_TOY_ROSENBROCK);
    x[0] = start[0]; x[1] = start[1];
    phi0 = ofs_toy_eval(&r.toy, x, g0, NULL);
    d[0] = -g0[0]; d[1] = -g0[1];
    dphi0 = g0[0] * d[0] + g0[1] * d[1];
    cfg.line_search = OFS_LS_STRONG_WOLFE; cfg.max_iter = 1;
    if (ofs_lbfgs_init(&o, &cfg, 2, &err) != OFS_OK || ofs_lbfgs_step(&o, x, rosenbrock, &r, &loss, &err) != OFS_OK) {
        fprintf(stderr, "ch04b_lbfgs: %s\n", err.msg);
        return 1;
    }
    printf("\nThe first line search, along d = -g = (%g, %g) from (-1.5, 2): phi(t) = f(x0 + t d)\n", d[0], d[1]);
    printf("  phi(0) = %g, phi'(0) = g.d = %g\n  sufficient decrease: phi(t) <= %g - %g t;  curvature: |phi'(t)| <= %g\n",
           phi0, dphi0, phi0, -c1 * dphi0, -c2 * dphi0);
    fprintf(ft, "# trial t phi(t) phi'(t) armijo curvature   (trial k = call k + 1 of the step)\n");
    tmax = 0;
    for (k = 1; k < r.ncalls && k < 64; k++) {
        double xt[2], gt[2], t = (r.calls[k][0] - start[0]) / d[0], phi, dphi;
        int armijo, curv;
        xt[0] = r.calls[k][0]; xt[1] = r.calls[k][1];
        phi = ofs_toy_eval(&r.toy, xt, gt, NULL);
        dphi = gt[0] * d[0] + gt[1] * d[1];
        armijo = phi <= phi0 + c1 * t * dphi0;
        curv = fabs(dphi) <= -c2 * dphi0;
        tmax = t > tmax ? t : tmax;
        printf("  trial %d: t = %.6f  phi = %10.4f  phi' = %11.2f  decrease %-3s  curvature %-3s  %s\n", k, t, phi, dphi,
               armijo ? "yes" : "no", curv ? "yes" : "no", armijo && curv ? "accepted" : "rejected");
        fprintf(ft, "%d %.10g %.10g %.10g %d %d\n", k, t, phi, dphi, armijo, curv);
    }
    printf("  the step: t = %.6f, x = (%.6f, %.6f), f = %.6f (from %g), %lld evaluations in all\n", o.t, x[0], x[1],
           ofs_toy_eval(&r.toy, x, NULL, NULL), loss, (long long)o.func_evals);
    fprintf(fs, "# t phi(t) armijo_line(t) phi'(t) curvature_ok   (d = -g at (-1.5, 2); c1 = %g, c2 = %g)\n", c1, c2);
    for (k = 0; k <= 400; k++) {
        double t = 1.5 * tmax * k / 400, xt[2], gt[2], phi, dphi;
        xt[0] = start[0] + t * d[0]; xt[1] = start[1] + t * d[1];
        phi = ofs_toy_eval(&r.toy, xt, gt, NULL);
        dphi = gt[0] * d[0] + gt[1] * d[1];
        fprintf(fs, "%.8g %.8g %.8g %.8g %d\n", t, phi, phi0 + c1 * t * dphi0, dphi, fabs(dphi) <= -c2 * dphi0);
    }
    ofs_lbfgs_free(&o);
    return 0;
}

/* ---- The comparison ------------------------------------------------------------------- */
#define NRUNS 5
static const char *names[NRUNS] = {"L-BFGS, strong Wolfe (torch's defaults)", "L-BFGS, strong Wolfe, tolerances 0",
                                   "L-BFGS, no line search (torch's defaults)", "Newton's method, eta = 1",
                                   "gradient descent, lr = 5e-4"};

static int run(int which, FILE *out, result *res)
{
    ofs_lbfgs_config c = ofs_lbfgs_defaults();
    memset(res, 0, sizeof *res);
    if (which == 3) return newton(out, res);
    if (which == 4) return gradient_descent(out, res);
    if (which < 2) c.line_search = OFS_LS_STRONG_WOLFE;
    if (which == 1) c.tolerance_change = c.tolerance_grad = 0;
    return lbfgs(&c, out, res);
}

/* CPU seconds per run: repeated for at least 20 ms, the best of three such means. */
static double seconds(int which)
{
    double best = 1e30;
    int rep;
    for (rep = 0; rep < 3; rep++) {
        clock_t c0 = clock();
        long n = 0;
        result r;
        do { if (run(which, NULL, &r)) return -1; n++; } while (clock() - c0 < CLOCKS_PER_SEC / 50);
        if ((double)(clock() - c0) / CLOCKS_PER_SEC / (double)n < best) best = (double)(clock() - c0) / CLOCKS_PER_SEC / (double)n;
    }
    return best;
}

int main(int argc, char **argv)
{
    static const double box[4] = {-2, 2, -1, 3};
    ofs_toy t = ofs_toy_make(OFS_TOY_ROSENBROCK);
    FILE *fr = open_out("out/ch04b_runs.dat"), *fs = open_out("out/ch04b_slice.dat"), *ft = open_out("out/ch04b_trials.dat");
    ofs_err err;
    result res[NRUNS];
    int k, rc = !fr || !fs || !ft;
    (void)argc; (void)argv;   /* --smoke: the full run takes milliseconds */
    if (!rc && ofs_toy_grid_save("out/ch04b_rosenbrock.dat", &t, box, 161, 161, 1, &err) != OFS_OK) {
        fprintf(stderr, "ch04b_lbfgs: %s\n", err.msg);
        rc = 1;
    }
    if (!rc) {
        fprintf(fr, "# iteration evaluations |x - (1,1)| f x1 x2   (blocks: the runs in the order printed; row 0: the start)\n");
        printf("Rosenbrock f = (1 - x1)^2 + 100 (x2 - x1^2)^2 from (-1.5, 2); the minimum is f = 0 at (1, 1)\n");
        printf("  %-42s %10s %11s %12s %12s\n", "method", "iterations", "evaluations", "|x - (1,1)|", "f");
    }
    for (k = 0; k < NRUNS && !rc; k++) {
        rc = run(k, fr, &res[k]);
        if (!rc) printf("  %-42s %10ld %11ld %12.3e %12.3e\n", names[k], res[k].iters, res[k].evals, dist(res[k].x), res[k].f);
    }
    if (!rc) {
        printf("  (evaluations: of f and its gradient; Newton: of the gradient and the Hessian)\n");
        for (k = 0; k < 3; k++) printf("  %s: %ld of %ld iterations went uphill\n", names[k], res[k].uphill, res[k].iters);
        printf("\nCPU time per run (best of 3; varies from machine to machine)\n");
        for (k = 0; k < NRUNS; k++) printf("  %-42s %10.1f us\n", names[k], 1e6 * seconds(k));
    }
    if (!rc) rc = wolfe_slice(fs, ft);
    if (fr) fclose(fr);
    if (fs) fclose(fs);
    if (ft) fclose(ft);
    return rc;
}
