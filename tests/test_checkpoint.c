/* test_checkpoint: training checkpoints (chapter 15). Two epochs straight and one
   epoch + save + resume + one epoch give bit-identical parameters and optimizer
   state; corrupt, truncated and mismatched checkpoints are refused with a clear
   message and change nothing; a non-finite loss stops training and the last good
   checkpoint stays intact. Files go to build/fixtures/test_checkpoint (or argv[1]).
   Run from the repository root. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include "fixtures.h"
#include <time.h>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#endif

static char dir[512];
static ofs_dataset ds;

static const char *path(const char *name)
{
    static char buf[4][768];
    static int k;
    k = (k + 1) % 4;
    return fixture_path(buf[k], sizeof buf[k], dir, name);
}

/* Linear warmup over a tenth of the run, then cosine to 0: the schedule position matters. */
static ofs_status warmup_cosine(int64_t k, ofs_optim_config *cfg, void *ctx, ofs_err *err)
{
    double T = *(const double *)ctx, W = T / 10;
    if ((double)k < W) cfg->lr = 1e-2 * ((double)k + 1) / W;
    else cfg->lr = 1e-2 * 0.5 * (1 + cos(M_PI * ((double)k - W) / (T - W)));
    (void)err;
    return OFS_OK;
}
static double total_steps = 2 * 19;    /* 2 epochs of ceil(300/16) = 19 batches */

typedef struct run { ofs_mlp m; ofs_trainer t; } run;

static int setup(run *r, int hidden, int batch, ofs_optim_kind kind, int decay_biases, uint64_t seed)
{
    int sizes[3];
    ofs_optim_config cfg = ofs_optim_defaults(kind);
    ofs_rng rng;
    ofs_err e;
    sizes[0] = ds.dim; sizes[1] = hidden; sizes[2] = 10;
    if (kind == OFS_SGD) cfg.momentum = 0.9;
    if (ofs_mlp_create(&r->m, sizes, 3, OFS_ACT_RELU, batch, &e) != OFS_OK) { printf("setup: %s\n", e.msg); return -1; }
    ofs_rng_seed(&rng, seed);
    ofs_mlp_randomize(&r->m, OFS_INIT_HE, &rng);
    if (ofs_trainer_create(&r->t, &r->m, &cfg, decay_biases, batch, ds.n, &rng, &e) != OFS_OK) { printf("setup: %s\n", e.msg); return -1; }
    r->t.schedule = warmup_cosine; r->t.schedule_ctx = &total_steps;
    return 0;
}

static void teardown(run *r) { ofs_trainer_free(&r->t); ofs_mlp_free(&r->m); }

static int epoch(run *r)
{
    ofs_err e;
    ofs_status s = ofs_trainer_epoch(&r->t, ds.x, ds.y, NULL, &e);
    if (s != OFS_OK) printf("epoch: %s\n", e.msg);
    return s == OFS_OK;
}

static int same_state(const run *a, const run *b)
{
    int g, k, same = memcmp(a->m.params, b->m.params, a->m.nparams * sizeof(ofs_real)) == 0;
    same &= a->t.epoch == b->t.epoch && a->t.step == b->t.step && memcmp(&a->t.rng, &b->t.rng, sizeof a->t.rng) == 0;
    for (g = 0; g < a->t.ngroups; g++) {
        same &= a->t.opt[g].t == b->t.opt[g].t;
        for (k = 0; k < 3; k++)
            if (a->t.opt[g].s[k]) same &= memcmp(a->t.opt[g].s[k], b->t.opt[g].s[k], a->t.opt[g].n * sizeof(ofs_real)) == 0;
    }
    return same;
}

static unsigned char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    unsigned char *d;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);
    d = (unsigned char *)malloc((size_t)n + 1);
    *len = fread(d, 1, (size_t)n, f);
    fclose(f);
    return d;
}

static void refuse(run *r, const char *file, ofs_status want, const char *msg1, const char *msg2);

/* A weight average travels with the checkpoint: resumed, it continues bit for bit; a
   checkpoint with one does not load into a trainer without, nor the other way round;
   and a version-2 checkpoint (no average) still loads. */
static void with_average(run *r, ofs_average *a, int64_t from, double decay)
{
    ofs_average_init(a, r->m.nparams, decay, NULL);
    r->t.average = a; r->t.average_from = from; r->t.average_every = decay > 0 ? 1 : 9;
}

static void check_average(void)
{
    run a, b, c;
    ofs_average aa, ab, ac;
    ofs_err e;
    ofs_buf pl;
    CHECK(setup(&a, 32, 16, OFS_SGD, 0, 1) == 0 && setup(&b, 32, 16, OFS_SGD, 0, 1) == 0 && setup(&c, 32, 16, OFS_SGD, 0, 5) == 0, "setup");
    with_average(&a, &aa, 10, 0); with_average(&b, &ab, 10, 0); with_average(&c, &ac, 10, 0);
    CHECK(epoch(&a) && epoch(&a) && epoch(&b), "SWA every 9 steps from step 10");
    CHECK(ofs_trainer_save(&b.t, path("avg.ckpt"), &e) == OFS_OK && ofs_trainer_load(&c.t, path("avg.ckpt"), &e) == OFS_OK, "%s", e.msg);
    CHECK(epoch(&c) && same_state(&a, &c) && aa.count == 3 && ac.count == 3 &&
          memcmp(aa.avg, ac.avg, aa.n * sizeof(ofs_real)) == 0, "resumed, the average continues bit for bit (%lld updates)",
          (long long)ac.count);
    teardown(&c); ofs_average_free(&ac);
    CHECK(setup(&c, 32, 16, OFS_SGD, 0, 5) == 0, "setup");
    refuse(&c, path("avg.ckpt"), OFS_ERR_MISMATCH, "avg.ckpt", "holds a weight average, this trainer keeps none");
    teardown(&c);
    CHECK(setup(&c, 32, 16, OFS_SGD, 0, 5) == 0, "setup");
    with_average(&c, &ac, 10, 0.5);
    refuse(&c, path("avg.ckpt"), OFS_ERR_MISMATCH, "weight average: expected", "decay 0.5, found");
    b.t.average = NULL;
    CHECK(ofs_trainer_save(&b.t, path("none.ckpt"), &e) == OFS_OK, "save without an average");
    refuse(&c, path("none.ckpt"), OFS_ERR_MISMATCH, "none.ckpt", "expected a weight average (this trainer keeps one), found none");
    /* version 2: the same payload without the average's flag (and version 4's tail:
       accumulate and the two wrappers' flags) */
    CHECK(ofs_file_load(path("none.ckpt"), 15u, &pl, &e) == OFS_OK, "%s", e.msg);
    pl.data[0] = 2; pl.len -= 8 + 24;
    CHECK(ofs_file_save(path("v2.ckpt"), 15u, &pl, &e) == OFS_OK, "%s", e.msg);
    ofs_buf_free(&pl);
    teardown(&c); ofs_average_free(&ac);
    CHECK(setup(&c, 32, 16, OFS_SGD, 0, 5) == 0, "setup");
    CHECK(ofs_trainer_load(&c.t, path("v2.ckpt"), &e) == OFS_OK && c.t.step == 19, "a version-2 checkpoint loads: %s", e.msg);
    teardown(&a); teardown(&b); teardown(&c);
    ofs_average_free(&aa); ofs_average_free(&ab);
}

static void check_resume(void)
{
    run a, b, c;
    ofs_err e;
    CHECK(setup(&a, 32, 16, OFS_ADAMW, 0, 1) == 0 && setup(&b, 32, 16, OFS_ADAMW, 0, 1) == 0, "setup");
    CHECK(epoch(&a) && epoch(&a), "two epochs straight");
    CHECK(epoch(&b), "one epoch");
    CHECK(ofs_trainer_save(&b.t, path("one.ckpt"), &e) == OFS_OK, "save: %s", e.msg);
    teardown(&b);
    CHECK(setup(&c, 32, 16, OFS_ADAMW, 0, 12345) == 0, "a fresh run, other seed");
    CHECK(ofs_trainer_load(&c.t, path("one.ckpt"), &e) == OFS_OK, "load: %s", e.msg);
    CHECK(c.t.epoch == 1 && c.t.step == 19, "resumed at epoch %lld, step %lld", (long long)c.t.epoch, (long long)c.t.step);
    CHECK(epoch(&c), "one more epoch");
    CHECK(same_state(&a, &c), "2 epochs == 1 + save + resume + 1, bit for bit (parameters, moments, counters, rng)");
    CHECK(a.t.step == 38 && a.m.params[0] == a.m.params[0], "sanity: %lld steps", (long long)a.t.step);
    teardown(&a); teardown(&c);
}

/* Each refused file leaves the trainer exactly as it was. */
static void refuse(run *r, const char *file, ofs_status want, const char *msg1, const char *msg2)
{
    run copy;
    ofs_err e;
    ofs_status s;
    setup(&copy, r->m.sizes[1], r->t.batch, r->t.opt[0].cfg.kind, r->t.ngroups == 1, 777);
    memcpy(copy.m.params, r->m.params, r->m.nparams * sizeof(ofs_real));
    s = ofs_trainer_load(&r->t, file, &e);
    CHECK(s == want, "%s: status %s, want %s (%s)", file, ofs_status_string(s), ofs_status_string(want), e.msg);
    CHECK(strstr(e.msg, msg1) != NULL && strstr(e.msg, msg2) != NULL, "%s: message '%s' should contain '%s' and '%s'",
          file, e.msg, msg1, msg2);
    CHECK(memcmp(copy.m.params, r->m.params, r->m.nparams * sizeof(ofs_real)) == 0 && r->t.epoch == 0 && r->t.step == 0,
          "%s: a refused checkpoint changes nothing", file);
    teardown(&copy);
}

static void write_bytes(const char *p, const unsigned char *d, size_t n) { fixture_write(p, d, n); }

/* Re-save the checkpoint's payload with one u64 field replaced. */
static void patch_u64(const char *from, const char *to, size_t at, uint64_t v)
{
    ofs_buf b;
    int i;
    if (ofs_file_load(from, 15u, &b, NULL) != OFS_OK) { printf("patch: cannot read %s\n", from); return; }
    for (i = 0; i < 8; i++) b.data[at + i] = (unsigned char)(v >> (8 * i));
    ofs_file_save(to, 15u, &b, NULL);
    ofs_buf_free(&b);
}

static void check_refusals(void)
{
    run r, o;
    unsigned char *d;
    size_t n;
    char good[768];
    snprintf(good, sizeof good, "%s", path("one.ckpt"));
    CHECK(setup(&r, 32, 16, OFS_ADAMW, 0, 3) == 0, "setup");
    d = slurp(good, &n);
    CHECK(d != NULL && n > 1000, "the checkpoint exists");
    if (!d) return;
    d[n / 2] ^= 0x40;
    write_bytes(path("corrupt.ckpt"), d, n);
    d[n / 2] ^= 0x40;
    refuse(&r, path("corrupt.ckpt"), OFS_ERR_FORMAT, "checksum mismatch", "corrupt");
    write_bytes(path("truncated.ckpt"), d, n - 100);
    refuse(&r, path("truncated.ckpt"), OFS_ERR_FORMAT, "truncated.ckpt", "the header promises");
    write_bytes(path("empty.ckpt"), d, 0);
    refuse(&r, path("empty.ckpt"), OFS_ERR_FORMAT, "empty.ckpt", "at least 24 bytes");
    refuse(&r, path("missing.ckpt"), OFS_ERR_IO, "missing.ckpt", "cannot open");
    patch_u64(good, path("v1.ckpt"), 0, 1);
    refuse(&r, path("v1.ckpt"), OFS_ERR_MISMATCH, "expected checkpoint format version 2 to 4", "found version 1 (its weights are stored in x out");
    patch_u64(good, path("v5.ckpt"), 0, 5);
    refuse(&r, path("v5.ckpt"), OFS_ERR_MISMATCH, "expected checkpoint format version 2 to 4", "found version 5");
    patch_u64(good, path("real.ckpt"), 8, sizeof(ofs_real) == 4 ? 8 : 4);
    refuse(&r, path("real.ckpt"), OFS_ERR_MISMATCH, "ofs_real", "OFS_REAL");
    free(d);
    ofs_optim_save_file(&r.t.opt[0], path("optim.state"), NULL);
    refuse(&r, path("optim.state"), OFS_ERR_MISMATCH, "expected a file of kind 15", "found kind 1");
    teardown(&r);

    CHECK(setup(&o, 16, 16, OFS_ADAMW, 0, 3) == 0, "setup 16 hidden");
    refuse(&o, good, OFS_ERR_MISMATCH, "expected a 144-16-10 relu network", "found a checkpoint of a 144-32-10 relu network");
    teardown(&o);
    CHECK(setup(&o, 32, 20, OFS_ADAMW, 0, 3) == 0, "setup batch 20");
    refuse(&o, good, OFS_ERR_MISMATCH, "expected a run with batch 20 over 300 examples", "found batch 16 over 300");
    teardown(&o);
    CHECK(setup(&o, 32, 16, OFS_SGD, 0, 3) == 0, "setup sgd");
    refuse(&o, good, OFS_ERR_MISMATCH, "optimizer state: expected sgd", "found adamw");
    teardown(&o);
    CHECK(setup(&o, 32, 16, OFS_ADAMW, 1, 3) == 0, "setup one group");
    refuse(&o, good, OFS_ERR_MISMATCH, "expected 1 parameter group(s)", "found 2");
    teardown(&o);
}

static void patch_f64(const char *from, const char *to, size_t at, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    patch_u64(from, to, at, u);
}

/* Checkpoints whose checksum is valid but whose contents are hostile: every field is
   refused with the file, the field, what was expected and what was found, and the
   trainer is left as it was. Offsets: the header of a 2-layer, 2-group run is 12
   u64 (96 bytes) before the epoch; the parameters start at 144, group 0's optimizer
   state after them (t at +24, lr +64, weight_decay +72, beta1 +112, eps +128). */
static void check_hostile(void)
{
    run r;
    char good[768];
    size_t P;
    CHECK(setup(&r, 32, 16, OFS_ADAMW, 0, 3) == 0, "setup");
    snprintf(good, sizeof good, "%s", path("one.ckpt"));
    P = 144 + 8 * r.m.nparams;
    patch_u64(good, path("h.ckpt"), 96, (uint64_t)INT64_MAX);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt: expected an epoch and a step in [0, 2^53]", "found epoch 9223372036854775807");
    patch_u64(good, path("h.ckpt"), 96, (uint64_t)-1);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt: expected an epoch", "found epoch -1 ");
    patch_u64(good, path("h.ckpt"), 104, (uint64_t)INT64_MAX);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt: expected an epoch and a step", "step 9223372036854775807");
    patch_u64(good, path("h.ckpt"), 112, 0);
    patch_u64(path("h.ckpt"), path("h.ckpt"), 120, 0);
    patch_u64(path("h.ckpt"), path("h.ckpt"), 128, 0);
    patch_u64(path("h.ckpt"), path("h.ckpt"), 136, 0);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt: expected a random-number state that is not all zero", "found all four words 0");
    patch_f64(good, path("h.ckpt"), 144 + 8 * 5, (double)NAN);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt: expected finite parameters", "found nan at parameter 5 of");
    patch_f64(good, path("h.ckpt"), 144 + 8 * (r.m.nparams - 1), -(double)INFINITY);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "expected finite parameters", "found -inf at parameter");
    patch_u64(good, path("h.ckpt"), P + 24, (uint64_t)-1);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt: parameter group 0 (weights): optimizer state", "t in [0, 2^53], found -1");
    patch_u64(good, path("h.ckpt"), P + 24, (uint64_t)INT64_MAX);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt: parameter group 0", "found 9223372036854775807");
    patch_f64(good, path("h.ckpt"), P + 112, 1);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt: parameter group 0 (weights): optimizer state: hyperparameters: adamw",
           "expected beta1 in [0, 1) (and below 1 in ofs_real), found 1");
    patch_f64(good, path("h.ckpt"), P + 112, (double)NAN);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt", "beta1 in [0, 1) (and below 1 in ofs_real), found nan");
    patch_f64(good, path("h.ckpt"), P + 112, -1);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt", "beta1 in [0, 1)");
    patch_f64(good, path("h.ckpt"), P + 128, 0);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt", "expected eps in [1e-16, 1e6], found 0");
    patch_f64(good, path("h.ckpt"), P + 64, (double)NAN);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt", "expected a learning rate lr in [0, 1000], found nan");
    patch_f64(good, path("h.ckpt"), P + 72, -1);
    refuse(&r, path("h.ckpt"), OFS_ERR_FORMAT, "h.ckpt", "expected weight_decay in [0, 1e3], found -1");
    teardown(&r);
}

/* Not a checkpoint: a directory, a FIFO (in a child that an alarm would kill if the
   open blocked), a 1 GB file of zeros (refused after reading its first 20 bytes). */
static void check_not_files(void)
{
    run r;
    ofs_err e;
    ofs_buf b;
    FILE *f;
    clock_t c0;
    double secs;
    const char *big = path("big.bin");
    CHECK(setup(&r, 32, 16, OFS_ADAMW, 0, 3) == 0, "setup");
    refuse(&r, dir, OFS_ERR_IO, dir, "expected a regular file, found a directory");
    CHECK(ofs_file_load(dir, 15u, &b, &e) == OFS_ERR_IO && b.data == NULL && strstr(e.msg, "found a directory"), "file_load: %s", e.msg);
#if defined(__unix__) || defined(__APPLE__)
    {
        const char *fifo = path("resume.fifo");
        pid_t pid;
        int status = -1;
        remove(fifo);
        CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
        if ((pid = fork()) == 0) {
            int refused;
            alarm(10);
            refused = ofs_trainer_load(&r.t, fifo, &e) == OFS_ERR_IO && strstr(e.msg, "found a FIFO (named pipe)");
            teardown(&r); ofs_dataset_free(&ds);   /* a child frees what it holds: memcheck judges it too */
            _exit(refused ? 0 : 1);
        }
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a FIFO as checkpoint is refused at once, not waited on (status %d)", status);
        remove(fifo);
    }
#endif
    f = fopen(big, "wb");
    CHECK(f && fseek(f, (1L << 30) - 1, SEEK_SET) == 0 && fputc(0, f) == 0 && fclose(f) == 0, "a 1 GB file (sparse)");
    c0 = clock();
    CHECK(ofs_trainer_load(&r.t, big, &e) == OFS_ERR_FORMAT && strstr(e.msg, "not an optimfs file"), "1 GB: %s", e.msg);
    secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    CHECK(secs < 0.5, "refused in %.3f s of CPU (it is not read whole)", secs);
    remove(big);
    teardown(&r);
}

/* A state that is not finite is never saved: OFS_ERR_NONFINITE, the file named, and
   the previous checkpoint stays byte for byte. Counters at their limit stop training. */
/* Lookahead (k 3), SAM and accumulate 2 travel with the checkpoint (version 4): one
   epoch, save, load into a fresh trainer, one epoch is two epochs straight, bit for
   bit, slow weights and Lookahead's count (mid-cycle) included; any difference in the
   wrappers or in accumulate is refused and changes nothing; a version-3 file loads as
   a run without wrappers and with accumulate 1; a non-finite slow weight is not saved. */
typedef struct wrapped { run r; ofs_lookahead la; ofs_sam sam; } wrapped;

static int wrap_setup(wrapped *w, uint64_t seed, int k, double rho, int accumulate, int with_la, int with_sam)
{
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_sam_config sc = ofs_sam_defaults();
    if (setup(&w->r, 32, 16, OFS_ADAMW, 0, seed) != 0) return -1;
    lc.k = k; sc.rho = rho;
    memset(&w->la, 0, sizeof w->la); memset(&w->sam, 0, sizeof w->sam);
    if (with_la && ofs_lookahead_init(&w->la, &lc, w->r.m.params, w->r.m.nparams, NULL) != OFS_OK) return -1;
    if (with_sam && ofs_sam_init(&w->sam, &sc, w->r.m.nparams, NULL) != OFS_OK) return -1;
    w->r.t.lookahead = with_la ? &w->la : NULL;
    w->r.t.sam = with_sam ? &w->sam : NULL;
    w->r.t.accumulate = accumulate;
    return 0;
}

static void wrap_teardown(wrapped *w)
{
    teardown(&w->r);
    if (w->la.slow) ofs_lookahead_free(&w->la);
    if (w->sam.x) ofs_sam_free(&w->sam);
}

/* A trainer (seed 5) with these wrappers refuses the file, naming `needle`. */
static void wrap_refuses(const char *file, int k, double rho, int accumulate, int with_la, int with_sam, const char *needle)
{
    wrapped w;
    ofs_real *slow;
    CHECK(wrap_setup(&w, 5, k, rho, accumulate, with_la, with_sam) == 0, "setup");
    slow = with_la ? (ofs_real *)malloc(w.la.n * sizeof *slow) : NULL;
    if (slow) memcpy(slow, w.la.slow, w.la.n * sizeof *slow);
    refuse(&w.r, file, OFS_ERR_MISMATCH, file, needle);
    CHECK(!slow || (memcmp(slow, w.la.slow, w.la.n * sizeof *slow) == 0 && w.la.count == 0), "%s: the slow weights unchanged", needle);
    free(slow);
    wrap_teardown(&w);
}

static void check_wrappers(void)
{
    wrapped a, b, c;
    ofs_err e;
    ofs_buf pl;
    char ck[768], v3[768];
    snprintf(ck, sizeof ck, "%s", path("wrapped.ckpt"));
    snprintf(v3, sizeof v3, "%s", path("v3.ckpt"));
    CHECK(wrap_setup(&a, 1, 3, 0.05, 2, 1, 1) == 0 && wrap_setup(&b, 1, 3, 0.05, 2, 1, 1) == 0 &&
          wrap_setup(&c, 5, 3, 0.05, 2, 1, 1) == 0, "setup with Lookahead, SAM and accumulate 2");
    CHECK(epoch(&a.r) && epoch(&a.r) && epoch(&b.r) && b.la.count == 1, "10 steps an epoch: Lookahead's count 1 after the first");
    CHECK(ofs_trainer_save(&b.r.t, ck, &e) == OFS_OK && ofs_trainer_load(&c.r.t, ck, &e) == OFS_OK, "%s", e.msg);
    CHECK(c.la.count == 1 && memcmp(c.la.slow, b.la.slow, b.la.n * sizeof(ofs_real)) == 0, "the slow weights and the count load");
    CHECK(epoch(&c.r) && same_state(&a.r, &c.r) && a.la.count == c.la.count &&
          memcmp(a.la.slow, c.la.slow, a.la.n * sizeof(ofs_real)) == 0, "resumed with the wrappers, the run continues bit for bit");
    wrap_refuses(ck, 3, 0.05, 1, 1, 1, "expected a run with accumulate 1 (micro-batches per step), found accumulate 2");
    wrap_refuses(ck, 3, 0.05, 2, 0, 1, "the checkpoint holds Lookahead's state, this trainer has none");
    wrap_refuses(ck, 4, 0.05, 2, 1, 1, "lookahead state: expected");
    wrap_refuses(ck, 3, 0.1, 2, 1, 1, "sam state: expected");
    wrap_refuses(ck, 3, 0.05, 2, 1, 0, "the checkpoint holds SAM's settings, this trainer has none");
    /* version 3: a run without wrappers, saved by this version, less its 24-byte tail */
    a.r.t.lookahead = NULL; a.r.t.sam = NULL; a.r.t.accumulate = 1;
    CHECK(ofs_trainer_save(&a.r.t, ck, &e) == OFS_OK && ofs_file_load(ck, 15u, &pl, &e) == OFS_OK, "%s", e.msg);
    wrap_refuses(ck, 3, 0.05, 1, 0, 1, "expected SAM's settings (this trainer has one), found none");
    pl.data[0] = 3; pl.len -= 24;
    CHECK(ofs_file_save(v3, 15u, &pl, &e) == OFS_OK, "%s", e.msg);
    ofs_buf_free(&pl);
    wrap_refuses(v3, 3, 0.05, 1, 1, 0, "expected a run with Lookahead, found a checkpoint of format version 3 (no wrappers)");
    wrap_refuses(v3, 3, 0.05, 2, 0, 0, "expected a run with accumulate 2 (micro-batches per step), found accumulate 1");
    wrap_teardown(&c);
    CHECK(wrap_setup(&c, 5, 3, 0.05, 1, 0, 0) == 0 && ofs_trainer_load(&c.r.t, v3, &e) == OFS_OK && c.r.t.step == 20,
          "a version-3 checkpoint loads as a run without wrappers, accumulate 1: %s", e.msg);
    b.la.slow[3] = (ofs_real)NAN;
    CHECK(ofs_trainer_save(&b.r.t, path("nan_slow.ckpt"), &e) == OFS_ERR_NONFINITE && strstr(e.msg, "slow weight 3") &&
          strstr(e.msg, "nothing was written"), "a NaN slow weight is not saved: %s", e.msg);
    wrap_teardown(&a); wrap_teardown(&b); wrap_teardown(&c);
}

static void check_save_refusals(void)
{
    run r;
    ofs_err e;
    unsigned char *before, *after;
    size_t n1 = 0, n2 = 0;
    ofs_real keep;
    char ck[768];
    ofs_rng rng;
    snprintf(ck, sizeof ck, "%s", path("good.ckpt"));
    CHECK(setup(&r, 32, 16, OFS_ADAMW, 0, 9) == 0 && epoch(&r) && ofs_trainer_save(&r.t, ck, &e) == OFS_OK, "a good checkpoint");
    before = slurp(ck, &n1);
    keep = r.m.params[7];
    r.m.params[7] = (ofs_real)INFINITY;
    CHECK(ofs_trainer_save(&r.t, ck, &e) == OFS_ERR_NONFINITE && strstr(e.msg, ck) && strstr(e.msg, "parameter 7 of") &&
          strstr(e.msg, "nothing was written"), "infinite parameter: %s", e.msg);
    r.m.params[7] = keep;
    r.t.opt[1].s[1][2] = (ofs_real)NAN;
    CHECK(ofs_trainer_save(&r.t, ck, &e) == OFS_ERR_NONFINITE && strstr(e.msg, ck) && strstr(e.msg, "moment array 1"),
          "NaN moment: %s", e.msg);
    r.t.opt[1].s[1][2] = 0;
    after = slurp(ck, &n2);
    CHECK(before && after && n1 == n2 && memcmp(before, after, n1) == 0, "the previous checkpoint is unchanged");
    free(before); free(after);
    r.t.step = OFS_MAX_STEPS - 3;
    rng = r.t.rng;
    CHECK(ofs_trainer_epoch(&r.t, ds.x, ds.y, NULL, &e) == OFS_ERR_ARG && strstr(e.msg, "below 2^53") &&
          memcmp(&rng, &r.t.rng, sizeof rng) == 0 && r.t.step == OFS_MAX_STEPS - 3, "an epoch past the step limit: %s", e.msg);
    teardown(&r);
}

/* Save after every good epoch, as the trainer does; a NaN stops the next one and
   no save follows: the file on disk is the last good state and loads. */
static void check_nonfinite(void)
{
    run r, back;
    ofs_err e;
    unsigned char *before, *after;
    size_t n1 = 0, n2 = 0;
    ofs_real keep;
    char ck[768];
    snprintf(ck, sizeof ck, "%s", path("last_good.ckpt"));
    CHECK(setup(&r, 32, 16, OFS_ADAMW, 0, 9) == 0, "setup");
    CHECK(epoch(&r) && ofs_trainer_save(&r.t, ck, &e) == OFS_OK, "epoch 1 saved");
    before = slurp(ck, &n1);
    keep = ds.x[123 * (size_t)ds.dim + 40];
    ds.x[123 * (size_t)ds.dim + 40] = (ofs_real)NAN;
    CHECK(ofs_trainer_epoch(&r.t, ds.x, ds.y, NULL, &e) == OFS_ERR_NONFINITE, "a NaN pixel stops training");
    CHECK(strstr(e.msg, "non-finite loss (nan)") && strstr(e.msg, "(epoch 2, batch ") && strstr(e.msg, "at step "),
          "the message names the step and the epoch: %s", e.msg);
    ds.x[123 * (size_t)ds.dim + 40] = keep;
    after = slurp(ck, &n2);
    CHECK(before && after && n1 == n2 && memcmp(before, after, n1) == 0, "the last good checkpoint is untouched");
    CHECK(setup(&back, 32, 16, OFS_ADAMW, 0, 10) == 0 && ofs_trainer_load(&back.t, ck, &e) == OFS_OK, "and it loads: %s", e.msg);
    CHECK(back.t.epoch == 1, "at epoch 1");
    CHECK(epoch(&back), "training goes on from it");
    free(before); free(after);
    teardown(&r); teardown(&back);
}

int main(int argc, char **argv)
{
    ofs_err e;
    if (!fixture_dir(argc, argv, "test_checkpoint", dir, sizeof dir)) return 1;
    CHECK(fixture_mnist(path("images.idx"), path("labels.idx"), 300, 12, 12, 5) == 0, "fixture written");
    CHECK(ofs_mnist_load(path("images.idx"), path("labels.idx"), &ds, &e) == OFS_OK, "fixture loads: %s", e.msg);
    if (ds.n != 300) return harness_done("test_checkpoint");
    check_resume();
    check_average();
    check_refusals();
    check_nonfinite();
    check_hostile();
    check_not_files();
    check_save_refusals();
    check_wrappers();
    ofs_dataset_free(&ds);
    return harness_done("test_checkpoint");
}
