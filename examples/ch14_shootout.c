/* cc -std=c99 -O2 -I. examples/ch14_shootout.c -o ch14_shootout -lm */
/* Chapter 14: every optimizer of the header, chosen by name, on three classic
   test functions: Rosenbrock (a curved narrow valley), Beale (flat plateaus and
   steep walls) and Himmelblau (four minima). Each runs 20000 steps from a fixed
   start with the learning rate in lr_table; the program reports when f settled
   below 1e-6 for good, where it ended, and writes paths and losses to out/.

   The learning rates come from a coarse search, which `--tune` repeats: for each
   optimizer and function, the lr from {1, 2, 5} x 10^k (1e-5 to 5) whose run
   settles below 1e-6 soonest; when none settles, the lr with the smallest
   largest f over the last 2000 steps (rates the algorithm refuses are skipped). Every other setting is the library's
   default (PyTorch's, or optax's for lion, yogi, lamb, adabelief), except SGD,
   which gets momentum 0.9. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <string.h>
#include <math.h>

#define NOPT OFS_OPTIM_COUNT   /* every optimizer of the library, in its order */
#define NFN 3
#define STEPS 20000
#define TOL 1e-6

static const ofs_toy_kind fns[NFN] = {OFS_TOY_ROSENBROCK, OFS_TOY_BEALE, OFS_TOY_HIMMELBLAU};
static const double starts[NFN][2] = {{-1.2, 1.0}, {1.0, 1.5}, {0.0, 0.0}};

/* The learning rates (rosenbrock, beale, himmelblau), from `--tune`. */
static const double lr_table[][NFN] = {
    /* sgd       */ {0.002, 0.005, 0.01},
    /* adagrad   */ {0.5, 2, 2},
    /* rmsprop   */ {0.0002, 0.0002, 0.2},
    /* adadelta  */ {0.01, 0.02, 0.02},
    /* adam      */ {0.0005, 0.01, 0.5},
    /* adamw     */ {0.0005, 0.001, 0.001},
    /* adamax    */ {0.0005, 1, 1},
    /* nadam     */ {0.0005, 0.0005, 0.2},
    /* radam     */ {0.0002, 0.001, 0.05},
    /* lion      */ {0.0002, 0.0002, 0.0002},
    /* yogi      */ {0.5, 0.5, 0.2},
    /* lamb      */ {0.002, 0.0002, 0.0005},
    /* adabelief */ {5e-05, 0.5, 0.2},
    /* rprop     */ {0.002, 0.1, 0.1},
    /* asgd      */ {0.002, 0.02, 0.02},
    /* adopt     */ {2, 2, 2},
    /* sfadamw   */ {0.002, 0.002, 0.001},
    /* sfsgd     */ {0.005, 0.02, 0.1},
    /* muon      */ {0, 0, 0},        /* not run: Muon and Adafactor are optimizers of weight */
    /* adafactor */ {0, 0, 0}};       /* matrices (chapter 11b), the toys' points are 2-vectors */
/* One row per optimizer of the library: a new one does not compile until it has its row. */
typedef char every_optimizer_has_a_row[sizeof lr_table / sizeof lr_table[0] == OFS_OPTIM_COUNT ? 1 : -1];
#define NAME(opt) ofs_optim_name((ofs_optim_kind)(opt))
#define SKIP(opt) (ofs_optim_wants_shape((ofs_optim_kind)(opt)) != 0)   /* the matrix optimizers */

typedef struct result {
    int first;          /* first step with f < TOL; -1: never */
    int settled;        /* first step from which f < TOL to the end; -1: f >= TOL at the end */
    int diverged;       /* f went above 1e8 or became NaN */
    double x[2], f;     /* the end point and its value */
    double tail;        /* the largest f over the last 2000 steps */
} result;

static ofs_status make_config(int opt, double lr, ofs_optim_config *c, ofs_err *err)
{
    ofs_optim_kind kind = (ofs_optim_kind)opt;
    (void)err;
    *c = ofs_optim_defaults(kind);
    c->lr = lr;
    if (kind == OFS_SGD) c->momentum = 0.9;
    return OFS_OK;
}

/* L-BFGS (chapter 4b) counts function evaluations, not steps: torch's defaults with the
   strong Wolfe line search and both tolerances 0, one optimizer.step(closure) after
   another until f < 1e-6 holds or STEPS evaluations are spent. */
static double toy_closure(const ofs_real *x, ofs_real *g, void *toy) { return ofs_toy_eval((const ofs_toy *)toy, x, g, NULL); }

static int lbfgs_run(int fn)
{
    ofs_toy t = ofs_toy_make(fns[fn]);
    ofs_lbfgs o;
    ofs_lbfgs_config c = ofs_lbfgs_defaults();
    ofs_err err;
    double x[2], f = 0;
    x[0] = starts[fn][0]; x[1] = starts[fn][1];
    c.line_search = OFS_LS_STRONG_WOLFE; c.tolerance_grad = 0; c.tolerance_change = 0;
    if (ofs_lbfgs_init(&o, &c, 2, &err) != OFS_OK) { fprintf(stderr, "ch14_shootout: %s\n", err.msg); return 1; }
    while (o.func_evals < STEPS && (f = ofs_toy_eval(&t, x, NULL, NULL)) >= TOL && o.stop != OFS_LBFGS_NOT_DESCENT)
        if (ofs_lbfgs_step(&o, x, toy_closure, &t, NULL, &err) != OFS_OK) { fprintf(stderr, "ch14_shootout: %s\n", err.msg); break; }
    f = ofs_toy_eval(&t, x, NULL, NULL);
    printf("  %-10s  %-11lld  %-11lld  %-11.6f  %-11.6f  %.3e\n", ofs_toy_name(&t), (long long)o.n_iter, (long long)o.func_evals,
           x[0], x[1], f);
    ofs_lbfgs_free(&o);
    return 0;
}

/* Is step k written to the path file? All of the first 200, then every 20th. */
static int kept(int k) { return k <= 200 || k % 20 == 0 || k == STEPS; }

static double trace[(STEPS + 1) * 3];   /* the last run's rows x1 x2 f (ofs_toy_trace) */

/* STEPS steps of optimizer `opt` on function `fn`; the kept rows of the path go to
   `out` if not NULL, up to the row where f passes 1e8 (a diverging run). */
static int run(int opt, int fn, double lr, FILE *out, result *r)
{
    ofs_toy t = ofs_toy_make(fns[fn]);
    ofs_optim_config c;
    ofs_err err;
    double x[2];
    int k;
    x[0] = starts[fn][0]; x[1] = starts[fn][1];
    if (make_config(opt, lr, &c, &err) != OFS_OK || ofs_toy_trace(&t, &c, x, STEPS, trace, &err) != OFS_OK) {
        fprintf(stderr, "ch14_shootout: %s\n", err.msg);
        return 1;
    }
    r->first = -1; r->settled = 0; r->diverged = 0; r->tail = 0;
    for (k = 0; k <= STEPS; k++) {
        const double *row = trace + 3 * k;
        r->x[0] = row[0]; r->x[1] = row[1]; r->f = row[2];
        if (out && kept(k)) fprintf(out, "%d %.10g %.10g %.10g\n", k, row[0], row[1], row[2]);
        if (!(r->f < 1e8)) { r->diverged = 1; break; }
        if (!(r->f < TOL)) r->settled = k + 1;
        else if (r->first < 0) r->first = k;
        if (k >= STEPS - 2000 && r->f > r->tail) r->tail = r->f;
    }
    if (out) fprintf(out, "\n\n");
    if (r->diverged || r->settled > STEPS) r->settled = -1;
    return 0;
}

/* Is result a better than b? Settling wins, then sooner; otherwise the smaller tail. */
static int better(const result *a, const result *b)
{
    if (a->diverged) return 0;
    if (b->diverged) return 1;
    if (a->settled >= 0 && b->settled >= 0) return a->settled < b->settled;
    if (a->settled >= 0 || b->settled >= 0) return a->settled >= 0;
    return a->tail < b->tail;
}

static int tune(void)
{
    static const double mant[3] = {1, 2, 5};
    int opt, fn, e, m;
    printf("Tuning: lr from {1, 2, 5} x 10^k, 1e-5 to 5; %d steps each\n", STEPS);
    printf("    /*            rosenbrock  beale   himmelblau */\n");
    for (opt = 0; opt < NOPT; opt++) {
        if (SKIP(opt)) { printf("    /* %-9s */ {0, 0, 0}%s\n", NAME(opt), opt < NOPT - 1 ? "," : "};"); continue; }
        printf("    /* %-9s */ {", NAME(opt));
        for (fn = 0; fn < NFN; fn++) {
            result best, r;
            double best_lr = 0;
            best.diverged = 1;
            for (e = -5; e <= 0; e++)
                for (m = 0; m < 3; m++) {
                    double lr = mant[m] * pow(10.0, e);
                    ofs_optim_config c;
                    make_config(opt, lr, &c, NULL);
                    if (ofs_optim_validate(&c, NULL) != OFS_OK) continue;   /* beyond the algorithm's range (LAMB: lr <= 1) */
                    if (run(opt, fn, lr, NULL, &r)) return 1;
                    if (better(&r, &best)) { best = r; best_lr = lr; }
                }
            printf("%g%s", best_lr, fn < NFN - 1 ? ", " : "}");
        }
        printf("%s\n", opt < NOPT - 1 ? "," : "};");
    }
    return 0;
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch14_shootout: cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
}

/* Himmelblau's four minima (to 6 decimals), and which is nearest to x. */
static const double himmelblau_minima[4][2] = {{3.0, 2.0}, {-2.805118, 3.131312}, {-3.779310, -3.283186}, {3.584428, -1.848126}};

static const char *himmelblau_min(const double *x)
{
    static const char *label[4] = {"(3, 2)", "(-2.81, 3.13)", "(-3.78, -3.28)", "(3.58, -1.85)"};
    int i, best = 0;
    double d = 1e300;
    for (i = 0; i < 4; i++) {
        double di = hypot(x[0] - himmelblau_minima[i][0], x[1] - himmelblau_minima[i][1]);
        if (di < d) { d = di; best = i; }
    }
    return label[best];
}

/* The minima, one gnuplot block per function, for the figures. */
static int write_minima(const char *path)
{
    FILE *f = open_out(path);
    int i;
    if (!f) return 1;
    fprintf(f, "# x1 x2   blocks: rosenbrock | beale | himmelblau\n1 1\n\n\n3 0.5\n\n\n");
    for (i = 0; i < 4; i++) fprintf(f, "%g %g\n", himmelblau_minima[i][0], himmelblau_minima[i][1]);
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    static const double box[NFN][4] = {{-2, 2, -1, 3}, {-0.5, 4.5, -1, 2}, {-5, 5, -5, 5}};
    static const char *minima[NFN] = {"(1, 1)", "(3, 0.5)", "four: (3, 2), (-2.81, 3.13), (-3.78, -3.28), (3.58, -1.85)"};
    result res[NOPT][NFN];
    int opt, fn;
    if (argc > 1 && strcmp(argv[1], "--tune") == 0) return tune();
    /* --smoke: the full run takes a fraction of a second */

    if (write_minima("out/ch14_minima.dat")) return 1;
    printf("Learning rates (from --tune):\n  optimizer   rosenbrock  beale    himmelblau\n");
    for (opt = 0; opt < NOPT; opt++)
        if (!SKIP(opt)) printf("  %-10s  %-10g  %-7g  %g\n", NAME(opt), lr_table[opt][0], lr_table[opt][1], lr_table[opt][2]);

    for (fn = 0; fn < NFN; fn++) {
        ofs_toy t = ofs_toy_make(fns[fn]);
        char name[64];
        FILE *f;
        ofs_err err;
        sprintf(name, "out/ch14_%s_grid.dat", ofs_toy_name(&t));
        if (ofs_toy_grid_save(name, &t, box[fn], 121, 121, 1, &err) != OFS_OK) {   /* log10 f, for the contours */
            fprintf(stderr, "ch14_shootout: %s\n", err.msg);
            return 1;
        }
        sprintf(name, "out/ch14_%s_paths.dat", ofs_toy_name(&t));
        if (!(f = open_out(name))) return 1;
        fprintf(f, "# step x1 x2 f   one block per optimizer in the order:");
        for (opt = 0; opt < NOPT; opt++) if (!SKIP(opt)) fprintf(f, " %s", NAME(opt));
        fprintf(f, "   (steps 0-200, then every 20th)\n");
        printf("\n%s from (%g, %g), %d steps; minimum f = 0 at %s\n", ofs_toy_name(&t), starts[fn][0], starts[fn][1], STEPS, minima[fn]);
        printf("  optimizer   lr        first f < 1e-6   stays below from   final x1     final x2     final f%s\n",
               fn == 2 ? "      nearest minimum" : "");
        for (opt = 0; opt < NOPT; opt++) {
            result *r = &res[opt][fn];
            char settled[32], first[32];
            if (SKIP(opt)) continue;
            if (run(opt, fn, lr_table[opt][fn], f, r)) { fclose(f); return 1; }
            if (r->diverged) strcpy(settled, "diverged");
            else if (r->settled < 0) strcpy(settled, "-");
            else sprintf(settled, "%d", r->settled);
            if (r->first < 0) strcpy(first, "-");
            else sprintf(first, "%d", r->first);
            printf("  %-10s  %-8g  %-15s  %-17s  %-11.6f  %-11.6f  %.3e", NAME(opt), lr_table[opt][fn], first, settled,
                   r->x[0], r->x[1], r->f);
            if (fn == 2) printf("    %s", himmelblau_min(r->x));
            printf("\n");
        }
        if (fclose(f) != 0) return 1;
    }

    {
        result r;
        if (run(4, 0, 0.5, NULL, &r)) return 1;     /* adam on rosenbrock with a large lr */
        printf("\nA larger lr is not always faster: adam with lr 0.5 on rosenbrock first has f < 1e-6 at step %d,\n"
               "then leaves the valley floor; after %d steps it is at (%f, %f), f = %.3e\n", r.first, STEPS, r.x[0], r.x[1], r.f);
    }

    printf("\nL-BFGS (strong Wolfe, history 100), until f < 1e-6: iterations and function evaluations\n");
    printf("  function    iterations   evaluations  final x1     final x2     final f\n");
    for (fn = 0; fn < NFN; fn++) if (lbfgs_run(fn)) return 1;

    printf("\nSummary: the step from which f stays below 1e-6 (-: not below it after %d steps)\n", STEPS);
    printf("  optimizer   rosenbrock  beale    himmelblau\n");
    for (opt = 0; opt < NOPT; opt++) {
        char cell[NFN][16];
        if (SKIP(opt)) continue;
        for (fn = 0; fn < NFN; fn++) {
            if (res[opt][fn].settled >= 0) sprintf(cell[fn], "%d", res[opt][fn].settled);
            else strcpy(cell[fn], "-");
        }
        printf("  %-10s  %-10s  %-7s  %s\n", NAME(opt), cell[0], cell[1], cell[2]);
    }
    return 0;
}
