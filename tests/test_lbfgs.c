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

/* The objectives must round as Python does: no a*b+c fused by the compiler. */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
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
    double cx = 0, cf = 0;      /* this case's largest relative errors */
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
        compare_step(f, line, &o, &R, x, loss, desc, s, tl, &cx, &cf);
    }
    /* Below 16 elements every operation is torch's (its dot products are OpenBLAS's
       in-order fused loop there), so in double the runs must agree to the last bit. */
    if (IS_DOUBLE && n < 16) CHECK(cx == 0 && cf == 0, "%s: not bit for bit: x %.3g, f %.3g relative", desc, cx, cf);
    if (!(cx <= worst_x)) worst_x = cx;
    if (!(cf <= worst_f)) worst_f = cf;
    ofs_lbfgs_free(&o);
}

/* The "defaults" line: torch's own defaults, read by the script from a new optimizer. */
static int check_defaults(char *line)
{
    ofs_lbfgs_config c = ofs_lbfgs_defaults(), want;
    char name[64], problem[32], dtype[16], as_case[4200];
    snprintf(as_case, sizeof as_case, "case defaults %s", line + 9);   /* parsed as a case line */
    (void)parse_case(as_case, &want, name, problem, dtype);
    CHECK(c.lr == want.lr && c.max_iter == want.max_iter && c.tolerance_grad == want.tolerance_grad &&
          c.tolerance_change == want.tolerance_change && c.history_size == want.history_size &&
          c.line_search == want.line_search, "ofs_lbfgs_defaults differs from torch's defaults");
    CHECK(c.max_eval == 0 && ofs__lbfgs_max_eval(&c) == want.max_eval, "default max_eval: %lld, torch %d",
          (long long)ofs__lbfgs_max_eval(&c), want.max_eval);
    return 1;
}

static void test_reference_file(void)
{
    FILE *f = fopen("tests/ref/lbfgs_ref.txt", "r");
    char line[4096];
    int defaults = 0;
    CHECK(f != NULL, "cannot open tests/ref/lbfgs_ref.txt (run from the repository root)");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "case ", 5) == 0) run_case(f, line);
        else if (strncmp(line, "defaults ", 9) == 0) defaults = check_defaults(line);
    }
    CHECK(defaults, "the reference has no defaults line");
    fclose(f);
    CHECK(cases_run >= (IS_DOUBLE ? 15 : 2), "expected at least %d reference cases, found %d", IS_DOUBLE ? 15 : 2, cases_run);
    printf("%d reference cases (%s): %ld closure calls, %ld inner iterations, %ld steps compared; largest relative error "
           "x, t and H_diag %.3g, f %.3g%s\n", cases_run, IS_DOUBLE ? "float64" : "float32", n_evals_checked, n_iters_checked,
           n_steps_checked, worst_x, worst_f, IS_DOUBLE ? " (n = 40; n < 16: bit for bit)" : " (first 15 calls)");
}

/* ---- Misuse: every bad setting refused with a message naming it ------------------- */
static void expect_refused(const ofs_lbfgs_config *c, size_t n, ofs_status want, const char *needle)
{
    ofs_lbfgs o;
    ofs_err err;
    ofs_status st = ofs_lbfgs_init(&o, c, n, &err);
    CHECK(st == want, "%s: expected %s, found %s", needle, ofs_status_string(want), ofs_status_string(st));
    CHECK(st != OFS_OK && strstr(err.msg, needle) != NULL, "message \"%s\" should mention \"%s\"", err.msg, needle);
    CHECK(o.d == NULL, "%s: a refused init allocates nothing", needle);
    if (st == OFS_OK) ofs_lbfgs_free(&o);
}

static void test_misuse(void)
{
    static const struct { const char *field, *needle; double value; } bad[] = {
        {"history_size", "history_size >= 1", 0}, {"history_size", "found -3", -3},
        {"max_iter", "max_iter >= 1", 0}, {"max_iter", "found -1", -1}, {"max_eval", "max_eval >= 0", -1},
        {"tolerance_grad", "tolerance_grad >= 0", -1e-9}, {"tolerance_grad", "found nan", (double)NAN},
        {"tolerance_change", "tolerance_change >= 0", -1}, {"tolerance_change", "found inf", (double)INFINITY},
        {"lr", "lr > 0, found 0", 0}, {"lr", "found -1", -1}, {"lr", "found nan", (double)NAN},
        {"lr", "found inf", (double)INFINITY}, {"line_search", "line_search 0 (none) to 1 (strong_wolfe), found 7", 7}};
    ofs_lbfgs_config c;
    ofs_lbfgs o;
    ofs_err err;
    ofs_line_search ls = OFS_LS_NONE;
    ofs_real x[2] = {(ofs_real)-1.5, 2};
    run *r = &R;
    size_t k;
    double loss = 0;
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        c = ofs_lbfgs_defaults();
        if (strcmp(bad[k].field, "history_size") == 0) c.history_size = (int)bad[k].value;
        if (strcmp(bad[k].field, "max_iter") == 0) c.max_iter = (int)bad[k].value;
        if (strcmp(bad[k].field, "max_eval") == 0) c.max_eval = (int)bad[k].value;
        if (strcmp(bad[k].field, "tolerance_grad") == 0) c.tolerance_grad = bad[k].value;
        if (strcmp(bad[k].field, "tolerance_change") == 0) c.tolerance_change = bad[k].value;
        if (strcmp(bad[k].field, "lr") == 0) c.lr = bad[k].value;
        if (strcmp(bad[k].field, "line_search") == 0) c.line_search = (ofs_line_search)(int)bad[k].value;
        expect_refused(&c, 2, OFS_ERR_ARG, bad[k].needle);
    }
    c = ofs_lbfgs_defaults();
    expect_refused(&c, 0, OFS_ERR_ARG, "n = 0");
    expect_refused(&c, (size_t)-1 / 4, OFS_ERR_NOMEM, "cannot allocate");

    /* line searches by name: the known two, an unknown one and NULL (the message lists the names) */
    CHECK(ofs_lbfgs_line_search_from_name("strong_wolfe", &ls, &err) == OFS_OK && ls == OFS_LS_STRONG_WOLFE, "strong_wolfe");
    CHECK(ofs_lbfgs_line_search_from_name("none", &ls, &err) == OFS_OK && ls == OFS_LS_NONE, "none");
    CHECK(ofs_lbfgs_line_search_from_name("wolfe", &ls, &err) == OFS_ERR_ARG && strstr(err.msg, "\"wolfe\"") &&
          strstr(err.msg, "\"none\" or \"strong_wolfe\""), "unknown line search: %s", err.msg);
    CHECK(ofs_lbfgs_line_search_from_name(NULL, &ls, &err) == OFS_ERR_ARG && strstr(err.msg, "NULL"), "NULL name: %s", err.msg);
    CHECK(strcmp(ofs_lbfgs_line_search_name(OFS_LS_STRONG_WOLFE), "strong_wolfe") == 0 &&
          strcmp(ofs_lbfgs_line_search_name((ofs_line_search)9), "unknown") == 0, "line search names");
    CHECK(strcmp(ofs_lbfgs_stop_name(OFS_LBFGS_MAX_EVAL), "max_eval") == 0 &&
          strcmp(ofs_lbfgs_stop_name(OFS_LBFGS_STOP_COUNT), "unknown") == 0, "stop names");

    /* step: NULL x, NULL closure, settings broken after init, history_size changed, a freed state */
    memset(r, 0, sizeof *r); r->problem = "rosenbrock"; r->n = 2;
    CHECK(ofs_lbfgs_init(&o, &c, 2, &err) == OFS_OK, "init: %s", err.msg);
    CHECK(ofs_lbfgs_step(&o, NULL, closure, r, &loss, &err) == OFS_ERR_ARG && strstr(err.msg, "NULL"), "NULL x: %s", err.msg);
    CHECK(ofs_lbfgs_step(&o, x, NULL, r, &loss, &err) == OFS_ERR_ARG && strstr(err.msg, "closure"), "NULL closure: %s", err.msg);
    o.cfg.lr = -2;
    CHECK(ofs_lbfgs_step(&o, x, closure, r, &loss, &err) == OFS_ERR_ARG && strstr(err.msg, "lr"), "lr < 0 at step: %s", err.msg);
    o.cfg.lr = 1; o.cfg.history_size = 5;
    CHECK(ofs_lbfgs_step(&o, x, closure, r, &loss, &err) == OFS_ERR_ARG && strstr(err.msg, "history_size 100"),
          "history_size changed: %s", err.msg);
    CHECK(r->calls == 0 && o.func_evals == 0 && x[0] == (ofs_real)-1.5 && x[1] == 2, "a refused step calls nothing, moves nothing");
    o.cfg.history_size = 100;
    ofs_lbfgs_free(&o);
    CHECK(ofs_lbfgs_step(&o, x, closure, r, &loss, &err) == OFS_ERR_ARG && strstr(err.msg, "not initialised"), "freed: %s", err.msg);
}

/* ---- A gradient already below tolerance_grad: one evaluation, nothing moves --------- */
static void test_converged_start(void)
{
    ofs_lbfgs_config c = ofs_lbfgs_defaults();
    ofs_lbfgs o;
    ofs_real x[2] = {1, 1};
    double loss = -1;
    int ls;
    for (ls = 0; ls < OFS_LS_COUNT; ls++) {
        memset(&R, 0, sizeof R); R.problem = "rosenbrock"; R.n = 2;
        c.line_search = (ofs_line_search)ls;
        ofs_lbfgs_init(&o, &c, 2, NULL);
        CHECK(ofs_lbfgs_step(&o, x, closure, &R, &loss, NULL) == OFS_OK, "step at the minimum");
        CHECK(R.calls == 1 && o.func_evals == 1 && o.n_iter == 0 && o.step_iters == 0 && loss == 0 && x[0] == 1 && x[1] == 1 &&
              o.stop == OFS_LBFGS_TOLERANCE_GRAD, "at the minimum: %d calls, %lld iterations, stop %s", R.calls,
              (long long)o.n_iter, ofs_lbfgs_stop_name(o.stop));
        ofs_lbfgs_free(&o);
    }
}

/* ---- A closure that returns NaN or Inf, or writes one into the gradient -------------
   From call k on the closure is broken. The step must fail with OFS_ERR_NONFINITE and
   say what it found; x must be the last point the monitor reported (the start of the
   step when none), bit for bit; every number of the state must be finite; and a
   further step with a sound closure must go on from there. */
static int state_finite(const ofs_lbfgs *o)
{
    size_t i, rows = 2 * (size_t)o->m * o->n;
    int ok = ofs__finite(o->t) && ofs__finite(o->prev_loss) && ofs__finite((double)o->H_diag);
    for (i = 0; i < o->n; i++) ok &= ofs__finite((double)o->d[i]) && ofs__finite((double)o->prev_grad[i]);
    for (i = 0; i < rows; i++) ok &= ofs__finite((double)o->old_dirs[i]);   /* old_dirs, then old_stps */
    for (i = 0; i < (size_t)o->m; i++) ok &= ofs__finite((double)o->ro[i]);
    return ok;
}

static void test_nonfinite(void)
{
    static const struct { double value; int grad; const char *needle; } faults[] = {
        {(double)NAN, 0, "finite loss from the closure, found nan"}, {(double)INFINITY, 0, "finite loss from the closure, found inf"},
        {(double)NAN, 1, "finite gradient from the closure, found nan at element 1 of 2"},
        {(double)-INFINITY, 1, "finite gradient from the closure, found -inf at element 1"}};
    static const int at[] = {1, 2, 3, 5, 9, 17};
    size_t fi, ai;
    int ls;
    for (ls = 0; ls < OFS_LS_COUNT; ls++)
        for (fi = 0; fi < sizeof faults / sizeof faults[0]; fi++)
            for (ai = 0; ai < sizeof at / sizeof at[0]; ai++) {
                ofs_lbfgs_config c = ofs_lbfgs_defaults();
                ofs_lbfgs o;
                ofs_err err;
                ofs_real x[2] = {(ofs_real)-1.5, 2}, want[2];
                double loss = 0;
                ofs_status st;
                c.line_search = (ofs_line_search)ls;
                c.lr = ls == OFS_LS_NONE ? 0.1 : 1;
                memset(&R, 0, sizeof R); R.problem = "rosenbrock"; R.n = 2;
                R.nan_at = at[ai]; R.nan_grad = faults[fi].grad; R.bad = faults[fi].value;
                ofs_lbfgs_init(&o, &c, 2, NULL);
                o.monitor = monitor;
                st = ofs_lbfgs_step(&o, x, closure, &R, &loss, &err);
                want[0] = R.nit ? (ofs_real)R.it_x[R.nit - 1][0] : (ofs_real)-1.5;
                want[1] = R.nit ? (ofs_real)R.it_x[R.nit - 1][1] : 2;
                CHECK(st == OFS_ERR_NONFINITE && strstr(err.msg, faults[fi].needle) && o.stop == OFS_LBFGS_FAILED &&
                      R.calls == at[ai] && o.func_evals == at[ai],
                      "%s, fault %d at call %d: status %s, %d calls, message: %s", ofs_lbfgs_line_search_name(c.line_search),
                      (int)fi, at[ai], ofs_status_string(st), R.calls, err.msg);
                CHECK(x[0] == want[0] && x[1] == want[1], "%s, fault %d at call %d: x = (%.17g, %.17g), want the last "
                      "accepted point (%.17g, %.17g)", ofs_lbfgs_line_search_name(c.line_search), (int)fi, at[ai],
                      (double)x[0], (double)x[1], (double)want[0], (double)want[1]);
                CHECK(state_finite(&o), "%s, fault %d at call %d: the state holds a non-finite number",
                      ofs_lbfgs_line_search_name(c.line_search), (int)fi, at[ai]);
                R.nan_at = 0;
                CHECK(ofs_lbfgs_step(&o, x, closure, &R, &loss, &err) == OFS_OK && ofs__finite((double)x[0]) &&
                      ofs__finite((double)x[1]), "a step after the fault: %s", err.msg);
                ofs_lbfgs_free(&o);
            }
}

/* Overflow that no closure value shows: a gradient whose g.d overflows (the state is
   reset), and a trial point x + t d out of range (lr huge). Both refused, x unchanged. */
static double huge_gradient(const ofs_real *x, ofs_real *grad, void *ctx)
{
    const double big = sqrt(OFS__REAL_MAX) * 4;   /* finite, and its square is not */
    (void)x; (void)ctx;
    grad[0] = (ofs_real)big; grad[1] = (ofs_real)-big;
    return 1.0;
}

static double linear(const ofs_real *x, ofs_real *grad, void *ctx)   /* f = x_0: finite for every finite x */
{
    (*(int *)ctx)++;
    grad[0] = 1; grad[1] = 0;
    return (double)x[0];
}

static void test_overflow(void)
{
    ofs_lbfgs_config c = ofs_lbfgs_defaults();
    ofs_lbfgs o;
    ofs_err err;
    ofs_real x[2] = {(ofs_real)-1.5, 2};
    double loss;
    int ls;
    ofs_lbfgs_init(&o, &c, 2, NULL);
    CHECK(ofs_lbfgs_step(&o, x, huge_gradient, NULL, &loss, &err) == OFS_ERR_NONFINITE && strstr(err.msg, "finite direction") &&
          x[0] == (ofs_real)-1.5 && x[1] == 2 && o.n_iter == 0 && o.hist_len == 0 && o.stop == OFS_LBFGS_FAILED,
          "g.d overflows: %s", err.msg);
    ofs_lbfgs_free(&o);
    c.lr = OFS__REAL_MAX;        /* the first t is lr here (sum |g_i| = 1): x_0 - t passes -max */
    for (ls = 0; ls < OFS_LS_COUNT; ls++) {
        int calls = 0;
        c.line_search = (ofs_line_search)ls;
        x[0] = (ofs_real)(-OFS__REAL_MAX / 2); x[1] = 0;
        ofs_lbfgs_init(&o, &c, 2, NULL);
        CHECK(ofs_lbfgs_step(&o, x, linear, &calls, &loss, &err) == OFS_ERR_NONFINITE && strstr(err.msg, "finite point x + t d") &&
              x[0] == (ofs_real)(-OFS__REAL_MAX / 2) && x[1] == 0 && calls == 1 && state_finite(&o), "%s: x + t d overflows: %s",
              ofs_lbfgs_line_search_name(c.line_search), err.msg);
        ofs_lbfgs_free(&o);
    }
}

/* ---- Save, load, reset --------------------------------------------------------------- */
static void steps_of(ofs_lbfgs *o, ofs_real *x, int k)
{
    double loss;
    int s;
    for (s = 0; s < k; s++) { R.nev = R.nit = 0; (void)ofs_lbfgs_step(o, x, closure, &R, &loss, NULL); }
}

static int same_bytes(const ofs_lbfgs *a, const ofs_lbfgs *b)
{
    ofs_buf ba = {NULL, 0, 0, 0}, bb = {NULL, 0, 0, 0};
    int same;
    ofs_lbfgs_save(a, &ba); ofs_lbfgs_save(b, &bb);
    same = !ba.failed && !bb.failed && ba.len == bb.len && memcmp(ba.data, bb.data, ba.len) == 0;
    ofs_buf_free(&ba); ofs_buf_free(&bb);
    return same;
}

static void test_save_load(void)
{
    ofs_lbfgs_config c = ofs_lbfgs_defaults();
    ofs_lbfgs a, b, other, before;
    ofs_buf buf = {NULL, 0, 0, 0};
    ofs_reader rd;
    ofs_err err;
    ofs_real xa[10], xb[10];
    int i;
    c.line_search = OFS_LS_STRONG_WOLFE; c.history_size = 3; c.max_iter = 4;
    memset(&R, 0, sizeof R); R.problem = "rosen10"; R.n = 10;
    for (i = 0; i < 10; i++) xa[i] = (ofs_real)(i % 2 ? 1.0 : -1.2);
    ofs_lbfgs_init(&a, &c, 10, NULL);
    steps_of(&a, xa, 3);                          /* the ring has wrapped: 12 iterations, 3 pairs */
    ofs_lbfgs_save(&a, &buf);
    memcpy(xb, xa, sizeof xa);
    CHECK(a.hist_len == 3 && a.hist_head != 0, "the history ring wrapped (head %d)", a.hist_head);
    ofs_lbfgs_init(&b, &c, 10, NULL);
    rd.data = buf.data; rd.len = buf.len; rd.pos = 0; rd.failed = 0;
    CHECK(ofs_lbfgs_load(&b, &rd, &err) == OFS_OK && rd.pos == buf.len, "load: %s", err.msg);
    steps_of(&a, xa, 3);
    steps_of(&b, xb, 3);
    CHECK(memcmp(xa, xb, sizeof xa) == 0 && a.func_evals == b.func_evals && a.n_iter == b.n_iter && a.t == b.t,
          "a loaded state continues bit for bit (%lld and %lld evaluations)", (long long)a.func_evals, (long long)b.func_evals);

    /* refused: another shape, a truncated file, a NaN in d, more pairs than the ring holds; b is then unchanged */
    memcpy(&before, &b, sizeof b);
    c.history_size = 4;
    ofs_lbfgs_init(&other, &c, 10, NULL);
    rd.pos = 0; rd.failed = 0;
    CHECK(ofs_lbfgs_load(&other, &rd, &err) == OFS_ERR_MISMATCH && strstr(err.msg, "history_size 4"), "mismatch: %s", err.msg);
    ofs_lbfgs_free(&other);
    rd.pos = 0; rd.failed = 0; rd.len = buf.len - 8;
    CHECK(ofs_lbfgs_load(&b, &rd, &err) == OFS_ERR_FORMAT && strstr(err.msg, "truncated"), "truncated: %s", err.msg);
    rd.len = buf.len;
    {
        const size_t d_at = 18 * 8 + 3 * 8;       /* the head's 18 values, then rho x 3, then d */
        unsigned char keep[8];
        double nan = (double)NAN;
        memcpy(keep, buf.data + d_at, 8); memcpy(buf.data + d_at, &nan, 8);
        rd.pos = 0; rd.failed = 0;
        CHECK(ofs_lbfgs_load(&b, &rd, &err) == OFS_ERR_FORMAT && strstr(err.msg, "finite numbers, found nan"), "NaN in d: %s", err.msg);
        memcpy(buf.data + d_at, keep, 8);
        memcpy(keep, buf.data + 16 * 8, 8); buf.data[16 * 8] = 9;   /* hist_len 9 > 3 */
        rd.pos = 0; rd.failed = 0;
        CHECK(ofs_lbfgs_load(&b, &rd, &err) == OFS_ERR_FORMAT && strstr(err.msg, "at most 3 pairs"), "hist_len: %s", err.msg);
        memcpy(buf.data + 16 * 8, keep, 8);
    }
    CHECK(same_bytes(&b, &before), "a refused load changes nothing");

    /* reset: the next step is a new optimizer's first */
    ofs_lbfgs_reset(&b);
    ofs_lbfgs_init(&other, &c, 10, NULL);
    other.cfg.history_size = 3;
    CHECK(b.n_iter == 0 && b.func_evals == 0 && b.hist_len == 0 && b.stop == OFS_LBFGS_NONE, "reset clears the counters");
    ofs_lbfgs_free(&other);
    c.history_size = 3;
    ofs_lbfgs_init(&other, &c, 10, NULL);
    memcpy(xa, xb, sizeof xa);
    steps_of(&b, xb, 1);
    steps_of(&other, xa, 1);
    CHECK(memcmp(xa, xb, sizeof xa) == 0 && same_bytes(&b, &other), "after reset, a step as a new optimizer's");
    ofs_buf_free(&buf);
    ofs_lbfgs_free(&a); ofs_lbfgs_free(&b); ofs_lbfgs_free(&other);
}

/* ---- Convergence, in either precision ----------------------------------------------- */
static void test_converges(void)
{
    static const char *problems[] = {"rosenbrock", "quad6", "rosen10"};
    static const double quad6_min[6] = {0.42998833, -1.96266044, 0.66744457, 0.62543757, -4.94749125, 13.17386231};
    int p, ls, i;
    for (p = 0; p < 3; p++)
        for (ls = p == 2 ? OFS_LS_STRONG_WOLFE : 0; ls < OFS_LS_COUNT; ls++) {   /* rosen10 without: a local minimum */
            ofs_lbfgs_config c = ofs_lbfgs_defaults();
            ofs_lbfgs o;
            ofs_real x[10];
            const size_t n = dim_of(problems[p]);
            double err = 0;
            c.line_search = (ofs_line_search)ls;
            c.lr = ls == OFS_LS_NONE ? 0.25 : 1;
            c.history_size = 10;
            memset(&R, 0, sizeof R); R.problem = problems[p]; R.n = n;
            for (i = 0; i < (int)n; i++) x[i] = (ofs_real)(p == 1 ? 1.0 : i % 2 ? 2.0 : -1.5);
            ofs_lbfgs_init(&o, &c, n, NULL);
            steps_of(&o, x, 25);
            for (i = 0; i < (int)n; i++) {
                double e = fabs((double)x[i] - (p == 1 ? quad6_min[i] : 1.0)) / (p == 1 ? 13.2 : 1.0);
                if (!(e <= err)) err = e;
            }
            /* torch's rules stop Rosenbrock at f ~ 1e-10 (g.d > -tolerance_change), x within about 1e-4 */
            CHECK(err < (IS_DOUBLE ? 1e-4 : 1e-3), "%s, %s: ends %.3g from the minimum after %lld evaluations", problems[p],
                  ofs_lbfgs_line_search_name(c.line_search), err, (long long)o.func_evals);
            printf("converges: %s, %s: %.3g from the minimum after %lld evaluations\n", problems[p],
                   ofs_lbfgs_line_search_name(c.line_search), err, (long long)o.func_evals);
            ofs_lbfgs_free(&o);
        }
}

int main(void)
{
    make_quad40();
    test_reference_file();
    test_misuse();
    test_converged_start();
    test_nonfinite();
    test_overflow();
    test_save_load();
    test_converges();
    return harness_done("test_lbfgs");
}
