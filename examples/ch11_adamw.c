/* cc -std=c99 -O2 -I. examples/ch11_adamw.c -o ch11_adamw -lm */
/* Chapter 11: AdamW, NAdam, RAdam, Lion (and a note on LAMB).
   Decoupled against L2 weight decay on a loss whose gradient is zero, RAdam's
   warm-up rectification step by step, Lion's sign update, LAMB's trust ratio, and
   the four on f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2). Figure data goes to out/. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>

static const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0};   /* f = 0.1 x1^2 + 2 x2^2 */

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch11_adamw: cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
}

static double norm3(const double *w) { return sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]); }

/* Weight decay alone: w0 = (1, -2, 3), the loss gradient is 0 at every step,
   lr 0.01. Five optimizers side by side; their weight norms go to the file. */
static int decay_demo(const char *path)
{
    static const char *names[5] = {"AdamW, lambda 0.1", "AdamW, lambda 0.01", "Adam + L2, lambda 0.1",
                                   "Adam + L2, lambda 0.01", "SGD + L2, lambda 0.1"};
    static const ofs_optim_kind kinds[5] = {OFS_ADAMW, OFS_ADAMW, OFS_ADAM, OFS_ADAM, OFS_SGD};
    static const int when[5] = {10, 100, 300, 1000, 0};
    ofs_optim o[5];
    double w[5][3], zero[3] = {0, 0, 0}, norms[5][4];
    FILE *f = open_out(path);
    int j, t, k = 0;
    if (!f) return 1;
    for (j = 0; j < 5; j++) {
        ofs_optim_config c = ofs_optim_defaults(kinds[j]);
        c.lr = 0.01; c.weight_decay = j == 1 || j == 3 ? 0.01 : 0.1;
        w[j][0] = 1; w[j][1] = -2; w[j][2] = 3;
        if (ofs_optim_init(&o[j], &c, 3, NULL) != OFS_OK) { fclose(f); return 1; }
    }
    fprintf(f, "# step adamw_0.1 adamw_0.01 adam_l2_0.1 adam_l2_0.01 sgd_l2_0.1 closed_form_0.1   (|w|, zero loss gradient, lr 0.01)\n");
    fprintf(f, "0 %.8g %.8g %.8g %.8g %.8g %.8g\n", norm3(w[0]), norm3(w[1]), norm3(w[2]), norm3(w[3]), norm3(w[4]), norm3(w[0]));
    for (t = 1; t <= 1000; t++) {
        for (j = 0; j < 5; j++) ofs_optim_step(&o[j], w[j], zero, NULL);
        fprintf(f, "%d %.8g %.8g %.8g %.8g %.8g %.8g\n", t, norm3(w[0]), norm3(w[1]), norm3(w[2]), norm3(w[3]), norm3(w[4]),
                sqrt(14.0) * pow(1 - 0.01 * 0.1, t));
        if (t == when[k]) { for (j = 0; j < 5; j++) norms[j][k] = norm3(w[j]); k++; }
        if (t == 50) printf("  Adam + L2 (lambda 0.1) after 50 steps: w = (%.2f, %.2f, %.2f)\n", w[2][0], w[2][1], w[2][2]);
    }
    printf("  |w| at step               0          10         100        300        1000\n");
    for (j = 0; j < 5; j++)
        printf("  %-24s  %.6f   %.6f   %.6f   %.6f   %.6f\n", names[j], sqrt(14.0), norms[j][0], norms[j][1], norms[j][2], norms[j][3]);
    printf("  |w0| (1 - lr lambda)^t    %.6f   %.6f   %.6f   %.6f   %.6f   (lambda 0.1)\n", sqrt(14.0),
           sqrt(14.0) * pow(0.999, 10), sqrt(14.0) * pow(0.999, 100), sqrt(14.0) * pow(0.999, 300), sqrt(14.0) * pow(0.999, 1000));
    printf("  Adam + L2 after 1000 steps: w = (%.6f, %.6f, %.6f)\n", w[2][0], w[2][1], w[2][2]);
    for (j = 0; j < 5; j++) ofs_optim_free(&o[j]);
    return fclose(f) != 0;
}

/* Decay with real gradients: two weights start at 1, the loss is flat, and their
   gradients are pure noise, N(0, 0.01^2) for the first and N(0, 1) for the second.
   The mean of each weight over 200 seeds after 1000 steps (lr 0.01, lambda 0.1):
   AdamW decays both by (1 - lr lambda)^t; Adam + L2 divides the decay term by the
   root of the gradient's second moment, so the quiet weight decays much harder. */
static int noise_demo(void)
{
    static const char *names[2] = {"AdamW", "Adam + L2"};
    static const ofs_optim_kind kinds[2] = {OFS_ADAMW, OFS_ADAM};
    const double sigma[2] = {0.01, 1.0};
    int j, s, t;
    printf("  mean weight after 1000 steps      quiet (noise 0.01)   loud (noise 1)\n");
    for (j = 0; j < 2; j++) {
        double mean[2] = {0, 0};
        for (s = 1; s <= 200; s++) {
            ofs_optim_config c = ofs_optim_defaults(kinds[j]);
            ofs_optim o;
            ofs_rng rng;
            double w[2] = {1, 1}, g[2];
            c.lr = 0.01; c.weight_decay = 0.1;
            ofs_rng_seed(&rng, (uint64_t)s);
            if (ofs_optim_init(&o, &c, 2, NULL) != OFS_OK) return 1;
            for (t = 0; t < 1000; t++) {
                g[0] = sigma[0] * ofs_rng_normal(&rng); g[1] = sigma[1] * ofs_rng_normal(&rng);
                ofs_optim_step(&o, w, g, NULL);
            }
            mean[0] += w[0] / 200; mean[1] += w[1] / 200;
            ofs_optim_free(&o);
        }
        printf("  %-32s  %-19.6f  %.6f\n", names[j], mean[0], mean[1]);
    }
    printf("  (1 - lr lambda)^1000              %.6f\n", pow(1 - 0.01 * 0.1, 1000));
    return 0;
}

/* RAdam with a constant gradient g = 1 on one parameter (beta2 0.999): the
   library's step divided by lr, beside rho_t and the rectification r_t computed
   here from their formulas. Until rho_t > 5 the step is m^ lr (= lr here). */
static int radam_table(void)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_RADAM);
    ofs_optim o;
    double th = 0, one = 1.0, b2 = c.beta2, rho_inf = 2 / (1 - b2) - 1;
    int t;
    if (ofs_optim_init(&o, &c, 1, NULL) != OFS_OK) return 1;
    printf("  rho_inf = 2/(1-beta2) - 1 = %.1f\n", rho_inf);
    printf("  t    rho_t       rectified   r_t         step / lr (library)\n");
    for (t = 1; t <= 1000; t++) {
        double before = th, rho = rho_inf - 2 * t * pow(b2, t) / (1 - pow(b2, t)), r = 0;
        if (rho > 5) r = sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho));
        ofs_optim_step(&o, &th, &one, NULL);
        if (t <= 8 || t == 100 || t == 1000)
            printf("  %-4d %-10.6f  %-10s  %-10.6f  %.6f\n", t, rho, rho > 5 ? "yes" : "no", r, (before - th) / c.lr);
    }
    ofs_optim_free(&o);
    return 0;
}

/* Lion: one step from theta = 0 with gradients of very different sizes. */
static int lion_demo(void)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_LION);
    ofs_optim o;
    double th[3] = {0, 0, 0}, g[3] = {100, 0.001, -3};
    c.lr = 1e-4; c.weight_decay = 0;
    if (ofs_optim_init(&o, &c, 3, NULL) != OFS_OK) return 1;
    ofs_optim_step(&o, th, g, NULL);
    printf("  gradient (100, 0.001, -3): step / lr = (%g, %g, %g)\n", th[0] / c.lr, th[1] / c.lr, th[2] / c.lr);
    ofs_optim_free(&o);
    return 0;
}

/* Rprop: on f = 0.1 x1^2 + 2 x2^2 from (-5, -2), each coordinate's step size grows by
   etaplus while its gradient keeps its sign and shrinks by etaminus when it flips
   (no move that step); lr = 0.5 is only the first step size. */
static int rprop_demo(void)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_RPROP);
    ofs_optim o;
    double th[2] = {-5, -2}, g[2];
    int t;
    c.lr = 0.5;
    if (ofs_optim_init(&o, &c, 2, NULL) != OFS_OK) return 1;
    printf("  t    x1          x2          step size 1  step size 2\n");
    for (t = 1; t <= 12; t++) {
        g[0] = 0.2 * th[0]; g[1] = 4 * th[1];
        ofs_optim_step(&o, th, g, NULL);
        printf("  %-4d %-10.6f  %-10.6f  %-11.6f  %.6f\n", t, th[0], th[1], o.s[1][0], o.s[1][1]);
    }
    for (; t <= 100; t++) { g[0] = 0.2 * th[0]; g[1] = 4 * th[1]; ofs_optim_step(&o, th, g, NULL); }
    printf("  after 100 steps: x1 %.3e, x2 %.3e; step sizes %.3e, %.3e\n", th[0], th[1], o.s[1][0], o.s[1][1]);
    ofs_optim_free(&o);
    return 0;
}

/* LAMB: the first step's length is lr |theta| whatever the size of the gradient. */
static int lamb_demo(void)
{
    int s;
    for (s = 0; s < 2; s++) {
        ofs_optim_config c = ofs_optim_defaults(OFS_LAMB);
        ofs_optim o;
        double th[3] = {1, -2, 3}, g[3] = {0.5, 0.1, -0.2}, d[3];
        double scale = s == 0 ? 1.0 : 1000.0;
        int i;
        c.lr = 0.01;
        for (i = 0; i < 3; i++) g[i] *= scale;
        if (ofs_optim_init(&o, &c, 3, NULL) != OFS_OK) return 1;
        ofs_optim_step(&o, th, g, NULL);
        d[0] = th[0] - 1; d[1] = th[1] + 2; d[2] = th[2] - 3;
        printf("  gradient x %-6g |step| / |theta| = %.6f  (lr = %g)\n", scale, norm3(d) / sqrt(14.0), c.lr);
        ofs_optim_free(&o);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const char *names[4] = {"AdamW (lambda 0.01)", "NAdam", "RAdam", "Lion (lambda 0)"};
    static const ofs_optim_kind kinds[4] = {OFS_ADAMW, OFS_NADAM, OFS_RADAM, OFS_LION};
    static const double box[4] = {-5.5, 3.5, -3, 3};
    double path[101 * 3];
    FILE *paths;
    ofs_err err;
    int j;
    (void)argc; (void)argv;                   /* --smoke: the full run takes milliseconds */

    printf("Weight decay with a zero loss gradient: w0 = (1, -2, 3), lr 0.01 (out/ch11_norms.dat)\n");
    if (decay_demo("out/ch11_norms.dat")) return 1;

    printf("\nWeight decay with noisy gradients: w0 = (1, 1), a flat loss, gradient noise of size 0.01 and 1,\n"
           "lr 0.01, lambda 0.1, 200 seeds:\n");
    if (noise_demo()) return 1;
    printf("\nRAdam's rectification (beta2 0.999), constant gradient g = 1:\n");
    if (radam_table()) return 1;

    printf("\nLion moves every coordinate by exactly lr (lr 1e-4, no decay):\n");
    if (lion_demo()) return 1;

    printf("\nRprop: sign steps with their own sizes (etas 0.5, 1.2; first step size 0.5):\n");
    if (rprop_demo()) return 1;
    printf("\nLAMB scales the step to lr |theta| (trust ratio |theta| / |u|), lr 0.01:\n");
    if (lamb_demo()) return 1;

    if (ofs_toy_grid_save("out/ch11_grid.dat", &quad, box, 91, 61, 0, &err) != OFS_OK) {
        fprintf(stderr, "ch11_adamw: %s\n", err.msg);
        return 1;
    }
    if (!(paths = open_out("out/ch11_paths.dat"))) return 1;
    fprintf(paths, "# step x1 x2 f   blocks: AdamW | NAdam | RAdam | Lion   (lr 0.1, 100 steps)\n");
    printf("\nf(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2), lr 0.1:\n");
    printf("                         after 20 steps                after 100 steps\n");
    for (j = 0; j < 4; j++) {                 /* row 20 of the path is the point after 20 steps */
        ofs_optim_config c = ofs_optim_defaults(kinds[j]);
        double x[2] = {-5, -2};
        c.lr = 0.1;
        if (kinds[j] == OFS_LION) c.weight_decay = 0;
        if (ofs_toy_trace(&quad, &c, x, 100, path, &err) != OFS_OK || ofs_toy_trace_write(paths, &quad, path, 100, &err) != OFS_OK) {
            fprintf(stderr, "ch11_adamw: %s\n", err.msg);
            fclose(paths);
            return 1;
        }
        printf("  %-20s   x1: %9f, x2: %9f   x1: %9f, x2: %9f  f: %.2e\n", names[j], path[3 * 20], path[3 * 20 + 1],
               x[0], x[1], path[3 * 100 + 2]);
        if (kinds[j] == OFS_LION) {        /* where Lion's long memory takes it after step 20 */
            int k, kx = 20, ky = 20;
            for (k = 20; k <= 100; k++) {
                if (path[3 * k] > path[3 * kx]) kx = k;
                if (path[3 * k + 1] > path[3 * ky + 1]) ky = k;
            }
            printf("  Lion's largest x1 %f (step %d), largest x2 %f (step %d)\n", path[3 * kx], kx, path[3 * ky + 1], ky);
        }
    }
    return fclose(paths) != 0;
}
