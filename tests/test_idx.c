/* test_idx: the IDX and MNIST loaders on fixture files written into
   build/fixtures/test_idx (or argv[1]): every element type round-trips, every
   malformed case is refused with a message naming the file and the expectation,
   and nothing is left allocated or half-filled after an error. The writer
   (ofs_idx_save) and the synthetic digits are checked against them. If real MNIST is
   in data/mnist (make data), its known counts and statistics are checked too.
   Run from the repository root. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include "fixtures.h"
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#endif

static int contains(const char *s, const char *part) { return strstr(s, part) != NULL; }

static int idx_is_zero(const ofs_idx *x)
{
    int k;
    for (k = 0; k < OFS_IDX_MAX_DIMS; k++) if (x->dims[k] != 0) return 0;
    return x->type == 0 && x->ndim == 0 && x->count == 0 && x->x == NULL;
}

static int dataset_is_zero(const ofs_dataset *d)
{
    return d->n == 0 && d->rows == 0 && d->cols == 0 && d->dim == 0 && d->classes == 0 && d->x == NULL && d->y == NULL;
}

/* The value the loader must produce for v stored as `type`: one rounding to ofs_real
   (float32 data is first the float the file holds). */
static ofs_real expected(int type, double v)
{
    return type == OFS_IDX_F32 ? (ofs_real)(float)v : (ofs_real)v;
}

static int same_real(ofs_real a, ofs_real b) { return a == b && !signbit(a) == !signbit(b); }

/* Read a whole (small, regular) file into malloc'd memory (for ofs_idx_parse). */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *p = NULL;
    long n;
    *len = 0;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1L << 24) && fseek(f, 0, SEEK_SET) == 0) {
        p = (unsigned char *)malloc((size_t)n + 1);
        if (p && fread(p, 1, (size_t)n, f) == (size_t)n) *len = (size_t)n;
        else { free(p); p = NULL; }
    }
    fclose(f);
    return p;
}

static void check_idx(const ofs_idx *x, int type, int ndim, const uint32_t *dims, const double *v, size_t count, const char *what)
{
    size_t i, bad = 0;
    int k, dims_ok = 1;
    CHECK(x->type == type, "%s: type 0x%02X, want 0x%02X", what, x->type, type);
    CHECK(x->ndim == ndim, "%s: ndim %d, want %d", what, x->ndim, ndim);
    for (k = 0; k < ndim && x->ndim == ndim; k++) dims_ok &= x->dims[k] == dims[k];
    CHECK(dims_ok, "%s: wrong dims", what);
    CHECK(x->count == count, "%s: count %lu, want %lu", what, (unsigned long)x->count, (unsigned long)count);
    CHECK(x->x != NULL, "%s: no data", what);
    if (x->count != count || !x->x) return;
    for (i = 0; i < count; i++)
        if (!same_real(x->x[i], expected(type, v[i]))) {
            if (bad++ < 3) printf("  %s[%lu] = %.17g, want %.17g\n", what, (unsigned long)i, (double)x->x[i], (double)expected(type, v[i]));
        }
    CHECK(bad == 0, "%s: %lu values differ", what, (unsigned long)bad);
}

/* Write values as an IDX file of `type` and shape dims, load it from the file and
   from memory, and check both against the values. */
static void round_trip(const char *dir, const char *name, int type, int ndim, const uint32_t *dims, const double *v, size_t count)
{
    char path[512];
    ofs_idx x;
    ofs_err err;
    ofs_status s;
    size_t len;
    unsigned char *bytes;
    fixture_path(path, sizeof path, dir, name);
    CHECK(fixture_write_idx(path, type, ndim, dims, v) == 0, "cannot write %s", path);
    s = ofs_idx_load(path, &x, &err);
    CHECK(s == OFS_OK && err.status == OFS_OK && err.msg[0] == 0, "%s: load failed: %s", name, err.msg);
    check_idx(&x, type, ndim, dims, v, count, name);
    ofs_idx_free(&x);
    CHECK(idx_is_zero(&x), "%s: ofs_idx_free leaves the struct zeroed", name);
    ofs_idx_free(&x);   /* a second free is harmless */

    bytes = fixture_idx_bytes(type, ndim, dims, v, &len);
    s = ofs_idx_parse(bytes, len, name, &x, &err);
    CHECK(s == OFS_OK, "%s: parse failed: %s", name, err.msg);
    check_idx(&x, type, ndim, dims, v, count, name);
    ofs_idx_free(&x);
    free(bytes);
}

static void test_types(const char *dir)
{
    static const uint32_t dims[2] = {2, 3};
    static const double u8[6]  = {0, 1, 127, 128, 254, 255};
    static const double i8[6]  = {-128, -1, 0, 1, 127, -100};
    static const double i16[6] = {-32768, -1, 0, 1, 32767, 12345};
    static const double i32[6] = {-2147483648.0, -1, 0, 16777217, 2147483647, -123456};
    static const double f32[6] = {0.5, -0.0, 3.4028234663852886e38, 1.1754943508222875e-38, 1.401298464324817e-45, 3.14159265358979};
    static const double f64[6] = {0.1, -0.0, 1e30, 1e-300, -7.25, 1.0 / 3.0};
    round_trip(dir, "u8.idx",  OFS_IDX_U8,  2, dims, u8, 6);
    round_trip(dir, "i8.idx",  OFS_IDX_I8,  2, dims, i8, 6);
    round_trip(dir, "i16.idx", OFS_IDX_I16, 2, dims, i16, 6);
    round_trip(dir, "i32.idx", OFS_IDX_I32, 2, dims, i32, 6);
    round_trip(dir, "f32.idx", OFS_IDX_F32, 2, dims, f32, 6);
    round_trip(dir, "f64.idx", OFS_IDX_F64, 2, dims, f64, 6);
    /* The documented precision: int32 and float64 are exact in double, rounded in float. */
    if (sizeof(ofs_real) == sizeof(double)) {
        ofs_idx x;
        char path[512];
        CHECK(ofs_idx_load(fixture_path(path, sizeof path, dir, "i32.idx"), &x, NULL) == OFS_OK && x.count == 6
              && (double)x.x[3] == 16777217.0 && (double)x.x[0] == -2147483648.0, "int32 exact in double");
        ofs_idx_free(&x);
    }
}

static void test_shapes(const char *dir)
{
    uint32_t d4[4] = {2, 1, 3, 2}, d255[255], d0[2] = {3, 0}, d1[1] = {7};
    double v[12], one = 42;
    int k;
    for (k = 0; k < 12; k++) v[k] = k - 6;
    round_trip(dir, "shape-4d.idx", OFS_IDX_I16, 4, d4, v, 12);
    for (k = 0; k < 255; k++) d255[k] = 1;
    round_trip(dir, "shape-255d.idx", OFS_IDX_U8, 255, d255, &one, 1);
    round_trip(dir, "shape-empty.idx", OFS_IDX_F32, 2, d0, v, 0);
    round_trip(dir, "shape-1d.idx", OFS_IDX_F64, 1, d1, v, 7);
}

/* Does the message name the file(s) the case blames? */
static int blames(const char *msg, char who, const char *images, const char *labels)
{
    if (who == 'i') return contains(msg, images);
    if (who == 'l') return contains(msg, labels);
    return contains(msg, images) && contains(msg, labels);
}

static void test_malformed(const char *dir)
{
    int i;
    for (i = 0; i < FIXTURE_BAD_COUNT; i++) {
        const fixture_bad_case *c = &fixture_bad[i];
        char images[512], labels[512];
        ofs_err err;
        ofs_status s;
        if (fixture_write_bad(i, dir, images, labels, sizeof images) != 0) { CHECK(0, "%s: cannot write the fixture", c->name); continue; }
        memset(&err, 0, sizeof err);
        if (c->kind == 0) {
            ofs_idx x;
            size_t len;
            unsigned char *bytes;
            memset(&x, 0xAB, sizeof x);
            s = ofs_idx_load(images, &x, &err);
            CHECK(s == c->status && err.status == c->status, "%s: status %s, want %s (%s)", c->name,
                  ofs_status_string(s), ofs_status_string(c->status), err.msg);
            CHECK(contains(err.msg, c->expect), "%s: message \"%s\" lacks \"%s\"", c->name, err.msg, c->expect);
            CHECK(blames(err.msg, c->blame, images, labels), "%s: message \"%s\" does not name %s", c->name, err.msg, images);
            CHECK(idx_is_zero(&x), "%s: the output is not zeroed after the error", c->name);
            CHECK(ofs_idx_load(images, &x, NULL) == c->status, "%s: with err NULL", c->name);
            /* The same bytes given in memory fail the same way. */
            bytes = slurp(images, &len);
            if (bytes) {
                memset(&x, 0xAB, sizeof x);
                s = ofs_idx_parse(bytes, len, "in-memory", &x, &err);
                CHECK(s == c->status && contains(err.msg, c->expect) && contains(err.msg, "in-memory"),
                      "%s (memory): %s: %s", c->name, ofs_status_string(s), err.msg);
                CHECK(idx_is_zero(&x), "%s (memory): the output is not zeroed", c->name);
                free(bytes);
            }
        } else {
            ofs_dataset ds;
            memset(&ds, 0xAB, sizeof ds);
            s = ofs_mnist_load(images, labels, &ds, &err);
            CHECK(s == c->status && err.status == c->status, "%s: status %s, want %s (%s)", c->name,
                  ofs_status_string(s), ofs_status_string(c->status), err.msg);
            CHECK(contains(err.msg, c->expect), "%s: message \"%s\" lacks \"%s\"", c->name, err.msg, c->expect);
            CHECK(blames(err.msg, c->blame, images, labels), "%s: message \"%s\" does not name the %s file", c->name, err.msg,
                  c->blame == 'i' ? "images" : c->blame == 'l' ? "labels" : "images and labels");
            CHECK(dataset_is_zero(&ds), "%s: the dataset is not zeroed after the error", c->name);
            CHECK(ofs_mnist_load(images, labels, &ds, NULL) == c->status, "%s: with err NULL", c->name);
        }
    }
}

/* A fixture pair loads exactly: x = byte / 255, labels as written. */
static void test_mnist_fixture(const char *dir)
{
    enum { N = 60, ROWS = 12, COLS = 10 };
    static unsigned char pix[N * ROWS * COLS], lab[N];
    char images[512], labels[512];
    ofs_dataset ds;
    ofs_err err;
    size_t i, bad = 0;
    int counts[10] = {0}, k, seen = 0;
    fixture_path(images, sizeof images, dir, "mnist-images.idx");
    fixture_path(labels, sizeof labels, dir, "mnist-labels.idx");
    CHECK(fixture_mnist(images, labels, N, ROWS, COLS, 7) == 0, "cannot write the MNIST fixture");
    fixture_mnist_make(N, ROWS, COLS, 7, pix, lab);
    CHECK(ofs_mnist_load(images, labels, &ds, &err) == OFS_OK, "fixture: %s", err.msg);
    CHECK(ds.n == N && ds.rows == ROWS && ds.cols == COLS && ds.dim == ROWS * COLS && ds.classes == 10,
          "fixture shape: n %lu rows %d cols %d dim %d classes %d", (unsigned long)ds.n, ds.rows, ds.cols, ds.dim, ds.classes);
    if (ds.n != N || !ds.x || !ds.y) { ofs_dataset_free(&ds); return; }
    for (i = 0; i < (size_t)N * ROWS * COLS; i++)
        bad += !(ds.x[i] == (ofs_real)pix[i] / (ofs_real)255 && ds.x[i] >= 0 && ds.x[i] <= 1);
    CHECK(bad == 0, "fixture: %lu pixels differ from byte / 255", (unsigned long)bad);
    bad = 0;
    for (i = 0; i < N; i++) { bad += ds.y[i] != lab[i]; counts[ds.y[i] % 10]++; }
    CHECK(bad == 0, "fixture: %lu labels differ", (unsigned long)bad);
    for (k = 0; k < 10; k++) seen += counts[k] > 0;
    CHECK(seen == 10, "fixture: 60 examples cover %d of the 10 classes", seen);
    ofs_dataset_free(&ds);
    CHECK(dataset_is_zero(&ds), "ofs_dataset_free zeroes the struct");
    ofs_dataset_free(&ds);
}

/* The fixture is learnable: class means from 200 examples classify 200 others
   (nearest mean) almost perfectly, and the same seed gives the same bytes. */
static void test_fixture_learnable(void)
{
    enum { N = 400, D = 28 * 28 };
    static unsigned char pix[N * D], lab[N], pix2[N * D], lab2[N];
    static double mean[10][D];
    int count[10] = {0}, right = 0, i, k, j;
    fixture_mnist_make(N, 28, 28, 1, pix, lab);
    fixture_mnist_make(N, 28, 28, 1, pix2, lab2);
    CHECK(memcmp(pix, pix2, sizeof pix) == 0 && memcmp(lab, lab2, sizeof lab) == 0, "fixture: same seed, same bytes");
    fixture_mnist_make(N, 28, 28, 2, pix2, lab2);
    CHECK(memcmp(pix, pix2, sizeof pix) != 0, "fixture: another seed, other bytes");
    for (i = 0; i < N / 2; i++) {
        count[lab[i]]++;
        for (j = 0; j < D; j++) mean[lab[i]][j] += pix[i * D + j];
    }
    for (k = 0; k < 10; k++) for (j = 0; j < D; j++) mean[k][j] /= count[k] ? count[k] : 1;
    for (i = N / 2; i < N; i++) {
        double best = -1;
        int arg = -1;
        for (k = 0; k < 10; k++) {
            double d = 0;
            for (j = 0; j < D; j++) d += (pix[i * D + j] - mean[k][j]) * (pix[i * D + j] - mean[k][j]);
            if (arg < 0 || d < best) { best = d; arg = k; }
        }
        right += arg == lab[i];
    }
    CHECK(right >= 190, "fixture: nearest class mean gets %d of 200 right, want >= 190", right);
}

/* ofs_idx_save writes what the independent fixture writer writes, byte for byte,
   and ofs_idx_load reads it back; a second save replaces the first. */
static void save_round_trip(const char *dir, const char *name, int ndim, const uint32_t *dims, const unsigned char *data,
                            size_t count)
{
    char path[512];
    double v[64];
    size_t i, len, flen;
    unsigned char *want, *got;
    ofs_idx x;
    ofs_err err;
    for (i = 0; i < count && i < 64; i++) v[i] = data[i];
    fixture_path(path, sizeof path, dir, name);
    CHECK(ofs_idx_save(path, data, ndim, dims, &err) == OFS_OK && err.status == OFS_OK && err.msg[0] == 0,
          "%s: save failed: %s", name, err.msg);
    want = fixture_idx_bytes(OFS_IDX_U8, ndim, dims, v, &len);
    got = slurp(path, &flen);
    CHECK(want && got && flen == len && memcmp(want, got, len) == 0,
          "%s: the file (%lu bytes) differs from the fixture writer's (%lu bytes)", name, (unsigned long)flen, (unsigned long)len);
    free(want); free(got);
    CHECK(ofs_idx_load(path, &x, &err) == OFS_OK, "%s: load after save: %s", name, err.msg);
    check_idx(&x, OFS_IDX_U8, ndim, dims, v, count, name);
    ofs_idx_free(&x);
}

static void test_idx_save(const char *dir)
{
    static const unsigned char bytes[24] = {0, 1, 2, 127, 128, 200, 254, 255, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 42, 43, 44, 45, 46, 47};
    uint32_t d1[1] = {24}, d3[3] = {2, 3, 4}, d0[2] = {5, 0}, d255[255], big[2] = {65536, 32769}, one[1] = {3};
    char path[512], tmp[520], sub[512];
    unsigned char *p;
    size_t len;
    ofs_idx x;
    ofs_err err;
    ofs_status s;
    FILE *f;
    int k;
    for (k = 0; k < 255; k++) d255[k] = 1;
    save_round_trip(dir, "save-1d.idx", 1, d1, bytes, 24);
    save_round_trip(dir, "save-3d.idx", 3, d3, bytes, 24);
    save_round_trip(dir, "save-empty.idx", 2, d0, NULL, 0);
    save_round_trip(dir, "save-255d.idx", 255, d255, bytes + 5, 1);
    save_round_trip(dir, "save-3d.idx", 1, one, bytes + 3, 3);     /* replaces the 3-d file */

    /* A directory that does not exist: refused, naming the path, and nothing created. */
    fixture_path(path, sizeof path, dir, "no-such-dir/a.idx");
    memset(&err, 0, sizeof err);
    s = ofs_idx_save(path, bytes, 1, d1, &err);
    CHECK(s == OFS_ERR_IO && err.status == OFS_ERR_IO, "save into a missing directory: %s (%s)", ofs_status_string(s), err.msg);
    CHECK(contains(err.msg, path) && contains(err.msg, "cannot open the temporary file") &&
          contains(err.msg, "No such file or directory"), "message \"%s\" names %s and the cause", err.msg, path);
    CHECK(ofs_idx_save(path, bytes, 1, d1, NULL) == OFS_ERR_IO, "missing directory, err NULL");
    f = fopen(path, "rb");
    CHECK(f == NULL, "nothing written at %s", path);
    if (f) fclose(f);

    /* A path that is a directory: refused before anything is written. */
    fixture_path(sub, sizeof sub, dir, "a-directory.idx");
    CHECK(fixture_mkdirs(sub) == 0, "mkdir %s", sub);
    s = ofs_idx_save(sub, bytes, 1, d1, &err);
    CHECK(s == OFS_ERR_IO && contains(err.msg, sub) && contains(err.msg, "found a directory: refusing to replace it"),
          "save over a directory: %s: %s", ofs_status_string(s), err.msg);
    snprintf(tmp, sizeof tmp, "%s.tmp", sub);
    f = fopen(tmp, "rb");
    CHECK(f == NULL, "no temporary file %s left behind", tmp);
    if (f) fclose(f);

    /* Bad shapes are refused before anything is written; the previous file stays. */
    fixture_path(path, sizeof path, dir, "save-1d.idx");
    CHECK(ofs_idx_save(path, bytes, 0, d1, &err) == OFS_ERR_ARG && contains(err.msg, path) &&
          contains(err.msg, "expected 1 to 255 dimensions") && contains(err.msg, "found 0"), "ndim 0: %s", err.msg);
    CHECK(ofs_idx_save(path, bytes, 256, d255, &err) == OFS_ERR_ARG && contains(err.msg, "found 256"), "ndim 256: %s", err.msg);
    CHECK(ofs_idx_save(path, bytes, 2, big, &err) == OFS_ERR_ARG && contains(err.msg, "65536 x 32769") &&
          contains(err.msg, "at most 2^31 elements"), "2^31 + 2^16 elements: %s", err.msg);
    CHECK(ofs_idx_load(path, &x, &err) == OFS_OK && x.count == 24 && x.x[7] == 255, "refused saves left %s as it was: %s", path, err.msg);
    ofs_idx_free(&x);
    p = slurp(path, &len);
    CHECK(p && len == 4 + 4 + 24, "%s: %lu bytes", path, (unsigned long)len);
    free(p);
}

/* The synthetic digits: the same seed gives the same bytes (pinned by their CRC-32,
   which are the bytes chapter 15's --smoke has always trained on), another seed
   others; every class appears and each image is brightest near its class's place;
   the saved pair loads as x = byte / 255 with the same labels. */
static void test_synthetic(const char *dir)
{
    enum { N = 2000 };
    static unsigned char pix[N * 784], lab[N], pix2[N * 784], lab2[N];
    char images[512], labels[512];
    int counts[10] = {0}, seen = 0, placed = 0, k;
    size_t i, bad = 0;
    ofs_dataset ds;
    ofs_err err;
    ofs_mnist_synthetic(pix, lab, N, 11);
    ofs_mnist_synthetic(pix2, lab2, N, 11);
    CHECK(memcmp(pix, pix2, sizeof pix) == 0 && memcmp(lab, lab2, sizeof lab) == 0, "synthetic: same seed, same bytes");
    CHECK(ofs_crc32(pix, sizeof pix) == 0xb76ea23eu && ofs_crc32(lab, sizeof lab) == 0x180d3286u,
          "synthetic: seed 11 gives CRC-32 %08lx and %08lx, want b76ea23e and 180d3286", (unsigned long)ofs_crc32(pix, sizeof pix),
          (unsigned long)ofs_crc32(lab, sizeof lab));
    ofs_mnist_synthetic(pix2, lab2, N, 12);
    CHECK(memcmp(pix, pix2, sizeof pix) != 0 && memcmp(lab, lab2, sizeof lab) != 0, "synthetic: another seed, other bytes");
    ofs_mnist_synthetic(pix2, lab2, 10, 11);
    CHECK(memcmp(pix, pix2, 10 * 784) == 0 && memcmp(lab, lab2, 10) == 0, "synthetic: the first n of a longer run");
    ofs_mnist_synthetic(NULL, NULL, 0, 11);   /* nothing to do */
    for (i = 0; i < N; i++) {
        /* of the ten 5 x 5 blocks of possible disc centres, the label's is the brightest */
        int best = -1, arg = -1, c, y, x;
        if (lab[i] > 9) { bad++; continue; }
        counts[lab[i]]++;
        for (c = 0; c < 10; c++) {
            int sum = 0;
            for (y = 5 + 14 * (c / 5); y <= 9 + 14 * (c / 5); y++)
                for (x = 1 + 5 * (c % 5); x <= 5 + 5 * (c % 5); x++) sum += pix[i * 784 + (size_t)(y * 28 + x)];
            if (sum > best) { best = sum; arg = c; }
        }
        placed += arg == lab[i];
    }
    CHECK(bad == 0, "synthetic: %lu labels above 9", (unsigned long)bad);
    for (k = 0; k < 10; k++) seen += counts[k] >= 150;
    CHECK(seen == 10, "synthetic: %d of the 10 classes have at least 150 of 2000 images", seen);
    CHECK(placed == N, "synthetic: %d of %d images are brightest at their class's place", placed, N);

    fixture_path(images, sizeof images, dir, "synthetic-images.idx");
    fixture_path(labels, sizeof labels, dir, "synthetic-labels.idx");
    CHECK(ofs_mnist_synthetic_save(images, labels, 50, 11, &err) == OFS_OK, "synthetic save: %s", err.msg);
    CHECK(ofs_mnist_load(images, labels, &ds, &err) == OFS_OK, "synthetic load: %s", err.msg);
    CHECK(ds.n == 50 && ds.rows == 28 && ds.cols == 28 && ds.dim == 784, "synthetic pair: shape n %lu, %d x %d",
          (unsigned long)ds.n, ds.rows, ds.cols);
    if (ds.n == 50 && ds.x && ds.y) {
        bad = 0;
        for (i = 0; i < 50 * 784; i++) bad += ds.x[i] != (ofs_real)pix[i] / (ofs_real)255;
        CHECK(bad == 0 && memcmp(ds.y, lab, 50) == 0, "synthetic pair: %lu pixels differ, labels %s", (unsigned long)bad,
              memcmp(ds.y, lab, 50) == 0 ? "equal" : "differ");
    }
    ofs_dataset_free(&ds);
    CHECK(ofs_mnist_synthetic_save(images, labels, 0, 11, &err) == OFS_ERR_ARG && contains(err.msg, images) &&
          contains(err.msg, "found 0"), "synthetic save of 0 images: %s", err.msg);
    fixture_path(images, sizeof images, dir, "no-such-dir/images.idx");
    CHECK(ofs_mnist_synthetic_save(images, labels, 5, 11, &err) == OFS_ERR_IO && contains(err.msg, images),
          "synthetic save into a missing directory: %s", err.msg);
}

/* ofs_mnist_load_dir: MNIST's standard names in a directory (with or without a
   trailing slash) give what ofs_mnist_load gives for the same files; a missing
   directory or file is named in the message; bad arguments are refused; after
   every error *ds is zero. */
static void test_mnist_dir(const char *dir)
{
    char images[512], labels[512], slashed[520], lone[512], longdir[5000];
    ofs_dataset a, b, c;
    ofs_err err;
    fixture_path(images, sizeof images, dir, "train-images-idx3-ubyte");
    fixture_path(labels, sizeof labels, dir, "train-labels-idx1-ubyte");
    CHECK(ofs_mnist_synthetic_save(images, labels, 50, 3, &err) == OFS_OK, "train pair: %s", err.msg);
    fixture_path(images, sizeof images, dir, "t10k-images-idx3-ubyte");
    fixture_path(labels, sizeof labels, dir, "t10k-labels-idx1-ubyte");
    CHECK(ofs_mnist_synthetic_save(images, labels, 20, 4, &err) == OFS_OK, "t10k pair: %s", err.msg);
    fixture_path(lone, sizeof lone, dir, "lone-images-idx3-ubyte");     /* images, labels under another name */
    fixture_path(slashed, sizeof slashed, dir, "lone-labels.idx");
    CHECK(ofs_mnist_synthetic_save(lone, slashed, 5, 5, &err) == OFS_OK, "lone images: %s", err.msg);

    CHECK(ofs_mnist_load_dir(dir, "t10k", &a, &err) == OFS_OK && a.n == 20 && a.dim == 784, "t10k: %s", err.msg);
    CHECK(ofs_mnist_load(images, labels, &b, &err) == OFS_OK, "t10k by path: %s", err.msg);
    CHECK(a.n == b.n && a.x && b.x && memcmp(a.x, b.x, b.n * 784 * sizeof *b.x) == 0 && memcmp(a.y, b.y, b.n) == 0,
          "load_dir and load read the same");
    ofs_dataset_free(&a);
    ofs_dataset_free(&b);
    snprintf(slashed, sizeof slashed, "%s/", dir);
    CHECK(ofs_mnist_load_dir(slashed, "train", &c, &err) == OFS_OK && c.n == 50, "\"%s\" with a slash: %s", slashed, err.msg);
    ofs_dataset_free(&c);

    CHECK(ofs_mnist_load_dir(dir, "nope", &a, &err) == OFS_ERR_IO && contains(err.msg, "/nope-images-idx3-ubyte") &&
          contains(err.msg, dir) && dataset_is_zero(&a), "a missing set: %s", err.msg);
    CHECK(ofs_mnist_load_dir("build/no-such-dir", "train", &a, &err) == OFS_ERR_IO &&
          contains(err.msg, "build/no-such-dir/train-images-idx3-ubyte: cannot open") && dataset_is_zero(&a),
          "a missing directory: %s", err.msg);
    CHECK(ofs_mnist_load_dir(dir, "lone", &a, &err) == OFS_ERR_IO && contains(err.msg, "lone-labels-idx1-ubyte") &&
          dataset_is_zero(&a), "images without labels: %s", err.msg);
    CHECK(ofs_mnist_load_dir(dir, "nope", &a, NULL) == OFS_ERR_IO && dataset_is_zero(&a), "a missing set, err NULL");

    CHECK(ofs_mnist_load_dir(NULL, "train", &a, &err) == OFS_ERR_ARG && contains(err.msg, "directory") &&
          contains(err.msg, "NULL") && dataset_is_zero(&a), "dir NULL: %s", err.msg);
    CHECK(ofs_mnist_load_dir("", "train", &a, &err) == OFS_ERR_ARG && contains(err.msg, "empty"), "dir \"\": %s", err.msg);
    CHECK(ofs_mnist_load_dir(dir, NULL, &a, &err) == OFS_ERR_ARG && contains(err.msg, "\"train\" or \"t10k\"") &&
          contains(err.msg, "NULL"), "set NULL: %s", err.msg);
    CHECK(ofs_mnist_load_dir(dir, "", &a, &err) == OFS_ERR_ARG && contains(err.msg, "empty") && dataset_is_zero(&a),
          "set \"\": %s", err.msg);
    CHECK(ofs_mnist_load_dir(NULL, NULL, &a, NULL) == OFS_ERR_ARG, "both NULL, err NULL");
    memset(longdir, 'd', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = 0;
    CHECK(ofs_mnist_load_dir(longdir, "train", &a, &err) == OFS_ERR_ARG && contains(err.msg, "shorter than 4096") &&
          contains(err.msg, "4999") && dataset_is_zero(&a), "a 4999-byte directory name: %.80s", err.msg);
}

/* Real MNIST, when make data has put it in data/mnist. */
static void test_real_mnist(void)
{
    static const int train_counts[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    static const int test_counts[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    static const unsigned char train_first[5] = {5, 0, 4, 1, 9}, test_first[5] = {7, 2, 1, 0, 4};
    ofs_dataset tr, te;
    ofs_err err;
    FILE *f = fopen("data/mnist/train-labels-idx1-ubyte", "rb");
    int counts[10] = {0}, tcounts[10] = {0}, k, ok = 1, tok = 1;
    size_t i;
    double sum = 0, mx = 0;
    if (!f) { printf("test_idx: real MNIST is not in data/mnist (make data): its checks are skipped\n"); return; }
    fclose(f);
    CHECK(ofs_mnist_load("data/mnist/train-images-idx3-ubyte", "data/mnist/train-labels-idx1-ubyte", &tr, &err) == OFS_OK,
          "MNIST train: %s", err.msg);
    CHECK(ofs_mnist_load("data/mnist/t10k-images-idx3-ubyte", "data/mnist/t10k-labels-idx1-ubyte", &te, &err) == OFS_OK,
          "MNIST test: %s", err.msg);
    CHECK(tr.n == 60000 && te.n == 10000 && tr.rows == 28 && tr.cols == 28 && te.dim == 784, "MNIST shapes");
    if (tr.n == 60000 && te.n == 10000) {
        for (i = 0; i < tr.n; i++) counts[tr.y[i]]++;
        for (i = 0; i < te.n; i++) tcounts[te.y[i]]++;
        for (k = 0; k < 10; k++) { ok &= counts[k] == train_counts[k]; tok &= tcounts[k] == test_counts[k]; }
        CHECK(ok && tok, "MNIST label histograms");
        CHECK(memcmp(tr.y, train_first, 5) == 0 && memcmp(te.y, test_first, 5) == 0, "MNIST first labels");
        for (i = 0; i < tr.n * 784; i++) { sum += (double)tr.x[i]; if ((double)tr.x[i] > mx) mx = (double)tr.x[i]; }
        CHECK_CLOSE(sum / (double)(tr.n * 784), 0.1306604762738431, 1e-6, 0, "MNIST train pixel mean");
        CHECK(mx == 1.0, "MNIST max pixel %g, want 1", mx);
    }
    ofs_dataset_free(&tr);
    CHECK(ofs_mnist_load_dir("data/mnist", "t10k", &tr, &err) == OFS_OK && tr.n == te.n && te.x &&
          memcmp(tr.x, te.x, te.n * 784 * sizeof *te.x) == 0 && memcmp(tr.y, te.y, te.n) == 0,
          "MNIST test set by its standard names: %s", err.msg);
    ofs_dataset_free(&tr);
    ofs_dataset_free(&te);
}

/* Special files as input: a FIFO would block a plain open for ever. Each load runs in
   a child that an alarm kills after 10 s; it must be refused at once, naming the FIFO.
   A 4000-byte path keeps the reason in the message. */
static void test_special_inputs(const char *dir)
{
#if defined(__unix__) || defined(__APPLE__)
    char fifo[600], good[600], labels[600];
    pid_t pid;
    int status = -1;
    fixture_path(fifo, sizeof fifo, dir, "images.fifo");
    fixture_path(good, sizeof good, dir, "fifo-test-images.idx");
    fixture_path(labels, sizeof labels, dir, "fifo-test-labels.idx");
    remove(fifo);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
    CHECK(fixture_mnist(good, labels, 5, 4, 4, 1) == 0, "a pair");
    if ((pid = fork()) == 0) {
        ofs_idx x;
        ofs_dataset d;
        ofs_err e1, e2, e3;
        int ok;
        alarm(10);
        ok = ofs_idx_load(fifo, &x, &e1) == OFS_ERR_IO && contains(e1.msg, fifo) && contains(e1.msg, "found a FIFO (named pipe)");
        ok &= ofs_mnist_load(fifo, labels, &d, &e2) == OFS_ERR_IO && contains(e2.msg, "found a FIFO") && dataset_is_zero(&d);
        ok &= ofs_mnist_load(good, fifo, &d, &e3) == OFS_ERR_IO && contains(e3.msg, "found a FIFO") && dataset_is_zero(&d);
        _exit(ok ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "FIFOs as IDX files refused at once (child status %d)", status);
    remove(fifo);
    {
        ofs_idx x;
        ofs_err err;
        CHECK(ofs_idx_load("/dev/null", &x, &err) == OFS_ERR_IO && contains(err.msg, "found a character device") && idx_is_zero(&x),
              "/dev/null: %s", err.msg);
    }
#endif
    {   /* a pair is written whole or not at all: a refused labels path keeps the old images */
        static const uint32_t three[1] = {3};
        char im[600], lab[600];
        unsigned char *before, *after;
        size_t n1 = 0, n2 = 0;
        ofs_err err;
        fixture_path(im, sizeof im, dir, "pair-images.idx");
        fixture_path(lab, sizeof lab, dir, "pair-labels.dir");
        CHECK(fixture_mkdirs(lab) == 0, "mkdir %s", lab);
        CHECK(ofs_idx_save(im, (const unsigned char *)"abc", 1, three, &err) == OFS_OK, "old images: %s", err.msg);
        before = slurp(im, &n1);
        CHECK(ofs_mnist_synthetic_save(im, lab, 20, 5, &err) == OFS_ERR_IO && contains(err.msg, lab) && contains(err.msg, "directory"),
              "a pair with a directory for labels: %s", err.msg);
        after = slurp(im, &n2);
        CHECK(before && after && n1 == n2 && memcmp(before, after, n1) == 0, "the images file was not replaced");
        free(before); free(after);
    }
    {
        static char longp[4100];
        static const unsigned char byte[1] = {7};
        uint32_t one[1] = {1};
        ofs_idx x;
        ofs_err err;
        size_t n = 0;
        while (n < 3980) { memcpy(longp + n, "directory/", 10); n += 10; }
        memcpy(longp + n, "train-images-idx3", 18);
        CHECK(ofs_idx_load(longp, &x, &err) == OFS_ERR_IO && contains(err.msg, "train-images-idx3: cannot open the file: No such file"),
              "a 4000-byte path: %s", err.msg);
        CHECK(ofs_idx_save(longp, byte, 1, one, &err) == OFS_ERR_IO && contains(err.msg, "No such file or directory; nothing was written"),
              "saving to a 4000-byte path: %s", err.msg);
    }
}

static void test_names(void)
{
    CHECK(strcmp(ofs_idx_type_name(OFS_IDX_U8), "unsigned byte") == 0, "name of 0x08");
    CHECK(strcmp(ofs_idx_type_name(OFS_IDX_I8), "signed byte") == 0, "name of 0x09");
    CHECK(strcmp(ofs_idx_type_name(OFS_IDX_I16), "16-bit int") == 0, "name of 0x0B");
    CHECK(strcmp(ofs_idx_type_name(OFS_IDX_I32), "32-bit int") == 0, "name of 0x0C");
    CHECK(strcmp(ofs_idx_type_name(OFS_IDX_F32), "32-bit float") == 0, "name of 0x0D");
    CHECK(strcmp(ofs_idx_type_name(OFS_IDX_F64), "64-bit float") == 0, "name of 0x0E");
    CHECK(strcmp(ofs_idx_type_name(0x0A), "unknown") == 0, "name of 0x0A");
}

int main(int argc, char **argv)
{
    char dir[512];
    if (!fixture_dir(argc, argv, "test_idx", dir, sizeof dir)) {
        CHECK(0, "cannot create the fixture directory");
        return harness_done("test_idx");
    }
    test_names();
    test_types(dir);
    test_shapes(dir);
    test_malformed(dir);
    test_mnist_fixture(dir);
    test_fixture_learnable();
    test_idx_save(dir);
    test_synthetic(dir);
    test_mnist_dir(dir);
    test_real_mnist();
    test_special_inputs(dir);
    return harness_done("test_idx");
}
