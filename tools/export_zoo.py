#!/usr/bin/python3
"""Export torchvision CNN architectures with random (seeded) weights to ONNX.

Each model is built with torch.manual_seed(0), put in eval mode and exported to
<out>/<name>.onnx: input `input` 1x3x224x224 float32 with a dynamic batch axis, output `logits`,
opset 13, do_constant_folding=True (folds BatchNorm into Conv as PyTorch does in eval mode).
No pretrained weights are downloaded.

Also writes <out>/reference_counts.json: per model the parameter count computed in torch
(sum(p.numel()), BN gamma/beta included) next to the float-initializer element count of the exported
ONNX (BN folded, so usually smaller), the export status, opset, size and time.

Note: with the default random init every BN has gamma=1, beta=0, mean=0, var=1 and conv biases are 0, so
after folding many biases are bit-identical and torch 1.13's exporter DEDUPLICATES them: several Conv
nodes then share one bias initializer (sometimes through Identity nodes). Pruners must treat shared
initializers copy-on-write. `--perturb` avoids this (see `shared_initializers` in the JSON).

Usage: /usr/bin/python3 tools/export_zoo.py [--only resnet18,mobilenet_v2] [--out fixtures/zoo] [--perturb] [--verify]
"""
import argparse
import json
import os
import time
import warnings

import numpy as np
import onnx
import torch
import torchvision.models as tvm
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODELS = {
    "resnet18": lambda: tvm.resnet18(),
    "resnet50": lambda: tvm.resnet50(),
    "mobilenet_v2": lambda: tvm.mobilenet_v2(),
    "mobilenet_v3_small": lambda: tvm.mobilenet_v3_small(),
    "densenet121": lambda: tvm.densenet121(),
    "squeezenet1_1": lambda: tvm.squeezenet1_1(),
    "shufflenet_v2_x0_5": lambda: tvm.shufflenet_v2_x0_5(),
    "efficientnet_b0": lambda: tvm.efficientnet_b0(),
    "googlenet": lambda: tvm.googlenet(aux_logits=False, init_weights=True),
    "regnet_y_400mf": lambda: tvm.regnet_y_400mf(),
    "mnasnet0_5": lambda: tvm.mnasnet0_5(),
}
# Opsets tried in order; a model that fails at 13 is retried with the next one (recorded in the JSON).
OPSETS = [13, 14]


def perturb(model, seed=1):
    """Give BatchNorm running stats / affine params and zero biases random (seeded) values so that the
    folded Conv weights look like a trained net and no two initializers are bit-identical (otherwise
    torch's exporter deduplicates them and several Convs share one bias initializer)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                n = mod.num_features
                mod.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                if mod.affine:
                    mod.weight.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                    mod.bias.copy_(torch.randn(n, generator=g) * 0.1)
            elif getattr(mod, "bias", None) is not None and isinstance(mod.bias, torch.nn.Parameter):
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.01)


def verify(model, path):
    """Run the exported file with tools/onnx_torch.py (no onnxruntime here) on a batch of 2 and
    compare with the torch model; also exercises the dynamic batch axis."""
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from onnx_torch import OnnxModule
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ref = model(x)
        out = OnnxModule(path).eval()(x)
    return float((out - ref).abs().max() / (ref.abs().max() + 1e-12))


def export_one(name, out_dir, do_perturb=False, do_verify=False):
    torch.manual_seed(0)
    model = MODELS[name]().eval()
    if do_perturb:
        perturb(model)
    torch_params = int(sum(p.numel() for p in model.parameters()))
    dummy = torch.randn(1, 3, 224, 224)
    path = os.path.join(out_dir, f"{name}.onnx")
    errors = []
    for opset in OPSETS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, dummy, path, input_names=["input"], output_names=["logits"],
                                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                                  opset_version=opset, do_constant_folding=True,
                                  training=torch.onnx.TrainingMode.EVAL)
            m = onnx.load(path)
            onnx.checker.check_model(m)
            break
        except Exception as e:  # noqa: BLE001
            errors.append(f"opset {opset}: {type(e).__name__}: {str(e)[:300]}")
            opset = None
    if opset is None:
        return {"status": "failed", "torch_params": torch_params, "errors": errors}
    onnx_params = int(sum(np.prod(t.dims) for t in m.graph.initializer
                          if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16,
                                             onnx.TensorProto.DOUBLE)))
    ops = sorted({n.op_type for n in m.graph.node})
    init_names = {t.name for t in m.graph.initializer}
    uses = {}
    for n in m.graph.node:
        for i in n.input:
            if i in init_names:
                uses[i] = uses.get(i, 0) + 1
    rec = {"status": "ok", "torch_params": torch_params, "onnx_float_initializer_elems": onnx_params,
           "opset": opset, "size_bytes": os.path.getsize(path), "nodes": len(m.graph.node),
           "ops": ops, "shared_initializers": sum(1 for v in uses.values() if v > 1),
           "perturbed": do_perturb, "bn_nodes": sum(1 for n in m.graph.node if n.op_type == "BatchNormalization")}
    if errors:
        rec["errors"] = errors
    if do_verify:
        try:
            rec["verify_rel_max_diff"] = verify(model, path)
        except Exception as e:  # noqa: BLE001
            rec["verify_error"] = f"{type(e).__name__}: {str(e)[:300]}"
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated subset of: " + ",".join(MODELS))
    ap.add_argument("--out", default=os.path.join(ROOT, "fixtures", "zoo"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--verify", action="store_true",
                    help="re-run each export with tools/onnx_torch.py on a batch of 2 and compare with torch")
    ap.add_argument("--perturb", action="store_true",
                    help="randomise BN stats/affine and zero biases (seeded) before export; avoids "
                         "deduplicated (shared) initializers and gives non-trivial folded biases")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    names = [n for n in args.only.split(",") if n] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        ap.error("unknown model(s): " + ",".join(unknown))
    os.makedirs(args.out, exist_ok=True)
    ref_path = os.path.join(args.out, "reference_counts.json")
    refs = {}
    if os.path.exists(ref_path):
        try:
            refs = json.load(open(ref_path))
        except ValueError:
            refs = {}
    t_all = time.time()
    failed = []
    for name in names:
        t0 = time.time()
        rec = export_one(name, args.out, args.perturb, args.verify)
        rec["export_seconds"] = round(time.time() - t0, 2)
        refs[name] = rec
        if rec["status"] == "ok":
            print(f"{name:22s} ok   opset={rec['opset']} {rec['size_bytes'] / 1e6:7.2f} MB  "
                  f"torch_params={rec['torch_params']:>9d} onnx_params={rec['onnx_float_initializer_elems']:>9d} "
                  f"nodes={rec['nodes']:4d} bn={rec['bn_nodes']} shared_inits={rec['shared_initializers']} "
                  f"{rec['export_seconds']:6.2f} s" + (f"  verify rel.diff={rec['verify_rel_max_diff']:.1e}"
                  if "verify_rel_max_diff" in rec else f"  VERIFY FAILED {rec['verify_error']}"
                  if "verify_error" in rec else ""), flush=True)
        else:
            failed.append(name)
            print(f"{name:22s} FAILED {rec['errors']}", flush=True)
        with open(ref_path, "w") as f:
            json.dump(refs, f, indent=2, sort_keys=True)
            f.write("\n")
    print(f"total {time.time() - t_all:.1f} s for {len(names)} model(s); {len(failed)} failed "
          f"{failed if failed else ''}; counts in {ref_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
