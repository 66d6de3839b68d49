#!/usr/bin/python3
"""models/quantize_qdq.py: writes the QDQ int8 form of an fp32 ONNX model, as
ONNX Runtime's static quantizer (quantize_static, QuantFormat.QDQ, per_channel)
and torch's QAT export write it, for vitc's int8 tests and benchmarks. Neither
ONNX Runtime's Python package nor torch's quantizer is available here (no PyPI),
so the form is written directly with onnx 1.12 and numpy:

  * every Linear (MatMul or Gemm by a constant weight) reads its input through
    QuantizeLinear -> DequantizeLinear with one uint8 scale and zero point per
    tensor (MinMax calibration, the range widened to include 0, as ONNX
    Runtime's MinMaxCalibrater: scale = (max - min) / 255, zero point
    round(-min / scale)); a tensor read by several Linears gets one pair;
  * the weight is an int8 initializer, symmetric per output channel (scale =
    max|w| / 127, zero point 0), behind DequantizeLinear with `axis` (1 for a
    MatMul's [K, N] weight, 0 for a Gemm's transB [N, K] one);
  * the bias stays float32; attention's MatMuls (two activations), LayerNorm,
    Softmax and the conv stem stay float.

Calibration runs the fp32 model in ONNX Runtime (tests/ort/ort_run.js, the
graph's Linear inputs added as outputs) on N random inputs (its --gen-inputs:
uniform in [-1, 1), seeds 100..100+N-1).

    /usr/bin/python3 models/quantize_qdq.py models/deit_tiny.onnx models/deit_tiny_qdq.onnx [--calib 4]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(HERE, "..", "tests", "ort", "ort_run.js")


def linears(model):
    """(node, input name, weight initializer, axis of the output channels) of every Linear."""
    inits = {i.name: i for i in model.graph.initializer}
    out = []
    for n in model.graph.node:
        if n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2:
            out.append((n, n.input[0], inits[n.input[1]], 1))
        elif n.op_type == "Gemm" and n.input[1] in inits:
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            if attrs.get("transA", 0) == 0:
                out.append((n, n.input[0], inits[n.input[1]], 0 if attrs.get("transB", 0) else 1))
    return out


def calibrate(model, names, count):
    """Min and max of each tensor in names over `count` random inputs, from ONNX Runtime."""
    aug = onnx.ModelProto()
    aug.CopyFrom(model)
    del aug.graph.output[:]
    for name in names:
        aug.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    lo = {n: 0.0 for n in names}
    hi = {n: 0.0 for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "calib.onnx")
        onnx.save(aug, path)
        for seed in range(100, 100 + count):
            d = os.path.join(tmp, "s%d" % seed)
            os.mkdir(d)
            subprocess.run(["node", ORT_RUN, path, "--gen-inputs", d, "--seed", str(seed), "--out-dir", d],
                           check=True, stdout=subprocess.DEVNULL)
            for k, name in enumerate(names):
                v = np.fromfile(os.path.join(d, "ort_output%d.bin" % k), dtype=np.float32)
                lo[name] = min(lo[name], float(v.min()))
                hi[name] = max(hi[name], float(v.max()))
    return lo, hi


def uint8_params(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    zp = int(np.clip(np.rint(-lo / scale), 0, 255))
    return scale, zp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--calib", type=int, default=4, help="random calibration inputs (default 4)")
    args = ap.parse_args()
    model = onnx.load(args.src)
    found = linears(model)
    if not found:
        sys.exit("quantize_qdq: %s has no MatMul or Gemm by a constant weight" % args.src)
    acts = sorted({x for _, x, _, _ in found})
    lo, hi = calibrate(model, acts, args.calib)

    g = model.graph
    new_inits, new_nodes, dq_of = [], {}, {}
    for x in acts:  # one Q -> DQ per quantized tensor, placed after its producer
        s, z = uint8_params(lo[x], hi[x])
        base = x.strip("/").replace("/", "_")
        new_inits += [numpy_helper.from_array(np.array(s, np.float32), base + "_scale"),
                      numpy_helper.from_array(np.array(z, np.uint8), base + "_zero_point")]
        q = helper.make_node("QuantizeLinear", [x, base + "_scale", base + "_zero_point"], [base + "_quantized"],
                             name=base + "_QuantizeLinear")
        dq = helper.make_node("DequantizeLinear", [base + "_quantized", base + "_scale", base + "_zero_point"],
                              [base + "_dequantized"], name=base + "_DequantizeLinear")
        new_nodes[x] = [q, dq]
        dq_of[x] = base + "_dequantized"
    weight_nodes = {}
    drop = set()
    for n, x, w, axis in found:
        wv = numpy_helper.to_array(w).astype(np.float32)
        amax = np.abs(wv).max(axis=1 - axis)
        scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        shape = [1, -1] if axis == 1 else [-1, 1]
        wq = np.clip(np.rint(wv / scale.reshape(shape)), -127, 127).astype(np.int8)
        wname = w.name.replace(":", "_")
        new_inits += [numpy_helper.from_array(wq, wname + "_quantized"),
                      numpy_helper.from_array(scale, wname + "_scale"),
                      numpy_helper.from_array(np.zeros(scale.shape, np.int8), wname + "_zero_point")]
        dq = helper.make_node("DequantizeLinear", [wname + "_quantized", wname + "_scale", wname + "_zero_point"],
                              [wname + "_dequantized"], name=wname + "_DequantizeLinear", axis=axis)
        weight_nodes[n.name] = dq
        n.input[0] = dq_of[x]
        n.input[1] = wname + "_dequantized"
        drop.add(w.name)

    # rebuild the node list in order: each Q/DQ pair right after its tensor's producer (or first,
    # for a graph input), each weight's DQ right before its Linear
    produced = {o: n for n in g.node for o in n.output}
    nodes = []
    for x in acts:
        if x not in produced:
            nodes += new_nodes[x]
    for n in g.node:
        if n.name in weight_nodes:
            nodes.append(weight_nodes[n.name])
        nodes.append(n)
        for o in n.output:
            if o in new_nodes:
                nodes += new_nodes[o]
    del g.node[:]
    g.node.extend(nodes)
    keep = [i for i in g.initializer if i.name not in drop]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    if model.opset_import[0].version < 13:
        sys.exit("quantize_qdq: per-axis DequantizeLinear needs opset 13 (model has %d)" % model.opset_import[0].version)
    onnx.checker.check_model(model)
    onnx.save(model, args.dst)
    print("quantize_qdq: %s: %d Linears quantized (%d activation tensors), %d bytes"
          % (args.dst, len(found), len(acts), os.path.getsize(args.dst)))


if __name__ == "__main__":
    main()
