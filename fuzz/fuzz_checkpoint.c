/* libFuzzer harness for the checkpoint reader, in memory. An input whose first byte
   is even is a checkpoint payload (what ofs_trainer_load_payload reads once the
   file's checksum has passed); an odd first byte means the rest is a whole file,
   container included, checked by ofs_file_parse first.
     clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_checkpoint.c -o build/fuzz_checkpoint -lm
   Built with -DFUZZ_REPLAY it replays files given on the command line. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int sizes[3] = {4, 3, 2};
    ofs_mlp m;
    ofs_trainer t;
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAMW);
    ofs_rng rng;
    ofs_err err;
    const unsigned char *payload = data + 1;
    size_t len = size - 1;
    ofs_status st = OFS_OK;
    if (size < 1) return 0;
    ofs_rng_seed(&rng, 1);
    if (ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 4, NULL) != OFS_OK) return 0;
    if (ofs_trainer_create(&t, &m, &c, (data[0] & 2) != 0, 2, 8, &rng, NULL) != OFS_OK) { ofs_mlp_free(&m); return 0; }
    if (data[0] & 1) st = ofs_file_parse(data + 1, size - 1, 15u, "fuzz input", &payload, &len, &err);
    if (st == OFS_OK) st = ofs_trainer_load_payload(&t, payload, len, "fuzz input", &err);
    OFS_ASSERT(st == OFS_OK || err.msg[0] != 0);   /* every refusal has its sentence */
    ofs_trainer_free(&t);
    ofs_mlp_free(&m);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif
