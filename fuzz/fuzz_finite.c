/* libFuzzer harness for the finiteness property of chapter 14's validation: for any
   configuration that ofs_optim_init accepts and any finite gradients of bounded size
   (|g| <= 1e3), every step succeeds and leaves the parameters, the moments and NAdam's
   running product finite; a configuration that cannot promise that must be refused,
   with a message. The bytes choose everything:
       byte 0      the algorithm (13 kinds)
       byte 1      the flags: nesterov, maximize, amsgrad, centered, decoupled_weight_decay,
                   eps_inside_sqrt, ema_momentum (one bit each)
       byte 2, 3   n = 1..8 parameters, 1..16 steps
       then, for each real hyperparameter (lr, weight_decay, ..., momentum_decay), one
       byte: keep the default, or a special value (0, 1, 1e-30, 1e30, inf, nan, ...),
       or the default scaled by a power of 2, or any double from the next 8 bytes;
       then 2 bytes per starting parameter (|x| <= 1e3) and 2 per gradient element
       (sign, a power of ten from 1e-45 to 1e3, a mantissa; |g| <= 1e3). Missing bytes
       are zeros. Each run is at most 8 parameters and 16 steps: cheap.
     clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. fuzz/fuzz_finite.c -o build/fuzz_finite -lm
   Built with -DFUZZ_REPLAY it replays files given on the command line. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bytes { const uint8_t *p; size_t n, at; } bytes;

static unsigned take(bytes *b) { return b->at < b->n ? b->p[b->at++] : 0u; }

static double take_double(bytes *b)
{
    uint64_t u = 0;
    double d;
    int i;
    for (i = 0; i < 8; i++) u |= (uint64_t)take(b) << (8 * i);
    memcpy(&d, &u, sizeof d);
    return d;
}

/* One hyperparameter from the bytes, starting from its default. */
static double take_field(bytes *b, double def)
{
    static const double special[16] = {0, 1, 0.5, 0.9, 0.999, 1 - 1e-16, 1e-30, 1e-45, 1e-300, 1e3, 1e6, 1e30,
                                       1e300, -1, 0, 2};
    unsigned c = take(b);
    switch (c % 4) {
    case 0: return def;
    case 1: return c / 4 == 63 ? (c & 1 ? (double)INFINITY : (double)NAN) : special[(c / 4) % 16];
    case 2: return ldexp(def == 0 ? 1.0 : def, (int)(c / 4) - 32);
    default: return take_double(b);
    }
}

/* sign, a power of ten in [-45, 3] and a mantissa in [1, 10), capped at 1e3; 0 sometimes. */
static ofs_real take_grad(bytes *b)
{
    unsigned a = take(b), m = take(b);
    double g;
    if (a % 50 == 49) return 0;
    g = (1 + 9.0 * m / 256) * pow(10.0, (double)((int)(a % 49) - 45));
    if (g > 1e3) g = 1e3;
    return (ofs_real)(a & 0x80 ? -g : g);
}

static int all_finite(const ofs_real *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!((double)x[i] - (double)x[i] == 0)) return 0;
    return 1;
}

static void report(const ofs_optim *o, int step, const char *what)
{
    const ofs_optim_config *c = &o->cfg;
    fprintf(stderr, "fuzz_finite: %s after step %d of %s over %lu parameters\n"
            "  lr %.17g wd %.17g momentum %.17g dampening %.17g alpha %.17g rho %.17g beta1 %.17g beta2 %.17g\n"
            "  eps %.17g eps_root %.17g lr_decay %.17g s0 %.17g momentum_decay %.17g\n"
            "  nesterov %d maximize %d amsgrad %d centered %d decoupled %d inside %d ema %d\n",
            what, step, ofs_optim_name(c->kind), (unsigned long)o->n, c->lr, c->weight_decay, c->momentum, c->dampening,
            c->alpha, c->rho, c->beta1, c->beta2, c->eps, c->eps_root, c->lr_decay, c->initial_accumulator_value,
            c->momentum_decay, c->nesterov, c->maximize, c->amsgrad, c->centered, c->decoupled_weight_decay,
            c->eps_inside_sqrt, c->ema_momentum);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bytes b;
    ofs_optim o;
    ofs_optim_config c;
    ofs_err err;
    ofs_real p[8], g[8];
    unsigned flags;
    size_t n, i;
    int steps, s, k;
    b.p = data; b.n = size; b.at = 0;
    c = ofs_optim_defaults((ofs_optim_kind)(take(&b) % OFS_OPTIM_COUNT));
    flags = take(&b);
    c.nesterov = flags & 1; c.maximize = flags >> 1 & 1; c.amsgrad = flags >> 2 & 1; c.centered = flags >> 3 & 1;
    c.decoupled_weight_decay = flags >> 4 & 1; c.eps_inside_sqrt = flags >> 5 & 1; c.ema_momentum = flags >> 6 & 1;
    n = 1 + take(&b) % 8;
    steps = 1 + (int)(take(&b) % 16);
#define FIELD(f) c.f = take_field(&b, c.f);
    FIELD(lr) FIELD(weight_decay) FIELD(momentum) FIELD(dampening) FIELD(alpha) FIELD(rho) FIELD(beta1) FIELD(beta2)
    FIELD(eps) FIELD(eps_root) FIELD(lr_decay) FIELD(initial_accumulator_value) FIELD(momentum_decay)
#undef FIELD
    for (i = 0; i < n; i++) { int v = (int)(take(&b) << 8 | take(&b)) - 32768; p[i] = (ofs_real)(v / 32.768); }
    if (ofs_optim_init(&o, &c, n, &err) != OFS_OK) {
        if (err.msg[0] == 0) { fprintf(stderr, "fuzz_finite: refused without a message\n"); abort(); }
        return 0;
    }
    if ((c.kind == OFS_ADABELIEF || (c.kind == OFS_RMSPROP && c.centered)) && c.weight_decay > 0) {
        ofs_optim_free(&o);   /* the two combinations chapter 14 excludes from the promise */
        return 0;
    }
    for (s = 1; s <= steps; s++) {
        for (i = 0; i < n; i++) g[i] = take_grad(&b);
        if (ofs_optim_step(&o, p, g, &err) != OFS_OK) { fprintf(stderr, "%s\n", err.msg); report(&o, s, "a step refused"); }
        if (!all_finite(p, n)) report(&o, s, "non-finite parameters");
        for (k = 0; k < 3; k++)
            if (o.s[k] && !all_finite(o.s[k], n)) report(&o, s, "a non-finite moment");
        if (!(o.mu_product - o.mu_product == 0)) report(&o, s, "a non-finite mu_product");
    }
    ofs_optim_free(&o);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif
