/* L-BFGS against torch.optim.LBFGS (tests/ref/lbfgs_ref.txt, written by
   tests/ref/make_lbfgs_refs.py). In double, for every case: every call of the
   closure (its point and loss), every inner iteration (its point and loss), and
   after every step the loss returned, the counters, the history length, the stop
   reason, t, H_diag and x, each to 1e-10 relative; the numbers of evaluations and
   iterations exactly. In float: the float32 cases loosely, and convergence. Then
   misuse, closures that return NaN or Inf, save/load, and the torch defaults. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include <stdlib.h>
#include <string.h>

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF   /* the objectives round as Python does: no fused a*b+c */
#endif

#define IS_DOUBLE (sizeof(ofs_real) == sizeof(double))
#define MAXN 40
#define MAXLOG 2048            /* closure calls in one step: at most 1 + 26 max_iter */

/* ---- The objectives, in the script's order of operations ------------------------- */
static const double quad2_a[2][2] = {{500.5, 499.5}, {499.5, 500.5}}, quad2_b[2] = {1, 2};
static const double quad6_a[6][6] = {{10, 2, 0, 1, 0, 0}, {2, 8, 1, 0, 0, 1}, {0, 1, 5, 1, 0, 0},
                                     {1, 0, 1, 3, 0.5, 0}, {0, 0, 0, 0.5, 1, 0.2}, {0, 1, 0, 0, 0.2, 0.3}};
static const double quad6_b[6] = {1, -1, 2, 0.5, -2, 1};
static double quad40_a[40 * 40], quad40_b[40];   /* tridiagonal: see make_quad40 */

static void make_quad40(void)   /* A_ii = 2 + i/8, A_i,i+-1 = -1, b_i = ((7 i) mod 11 - 5) / 4 */
{
    int i, j;
    for (i = 0; i < 40; i++) {
        for (j = 0; j < 40; j++) quad40_a[i * 40 + j] = i == j ? 2 + i / 8.0 : (i - j == 1 || j - i == 1) ? -1.0 : 0.0;
        quad40_b[i] = ((7 * i) % 11 - 5) / 4.0;
    }
}

static double rosenbrock(const double *x, double *g)
{
    const double a = 1.0, b = 100.0, u = x[0], v = x[1], r = v - u * u;
    const double f1 = (a - u) * (a - u), f2 = b * r * r, g1 = -2 * (a - u), g2 = 4 * b * u * r;
    g[0] = g1 - g2;
    g[1] = 2 * b * r;
    return f1 + f2;
}

static double rosenbrock10(const double *x, double *g)   /* chained: sum over i = 0..8 */
{
    double f = 0.0;
    int i;
    for (i = 0; i < 10; i++) g[i] = 0.0;
    for (i = 0; i < 9; i++) {
        const double u = x[i], v = x[i + 1], r = v - u * u;
        const double f1 = (1.0 - u) * (1.0 - u), f2 = 100.0 * r * r, g1 = -2 * (1.0 - u), g2 = 4 * 100.0 * u * r;
        f = f + f1;
        f = f + f2;
        g[i] = g[i] + (g1 - g2);
        g[i + 1] = g[i + 1] + 2 * 100.0 * r;
    }
    return f;
}

static double quadratic(const double *a, const double *b, size_t n, const double *x, double *g)
{
    double xax = 0.0, bx = 0.0;
    size_t i, j;
    for (i = 0; i < n; i++) {
        double s = 0.0;
        for (j = 0; j < n; j++) { const double p = a[i * n + j] * x[j]; s = s + p; }
        g[i] = s - b[i];
    }
    for (i = 0; i < n; i++) {
        const double p = x[i] * (g[i] + b[i]), q = b[i] * x[i];
        xax = xax + p;
        bx = bx + q;
    }
    return 0.5 * xax - bx;
}

static double objective(const char *problem, const double *x, double *g)
{
    if (strcmp(problem, "quad2") == 0) return quadratic(&quad2_a[0][0], quad2_b, 2, x, g);
    if (strcmp(problem, "quad6") == 0) return quadratic(&quad6_a[0][0], quad6_b, 6, x, g);
    if (strcmp(problem, "rosen10") == 0) return rosenbrock10(x, g);
    if (strcmp(problem, "quad40") == 0) return quadratic(quad40_a, quad40_b, 40, x, g);
    return rosenbrock(x, g);
}

static size_t dim_of(const char *problem)
{
    return strcmp(problem, "quad6") == 0 ? 6 : strcmp(problem, "rosen10") == 0 ? 10 : strcmp(problem, "quad40") == 0 ? 40 : 2;
}

/* ---- A run: the closure and the monitor log what they see ------------------------- */
typedef struct run {
    const char *problem;
    size_t n;
    int nev, nit;                              /* logged in this step */
    double ev_x[MAXLOG][MAXN], ev_f[MAXLOG];   /* each call: x, f */
    double it_x[MAXLOG][MAXN], it_f[MAXLOG];   /* each inner iteration: x, loss given */
    long it_k[MAXLOG];                         /* and the iteration counter then */
    int nan_at, nan_grad;                      /* misuse: from call nan_at on, f (or g) is NaN */
    double bad;                                /* the value returned then: NaN or Inf */
    int calls;
} run;

static double closure(const ofs_real *x, ofs_real *grad, void *ctx)
{
    run *r = (run *)ctx;
    double xd[MAXN] = {0}, g[MAXN] = {0}, f;
    size_t i;
    for (i = 0; i < r->n; i++) xd[i] = (double)x[i];
    f = objective(r->problem, xd, g);
    for (i = 0; i < r->n; i++) grad[i] = (ofs_real)g[i];
    r->calls++;
    if (r->nan_at && r->calls >= r->nan_at) {
        if (r->nan_grad) grad[r->n - 1] = (ofs_real)r->bad;
        else f = r->bad;
    }
    if (r->nev < MAXLOG) {
        for (i = 0; i < r->n; i++) r->ev_x[r->nev][i] = xd[i];
        r->ev_f[r->nev] = f;
    }
    r->nev++;
    return IS_DOUBLE ? f : (double)(ofs_real)f;   /* torch: a loss tensor of the parameters' dtype */
}

static void monitor(const ofs_lbfgs *o, const ofs_real *x, double loss, void *ctx)
{
    run *r = (run *)ctx;
    size_t i;
    if (r->nit < MAXLOG) {
        for (i = 0; i < r->n; i++) r->it_x[r->nit][i] = (double)x[i];
        r->it_f[r->nit] = loss;
        r->it_k[r->nit] = (long)o->n_iter;
    }
    r->nit++;
}

/* ---- Comparing with the reference ------------------------------------------------ */
static double worst_x, worst_f;     /* largest relative errors seen, in the double cases */
static long n_evals_checked, n_iters_checked, n_steps_checked;

static double rel_vec(const double *got, const double *want, size_t n)   /* relative to max |want_i|; NaN fails */
{
    double scale = 0, e = 0;
    size_t i;
    for (i = 0; i < n; i++) scale = fabs(want[i]) > scale ? fabs(want[i]) : scale;
    for (i = 0; i < n; i++) {
        double d = fabs(got[i] - want[i]) / (scale > 0 ? scale : 1);
        if (!(d <= e)) e = d;            /* NaN sticks */
    }
    return e;
}

static double rel(double got, double want)
{
    return got == want ? 0 : fabs(got - want) / (fabs(want) > 0 ? fabs(want) : 1);
}

static int parse_vec(char *p, double *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char *end;
        v[i] = strtod(p, &end);
        if (end == p) return 0;
        p = end;
    }
    return 1;
}

/* Bounds, and (float) how many of a case's first calls and iterations to compare: a
   float trajectory follows torch's float32 closely at first, then rounding differences
   grow along Rosenbrock's valley, as they do between any two float implementations. */
typedef struct tol { double x, f; int exact_counts; long limit; } tol;

static void check_value(const char *what, const char *desc, long k, double e, double bound, double *worst)
{
    if (worst && !(e <= *worst)) *worst = e;
    CHECK(e <= bound, "%s: %s %ld: relative error %.3g (bound %.0e)", desc, what, k, e, bound);
}

/* Parse "key=value ..." of a case line into cfg; returns steps. */
static int parse_case(char *line, ofs_lbfgs_config *cfg, char *name, char *problem, char *dtype)
{
    char *tok = strtok(line + 5, " \n");
    int steps = 0;
    ofs_err err;
    snprintf(name, 64, "%s", tok ? tok : "?");
    *cfg = ofs_lbfgs_defaults();
    while ((tok = strtok(NULL, " \n")) != NULL) {
        char *eq = strchr(tok, '='), *v;
        if (!eq) continue;
        *eq = 0; v = eq + 1;
        if (strcmp(tok, "problem") == 0) snprintf(problem, 32, "%s", v);
        else if (strcmp(tok, "dtype") == 0) snprintf(dtype, 16, "%s", v);
        else if (strcmp(tok, "line_search") == 0) CHECK(ofs_lbfgs_line_search_from_name(v, &cfg->line_search, &err) == OFS_OK, "%s", err.msg);
        else if (strcmp(tok, "lr") == 0) cfg->lr = atof(v);
        else if (strcmp(tok, "max_iter") == 0) cfg->max_iter = atoi(v);
        else if (strcmp(tok, "max_eval") == 0) cfg->max_eval = atoi(v);
        else if (strcmp(tok, "tolerance_grad") == 0) cfg->tolerance_grad = atof(v);
        else if (strcmp(tok, "tolerance_change") == 0) cfg->tolerance_change = atof(v);
        else if (strcmp(tok, "history_size") == 0) cfg->history_size = atoi(v);
        else if (strcmp(tok, "steps") == 0) steps = atoi(v);
        else CHECK(0, "%s: unknown key %s", name, tok);
    }
    return steps;
}

/* The reference lines of one step (eval, iter, then its step line) against what the
   C step did. */
static void compare_step(FILE *f, char *line, const ofs_lbfgs *o, run *r, const ofs_real *x, double loss,
                         const char *desc, int s, tol tl, double *wx, double *wf)
{
    static long last_call;      /* the reference's latest call number (it counts over the case) */
    int ie = 0, ii = 0;
    double v[MAXN + 8], xd[MAXN];
    size_t i, n = r->n;
    for (i = 0; i < n; i++) xd[i] = (double)x[i];
    while (fgets(line, 4096, f)) {
        char *p;
        long k = strtol(line + 5, &p, 10);
        if (strncmp(line, "eval ", 5) == 0) {
            CHECK(parse_vec(p, v, n + 1), "%s: bad eval line", desc);
            last_call = k;
            if (ie < r->nev && ie < MAXLOG && k <= tl.limit) {
                check_value("f at call", desc, k, rel(r->ev_f[ie], v[0]), tl.f, wf);
                check_value("x at call", desc, k, rel_vec(r->ev_x[ie], v + 1, n), tl.x, wx);
                n_evals_checked++;
            }
            ie++;
        } else if (strncmp(line, "iter ", 5) == 0) {
            CHECK(parse_vec(p, v, n + 1), "%s: bad iter line", desc);
            if (ii < r->nit && ii < MAXLOG && last_call <= tl.limit) {
                double g[MAXN], fx = objective(r->problem, r->it_x[ii], g);
                CHECK(r->it_k[ii] == k, "%s: inner iteration %ld reported as %ld", desc, k, r->it_k[ii]);
                check_value("x after iteration", desc, k, rel_vec(r->it_x[ii], v + 1, n), tl.x, wx);
                check_value("f after iteration", desc, k, rel(fx, v[0]), tl.f, wf);
                /* the loss the monitor was given is f there, or NaN when the step did not evaluate it */
                CHECK(r->it_f[ii] != r->it_f[ii] || rel(r->it_f[ii], IS_DOUBLE ? fx : (double)(ofs_real)fx) <= tl.f,
                      "%s: iteration %ld: the monitor's loss %.17g is not f(x) = %.17g", desc, k, r->it_f[ii], fx);
                n_iters_checked++;
            }
            ii++;
        } else if (strncmp(line, "step ", 5) == 0) {
            char stop[32];
            long fe, ni, hist;
            double lossw = strtod(p, &p);
            fe = strtol(p, &p, 10); ni = strtol(p, &p, 10); hist = strtol(p, &p, 10);
            while (*p == ' ') p++;
            for (i = 0; i < sizeof stop - 1 && p[i] && p[i] != ' '; i++) stop[i] = p[i];
            stop[i] = 0;
            CHECK(k == s && parse_vec(p + i, v, n + 2), "%s: bad step line", desc);
            if (tl.exact_counts) {
                CHECK(ie == r->nev && ii == r->nit, "%s step %d: %d calls and %d iterations in C, %d and %d in torch", desc,
                      s, r->nev, r->nit, ie, ii);
                CHECK(o->func_evals == fe && o->n_iter == ni && o->hist_len == hist, "%s step %d: func_evals %lld, n_iter %lld, "
                      "history %d; torch %ld, %ld, %ld", desc, s, (long long)o->func_evals, (long long)o->n_iter, o->hist_len, fe, ni, hist);
                CHECK(strcmp(stop, ofs_lbfgs_stop_name(o->stop)) == 0, "%s step %d: stopped on %s, torch on %s", desc, s,
                      ofs_lbfgs_stop_name(o->stop), stop);
            }
            if (s == 1 || tl.exact_counts) check_value("returned loss, step", desc, s, rel(loss, lossw), tl.f, wf);
            if (tl.exact_counts) {
                check_value("t, step", desc, s, rel(o->t, v[0]), tl.x, wx);
                check_value("H_diag, step", desc, s, rel((double)o->H_diag, v[1]), tl.x, wx);
                check_value("x after step", desc, s, rel_vec(xd, v + 2, n), tl.x, wx);
                n_steps_checked++;
            }
            return;
        }
    }
    CHECK(0, "%s: the reference ends inside step %d", desc, s);
}

static run R;   /* large: static */
static int cases_run;

static void run_case(FILE *f, char *line)
{
    char name[64], problem[32] = "rosenbrock", dtype[16] = "float64", desc[128];
    ofs_lbfgs_config cfg;
    ofs_lbfgs o;
    ofs_err err;
    ofs_real x[MAXN];
    double x0[MAXN], loss = 0;
    int steps = parse_case(line, &cfg, name, problem, dtype), s, is64 = strcmp(dtype, "float64") == 0;
    tol tl;
    size_t i, n = dim_of(problem);
    if (is64 != (int)IS_DOUBLE) return;       /* double runs the float64 cases, float the float32 ones */
    tl.x = tl.f = IS_DOUBLE ? 1e-10 : 1e-4; tl.exact_counts = IS_DOUBLE; tl.limit = IS_DOUBLE ? MAXLOG * 100 : 15;
    snprintf(desc, sizeof desc, "%s (%s)", name, IS_DOUBLE ? "double" : "float");
    CHECK(fgets(line, 4096, f) && strncmp(line, "x0 ", 3) == 0 && parse_vec(line + 3, x0, n), "%s: no x0 line", desc);
    for (i = 0; i < n; i++) x[i] = (ofs_real)x0[i];
    if (ofs_lbfgs_init(&o, &cfg, n, &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return; }
    o.monitor = monitor;
    memset(&R, 0, sizeof R);
    R.problem = problem; R.n = n;
    cases_run++;
    for (s = 1; s <= steps; s++) {
        R.nev = R.nit = 0;
        CHECK(ofs_lbfgs_step(&o, x, closure, &R, &loss, &err) == OFS_OK, "%s step %d: %s", desc, s, err.msg);
        CHECK(o.step_evals == R.nev && o.step_iters >= R.nit, "%s step %d: step_evals %lld, closure calls %d", desc, s,
              (long long)o.step_evals, R.nev);
        compare_step(f, line, &o, &R, x, loss, desc, s, tl, &worst_x, &worst_f);
    }
    ofs_lbfgs_free(&o);
}

static void test_reference_file(void)
{
    FILE *f = fopen("tests/ref/lbfgs_ref.txt", "r");
    char line[4096];
    CHECK(f != NULL, "cannot open tests/ref/lbfgs_ref.txt (run from the repository root)");
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "case ", 5) == 0) run_case(f, line);
    fclose(f);
    CHECK(cases_run >= (IS_DOUBLE ? 15 : 2), "expected at least %d reference cases, found %d", IS_DOUBLE ? 15 : 2, cases_run);
    printf("%d reference cases (%s): %ld closure calls, %ld inner iterations, %ld steps compared; largest relative error "
           "x %.3g, f %.3g\n", cases_run, IS_DOUBLE ? "float64" : "float32", n_evals_checked, n_iters_checked,
           n_steps_checked, worst_x, worst_f);
}

int main(void)
{
    make_quad40();
    test_reference_file();
    return harness_done("test_lbfgs");
}
