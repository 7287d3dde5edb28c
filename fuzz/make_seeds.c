/* Writes the seed corpora: valid IDX files of every element type and shape, and
   saved optimizer states of every algorithm, and checkpoints.
     cc -std=c99 -I. fuzz/make_seeds.c -o build/make_seeds -lm && ./build/make_seeds */
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
    /* checkpoints of a 4-3-2 network, one and two parameter groups: payload and whole file */
    for (t = 0; t < 2; t++) {
        static const int sizes[3] = {4, 3, 2};
        ofs_mlp m;
        ofs_trainer tr;
        ofs_optim_config c = ofs_optim_defaults(OFS_ADAMW);
        ofs_rng rng;
        unsigned char bytes[4096];
        size_t len;
        FILE *f;
        ofs_rng_seed(&rng, 1);
        ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 4, NULL);
        ofs_mlp_randomize(&m, OFS_INIT_HE, &rng);
        ofs_trainer_create(&tr, &m, &c, t, 2, 8, &rng, NULL);
        ofs_trainer_save(&tr, "build/seed.ckpt", NULL);
        f = fopen("build/seed.ckpt", "rb");
        len = f ? fread(bytes + 1, 1, sizeof bytes - 1, f) : 0;
        if (f) fclose(f);
        bytes[0] = (unsigned char)(1 | (t ? 2 : 0));                 /* whole file */
        snprintf(path, sizeof path, "fuzz/corpus/checkpoint/file%d.bin", t);
        f = fopen(path, "wb"); fwrite(bytes, 1, len + 1, f); fclose(f);
        bytes[20] = (unsigned char)(t ? 2 : 0);                       /* payload only */
        snprintf(path, sizeof path, "fuzz/corpus/checkpoint/payload%d.bin", t);
        f = fopen(path, "wb"); fwrite(bytes + 20, 1, len + 1 - 24, f); fclose(f);
        ofs_trainer_free(&tr);
        ofs_mlp_free(&m);
    }
    remove("build/seed.ckpt");
    return 0;
}
