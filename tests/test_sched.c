/* Learning-rate schedules (header chapter 12) against PyTorch: every sequence in
   tests/ref/sched_ref.txt (written by tests/ref/make_sched_refs.py from
   torch.optim.lr_scheduler, and from D2L's code for D2L's schedules) must agree to
   1e-12 relative (1e-15 absolute near zero). Then the D2L numbers the tutorial
   quotes, every bad setting, applying a schedule to an optimizer, and the plateau
   state machine saved and resumed in the middle of a run. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include <stdlib.h>
#include <string.h>

#define RTOL 1e-12
#define ATOL 1e-15
#define MAXV 512
#define LINE 65536

static int cases_run;
static double worst_rel;   /* largest relative error against the reference (|want| > 1e-300) */

static void compare(double got, double want, const char *what, const char *desc, int k)
{
    char label[600];
    if (fabs(want) > 1e-300 && fabs(got - want) / fabs(want) > worst_rel) worst_rel = fabs(got - want) / fabs(want);
    if (got != got && want != want) { CHECK(1, "nan"); return; }   /* the reference itself is NaN */
    snprintf(label, sizeof label, "%s k=%d %s", what, k, desc);
    CHECK_CLOSE(got, want, RTOL, ATOL, label);
}

/* Read "lr v0 v1 ..." into v; returns the count. */
static int read_values(char *line, const char *head, double *v)
{
    int n = 0;
    char *p = line + strlen(head), *q;
    while (n < MAXV) {
        double x = strtod(p, &q);
        if (q == p) break;
        v[n++] = x; p = q;
    }
    return n;
}

/* The functions a reference case names with fn=NAME, as make_sched_refs.py defines them. */
static double f_decay(int64_t k, void *c) { (void)c; return pow(0.95, (double)k); }
static double f_inv(int64_t k, void *c) { (void)c; return 1.0 / (1.0 + 0.1 * (double)k); }
static double f_wave(int64_t k, void *c) { (void)c; return 1.0 + 0.5 * sin(0.3 * (double)k); }
static double f_mul_const(int64_t k, void *c) { (void)c; (void)k; return 0.97; }
static double f_mul_wave(int64_t k, void *c) { (void)c; return 1.0 + 0.05 * sin(0.3 * (double)k); }
static double f_scale_inv(double x, void *c) { (void)c; return 1.0 / (1.0 + 0.5 * x); }
static double f_scale_exp(double x, void *c) { (void)c; return pow(0.99, x); }
static const struct { const char *name; double (*lambda)(int64_t, void *); double (*scale)(double, void *); } funcs[] = {
    {"decay", f_decay, NULL}, {"inv", f_inv, NULL}, {"wave", f_wave, NULL}, {"mul_const", f_mul_const, NULL},
    {"mul_wave", f_mul_wave, NULL}, {"scale_inv", NULL, f_scale_inv}, {"scale_exp", NULL, f_scale_exp}};

static int set_fn(ofs_sched *s, const char *name)
{
    size_t i;
    for (i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (strcmp(name, funcs[i].name) == 0) { s->lr_lambda = funcs[i].lambda; s->scale_fn = funcs[i].scale; return 0; }
    return 1;
}

/* A schedule and the arrays it points to. */
typedef struct parsed {
    ofs_sched s;
    int64_t milestones[16];
    double values[16];
} parsed;

/* "kind key=value ..." into p (children are attached by the caller). */
static int parse_sched(char *text, parsed *p, const char *desc)
{
    char *tok = strtok(text, " \n");
    ofs_sched_kind kind;
    ofs_err err;
    if (!tok || ofs_sched_kind_from_name(tok, &kind, &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return 1; }
    p->s = ofs_sched_defaults(kind, 0.0);
    while ((tok = strtok(NULL, " \n")) != NULL) {
        char *eq = strchr(tok, '='), *v;
        int n = 0;
        if (!eq) continue;
        *eq = 0; v = eq + 1;
        if (strcmp(tok, "milestones") == 0 || strcmp(tok, "values") == 0) {
            int ms = tok[0] == 'm';
            while (*v && n < 16) {
                if (ms) p->milestones[n++] = strtoll(v, &v, 10); else p->values[n++] = strtod(v, &v);
                if (*v == ',') v++;
            }
            if (ms) { p->s.milestones = p->milestones; p->s.n_milestones = n; } else p->s.values = p->values;
        } else if (strcmp(tok, "fn") == 0) {
            if (set_fn(&p->s, v)) { CHECK(0, "%s: unknown function %s", desc, v); return 1; }
        } else if (ofs_sched_set(&p->s, tok, atof(v), &err) != OFS_OK) {
            CHECK(0, "%s: %s", desc, err.msg); return 1;
        }
    }
    return 0;
}

/* One "case <schedule>" block: children, then lr (and momentum) compared at every k. */
static void run_sched_case(FILE *f, char *line)
{
    static char desc[LINE];
    static double want[MAXV];
    parsed top, kids[4];
    ofs_sched ch[4];
    int nkids = 0, n, k;
    ofs_err err;
    double m;
    snprintf(desc, sizeof desc, "%.200s", line + 5);
    desc[strcspn(desc, "\n")] = 0;
    if (parse_sched(line + 5, &top, desc)) return;
    while (fgets(line, LINE, f) && strncmp(line, "end", 3) != 0) {
        if (strncmp(line, "child ", 6) == 0 && nkids < 4) {
            if (parse_sched(line + 6, &kids[nkids], desc)) return;
            ch[nkids] = kids[nkids].s;   /* its arrays stay in kids[nkids] */
            top.s.children = ch; top.s.n_children = ++nkids;
            continue;
        }
        if (ofs_sched_validate(&top.s, &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return; }
        if (strncmp(line, "lr ", 3) == 0) {
            n = read_values(line, "lr ", want);
            CHECK(n >= 8, "%s: only %d reference values", desc, n);
            for (k = 0; k < n; k++) compare(ofs_sched_lr(&top.s, k), want[k], "lr", desc, k);
            cases_run++;
        } else if (strncmp(line, "momentum ", 9) == 0) {
            n = read_values(line, "momentum ", want);
            for (k = 0; k < n; k++) {
                int has = ofs_sched_momentum(&top.s, k, &m);
                CHECK(has, "%s: expected a momentum at k=%d", desc, k);
                compare(has ? m : (double)NAN, want[k], "momentum", desc, k);
            }
        }
    }
}

/* One "case plateau" block: step through the metrics, saving and reloading the state
   halfway, and compare the lr after every step. */
static void run_plateau_case(FILE *f, char *line)
{
    static char desc[LINE];
    static double metric[MAXV], want[MAXV];
    ofs_plateau p = ofs_plateau_defaults();
    double lr = 0;
    int n = 0, nw = 0, k;
    char *tok;
    ofs_err err;
    snprintf(desc, sizeof desc, "%.200s", line + 5);
    desc[strcspn(desc, "\n")] = 0;
    strtok(line + 5, " \n");
    while ((tok = strtok(NULL, " \n")) != NULL) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = 0;
        if (strcmp(tok, "lr") == 0) lr = atof(eq + 1);
        else if (strcmp(tok, "mode") == 0) p.mode_max = strcmp(eq + 1, "max") == 0;
        else if (strcmp(tok, "threshold_mode") == 0) p.threshold_abs = strcmp(eq + 1, "abs") == 0;
        else if (strcmp(tok, "factor") == 0) p.factor = atof(eq + 1);
        else if (strcmp(tok, "threshold") == 0) p.threshold = atof(eq + 1);
        else if (strcmp(tok, "min_lr") == 0) p.min_lr = atof(eq + 1);
        else if (strcmp(tok, "eps") == 0) p.eps = atof(eq + 1);
        else if (strcmp(tok, "patience") == 0) p.patience = atoi(eq + 1);
        else if (strcmp(tok, "cooldown") == 0) p.cooldown = atoi(eq + 1);
        else CHECK(0, "%s: unknown plateau key %s", desc, tok);
    }
    while (fgets(line, LINE, f) && strncmp(line, "end", 3) != 0) {
        if (strncmp(line, "metric ", 7) == 0) n = read_values(line, "metric ", metric);
        if (strncmp(line, "lr ", 3) == 0) nw = read_values(line, "lr ", want);
    }
    CHECK(n == nw && n >= 10, "%s: %d metrics, %d lr values", desc, n, nw);
    for (k = 0; k < n && k < nw; k++) {
        if (k == n / 2) {   /* save and resume: the rest must not notice */
            ofs_buf b = {NULL, 0, 0, 0};
            ofs_reader r;
            ofs_plateau q = ofs_plateau_defaults();
            ofs_plateau_save(&p, &b);
            r.data = b.data; r.len = b.len; r.pos = 0; r.failed = 0;
            CHECK(ofs_plateau_load(&q, &r, &err) == OFS_OK && r.pos == r.len, "%s: reload failed", desc);
            p = q;
            ofs_buf_free(&b);
        }
        CHECK(ofs_plateau_step(&p, metric[k], &lr, &err) == OFS_OK, "%s: %s", desc, err.msg);
        compare(lr, want[k], "plateau lr", desc, k);
    }
    cases_run++;
}

static void reference_cases(void)
{
    static char line[LINE];
    FILE *f = fopen("tests/ref/sched_ref.txt", "r");
    CHECK(f != NULL, "cannot open tests/ref/sched_ref.txt (run from the repository root)");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "case plateau", 12) == 0) run_plateau_case(f, line);
        else if (strncmp(line, "case ", 5) == 0) run_sched_case(f, line);
    }
    fclose(f);
    CHECK(cases_run >= 80, "expected at least 80 reference cases, ran %d", cases_run);
    printf("%d reference cases, largest relative error %.3g\n", cases_run, worst_rel);
}

/* The numbers of the tutorial's chapter 12 (D2L's CosineScheduler), printed with %f. */
static void check_printed(double v, const char *want, const char *what)
{
    char got[64];
    snprintf(got, sizeof got, "%f", v);
    CHECK(strcmp(got, want) == 0, "%s: printed %s, want %s", what, got, want);
}

static void d2l_numbers(void)
{
    static const char *warm[7] = {"0.000000", "0.060000", "0.120000", "0.180000", "0.240000", "0.300000", "0.296831"};
    ofs_sched s = ofs_sched_defaults(OFS_SCHED_COSINE, 0.3);
    ofs_err err;
    int k;
    s.t_max = 20; s.eta_min = 0.01; s.hold = 1;
    CHECK(ofs_sched_validate(&s, &err) == OFS_OK, "%s", err.msg);
    check_printed(ofs_sched_lr(&s, 1), "0.298215", "cosine t=1");
    check_printed(ofs_sched_lr(&s, 10), "0.155000", "cosine t=10");
    CHECK(ofs_sched_lr(&s, 25) == 0.01, "hold: lr(25) = %.17g, want eta_min", ofs_sched_lr(&s, 25));
    s.hold = 0;
    CHECK_CLOSE(ofs_sched_lr(&s, 40), 0.3, 1e-15, 0, "periodic cosine at 2 t_max");
    s.hold = 1; s.warmup_steps = 5;            /* D2L's CosineScheduler(20, warmup_steps=5) */
    CHECK(ofs_sched_set_run(&s, 20, &err) == OFS_OK && s.t_max == 15, "set_run: t_max %lld", (long long)s.t_max);
    for (k = 0; k < 7; k++) check_printed(ofs_sched_lr(&s, k), warm[k], "warmup + cosine");
}

/* Each bad setting fails with OFS_ERR_ARG and a message naming the setting. */
static void expect_bad(const ofs_sched *s, const char *word, const char *what)
{
    ofs_err err;
    ofs_status st = ofs_sched_validate(s, &err);
    CHECK(st == OFS_ERR_ARG && strstr(err.msg, word), "%s: status %d, message \"%s\" (want one naming %s)",
          what, (int)st, st ? err.msg : "", word);
}

static void bad_settings(void)
{
    static const int64_t down[3] = {10, 5, 20}, dup[3] = {5, 5, 20}, neg[2] = {-1, 4};
    static const double vals[4] = {1, 0.5, 0.1, 0.01};
    ofs_sched s, kids[2], loop[1];
    ofs_err err;
    double nan = (double)NAN;
    int k;

    s = ofs_sched_defaults(OFS_SCHED_COSINE, 0.1); expect_bad(&s, "t_max", "cosine t_max = 0");
    s.t_max = -3; expect_bad(&s, "t_max", "cosine t_max < 0");
    s.t_max = 10; s.eta_min = nan; expect_bad(&s, "eta_min", "cosine eta_min NaN");
    s = ofs_sched_defaults(OFS_SCHED_EXPONENTIAL, 0.1); expect_bad(&s, "gamma", "exponential without gamma");
    s.gamma = -0.5; expect_bad(&s, "gamma", "gamma < 0");
    s.gamma = nan; expect_bad(&s, "gamma", "gamma NaN");
    s = ofs_sched_defaults(OFS_SCHED_STEP, 0.1); expect_bad(&s, "step_size", "step without step_size");
    s.step_size = 3; s.gamma = 0; expect_bad(&s, "gamma", "step gamma = 0");
    s = ofs_sched_defaults(OFS_SCHED_MULTISTEP, 0.1);
    s.milestones = down; s.n_milestones = 3; expect_bad(&s, "order", "multistep milestones decreasing");
    s.milestones = dup; CHECK(ofs_sched_validate(&s, &err) == OFS_OK, "multistep: repeated milestones are allowed: %s", err.msg);
    s.milestones = neg; s.n_milestones = 2; expect_bad(&s, "milestones >= 0", "negative milestone");
    s.milestones = NULL; expect_bad(&s, "milestones", "milestones NULL");
    s = ofs_sched_defaults(OFS_SCHED_PIECEWISE, 0.1);
    s.milestones = dup; s.n_milestones = 3; s.values = vals; expect_bad(&s, "increasing", "piecewise repeated milestone");
    s.milestones = down + 1; s.n_milestones = 2; s.values = NULL; expect_bad(&s, "values", "piecewise without values");
    s = ofs_sched_defaults(OFS_SCHED_CONSTANT_FACTOR, 0.1);
    s.factor = 0; expect_bad(&s, "factor", "constant factor 0");
    s.factor = 1.5; expect_bad(&s, "factor", "constant factor > 1");
    s.factor = nan; expect_bad(&s, "factor", "constant factor NaN");
    s.factor = 1; s.total_iters = 0; expect_bad(&s, "total_iters", "constant total_iters 0");
    s = ofs_sched_defaults(OFS_SCHED_LINEAR, 0.1); s.start_factor = 1.5; expect_bad(&s, "start_factor", "linear start > 1");
    s = ofs_sched_defaults(OFS_SCHED_POLYNOMIAL, 0.1); s.total_iters = 0; expect_bad(&s, "total_iters", "polynomial total_iters 0");
    s = ofs_sched_defaults(OFS_SCHED_COSINE_RESTARTS, 0.1); expect_bad(&s, "t_0", "restarts without t_0");
    s.t_0 = 2; s.t_mult = 0; expect_bad(&s, "t_mult", "restarts t_mult 0");
    s = ofs_sched_defaults(OFS_SCHED_ONECYCLE, 0.1); expect_bad(&s, "total_steps", "onecycle without total_steps");
    s.total_steps = 10; s.pct_start = 0.1; expect_bad(&s, "phase 1", "onecycle pct_start * total_steps = 1 (0/0)");
    s.pct_start = 1.5; expect_bad(&s, "pct_start", "onecycle pct_start > 1");
    s.pct_start = 0.3; s.div_factor = 0; expect_bad(&s, "div_factor", "onecycle div_factor 0");
    s = ofs_sched_defaults(OFS_SCHED_CONSTANT, -0.1); expect_bad(&s, "base_lr", "negative base_lr");
    s = ofs_sched_defaults(OFS_SCHED_CONSTANT, 0.1); s.warmup_steps = -1; expect_bad(&s, "warmup", "negative warmup");
    s.warmup_steps = 5; s.warmup_start = 2; expect_bad(&s, "warmup", "warmup_start > 1");
    s = ofs_sched_defaults(OFS_SCHED_COSINE, 0.1); s.warmup_steps = 30;
    CHECK(ofs_sched_set_run(&s, 20, &err) == OFS_ERR_ARG && strstr(err.msg, "warmup"), "warmup longer than the run: %s", err.msg);
    CHECK(ofs_sched_set_run(&s, 30, &err) == OFS_ERR_ARG, "warmup as long as the run");
    CHECK(ofs_sched_set_run(&s, 0, &err) == OFS_ERR_ARG && strstr(err.msg, "total_steps"), "run of 0 steps: %s", err.msg);
    /* composition */
    kids[0] = ofs_sched_defaults(OFS_SCHED_LINEAR, 0);
    kids[1] = ofs_sched_defaults(OFS_SCHED_COSINE, 0); kids[1].t_max = 10;
    s = ofs_sched_defaults(OFS_SCHED_SEQUENTIAL, 0.1); s.children = kids; s.n_children = 2;
    expect_bad(&s, "milestones", "sequential without milestones");
    s.milestones = dup; s.n_milestones = 1; CHECK(ofs_sched_validate(&s, &err) == OFS_OK, "sequential: %s", err.msg);
    kids[1].t_max = 0; expect_bad(&s, "t_max", "a bad child");
    kids[1].t_max = 10;
    s.kind = OFS_SCHED_CHAINED; expect_bad(&s, "multiplicative", "chained with a cosine child");
    loop[0] = ofs_sched_defaults(OFS_SCHED_CHAINED, 0); loop[0].children = loop; loop[0].n_children = 1;
    expect_bad(&loop[0], "nested", "a chain that contains itself");
    s = ofs_sched_defaults(OFS_SCHED_CHAINED, 0.1); expect_bad(&s, "child", "chained without children");
    s.kind = (ofs_sched_kind)99; expect_bad(&s, "kind", "unknown kind");
    /* names and settings by name */
    for (k = 0; k < OFS_SCHED_COUNT; k++) {
        ofs_sched_kind back = OFS_SCHED_COUNT;
        CHECK(ofs_sched_kind_from_name(ofs_sched_name((ofs_sched_kind)k), &back, &err) == OFS_OK && (int)back == k, "name %d", k);
    }
    CHECK(ofs_sched_kind_from_name("cosine_annealing", (ofs_sched_kind *)&k, &err) == OFS_ERR_ARG && strstr(err.msg, "onecycle"),
          "unknown name: %s", err.msg);
    s = ofs_sched_defaults(OFS_SCHED_COSINE, 0.1);
    CHECK(ofs_sched_set(&s, "t_max", 20, &err) == OFS_OK && s.t_max == 20, "set t_max");
    CHECK(ofs_sched_set(&s, "eta_min", 0.5, &err) == OFS_OK && s.eta_min == 0.5, "set eta_min");
    CHECK(ofs_sched_set(&s, "t_max", 2.5, &err) == OFS_ERR_ARG, "set t_max 2.5");
    CHECK(ofs_sched_set(&s, "hold", 2, &err) == OFS_ERR_ARG, "set hold 2");
    CHECK(ofs_sched_set(&s, "T_max", 20, &err) == OFS_ERR_ARG && strstr(err.msg, "T_max"), "set T_max: %s", err.msg);
}

/* CyclicLR, LambdaLR, MultiplicativeLR and SWALR: misuse, a callback that returns NaN,
   composition, and what cycling does to each optimizer. */
static double f_nan_at_3(int64_t k, void *c) { (void)c; return k == 3 ? (double)NAN : 1.0; }
static double f_count(int64_t k, void *c) { ++*(int *)c; return 1.0 - 0.01 * (double)k; }
static double f_scale_nan(double x, void *c) { (void)c; (void)x; return (double)NAN; }

static void new_kinds(void)
{
    ofs_sched s, kids[2];
    ofs_optim_config sgd = ofs_optim_defaults(OFS_SGD), adam = ofs_optim_defaults(OFS_ADAM), ada = ofs_optim_defaults(OFS_ADAGRAD);
    ofs_err err;
    int calls = 0, k, ok = 1;
    double m;
    ofs_sched_kind kind;
    s = ofs_sched_defaults(OFS_SCHED_LAMBDA, 0.1); expect_bad(&s, "lr_lambda", "lambda without a function");
    s = ofs_sched_defaults(OFS_SCHED_MULTIPLICATIVE, 0.1); expect_bad(&s, "lr_lambda, found NULL", "multiplicative without a function");
    s = ofs_sched_defaults(OFS_SCHED_CYCLIC, 0.01); s.max_lr = 0.1;
    CHECK(s.step_size_up == 2000 && s.base_momentum == 0.8 && s.max_momentum == 0.9 && s.gamma == 1 && ofs_sched_validate(&s, &err) == OFS_OK,
          "cyclic: PyTorch's defaults: %s", err.msg);
    s.step_size_up = 0; expect_bad(&s, "step_size_up", "cyclic step_size_up 0");
    s.step_size_up = 5; s.step_size_down = -1; expect_bad(&s, "step_size_down", "cyclic step_size_down < 0");
    s.step_size_down = 0; s.cyclic_mode = 3; expect_bad(&s, "cyclic_mode", "cyclic mode 3");
    s.cyclic_mode = OFS_CYCLIC_EXP_RANGE; s.gamma = 0; expect_bad(&s, "gamma", "exp_range gamma 0");
    s.gamma = 1; s.max_lr = -1; expect_bad(&s, "max_lr", "cyclic max_lr < 0");
    s.max_lr = 0.1; s.max_momentum = 1; expect_bad(&s, "max_momentum", "cyclic max_momentum 1");
    CHECK(ofs_sched_set(&s, "cyclic_mode", 1.5, &err) == OFS_ERR_ARG && strstr(err.msg, "triangular2"), "cyclic_mode 1.5: %s", err.msg);
    s = ofs_sched_defaults(OFS_SCHED_SWALR, 0.1); s.anneal_epochs = -1; expect_bad(&s, "anneal_epochs", "swalr anneal_epochs < 0");
    s.anneal_epochs = 3; s.swa_lr = -0.5; expect_bad(&s, "swa_lr", "swalr swa_lr < 0");
    CHECK(ofs_sched_kind_from_name("swalr", &kind, &err) == OFS_OK && kind == OFS_SCHED_SWALR &&
          ofs_sched_kind_from_name("cyclic_lr", &kind, &err) == OFS_ERR_ARG && strstr(err.msg, "multiplicative, swalr"),
          "names from the table: %s", err.msg);
    /* a callback that returns NaN: refused, the configuration untouched */
    s = ofs_sched_defaults(OFS_SCHED_LAMBDA, 0.1); s.lr_lambda = f_nan_at_3; sgd.lr = 0.5;
    CHECK(ofs_sched_apply(&s, 2, &sgd, &err) == OFS_OK && sgd.lr == 0.1, "lambda at k = 2");
    CHECK(ofs_sched_apply(&s, 3, &sgd, &err) == OFS_ERR_NONFINITE && sgd.lr == 0.1 && strstr(err.msg, "found nan") &&
          strstr(err.msg, "step 3"), "lambda returning NaN: %s", err.msg);
    s.kind = OFS_SCHED_MULTIPLICATIVE;
    CHECK(ofs_sched_apply(&s, 7, &sgd, &err) == OFS_ERR_NONFINITE && sgd.lr == 0.1, "multiplicative past a NaN: %s", err.msg);
    s = ofs_sched_defaults(OFS_SCHED_CYCLIC, 0.01); s.max_lr = 0.1; s.step_size_up = 4; s.scale_fn = f_scale_nan;
    sgd.momentum = 0.5;
    CHECK(ofs_sched_apply(&s, 1, &sgd, &err) == OFS_ERR_NONFINITE && sgd.lr == 0.1 && sgd.momentum == 0.5, "scale_fn NaN: %s", err.msg);
    /* multiplicative: k calls for lr(k), with the context */
    s = ofs_sched_defaults(OFS_SCHED_MULTIPLICATIVE, 0.1); s.lr_lambda = f_count; s.fn_ctx = &calls;
    CHECK(fabs(ofs_sched_lr(&s, 5) - 0.1 * 0.99 * 0.98 * 0.97 * 0.96 * 0.95) < 1e-16 && calls == 5, "multiplicative: %d calls", calls);
    /* a lambda in a chain multiplies; a cyclic or swalr child is refused there */
    kids[0] = ofs_sched_defaults(OFS_SCHED_LAMBDA, 0); kids[0].lr_lambda = f_count; kids[0].fn_ctx = &calls;
    kids[1] = ofs_sched_defaults(OFS_SCHED_EXPONENTIAL, 0); kids[1].gamma = 0.9;
    s = ofs_sched_defaults(OFS_SCHED_CHAINED, 0.2); s.children = kids; s.n_children = 2;
    for (k = 0; k < 20; k++) ok &= fabs(ofs_sched_lr(&s, k) - 0.2 * (1.0 - 0.01 * k) * pow(0.9, k)) <= 1e-15;
    CHECK(ok && ofs_sched_validate(&s, &err) == OFS_OK, "a chained lambda multiplies: %s", err.msg);
    kids[1] = ofs_sched_defaults(OFS_SCHED_SWALR, 0); expect_bad(&s, "multiplicative children", "chained swalr");
    kids[1] = ofs_sched_defaults(OFS_SCHED_CYCLIC, 0); kids[1].max_lr = 1; expect_bad(&s, "multiplicative children", "chained cyclic");
    /* cyclic moves SGD's momentum and Adam's beta1 (PyTorch 1.13 refuses Adam), not Adagrad's */
    s = ofs_sched_defaults(OFS_SCHED_CYCLIC, 0.01); s.max_lr = 0.1; s.step_size_up = 4;
    CHECK(ofs_sched_apply(&s, 2, &sgd, &err) == OFS_OK && ofs_sched_apply(&s, 2, &adam, &err) == OFS_OK && fabs(sgd.momentum - 0.85) < 1e-15 &&
          adam.beta1 == sgd.momentum && ofs_sched_momentum(&s, 2, &m) && m == sgd.momentum, "cyclic at k = 2: momentum %g, beta1 %g", sgd.momentum, adam.beta1);
    CHECK(ofs_sched_apply(&s, 2, &ada, &err) == OFS_ERR_ARG && strstr(err.msg, "cycle_momentum"), "cyclic on Adagrad: %s", err.msg);
    s.cycle_momentum = 0;
    CHECK(ofs_sched_apply(&s, 2, &ada, &err) == OFS_OK && fabs(ada.lr - 0.055) < 1e-15, "cyclic without momentum on Adagrad: %g", ada.lr);
    /* set_run fits nothing of these kinds */
    s = ofs_sched_defaults(OFS_SCHED_SWALR, 0.1); s.swa_lr = 0.01;
    CHECK(ofs_sched_set_run(&s, 100, &err) == OFS_OK && s.anneal_epochs == 10, "swalr keeps its anneal under set_run");
}

/* lr and momentum reach the optimizer's configuration; onecycle edges. */
static void apply_and_edges(void)
{
    ofs_sched s = ofs_sched_defaults(OFS_SCHED_ONECYCLE, 1.0), kids[2], seq;
    ofs_optim_config sgd = ofs_optim_defaults(OFS_SGD), adam = ofs_optim_defaults(OFS_ADAM);
    ofs_optim_config ada = ofs_optim_defaults(OFS_ADAGRAD);
    static const int64_t at5[1] = {5};
    ofs_err err;
    double m = -1;
    s.total_steps = 10;
    CHECK(ofs_sched_apply(&s, 3, &sgd, &err) == OFS_OK && sgd.lr == ofs_sched_lr(&s, 3) && sgd.momentum > 0.85 && sgd.momentum < 0.86,
          "apply to SGD: lr %g momentum %g", sgd.lr, sgd.momentum);
    CHECK(ofs_sched_apply(&s, 3, &adam, &err) == OFS_OK && adam.beta1 == sgd.momentum && adam.momentum == 0, "apply to Adam: beta1 %g", adam.beta1);
    CHECK(ofs_sched_apply(&s, 3, &ada, &err) == OFS_ERR_ARG && strstr(err.msg, "cycle_momentum"), "onecycle on Adagrad: %s", err.msg);
    s.cycle_momentum = 0;
    CHECK(ofs_sched_apply(&s, 3, &ada, &err) == OFS_OK && !ofs_sched_momentum(&s, 3, &m), "onecycle without momentum on Adagrad");
    CHECK(ofs_sched_apply(&s, -1, &ada, &err) == OFS_ERR_ARG, "apply at k = -1");
    s.cycle_momentum = 1;
    CHECK(ofs_sched_lr(&s, 15) == ofs_sched_lr(&s, 10), "onecycle holds its value past total_steps");
    s.total_steps = 0;
    CHECK(ofs_sched_apply(&s, 3, &sgd, &err) == OFS_ERR_ARG, "apply validates the schedule");
    /* a onecycle inside a sequential still cycles the momentum; a warmup does not */
    kids[0] = ofs_sched_defaults(OFS_SCHED_CONSTANT, 0);
    kids[1] = ofs_sched_defaults(OFS_SCHED_ONECYCLE, 0); kids[1].total_steps = 10;
    seq = ofs_sched_defaults(OFS_SCHED_SEQUENTIAL, 1.0);
    seq.children = kids; seq.n_children = 2; seq.milestones = at5; seq.n_milestones = 1;
    s = kids[1]; s.base_lr = 1.0;
    CHECK(!ofs_sched_momentum(&seq, 4, &m), "no momentum in the constant phase");
    CHECK(ofs_sched_momentum(&seq, 7, &m) && ofs_sched_momentum(&s, 2, &sgd.momentum) && m == sgd.momentum, "momentum of a child");
    CHECK(ofs_sched_lr(&seq, 7) == ofs_sched_lr(&s, 2), "lr of a child");
    s.warmup_steps = 3;
    CHECK(!ofs_sched_momentum(&s, 2, &m) && ofs_sched_momentum(&s, 3, &m) && m == 0.95, "warmup before onecycle: m %g", m);
    /* warm restarts far out: integer periods, no overflow */
    s = ofs_sched_defaults(OFS_SCHED_COSINE_RESTARTS, 0.1); s.t_0 = 2; s.t_mult = 3;
    CHECK(ofs_sched_lr(&s, 242) == 0.1 && ofs_sched_lr(&s, 241) < 1e-3, "restart at k = 242");
    m = ofs_sched_lr(&s, INT64_MAX);
    CHECK(m >= 0 && m <= 0.1, "restarts at k = INT64_MAX: %g", m);
    s.t_mult = 1; s.t_0 = 7;
    CHECK(ofs_sched_lr(&s, 7 * 1000003) == 0.1, "restarts, t_mult 1");
}

/* The plateau's own checks: bad settings, NaN metrics, bad saved states. */
static void plateau_edges(void)
{
    ofs_plateau p = ofs_plateau_defaults(), q;
    ofs_buf b = {NULL, 0, 0, 0};
    ofs_reader r;
    ofs_err err;
    double lr = 0.1;
    int k;
    p.factor = 1; CHECK(ofs_plateau_step(&p, 1.0, &lr, &err) == OFS_ERR_ARG && strstr(err.msg, "factor"), "plateau factor 1");
    p.factor = 0; CHECK(ofs_plateau_validate(&p, &err) == OFS_ERR_ARG, "plateau factor 0");
    p.factor = 0.5; p.patience = -1; CHECK(ofs_plateau_validate(&p, &err) == OFS_ERR_ARG && strstr(err.msg, "patience"), "patience < 0");
    p.patience = 0; p.mode_max = 2; CHECK(ofs_plateau_validate(&p, &err) == OFS_ERR_ARG, "mode_max 2");
    p.mode_max = 1; p.threshold = (double)NAN; CHECK(ofs_plateau_validate(&p, &err) == OFS_ERR_ARG, "threshold NaN");
    p = ofs_plateau_defaults(); p.patience = 0; p.factor = 0.5;
    for (k = 0; k < 3; k++) ofs_plateau_step(&p, (double)NAN, &lr, &err);
    CHECK(lr == 0.1 / 8, "three NaN metrics with patience 0 halve three times: %g", lr);
    ofs_plateau_save(&p, &b);
    r.data = b.data; r.len = b.len - 8; r.pos = 0; r.failed = 0;
    CHECK(ofs_plateau_load(&q, &r, &err) == OFS_ERR_FORMAT && strstr(err.msg, "truncated"), "truncated state: %s", err.msg);
    b.data[0] ^= 1; r.len = b.len; r.pos = 0; r.failed = 0;
    CHECK(ofs_plateau_load(&q, &r, &err) == OFS_ERR_FORMAT && strstr(err.msg, "tag"), "wrong tag: %s", err.msg);
    b.data[0] ^= 1; b.data[31] ^= 0x40;   /* factor's high byte: 0.5 becomes a huge number */
    r.pos = 0; r.failed = 0;
    CHECK(ofs_plateau_load(&q, &r, &err) == OFS_ERR_FORMAT && strstr(err.msg, "factor"), "bad factor: %s", err.msg);
    ofs_buf_free(&b);
}

/* Plateau states whose contents are hostile: counters that the next step would
   overflow, a best metric that cannot be, settings out of range. Each is refused
   naming the field; a state at the limit cannot be stepped past it. Offsets in the
   saved state: tag 0, mode 8, threshold_abs 16, factor 24, threshold 32, min_lr 40,
   eps 48, patience 56, cooldown 64, best 72, bad_epochs 80, cooldown_counter 88,
   last_epoch 96. */
static void plateau_hostile_one(const ofs_plateau *p, size_t at, uint64_t v, const char *needle)
{
    ofs_buf b = {NULL, 0, 0, 0};
    ofs_reader r;
    ofs_plateau q = ofs_plateau_defaults();
    ofs_err err;
    int i;
    ofs_plateau_save(p, &b);
    for (i = 0; i < 8; i++) b.data[at + i] = (unsigned char)(v >> (8 * i));
    r.data = b.data; r.len = b.len; r.pos = 0; r.failed = 0;
    CHECK(ofs_plateau_load(&q, &r, &err) == OFS_ERR_FORMAT && strstr(err.msg, "plateau state") && strstr(err.msg, needle),
          "plateau %s: %s", needle, err.msg);
    CHECK(q.patience == 10 && q.last_epoch == 0, "a refused plateau state changes nothing");
    ofs_buf_free(&b);
}

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

static void plateau_hostile(void)
{
    ofs_plateau p = ofs_plateau_defaults(), q;
    ofs_buf b = {NULL, 0, 0, 0};
    ofs_reader r;
    ofs_err err;
    double lr = 0.1;
    int k;
    p.cooldown = 3;
    for (k = 0; k < 15; k++) ofs_plateau_step(&p, 1.0, &lr, NULL);   /* a reachable state: best 1, some bad epochs */
    plateau_hostile_one(&p, 96, (uint64_t)INT64_MAX, "last_epoch in [0, 2^53], found 9223372036854775807");
    plateau_hostile_one(&p, 96, (uint64_t)-1, "last_epoch in [0, 2^53], found -1");
    plateau_hostile_one(&p, 80, 11, "bad_epochs in [0, patience = 10], found 11");
    plateau_hostile_one(&p, 80, (uint64_t)INT64_MAX, "bad_epochs");
    plateau_hostile_one(&p, 88, 4, "cooldown_counter in [0, cooldown = 3], found 4");
    plateau_hostile_one(&p, 56, (uint64_t)INT64_MAX, "patience and cooldown in [0, 2^53]");
    plateau_hostile_one(&p, 72, bits((double)NAN), "best metric after 15 evaluations, found NaN");
    plateau_hostile_one(&p, 24, bits((double)INFINITY), "factor");
    plateau_hostile_one(&p, 40, bits((double)INFINITY), "min_lr");
    plateau_hostile_one(&p, 48, bits(-1), "eps");
    plateau_hostile_one(&p, 32, bits((double)NAN), "threshold");
    /* the reachable state itself loads, and continues bit for bit */
    ofs_plateau_save(&p, &b);
    r.data = b.data; r.len = b.len; r.pos = 0; r.failed = 0;
    CHECK(ofs_plateau_load(&q, &r, &err) == OFS_OK && memcmp(&p, &q, sizeof p) == 0, "a reachable state loads: %s", err.msg);
    ofs_buf_free(&b);
    /* stepping at the limit is refused, not overflowed */
    q.last_epoch = OFS_MAX_STEPS;
    CHECK(ofs_plateau_step(&q, 1.0, &lr, &err) == OFS_ERR_ARG && q.last_epoch == OFS_MAX_STEPS && strstr(err.msg, "last_epoch"),
          "a plateau step past 2^53: %s", err.msg);
    q.last_epoch = 5; q.bad_epochs = INT64_MAX;
    CHECK(ofs_plateau_step(&q, 1.0, &lr, &err) == OFS_ERR_ARG && q.bad_epochs == INT64_MAX, "bad_epochs at INT64_MAX: %s", err.msg);
    q = ofs_plateau_defaults(); q.patience = INT64_MAX;
    CHECK(ofs_plateau_validate(&q, &err) == OFS_ERR_ARG && strstr(err.msg, "patience"), "patience INT64_MAX: %s", err.msg);
}

/* Schedules: infinities refused in every real field, integer fields at their
   extremes handled without overflow (the sanitizer build checks). */
static void sched_extremes(void)
{
    static const char *const reals[16] = {"base_lr", "gamma", "factor", "start_factor", "end_factor", "power", "beta", "eta_min",
                                          "pct_start", "div_factor", "final_div_factor", "base_momentum", "max_momentum", "warmup_start",
                                          "max_lr", "swa_lr"};
    static const ofs_sched_kind uses[16] = {OFS_SCHED_CONSTANT, OFS_SCHED_EXPONENTIAL, OFS_SCHED_CONSTANT_FACTOR, OFS_SCHED_LINEAR,
        OFS_SCHED_LINEAR, OFS_SCHED_POLYNOMIAL, OFS_SCHED_INVERSE_POWER, OFS_SCHED_COSINE, OFS_SCHED_ONECYCLE, OFS_SCHED_ONECYCLE,
        OFS_SCHED_ONECYCLE, OFS_SCHED_ONECYCLE, OFS_SCHED_ONECYCLE, OFS_SCHED_CONSTANT, OFS_SCHED_CYCLIC, OFS_SCHED_SWALR};
    ofs_sched s;
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    ofs_err err;
    int f, v, refused = 0;
    for (f = 0; f < 16; f++)
        for (v = 0; v < 2; v++) {
            s = ofs_sched_defaults(uses[f], 0.1);
            s.t_max = 10; s.total_steps = 100; s.gamma = 0.5; s.warmup_steps = 2;
            ofs_sched_set(&s, reals[f], v ? -(double)INFINITY : (double)INFINITY, NULL);
            refused += ofs_sched_validate(&s, &err) == OFS_ERR_ARG && strstr(err.msg, reals[f]) != NULL;
        }
    CHECK(refused == 32, "+-inf refused in every real schedule field, naming it: %d of 32", refused);
    s = ofs_sched_defaults(OFS_SCHED_COSINE, 0.1); s.warmup_steps = INT64_MIN;
    CHECK(ofs_sched_set_run(&s, 100, &err) == OFS_ERR_ARG && strstr(err.msg, "warmup_steps"), "set_run, warmup INT64_MIN: %s", err.msg);
    s = ofs_sched_defaults(OFS_SCHED_STEP, 0.1); s.step_size = INT64_MAX;
    CHECK(ofs_sched_apply(&s, INT64_MAX, &c, &err) == OFS_OK && fabs(c.lr - 0.01) < 1e-15, "step schedule at k = INT64_MAX: %g", c.lr);
    s = ofs_sched_defaults(OFS_SCHED_LINEAR, 0.1); s.total_iters = INT64_MAX; s.warmup_steps = INT64_MAX - 1;
    CHECK(ofs_sched_apply(&s, INT64_MAX, &c, &err) == OFS_OK && c.lr >= 0, "linear with warmup at the extremes: %s", err.msg);
    CHECK(ofs_sched_set(&s, "t_max", 1e300, &err) == OFS_ERR_ARG && strstr(err.msg, "whole number"), "t_max 1e300: %s", err.msg);
    CHECK(ofs_sched_set(&s, "warmup_steps", (double)NAN, &err) == OFS_ERR_ARG, "warmup NaN");
}

/* WSD: its refusals, its fit to a run, and its place in compositions. */
static void wsd_cases(void)
{
    ofs_sched s = ofs_sched_defaults(OFS_SCHED_WSD, 0.1), kids[2], top;
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAMW);
    static const int64_t at[1] = {50};
    ofs_err err;
    CHECK(s.decay_fraction == 0.2 && s.wsd_shape == OFS_WSD_SQRT && s.total_steps == 0, "wsd defaults: 20%%, 1-sqrt, no length");
    expect_bad(&s, "total_steps", "wsd without a run length");
    s.total_steps = 100; s.decay_steps = 101;
    expect_bad(&s, "decay_steps", "a cooldown longer than the run");
    s.decay_steps = -1;
    expect_bad(&s, "decay_steps", "a negative cooldown");
    s.decay_steps = 0; s.decay_fraction = 0.001;
    expect_bad(&s, "no step", "a cooldown fraction under one step");
    s.decay_fraction = 1.5;
    expect_bad(&s, "decay_fraction", "a fraction above 1");
    s.decay_fraction = (double)NAN;
    expect_bad(&s, "decay_fraction", "a NaN fraction");
    s.decay_fraction = 0.2; s.eta_min = 0.2;
    expect_bad(&s, "eta_min", "a floor above eta0");
    s.eta_min = 0; s.wsd_shape = 4;
    expect_bad(&s, "wsd_shape", "an unknown shape");
    CHECK(ofs_sched_set(&s, "wsd_shape", 7, &err) == OFS_ERR_ARG && strstr(err.msg, "1-square"), "set wsd_shape 7: %s", err.msg);
    CHECK(ofs_sched_set(&s, "wsd_shape", 3, &err) == OFS_OK && s.wsd_shape == OFS_WSD_SQUARE, "set wsd_shape 3");
    CHECK(ofs_sched_set(&s, "decay_steps", 30, &err) == OFS_OK && s.decay_steps == 30, "set decay_steps");
    CHECK(ofs_sched_set(&s, "decay_fraction", 0.5, &err) == OFS_OK && s.decay_fraction == 0.5, "set decay_fraction");
    /* set_run: the run after the warmup; the cooldown keeps its 30 steps at the end */
    s.warmup_steps = 10;
    CHECK(ofs_sched_set_run(&s, 1000, &err) == OFS_OK && s.total_steps == 990, "wsd set_run: total_steps %lld", (long long)s.total_steps);
    CHECK(ofs_sched_lr(&s, 969) == 0.1 && ofs_sched_lr(&s, 970) == 0.1 && ofs_sched_lr(&s, 971) < 0.1 && ofs_sched_lr(&s, 1000) == 0 &&
          ofs_sched_lr(&s, 5) < 0.1, "wsd fitted: warmup, stable to step 970, cooldown to 0 at 1000");
    CHECK(ofs_sched_apply(&s, 985, &c, &err) == OFS_OK && harness_close(c.lr, 0.1 * (1 - 0.25), 1e-15, 0), "1-square halfway: %g", c.lr);
    s.decay_steps = 0; s.decay_fraction = 0.2;
    CHECK(ofs_sched_set_run(&s, 60, &err) == OFS_OK && ofs_sched_lr(&s, 10 + 40) == 0.1 && ofs_sched_lr(&s, 10 + 41) < 0.1,
          "wsd set_run with a fraction: the cooldown is 20%% of the fitted run");
    /* sequential takes it; chained refuses it (the floor makes it not a factor) */
    kids[0] = ofs_sched_defaults(OFS_SCHED_CONSTANT, 0.1);
    kids[1] = ofs_sched_defaults(OFS_SCHED_WSD, 0.1); kids[1].total_steps = 40; kids[1].decay_steps = 10; kids[1].wsd_shape = OFS_WSD_LINEAR;
    top = ofs_sched_defaults(OFS_SCHED_SEQUENTIAL, 0.1);
    top.children = kids; top.n_children = 2; top.milestones = at; top.n_milestones = 1;
    CHECK(ofs_sched_validate(&top, &err) == OFS_OK && harness_close(ofs_sched_lr(&top, 50 + 35), 0.05, 1e-15, 0),
          "wsd as a sequential phase: %s", err.msg);
    top.kind = OFS_SCHED_CHAINED;
    expect_bad(&top, "multiplicative", "wsd in a chain");
}

int main(void)
{
    reference_cases();
    d2l_numbers();
    bad_settings();
    apply_and_edges();
    new_kinds();
    plateau_edges();
    plateau_hostile();
    sched_extremes();
    wsd_cases();
    return harness_done("test_sched");
}
