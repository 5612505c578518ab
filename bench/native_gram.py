#!/usr/bin/python3
"""Native reference for bench/kernels.bench.ts: effective GFLOP/s of X @ X.T with numpy/OpenBLAS
on one thread, for the same (C, M) shapes (2*C*C*M flops per call, the full square).

    OPENBLAS_NUM_THREADS is forced to 1 before numpy is imported (BLAS reads it at load time).
    /usr/bin/python3 bench/native_gram.py [--json]
"""
import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

SHAPES = [(64, 12544), (256, 3136), (512, 784), (1024, 196), (2048, 49)]
MIN_ROUND_SECONDS = 0.3
ROUNDS = 5


def best_rate(fn):
    fn()
    best = 0.0
    for _ in range(ROUNDS):
        reps = 0
        t0 = time.perf_counter()
        while True:
            fn()
            reps += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= MIN_ROUND_SECONDS:
                break
        best = max(best, reps / elapsed)
    return best


def main():
    as_json = "--json" in sys.argv
    rng = np.random.default_rng(0)
    if not as_json:
        print(f"numpy {np.__version__}, X @ X.T float32, 1 thread, effective GFLOP/s")
    for c, m in SHAPES:
        x = (rng.random((c, m), dtype=np.float32) - 0.5).astype(np.float32)
        rate = best_rate(lambda: x @ x.T)
        gflops = rate * 2 * c * c * m / 1e9
        if as_json:
            print(json.dumps({"C": c, "M": m, "numpy_gflops": round(gflops, 3)}))
        else:
            print(f"{c:5d} {m:6d} {gflops:8.2f}")


if __name__ == "__main__":
    main()
