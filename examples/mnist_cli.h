/* The command-line plumbing that chapters 15 and 16 share: quoting and number
   parsing for messages, timing, output files that are whole or absent, and the
   checks made on output paths and on the data before anything is computed (input
   files are checked by the library's readers: regular files only). Included by examples/ch15_mnist.c and examples/ch16_sweep.c after
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
/* --help: head, then names[0 .. n-1] separated by ", ", wrapped before 80 columns
   onto lines indented by `indent` spaces. */
static void print_names(const char *head, const char *const *names, int n, int indent)
{
    int k, col = printf("%s", head);
    for (k = 0; k < n; k++) {
        if (k > 0 && col + (int)strlen(names[k]) + 2 > 79) col = printf(",\n%*s", indent, "") - 2;
        else if (k > 0) col += printf(", ");
        col += printf("%s", names[k]);
    }
    printf("\n");
}

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

/* An output file. A whole file is written to an anonymous temporary file (C's
   tmpfile) and, only when every write succeeded, put in place by optimfs.h's
   ofs_file_write, with the library's guarantees: the path holds the previous file
   or the new one, whole. A log is written in place, line by line.
   err: errno of the first failed write. */
typedef struct outfile {
    FILE *f;
    const char *path;
    int whole, err;
} outfile;

static void out_report(const outfile *o)
{
    fprintf(stderr, PROG ": %s: write failed: %s\n", o->path, o->err > 0 ? strerror(o->err) : "unknown error");
}

static int out_open(outfile *o, const char *path, int whole)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    o->whole = whole;
    errno = 0;
    o->f = whole ? tmpfile() : fopen(path, "w");
    if (o->f) return 0;
    fprintf(stderr, PROG ": cannot create %s%s: %s\n", whole ? "a temporary file for " : "", path,
            errno ? strerror(errno) : "unknown error");
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

/* Drop a whole file that is not complete: the path keeps what it held before. */
static void out_abort(outfile *o)
{
    if (o->f) fclose(o->f);
    memset(o, 0, sizeof *o);
}

/* A whole file's bytes, read back from its temporary file, written over its path. */
static int out_put_in_place(outfile *o)
{
    long n;
    char *bytes = NULL;
    ofs_err e;
    int rc = -1;
    errno = 0;
    if (fseek(o->f, 0, SEEK_END) != 0 || (n = ftell(o->f)) < 0 || fseek(o->f, 0, SEEK_SET) != 0 ||
        !(bytes = (char *)malloc((size_t)n + 1)) || fread(bytes, 1, (size_t)n, o->f) != (size_t)n)
        fprintf(stderr, PROG ": %s: cannot read back its temporary file: %s\n", o->path,
                errno ? strerror(errno) : "short read or out of memory");
    else if (ofs_file_write(o->path, bytes, (size_t)n, &e) != OFS_OK) print_err("", &e);
    else rc = 0;
    free(bytes);
    return rc;
}

/* Finish: flush, put a whole file in place, close; any failure is reported (naming
   the file and the cause) and -1, and the path keeps its previous contents. */
static int out_close(outfile *o)
{
    int rc = 0;
    if (!o->f) return 0;
    if (out_flush(o)) rc = -1;
    if (rc == 0 && o->whole) rc = out_put_in_place(o);
    errno = 0;
    if (fclose(o->f) != 0 && rc == 0 && !o->whole) { o->err = errno ? errno : -1; out_report(o); rc = -1; }
    o->f = NULL;
    return rc;
}

/* Output paths, checked before any data is read: not a directory; a whole file
   (--save, out/) not a device, FIFO or socket either (it is a new file renamed over
   the path, which would replace it); its directory must exist; and a new file must
   be possible there as the library's save will find it (ofs_file_check_dest, which
   also refuses a symbolic link). 0, or 2 after a message. */
static int check_out_path(const char *flag, const char *path, int whole, const char *hint)
{
#ifdef HAVE_POSIX
    struct stat st;
    char *dir, *slash;
    size_t n = strlen(path);
    ofs_err err;
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
    free(dir);
    if (ofs_file_check_dest(path, &err) != OFS_OK) {   /* as a save will find it: a link, no room, no permission */
        fprintf(stderr, PROG ": %s %s\n", flag, err.msg);
        return 2;
    }
    return 0;
#else
    (void)flag; (void)path; (void)whole; (void)hint;
    return 0;
#endif
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
