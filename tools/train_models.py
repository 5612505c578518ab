#!/usr/bin/python3
"""Train three small Fashion-MNIST CNNs and export them to ONNX with BatchNorm folded.

Writes:
  fixtures/models/{demo_resnet,vgg_small,mobilenet_small}.onnx  (opset 13, input `input` Nx1x28x28
      float32 in [0,1] = pixel/255, output `logits` Nx10, dynamic batch axis, BN folded into Conv)
  fixtures/models/models.json    accuracy / params / epochs / train time per model
  fixtures/zoo/trained/<name>.pt  PyTorch state dicts (git-ignored)
  fixtures/data/*.npy, fixtures/data/demo_images/*.png  (with --data-only or by default)

Usage: /usr/bin/python3 tools/train_models.py [--only name,name] [--epochs N] [--data-only] [--no-data]
"""
import argparse
import json
import os
import sys
import time
import zlib
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist  # noqa: E402
from onnx_torch import OnnxModule  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(ROOT, "fixtures", "models")
DATA_DIR = os.path.join(ROOT, "fixtures", "data")
TRAINED_DIR = os.path.join(ROOT, "fixtures", "zoo", "trained")


# ----------------------------------------------------------------------------- models
def conv_bn(cin, cout, k=3, s=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = conv_bn(cin, cout, k=1, s=stride)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + sc)


class DemoResNet(nn.Module):
    """Stem conv (28x28) -> 3 stages x 2 BasicBlocks, each stage stride 2 with a 1x1 projection
    shortcut (28->14->7->4) -> GAP -> Flatten -> Linear."""

    def __init__(self, widths=(32, 64, 96), num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(1, widths[0]), nn.ReLU(inplace=True))
        layers, cin = [], widths[0]
        for w in widths:
            layers += [BasicBlock(cin, w, 2), BasicBlock(w, w, 1)]
            cin = w
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.layers(self.stem(x)))))


class VggSmall(nn.Module):
    """(conv-BN-ReLU x2 + MaxPool) x3 (28->14->7->3), Flatten -> Linear(128*3*3 -> hidden) -> ReLU -> Linear."""

    def __init__(self, widths=(32, 64, 128), hidden=128, num_classes=10):
        super().__init__()
        layers, cin = [], 1
        for w in widths:
            layers += [conv_bn(cin, w), nn.ReLU(inplace=True), conv_bn(w, w), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(nn.Linear(cin * 3 * 3, hidden), nn.ReLU(inplace=True),
                                        nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hid = cin * expand
        layers = []
        if expand != 1:
            layers += [conv_bn(cin, hid, k=1), nn.ReLU6(inplace=True)]
        layers += [conv_bn(hid, hid, k=3, s=stride, groups=hid), nn.ReLU6(inplace=True),
                   conv_bn(hid, cout, k=1)]  # linear bottleneck
        self.body = nn.Sequential(*layers)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x):
        out = self.body(x)
        return x + out if self.use_res else out


class MobileNetSmall(nn.Module):
    """MobileNetV2-style: stem 3x3 stride-2 conv -> inverted residuals (t, c, n, s) -> 1x1 conv -> GAP -> Linear."""
    CFG = [(1, 16, 1, 1), (4, 24, 2, 1), (4, 32, 3, 2), (4, 64, 2, 2)]  # 14 -> 14 -> 7 -> 4

    def __init__(self, num_classes=10, last=256):
        super().__init__()
        layers = [conv_bn(1, 16, s=2), nn.ReLU6(inplace=True)]  # 28 -> 14
        cin = 16
        for t, c, n, s in self.CFG:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += [conv_bn(cin, last, k=1), nn.ReLU6(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(last, num_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.features(x))))


# name -> (constructor, default epochs, lr, weight decay, target accuracy)
SPECS = {
    "demo_resnet": (DemoResNet, 10, 0.1, 5e-4, 0.91),
    "vgg_small": (VggSmall, 6, 0.05, 5e-4, 0.91),
    "mobilenet_small": (MobileNetSmall, 6, 0.1, 1e-4, 0.89),
}


# ----------------------------------------------------------------------------- data fixtures
def write_png_gray(path, img):
    """Minimal 8-bit greyscale PNG writer (zlib only)."""
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].astype(np.uint8).tobytes() for r in range(h))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def write_data_fixtures(xtr, ytr, xte, yte):
    os.makedirs(DATA_DIR, exist_ok=True)
    rng = np.random.RandomState(1234)
    idx = np.sort(rng.choice(len(xtr), 1024, replace=False))

    def save(name, arr):
        # np.save writes format version 1.0 for arrays this small, C-order
        np.save(os.path.join(DATA_DIR, name), np.ascontiguousarray(arr), allow_pickle=False)

    save("fmnist_calib_x.npy", xtr[idx].astype(np.uint8))
    save("fmnist_calib_y.npy", ytr[idx].astype(np.int64))
    save("fmnist_test_x.npy", xte[:2000].astype(np.uint8))
    save("fmnist_test_y.npy", yte[:2000].astype(np.int64))
    save("fmnist_test_small_x.npy", xte[:256].astype(np.uint8))
    save("fmnist_test_small_y.npy", yte[:256].astype(np.int64))
    png_dir = os.path.join(DATA_DIR, "demo_images")
    os.makedirs(png_dir, exist_ok=True)
    for f in os.listdir(png_dir):
        if f.endswith(".png"):
            os.remove(os.path.join(png_dir, f))
    for i in range(16):
        write_png_gray(os.path.join(png_dir, f"{i}_{int(yte[i])}.png"), xte[i, 0])
    print(f"data fixtures written to {DATA_DIR} (calib idx seed 1234)")


# ----------------------------------------------------------------------------- training
def train(name, xtr, ytr, xte, yte, epochs=None, batch=128):
    ctor, default_epochs, lr, wd, target = SPECS[name]
    epochs = epochs or default_epochs
    torch.manual_seed(0)
    model = ctor()
    params = sum(p.numel() for p in model.parameters())
    print(f"[{name}] params={params} epochs={epochs} lr={lr} wd={wd}", flush=True)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=wd)
    steps_per_epoch = len(xtr) // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch,
                                                pct_start=0.15, anneal_strategy="cos")
    gen = torch.Generator().manual_seed(0)
    xtr_t = torch.from_numpy(xtr)
    ytr_t = torch.from_numpy(ytr)
    t0 = time.time()
    for ep in range(epochs):
        te = time.time()
        loss = fmnist.train_epoch(model, opt, sched, xtr_t, ytr_t, batch, gen)
        model.eval()
        acc = fmnist.evaluate(model, xte, yte) if (ep == epochs - 1 or ep % 3 == 2) else float("nan")
        print(f"[{name}] epoch {ep + 1}/{epochs} loss={loss:.4f} test_acc={acc:.4f} "
              f"epoch_s={time.time() - te:.1f}", flush=True)
    train_s = time.time() - t0
    model.eval()
    acc = fmnist.evaluate(model, xte, yte)
    if acc < target:
        print(f"[{name}] WARNING: accuracy {acc:.4f} below target {target}", flush=True)
    return model, acc, params, epochs, train_s


def export(model, path):
    import onnx
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(model, dummy, path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13,
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    assert "BatchNormalization" not in ops, f"BN not folded in {path}: {ops}"
    return ops


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated subset of " + ",".join(SPECS))
    ap.add_argument("--epochs", type=int, default=0, help="override the per-model default epoch count")
    ap.add_argument("--data-only", action="store_true", help="only write fixtures/data")
    ap.add_argument("--no-data", action="store_true", help="do not (re)write fixtures/data")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    xtr, ytr = fmnist.load("train")
    xte, yte = fmnist.load("test")
    if not args.no_data:
        write_data_fixtures(xtr, ytr, xte, yte)
    if args.data_only:
        return
    names = [n for n in args.only.split(",") if n] or list(SPECS)
    os.makedirs(MODELS_DIR, exist_ok=True)
    os.makedirs(TRAINED_DIR, exist_ok=True)
    meta_path = os.path.join(MODELS_DIR, "models.json")
    for name in names:
        model, acc, params, epochs, train_s = train(name, xtr, ytr, xte, yte, args.epochs or None)
        torch.save(model.state_dict(), os.path.join(TRAINED_DIR, f"{name}.pt"))
        path = os.path.join(MODELS_DIR, f"{name}.onnx")
        ops = export(model, path)
        size = os.path.getsize(path)
        # Independent check of the exported file: onnx 1.12 has no ReferenceEvaluator and there is
        # no onnxruntime here, so run the ONNX graph with our own interpreter (tools/onnx_torch.py)
        # and compare against the torch model (logits on a batch + full test-set accuracy).
        om = OnnxModule(path).eval()
        with torch.no_grad():
            xb = torch.from_numpy(xte[:256]).float() / 255.0
            max_diff = float((om(xb) - model(xb)).abs().max())
        onnx_acc = fmnist.evaluate(om, xte, yte)
        onnx_params = om.num_params()
        print(f"[{name}] torch_acc={acc:.4f} onnx_acc={onnx_acc:.4f} max|dlogit|={max_diff:.2e} "
              f"onnx_params={onnx_params} size={size} B ops={ops}", flush=True)
        if size > 2 * 1024 * 1024:
            print(f"[{name}] WARNING: {size} bytes > 2 MiB", flush=True)
        # re-read just before writing so that runs of different --only subsets can run in parallel
        meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        meta[name] = {"test_accuracy": round(acc, 4), "onnx_test_accuracy": round(onnx_acc, 4),
                      "params": onnx_params, "torch_params_unfolded": params, "epochs": epochs,
                      "train_seconds": round(train_s, 1), "input": [1, 1, 28, 28],
                      "size_bytes": size, "ops": ops, "max_abs_logit_diff_torch_vs_onnx": max_diff}
        with open(meta_path, "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
