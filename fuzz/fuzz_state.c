/* libFuzzer harness for the optimizer-state reader (ofs_optim_load on arbitrary bytes),
   the payload of a saved optimizer after the file's checksum has passed.
     clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_state.c -o build/fuzz_state
   Built with -DFUZZ_REPLAY it replays files given on the command line. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ofs_optim o;
    ofs_optim_config c;
    ofs_reader r;
    ofs_err err;
    /* the kind and size the bytes claim pick the optimizer, so every algorithm is reached */
    c = ofs_optim_defaults((ofs_optim_kind)(size > 0 ? data[0] % OFS_OPTIM_COUNT : 0));
    if (size > 1 && (data[1] & 1)) { c.amsgrad = 1; c.momentum = 0.5; c.centered = 1; }
    if (ofs_optim_init(&o, &c, 1 + (size > 2 ? data[2] % 8 : 0), NULL) != OFS_OK) return 0;
    r.data = data; r.len = size; r.pos = 0; r.failed = 0;
    if (ofs_optim_load(&o, &r, &err) == OFS_OK) {
        ofs_real p[8] = {0}, g[8] = {0};
        (void)ofs_optim_step(&o, p, g, &err);   /* a loaded state must be steppable */
    } else {
        OFS_ASSERT(err.msg[0] != 0);
    }
    ofs_optim_free(&o);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif
