/* libFuzzer harness for the checkpoint reader, in memory. The first byte chooses:
     bit 0 set: the rest is a whole file, container included (magic, kind, length,
                CRC-32), checked by ofs_file_parse first; clear: the rest is a
                checkpoint payload (what ofs_trainer_load_payload reads once the
                file's checksum has passed);
     bit 1:     weight decay on the biases too, one parameter group; clear: two groups
                (weights with decay, biases without);
     bits 2-7:  the trainer's optimizer, AdamW + (byte >> 2) modulo the 13 kinds
                (so 0 is AdamW, as it was before the kind was chosen).
   The trainer is a 4-3-2 ReLU network over 8 examples in batches of 2; each input is
   loaded twice, into that trainer and into one with Lookahead (k 3, alpha 0.5), SAM
   (rho 0.05) and accumulate 2 (chapter 11b's wrappers: checkpoint version 4). A checkpoint
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
    size_t i;
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
    if (t->lookahead) {
        OFS_ASSERT(t->lookahead->count >= 0 && t->lookahead->count < t->lookahead->cfg.k);
        for (i = 0; i < t->lookahead->n; i++) OFS_ASSERT(t->lookahead->slow[i] - t->lookahead->slow[i] == 0);
    }
    for (k = 0; k < 8 * 4; k++) x[k] = (ofs_real)((k * 7 % 11) - 5) / 4;
    (void)ofs_trainer_epoch(t, x, y, &s, &err);   /* may refuse (a non-finite loss), never misbehave */
}

/* Load the input into a fresh trainer (wrapped: with Lookahead, SAM and accumulate 2). */
static void fuzz_load(const uint8_t *data, size_t size, int wrapped)
{
    static const int sizes[3] = {4, 3, 2};
    ofs_mlp m;
    ofs_trainer t;
    ofs_optim_config c;
    ofs_lookahead la;
    ofs_lookahead_config lc = ofs_lookahead_defaults();
    ofs_sam sam;
    ofs_sam_config sc = ofs_sam_defaults();
    ofs_rng rng;
    ofs_err err;
    const unsigned char *payload = data + 1;
    size_t len = size - 1;
    ofs_status st = OFS_OK;
    c = ofs_optim_defaults((ofs_optim_kind)((OFS_ADAMW + (data[0] >> 2)) % OFS_OPTIM_COUNT));
    ofs_rng_seed(&rng, 1);
    if (ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 4, NULL) != OFS_OK) return;
    if (ofs_trainer_create(&t, &m, &c, (data[0] & 2) != 0, 2, 8, &rng, NULL) != OFS_OK) { ofs_mlp_free(&m); return; }
    lc.k = 3; lc.alpha = 0.5;
    if (wrapped && (ofs_lookahead_init(&la, &lc, m.params, m.nparams, NULL) != OFS_OK || ofs_sam_init(&sam, &sc, m.nparams, NULL) != OFS_OK))
        OFS_ASSERT(0);
    if (wrapped) { t.lookahead = &la; t.sam = &sam; t.accumulate = 2; }
    if (data[0] & 1) st = ofs_file_parse(data + 1, size - 1, 15u, "fuzz input", &payload, &len, &err);
    if (st == OFS_OK) st = ofs_trainer_load_payload(&t, payload, len, "fuzz input", &err);
    if (st == OFS_OK) fuzz_check_loaded(&t);
    else OFS_ASSERT(err.msg[0] != 0);   /* every refusal has its sentence */
    if (wrapped) { ofs_lookahead_free(&la); ofs_sam_free(&sam); }
    ofs_trainer_free(&t);
    ofs_mlp_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fuzz_load(data, size, 0);
    fuzz_load(data, size, 1);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif
