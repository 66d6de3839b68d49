#!/usr/bin/env node
// vitc_ort.js: the ONNX Runtime side of `vitc verify` (docs/verify.md). Installed next
// to vitc (build tree: BUILD/share/vitc/, install: PREFIX/share/vitc/); vitc finds it
// relative to its own binary and runs it with node.
//
//   node vitc_ort.js MODEL.onnx --in IN.bin... --out-dir DIR [--extra NAMES.txt]
//
// Inputs are raw little-endian files, one per graph input in graph order, shaped as
// the model says (vitc passes --shape NAME=DxD... for the ones it fixed). Writes
// DIR/output<k>.bin per graph output. --extra NAMES.txt (one tensor name a line)
// also exposes those intermediate tensors as graph outputs and writes DIR/extra<k>.bin
// for line k (a name ONNX Runtime does not produce gets no file and a line on stderr).
// The graph is appended to the model's bytes (a protobuf message field given twice is
// merged, repeated fields appended), so no protobuf library is needed here.
// The session evaluates the graph as written (graphOptimizationLevel 'disabled'):
// the reference is the ONNX spec, not ONNX Runtime's own fusions.
// Exit status: 0; 1 with `vitc_ort: error: ...` on a failure; 3 when the
// onnxruntime-node package cannot be loaded (vitc then says how to install it).
'use strict';
const fs = require('fs');
const path = require('path');

function die(msg, code) {
  process.stderr.write(`vitc_ort: error: ${msg}\n`);
  process.exit(code || 1);
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  die('cannot load onnxruntime-node: ' + String(e.message || e).split('\n')[0], 3);
}

const DTYPES = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array,
};

function varint(n) {
  const b = [];
  while (n >= 0x80) { b.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  b.push(n);
  return Buffer.from(b);
}
function field(tag, payload) { return Buffer.concat([Buffer.from([tag]), varint(payload.length), payload]); }

// ModelProto.graph (7) { GraphProto.output (12) { ValueInfoProto.name (1) } ... }
function withOutputs(model, names) {
  const outs = names.map((n) => field(0x62, field(0x0a, Buffer.from(n, 'utf8'))));
  return Buffer.concat([model, field(0x3a, Buffer.concat(outs))]);
}

async function main() {
  const argv = process.argv.slice(2);
  let model = null, outDir = null, extraFile = null;
  const ins = [], shapes = {};
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    const need = () => { if (i + 1 >= argv.length) die(`${t} needs a value`); return argv[++i]; };
    if (t === '--in') ins.push(need());
    else if (t === '--out-dir') outDir = need();
    else if (t === '--extra') extraFile = need();
    else if (t === '--shape') {
      const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(need());
      if (!m) die(`--shape expects NAME=DxD...`);
      shapes[m[1]] = m[2].split('x').map(Number);
    } else if (t.startsWith('--')) die(`unknown option '${t}'`);
    else model = t;
  }
  if (!model || !outDir) die('usage: vitc_ort.js MODEL.onnx --in IN.bin... --out-dir DIR [--extra NAMES.txt]');
  const extra = extraFile ? fs.readFileSync(extraFile, 'utf8').split('\n').filter((s) => s.length) : [];
  // A model read from bytes finds its external data relative to the working folder.
  model = path.resolve(model);
  outDir = path.resolve(outDir);
  for (let i = 0; i < ins.length; i++) ins[i] = path.resolve(ins[i]);
  if (extra.length) process.chdir(path.dirname(model));
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'disabled', executionProviders: ['cpu'], logSeverityLevel: 3 };
  let session;
  try {
    session = extra.length ? await ort.InferenceSession.create(withOutputs(fs.readFileSync(model), extra), opts)
      : await ort.InferenceSession.create(path.resolve(model), opts);
  } catch (e) {
    die(`ONNX Runtime rejected '${model}': ${String(e.message || e).split('\n')[0]}`);
  }
  const inMeta = session.inputMetadata;
  if (ins.length !== inMeta.length) die(`the model has ${inMeta.length} input(s), ${ins.length} file(s) given`);
  const feeds = {};
  inMeta.forEach((m, k) => {
    const Ctor = DTYPES[m.type];
    if (!Ctor) die(`input '${m.name}' has unsupported type ${m.type}`);
    const shape = shapes[m.name] || m.shape;
    if (shape.some((d) => typeof d !== 'number' || d < 0)) die(`input '${m.name}' has a symbolic shape; give --shape`);
    const buf = fs.readFileSync(ins[k]);
    const ab = new ArrayBuffer(buf.length);
    new Uint8Array(ab).set(buf);
    feeds[m.name] = new ort.Tensor(m.type, new Ctor(ab), shape);
  });
  const outputs = session.outputNames;
  let r;
  try {
    r = await session.run(feeds);
  } catch (e) {
    die(`ONNX Runtime failed to run '${model}': ${String(e.message || e).split('\n')[0]}`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const write = (file, t) => fs.writeFileSync(path.join(outDir, file), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  outputs.slice(0, outputs.length - extra.length).forEach((name, k) => write(`output${k}.bin`, r[name]));
  extra.forEach((name, k) => {
    if (r[name] && r[name].data && r[name].data.buffer) write(`extra${k}.bin`, r[name]);
    else process.stderr.write(`vitc_ort: no value for '${name}'\n`);
  });
}
main().catch((e) => die(String((e && e.message) || e).split('\n')[0]));
