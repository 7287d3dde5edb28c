/* Every optimizer against PyTorch (tests/ref/optim_ref.txt, written by
   tests/ref/make_optim_refs.py), plus misuse, parameter groups and save/load.
   In double the trajectories must agree to 1e-10 relative at every recorded
   step up to 200; in float, to 1e-4 over the first 10 steps. */
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
static double worst_rel;   /* largest relative error seen against the reference */

/* One "case" block of the reference file: set up, run, compare at each "step". */
static void run_case(FILE *f, char *line)
{
    char problem[32], desc[4096];
    ofs_optim_config cfg;
    ofs_optim opt;
    ofs_err err;
    ofs_real th[8], g[8];
    size_t n;
    int64_t t = 0;
    double lr0, lrsched;

    if (!ref_case_head(line, desc, problem, &cfg, NULL, &lrsched, NULL, NULL)) return;
    lr0 = cfg.lr;
    n = start_of(problem, th);
    if (ofs_optim_init(&opt, &cfg, n, &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return; }
    cases_run++;
    while (fgets(line, 4096, f) && strncmp(line, "end", 3) != 0) {
        long want_t;
        char *p = line + 5;
        const int avg = strncmp(line, "avg ", 4) == 0;   /* ASGD's average after step t */
        const ofs_real *got_of = avg ? ofs_optim_averaged(&opt) : th;
        if (avg) p = line + 4;
        else if (strncmp(line, "step ", 5) != 0) continue;
        want_t = strtol(p, &p, 10);
        if (avg) CHECK(got_of != NULL && want_t == t, "%s: an average after step %ld", desc, want_t);
        if (!got_of) continue;
        while (t < want_t) {
            if (lrsched) opt.cfg.lr = lr0 * (1 - 0.004 * (double)t);   /* before step t+1 */
            grad_of(problem, th, g, n);
            ofs_optim_step(&opt, th, g, NULL);
            t++;
        }
        if (!IS_DOUBLE && t > 10) continue;
        ref_compare(desc, want_t, avg ? "ax" : "theta", got_of, n, &p, &worst_rel);
    }
    ofs_optim_free(&opt);
}

/* optim_ref.txt holds torch 1.13's trajectories; adopt_ref.txt (same format, every
   step recorded) the NumPy transcription of ADOPT's official code. */
static void test_reference_file(const char *path, int min_cases)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    const int before = cases_run;
    worst_rel = 0;
    CHECK(f != NULL, "cannot open %s (run from the repository root)", path);
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "case ", 5) == 0) run_case(f, line);
    fclose(f);
    CHECK(cases_run - before >= min_cases, "%s: expected at least %d reference cases, found %d", path, min_cases, cases_run - before);
    printf("%s: %d reference cases, largest relative error %.3g (%s)\n", path, cases_run - before, worst_rel,
           IS_DOUBLE ? "double, t <= 200" : "float, t <= 10");
}

/* Misuse: every bad setting is refused with a message naming it. */
static void expect_refused(const ofs_optim_config *cfg, size_t n, const char *needle)
{
    ofs_optim o;
    ofs_err err;
    ofs_status st = ofs_optim_init(&o, cfg, n, &err);
    CHECK(st == OFS_ERR_ARG, "%s: expected OFS_ERR_ARG, found %s", needle, ofs_status_string(st));
    CHECK(st != OFS_OK && strstr(err.msg, needle) != NULL, "message \"%s\" should mention \"%s\"", err.msg, needle);
    if (st == OFS_OK) ofs_optim_free(&o);
}

static void test_misuse(void)
{
    ofs_optim_config c;
    ofs_optim o;
    ofs_err err;
    ofs_optim_kind k;
    ofs_real p[4] = {1, 2, 3, 4}, g[4] = {1, 1, 1, 1};
    int kind;

    for (kind = 0; kind < OFS_OPTIM_COUNT; kind++) {
        c = ofs_optim_defaults((ofs_optim_kind)kind); c.lr = -0.1;       expect_refused(&c, 4, "lr");
        c = ofs_optim_defaults((ofs_optim_kind)kind); c.lr = (double)NAN;      expect_refused(&c, 4, "lr");
        c = ofs_optim_defaults((ofs_optim_kind)kind); c.weight_decay = -1; expect_refused(&c, 4, "weight_decay");
        c = ofs_optim_defaults((ofs_optim_kind)kind);                    expect_refused(&c, 0, "n = 0");
        if (ofs_optim_reads((ofs_optim_kind)kind, "beta1")) {   /* the Adam family */
            c = ofs_optim_defaults((ofs_optim_kind)kind); c.beta1 = 1.0;  expect_refused(&c, 4, "beta1");
            c = ofs_optim_defaults((ofs_optim_kind)kind); c.beta2 = -0.5; expect_refused(&c, 4, "beta2");
        }
        if (ofs_optim_reads((ofs_optim_kind)kind, "eps")) {
            c = ofs_optim_defaults((ofs_optim_kind)kind); c.eps = 0;      expect_refused(&c, 4, "eps");
        }
    }
    c = ofs_optim_defaults(OFS_SGD); c.nesterov = 1;                     expect_refused(&c, 4, "nesterov");
    c = ofs_optim_defaults(OFS_SGD); c.nesterov = 1; c.momentum = 0.9; c.dampening = 0.1; expect_refused(&c, 4, "dampening");
    c = ofs_optim_defaults(OFS_RMSPROP); c.alpha = 1.5;                  expect_refused(&c, 4, "alpha");
    c = ofs_optim_defaults(OFS_ADADELTA); c.rho = -0.1;                  expect_refused(&c, 4, "rho");
    c = ofs_optim_defaults(OFS_RPROP); c.etaminus = -0.5;                expect_refused(&c, 4, "0 < etaminus < 1 < etaplus");
    c = ofs_optim_defaults(OFS_RPROP); c.etaminus = 1;                   expect_refused(&c, 4, "found etaminus 1 and");
    c = ofs_optim_defaults(OFS_RPROP); c.etaplus = 0.9;                  expect_refused(&c, 4, "etaplus 0.9");
    c = ofs_optim_defaults(OFS_RPROP); c.step_size_min = 1; c.step_size_max = 0.5; expect_refused(&c, 4, "step_size_min <= step_size_max");
    c = ofs_optim_defaults(OFS_RPROP); c.step_size_min = -1;             expect_refused(&c, 4, "0 <= step_size_min");
    c = ofs_optim_defaults(OFS_RPROP); c.step_size_max = (double)INFINITY; expect_refused(&c, 4, "step_size");
    c = ofs_optim_defaults(OFS_ASGD); c.lambd = -1e-4;                   expect_refused(&c, 4, "lambd >= 0");
    c = ofs_optim_defaults(OFS_ASGD); c.lambd = 100; c.lr = 0.1;         expect_refused(&c, 4, "lr * lambd <= 1");
    c = ofs_optim_defaults(OFS_ASGD); c.t0 = -1;                         expect_refused(&c, 4, "t0 >= 0");
    c = ofs_optim_defaults(OFS_ASGD); c.alpha = 1.5;                     expect_refused(&c, 4, "alpha in [0, 1]");
    c = ofs_optim_defaults(OFS_ASGD); c.alpha = (double)NAN;             expect_refused(&c, 4, "alpha");
    c = ofs_optim_defaults(OFS_RMSPROP); c.alpha = 1;                    expect_refused(&c, 4, "alpha in [0, 1)");
    c = ofs_optim_defaults(OFS_ASGD); c.alpha = 1;
    CHECK(ofs_optim_validate(&c, &err) == OFS_OK, "ASGD's alpha = 1 (eta ~ 1/t) is allowed: %s", err.msg);
    CHECK(ofs_optim_init(&o, &c, 4, NULL) == OFS_OK && ofs_optim_averaged(&o) == o.s[0] && o.s[0], "ASGD hands out its average");
    ofs_optim_free(&o);
    c = ofs_optim_defaults(OFS_ADAM);
    CHECK(ofs_optim_init(&o, &c, 4, NULL) == OFS_OK && ofs_optim_averaged(&o) == NULL, "Adam keeps no average");
    ofs_optim_free(&o);

    CHECK(ofs_optim_kind_from_name("adamz", &k, &err) == OFS_ERR_ARG && strstr(err.msg, "adamz"), "unknown name: %s", err.msg);
    CHECK(ofs_optim_kind_from_name(NULL, &k, &err) == OFS_ERR_ARG, "NULL name refused");
    CHECK(ofs_optim_kind_from_name("nadam", &k, &err) == OFS_OK && k == OFS_NADAM, "nadam by name");
    c = ofs_optim_defaults(OFS_ADAM);
    CHECK(ofs_optim_config_set(&c, "beta3", 0.5, &err) == OFS_ERR_ARG && strstr(err.msg, "beta3"), "unknown key: %s", err.msg);
    CHECK(ofs_optim_config_set(&c, "amsgrad", 2, &err) == OFS_ERR_ARG, "flag must be 0 or 1");
    CHECK(ofs_optim_config_set(&c, "beta1", 0.8, &err) == OFS_OK && c.beta1 == 0.8, "set beta1");

    /* n so large that n * sizeof(ofs_real) overflows: refused, nothing allocated. */
    c = ofs_optim_defaults(OFS_ADAM);
    CHECK(ofs_optim_init(&o, &c, (size_t)-1 / 2, &err) == OFS_ERR_NOMEM, "overflowing n: %s", err.msg);

    /* Step: NULL arrays, a bad lr set after init: refused, parameters untouched. */
    c = ofs_optim_defaults(OFS_ADAMW);
    CHECK(ofs_optim_init(&o, &c, 4, &err) == OFS_OK, "init");
    CHECK(ofs_optim_step(&o, NULL, g, &err) == OFS_ERR_ARG && strstr(err.msg, "NULL"), "NULL params: %s", err.msg);
    CHECK(ofs_optim_step(&o, p, NULL, &err) == OFS_ERR_ARG, "NULL grads");
    o.cfg.lr = -1;
    CHECK(ofs_optim_step(&o, p, g, &err) == OFS_ERR_ARG && p[0] == 1 && o.t == 0, "negative lr at step: %s", err.msg);
    o.cfg.lr = 1e-3; o.cfg.amsgrad = 1;
    CHECK(ofs_optim_step(&o, p, g, &err) == OFS_ERR_ARG && p[0] == 1, "amsgrad switched on after init: %s", err.msg);
    ofs_optim_free(&o);
}

/* ADOPT's own edges: the first step only fills v, a NaN gradient is not clipped into
   a finite step, and its settings are refused by name. */
static void test_adopt(void)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_ADOPT);
    ofs_optim o;
    ofs_real p[2] = {1, -2}, g[2] = {3, -0.5};
    CHECK(c.beta1 == 0.9 && c.beta2 == 0.9999 && c.eps == 1e-6 && c.lr == 1e-3 && !c.decoupled_weight_decay,
          "adopt defaults are the official file's");
    c.beta2 = 1.0;                 expect_refused(&c, 2, "beta2");
    c.beta2 = 0.9999; c.beta1 = -0.1; expect_refused(&c, 2, "beta1");
    c.beta1 = 0.9; c.eps = (double)NAN; expect_refused(&c, 2, "eps");
    c.eps = 1e-6;
    CHECK(ofs_optim_init(&o, &c, 2, NULL) == OFS_OK, "adopt init");
    CHECK(ofs_optim_step(&o, p, g, NULL) == OFS_OK && p[0] == 1 && p[1] == -2 && o.s[1][0] == 9 && o.s[1][1] == (ofs_real)0.25,
          "adopt's first step sets v = g^2 and moves nothing: %g %g", (double)p[0], (double)o.s[1][0]);
    CHECK(ofs_optim_step(&o, p, g, NULL) == OFS_OK && harness_close((double)p[0], 1 - 1e-4, 1e-6, 0) &&
          harness_close((double)p[1], -2 + 1e-4, 1e-6, 0), "adopt's second step is lr (1 - beta1) sign(g): %.9g %.9g",
          (double)p[0], (double)p[1]);
    g[0] = (ofs_real)NAN;
    (void)ofs_optim_step(&o, p, g, NULL);
    CHECK(p[0] != p[0] && p[1] == p[1], "a NaN gradient gives a NaN weight (not a clipped step), the other stays: %g %g",
          (double)p[0], (double)p[1]);
    ofs_optim_free(&o);
}

/* Parameter groups: for an element-wise optimizer, two states over the halves of a
   buffer behave exactly as one state over the whole. */
static void test_groups(void)
{
    int kind;
    for (kind = 0; kind < OFS_OPTIM_COUNT; kind++) {
        ofs_optim whole, lo, hi;
        ofs_optim_config c = ofs_optim_defaults((ofs_optim_kind)kind);
        ofs_real a[6], b[6], g[6];
        int i, s, same = 1;
        if (kind == OFS_LAMB || ofs_optim_wants_shape((ofs_optim_kind)kind)) continue;   /* whole-array norms, by design
                                                       (LAMB's trust ratio, Muon's and Adafactor's RMS: tests/test_muon.c) */
        for (i = 0; i < 6; i++) a[i] = b[i] = (ofs_real)(0.5 * i - 1.2);
        ofs_optim_init(&whole, &c, 6, NULL); ofs_optim_init(&lo, &c, 2, NULL); ofs_optim_init(&hi, &c, 4, NULL);
        for (s = 0; s < 20; s++) {
            for (i = 0; i < 6; i++) g[i] = (ofs_real)(sin((double)(3 * i + s)) + 0.1 * (double)a[i]);
            ofs_optim_step(&whole, a, g, NULL);
            ofs_optim_step(&lo, b, g, NULL);
            ofs_optim_step(&hi, b + 2, g + 2, NULL);
        }
        for (i = 0; i < 6; i++) same &= a[i] == b[i];
        CHECK(same, "%s: two groups differ from one", ofs_optim_name((ofs_optim_kind)kind));
        ofs_optim_free(&whole); ofs_optim_free(&lo); ofs_optim_free(&hi);
    }
}

/* With OpenMP, ofs_optim_step cuts a large array into one slice per thread: on 2
   and 3 threads every parameter, every moment, t and NAdam's running product must
   have the bits of the one-thread run (n is not a multiple of the slices' lines). */
static void test_threads(void)
{
#ifdef _OPENMP
    const size_t n = 100003;
    const int saved = omp_get_max_threads();
    ofs_real *x[3], *g = (ofs_real *)malloc(n * sizeof(ofs_real));
    int kind;
    for (kind = 0; kind < OFS_OPTIM_COUNT; kind++) {
        ofs_optim o[3];
        ofs_optim_config c = ofs_optim_defaults((ofs_optim_kind)kind);
        int nt, s, k;
        if (kind == OFS_SGD) { c.momentum = 0.9; c.nesterov = 1; c.weight_decay = 0.01; }
        if (kind == OFS_ADAM) c.amsgrad = 1;
        if (kind == OFS_RMSPROP) { c.centered = 1; c.momentum = 0.5; }
        if (ofs_optim_wants_shape((ofs_optim_kind)kind) == 2) continue;   /* Muon takes matrices: tests/test_muon.c */
        for (nt = 0; nt < 3; nt++) {
            size_t i;
            x[nt] = (ofs_real *)malloc(n * sizeof(ofs_real));
            for (i = 0; i < n; i++) x[nt][i] = (ofs_real)sin(0.001 * (double)i);
            ofs_optim_init(&o[nt], &c, n, NULL);
            omp_set_num_threads(nt + 1);
            for (s = 0; s < 5; s++) {
                for (i = 0; i < n; i++) g[i] = (ofs_real)(cos(0.37 * (double)(i + 7 * s)) + 0.1 * (double)x[nt][i]);
                ofs_optim_step(&o[nt], x[nt], g, NULL);
            }
        }
        for (nt = 1; nt < 3; nt++) {
            int same = memcmp(x[0], x[nt], n * sizeof(ofs_real)) == 0 && o[0].t == o[nt].t &&
                       memcmp(&o[0].mu_product, &o[nt].mu_product, sizeof(double)) == 0;
            for (k = 0; k < 3; k++)
                if (o[0].s[k]) same &= memcmp(o[0].s[k], o[nt].s[k], n * sizeof(ofs_real)) == 0;
            CHECK(same, "%s: %d threads do not give the bits of one", ofs_optim_name((ofs_optim_kind)kind), nt + 1);
        }
        for (nt = 0; nt < 3; nt++) { ofs_optim_free(&o[nt]); free(x[nt]); }
    }
    free(g);
    omp_set_num_threads(saved);
#endif
}

/* Save after k steps, load into a fresh optimizer, continue: bit-identical. */
static void test_save_load(void)
{
    const char *path = "build/test_optim_state.bin";
    int kind;
    for (kind = 0; kind < OFS_OPTIM_COUNT; kind++) {
        ofs_optim a, b;
        ofs_optim_config c = ofs_optim_defaults((ofs_optim_kind)kind);
        ofs_real x[5], y[5], g[5];
        ofs_err err;
        int i, s, same = 1;
        if (kind == OFS_SGD) { c.momentum = 0.9; c.nesterov = 1; }
        if (kind == OFS_ADAM) c.amsgrad = 1;
        if (kind == OFS_RMSPROP) { c.centered = 1; c.momentum = 0.5; }
        if (ofs_optim_wants_shape((ofs_optim_kind)kind) == 2) continue;   /* Muon takes matrices: tests/test_muon.c */
        for (i = 0; i < 5; i++) x[i] = (ofs_real)(1.0 - 0.4 * i);
        ofs_optim_init(&a, &c, 5, NULL);
        for (s = 0; s < 40; s++) {
            if (s == 15) {
                CHECK(ofs_optim_save_file(&a, path, &err) == OFS_OK, "save: %s", err.msg);
                memcpy(y, x, sizeof x);
            }
            for (i = 0; i < 5; i++) g[i] = (ofs_real)(cos((double)(s + i)) + 0.2 * (double)x[i]);
            ofs_optim_step(&a, x, g, NULL);
        }
        ofs_optim_init(&b, &c, 5, NULL);
        CHECK(ofs_optim_load_file(&b, path, &err) == OFS_OK, "%s load: %s", ofs_optim_name((ofs_optim_kind)kind), err.msg);
        for (s = 15; s < 40; s++) {
            for (i = 0; i < 5; i++) g[i] = (ofs_real)(cos((double)(s + i)) + 0.2 * (double)y[i]);
            ofs_optim_step(&b, y, g, NULL);
        }
        for (i = 0; i < 5; i++) same &= x[i] == y[i];
        CHECK(same && a.t == b.t, "%s: resumed run is not bit-identical", ofs_optim_name((ofs_optim_kind)kind));
        ofs_optim_free(&a); ofs_optim_free(&b);
    }
}

/* A state of another algorithm or size, a flipped byte, a truncated file: refused. */
static void test_load_refusals(void)
{
    const char *path = "build/test_optim_bad.bin";
    ofs_optim adam, sgd, small;
    ofs_optim_config ca = ofs_optim_defaults(OFS_ADAM), cs = ofs_optim_defaults(OFS_SGD);
    ofs_err err;
    FILE *f;
    long size, k;
    unsigned char *bytes;
    int refused = 0, tried = 0;

    ofs_optim_init(&adam, &ca, 8, NULL);
    ofs_optim_init(&sgd, &cs, 8, NULL);
    ofs_optim_init(&small, &ca, 7, NULL);
    CHECK(ofs_optim_save_file(&adam, path, &err) == OFS_OK, "save: %s", err.msg);
    CHECK(ofs_optim_load_file(&sgd, path, &err) == OFS_ERR_MISMATCH && strstr(err.msg, "adam"), "other algorithm: %s", err.msg);
    CHECK(ofs_optim_load_file(&small, path, &err) == OFS_ERR_MISMATCH && strstr(err.msg, "7"), "other size: %s", err.msg);
    CHECK(ofs_optim_load_file(&adam, "build/no-such-file.bin", &err) == OFS_ERR_IO && strstr(err.msg, "no-such-file"), "missing: %s", err.msg);

    f = fopen(path, "rb");
    fseek(f, 0, SEEK_END); size = ftell(f); fseek(f, 0, SEEK_SET);
    bytes = (unsigned char *)malloc((size_t)size);
    CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size, "read back");
    fclose(f);
    for (k = 0; k < size; k += 7) {        /* flip one byte at a time */
        bytes[k] ^= 0x5A;
        f = fopen(path, "wb"); fwrite(bytes, 1, (size_t)size, f); fclose(f);
        tried++; refused += ofs_optim_load_file(&adam, path, &err) != OFS_OK;
        bytes[k] ^= 0x5A;
    }
    CHECK(refused == tried, "flipped bytes: %d of %d refused", refused, tried);
    f = fopen(path, "wb"); fwrite(bytes, 1, (size_t)size - 3, f); fclose(f);
    CHECK(ofs_optim_load_file(&adam, path, &err) == OFS_ERR_FORMAT, "truncated: %s", err.msg);
    free(bytes);
    remove(path);
    ofs_optim_free(&adam); ofs_optim_free(&sgd); ofs_optim_free(&small);
}

/* The optimizers' square root: for float, sqrtf, claimed to give the bits of the
   double root rounded to float. Checked on every 97th float from 2^-126 to 2^128
   (about 22 million values) and on 0, denormals and infinity. */
static void test_sqrt(void)
{
    uint32_t u, bad = 0, n = 0;
    for (u = 0; u < 0x7F800000u + 97u; u += u < 0x00800000u ? 4099u : 97u) {
        float f;
        volatile double root;   /* kept apart, so the compiler cannot turn it into sqrtf */
        uint32_t w = u > 0x7F800000u ? 0x7F800000u : u;
        memcpy(&f, &w, sizeof f);
        root = sqrt((double)f);
        bad += OFS__SQRT(f) != (ofs_real)root;
        n++;
    }
    CHECK(bad == 0 && n > 20000000u, "OFS__SQRT equals the rounded double root on %lu floats (%lu differ)",
          (unsigned long)n, (unsigned long)bad);
}

/* The roots of a block (ofs__sqrt_n: SSE2's vector root on x86-64 unless the build
   says -fno-math-errno, else the plain loop) give OFS__SQRT's bits for every class of
   number: zeros of both signs, subnormals, normals, negatives, infinities and NaNs,
   and 20,000 random bit patterns, at every length 0 to 11 and at 20,011 (the tails
   after the last whole vector). A NaN must come out a NaN with the same bits. */
static void test_sqrt_n(void)
{
    static const double special[] = {0.0, -0.0, 1e-320, 4e-310, 1.2e-38, 1e-45, 1.0, 2.0, 3.0, 0.25, 1e30, 1e300,
                                     -1.0, -1e-45, (double)INFINITY, -(double)INFINITY, (double)NAN, -(double)NAN};
    enum { N = 20011 };
    ofs_real *x = (ofs_real *)malloc(N * sizeof *x), *want = (ofs_real *)malloc(N * sizeof *want);
    uint64_t s = 12345;
    size_t i, len, bad = 0, ns = sizeof special / sizeof special[0];
    if (!x || !want) { CHECK(0, "out of memory"); free(x); free(want); return; }
    for (i = 0; i < N; i++) {
        if (i < 2 * ns) x[i] = (ofs_real)special[i % ns];
        else {
            unsigned char b[sizeof(ofs_real)];
            size_t k;
            for (k = 0; k < sizeof b; k++) { s = s * 6364136223846793005ULL + 1442695040888963407ULL; b[k] = (unsigned char)(s >> 56); }
            memcpy(&x[i], b, sizeof b);
        }
        want[i] = OFS__SQRT(x[i]);
    }
    for (len = 0; len <= 12; len++) {
        size_t n = len == 12 ? (size_t)N : len, j;
        ofs_real *y = (ofs_real *)malloc((n ? n : 1) * sizeof *y);
        if (!y) { CHECK(0, "out of memory"); break; }
        for (j = 0; j < n; j++) y[j] = x[(j * 7 + len) % N];
        ofs__sqrt_n(y, n);
        for (j = 0; j < n; j++) {
            ofs_real w = want[(j * 7 + len) % N];
            bad += memcmp(&y[j], &w, sizeof w) != 0 || (y[j] != y[j]) != (w != w);
        }
        free(y);
    }
    CHECK(bad == 0, "ofs__sqrt_n gives OFS__SQRT's bits on special and random %s values (%lu differ)",
          sizeof(ofs_real) == sizeof(float) ? "float" : "double", (unsigned long)bad);
    free(x);
    free(want);
}

/* Every field refuses +-Inf and NaN, for every algorithm; the ranges that keep a
   step finite are enforced; each message names the field. */
static void test_validation_ranges(void)
{
    static const char *const fields[13] = {"lr", "weight_decay", "momentum", "dampening", "alpha", "rho", "beta1", "beta2",
                                           "eps", "eps_root", "lr_decay", "initial_accumulator_value", "momentum_decay"};
    static const double bad[3] = {(double)INFINITY, -(double)INFINITY, (double)NAN};
    ofs_optim_config c;
    int kind, f, v, refused = 0, tried = 0;
    for (kind = 0; kind < OFS_OPTIM_COUNT; kind++)
        for (f = 0; f < 13; f++)
            for (v = 0; v < 3; v++) {
                ofs_optim o;
                ofs_err err;
                c = ofs_optim_defaults((ofs_optim_kind)kind);
                ofs_optim_config_set(&c, fields[f], bad[v], NULL);
                tried++;
                if (ofs_optim_init(&o, &c, 3, &err) == OFS_ERR_ARG && strstr(err.msg, fields[f])) refused++;
                else { printf("  %s %s = %g: %s\n", ofs_optim_name((ofs_optim_kind)kind), fields[f], bad[v], err.msg); ofs_optim_free(&o); }
            }
    CHECK(refused == tried, "+inf, -inf and NaN refused in every field of every optimizer, naming it: %d of %d", refused, tried);
    c = ofs_optim_defaults(OFS_ADAGRAD); c.lr_decay = (double)INFINITY;               expect_refused(&c, 4, "lr_decay");
    c = ofs_optim_defaults(OFS_ADAGRAD); c.initial_accumulator_value = (double)INFINITY; expect_refused(&c, 4, "initial_accumulator_value");
    c = ofs_optim_defaults(OFS_YOGI); c.eps_root = (double)INFINITY;                  expect_refused(&c, 4, "eps_root");
    c = ofs_optim_defaults(OFS_NADAM); c.momentum_decay = (double)INFINITY;           expect_refused(&c, 4, "momentum_decay");
    c = ofs_optim_defaults(OFS_SGD); c.lr = 1e300;                                    expect_refused(&c, 4, "lr in [0, 1000], found 1e+300");
    c = ofs_optim_defaults(OFS_SGD); c.lr = 1e5;                                      expect_refused(&c, 4, "lr in [0, 1000]");
    c = ofs_optim_defaults(OFS_LAMB); c.lr = 2;                                       expect_refused(&c, 4, "lr in [0, 1]");
    c = ofs_optim_defaults(OFS_ADAMW); c.weight_decay = 2e3;                          expect_refused(&c, 4, "weight_decay in [0, 1e3]");
    c = ofs_optim_defaults(OFS_SGD); c.lr = 0.5; c.weight_decay = 3;                  expect_refused(&c, 4, "lr * weight_decay <= 1");
    c = ofs_optim_defaults(OFS_ADAM); c.eps = 1e-20;                                  expect_refused(&c, 4, "eps in [1e-16, 1e6]");
    c = ofs_optim_defaults(OFS_RMSPROP); c.alpha = 1;                                expect_refused(&c, 4, "alpha in [0, 1)");
    c = ofs_optim_defaults(OFS_ADAM); c.eps_root = 1e7;                               expect_refused(&c, 4, "eps_root");
    c = ofs_optim_defaults(OFS_YOGI); c.initial_accumulator_value = 1e7;              expect_refused(&c, 4, "initial_accumulator_value");
    c = ofs_optim_defaults(OFS_ADAM); c.beta2 = 1 - 1e-17;                            expect_refused(&c, 4, "beta2");
    if (!IS_DOUBLE) { c = ofs_optim_defaults(OFS_ADAM); c.beta1 = 1 - 1e-9;         expect_refused(&c, 4, "below 1 in ofs_real"); }
    c = ofs_optim_defaults(OFS_ADAM); c.lr = 1e3; c.eps = 1e-16; c.weight_decay = 1e-3;
    CHECK(ofs_optim_validate(&c, NULL) == OFS_OK, "the edges of the ranges are accepted");
}

/* Yogi and Adagrad (the examples) stay finite for 5 steps from configurations
   at the edges of what validation accepts, with gradients large, tiny and zero. */
static void test_edges_stay_finite(void)
{
    static const double grads[4] = {1e3, -1e-30, 0, 7};
    int k, cfgs = 0, finite = 0;
    for (k = 0; k < 12; k++) {
        ofs_optim o;
        ofs_optim_config c = ofs_optim_defaults(k % 2 ? OFS_YOGI : OFS_ADAGRAD);
        ofs_real x[4] = {1, -2, 0, 1000}, g[4];
        int s, i, ok = 1;
        c.lr = k & 2 ? 1e3 : 1e-3; c.eps = k & 4 ? 1e-16 : 1e6; c.initial_accumulator_value = k & 8 ? 1e6 : 0;
        c.lr_decay = k & 4 ? 1e30 : 0; c.eps_root = k & 8 ? 1e6 : 0; c.beta1 = k & 2 ? 0.999999 : 0; c.beta2 = k & 4 ? 0 : 0.999999;
        c.eps_inside_sqrt = k & 1; c.weight_decay = 1 / c.lr;
        if (ofs_optim_init(&o, &c, 4, NULL) != OFS_OK) { printf("  config %d refused\n", k); continue; }
        cfgs++;
        for (s = 0; s < 5; s++) {
            for (i = 0; i < 4; i++) g[i] = (ofs_real)grads[(i + s) % 4];
            ok &= ofs_optim_step(&o, x, g, NULL) == OFS_OK;
            for (i = 0; i < 4; i++) ok &= (double)x[i] - (double)x[i] == 0 && (double)o.s[0][i] - (double)o.s[0][i] == 0;
        }
        finite += ok;
        ofs_optim_free(&o);
    }
    CHECK(cfgs == 12 && finite == cfgs, "Yogi and Adagrad at the edges: %d of %d configurations finite after 5 steps", finite, cfgs);
}

/* The step counter stops at 2^53: the step that would pass it is refused. */
static void test_step_limit(void)
{
    ofs_optim o;
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAGRAD);
    ofs_real x[2] = {1, 2}, g[2] = {1, 1};
    ofs_err err;
    ofs_optim_init(&o, &c, 2, NULL);
    o.t = OFS_MAX_STEPS - 1;
    CHECK(ofs_optim_step(&o, x, g, &err) == OFS_OK && o.t == OFS_MAX_STEPS, "the last step is taken: %s", err.msg);
    CHECK(ofs_optim_step(&o, x, g, &err) == OFS_ERR_ARG && o.t == OFS_MAX_STEPS && strstr(err.msg, "t in [0, 2^53)"),
          "the step past 2^53 is refused: %s", err.msg);
    o.t = INT64_MAX;
    CHECK(ofs_optim_step(&o, x, g, &err) == OFS_ERR_ARG && o.t == INT64_MAX, "t = INT64_MAX: no overflow, refused: %s", err.msg);
    o.t = -1;
    CHECK(ofs_optim_step(&o, x, g, &err) == OFS_ERR_ARG && x[0] == x[0] && o.t == -1, "t = -1 refused: %s", err.msg);
    ofs_optim_free(&o);
}

/* Hostile states whose checksum is valid: each field is validated on load, the
   message names the field (and, from a file, the file), and the optimizer is left
   exactly as it was. */
static void put_at(ofs_buf *b, size_t at, uint64_t v) { int i; for (i = 0; i < 8; i++) b->data[at + i] = (unsigned char)(v >> (8 * i)); }
static void put_f64_at(ofs_buf *b, size_t at, double d) { uint64_t u; memcpy(&u, &d, 8); put_at(b, at, u); }

static void hostile_state(ofs_optim_kind kind, size_t at, int is_double, double v, const char *needle)
{
    const char *path = "build/test_optim_hostile.bin";
    ofs_optim a, b;
    ofs_optim_config c = ofs_optim_defaults(kind);
    ofs_real x[3] = {1, 2, 3}, g[3] = {(ofs_real)0.5, -1, 2}, keep[3];
    ofs_buf buf = {NULL, 0, 0, 0};
    ofs_reader r;
    ofs_err err;
    ofs_status st;
    ofs_optim_init(&a, &c, 3, NULL); ofs_optim_init(&b, &c, 3, NULL);
    ofs_optim_step(&a, x, g, NULL); ofs_optim_step(&a, x, g, NULL);
    ofs_optim_step(&b, x, g, NULL);
    memcpy(keep, b.s[1] ? b.s[1] : b.s[0], sizeof keep);
    ofs_optim_save(&a, &buf);
    if (is_double) put_f64_at(&buf, at, v); else put_at(&buf, at, (uint64_t)(int64_t)v);
    r.data = buf.data; r.len = buf.len; r.pos = 0; r.failed = 0;
    st = ofs_optim_load(&b, &r, &err);
    CHECK(st == OFS_ERR_FORMAT && strstr(err.msg, needle) && strstr(err.msg, "optimizer state"),
          "%s, %s: status %s, message \"%s\"", ofs_optim_name(kind), needle, ofs_status_string(st), err.msg);
    CHECK(b.t == 1 && memcmp(keep, b.s[1] ? b.s[1] : b.s[0], sizeof keep) == 0, "%s: the refused state changed nothing", needle);
    ofs_file_save(path, 1u, &buf, NULL);
    CHECK(ofs_optim_load_file(&b, path, &err) == OFS_ERR_FORMAT && strstr(err.msg, path) && strstr(err.msg, needle),
          "from a file, the message names it: %s", err.msg);
    remove(path);
    ofs_buf_free(&buf);
    ofs_optim_free(&a); ofs_optim_free(&b);
}

/* The number of numeric fields (flags = 0) or of all the fields (flags = 1) of a saved state. */
static int field_count(int flags)
{
    int i, n = 0;
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    for (i = 0; ofs_optim_field(i); i++)
        n += flags || ofs_optim_config_set(&c, ofs_optim_field(i), 0.5, NULL) == OFS_OK;
    return n;
}

static void test_hostile_states(void)
{
    /* the tag, kind, n, t, mu_product, eta, lr_max, weight_sum, then the fields (8 bytes each), the flags, the
       shape (rows, cols), the arrays */
    const size_t T = 24, PROD = 32, ETA = 40, LR = 64, WD = LR + 8, BETA1 = LR + 48, EPS = LR + 64;
    const size_t FLAGS = LR + 8 * (size_t)field_count(0), ARRAYS = LR + 8 * (size_t)field_count(1) + 16;
    hostile_state(OFS_ADAM, T, 0, -1, "t in [0, 2^53], found -1");
    hostile_state(OFS_ADAM, T, 0, 9.2e18, "t in [0, 2^53]");   /* near INT64_MAX */
    hostile_state(OFS_ADAM, T, 0, 9007199254740994.0, "t in [0, 2^53], found 9007199254740994");
    hostile_state(OFS_NADAM, PROD, 1, 1, "mu_product in [0, 1)");
    hostile_state(OFS_NADAM, PROD, 1, (double)NAN, "mu_product");
    hostile_state(OFS_ADAM, PROD, 1, 0.5, "mu_product = 1");
    hostile_state(OFS_ASGD, ETA, 1, -1, "eta in [0, lr]");
    hostile_state(OFS_ASGD, ETA, 1, (double)NAN, "eta in [0, lr]");
    hostile_state(OFS_ASGD, ETA, 1, 1, "eta in [0, lr]");
    hostile_state(OFS_ADAM, ETA, 1, 0.5, "eta = 0");
    hostile_state(OFS_ADAM, BETA1, 1, 1, "beta1 in [0, 1)");
    hostile_state(OFS_ADAM, BETA1, 1, (double)NAN, "beta1");
    hostile_state(OFS_ADAM, BETA1, 1, -1, "beta1 in [0, 1)");
    hostile_state(OFS_ADAM, EPS, 1, 0, "eps in [1e-16, 1e6]");
    hostile_state(OFS_ADAM, LR, 1, (double)NAN, "lr");
    hostile_state(OFS_ADAM, WD, 1, -1, "weight_decay");
    hostile_state(OFS_ADAM, FLAGS + 16, 0, 2, "the flag amsgrad 0 or 1, found 2");
    hostile_state(OFS_ADAM, ARRAYS + 8 + 8 * 3 + 8 + 8, 1, -0.5, "finite numbers >= 0 in moment array 1, found -0.5 at element 1");
    hostile_state(OFS_ADAM, ARRAYS + 8, 1, (double)INFINITY, "finite numbers in moment array 0, found inf at element 0");
    hostile_state(OFS_ADAGRAD, ARRAYS + 8 + 16, 1, -1, "moment array 0, found -1 at element 2");
    hostile_state(OFS_ADAGRAD, ARRAYS + 8, 1, 1e39 * (IS_DOUBLE ? 1e300 : 1), "finite numbers >= 0 in moment array 0");
    hostile_state(OFS_YOGI, ARRAYS + 8 + 8 * 3 + 8, 1, -3, "moment array 1");
}

/* The first format (0.2.0: no tag, no eta, 13 numbers) still loads, the same state. */
static void test_v1_state(void)
{
    ofs_optim a, b;
    ofs_optim_config c = ofs_optim_defaults(OFS_NADAM);
    ofs_real x[3] = {1, 2, 3}, g[3] = {(ofs_real)0.5, -1, 2};
    ofs_buf buf = {NULL, 0, 0, 0};
    unsigned char v1[1024];
    const size_t head = 4 * 8, nums = 13 * 8, flags_at = 64 + 8 * (size_t)field_count(0), oflags = 7 * 8;
    const size_t rest_at = 64 + 8 * (size_t)field_count(1) + 16;   /* after the flags and the shape */
    size_t len;
    ofs_reader r;
    ofs_err err;
    int k, same = 1;
    c.lr = 0.01;
    ofs_optim_init(&a, &c, 3, NULL); ofs_optim_init(&b, &c, 3, NULL);
    ofs_optim_step(&a, x, g, NULL); ofs_optim_step(&a, x, g, NULL);
    ofs_optim_save(&a, &buf);
    len = head + nums + oflags + (buf.len - rest_at);
    CHECK(len <= sizeof v1, "a small state");
    if (len > sizeof v1) return;
    memcpy(v1, buf.data + 8, head);                      /* kind, n, t, mu_product */
    memcpy(v1 + head, buf.data + 64, nums);              /* the 13 numbers of 0.2.0 */
    memcpy(v1 + head + nums, buf.data + flags_at, oflags);                          /* its 7 flags */
    memcpy(v1 + head + nums + oflags, buf.data + rest_at, buf.len - rest_at);        /* the arrays */
    r.data = v1; r.len = len; r.pos = 0; r.failed = 0;
    CHECK(ofs_optim_load(&b, &r, &err) == OFS_OK && r.pos == len, "a 0.2.0 state loads: %s", err.msg);
    for (k = 0; k < 3; k++) same &= !a.s[k] || memcmp(a.s[k], b.s[k], 3 * sizeof(ofs_real)) == 0;
    CHECK(same && b.t == 2 && b.mu_product == a.mu_product && b.cfg.lr == 0.01, "and it is the same state");
    ofs_buf_free(&buf);
    ofs_optim_free(&a); ofs_optim_free(&b);
}

/* Two overflows the finiteness fuzzer found, fixed in the algorithms themselves:
   LAMB's trust ratio |theta| / |u| overflows ofs_real when u is tiny beside theta
   (it is now applied in double then), and centered RMSprop's v - gbar^2 rounds
   below 0 for a steady gradient and a small alpha (it is clamped at 0). */
static void test_found_overflows(void)
{
    ofs_optim o;
    ofs_optim_config c = ofs_optim_defaults(OFS_LAMB);
    ofs_real x[4] = {1000, -1000, 500, 3}, g[4] = {(ofs_real)1e-45, 0, (ofs_real)-1e-45, 0};
    int s, i, ok = 1;
    c.beta1 = 0; c.lr = 1e-3;
    ofs_optim_init(&o, &c, 4, NULL);
    for (s = 0; s < 3; s++) ok &= ofs_optim_step(&o, x, g, NULL) == OFS_OK;
    for (i = 0; i < 4; i++) ok &= (double)x[i] - (double)x[i] == 0;
    CHECK(ok, "LAMB with gradients tiny beside the weights stays finite: %g %g", (double)x[0], (double)x[1]);
    ofs_optim_free(&o);
    c = ofs_optim_defaults(OFS_RMSPROP); c.centered = 1; c.alpha = 1e-5; c.eps = 1e-16; c.eps_inside_sqrt = 1; c.lr = 1e-3;
    ofs_optim_init(&o, &c, 4, NULL);
    for (s = 0, ok = 1; s < 16; s++) {
        for (i = 0; i < 4; i++) g[i] = (ofs_real)(0.1 * (i + 1) + 1e-7 * s);
        ok &= ofs_optim_step(&o, x, g, NULL) == OFS_OK;
        for (i = 0; i < 4; i++) ok &= (double)x[i] - (double)x[i] == 0 && o.s[0][i] - o.s[2][i] * o.s[2][i] > -1;
    }
    CHECK(ok, "centered RMSprop with a steady gradient and alpha 1e-5 stays finite: %g", (double)x[0]);
    ofs_optim_free(&o);
}

/* The table's "reads": a field an algorithm does not read changes none of its steps
   (three steps on a small problem, bit for bit, with the field moved to another
   valid value); and a few it does read, named. The names come from ofs_optim_field,
   and ofs_optim_config_set knows each. */
static void three_steps(const ofs_optim_config *c, ofs_real *p)
{
    ofs_optim o;
    ofs_real g[6];
    int s, i;
    for (i = 0; i < 6; i++) p[i] = (ofs_real)(0.3 * i - 0.5);
    if (ofs_optim_init_shape(&o, c, 6, 2, 3, NULL) != OFS_OK) { p[0] = (ofs_real)NAN; return; }   /* a matrix: for Muon */
    for (s = 0; s < 3; s++) {
        for (i = 0; i < 6; i++) g[i] = (ofs_real)((double)p[i] * (1 + i) - 0.2 * s);
        (void)ofs_optim_step(&o, p, g, NULL);
    }
    ofs_optim_free(&o);
}

static void test_reads(void)
{
    const char *f;
    int kind, i, n = 0;
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAMW);
    for (i = 0; (f = ofs_optim_field(i)) != NULL; i++, n++)
        CHECK(ofs_optim_config_set(&c, f, 0, NULL) == OFS_OK, "field %s is known to ofs_optim_config_set", f);
    CHECK(n == 35 && strcmp(ofs_optim_field(0), "lr") == 0 && ofs_optim_field(-1) == NULL, "35 fields, lr first: %d", n);
    CHECK(ofs_optim_reads(OFS_ADAMW, "beta1") && ofs_optim_reads(OFS_ADAMW, "amsgrad") && !ofs_optim_reads(OFS_ADAMW, "rho") &&
          ofs_optim_reads(OFS_SGD, "nesterov") && !ofs_optim_reads(OFS_SGD, "beta1") && ofs_optim_reads(OFS_YOGI, "initial_accumulator_value") &&
          !ofs_optim_reads(OFS_ADAMW, "bogus") && !ofs_optim_reads((ofs_optim_kind)99, "lr"), "the table names what each reads");
    for (kind = 0; kind < OFS_OPTIM_COUNT; kind++) {
        ofs_real base[6], moved[6];
        ofs_optim_config d = ofs_optim_defaults((ofs_optim_kind)kind);
        three_steps(&d, base);
        for (i = 0; (f = ofs_optim_field(i)) != NULL; i++) {
            ofs_optim_config e = d;
            if (ofs_optim_reads((ofs_optim_kind)kind, f)) continue;
            (void)ofs_optim_config_set(&e, f, i >= field_count(0) ? 1.0 : 0.25, NULL);   /* the flags come after the numbers */
            if (ofs_optim_validate(&e, NULL) != OFS_OK) continue;            /* e.g. nesterov without momentum */
            three_steps(&e, moved);
            CHECK(memcmp(base, moved, sizeof base) == 0, "%s does not read %s: moving it changes nothing",
                  ofs_optim_name((ofs_optim_kind)kind), f);
        }
    }
}

int main(void)
{
    test_sqrt();
    test_sqrt_n();
    test_reference_file("tests/ref/optim_ref.txt", 60);
    test_reference_file("tests/ref/adopt_ref.txt", 18);
    test_misuse();
    test_adopt();
    test_groups();
    test_threads();
    test_save_load();
    test_load_refusals();
    test_validation_ranges();
    test_edges_stay_finite();
    test_step_limit();
    test_hostile_states();
    test_v1_state();
    test_found_overflows();
    test_reads();
    return harness_done("test_optim");
}
