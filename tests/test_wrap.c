/* Lookahead, SAM and ASAM (chapter 11b's wrappers) against their reference code
   (tests/ref/lookahead_ref.txt and sam_ref.txt, written by tests/ref/make_lookahead_refs.py
   and make_sam_refs.py): in double, every recorded value within 1e-10 relative over
   200 steps; in float, close over the first 10 steps. Plus: alpha = 1 and rho = 0 are
   the base optimizer bit for bit, the perturb/restore pair is the closure step, a save
   in mid-cycle resumes bit for bit, hostile states are refused and change nothing,
   and every misuse gets its message. */
#define OPTIMFS_IMPLEMENTATION
#include "../optimfs.h"
#include "harness.h"
#include "problems.h"   /* grad_of, start_of: the reference problems */
#include "refcase.h"    /* ref_compare: reading the reference files */
#include <stdlib.h>
#include <string.h>

#define IS_DOUBLE (sizeof(ofs_real) == sizeof(double))
#define MAXN 8



/* A case line's keys: the wrapper's before "base=", the optimizer's after it (by
   ofs_optim_config field names). wrapper_key is called for each of the first. */
typedef void (*key_fn)(const char *key, double value, void *ctx);
static int parse_case(char *line, char *desc, size_t dsize, char *problem, ofs_optim_config *cfg, key_fn wrapper_key, void *ctx)
{
    char *tok;
    int after_base = 0;
    ofs_err err;
    snprintf(desc, dsize, "%s", line + 5);
    desc[strcspn(desc, "\n")] = 0;
    strtok(line + 5, " \n");                                 /* "lookahead" or "sam" */
    tok = strtok(NULL, " \n"); snprintf(problem, 32, "%s", tok ? tok : "");
    while ((tok = strtok(NULL, " \n")) != NULL) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = 0;
        if (strcmp(tok, "base") == 0) {
            ofs_optim_kind kind;
            if (ofs_optim_kind_from_name(eq + 1, &kind, &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return 0; }
            *cfg = ofs_optim_defaults(kind);
            after_base = 1;
        } else if (!after_base) wrapper_key(tok, atof(eq + 1), ctx);
        else if (ofs_optim_config_set(cfg, tok, atof(eq + 1), &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return 0; }
    }
    CHECK(after_base, "%s: no base= key", desc);
    return after_base;
}

/* ---- Lookahead's reference --------------------------------------------------- */
static void lookahead_key(const char *key, double value, void *ctx)
{
    ofs_lookahead_config *c = (ofs_lookahead_config *)ctx;
    if (strcmp(key, "k") == 0) c->k = (int)value;
    else if (strcmp(key, "alpha") == 0) c->alpha = value;
    else CHECK(0, "lookahead: unknown key %s", key);
}

/* ---- SAM's reference ----------------------------------------------------------- */
typedef struct sam_keys { ofs_sam_config c; long bias_from; } sam_keys;
static char last_comment[4096];   /* the line before a case: "# from <repository> ..." */
static void sam_key(const char *key, double value, void *ctx)
{
    sam_keys *k = (sam_keys *)ctx;
    if (strcmp(key, "rho") == 0) k->c.rho = value;
    else if (strcmp(key, "adaptive") == 0) k->c.adaptive = (int)value;
    else if (strcmp(key, "eta") == 0) k->c.eta = value;
    else if (strcmp(key, "bias_from") == 0) k->bias_from = (long)value;
    else CHECK(0, "sam: unknown key %s", key);
}

/* The closure: a reference problem's loss and gradient at x; keeps the last x. */
typedef struct problem_ctx { const char *problem; size_t n; int calls; ofs_real last_x[MAXN]; } problem_ctx;
static double problem_loss(const char *problem, const ofs_real *x, size_t n)
{
    static const double c[3] = {1, 0.5, 2}, b[3] = {0.3, -0.1, 0.2};
    const double k = 0.15 * M_PI;
    double f = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        const double v = (double)x[i];
        f += strcmp(problem, "cubic") == 0 ? 0.5 * c[i] * v * v + 0.25 * v * v * v * v - b[i] * v : v * cos(k * v) + 0.05 * v * v;
    }
    return f;
}

static double problem_closure(const ofs_real *x, ofs_real *grad, void *ctx)
{
    problem_ctx *p = (problem_ctx *)ctx;
    p->calls++;
    memcpy(p->last_x, x, p->n * sizeof *x);
    grad_of(p->problem, x, grad, p->n);
    return problem_loss(p->problem, x, p->n);
}

/* One case of either file: the wrapper around the base optimizer from the case's keys,
   200 steps with the reference problem's gradient at the parameters, and at each
   recorded step the parameters, then the slow weights (Lookahead) or the point of
   the second gradient (SAM). */
static int run_case(FILE *f, char *line, double *worst)
{
    const int sam = strncmp(line, "case sam ", 9) == 0;
    char problem[32], desc[4096];
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    sam_keys keys;
    ofs_optim_config cfg;
    ofs_lookahead la;
    ofs_sam s;
    ofs_optim opt;
    ofs_err err;
    ofs_real th[MAXN], g[MAXN];
    problem_ctx ctx;
    long t = 0;
    lc.k = 0; keys.c = ofs_sam_defaults(); keys.bias_from = -1;
    /* the one constant the SAM references differ in: eps after the norm (ASAM's code 1e-16) */
    CHECK(!sam || strstr(last_comment, "davda54/sam") || strstr(last_comment, "SamsungLabs/ASAM"), "no source line before %s", line);
    if (sam && strstr(last_comment, "SamsungLabs/ASAM")) keys.c.eps = 1e-16;
    if (!parse_case(line, desc, sizeof desc, problem, &cfg, sam ? sam_key : lookahead_key, sam ? (void *)&keys : (void *)&lc)) return 0;
    ctx.problem = problem; ctx.calls = 0;
    ctx.n = start_of(problem, th);
    if (ofs_optim_init(&opt, &cfg, ctx.n, &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return 0; }
    if ((sam ? ofs_sam_init(&s, &keys.c, ctx.n, &err) : ofs_lookahead_init(&la, &lc, th, ctx.n, &err)) != OFS_OK) {
        CHECK(0, "%s: %s", desc, err.msg); ofs_optim_free(&opt); return 0;
    }
    if (sam && keys.bias_from >= 0) s.adapt_n = (size_t)keys.bias_from;
    while (fgets(line, 4096, f) && strncmp(line, "end", 3) != 0) {
        long want_t;
        char *p = line + 5;
        if (strncmp(line, "step ", 5) != 0) continue;
        want_t = strtol(p, &p, 10);
        for (; t < want_t; t++) {
            grad_of(problem, th, g, ctx.n);
            CHECK((sam ? ofs_sam_step(&s, &opt, th, g, problem_closure, &ctx, NULL, &err) : ofs_lookahead_step(&la, &opt, th, g, &err))
                  == OFS_OK, "%s: step %ld: %s", desc, t + 1, err.msg);
        }
        if (!IS_DOUBLE && t > 10) continue;
        ref_compare(desc, want_t, sam ? "w" : "fast", th, ctx.n, &p, worst);
        ref_compare(desc, want_t, sam ? "w+e" : "slow", sam ? ctx.last_x : la.slow, ctx.n, &p, worst);
    }
    CHECK(t == 200 && opt.t == 200 && (sam ? ctx.calls == 200 : la.count == 200 % lc.k),
          "%s: 200 steps (%d closure calls, count %lld)", desc, ctx.calls, sam ? 0LL : (long long)la.count);
    if (sam) ofs_sam_free(&s); else ofs_lookahead_free(&la);
    ofs_optim_free(&opt);
    return 1;
}

static void test_reference_file(const char *path, const char *kind, int want_cases)
{
    FILE *f = fopen(path, "r");
    char line[4096], head[32];
    int cases = 0, before = ref_values_checked;
    double worst = 0;
    CHECK(f != NULL, "cannot open %s (run from the repository root)", path);
    if (!f) return;
    snprintf(head, sizeof head, "case %s ", kind);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, head, strlen(head)) == 0) cases += run_case(f, line, &worst);
        else if (line[0] == '#') snprintf(last_comment, sizeof last_comment, "%s", line);
    }
    fclose(f);
    CHECK(cases == want_cases, "%s: expected %d reference cases, found %d", path, want_cases, cases);
    CHECK(ref_values_checked - before >= (IS_DOUBLE ? want_cases * 6 * 2 * 3 : want_cases * 5 * 2 * 3), "%s: values compared: %d",
          path, ref_values_checked - before);
    printf("%s: %d cases, %d values, largest relative error %.3g (%s)\n", path, cases, ref_values_checked - before, worst,
           IS_DOUBLE ? "double, t <= 200" : "float, t <= 10");
}

/* ---- alpha = 1 and rho = 0 are the base optimizer ---------------------------------- */
static void test_identity(void)
{
    static const ofs_optim_kind kinds[4] = {OFS_SGD, OFS_ADAM, OFS_ADAMW, OFS_LION};
    int k;
    for (k = 0; k < 4; k++) {
        ofs_optim_config c = ofs_optim_defaults(kinds[k]);
        ofs_optim a, b, d;
        ofs_lookahead la;
        ofs_lookahead_config lc = ofs_lookahead_defaults();
        ofs_sam s;
        ofs_sam_config sc = ofs_sam_defaults();
        ofs_real x[4], y[4], z[4], g[4];
        problem_ctx ctx;
        int t, same = 1, i;
        c.lr = 0.01; c.momentum = kinds[k] == OFS_SGD ? 0.9 : 0; c.weight_decay = 0.01;
        lc.alpha = 1; lc.k = 3; sc.rho = 0; sc.adaptive = k % 2;
        ctx.problem = "wave"; ctx.calls = 0; ctx.n = start_of("wave", x);
        start_of("wave", y); start_of("wave", z);
        ofs_optim_init(&a, &c, 4, NULL); ofs_optim_init(&b, &c, 4, NULL); ofs_optim_init(&d, &c, 4, NULL);
        ofs_lookahead_init(&la, &lc, y, 4, NULL);
        ofs_sam_init(&s, &sc, 4, NULL);
        for (t = 0; t < 60; t++) {
            grad_of("wave", x, g, 4); ofs_optim_step(&a, x, g, NULL);
            grad_of("wave", y, g, 4); ofs_lookahead_step(&la, &b, y, g, NULL);
            grad_of("wave", z, g, 4); ofs_sam_step(&s, &d, z, g, problem_closure, &ctx, NULL, NULL);
        }
        for (i = 0; i < 4; i++) same &= memcmp(&x[i], &y[i], sizeof x[i]) == 0;
        CHECK(same && memcmp(la.slow, y, sizeof y) == 0, "%s: lookahead with alpha = 1 is not the base optimizer", ofs_optim_name(kinds[k]));
        same = 1;
        for (i = 0; i < 4; i++) same &= memcmp(&x[i], &z[i], sizeof x[i]) == 0;
        CHECK(same && ctx.calls == 60 && s.norm > 0, "%s: sam with rho = 0 is not the base optimizer", ofs_optim_name(kinds[k]));
        ofs_optim_free(&a); ofs_optim_free(&b); ofs_optim_free(&d); ofs_lookahead_free(&la); ofs_sam_free(&s);
    }
}

/* ---- SAM's three ways of taking a step give the same bits ----------------------------- */
static void test_sam_paths(void)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAMW);
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_optim o[3];
    ofs_sam s[3];
    ofs_real w[3][MAXN], g[MAXN], g2[MAXN];
    problem_ctx ctx;
    double loss = 0;
    int t, k, i, same01 = 1, same02 = 1;
    ofs_err err;
    c.lr = 0.01; c.weight_decay = 0.1; sc.rho = 0.3; sc.adaptive = 1; sc.eta = 0.05;
    ctx.problem = "wave"; ctx.calls = 0;
    for (k = 0; k < 3; k++) {
        ctx.n = start_of("wave", w[k]);
        ofs_optim_init(&o[k], &c, ctx.n, NULL); ofs_sam_init(&s[k], &sc, ctx.n, NULL);
        s[k].adapt_n = 3;
    }
    for (t = 0; t < 50; t++) {
        grad_of("wave", w[0], g, 4);                        /* the closure step, the caller's g */
        ofs_sam_step(&s[0], &o[0], w[0], g, problem_closure, &ctx, &loss, NULL);
        CHECK(loss == problem_loss("wave", ctx.last_x, 4), "t=%d: the loss returned is f at w + e", t);
        ofs_sam_step(&s[1], &o[1], w[1], NULL, problem_closure, &ctx, NULL, NULL);   /* the step takes g itself */
        grad_of("wave", w[2], g, 4);                        /* the pair, around the caller's evaluation */
        CHECK(ofs_sam_perturb(&s[2], w[2], g, &err) == OFS_OK && s[2].perturbed, "perturb: %s", err.msg);
        grad_of("wave", w[2], g2, 4);
        CHECK(memcmp(w[2], ctx.last_x, 4 * sizeof(ofs_real)) == 0, "t=%d: perturb moves w to the step's w + e", t);
        CHECK(ofs_sam_restore(&s[2], w[2], &err) == OFS_OK && !s[2].perturbed, "restore: %s", err.msg);
        ofs_optim_step(&o[2], w[2], g2, NULL);
    }
    for (i = 0; i < 4; i++) { same01 &= w[0][i] == w[1][i]; same02 &= w[0][i] == w[2][i]; }
    CHECK(same01 && ctx.calls == 3 * 50, "sam: the step with grads NULL differs (%d calls)", ctx.calls);
    CHECK(same02 && s[0].norm == s[2].norm, "sam: perturb, evaluate, restore, step differs from ofs_sam_step");
    CHECK(w[0][0] != (ofs_real)1.5 && s[0].norm > 0, "the runs moved");
    for (k = 0; k < 3; k++) { ofs_optim_free(&o[k]); ofs_sam_free(&s[k]); }
}

/* ---- Lookahead: the sync by slices, groups, and composed with SAM ---------------------- */
static void test_lookahead_slices(void)
{
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    ofs_lookahead a, b;
    ofs_optim whole, lo, hi;
    ofs_real p[7], q[7], g[7];
    int i, t, same = 1;
    lc.k = 3; lc.alpha = 0.6; c.lr = 0.05; c.momentum = 0.9;
    for (i = 0; i < 7; i++) p[i] = q[i] = (ofs_real)(0.4 * i - 1.1);
    ofs_lookahead_init(&a, &lc, p, 7, NULL); ofs_lookahead_init(&b, &lc, q, 7, NULL);
    ofs_optim_init(&whole, &c, 7, NULL); ofs_optim_init(&lo, &c, 3, NULL); ofs_optim_init(&hi, &c, 4, NULL);
    for (t = 0; t < 20; t++) {
        for (i = 0; i < 7; i++) g[i] = (ofs_real)(sin((double)(3 * i + t)) + 0.3 * (double)p[i]);
        ofs_lookahead_step(&a, &whole, p, g, NULL);
        for (i = 0; i < 7; i++) g[i] = (ofs_real)(sin((double)(3 * i + t)) + 0.3 * (double)q[i]);
        ofs_optim_step(&lo, q, g, NULL); ofs_optim_step(&hi, q + 3, g + 3, NULL);
        if (b.count + 1 < b.cfg.k) b.count++;        /* what a trainer does: count once, sync by slices */
        else { ofs__lookahead_sync(&b, q, 0, 3); ofs__lookahead_sync(&b, q + 3, 3, 4); b.count = 0; }
    }
    for (i = 0; i < 7; i++) same &= p[i] == q[i] && a.slow[i] == b.slow[i];
    CHECK(same && a.count == 20 % 3 && b.count == a.count, "lookahead: two groups synced by slices differ from one");
    CHECK(memcmp(a.slow, p, sizeof p) != 0, "the slow weights lag the fast ones in mid-cycle");
    ofs_lookahead_free(&a); ofs_lookahead_free(&b);
    ofs_optim_free(&whole); ofs_optim_free(&lo); ofs_optim_free(&hi);
}

/* ---- save in mid-cycle (t = 7, k = 5), load into fresh wrappers, continue --------------- */
static void run_steps(ofs_lookahead *la, ofs_optim *o, ofs_sam *s, ofs_real *w, int from, int to, problem_ctx *ctx)
{
    ofs_real g[MAXN];
    int t;
    for (t = from; t < to; t++) {
        grad_of("cubic", w, g, 3);
        ofs_sam_step(s, o, w, g, problem_closure, ctx, NULL, NULL);
        ofs_lookahead_after_step(la, w, NULL);
    }
}

static void test_save_load(void)
{
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAM);
    ofs_lookahead la, lb;
    ofs_optim oa, ob;
    ofs_sam sa, sb;
    ofs_real w[3], v[3], slow7[3];
    ofs_buf buf = {NULL, 0, 0, 0};
    ofs_reader r;
    ofs_err err;
    problem_ctx ctx;
    int same = 1, i;
    c.lr = 0.05; sc.rho = 0.1; sc.adaptive = 1;
    ctx.problem = "cubic"; ctx.calls = 0; ctx.n = start_of("cubic", w);
    ofs_lookahead_init(&la, &lc, w, 3, NULL); ofs_optim_init(&oa, &c, 3, NULL); ofs_sam_init(&sa, &sc, 3, NULL);
    run_steps(&la, &oa, &sa, w, 0, 7, &ctx);
    CHECK(la.count == 2, "mid-cycle: count %lld after 7 steps with k = 5", (long long)la.count);
    ofs_lookahead_save(&la, &buf); ofs_optim_save(&oa, &buf); ofs_sam_save(&sa, &buf);
    memcpy(v, w, sizeof w);                            /* the parameters: the caller's to keep */
    memcpy(slow7, la.slow, sizeof slow7);
    CHECK(memcmp(slow7, w, sizeof w) != 0, "in mid-cycle the slow weights are not the parameters");
    run_steps(&la, &oa, &sa, w, 7, 40, &ctx);
    {                                                  /* fresh wrappers, made at other weights */
        ofs_real other[3] = {(ofs_real)0.1, (ofs_real)0.2, (ofs_real)0.3};
        ofs_lookahead_init(&lb, &lc, other, 3, NULL); ofs_optim_init(&ob, &c, 3, NULL); ofs_sam_init(&sb, &sc, 3, NULL);
    }
    r.data = buf.data; r.len = buf.len; r.pos = 0; r.failed = 0;
    CHECK(ofs_lookahead_load(&lb, &r, &err) == OFS_OK, "lookahead load: %s", err.msg);
    CHECK(ofs_optim_load(&ob, &r, &err) == OFS_OK, "optim load: %s", err.msg);
    CHECK(ofs_sam_load(&sb, &r, &err) == OFS_OK && r.pos == r.len, "sam load: %s", err.msg);
    CHECK(lb.count == 2 && memcmp(lb.slow, slow7, sizeof slow7) == 0, "the count and the slow weights are loaded");
    run_steps(&lb, &ob, &sb, v, 7, 40, &ctx);
    for (i = 0; i < 3; i++) same &= w[i] == v[i] && la.slow[i] == lb.slow[i];
    CHECK(same && la.count == lb.count && oa.t == ob.t, "lookahead + sam: the resumed run is not bit-identical");
    ofs_buf_free(&buf);
    ofs_lookahead_free(&la); ofs_lookahead_free(&lb); ofs_optim_free(&oa); ofs_optim_free(&ob);
    ofs_sam_free(&sa); ofs_sam_free(&sb);
}

/* ---- hostile saved states: refused, with the field named, and nothing changed ----------- */
static void expect(ofs_status got, ofs_status want, const ofs_err *err, const char *needle, const char *what)
{
    CHECK(got == want && strstr(err->msg, needle) != NULL, "%s: expected %s naming \"%s\", found %s: %s", what,
          ofs_status_string(want), needle, ofs_status_string(got), got == OFS_OK ? "" : err->msg);
}

typedef struct hostile { size_t at; int is_f64; double f; uint64_t u; ofs_status want; const char *needle; } hostile;

static void test_hostile_lookahead(void)
{
    static const hostile rows[] = {
        {0, 0, 0, 0x32414b4cu, OFS_ERR_FORMAT, "expected the tag"},
        {8, 0, 0, 4, OFS_ERR_MISMATCH, "expected 3 slow weights with k = 5"},
        {16, 0, 0, 6, OFS_ERR_MISMATCH, "found 3 with k = 6"},
        {24, 1, 0.5, 0, OFS_ERR_MISMATCH, "alpha = 0.5"},
        {24, 1, (double)NAN, 0, OFS_ERR_MISMATCH, "alpha = nan"},
        {32, 0, 0, 5, OFS_ERR_FORMAT, "count of steps since the sync in [0, k = 5), found 5"},
        {32, 0, 0, (uint64_t)1 << 63, OFS_ERR_FORMAT, "count of steps"},
        {48, 1, (double)NAN, 0, OFS_ERR_FORMAT, "the slow weights: expected finite values, found nan at element 1"},
        {56, 1, (double)-INFINITY, 0, OFS_ERR_FORMAT, "found -inf at element 2"},
        {40, 1, 1e300, 0, IS_DOUBLE ? OFS_OK : OFS_ERR_FORMAT, IS_DOUBLE ? "" : "found 1e+300 at element 0"},
    };
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_lookahead la, lb;
    ofs_real w[3] = {1, 2, 3}, keep[3];
    ofs_buf buf = {NULL, 0, 0, 0};
    unsigned char bad[256];
    ofs_reader r;
    ofs_err err;
    size_t k;
    int64_t count;
    ofs_lookahead_init(&la, &lc, w, 3, NULL);
    la.count = 3; la.slow[1] = (ofs_real)-0.5;
    ofs_lookahead_save(&la, &buf);
    CHECK(buf.len == 40 + 3 * 8 && buf.len <= sizeof bad, "the state's layout: %lu bytes", (unsigned long)buf.len);
    ofs_lookahead_init(&lb, &lc, w, 3, NULL);
    lb.count = 1;
    memcpy(keep, lb.slow, sizeof keep); count = lb.count;
    for (k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        ofs_status st;
        char what[64];
        memcpy(bad, buf.data, buf.len);
        if (rows[k].is_f64) memcpy(bad + rows[k].at, &rows[k].f, 8); else memcpy(bad + rows[k].at, &rows[k].u, 8);
        r.data = bad; r.len = buf.len; r.pos = 0; r.failed = 0;
        st = ofs_lookahead_load(&lb, &r, &err);
        snprintf(what, sizeof what, "hostile lookahead state, row %lu", (unsigned long)k);
        if (rows[k].want == OFS_OK) { CHECK(st == OFS_OK, "%s: %s", what, err.msg); continue; }
        expect(st, rows[k].want, &err, rows[k].needle, what);
        CHECK(lb.count == count && memcmp(lb.slow, keep, sizeof keep) == 0, "%s changed the wrapper", what);
    }
    memcpy(keep, lb.slow, sizeof keep); count = lb.count;
    r.data = buf.data; r.len = buf.len - 1; r.pos = 0; r.failed = 0;
    expect(ofs_lookahead_load(&lb, &r, &err), OFS_ERR_FORMAT, &err, "the slow weights: truncated", "a truncated lookahead state");
    r.len = 20; r.pos = 0;
    expect(ofs_lookahead_load(&lb, &r, &err), OFS_ERR_FORMAT, &err, "a truncated state", "a truncated lookahead header");
    CHECK(lb.count == count && memcmp(lb.slow, keep, sizeof keep) == 0, "a truncated state changed the wrapper");
    r.len = buf.len; r.pos = 0; r.failed = 0;
    CHECK(ofs_lookahead_load(&lb, &r, &err) == OFS_OK && lb.count == 3 && lb.slow[1] == (ofs_real)-0.5, "the state itself loads");
    ofs_buf_free(&buf);
    ofs_lookahead_free(&la); ofs_lookahead_free(&lb);
}

static void test_hostile_sam(void)
{
    static const hostile rows[] = {
        {0, 0, 0, 0x324d4153u, OFS_ERR_FORMAT, "expected the tag"},
        {8, 0, 0, 5, OFS_ERR_MISMATCH, "expected n = 4, adapt_n = 2"},
        {16, 0, 0, 4, OFS_ERR_MISMATCH, "found 4, 4,"},
        {24, 1, -1, 0, OFS_ERR_FORMAT, "sam state: sam: expected rho in [0, 1e6]"},
        {24, 1, (double)NAN, 0, OFS_ERR_FORMAT, "found nan"},
        {24, 1, 0.25, 0, OFS_ERR_MISMATCH, "rho = 0.3"},
        {32, 0, 0, 2, OFS_ERR_FORMAT, "expected adaptive 0 (SAM) or 1 (ASAM), found 2"},
        {32, 0, 0, (uint64_t)1 << 40, OFS_ERR_FORMAT, "expected adaptive 0 (SAM) or 1"},
        {32, 0, 0, 0, OFS_ERR_MISMATCH, "adaptive = 1"},
        {40, 1, (double)INFINITY, 0, OFS_ERR_FORMAT, "expected eta in [0, 1e6]"},
        {48, 1, -1e-12, 0, OFS_ERR_FORMAT, "expected eps in [0, 1]"},
        {48, 1, 1e-16, 0, OFS_ERR_MISMATCH, "eps = 1e-12"},
    };
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_sam a;
    ofs_buf buf = {NULL, 0, 0, 0};
    unsigned char bad[128];
    ofs_reader r;
    ofs_err err;
    size_t k;
    sc.rho = 0.3; sc.adaptive = 1;
    ofs_sam_init(&a, &sc, 4, NULL);
    a.adapt_n = 2;
    ofs_sam_save(&a, &buf);
    CHECK(buf.len == 56, "the state's layout: %lu bytes", (unsigned long)buf.len);
    for (k = 0; k < sizeof rows / sizeof rows[0] && buf.len <= sizeof bad; k++) {
        char what[64];
        memcpy(bad, buf.data, buf.len);
        if (rows[k].is_f64) memcpy(bad + rows[k].at, &rows[k].f, 8); else memcpy(bad + rows[k].at, &rows[k].u, 8);
        r.data = bad; r.len = buf.len; r.pos = 0; r.failed = 0;
        snprintf(what, sizeof what, "hostile sam state, row %lu", (unsigned long)k);
        expect(ofs_sam_load(&a, &r, &err), rows[k].want, &err, rows[k].needle, what);
        CHECK(a.cfg.rho == 0.3 && a.cfg.adaptive == 1 && a.cfg.eps == 1e-12 && a.adapt_n == 2, "%s changed the wrapper", what);
    }
    r.data = buf.data; r.len = buf.len - 1; r.pos = 0; r.failed = 0;
    expect(ofs_sam_load(&a, &r, &err), OFS_ERR_FORMAT, &err, "a truncated state", "a truncated sam state");
    r.len = buf.len; r.pos = 0; r.failed = 0;
    CHECK(ofs_sam_load(&a, &r, &err) == OFS_OK, "the state itself loads: %s", err.msg);
    ofs_buf_free(&buf);
    ofs_sam_free(&a);
}

/* ---- misuse: each row its message, naming what was expected and what was found --------- */
static double nan_loss(const ofs_real *x, ofs_real *grad, void *ctx)
{
    problem_ctx *p = (problem_ctx *)ctx;
    grad_of(p->problem, x, grad, p->n);
    return p->calls++ == 0 ? 1.0 : (double)NAN;        /* finite at w, NaN at w + e */
}

static double nan_grad(const ofs_real *x, ofs_real *grad, void *ctx)
{
    problem_ctx *p = (problem_ctx *)ctx;
    grad_of(p->problem, x, grad, p->n);
    grad[2] = (ofs_real)NAN;
    return 1.0;
}

static void test_misuse_configs(void)
{
    ofs_lookahead_config lc;
    ofs_sam_config sc;
    ofs_lookahead la;
    ofs_sam s;
    ofs_err err;
    ofs_real w[3] = {1, (ofs_real)INFINITY, 3};
    lc = ofs_lookahead_defaults(); lc.k = 0;
    expect(ofs_lookahead_validate(&lc, &err), OFS_ERR_ARG, &err, "lookahead: expected k >= 1 (base steps per sync), found 0", "k 0");
    lc = ofs_lookahead_defaults(); lc.k = -3;
    expect(ofs_lookahead_init(&la, &lc, w, 3, &err), OFS_ERR_ARG, &err, "found -3", "k -3");
    lc = ofs_lookahead_defaults(); lc.alpha = 1.5;
    expect(ofs_lookahead_validate(&lc, &err), OFS_ERR_ARG, &err, "expected alpha in (0, 1] (1: the base optimizer alone), found 1.5", "alpha 1.5");
    lc.alpha = 0;
    expect(ofs_lookahead_validate(&lc, &err), OFS_ERR_ARG, &err, "found 0", "alpha 0");
    lc.alpha = (double)NAN;
    expect(ofs_lookahead_validate(&lc, &err), OFS_ERR_ARG, &err, "alpha in (0, 1]", "alpha NaN");
    lc = ofs_lookahead_defaults();
    CHECK(lc.k == 5 && lc.alpha == 0.8 && ofs_lookahead_validate(&lc, NULL) == OFS_OK, "lookahead: the authors' defaults");
    expect(ofs_lookahead_init(&la, &lc, w, 3, &err), OFS_ERR_NONFINITE, &err, "found inf at element 1 of 3", "non-finite params at init");
    expect(ofs_lookahead_init(&la, &lc, NULL, 3, &err), OFS_ERR_ARG, &err, "found NULL", "NULL params at init");
    expect(ofs_lookahead_init(&la, &lc, w, 0, &err), OFS_ERR_ARG, &err, "found n = 0", "n 0 at init");
    sc = ofs_sam_defaults(); sc.rho = -0.1;
    expect(ofs_sam_validate(&sc, &err), OFS_ERR_ARG, &err, "sam: expected rho in [0, 1e6] (the ball's radius; 0: the base optimizer), found -0.1", "rho -0.1");
    sc.rho = (double)NAN;
    expect(ofs_sam_init(&s, &sc, 3, &err), OFS_ERR_ARG, &err, "rho in [0, 1e6]", "rho NaN");
    sc.rho = (double)INFINITY;
    expect(ofs_sam_validate(&sc, &err), OFS_ERR_ARG, &err, "found inf", "rho inf");
    sc = ofs_sam_defaults(); sc.eta = -1;
    expect(ofs_sam_validate(&sc, &err), OFS_ERR_ARG, &err, "sam: expected eta in [0, 1e6] (ASAM: added to |w|), found -1", "eta -1");
    sc.eta = (double)NAN;
    expect(ofs_sam_validate(&sc, &err), OFS_ERR_ARG, &err, "eta in [0, 1e6]", "eta NaN");
    sc = ofs_sam_defaults(); sc.adaptive = 2;
    expect(ofs_sam_validate(&sc, &err), OFS_ERR_ARG, &err, "expected adaptive 0 (SAM) or 1 (ASAM), found 2", "adaptive 2");
    sc = ofs_sam_defaults(); sc.eps = (double)NAN;
    expect(ofs_sam_validate(&sc, &err), OFS_ERR_ARG, &err, "expected eps in [0, 1] (added to the norm), found nan", "eps NaN");
    sc = ofs_sam_defaults();
    expect(ofs_sam_init(&s, &sc, 0, &err), OFS_ERR_ARG, &err, "expected n >= 1 parameters, found 0", "sam n 0");
    CHECK(sc.rho == 0.05 && sc.adaptive == 0 && sc.eta == 0.01 && sc.eps == 1e-12 && ofs_sam_validate(&sc, NULL) == OFS_OK,
          "sam: davda54's and ASAM's defaults");
}

/* A refused call leaves the parameters, the base optimizer and the wrapper as they were. */
static int untouched(const ofs_real *w, const ofs_optim *o, const ofs_real *moment)
{
    return w[0] == (ofs_real)1 && w[1] == (ofs_real)-2 && w[2] == (ofs_real)0.5 && o->t == 2 &&
           memcmp(o->s[0], moment, 3 * sizeof(ofs_real)) == 0;
}

static void test_misuse_steps(void)
{
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    ofs_optim o, o4;
    ofs_lookahead la;
    ofs_sam s;
    ofs_err err;
    ofs_real w[3], g[3], m[3] = {0, 0, 0}, gbad[3] = {0, (ofs_real)NAN, 0};
    problem_ctx ctx;
    c.momentum = 0.9; c.lr = 0.01;
    ctx.problem = "cubic"; ctx.calls = 0; ctx.n = start_of("cubic", w);
    ofs_optim_init(&o, &c, 3, NULL); ofs_optim_init(&o4, &c, 4, NULL);
    grad_of("cubic", w, g, 3);
    ofs_optim_step(&o, m, g, NULL); ofs_optim_step(&o, m, g, NULL);   /* a base with a state (t = 2), stepping m */
    memcpy(m, o.s[0], sizeof m);
    ofs_lookahead_init(&la, &lc, w, 3, NULL);
    ofs_sam_init(&s, &sc, 3, NULL);
    expect(ofs_lookahead_step(&la, &o4, w, g, &err), OFS_ERR_ARG, &err, "expected an optimizer over the wrapper's 3 parameters, found one over 4", "lookahead n");
    expect(ofs_lookahead_step(&la, &o, w, gbad, &err), OFS_ERR_NONFINITE, &err, "expected a finite gradient, found nan at element 1 of 3; nothing changed", "lookahead NaN g");
    expect(ofs_lookahead_step(&la, &o, w, NULL, &err), OFS_ERR_ARG, &err, "expected the gradient (3 values), found NULL", "lookahead NULL g");
    CHECK(untouched(w, &o, m) && la.count == 0, "a refused lookahead step changed something");
    la.count = 4; w[1] = (ofs_real)NAN;
    expect(ofs_lookahead_after_step(&la, w, &err), OFS_ERR_NONFINITE, &err, "expected finite fast weights, found nan at element 1 of 3; the slow weights and the count are unchanged", "sync at NaN");
    CHECK(la.count == 4 && la.slow[1] == (ofs_real)-2, "a refused sync changed the wrapper");
    w[1] = -2; la.count = 5;
    expect(ofs_lookahead_after_step(&la, w, &err), OFS_ERR_ARG, &err, "expected a count in [0, k = 5), found 5", "count out of range");
    la.count = 0; la.cfg.alpha = 2;
    expect(ofs_lookahead_step(&la, &o, w, g, &err), OFS_ERR_ARG, &err, "expected alpha in (0, 1]", "alpha changed to 2");
    la.cfg.alpha = 0.8;
    expect(ofs_sam_step(&s, &o4, w, g, problem_closure, &ctx, NULL, &err), OFS_ERR_ARG, &err, "expected an optimizer over the wrapper's 3 parameters, found one over 4", "sam n");
    expect(ofs_sam_step(&s, &o, w, g, NULL, NULL, NULL, &err), OFS_ERR_ARG, &err, "sam step: expected a closure (two evaluations per step: at w and at w + e), found NULL", "sam f NULL");
    expect(ofs_sam_step(&s, &o, w, gbad, problem_closure, &ctx, NULL, &err), OFS_ERR_NONFINITE, &err, "sam step: expected a finite gradient at w, found nan at element 1 of 3; nothing changed", "sam NaN g");
    expect(ofs_sam_step(&s, &o, w, NULL, nan_grad, &ctx, NULL, &err), OFS_ERR_NONFINITE, &err, "sam step: expected a finite gradient at w, found nan at element 2 of 3", "sam NaN g from f at w");
    expect(ofs_sam_step(&s, &o, w, g, nan_grad, &ctx, NULL, &err), OFS_ERR_NONFINITE, &err, "sam step: expected a finite gradient at w + e, found nan at element 2 of 3; nothing changed", "sam NaN g2");
    ctx.calls = 0;
    expect(ofs_sam_step(&s, &o, w, NULL, nan_loss, &ctx, NULL, &err), OFS_ERR_NONFINITE, &err, "sam step: expected a finite loss at w + e, found nan; nothing changed", "sam NaN loss");
    s.cfg.rho = 1e6; g[0] = (ofs_real)1e300;
    expect(ofs_sam_step(&s, &o, w, g, problem_closure, &ctx, NULL, &err), OFS_ERR_NONFINITE, &err, IS_DOUBLE ? "expected a finite norm ||T g||, found inf" : "expected a finite gradient at w, found inf", "sam overflowing norm");
    grad_of("cubic", w, g, 3); s.cfg.rho = 0.05;
    s.adapt_n = 4; s.cfg.adaptive = 1;
    expect(ofs_sam_step(&s, &o, w, g, problem_closure, &ctx, NULL, &err), OFS_ERR_ARG, &err, "expected adapt_n <= n = 3 (the adapted elements come first), found 4", "adapt_n 4");
    s.adapt_n = 3; o.cfg.lr = -1;
    expect(ofs_sam_step(&s, &o, w, g, problem_closure, &ctx, NULL, &err), OFS_ERR_ARG, &err, "sam step: the base optimizer: ", "a bad base");
    o.cfg.lr = 0.01;
    CHECK(untouched(w, &o, m), "a refused sam step changed something");
    expect(ofs_sam_restore(&s, w, &err), OFS_ERR_ARG, &err, "sam restore: expected a perturbation to undo (ofs_sam_perturb first), found none", "restore first");
    expect(ofs_sam_perturb(&s, w, gbad, &err), OFS_ERR_NONFINITE, &err, "sam perturb: expected a finite gradient at w, found nan at element 1 of 3", "perturb NaN g");
    expect(ofs_sam_perturb(&s, w, NULL, &err), OFS_ERR_ARG, &err, "sam perturb: expected the gradient at w (3 values), found NULL", "perturb NULL g");
    CHECK(untouched(w, &o, m) && !s.perturbed, "a refused perturbation changed something");
    CHECK(ofs_sam_perturb(&s, w, g, &err) == OFS_OK && !untouched(w, &o, m), "perturb moves w: %s", err.msg);
    expect(ofs_sam_perturb(&s, w, g, &err), OFS_ERR_ARG, &err, "sam perturb: expected the parameters restored (ofs_sam_restore) after the last perturbation", "perturb twice");
    expect(ofs_sam_step(&s, &o, w, g, problem_closure, &ctx, NULL, &err), OFS_ERR_ARG, &err, "sam step: expected the parameters restored", "step while perturbed");
    CHECK(ofs_sam_restore(&s, w, &err) == OFS_OK && untouched(w, &o, m), "restore gives w back, bit for bit");
    ofs_optim_free(&o); ofs_optim_free(&o4); ofs_lookahead_free(&la); ofs_sam_free(&s);
}

int main(void)
{
    test_reference_file("tests/ref/lookahead_ref.txt", "lookahead", 30);
    test_reference_file("tests/ref/sam_ref.txt", "sam", 37);
    test_identity();
    test_sam_paths();
    test_lookahead_slices();
    test_save_load();
    test_hostile_lookahead();
    test_hostile_sam();
    test_misuse_configs();
    test_misuse_steps();
    return harness_done("test_wrap");
}
