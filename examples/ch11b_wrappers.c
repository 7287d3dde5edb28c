/* cc -std=c99 -O2 -I. examples/ch11b_wrappers.c -o ch11b_wrappers -lm */
/* Chapter 11b: wrappers around any optimizer. Lookahead around SGD with momentum on
   the ill-conditioned quadratic f(x, y) = 0.1 x^2 + 2 y^2 (the fast weights' zig-zag
   and the slow weights' jumps), then SAM around the same SGD on a 1-D loss with a
   sharp and a flat minimum: plain SGD settles in the sharp one, SAM in the flat one.
   Figure data goes to out/. --smoke is the same run (it takes well under a second). */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>
#include <string.h>

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch11b_wrappers: cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
}

/* ---- Lookahead on the quadratic ------------------------------------------------- */
#define LA_STEPS 60

/* SGD (lr 0.5, momentum 0.9) from (-5, -2), alone and inside Lookahead (k 5, alpha
   0.5), step by step. Three gnuplot blocks of rows "step x y f" go to path: SGD
   alone, Lookahead's fast weights, and its slow weights after each sync. */
static int lookahead_demo(const char *path, const char *grid)
{
    static const double box[4] = {-5.5, 3.5, -4.4, 3.2};
    ofs_toy toy = ofs_toy_make(OFS_TOY_QUAD);         /* b = 2 */
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_optim plain, base;
    ofs_lookahead la;
    double p[2] = {-5, -2}, q[2] = {-5, -2}, g[2], path_p[LA_STEPS + 1][2], path_q[LA_STEPS + 1][2];
    FILE *f = open_out(path);
    int t, nsync = 0, k, blk;
    if (!f) return 1;
    toy.a = 0.1;                                      /* D2L's ill-conditioned 0.1 x^2 + 2 y^2 */
    if (ofs_toy_grid_save(grid, &toy, box, 181, 153, 0, NULL) != OFS_OK) { fclose(f); return 1; }
    c.lr = 0.5; c.momentum = 0.9; lc.k = 5; lc.alpha = 0.5;
    ofs_optim_init(&plain, &c, 2, NULL); ofs_optim_init(&base, &c, 2, NULL);
    ofs_lookahead_init(&la, &lc, q, 2, NULL);
    printf("Lookahead (k %d, alpha %g) around SGD (lr %g, momentum %g) on f(x, y) = 0.1 x^2 + 2 y^2, from (-5, -2)\n",
           lc.k, lc.alpha, c.lr, c.momentum);
    printf("step   f(SGD alone)   f(Lookahead)\n");
    fprintf(f, "# step x y f (examples/ch11b_wrappers.c)\n");
    memcpy(path_p[0], p, sizeof p); memcpy(path_q[0], q, sizeof q);
    for (t = 1; t <= LA_STEPS; t++) {
        ofs_toy_eval(&toy, p, g, NULL); ofs_optim_step(&plain, p, g, NULL);
        ofs_toy_eval(&toy, q, g, NULL); ofs_lookahead_step(&la, &base, q, g, NULL);
        memcpy(path_p[t], p, sizeof p); memcpy(path_q[t], q, sizeof q);
        nsync += la.count == 0;
        if (t % 20 == 0) printf("%4d   %12.3e   %12.3e\n", t, ofs_toy_eval(&toy, p, NULL, NULL), ofs_toy_eval(&toy, q, NULL, NULL));
    }
    for (blk = 0; blk < 3; blk++) {
        fprintf(f, "%s# %s\n", blk ? "\n\n" : "", blk == 0 ? "SGD alone" : blk == 1 ? "Lookahead's fast weights" :
                "Lookahead's slow weights: at the start and after each sync (fast = slow there)");
        for (k = 0; k <= LA_STEPS; k += blk == 2 ? lc.k : 1) {
            const double *w = blk == 0 ? path_p[k] : path_q[k];
            fprintf(f, "%d %.6f %.6f %.6g\n", k, w[0], w[1], ofs_toy_eval(&toy, w, NULL, NULL));
        }
    }
    printf("%d syncs in %d steps; after the last, params = slow weights: %s; the base optimizer's t = %lld\n", nsync,
           LA_STEPS, memcmp(q, la.slow, sizeof q) == 0 ? "yes" : "no", (long long)base.t);
    ofs_optim_free(&plain); ofs_optim_free(&base); ofs_lookahead_free(&la);
    fclose(f);
    return 0;
}

/* ---- SAM on a sharp and a flat minimum ------------------------------------------- */
/* f(w) = -1.2 exp(-(w - 1)^2 / (2 0.1^2)) - exp(-(w + 1)^2 / (2 0.6^2)): a deep, narrow
   well at w = 1 and a shallower, wide one at w = -1. */
static double two_wells(const ofs_real *x, ofs_real *grad, void *ctx)
{
    const double w = x[0], a = (w - 1) / 0.1, b = (w + 1) / 0.6;
    const double ea = 1.2 * exp(-0.5 * a * a), eb = exp(-0.5 * b * b);
    (void)ctx;
    if (grad) grad[0] = ea * a / 0.1 + eb * b / 0.6;
    return -ea - eb;
}

/* The loss's rise within radius r of w: max over |e| <= r of f(w + e) - f(w), on a grid. */
static double rise(double w, double r)
{
    double m = -INFINITY, f0 = two_wells(&w, NULL, NULL);
    int i;
    for (i = 0; i <= 400; i++) { double x = w - r + 2 * r * i / 400.0, v = two_wells(&x, NULL, NULL) - f0; if (v > m) m = v; }
    return m;
}

/* The loss SAM descends at w: f at w + e, the header's perturbation (perturb, then restore). */
static double sam_loss(ofs_sam *s, double w)
{
    double g, fx;
    two_wells(&w, &g, NULL);
    if (ofs_sam_perturb(s, &w, &g, NULL) != OFS_OK) return (double)NAN;
    fx = two_wells(&w, NULL, NULL);
    ofs_sam_restore(s, &w, NULL);
    return fx;
}

/* SGD (lr 0.002, momentum 0.9) from w0 for `steps` steps, alone (s NULL) or inside SAM:
   where it ends. */
static double settle(double w0, ofs_sam *s, int steps)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    ofs_optim o;
    double w = w0, g;
    int t;
    c.lr = 0.002; c.momentum = 0.9;
    ofs_optim_init(&o, &c, 1, NULL);
    for (t = 0; t < steps; t++) {
        if (s) { if (ofs_sam_step(s, &o, &w, NULL, two_wells, NULL, NULL, NULL) != OFS_OK) break; }
        else { two_wells(&w, &g, NULL); ofs_optim_step(&o, &w, &g, NULL); }
    }
    ofs_optim_free(&o);
    return w;
}

#define SAM_STEPS 3000
/* The two minima (SGD from either side), what each costs when the weight moves, and
   the loss SAM (rho 0.25) sees around them; where SGD and SAM end from four starts.
   Curve rows "w f(w) f(w + e)" and radius
   rows "r rise_sharp rise_flat". */
static int sam_demo(const char *curve, const char *radius)
{
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_sam s;
    static const double starts[4] = {0.5, 0.7, 0.9, 1.3};
    const double sharp = settle(1.2, NULL, 300), flat = settle(-0.2, NULL, 300);
    FILE *fc = open_out(curve), *fr = open_out(radius);
    int i;
    if (!fc || !fr) { if (fc) fclose(fc); if (fr) fclose(fr); return 1; }
    sc.rho = 0.25;
    ofs_sam_init(&s, &sc, 1, NULL);
    printf("\nA sharp and a flat minimum; SGD (lr 0.002, momentum 0.9) settles at each from a start beside it\n");
    printf("minimum        w        f(w)   rise within 0.1   within 0.25   SAM's loss beside it (rho %g)\n", sc.rho);
    printf("sharp    %8.4f   %8.4f   %14.4f   %11.4f   %8.4f\n", sharp, two_wells(&sharp, NULL, NULL), rise(sharp, 0.1),
           rise(sharp, 0.25), sam_loss(&s, sharp + 0.01));
    printf("flat     %8.4f   %8.4f   %14.4f   %11.4f   %8.4f\n", flat, two_wells(&flat, NULL, NULL), rise(flat, 0.1),
           rise(flat, 0.25), sam_loss(&s, flat + 0.01));
    printf("runs of %d steps from w0:      0.5       0.7       0.9       1.3\n  SGD alone              ", SAM_STEPS);
    for (i = 0; i < 4; i++) printf("%10.3f", settle(starts[i], NULL, SAM_STEPS));
    printf("\n  SAM, rho %-4g           ", sc.rho);
    for (i = 0; i < 4; i++) printf("%10.3f", settle(starts[i], &s, SAM_STEPS));
    printf("\n");
    fprintf(fc, "# w f(w) f(w + e): the loss SAM descends, rho %g (examples/ch11b_wrappers.c)\n", sc.rho);
    for (i = 0; i < 800; i++) {
        double w = -2.5 + 4.0 * (i + 0.5) / 800;
        fprintf(fc, "%.5f %.6f %.6f\n", w, two_wells(&w, NULL, NULL), sam_loss(&s, w));
    }
    fprintf(fr, "# r: max over |e| <= r of f(w + e) - f(w) at the sharp minimum, at the flat one\n");
    for (i = 0; i <= 50; i++) fprintf(fr, "%.3f %.6f %.6f\n", 0.01 * i, rise(sharp, 0.01 * i), rise(flat, 0.01 * i));
    ofs_sam_free(&s);
    fclose(fc); fclose(fr);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;                   /* --smoke: the full run takes well under a second */
    if (lookahead_demo("out/ch11b_lookahead.dat", "out/ch11b_lookahead_grid.dat")) return 1;
    if (sam_demo("out/ch11b_sam_curve.dat", "out/ch11b_sam_radius.dat")) return 1;
    printf("wrote out/ch11b_lookahead.dat, out/ch11b_lookahead_grid.dat, out/ch11b_sam_curve.dat, out/ch11b_sam_radius.dat\n");
    return 0;
}
