/* main() for replaying a fuzz corpus without libFuzzer: each argument is a file
   whose bytes go to LLVMFuzzerTestOneInput once. Ends with the harness line. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int i, pass = 0, fail = 0;
    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        long size;
        unsigned char *buf;
        if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
            printf("FAIL cannot read %s\n", argv[i]); fail++; if (f) fclose(f); continue;
        }
        buf = (unsigned char *)malloc((size_t)size + 1);
        if (buf && fread(buf, 1, (size_t)size, f) == (size_t)size) { LLVMFuzzerTestOneInput(buf, (size_t)size); pass++; }
        else { printf("FAIL cannot read %s\n", argv[i]); fail++; }
        free(buf);
        fclose(f);
    }
    printf("%s: %d passed, %d failed\n", argv[0], pass, fail);
    return fail != 0;
}
