#!/usr/bin/env bash
# The command-line programs (ch15_mnist, ch16_sweep) against inputs that need files:
# data directories whose files disagree, special files, full devices, a file-size
# limit, checkpoints to resume from, a learning rate that breaks the weights, long
# paths, empty values. One line per check, then "cli_files: N passed, N failed".
# Run from the repository root after `make all` (tests/run.sh calls it).
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0
W=build/cli; rm -rf "$W"; mkdir -p "$W" out
C15=./build/ch15_mnist; C16=./build/ch16_sweep
ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# run NAME: the command's output (stdout and stderr) in $OUT, its status in $RC;
# every run is bounded by `timeout 20` (a FIFO that is opened blocks forever).
run() { OUT=$(timeout 20 "$@" 2>&1 </dev/null); RC=$?; }
# expect RC TEXT DESCRIPTION: the last run exited RC and its output contains TEXT.
expect() {
    if [ "$RC" = "$1" ] && printf '%s' "$OUT" | grep -qF -- "$2"; then ok "$3"
    else bad "$3: exit $RC (want $1), want '$2' in: $(printf '%s' "$OUT" | head -n 3)"; fi
}
# lacks TEXT DESCRIPTION: the last run's output does not contain TEXT.
lacks() {
    if printf '%s' "$OUT" | grep -qF -- "$1"; then bad "$2: found '$1' in: $(printf '%s' "$OUT" | grep -F -- "$1" | head -n 2)"
    else ok "$2"; fi
}

# A small program that writes an MNIST-style pair with ofs_idx_save:
#   mkdata DIR SET N ROWS COLS [NLABELS [FIRST_LABEL | shift=K]]
# image i shows class i % 10: its pixels p with p % 10 == i % 10 are bright (200),
# the others dim noise; its label is i % 10 (shift=K: (i + K) % 10, so that every
# image is misclassified by a network that learnt the others; FIRST_LABEL: label 0
# replaced).
cat > "$W/mkdata.c" <<'EOF'
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
    char path[4096];
    unsigned long n, rows, cols, nl, i, p;
    unsigned char *px, *lb;
    uint32_t dims[3], ld[1];
    ofs_err e;
    unsigned long shift = 0;
    if (argc < 6) { fprintf(stderr, "usage: mkdata DIR SET N ROWS COLS [NLABELS [FIRST_LABEL | shift=K]]\n"); return 2; }
    if (argc > 7 && strncmp(argv[7], "shift=", 6) == 0) { shift = strtoul(argv[7] + 6, NULL, 10); argc = 7; }
    n = strtoul(argv[3], NULL, 10); rows = strtoul(argv[4], NULL, 10); cols = strtoul(argv[5], NULL, 10);
    nl = argc > 6 ? strtoul(argv[6], NULL, 10) : n;
    px = (unsigned char *)malloc(n * rows * cols + 1); lb = (unsigned char *)malloc(nl + 1);
    if (!px || !lb) return 1;
    for (i = 0; i < n; i++)
        for (p = 0; p < rows * cols; p++)
            px[i * rows * cols + p] = (unsigned char)(p % 10 == i % 10 ? 200 : (i * 7919 + p * 104729) % 60);
    for (i = 0; i < nl; i++) lb[i] = (unsigned char)((i + shift) % 10);
    if (argc > 7 && nl) lb[0] = (unsigned char)strtoul(argv[7], NULL, 10);
    dims[0] = (uint32_t)n; dims[1] = (uint32_t)rows; dims[2] = (uint32_t)cols; ld[0] = (uint32_t)nl;
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte", argv[1], argv[2]);
    if (ofs_idx_save(path, px, 3, dims, &e) != OFS_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", argv[1], argv[2]);
    if (ofs_idx_save(path, lb, 1, ld, &e) != OFS_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
    free(px); free(lb);
    return 0;
}
EOF
if ! gcc -std=c99 -O1 -I. "$W/mkdata.c" -o "$W/mkdata" -lm 2>"$W/err.log"; then
    bad "compile the data maker: $(head -n 5 "$W/err.log")"
    echo "cli_files: $pass passed, $fail failed"; exit 1
fi
mk() { local d=$1; shift; mkdir -p "$d"; "$W/mkdata" "$d" "$@" || bad "mkdata $d $*"; }
mk "$W/d28"  train 200 28 28; mk "$W/d28" t10k 50 28 28            # consistent, 28 x 28
mk "$W/d20"  train 200 20 20; mk "$W/d20" t10k 50 20 20 50 shift=1  # 20 x 20, every test label off by one
mk "$W/mix"  train 200 28 28; mk "$W/mix" t10k 50 20 20            # train 28 x 28, test 20 x 20
mk "$W/shape" train 200 28 28; mk "$W/shape" t10k 50 14 56         # the same 784 pixels, another shape
mk "$W/count" train 200 28 28 150; mk "$W/count" t10k 50 28 28     # 200 images, 150 labels
mk "$W/label" train 200 28 28 200 10; mk "$W/label" t10k 50 28 28  # a label 10
mk "$W/tiny" train 1 28 28; mk "$W/tiny" t10k 1 28 28              # one image each
mk "$W/small" train 30 28 28; mk "$W/small" t10k 5 28 28
mkdir -p "$W/fifo"; cp "$W/d28"/t10k-* "$W/fifo/"; cp "$W/d28/train-labels-idx1-ubyte" "$W/fifo/"
mkfifo "$W/fifo/train-images-idx3-ubyte"

echo "-- data: every file's sizes compared before anything is computed"
for P in "$C15 --epochs 1" "$C16 --optim sgd --sched constant --epochs 1"; do
    name=$(basename "${P%% *}")
    run $P --data "$W/mix"
    expect 1 "the training images are 28 x 28 pixels but the test images 20 x 20" "$name: train 28x28, test 20x20 refused, both sizes named"
    lacks "epoch" "$name: nothing trained before the refusal"
    run $P --data "$W/shape"
    expect 1 "the training images are 28 x 28 pixels but the test images 14 x 56" "$name: 784 pixels as 14x56 refused too"
    run $P --data "$W/count"
    expect 1 "holds 200 images but" "$name: 200 images with 150 labels refused"
    run $P --data "$W/label"
    expect 1 "expected labels 0 to 9, found 10" "$name: a label 10 refused"
    run $P --data "$W/fifo"
    expect 1 "train-images-idx3-ubyte: expected a regular file, found a FIFO (named pipe)" "$name: a FIFO as an MNIST file refused, without blocking"
done

echo "-- data: images that are not 28 x 28 are drawn with their own size"
run $C15 --data "$W/d20" --epochs 1 --batch 50
expect 0 "model 400-256-10" "ch15_mnist: 20x20 images train a 400-input network"
hdr=$(head -n 1 out/ch15_misclassified.dat 2>/dev/null)
lines=$(grep -cE '^[0-9]+ [0-9]+ [0-9.]+$' out/ch15_misclassified.dat 2>/dev/null)
# test image 0 is the grid's first cell, at (1, 1): its pixel (row 0, col 0) is bright,
# (0, 1) noise 29/255, and (row 1, col 0) = pixel 20 is bright again (with 28 pixels to
# a row it would be pixel 28, noise)
case "$hdr" in *"24 misclassified"*) ok "ch15_mnist: 24 misclassified test digits drawn" ;; *) bad "ch15_mnist: expected 24 misclassified digits: $hdr" ;; esac
for px in "1 1 0.7843" "2 1 0.1137" "1 2 0.7843"; do
    if grep -qx "$px" out/ch15_misclassified.dat; then ok "ch15_mnist: the first misclassified digit's pixel: $px"
    else bad "ch15_mnist: expected the line '$px' in out/ch15_misclassified.dat, found '$(grep "^${px% *} " out/ch15_misclassified.dat)'"; fi
done
case "$hdr" in *"of 20 x 20 pixels"*) ok "ch15_mnist: misclassified digits written as 20 x 20 ($hdr)" ;;
               *) bad "ch15_mnist: out/ch15_misclassified.dat header: $hdr" ;; esac
if [ "$lines" = $((6 * 22 * 4 * 22)) ]; then ok "ch15_mnist: a 6 x 4 grid of 22 x 22 cells: $lines pixels"
else bad "ch15_mnist: expected $((6 * 22 * 4 * 22)) pixels in the grid, found $lines"; fi
run $C16 --data "$W/d20" --optim sgd --sched constant --epochs 1
expect 0 "model 400-256-10" "ch16_sweep: 20x20 images train a 400-input network"

# The same under AddressSanitizer and UBSan (no OpenMP: also the --threads check).
SAN="-std=c99 -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all"
if gcc $SAN -I. examples/ch15_mnist.c -o "$W/ch15_san" -lm 2>"$W/err.log"; then
    run "$W/ch15_san" --data "$W/d20" --epochs 1 --batch 50
    expect 0 "wrote out/ch15_curves.dat" "ch15_mnist under ASan+UBSan: 20x20 images, misclassified digits drawn"
    lacks "runtime error" "ch15_mnist under ASan+UBSan: no undefined behaviour"
    run "$W/ch15_san" --data "$W/mix" --epochs 1
    expect 1 "but the test images 20 x 20" "ch15_mnist under ASan+UBSan: train 28x28, test 20x20 refused"
    run "$W/ch15_san" --threads 2 --smoke
    expect 2 "--threads: this build has no OpenMP" "ch15_mnist without OpenMP: --threads 2 refused (it would do nothing)"
else bad "compile ch15_mnist with sanitizers: $(head -n 5 "$W/err.log")"; fi
if gcc $SAN -I. examples/ch16_sweep.c -o "$W/ch16_san" -lm 2>"$W/err.log"; then
    run "$W/ch16_san" --data "$W/d20" --optim sgd,adam --sched constant,warmup_cosine --epochs 1
    expect 0 "model 400-256-10" "ch16_sweep under ASan+UBSan: 20x20 images"
    run "$W/ch16_san" --data "$W/d28" --optim sgd,sfadamw,adamw-512-256 --sched warmup_constant,cosine,step --epochs 2
    expect 0 "test accuracy (%) after 2 epochs" "ch16_sweep under ASan+UBSan: Schedule-Free and two hidden layers on 200 images"
    lacks "runtime error" "ch16_sweep under ASan+UBSan: no undefined behaviour"
    run "$W/ch16_san" --data "$W/d28" --optim sgd --sched constant,warmup_constant,cosine,warmup_cosine --epochs 1 --seeds 2
    expect 0 "over the 2 seeds: what warmup and decay do" "ch16_sweep under ASan+UBSan: --seeds 2 sums up"
    lacks "runtime error" "ch16_sweep under ASan+UBSan: --seeds: no undefined behaviour"
    run "$W/ch16_san" --data "$W/mix"
    expect 1 "but the test images 20 x 20" "ch16_sweep under ASan+UBSan: train 28x28, test 20x20 refused"
    run "$W/ch16_san" --threads 2 --smoke
    expect 2 "--threads: this build has no OpenMP" "ch16_sweep without OpenMP: --threads 2 refused (it would do nothing)"
else bad "compile ch16_sweep with sanitizers: $(head -n 5 "$W/err.log")"; fi

echo "-- ch16_sweep: inputs too small"
run $C16 --data "$W/tiny" --optim sgd,adamw --sched constant,warmup_cosine --epochs 1
expect 1 "expected at least 60 training images (a sixth of them, at least 10, for validation), found 1" "ch16_sweep: a sweep on one training image refused (no validation set)"
run $C16 --data "$W/d28" --optim sgd,sfsgd --epochs 1
expect 0 "test accuracy (%) after 1 epochs" "ch16_sweep: 200 images, Schedule-Free SGD without the decaying schedules"
lacks "nan" "ch16_sweep: no NaN in the tables of a small sweep"
if printf '%s\n' "$OUT" | grep -Eq '^sfsgd +[0-9.]+ +[0-9.]+ +[0-9.]+ +- +- +- '; then ok "ch16_sweep: sfsgd's decaying cells are '-' (not run)"
else bad "ch16_sweep: sfsgd's row: $(printf '%s\n' "$OUT" | grep -m1 '^sfsgd ')"; fi
run $C16 --data "$W/small" --tune --optim sgd --epochs 1
expect 1 "--tune: expected at least 60 training images" "ch16_sweep: --tune on 30 images refused (validation would be 5)"
lacks "nan" "ch16_sweep: no NaN printed for a refused --tune"
run $C16 --data "$W/d28" --tune --optim sgd,sfsgd --sched cosine --epochs 1
expect 0 "sfsgd          not tuned: it runs none of the schedules of --sched" "ch16_sweep: --tune --sched cosine: a Schedule-Free row is said to be not tuned"
if printf '%s\n' "$OUT" | grep -Eq '^sgd +0\.1 +- +- +[0-9.]+ +- +[0-9.]+ '; then ok "ch16_sweep: --tune --sched cosine scores the cosine column only"
else bad "ch16_sweep: --tune --sched cosine: $(printf '%s\n' "$OUT" | grep -m1 '^sgd ')"; fi
lacks "nan" "ch16_sweep: no NaN printed by --tune --sched"

echo "-- write errors"
run $C15 --data "$W/d28" --epochs 1 --log /dev/full
expect 1 "/dev/full: write failed: No space left on device" "ch15_mnist: --log /dev/full fails, naming the file and the cause"
lacks "epoch  1/1" "ch15_mnist: --log /dev/full is found before the first epoch"
OUT=$(timeout 20 $C15 --data "$W/d28" --epochs 1 2>&1 >/dev/full); RC=$?
expect 1 "writing to the standard output failed: No space left on device" "ch15_mnist: standard output on /dev/full fails"
OUT=$(timeout 60 $C16 --data "$W/d28" --optim sgd --sched constant --epochs 1 2>&1 >/dev/full); RC=$?
expect 1 "writing to the standard output failed: No space left on device" "ch16_sweep: standard output on /dev/full fails"
# A file-size limit of 100 KB (SIGXFSZ ignored, so a write past it fails with EFBIG):
# out/ch15_misclassified.dat (about 300 KB) cannot be written; the previous file stays.
rm -f out/*.tmp; echo "previous" > out/ch15_misclassified.dat
OUT=$(trap '' XFSZ; ulimit -f 100; timeout 20 $C15 --data "$W/d28" --epochs 1 2>&1); RC=$?
expect 1 "out/ch15_misclassified.dat: write failed: File too large" "ch15_mnist: a failed write of a data file is an error naming the file and the cause"
if [ "$(cat out/ch15_misclassified.dat)" = previous ]; then ok "ch15_mnist: the half-written file did not replace the previous one"
else bad "ch15_mnist: out/ch15_misclassified.dat was replaced by a partial file"; fi
left=$(ls out/ | grep -c '\.tmp'); left=${left:-0}
if [ "$left" = 0 ]; then ok "ch15_mnist: no temporary file left behind"; else bad "ch15_mnist: $left temporary files left in out/"; fi
echo "previous" > out/ch16_smoke_curves.dat
OUT=$(trap '' XFSZ; ulimit -f 1; timeout 60 $C16 --smoke --data "$W/d28" --sched constant --epochs 2 \
      --optim sgd,adagrad,rmsprop,adadelta,adam,adamw,adamax,nadam,radam,lion,yogi,lamb,adabelief 2>&1); RC=$?
expect 1 "write failed: File too large" "ch16_sweep: a failed write of a data file is an error naming the cause"
if [ "$(cat out/ch16_smoke_curves.dat)" = previous ]; then ok "ch16_sweep: the half-written curves did not replace the previous file"
else bad "ch16_sweep: out/ch16_smoke_curves.dat was replaced by a partial file"; fi
rm -f out/ch16_smoke_curves.dat

echo "-- output paths, found before the first epoch"
mkfifo "$W/save.fifo"
run $C15 --data "$W/d28" --epochs 1 --save "$W/save.fifo"
expect 2 "expected a regular file, found a device, FIFO or socket" "ch15_mnist: --save onto a FIFO refused"
if [ -p "$W/save.fifo" ]; then ok "ch15_mnist: the FIFO is still a FIFO"; else bad "ch15_mnist: the FIFO was replaced"; fi
# A character device: a node of our own with /dev/null's numbers, so that a regression
# run as root replaces that node and not the machine's /dev/null (without the right to
# make device nodes, /dev/null itself, which such a run could not replace).
if mknod -m 666 "$W/null" c 1 3 2>/dev/null; then DEV=$W/null; else DEV=/dev/null; fi
run $C15 --data "$W/d28" --epochs 1 --save "$DEV"
expect 2 "--save $DEV: expected a regular file, found a device" "ch15_mnist: --save onto a character device (/dev/null's numbers) refused"
if [ -c "$DEV" ]; then ok "ch15_mnist: the device is still a character device"; else bad "ch15_mnist: the device $DEV was replaced"; fi
run $C15 --data "$W/d28" --epochs 1 --save "$W"
expect 2 "is a directory, expected a file" "ch15_mnist: --save onto a directory refused"
echo "keep" > "$W/target.ckpt"; ln -sf target.ckpt "$W/link.ckpt"
run $C15 --data "$W/d28" --epochs 1 --save "$W/link.ckpt"
expect 2 "found a symbolic link" "ch15_mnist: --save onto a symbolic link refused before training"
if [ "$(cat "$W/target.ckpt")" = keep ] && [ -L "$W/link.ckpt" ]; then ok "ch15_mnist: the link and its target are untouched"
else bad "ch15_mnist: --save onto a link changed the link or its target"; fi
lacks "epoch  1/1" "ch15_mnist: the bad --save found before the first epoch"
run $C15 --data "$W/d28" --epochs 1 --log "$W/no/such/dir/log.csv"
expect 2 "the directory $W/no/such/dir does not exist" "ch15_mnist: --log into a missing directory refused"

mkdir -p "$W/elsewhere"
OUT=$(cd "$W/elsewhere" && timeout 20 ../../ch15_mnist --smoke 2>&1); RC=$?
expect 2 "output out/ch15_curves.dat: the directory out does not exist (run from the repository root" "ch15_mnist: no out/ directory: refused before anything is written"
OUT=$(cd "$W/elsewhere" && timeout 20 ../../ch16_sweep --smoke 2>&1); RC=$?
expect 2 "the directory out does not exist (run from the repository root" "ch16_sweep: no out/ directory: refused before anything is written"
if [ -z "$(ls -A "$W/elsewhere")" ]; then ok "nothing written outside out/"; else bad "files written in $W/elsewhere: $(ls -A "$W/elsewhere")"; fi

echo "-- resume: the optimizer's settings are the checkpoint's, the command line's must agree"
R="--data $W/d28 --batch 50"
run $C15 $R --epochs 1 --save "$W/a.ckpt"
expect 0 "epoch  1/1" "ch15_mnist: a one-epoch run saves a checkpoint"
run $C15 $R --epochs 2 --resume "$W/a.ckpt" --wd 0.01
expect 2 "the checkpoint's weight_decay is 0.05, the command line's 0.01 (--wd)" "ch15_mnist: --resume with another --wd refused, naming it"
run $C15 $R --epochs 2 --resume "$W/a.ckpt" --set beta2=0.99
expect 2 "the checkpoint's beta2 is 0.999, the command line's 0.99 (--set beta2)" "ch15_mnist: --resume with another --set beta2 refused"
run $C15 $R --epochs 2 --resume "$W/a.ckpt" --set eps=1e-6
expect 2 "(--set eps)" "ch15_mnist: --resume with another --set eps refused"
run $C15 $R --epochs 2 --resume "$W/a.ckpt" --optim adam
expect 2 "must be the saved run's" "ch15_mnist: --resume with another --optim refused (exit 2)"
run $C15 $R --epochs 2 --resume "$W/a.ckpt" --seed 5
expect 2 "--seed: a resumed run goes on with the generator state" "ch15_mnist: --resume with --seed refused"
run $C15 $R --epochs 1 --resume "$W/a.ckpt"
expect 2 "is after epoch 1 already: expected --epochs above 1" "ch15_mnist: --resume of a finished run refused"
run $C15 $R --epochs 2 --resume "$W/a.ckpt"
expect 0 "resumed from $W/a.ckpt after epoch 1" "ch15_mnist: --resume with the same settings goes on"
run $C15 $R --epochs 1 --wd 0.01 --set beta2=0.99 --save "$W/b.ckpt"
run $C15 $R --epochs 2 --wd 0.01 --set beta2=0.99 --resume "$W/b.ckpt"
expect 0 "wd 0.01 (not on biases)" "ch15_mnist: the banner of a resumed run shows the weight decay it uses"
# the wrappers and accumulate are the checkpoint's too
run $C15 $R --epochs 1 --lookahead 3,0.5 --sam 0.05 --accumulate 2 --save "$W/w.ckpt"
expect 0 "Lookahead: k 3, alpha 0.5 (the slow weights are tested)" "ch15_mnist: a run with Lookahead, SAM and --accumulate 2 saves a checkpoint"
run $C15 $R --epochs 2 --lookahead 3,0.5 --sam 0.05 --resume "$W/w.ckpt"
expect 2 "expected a run with accumulate 1 (micro-batches per step), found accumulate 2" "ch15_mnist: --resume without its --accumulate refused"
run $C15 $R --epochs 2 --sam 0.05 --accumulate 2 --resume "$W/w.ckpt"
expect 2 "the checkpoint holds Lookahead's state, this trainer has none" "ch15_mnist: --resume without its --lookahead refused"
run $C15 $R --epochs 2 --lookahead 4,0.5 --sam 0.05 --accumulate 2 --resume "$W/w.ckpt"
expect 2 "lookahead state: expected" "ch15_mnist: --resume with another --lookahead refused"
run $C15 $R --epochs 2 --lookahead 3,0.5 --asam 0.05 --accumulate 2 --resume "$W/w.ckpt"
expect 2 "sam state: expected" "ch15_mnist: --resume with --asam for --sam refused"
run $C15 $R --epochs 2 --lookahead 3,0.5 --accumulate 2 --resume "$W/w.ckpt"
expect 2 "must be the saved run's" "ch15_mnist: --resume without its --sam refused (exit 2, the options named)"
run $C15 $R --epochs 2 --lookahead 3,0.5 --resume "$W/a.ckpt"
expect 2 "expected Lookahead's state (this trainer has one), found none" "ch15_mnist: --resume of a run without Lookahead refused with --lookahead"
run $C15 $R --epochs 2 --lookahead 3,0.5 --sam 0.05 --accumulate 2 --resume "$W/w.ckpt"
expect 0 "resumed from $W/w.ckpt after epoch 1" "ch15_mnist: --resume with the same wrappers goes on"
mkfifo "$W/resume.fifo"
run $C15 $R --epochs 2 --resume "$W/resume.fifo"
expect 1 "expected a regular file, found a FIFO (named pipe)" "ch15_mnist: --resume of a FIFO refused, without blocking"
run $C15 $R --epochs 2 --resume "$W"
expect 1 "expected a regular file, found a directory" "ch15_mnist: --resume of a directory refused"

echo "-- a step that breaks the weights: never saved, never called good"
# No configuration the validator accepts makes SGD's weights overflow from bounded
# gradients, so this uses the combination the header names as outside that promise:
# AdaBelief with coupled weight decay and betas of 0 (the weights grow as
# (1 + lr wd / eps)^t). Without a hidden layer the logits grow only as the weights,
# so the loss is still finite at the step whose update overflows them.
B="--data $W/d28 --hidden 0 --sched constant --optim adabelief --set beta1=0 --set beta2=0 --set eps=1e-16 --wd 0.001"
run $C15 $B --batch 20 --lr 1000 --epochs 2 --save "$W/n.ckpt"
expect 1 "no checkpoint was written" "ch15_mnist: weights broken in the first epoch: says no checkpoint was written"
lacks "the last good checkpoint" "ch15_mnist: weights broken in the first epoch: calls no checkpoint good"
if [ ! -e "$W/n.ckpt" ]; then ok "ch15_mnist: weights broken in the first epoch: nothing saved"; else bad "ch15_mnist: a broken run saved $W/n.ckpt"; fi
# one step per epoch; warmup from 0: epoch 1's step has lr 0, the weights overflow in epoch 6
run $C15 $B --batch 200 --lr 1000 --warmup 1 --epochs 9 --save "$W/w.ckpt"
expect 1 "made the state non-finite" "ch15_mnist: the non-finite weights are found after the epoch, with a finite loss"
expect 1 "the last good checkpoint is $W/w.ckpt (after epoch 5), written by this run" "ch15_mnist: a later epoch breaks the weights: the earlier checkpoint is named"
# the checkpoint called good loads (its next step diverges again: the same settings)
run $C15 $B --batch 200 --lr 1000 --epochs 9 --resume "$W/w.ckpt"
expect 1 "resumed from $W/w.ckpt after epoch 5" "ch15_mnist: the checkpoint called good loads"
# lr 0 moves nothing: a good checkpoint; then lr 1000 breaks the weights within the resumed epoch
run $C15 $B --batch 20 --lr 0 --epochs 1 --save "$W/g.ckpt"
expect 0 "epoch  1/1" "ch15_mnist: a run at lr 0 saves its checkpoint"
cp "$W/g.ckpt" "$W/g0.ckpt"
run $C15 $B --batch 20 --lr 1000 --epochs 2 --resume "$W/g.ckpt" --save "$W/g.ckpt"
expect 1 "this run saved nothing ($W/g.ckpt was not written); $W/g.ckpt (after epoch 1), which it resumed from, is unchanged" \
    "ch15_mnist: resumed, then broken: the resumed checkpoint is named, nothing else"
if cmp -s "$W/g.ckpt" "$W/g0.ckpt"; then ok "ch15_mnist: the checkpoint is byte for byte the one resumed from"
else bad "ch15_mnist: the checkpoint changed"; fi
run $C15 $B --batch 20 --lr 0 --epochs 2 --resume "$W/g.ckpt"
expect 0 "epoch  2/2" "ch15_mnist: and it resumes"
run $C16 --data "$W/d28" --optim sgd --sched constant --epochs 2
expect 0 "test accuracy" "ch16_sweep: runs on the small data"

echo "-- messages: never cut before the reason; empty values refused"
long=$W/$(printf 'd%.0s' $(seq 1 200))/$(printf 'e%.0s' $(seq 1 200))/$(printf 'f%.0s' $(seq 1 200))
run $C15 --data "$W/d28" --epochs 1 --save "$long/x.ckpt"
expect 2 "does not exist" "ch15_mnist: a 600-character --save path: the reason is printed"
run $C15 --data "$long" --epochs 1
expect 1 "train-images-idx3-ubyte: cannot open the file: No such file or directory" "ch15_mnist: a 600-character --data path: the reason is printed"
run $C16 --data "$long"
expect 1 "train-images-idx3-ubyte: cannot open the file: No such file or directory" "ch16_sweep: a 600-character --data path: the reason is printed"
run $C15 --resume "$long.ckpt" --smoke
expect 1 "cannot open the file: No such file or directory" "ch15_mnist: a 600-character --resume path: the reason is printed"
# a library message about a file under a long path: the whole reason, or (while the
# library's message buffer cuts it) a mark that it was cut and the kind of error
mkdir -p "$long" && cp "$W/label"/* "$long/"
run $C15 --data "$long" --epochs 1
if [ "$RC" = 1 ] && printf '%s' "$OUT" | grep -qE 'expected labels 0 to 9, found 10|the message was cut; the error: '; then
    ok "ch15_mnist: a library message under a 600-character path: the reason or the cut is shown"
else bad "ch15_mnist: a library message under a long path: exit $RC: $(printf '%s' "$OUT" | head -c 300)"; fi
run $C15 --lr "$(printf '9%.0s' $(seq 1 5000))x"
expect 2 "(characters after the number)" "ch15_mnist: a 5000-character value: shortened, the reason printed"
run $C15 --optim "$(printf 'a%.0s' $(seq 1 5000))"
expect 2 "(too long)" "ch15_mnist: a 5000-character optimizer name: the reason printed"
for f in --optim --sched --act --data --log --save --resume --lr --wd --warmup --epochs --batch --seed --threads --hidden --set; do
    run $C15 "$f" ""
    if [ "$RC" = 2 ] && printf '%s' "$OUT" | head -n 1 | grep -q -- "^ch15_mnist: $f"; then ok "ch15_mnist: $f '' refused"
    else bad "ch15_mnist: $f '': exit $RC, $(printf '%s' "$OUT" | head -n 1)"; fi
done
for f in --optim --sched --data --epochs --seed --seeds --threads; do
    run $C16 "$f" ""
    if [ "$RC" = 2 ] && printf '%s' "$OUT" | head -n 1 | grep -q -- "^ch16_sweep: $f"; then ok "ch16_sweep: $f '' refused"
    else bad "ch16_sweep: $f '': exit $RC, $(printf '%s' "$OUT" | head -n 1)"; fi
done

echo "-- ch16_sweep: its command line"
while IFS='|' read -r want args text; do
    case "$want" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086
    run $C16 $args
    first=$(printf '%s\n' "$OUT" | head -n 1)
    if [ "$RC" = "$want" ] && printf '%s' "$first" | grep -qF -- "$text"; then ok "ch16_sweep $args"
    else bad "ch16_sweep $args: exit $RC (want $want), first line: $first"; fi
done <<'EOF'
2|--bogus|unknown option '--bogus'
2|--epochs 1e300|found '1e300' (characters after the number)
2|--epochs 99999999999999999999|(out of range)
2|--seed -1|expected a seed from 0
2|--threads 0|expected a thread count
2|--optim adam,adam|(a name given twice)
2|--optim adam,|(nothing after the last comma)
2|--sched cosine,nope|expected schedules from constant,warmup_constant,cosine,warmup_cosine,step
2|--sched warmup|found 'warmup'
2|--optim adamw-512|expected optimizer rows from sgd,
2|--optim adamw,adamw-512-256,adamw|(a name given twice)
2|--tune --sched cosine,step|--sched: --tune scores among constant, warmup_constant, cosine and warmup_cosine, found step
2|--seeds 0|--seeds: expected a number of seeds from 1 to 1000, found '0' (out of range)
2|--seeds 1001|(out of range)
2|--seeds 2x|found '2x' (characters after the number)
2|--seeds|--seeds: expected a value after it
2|--seeds 2 --seeds 3|--seeds: given twice
2|--tune --seeds 3|--seeds: --tune chooses the rates with one seed (--seed)
2|--epochs 2 --epochs 3|--epochs: given twice
2|--smoke --smoke|--smoke: given twice
2|--epochs|expected a value after it
EOF

echo "cli_files: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
