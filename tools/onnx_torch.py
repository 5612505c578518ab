"""A small generic ONNX -> PyTorch interpreter (tools/ only; no onnxruntime needed).

`OnnxModule(path)` loads an ONNX CNN and runs its graph node by node in topological order with
PyTorch ops. Float initializers that are weights (inputs >= 1 of Conv/Gemm/MatMul/BatchNormalization,
or operands of Add/Mul/Sub/Div) become trainable nn.Parameters, so the module can be fine-tuned;
`export(path)` writes the (possibly fine-tuned) values back into a copy of the original graph.

Supported ops: Conv (group/depthwise, pads, strides, dilations, auto_pad), ConvTranspose-free CNN ops:
Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Add, Sub, Mul, Div, MaxPool, AveragePool,
GlobalAveragePool, GlobalMaxPool, Flatten, Reshape, Gemm, MatMul, Constant, Identity, Dropout,
BatchNormalization, Concat, Transpose, Squeeze, Unsqueeze, Shape, Gather, ReduceMean, Softmax, Pad,
Cast, Slice (step 1). Enough for the Fashion-MNIST models and all fixtures/zoo exports.
"""
import math

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

_ONNX_TO_TORCH = {1: torch.float32, 2: torch.uint8, 3: torch.int8, 5: torch.int16, 6: torch.int32,
                  7: torch.int64, 9: torch.bool, 10: torch.float16, 11: torch.float64}
WEIGHT_OPS = {"Conv", "Gemm", "MatMul", "BatchNormalization", "Add", "Mul", "Sub", "Div", "PRelu"}


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _toposort(nodes, available):
    avail = set(available)
    pending, order = list(nodes), []
    while pending:
        progressed = False
        rest = []
        for n in pending:
            if all((i == "" or i in avail) for i in n.input):
                order.append(n)
                avail.update(n.output)
                progressed = True
            else:
                rest.append(n)
        if not progressed:
            raise ValueError("graph has a cycle or missing inputs: " + ", ".join(n.name or n.op_type for n in rest[:5]))
        pending = rest
    return order


def _pool_pads(pads, nd):
    if not pads:
        return [0] * nd, [0] * nd
    return list(pads[:nd]), list(pads[nd:])


def _same_pads(in_hw, k, s, d, upper=True):
    begin, end = [], []
    for i in range(len(k)):
        out = math.ceil(in_hw[i] / s[i])
        total = max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in_hw[i])
        lo = total // 2 if upper else total - total // 2
        begin.append(lo)
        end.append(total - lo)
    return begin, end


def _fpad(begin, end):
    # F.pad wants last dim first: (w_lo, w_hi, h_lo, h_hi)
    out = []
    for b, e in zip(reversed(begin), reversed(end)):
        out += [b, e]
    return out


class OnnxModule(nn.Module):
    def __init__(self, path_or_model):
        super().__init__()
        model = onnx.load(path_or_model) if isinstance(path_or_model, str) else path_or_model
        self.model_proto = model
        g = model.graph
        init_names = {t.name for t in g.initializer}
        self.input_names = [i.name for i in g.input if i.name not in init_names]
        self.output_names = [o.name for o in g.output]
        weight_inputs = set()
        for n in g.node:
            if n.op_type in WEIGHT_OPS:
                start = 0 if n.op_type in ("Add", "Mul", "Sub", "Div") else 1
                weight_inputs.update(n.input[start:])
        self.params = nn.ParameterDict()
        self._pkey = {}
        self._consts = {}
        for t in g.initializer:
            arr = numpy_helper.to_array(t)
            if arr.dtype.kind == "f" and t.name in weight_inputs:
                key = "p%d" % len(self._pkey)
                self._pkey[t.name] = key
                self.params[key] = nn.Parameter(torch.from_numpy(arr.astype(np.float32).copy()))
            else:
                self._consts[t.name] = torch.from_numpy(arr.copy())
        self.nodes = _toposort(list(g.node), list(self.input_names) + list(init_names))
        self._node_attrs = [_attrs(n) for n in self.nodes]
        for n, a in zip(self.nodes, self._node_attrs):
            if n.op_type == "Constant":
                if "value" in a:
                    self._consts[n.output[0]] = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
                elif "value_float" in a:
                    self._consts[n.output[0]] = torch.tensor(a["value_float"], dtype=torch.float32)
                elif "value_int" in a:
                    self._consts[n.output[0]] = torch.tensor(a["value_int"], dtype=torch.int64)
                elif "value_ints" in a:
                    self._consts[n.output[0]] = torch.tensor(list(a["value_ints"]), dtype=torch.int64)
                else:
                    raise NotImplementedError("Constant attribute " + str(list(a)))

    def num_params(self):
        return int(sum(p.numel() for p in self.params.values()))

    def forward(self, *inputs):
        env = dict(self._consts)
        for name, key in self._pkey.items():
            env[name] = self.params[key]
        for name, x in zip(self.input_names, inputs):
            env[name] = x
        for node, a in zip(self.nodes, self._node_attrs):
            if node.op_type == "Constant":
                continue
            args = [env[i] if i else None for i in node.input]
            outs = self._run(node.op_type, args, a)
            if not isinstance(outs, (list, tuple)):
                outs = [outs]
            for name, v in zip(node.output, outs):
                if name:
                    env[name] = v
        res = [env[o] for o in self.output_names]
        return res[0] if len(res) == 1 else tuple(res)

    # ------------------------------------------------------------------ op implementations
    def _run(self, op, x, a):
        if op == "Conv":
            w = x[1]
            nd = w.dim() - 2
            k = list(a.get("kernel_shape", w.shape[2:]))
            s = list(a.get("strides", [1] * nd))
            d = list(a.get("dilations", [1] * nd))
            group = a.get("group", 1)
            auto_pad = a.get("auto_pad", b"NOTSET")
            auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
            inp = x[0]
            if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
                pb, pe = _same_pads(list(inp.shape[2:]), k, s, d, auto_pad == "SAME_UPPER")
            elif auto_pad == "VALID":
                pb, pe = [0] * nd, [0] * nd
            else:
                pb, pe = _pool_pads(a.get("pads"), nd)
            if pb == pe:
                padding = pb
            else:
                inp = F.pad(inp, _fpad(pb, pe))
                padding = [0] * nd
            conv = F.conv2d if nd == 2 else F.conv1d if nd == 1 else F.conv3d
            return conv(inp, w, x[2] if len(x) > 2 else None, s, padding, d, group)
        if op == "Relu":
            return F.relu(x[0])
        if op == "LeakyRelu":
            return F.leaky_relu(x[0], a.get("alpha", 0.01))
        if op == "Clip":
            lo = x[1] if len(x) > 1 and x[1] is not None else a.get("min", None)
            hi = x[2] if len(x) > 2 and x[2] is not None else a.get("max", None)
            lo = float(lo) if lo is not None else None
            hi = float(hi) if hi is not None else None
            return torch.clamp(x[0], lo, hi)
        if op == "Sigmoid":
            return torch.sigmoid(x[0])
        if op == "HardSigmoid":
            return torch.clamp(a.get("alpha", 0.2) * x[0] + a.get("beta", 0.5), 0, 1)
        if op == "HardSwish":
            return F.hardswish(x[0])
        if op == "Tanh":
            return torch.tanh(x[0])
        if op == "Add":
            return x[0] + x[1]
        if op == "Sub":
            return x[0] - x[1]
        if op == "Mul":
            return x[0] * x[1]
        if op == "Div":
            if not x[0].is_floating_point() and not x[1].is_floating_point():
                return torch.div(x[0], x[1], rounding_mode="trunc")
            return x[0] / x[1]
        if op == "Cast":
            return x[0].to(_ONNX_TO_TORCH[a["to"]])
        if op == "Slice":
            t = x[0]
            starts = [int(v) for v in x[1].tolist()]
            ends = [int(v) for v in x[2].tolist()]
            axes = [int(v) for v in x[3].tolist()] if len(x) > 3 and x[3] is not None else list(range(len(starts)))
            steps = [int(v) for v in x[4].tolist()] if len(x) > 4 and x[4] is not None else [1] * len(starts)
            idx = [slice(None)] * t.dim()
            for st, en, ax, sp in zip(starts, ends, axes, steps):
                if sp != 1:
                    raise NotImplementedError("Slice with step != 1")
                n = t.shape[ax]
                st = max(0, min(n, st + n if st < 0 else st))
                en = max(0, min(n, en + n if en < 0 else en))
                idx[ax % t.dim()] = slice(st, en)
            return t[tuple(idx)]
        if op in ("MaxPool", "AveragePool"):
            inp = x[0]
            nd = inp.dim() - 2
            k = list(a["kernel_shape"])
            s = list(a.get("strides", [1] * nd))
            pb, pe = _pool_pads(a.get("pads"), nd)
            ceil = bool(a.get("ceil_mode", 0))
            if op == "MaxPool":
                d = list(a.get("dilations", [1] * nd))
                if pb != pe:
                    inp = F.pad(inp, _fpad(pb, pe), value=float("-inf"))
                    pb = [0] * nd
                return F.max_pool2d(inp, k, s, pb, d, ceil_mode=ceil)
            cip = bool(a.get("count_include_pad", 0))
            if pb != pe:
                if not cip:
                    raise NotImplementedError("asymmetric AveragePool pads without count_include_pad")
                inp = F.pad(inp, _fpad(pb, pe))
                pb = [0] * nd
            return F.avg_pool2d(inp, k, s, pb, ceil_mode=ceil, count_include_pad=cip)
        if op == "GlobalAveragePool":
            return x[0].mean(dim=tuple(range(2, x[0].dim())), keepdim=True)
        if op == "GlobalMaxPool":
            return x[0].amax(dim=tuple(range(2, x[0].dim())), keepdim=True)
        if op == "Flatten":
            axis = a.get("axis", 1)
            if axis < 0:
                axis += x[0].dim()
            return x[0].reshape(int(np.prod(x[0].shape[:axis])) if axis else 1, -1)
        if op == "Reshape":
            shape = [int(v) for v in x[1].tolist()]
            if not a.get("allowzero", 0):
                shape = [x[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
            return x[0].reshape(shape)
        if op == "Gemm":
            A, B = x[0], x[1]
            if a.get("transA", 0):
                A = A.t()
            if a.get("transB", 0):
                B = B.t()
            y = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * x[2]
            return y
        if op == "MatMul":
            return x[0] @ x[1]
        if op in ("Identity", "Dropout"):
            return x[0]
        if op == "BatchNormalization":
            eps = a.get("epsilon", 1e-5)
            sh = [1, -1] + [1] * (x[0].dim() - 2)
            scale = x[1] / torch.sqrt(x[4] + eps)
            return (x[0] - x[3].reshape(sh)) * scale.reshape(sh) + x[2].reshape(sh)
        if op == "Concat":
            return torch.cat(x, dim=a["axis"])
        if op == "Transpose":
            perm = a.get("perm", list(reversed(range(x[0].dim()))))
            return x[0].permute(*perm)
        if op in ("Squeeze", "Unsqueeze"):
            axes = a.get("axes", None)
            if axes is None and len(x) > 1 and x[1] is not None:
                axes = [int(v) for v in x[1].tolist()]
            t = x[0]
            if op == "Squeeze":
                if axes is None:
                    return t.squeeze()
                axes = sorted(v % t.dim() for v in axes)
                for ax in reversed(axes):
                    t = t.squeeze(ax)
                return t
            out_rank = t.dim() + len(axes)
            for ax in sorted(v % out_rank for v in axes):
                t = t.unsqueeze(ax)
            return t
        if op == "Shape":
            return torch.tensor(list(x[0].shape), dtype=torch.int64)
        if op == "Gather":
            axis = a.get("axis", 0)
            return torch.index_select(x[0], axis, x[1].reshape(-1).long()).reshape(
                list(x[0].shape[:axis]) + list(x[1].shape) + list(x[0].shape[axis + 1:]))
        if op == "ReduceMean":
            axes = a.get("axes", list(range(x[0].dim())))
            return x[0].mean(dim=tuple(axes), keepdim=bool(a.get("keepdims", 1)))
        if op == "Softmax":
            return F.softmax(x[0], dim=a.get("axis", -1))
        if op == "Pad":
            pads = [int(v) for v in x[1].tolist()]
            nd = len(pads) // 2
            mode = a.get("mode", b"constant")
            mode = mode.decode() if isinstance(mode, bytes) else mode
            value = float(x[2]) if len(x) > 2 and x[2] is not None else 0.0
            return F.pad(x[0], _fpad(pads[:nd], pads[nd:]), mode=mode, value=value) if mode == "constant" \
                else F.pad(x[0], _fpad(pads[2:nd], pads[nd + 2:]), mode=mode)
        raise NotImplementedError("ONNX op not supported by tools/onnx_torch.py: " + op)

    # ------------------------------------------------------------------ write back
    def export(self, path):
        """Write a copy of the original model with initializers replaced by the current parameters."""
        m = onnx.ModelProto()
        m.CopyFrom(self.model_proto)
        for t in m.graph.initializer:
            if t.name in self._pkey:
                arr = self.params[self._pkey[t.name]].detach().cpu().numpy().astype(np.float32)
                t.CopyFrom(numpy_helper.from_array(arr, t.name))
        onnx.save(m, path)
