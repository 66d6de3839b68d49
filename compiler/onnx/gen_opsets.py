#!/usr/bin/python3
"""compiler/onnx/gen_opsets.py: writes compiler/onnx/opsets.def, the table of the
ONNX op versions vitc reads. A development-time tool (the compiler does not run
Python): run it after adding an op or accepting an older version of one, then
review the diff.

    /usr/bin/python3 compiler/onnx/gen_opsets.py > compiler/onnx/opsets.def
    /usr/bin/python3 compiler/onnx/gen_opsets.py --doc   # the table of docs/onnx.md

An op's versions are ONNX's: every opset in which its schema changed, taken from
the installed ONNX's schemas (Debian's python3-onnx 1.12 knows opsets 1 to 17) and
completed from ONNX's docs/Changelog.md for opsets 18 to 21 (CHANGED_AFTER_17).
vitc's choice is only where each op starts (FIRST below): it reads every version
from that one up to opset 21. tests/check_loader.c checks the result against
ONNX's own list (/usr/include/onnx/defs/operator_sets.h)."""
import re
import sys

import onnx.defs

# Schema changes of ops in opsets 18 to 21 (ONNX docs/Changelog.md), for the ops
# in FIRST; python3-onnx 1.12 stops at 17.
CHANGED_AFTER_17 = {
    18: "Pad ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd "
        "ReduceSumSquare Resize ScatterElements ScatterND Split LpPool GroupNormalization Mish "
        "BitwiseAnd BitwiseOr BitwiseXor BitwiseNot CenterCropPad Col2Im",
    19: "AveragePool Cast CastLike Constant DequantizeLinear QuantizeLinear DeformConv Equal Identity Pad Reshape Resize Shape Size",
    20: "ConstantOfShape Gelu IsInf IsNaN ReduceMax ReduceMin AffineGrid GridSample",
    21: "Cast CastLike Constant ConstantOfShape DequantizeLinear QuantizeLinear QLinearMatMul Flatten GroupNormalization Identity Pad Reshape Shape Size "
        "Squeeze Transpose Unsqueeze",
}
MAX_OPSET = 21

# The first version of each op that vitc reads (it reads every later one). An op
# absent here is not read at all; internal ops (vitc.*) are never in model files.
FIRST = {
    # element-wise, one input (version 1 had consumed_inputs, ignored)
    "Abs": 1, "Acos": 7, "Acosh": 9, "Asin": 7, "Asinh": 9, "Atan": 7, "Atanh": 9, "Ceil": 1,
    "Celu": 12, "Cos": 7, "Cosh": 9, "Elu": 1, "Erf": 9, "Exp": 1, "Floor": 1, "Gelu": 20,
    "HardSigmoid": 1, "HardSwish": 14, "IsInf": 10, "IsNaN": 9, "LeakyRelu": 1, "Log": 1,
    "Mish": 18, "Neg": 1, "Not": 1, "Reciprocal": 1, "Relu": 1, "Round": 11, "Selu": 1,
    "Shrink": 9, "Sigmoid": 1, "Sign": 9, "Sin": 7, "Sinh": 9, "Softplus": 1, "Softsign": 1,
    "Sqrt": 1, "Tan": 7, "Tanh": 1, "ThresholdedRelu": 10,
    # two inputs (versions 1 and 6 broadcast by attributes: the loader rewrites them)
    "Add": 1, "And": 1, "BitShift": 11, "Div": 1, "Equal": 1, "Greater": 1, "GreaterOrEqual": 12,
    "Less": 1, "LessOrEqual": 12, "Mod": 10, "Mul": 1, "Or": 1, "Pow": 1, "PRelu": 6, "Sub": 1,
    "Xor": 1, "Where": 9,
    # variadic
    "Max": 6, "Mean": 6, "Min": 6, "Sum": 6,
    # types
    "Cast": 6, "CastLike": 15, "Clip": 6,
    # dense
    "Conv": 1, "ConvTranspose": 1, "Einsum": 12, "Gemm": 6, "MatMul": 1,
    # quantization (ONNX's first versions; 10 is per-tensor only, 13 adds the axis)
    "ConvInteger": 10, "DequantizeLinear": 10, "DynamicQuantizeLinear": 11, "MatMulInteger": 10,
    "QLinearConv": 10, "QLinearMatMul": 10, "QuantizeLinear": 10,
    # pooling
    "AveragePool": 1, "GlobalAveragePool": 1, "GlobalLpPool": 2, "GlobalMaxPool": 1, "LpPool": 2,
    "MaxPool": 1,
    # normalization and softmax (versions before 13 coerce to 2-D: the loader rewrites them)
    "BatchNormalization": 6, "GroupNormalization": 18, "InstanceNormalization": 6,
    "LayerNormalization": 17, "LpNormalization": 1, "LRN": 1, "MeanVarianceNormalization": 9,
    "Hardmax": 1, "LogSoftmax": 1, "Softmax": 1,
    # reductions (axes attributes become an input)
    "ArgMax": 1, "ArgMin": 1, "CumSum": 11, "ReduceL1": 1, "ReduceL2": 1, "ReduceLogSum": 1,
    "ReduceLogSumExp": 1, "ReduceMax": 1, "ReduceMean": 1, "ReduceMin": 1, "ReduceProd": 1,
    "ReduceSum": 1, "ReduceSumSquare": 1, "TopK": 1,
    # shapes and layout (attributes that became inputs are rewritten)
    "Concat": 4, "Constant": 1, "ConstantOfShape": 9, "DepthToSpace": 1, "Dropout": 6,
    "Expand": 8, "EyeLike": 9, "Flatten": 1, "Gather": 1, "GatherElements": 11, "GatherND": 11,
    "Identity": 1, "OneHot": 9, "Pad": 2, "Range": 11, "Reshape": 5, "Resize": 10,
    "ScatterElements": 11, "ScatterND": 11, "Shape": 1, "Size": 1, "Slice": 1, "SpaceToDepth": 1,
    "Split": 2, "Squeeze": 1, "Tile": 6, "Transpose": 1, "Trilu": 14, "Unsqueeze": 1,
    "Upsample": 7,
    # losses (evaluation graphs; ONNX's backend cases)
    "NegativeLogLikelihoodLoss": 12, "SoftmaxCrossEntropyLoss": 12,
}


def main():
    history = {}
    for s in onnx.defs.get_all_schemas_with_history():
        if s.domain in ("", "ai.onnx") and s.since_version <= 17:
            history.setdefault(s.name, set()).add(s.since_version)
    for opset, names in CHANGED_AFTER_17.items():
        for name in names.split():
            history.setdefault(name, set()).add(opset)
    out = sys.stdout
    out.write("/* compiler/onnx/opsets.def: the ONNX op versions vitc reads, one row per op.\n"
              " * GENERATED by compiler/onnx/gen_opsets.py (ONNX's schemas from python3-onnx 1.12 for\n"
              " * opsets 1 to 17, ONNX's docs/Changelog.md for 18 to 21); do not edit: edit FIRST\n"
              " * there and regenerate. tests/check_loader.c checks the rows against ONNX's\n"
              " * /usr/include/onnx/defs/operator_sets.h.\n"
              " *\n"
              " *   VERSIONS(\"OnnxName\", v1, v2, ...)\n"
              " *\n"
              " * lists the opsets in which the op's schema changed, from the first that vitc reads\n"
              " * up to opset %d, so that a model of opset N uses version max{v <= N}: vitc reads\n"
              " * the op at opsets v1 to %d. onnx/upgrade.c rewrites each older version into the\n"
              " * form the ops implement (the newest); an op whose version at the model's opset is\n"
              " * not listed is refused with one error naming the node, the op and the opset. */\n"
              % (MAX_OPSET, MAX_OPSET))
    for name in sorted(FIRST):
        vs = sorted(v for v in history.get(name, ()) if FIRST[name] <= v <= MAX_OPSET)
        if not vs or vs[0] != FIRST[name]:
            sys.exit("gen_opsets: %s has no version %d (ONNX has %s)" % (name, FIRST[name], sorted(history.get(name, ()))))
        out.write('VERSIONS("%s", %s)\n' % (name, ", ".join(str(v) for v in vs)))


def doc_table():
    """The rows of docs/onnx.md's op table: every op with a row in opsets.def that vitc
    implements (a row in compiler/ir/ops.def, or read as another op by onnx_read_as in
    upgrade.c: Upsample as Resize, ...), with its versions. tests/check_loader.c checks the doc against this."""
    here = __import__("os").path.dirname(__file__)
    ops = set(re.findall(r'^OP\(\w+, "([^"]+)"', open(here + "/../ir/ops.def").read(), re.M))
    upgrade_c = open(here + "/upgrade.c").read()  # onnx_read_as's table: the ops read as another one
    aliases = dict(re.findall(r'\{"(\w+)", "(\w+)"\}', upgrade_c[upgrade_c.index("onnx_read_as(const"):]))
    print("| op | versions (the opsets where its schema changed) | read at opsets |")
    print("| --- | --- | --- |")
    for name, vs in re.findall(r'^VERSIONS\("(\w+)", ([0-9, ]+)\)', open(here + "/opsets.def").read(), re.M):
        if name in ops or aliases.get(name) in ops:
            print("| %s | %s | %s to %d |" % (name, vs, vs.split(",")[0], MAX_OPSET))


if len(sys.argv) > 1 and sys.argv[1] == "--doc":
    doc_table()
else:
    main()
