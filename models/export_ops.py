#!/usr/bin/python3
"""Write the op test models of models/ops/: one small ONNX graph per op family, every configuration a
branch of its own with its own output, built with onnx.helper at the opset real exports of that op use.

Usage:
    /usr/bin/python3 models/export_ops.py [--out-dir models/ops] [--only NAME ...] [--list]

tests/CMakeLists.txt runs each file against ONNX Runtime on every target (check_models, ops_NAME_TARGET),
so these graphs are where an op's attributes (groups, strides, dilations, pads, auto_pad, output_shape, ...)
meet the reference that real deployments use, rather than the ONNX backend data's numpy outputs. Weights
are random from a fixed seed, so running the script again gives byte-identical files; every file passes
onnx.checker.check_model(full_check=True).

Use /usr/bin/python3 (Debian's python3-onnx 1.12, python3-numpy).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


class G:
    """A graph under construction: inputs, initializers, nodes and outputs."""

    def __init__(self, name, opset, seed):
        self.name, self.opset = name, opset
        self.rng = np.random.default_rng(seed)
        self.inputs, self.inits, self.nodes, self.outputs = [], [], [], []

    def input(self, name, shape, dtype=TensorProto.FLOAT):
        self.inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, name, shape, scale=0.5):
        return self.const(name, (self.rng.uniform(-1, 1, size=shape) * scale).astype(np.float32))

    def node(self, op, ins, out, **attrs):
        self.nodes.append(helper.make_node(op, ins, [out] if isinstance(out, str) else out,
                                           name=f"{op}_{len(self.nodes)}", **attrs))
        return out

    def output(self, name, dtype=TensorProto.FLOAT):
        self.outputs.append(helper.make_tensor_value_info(name, dtype, None))

    def model(self):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name="vitc models/export_ops.py")
        m.ir_version = 7
        return m


def convtranspose():
    """ConvTranspose at opset 11: groups, strides, dilations, pads, output_padding, output_shape, auto_pad, 1-D."""
    g = G("convtranspose", 11, 1)
    x = g.input("x", [1, 4, 5, 6])
    cases = [
        # name, W shape, bias, attributes
        ("unet_k2s2", [4, 3, 2, 2], True, dict(strides=[2, 2])),
        ("k4s2p1", [4, 2, 4, 4], False, dict(strides=[2, 2], pads=[1, 1, 1, 1])),
        ("group2_s2_asym_pads", [4, 3, 3, 3], True, dict(group=2, strides=[2, 2], pads=[0, 1, 2, 1])),
        ("depthwise_s2", [4, 1, 3, 3], True, dict(group=4, strides=[2, 2], pads=[1, 1, 1, 1],
                                                  output_padding=[1, 1])),
        ("dilated_s3x2_outpad", [4, 2, 3, 2], True, dict(strides=[3, 2], dilations=[2, 3],
                                                         output_padding=[1, 0])),
        ("output_shape", [4, 2, 3, 3], True, dict(strides=[2, 2], output_shape=[11, 12])),
        ("output_shape_larger", [4, 2, 3, 3], False, dict(strides=[2, 2], output_shape=[12, 14])),
        ("same_upper", [4, 2, 3, 3], True, dict(strides=[2, 2], auto_pad="SAME_UPPER")),
        ("same_lower", [4, 2, 4, 3], True, dict(strides=[2, 3], auto_pad="SAME_LOWER")),
        ("valid_s1", [4, 5, 3, 2], True, dict(auto_pad="VALID")),
        # windows that tile the output (kernel == stride, no pads): col2im writes each output once
        ("tiles_k3s3", [4, 2, 3, 3], False, dict(strides=[3, 3])),
        ("tiles_k2s2_group2", [4, 3, 2, 2], True, dict(group=2, strides=[2, 2])),
    ]
    for name, wshape, bias, attrs in cases:
        ins = [x, g.weight(f"{name}.w", wshape)]
        if bias:
            ins.append(g.weight(f"{name}.b", [wshape[1] * attrs.get("group", 1)]))
        g.output(g.node("ConvTranspose", ins, name, **attrs))
    x1 = g.input("x1", [2, 4, 7])
    for name, wshape, attrs in [("conv1d_s2", [4, 3, 3], dict(strides=[2], pads=[1, 0])),
                                ("conv1d_group2_dil2", [4, 2, 2], dict(group=2, strides=[3], dilations=[2]))]:
        g.output(g.node("ConvTranspose", [x1, g.weight(f"{name}.w", wshape), g.weight(f"{name}.b", [wshape[1] * attrs.get("group", 1)])],
                        name, **attrs))
    return g.model()


def conv():
    """Conv at opset 11 on maps wide enough that the packed conv's implicit GEMM cuts them into bands of output
    rows (VITC__CONV2D_BAND_ROWS in templates/gemm/f32-gemm-driver.c, 64 Ki floats of phase planes a band; the
    rows per band are in each name): bands of one row, a short last band, strides 2, dilation 2, asymmetric pads,
    an activation fused, and a conv too wide for a band of one row (im2col)."""
    g = G("conv", 11, 2)
    cases = [
        # name, input shape, W shape, attributes, followed by Relu
        ("band14_s2_relu", [1, 16, 70, 130], [24, 16, 3, 3], dict(strides=[2, 2], pads=[1, 1, 1, 1]), True),
        ("band14_s2_pads_t0_l1_b1_r0", [1, 16, 70, 130], [12, 16, 3, 3], dict(strides=[2, 2], pads=[0, 1, 1, 0]), False),
        ("band1_rows", [1, 56, 5, 300], [16, 56, 3, 3], dict(pads=[1, 1, 1, 1]), True),
        ("band1_rows_s2", [1, 48, 9, 250], [13, 48, 3, 3], dict(strides=[2, 2], pads=[1, 1, 1, 1]), False),
        ("band6_dil2_pad2", [1, 32, 20, 200], [8, 32, 3, 3], dict(dilations=[2, 2], pads=[2, 2, 2, 2]), False),
        ("too_wide_im2col", [1, 56, 3, 600], [12, 56, 3, 3], dict(pads=[1, 1, 1, 1]), False),
    ]
    inputs = {}
    for name, xshape, wshape, attrs, relu in cases:
        key = tuple(xshape)
        if key not in inputs:
            inputs[key] = g.input(f"x{len(inputs)}", xshape)
        y = g.node("Conv", [inputs[key], g.weight(f"{name}.w", wshape), g.weight(f"{name}.b", [wshape[0]])],
                   name + ("_conv" if relu else ""), kernel_shape=wshape[2:], **attrs)
        g.output(g.node("Relu", [y], name) if relu else y)
    return g.model()


def winograd():
    """3x3 stride-1 convs that vitc runs as Winograd's F(2x2, 3x3) on the SIMD targets (ops/conv.c:
    conv_winograd; nodes named win_*): odd output sizes (a last tile row or column of one), batch 2, no
    padding, asymmetric pads, SAME_UPPER, input channels not a multiple of 16, output channels not a multiple of
    the GEMM's panel, Relu and SiLU fused; and near misses that must keep the GEMM conv (named near_*): stride 2,
    dilation 2, group 2, 8 input channels, 24 output channels, a residual Add fused into the conv. At opset 11."""
    g = G("winograd", 11, 3)
    x = g.input("x", [2, 16, 9, 11])
    x20 = g.input("x20", [1, 20, 6, 7])
    x8 = g.input("x8", [2, 8, 9, 11])
    cases = [
        # name, input, W shape, attributes, then: None, "relu", "silu" or "residual"
        ("win_pad1_relu", x, [32, 16, 3, 3], dict(pads=[1, 1, 1, 1]), "relu"),
        ("win_valid", x, [40, 16, 3, 3], {}, None),
        ("win_pads_t0_l2_b1_r1", x, [32, 16, 3, 3], dict(pads=[0, 2, 1, 1]), None),
        ("win_same_upper_nobias", x, [32, 16, 3, 3], dict(auto_pad="SAME_UPPER"), None),
        ("win_cin20_cout33_silu", x20, [33, 20, 3, 3], dict(pads=[1, 1, 1, 1]), "silu"),
        ("near_stride2", x, [32, 16, 3, 3], dict(strides=[2, 2], pads=[1, 1, 1, 1]), None),
        ("near_dilation2", x, [32, 16, 3, 3], dict(dilations=[2, 2], pads=[2, 2, 2, 2]), None),
        ("near_group2", x, [32, 8, 3, 3], dict(group=2, pads=[1, 1, 1, 1]), None),
        ("near_cin8", x8, [32, 8, 3, 3], dict(pads=[1, 1, 1, 1]), "relu"),
        ("near_cout24", x, [24, 16, 3, 3], dict(pads=[1, 1, 1, 1]), None),
        ("near_residual", x, [16, 16, 3, 3], dict(pads=[1, 1, 1, 1]), "residual"),
    ]
    for name, xin, wshape, attrs, after in cases:
        ins = [xin, g.weight(f"{name}.w", wshape)]
        if "nobias" not in name:
            ins.append(g.weight(f"{name}.b", [wshape[0]]))
        y = name + "_conv" if after else name
        g.nodes.append(helper.make_node("Conv", ins, [y], name=name, kernel_shape=[3, 3], **attrs))
        if after == "relu":
            y = g.node("Relu", [y], name)
        elif after == "silu":
            y = g.node("Mul", [y, g.node("Sigmoid", [y], name + "_sigmoid")], name)
        elif after == "residual":
            y = g.node("Add", [y, xin], name)
        g.output(y)
    return g.model()


def reduce():
    """The Reduce family and ArgMax/ArgMin at opset 13 (axes attributes; ReduceSum's axes a constant input)."""
    g = G("reduce", 13, 2)
    x = g.input("x", [2, 3, 4, 5])
    pos = g.node("Abs", [x], "x_abs")
    for op in ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2",
               "ReduceLogSumExp"]:
        for i, (axes, keep) in enumerate([([1], 1), ([2, 3], 0), ([0, 2], 1), (None, 0)]):
            attrs = dict(keepdims=keep)
            if axes is not None:
                attrs["axes"] = axes
            g.output(g.node(op, [x], f"{op}_{i}", **attrs))
    for i, (axes, keep) in enumerate([([-1], 1), ([1, 3], 0)]):
        g.output(g.node("ReduceLogSum", [pos], f"ReduceLogSum_{i}", axes=axes, keepdims=keep))
        g.output(g.node("ReduceSum", [x, g.const(f"sum_axes_{i}", np.array(axes, np.int64))], f"ReduceSum_{i}",
                        keepdims=keep))
    for op in ["ArgMax", "ArgMin"]:
        for i, (axis, keep, last) in enumerate([(1, 1, 0), (-1, 0, 1), (0, 0, 0)]):
            g.output(g.node(op, [x], f"{op}_{i}", axis=axis, keepdims=keep, select_last_index=last),
                     TensorProto.INT64)
    return g.model()


def norm():
    """LayerNormalization with its Mean and InvStdDev outputs read, InstanceNormalization, LRN,
    MeanVarianceNormalization (opset 17)."""
    g = G("norm", 17, 3)
    x = g.input("x", [2, 6, 5, 4])
    for i, axis in enumerate([-1, 1, 2]):
        shape = [2, 6, 5, 4][axis:]
        outs = [f"ln{i}", f"ln{i}_mean", f"ln{i}_invstd"]
        g.node("LayerNormalization", [x, g.weight(f"ln{i}.s", shape), g.weight(f"ln{i}.b", shape)], outs, axis=axis,
               epsilon=1e-3)
        for o in outs:
            g.output(o)
    g.output(g.node("LayerNormalization", [x, g.weight("ln_noB.s", [4])], "ln_no_bias"))
    g.output(g.node("InstanceNormalization", [x, g.weight("in.s", [6]), g.weight("in.b", [6])], "instnorm",
                    epsilon=1e-4))
    x3 = g.input("x3", [1, 3, 7])
    g.output(g.node("InstanceNormalization", [x3, g.weight("in3.s", [3]), g.weight("in3.b", [3])], "instnorm_1d"))
    xl = g.input("xl", [2, 7, 6, 9])  # 54 positions: whole vectors and a tail on every target
    g.output(g.node("LRN", [xl], "lrn_alexnet", size=5, alpha=1e-4, beta=0.75, bias=2.0))
    g.output(g.node("LRN", [xl], "lrn_3", size=3, alpha=0.5, beta=0.6, bias=1.0))  # ONNX Runtime refuses even sizes
    g.output(g.node("LRN", [xl], "lrn_wide", size=11, alpha=2.0, beta=1.5, bias=0.5))
    g.output(g.node("LRN", [x], "lrn_default", size=3))  # ONNX Runtime runs 4-D X only
    g.output(g.node("MeanVarianceNormalization", [xl], "mvn"))
    g.output(g.node("MeanVarianceNormalization", [xl], "mvn_hw", axes=[2, 3]))
    g.output(g.node("MeanVarianceNormalization", [x3], "mvn_c", axes=[1]))
    return g.model()


def groupnorm():
    """GroupNormalization-18 (scale and bias per group; ONNX 1.12's checker predates it, so it is not checked)."""
    g = G("groupnorm", 18, 4)
    x = g.input("x", [2, 6, 5, 4])
    for groups in [1, 2, 3, 6]:
        g.output(g.node("GroupNormalization", [x, g.weight(f"gn{groups}.s", [groups]), g.weight(f"gn{groups}.b", [groups])],
                        f"groupnorm_{groups}", num_groups=groups, epsilon=1e-5))
    return g.model()


def pool():
    """MaxPool/AveragePool at opset 12: ceil_mode, dilations (MaxPool), pads, auto_pad, count_include_pad,
    1-D; GlobalMaxPool."""
    g = G("pool", 12, 5)
    x = g.input("x", [1, 3, 9, 10])
    cases = [
        ("MaxPool", "max_k3s2_ceil", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
        ("MaxPool", "max_k3s2_pad_ceil", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)),
        ("MaxPool", "max_dil2", dict(kernel_shape=[2, 3], dilations=[2, 2], strides=[1, 2])),
        ("MaxPool", "max_dil2_ceil", dict(kernel_shape=[2, 2], dilations=[2, 3], strides=[2, 2], ceil_mode=1)),
        ("MaxPool", "max_same_upper", dict(kernel_shape=[3, 2], strides=[2, 3], auto_pad="SAME_UPPER")),
        ("MaxPool", "max_same_lower", dict(kernel_shape=[2, 3], strides=[2, 2], auto_pad="SAME_LOWER")),
        ("MaxPool", "max_valid", dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="VALID")),
        ("AveragePool", "avg_k3s2_ceil", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
        ("AveragePool", "avg_pad_include", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                                                count_include_pad=1)),
        ("AveragePool", "avg_pad_exclude_ceil", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 1],
                                                     ceil_mode=1)),
        ("AveragePool", "avg_include_ceil", dict(kernel_shape=[2, 2], strides=[2, 2], pads=[0, 1, 0, 1],
                                                 count_include_pad=1, ceil_mode=1)),
        ("AveragePool", "avg_same_upper", dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")),
        ("AveragePool", "avg_same_lower_incl", dict(kernel_shape=[2, 3], strides=[2, 2], auto_pad="SAME_LOWER",
                                                    count_include_pad=1)),
    ]
    for op, name, attrs in cases:
        g.output(g.node(op, [x], name, **attrs))
    g.output(g.node("GlobalMaxPool", [x], "global_max"))
    x1 = g.input("x1", [2, 3, 11])
    g.output(g.node("MaxPool", [x1], "max_1d", kernel_shape=[3], strides=[2], pads=[1, 1], ceil_mode=1))
    g.output(g.node("AveragePool", [x1], "avg_1d", kernel_shape=[4], strides=[3], pads=[2, 1]))
    g.output(g.node("GlobalMaxPool", [x1], "global_max_1d"))
    return g.model()


def lppool():
    """LpPool at opset 18 (p = 1, 2, 3; pads, strides, dilations, ceil_mode, auto_pad, 1-D) on a map wide enough
    for whole vectors of 16 lanes, and GlobalLpPool on 2-D and 1-D maps."""
    g = G("lppool", 18, 8)
    x = g.input("x", [1, 4, 12, 40])
    cases = [
        ("lp2_k3", dict(kernel_shape=[3, 3])),
        ("lp1_k2s2", dict(kernel_shape=[2, 2], strides=[2, 2], p=1)),
        ("lp3_k3_pad", dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], p=3)),
        ("lp2_k3s2_ceil", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 1], ceil_mode=1)),
        ("lp2_dil2", dict(kernel_shape=[2, 3], dilations=[2, 2], strides=[1, 2])),
        ("lp1_same_upper", dict(kernel_shape=[3, 2], strides=[2, 3], auto_pad="SAME_UPPER", p=1)),
        ("lp4_k1x5", dict(kernel_shape=[1, 5], pads=[0, 2, 0, 2], p=4)),
    ]
    for name, attrs in cases:
        g.output(g.node("LpPool", [x], name, **attrs))
    for p in [1, 2, 3]:
        g.output(g.node("GlobalLpPool", [x], f"global_lp{p}", p=p))
    x1 = g.input("x1", [2, 3, 37])
    g.output(g.node("LpPool", [x1], "lp2_1d", kernel_shape=[4], strides=[3], pads=[2, 1]))
    g.output(g.node("GlobalLpPool", [x1], "global_lp2_1d"))
    return g.model()


def layout():
    """Tile, DepthToSpace (DCR, CRD), SpaceToDepth, Pad (constant with a value, reflect, edge, negative pads,
    axes-free), Trilu, CastLike at opset 15."""
    g = G("layout", 15, 6)
    x = g.input("x", [1, 8, 4, 6])
    i64 = lambda name, v: g.const(name, np.array(v, np.int64))
    g.output(g.node("Tile", [x, i64("tile_reps", [2, 1, 3, 1])], "tile"))
    g.output(g.node("DepthToSpace", [x], "d2s_dcr", blocksize=2))
    g.output(g.node("DepthToSpace", [x], "d2s_crd", blocksize=2, mode="CRD"))
    g.output(g.node("SpaceToDepth", [x], "s2d", blocksize=2))
    g.output(g.node("Pad", [x, i64("pads_c", [0, 0, 1, 2, 0, 1, 2, 0]), g.const("pad_v", np.array(0.5, np.float32))],
                    "pad_constant"))
    g.output(g.node("Pad", [x, i64("pads_r", [0, 0, 2, 3, 0, 0, 1, 5])], "pad_reflect", mode="reflect"))
    g.output(g.node("Pad", [x, i64("pads_e", [0, 1, 3, 1, 0, 0, 2, 4])], "pad_edge", mode="edge"))
    g.output(g.node("Pad", [x, i64("pads_n", [0, -1, 1, -2, 0, 0, -1, 1])], "pad_crop"))
    m = g.input("m", [2, 5, 7])
    g.output(g.node("Trilu", [m], "triu"))
    g.output(g.node("Trilu", [m, i64("k_neg", -1)], "tril_k-1", upper=0))
    g.output(g.node("Trilu", [m, i64("k_pos", 2)], "triu_k2"))
    g.output(g.node("CastLike", [x, i64("like", [0])], "castlike_i64"), TensorProto.INT64)
    return g.model()


def misc():
    """Einsum (transformer forms, a diagonal, sums), Hardmax, OneHot, Sum/Mean of three, CumSum (exclusive, reverse),
    IsNaN, IsInf, EyeLike, NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, Mod with fmod=1 on floats at opset
    13."""
    g = G("misc", 13, 7)
    q = g.input("q", [2, 3, 5, 4])
    k = g.weight("k", [2, 3, 6, 4])
    g.output(g.node("Einsum", [q, k], "einsum_qk", equation="bhid,bhjd->bhij"))
    g.output(g.node("Einsum", [q, g.weight("w", [4, 7])], "einsum_proj", equation="bhid,de->bhie"))
    g.output(g.node("Einsum", [q], "einsum_transpose_sum", equation="bhid->bdh"))
    g.output(g.node("Einsum", [g.weight("sq", [3, 5, 5])], "einsum_diag", equation="...ii->...i"))
    g.output(g.node("Hardmax", [q], "hardmax", axis=2))
    idx = g.const("idx", np.array([[0, 3, -1], [2, 1, 4]], np.int64))
    g.output(g.node("OneHot", [idx, g.const("depth", np.array([5], np.int64)), g.const("vals", np.array([0.5, 2.0], np.float32))],
                    "onehot", axis=1))
    g.output(g.node("Sum", [q, g.weight("s1", [4]), g.weight("s2", [1, 3, 1, 4])], "sum3"))
    g.output(g.node("Mean", [q, g.weight("m1", [5, 4]), g.weight("m2", [2, 1, 1, 1])], "mean3"))
    for i, (ex, rev) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
        g.output(g.node("CumSum", [q, g.const(f"cs_axis{i}", np.array(i - 2, np.int64))], f"cumsum_{i}", exclusive=ex,
                        reverse=rev))
    g.output(g.node("IsNaN", [g.node("Log", [q], "log_q")], "isnan"), TensorProto.BOOL)
    inv = g.node("Reciprocal", [g.node("Relu", [q], "relu_q")], "inv_relu_q")  # +inf where q <= 0
    mixed = g.node("Sub", [inv, g.node("Reciprocal", [g.node("Relu", [g.node("Neg", [q], "neg_q")], "relu_neg_q")],
                                       "inv_relu_neg_q")], "pm_inf")  # +inf, -inf, or inf - inf = NaN at 0
    for i, (pos, neg) in enumerate([(1, 1), (1, 0), (0, 1)]):
        g.output(g.node("IsInf", [mixed], f"isinf_{i}", detect_positive=pos, detect_negative=neg), TensorProto.BOOL)
    g.output(g.node("EyeLike", [g.weight("eye_src", [4, 7])], "eyelike_k1", k=1))
    scores = g.input("scores", [3, 5, 2, 4])
    labels = g.const("labels", np.array([[[0, 4, 2, 1], [3, 3, 0, 1]], [[1, 2, 4, 0], [2, 2, 1, 3]],
                                         [[4, 0, 1, 2], [0, 1, 3, 4]]], np.int64))
    weight = g.const("cls_w", np.array([0.5, 1.0, 2.0, 1.5, 0.25], np.float32))
    for red in ["none", "sum", "mean"]:
        g.output(g.node("SoftmaxCrossEntropyLoss", [scores, labels, weight], f"sce_{red}", reduction=red, ignore_index=2))
        g.output(g.node("NegativeLogLikelihoodLoss", [scores, labels], f"nll_{red}", reduction=red))
    g.node("SoftmaxCrossEntropyLoss", [scores, labels], ["sce_mean_lp", "sce_log_prob"])
    g.output("sce_mean_lp")
    g.output("sce_log_prob")
    q37 = g.node("Mul", [q, g.const("m37", np.array(37.0, np.float32))], "q37")  # quotients up to ~1e3
    g.output(g.node("Mod", [q37, g.weight("mod_b", [4])], "fmod_row", fmod=1))
    g.output(g.node("Mod", [q37, g.const("mod_c", np.array(-0.75, np.float32))], "fmod_const", fmod=1))
    return g.model()


MODELS = {"conv": conv, "convtranspose": convtranspose, "reduce": reduce, "norm": norm, "groupnorm": groupnorm,
          "pool": pool, "lppool": lppool, "layout": layout, "misc": misc, "winograd": winograd}
UNCHECKED = {"groupnorm", "lppool"}  # opsets newer than python3-onnx 1.12 knows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(HERE, "ops"))
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(MODELS))
        return 0
    os.makedirs(a.out_dir, exist_ok=True)
    for name, build in MODELS.items():
        if a.only and name not in a.only:
            continue
        m = build()
        if name not in UNCHECKED:
            m = onnx.shape_inference.infer_shapes(m)  # output shapes, which the checker wants
            del m.graph.value_info[:]
            onnx.checker.check_model(m, full_check=True)
        path = os.path.join(a.out_dir, name + ".onnx")
        onnx.save(m, path)
        print(f"{path}: opset {m.opset_import[0].version}, {len(m.graph.node)} nodes, "
              f"{os.path.getsize(path)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
