/* wrap_draft.h - Lookahead, SAM and ASAM: wrappers around any optimizer, for
   chapter 11b of optimfs.h. A draft to be pasted into the header: PART 1 goes into
   the declarations (after chapter 5's weight averaging), PART 2 into the
   implementation (chapter 11b, after Schedule-Free). Until then it is included
   after optimfs.h, in the translation unit that defines OPTIMFS_IMPLEMENTATION,
   so that its implementation may use the header's private helpers. */
#ifndef OFS_WRAP_DRAFT_H
#define OFS_WRAP_DRAFT_H

/* ============================ PART 1: declarations ============================ */

/* ---- Chapter 11b: wrappers around any optimizer: Lookahead, SAM and ASAM ------ */
/* Lookahead (Zhang et al. 2019): k steps of the base optimizer (the fast weights),
   then the slow weights move a fraction alpha towards them and the fast weights
   restart from there. The base optimizer's state (moments, t) is left as it is. */
typedef struct ofs_lookahead_config {
    int k;                 /* [5] base steps per sync, >= 1 (upstream's la_steps) */
    double alpha;          /* [0.8] the slow weights' step towards the fast, in (0, 1] (la_alpha) */
} ofs_lookahead_config;
typedef struct ofs_lookahead {
    ofs_lookahead_config cfg;  /* fixed after init: a saved state must have the same */
    size_t n;
    int64_t count;         /* base steps since the last sync, 0 .. k-1 (upstream's _la_step) */
    ofs_real *slow;        /* phi, n values, owned: a copy of the parameters at init; the
                              weights to evaluate (params equal them after steps k, 2k, ...) */
} ofs_lookahead;
OFSDEF ofs_lookahead_config ofs_lookahead_defaults(void);             /* the authors' code's */
OFSDEF ofs_status ofs_lookahead_validate(const ofs_lookahead_config *c, ofs_err *err);
/* The slow weights start as a copy of params (n values). */
OFSDEF ofs_status ofs_lookahead_init(ofs_lookahead *la, const ofs_lookahead_config *c, const ofs_real *params,
                                     size_t n, ofs_err *err);
/* One step: ofs_optim_step(base, params, grads), then the sync when count reaches k.
   base must be over the same n; a gradient that is not finite is refused with
   OFS_ERR_NONFINITE before anything changes. */
OFSDEF ofs_status ofs_lookahead_step(ofs_lookahead *la, ofs_optim *base, ofs_real *params, const ofs_real *grads,
                                     ofs_err *err);
/* The second half alone, for a caller that stepped its optimizers itself (several
   groups over one array, ofs_sam_step, a trainer): count += 1, and at k the sync.
   A sync refuses parameters that are not finite (OFS_ERR_NONFINITE; slow and count
   unchanged), so the slow weights never take a NaN. */
OFSDEF ofs_status ofs_lookahead_after_step(ofs_lookahead *la, ofs_real *params, ofs_err *err);
OFSDEF void       ofs_lookahead_free(ofs_lookahead *la);
OFSDEF void       ofs_lookahead_save(const ofs_lookahead *la, ofs_buf *b);   /* n, k, alpha, count, slow */
/* Refuses another n, k or alpha (OFS_ERR_MISMATCH), a count outside [0, k) or a slow
   weight that is not finite (OFS_ERR_FORMAT); a refused state changes nothing. */
OFSDEF ofs_status ofs_lookahead_load(ofs_lookahead *la, ofs_reader *r, ofs_err *err);

/* SAM (Foret et al. 2020) and ASAM (Kwon et al. 2021): the gradient is taken at the
   worst point of a ball of radius rho around w (to first order), w + e, and the base
   optimizer steps w with it. Two gradient evaluations per step; nothing carries over
   from one step to the next but the settings. */
typedef struct ofs_sam_config {
    double rho;            /* [0.05] the ball's radius, in [0, 1e6]; 0: the base optimizer itself */
    int adaptive;          /* [0] 0: SAM; 1: ASAM, the ball scaled by T = |w| + eta */
    double eta;            /* [0.01] ASAM's offset in T, in [0, 1e6] (read only when adaptive) */
    double eps;            /* [1e-12] added to the norm, in [0, 1]: davda54's 1e-12, ASAM's code 1e-16 */
} ofs_sam_config;
typedef struct ofs_sam {
    ofs_sam_config cfg;    /* change freely between steps */
    size_t n;
    size_t adapt_n;        /* ASAM: T = |w| + eta on elements [0, adapt_n), T = 1 after (the
                              biases, in ofs_mlp's layout); n after init */
    double norm;           /* ||T g||_2 of the last perturbation */
    int perturbed;         /* 1 between ofs_sam_perturb and ofs_sam_restore */
    ofs_real *x;           /* n: ofs_sam_step's point w + e; w itself while perturbed */
    ofs_real *g, *g2;      /* n each: the gradients at w and at w + e (ofs_sam_step) */
} ofs_sam;
OFSDEF ofs_sam_config ofs_sam_defaults(void);
OFSDEF ofs_status ofs_sam_validate(const ofs_sam_config *c, ofs_err *err);
OFSDEF ofs_status ofs_sam_init(ofs_sam *s, const ofs_sam_config *c, size_t n, ofs_err *err);
/* One step. grads: the gradient at params (NULL: the step evaluates f there first).
   f is called at x = params + e (in s->x, writing s->g2), and then
   ofs_optim_step(base, params, s->g2): params are never moved before the base step,
   so its weight decay sees w. A non-finite gradient or loss (at w or at x) or point x
   is refused with OFS_ERR_NONFINITE, and then nothing has changed (params, base).
   *loss (may be NULL): f at x, the sharpness-aware loss. */
OFSDEF ofs_status ofs_sam_step(ofs_sam *s, ofs_optim *base, ofs_real *params, const ofs_real *grads,
                               ofs_closure f, void *ctx, double *loss, ofs_err *err);
/* The same in two halves around the caller's own second evaluation:
       ofs_sam_perturb(&s, w, g, err);    w <- w + e, the old w kept in s.x
       ... the gradient g2 at w (now w + e) ...
       ofs_sam_restore(&s, w, err);       w <- the old w, bit for bit
       ofs_optim_step(&base, w, g2, err);
   perturb refuses a non-finite g or w + e (nothing changed); restore refuses a call
   that does not follow a perturb. */
OFSDEF ofs_status ofs_sam_perturb(ofs_sam *s, ofs_real *params, const ofs_real *grads, ofs_err *err);
OFSDEF ofs_status ofs_sam_restore(ofs_sam *s, ofs_real *params, ofs_err *err);
OFSDEF void       ofs_sam_free(ofs_sam *s);
OFSDEF void       ofs_sam_save(const ofs_sam *s, ofs_buf *b);   /* n, adapt_n, rho, adaptive, eta, eps */
/* Refuses another n, adapt_n or setting (OFS_ERR_MISMATCH) or settings out of range
   (OFS_ERR_FORMAT); a refused state changes nothing. */
OFSDEF ofs_status ofs_sam_load(ofs_sam *s, ofs_reader *r, ofs_err *err);

/* ========================== PART 2: implementation ============================ */
#ifdef OPTIMFS_IMPLEMENTATION

/* ---- Wrappers: Lookahead, SAM and ASAM ------------------------------------------
   Each takes any optimizer of chapters 3 to 11b as it is (ofs_optim, its config and
   state untouched) and changes where or how often its steps land.

   Lookahead (Zhang, Lucas, Hinton and Ba, 2019, "Lookahead Optimizer: k steps
   forward, 1 step back", arXiv 1907.08610, Algorithm 1). The base optimizer's steps
   zig-zag across a narrow valley; their mean over a few steps points along it.
   Lookahead lets the base run k steps (the fast weights theta), then moves slow
   weights phi part of the way to where they ended and restarts the fast ones there.
   As the authors' code computes it (michaelrzhang/lookahead, commit
   c4fd85f73cdaa6450eacf7d52d9050d9ff98a6e1, lookahead_pytorch.py, pullback_momentum
   "none"):
       init:   phi = theta (the parameters when the wrapper is made), count = 0
       step:   theta <- the base optimizer's step at theta;  count <- count + 1
               if count = k:  theta <- alpha theta + (1 - alpha) phi
                              phi <- theta;  count <- 0
   so the syncs follow the inner steps k, 2k, 3k, ... counted from the wrapper's
   creation, and after each one fast and slow are the same bits. alpha = 1 is the
   base optimizer (the sync copies); the paper's form phi + alpha (theta - phi) is
   the same to rounding. The base optimizer's momentum and moments carry on across a
   sync as they were ("none"; the code's "pullback" mode aliases the momentum buffer
   after its first sync, and is not implemented). The code's state_dict keeps only
   the base optimizer's state; here phi and count are saved too, so a resumed run is
   the same run. Evaluate with phi (the paper does): params equal it after a sync. */

/* The first element of x[0 .. n) that is not finite, or n. */
static size_t ofs__first_bad(const ofs_real *x, size_t n)
{
    size_t i;
    for (i = 0; i < n && ofs__finite((double)x[i]); i++) {}
    return i;
}

OFSDEF ofs_lookahead_config ofs_lookahead_defaults(void)
{
    ofs_lookahead_config c;
    c.k = 5; c.alpha = 0.8;
    return c;
}

OFSDEF ofs_status ofs_lookahead_validate(const ofs_lookahead_config *c, ofs_err *err)
{
    OFS_ASSERT(c);
    if (c->k < 1) return ofs__fail(err, OFS_ERR_ARG, "lookahead: expected k >= 1 (base steps per sync), found %d", c->k);
    if (!(c->alpha > 0 && c->alpha <= 1))
        return ofs__fail(err, OFS_ERR_ARG, "lookahead: expected alpha in (0, 1] (1: the base optimizer alone), found %g", c->alpha);
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_lookahead_init(ofs_lookahead *la, const ofs_lookahead_config *c, const ofs_real *params,
                                     size_t n, ofs_err *err)
{
    ofs_status st;
    size_t i;
    OFS_ASSERT(la && c);
    memset(la, 0, sizeof *la);
    if ((st = ofs_lookahead_validate(c, err)) != OFS_OK) return st;
    if (!params || n == 0)
        return ofs__fail(err, OFS_ERR_ARG, "lookahead: expected the parameters (n >= 1 values) to copy as the slow weights, "
                         "found %s", params ? "n = 0" : "NULL");
    if ((i = ofs__first_bad(params, n)) < n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "lookahead: expected finite parameters to copy as the slow weights, found "
                         "%g at element %lu of %lu", (double)params[i], (unsigned long)i, (unsigned long)n);
    if (!(la->slow = (ofs_real *)ofs__alloc(n, sizeof(ofs_real))))
        return ofs__fail(err, OFS_ERR_NOMEM, "lookahead: cannot allocate %lu slow weights", (unsigned long)n);
    memcpy(la->slow, params, n * sizeof *params);
    la->cfg = *c; la->n = n;
    return ofs__ok(err);
}

/* The sync over elements [i0, i0 + n) (the trainer's threads each take a slice):
   fast <- alpha fast + (1 - alpha) slow, in the code's order; slow <- fast. */
static void ofs__lookahead_sync(const ofs_lookahead *la, ofs_real *OFS__RESTRICT p, size_t i0, size_t n)
{
    ofs_real *OFS__RESTRICT s = la->slow + i0;
    const ofs_real a = OFS__R(la->cfg.alpha), oma = OFS__R(1 - la->cfg.alpha);
    size_t i;
    if (la->cfg.alpha == 1) { memcpy(s, p, n * sizeof *p); return; }   /* the base optimizer's bits, -0 included */
    for (i = 0; i < n; i++) s[i] = p[i] = p[i] * a + oma * s[i];
}

/* What must hold before a step or a sync. */
static ofs_status ofs__lookahead_ready(const ofs_lookahead *la, const ofs_real *params, const char *what, ofs_err *err)
{
    ofs_status st;
    if (!la->slow) return ofs__fail(err, OFS_ERR_ARG, "%s: the wrapper was not initialised (no slow weights)", what);
    if (!params) return ofs__fail(err, OFS_ERR_ARG, "%s: expected the parameters (%lu values), found NULL", what, (unsigned long)la->n);
    if ((st = ofs_lookahead_validate(&la->cfg, err)) != OFS_OK) return st;
    if (la->count < 0 || la->count >= la->cfg.k)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected a count in [0, k = %d), found %lld", what, la->cfg.k, (long long)la->count);
    return OFS_OK;
}

OFSDEF ofs_status ofs_lookahead_after_step(ofs_lookahead *la, ofs_real *params, ofs_err *err)
{
    ofs_status st;
    size_t i;
    OFS_ASSERT(la);
    if ((st = ofs__lookahead_ready(la, params, "lookahead", err)) != OFS_OK) return st;
    if (la->count + 1 < la->cfg.k) { la->count++; return ofs__ok(err); }
    if ((i = ofs__first_bad(params, la->n)) < la->n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "lookahead sync: expected finite fast weights, found %g at element %lu of %lu; "
                         "the slow weights and the count are unchanged", (double)params[i], (unsigned long)i, (unsigned long)la->n);
    ofs__lookahead_sync(la, params, 0, la->n);
    la->count = 0;
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_lookahead_step(ofs_lookahead *la, ofs_optim *base, ofs_real *params, const ofs_real *grads,
                                     ofs_err *err)
{
    ofs_status st;
    size_t i;
    OFS_ASSERT(la && base);
    if ((st = ofs__lookahead_ready(la, params, "lookahead step", err)) != OFS_OK) return st;
    if (base->n != la->n)
        return ofs__fail(err, OFS_ERR_ARG, "lookahead step: expected an optimizer over the wrapper's %lu parameters, found "
                         "one over %lu", (unsigned long)la->n, (unsigned long)base->n);
    if (!grads) return ofs__fail(err, OFS_ERR_ARG, "lookahead step: expected the gradient (%lu values), found NULL", (unsigned long)la->n);
    if ((i = ofs__first_bad(grads, la->n)) < la->n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "lookahead step: expected a finite gradient, found %g at element %lu of %lu; "
                         "nothing changed", (double)grads[i], (unsigned long)i, (unsigned long)la->n);
    if ((st = ofs_optim_step(base, params, grads, err)) != OFS_OK) return st;
    return ofs_lookahead_after_step(la, params, err);
}

OFSDEF void ofs_lookahead_free(ofs_lookahead *la) { ofs__free(la->slow); memset(la, 0, sizeof *la); }

/* Saved: a tag, n, k, alpha, count, then the slow weights (each a double: exact for float). */
#define OFS__LOOKAHEAD_TAG 0x31414b4cu   /* "LKA1" */
OFSDEF void ofs_lookahead_save(const ofs_lookahead *la, ofs_buf *b)
{
    OFS_ASSERT(la && b && la->slow);
    ofs_put_u64(b, OFS__LOOKAHEAD_TAG); ofs_put_u64(b, (uint64_t)la->n); ofs_put_u64(b, (uint64_t)la->cfg.k);
    ofs_put_f64(b, la->cfg.alpha); ofs_put_u64(b, (uint64_t)la->count);
    ofs_put_reals(b, la->slow, la->n);
}

/* Read n stored values into dst if every one is finite in ofs_real; else refuse
   (OFS_ERR_FORMAT, naming `what` and the first bad element) and leave dst as it was.
   (ofs_average_load can share it.) */
static ofs_status ofs__load_finite(ofs_reader *r, ofs_real *dst, size_t n, const char *what, ofs_err *err)
{
    size_t bad = 0;
    double v = 0;
    const int res = ofs__reals_check(*r, n, 0, &bad, &v);
    if (res < 0) return ofs__fail(err, OFS_ERR_FORMAT, "%s: truncated (expected %lu values)", what, (unsigned long)n);
    if (res > 0)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected finite values, found %g at element %lu", what, v, (unsigned long)bad);
    ofs_get_reals(r, dst, n);
    return OFS_OK;
}

OFSDEF ofs_status ofs_lookahead_load(ofs_lookahead *la, ofs_reader *r, ofs_err *err)
{
    const uint64_t tag = ofs_get_u64(r), n = ofs_get_u64(r), k = ofs_get_u64(r);
    const double alpha = ofs_get_f64(r);
    const uint64_t count = ofs_get_u64(r);
    ofs_status st;
    OFS_ASSERT(la && r && la->slow);
    if (r->failed || tag != OFS__LOOKAHEAD_TAG)
        return ofs__fail(err, OFS_ERR_FORMAT, "lookahead state: expected the tag %08lx and its header, found %s",
                         (unsigned long)OFS__LOOKAHEAD_TAG, r->failed ? "a truncated state" : "another tag");
    if (n != (uint64_t)la->n || k != (uint64_t)la->cfg.k || !(alpha == la->cfg.alpha))
        return ofs__fail(err, OFS_ERR_MISMATCH, "lookahead state: expected %lu slow weights with k = %d and alpha = %g, found "
                         "%llu with k = %llu and alpha = %g", (unsigned long)la->n, la->cfg.k, la->cfg.alpha,
                         (unsigned long long)n, (unsigned long long)k, alpha);
    if (count >= k)
        return ofs__fail(err, OFS_ERR_FORMAT, "lookahead state: expected a count of steps since the sync in [0, k = %llu), "
                         "found %llu", (unsigned long long)k, (unsigned long long)count);
    if ((st = ofs__load_finite(r, la->slow, la->n, "lookahead state: the slow weights", err)) != OFS_OK) return st;
    la->count = (int64_t)count;
    return ofs__ok(err);
}

/* SAM (Foret, Kleiner, Mobahi and Neyshabur, 2020, "Sharpness-Aware Minimization for
   Efficiently Improving Generalization", arXiv 2010.01412, Algorithm 1, p = 2) and
   ASAM (Kwon, Kim, Park and Choi, 2021, "ASAM: Adaptive Sharpness-Aware
   Minimization", arXiv 2102.11600). A minimum in a narrow well fits the training
   data, but moving the weights a little (other data, rounding) costs much; one in a
   wide basin does not. SAM minimises the loss at the worst point of a ball around w,
       min_w  max_{||e|| <= rho}  L(w + e),
   with the inner max taken to first order: e = rho g / ||g||. ASAM measures the ball
   in units of each weight, T = |w| + eta, so that rescaling a layer does not change
   the sharpness it sees. As the references compute it (SAM: davda54/sam, commit
   3c3afdbd71cff2462ec91c734b3d1170bd0f3707, sam.py, checked against the authors' JAX
   code, google-research/sam; ASAM: SamsungLabs/ASAM, commit
   f156a680171db16d551c0d85cba2514fa3bff6a2, asam.py), step t, g the gradient at w:
       T_i = 1 (SAM); |w_i| + eta (ASAM; 1 for the elements from adapt_n on, the biases)
       norm = sqrt(sum_i (T_i g_i)^2)                (one norm over every parameter)
       e_i = T_i^2 g_i rho / (norm + eps)
       g2 = the gradient at w + e
       w <- the base optimizer's step at w with g2   (its weight decay sees w)
   eps is where the codes differ: davda54 adds 1e-12 (the default: g = 0 gives e = 0,
   not NaN), ASAM's code 1e-16, the JAX code nothing (eps = 0: g = 0 is then refused as
   a point that is not finite). Near a minimum, where the norm is small, the choice
   shows: with rho = 0.5 around SGD, 1e-12 for 1e-16 moves w + e by 2e-10 relative
   within 100 steps. Unlike the PyTorch codes, w itself never moves: the second
   gradient is taken at a point of the wrapper's own (the closure of chapter 4b gets
   x, not w), which is their restore done exactly. The step counts once: base's t, a
   schedule's step and Lookahead's count see one step per two evaluations. */

OFSDEF ofs_sam_config ofs_sam_defaults(void)
{
    ofs_sam_config c;
    c.rho = 0.05; c.adaptive = 0; c.eta = 0.01; c.eps = 1e-12;
    return c;
}

OFSDEF ofs_status ofs_sam_validate(const ofs_sam_config *c, ofs_err *err)
{
    OFS_ASSERT(c);
    if (!(c->rho >= 0 && c->rho <= 1e6))
        return ofs__fail(err, OFS_ERR_ARG, "sam: expected rho in [0, 1e6] (the ball's radius; 0: the base optimizer), found %g", c->rho);
    if (c->adaptive != 0 && c->adaptive != 1)
        return ofs__fail(err, OFS_ERR_ARG, "sam: expected adaptive 0 (SAM) or 1 (ASAM), found %d", c->adaptive);
    if (!(c->eta >= 0 && c->eta <= 1e6))
        return ofs__fail(err, OFS_ERR_ARG, "sam: expected eta in [0, 1e6] (ASAM: added to |w|), found %g", c->eta);
    if (!(c->eps >= 0 && c->eps <= 1))
        return ofs__fail(err, OFS_ERR_ARG, "sam: expected eps in [0, 1] (added to the norm), found %g", c->eps);
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_sam_init(ofs_sam *s, const ofs_sam_config *c, size_t n, ofs_err *err)
{
    ofs_status st;
    OFS_ASSERT(s && c);
    memset(s, 0, sizeof *s);
    if ((st = ofs_sam_validate(c, err)) != OFS_OK) return st;
    if (n == 0) return ofs__fail(err, OFS_ERR_ARG, "sam: expected n >= 1 parameters, found 0");
    if (n > (size_t)-1 / 3 || !(s->x = (ofs_real *)ofs__alloc(3 * n, sizeof(ofs_real))))
        return ofs__fail(err, OFS_ERR_NOMEM, "sam: cannot allocate 3 x %lu values (the point and two gradients)", (unsigned long)n);
    s->g = s->x + n; s->g2 = s->g + n;
    s->cfg = *c; s->n = s->adapt_n = n;
    return ofs__ok(err);
}

OFSDEF void ofs_sam_free(ofs_sam *s) { ofs__free(s->x); memset(s, 0, sizeof *s); }

/* What must hold before a step or a perturbation. */
static ofs_status ofs__sam_ready(const ofs_sam *s, const ofs_real *params, const char *what, ofs_err *err)
{
    ofs_status st;
    if (!s->x) return ofs__fail(err, OFS_ERR_ARG, "%s: the wrapper was not initialised (n = 0)", what);
    if (!params) return ofs__fail(err, OFS_ERR_ARG, "%s: expected the parameters (%lu values), found NULL", what, (unsigned long)s->n);
    if ((st = ofs_sam_validate(&s->cfg, err)) != OFS_OK) return st;
    if (s->adapt_n > s->n)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected adapt_n <= n = %lu (the adapted elements come first), found %lu",
                         what, (unsigned long)s->n, (unsigned long)s->adapt_n);
    if (s->perturbed)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected the parameters restored (ofs_sam_restore) after the last perturbation", what);
    return OFS_OK;
}

/* Element i's scale T_i: |w_i| + eta for the adapted elements of ASAM, else 1. */
static ofs_real ofs__sam_t(const ofs_sam *s, ofs_real w, size_t i)
{
    return s->cfg.adaptive && i < s->adapt_n ? (w < 0 ? -w : w) + OFS__R(s->cfg.eta) : OFS__R(1);
}

/* x = w + e from w and g (n values each; x is neither). Refuses (OFS_ERR_NONFINITE) a
   gradient, norm or point that is not finite, naming `where` g was taken; x may then
   hold anything, w and g are untouched. */
static ofs_status ofs__sam_point(ofs_sam *s, const ofs_real *w, const ofs_real *g, ofs_real *x, const char *what,
                                 const char *where, ofs_err *err)
{
    const size_t n = s->n;
    double sum = 0;
    ofs_real scale;
    size_t i;
    if ((i = ofs__first_bad(g, n)) < n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: expected a finite gradient at %s, found %g at element %lu of %lu; nothing "
                         "changed", what, where, (double)g[i], (unsigned long)i, (unsigned long)n);
    for (i = 0; i < n; i++) {
        const double tg = (double)(ofs__sam_t(s, w[i], i) * g[i]);
        sum += tg * tg;
    }
    s->norm = sqrt(sum);
    if (!ofs__finite(s->norm))
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: expected a finite norm ||T g||, found %g; nothing changed", what, s->norm);
    scale = OFS__R(s->cfg.rho / (s->norm + s->cfg.eps));
    for (i = 0; i < n; i++) {
        const ofs_real t = ofs__sam_t(s, w[i], i);
        x[i] = w[i] + t * t * g[i] * scale;
    }
    if ((i = ofs__first_bad(x, n)) < n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: expected a finite point w + e, found %g at element %lu of %lu; nothing "
                         "changed", what, (double)x[i], (unsigned long)i, (unsigned long)n);
    return OFS_OK;
}

OFSDEF ofs_status ofs_sam_perturb(ofs_sam *s, ofs_real *params, const ofs_real *grads, ofs_err *err)
{
    ofs_status st;
    OFS_ASSERT(s);
    if ((st = ofs__sam_ready(s, params, "sam perturb", err)) != OFS_OK) return st;
    if (!grads) return ofs__fail(err, OFS_ERR_ARG, "sam perturb: expected the gradient at w (%lu values), found NULL", (unsigned long)s->n);
    if ((st = ofs__sam_point(s, params, grads, s->g2, "sam perturb", "w", err)) != OFS_OK) return st;
    memcpy(s->x, params, s->n * sizeof *params);
    memcpy(params, s->g2, s->n * sizeof *params);
    s->perturbed = 1;
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_sam_restore(ofs_sam *s, ofs_real *params, ofs_err *err)
{
    OFS_ASSERT(s);
    if (!s->perturbed || !params)
        return ofs__fail(err, OFS_ERR_ARG, "sam restore: expected %s, found %s", params ? "a perturbation to undo (ofs_sam_perturb first)" :
                         "the parameters", params ? "none" : "NULL");
    memcpy(params, s->x, s->n * sizeof *params);
    s->perturbed = 0;
    return ofs__ok(err);
}

/* One evaluation of the closure, at x: the loss and the gradient must be finite. */
static ofs_status ofs__sam_eval(ofs_closure f, void *ctx, const ofs_real *x, ofs_real *g, size_t n, const char *where,
                                double *loss, ofs_err *err)
{
    size_t i;
    *loss = f(x, g, ctx);
    if (!ofs__finite(*loss))
        return ofs__fail(err, OFS_ERR_NONFINITE, "sam step: expected a finite loss at %s, found %g; nothing changed", where, *loss);
    if ((i = ofs__first_bad(g, n)) < n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "sam step: expected a finite gradient at %s, found %g at element %lu of %lu; "
                         "nothing changed", where, (double)g[i], (unsigned long)i, (unsigned long)n);
    return OFS_OK;
}

OFSDEF ofs_status ofs_sam_step(ofs_sam *s, ofs_optim *base, ofs_real *params, const ofs_real *grads,
                               ofs_closure f, void *ctx, double *loss, ofs_err *err)
{
    double fx;
    ofs_status st;
    OFS_ASSERT(s && base);
    if ((st = ofs__sam_ready(s, params, "sam step", err)) != OFS_OK) return st;
    if (base->n != s->n)
        return ofs__fail(err, OFS_ERR_ARG, "sam step: expected an optimizer over the wrapper's %lu parameters, found one over %lu",
                         (unsigned long)s->n, (unsigned long)base->n);
    if (!f) return ofs__fail(err, OFS_ERR_ARG, "sam step: expected a closure (two evaluations per step: at w and at w + e), found NULL");
    if ((st = ofs_optim_validate(&base->cfg, err)) != OFS_OK) return ofs__wrap(err, st, "sam step: the base optimizer");
    if (!grads) {
        if ((st = ofs__sam_eval(f, ctx, params, s->g, s->n, "w", &fx, err)) != OFS_OK) return st;
        grads = s->g;
    }
    if ((st = ofs__sam_point(s, params, grads, s->x, "sam step", "w", err)) != OFS_OK) return st;
    if ((st = ofs__sam_eval(f, ctx, s->x, s->g2, s->n, "w + e", &fx, err)) != OFS_OK) return st;
    if ((st = ofs_optim_step(base, params, s->g2, err)) != OFS_OK) return st;
    if (loss) *loss = fx;
    return ofs__ok(err);
}

/* Saved: a tag, n, adapt_n, rho, adaptive, eta, eps: the settings a resumed run must share. */
#define OFS__SAM_TAG 0x314d4153u   /* "SAM1" */
OFSDEF void ofs_sam_save(const ofs_sam *s, ofs_buf *b)
{
    OFS_ASSERT(s && b);
    ofs_put_u64(b, OFS__SAM_TAG); ofs_put_u64(b, (uint64_t)s->n); ofs_put_u64(b, (uint64_t)s->adapt_n);
    ofs_put_f64(b, s->cfg.rho); ofs_put_u64(b, (uint64_t)s->cfg.adaptive); ofs_put_f64(b, s->cfg.eta); ofs_put_f64(b, s->cfg.eps);
}

OFSDEF ofs_status ofs_sam_load(ofs_sam *s, ofs_reader *r, ofs_err *err)
{
    const uint64_t tag = ofs_get_u64(r), n = ofs_get_u64(r), na = ofs_get_u64(r);
    ofs_sam_config c;
    uint64_t adaptive;
    OFS_ASSERT(s && r);
    c.rho = ofs_get_f64(r); adaptive = ofs_get_u64(r); c.eta = ofs_get_f64(r); c.eps = ofs_get_f64(r);
    if (r->failed || tag != OFS__SAM_TAG)
        return ofs__fail(err, OFS_ERR_FORMAT, "sam state: expected the tag %08lx and its settings, found %s",
                         (unsigned long)OFS__SAM_TAG, r->failed ? "a truncated state" : "another tag");
    c.adaptive = adaptive > 1 ? 2 : (int)adaptive;
    if (ofs_sam_validate(&c, err) != OFS_OK) return ofs__wrap(err, OFS_ERR_FORMAT, "sam state");
    if (n != (uint64_t)s->n || na != (uint64_t)s->adapt_n || !(c.rho == s->cfg.rho) || c.adaptive != s->cfg.adaptive ||
        !(c.eta == s->cfg.eta) || !(c.eps == s->cfg.eps))
        return ofs__fail(err, OFS_ERR_MISMATCH, "sam state: expected n = %lu, adapt_n = %lu, rho = %g, adaptive = %d, eta = %g, "
                         "eps = %g; found %llu, %llu, %g, %d, %g, %g", (unsigned long)s->n, (unsigned long)s->adapt_n, s->cfg.rho,
                         s->cfg.adaptive, s->cfg.eta, s->cfg.eps, (unsigned long long)n, (unsigned long long)na, c.rho,
                         c.adaptive, c.eta, c.eps);
    return ofs__ok(err);
}

#endif /* OPTIMFS_IMPLEMENTATION */
#endif /* OFS_WRAP_DRAFT_H */
