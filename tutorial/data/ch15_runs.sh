#!/usr/bin/env bash
# The runs tutorial chapter 15 quotes, rerun: writes tutorial/data/ch15_*.txt, which
# tests/check_quotes.sh holds the chapter to. Run from the repository root after
# `make data build/ch15_mnist build/test_checkpoint` (it needs data/mnist).
# Each run is a line "### COMMAND" followed by what the command printed (standard
# output and standard error); check_quotes reads no number from the "###" lines.
# Lines that do not start with "###" and are not a program's are said to be the
# script's (the means of the seeds). ch15_runs.sh [PART ...] reruns only those parts:
# run, seeds, ablation, sgd, messages (all of them by default).
set -u
cd "$(dirname "$0")/../.." || exit 1
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "ch15_runs.sh: data/mnist is missing (make data)" >&2; exit 1; }
[ -x build/ch15_mnist ] && [ -x build/test_checkpoint ] || { echo "ch15_runs.sh: make build/ch15_mnist build/test_checkpoint first" >&2; exit 1; }
D=tutorial/data
P=./build/ch15_mnist
mkdir -p out
PARTS=${*:-run seeds ablation sgd messages}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
# run CMD...: the command line, then its output; the exit status if it is not 0.
run() { echo "### $*"; "$@" 2>&1 < /dev/null; rc=$?; [ "$rc" -eq 0 ] || echo "### exit status $rc"; }
acc() { echo "### $P $*"; $P "$@" 2>&1 < /dev/null | grep '^test accuracy'; }
# the mean of the last N "test accuracy: X%" lines of FILE, as the script's own line
mean() { grep '^test accuracy' "$1" | tail -n "$2" | sed 's/^test accuracy: //; s/%.*//' |
         awk -v what="$3" '{ s += $1; n++ } END { printf "mean of %s (%d runs): %.2f%%\n", what, n, s / n }'; }

# The run of `make mnist`, then the same on one thread (the same numbers but the times).
# The machine may be shared: the run is made three times and the fastest one kept (all
# three must print the same numbers).
strip() { grep -v '^###' "$1" | sed 's/  [0-9.]* s$//; s/^training time .*//; s/^threads: [0-9]*/threads:/'; }
secs() { sed -n 's/^training time \([0-9.]*\) s$/\1/p' "$1"; }
if part run; then
    for i in 1 2 3; do
        { echo "### make mnist"; GLIBC_TUNABLES=glibc.malloc.hugetlb=1 $P --data data/mnist --flush-denormal 2>&1; } > out/ch15_run$i.txt
        if [ "$i" -gt 1 ] && ! diff <(strip $D/ch15_run.txt) <(strip out/ch15_run$i.txt) > /dev/null; then
            echo "ch15_runs.sh: two runs of make mnist print different numbers (diff $D/ch15_run.txt out/ch15_run$i.txt)" >&2; exit 1
        fi
        if [ "$i" -eq 1 ] || awk -v a="$(secs out/ch15_run$i.txt)" -v b="$(secs $D/ch15_run.txt)" 'BEGIN { exit !(a < b) }'; then
            cp out/ch15_run$i.txt $D/ch15_run.txt
        fi
        rm -f out/ch15_run$i.txt
    done
    run $P --flush-denormal --threads 1 > $D/ch15_run_threads1.txt
    if ! diff <(strip $D/ch15_run.txt) <(strip $D/ch15_run_threads1.txt) > /dev/null; then
        echo "ch15_runs.sh: one thread and two print different numbers (diff $D/ch15_run.txt $D/ch15_run_threads1.txt)" >&2; exit 1
    fi
fi

# Five seeds of the default, of lr 3e-3, and of 15 epochs.
part seeds && {
    for s in 1 2 3 4 5; do acc --flush-denormal --seed $s; done; mean $D/ch15_seeds.txt 5 "seeds 1 to 5, the defaults"
    for s in 1 2 3 4 5; do acc --flush-denormal --seed $s --lr 3e-3; done; mean $D/ch15_seeds.txt 5 "seeds 1 to 5, --lr 3e-3"
    for s in 1 2 3 4 5; do acc --flush-denormal --seed $s --epochs 15; done; mean $D/ch15_seeds.txt 5 "seeds 1 to 5, --epochs 15"
} > $D/ch15_seeds.txt

# What each ingredient is worth (seed 1; the default is the first line of ch15_seeds.txt).
part ablation && {
    acc --flush-denormal --sched cosine
    acc --flush-denormal --wd 0
    acc --flush-denormal --sched constant
    acc --flush-denormal --sched constant --lr 1e-3
} > $D/ch15_ablation.txt

# Try this, 3: a rate far too high learns nothing.
part sgd && run $P --flush-denormal --optim sgd --lr 100 --wd 0 > $D/ch15_sgd_lr100.txt

# Messages: checkpoints, a non-finite loss, a non-finite state, the command line.
part messages && rm -rf out/ch15_fixtures out/ch15_fx && mkdir -p out/ch15_fx && {
    run $P --smoke
    rm -f out/a.ckpt
    run $P --flush-denormal --epochs 1 --save out/a.ckpt
    run $P --flush-denormal --epochs 2 --resume out/a.ckpt --hidden 64
    run $P --flush-denormal --epochs 2 --resume out/a.ckpt --wd 0.01
    # tests/test_checkpoint.c's fixtures: a 144-32-10 network on 300 generated 12 x 12
    # images, batch 16; its images are given to the program as MNIST's four files.
    run ./build/test_checkpoint out/ch15_fixtures
    F=out/ch15_fixtures
    for s in train t10k; do cp $F/images.idx out/ch15_fx/$s-images-idx3-ubyte; cp $F/labels.idx out/ch15_fx/$s-labels-idx1-ubyte; done
    for f in corrupt truncated v1 real; do run $P --data out/ch15_fx --hidden 32 --batch 16 --wd 0.01 --resume $F/$f.ckpt; done
    run $P --data out/ch15_fx --hidden 32 --batch 20 --wd 0.01 --resume $F/one.ckpt
    run $P --data out/ch15_fx --hidden 32 --batch 16 --wd 0.01 --optim sgd --resume $F/one.ckpt
    rm -f out/n.ckpt
    run $P --smoke --act identity --optim sgd --wd 0 --sched constant --lr 30 --epochs 3 --save out/n.ckpt
    rm -f out/a.ckpt
    run $P --smoke --hidden 0 --sched constant --optim adabelief --set beta1=0 --set beta2=0 --set eps=1e-16 --wd 0.001 --batch 2000 --lr 1000 --warmup 1 --epochs 9 --save out/a.ckpt
    run $P --lr abc
    run $P --warmup 1e300
    run $P --hidden 256,
    run $P --optim adamx
    run $P --set beta1=2
    run $P --set rho=0.9
    run $P --sched onecycle --optim adagrad
} > $D/ch15_messages.txt
rm -rf out/ch15_fixtures out/ch15_fx out/a.ckpt out/n.ckpt
echo "ch15_runs.sh: wrote the parts $PARTS in $D/ch15_*.txt"
