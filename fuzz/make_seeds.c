/* Writes the seed corpora: valid IDX files of every element type and shape, saved
   optimizer states of every algorithm (and the variants with other moment arrays),
   plateau states, and checkpoints of every optimizer, each in the layout its harness
   reads (see the first comment of fuzz/fuzz_state.c and fuzz/fuzz_checkpoint.c).
     cc -std=c99 -I. fuzz/make_seeds.c -o build/make_seeds -lm && ./build/make_seeds */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "../tests/fixtures.h"
#include <stdio.h>

/* fuzz_state's input: its two choosing bytes, then the saved state */
static int write_seed(const char *path, int choose0, int choose1, const ofs_buf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputc(choose0, f) == EOF || fputc(choose1, f) == EOF || fwrite(b->data, 1, b->len, f) != b->len) {
        printf("cannot write %s\n", path);
        if (f) fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

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
    /* optimizer states after two steps, behind fuzz_state's two choosing bytes (kind;
       n - 1 = 2 and the variant bits): every algorithm, and the variants with other
       numbers of moment arrays */
    for (t = 0; t < OFS_OPTIM_COUNT + 4; t++) {
        static const int extra_kind[4] = {OFS_SGD, OFS_RMSPROP, OFS_RMSPROP, OFS_ADAM};
        static const int extra_bits[4] = {8, 8, 16, 32};
        static const char *extra_name[4] = {"sgd_momentum", "rmsprop_momentum", "rmsprop_centered", "adam_amsgrad"};
        const int kind = t < OFS_OPTIM_COUNT ? t : extra_kind[t - OFS_OPTIM_COUNT];
        const int bits = t < OFS_OPTIM_COUNT ? 0 : extra_bits[t - OFS_OPTIM_COUNT];
        ofs_optim o;
        ofs_optim_config c = ofs_optim_defaults((ofs_optim_kind)kind);
        ofs_buf b = {NULL, 0, 0, 0};
        ofs_real p[4] = {1, 2, 3, 4}, g[4] = {0.1f, -0.2f, 0.3f, -0.4f};
        const int shaped = ofs_optim_wants_shape((ofs_optim_kind)kind);   /* Muon, Adafactor: 2 x 2 (bit 6, n - 1 = 3) */
        if (bits & 8) c.momentum = 0.5;
        if (bits & 16) c.centered = 1;
        if (bits & 32) c.amsgrad = 1;
        if (ofs_optim_init_shape(&o, &c, shaped ? 4 : 3, shaped ? 2 : 0, shaped ? 2 : 0, NULL) != OFS_OK) {
            printf("cannot make optimizer %d\n", t);
            return 1;
        }
        ofs_optim_step(&o, p, g, NULL);
        ofs_optim_step(&o, p, g, NULL);
        ofs_optim_save(&o, &b);
        snprintf(path, sizeof path, "fuzz/corpus/state/%s.bin",
                 t < OFS_OPTIM_COUNT ? ofs_optim_name((ofs_optim_kind)t) : extra_name[t - OFS_OPTIM_COUNT]);
        if (write_seed(path, kind, shaped ? 3 | 64 : 2 | bits, &b) != 0) return 1;
        ofs_buf_free(&b);
        ofs_optim_free(&o);
    }
    /* plateau states (choosing byte 13): fresh, and after epochs that cut the rate */
    for (t = 0; t < 2; t++) {
        ofs_plateau pl = ofs_plateau_defaults();
        ofs_buf b = {NULL, 0, 0, 0};
        double lr = 0.1;
        pl.patience = 1; pl.cooldown = 2; pl.mode_max = t; pl.threshold_abs = t;
        for (k = 0; k < 3 * t; k++) ofs_plateau_step(&pl, 1.0, &lr, NULL);
        ofs_plateau_save(&pl, &b);
        snprintf(path, sizeof path, "fuzz/corpus/state/plateau%d.bin", t);
        if (write_seed(path, OFS_OPTIM_COUNT, 0, &b) != 0) return 1;
        ofs_buf_free(&b);
    }
    /* checkpoints of a 4-3-2 network, one and two parameter groups: payload and whole
       file; t = 2: two groups, with the wrappers fuzz_checkpoint's second trainer has
       (Lookahead k 3 alpha 0.5 after one step, SAM, accumulate 2) */
    for (t = 0; t < 3; t++) {
        static const int sizes[3] = {4, 3, 2};
        ofs_mlp m;
        ofs_trainer tr;
        ofs_optim_config c = ofs_optim_defaults(OFS_ADAMW);
        ofs_rng rng;
        ofs_lookahead la;
        ofs_lookahead_config lc = ofs_lookahead_defaults();
        ofs_sam sam;
        ofs_sam_config sc = ofs_sam_defaults();
        unsigned char bytes[4096];
        size_t len;
        FILE *f;
        ofs_rng_seed(&rng, 1);
        ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 4, NULL);
        ofs_mlp_randomize(&m, OFS_INIT_HE, &rng);
        ofs_trainer_create(&tr, &m, &c, t == 1, 2, 8, &rng, NULL);
        if (t == 2) {
            lc.k = 3; lc.alpha = 0.5;
            ofs_lookahead_init(&la, &lc, m.params, m.nparams, NULL);
            ofs_sam_init(&sam, &sc, m.nparams, NULL);
            la.count = 1;
            tr.lookahead = &la; tr.sam = &sam; tr.accumulate = 2;
        }
        ofs_trainer_save(&tr, "build/seed.ckpt", NULL);
        if (t == 2) { ofs_lookahead_free(&la); ofs_sam_free(&sam); }
        f = fopen("build/seed.ckpt", "rb");
        len = f ? fread(bytes + 1, 1, sizeof bytes - 1, f) : 0;
        if (f) fclose(f);
        bytes[0] = (unsigned char)(1 | (t == 1 ? 2 : 0));            /* whole file */
        snprintf(path, sizeof path, t == 2 ? "fuzz/corpus/checkpoint/file_wrapped.bin" : "fuzz/corpus/checkpoint/file%d.bin", t);
        f = fopen(path, "wb"); fwrite(bytes, 1, len + 1, f); fclose(f);
        bytes[20] = (unsigned char)(t == 1 ? 2 : 0);                  /* payload only */
        snprintf(path, sizeof path, t == 2 ? "fuzz/corpus/checkpoint/payload_wrapped.bin" : "fuzz/corpus/checkpoint/payload%d.bin", t);
        f = fopen(path, "wb"); fwrite(bytes + 20, 1, len + 1 - 24, f); fclose(f);
        ofs_trainer_free(&tr);
        ofs_mlp_free(&m);
    }
    /* payloads of every other optimizer after one epoch (two groups); fuzz_checkpoint's
       first byte holds (kind - AdamW) mod 13 in its bits 2-7 */
    for (t = 0; t < OFS_OPTIM_COUNT; t++) {
        static const int sizes[3] = {4, 3, 2};
        static const unsigned char y[8] = {0, 1, 1, 0, 1, 0, 0, 1};
        ofs_real x[8 * 4];
        ofs_mlp m;
        ofs_trainer tr;
        ofs_optim_config c = ofs_optim_defaults((ofs_optim_kind)t);
        ofs_epoch_stats es;
        ofs_rng rng;
        unsigned char bytes[8192];
        size_t len;
        FILE *f;
        if (t == OFS_ADAMW || ofs_optim_wants_shape((ofs_optim_kind)t)) continue;   /* (flat groups only here) */
        for (k = 0; k < 8 * 4; k++) x[k] = (ofs_real)((k * 7 % 11) - 5) / 4;
        ofs_rng_seed(&rng, 1);
        ofs_mlp_create(&m, sizes, 3, OFS_ACT_RELU, 4, NULL);
        ofs_mlp_randomize(&m, OFS_INIT_HE, &rng);
        ofs_trainer_create(&tr, &m, &c, 0, 2, 8, &rng, NULL);
        ofs_trainer_epoch(&tr, x, y, &es, NULL);
        ofs_trainer_save(&tr, "build/seed.ckpt", NULL);
        f = fopen("build/seed.ckpt", "rb");
        len = f ? fread(bytes, 1, sizeof bytes, f) : 0;
        if (f) fclose(f);
        if (len < 24 || len == sizeof bytes) { printf("cannot read back the %s checkpoint\n", ofs_optim_name((ofs_optim_kind)t)); return 1; }
        bytes[19] = (unsigned char)(((t - OFS_ADAMW + OFS_OPTIM_COUNT) % OFS_OPTIM_COUNT) << 2);
        snprintf(path, sizeof path, "fuzz/corpus/checkpoint/payload_%s.bin", ofs_optim_name((ofs_optim_kind)t));
        f = fopen(path, "wb"); fwrite(bytes + 19, 1, len - 23, f); fclose(f);
        ofs_trainer_free(&tr);
        ofs_mlp_free(&m);
    }
    remove("build/seed.ckpt");
    return 0;
}
