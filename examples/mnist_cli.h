/* The command-line plumbing that chapters 15 and 16 share: quoting and number
   parsing for messages, timing, output files that are whole or absent, and the
   checks made on input and output paths and on the data before anything is
   computed. Included by examples/ch15_mnist.c and examples/ch16_sweep.c after
   optimfs.h, with PROG (the program's name) and MSG (a message's size) defined.
   Every problem is one line on stderr starting with PROG, naming the file or the
   option, what was expected and what was found.                                  */
#ifndef MNIST_CLI_H
#define MNIST_CLI_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <errno.h>
#include <time.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/types.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#define HAVE_POSIX 1
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- messages and numbers ------------------------------------------------------- */

/* s shortened to at most 120 characters (its start and end kept), for quoting. */
static const char *shorten(const char *s, char out[128])
{
    size_t n = strlen(s);
    if (n <= 120) return s;
    memcpy(out, s, 58);
    memcpy(out + 58, " ... ", 5);
    memcpy(out + 63, s + n - 57, 58);   /* with the terminating 0 */
    return out;
}

static int fail(char *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, MSG, fmt, ap);
    va_end(ap);
    return 2;
}

/* "FLAG: expected WHAT, found 'S' (WHY) (see --help)", S shortened. */
static int bad_value(char *msg, const char *flag, const char *what, const char *s, const char *why)
{
    char sb[128];
    return fail(msg, "%s: expected %s, found '%s'%s%s%s (see --help)", flag, what, shorten(s, sb),
                why ? " (" : "", why ? why : "", why ? ")" : "");
}

static const char *int_problem(const char *s, long lo, long hi, long *v)
{
    char *end;
    if (!*s) return "empty";
    if (isspace((unsigned char)*s)) return "a space before the number";
    errno = 0;
    *v = strtol(s, &end, 10);
    if (end == s) return "not a whole number";
    if (*end) return "characters after the number";
    if (errno == ERANGE || *v < lo || *v > hi) return "out of range";
    return NULL;
}

static int parse_int(const char *flag, const char *s, long lo, long hi, const char *what, int *out, char *msg)
{
    long v;
    const char *why = int_problem(s, lo, hi, &v);
    if (why) return bad_value(msg, flag, what, s, why);
    *out = (int)v;
    return 0;
}

/* A library message: it names the file, what was expected and what was found, and
   keeps its reason however long the path (optimfs.h shortens the path instead). */
static void print_err(const char *prefix, const ofs_err *e)
{
    fprintf(stderr, PROG ": %s%s\n", prefix, e->msg);
}

/* ---- time and files ------------------------------------------------------------ */

static double now(void)
{
#ifdef _OPENMP
    return omp_get_wtime();
#elif defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

/* An output file. A whole file (tmp != NULL) is written to a new temporary file in
   the same directory and renamed over its path only when every write succeeded; a
   log is written in place, line by line. err: errno of the first failed write. */
typedef struct outfile {
    FILE *f;
    const char *path;
    char *tmp;
    int err;
} outfile;

static void out_report(const outfile *o)
{
    fprintf(stderr, PROG ": %s: write failed: %s\n", o->path, o->err > 0 ? strerror(o->err) : "unknown error");
}

static int out_open(outfile *o, const char *path, int whole)
{
    int e = 0;
    memset(o, 0, sizeof *o);
    o->path = path;
    if (!whole) {
        if (!(o->f = fopen(path, "w"))) e = errno;
    } else {
        size_t cap = strlen(path) + 48;
        if (!(o->tmp = (char *)malloc(cap))) { fprintf(stderr, PROG ": %s: out of memory\n", path); return -1; }
#ifdef HAVE_POSIX
        {
            static unsigned serial;
            int fd = -1, tries;
            for (tries = 0; tries < 100 && fd < 0; tries++) {
                snprintf(o->tmp, cap, "%s.%ld-%u.tmp", path, (long)getpid(), serial++);
                if ((fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0 && errno != EEXIST) break;
            }
            if (fd < 0) e = errno;
            else if (!(o->f = fdopen(fd, "w"))) { e = errno; close(fd); remove(o->tmp); }
        }
#else
        snprintf(o->tmp, cap, "%s.tmp", path);
        if (!(o->f = fopen(o->tmp, "w"))) e = errno;
#endif
    }
    if (o->f) return 0;
    fprintf(stderr, PROG ": cannot create %s: %s\n", o->tmp ? o->tmp : path, e ? strerror(e) : "unknown error");
    free(o->tmp);
    o->tmp = NULL;
    return -1;
}

static void out_printf(outfile *o, const char *fmt, ...)
{
    va_list ap;
    int r;
    errno = 0;
    va_start(ap, fmt);
    r = vfprintf(o->f, fmt, ap);
    va_end(ap);
    if (r < 0 && !o->err) o->err = errno ? errno : -1;
}

/* 0 when everything written so far reached the file (the log after each line). */
static int out_flush(outfile *o)
{
    errno = 0;
    if (fflush(o->f) != 0 && !o->err) o->err = errno ? errno : -1;
    if (ferror(o->f) && !o->err) o->err = -1;
    if (o->err) { out_report(o); return -1; }
    return 0;
}

/* Drop a whole file that is not complete: its temporary file goes, the path keeps
   what it held before. */
static void out_abort(outfile *o)
{
    if (o->f) fclose(o->f);
    if (o->tmp) remove(o->tmp);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

/* Finish: flush, close, and rename a whole file into place; any failure is
   reported (naming the file and the cause), the temporary file removed, and -1. */
static int out_close(outfile *o)
{
    int rc = 0;
    if (!o->f) return 0;
    if (out_flush(o)) rc = -1;
    errno = 0;
    if (fclose(o->f) != 0 && rc == 0) { o->err = errno ? errno : -1; out_report(o); rc = -1; }
    o->f = NULL;
    if (rc == 0 && o->tmp && rename(o->tmp, o->path) != 0) {
        fprintf(stderr, PROG ": cannot rename %s to %s: %s\n", o->tmp, o->path, strerror(errno));
        rc = -1;
    }
    if (rc != 0 && o->tmp) remove(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    return rc;
}

/* Output paths, checked before any data is read: not a directory; --save not a
   device, FIFO or socket either (a checkpoint is a new file renamed over the path,
   which would replace it); its directory must exist, and for a whole file accept a
   new file. 0, or 2 after a message. */
static int check_out_path(const char *flag, const char *path, int whole, const char *hint)
{
#ifdef HAVE_POSIX
    struct stat st;
    char *dir, *slash, *probe;
    size_t n = strlen(path);
    int fd, e;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) { fprintf(stderr, PROG ": %s %s: is a directory, expected a file\n", flag, path); return 2; }
        if (whole && !S_ISREG(st.st_mode)) {
            fprintf(stderr, PROG ": %s %s: expected a regular file, found a device, FIFO or socket (the file is written "
                    "anew and renamed into place, which would replace it)\n", flag, path);
            return 2;
        }
        if (!whole) return 0;
    }
    if (!(dir = (char *)malloc(n + 48))) { fprintf(stderr, PROG ": out of memory\n"); return 2; }
    strcpy(dir, path);
    slash = strrchr(dir, '/');
    if (!slash) strcpy(dir, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, PROG ": %s %s: the directory %s does not exist%s\n", flag, path, dir, hint);
        free(dir);
        return 2;
    }
    probe = (char *)malloc(n + 64);
    if (!probe) { free(dir); fprintf(stderr, PROG ": out of memory\n"); return 2; }
    sprintf(probe, "%s/.%s-probe-%ld", dir, PROG, (long)getpid());
    fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
    e = errno;
    if (fd >= 0) { close(fd); remove(probe); }
    else if (e != EEXIST) fprintf(stderr, PROG ": %s %s: cannot create a file in %s: %s\n", flag, path, dir, strerror(e));
    free(probe);
    free(dir);
    return fd >= 0 || e == EEXIST ? 0 : 2;
#else
    (void)flag; (void)path; (void)whole; (void)hint;
    return 0;
#endif
}

/* An input file must exist and be a regular file: a FIFO would block the read, a
   directory is not data. 0, or 1 after a message (any path length: no buffer). */
static int check_in_path(const char *flag, const char *path)
{
#ifdef HAVE_POSIX
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, PROG ": %s%s%s: cannot open: %s\n", flag, *flag ? " " : "", path, strerror(errno));
        return 1;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, PROG ": %s%s%s: expected a regular file, found a %s\n", flag, *flag ? " " : "", path,
                S_ISDIR(st.st_mode) ? "directory" : "device, FIFO or socket");
        return 1;
    }
#else
    (void)flag; (void)path;
#endif
    return 0;
}

static int check_mnist_files(const char *dir, const char *set)
{
    static const char *const kinds[2] = {"images-idx3-ubyte", "labels-idx1-ubyte"};
    size_t cap = strlen(dir) + strlen(set) + 32;
    char *p = (char *)malloc(cap);
    int k, rc = 0;
    if (!p) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
    for (k = 0; k < 2 && rc == 0; k++) {
        size_t n = strlen(dir);
        snprintf(p, cap, "%s%s%s-%s", dir, n && dir[n - 1] == '/' ? "" : "/", set, kinds[k]);
        rc = check_in_path("", p);
    }
    free(p);
    return rc;
}

/* Train and test must be the same kind of images: the network's input is the
   training images' pixels, and every test image is read with that length. */
static int check_same_images(const char *dir, const ofs_dataset *train, const ofs_dataset *test)
{
    if (train->rows != test->rows || train->cols != test->cols) {
        fprintf(stderr, PROG ": %s: the training images are %d x %d pixels but the test images %d x %d: expected the same size\n",
                dir, train->rows, train->cols, test->rows, test->cols);
        return 1;
    }
    if (train->classes != test->classes) {
        fprintf(stderr, PROG ": %s: the training labels have %d classes but the test labels %d: expected the same\n",
                dir, train->classes, test->classes);
        return 1;
    }
    return 0;
}

#endif /* MNIST_CLI_H */
