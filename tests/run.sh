#!/usr/bin/env bash
# The whole test suite, as `make test` runs it. Each step adds to one count, and
# the last line is "N passed, N failed". Run from the repository root.
set -u
cd "$(dirname "$0")/.."
PASS=0; FAIL=0; SKIP=0
STRICT="-std=c99 -Wall -Wextra -pedantic -Wshadow -Wdouble-promotion -Werror"
mkdir -p build/dbl build/san out

ok()   { PASS=$((PASS + 1)); }
bad()  { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
step() { echo "== $* (at ${SECONDS} s)"; }

# Add up the "NAME: N passed, N failed" line a test program prints; a program
# that crashes or prints no such line counts as one failure.
run_counted() {
    local out rc line p f s
    out=$("$@" 2>&1); rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^[A-Za-z0-9_./-]+: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' | tail -n 1)
    if [ -z "$line" ]; then
        printf '%s\n' "$out" | tail -n 20
        bad "$* (exit $rc, no summary line)"; return
    fi
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped$/\1/p')
    PASS=$((PASS + p)); FAIL=$((FAIL + f)); SKIP=$((SKIP + ${s:-0}))
    printf '%s\n' "$out" | grep -E '^(FAIL|SKIP)' | head -n 20
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then bad "$* exited $rc"; fi
    echo "   $line"
}

step "the header compiles warning-free"
printf '#define OPTIMFS_IMPLEMENTATION\n#include "optimfs.h"\nint main(void){return 0;}\n' > build/one.c
cp build/one.c build/one.cpp
compile() { local what=$1; shift; if out=$("$@" 2>&1); then ok; else bad "$what: $(printf '%s' "$out" | head -n 5)"; fi; }
for cc in gcc clang; do
    command -v $cc >/dev/null || { bad "$cc not installed"; continue; }
    compile "$cc C99 float"   $cc $STRICT -I. -c build/one.c -o build/one.o
    compile "$cc C99 double"  $cc $STRICT -DOFS_REAL=double -I. -c build/one.c -o build/one.o
    compile "$cc C99 static"  $cc $STRICT -DOPTIMFS_STATIC -I. -c build/one.c -o build/one.o
    compile "$cc no stdio"    $cc $STRICT -DOFS_NO_STDIO -I. -c build/one.c -o build/one.o
done
compile "g++ C++11"        g++ -std=c++11 -Wall -Wextra -Wshadow -Werror -I. -c build/one.cpp -o build/one.o
compile "clang++ C++11"    clang++ -std=c++11 -Wall -Wextra -Wshadow -Werror -I. -c build/one.cpp -o build/one.o

step "build everything (make all)"
if make -s -j2 all >build/make.log 2>&1; then ok; else bad "make all: $(tail -n 20 build/make.log)"; fi

# Compile each source into DIR/NAME with the command CMD, two at a time (the machine's
# two cores), the compiler's messages into DIR/NAME.err; the caller runs or reports each.
par_compile() {
    local dir=$1 cmd=$2 s n=0; shift 2
    for s in "$@"; do
        rm -f "$dir/$(basename "$s" .c)"
        # shellcheck disable=SC2086
        $cmd "$s" -o "$dir/$(basename "$s" .c)" -lm 2>"$dir/$(basename "$s" .c).err" &
        n=$((n + 1)); [ $((n % 2)) -eq 0 ] && wait
    done
    wait
}
# Run DIR/NAME for each source if it was built, else report its compiler's messages.
run_built() {
    local dir=$1 what=$2 s b; shift 2
    for s in "$@"; do
        b=$dir/$(basename "$s" .c)
        if [ -x "$b" ]; then run_counted "$b"; else bad "compile $s $what: $(head -n 5 "$b.err")"; fi
    done
}

TESTS=$(ls tests/test_*.c 2>/dev/null)
step "unit tests, float (gcc)"
for t in $TESTS; do b=build/$(basename "$t" .c); [ -x "$b" ] && run_counted "$b" || bad "$b not built"; done

step "unit tests, double (clang)"
# shellcheck disable=SC2086
par_compile build/dbl "clang $STRICT -O2 -DOFS_REAL=double -I." $TESTS
# shellcheck disable=SC2086
run_built build/dbl "in double" $TESTS

step "unit tests with OpenMP (-O3 -march=native -fopenmp, 2 threads): the threaded paths"
mkdir -p build/omp
# (and test_lbfgs: its bits must not depend on -O3 -march=native, where compilers may fuse a*b+c)
OMP_TESTS="tests/test_gemm.c tests/test_optim.c tests/test_schedfree.c tests/test_muon.c tests/test_mlp.c tests/test_checkpoint.c tests/test_flush.c tests/test_lbfgs.c tests/test_wrap.c tests/test_wrap_train.c"
# shellcheck disable=SC2086
par_compile build/omp "gcc $STRICT -O3 -march=native -fno-math-errno -fopenmp -I." $OMP_TESTS
export OMP_NUM_THREADS=2
# shellcheck disable=SC2086
run_built build/omp "with OpenMP" $OMP_TESTS
unset OMP_NUM_THREADS

step "unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# shellcheck disable=SC2086
par_compile build/san "gcc $STRICT -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -I." $TESTS
# shellcheck disable=SC2086
run_built build/san "with sanitizers" $TESTS

step "fuzz corpora replayed under the sanitizers (make fuzz grows them)"
for fz in fuzz/fuzz_*.c; do
    name=$(basename "$fz" .c); corpus=fuzz/corpus/${name#fuzz_}
    b=build/san/replay_${name#fuzz_}
    if gcc -std=c99 -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -DFUZZ_REPLAY -I. "$fz" -o "$b" -lm 2>build/san/err.log; then
        run_counted "$b" "$corpus"/*
    else bad "compile $fz for replay: $(head -n 5 build/san/err.log)"; fi
done

# Each line of tests/expect/ID.txt (ID: 04 for ch04_newton, 04b for ch04b_lbfgs) is a
# whole line of the program's output, leading and trailing blanks aside: a number
# that drifts, even in a digit the line does not show first, fails. The chapters in
# EXPECT_SUBSTRINGS still hold parts of lines in their files and are matched as
# substrings until they are made whole.
EXPECT_SUBSTRINGS="15"
# The first program of a chapter (build/ch11b_after_adam before build/ch11b_wrappers).
prog_first() { local p; for p in examples/ch"$1"_*.c; do basename "$p" .c; return; done; }
step "examples in smoke mode, checked against tests/expect"
for src in examples/*.c; do
    name=$(basename "$src" .c); b=build/$name
    [ -x "$b" ] || { bad "$b not built"; continue; }
    out=$("$b" --smoke 2>&1); rc=$?
    if [ $rc -ne 0 ]; then bad "$name --smoke exited $rc: $(printf '%s' "$out" | tail -n 3)"; continue; fi
    ok
    id=${name#ch}; id=${id%%_*}
    # A chapter with two programs: tests/expect/11b_wrappers.txt holds ch11b_wrappers's
    # lines, tests/expect/11b.txt the chapter's first program's.
    exp=tests/expect/${name#ch}.txt
    [ -f "$exp" ] || exp=tests/expect/$id.txt
    [ -f "$exp" ] || continue
    [ "$exp" = "tests/expect/$id.txt" ] && [ -f "tests/expect/$id.txt" ] && [ "$(prog_first "$id")" != "$name" ] && continue
    case " $EXPECT_SUBSTRINGS " in *" $id "*) whole= ;; *) whole=x ;; esac
    lines=$(printf '%s\n' "$out" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
    while IFS= read -r want; do
        case "$want" in ''|'#'*) continue ;; esac
        if [ -n "$whole" ]; then
            want=$(printf '%s' "$want" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
            if printf '%s\n' "$lines" | grep -qxF -- "$want"; then ok; else bad "$name: expected a line '$want'"; fi
        elif printf '%s\n' "$out" | grep -qF -- "$want"; then ok; else bad "$name: expected output to contain '$want'"; fi
    done < "$exp"
done

step "the trainer's command line refuses bad input (tests/cli_cases.txt)"
if [ -x build/ch15_mnist ]; then
    while IFS='|' read -r want args text; do
        case "$want" in ''|'#'*) continue ;; esac
        # shellcheck disable=SC2086
        out=$(./build/ch15_mnist $args 2>&1 </dev/null); rc=$?
        first=$(printf '%s\n' "$out" | head -n 1)
        if [ "$rc" = "$want" ] && printf '%s' "$first" | grep -qF -- "$text"; then ok
        else bad "ch15_mnist $args: exit $rc (want $want), first line: $first"; fi
    done < tests/cli_cases.txt
else bad "build/ch15_mnist not built"; fi

step "the command-line programs with crafted files (tests/cli_files.sh)"
run_counted bash tests/cli_files.sh

step "tutorial code excerpts match the code"
run_counted bash tests/check_excerpts.sh

step "numbers the tutorial quotes are printed by the chapters' programs (tests/check_quotes.sh)"
run_counted bash tests/check_quotes.sh

step "the playground: its presets are the chapters' figures, and the page in headless Chromium (tests/playground.sh)"
run_counted bash tests/playground.sh

step "the README example"
if [ -x build/readme_example ]; then
    out=$(./build/readme_example 2>&1); rc=$?
    if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q 'converged'; then ok; else bad "README example: exit $rc: $out"; fi
else bad "build/readme_example not built"; fi

if [ "$SKIP" -gt 0 ]; then echo "$PASS passed, $FAIL failed, $SKIP skipped"; else echo "$PASS passed, $FAIL failed"; fi
[ "$FAIL" -eq 0 ]
