#!/usr/bin/env bash
# Redraw every figure: run each chapter program in full mode (writing out/*.dat),
# then every figures/*.gp with gnuplot. Needs gnuplot (Debian: gnuplot-nox).
set -eu
cd "$(dirname "$0")/.."
command -v gnuplot >/dev/null || { echo "make figures needs gnuplot (apt-get install gnuplot-nox)"; exit 1; }
mkdir -p out
for b in build/ch[0-9][0-9]_* build/ch[0-9][0-9][a-z]_*; do   # ch04b_lbfgs too
    [ -e "$b" ] || continue
    case "$b" in *ch15_*|*ch15b_*|*ch16_*) [ -f data/mnist/t10k-images-idx3-ubyte ] || { echo "skip $b (make data first)"; continue; } ;; esac
    echo "== $b"; "$b" > "out/$(basename "$b").txt"
done
for gp in figures/*.gp; do echo "== $gp"; gnuplot "$gp"; done
