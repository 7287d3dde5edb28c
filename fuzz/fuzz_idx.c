/* libFuzzer harness for the IDX reader (ofs_idx_parse: the bytes of any IDX file).
     clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_idx.c -o build/fuzz_idx
     ./build/fuzz_idx fuzz/corpus/idx
   Built with -DFUZZ_REPLAY instead, it is a plain program that feeds every file named
   on its command line to the same function: `make test` replays the corpus that way. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ofs_idx x;
    ofs_err err;
    if (ofs_idx_parse(data, size, "fuzz input", &x, &err) == OFS_OK) {
        size_t i, n = 1;
        int d;
        for (d = 0; d < x.ndim; d++) n *= x.dims[d];
        OFS_ASSERT(n == x.count);
        for (i = 0; i < x.count; i++) (void)x.x[i];   /* every element readable */
        ofs_idx_free(&x);
    } else {
        OFS_ASSERT(err.msg[0] != 0 && x.x == NULL);    /* a message, nothing allocated */
    }
    return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif
