/* Faults during a save: a write that stops after k bytes, for every k, never
   replaces the previous good file, leaves no temporary behind, and says so. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include <string.h>

int main(void)
{
    const char *path = "build/test_faults_state.bin";
    ofs_optim a, b, check;
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAM);
    ofs_real x[6] = {1, 2, 3, 4, 5, 6}, g[6] = {(ofs_real)0.5, -1, 2, (ofs_real)-0.25, 1, 3};
    ofs_buf newer = {NULL, 0, 0, 0};
    ofs_err err;
    size_t k, total;
    int s, refused = 0, intact = 0, no_tmp = 0, named = 0, tries = 0;
    FILE *f;

    ofs_optim_init(&a, &c, 6, NULL);
    ofs_optim_init(&b, &c, 6, NULL);
    ofs_optim_init(&check, &c, 6, NULL);
    ofs_optim_step(&a, x, g, NULL);                      /* the good state: t = 1 */
    CHECK(ofs_optim_save_file(&a, path, &err) == OFS_OK, "good save: %s", err.msg);
    for (s = 0; s < 5; s++) ofs_optim_step(&b, x, g, NULL);   /* a newer state: t = 5 */
    ofs_optim_save(&b, &newer);
    total = 24 + newer.len;

    for (k = 0; k < total; k++) {
        ofs_status st = ofs__file_save_limited(path, 1u, &newer, k, &err);
        tries++;
        refused += st == OFS_ERR_IO;
        named += strstr(err.msg, "untouched") != NULL;
        f = fopen("build/test_faults_state.bin.tmp", "rb");
        no_tmp += f == NULL;
        if (f) fclose(f);
        intact += ofs_optim_load_file(&check, path, NULL) == OFS_OK && check.t == 1;
    }
    CHECK(refused == tries, "interrupted saves reported: %d of %d", refused, tries);
    CHECK(named == tries, "messages say the old file is untouched: %d of %d", named, tries);
    CHECK(no_tmp == tries, "no temporary file left behind: %d of %d", no_tmp, tries);
    CHECK(intact == tries, "previous file still loads as t = 1: %d of %d", intact, tries);
    /* the complete write then replaces it */
    CHECK(ofs__file_save_limited(path, 1u, &newer, total, &err) == OFS_OK, "full save: %s", err.msg);
    CHECK(ofs_optim_load_file(&check, path, &err) == OFS_OK && check.t == 5, "new state loads: %s", err.msg);
    printf("interrupted at each of %lu byte offsets: previous file intact every time\n", (unsigned long)total);
    remove(path);
    ofs_buf_free(&newer);
    ofs_optim_free(&a); ofs_optim_free(&b); ofs_optim_free(&check);
    return harness_done("test_faults");
}
