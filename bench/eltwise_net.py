"""bench/eltwise_net.py: a small graph dominated by element-wise ops, pools and a
reduction, for timing the SIMD kernels of issue 14 against ONNX Runtime
(docs/PERFORMANCE.md, "Element-wise ops, pools and reductions").

    python3 bench/eltwise_net.py OUT.onnx   # then bench/compare.sh OUT.onnx

The op mix of a tf2onnx-style CNN and an audio front end without their convs:
LeakyRelu, MaxPool 3x3/1 and 2x2/2, Max(x, 0.2 x) (tf2onnx's LeakyRelu), Pow(x, 2),
Log(x + 1), Clip(0, 6), AveragePool 3x3/1, Sqrt (Pow 0.5), Sigmoid, ReduceMax over
the channels and Softmax over the last axis, on a 1x32x128x128 input (opset 13,
torch's exporter). One 1x1 conv (32 -> 32) keeps the graph from being only that. """
import sys

import torch
import torch.nn.functional as F


class EltwiseNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.mix = torch.nn.Conv2d(32, 32, 1)

    def forward(self, x):
        x = F.leaky_relu(x, 0.1)
        x = F.max_pool2d(x, 3, 1, 1)
        x = torch.maximum(x, 0.2 * x)
        x = F.max_pool2d(x, 2, 2)
        x = self.mix(x)
        y = torch.log(x.pow(2) + 1.0)
        y = torch.clamp(y, 0.0, 6.0)
        y = F.avg_pool2d(y, 3, 1, 1)
        y = torch.sqrt(y) * torch.sigmoid(x)
        m = torch.amax(y, dim=1, keepdim=True)
        return torch.softmax(y - m, dim=-1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 bench/eltwise_net.py OUT.onnx")
    torch.onnx.export(EltwiseNet().eval(), torch.randn(1, 32, 128, 128), sys.argv[1], opset_version=13,
                      input_names=["input"], output_names=["output"])
