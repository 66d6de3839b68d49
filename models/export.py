#!/usr/bin/python3
"""Build and export vitc's test models with torch 1.13's legacy ONNX exporter.

Usage:
    /usr/bin/python3 models/export.py [--out-dir models] [--only NAME ...] [--list] [--no-ort]

Every model is built from a fixed seed (torch.manual_seed per model, so --only does not change results) with
random weights initialised so activations stay O(1), exported, checked with onnx.checker, run once in ONNX
Runtime through tests/ort/ort_run.js (needs `ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix tests/ort`)
and compared with the torch forward pass on the same generated input. A table of op types per model is
printed at the end. See models/README.md for what each model exercises.

Use /usr/bin/python3 (Debian's python3-torch 1.13, python3-onnx 1.12, python3-numpy).
"""
import argparse
import collections
import math
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ORT_RUN = os.path.join(REPO, "tests", "ort", "ort_run.js")


# ----------------------------------------------------------------------------------------------------------
# initialisation
# ----------------------------------------------------------------------------------------------------------
def init_weights(model, linear_std=None):
    """Linear weights: truncated normal (+-2 std) with std `linear_std` (timm: 0.02) or, if None,
    1/sqrt(fan_in) so q.k logits and MLP activations are O(1) in the small test models. Biases and
    LayerNorm/BatchNorm parameters/statistics are perturbed so none is trivially 0 or 1."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            std = linear_std if linear_std is not None else 1.0 / math.sqrt(m.in_features)
            nn.init.trunc_normal_(m.weight, std=std, a=-2 * std, b=2 * std)
            if m.bias is not None:
                nn.init.normal_(m.bias, std=0.02)
        elif isinstance(m, nn.LayerNorm):
            nn.init.normal_(m.weight, mean=1.0, std=0.05)
            nn.init.normal_(m.bias, std=0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, mean=1.0, std=0.1)
            nn.init.normal_(m.bias, std=0.1)
            with torch.no_grad():
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        elif isinstance(m, nn.MultiheadAttention):
            if m.in_proj_weight is not None:
                std = linear_std if linear_std is not None else 1.0 / math.sqrt(m.embed_dim)
                nn.init.trunc_normal_(m.in_proj_weight, std=std, a=-2 * std, b=2 * std)
            if m.in_proj_bias is not None:
                nn.init.normal_(m.in_proj_bias, std=0.02)
        # Conv2d keeps torch's default (kaiming-uniform, a=sqrt(5)) init and bias.


def calibrate_bn(model, shape, batches=4, batch=8):
    """Set every BatchNorm2d's running statistics to the batch statistics of uniform [-1,1) inputs (the
    distribution tests/ort/ort_run.js --gen-inputs uses), so the conv stacks keep activations O(1) in eval
    mode instead of shrinking layer by layer. The affine weight/bias keep their perturbed values."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.rand(batch, *shape[1:]) * 2 - 1)
    model.eval()
    for m in bns:
        m.momentum = 0.1


# ----------------------------------------------------------------------------------------------------------
# ViT building blocks (timm-style)
# ----------------------------------------------------------------------------------------------------------
class Attention(nn.Module):
    """timm's Attention: qkv Linear -> reshape(B,N,3,H,D) -> permute(2,0,3,1,4) -> unbind -> softmax(q k^T s) v."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden, approximate="none"):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU(approximate=approximate)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm ViT block."""

    def __init__(self, dim, heads, mlp_hidden, eps=1e-6, approximate="none"):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, mlp_hidden, approximate)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class DilutedBlock(Block):
    """NOSE dilution learning at lambda = lam (a constant buffer):
    x = (2 - lam) * x + lam * Attn(LN1(x)); x = x + MLP(LN2(x))."""

    def __init__(self, *a, lam=0.0, **kw):
        super().__init__(*a, **kw)
        self.register_buffer("lam", torch.tensor(float(lam)))

    def forward(self, x):
        x = (2 - self.lam) * x + self.lam * self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class ZeroAttnBlock(Block):
    """Attention multiplied by zero (an initializer 0): x = x + 0 * Attn(LN1(x)); x = x + MLP(LN2(x)).
    `vitc analyze --entropy` must rank these blocks first (tests/check_verify.c)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.register_buffer("zero", torch.tensor(0.0))

    def forward(self, x):
        x = x + self.zero * self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class ShrunkBlock(nn.Module):
    """NOSE shrunk block: x = 2 * x; x = x + MLP(LN2(x)) (LN1, qkv, proj deleted)."""

    def __init__(self, dim, heads, mlp_hidden, eps=1e-6, approximate="none"):
        super().__init__()
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, mlp_hidden, approximate)

    def forward(self, x):
        x = 2 * x
        x = x + self.mlp(self.norm2(x))
        return x


class DilutedLNBlock(Block):
    """A dilution that mixes with LN1(x) instead of x (a real variant): at lambda = lam,
    x = (2 - lam) * LN1(x) + lam * Attn(LN1(x)); x = x + MLP(LN2(x))."""

    def __init__(self, *a, lam=0.0, **kw):
        super().__init__(*a, **kw)
        self.register_buffer("lam", torch.tensor(float(lam)))

    def forward(self, x):
        h = self.norm1(x)
        x = (2 - self.lam) * h + self.lam * self.attn(h)
        x = x + self.mlp(self.norm2(x))
        return x


class IdentityAttnBlock(Block):
    """A block whose attention module was replaced by an identity (nn.Identity): x = x + LN1(x);
    x = x + MLP(LN2(x)). The attention's weights stay in the module but not in the export."""

    def forward(self, x):
        x = x + self.norm1(x)
        x = x + self.mlp(self.norm2(x))
        return x


class MABBlock(nn.Module):
    """MABViT parallel block: h = LN(x); q|k|v|g = Linear(dim, 4 dim)(h) split in 4 (or, with separate=True,
    four Linear(dim, dim)); V = v * act(g) with act = sigmoid (GLU), silu (SwiGLU, exported as Sigmoid and
    Mul) or gelu (GEGLU); x = x + proj(Attn(q, k, V)) + MLP(h)."""

    def __init__(self, dim, heads, mlp_hidden, eps=1e-6, gate="sigmoid", separate=False):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.gate = gate
        self.separate = separate
        self.norm = nn.LayerNorm(dim, eps=eps)
        if separate:
            self.q, self.k, self.v, self.g = (nn.Linear(dim, dim) for _ in range(4))
        else:
            self.qkvg = nn.Linear(dim, dim * 4)
        self.proj = nn.Linear(dim, dim)
        self.mlp = Mlp(dim, mlp_hidden)

    def forward(self, x):
        B, N, C = x.shape
        H, D = self.heads, C // self.heads
        h = self.norm(x)
        if self.separate:
            q, k, v, g = self.q(h), self.k(h), self.v(h), self.g(h)
        else:
            q, k, v, g = self.qkvg(h).chunk(4, dim=-1)
        act = {"sigmoid": torch.sigmoid, "silu": F.silu, "gelu": F.gelu}[self.gate]
        v = v * act(g)
        q = q.reshape(B, N, H, D).transpose(1, 2)
        k = k.reshape(B, N, H, D).transpose(1, 2)
        v = v.reshape(B, N, H, D).transpose(1, 2)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        o = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return x + self.proj(o) + self.mlp(h)


class ViT(nn.Module):
    def __init__(self, img=32, patch=4, dim=64, depth=2, heads=2, mlp=128, classes=10, eps=1e-6,
                 approximate="none", block_types=None):
        super().__init__()
        n = (img // patch) ** 2
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, dim))
        kinds = block_types or ["normal"] * depth
        blocks = []
        for kind in kinds:
            if kind == "normal":
                blocks.append(Block(dim, heads, mlp, eps, approximate))
            elif kind == "diluted0":
                blocks.append(DilutedBlock(dim, heads, mlp, eps, approximate, lam=0.0))
            elif kind == "zeroattn":
                blocks.append(ZeroAttnBlock(dim, heads, mlp, eps, approximate))
            elif kind == "shrunk":
                blocks.append(ShrunkBlock(dim, heads, mlp, eps, approximate))
            elif kind == "diluted1":  # the authors' blocks at lambda = 1: Mul(x, 1) and Mul(1, Attn)
                blocks.append(DilutedBlock(dim, heads, mlp, eps, approximate, lam=1.0))
            elif kind == "dilutedln0":
                blocks.append(DilutedLNBlock(dim, heads, mlp, eps, approximate, lam=0.0))
            elif kind == "identity_attn":
                blocks.append(IdentityAttnBlock(dim, heads, mlp, eps, approximate))
            elif kind == "mab":
                blocks.append(MABBlock(dim, heads, mlp, eps))
            elif kind.startswith("mab_"):  # mab_<gate>[_sep]
                parts = kind.split("_")
                blocks.append(MABBlock(dim, heads, mlp, eps, gate=parts[1], separate="sep" in parts[2:]))
            else:
                raise ValueError(kind)
        self.blocks = nn.Sequential(*blocks)
        self.norm = nn.LayerNorm(dim, eps=eps)
        self.head = nn.Linear(dim, classes)

    def init(self, linear_std=None):
        init_weights(self, linear_std)
        nn.init.trunc_normal_(self.pos_embed, std=0.02, a=-0.04, b=0.04)
        nn.init.trunc_normal_(self.cls_token, std=0.02, a=-0.04, b=0.04)
        return self

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        x = self.blocks(x)
        x = self.norm(x)
        return self.head(x[:, 0])


# ----------------------------------------------------------------------------------------------------------
# MobileViT-like hybrid
# ----------------------------------------------------------------------------------------------------------
class SiLU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)  # exports Sigmoid + Mul


def conv_bn(cin, cout, k=3, s=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(SiLU())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand + BN + SiLU, 3x3 depthwise + BN + SiLU, 1x1 project + BN.
    Residual when shapes match; with avg_shortcut, a stride-2 block gets an AvgPool(3,2,1, no pad count)
    + 1x1 conv + BN shortcut (ResNet-D style)."""

    def __init__(self, cin, cout, stride, expand, avg_shortcut=False):
        super().__init__()
        hid = cin * expand
        self.block = nn.Sequential(
            conv_bn(cin, hid, 1),
            conv_bn(hid, hid, 3, stride, groups=hid),
            conv_bn(hid, cout, 1, act=False),
        )
        self.residual = stride == 1 and cin == cout
        self.shortcut = None
        if avg_shortcut:
            self.shortcut = nn.Sequential(
                nn.AvgPool2d(3, stride, padding=1, count_include_pad=False),
                nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.block(x)
        if self.residual:
            y = x + y
        elif self.shortcut is not None:
            y = y + self.shortcut(x)
        return y


class PoolBranch(nn.Module):
    """x + BN(Conv1x1(MaxPool 3x3 s1 p1 (x))) (inception-style pooling branch)."""

    def __init__(self, c):
        super().__init__()
        self.pool = nn.MaxPool2d(3, 1, 1)
        self.conv = conv_bn(c, c, 1, act=False)

    def forward(self, x):
        return x + self.conv(self.pool(x))


class MVTLayer(nn.Module):
    """Pre-norm transformer layer with SiLU MLP (MobileViT)."""

    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self.fc1 = nn.Linear(dim, mlp)
        self.act = SiLU()
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.fc2(self.act(self.fc1(self.norm2(x))))
        return x


class MobileViTBlock(nn.Module):
    def __init__(self, c, dim, depth, heads, mlp, patch=2):
        super().__init__()
        self.ph = self.pw = patch
        self.conv_kxk = conv_bn(c, c, 3)
        self.conv_1x1 = nn.Conv2d(c, dim, 1, bias=False)
        self.transformer = nn.Sequential(*[MVTLayer(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-5)
        self.conv_proj = conv_bn(dim, c, 1)
        self.conv_fusion = conv_bn(2 * c, c, 3)

    def forward(self, x):
        shortcut = x
        x = self.conv_1x1(self.conv_kxk(x))
        B, C, H, W = x.shape
        ph, pw = self.ph, self.pw
        nh, nw = H // ph, W // pw
        N, P = nh * nw, ph * pw
        # unfold: [B, C, H, W] -> [B*P, N, C]  (timm's MobileVitBlock)
        x = x.reshape(B * C * nh, ph, nw, pw).transpose(1, 2)
        x = x.reshape(B, C, N, P).transpose(1, 3).reshape(B * P, N, C)
        x = self.norm(self.transformer(x))
        # fold: [B*P, N, C] -> [B, C, H, W]
        x = x.contiguous().view(B, P, N, C).transpose(1, 3).reshape(B * C * nh, nw, ph, pw)
        x = x.transpose(1, 2).reshape(B, C, nh * ph, nw * pw)
        x = self.conv_proj(x)
        return self.conv_fusion(torch.cat((shortcut, x), dim=1))


class MobileViTTiny(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = conv_bn(3, 16, 3, 2)                       # 64 -> 32
        self.pool_branch = PoolBranch(16)                       # MaxPool
        self.stages = nn.Sequential(
            InvertedResidual(16, 16, 1, 2),                     # residual
            InvertedResidual(16, 24, 2, 2, avg_shortcut=True),  # 32 -> 16, AvgPool shortcut
            InvertedResidual(24, 24, 1, 2),                     # residual
            MobileViTBlock(24, 48, depth=2, heads=2, mlp=96),
            InvertedResidual(24, 32, 2, 2),                     # 16 -> 8
            conv_bn(32, 64, 1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(64, classes)

    def forward(self, x):
        x = self.pool_branch(self.stem(x))
        x = self.stages(x)
        return self.head(torch.flatten(self.pool(x), 1))


class MobileViTXXS(nn.Module):
    """timm's mobilevit_xxs layout (byobnet cfg: stem 16, stages of inverted residuals with expansion 2 and
    MobileViT blocks of transformer dim 64/80/96, depth 2/4/3, 4 heads, MLP ratio 2, patch 2x2; final 1x1
    conv to 320; GAP; Linear head). Inverted residuals keep an identity shortcut only where shapes match, as
    timm's (downsample='')."""

    def __init__(self, classes=1000):
        super().__init__()
        self.stem = conv_bn(3, 16, 3, 2)
        self.stages = nn.Sequential(
            InvertedResidual(16, 16, 1, 2),
            InvertedResidual(16, 24, 2, 2), InvertedResidual(24, 24, 1, 2), InvertedResidual(24, 24, 1, 2),
            InvertedResidual(24, 48, 2, 2), MobileViTBlock(48, 64, depth=2, heads=4, mlp=128),
            InvertedResidual(48, 64, 2, 2), MobileViTBlock(64, 80, depth=4, heads=4, mlp=160),
            InvertedResidual(64, 80, 2, 2), MobileViTBlock(80, 96, depth=3, heads=4, mlp=192),
        )
        self.final_conv = conv_bn(80, 320, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(320, classes)

    def forward(self, x):
        x = self.final_conv(self.stages(self.stem(x)))
        return self.head(torch.flatten(self.pool(x), 1))


# ----------------------------------------------------------------------------------------------------------
# FilterViT-style hybrid
# ----------------------------------------------------------------------------------------------------------
class FilterAttention(nn.Module):
    def __init__(self, c, hw, k, heads=2, ff=64):
        super().__init__()
        self.k = k
        self.score_conv = nn.Conv2d(c, 1, 7, padding=6, dilation=2, bias=False)
        self.score_bn = nn.BatchNorm2d(1)
        self.pos = nn.Parameter(torch.zeros(hw, c))
        self.encoder = nn.TransformerEncoderLayer(d_model=c, nhead=heads, dim_feedforward=ff, dropout=0.0,
                                                  activation="relu", batch_first=True, norm_first=False)

    def forward(self, x):
        B, C, H, W = x.shape
        score = torch.sigmoid(F.gelu(self.score_bn(self.score_conv(x))))  # [B,1,H,W]
        x = x * score
        feats = x.flatten(2)                                             # [B,C,HW]
        _, idx = torch.topk(score.flatten(1), self.k, dim=1)             # [B,K]
        idx_c = idx.unsqueeze(1).expand(-1, C, -1)                       # [B,C,K]
        tok = torch.gather(feats, 2, idx_c).transpose(1, 2)              # [B,K,C]  GatherElements
        tok = tok + F.embedding(idx, self.pos)                           # Gather on [HW,C] table
        tok = self.encoder(tok)
        out = feats.scatter(2, idx_c, tok.transpose(1, 2))               # ScatterElements
        return out.reshape(B, C, H, W)


class FilterViT(nn.Module):
    def __init__(self, classes=10, c=32, k=64):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.GELU(),   # 32 -> 16
            nn.Conv2d(16, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
        )
        self.filter_attn = FilterAttention(c, 16 * 16, k)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(c, classes)

    def forward(self, x):
        x = self.filter_attn(self.stem(x))
        return self.head(torch.flatten(self.pool(x), 1))


def sinusoid_table(n, dim):
    """The authors' 1-D sinusoidal position encoding of the flat pixel index: [n, dim] (a constant)."""
    position = torch.arange(n, dtype=torch.float).unsqueeze(1)
    div = torch.exp(torch.arange(0, dim, 2).float() * -(math.log(10000.0) / dim))
    t = torch.zeros(n, dim)
    t[:, 0::2] = torch.sin(position * div)
    t[:, 1::2] = torch.cos(position * div)
    return t


class FilterBlock(nn.Module):
    """Filter attention (FilterViT) or random-drop attention (DropoutViT) on a [B,C,H,W] map, in the
    export-friendly forms the authors' indexing (BobSun98/FilterVIT, which does not export) turns into:

    select  "topk":  score = Sigmoid(GELU(BN(Conv C->1, 7x7, dilation d, 'same' padding))), TopK(K) of the
                     flattened score map;
            "const": DropoutViT, a constant index set (a buffer from torch.randperm), the same for every image
    gate    "map": the whole map is multiplied by the score before the gather (the authors' way);
            "selected": the gathered tokens are multiplied by TopK's values; None: no gating
    form    "bchw":  GatherElements along axis 2 of x.flatten(2) [B,C,HW], Transpose to [B,K,C], and the
                     ScatterElements back along axis 2;
            "bhwc":  x.flatten(2).transpose(1, 2) [B,HW,C], GatherElements/ScatterElements along axis 1;
            "index": [B,HW,C] too, but a Gather along axis 1 by one [K] index list (batch 1, or a
                     constant set shared by the batch) and index_copy (ScatterElements) back
    pos     "table": learned [HW,C] table gathered by the same indices (F.embedding: Gather);
            "sin": the authors' constant sinusoidal table (Gather of a constant); None
    encoder "post": torch's nn.TransformerEncoderLayer (post-norm, ReLU), batch_first True or False;
            "torch_pre": the same with norm_first=True; "timm": a timm-style pre-norm Block (GELU MLP)
    """

    def __init__(self, c, hw, k, heads=2, ff=64, select="topk", gate="map", form="bchw", pos="table",
                 encoder="post", batch_first=True, dilation=2):
        super().__init__()
        self.k, self.select, self.gate, self.form, self.pos_kind = k, select, gate, form, pos
        self.encoder_kind, self.batch_first = encoder, batch_first
        if select == "topk":
            self.score_conv = nn.Conv2d(c, 1, 7, padding=3 * dilation, dilation=dilation)
            self.score_bn = nn.BatchNorm2d(1)
        else:
            self.register_buffer("idx", torch.randperm(hw * hw)[:k])
        if pos == "table":
            self.pos = nn.Parameter(torch.zeros(hw * hw, c))
            nn.init.normal_(self.pos, std=0.1)
        elif pos == "sin":
            self.register_buffer("pos", sinusoid_table(hw * hw, c))
        if encoder == "timm":
            self.encoder = Block(c, heads, ff)
        else:
            self.encoder = nn.TransformerEncoderLayer(d_model=c, nhead=heads, dim_feedforward=ff, dropout=0.0,
                                                      activation="relu", batch_first=batch_first,
                                                      norm_first=encoder == "torch_pre")

    def forward(self, x):
        B, C, H, W = x.shape
        vals = None
        if self.select == "topk":
            score = torch.sigmoid(F.gelu(self.score_bn(self.score_conv(x))))  # [B,1,H,W]
            vals, idx = torch.topk(score.flatten(1), self.k, dim=1)            # [B,K]
            if self.gate == "map":
                x = x * score
        else:
            idx = self.idx.unsqueeze(0).expand(B, -1)
        if self.form == "bchw":
            feats = x.flatten(2)                                               # [B,C,HW]
            idx_e = idx.unsqueeze(1).expand(-1, C, -1)                         # [B,C,K]
            tok = torch.gather(feats, 2, idx_e).transpose(1, 2)                # [B,K,C]
        elif self.form == "bhwc":
            feats = x.flatten(2).transpose(1, 2)                               # [B,HW,C]
            idx_e = idx.unsqueeze(-1).expand(-1, -1, C)                        # [B,K,C]
            tok = torch.gather(feats, 1, idx_e)
        else:
            feats = x.flatten(2).transpose(1, 2)
            i1 = self.idx if self.select == "const" else idx[0]               # [K]
            tok = feats[:, i1]                                                 # Gather, axis 1
        if self.gate == "selected":
            tok = tok * vals.unsqueeze(-1)
        if self.pos_kind == "table":
            tok = tok + F.embedding(idx, self.pos)
        elif self.pos_kind == "sin":
            tok = tok + self.pos[idx]
        if self.encoder_kind != "timm" and not self.batch_first:
            tok = self.encoder(tok.transpose(0, 1)).transpose(0, 1)
        else:
            tok = self.encoder(tok)
        if self.form == "bchw":
            return feats.scatter(2, idx_e, tok.transpose(1, 2)).reshape(B, C, H, W)
        if self.form == "bhwc":
            out = feats.scatter(1, idx_e, tok)
        else:
            out = feats.index_copy(1, i1, tok)
        return out.transpose(1, 2).reshape(B, C, H, W)


class FilterNet(nn.Module):
    """A conv stem to c channels at half the input size, FilterBlocks (with an inverted residual s2 between
    two of them), GAP, head."""

    def __init__(self, blocks, c=32, classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.GELU(),
            nn.Conv2d(16, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
        )
        layers, ch = [], c
        for i, kw in enumerate(blocks):
            if i > 0:
                layers.append(InvertedResidual(ch, kw["c"], 2, 2))
            ch = kw["c"]
            layers.append(FilterBlock(**kw))
        self.blocks = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(ch, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(torch.flatten(self.pool(x), 1))


class FilterStage(nn.Module):
    """One FilterBlock alone, on a feature map input (the paper's 28x28 stage)."""

    def __init__(self, **kw):
        super().__init__()
        self.block = FilterBlock(**kw)

    def forward(self, x):
        return self.block(x)


# ----------------------------------------------------------------------------------------------------------
# OCR-style exports at old opsets with dynamic dimensions (issue 10): what paddle2onnx / tf2onnx / older torch
# deployments bring. Each is exported with dynamic batch and spatial dims and compiled with --shape.
# ----------------------------------------------------------------------------------------------------------
class ConvBNAct(nn.Sequential):
    def __init__(self, cin, cout, k=3, s=1, groups=1, act="relu"):
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act == "relu":
            layers.append(nn.ReLU())
        elif act == "hswish":
            layers.append(nn.Hardswish())
        elif act == "relu6":
            layers.append(nn.ReLU6())
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """MobileNetV3 SE: GAP -> 1x1 -> ReLU -> 1x1 -> HardSigmoid -> scale."""

    def __init__(self, c, r=4):
        super().__init__()
        self.fc1 = nn.Conv2d(c, c // r, 1)
        self.fc2 = nn.Conv2d(c // r, c, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * F.hardsigmoid(self.fc2(F.relu(self.fc1(s))))


class MV3Block(nn.Module):
    def __init__(self, cin, hid, cout, k, s, se, act):
        super().__init__()
        self.expand = ConvBNAct(cin, hid, 1, act=act) if hid != cin else nn.Identity()
        self.dw = ConvBNAct(hid, hid, k, s, groups=hid, act=act)
        self.se = SqueezeExcite(hid) if se else nn.Identity()
        self.project = ConvBNAct(hid, cout, 1, act=None)
        self.residual = s == 1 and cin == cout

    def forward(self, x):
        y = self.project(self.se(self.dw(self.expand(x))))
        return x + y if self.residual else y


class MV3Net(nn.Module):
    """The MobileNetV3-small layout of OcrClassifierMV3 and MobileNetV3Small: a stride-2 HardSwish stem of 16
    channels, MV3Blocks given as (cin, hid, cout, k, s, se, act) rows, a 1x1 HardSwish conv to `last` channels,
    the global average pool and a Linear to `classes` logits."""

    def __init__(self, blocks, last, classes):
        super().__init__()
        self.stem = ConvBNAct(3, 16, 3, 2, act="hswish")
        self.blocks = nn.Sequential(*(MV3Block(*b) for b in blocks))
        self.last = ConvBNAct(blocks[-1][2], last, 1, act="hswish")
        self.fc = nn.Linear(last, classes)

    def logits(self, x):
        x = self.last(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class OcrClassifierMV3(MV3Net):
    """Text-direction classifier in the MobileNetV3-small style (HardSwish, SE with HardSigmoid), 4 classes."""

    def __init__(self):
        super().__init__([(16, 16, 16, 3, 2, True, "relu"),
                          (16, 48, 24, 3, 2, False, "relu"),
                          (24, 64, 24, 3, 1, False, "relu"),
                          (24, 96, 40, 5, 2, True, "hswish"),
                          (40, 120, 40, 5, 1, True, "hswish")], last=96, classes=4)

    def forward(self, x):
        return F.softmax(self.logits(x), dim=1)


class OcrDetectorUNet(nn.Module):
    """DB-style text detector: a conv backbone at strides 2..16, an FPN whose top-down path upsamples with
    nearest Resize to the lateral's size, bilinear Resize of every level to stride 4, and a head that
    returns to full resolution with two stride-2 ConvTransposes and a Sigmoid (the probability map)."""

    def __init__(self):
        super().__init__()
        chans = [16, 24, 32, 48]
        self.stages = nn.ModuleList()
        cin = 3
        for c in chans:
            self.stages.append(nn.Sequential(ConvBNAct(cin, c, 3, 2), ConvBNAct(c, c, 3, 1)))
            cin = c
        self.lateral = nn.ModuleList([nn.Conv2d(c, 24, 1) for c in chans])
        self.smooth = nn.ModuleList([nn.Conv2d(24, 8, 3, padding=1) for _ in chans])
        self.head = nn.Sequential(ConvBNAct(32, 16, 3), nn.ConvTranspose2d(16, 16, 2, 2), nn.BatchNorm2d(16),
                                  nn.ReLU(), nn.ConvTranspose2d(16, 1, 2, 2), nn.Sigmoid())

    def forward(self, x):
        feats = []
        for st in self.stages:
            x = st(x)
            feats.append(x)
        lat = [l(f) for l, f in zip(self.lateral, feats)]
        for i in range(len(lat) - 1, 0, -1):  # top-down
            lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], size=lat[i - 1].shape[2:], mode="nearest")
        outs = [sm(l) for sm, l in zip(self.smooth, lat)]
        size = outs[1].shape[2:]  # stride 4
        fused = torch.cat([F.interpolate(o, size=size, mode="bilinear", align_corners=False) for o in outs], 1)
        return self.head(fused)


class ManualLayerNorm(nn.Module):
    """LayerNorm written out in elementary ops (ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add), as older
    exporters and hand-written models have it."""

    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(1 + 0.05 * torch.randn(dim))
        self.bias = nn.Parameter(0.02 * torch.randn(dim))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        var = (x - mu).pow(2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps) * self.weight + self.bias


class RecEncoderLayer(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.norm1 = ManualLayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = ManualLayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        B, N, C = x.shape
        h = self.norm1(x)
        q, k, v = self.qkv(h).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        a = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * (C // self.heads) ** -0.5, -1)
        x = x + self.proj(torch.matmul(a, v).transpose(1, 2).reshape(B, N, C))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class OcrRecognizer(nn.Module):
    """CRNN-style recognizer: a conv stack that pools the height to 1 (MaxPool, AvgPool), the width as the
    sequence, two pre-norm transformer layers with LayerNorm written out, a per-step classifier (37
    classes) and LogSoftmax (CTC)."""

    def __init__(self):
        super().__init__()
        self.cnn = nn.Sequential(ConvBNAct(3, 16), nn.MaxPool2d(2, 2), ConvBNAct(16, 32), nn.MaxPool2d(2, 2),
                                 ConvBNAct(32, 48), nn.MaxPool2d((2, 1), (2, 1)), ConvBNAct(48, 48),
                                 nn.AvgPool2d((4, 1), (4, 1)))
        self.layers = nn.Sequential(RecEncoderLayer(48, 2, 96), RecEncoderLayer(48, 2, 96))
        self.norm = ManualLayerNorm(48)
        self.fc = nn.Linear(48, 37)

    def forward(self, x):
        f = self.cnn(x).squeeze(2).permute(0, 2, 1)  # (B, W/4, C)
        return F.log_softmax(self.fc(self.norm(self.layers(f))), -1)


def build_ocr(cls, shape):
    def build():
        m = cls()
        init_weights(m)
        calibrate_bn(m, shape)
        return m
    return build


class MobileNetV3Small(MV3Net):
    """MobileNetV3-small style at opset 17: native HardSwish and HardSigmoid (SE), ReLU6 (Clip 0..6) blocks,
    BatchNormalization kept, 10 classes (issue 14's third front end)."""

    def __init__(self):
        super().__init__([(16, 16, 16, 3, 2, True, "relu6"),
                          (16, 48, 24, 3, 2, False, "relu6"),
                          (24, 64, 24, 3, 1, False, "relu"),
                          (24, 96, 40, 5, 2, True, "hswish"),
                          (40, 120, 40, 5, 1, True, "hswish"),
                          (40, 144, 48, 5, 1, True, "hswish")], last=144, classes=10)

    def forward(self, x):
        return self.logits(x)


class NhwcKwsCnn(nn.Module):
    """A keyword-spotting embedding CNN as tf2onnx writes one (issue 14): NHWC log-mel input (1, 96, 64, 1), every
    Conv and MaxPool between a Transpose to NCHW and one back (the layout dance), 20 3x3 convs in 5 stages of 4
    (channels 16, 24, 32, 40, 48) with LeakyRelu(0.2) and, on every other conv, tf's leaky_relu as max(x, 0.2 x)
    (Mul and Max), no activation on the last; a 2x2 MaxPool after each stage, the mean over H and W, a Linear
    embedding of 128."""

    def __init__(self):
        super().__init__()
        chans = [16, 24, 32, 40, 48]
        self.convs = nn.ModuleList()
        cin = 1
        for c in chans:
            for _ in range(4):
                conv = nn.Conv2d(cin, c, 3, 1, 1)
                nn.init.kaiming_normal_(conv.weight, a=0.2, nonlinearity="leaky_relu")  # activations stay O(1)
                nn.init.normal_(conv.bias, std=0.05)
                self.convs.append(conv)
                cin = c
        self.embed = nn.Linear(cin, 128)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            if i == len(self.convs) - 1:
                pass
            elif i % 2:
                x = torch.maximum(x, x * 0.2)
            else:
                x = F.leaky_relu(x, 0.2)
            if i % 4 == 3:
                x = F.max_pool2d(x.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)
        return self.embed(x.mean(dim=(1, 2)))


class StftMel(nn.Module):
    """A torch STFT + log-mel front end (issue 14), 1 s of 16 kHz audio (1, 16000): reflect padding of 256 (the
    STFT's center=True), the STFT as a Conv1d of 1 input channel, 257 outputs (a Hann-windowed cosine basis, the
    real part), kernel 512, stride 160; the power (Pow 2); 64 mel filters as a MatMul; Clip at 1e-10; Log; and
    whisper's normalisation max(x, max(x) - 8) (ReduceMax), (x + 4) / 4."""

    def __init__(self, n_fft=512, hop=160, n_mels=64, sr=16000):
        super().__init__()
        n = torch.arange(n_fft, dtype=torch.float64)
        k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)
        window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / n_fft)
        basis = torch.cos(2 * math.pi * k[:, None] * n[None, :] / n_fft) * window[None, :]
        self.register_buffer("basis", basis.float().unsqueeze(1))  # (257, 1, 512)
        mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)
        pts = 700.0 * (10 ** (np.linspace(mel(0.0), mel(sr / 2), n_mels + 2) / 2595.0) - 1.0)
        bins = np.linspace(0, sr / 2, n_fft // 2 + 1)
        fb = np.zeros((n_mels, n_fft // 2 + 1))
        for m in range(n_mels):
            lo, c, hi = pts[m], pts[m + 1], pts[m + 2]
            fb[m] = np.maximum(0, np.minimum((bins - lo) / (c - lo), (hi - bins) / (hi - c)))
        self.register_buffer("mel", torch.from_numpy(fb).float())
        self.hop = hop
        self.pad = n_fft // 2

    def forward(self, x):
        x = F.pad(x.unsqueeze(1), (self.pad, self.pad), mode="reflect")
        spec = F.conv1d(x, self.basis, stride=self.hop).pow(2)  # (1, 257, 101)
        logmel = torch.log(torch.clamp(torch.matmul(self.mel, spec), min=1e-10))
        logmel = torch.maximum(logmel, logmel.max() - 8.0)
        return (logmel + 4.0) / 4.0


def build_seeded(cls):
    def build():
        m = cls()
        init_weights(m)
        return m
    return build


# ----------------------------------------------------------------------------------------------------------
# model registry
# ----------------------------------------------------------------------------------------------------------
def vit_tiny32(approximate="none"):
    return ViT(32, 4, 64, 2, 2, 128, 10, approximate=approximate).init()


def build_deit_tiny():
    return ViT(224, 16, 192, 12, 3, 768, 1000).init(linear_std=0.02)


def build_vit_base16():
    return ViT(224, 16, 768, 12, 12, 3072, 1000).init(linear_std=0.02)


def build_vit_large16():
    return ViT(224, 16, 1024, 24, 16, 4096, 1000).init(linear_std=0.02)


def build_nose_vit32():
    return ViT(32, 4, 64, 4, 2, 128, 10, block_types=["diluted0", "shrunk", "diluted0", "normal"]).init()


def build_nose_zero_vit32():
    kinds = ["normal", "zeroattn", "normal", "zeroattn", "normal", "normal"]
    return ViT(32, 4, 32, 6, 2, 64, 10, block_types=kinds).init()


def build_mabvit32():
    return ViT(32, 4, 64, 2, 2, 128, 10, block_types=["mab", "mab"]).init()


def build_mobilevit():
    m = MobileViTTiny()
    init_weights(m)
    calibrate_bn(m, (1, 3, 64, 64))
    return m


def build_mobilevit_xxs():
    m = MobileViTXXS()
    init_weights(m)
    calibrate_bn(m, (1, 3, 256, 256), batches=2, batch=4)
    return m


# NOSE on DeiT-Tiny: blocks 0, 2, 4, 6 degenerated (the selection PAPERS.md reports for DeiT-T). DilutedBlock
# and Block draw the same random numbers, so deit_tiny_nose has deit_tiny's weights (its undegenerated twin).
NOSE_BLOCKS = (0, 2, 4, 6)


def build_deit_tiny_nose(kind="diluted0"):
    kinds = [kind if i in NOSE_BLOCKS else "normal" for i in range(12)]
    return ViT(224, 16, 192, 12, 3, 768, 1000, block_types=kinds).init(linear_std=0.02)


def build_nose_forms32():
    return ViT(32, 4, 64, 5, 2, 128, 10,
               block_types=["diluted1", "dilutedln0", "identity_attn", "diluted0", "normal"]).init()


def build_mabvit(kind, img=224, patch=16, dim=384, depth=6, heads=6, mlp=1536, classes=1000, std=0.02):
    return ViT(img, patch, dim, depth, heads, mlp, classes, block_types=[kind] * depth).init(linear_std=std)


def build_filter_vit():
    m = FilterViT()
    init_weights(m)
    nn.init.normal_(m.filter_attn.pos, std=0.1)
    calibrate_bn(m, (1, 3, 32, 32))
    return m


def build_filter_net(blocks, c, shape):
    def build():
        m = FilterNet(blocks, c)
        init_weights(m)
        calibrate_bn(m, shape)
        return m
    return build


# FilterViT with torch's post-norm TransformerEncoderLayer in its other export forms: sequence-first
# encoder (batch_first False), the [B,HW,C] transposed map, tokens gated by the selected scores, the
# constant sinusoidal table.
FILTER_SEQ = [dict(c=32, hw=16, k=64, heads=2, ff=64, gate="selected", form="bhwc", pos="sin", encoder="post",
                   batch_first=False)]
# Two stages, 32x32 (K=64) then 16x16 (K=32): a timm pre-norm block on the [B,C,HW] form without a
# position table; then norm_first torch encoder, Gather of one index list, the learned table.
FILTER_TWO = [dict(c=32, hw=32, k=64, heads=2, ff=64, gate="map", form="bchw", pos=None, encoder="timm",
                   dilation=5),
              dict(c=48, hw=16, k=32, heads=2, ff=96, gate="map", form="index", pos="table", encoder="torch_pre",
                   dilation=2)]
# DropoutViT: a constant random index set instead of the score CNN, shared by the batch (Gather axis 1).
DROPOUT = [dict(c=32, hw=16, k=64, heads=2, ff=64, select="const", gate=None, form="index", pos="sin",
                encoder="post")]


def build_filter_stage28():
    """The paper's 28x28 stage: 64 channels, score conv 64->1 7x7 dilation 5, K = 128, sinusoidal table,
    torch's post-norm encoder (4 heads, FF 128)."""
    m = FilterStage(c=64, hw=28, k=128, heads=4, ff=128, gate="map", form="bchw", pos="sin", encoder="post",
                    dilation=5)
    init_weights(m)
    calibrate_bn(m, (1, 64, 28, 28))
    return m


def build_dropout_stage28():
    """DropoutViT's stage at the same scale: a constant random set of 128 of the 784 pixels instead of the score
    CNN, the [B,C,HW] GatherElements form."""
    m = FilterStage(c=64, hw=28, k=128, heads=4, ff=128, select="const", gate=None, form="bchw", pos="sin",
                    encoder="post")
    init_weights(m)
    return m


PRESERVE = torch.onnx.TrainingMode.PRESERVE
EVAL = torch.onnx.TrainingMode.EVAL

# name: (builder, seed, input shape, opset, do_constant_folding, training mode, committed, description)
# TrainingMode.PRESERVE (with model.eval()) keeps BatchNormalization nodes: EVAL runs the exporter's eval
# peephole, which folds Conv+BN into the Conv weights.
MODELS = collections.OrderedDict([
    ("deit_tiny", dict(build=build_deit_tiny, seed=1, shape=(1, 3, 224, 224), opset=17, fold=True, training=EVAL,
                       commit=False)),
    ("vit_tiny32", dict(build=vit_tiny32, seed=2, shape=(1, 3, 32, 32), opset=17, fold=True, training=EVAL)),
    ("vit_tiny32_b2", dict(build=vit_tiny32, seed=2, shape=(2, 3, 32, 32), opset=17, fold=False, training=EVAL)),
    ("vit_tiny32_op13", dict(build=lambda: vit_tiny32("tanh"), seed=2, shape=(1, 3, 32, 32), opset=13, fold=False,
                             training=EVAL)),
    ("mobilevit_tiny", dict(build=build_mobilevit, seed=3, shape=(1, 3, 64, 64), opset=17, fold=False,
                            training=PRESERVE)),
    ("nose_vit32", dict(build=build_nose_vit32, seed=4, shape=(1, 3, 32, 32), opset=17, fold=True, training=EVAL)),
    ("filter_vit", dict(build=build_filter_vit, seed=5, shape=(1, 3, 32, 32), opset=17, fold=True,
                        training=PRESERVE)),
    ("filter_vit_b2", dict(build=build_filter_vit, seed=5, shape=(2, 3, 32, 32), opset=17, fold=True,
                           training=PRESERVE)),
    ("filter_vit_seq", dict(build=build_filter_net(FILTER_SEQ, 32, (2, 3, 32, 32)), seed=8, shape=(2, 3, 32, 32),
                            opset=17, fold=True, training=PRESERVE)),
    ("filter_vit2", dict(build=build_filter_net(FILTER_TWO, 32, (1, 3, 64, 64)), seed=9, shape=(1, 3, 64, 64),
                         opset=17, fold=True, training=PRESERVE)),
    ("dropout_vit", dict(build=build_filter_net(DROPOUT, 32, (2, 3, 32, 32)), seed=10, shape=(2, 3, 32, 32),
                         opset=17, fold=True, training=PRESERVE)),
    ("filter_stage28", dict(build=build_filter_stage28, seed=11, shape=(1, 64, 28, 28), opset=17, fold=True,
                            training=PRESERVE, commit=False)),
    ("dropout_stage28", dict(build=build_dropout_stage28, seed=12, shape=(1, 64, 28, 28), opset=17, fold=True,
                             training=PRESERVE, commit=False)),
    ("mabvit32", dict(build=build_mabvit32, seed=6, shape=(1, 3, 32, 32), opset=17, fold=False, training=EVAL)),
    ("mobilevit_xxs", dict(build=build_mobilevit_xxs, seed=7, shape=(1, 3, 256, 256), opset=17, fold=False,
                           training=PRESERVE, commit=False)),
    ("deit_tiny_nose", dict(build=build_deit_tiny_nose, seed=1, shape=(1, 3, 224, 224), opset=17, fold=True,
                            training=EVAL, commit=False)),
    ("deit_tiny_shrunk", dict(build=lambda: build_deit_tiny_nose("shrunk"), seed=1, shape=(1, 3, 224, 224),
                              opset=17, fold=True, training=EVAL, commit=False)),
    ("nose_forms32", dict(build=build_nose_forms32, seed=8, shape=(1, 3, 32, 32), opset=17, fold=True,
                          training=EVAL)),
    ("mabvit_s", dict(build=lambda: build_mabvit("mab"), seed=9, shape=(1, 3, 224, 224), opset=17, fold=True,
                      training=EVAL, commit=False)),
    ("mabvit_s_geglu", dict(build=lambda: build_mabvit("mab_gelu"), seed=9, shape=(1, 3, 224, 224), opset=17,
                            fold=True, training=EVAL, commit=False)),
    ("mabvit_s_sep", dict(build=lambda: build_mabvit("mab_silu_sep"), seed=9, shape=(1, 3, 224, 224), opset=17,
                          fold=True, training=EVAL, commit=False)),
    ("mabvit32_geglu", dict(build=lambda: build_mabvit("mab_gelu", 32, 4, 64, 2, 2, 128, 10, None), seed=10,
                            shape=(1, 3, 32, 32), opset=17, fold=False, training=EVAL)),
    ("mabvit32_sep", dict(build=lambda: build_mabvit("mab_silu_sep", 32, 4, 64, 2, 2, 128, 10, None), seed=11,
                          shape=(1, 3, 32, 32), opset=17, fold=True, training=EVAL)),
    ("nose_zero_vit32", dict(build=build_nose_zero_vit32, seed=9, shape=(1, 3, 32, 32), opset=17, fold=True,
                             training=EVAL)),
    ("vit_tiny32_extdata", dict(build=vit_tiny32, seed=2, shape=(1, 3, 32, 32), opset=17, fold=True,
                                training=EVAL, extdata="vit_tiny32_extdata.weights")),
    # issue 10: old opsets, dynamic dims (NAME.shape holds the --shape the tests compile them with)
    ("ocr_cls_mv3_op9", dict(build=build_ocr(OcrClassifierMV3, (1, 3, 48, 96)), seed=9, shape=(1, 3, 48, 96),
                             opset=9, fold=True, training=EVAL,
                             dynamic={"input": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"}})),
    ("ocr_det_unet_op11", dict(build=build_ocr(OcrDetectorUNet, (1, 3, 64, 64)), seed=10, shape=(1, 3, 64, 64),
                               opset=11, fold=False, training=PRESERVE,
                               dynamic={"input": {0: "batch", 2: "height", 3: "width"},
                                        "logits": {0: "batch", 2: "height", 3: "width"}})),
    ("ocr_rec_tr_op12", dict(build=build_ocr(OcrRecognizer, (1, 3, 32, 128)), seed=11, shape=(1, 3, 32, 128),
                             opset=12, fold=False, training=EVAL,
                             dynamic={"input": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "steps"}})),
    # issue 14: CNN and audio front ends (tf2onnx's NHWC layout dance, the STFT as a conv, MobileNetV3)
    ("kws_nhwc_cnn", dict(build=build_seeded(NhwcKwsCnn), seed=12, shape=(1, 96, 64, 1), opset=13, fold=True,
                          training=EVAL)),
    ("stft_mel", dict(build=StftMel, seed=13, shape=(1, 16000), opset=13, fold=True, training=EVAL)),
    ("mv3_small", dict(build=build_ocr(MobileNetV3Small, (1, 3, 96, 96)), seed=14, shape=(1, 3, 96, 96), opset=17,
                       fold=False, training=PRESERVE)),
    # bench/big_models.sh: ViT-Base/16 (86M parameters, 346 MB) and ViT-Large/16 (304M, 1.2 GB) at 224, for
    # compile time and memory; exported only when named (--only), never committed.
    ("vit_base16", dict(build=build_vit_base16, seed=7, shape=(1, 3, 224, 224), opset=17, fold=True, training=EVAL,
                        commit=False, default=False)),
    ("vit_large16", dict(build=build_vit_large16, seed=8, shape=(1, 3, 224, 224), opset=17, fold=True,
                         training=EVAL, commit=False, default=False)),
])


# ----------------------------------------------------------------------------------------------------------
# export / check
# ----------------------------------------------------------------------------------------------------------
def export_one(name, spec, out_dir, tmp):
    torch.manual_seed(spec["seed"])
    np.random.seed(spec["seed"])
    model = spec["build"]()
    model.eval()
    for p in model.parameters():
        p.requires_grad_(True)  # keeps TransformerEncoderLayer off its fused fast path while tracing
    dummy = torch.randn(*spec["shape"])
    path = os.path.join(out_dir, name + ".onnx")
    tmp_path = os.path.join(tmp, name + ".onnx")
    with torch.enable_grad(), warnings.catch_warnings():
        # PRESERVE + constant folding warns about models in training mode; ours are in eval mode.
        warnings.filterwarnings("ignore", message="It is recommended that constant folding be turned off")
        torch.onnx.export(model, (dummy,), tmp_path, input_names=["input"], output_names=["logits"],
                          opset_version=spec["opset"], do_constant_folding=spec["fold"],
                          training=spec["training"], dynamic_axes=spec.get("dynamic"), verbose=False)
    proto = onnx.load(tmp_path)
    proto.doc_string = "vitc test model '%s' (models/export.py)" % name
    ext = spec.get("extdata")
    if ext:
        wpath = os.path.join(out_dir, ext)
        if os.path.exists(wpath):
            os.remove(wpath)  # onnx appends to an existing external-data file
        onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True, location=ext,
                        size_threshold=1024)
    else:
        onnx.save_model(proto, path)
    onnx.checker.check_model(path, full_check=True)
    if spec.get("dynamic"):  # the shape the tests compile it for (tests/CMakeLists.txt, tests/check_plan.c)
        with open(os.path.join(out_dir, name + ".shape"), "w") as f:
            f.write("input=%s\n" % "x".join(map(str, spec["shape"])))

    # run once in ONNX Runtime on a generated input and compare with torch's forward pass on it
    torch_err = ort_err = None
    if ORT_AVAILABLE:
        d = os.path.join(tmp, name)
        shape = ["--shape", "input=" + "x".join(map(str, spec["shape"]))] if spec.get("dynamic") else []
        r = subprocess.run(["node", ORT_RUN, path, "--gen-inputs", d, "--seed", "1", "--out-dir", d] + shape,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError("ONNX Runtime failed on %s: %s" % (path, r.stderr.strip()))
        x = np.fromfile(os.path.join(d, "input0.bin"), dtype=np.float32).reshape(spec["shape"])
        got = np.fromfile(os.path.join(d, "ort_output0.bin"), dtype=np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy().reshape(-1)
        if got.shape != ref.shape:
            raise RuntimeError("%s: ORT output has %d elements, torch %d" % (name, got.size, ref.size))
        ort_err = float(np.max(np.abs(got - ref)))
        torch_err = float(np.max(np.abs(ref)))
        tol = 1e-4 * max(1.0, torch_err)
        if not ort_err <= tol:
            raise RuntimeError("%s: ORT and torch differ: max_abs_err %g > tol %g" % (name, ort_err, tol))
    sizes = [os.path.getsize(path)] + ([os.path.getsize(os.path.join(out_dir, ext))] if ext else [])
    nparams = sum(p.numel() for p in model.parameters())
    return dict(path=path, sizes=sizes, nparams=nparams, ort_err=ort_err, max_ref=torch_err,
                ops=count_ops(onnx.load(path, load_external_data=False)))


def count_ops(proto):
    c = collections.Counter()

    def walk(g):
        for n in g.node:
            c[(n.domain + "." if n.domain not in ("", "ai.onnx") else "") + n.op_type] += 1
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
                for sg in a.graphs:
                    walk(sg)

    walk(proto.graph)
    return c


def have_ort():
    try:
        r = subprocess.run(["node", "-e", "require('onnxruntime-node')"], cwd=os.path.dirname(ORT_RUN),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return r.returncode == 0
    except OSError:
        return False


ORT_AVAILABLE = False


def main():
    global ORT_AVAILABLE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--only", nargs="+", metavar="NAME")
    ap.add_argument("--list", action="store_true", help="list model names and exit")
    ap.add_argument("--no-ort", action="store_true", help="skip the ONNX Runtime run")
    args = ap.parse_args()
    if args.list:
        for n, s in MODELS.items():
            print("%-20s opset %-2d input %-16s %s" % (n, s["opset"], "x".join(map(str, s["shape"])),
                                                      "committed" if s.get("commit", True) else
                                                      "regenerated" if s.get("default", True) else "--only"))
        return 0
    names = args.only or [n for n, s in MODELS.items() if s.get("default", True)]
    for n in names:
        if n not in MODELS:
            print("export.py: error: unknown model '%s' (known: %s)" % (n, ", ".join(MODELS)), file=sys.stderr)
            return 1
    os.makedirs(args.out_dir, exist_ok=True)
    ORT_AVAILABLE = not args.no_ort and have_ort()
    if not args.no_ort and not ORT_AVAILABLE:
        print("export.py: error: onnxruntime-node not found; run "
              "`ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix tests/ort` or pass --no-ort", file=sys.stderr)
        return 1

    results = collections.OrderedDict()
    with tempfile.TemporaryDirectory(prefix="vitc_export_") as tmp:
        for n in names:
            print("exporting %s ..." % n, file=sys.stderr, flush=True)
            results[n] = export_one(n, MODELS[n], args.out_dir, tmp)

    print("\n%-20s %10s %10s %12s %10s" % ("model", "params", "bytes", "ort_vs_torch", "max|out|"))
    for n, r in results.items():
        print("%-20s %10d %10s %12s %10s" % (n, r["nparams"], "+".join(map(str, r["sizes"])),
                                           "-" if r["ort_err"] is None else "%.2e" % r["ort_err"],
                                           "-" if r["max_ref"] is None else "%.3f" % r["max_ref"]))
    all_ops = sorted(set().union(*[r["ops"].keys() for r in results.values()]))
    print("\nop types per model (count):")
    for n, r in results.items():
        print("  %s: %s" % (n, ", ".join("%s %d" % (o, r["ops"][o]) for o in sorted(r["ops"]))))
    print("\nop types across models: %s" % ", ".join(all_ops))
    width = max(len(o) for o in all_ops)
    print("\ncolumns: " + ", ".join("%d=%s" % (i + 1, n) for i, n in enumerate(results)))
    print("%-*s %s" % (width, "op", " ".join("%4d" % (i + 1) for i in range(len(results)))))
    for o in all_ops:
        print("%-*s %s" % (width, o, " ".join("%4s" % (results[n]["ops"].get(o, "") or ".") for n in results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
