/* libFuzzer harness for ch15_mnist's command line: the input, cut at its NUL bytes,
   is the argument list (at most 64 arguments). Its parser (parse_args) and its checks
   (check_options, then the schedule built for three run lengths) must never crash,
   exit or overflow; each refusal must come with a message; and whatever they accept
   must be in range: the optimizer's configuration valid, the schedule fitted.
     clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_cli.c -o build/fuzz_cli -lm
     ./build/fuzz_cli fuzz/corpus/cli
   Built with -DFUZZ_REPLAY instead, it is a plain program that feeds every file named
   on its command line to the same function: `make test` replays the corpus that way. */
#define OFS_EXAMPLE_NO_MAIN
#include "examples/ch15_mnist.c"

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "fuzz_cli: %s failed (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static void check_accepted(const options *o)
{
    int l, k;
    CHECK(o->epochs >= 1 && o->epochs <= 100000 && o->batch >= 1 && o->batch <= 1 << 20);
    CHECK(o->threads >= 0 && o->threads <= 4096 && o->seed <= 2147483647u);
    CHECK(o->lr >= 0 && o->lr - o->lr == 0 && o->wd >= 0 && o->wd - o->wd == 0);
    CHECK(o->warmup == -1 || (o->warmup >= 0 && o->warmup <= 100000));
    CHECK(o->nhidden >= 0 && o->nhidden < OFS_MLP_MAX_LAYERS && o->nset >= 0 && o->nset <= MAX_SETS);
    for (l = 0; l < o->nhidden; l++) CHECK(o->hidden[l] >= 1 && o->hidden[l] <= 100000);
    for (k = 0; k < o->nset; k++) CHECK(o->set_key[k][0] != 0 && o->set_val[k] - o->set_val[k] == 0);
    CHECK(o->optim && o->sched && o->act && (!o->data || *o->data) && (!o->save || *o->save));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t per_epoch[3] = {1, 16, 469};
    char *buf, *argv[66], msg[MSG];
    options o;
    size_t i, start = 0;
    int argc = 1, rc, k;
    if (size > 4096) return 0;
    if (!(buf = (char *)malloc(size + 1))) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    argv[0] = (char *)"ch15_mnist";
    for (i = 0; i <= size && argc < 65; i++)
        if (i == size || buf[i] == 0) { argv[argc++] = buf + start; start = i + 1; }
    argv[argc] = NULL;
    memset(msg, 'x', sizeof msg);
    rc = parse_args(argc, argv, &o, msg);
    CHECK(rc == 0 || rc == 1 || rc == 2);
    CHECK(memchr(msg, 0, sizeof msg) != NULL && (rc != 2 || msg[0] != 0));
    if (rc == 0) {
        check_accepted(&o);
        memset(msg, 'x', sizeof msg);
        rc = check_options(&o, msg);
        CHECK((rc == 0 || rc == 2) && memchr(msg, 0, sizeof msg) != NULL && (rc == 0 || msg[0] != 0));
        if (rc == 0) {
            ofs_optim_config cfg;
            ofs_err e;
            CHECK(make_optim_config(&o, &cfg, msg) == 0 && ofs_optim_validate(&cfg, &e) == OFS_OK);
            for (k = 0; k < 3; k++) {
                ofs_sched s;
                int64_t total = per_epoch[k] * o.epochs;
                memset(msg, 'x', sizeof msg);
                rc = make_sched(&o, total, per_epoch[k], &s, msg);
                if (rc == 0) {
                    CHECK(s.warmup_steps >= 0 && s.warmup_steps < total);
                    rc = check_sched_with(&s, &cfg, total, msg);
                }
                CHECK(rc == 0 || (rc == 2 && memchr(msg, 0, sizeof msg) != NULL && msg[0] != 0));
            }
        }
    }
    free(buf);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif
