/* test_toy: running an optimizer on a toy objective and writing what gnuplot draws.
   ofs_toy_trace: D2L's numbers, gradient descent's closed form row by row, the same
   bits as ofs_optim_step driven by hand, the rows it fills and no more, a diverging
   run, and misuse (NULL start, negative steps, an invalid configuration).
   ofs_toy_trace_write and ofs_toy_grid_save: the text they write, read back, and
   what they refuse (NULL, bad sizes, a 1-D toy, a bad box, an unwritable path or
   stream). Files go to build/fixtures/test_toy (or argv[1]). Run from the
   repository root; passes in float and in double. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include "fixtures.h"

#define SENTINEL 12345.0

static int contains(const char *s, const char *part) { return strstr(s, part) != NULL; }
static int starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static ofs_optim_config config(ofs_optim_kind kind, double lr)
{
    ofs_optim_config c = ofs_optim_defaults(kind);
    c.lr = lr;
    return c;
}

/* The whole of a small text file. */
static int slurp_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    buf[0] = 0;
    if (!f) return 0;
    n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
    return 1;
}

/* D2L's printed end points, in double; float rounds every step, so a looser bound. */
static void test_d2l(void)
{
    const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0};
    const double tol = sizeof(ofs_real) == sizeof(double) ? 6e-7 : 2e-5;
    ofs_optim_config c;
    ofs_err err;
    double x[2];

    c = config(OFS_SGD, 0.4);
    x[0] = -5; x[1] = -2;
    CHECK(ofs_toy_trace(&quad, &c, x, 20, NULL, &err) == OFS_OK, "gd: %s", err.msg);
    CHECK_CLOSE(x[0], -0.943467, 0, tol, "gd lr 0.4, x1 after 20 steps");
    CHECK_CLOSE(x[1], -0.000073, 0, tol, "gd lr 0.4, x2 after 20 steps");

    c = config(OFS_SGD, 0.6); c.momentum = 0.5;
    x[0] = -5; x[1] = -2;
    CHECK(ofs_toy_trace(&quad, &c, x, 20, NULL, &err) == OFS_OK, "momentum: %s", err.msg);
    CHECK_CLOSE(x[0], 0.007188, 0, tol, "momentum lr 0.6 beta 0.5, x1");
    CHECK_CLOSE(x[1], 0.002553, 0, tol, "momentum lr 0.6 beta 0.5, x2");

    c = config(OFS_ADAGRAD, 0.4); c.eps = 1e-6; c.eps_inside_sqrt = 1;
    x[0] = -5; x[1] = -2;
    CHECK(ofs_toy_trace(&quad, &c, x, 20, NULL, &err) == OFS_OK, "adagrad: %s", err.msg);
    CHECK_CLOSE(x[0], -2.382563, 0, tol, "adagrad lr 0.4, x1");
    CHECK_CLOSE(x[1], -0.158591, 0, tol, "adagrad lr 0.4, x2");
}

/* Gradient descent on a x1^2 + b x2^2 multiplies x1 by 1 - 2 a lr and x2 by
   1 - 2 b lr at every step: every row of the path against that, and f beside it.
   The 1-D x^2 likewise, with rows of two. Nothing after the last row is written. */
static void test_rows(void)
{
    const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0};
    const ofs_toy sq = ofs_toy_make(OFS_TOY_SQUARE);
    const double rtol = sizeof(ofs_real) == sizeof(double) ? 1e-12 : 2e-6;
    ofs_optim_config c = config(OFS_SGD, 0.4);
    double path[21 * 3 + 1], x[2] = {-5, -2}, y[2] = {-5, -2}, u = 10, p1[11 * 2 + 1];
    ofs_err err;
    int k, bad = 0;

    path[21 * 3] = SENTINEL;
    CHECK(ofs_toy_trace(&quad, &c, x, 20, path, &err) == OFS_OK, "trace: %s", err.msg);
    for (k = 0; k <= 20; k++) {
        double a = -5 * pow(0.92, k), b = -2 * pow(-0.6, k), f = 0.1 * a * a + 2 * b * b;
        if (!harness_close(path[3 * k], a, rtol, 1e-300) || !harness_close(path[3 * k + 1], b, rtol, 1e-300) ||
            !harness_close(path[3 * k + 2], f, 2 * rtol, 1e-300)) {
            if (bad++ < 3) printf("  row %d: %.17g %.17g %.17g, want %.17g %.17g %.17g\n", k, path[3 * k], path[3 * k + 1],
                                  path[3 * k + 2], a, b, f);
        }
    }
    CHECK(bad == 0, "%d rows differ from x_k = x_0 (1 - 2 a lr)^k", bad);
    CHECK(path[21 * 3] == SENTINEL, "the trace wrote past its steps + 1 rows");
    CHECK(x[0] == path[3 * 20] && x[1] == path[3 * 20 + 1], "x ends as the last row");
    CHECK(path[2] == 10.5, "f(-5, -2) = %g, want 10.5", path[2]);

    CHECK(ofs_toy_trace(&quad, &c, y, 20, NULL, &err) == OFS_OK && y[0] == x[0] && y[1] == x[1],
          "without a path the same end point: %s", err.msg);

    p1[11 * 2] = SENTINEL;
    CHECK(ofs_toy_trace(&sq, &c, &u, 10, p1, &err) == OFS_OK, "1-D trace: %s", err.msg);
    CHECK_CLOSE(p1[2 * 10], 10 * pow(0.2, 10), rtol, 0, "x^2, lr 0.4: x_10 = 10 * 0.2^10");
    CHECK_CLOSE(p1[2 * 10 + 1], 100 * pow(0.04, 10), 2 * rtol, 0, "x^2: f(x_10)");
    CHECK(p1[11 * 2] == SENTINEL && u == p1[2 * 10], "1-D rows: two values each, x ends as the last");

    x[0] = -5; x[1] = -2;
    CHECK(ofs_toy_trace(&quad, &c, x, 0, path, &err) == OFS_OK && x[0] == -5 && x[1] == -2 && path[0] == -5 &&
          path[1] == -2 && path[2] == 10.5, "0 steps: one row, the start: %s", err.msg);
}

/* Adam on Rosenbrock, stepped by hand with the library's optimizer: the trace gives
   the same bits (in float too, where the point is rounded to float at the start). */
static void test_same_bits(void)
{
    const ofs_toy rb = ofs_toy_make(OFS_TOY_ROSENBROCK);
    ofs_optim_config c = config(OFS_ADAM, 0.01);
    ofs_optim o;
    ofs_real w[2], g[2];
    double path[51 * 3], x[2] = {-1.2, 1.0}, d[2];
    ofs_err err;
    int k, same = 1;
    CHECK(ofs_toy_trace(&rb, &c, x, 50, path, &err) == OFS_OK, "adam on rosenbrock: %s", err.msg);
    CHECK(ofs_optim_init(&o, &c, 2, &err) == OFS_OK, "init: %s", err.msg);
    w[0] = (ofs_real)-1.2; w[1] = (ofs_real)1.0;
    for (k = 0; k <= 50; k++) {
        const double pt[2] = {(double)w[0], (double)w[1]};
        double f = ofs_toy_eval(&rb, pt, d, NULL);
        same &= pt[0] == path[3 * k] && pt[1] == path[3 * k + 1] && f == path[3 * k + 2];
        g[0] = (ofs_real)d[0]; g[1] = (ofs_real)d[1];
        ofs_optim_step(&o, w, g, NULL);
    }
    ofs_optim_free(&o);
    CHECK(same, "ofs_toy_trace differs from ofs_optim_step driven by hand");
}

/* A run that diverges is recorded to the end (inf, then NaN), not refused. */
static void test_diverging(void)
{
    const ofs_toy quad = ofs_toy_make(OFS_TOY_QUAD);     /* x1^2 + 2 x2^2: x2 <- -3 x2 at lr 1 */
    ofs_optim_config c = config(OFS_SGD, 1.0);
    static double path[2001 * 3 + 1];
    double x[2] = {1, 1};
    ofs_err err;
    path[2001 * 3] = SENTINEL;
    CHECK(ofs_toy_trace(&quad, &c, x, 2000, path, &err) == OFS_OK, "diverging run: %s", err.msg);
    CHECK(fabs(path[3 * 10 + 1]) == pow(3, 10), "x2 after 10 steps: %g, want 3^10", path[3 * 10 + 1]);
    CHECK(!(fabs(x[1]) < HUGE_VAL), "x2 at the end: %g, want inf or NaN", x[1]);
    CHECK(path[2001 * 3] == SENTINEL, "all 2001 rows and no more");
}

static void test_misuse(void)
{
    const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0};
    ofs_optim_config c = config(OFS_SGD, 0.4), bad = config(OFS_ADAM, -1.0);
    double path[3 * 3], x[2] = {-5, -2};
    ofs_err err;
    path[0] = SENTINEL;
    CHECK(ofs_toy_trace(&quad, &c, NULL, 2, path, &err) == OFS_ERR_ARG && err.status == OFS_ERR_ARG &&
          contains(err.msg, "quad") && contains(err.msg, "start point") && path[0] == SENTINEL, "x NULL: %s", err.msg);
    CHECK(ofs_toy_trace(&quad, &c, x, -1, path, &err) == OFS_ERR_ARG && contains(err.msg, "steps >= 0") &&
          contains(err.msg, "found -1") && path[0] == SENTINEL, "steps -1: %s", err.msg);
    CHECK(ofs_toy_trace(&quad, &bad, x, 2, path, &err) == OFS_ERR_ARG && contains(err.msg, "adam") &&
          x[0] == -5 && x[1] == -2 && path[0] == SENTINEL, "lr -1 refused before anything moves: %s", err.msg);
    CHECK(ofs_toy_trace(&quad, &bad, x, 2, path, NULL) == OFS_ERR_ARG, "lr -1, err NULL");
    CHECK(ofs_toy_trace(&quad, &c, NULL, 2, NULL, NULL) == OFS_ERR_ARG, "x NULL, err NULL");
    err.status = OFS_ERR_IO; strcpy(err.msg, "stale");
    CHECK(ofs_toy_trace(&quad, &c, x, 2, path, &err) == OFS_OK && err.status == OFS_OK && err.msg[0] == 0,
          "success clears err: %s", err.msg);
}

/* The block ofs_toy_trace_write appends: steps + 1 rows "k x1 x2 f" holding the
   path's numbers to 10 digits, then two blank lines; a second block follows it. */
static void test_write(const char *dir)
{
    const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0}, sq = ofs_toy_make(OFS_TOY_SQUARE);
    ofs_optim_config c = config(OFS_SGD, 0.4);
    double path[4 * 3], p1[3 * 2], x[2] = {-5, -2}, u = 3;
    char file[512], text[4096], *line;
    ofs_err err;
    FILE *f;
    int k = 0, ok = 1, rows = 0, blank = 0;
    fixture_path(file, sizeof file, dir, "trace.dat");
    ofs_toy_trace(&quad, &c, x, 3, path, NULL);
    ofs_toy_trace(&sq, &c, &u, 2, p1, NULL);
    f = fopen(file, "w");
    CHECK(f != NULL, "cannot open %s", file);
    if (!f) return;
    CHECK(ofs_toy_trace_write(f, &quad, path, 3, &err) == OFS_OK, "write: %s", err.msg);
    CHECK(ofs_toy_trace_write(f, &sq, p1, 2, &err) == OFS_OK, "write 1-D: %s", err.msg);
    fclose(f);
    slurp_text(file, text, sizeof text);
    CHECK(starts(text, "0 -5 -2 10.5\n"), "first row: %.20s", text);
    for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), rows++) {
        double v[3];
        int n = sscanf(line, "%d %lf %lf %lf", &k, &v[0], &v[1], &v[2]);
        if (rows < 4) ok &= n == 4 && k == rows && harness_close(v[0], path[3 * k], 1e-9, 0) &&
                            harness_close(v[1], path[3 * k + 1], 1e-9, 0) && harness_close(v[2], path[3 * k + 2], 1e-9, 0);
        else ok &= n == 3 && k == rows - 4 && harness_close(v[0], p1[2 * k], 1e-9, 0) && harness_close(v[1], p1[2 * k + 1], 1e-9, 0);
    }
    CHECK(ok && rows == 7, "the rows read back: %d of 7 as written", rows);
    slurp_text(file, text, sizeof text);
    for (line = text; (line = strstr(line, "\n\n\n")) != NULL; line += 3) blank++;
    CHECK(blank == 2 && text[strlen(text) - 1] == '\n', "each block ends with two blank lines (%d found)", blank);

    CHECK(ofs_toy_trace_write(NULL, &quad, path, 3, &err) == OFS_ERR_ARG && contains(err.msg, "the file"), "file NULL: %s", err.msg);
    f = fopen(file, "r");
    if (!f) return;
    CHECK(ofs_toy_trace_write(f, &quad, NULL, 3, &err) == OFS_ERR_ARG && contains(err.msg, "the path"), "path NULL: %s", err.msg);
    CHECK(ofs_toy_trace_write(f, &quad, path, -2, &err) == OFS_ERR_ARG && contains(err.msg, "found -2"), "steps -2: %s", err.msg);
    CHECK(ofs_toy_trace_write(f, &quad, path, 3, &err) == OFS_ERR_IO && contains(err.msg, "writing the path failed") &&
          contains(err.msg, "0 of 4 rows"), "a stream open for reading: %s", err.msg);
    CHECK(ofs_toy_trace_write(f, &quad, path, 3, NULL) == OFS_ERR_IO, "read-only stream, err NULL");
    fclose(f);
}

/* The grid file, exactly; the log10 variant; and what is refused. */
static void test_grid(const char *dir)
{
    static const double box[4] = {-1, 1, 0, 2}, unit[4] = {0, 1, 0, 1};
    const ofs_toy quad = {OFS_TOY_QUAD, 0.1, 2.0}, rb = ofs_toy_make(OFS_TOY_ROSENBROCK);
    const ofs_toy sq = ofs_toy_make(OFS_TOY_SQUARE), him = ofs_toy_make(OFS_TOY_HIMMELBLAU);
    double reversed[4] = {1, -1, 0, 2}, nan_box[4] = {0, 1, 0, 1}, inf_box[4] = {0, 1, 0, 1}, v[3];
    char file[512], missing[512], text[4096], *line;
    ofs_err err;
    int rows = 0, found = 0;
    nan_box[2] = (double)NAN; inf_box[1] = (double)INFINITY;
    fixture_path(file, sizeof file, dir, "grid.dat");
    fixture_path(missing, sizeof missing, dir, "no-such-dir/grid.dat");

    CHECK(ofs_toy_grid_save(file, &quad, box, 3, 2, 0, &err) == OFS_OK, "grid: %s", err.msg);
    slurp_text(file, text, sizeof text);
    CHECK(strcmp(text, "# x1 x2 f   (quad, a = 0.1, b = 2: 3 x 2 points on [-1, 1] x [0, 2])\n"
                       "-1 0 0.1\n-1 2 8.1\n\n0 0 0\n0 2 8\n\n1 0 0.1\n1 2 8.1\n\n") == 0, "grid text:\n%s", text);

    CHECK(ofs_toy_grid_save(file, &rb, unit, 2, 2, 1, &err) == OFS_OK, "log grid: %s", err.msg);
    slurp_text(file, text, sizeof text);
    CHECK(starts(text, "# x1 x2 log10(f + 1e-12)   (rosenbrock, a = 1, b = 100: 2 x 2 points"), "log header: %.80s", text);
    for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || sscanf(line, "%lf %lf %lf", &v[0], &v[1], &v[2]) != 3) continue;
        rows++;
        if (v[0] == 1 && v[1] == 1) found = v[2] == -12;                   /* the minimum, f = 0 */
        if (v[0] == 0 && v[1] == 1) found &= harness_close(v[2], 2.0, 1e-6, 0);   /* f(0, 1) = 1 + 100 */
    }
    CHECK(rows == 4 && found, "log10(f + 1e-12) at the 4 points (%d rows)", rows);
    CHECK(ofs_toy_grid_save(file, &him, unit, 2, 2, 0, &err) == OFS_OK && slurp_text(file, text, sizeof text) &&
          starts(text, "# x1 x2 f   (himmelblau: 2 x 2"), "no a, b for himmelblau: %.40s", text);

    CHECK(ofs_toy_grid_save(NULL, &quad, box, 3, 2, 0, &err) == OFS_ERR_ARG && contains(err.msg, "file name"), "path NULL: %s", err.msg);
    CHECK(ofs_toy_grid_save(file, &sq, box, 3, 2, 0, &err) == OFS_ERR_ARG && contains(err.msg, "2-D") &&
          contains(err.msg, "square"), "1-D toy: %s", err.msg);
    CHECK(ofs_toy_grid_save(file, &quad, box, 1, 2, 0, &err) == OFS_ERR_ARG && contains(err.msg, "found 1 x 2"), "n1 1: %s", err.msg);
    CHECK(ofs_toy_grid_save(file, &quad, box, 3, -4, 0, &err) == OFS_ERR_ARG && contains(err.msg, "found 3 x -4"), "n2 -4: %s", err.msg);
    CHECK(ofs_toy_grid_save(file, &quad, NULL, 3, 2, 0, &err) == OFS_ERR_ARG && contains(err.msg, "box"), "box NULL: %s", err.msg);
    CHECK(ofs_toy_grid_save(file, &quad, reversed, 3, 2, 0, &err) == OFS_ERR_ARG && contains(err.msg, "[1, -1]"), "reversed: %s", err.msg);
    CHECK(ofs_toy_grid_save(file, &quad, nan_box, 3, 2, 0, &err) == OFS_ERR_ARG, "NaN in the box: %s", err.msg);
    CHECK(ofs_toy_grid_save(file, &quad, inf_box, 3, 2, 0, &err) == OFS_ERR_ARG, "inf in the box: %s", err.msg);
    CHECK(ofs_toy_grid_save(missing, &quad, box, 3, 2, 0, &err) == OFS_ERR_IO && contains(err.msg, missing) &&
          contains(err.msg, "cannot open"), "unwritable path: %s", err.msg);
    CHECK(ofs_toy_grid_save(missing, &quad, box, 3, 2, 0, NULL) == OFS_ERR_IO, "unwritable path, err NULL");
    CHECK(ofs_toy_grid_save(dir, &quad, box, 3, 2, 0, &err) == OFS_ERR_IO, "a directory as the path: %s", err.msg);
}

int main(int argc, char **argv)
{
    char buf[512];
    const char *dir = fixture_dir(argc, argv, "test_toy", buf, sizeof buf);
    test_d2l();
    test_rows();
    test_same_bits();
    test_diverging();
    test_misuse();
    CHECK(dir != NULL, "cannot create the fixture directory for the files");
    if (dir) {
        test_write(dir);
        test_grid(dir);
    }
    return harness_done("test_toy");
}
