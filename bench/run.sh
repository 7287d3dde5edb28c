#!/usr/bin/env bash
# make bench: the speed of everything that matters, measured in one run.
#   1. the machine's FMA peak and each matrix-product shape of the MLP (GFLOP/s, % of peak)
#   2. a training epoch of the default model (samples/s, s/epoch, % of peak)
#   3. the AdamW step over 10 M parameters against a copy loop (GB/s)
#   4. loading the four MNIST files (seconds)
#   5. the same model trained by PyTorch, when Debian's python3-torch is installed
set -u
cd "$(dirname "$0")/.."
FAST="-std=c99 -O3 -march=native -fno-math-errno -fopenmp"
mkdir -p build
for b in bench/bench_*.c; do
    n=$(basename "$b" .c)
    cc $FAST -I. "$b" -o "build/$n" -lm || { echo "cannot build $b"; exit 1; }
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo; echo "== matrix products";        g=$(OMP_NUM_THREADS=2 ./build/bench_gemm); echo "$g"
peak=$(printf '%s\n' "$g" | sed -n 's/^FMA peak: .* GFLOP\/s on 1 thread, \([0-9.]*\) GFLOP\/s.*/\1/p')
echo; echo "== training epoch (2 MB pages, as make mnist runs it)"
out=$(GLIBC_TUNABLES=glibc.malloc.hugetlb=1 OMP_NUM_THREADS=2 ./build/bench_train "$peak"); echo "$out"
echo; echo "== optimizer step";         OMP_NUM_THREADS=2 ./build/bench_optim
echo; echo "== loading MNIST";          ./build/bench_load data/mnist
echo "-- again, with malloc asked for 2 MB pages (glibc >= 2.35; what make mnist uses)"
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 ./build/bench_load data/mnist
ours=$(printf '%s\n' "$out" | sed -n 's/^optimfs: \([0-9.]*\) s\/epoch.*/\1/p')
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo; echo "== PyTorch, same model, each thread setting (fastest kept; 2 MB pages as for optimfs)"
    # Debian's torch calls whatever libblas.so.3 the system selects; the reference BLAS
    # is some 20x slower than OpenBLAS, which would make the comparison meaningless.
    blas=$(/usr/bin/python3 -c 'import torch; print(" ".join(sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l})))' 2>/dev/null)
    echo "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)' 2>/dev/null), BLAS: ${blas:-unknown}"
    case "$blas" in *openblas*|*mkl*) ;; *) echo "WARNING: PyTorch is not using OpenBLAS: apt-get install libopenblas0-pthread for a fair comparison";; esac
    best=""
    for cfg in "1 2" "2 2" "2 1" "1 1"; do
        set -- $cfg
        line=$(GLIBC_TUNABLES=glibc.malloc.hugetlb=1 OMP_NUM_THREADS=$1 OPENBLAS_NUM_THREADS=$2 /usr/bin/python3 bench/peer_torch.py 3 2>/dev/null | grep '^torch:')
        echo "OMP_NUM_THREADS=$1 OPENBLAS_NUM_THREADS=$2  $line"
        s=$(printf '%s' "$line" | sed -n 's/^torch: \([0-9.]*\) s\/epoch.*/\1/p')
        if [ -n "$s" ] && { [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; }; then best=$s; fi
    done
    if [ -n "$best" ] && [ -n "$ours" ]; then
        awk -v a="$best" -v b="$ours" 'BEGIN{printf "\noptimfs is %.2fx the samples per second of PyTorch'"'"'s fastest setting (%.3f s vs %.3f s per epoch)\n", a/b, b, a}'
    fi
else
    echo; echo "(python3-torch not installed: no PyTorch comparison; apt-get install python3-torch)"
fi
