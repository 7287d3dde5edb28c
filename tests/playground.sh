#!/usr/bin/env bash
# The playground (playground/README.md), as make test runs it:
#   1. build/play_native, the page's C file built for this machine: its paths for the
#      presets that name a chapter's figure equal the figure's data (the chapter programs
#      are run in smoke mode first, to write out/): tests/playground_figures.py;
#   2. make playground, and the page in headless Chromium (tests/playground.mjs): the
#      presets' final points equal the native program's, the header's messages at the
#      fields, a diverging run, the URL round trip, screenshots with their paths drawn.
# Part 2 needs clang's WebAssembly target (wasi-libc, lld, libclang-rt-14-dev-wasm32),
# node and npm, and Chromium (CHROMIUM=path, else /usr/bin/chromium); where one is
# missing it is counted as skipped, with the reason. Last line: "playground: N passed,
# N failed[, N skipped]". Run from the repository root.
set -u
cd "$(dirname "$0")/.."
P=0; F=0; S=0
mkdir -p build/playground out
fail() { F=$((F + 1)); echo "FAIL playground: $*"; }
skip() { S=$((S + 1)); echo "SKIP playground: $*"; }
# Add up a "NAME: N passed, N failed" line of a command's output; none: one failure.
counted() {
    local out line
    out=$("$@" 2>&1)
    printf '%s\n' "$out" | grep -E '^(FAIL|SKIP)' | head -n 40
    line=$(printf '%s\n' "$out" | grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$line" ]; then printf '%s\n' "$out" | tail -n 15; fail "$* printed no summary line"; return; fi
    echo "   $line"
    P=$((P + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
    F=$((F + $(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')))
}

# 1. Native: the presets are the chapters' figures.
if make -s build/play_native >build/playground/make_native.log 2>&1; then
    for c in ch03_gd ch05_sgd ch07_momentum ch08_adagrad ch09_rmsprop ch10_adam ch11_adamw ch14_shootout; do
        if ! make -s "build/$c" >>build/playground/make_native.log 2>&1 || ! "./build/$c" --smoke >build/playground/$c.out 2>&1; then
            fail "build/$c --smoke (for its figure's data)"
        fi
    done
    if command -v python3 >/dev/null; then counted python3 tests/playground_figures.py
    else skip "the presets against the chapters' figures: python3 is not installed"; fi
else fail "make build/play_native: $(tail -n 5 build/playground/make_native.log)"; fi

# 2. The page in a browser.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
printf 'int probe;\n' > build/playground/probe.c
why=
if ! clang --target=wasm32-wasi -c build/playground/probe.c -o build/playground/probe.o >/dev/null 2>&1 ||
   ! clang --target=wasm32-wasi -mexec-model=reactor build/playground/probe.c -o build/playground/probe.wasm >/dev/null 2>&1; then
    why="clang cannot build for wasm32-wasi here (Debian: apt-get install clang lld-14 wasi-libc libclang-rt-14-dev-wasm32)"
elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    why="node and npm are not installed (Debian: apt-get install nodejs npm)"
elif [ ! -x "$CHROMIUM" ]; then
    why="no Chromium at $CHROMIUM (Debian: apt-get install chromium; or set CHROMIUM=path)"
fi
if [ -n "$why" ]; then
    skip "the browser tests: $why"
elif ! make -s playground >build/playground/make.log 2>&1; then
    fail "make playground: $(tail -n 8 build/playground/make.log)"
else
    counted node tests/playground.mjs
fi

if [ "$S" -gt 0 ]; then echo "playground: $P passed, $F failed, $S skipped"; else echo "playground: $P passed, $F failed"; fi
[ "$F" -eq 0 ]
