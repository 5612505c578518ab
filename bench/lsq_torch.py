"""PyTorch baseline for `npm run bench recovery`: the same least-squares recovery as onnx-prune's
`--recover lsq` (sequential layer-by-layer fits on the pruned model's own inputs, 64 sampled
positions per image, float64 normal equations, Cholesky with ridge) on a half-width VGG-16 with
random weights, 256 random 32x32 images, every conv layer pruned to half width.
Prints one JSON line: {"seconds": ..., "layers": ...}."""
import json
import time

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(2)
PLAN = [32, 32, "M", 64, 64, "M", 128, 128, 128, "M", 256, 256, 256, "M", 256, 256, 256, "M"]
N, POS, RIDGE = 256, 64, 1e-3


def make(widths):
    convs, c = [], 3
    for p in widths:
        if p == "M":
            continue
        convs.append([torch.randn(p, c, 3, 3) * (2.0 / (c * 9)) ** 0.5, torch.randn(p) * 0.1])
        c = p
    fcs = [[torch.randn(256, 256) / 16, torch.randn(256) * 0.1], [torch.randn(256, 256) / 16, torch.randn(256) * 0.1],
           [torch.randn(10, 256) / 16, torch.randn(10) * 0.1]]
    return convs, fcs


def forward(convs, fcs, x, stop):
    """Runs to layer `stop` (index over convs then fcs); returns (input of that layer, its output)."""
    k = 0
    for p in PLAN:
        if p == "M":
            x = F.max_pool2d(x, 2)
            continue
        w, b = convs[k]
        y = F.conv2d(x, w, b, padding=1)
        if k == stop:
            return x, y
        x = F.relu(y)
        k += 1
    x = x.flatten(1)
    for j, (w, b) in enumerate(fcs):
        y = F.linear(x, w, b)
        if k + j == stop:
            return x, y
        x = F.relu(y) if j < 2 else y
    raise ValueError(stop)


convs, fcs = make(PLAN)
# Pruned copy: keep the first half of every conv's output channels (and matching inputs).
keep = [torch.arange(w.shape[0] // 2) for w, _ in convs]
pconvs = []
for i, (w, b) in enumerate(convs):
    w = w[keep[i]]
    if i > 0:
        w = w[:, keep[i - 1]]
    pconvs.append([w.clone(), b[keep[i]].clone()])
pfcs = [[fcs[0][0][:, keep[-1]].clone(), fcs[0][1].clone()], [fcs[1][0].clone(), fcs[1][1].clone()],
        [fcs[2][0].clone(), fcs[2][1].clone()]]
x_all = torch.randn(N, 3, 32, 32)

start = time.perf_counter()
layers = len(convs) + len(fcs)
with torch.no_grad():
    for L in range(layers):
        if L == 0:
            continue  # the first conv's inputs are unchanged: nothing to fit (onnx-prune fits it too, trivially)
        xp, yp = forward(pconvs, pfcs, x_all, L)
        _, yo = forward(convs, fcs, x_all, L)
        if L < len(convs):
            yo = yo[:, keep[L]]
            cols = F.unfold(xp, 3, padding=1)  # N x (C*9) x P
            n, k, p = cols.shape
            pos = min(POS, p)
            idx = torch.stack([torch.randperm(p)[:pos] for _ in range(n)])
            rows = torch.gather(cols, 2, idx.unsqueeze(1).expand(n, k, pos)).permute(0, 2, 1).reshape(-1, k)
            r = (yo - yp).flatten(2)
            r = torch.gather(r, 2, idx.unsqueeze(1).expand(n, r.shape[1], pos)).permute(0, 2, 1).reshape(-1, r.shape[1])
        else:
            rows, r = xp, yo - yp
        X = torch.cat([rows, torch.ones(rows.shape[0], 1)], 1).double()
        A = X.T @ X
        B = X.T @ r.double()
        lam = RIDGE * A.diagonal().mean()
        Lc = torch.linalg.cholesky(A + lam * torch.eye(A.shape[0], dtype=torch.float64))
        delta = torch.cholesky_solve(B, Lc).float()
        if L < len(convs):
            w, b = pconvs[L]
            pconvs[L] = [w + delta[:-1].T.reshape(w.shape), b + delta[-1]]
        else:
            w, b = pfcs[L - len(convs)]
            pfcs[L - len(convs)] = [w + delta[:-1].T, b + delta[-1]]
print(json.dumps({"seconds": time.perf_counter() - start, "layers": layers - 1}))
