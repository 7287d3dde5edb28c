/* libFuzzer harness for the checkpoint reader (ofs_trainer_load). An input whose
   first byte is even is a checkpoint payload: it is wrapped in a valid container
   (correct length and CRC-32) so the fuzzer reaches the parser behind the checksum;
   an odd first byte means the rest is the whole file, container included.
     clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_checkpoint.c -o build/fuzz_checkpoint -lm
   Built with -DFUZZ_REPLAY it replays files given on the command line. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"

#define FUZZ_PATH "build/fuzz_checkpoint.tmp"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int sizes[3] = {4, 3, 2};
    ofs_mlp m;
    ofs_trainer t;
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAMW);
    ofs_rng rng;
    ofs_err err;
    ofs_buf b = {NULL, 0, 0, 0};
    ofs_status st;
    FILE *f;
    if (size < 1) return 0;
    ofs_rng_seed(&rng, 1);
    if (ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 4, NULL) != OFS_OK) return 0;
    if (ofs_trainer_create(&t, &m, &c, (data[0] & 2) != 0, 2, 8, &rng, NULL) != OFS_OK) { ofs_mlp_free(&m); return 0; }
    if (data[0] & 1) {
        f = fopen(FUZZ_PATH, "wb");
        if (f) { fwrite(data + 1, 1, size - 1, f); fclose(f); }
    } else {
        b.data = (unsigned char *)(size > 1 ? data + 1 : data); b.len = b.cap = size - 1;
        ofs_file_save(FUZZ_PATH, 15u, &b, NULL);
    }
    st = ofs_trainer_load(&t, FUZZ_PATH, &err);
    OFS_ASSERT(st == OFS_OK || err.msg[0] != 0);   /* every refusal has its sentence */
    ofs_trainer_free(&t);
    ofs_mlp_free(&m);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif
