#!/usr/bin/env python3
"""OpenBLAS side of bench/throughput's per-product table: times numpy.matmul (OpenBLAS's
sgemm, the transposes passed as flags on views, not copied) on the products a step runs.

  gemm_peer.py THREADS SECONDS 'M,N,K,TA,TB;...'   prints one 'gflops=<X>' line per shape

OPENBLAS_NUM_THREADS is set before numpy loads. Each shape runs for SECONDS after a warm-up
and the best of five rounds is printed, as ../shared/bench/gemm_reference.py does.
"""
import os
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[1]
import numpy as np  # noqa: E402


def operand(rng: np.random.Generator, rows: int, cols: int, trans: bool) -> np.ndarray:
    """A rows×cols operand, stored transposed (a Fortran-order view) when trans is set."""
    if trans:
        return rng.standard_normal((cols, rows), dtype=np.float32).T
    return rng.standard_normal((rows, cols), dtype=np.float32)


def best_gflops(m: int, n: int, k: int, ta: bool, tb: bool, seconds: float) -> float:
    rng = np.random.default_rng(1)
    a, b = operand(rng, m, k, ta), operand(rng, k, n, tb)
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=c)
    best = 0.0
    for _ in range(5):
        reps, start = 0, time.perf_counter()
        while True:
            np.matmul(a, b, out=c)
            reps += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / 5:
                break
        best = max(best, 2.0 * m * n * k * reps / elapsed / 1e9)
    return best


def main() -> None:
    seconds = float(sys.argv[2])
    for spec in sys.argv[3].split(";"):
        m, n, k, ta, tb = (int(v) for v in spec.split(","))
        print(f"gflops={best_gflops(m, n, k, bool(ta), bool(tb), seconds):.3f}", flush=True)


if __name__ == "__main__":
    main()
