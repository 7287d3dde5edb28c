/* Faults during a save (chapter 0): a write that stops after k bytes, for every k,
   never replaces the previous good file, leaves no temporary behind, and says so; a
   real write error names its cause; destinations that are not regular files (a
   device, a FIFO, a directory, a symbolic link) are refused and left as they were;
   two processes saving to one path at once never corrupt it and never fail; a
   state that is not finite is never written; a 4000-byte path still leaves room for
   the reason in the message. Files go to build/fixtures/test_faults (or argv[1]). */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include "fixtures.h"
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/resource.h>
#define FAULTS_POSIX 1
#endif

static char dir[512];

static const char *path(const char *name)
{
    static char buf[4][768];
    static int k;
    k = (k + 1) % 4;
    return fixture_path(buf[k], sizeof buf[k], dir, name);
}

static int contains(const char *s, const char *part) { return strstr(s, part) != NULL; }

/* Files in dir whose name starts with prefix (the temporary files of a save). */
static int count_prefixed(const char *prefix)
{
#ifdef FAULTS_POSIX
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL) n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
#else
    (void)prefix;
    return 0;
#endif
}

static void limited_writes(void)
{
    const char *p = path("state.bin");
    ofs_optim a, b, check;
    ofs_optim_config c = ofs_optim_defaults(OFS_ADAM);
    ofs_real x[6] = {1, 2, 3, 4, 5, 6}, g[6] = {(ofs_real)0.5, -1, 2, (ofs_real)-0.25, 1, 3};
    ofs_buf newer = {NULL, 0, 0, 0};
    ofs_err err;
    size_t k, total;
    int s, refused = 0, intact = 0, no_tmp = 0, named = 0, tries = 0;

    ofs_optim_init(&a, &c, 6, NULL);
    ofs_optim_init(&b, &c, 6, NULL);
    ofs_optim_init(&check, &c, 6, NULL);
    ofs_optim_step(&a, x, g, NULL);                      /* the good state: t = 1 */
    CHECK(ofs_optim_save_file(&a, p, &err) == OFS_OK, "good save: %s", err.msg);
    for (s = 0; s < 5; s++) ofs_optim_step(&b, x, g, NULL);   /* a newer state: t = 5 */
    ofs_optim_save(&b, &newer);
    total = 24 + newer.len;

    for (k = 0; k < total; k++) {
        ofs_status st = ofs__file_save_limited(p, 1u, &newer, k, &err);
        tries++;
        refused += st == OFS_ERR_IO;
        named += contains(err.msg, "untouched") && contains(err.msg, "byte limit");
        no_tmp += count_prefixed("state.bin.tmp") == 0;
        intact += ofs_optim_load_file(&check, p, NULL) == OFS_OK && check.t == 1;
    }
    CHECK(refused == tries, "interrupted saves reported: %d of %d", refused, tries);
    CHECK(named == tries, "messages say why and that the old file is untouched: %d of %d (%s)", named, tries, err.msg);
    CHECK(no_tmp == tries, "no temporary file left behind: %d of %d", no_tmp, tries);
    CHECK(intact == tries, "previous file still loads as t = 1: %d of %d", intact, tries);
    /* the complete write then replaces it */
    CHECK(ofs__file_save_limited(p, 1u, &newer, total, &err) == OFS_OK, "full save: %s", err.msg);
    CHECK(ofs_optim_load_file(&check, p, &err) == OFS_OK && check.t == 5, "new state loads: %s", err.msg);
    CHECK(count_prefixed("state.bin.tmp") == 0, "no temporary file after a good save");
    printf("interrupted at each of %lu byte offsets: previous file intact every time\n", (unsigned long)total);

    /* A state that is not finite is never written: the file stays t = 5. */
    b.s[1][3] = (ofs_real)INFINITY;
    CHECK(ofs_optim_save_file(&b, p, &err) == OFS_ERR_NONFINITE && contains(err.msg, p) && contains(err.msg, "nothing was written")
          && contains(err.msg, "element 3 of moment array 1"), "non-finite moment refused: %s", err.msg);
    CHECK(ofs_optim_load_file(&check, p, &err) == OFS_OK && check.t == 5, "the previous file is unchanged: %s", err.msg);
    b.s[1][3] = 1;
    b.t = -1;
    CHECK(ofs_optim_save_file(&b, p, &err) != OFS_OK && contains(err.msg, "t = -1"), "a negative t is not saved: %s", err.msg);
    ofs_buf_free(&newer);
    ofs_optim_free(&a); ofs_optim_free(&b); ofs_optim_free(&check);
}

#ifdef FAULTS_POSIX
/* A real write error: a file-size limit makes write() fail with EFBIG after 1000
   bytes, in a child (the limit is per process). Exit 0: all checks held. */
static void write_error(void)
{
    const char *p = path("big.bin");
    static unsigned char bytes[5000];
    ofs_buf big = {NULL, 0, 0, 0}, back;
    pid_t pid;
    int status = -1;
    ofs_put_u64(&big, 42);
    CHECK(ofs_file_save(p, 7u, &big, NULL) == OFS_OK, "the small file");
    ofs__put(&big, bytes, sizeof bytes);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl;
        ofs_err err;
        ofs_status st;
        rl.rlim_cur = rl.rlim_max = 1000;
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(3);
        st = ofs_file_save(p, 7u, &big, &err);
        printf("   a save past the file-size limit: %s\n", err.msg);
        fflush(stdout);
        ofs_buf_free(&big);   /* a child frees what it holds: memcheck judges it too */
        _exit(st == OFS_ERR_IO && contains(err.msg, strerror(EFBIG)) && contains(err.msg, "after 1000 of 5032 bytes") &&
              contains(err.msg, "untouched") ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the write error names its cause (\"%s\"): child status %d",
          strerror(EFBIG), status);
    CHECK(ofs_file_load(p, 7u, &back, NULL) == OFS_OK && back.len == 8, "the previous file is intact after the write error");
    ofs_buf_free(&back);
    CHECK(count_prefixed("big.bin.tmp") == 0, "no temporary file after the write error");
    ofs_buf_free(&big);
}

/* Destinations that are not regular files are refused, named, and left as they were. */
static void special_destinations(void)
{
    ofs_buf b = {NULL, 0, 0, 0}, back;
    ofs_err err;
    struct stat st;
    char cmd[2048];
    const char *fifo = path("a.fifo"), *sub = path("a-dir"), *target = path("target.bin"), *link = path("link.bin");
    char dev[768];
    fixture_path(dev, sizeof dev, dir, "null.dev");   /* its own buffer: path() has four */
    ofs_put_u64(&b, 1);
    /* A character device of our own (the same device as /dev/null, made with mknod
       where this runs as root): a test of the refusal must not, when the check is
       broken, replace the system's /dev/null with a regular file. */
    remove(dev);
    snprintf(cmd, sizeof cmd, "mknod '%s' c 1 3 2>/dev/null", dev);
    if (system(cmd) == 0) {
        CHECK(ofs_file_save(dev, 7u, &b, &err) == OFS_ERR_IO && contains(err.msg, dev) && contains(err.msg, "found a character device")
              && contains(err.msg, "nothing was written"), "a character device: %s", err.msg);
        CHECK(stat(dev, &st) == 0 && S_ISCHR(st.st_mode), "the device is still a character device");
        CHECK(ofs_file_check_dest(dev, &err) == OFS_ERR_IO && contains(err.msg, "found a character device"), "check a device: %s", err.msg);
        remove(dev);
    } else printf("   (mknod is not allowed here: the character-device case is checked only on reading /dev/null, in test_idx)\n");
    remove(fifo);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
    CHECK(ofs_file_save(fifo, 7u, &b, &err) == OFS_ERR_IO && contains(err.msg, fifo) && contains(err.msg, "found a FIFO"),
          "FIFO: %s", err.msg);
    CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO is still a FIFO");
    CHECK(fixture_mkdirs(sub) == 0, "mkdir");
    CHECK(ofs_file_save(sub, 7u, &b, &err) == OFS_ERR_IO && contains(err.msg, "found a directory"), "directory: %s", err.msg);
    CHECK(ofs_file_save(target, 7u, &b, &err) == OFS_OK, "the link's target: %s", err.msg);
    remove(link);
    snprintf(cmd, sizeof cmd, "ln -s target.bin '%s'", link);
    CHECK(system(cmd) == 0, "%s", cmd);
    ofs_put_u64(&b, 2);
    CHECK(ofs_file_save(link, 7u, &b, &err) == OFS_ERR_IO && contains(err.msg, link) && contains(err.msg, "symbolic link"),
          "symbolic link refused: %s", err.msg);
    CHECK(ofs_file_load(link, 7u, &back, &err) == OFS_OK && back.len == 8, "the link still points at the target: %s", err.msg);
    ofs_buf_free(&back);
    CHECK(ofs_file_load(target, 7u, &back, &err) == OFS_OK && back.len == 8, "the target is unchanged: %s", err.msg);
    ofs_buf_free(&back);
    CHECK(count_prefixed("a.fifo.tmp") + count_prefixed("link.bin.tmp") + count_prefixed("a-dir.tmp") == 0, "no temporary files");
    /* the same answers before any save, from ofs_file_check_dest */
    CHECK(ofs_file_check_dest(fifo, &err) == OFS_ERR_IO && contains(err.msg, "found a FIFO"), "check FIFO: %s", err.msg);
    CHECK(ofs_file_check_dest(link, &err) == OFS_ERR_IO && contains(err.msg, "symbolic link"), "check link: %s", err.msg);
    CHECK(ofs_file_check_dest(path("no-such-dir/x.ckpt"), &err) == OFS_ERR_IO && contains(err.msg, "No such file or directory"),
          "check a missing directory: %s", err.msg);
    CHECK(ofs_file_check_dest(path("fresh.ckpt"), &err) == OFS_OK && count_prefixed("fresh.ckpt") == 0,
          "a good destination passes and nothing is left: %s", err.msg);
    CHECK(ofs_file_check_dest(target, &err) == OFS_OK && ofs_file_load(target, 7u, &back, NULL) == OFS_OK && back.len == 8,
          "checking an existing file leaves it as it was");
    ofs_buf_free(&back);
    ofs_buf_free(&b);
}

/* Two processes save different valid files to one path, 50 times each, while this
   one keeps reading it: every save succeeds, every read finds a whole file. */
static void concurrent_writers(void)
{
    const char *p = path("shared.bin");
    ofs_buf b = {NULL, 0, 0, 0}, back;
    pid_t kid[2];
    int k, status, ok_kids = 0, reads = 0, bad_reads = 0, done = 0;
    ofs_put_u64(&b, 0);
    CHECK(ofs_file_save(p, 9u, &b, NULL) == OFS_OK, "first version");
    for (k = 0; k < 2; k++) {
        if ((kid[k] = fork()) == 0) {
            ofs_buf mine = {NULL, 0, 0, 0};
            int i, fails = 0;
            for (i = 0; i < 1000 + 1000 * k; i++) ofs_put_u64(&mine, (uint64_t)(k + 1) * 0x0101010101010101ULL);
            for (i = 0; i < 50; i++) {
                ofs_err err;
                if (ofs_file_save(p, 9u, &mine, &err) != OFS_OK) { fails++; printf("   writer %d: %s\n", k, err.msg); }
            }
            ofs_buf_free(&mine); ofs_buf_free(&b);
            _exit(fails != 0);
        }
    }
    while (done < 2) {
        ofs_err err;
        if (ofs_file_load(p, 9u, &back, &err) == OFS_OK) ofs_buf_free(&back);
        else { bad_reads++; printf("   reader: %s\n", err.msg); }
        reads++;
        for (k = 0; k < 2; k++)
            if (kid[k] > 0 && waitpid(kid[k], &status, WNOHANG) == kid[k]) {
                kid[k] = 0; done++;
                ok_kids += WIFEXITED(status) && WEXITSTATUS(status) == 0;
            }
    }
    CHECK(ok_kids == 2, "both writers saved 50 times, none failed: %d of 2 clean", ok_kids);
    CHECK(bad_reads == 0, "%d of %d reads during the saves found a broken file", bad_reads, reads);
    CHECK(ofs_file_load(p, 9u, &back, NULL) == OFS_OK && (back.len == 8000 || back.len == 16000) &&
          back.data[0] == (back.len == 8000 ? 1 : 2) && back.data[back.len - 1] == back.data[0],
          "after the race the file is one of the two, whole (%lu bytes)", (unsigned long)back.len);
    ofs_buf_free(&back);
    CHECK(count_prefixed("shared.bin.tmp") == 0, "no temporary files left by the writers");
    ofs_buf_free(&b);
}
#endif

/* A path of 4000 bytes: the reason survives in the message. */
static void long_paths(void)
{
    static char longp[4100];
    ofs_buf b = {NULL, 0, 0, 0}, back;
    ofs_err err;
    size_t n = 0;
    while (n < 3990) { memcpy(longp + n, "abcdefghi/", 10); n += 10; }
    memcpy(longp + n, "end.state", 10);
    CHECK(strlen(longp) == 3999, "a path of %lu bytes", (unsigned long)strlen(longp));
    ofs_put_u64(&b, 5);
    CHECK(ofs_file_save(longp, 7u, &b, &err) == OFS_ERR_IO && contains(err.msg, "No such file or directory") &&
          contains(err.msg, "nothing was written") && contains(err.msg, "end.state") && contains(err.msg, "abcdefghi/"),
          "save to a 4000-byte path: the reason is kept (%lu bytes): %s", (unsigned long)strlen(err.msg), err.msg);
    CHECK(ofs_file_load(longp, 7u, &back, &err) == OFS_ERR_IO && contains(err.msg, "No such file or directory") &&
          contains(err.msg, "end.state: cannot open"), "load from a 4000-byte path: %s", err.msg);
    CHECK(strncmp(err.msg, longp, 100) == 0 && contains(err.msg, "..."),
          "the message keeps the path's start and marks the cut: %.120s", err.msg);
    ofs_buf_free(&b);
}

/* ofs_file_write: the bytes as they are, in place of the previous file, through the
   same steps as a save (no temporary file left; a directory refused, kept). */
static void raw_write(void)
{
    const char *p = path("raw.txt");
    static const char text[] = "# x y\n1 2\n";
    char back[64] = {0};
    FILE *f;
    size_t n = 0;
    ofs_err err;
    CHECK(ofs_file_write(p, "old", 3, &err) == OFS_OK, "raw write: %s", err.msg);
    CHECK(ofs_file_write(p, text, sizeof text - 1, &err) == OFS_OK, "raw write over it: %s", err.msg);
    if ((f = fopen(p, "rb")) != NULL) { n = fread(back, 1, sizeof back, f); fclose(f); }
    CHECK(n == sizeof text - 1 && memcmp(back, text, n) == 0, "the file holds exactly the bytes written (%lu bytes)", (unsigned long)n);
    CHECK(count_prefixed("raw.txt.tmp") == 0, "no temporary file left");
#ifdef FAULTS_POSIX
    CHECK(ofs_file_write(dir, text, 3, &err) == OFS_ERR_IO && contains(err.msg, "directory"), "a directory refused: %s", err.msg);
#endif
    remove(p);
}

int main(int argc, char **argv)
{
    if (!fixture_dir(argc, argv, "test_faults", dir, sizeof dir)) return 1;
    limited_writes();
#ifdef FAULTS_POSIX
    write_error();
    special_destinations();
    concurrent_writers();
#endif
    long_paths();
    raw_write();
    return harness_done("test_faults");
}
