/* Weight averaging (chapter 5's ofs_average, SWA and EMA) and SWALR (chapter 12)
   against torch.optim.swa_utils (tests/ref/average_ref.txt, written by
   tests/ref/make_average_refs.py): SGD trains, the average follows it, SWALR sets
   the rate. In double the parameters and the average agree to 1e-10 relative at
   every recorded step (to 200); in float to 1e-4 over the first 10. Then misuse,
   the first update's copy, SWA as the exact mean, and saving and loading. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include "problems.h"   /* grad_of, start_of: the reference problems */
#include <stdlib.h>
#include <string.h>

#define IS_DOUBLE (sizeof(ofs_real) == sizeof(double))
#define LINE 4096

typedef struct settings {
    char problem[16], avg[8];
    double lr, momentum, decay, swa_lr;
    int64_t start, every, anneal;
    int anneal_linear, has_swalr;
} settings;

static void parse(char *line, settings *h)
{
    char *tok = strtok(line + 5, " \n");
    memset(h, 0, sizeof *h);
    h->every = 1; h->anneal = 10;
    while ((tok = strtok(NULL, " \n")) != NULL) {
        char *v = strchr(tok, '=');
        if (!v) continue;
        *v++ = 0;
        if (strcmp(tok, "problem") == 0) snprintf(h->problem, sizeof h->problem, "%s", v);
        else if (strcmp(tok, "avg") == 0) snprintf(h->avg, sizeof h->avg, "%s", v);
        else if (strcmp(tok, "lr") == 0) h->lr = atof(v);
        else if (strcmp(tok, "momentum") == 0) h->momentum = atof(v);
        else if (strcmp(tok, "decay") == 0) h->decay = atof(v);
        else if (strcmp(tok, "swa_lr") == 0) { h->swa_lr = atof(v); h->has_swalr = 1; }
        else if (strcmp(tok, "start") == 0) h->start = atoll(v);
        else if (strcmp(tok, "every") == 0) h->every = atoll(v);
        else if (strcmp(tok, "anneal") == 0) h->anneal = atoll(v);
        else if (strcmp(tok, "anneal_linear") == 0) h->anneal_linear = atoi(v);
        else CHECK(0, "unknown key %s", tok);
    }
}

static int cases_run;
static double worst;

static void compare(char *p, const ofs_real *got, size_t n, const char *what, const char *desc, long t)
{
    size_t i;
    for (i = 0; i < n; i++) {
        double want = strtod(p, &p), g = (double)got[i];
        char name[600];
        snprintf(name, sizeof name, "%.400s t=%ld %s[%lu]", desc, t, what, (unsigned long)i);
        if (fabs(g - want) > worst * fabs(want)) worst = fabs(g - want) / fabs(want);
        if (IS_DOUBLE) CHECK_CLOSE(g, want, 1e-10, 1e-13, name);
        else if (t <= 10) CHECK_CLOSE(g, want, 1e-4, 1e-5, name);
    }
}

static void run_case(FILE *f, char *line)
{
    char desc[LINE];
    settings h;
    ofs_optim opt;
    ofs_average avg;
    ofs_sched sw;
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    ofs_real th[4], g[4];
    size_t n;
    int64_t t = 0;
    snprintf(desc, sizeof desc, "%s", line + 5);
    desc[strcspn(desc, "\n")] = 0;
    parse(line, &h);
    n = start_of(h.problem, th);
    c.lr = h.lr; c.momentum = h.momentum;
    sw = ofs_sched_defaults(OFS_SCHED_SWALR, h.lr);
    sw.swa_lr = h.swa_lr; sw.anneal_epochs = h.anneal; sw.anneal_linear = h.anneal_linear;
    if (ofs_optim_init(&opt, &c, n, NULL) != OFS_OK || ofs_average_init(&avg, n, strcmp(h.avg, "ema") == 0 ? h.decay : 0, NULL) != OFS_OK) {
        CHECK(0, "%s: init", desc);
        return;
    }
    cases_run++;
    while (fgets(line, LINE, f) && strncmp(line, "end", 3) != 0) {
        int is_avg = strncmp(line, "avg ", 4) == 0;
        char *p = line + (is_avg ? 4 : 5);
        long want_t = strtol(p, &p, 10);
        while (t < want_t) {   /* step t + 1 */
            if (h.has_swalr && t + 1 > h.start) opt.cfg.lr = ofs_sched_lr(&sw, t + 1 - h.start);
            grad_of(h.problem, th, g, n);
            ofs_optim_step(&opt, th, g, NULL);
            t++;
            if (t >= h.start && (t - h.start) % h.every == 0) CHECK(ofs_average_update(&avg, th, NULL) == OFS_OK, "update");
        }
        compare(p, is_avg ? avg.avg : th, n, is_avg ? "avg" : "theta", desc, want_t);
    }
    ofs_optim_free(&opt);
    ofs_average_free(&avg);
}

static void reference_cases(void)
{
    FILE *f = fopen("tests/ref/average_ref.txt", "r");
    static char line[LINE];
    CHECK(f != NULL, "cannot open tests/ref/average_ref.txt (run from the repository root)");
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "case ", 5) == 0) run_case(f, line);
    fclose(f);
    CHECK(cases_run >= 14, "expected at least 14 reference cases, found %d", cases_run);
    printf("%d reference cases, largest relative error %.3g\n", cases_run, worst);
}

/* The first update copies; SWA is the mean of what it was given; EMA is a lerp. */
static void properties(void)
{
    ofs_average a, e;
    ofs_real p[2];
    ofs_err err;
    int k;
    CHECK(ofs_average_init(&a, 2, 0, &err) == OFS_OK && ofs_average_init(&e, 2, 0.75, &err) == OFS_OK, "init: %s", err.msg);
    for (k = 1; k <= 8; k++) {
        p[0] = (ofs_real)k; p[1] = (ofs_real)(k * k);
        ofs_average_update(&a, p, NULL); ofs_average_update(&e, p, NULL);
        if (k == 1) CHECK(a.avg[0] == 1 && e.avg[1] == 1 && a.count == 1, "the first update copies");
    }
    CHECK(a.avg[0] == (ofs_real)4.5 && a.avg[1] == (ofs_real)25.5 && a.count == 8, "SWA: the mean of 1..8 and of their squares: %g %g",
          (double)a.avg[0], (double)a.avg[1]);
    /* x_k = k: k - avg_k = e_k = (1 - w)(1 + e_{k-1}), e_1 = 0, so e_8 = (1 - w)(1 - (1 - w)^7) / w, w = 1 - decay */
    CHECK(harness_close((double)e.avg[0], 8 - 0.75 * (1 - pow(0.75, 7)) / 0.25, 1e-6, 0), "EMA of 1..8, decay 0.75: %.9g", (double)e.avg[0]);
    ofs_average_free(&a); ofs_average_free(&e);
}

/* Misuse and hostile states: a clear status and message, and nothing changed. */
static void misuse(void)
{
    ofs_average a, b;
    ofs_real p[3] = {1, 2, 3}, keep[3];
    ofs_buf buf = {NULL, 0, 0, 0};
    ofs_reader r;
    ofs_err err;
    double bad[4] = {1, -0.1, (double)NAN, 0};
    int i;
    for (i = 0; i < 3; i++)
        CHECK(ofs_average_init(&a, 3, bad[i], &err) == OFS_ERR_ARG && strstr(err.msg, "decay in [0, 1)") && a.avg == NULL,
              "decay %g refused: %s", bad[i], err.msg);
    CHECK(ofs_average_init(&a, 0, 0, &err) == OFS_ERR_ARG && strstr(err.msg, "n >= 1"), "n = 0: %s", err.msg);
    CHECK(ofs_average_init(&a, 3, 0.5, &err) == OFS_OK && ofs_average_init(&b, 3, 0.5, &err) == OFS_OK, "init");
    CHECK(ofs_average_update(&a, NULL, &err) == OFS_ERR_ARG && strstr(err.msg, "NULL") && a.count == 0, "NULL params: %s", err.msg);
    ofs_average_update(&a, p, NULL); p[0] = 5; ofs_average_update(&a, p, NULL);
    ofs_average_update(&b, p, NULL); memcpy(keep, b.avg, sizeof keep);
    ofs_average_save(&a, &buf);
    r.data = buf.data; r.len = buf.len; r.pos = 0; r.failed = 0;
    CHECK(ofs_average_load(&b, &r, &err) == OFS_OK && b.count == 2 && memcmp(a.avg, b.avg, sizeof keep) == 0 && r.pos == r.len,
          "saved and loaded: %s", err.msg);
    for (i = 0; i < 4; i++) {   /* a count of -1, a NaN value, another decay, a truncated state */
        ofs_buf c = {NULL, 0, 0, 0};
        double nan = (double)NAN, half = 0.25;
        const char *want[4] = {"count in [0, 2^53]", "finite values, found nan at element 1", "decay 0.25", "truncated"};
        ofs_status code[4] = {OFS_ERR_FORMAT, OFS_ERR_FORMAT, OFS_ERR_MISMATCH, OFS_ERR_FORMAT};
        ofs_average_save(&a, &c);
        if (i == 0) memset(c.data + 24, 0xff, 8);
        if (i == 1) memcpy(c.data + 40, &nan, 8);
        if (i == 2) memcpy(c.data + 16, &half, 8);
        r.data = c.data; r.len = i == 3 ? c.len - 1 : c.len; r.pos = 0; r.failed = 0;
        b.count = 7; memcpy(b.avg, keep, sizeof keep);
        CHECK(ofs_average_load(&b, &r, &err) == code[i] && strstr(err.msg, want[i]) && b.count == 7 && memcmp(b.avg, keep, sizeof keep) == 0,
              "hostile average %d refused, nothing changed: %s", i, err.msg);
        ofs_buf_free(&c);
    }
    a.count = OFS_MAX_STEPS;
    CHECK(ofs_average_update(&a, p, &err) == OFS_ERR_ARG && a.count == OFS_MAX_STEPS, "count at 2^53: %s", err.msg);
    ofs_buf_free(&buf);
    ofs_average_free(&a); ofs_average_free(&b);
}

int main(void)
{
    reference_cases();
    properties();
    misuse();
    return harness_done("test_average");
}
