/* Schedule-Free AdamW and SGD (chapter 11b) against the authors' reference code
   (tests/ref/schedfree_ref.txt, written by tests/ref/make_schedfree_refs.py): in
   double, y (the parameters, where gradients are taken) and x (the evaluation
   point) within 1e-10 relative at every recorded step up to 200; in float, close
   over the first 10 steps. Plus misuse, slices and threads, save/load. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include "problems.h"   /* grad_of, start_of: the reference problems */
#include "refcase.h"    /* ref_case_head, ref_compare: reading the reference files */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define IS_DOUBLE (sizeof(ofs_real) == sizeof(double))

static int cases_run;
static double worst_rel;


/* One "case" block: set up from its keys, step, compare y and x at each "step" line. */
static void run_case(FILE *f, char *line)
{
    char problem[32], desc[4096];
    ofs_optim_config cfg;
    ofs_optim opt;
    ofs_err err;
    ofs_real th[8], g[8], x[8];
    size_t n;
    int64_t t = 0;
    double lr0, lrsched;

    if (!ref_case_head(line, desc, problem, &cfg, NULL, &lrsched, NULL, NULL)) return;
    lr0 = cfg.lr;
    n = start_of(problem, th);
    if (ofs_optim_init(&opt, &cfg, n, &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return; }
    cases_run++;
    ofs_optim_eval_params(&opt, th, x);
    CHECK(memcmp(x, th, n * sizeof *x) == 0, "%s: before a step, the evaluation point is the parameters", desc);
    while (fgets(line, 4096, f) && strncmp(line, "end", 3) != 0) {
        long want_t;
        char *p = line + 5;
        if (strncmp(line, "step ", 5) != 0) continue;
        want_t = strtol(p, &p, 10);
        while (t < want_t) {
            if (lrsched) opt.cfg.lr = lr0 * (1 - 0.004 * (double)t);   /* before step t+1 */
            grad_of(problem, th, g, n);
            CHECK(ofs_optim_step(&opt, th, g, &err) == OFS_OK, "%s: step %ld: %s", desc, (long)t + 1, err.msg);
            t++;
        }
        if (!IS_DOUBLE && t > 10) continue;
        ofs_optim_eval_params(&opt, th, x);
        CHECK(ofs_optim_averaged(&opt) == opt.s[1] && memcmp(x, opt.s[1], n * sizeof *x) == 0, "%s: x is s[1], handed out", desc);
        ref_compare(desc, want_t, "y", th, n, &p, &worst_rel);
        ref_compare(desc, want_t, "x", x, n, &p, &worst_rel);
    }
    ofs_optim_free(&opt);
}

static void test_reference_file(void)
{
    FILE *f = fopen("tests/ref/schedfree_ref.txt", "r");
    char line[4096];
    CHECK(f != NULL, "cannot open tests/ref/schedfree_ref.txt (run from the repository root)");
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "case ", 5) == 0) run_case(f, line);
    fclose(f);
    CHECK(cases_run == 18, "expected 18 reference cases, found %d", cases_run);
    CHECK(ref_values_checked >= (IS_DOUBLE ? 18 * 9 * 6 : 18 * 5 * 6), "values compared: %d", ref_values_checked);
    printf("%d reference cases, %d values, largest relative error %.3g (%s)\n", cases_run, ref_values_checked, worst_rel,
           IS_DOUBLE ? "double, t <= 200" : "float, t <= 10");
}

static void expect_refused(const ofs_optim_config *cfg, const char *needle)
{
    ofs_optim o;
    ofs_err err;
    ofs_status st = ofs_optim_init(&o, cfg, 4, &err);
    CHECK(st == OFS_ERR_ARG && strstr(err.msg, needle) != NULL, "%s: expected OFS_ERR_ARG naming \"%s\", found %s: %s",
          ofs_optim_name(cfg->kind), needle, ofs_status_string(st), st == OFS_OK ? "" : err.msg);
    if (st == OFS_OK) ofs_optim_free(&o);
}

static void test_misuse(void)
{
    static const ofs_optim_kind kinds[2] = {OFS_SFADAMW, OFS_SFSGD};
    ofs_optim_config c;
    int k;
    for (k = 0; k < 2; k++) {
        const ofs_optim_kind kind = kinds[k];
        c = ofs_optim_defaults(kind); c.beta1 = 1;                  expect_refused(&c, "beta1 in [0, 1)");
        c = ofs_optim_defaults(kind); c.beta1 = -0.1;               expect_refused(&c, "beta1 in [0, 1)");
        c = ofs_optim_defaults(kind); c.beta1 = (double)NAN;        expect_refused(&c, "beta1");
        c = ofs_optim_defaults(kind); c.warmup_steps = -1;          expect_refused(&c, "warmup_steps in [0, 2^53]");
        c = ofs_optim_defaults(kind); c.warmup_steps = 2.5;         expect_refused(&c, "whole number of warmup_steps");
        c = ofs_optim_defaults(kind); c.warmup_steps = (double)NAN; expect_refused(&c, "warmup_steps");
        c = ofs_optim_defaults(kind); c.r = -1;                     expect_refused(&c, "r in [0, 8]");
        c = ofs_optim_defaults(kind); c.r = (double)INFINITY;       expect_refused(&c, "r in [0, 8]");
        c = ofs_optim_defaults(kind); c.weight_lr_power = 9;        expect_refused(&c, "weight_lr_power in [0, 8]");
        c = ofs_optim_defaults(kind); c.lr = (double)NAN;           expect_refused(&c, "lr");
        c = ofs_optim_defaults(kind); c.weight_decay = -0.5;        expect_refused(&c, "weight_decay");
        CHECK(ofs_optim_reads(kind, "beta1") && ofs_optim_reads(kind, "warmup_steps") && ofs_optim_reads(kind, "r") &&
              ofs_optim_reads(kind, "weight_lr_power") && !ofs_optim_reads(kind, "momentum") && !ofs_optim_reads(kind, "t0"),
              "%s: the table names what it reads", ofs_optim_name(kind));
    }
    c = ofs_optim_defaults(OFS_SFADAMW); c.beta2 = 1;               expect_refused(&c, "beta2 in [0, 1)");
    c = ofs_optim_defaults(OFS_SFADAMW); c.eps = 0;                 expect_refused(&c, "eps in [1e-16, 1e6]");
    CHECK(ofs_optim_reads(OFS_SFADAMW, "eps") && !ofs_optim_reads(OFS_SFSGD, "eps") && !ofs_optim_reads(OFS_SFSGD, "beta2"),
          "sfsgd reads no eps, no beta2");
    c = ofs_optim_defaults(OFS_SFADAMW);
    CHECK(c.lr == 2.5e-3 && c.beta1 == 0.9 && c.beta2 == 0.999 && c.eps == 1e-8 && c.weight_decay == 0 && c.warmup_steps == 0 &&
          c.r == 0 && c.weight_lr_power == 2, "sfadamw: the reference's defaults");
    c = ofs_optim_defaults(OFS_SFSGD);
    CHECK(c.lr == 1 && c.beta1 == 0.9 && c.weight_decay == 0 && c.weight_lr_power == 2, "sfsgd: the reference's defaults");
}

/* A NaN gradient reaches y and x (no silent skip), and a state holding it is not saved. */
static void test_nan(void)
{
    ofs_optim o;
    ofs_optim_config c = ofs_optim_defaults(OFS_SFADAMW);
    ofs_real p[3] = {1, 2, 3}, g[3] = {1, (ofs_real)NAN, 1}, x[3];
    ofs_err err;
    ofs_optim_init(&o, &c, 3, NULL);
    CHECK(ofs_optim_step(&o, p, g, &err) == OFS_OK, "step");
    ofs_optim_eval_params(&o, p, x);
    CHECK(p[1] != p[1] && x[1] != x[1] && p[0] == p[0], "the NaN stays in its element: %g %g %g", (double)p[0], (double)p[1], (double)x[1]);
    CHECK(ofs_optim_save_file(&o, "build/test_schedfree_nan.bin", &err) == OFS_ERR_NONFINITE, "a NaN state is not saved: %s", err.msg);
    ofs_optim_free(&o);
}

/* Slices: two optimizers over the halves of an array take the bits of one over the
   whole (element-wise), and with OpenMP 1, 2 and 3 threads agree to the bit, in y,
   z, x, v and the step's scalars lr_max and weight_sum. */
static void run_sf(ofs_optim_kind kind, size_t n, int threads, ofs_real *x, ofs_optim *o)
{
    ofs_optim_config c = ofs_optim_defaults(kind);
    ofs_real *g = (ofs_real *)malloc(n * sizeof(ofs_real));
    size_t i;
    int s;
    c.lr = kind == OFS_SFSGD ? 0.05 : 0.01; c.warmup_steps = 3; c.weight_decay = 0.01; c.r = 0.5;
    for (i = 0; i < n; i++) x[i] = (ofs_real)sin(0.001 * (double)i);
    ofs_optim_init(o, &c, n, NULL);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    for (s = 0; s < 6; s++) {
        for (i = 0; i < n; i++) g[i] = (ofs_real)(cos(0.37 * (double)(i + 7 * s)) + 0.1 * (double)x[i]);
        if (s == 4) o->cfg.lr *= 0.5;   /* a schedule may move lr: lr_max keeps the largest */
        ofs_optim_step(o, x, g, NULL);
    }
    free(g);
}

static void test_slices(void)
{
    static const ofs_optim_kind kinds[2] = {OFS_SFADAMW, OFS_SFSGD};
    const size_t n = 100003;
    int k, nt, a;
#ifdef _OPENMP
    const int saved = omp_get_max_threads();
#endif
    for (k = 0; k < 2; k++) {
        ofs_optim o[3];
        ofs_real *x[3];
        for (nt = 0; nt < 3; nt++) { x[nt] = (ofs_real *)malloc(n * sizeof(ofs_real)); run_sf(kinds[k], n, nt + 1, x[nt], &o[nt]); }
        for (nt = 1; nt < 3; nt++) {
            int same = memcmp(x[0], x[nt], n * sizeof(ofs_real)) == 0 && o[0].t == o[nt].t &&
                       memcmp(&o[0].lr_max, &o[nt].lr_max, sizeof(double)) == 0 &&
                       memcmp(&o[0].weight_sum, &o[nt].weight_sum, sizeof(double)) == 0;
            for (a = 0; a < 3; a++)
                if (o[0].s[a]) same &= memcmp(o[0].s[a], o[nt].s[a], n * sizeof(ofs_real)) == 0;
            CHECK(same, "%s: %d threads do not give the bits of one", ofs_optim_name(kinds[k]), nt + 1);
        }
        CHECK(o[0].lr_max == (double)(kinds[k] == OFS_SFSGD ? 0.05 : 0.01), "%s: lr_max is the warmed-up lr, %g",
              ofs_optim_name(kinds[k]), o[0].lr_max);
        for (nt = 0; nt < 3; nt++) { ofs_optim_free(&o[nt]); free(x[nt]); }
        {   /* two groups over the halves */
            ofs_optim whole, lo, hi;
            ofs_optim_config c = ofs_optim_defaults(kinds[k]);
            ofs_real p[7], q[7], g[7];
            int i, s, same = 1;
            c.lr = 0.05; c.warmup_steps = 2;
            for (i = 0; i < 7; i++) p[i] = q[i] = (ofs_real)(0.4 * i - 1.1);
            ofs_optim_init(&whole, &c, 7, NULL); ofs_optim_init(&lo, &c, 3, NULL); ofs_optim_init(&hi, &c, 4, NULL);
            for (s = 0; s < 25; s++) {
                for (i = 0; i < 7; i++) g[i] = (ofs_real)(sin((double)(3 * i + s)) + 0.3 * (double)p[i]);
                ofs_optim_step(&whole, p, g, NULL);
                ofs_optim_step(&lo, q, g, NULL); ofs_optim_step(&hi, q + 3, g + 3, NULL);
            }
            for (i = 0; i < 7; i++) same &= p[i] == q[i];
            CHECK(same, "%s: two groups differ from one", ofs_optim_name(kinds[k]));
            ofs_optim_free(&whole); ofs_optim_free(&lo); ofs_optim_free(&hi);
        }
    }
#ifdef _OPENMP
    omp_set_num_threads(saved);
#endif
}

/* Save after 15 steps (in memory and in a file), load into a fresh optimizer,
   continue: bit for bit, lr_max and weight_sum included; hostile scalars refused. */
static void test_save_load(void)
{
    static const ofs_optim_kind kinds[2] = {OFS_SFADAMW, OFS_SFSGD};
    const char *path = "build/test_schedfree_state.bin";
    int k;
    for (k = 0; k < 2; k++) {
        ofs_optim a, b;
        ofs_optim_config c = ofs_optim_defaults(kinds[k]);
        ofs_real x[5], y[5], g[5];
        ofs_buf buf = {NULL, 0, 0, 0};
        ofs_reader r;
        ofs_err err;
        int i, s, same = 1;
        double keep;
        c.lr = 0.05; c.warmup_steps = 20; c.weight_decay = 0.1; c.r = 1;
        for (i = 0; i < 5; i++) x[i] = (ofs_real)(1.0 - 0.4 * i);
        ofs_optim_init(&a, &c, 5, NULL);
        for (s = 0; s < 40; s++) {
            if (s == 15) {
                CHECK(ofs_optim_save_file(&a, path, &err) == OFS_OK, "save: %s", err.msg);
                ofs_optim_save(&a, &buf);
                memcpy(y, x, sizeof x);
            }
            for (i = 0; i < 5; i++) g[i] = (ofs_real)(cos((double)(s + i)) + 0.2 * (double)x[i]);
            ofs_optim_step(&a, x, g, NULL);
        }
        ofs_optim_init(&b, &c, 5, NULL);
        CHECK(ofs_optim_load_file(&b, path, &err) == OFS_OK, "%s load: %s", ofs_optim_name(kinds[k]), err.msg);
        CHECK(b.t == 15 && b.lr_max > 0 && b.weight_sum > 0, "the scalars are loaded: lr_max %g, weight_sum %g", b.lr_max, b.weight_sum);
        for (s = 15; s < 40; s++) {
            for (i = 0; i < 5; i++) g[i] = (ofs_real)(cos((double)(s + i)) + 0.2 * (double)y[i]);
            ofs_optim_step(&b, y, g, NULL);
        }
        for (i = 0; i < 5; i++) same &= x[i] == y[i];
        CHECK(same && a.t == b.t && a.weight_sum == b.weight_sum && memcmp(a.s[1], b.s[1], sizeof x) == 0,
              "%s: resumed run is not bit-identical", ofs_optim_name(kinds[k]));
        /* lr_max at byte 48, weight_sum at 56 (after tag, kind, n, t, mu_product, eta) */
        memcpy(&keep, buf.data + 48, 8);
        {
            static const double bad[3] = {-1, 2e3, (double)NAN};
            int v;
            for (v = 0; v < 4; v++) {
                double d = v < 3 ? bad[v] : -0.5;
                ofs_status st;
                memcpy(buf.data + (v < 3 ? 48 : 56), &d, 8);
                r.data = buf.data; r.len = buf.len; r.pos = 0; r.failed = 0;
                st = ofs_optim_load(&b, &r, &err);
                CHECK(st == OFS_ERR_FORMAT && strstr(err.msg, "lr_max") && b.t == 40, "hostile %s %g refused: %s",
                      v < 3 ? "lr_max" : "weight_sum", d, st == OFS_OK ? "loaded" : err.msg);
                memcpy(buf.data + 48, &keep, 8);
            }
        }
        ofs_buf_free(&buf);
        ofs_optim_free(&a); ofs_optim_free(&b);
    }
    remove(path);
    {   /* another algorithm's state claiming Schedule-Free scalars is refused */
        ofs_optim a, b;
        ofs_optim_config c = ofs_optim_defaults(OFS_ADAM);
        ofs_real x[2] = {1, 2}, g[2] = {1, -1};
        ofs_buf buf = {NULL, 0, 0, 0};
        ofs_reader r;
        ofs_err err;
        const double w = 1;
        ofs_optim_init(&a, &c, 2, NULL); ofs_optim_init(&b, &c, 2, NULL);
        ofs_optim_step(&a, x, g, NULL);
        ofs_optim_save(&a, &buf);
        memcpy(buf.data + 56, &w, 8);
        r.data = buf.data; r.len = buf.len; r.pos = 0; r.failed = 0;
        CHECK(ofs_optim_load(&b, &r, &err) == OFS_ERR_FORMAT && strstr(err.msg, "only Schedule-Free"), "adam with a weight_sum: %s", err.msg);
        ofs_buf_free(&buf);
        ofs_optim_free(&a); ofs_optim_free(&b);
    }
}

/* The older formats still load: a 0.3.0 state ("OPT2": no lr_max, weight_sum; 19
   numbers) and an "OPT3" one (22 numbers), each with 7 flags and no shape, built from
   today's "OPT4" bytes (27 numbers, 8 flags, the shape). */
static void test_old_state(int opt3)
{
    ofs_optim a, b;
    ofs_optim_config c = ofs_optim_defaults(OFS_ASGD);
    ofs_real x[3] = {1, 2, 3}, g[3] = {(ofs_real)0.5, -1, 2};
    ofs_buf buf = {NULL, 0, 0, 0};
    unsigned char old[2048];
    const size_t nums = (opt3 ? 22 : 19) * 8, head = opt3 ? 8 * 8 : 6 * 8, fields = 8 * 8, nfields = 27 * 8;
    const size_t flags = 7 * 8, arrays = fields + nfields + 8 * 8 + 16;
    size_t len;
    ofs_reader r;
    ofs_err err;
    CHECK(strcmp(ofs_optim_field(18), "t0") == 0 && strcmp(ofs_optim_field(21), "weight_lr_power") == 0 &&
          strcmp(ofs_optim_field(26), "d") == 0 && strcmp(ofs_optim_field(27), "nesterov") == 0 &&
          strcmp(ofs_optim_field(34), "match_rms_adamw") == 0 && ofs_optim_field(35) == NULL, "27 numbers, then 8 flags");
    ofs_optim_init(&a, &c, 3, NULL); ofs_optim_init(&b, &c, 3, NULL);
    ofs_optim_step(&a, x, g, NULL); ofs_optim_step(&a, x, g, NULL);
    ofs_optim_save(&a, &buf);
    len = head + nums + flags + (buf.len - arrays);
    CHECK(len <= sizeof old && buf.len > arrays, "a small state");
    if (len > sizeof old || buf.len <= arrays) return;
    memcpy(old, buf.data, head);
    old[0] = 0x4f; old[1] = 0x50; old[2] = 0x54; old[3] = opt3 ? 0x33 : 0x32;   /* "OPT3", "OPT2" */
    memcpy(old + head, buf.data + fields, nums);
    memcpy(old + head + nums, buf.data + fields + nfields, flags);
    memcpy(old + head + nums + flags, buf.data + arrays, buf.len - arrays);
    r.data = old; r.len = len; r.pos = 0; r.failed = 0;
    CHECK(ofs_optim_load(&b, &r, &err) == OFS_OK && r.pos == len, "an %s state loads: %s", opt3 ? "OPT3" : "OPT2", err.msg);
    CHECK(b.t == 2 && b.eta == a.eta && memcmp(a.s[0], b.s[0], sizeof x) == 0, "and it is the same state");
    ofs_buf_free(&buf);
    ofs_optim_free(&a); ofs_optim_free(&b);
}

int main(void)
{
    test_reference_file();
    test_misuse();
    test_nan();
    test_slices();
    test_save_load();
    test_old_state(0);
    test_old_state(1);
    return harness_done("test_schedfree");
}
