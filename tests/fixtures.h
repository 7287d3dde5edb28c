/* tests/fixtures.h: tiny IDX files for the tests, written into a directory of the
   build tree (no tmpnam). Include it after optimfs.h (it uses ofs_rng).

   fixture_dir(argc, argv, "test_x", buf, cap)   the directory: argv[1] if given,
                                                  else build/fixtures/test_x (created)
   fixture_mnist(images, labels, n, rows, cols, seed)
                                                  a valid MNIST-like pair that a small
                                                  MLP learns: one bright disc per class
   fixture_write_idx(path, type, ndim, dims, values)
                                                  any IDX file; values given as doubles
   fixture_write_bad(i, dir, images, labels, cap) the i-th malformed case of the table
                                                  fixture_bad[] (FIXTURE_BAD_COUNT rows)
   Every function returns 0 on success, -1 (after printing why) on failure. */
#ifndef OFS_FIXTURES_H
#define OFS_FIXTURES_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#if defined(_WIN32)
#include <direct.h>
#define FIXTURE_MKDIR(d) _mkdir(d)
#else
#include <sys/stat.h>
#define FIXTURE_MKDIR(d) mkdir(d, 0777)
#endif

#define FIXTURE_FN static inline

/* Create every directory along `path` ("build/fixtures/test_idx"). */
FIXTURE_FN int fixture_mkdirs(const char *path)
{
    char buf[1024];
    size_t i, n = strlen(path);
    if (n == 0 || n >= sizeof buf) { printf("fixture: bad directory name '%s'\n", path); return -1; }
    memcpy(buf, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        buf[i] = 0;
        if (FIXTURE_MKDIR(buf) != 0 && errno != EEXIST) {
            printf("fixture: cannot create the directory %s: %s\n", buf, strerror(errno));
            return -1;
        }
        if (i < n) buf[i] = '/';
    }
    return 0;
}

/* The fixture directory: argv[1] when given, else build/fixtures/NAME; created. */
FIXTURE_FN const char *fixture_dir(int argc, char **argv, const char *name, char *buf, size_t cap)
{
    int m = argc > 1 ? snprintf(buf, cap, "%s", argv[1]) : snprintf(buf, cap, "build/fixtures/%s", name);
    if (m < 0 || (size_t)m >= cap || fixture_mkdirs(buf) != 0) return NULL;
    return buf;
}

/* buf = dir/name */
FIXTURE_FN const char *fixture_path(char *buf, size_t cap, const char *dir, const char *name)
{
    int m = snprintf(buf, cap, "%s/%s", dir, name);
    if (m < 0 || (size_t)m >= cap) buf[0] = 0;
    return buf;
}

FIXTURE_FN int fixture_write(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f != NULL;
    if (ok && n) ok = fwrite(bytes, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) { printf("fixture: cannot write %s\n", path); return -1; }
    return 0;
}

FIXTURE_FN int fixture_type_size(int type)
{
    switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    }
    return 1;   /* unknown codes (malformed fixtures): one byte per element */
}

FIXTURE_FN void fixture_be(unsigned char *p, uint64_t v, int bytes)
{
    int k;
    for (k = 0; k < bytes; k++) p[k] = (unsigned char)(v >> (8 * (bytes - 1 - k)));
}

/* Element v of `type`, big-endian, at p. Integers are taken modulo 2^bits. */
FIXTURE_FN void fixture_put(unsigned char *p, int type, double v)
{
    float f;
    uint32_t u32;
    uint64_t u64;
    switch (type) {
    case 0x0D: f = (float)v; memcpy(&u32, &f, 4); fixture_be(p, u32, 4); break;
    case 0x0E: memcpy(&u64, &v, 8); fixture_be(p, u64, 8); break;
    default:   fixture_be(p, (uint64_t)(long long)v, fixture_type_size(type)); break;
    }
}

/* The header 0 0 type ndim, dims (big-endian) into p; returns its length. */
FIXTURE_FN size_t fixture_header(unsigned char *p, int type, int ndim, const uint32_t *dims)
{
    int k;
    p[0] = 0; p[1] = 0; p[2] = (unsigned char)type; p[3] = (unsigned char)ndim;
    for (k = 0; k < ndim; k++) fixture_be(p + 4 + 4 * k, dims[k], 4);
    return 4 + 4 * (size_t)ndim;
}

/* A whole IDX file in memory (malloc'd, *len bytes): header plus `count` values,
   where count is the product of dims. */
FIXTURE_FN unsigned char *fixture_idx_bytes(int type, int ndim, const uint32_t *dims, const double *values, size_t *len)
{
    size_t count = 1, i, head;
    int k, sz = fixture_type_size(type);
    unsigned char *p;
    for (k = 0; k < ndim; k++) count *= dims[k];
    p = (unsigned char *)malloc(4 + 4 * (size_t)ndim + count * (size_t)sz + 1);
    if (!p) return NULL;
    head = fixture_header(p, type, ndim, dims);
    for (i = 0; i < count; i++) fixture_put(p + head + i * (size_t)sz, type, values[i]);
    *len = head + count * (size_t)sz;
    return p;
}

FIXTURE_FN int fixture_write_idx(const char *path, int type, int ndim, const uint32_t *dims, const double *values)
{
    size_t len;
    unsigned char *p = fixture_idx_bytes(type, ndim, dims, values, &len);
    int r = p ? fixture_write(path, p, len) : -1;
    free(p);
    return r;
}

/* n MNIST-like examples of rows x cols bytes (rows, cols >= 2): label k is drawn
   uniformly from 0..9 and the image is a disc of radius R = max(1, min(rows,cols)/5)
   whose brightness falls off as 255 (R^2 - d^2) / R^2, centred on class k's spot
   (a 5 x 2 grid: x = (2 (k mod 5) + 1) cols / 10, y = (2 floor(k/5) + 1) rows / 4),
   moved by -1..1 pixel at random, plus noise uniform in 0..39. Integer arithmetic
   only, so every platform writes the same bytes for the same seed. */
FIXTURE_FN void fixture_mnist_make(size_t n, int rows, int cols, uint64_t seed, unsigned char *pix, unsigned char *lab)
{
    ofs_rng rng;
    int R = (rows < cols ? rows : cols) / 5, r2;
    size_t i;
    if (R < 1) R = 1;
    r2 = R * R;
    ofs_rng_seed(&rng, seed);
    for (i = 0; i < n; i++) {
        int k = (int)ofs_rng_below(&rng, 10), y, x;
        int cy = (2 * (k / 5) + 1) * rows / 4 + (int)ofs_rng_below(&rng, 3) - 1;
        int cx = (2 * (k % 5) + 1) * cols / 10 + (int)ofs_rng_below(&rng, 3) - 1;
        lab[i] = (unsigned char)k;
        for (y = 0; y < rows; y++)
            for (x = 0; x < cols; x++) {
                int d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                int v = (d2 < r2 ? 255 * (r2 - d2) / r2 : 0) + (int)ofs_rng_below(&rng, 40);
                pix[(i * (size_t)rows + (size_t)y) * (size_t)cols + (size_t)x] = (unsigned char)(v > 255 ? 255 : v);
            }
    }
}

/* Write the pair: images n x rows x cols, labels n, both unsigned bytes. */
FIXTURE_FN int fixture_mnist(const char *images, const char *labels, size_t n, int rows, int cols, uint64_t seed)
{
    size_t dim = (size_t)rows * (size_t)cols, head;
    unsigned char *pi = (unsigned char *)malloc(16 + n * dim + 1), *pl = (unsigned char *)malloc(8 + n + 1);
    uint32_t di[3], dl[1];
    int r = -1;
    di[0] = (uint32_t)n; di[1] = (uint32_t)rows; di[2] = (uint32_t)cols; dl[0] = (uint32_t)n;
    if (pi && pl) {
        head = fixture_header(pi, 0x08, 3, di);
        fixture_header(pl, 0x08, 1, dl);
        fixture_mnist_make(n, rows, cols, seed, pi + head, pl + 8);
        r = fixture_write(images, pi, 16 + n * dim) == 0 && fixture_write(labels, pl, 8 + n) == 0 ? 0 : -1;
    }
    free(pi); free(pl);
    return r;
}

/* ---- Malformed files -------------------------------------------------------- */
/* One row per case. kind 0: a single file (images path) for ofs_idx_load and
   ofs_idx_parse; kind 1: a pair for ofs_mnist_load. The loader must return
   `status` and a message containing `expect` and naming the file(s) in `blame`:
   'i' the images path, 'l' the labels path, 'b' both. */
typedef struct fixture_bad_case {
    const char *name;
    int kind;
    ofs_status status;
    char blame;
    const char *expect;
} fixture_bad_case;

static const fixture_bad_case fixture_bad[] = {
    {"missing",           0, OFS_ERR_IO,     'i', "cannot open the file"},
    {"directory",         0, OFS_ERR_IO,     'i', "expected a regular file, found a directory"},
    {"empty",             0, OFS_ERR_FORMAT, 'i', "0x00 0x00 TYPE NDIM, found a file of 0 bytes"},
    {"three-bytes",       0, OFS_ERR_FORMAT, 'i', "found a file of 3 bytes"},
    {"bad-magic",         0, OFS_ERR_FORMAT, 'i', "first two bytes are 0x00 0x00, found 0x01 0x00"},
    {"gzipped",           0, OFS_ERR_FORMAT, 'i', "found 0x1f 0x8b (a gzip file: gunzip it first)"},
    {"unknown-type",      0, OFS_ERR_FORMAT, 'i', "element type 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E in byte 2, found 0x0A"},
    {"zero-dims",         0, OFS_ERR_FORMAT, 'i', "expected 1 to 255 dimensions in byte 3, found 0"},
    {"short-header",      0, OFS_ERR_FORMAT, 'i', "header of 4 + 4 x 3 = 16 bytes for 3 dimensions, found a file of 12 bytes"},
    {"short-header-255",  0, OFS_ERR_FORMAT, 'i', "header of 4 + 4 x 255 = 1024 bytes for 255 dimensions, found a file of 104"},
    {"truncated-data",    0, OFS_ERR_FORMAT, 'i', "expected 12 data bytes after the 12-byte header (3 x 4 elements of 1 byte), found 11: the file is truncated"},
    {"truncated-int32",   0, OFS_ERR_FORMAT, 'i', "expected 20 data bytes after the 8-byte header (5 elements of 4 bytes), found 18: the file is truncated"},
    {"trailing-bytes",    0, OFS_ERR_FORMAT, 'i', "expected 12 data bytes after the 12-byte header (3 x 4 elements of 1 byte), found 13: trailing bytes"},
    {"absurd-dims",       0, OFS_ERR_FORMAT, 'i', "expected at most 2^31 elements, found the sizes 65536 x 32769, which make more"},
    {"overflow-dims",     0, OFS_ERR_FORMAT, 'i', "expected at most 2^31 elements, found the sizes 4294967295 x 4294967295 x 4294967295 x 4294967295 x 4294967295, which"},
    {"overflow-doubles",  0, OFS_ERR_FORMAT, 'i', "expected at most 2^31 elements, found the sizes 4294967295 x 4294967295, which"},
    {"limit-plus-one",    0, OFS_ERR_FORMAT, 'i', "expected at most 2^31 elements, found the sizes 2147483649, which"},
    {"limit-truncated",   0, OFS_ERR_FORMAT, 'i', "expected 2147483648 data bytes after the 8-byte header"},
    {"images-1d",         1, OFS_ERR_FORMAT, 'i', "expected an MNIST images file with 3 dimensions (count x rows x cols), found 1 dimension"},
    {"images-4d",         1, OFS_ERR_FORMAT, 'i', "expected an MNIST images file with 3 dimensions (count x rows x cols), found 4 dimensions"},
    {"labels-3d",         1, OFS_ERR_FORMAT, 'l', "expected an MNIST labels file with 1 dimension (count), found 3 dimensions"},
    {"images-float",      1, OFS_ERR_FORMAT, 'i', "expected MNIST images of type 0x08 (unsigned byte), found type 0x0D (32-bit float)"},
    {"labels-int8",       1, OFS_ERR_FORMAT, 'l', "expected MNIST labels of type 0x08 (unsigned byte), found type 0x09 (signed byte)"},
    {"count-mismatch",    1, OFS_ERR_FORMAT, 'b', "holds 5 images but"},
    {"label-10",          1, OFS_ERR_FORMAT, 'l', "expected labels 0 to 9, found 10 at index 3"},
    {"label-255",         1, OFS_ERR_FORMAT, 'l', "expected labels 0 to 9, found 255 at index 4"},
    {"labels-missing",    1, OFS_ERR_IO,     'l', "cannot open the file"},
    {"images-missing",    1, OFS_ERR_IO,     'i', "cannot open the file"},
    {"images-truncated",  1, OFS_ERR_FORMAT, 'i', "the file is truncated"},
    {"labels-trailing",   1, OFS_ERR_FORMAT, 'l', "trailing bytes after the data"},
    {"labels-gzipped",    1, OFS_ERR_FORMAT, 'l', "(a gzip file: gunzip it first)"},
    {"zero-images",       1, OFS_ERR_FORMAT, 'i', "every size at least 1, found size 0 in dimension 0"},
    {"zero-cols",         1, OFS_ERR_FORMAT, 'i', "every size at least 1, found size 0 in dimension 2"}
};
#define FIXTURE_BAD_COUNT ((int)(sizeof fixture_bad / sizeof fixture_bad[0]))

/* Write file(s) for fixture_bad[i] into dir; images (and, for kind 1, labels) receive
   the paths to pass to the loader. */
FIXTURE_FN int fixture_write_bad(int i, const char *dir, char *images, char *labels, size_t cap)
{
    unsigned char b[2048], good[16 + 5 * 16], lab[8 + 5];
    uint32_t d[5];
    size_t n = 0;
    const char *name = fixture_bad[i].name;
    int k;
    char file[160];
    memset(b, 0, sizeof b);
    snprintf(file, sizeof file, "%s-images.idx", name);
    fixture_path(images, cap, dir, file);
    snprintf(file, sizeof file, "%s-labels.idx", name);
    fixture_path(labels, cap, dir, file);
    remove(images);
    remove(labels);
    /* A valid pair to start from: 5 images of 4 x 4, labels 0..4. */
    d[0] = 5; d[1] = 4; d[2] = 4;
    fixture_header(good, 0x08, 3, d);
    for (k = 0; k < 5 * 16; k++) good[16 + k] = (unsigned char)(k * 3);
    fixture_header(lab, 0x08, 1, d);
    for (k = 0; k < 5; k++) lab[8 + k] = (unsigned char)k;

#define FIXTURE_CASE(s) else if (strcmp(name, s) == 0)
    if (0) {}
    FIXTURE_CASE("missing") return 0;
    FIXTURE_CASE("directory") { fixture_path(images, cap, dir, "."); return 0; }
    FIXTURE_CASE("empty") n = 0;
    FIXTURE_CASE("three-bytes") { b[2] = 0x08; n = 3; }
    FIXTURE_CASE("bad-magic") { d[0] = 1; n = fixture_header(b, 0x08, 1, d) + 1; b[0] = 1; }
    FIXTURE_CASE("gzipped") { b[0] = 0x1f; b[1] = 0x8b; b[2] = 0x08; n = 40; }
    FIXTURE_CASE("unknown-type") { d[0] = 1; n = fixture_header(b, 0x0A, 1, d) + 1; }
    FIXTURE_CASE("zero-dims") { n = fixture_header(b, 0x08, 0, d) + 1; }
    FIXTURE_CASE("short-header") { n = fixture_header(b, 0x08, 3, d) - 4; }
    FIXTURE_CASE("short-header-255") { b[2] = 0x08; b[3] = 255; n = 104; }
    FIXTURE_CASE("truncated-data") { d[0] = 3; d[1] = 4; n = fixture_header(b, 0x08, 2, d) + 11; }
    FIXTURE_CASE("truncated-int32") { d[0] = 5; n = fixture_header(b, 0x0C, 1, d) + 18; }
    FIXTURE_CASE("trailing-bytes") { d[0] = 3; d[1] = 4; n = fixture_header(b, 0x08, 2, d) + 13; }
    FIXTURE_CASE("absurd-dims") { d[0] = 65536; d[1] = 32769; n = fixture_header(b, 0x08, 2, d) + 8; }
    FIXTURE_CASE("overflow-dims") { d[0] = d[1] = d[2] = d[3] = d[4] = 0xFFFFFFFFu; n = fixture_header(b, 0x08, 5, d) + 8; }
    FIXTURE_CASE("overflow-doubles") { d[0] = d[1] = 0xFFFFFFFFu; n = fixture_header(b, 0x0E, 2, d) + 8; }
    FIXTURE_CASE("limit-plus-one") { d[0] = 0x80000001u; n = fixture_header(b, 0x08, 1, d) + 8; }
    FIXTURE_CASE("limit-truncated") { d[0] = 0x80000000u; n = fixture_header(b, 0x08, 1, d) + 8; }
    /* MNIST pairs: start from the good pair, spoil one part. */
    FIXTURE_CASE("images-1d") return fixture_write(images, lab, sizeof lab) | fixture_write(labels, lab, sizeof lab);
    FIXTURE_CASE("images-4d") {
        d[3] = 1;
        n = fixture_header(b, 0x08, 4, d) + 80;
        return fixture_write(images, b, n) | fixture_write(labels, lab, sizeof lab);
    }
    FIXTURE_CASE("labels-3d") return fixture_write(images, good, sizeof good) | fixture_write(labels, good, sizeof good);
    FIXTURE_CASE("images-float") {
        n = fixture_header(b, 0x0D, 3, d) + 5 * 16 * 4;
        return fixture_write(images, b, n) | fixture_write(labels, lab, sizeof lab);
    }
    FIXTURE_CASE("labels-int8") { lab[2] = 0x09; return fixture_write(images, good, sizeof good) | fixture_write(labels, lab, sizeof lab); }
    FIXTURE_CASE("count-mismatch") {
        d[0] = 4;
        fixture_header(lab, 0x08, 1, d);
        return fixture_write(images, good, sizeof good) | fixture_write(labels, lab, sizeof lab - 1);
    }
    FIXTURE_CASE("label-10") { lab[8 + 3] = 10; return fixture_write(images, good, sizeof good) | fixture_write(labels, lab, sizeof lab); }
    FIXTURE_CASE("label-255") { lab[8 + 4] = 255; return fixture_write(images, good, sizeof good) | fixture_write(labels, lab, sizeof lab); }
    FIXTURE_CASE("labels-missing") return fixture_write(images, good, sizeof good);
    FIXTURE_CASE("images-missing") return fixture_write(labels, lab, sizeof lab);
    FIXTURE_CASE("images-truncated") return fixture_write(images, good, sizeof good - 1) | fixture_write(labels, lab, sizeof lab);
    FIXTURE_CASE("labels-trailing") {
        memcpy(b, lab, sizeof lab);
        return fixture_write(images, good, sizeof good) | fixture_write(labels, b, sizeof lab + 1);
    }
    FIXTURE_CASE("labels-gzipped") {
        b[0] = 0x1f; b[1] = 0x8b; b[2] = 0x08;
        return fixture_write(images, good, sizeof good) | fixture_write(labels, b, 30);
    }
    FIXTURE_CASE("zero-images") {
        d[0] = 0;
        fixture_header(good, 0x08, 3, d);
        fixture_header(lab, 0x08, 1, d);
        return fixture_write(images, good, 16) | fixture_write(labels, lab, 8);
    }
    FIXTURE_CASE("zero-cols") { d[2] = 0; fixture_header(good, 0x08, 3, d); return fixture_write(images, good, 16) | fixture_write(labels, lab, sizeof lab); }
    else { printf("fixture: no case '%s'\n", name); return -1; }
#undef FIXTURE_CASE
    return fixture_write(images, b, n);
}
#endif
