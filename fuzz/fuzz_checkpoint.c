/* libFuzzer harness for the checkpoint reader, in memory. The first byte chooses:
     bit 0 set: the rest is a whole file, container included (magic, kind, length,
                CRC-32), checked by ofs_file_parse first; clear: the rest is a
                checkpoint payload (what ofs_trainer_load_payload reads once the
                file's checksum has passed);
     bit 1:     weight decay on the biases too, one parameter group; clear: two groups
                (weights with decay, biases without);
     bits 2-7:  the trainer's optimizer, AdamW + (byte >> 2) modulo the 13 kinds
                (so 0 is AdamW, as it was before the kind was chosen).
   The trainer is a 4-3-2 ReLU network over 8 examples in batches of 2. A checkpoint
   that loads must hold what a run could have written (counters >= 0, a live random
   state, optimizer states the validator accepts), and training must then go on
   without undefined behaviour or a hang: one epoch is run on fixed data.
     clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. \
       fuzz/fuzz_checkpoint.c -o build/fuzz_checkpoint -lm
     ./build/fuzz_checkpoint -dict=fuzz/checkpoint.dict fuzz/corpus/checkpoint
   Built with -DFUZZ_REPLAY it replays files given on the command line. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"

static void fuzz_check_loaded(ofs_trainer *t)
{
    static const unsigned char y[8] = {0, 1, 1, 0, 1, 0, 0, 1};
    ofs_real x[8 * 4];
    ofs_epoch_stats s;
    ofs_err err;
    int g, k;
    OFS_ASSERT(t->epoch >= 0);
    OFS_ASSERT(t->step >= 0);
    OFS_ASSERT((t->rng.s[0] | t->rng.s[1] | t->rng.s[2] | t->rng.s[3]) != 0);  /* xoshiro stuck at 0 */
    for (g = 0; g < t->ngroups; g++) {
        OFS_ASSERT(t->opt[g].t >= 0);
        OFS_ASSERT(ofs_optim_validate(&t->opt[g].cfg, &err) == OFS_OK);
    }
    for (k = 0; k < 8 * 4; k++) x[k] = (ofs_real)((k * 7 % 11) - 5) / 4;
    (void)ofs_trainer_epoch(t, x, y, &s, &err);   /* may refuse (a non-finite loss), never misbehave */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int sizes[3] = {4, 3, 2};
    ofs_mlp m;
    ofs_trainer t;
    ofs_optim_config c;
    ofs_rng rng;
    ofs_err err;
    const unsigned char *payload = data + 1;
    size_t len = size - 1;
    ofs_status st = OFS_OK;
    if (size < 1) return 0;
    c = ofs_optim_defaults((ofs_optim_kind)((OFS_ADAMW + (data[0] >> 2)) % OFS_OPTIM_COUNT));
    ofs_rng_seed(&rng, 1);
    if (ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 4, NULL) != OFS_OK) return 0;
    if (ofs_trainer_create(&t, &m, &c, (data[0] & 2) != 0, 2, 8, &rng, NULL) != OFS_OK) { ofs_mlp_free(&m); return 0; }
    if (data[0] & 1) st = ofs_file_parse(data + 1, size - 1, 15u, "fuzz input", &payload, &len, &err);
    if (st == OFS_OK) st = ofs_trainer_load_payload(&t, payload, len, "fuzz input", &err);
    if (st == OFS_OK) fuzz_check_loaded(&t);
    else OFS_ASSERT(err.msg[0] != 0);   /* every refusal has its sentence */
    ofs_trainer_free(&t);
    ofs_mlp_free(&m);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif
