"""The peer of bench_gemm and bench_sweep: the same float products by the system's BLAS
(sgemm, through numpy), for an optimfs/OpenBLAS ratio.

Debian's numpy calls whatever libblas.so.3 the system selects (OpenBLAS when
libopenblas0-pthread is installed). The thread count comes from the environment
(OPENBLAS_NUM_THREADS must be set before numpy is imported), so bench/run.sh calls
this script once per setting.

    blas_peer.py shapes NT:128x256x784 TN:256x784x128 ...
        C = op(A) op(B), M x N x K, in ofs_gemm's layouts: the first letter is A's,
        the second B's; N: stored as it is used (M x K, K x N), T: stored transposed
        (K x M, N x K) and handed to numpy as a .T view, so BLAS reads the same
        memory with its transpose flag (no copy is made in the timed loop).
        Timing as bench_gemm's: a warm-up, then 201 batches of about 2 ms; the best
        batch and the median. One line per shape:
            blas: NT 128x256x784 <best GFLOP/s> <median GFLOP/s>
    blas_peer.py square 128 256 ...
        C = A B for n x n matrices, as bench_sweep times ofs_gemm: batches of about
        2 ms (at least one call each), as many as fit in about 0.3 s but at least 5:
            blas: square 128 <best GFLOP/s> <median GFLOP/s>
Each time includes numpy's own cost per call (about 1-2 us), which matters only for
the smallest products (128x10x256: some 10%).

First line: numpy's version and the BLAS libraries mapped into the process.
"""
import os, sys, time

import numpy as np


def mapped_blas():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            name = line.split()[-1].rsplit("/", 1)[-1]   # the library's file name
            if "blas" in name or "mkl" in name or "blis" in name:
                libs.add(name)
    return " ".join(sorted(libs)) or "unknown"


def time_product(a, b, c, rounds_max, budget):
    """Best and median seconds per np.dot(a, b, out=c) over rounds_max timed batches,
    or fewer (at least 5) to stay within budget seconds when budget is not None."""
    np.dot(a, b, out=c)
    t = time.perf_counter()
    np.dot(a, b, out=c)
    once = max(time.perf_counter() - t, 1e-7)
    reps = int(2e-3 / once) + 1                      # a batch of about 2 ms
    for _ in range(min(20 * reps, int(0.05 / once) + 1)):   # warm-up
        np.dot(a, b, out=c)
    rounds = rounds_max if budget is None else max(5, min(rounds_max, int(budget / (reps * once))))
    sample = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps):
            np.dot(a, b, out=c)
        sample.append((time.perf_counter() - t) / reps)
    sample.sort()
    return sample[0], sample[len(sample) // 2]


def aligned(rows, cols):
    """An empty float32 rows x cols array starting on a 64-byte boundary, as
    bench_gemm's operands (and every array optimfs allocates) do."""
    buf = np.empty(rows * cols + 16, dtype=np.float32)
    skip = (-buf.ctypes.data % 64) // 4
    return buf[skip:skip + rows * cols].reshape(rows, cols)


def operand(rng, rows, cols, transposed):
    """op(X) as rows x cols: stored transposed (cols x rows) and viewed with .T."""
    r, c = (cols, rows) if transposed else (rows, cols)
    x = aligned(r, c)
    x[...] = rng.uniform(-1, 1, (r, c)).astype(np.float32)
    return x.T if transposed else x


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("shapes", "square"):
        sys.exit(__doc__)
    rng = np.random.default_rng(12345)
    print("numpy %s, BLAS: %s, OPENBLAS_NUM_THREADS=%s" %
          (np.__version__, mapped_blas(), os.environ.get("OPENBLAS_NUM_THREADS", "(unset)")))
    for arg in sys.argv[2:]:
        if sys.argv[1] == "shapes":
            layout, dims = arg.split(":")
            M, N, K = (int(v) for v in dims.split("x"))
            a = operand(rng, M, K, layout[0] == "T")
            b = operand(rng, K, N, layout[1] == "T")
            label, rounds, budget = layout + " " + dims, 201, None
        else:
            n = int(arg)
            M = N = K = n
            a, b = operand(rng, n, n, False), operand(rng, n, n, False)
            label, rounds, budget = "square %d" % n, 201, 0.3
        c = aligned(M, N)
        flops = 2.0 * M * N * K
        best, median = time_product(a, b, c, rounds, budget)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        err = float(np.abs(c - ref).max() / max(np.abs(ref).max(), 1e-30))
        if not err < 1e-4:   # a wrong product is no benchmark (NaN fails too)
            sys.exit("blas_peer: %s: relative error %g" % (label, err))
        print("blas: %s %.1f %.1f" % (label, flops / best * 1e-9, flops / median * 1e-9))


if __name__ == "__main__":
    main()
