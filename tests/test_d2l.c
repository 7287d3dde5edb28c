/* The numbers Dive into Deep Learning prints in its optimization chapter,
   reproduced by the library's own update rules in double and printed with %f. */
#define OFS_REAL double
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include <string.h>

/* Run `steps` updates of cfg on toy t from x0; return the final point as "%f" text. */
static void run(const ofs_toy *t, ofs_optim_config cfg, const double *x0, int steps, char *out, size_t size)
{
    ofs_optim o;
    double x[2], g[2];
    int s, dim = ofs_toy_dim(t);
    memcpy(x, x0, sizeof x);
    CHECK(ofs_optim_init(&o, &cfg, (size_t)dim, NULL) == OFS_OK, "init %s", ofs_optim_name(cfg.kind));
    for (s = 0; s < steps; s++) {
        ofs_toy_eval(t, x, g, NULL);
        ofs_optim_step(&o, x, g, NULL);
    }
    if (dim == 1) snprintf(out, size, "%f", x[0]);
    else snprintf(out, size, "%f, %f", x[0], x[1]);
    ofs_optim_free(&o);
}

static ofs_optim_config with(ofs_optim_kind kind, double lr)
{
    ofs_optim_config c = ofs_optim_defaults(kind);
    c.lr = lr;
    return c;
}

#define EXPECT(t, cfg, x0, steps, want) do { char got_[64]; run(t, cfg, x0, steps, got_, sizeof got_); \
        CHECK(strcmp(got_, want) == 0, "%s: got %s, want %s", #cfg, got_, want); } while (0)

int main(void)
{
    ofs_toy sq = ofs_toy_make(OFS_TOY_SQUARE), xc = ofs_toy_make(OFS_TOY_XCOS);
    ofs_toy q12 = ofs_toy_make(OFS_TOY_QUAD), q01 = ofs_toy_make(OFS_TOY_QUAD);
    ofs_toy ch = ofs_toy_make(OFS_TOY_COSH);
    double ten[2] = {10, 0}, p0[2] = {-5, -2}, x[1] = {10};
    ofs_optim_config mom = with(OFS_SGD, 0.6), ada = with(OFS_ADAGRAD, 0.4), rms = with(OFS_RMSPROP, 0.4);
    static const char *newton[6] = {"8.000182", "6.001523", "4.011398", "2.082542", "0.525763", "0.011786"};
    char buf[64];
    int i;

    xc.a = 0.15 * M_PI;
    q01.a = 0.1;
    mom.momentum = 0.5;
    ada.eps_inside_sqrt = 1; ada.eps = 1e-6;
    rms.eps_inside_sqrt = 1; rms.eps = 1e-6; rms.alpha = 0.9;

    /* D2L 12.3: gradient descent */
    EXPECT(&sq, with(OFS_SGD, 0.2), ten, 10, "0.060466");
    EXPECT(&sq, with(OFS_SGD, 0.05), ten, 10, "3.486784");
    EXPECT(&sq, with(OFS_SGD, 1.1), ten, 10, "61.917364");
    EXPECT(&xc, with(OFS_SGD, 2.0), ten, 10, "-1.528166");
    EXPECT(&q12, with(OFS_SGD, 0.1), p0, 20, "-0.057646, -0.000073");
    /* D2L 12.6-12.8: momentum, Adagrad, RMSProp on 0.1 x1^2 + 2 x2^2 */
    EXPECT(&q01, with(OFS_SGD, 0.4), p0, 20, "-0.943467, -0.000073");
    EXPECT(&q01, mom, p0, 20, "0.007188, 0.002553");
    EXPECT(&q01, ada, p0, 20, "-2.382563, -0.158591");
    EXPECT(&q01, rms, p0, 20, "-0.010599, 0.000000");
    /* D2L 12.3.3: Newton's method on cosh(0.5 x) from 10 */
    for (i = 0; i < 6; i++) {
        CHECK(ofs_newton_step(&ch, x, 1.0, 0.0, NULL) == OFS_OK, "newton step %d", i + 1);
        snprintf(buf, sizeof buf, "%f", x[0]);
        CHECK(strcmp(buf, newton[i]) == 0, "newton step %d: got %s, want %s", i + 1, buf, newton[i]);
    }
    return harness_done("test_d2l");
}
