/* playground/src/play.c: what the playground page asks of optimfs.h.
   The page compiles this file with the header to WebAssembly (make playground); the
   tests compile the same file natively with -DPLAY_MAIN, and the program then reads
   a playground state (the page's URL fragment) from its command line and prints what
   the page shows in its table, so that the two can be compared digit for digit.

   A state is "key=value" pairs joined by '&' (the URL fragment, decoded):
       f=rosenbrock        the objective: a toy of the header by its ofs_toy_name, or
                           "rotated" (chapter 8's 0.1 x1^2 + 2 x2^2 turned by 45 degrees)
       a=0.1&b=2           the toy's a and b (ofs_toy_make's when absent)
       x=-1.2,1            the start (one number for a 1-D toy)
       steps=2000          the steps of each run
       noise=1&seed=7      N(0, noise^2) added to each coordinate of the gradient (chapter
                           5's model), from ofs_rng seeded with seed; each run gets the same
       sched=cosine        a schedule by its ofs_sched_name, its fields as s.FIELD=value
       fit=1               ofs_sched_set_run(steps): t_max and the like fitted to the run
       o=adam:lr=0.01,beta1=0.9   one run: an optimizer by its ofs_optim_name, then its
                           fields by their ofs_optim_field names (repeat o= for more)
   Everything the header refuses is reported with its own sentence (ofs_err). */
#define OFS_REAL double
#define OPTIMFS_STATIC
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#ifdef __wasm__
#define PG_EXPORT(name) __attribute__((export_name(#name)))
#else
#define PG_EXPORT(name)
#endif

#define PG_MAX_STEPS 50000
#define PG_MAX_RUNS 24
#define PG_MAX_ISSUES 64
#define PG_MAX_LIST 32
#define PG_ROTATED OFS_TOY_COUNT   /* the objective after the header's toys */

/* ---- The objectives: the header's toys, and chapter 8's rotated quadratic ---------- */

typedef struct pg_obj { int kind; ofs_toy toy; } pg_obj;

/* Chapter 8 (examples/ch08_adagrad.c): f = x^T Q x / 2, Q = R diag(0.2, 4) R^T with R
   a rotation by 45 degrees, in the same operations as the chapter's program. */
static double pg_rotated(const double *x, double *g)
{
    const double c = cos(45 * M_PI / 180), s = sin(45 * M_PI / 180);
    const double q11 = c * c * 0.2 + s * s * 4, q12 = c * s * (0.2 - 4), q22 = s * s * 0.2 + c * c * 4;
    if (g) { g[0] = q11 * x[0] + q12 * x[1]; g[1] = q12 * x[0] + q22 * x[1]; }
    return 0.5 * (q11 * x[0] * x[0] + 2 * q12 * x[0] * x[1] + q22 * x[1] * x[1]);
}

static int pg_obj_dim(const pg_obj *o) { return o->kind == PG_ROTATED ? 2 : ofs_toy_dim(&o->toy); }
static const char *pg_obj_name(int kind)
{
    ofs_toy t;
    if (kind == PG_ROTATED) return "rotated";
    t = ofs_toy_make((ofs_toy_kind)kind);
    return ofs_toy_name(&t);
}
static double pg_obj_eval(const pg_obj *o, const double *x, double *g)
{
    return o->kind == PG_ROTATED ? pg_rotated(x, g) : ofs_toy_eval(&o->toy, x, g, NULL);
}

/* Does toy `kind` read its a (which 0) or b (which 1)? Asked of the header: f at two
   points with the parameter changed. */
static int pg_obj_reads(int kind, int which)
{
    static const double pts[2][2] = {{0.7, 1.3}, {-1.1, 0.4}};
    ofs_toy t, u;
    int i;
    if (kind == PG_ROTATED) return 0;
    t = u = ofs_toy_make((ofs_toy_kind)kind);
    if (which) u.b += 0.5; else u.a += 0.5;
    for (i = 0; i < 2; i++)
        if (ofs_toy_eval(&t, pts[i], NULL, NULL) != ofs_toy_eval(&u, pts[i], NULL, NULL)) return 1;
    return 0;
}

/* ---- Schedules: the fields of ofs_sched, and which kinds read them ----------------- */
/* The header lists its schedule kinds (ofs_sched_name, OFS_SCHED_COUNT) but not which
   fields each kind reads; this table says it, by kind name. A kind the table does not
   name is shown with every field. Types: r a real, s a whole number of steps, f a 0/1
   flag, e a small enum, m the milestones, v piecewise's values. */
typedef struct pg_sfield { const char *name; char type; size_t off; const char *kinds; } pg_sfield;
#define PG_OFF(f) offsetof(ofs_sched, f)
static const pg_sfield pg_sfields[] = {
    {"gamma", 'r', PG_OFF(gamma), " step multistep exponential factor cyclic "},
    {"step_size", 's', PG_OFF(step_size), " step "},
    {"milestones", 'm', 0, " multistep piecewise "},
    {"values", 'v', 0, " piecewise "},
    {"factor", 'r', PG_OFF(factor), " constant_factor "},
    {"start_factor", 'r', PG_OFF(start_factor), " linear "},
    {"end_factor", 'r', PG_OFF(end_factor), " linear "},
    {"total_iters", 's', PG_OFF(total_iters), " constant_factor linear polynomial "},
    {"power", 'r', PG_OFF(power), " polynomial inverse_power "},
    {"beta", 'r', PG_OFF(beta), " inverse_power "},
    {"t_max", 's', PG_OFF(t_max), " cosine "},
    {"hold", 'f', PG_OFF(hold), " cosine "},
    {"t_0", 's', PG_OFF(t_0), " cosine_restarts "},
    {"t_mult", 's', PG_OFF(t_mult), " cosine_restarts "},
    {"eta_min", 'r', PG_OFF(eta_min), " factor cosine cosine_restarts wsd "},
    {"total_steps", 's', PG_OFF(total_steps), " onecycle wsd "},
    {"pct_start", 'r', PG_OFF(pct_start), " onecycle "},
    {"div_factor", 'r', PG_OFF(div_factor), " onecycle "},
    {"final_div_factor", 'r', PG_OFF(final_div_factor), " onecycle "},
    {"three_phase", 'f', PG_OFF(three_phase), " onecycle "},
    {"anneal_linear", 'f', PG_OFF(anneal_linear), " onecycle swalr "},
    {"max_lr", 'r', PG_OFF(max_lr), " cyclic "},
    {"step_size_up", 's', PG_OFF(step_size_up), " cyclic "},
    {"step_size_down", 's', PG_OFF(step_size_down), " cyclic "},
    {"cyclic_mode", 'e', PG_OFF(cyclic_mode), " cyclic "},
    {"cycle_momentum", 'f', PG_OFF(cycle_momentum), " onecycle cyclic "},
    {"base_momentum", 'r', PG_OFF(base_momentum), " onecycle cyclic "},
    {"max_momentum", 'r', PG_OFF(max_momentum), " onecycle cyclic "},
    {"swa_lr", 'r', PG_OFF(swa_lr), " swalr "},
    {"anneal_epochs", 's', PG_OFF(anneal_epochs), " swalr "},
    {"decay_steps", 's', PG_OFF(decay_steps), " wsd "},
    {"decay_fraction", 'r', PG_OFF(decay_fraction), " wsd "},
    {"wsd_shape", 'e', PG_OFF(wsd_shape), " wsd "},
    {"warmup_steps", 's', PG_OFF(warmup_steps), "*"},
    {"warmup_start", 'r', PG_OFF(warmup_start), "*"},
};
#undef PG_OFF
#define PG_NSFIELDS ((int)(sizeof pg_sfields / sizeof pg_sfields[0]))
/* Kinds the page cannot describe: they take C functions or child schedules. */
static const char *const pg_sched_needs[][2] = {
    {"lambda", "takes a C function lr_lambda"}, {"multiplicative", "takes a C function lr_lambda"},
    {"sequential", "takes child schedules"}, {"chained", "takes child schedules"}};

static int pg_word_in(const char *list, const char *word)
{
    char w[64];
    if (strcmp(list, "*") == 0) return 1;
    snprintf(w, sizeof w, " %s ", word);
    return strstr(list, w) != NULL;
}

static int pg_sched_known(const char *kind)
{
    int i;
    for (i = 0; i < PG_NSFIELDS; i++)
        if (strcmp(pg_sfields[i].kinds, "*") != 0 && pg_word_in(pg_sfields[i].kinds, kind)) return 1;
    return strcmp(kind, "constant") == 0 || strcmp(kind, "sqrt") == 0;
}

static int pg_sched_reads_field(int kind, int field)
{
    const char *name = ofs_sched_name((ofs_sched_kind)kind);
    return !pg_sched_known(name) || pg_word_in(pg_sfields[field].kinds, name);
}

static double pg_sched_get(const ofs_sched *s, const pg_sfield *f)
{
    const char *p = (const char *)s + f->off;
    if (f->type == 'r') { double v; memcpy(&v, p, sizeof v); return v; }
    if (f->type == 's') { int64_t v; memcpy(&v, p, sizeof v); return (double)v; }
    if (f->type == 'f' || f->type == 'e') { int v; memcpy(&v, p, sizeof v); return v; }
    return 0;
}

/* ---- The state, parsed; the issues found; the runs --------------------------------- */

typedef struct pg_issue { char where[64]; char msg[OFS_ERR_MSG_SIZE]; } pg_issue;

typedef struct pg_run {
    ofs_optim_config cfg;
    char spec[512];        /* its o= value, for messages */
    int ok;                /* configured without an issue */
    int points;            /* rows of path kept: steps + 1, or fewer when stopped */
    double *path;          /* points rows of x1, x2, f (x2 = 0 in 1-D) */
    double *lr;            /* the rate of each step taken (points - 1 of them) */
    double eval[2];        /* ofs_optim_eval_params at the end */
    char note[OFS_ERR_MSG_SIZE + 128];
} pg_run;

static struct pg_state {
    pg_obj obj;
    int have_obj;
    double x0[2];
    int steps, fit;
    double noise;
    uint64_t seed;
    ofs_sched sched;
    int64_t milestones[PG_MAX_LIST];
    double values[PG_MAX_LIST];
    int n_values, have_values;
    pg_run runs[PG_MAX_RUNS];
    int nruns;
    pg_issue issues[PG_MAX_ISSUES];
    int nissues;
} S;

static char pg_input[32768];
static char pg_text[4096];
static double *pg_grid_buf;

/* src into dst (cap bytes), cut where it does not fit. */
static void pg_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void pg_issue_add(const char *where, const char *msg)
{
    pg_issue *is;
    if (S.nissues >= PG_MAX_ISSUES) return;
    is = &S.issues[S.nissues++];
    pg_copy(is->where, sizeof is->where, where);
    pg_copy(is->msg, sizeof is->msg, msg);
}

static void pg_reset(void)
{
    int i;
    for (i = 0; i < S.nruns; i++) { free(S.runs[i].path); free(S.runs[i].lr); }
    memset(&S, 0, sizeof S);
    S.steps = 100;
    S.sched = ofs_sched_defaults(OFS_SCHED_CONSTANT, 0);
}

static int pg_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Undo the URL's percent-encoding in place ("%2C" is a comma inside a value). */
static void pg_decode(char *s)
{
    char *out = s;
    for (; *s; s++) {
        int hi, lo;
        if (s[0] == '%' && s[1] && s[2] && (hi = pg_hex(s[1])) >= 0 && (lo = pg_hex(s[2])) >= 0) {
            *out++ = (char)(hi * 16 + lo);
            s += 2;
        } else *out++ = *s;
    }
    *out = 0;
}

/* A number the whole of text (percent-encoded), finite: 1 and *v, else 0. */
static int pg_number(const char *text, double *v)
{
    char buf[512], *end;
    pg_copy(buf, sizeof buf, text);
    pg_decode(buf);
    text = buf;
    if (!*text) return 0;
    *v = strtod(text, &end);
    return *end == 0 && *v == *v && fabs(*v) <= 1.7976931348623157e308;
}

/* text decoded, for a message (one at a time). */
static const char *pg_shown(const char *text)
{
    static char buf[512];
    pg_copy(buf, sizeof buf, text);
    pg_decode(buf);
    return buf;
}

/* Comma-separated numbers into out (at most cap): their count, or -1. */
static int pg_numbers(const char *text, double *out, int cap)
{
    char buf[1024], *p, *comma;
    int n = 0;
    snprintf(buf, sizeof buf, "%s", text);
    if (!*buf) return 0;
    for (p = buf;; p = comma + 1) {
        comma = strchr(p, ',');
        if (comma) *comma = 0;
        if (n >= cap || !pg_number(p, &out[n])) return -1;
        n++;
        if (!comma) return n;
    }
}

static void pg_parse_objective(const char *v)
{
    char msg[512];
    int k;
    for (k = 0; k <= PG_ROTATED; k++)
        if (strcmp(v, pg_obj_name(k)) == 0) {
            S.obj.kind = k;
            S.obj.toy = ofs_toy_make((ofs_toy_kind)(k == PG_ROTATED ? OFS_TOY_QUAD : k));
            S.have_obj = 1;
            return;
        }
    snprintf(msg, sizeof msg, "unknown objective \"%.100s\": expected one of", v);
    for (k = 0; k <= PG_ROTATED; k++) {
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof msg - len, "%s %s", k ? "," : "", pg_obj_name(k));
    }
    pg_issue_add("f", msg);
}

static void pg_parse_sched_field(const char *key, const char *v)
{
    char msg[OFS_ERR_MSG_SIZE + 64], where[64];
    double list[PG_MAX_LIST], x;
    ofs_err err;
    int n, i;
    snprintf(where, sizeof where, "s.%s", key);
    if (strcmp(key, "milestones") == 0 || strcmp(key, "values") == 0) {
        if ((n = pg_numbers(v, list, PG_MAX_LIST)) < 0) {
            snprintf(msg, sizeof msg, "%s: expected up to %d numbers separated by commas, found \"%s\"", key, PG_MAX_LIST, pg_shown(v));
            pg_issue_add(where, msg);
            return;
        }
        if (key[0] == 'v') { memcpy(S.values, list, sizeof list); S.n_values = n; S.have_values = 1; return; }
        for (i = 0; i < n; i++) {
            if (!(list[i] == floor(list[i]) && fabs(list[i]) < 9e15)) {
                snprintf(msg, sizeof msg, "milestones: expected whole numbers of steps, found %.17g", list[i]);
                pg_issue_add(where, msg);
                return;
            }
            S.milestones[i] = (int64_t)list[i];
        }
        S.sched.milestones = S.milestones;
        S.sched.n_milestones = n;
        return;
    }
    if (!pg_number(v, &x)) {
        snprintf(msg, sizeof msg, "%s: expected a number, found \"%s\"", key, pg_shown(v));
        pg_issue_add(where, msg);
    } else if (ofs_sched_set(&S.sched, key, x, &err) != OFS_OK) pg_issue_add(where, err.msg);
}

static void pg_parse_optimizer(const char *v)
{
    char spec[512], *p, *colon, *comma, where[64], msg[OFS_ERR_MSG_SIZE + 64];
    pg_run *r;
    ofs_optim_kind kind;
    ofs_err err;
    double x;
    if (S.nruns >= PG_MAX_RUNS) {
        snprintf(msg, sizeof msg, "expected at most %d optimizers, found more", PG_MAX_RUNS);
        pg_issue_add("o", msg);
        return;
    }
    r = &S.runs[S.nruns];
    snprintf(where, sizeof where, "o%d", S.nruns);
    S.nruns++;
    snprintf(r->spec, sizeof r->spec, "%s", v);
    snprintf(spec, sizeof spec, "%s", v);
    if ((colon = strchr(spec, ':')) != NULL) *colon = 0;
    pg_decode(spec);
    if (ofs_optim_kind_from_name(spec, &kind, &err) != OFS_OK) { pg_issue_add(where, err.msg); return; }
    r->cfg = ofs_optim_defaults(kind);
    r->ok = 1;
    for (p = colon ? colon + 1 : NULL; p && *p; p = comma ? comma + 1 : NULL) {
        char *eq;
        if ((comma = strchr(p, ',')) != NULL) *comma = 0;
        if (!*p) continue;
        if ((eq = strchr(p, '=')) != NULL) *eq = 0;
        pg_decode(p);
        snprintf(where, sizeof where, "o%d.%.40s", S.nruns - 1, p);
        if (!eq || !pg_number(eq + 1, &x)) {
            snprintf(msg, sizeof msg, "%s: expected a number, found \"%s\"", p, pg_shown(eq ? eq + 1 : ""));
            pg_issue_add(where, msg);
            r->ok = 0;
        } else if (ofs_optim_config_set(&r->cfg, p, x, &err) != OFS_OK) {
            pg_issue_add(where, err.msg);
            r->ok = 0;
        }
    }
    snprintf(where, sizeof where, "o%d", S.nruns - 1);
    if (r->ok && ofs_optim_validate(&r->cfg, &err) != OFS_OK) { pg_issue_add(where, err.msg); r->ok = 0; }
}

static void pg_parse_pair(const char *key, const char *v)
{
    char msg[OFS_ERR_MSG_SIZE + 64];
    double x, xs[2];
    ofs_sched_kind kind;
    ofs_err err;
    int n;
    if (strcmp(key, "f") == 0) pg_parse_objective(pg_shown(v));
    else if ((strcmp(key, "a") == 0 || strcmp(key, "b") == 0) && S.have_obj) {
        if (!pg_number(v, &x)) {
            snprintf(msg, sizeof msg, "%s: expected a number, found \"%s\"", key, pg_shown(v));
            pg_issue_add(key, msg);
        } else if (key[0] == 'a') S.obj.toy.a = x; else S.obj.toy.b = x;
    } else if (strcmp(key, "x") == 0) {
        n = S.have_obj ? pg_obj_dim(&S.obj) : 2;
        if (pg_numbers(v, xs, 2) != n) {
            snprintf(msg, sizeof msg, "start: expected %d finite number%s separated by a comma, found \"%s\"", n, n > 1 ? "s" : "", pg_shown(v));
            pg_issue_add("x", msg);
        } else { S.x0[0] = xs[0]; S.x0[1] = n > 1 ? xs[1] : 0; }
    } else if (strcmp(key, "steps") == 0) {
        if (!pg_number(v, &x) || x != floor(x) || x < 1 || x > PG_MAX_STEPS) {
            snprintf(msg, sizeof msg, "steps: expected a whole number in [1, %d], found \"%s\"", PG_MAX_STEPS, pg_shown(v));
            pg_issue_add("steps", msg);
        } else S.steps = (int)x;
    } else if (strcmp(key, "noise") == 0) {
        if (!pg_number(v, &x) || x < 0) {
            snprintf(msg, sizeof msg, "noise: expected a standard deviation >= 0 (0: none), found \"%s\"", pg_shown(v));
            pg_issue_add("noise", msg);
        } else S.noise = x;
    } else if (strcmp(key, "seed") == 0) {
        char *end;
        v = pg_shown(v);
        S.seed = strtoull(v, &end, 10);
        if (!*v || *end || *v == '-') {
            snprintf(msg, sizeof msg, "seed: expected a whole number >= 0, found \"%s\"", v);
            pg_issue_add("seed", msg);
        }
    } else if (strcmp(key, "sched") == 0) {
        if (ofs_sched_kind_from_name(pg_shown(v), &kind, &err) != OFS_OK) pg_issue_add("sched", err.msg);
        else S.sched = ofs_sched_defaults(kind, 0);
    } else if (strcmp(key, "fit") == 0) S.fit = strcmp(v, "0") != 0;
    else if (strncmp(key, "s.", 2) == 0) pg_parse_sched_field(key + 2, v);
    else if (strcmp(key, "o") == 0) pg_parse_optimizer(v);
    else {
        snprintf(msg, sizeof msg, "unknown setting \"%s\"", key);
        pg_issue_add(key, msg);
    }
}

static void pg_parse(const char *state)
{
    char *buf = (char *)malloc(strlen(state) + 1), *p, *amp;
    if (!buf) { pg_issue_add("state", "out of memory"); return; }
    strcpy(buf, state);
    for (p = buf; p; p = amp ? amp + 1 : NULL) {
        char *eq;
        if ((amp = strchr(p, '&')) != NULL) *amp = 0;
        if (!*p) continue;
        if ((eq = strchr(p, '=')) == NULL) { pg_decode(p); pg_parse_pair(p, ""); continue; }
        *eq = 0;
        pg_decode(p);
        pg_parse_pair(p, eq + 1);
    }
    free(buf);
    if (!S.have_obj) pg_issue_add("f", "expected an objective f=NAME");
}

/* ---- Running ------------------------------------------------------------------------- */

/* The schedule of run r: the state's, from the optimizer's lr (PyTorch: base_lr is the
   rate the optimizer was made with), fitted to the run when fit=1. */
static ofs_status pg_sched_for(const pg_run *r, ofs_sched *s, ofs_err *err)
{
    *s = S.sched;
    s->base_lr = r->cfg.lr;
    if (S.have_values) {
        char msg[128];
        if (S.n_values != s->n_milestones + 1) {
            snprintf(msg, sizeof msg, "values: expected n_milestones + 1 = %d values, found %d", s->n_milestones + 1, S.n_values);
            snprintf(err->msg, sizeof err->msg, "%s", msg);
            return OFS_ERR_ARG;
        }
        s->values = S.values;
    }
    if (S.fit) return ofs_sched_set_run(s, S.steps, err);
    return ofs_sched_validate(s, err);
}

static int pg_finite(double v) { return v == v && fabs(v) <= 1.7976931348623157e308; }

/* One run: for k = 0 .. steps, f and the gradient at x_k (row k), then the noise, the
   schedule's rate for step k + 1, and the optimizer's step; it stops at the first
   point that is not finite (an overflow) or an error the header reports. */
static void pg_run_one(pg_run *r, const ofs_sched *s)
{
    const int dim = pg_obj_dim(&S.obj);
    ofs_optim o;
    ofs_rng rng;
    ofs_err err;
    double x[2], g[2];
    int k, i;
    r->path = (double *)malloc(sizeof(double) * 3 * (size_t)(S.steps + 1));
    r->lr = (double *)malloc(sizeof(double) * (size_t)(S.steps + 1));
    if (!r->path || !r->lr) { snprintf(r->note, sizeof r->note, "out of memory"); return; }
    if (ofs_optim_init(&o, &r->cfg, (size_t)dim, &err) != OFS_OK) { snprintf(r->note, sizeof r->note, "%s", err.msg); return; }
    ofs_rng_seed(&rng, S.seed);
    x[0] = S.x0[0]; x[1] = S.x0[1];
    for (k = 0; k <= S.steps; k++) {
        double f = pg_obj_eval(&S.obj, x, g);
        if (ofs_check_finite(x, (size_t)dim, "x", k, &err) != OFS_OK || !pg_finite(f)) {
            if (err.status == OFS_OK) snprintf(err.msg, sizeof err.msg, "f is %g at step %d", f, k);
            snprintf(r->note, sizeof r->note, "diverged: %s; stopped at step %d, the last finite point is drawn", err.msg, k - 1);
            break;
        }
        r->path[3 * k] = x[0]; r->path[3 * k + 1] = dim > 1 ? x[1] : 0; r->path[3 * k + 2] = f;
        r->points = k + 1;
        if (k == S.steps) break;
        if (S.noise > 0)
            for (i = 0; i < dim; i++) g[i] += S.noise * ofs_rng_normal(&rng);
        if (ofs_sched_apply(s, k, &o.cfg, &err) != OFS_OK || ofs_optim_step(&o, x, g, &err) != OFS_OK) {
            snprintf(r->note, sizeof r->note, "stopped before step %d: %s", k + 1, err.msg);
            break;
        }
        r->lr[k] = o.cfg.lr;
    }
    ofs_optim_eval_params(&o, x, r->eval);
    if (r->points > 0 && (r->eval[0] != x[0] || (dim > 1 && r->eval[1] != x[1])) && !r->note[0] && r->points == S.steps + 1)
        snprintf(r->note, sizeof r->note, "evaluation point (ofs_optim_eval_params): %.17g%s%.17g", r->eval[0],
                 dim > 1 ? ", " : "", dim > 1 ? r->eval[1] : 0.0);
    ofs_optim_free(&o);
}

static void pg_run_all(void)
{
    ofs_sched s;
    ofs_err err;
    int i, sched_reported = 0;
    for (i = 0; i < S.nissues; i++)
        if (S.issues[i].where[0] != 'o') return;   /* a setting of the whole run is refused: nothing runs */
    for (i = 0; i < S.nruns; i++) {
        pg_run *r = &S.runs[i];
        if (!r->ok) continue;
        if (pg_sched_for(r, &s, &err) != OFS_OK) {
            if (!sched_reported) pg_issue_add("s", err.msg);
            sched_reported = 1;
            continue;
        }
        pg_run_one(r, &s);
    }
}

/* The line the page's table and the native program show for run i. */
static const char *pg_result_line(int i)
{
    const pg_run *r = &S.runs[i];
    const double *p = r->path + 3 * (r->points - 1);
    const char *name = ofs_optim_name(r->cfg.kind);
    if (!r->ok || r->points == 0) snprintf(pg_text, sizeof pg_text, "%s: no run", r->ok ? name : r->spec);
    else if (pg_obj_dim(&S.obj) == 1)
        snprintf(pg_text, sizeof pg_text, "%s: step %d x %.17g f %.17g", name, r->points - 1, p[0], p[2]);
    else snprintf(pg_text, sizeof pg_text, "%s: step %d x1 %.17g x2 %.17g f %.17g", name, r->points - 1, p[0], p[1], p[2]);
    return pg_text;
}

/* ---- What the page calls -------------------------------------------------------------- */

PG_EXPORT(pg_input) char *pg_input_buffer(void) { return pg_input; }
PG_EXPORT(pg_input_size) int pg_input_size(void) { return (int)sizeof pg_input; }
/* Parse and run the state in the input buffer; returns the number of runs. */
PG_EXPORT(pg_run) int pg_run_state(void)
{
    pg_reset();
    pg_input[sizeof pg_input - 1] = 0;
    pg_parse(pg_input);
    pg_run_all();
    return S.nruns;
}
PG_EXPORT(pg_issue_count) int pg_issue_count(void) { return S.nissues; }
PG_EXPORT(pg_issue_where) const char *pg_issue_where(int i) { return S.issues[i].where; }
PG_EXPORT(pg_issue_msg) const char *pg_issue_msg(int i) { return S.issues[i].msg; }
PG_EXPORT(pg_dim) int pg_dim(void) { return S.have_obj ? pg_obj_dim(&S.obj) : 2; }
PG_EXPORT(pg_run_kind) int pg_run_kind(int i) { return S.runs[i].ok ? (int)S.runs[i].cfg.kind : -1; }
PG_EXPORT(pg_run_points) int pg_run_points(int i) { return S.runs[i].points; }
PG_EXPORT(pg_run_path) const double *pg_run_path(int i) { return S.runs[i].path; }
PG_EXPORT(pg_run_lr) const double *pg_run_lr(int i) { return S.runs[i].lr; }
PG_EXPORT(pg_run_note) const char *pg_run_note(int i) { return S.runs[i].note; }
PG_EXPORT(pg_run_line) const char *pg_run_line(int i) { return pg_result_line(i); }

/* f of the objective of the last state on an nx x ny grid over [x0, x1] x [y0, y1],
   row by row (y fixed in a row), for the contour lines. */
PG_EXPORT(pg_grid) const double *pg_grid(double x0, double x1, double y0, double y1, int nx, int ny)
{
    int i, j;
    double x[2];
    if (!S.have_obj || nx < 2 || ny < 1 || nx > 1000 || ny > 1000) return NULL;
    free(pg_grid_buf);
    if (!(pg_grid_buf = (double *)malloc(sizeof(double) * (size_t)nx * (size_t)ny))) return NULL;
    for (j = 0; j < ny; j++)
        for (i = 0; i < nx; i++) {
            x[0] = x0 + (x1 - x0) * i / (nx - 1);
            x[1] = ny > 1 ? y0 + (y1 - y0) * j / (ny - 1) : 0;
            pg_grid_buf[j * nx + i] = pg_obj_eval(&S.obj, x, NULL);
        }
    return pg_grid_buf;
}

/* The tables, for the page's menus and fields. */
PG_EXPORT(pg_obj_count) int pg_obj_count(void) { return PG_ROTATED + 1; }
PG_EXPORT(pg_obj_name) const char *pg_obj_name_of(int k) { return pg_obj_name(k); }
PG_EXPORT(pg_obj_dim) int pg_obj_dim_of(int k)
{
    pg_obj o;
    o.kind = k;
    o.toy = ofs_toy_make((ofs_toy_kind)(k == PG_ROTATED ? OFS_TOY_QUAD : k));
    return pg_obj_dim(&o);
}
PG_EXPORT(pg_obj_param) double pg_obj_param(int k, int which)
{
    ofs_toy t = ofs_toy_make((ofs_toy_kind)(k == PG_ROTATED ? OFS_TOY_QUAD : k));
    return which ? t.b : t.a;
}
PG_EXPORT(pg_obj_reads) int pg_obj_reads_of(int k, int which) { return pg_obj_reads(k, which); }

PG_EXPORT(pg_optim_count) int pg_optim_count(void) { return OFS_OPTIM_COUNT; }
PG_EXPORT(pg_optim_name) const char *pg_optim_name(int k) { return ofs_optim_name((ofs_optim_kind)k); }
PG_EXPORT(pg_field) const char *pg_field(int i) { return ofs_optim_field(i); }
PG_EXPORT(pg_reads) int pg_reads(int k, int i) { return ofs_optim_reads((ofs_optim_kind)k, ofs_optim_field(i)); }
PG_EXPORT(pg_default) double pg_default(int k, int i)
{
    ofs_optim_config c = ofs_optim_defaults((ofs_optim_kind)k);
    double v = 0;
    ofs_optim_config_get(&c, ofs_optim_field(i), &v, NULL);
    return v;
}
/* A 0/1 flag: the header refuses 0.5 for it. */
PG_EXPORT(pg_is_flag) int pg_is_flag(int i)
{
    ofs_optim_config c = ofs_optim_defaults(OFS_SGD);
    return ofs_optim_config_set(&c, ofs_optim_field(i), 0.5, NULL) != OFS_OK;
}

PG_EXPORT(pg_sched_count) int pg_sched_count(void) { return OFS_SCHED_COUNT; }
PG_EXPORT(pg_sched_name) const char *pg_sched_name(int k) { return ofs_sched_name((ofs_sched_kind)k); }
/* Why the page cannot offer kind k, or "" when it can. */
PG_EXPORT(pg_sched_needs) const char *pg_sched_needs_of(int k)
{
    size_t i;
    for (i = 0; i < sizeof pg_sched_needs / sizeof pg_sched_needs[0]; i++)
        if (strcmp(ofs_sched_name((ofs_sched_kind)k), pg_sched_needs[i][0]) == 0) return pg_sched_needs[i][1];
    return "";
}
PG_EXPORT(pg_sched_field_count) int pg_sched_field_count(void) { return PG_NSFIELDS; }
PG_EXPORT(pg_sched_field) const char *pg_sched_field(int i) { return pg_sfields[i].name; }
PG_EXPORT(pg_sched_field_type) int pg_sched_field_type(int i) { return pg_sfields[i].type; }
PG_EXPORT(pg_sched_reads) int pg_sched_reads(int k, int i) { return pg_sched_reads_field(k, i); }
PG_EXPORT(pg_sched_default) double pg_sched_default(int k, int i)
{
    ofs_sched s = ofs_sched_defaults((ofs_sched_kind)k, 1.0);
    return pg_sched_get(&s, &pg_sfields[i]);
}
/* The field ofs_sched_set_run fits to a run (index into the fields), or -1: found by
   asking the header to fit kind k's defaults to a run of 1234 steps. */
PG_EXPORT(pg_sched_fitted) int pg_sched_fitted(int k)
{
    ofs_sched s = ofs_sched_defaults((ofs_sched_kind)k, 1.0), t = s;
    int i;
    ofs_sched_set_run(&t, 1234, NULL);
    for (i = 0; i < PG_NSFIELDS; i++)
        if (pg_sfields[i].type == 's' && pg_sched_get(&s, &pg_sfields[i]) != pg_sched_get(&t, &pg_sfields[i])) return i;
    return -1;
}
PG_EXPORT(pg_max_steps) int pg_max_steps(void) { return PG_MAX_STEPS; }
PG_EXPORT(pg_max_runs) int pg_max_runs(void) { return PG_MAX_RUNS; }

#ifdef PLAY_MAIN
/* The native side: play 'STATE' prints each run's line (as the page's table shows it),
   its note, and each issue; with --path first, every row of each run's path too, as
   "k x1 x2 f" (%.17g), one block per run followed by a blank line. */
int main(int argc, char **argv)
{
    int i, k, n, paths = argc == 3 && strcmp(argv[1], "--path") == 0;
    if (argc != 2 + paths) {
        fprintf(stderr, "usage: %s [--path] 'f=rosenbrock&x=-1.2,1&steps=2000&o=adam:lr=0.01' (a playground state)\n", argv[0]);
        return 2;
    }
    pg_copy(pg_input, sizeof pg_input, argv[1 + paths]);
    n = pg_run_state();
    for (i = 0; i < n; i++) {
        const pg_run *r = &S.runs[i];
        printf("%s\n", pg_run_line(i));
        if (r->note[0]) printf("  note: %s\n", r->note);
        for (k = 0; paths && k < r->points; k++)
            printf("%d %.17g %.17g %.17g\n", k, r->path[3 * k], r->path[3 * k + 1], r->path[3 * k + 2]);
        if (paths) printf("\n");
    }
    for (i = 0; i < S.nissues; i++) printf("issue %s: %s\n", S.issues[i].where, S.issues[i].msg);
    return 0;
}
#endif
