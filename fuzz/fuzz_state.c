/* libFuzzer harness for the optimizer-state and plateau-state readers, on arbitrary
   bytes: what ofs_optim_load and ofs_plateau_load read once a file's checksum has
   passed. Two bytes choose, the rest is the saved state:
     data[0] % (OFS_OPTIM_COUNT + 1): the optimizer kind, or OFS_OPTIM_COUNT for the plateau scheduler;
     data[1]: bits 0-2 the number of parameters minus one (1 to 8), bit 3 momentum 0.5,
              bit 4 centered, bit 5 amsgrad (so every count of moment arrays is reached),
              bit 6 a shape 2 x n/2 (n even: Muon's and Adafactor's factored states).
   A state that loads must be one the library would accept from its own constructors:
   valid settings, counters >= 0, finite moments. It must then take steps without
   undefined behaviour (the sanitizers watch each one).
     clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. \
       fuzz/fuzz_state.c -o build/fuzz_state -lm
     ./build/fuzz_state -dict=fuzz/state.dict fuzz/corpus/state
   Built with -DFUZZ_REPLAY it replays files given on the command line. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"

static void fuzz_plateau(const uint8_t *data, size_t size)
{
    static const double metrics[4] = {1.0, 2.0, 0.5, 0.5};
    ofs_plateau p;
    ofs_reader r;
    ofs_err err;
    int k;
    r.data = data; r.len = size; r.pos = 0; r.failed = 0;
    if (ofs_plateau_load(&p, &r, &err) != OFS_OK) { OFS_ASSERT(err.msg[0] != 0); return; }
    OFS_ASSERT(ofs_plateau_validate(&p, &err) == OFS_OK);
    OFS_ASSERT(p.bad_epochs >= 0 && p.cooldown_counter >= 0 && p.last_epoch >= 0);
    for (k = 0; k < 4; k++) {
        double lr = 0.1;
        int at_limit = p.last_epoch >= OFS_MAX_STEPS;   /* the one step a valid state may refuse */
        ofs_status st = ofs_plateau_step(&p, metrics[k], &lr, &err);
        OFS_ASSERT(at_limit ? st == OFS_ERR_ARG && err.msg[0] != 0 : st == OFS_OK);
        OFS_ASSERT(lr >= 0 && lr <= 0.1);
    }
}

static void fuzz_optim(ofs_optim_kind kind, unsigned flags, const uint8_t *data, size_t size)
{
    ofs_optim o;
    ofs_optim_config c = ofs_optim_defaults(kind);
    ofs_reader r;
    ofs_err err;
    size_t n = 1 + (flags & 7), i;
    int k;
    if (flags & 8) c.momentum = 0.5;
    if (flags & 16) c.centered = 1;
    if (flags & 32) c.amsgrad = 1;
    if (ofs_optim_init_shape(&o, &c, n, flags & 64 && n % 2 == 0 ? 2 : 0, flags & 64 && n % 2 == 0 ? n / 2 : 0, NULL) != OFS_OK)
        return;
    r.data = data; r.len = size; r.pos = 0; r.failed = 0;
    if (ofs_optim_load(&o, &r, &err) == OFS_OK) {
        ofs_real p[8] = {0}, g[8] = {0}, h[8];
        OFS_ASSERT(o.cfg.kind == kind && o.n == n);
        OFS_ASSERT(o.t >= 0);                                      /* steps taken */
        OFS_ASSERT(ofs_optim_validate(&o.cfg, &err) == OFS_OK);   /* settings the validator accepts */
        for (k = 0; k < 3; k++)
            for (i = 0; i < ofs_optim_state_size(&o, k); i++) OFS_ASSERT(isfinite((double)o.s[k][i]));
        for (i = 0; i < n; i++) h[i] = (ofs_real)(i % 2 ? -0.25 : 0.5);
        (void)ofs_optim_step(&o, p, g, &err);   /* a loaded state must be steppable */
        (void)ofs_optim_step(&o, p, h, &err);
    } else {
        OFS_ASSERT(err.msg[0] != 0);
    }
    ofs_optim_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int which;
    if (size < 2) return 0;
    which = data[0] % (OFS_OPTIM_COUNT + 1);
    if (which == OFS_OPTIM_COUNT) fuzz_plateau(data + 2, size - 2);
    else fuzz_optim((ofs_optim_kind)which, data[1], data + 2, size - 2);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif
