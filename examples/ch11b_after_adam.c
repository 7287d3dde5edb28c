/* cc -std=c99 -O2 -I. examples/ch11b_after_adam.c -o ch11b_after_adam -lm */
/* Chapter 11b: optimizers after Adam. Schedule-Free's three sequences z, x, y on
   f(w) = w^2 / 2 with noisy gradients, then Schedule-Free AdamW against AdamW with
   warmup + cosine on f(w) = (w1^2 + 10 w2^2) / 2 with noisy gradients, at three
   run lengths, each learning rate the best of a grid. Then Muon: the singular values
   of a hidden weight matrix's gradient before and after Newton-Schulz, and the
   iteration's map of one singular value; and Adafactor: the state it keeps for a
   784-512-256-10 network against AdamW's, and how close its rank-1 fit of g^2 is.
   Figure data goes to out/. --smoke is the same run (it takes about a second). */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <math.h>

#define NOISE 1.0       /* standard deviation of each gradient coordinate's noise */

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "ch11b_after_adam: cannot open %s for writing (run from the repository root; make creates out/)\n", path);
    return f;
}

/* The three sequences of Schedule-Free SGD in 1-D: params hold y, o.s[0] is z,
   ofs_optim_eval_params gives x. One row per step to out/ch11b_sequences.dat. */
static int sequences(const char *path)
{
    static const int when[5] = {1, 10, 50, 100, 300};
    ofs_optim o;
    ofs_optim_config c = ofs_optim_defaults(OFS_SFSGD);
    ofs_rng rng;
    double y = 4, x = 4, g, sz = 0, szz = 0, sx = 0, sxx = 0;
    FILE *f = open_out(path);
    int t, k = 0;
    if (!f) return 1;
    c.lr = 0.2;
    if (ofs_optim_init(&o, &c, 1, NULL) != OFS_OK) { fclose(f); return 1; }
    ofs_rng_seed(&rng, 1);
    printf("Schedule-Free SGD, lr %g, beta1 %g, on f(w) = w^2/2 with gradient noise N(0, %g), from w = 4\n", c.lr, c.beta1, NOISE);
    printf("step          z          x          y\n");
    fprintf(f, "# Schedule-Free SGD on f(w) = w^2/2, noisy gradients (examples/ch11b_after_adam.c)\n# step z x y\n");
    fprintf(f, "0 4 4 4\n");
    for (t = 1; t <= 300; t++) {
        g = y + NOISE * ofs_rng_normal(&rng);          /* the gradient is taken at y */
        ofs_optim_step(&o, &y, &g, NULL);
        ofs_optim_eval_params(&o, &y, &x);
        fprintf(f, "%d %.6f %.6f %.6f\n", t, o.s[0][0], x, y);
        if (k < 5 && t == when[k]) { printf("%4d  %9.4f  %9.4f  %9.4f\n", t, o.s[0][0], x, y); k++; }
        if (t > 200) { sz += o.s[0][0]; szz += o.s[0][0] * o.s[0][0]; sx += x; sxx += x * x; }
    }
    printf("over steps 201-300: sd(z) = %.3f, sd(x) = %.3f, mean x = %.3f\n", sqrt(szz / 100 - sz * sz / 1e4),
           sqrt(sxx / 100 - sx * sx / 1e4), sx / 100);
    ofs_optim_free(&o);
    fclose(f);
    return 0;
}

/* f(w) = (w1^2 + 10 w2^2) / 2 at the evaluation point. */
static double loss(const double *w) { return 0.5 * (w[0] * w[0] + 10 * w[1] * w[1]); }

#define NSEEDS 20
#define NLR 8
#define WARMUP 10
static const double lrs[NLR] = {0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0};
static const int horizons[3] = {50, 200, 800};

/* One run of `steps` steps; the mean loss at the evaluation point after each step
   in at[0..na) is added to sum[] (and after every step to curve[], if not NULL). sched: AdamW's warmup + cosine fitted to `plan`
   steps (0: Schedule-Free AdamW, constant lr after its own warmup). */
static void run(ofs_optim_kind kind, double lr, int plan, int steps, const int *at, int na, double *sum, double *curve)
{
    int seed, t, k;
    for (seed = 1; seed <= NSEEDS; seed++) {
        ofs_optim o;
        ofs_optim_config c = ofs_optim_defaults(kind);
        ofs_sched s = ofs_sched_defaults(OFS_SCHED_COSINE, lr);
        ofs_rng rng;
        double w[2] = {3, -2}, g[2], e[2];
        c.lr = lr; c.weight_decay = 0;
        if (kind == OFS_SFADAMW) c.warmup_steps = WARMUP;
        s.warmup_steps = WARMUP;
        if (plan) ofs_sched_set_run(&s, plan, NULL);
        ofs_optim_init(&o, &c, 2, NULL);
        ofs_rng_seed(&rng, (uint64_t)seed);
        for (t = 1, k = 0; t <= steps; t++) {
            if (plan) ofs_sched_apply(&s, t - 1, &o.cfg, NULL);
            g[0] = w[0] + NOISE * ofs_rng_normal(&rng);
            g[1] = 10 * w[1] + NOISE * ofs_rng_normal(&rng);
            ofs_optim_step(&o, w, g, NULL);
            ofs_optim_eval_params(&o, w, e);
            if (curve) curve[t - 1] += loss(e) / NSEEDS;
            if (k < na && t == at[k]) sum[k++] += loss(e) / NSEEDS;
        }
        ofs_optim_free(&o);
    }
}

static int comparison(const char *path)
{
    static double curve[2][800];
    double best[3][3], best_lr[3][3], early = 0, early_lr = 0;
    int h, j, m, t;
    FILE *f;
    for (h = 0; h < 3; h++) for (m = 0; m < 3; m++) best[h][m] = HUGE_VAL;
    for (j = 0; j < NLR; j++) {
        double sf[3] = {0, 0, 0}, cst[3] = {0, 0, 0}, planned[2] = {0, 0};
        static const int two[2] = {200, 800};
        run(OFS_SFADAMW, lrs[j], 0, 800, horizons, 3, sf, NULL);       /* one run serves every horizon */
        run(OFS_ADAMW, lrs[j], 0, 800, horizons, 3, cst, NULL);
        run(OFS_ADAMW, lrs[j], 800, 800, two, 2, planned, NULL);       /* planned for 800, read at 200 */
        for (h = 0; h < 3; h++) {
            double cos_h = 0;
            run(OFS_ADAMW, lrs[j], horizons[h], horizons[h], horizons + h, 1, &cos_h, NULL);   /* one run per horizon */
            if (cos_h < best[h][0]) { best[h][0] = cos_h; best_lr[h][0] = lrs[j]; }
            if (sf[h] < best[h][1]) { best[h][1] = sf[h]; best_lr[h][1] = lrs[j]; }
            if (cst[h] < best[h][2]) { best[h][2] = cst[h]; best_lr[h][2] = lrs[j]; }
        }
        if (j == 0 || planned[0] < early) { early = planned[0]; early_lr = lrs[j]; }
    }
    printf("\nf(w) = (w1^2 + 10 w2^2)/2 from (3, -2), gradient noise N(0, %g) per coordinate; mean loss at the\n", NOISE);
    printf("evaluation point over %d seeds, each lr the best of", NSEEDS);
    for (j = 0; j < NLR; j++) printf(" %g", lrs[j]);
    printf("; %d warmup steps for all\n", WARMUP);
    printf("steps   adamw warmup+cosine (lr)   sfadamw (lr)         adamw constant (lr)\n");
    for (h = 0; h < 3; h++)
        printf("%5d   %12.3e (%-5g)       %12.3e (%-5g)   %12.3e (%-5g)\n", horizons[h], best[h][0], best_lr[h][0],
               best[h][1], best_lr[h][1], best[h][2], best_lr[h][2]);
    printf("adamw warmup+cosine planned for 800 steps, stopped at 200: %.3e (best lr %g)\n", early, early_lr);
    f = open_out(path);
    if (!f) return 1;
    fprintf(f, "# mean loss at the evaluation point over %d seeds, each at its 800-step best lr (examples/ch11b_after_adam.c)\n", NSEEDS);
    fprintf(f, "# step adamw_warmup_cosine_800 sfadamw\n");
    run(OFS_ADAMW, best_lr[2][0], 800, 800, horizons, 0, best[0], curve[0]);
    run(OFS_SFADAMW, best_lr[2][1], 0, 800, horizons, 0, best[0], curve[1]);
    for (t = 0; t < 800; t++) fprintf(f, "%d %.6g %.6g\n", t + 1, curve[0][t], curve[1][t]);
    fclose(f);
    return 0;
}

/* ---- Muon ---- */

/* The eigenvalues of the symmetric n x n matrix a (destroyed), by cyclic Jacobi
   rotations in double, into ev, largest first. */
static void eigenvalues(double *a, int n, double *ev)
{
    int sweep, p, q, k, i, j;
    for (sweep = 0; sweep < 60; sweep++) {
        double off = 0;
        for (p = 0; p < n; p++) for (q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
        if (off < 1e-30) break;
        for (p = 0; p < n; p++)
            for (q = p + 1; q < n; q++) {
                double th, t, c, sn;
                if (fabs(a[p * n + q]) < 1e-300) continue;
                th = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q]);
                t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
                c = 1 / sqrt(t * t + 1); sn = t * c;
                for (k = 0; k < n; k++) {      /* A <- A J, then J^T A */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - sn * akq; a[k * n + q] = sn * akp + c * akq;
                }
                for (k = 0; k < n; k++) {
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - sn * aqk; a[q * n + k] = sn * apk + c * aqk;
                }
            }
    }
    for (i = 0; i < n; i++) ev[i] = a[i * n + i];
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++) if (ev[j] > ev[i]) { double tmp = ev[i]; ev[i] = ev[j]; ev[j] = tmp; }
}

/* The singular values of the rows x cols matrix m (rows <= cols), largest first. */
static void singular_values(const double *m, int rows, int cols, double *sv)
{
    double mmt[64 * 64];
    int i;
    ofs_mat_mul_nt(ofs_mat_view(mmt, rows, rows), ofs_mat_view((double *)m, rows, cols), ofs_mat_view((double *)m, rows, cols), 0);
    eigenvalues(mmt, rows, sv);
    for (i = 0; i < rows; i++) sv[i] = sqrt(sv[i] > 0 ? sv[i] : 0);
}

static double G[32 * 64];   /* the gradient of muon_spectrum, which adafactor_state fits too */

/* A gradient of a hidden matrix: W2 (32 x 64) of a 784-64-32-10 network (He, seed 1)
   on a batch of 256 of the header's synthetic digits. Then one Muon step from 0 with
   lr 1, no decay: the parameters become -X, X the orthogonalised update. */
static int muon_spectrum(const char *path)
{
    static const int sizes[4] = {784, 64, 32, 10};
    enum { R = 32, C = 64, B = 256 };
    static unsigned char pix[B * 784], lab[B];
    static double x[B * 784];
    double X[R * C], sg[R], sx[R], all = 0;
    ofs_mlp m;
    ofs_rng rng;
    ofs_optim o;
    ofs_optim_config c = ofs_optim_defaults(OFS_MUON);
    FILE *f;
    int i, k;
    ofs_mnist_synthetic(pix, lab, B, 7);
    for (i = 0; i < B * 784; i++) x[i] = pix[i] / 255.0;
    if (ofs_mlp_create(&m, sizes, 4, OFS_ACT_RELU, B, NULL) != OFS_OK) return 1;
    ofs_rng_seed(&rng, 1);
    ofs_mlp_randomize(&m, OFS_INIT_HE, &rng);
    ofs_mlp_loss_grad(&m, x, lab, B, NULL);
    memcpy(G, m.grads + m.w_off[1], sizeof G);
    ofs_mlp_free(&m);
    c.lr = 1; c.weight_decay = 0;
    if (ofs_optim_init_shape(&o, &c, R * C, R, C, NULL) != OFS_OK) return 1;
    memset(X, 0, sizeof X);
    ofs_optim_step(&o, X, G, NULL);
    for (i = 0; i < R * C; i++) X[i] = -X[i];
    ofs_optim_free(&o);
    singular_values(G, R, C, sg);
    singular_values(X, R, C, sx);
    printf("\nMuon: the gradient of W2 (%d x %d) of a 784-64-32-10 network on %d synthetic digits\n", R, C, B);
    for (k = 0; k < R; k++) all += sg[k] * sg[k];
    printf("its singular values: largest %.3g, smallest %.3g (ratio %.3g); the 3 largest hold %.1f%% of |G|_F^2\n",
           sg[0], sg[R - 1], sg[0] / sg[R - 1], 100 * (sg[0] * sg[0] + sg[1] * sg[1] + sg[2] * sg[2]) / all);
    printf("after 5 Newton-Schulz steps (Muon's update): from %.3f to %.3f\n", sx[R - 1], sx[0]);
    f = open_out(path);
    if (!f) return 1;
    fprintf(f, "# singular values of W2's gradient G (scaled by the largest) and of its Newton-Schulz X (examples/ch11b_after_adam.c)\n");
    fprintf(f, "# index sigma_G/sigma_G_max sigma_X\n");
    for (i = 0; i < R; i++) fprintf(f, "%d %.6g %.6g\n", i + 1, sg[i] / sg[0], sx[i]);
    fprintf(f, "\n\n# the iteration's map of one singular value s (after normalisation): 1 to 5 steps\n# s q1 q2 q3 q4 q5\n");
    for (i = 0; i <= 300; i++) {
        double s = pow(10, -4 + 4.0 * i / 300), q = s;
        fprintf(f, "%.6g", s);
        for (k = 0; k < 5; k++) { q = 3.4445 * q - 4.7750 * q * q * q + 2.0315 * q * q * q * q * q; fprintf(f, " %.6g", q); }
        fprintf(f, "\n");
    }
    fclose(f);
    return 0;
}

/* ---- Adafactor ---- */

/* The state of each: AdamW (m and v for every parameter) and Adafactor (a row and a
   column factor per weight matrix, v for the biases) on 784-512-256-10; and the rank-1
   fit R C^T / mean(R) of G^2 (Adafactor's first step) against G^2 itself. */
static int adafactor_state(void)
{
    static const int sizes[4] = {784, 512, 256, 10};
    ofs_optim_config aw = ofs_optim_defaults(OFS_ADAMW), af = ofs_optim_defaults(OFS_ADAFACTOR);
    ofs_mlp m;
    ofs_trainer t[2];
    ofs_rng rng;
    size_t n[2] = {0, 0}, i, j;
    double R[32], Cc[64], rm = 0, e2 = 0, g4 = 0;
    int g, k, q;
    if (ofs_mlp_create(&m, sizes, 4, OFS_ACT_RELU, 1, NULL) != OFS_OK) return 1;
    ofs_rng_seed(&rng, 1);
    if (ofs_trainer_create(&t[0], &m, &aw, 0, 1, 1, &rng, NULL) != OFS_OK ||
        ofs_trainer_create_layers(&t[1], &m, &af, NULL, 1, 1, &rng, NULL) != OFS_OK) return 1;
    for (q = 0; q < 2; q++) {
        for (g = 0; g < t[q].ngroups; g++) for (k = 0; k < 3; k++) n[q] += ofs_optim_state_size(&t[q].opt[g], k);
        ofs_trainer_free(&t[q]);
    }
    printf("\nAdafactor: the optimizer state of a 784-512-256-10 network (%lu parameters)\n", (unsigned long)m.nparams);
    printf("adamw %lu numbers (%.0f per parameter), adafactor %lu (%.4f per parameter)\n", (unsigned long)n[0],
           (double)n[0] / (double)m.nparams, (unsigned long)n[1], (double)n[1] / (double)m.nparams);
    ofs_mlp_free(&m);
    for (i = 0; i < 32; i++) { R[i] = 0; for (j = 0; j < 64; j++) R[i] += G[i * 64 + j] * G[i * 64 + j] / 64; rm += R[i] / 32; }
    for (j = 0; j < 64; j++) { Cc[j] = 0; for (i = 0; i < 32; i++) Cc[j] += G[i * 64 + j] * G[i * 64 + j] / 32; }
    for (i = 0; i < 32; i++)
        for (j = 0; j < 64; j++) {
            double g2 = G[i * 64 + j] * G[i * 64 + j], v = R[i] * Cc[j] / rm;
            e2 += (v - g2) * (v - g2); g4 += g2 * g2;
        }
    printf("the rank-1 fit of W2's G^2 (32 + 64 numbers for 2048): relative error %.3f (Frobenius)\n", sqrt(e2 / g4));
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;                   /* --smoke: the full run takes about a second */
    if (sequences("out/ch11b_sequences.dat")) return 1;
    if (comparison("out/ch11b_loss.dat")) return 1;
    if (muon_spectrum("out/ch11b_muon.dat") || adafactor_state()) return 1;
    printf("wrote out/ch11b_sequences.dat, out/ch11b_loss.dat, out/ch11b_muon.dat\n");
    return 0;
}
