#!/usr/bin/env python3
"""fuzz/make_seeds.py: the model seeds of fuzz/corpus, small enough to commit.

Each model of models/ (but the 22 MB DeiT-Tiny) is rewritten with every initializer
larger than 64 bytes moved to external data: location "filler.bin", offset 0, its
own length; value_info (which vitc does not read) and doc strings go. vitc_fuzz writes a 1 MiB filler.bin of 0x3c bytes next to the model it
loads, so the seed still goes through every pass, the plan and the emitter, with
weights of 0.0115, while its file keeps only the graph (20 to 40 KB instead of
300 to 500). The seeds are then minimized with the other seeds (docs/security.md):

  /usr/bin/python3 fuzz/make_seeds.py models OUTDIR
"""
import os
import sys

import onnx
from onnx import TensorProto

LIMIT = 64  # bytes an initializer may keep inline
FILLER_BYTES = 1 << 20  # fuzz/vitc_fuzz.c's FILLER_BYTES


def tensor_bytes(t):
    n = 1
    for d in t.dims:
        n *= d
    size = {TensorProto.FLOAT: 4, TensorProto.INT64: 8, TensorProto.INT32: 4, TensorProto.DOUBLE: 8}.get(t.data_type, 1)
    return n * size


def shrink(path, out):
    m = onnx.load(path, load_external_data=False)
    moved = 0
    for t in m.graph.initializer:
        nbytes = tensor_bytes(t)
        if nbytes <= LIMIT or nbytes > FILLER_BYTES:
            continue
        for field in ("raw_data", "float_data", "int64_data", "int32_data", "double_data"):
            t.ClearField(field)
        del t.external_data[:]
        for k, v in (("location", "filler.bin"), ("offset", "0"), ("length", str(nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        t.data_location = TensorProto.EXTERNAL
        moved += 1
    del m.graph.value_info[:]  # vitc does not read it
    for n in m.graph.node:
        n.ClearField("doc_string")
    with open(out, "wb") as f:
        f.write(m.SerializeToString())
    print(f"{os.path.basename(path)}: {moved} initializers to filler.bin, {os.path.getsize(out)} bytes")


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if name.endswith(".onnx") and name != "deit_tiny.onnx":
            shrink(os.path.join(src, name), os.path.join(dst, "model_" + name))


if __name__ == "__main__":
    main()
