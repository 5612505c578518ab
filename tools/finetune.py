#!/usr/bin/python3
"""Fine-tune an (e.g. pruned) Fashion-MNIST ONNX CNN in PyTorch, for comparison with training-free recovery.

The ONNX graph is loaded into tools/onnx_torch.OnnxModule (interprets the graph in topological order;
float weight initializers are trainable nn.Parameters), checked against the file (export round-trip,
and optionally against the trained PyTorch model with --compare-torch for unpruned models), trained
for --epochs on the 60k training set (random crop pad 2 + h-flip, SGD momentum 0.9, cosine LR) and
evaluated on the full 10k test set before and after.

Usage: /usr/bin/python3 tools/finetune.py pruned.onnx --epochs 3 [--out finetuned.onnx] [--lr 0.01]
Last stdout line: {"accuracy_before": x, "accuracy_after": y, "epochs": n, "seconds": s, ...}
"""
import argparse
import json
import os
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist  # noqa: E402
from onnx_torch import OnnxModule  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def check_module(om, path, xte, compare_torch=None):
    """Sanity checks of the interpreter against the ONNX file. Returns max abs diffs."""
    info = {}
    xb = torch.from_numpy(xte[:128]).float() / 255.0
    om.eval()
    with torch.no_grad():
        out = om(xb)
        assert out.shape == (128, 10), f"unexpected output shape {tuple(out.shape)}"
        assert torch.isfinite(out).all(), "non-finite logits"
        # round trip: write the parameters back into the graph, reload, same output
        with tempfile.TemporaryDirectory() as td:
            p = os.path.join(td, "rt.onnx")
            om.export(p)
            info["roundtrip_max_diff"] = float((OnnxModule(p).eval()(xb) - out).abs().max())
        if compare_torch:
            import train_models
            ref = train_models.SPECS[compare_torch][0]()
            ref.load_state_dict(torch.load(os.path.join(ROOT, "fixtures", "zoo", "trained", f"{compare_torch}.pt")))
            ref.eval()
            info["torch_max_diff"] = float((ref(xb) - out).abs().max())
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--out", default="")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-limit", type=int, default=0, help="train on the first N training images only (quick tests)")
    ap.add_argument("--test-limit", type=int, default=0, help="evaluate on the first N test images only (quick tests)")
    ap.add_argument("--compare-torch", default="",
                    help="name of a trained model (fixtures/zoo/trained/<name>.pt) to compare logits with "
                         "(only meaningful for the unpruned export)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    xtr, ytr = fmnist.load("train")
    xte, yte = fmnist.load("test")
    if args.train_limit:
        xtr, ytr = xtr[:args.train_limit], ytr[:args.train_limit]
    if args.test_limit:
        xte, yte = xte[:args.test_limit], yte[:args.test_limit]
    om = OnnxModule(args.model)
    info = check_module(om, args.model, xte, args.compare_torch or None)
    t0 = time.time()
    om.eval()
    acc_before = fmnist.evaluate(om, xte, yte)
    print(f"params={om.num_params()} accuracy_before={acc_before:.4f} checks={info}", file=sys.stderr, flush=True)

    opt = torch.optim.SGD(om.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=args.wd)
    steps = len(xtr) // args.batch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, args.epochs * steps))
    gen = torch.Generator().manual_seed(args.seed)
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for ep in range(args.epochs):
        te = time.time()
        loss = fmnist.train_epoch(om, opt, sched, xtr_t, ytr_t, args.batch, gen)
        print(f"epoch {ep + 1}/{args.epochs} loss={loss:.4f} {time.time() - te:.1f}s", file=sys.stderr, flush=True)
    om.eval()
    acc_after = fmnist.evaluate(om, xte, yte)
    seconds = time.time() - t0
    if args.out:
        om.export(args.out)
    print(json.dumps({"accuracy_before": round(acc_before, 4), "accuracy_after": round(acc_after, 4),
                      "epochs": args.epochs, "seconds": round(seconds, 1), "params": om.num_params(),
                      "n_test": int(len(yte)), "checks": info,
                      "model": args.model, "out": args.out or None}), flush=True)


if __name__ == "__main__":
    main()
