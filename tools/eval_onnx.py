#!/usr/bin/python3
"""Print the Fashion-MNIST test-set accuracy of an ONNX model (N x 1 x 28 x 28 float input in [0,1]).

Runs the graph with tools/onnx_torch.py (a PyTorch interpreter of the ONNX graph; no onnxruntime needed),
so it is an independent check of ONNX files written by the TypeScript pruner.

Usage: /usr/bin/python3 tools/eval_onnx.py model.onnx [more.onnx ...] [--limit N]
Prints one JSON line per model: {"model": path, "accuracy": x, "n": 10000, "params": p, "seconds": s}
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist  # noqa: E402
from onnx_torch import OnnxModule  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--limit", type=int, default=0, help="only the first N test images (default: all 10k)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x, y = fmnist.load("test")
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    for path in args.models:
        t0 = time.time()
        m = OnnxModule(path).eval()
        acc = fmnist.evaluate(m, x, y)
        print(json.dumps({"model": path, "accuracy": round(acc, 4), "n": int(len(y)),
                          "params": m.num_params(), "seconds": round(time.time() - t0, 2)}), flush=True)


if __name__ == "__main__":
    main()
