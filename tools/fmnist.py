"""Fashion-MNIST helpers shared by the tools/ scripts (Python is used only for fixtures).

Fashion-MNIST (c) Zalando SE, MIT License -- see fixtures/ATTRIBUTION.md.
"""
import gzip
import os

import numpy as np

FMNIST_DIR = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    """Return (images uint8 (N,1,28,28), labels int64 (N,)) for split 'train' or 't10k'/'test'."""
    prefix = "train" if split == "train" else "t10k"
    x = _read_idx(os.path.join(FMNIST_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    y = _read_idx(os.path.join(FMNIST_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    return x.reshape(-1, 1, 28, 28).copy(), y.astype(np.int64)


def augment(xb, gen=None):
    """Random crop (padding 2) + horizontal flip on a float batch (B,1,28,28) torch tensor."""
    import torch
    b = xb.shape[0]
    padded = torch.nn.functional.pad(xb, (2, 2, 2, 2))
    oy = torch.randint(0, 5, (b,), generator=gen)
    ox = torch.randint(0, 5, (b,), generator=gen)
    ar = torch.arange(28)
    iy = (oy[:, None] + ar)[:, :, None].expand(b, 28, 28)
    ix = (ox[:, None] + ar)[:, None, :].expand(b, 28, 28)
    bi = torch.arange(b)[:, None, None].expand(b, 28, 28)
    out = padded[bi, 0, iy, ix].unsqueeze(1)
    flip = torch.rand(b, generator=gen) < 0.5
    out = torch.where(flip[:, None, None, None], out.flip(3), out)
    return out


def train_epoch(model, opt, sched, x_u8, y, batch, gen):
    """One epoch of augmented SGD over uint8 images x_u8 (torch) and labels y (torch), stepping the
    schedule every batch; the last partial batch is dropped. Returns the mean training loss."""
    import torch
    import torch.nn.functional as F
    model.train()
    steps = len(x_u8) // batch
    perm = torch.randperm(len(x_u8), generator=gen)
    total = 0.0
    for s in range(steps):
        bi = perm[s * batch:(s + 1) * batch]
        xb = augment(x_u8[bi].float() / 255.0, gen)
        loss = F.cross_entropy(model(xb), y[bi])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item()
    return total / steps


def evaluate(fn, x_u8, y, batch=1000):
    """Accuracy of callable fn(float tensor (B,1,28,28) in [0,1]) -> logits over uint8 images."""
    import torch
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x_u8), batch):
            xb = torch.from_numpy(x_u8[i:i + batch]).float() / 255.0
            pred = fn(xb).argmax(1).numpy()
            correct += int((pred == y[i:i + batch]).sum())
    return correct / len(x_u8)
