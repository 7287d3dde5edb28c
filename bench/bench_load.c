/* cc -std=c99 -O3 -march=native -I. bench/bench_load.c -o build/bench_load -lm */
/* bench_load [DIR] [--runs N]: time ofs_mnist_load on the four MNIST files in DIR
   (default data/mnist): the best of N runs (default 7), each into freshly
   allocated arrays, so the page faults of first touching the 220 MB of floats are
   counted as a real program pays them. Prints seconds and MB/s (file bytes read
   per second), and the floor: the time to first touch that much fresh memory. Without the real files (make data) it measures synthetic files of
   MNIST's sizes, written to build/fixtures/bench_load. */
#define _POSIX_C_SOURCE 200809L
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "tests/fixtures.h"
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu(void) { return (double)clock() / CLOCKS_PER_SEC; }

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    if (f) fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    static const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                   "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    const char *dir = "data/mnist";
    char path[4][512];
    int runs = 7, r, k, synthetic = 0;
    double best = 1e30, best_cpu = 1e30, touch = 1e30, bytes = 0;
    size_t out;
    volatile unsigned char sink = 0;
    ofs_err err;

    for (k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--runs") == 0 && k + 1 < argc) runs = atoi(argv[++k]);
        else if (strcmp(argv[k], "--smoke") == 0) runs = 1;
        else dir = argv[k];
    }
    if (runs < 1) runs = 1;
    for (k = 0; k < 4; k++) fixture_path(path[k], sizeof path[k], dir, names[k]);
    if (file_size(path[0]) < 0) {
        dir = "build/fixtures/bench_load";
        synthetic = 1;
        for (k = 0; k < 4; k++) fixture_path(path[k], sizeof path[k], dir, names[k]);
        if (fixture_mkdirs(dir) != 0 || fixture_mnist(path[0], path[1], 60000, 28, 28, 1) != 0
            || fixture_mnist(path[2], path[3], 10000, 28, 28, 2) != 0) {
            printf("bench_load: cannot write synthetic files to %s\n", dir);
            return 1;
        }
    }
    for (k = 0; k < 4; k++) bytes += (double)file_size(path[k]);

    out = (size_t)(bytes - 48) * sizeof(ofs_real);   /* one ofs_real per pixel (labels: 1 byte) */
    for (r = 0; r < runs; r++) {
        ofs_dataset train, test;
        double t0 = now(), c0 = cpu(), t, c;
        unsigned char *p;
        if (ofs_mnist_load(path[0], path[1], &train, &err) != OFS_OK || ofs_mnist_load(path[2], path[3], &test, &err) != OFS_OK) {
            printf("bench_load: %s\n", err.msg);
            return 1;
        }
        t = now() - t0; c = cpu() - c0;
        if (t < best) best = t;
        if (c < best_cpu) best_cpu = c;
        ofs_dataset_free(&train);
        ofs_dataset_free(&test);
        /* The floor: first touch of as many fresh bytes, doing nothing else. */
        t0 = now();
        p = (unsigned char *)malloc(out);
        if (!p) { printf("bench_load: out of memory\n"); return 1; }
        memset(p, r + 1, out);
        sink = p[(size_t)r * 4099 % out];
        t = now() - t0;
        if (t < touch) touch = t;
        free(p);
    }
    printf("bench_load: %s MNIST (%s%s), %d-byte reals, best of %d runs\n", synthetic ? "synthetic" : "real", dir,
           synthetic ? ": make data for the real files" : "", (int)sizeof(ofs_real), runs);
    printf("  load the four files: %.4f s (%.4f s CPU), %.0f MB/s read, %.0f MB/s written\n",
           best, best_cpu, bytes / best / 1e6, (double)out / best / 1e6);
    printf("  of which the floor, first touch of %.0f MB of fresh memory (malloc + memset): %.4f s\n", (double)out / 1e6, touch);
    printf("  (on VMs where page faults are slow, GLIBC_TUNABLES=glibc.malloc.hugetlb=1 lowers that floor)\n");
    (void)sink;   /* read, so the memset cannot be skipped */
    return 0;
}
