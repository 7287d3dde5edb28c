/* Writes the seed corpora: valid IDX files of every element type and shape, and
   saved optimizer states of every algorithm.
     cc -std=c99 -I. fuzz/make_seeds.c -o build/make_seeds && ./build/make_seeds */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "../tests/fixtures.h"
#include <stdio.h>

int main(void)
{
    static const int types[6] = {0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E};
    double v[24];
    uint32_t dims[3] = {2, 3, 4};
    char path[128];
    int t, k;
    for (k = 0; k < 24; k++) v[k] = k * 3 - 20;
    for (t = 0; t < 6; t++)
        for (k = 1; k <= 3; k++) {
            snprintf(path, sizeof path, "fuzz/corpus/idx/type%02x_dims%d.idx", types[t], k);
            if (fixture_write_idx(path, types[t], k, dims + 3 - k, v) != 0) { printf("cannot write %s\n", path); return 1; }
        }
    fixture_mnist("fuzz/corpus/idx/images.idx", "fuzz/corpus/idx/labels.idx", 3, 4, 4, 1);
    for (t = 0; t < OFS_OPTIM_COUNT; t++) {
        ofs_optim o;
        ofs_optim_config c = ofs_optim_defaults((ofs_optim_kind)t);
        ofs_buf b = {NULL, 0, 0, 0};
        ofs_real p[3] = {1, 2, 3}, g[3] = {0.1f, -0.2f, 0.3f};
        FILE *f;
        ofs_optim_init(&o, &c, 3, NULL);
        ofs_optim_step(&o, p, g, NULL);
        ofs_optim_save(&o, &b);
        snprintf(path, sizeof path, "fuzz/corpus/state/%s.bin", ofs_optim_name((ofs_optim_kind)t));
        f = fopen(path, "wb");
        if (!f || fwrite(b.data, 1, b.len, f) != b.len) { printf("cannot write %s\n", path); return 1; }
        fclose(f);
        ofs_buf_free(&b);
        ofs_optim_free(&o);
    }
    return 0;
}
