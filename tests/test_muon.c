/* Muon and Adafactor (chapter 11b) and the parameter shapes they need. Against the
   float64 transcriptions of torch's code (tests/ref/muon_ref.txt, adafactor_ref.txt,
   written by tests/ref/make_muon_refs.py and make_adafactor_refs.py): in double every
   recorded step up to 200 within 1e-10 relative, in float the first 10 within 1e-4.
   Then the refusals (each new setting, a flat or too small shape for Muon, a shape that
   is not n), what the shape changes (Adafactor's factors; nothing for AdamW), threads,
   a NaN, save/load with hostile states, and chapter 15's trainer by layer groups
   (Muon on the hidden matrix, AdamW on the rest; Adafactor factored), with checkpoints. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include "problems.h"   /* the reference problems: cubic, wave, lsq, mf */
#include "refcase.h"    /* ref_case_head, ref_compare: reading the reference files */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define IS_DOUBLE (sizeof(ofs_real) == sizeof(double))

static int cases_run;
static double worst_rel;

/* The gradient of a reference problem: a flat one (cubic, wave) whatever its shape, or a matrix one. */
static void ref_grad(const char *problem, const ofs_real *th, ofs_real *g, size_t n)
{
    if (strcmp(problem, "lsq") == 0 || strcmp(problem, "mf") == 0) matrix_grad_of(problem, th, g);
    else grad_of(problem, th, g, n);
}

/* torch's eps1 None is the machine epsilon of float64 (the default in double already) */
static void torch_eps1(ofs_optim_config *cfg) { if (IS_DOUBLE) cfg->eps1 = DBL_EPSILON; }

/* One "case" block: set up from its keys (shape=RxC, lrsched=1: lr (1 - 0.004 t)), step, compare. */
static void run_case(FILE *f, char *line)
{
    char problem[32], desc[4096];
    ofs_optim_config cfg;
    ofs_optim opt;
    ofs_err err;
    ofs_real th[32], g[32];
    size_t n, rows = 0, cols = 0, r0, c0;
    int64_t t = 0;
    double lr0, lrsched;
    if (!ref_case_head(line, desc, problem, &cfg, torch_eps1, &lrsched, &rows, &cols)) return;
    lr0 = cfg.lr;
    n = strcmp(problem, "lsq") == 0 || strcmp(problem, "mf") == 0 ? matrix_start_of(problem, th, &r0, &c0) : start_of(problem, th);
    if (ofs_optim_init_shape(&opt, &cfg, n, rows, cols, &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return; }
    cases_run++;
    while (fgets(line, 4096, f) && strncmp(line, "end", 3) != 0) {
        long want_t;
        char *p = line + 5;
        if (strncmp(line, "step ", 5) != 0) continue;
        want_t = strtol(p, &p, 10);
        while (t < want_t) {
            if (lrsched) opt.cfg.lr = lr0 * (1 - 0.004 * (double)t);   /* before step t+1 */
            ref_grad(problem, th, g, n);
            CHECK(ofs_optim_step(&opt, th, g, &err) == OFS_OK, "%s: step %ld: %s", desc, (long)t + 1, err.msg);
            t++;
        }
        if (!IS_DOUBLE && t > 10) continue;
        ref_compare(desc, want_t, "theta", th, n, &p, &worst_rel);
    }
    ofs_optim_free(&opt);
}

static void test_reference_file(const char *path, int want_cases)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    cases_run = ref_values_checked = 0;
    worst_rel = 0;
    CHECK(f != NULL, "cannot open %s (run from the repository root)", path);
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "case ", 5) == 0) run_case(f, line);
    fclose(f);
    CHECK(cases_run == want_cases, "%s: expected %d reference cases, found %d", path, want_cases, cases_run);
    CHECK(ref_values_checked >= want_cases * (IS_DOUBLE ? 200 : 10) * 3, "%s: values compared: %d", path, ref_values_checked);
    printf("%s: %d reference cases, %d values, largest relative error %.3g (%s)\n", path, cases_run, ref_values_checked, worst_rel,
           IS_DOUBLE ? "double, t <= 200" : "float, t <= 10");
}

/* init_shape refuses cfg over n values shaped rows x cols, naming both sides. */
static void expect_refused(const ofs_optim_config *cfg, size_t n, size_t rows, size_t cols, const char *a, const char *b)
{
    ofs_optim o;
    ofs_err err;
    ofs_status st = ofs_optim_init_shape(&o, cfg, n, rows, cols, &err);
    CHECK(st == OFS_ERR_ARG && strstr(err.msg, a) && strstr(err.msg, b), "%s %lu x %lu: expected OFS_ERR_ARG naming \"%s\" and \"%s\", "
          "found %s: %s", ofs_optim_name(cfg->kind), (unsigned long)rows, (unsigned long)cols, a, b, ofs_status_string(st),
          st == OFS_OK ? "" : err.msg);
    if (st == OFS_OK) ofs_optim_free(&o);
}

static void test_misuse(void)
{
    ofs_optim_config c;
    const ofs_optim_config mu = ofs_optim_defaults(OFS_MUON), af = ofs_optim_defaults(OFS_ADAFACTOR);
    c = mu; expect_refused(&c, 12, 0, 0, "expected a weight matrix", "found a flat array of 12 parameters");
    c = mu; expect_refused(&c, 5, 1, 5, "at least 2 x 2", "found 1 x 5");
    c = mu; expect_refused(&c, 5, 5, 1, "at least 2 x 2", "found 5 x 1");
    c = mu; expect_refused(&c, 10, 3, 4, "shape rows x cols of the 10 parameters", "found 3 x 4");
    c = af; expect_refused(&c, 10, 3, 4, "shape rows x cols of the 10 parameters", "found 3 x 4");
    c = af; expect_refused(&c, 6, 0, 6, "(or 0 x 0: a flat array)", "found 0 x 6");
    c = mu; c.ns_steps = -1;            expect_refused(&c, 6, 2, 3, "ns_steps in [0, 99]", "found -1");
    c = mu; c.ns_steps = 2.5;           expect_refused(&c, 6, 2, 3, "whole number of ns_steps", "found 2.5");
    c = mu; c.ns_steps = 100;           expect_refused(&c, 6, 2, 3, "ns_steps in [0, 99]", "found 100");
    c = mu; c.ns_steps = (double)NAN;   expect_refused(&c, 6, 2, 3, "ns_steps", "nan");
    c = mu; c.momentum = 1;             expect_refused(&c, 6, 2, 3, "momentum in [0, 1)", "found 1");
    c = mu; c.momentum = 0;             expect_refused(&c, 6, 2, 3, "nesterov needs momentum > 0", "found momentum 0");
    c = mu; c.eps = 0;                  expect_refused(&c, 6, 2, 3, "eps in [1e-16, 1e6]", "found 0");
    c = mu; c.lr = -1;                  expect_refused(&c, 6, 2, 3, "lr in [0, 1000]", "found -1");
    c = mu; c.lr = 0.1; c.weight_decay = 20; expect_refused(&c, 6, 2, 3, "lr * weight_decay <= 1", "found lr 0.1 and weight_decay 20");
    c = af; c.beta2_decay = 0.5;        expect_refused(&c, 6, 2, 3, "beta2_decay <= 0", "found 0.5");
    c = af; c.beta2_decay = (double)NAN; expect_refused(&c, 6, 2, 3, "beta2_decay", "nan");
    c = af; c.eps1 = 0;                 expect_refused(&c, 6, 2, 3, "eps1 in [1e-16, 1e6]", "found 0");
    c = af; c.eps1 = 1e7;               expect_refused(&c, 6, 2, 3, "eps1 in [1e-16, 1e6]", "found 1e+07");
    c = af; c.eps2 = -1;                expect_refused(&c, 6, 0, 0, "eps2 in [0, 1e6]", "found -1");
    c = af; c.d = 0.5;                  expect_refused(&c, 6, 0, 0, "clipping threshold d >= 1", "found 0.5");
    c = af; c.d = (double)INFINITY;     expect_refused(&c, 6, 0, 0, "finite d", "found inf");
    c = af; c.lr = 2e3;                 expect_refused(&c, 6, 0, 0, "lr in [0, 1000]", "found 2000");
    {
        ofs_err err;
        CHECK(ofs_optim_config_set(&c, "match_rms_adamw", 2, &err) == OFS_ERR_ARG && strstr(err.msg, "expected 0 or 1, found 2"),
              "match_rms_adamw is a flag: %s", err.msg);
    }
    CHECK(ofs_optim_wants_shape(OFS_MUON) == 2 && ofs_optim_wants_shape(OFS_ADAFACTOR) == 1 && ofs_optim_wants_shape(OFS_ADAMW) == 0,
          "the table says which algorithms take shapes");
    CHECK(mu.lr == 1e-3 && mu.weight_decay == 0.1 && mu.momentum == 0.95 && mu.nesterov == 1 && mu.eps == 1e-7 && mu.ns_steps == 5 &&
          !mu.match_rms_adamw, "muon: torch's defaults");
    CHECK(af.lr == 1e-2 && af.beta2_decay == -0.8 && af.eps2 == 1e-3 && af.d == 1 && af.weight_decay == 0 &&
          af.eps1 == (IS_DOUBLE ? DBL_EPSILON : (double)FLT_EPSILON), "adafactor: torch's defaults, eps1 = finfo(dtype).eps");
    CHECK(ofs_optim_reads(OFS_MUON, "ns_steps") && ofs_optim_reads(OFS_MUON, "nesterov") && ofs_optim_reads(OFS_MUON, "match_rms_adamw") &&
          !ofs_optim_reads(OFS_MUON, "beta1") && ofs_optim_reads(OFS_ADAFACTOR, "eps1") && ofs_optim_reads(OFS_ADAFACTOR, "d") &&
          !ofs_optim_reads(OFS_ADAFACTOR, "eps") && !ofs_optim_reads(OFS_ADAMW, "ns_steps"), "the table names what each reads");
}

/* The shape: Adafactor keeps rows + cols numbers for a matrix and n for a flat array;
   AdamW gives the same bits shaped or not; Muon's step is U V^T-like (singular values
   of its update near 1, whatever the gradient's). */
static void test_shapes(void)
{
    ofs_optim a, b;
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAFACTOR);
    ofs_real x[12], y[12], g[12];
    int i, s, same = 1;
    ofs_optim_init_shape(&a, &c, 12, 3, 4, NULL);
    ofs_optim_init(&b, &c, 12, NULL);
    CHECK(ofs_optim_state_size(&a, 0) == 7 && ofs_optim_state_size(&b, 0) == 12 && ofs_optim_state_size(&a, 1) == 0 &&
          a.rows == 3 && a.cols == 4 && b.rows == 0, "adafactor: factors of 3 + 4 for 3 x 4, 12 flat");
    ofs_optim_free(&a); ofs_optim_free(&b);
    c = ofs_optim_defaults(OFS_ADAMW);
    ofs_optim_init_shape(&a, &c, 12, 4, 3, NULL);
    ofs_optim_init(&b, &c, 12, NULL);
    for (i = 0; i < 12; i++) x[i] = y[i] = (ofs_real)(0.3 * i - 1);
    for (s = 0; s < 10; s++) {
        for (i = 0; i < 12; i++) g[i] = (ofs_real)sin((double)(i * 7 + s));
        ofs_optim_step(&a, x, g, NULL); ofs_optim_step(&b, y, g, NULL);
    }
    for (i = 0; i < 12; i++) same &= x[i] == y[i];
    CHECK(same && ofs_optim_state_size(&a, 0) == 12, "adamw ignores the shape");
    ofs_optim_free(&a); ofs_optim_free(&b);
    {   /* one Muon step on a 2 x 3 matrix: theta moves by lr X, X = NS(g / |g|); X X^T near I (its singular values near 1) */
        ofs_optim m;
        ofs_optim_config d = ofs_optim_defaults(OFS_MUON);
        ofs_real p[6] = {0}, q[6] = {(ofs_real)1e-3, 2, (ofs_real)-0.5, 3, (ofs_real)0.25, -1}, XXt[4];
        d.lr = 1; d.weight_decay = 0;
        ofs_optim_init_shape(&m, &d, 6, 2, 3, NULL);
        ofs_optim_step(&m, p, q, NULL);
        for (i = 0; i < 6; i++) p[i] = -p[i];
        ofs_mat_mul_nt(ofs_mat_view(XXt, 2, 2), ofs_mat_view(p, 2, 3), ofs_mat_view(p, 2, 3), 0);
        CHECK((double)XXt[0] > 0.45 && (double)XXt[0] < 1.45 && (double)XXt[3] > 0.45 && (double)XXt[3] < 1.45 && fabs((double)XXt[1]) < 0.3,
              "muon's update is nearly orthogonal: X X^T = [%g %g; %g %g]", (double)XXt[0], (double)XXt[1], (double)XXt[2], (double)XXt[3]);
        ofs_optim_free(&m);
    }
}

/* A NaN in one gradient element reaches every element (the norm is NaN), for both,
   and a state holding it is not saved. */
static void test_nan(void)
{
    static const ofs_optim_kind kinds[2] = {OFS_MUON, OFS_ADAFACTOR};
    int k, i, all;
    for (k = 0; k < 2; k++) {
        ofs_optim o;
        ofs_optim_config c = ofs_optim_defaults(kinds[k]);
        ofs_real p[6] = {1, 2, 3, 4, 5, 6}, g[6] = {1, (ofs_real)NAN, 1, 2, 3, 4};
        ofs_err err;
        ofs_optim_init_shape(&o, &c, 6, 3, 2, NULL);
        CHECK(ofs_optim_step(&o, p, g, &err) == OFS_OK, "step");
        for (all = 1, i = 0; i < 6; i++) all &= p[i] != p[i];
        CHECK(all, "%s: the NaN is in every element, not silently skipped", ofs_optim_name(kinds[k]));
        CHECK(ofs_optim_save_file(&o, "build/test_muon_nan.bin", &err) == OFS_ERR_NONFINITE, "a NaN state is not saved: %s", err.msg);
        ofs_optim_free(&o);
    }
}

/* With OpenMP, Muon's products are split among threads: 1, 2 and 3 threads agree to
   the bit (each element of a product is summed in one order by every kernel but
   "book"), for a tall and a wide matrix large enough to be split. */
static void test_threads(void)
{
#ifdef _OPENMP
    const int saved = omp_get_max_threads();
    int shape, nt, s;
    for (shape = 0; shape < 2; shape++) {
        const size_t rows = shape ? 130 : 300, cols = shape ? 310 : 140, n = rows * cols;
        ofs_real *x[3], *g = (ofs_real *)malloc(n * sizeof(ofs_real));
        ofs_optim o[3];
        ofs_optim_config c = ofs_optim_defaults(OFS_MUON);
        size_t i;
        for (nt = 0; nt < 3; nt++) {
            x[nt] = (ofs_real *)malloc(n * sizeof(ofs_real));
            for (i = 0; i < n; i++) x[nt][i] = (ofs_real)sin(0.001 * (double)i);
            ofs_optim_init_shape(&o[nt], &c, n, rows, cols, NULL);
            omp_set_num_threads(nt + 1);
            for (s = 0; s < 3; s++) {
                for (i = 0; i < n; i++) g[i] = (ofs_real)(cos(0.37 * (double)(i + 7 * s)) + 0.1 * (double)x[nt][i]);
                ofs_optim_step(&o[nt], x[nt], g, NULL);
            }
        }
        for (nt = 1; nt < 3; nt++)
            CHECK(memcmp(x[0], x[nt], n * sizeof(ofs_real)) == 0 && memcmp(o[0].s[0], o[nt].s[0], n * sizeof(ofs_real)) == 0,
                  "muon %lu x %lu: %d threads do not give the bits of one", (unsigned long)rows, (unsigned long)cols, nt + 1);
        for (nt = 0; nt < 3; nt++) { ofs_optim_free(&o[nt]); free(x[nt]); }
        free(g);
    }
    omp_set_num_threads(saved);
#endif
}

/* Save after 15 steps (in memory and in a file), load into a fresh optimizer of the
   same shape, continue: bit for bit. Then hostile states: another shape, a negative
   factor, a NaN momentum, a flag that is not 0 or 1, ns_steps 2.5, a truncated factor. */
static void put_f64(unsigned char *at, double d) { memcpy(at, &d, 8); }

static void test_save_load(void)
{
    static const ofs_optim_kind kinds[3] = {OFS_MUON, OFS_ADAFACTOR, OFS_ADAFACTOR};
    const char *path = "build/test_muon_state.bin";
    int k;
    for (k = 0; k < 3; k++) {
        const size_t rows = k == 2 ? 0 : 2, cols = k == 2 ? 0 : 3;
        ofs_optim a, b, other;
        ofs_optim_config c = ofs_optim_defaults(kinds[k]);
        ofs_real x[6], y[6], g[6];
        ofs_buf buf = {NULL, 0, 0, 0};
        ofs_reader r;
        ofs_err err;
        int i, s, same = 1;
        size_t arrays, len0;
        for (i = 0; i < 6; i++) x[i] = (ofs_real)(1.0 - 0.4 * i);
        ofs_optim_init_shape(&a, &c, 6, rows, cols, NULL);
        for (s = 0; s < 40; s++) {
            if (s == 15) {
                CHECK(ofs_optim_save_file(&a, path, &err) == OFS_OK, "save: %s", err.msg);
                ofs_optim_save(&a, &buf);
                memcpy(y, x, sizeof x);
            }
            for (i = 0; i < 6; i++) g[i] = (ofs_real)(cos((double)(s + i)) + 0.2 * (double)x[i]);
            ofs_optim_step(&a, x, g, NULL);
        }
        ofs_optim_init_shape(&b, &c, 6, rows, cols, NULL);
        CHECK(ofs_optim_load_file(&b, path, &err) == OFS_OK && b.t == 15, "%s load: %s", ofs_optim_name(kinds[k]), err.msg);
        for (s = 15; s < 40; s++) {
            for (i = 0; i < 6; i++) g[i] = (ofs_real)(cos((double)(s + i)) + 0.2 * (double)y[i]);
            ofs_optim_step(&b, y, g, NULL);
        }
        for (i = 0; i < 6; i++) same &= x[i] == y[i];
        CHECK(same && memcmp(a.s[0], b.s[0], ofs_optim_state_size(&a, 0) * sizeof(ofs_real)) == 0,
              "%s %lu x %lu: resumed run is not bit-identical", ofs_optim_name(kinds[k]), (unsigned long)rows, (unsigned long)cols);
        /* hostile: the moment array starts after the 8 header words, 35 fields, the shape and its "present" word */
        arrays = 8 * (8 + 35 + 2) + 8;
        len0 = buf.len;
        CHECK(len0 == arrays + 8 * ofs_optim_state_size(&a, 0) + 16, "the layout: %lu bytes", (unsigned long)len0);
        ofs_optim_init_shape(&other, &c, 6, k == 2 ? 0 : 3, k == 2 ? 0 : 2, NULL);
        r.data = buf.data; r.len = buf.len; r.pos = 0; r.failed = 0;
        if (k < 2)
            CHECK(ofs_optim_load(&other, &r, &err) == OFS_ERR_MISMATCH && strstr(err.msg, "expected a 3 x 2 shape") &&
                  strstr(err.msg, "found 2 x 3") && other.t == 0, "another shape is refused: %s", err.msg);
        put_f64(buf.data + arrays + 8, k ? -0.5 : (double)NAN);
        r.data = buf.data; r.len = buf.len; r.pos = 0; r.failed = 0;
        CHECK(ofs_optim_load(&b, &r, &err) == OFS_ERR_FORMAT && strstr(err.msg, k ? "finite numbers >= 0 in moment array 0, found -0.5"
                                                                               : "finite numbers in moment array 0, found nan")
              && b.t == 40, "%s: a hostile moment is refused, nothing changes: %s", ofs_optim_name(kinds[k]), err.msg);
        put_f64(buf.data + arrays + 8, 0.5);
        r.data = buf.data; r.len = buf.len - 8; r.pos = 0; r.failed = 0;
        CHECK(ofs_optim_load(&b, &r, &err) == OFS_ERR_FORMAT && strstr(err.msg, "truncated"), "truncated: %s", err.msg);
        buf.data[8 * (8 + 34)] = 2;    /* the last flag, match_rms_adamw */
        r.data = buf.data; r.len = buf.len; r.pos = 0; r.failed = 0;
        CHECK(ofs_optim_load(&b, &r, &err) == OFS_ERR_FORMAT && strstr(err.msg, "the flag match_rms_adamw 0 or 1, found 2"),
              "a flag of 2: %s", err.msg);
        buf.data[8 * (8 + 34)] = 0;
        put_f64(buf.data + 8 * (8 + 22), 2.5);    /* ns_steps */
        r.data = buf.data; r.len = buf.len; r.pos = 0; r.failed = 0;
        CHECK(ofs_optim_load(&b, &r, &err) == OFS_ERR_FORMAT && strstr(err.msg, "whole number of ns_steps in [0, 99]") &&
              strstr(err.msg, "found 2.5") &&
              b.t == 40, "ns_steps 2.5: %s", err.msg);
        ofs_buf_free(&buf);
        ofs_optim_free(&a); ofs_optim_free(&b); ofs_optim_free(&other);
    }
    remove(path);
}

/* ---- chapter 15's trainer by layer groups ---------------------------------------- */

static void make_data(ofs_real *x, unsigned char *y, int n, int dim)
{
    int i, j;
    for (i = 0; i < n; i++) {
        y[i] = (unsigned char)(i % 4);
        for (j = 0; j < dim; j++) x[i * dim + j] = (ofs_real)(0.5 * sin(0.7 * (double)(j + 1) * (double)(y[i] + 1)) + 0.1 * cos((double)(i * 13 + j)));
    }
}

static ofs_status mk(ofs_trainer *t, ofs_mlp *m, const int *sizes, int ns, const ofs_optim_config *cfg, const ofs_optim_config *hidden,
                     ofs_err *e)
{
    ofs_rng rng;
    ofs_rng_seed(&rng, 5);
    if (ofs_mlp_create(m, sizes, ns, OFS_ACT_RELU, 16, e) != OFS_OK) return OFS_ERR_ARG;
    ofs_mlp_randomize(m, OFS_INIT_HE, &rng);
    return ofs_trainer_create_layers(t, m, cfg, hidden, 16, 96, &rng, e);
}

static ofs_status half_rate(int64_t k, ofs_optim_config *cfg, void *ctx, ofs_err *err)
{
    (void)ctx; (void)err;
    cfg->lr = k < 6 ? 0.01 : 0.005;
    return OFS_OK;
}

static void test_trainer(void)
{
    static const int sizes[4] = {20, 12, 8, 4};
    ofs_optim_config adamw = ofs_optim_defaults(OFS_ADAMW), muon = ofs_optim_defaults(OFS_MUON), af = ofs_optim_defaults(OFS_ADAFACTOR);
    ofs_real x[96 * 20];
    unsigned char y[96];
    ofs_trainer t, u;
    ofs_mlp m, mu2;
    ofs_err e;
    ofs_epoch_stats st0, st;
    int ep, g, same = 1;
    const char *path = "build/test_muon_trainer.ckpt";
    make_data(x, y, 96, 20);
    adamw.lr = 0.01; muon.lr = 0.02;
    CHECK(mk(&t, &m, sizes, 4, &adamw, &muon, &e) == OFS_OK, "trainer: %s", e.msg);
    CHECK(t.ngroups == 4 && t.opt[1].cfg.kind == OFS_MUON && t.opt[0].cfg.kind == OFS_ADAMW && t.opt[2].cfg.kind == OFS_ADAMW &&
          t.opt[1].rows == 8 && t.opt[1].cols == 12 && t.opt[0].rows == 12 && t.opt[0].cols == 20 && t.opt[3].rows == 0 &&
          t.offset[1] == m.w_off[1] && t.offset[3] == m.nweights && t.opt[3].cfg.weight_decay == 0 && t.lr_scale[1] == 2 &&
          t.lr_scale[0] == 1, "groups: W1 adamw, W2 muon (8 x 12), W3 adamw, biases without decay; muon's lr scale 2");
    t.schedule = half_rate;
    for (ep = 0; ep < 12; ep++) CHECK(ofs_trainer_epoch(&t, x, y, ep ? &st : &st0, &e) == OFS_OK, "epoch: %s", e.msg);
    CHECK(st.loss < 0.5 * st0.loss && t.opt[1].cfg.lr == 0.01 && t.opt[0].cfg.lr == 0.005,
          "muon + adamw learn (loss %g, then %g); the schedule moves both rates, each from its own", st0.loss, st.loss);
    CHECK(ofs_trainer_save(&t, path, &e) == OFS_OK, "save: %s", e.msg);
    CHECK(mk(&u, &mu2, sizes, 4, &adamw, &muon, &e) == OFS_OK, "second trainer: %s", e.msg);
    u.schedule = half_rate;
    CHECK(ofs_trainer_load(&u, path, &e) == OFS_OK && u.epoch == 12, "load: %s", e.msg);
    CHECK(ofs_trainer_epoch(&t, x, y, NULL, &e) == OFS_OK && ofs_trainer_epoch(&u, x, y, NULL, &e) == OFS_OK, "one more epoch each");
    same = memcmp(m.params, mu2.params, m.nparams * sizeof(ofs_real)) == 0;
    for (g = 0; g < 4; g++) same &= memcmp(t.opt[g].s[0], u.opt[g].s[0], ofs_optim_state_size(&t.opt[g], 0) * sizeof(ofs_real)) == 0;
    CHECK(same, "a resumed Muon run continues bit for bit, every group");
    ofs_trainer_free(&u); ofs_mlp_free(&mu2);
    {   /* a checkpoint of a trainer with other groups, or another shape, is refused */
        ofs_optim_config plain = adamw;
        ofs_rng rng;
        ofs_rng_seed(&rng, 5);
        ofs_mlp_create(&mu2, sizes, 4, OFS_ACT_RELU, 16, NULL);
        ofs_trainer_create(&u, &mu2, &plain, 0, 16, 96, &rng, NULL);
        CHECK(ofs_trainer_load(&u, path, &e) == OFS_ERR_MISMATCH && strstr(e.msg, "expected 2 parameter group(s)") &&
              strstr(e.msg, "found 4"), "2 groups against 4: %s", e.msg);
        ofs_trainer_free(&u); ofs_mlp_free(&mu2);
        CHECK(mk(&u, &mu2, sizes, 4, &adamw, NULL, &e) == OFS_OK, "adamw by layers: %s", e.msg);
        CHECK(ofs_trainer_load(&u, path, &e) == OFS_ERR_MISMATCH && strstr(e.msg, "parameter group 1 (weights)") &&
              strstr(e.msg, "expected adamw") && strstr(e.msg, "found muon"), "adamw against muon: %s", e.msg);
        ofs_trainer_free(&u);
    }
    ofs_trainer_free(&t); ofs_mlp_free(&m); ofs_mlp_free(&mu2);
    remove(path);
    {   /* refusals: Muon for the hidden matrices of a net without any, Muon on the biases */
        static const int two[3] = {20, 12, 4};
        CHECK(mk(&t, &m, two, 3, &adamw, &muon, &e) == OFS_ERR_ARG && strstr(e.msg, "needs two hidden layers or more") &&
              strstr(e.msg, "found a network of 2 weight layers") && t.opt[0].s[0] == NULL, "no hidden matrix: %s", e.msg);
        ofs_mlp_free(&m);
        CHECK(mk(&t, &m, sizes, 4, &muon, NULL, &e) == OFS_ERR_ARG && strstr(e.msg, "trainer: the biases: muon: expected a weight matrix"),
              "muon on the biases: %s", e.msg);
        ofs_mlp_free(&m);
        CHECK(ofs_mlp_create(&m, sizes, 4, OFS_ACT_RELU, 16, NULL) == OFS_OK, "mlp");
        {
            ofs_rng rng;
            ofs_rng_seed(&rng, 5);
            CHECK(ofs_trainer_create(&t, &m, &muon, 0, 16, 96, &rng, &e) == OFS_ERR_ARG && strstr(e.msg, "found a flat array"),
                  "muon on flat groups: %s", e.msg);
        }
        ofs_mlp_free(&m);
    }
    {   /* Adafactor by layers: every weight matrix factored, the biases flat; it learns */
        CHECK(mk(&t, &m, sizes, 4, &af, NULL, &e) == OFS_OK, "adafactor trainer: %s", e.msg);
        CHECK(ofs_optim_state_size(&t.opt[0], 0) == 32 && ofs_optim_state_size(&t.opt[1], 0) == 20 &&
              ofs_optim_state_size(&t.opt[3], 0) == 24, "factors: 12 + 20, 8 + 12; biases 24");
        for (ep = 0; ep < 12; ep++) CHECK(ofs_trainer_epoch(&t, x, y, ep ? &st : &st0, &e) == OFS_OK, "epoch: %s", e.msg);
        CHECK(st.loss < 0.5 * st0.loss, "adafactor learns: loss %g, then %g", st0.loss, st.loss);
        ofs_trainer_free(&t); ofs_mlp_free(&m);
    }
    {   /* one hidden layer by layers, element-wise: Appendix B's epoch gives the plain loop's bits */
        static const int two[3] = {20, 12, 4};
        ofs_mlp m2;
        CHECK(mk(&t, &m, two, 3, &adamw, NULL, &e) == OFS_OK && mk(&u, &m2, two, 3, &adamw, NULL, &e) == OFS_OK, "trainers: %s", e.msg);
        CHECK(ofs__owned_ok(&t) && t.ngroups == 3, "the threaded epoch takes three element-wise groups");
        for (ep = 0; ep < 2; ep++) {
            CHECK(ofs__trainer_epoch(&t, x, y, NULL, &e, 0) == OFS_OK, "owned epoch: %s", e.msg);
            CHECK(ofs__trainer_epoch(&u, x, y, NULL, &e, 1) == OFS_OK, "plain epoch: %s", e.msg);
        }
        CHECK(memcmp(m.params, m2.params, m.nparams * sizeof(ofs_real)) == 0, "layer groups: owned and plain epochs agree bit for bit");
        ofs_trainer_free(&t); ofs_trainer_free(&u); ofs_mlp_free(&m); ofs_mlp_free(&m2);
    }
}

int main(void)
{
    test_reference_file("tests/ref/muon_ref.txt", 18);
    test_reference_file("tests/ref/adafactor_ref.txt", 29);
    test_misuse();
    test_shapes();
    test_nan();
    test_threads();
    test_save_load();
    test_trainer();
    return harness_done("test_muon");
}
