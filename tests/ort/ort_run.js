#!/usr/bin/env node
// ONNX Runtime reference runner for vitc tests.
//
// Usage:
//   node tests/ort/ort_run.js MODEL.onnx [--in IN.bin ...] [--gen-inputs DIR [--seed N]]
//        [--shape NAME=1x3x32x32 ...] [--out OUT.bin ...] [--out-dir DIR] [--bench N] [--threads T]
//
// Inputs:  raw little-endian data in each input's ONNX element type, one file per graph input, in graph
//          input order (--in may be repeated, one per input).
//          --gen-inputs DIR instead generates inputs from the model's input metadata and writes
//          DIR/input0.bin, DIR/input1.bin, ... before running. Generation is deterministic from --seed
//          (default 0) using a splitmix64-seeded xorshift128 generator (Marsaglia, 32-bit words;
//          floats are k/2^23 - 1, exact in float32):
//            float32/float64/float16: uniform in [-1, 1)
//            int8/16/32/64, uint8/16/32/64: uniform integers in [0, 8)
//            bool: uniform 0/1
//          Input k uses the stream seeded with (seed, k), so adding inputs does not change earlier ones.
//          A symbolic (named or unknown) dimension is an error unless --shape NAME=DxDx... gives the
//          input's full shape.
// Outputs: raw little-endian data in graph output order, to the --out files (one per output, in order)
//          or to DIR/ort_output0.bin, DIR/ort_output1.bin, ... with --out-dir DIR.
// Session: single-threaded by default (intraOpNumThreads=1, interOpNumThreads=1, sequential execution),
//          graphOptimizationLevel 'all'. --threads T sets intraOpNumThreads=T. --opt-level disabled evaluates
//          the graph node by node as the spec defines it (a QDQ model's float Q/DQ semantics, not ONNX
//          Runtime's fused int8 kernels: docs/int8.md); basic and extended are ONNX Runtime's other levels.
// --bench N: after the reference run (whose outputs are written) and 3 warm-up runs, time N runs and print
//          `median_ms X` on stdout. Nothing else is ever printed on stdout; diagnostics go to stderr.
// Errors:  one line `ort_run: error: ...` on stderr, exit status 1.
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`ort_run: error: ${msg}\n`);
  process.exit(1);
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  die('cannot load onnxruntime-node (install with: ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix tests/ort): ' +
      String(e.message || e).split('\n')[0]);
}

// ONNX element type name (as reported by ORT metadata) -> [TypedArray constructor, bytes per element]
const DTYPES = {
  float32: [Float32Array, 4],
  float64: [Float64Array, 8],
  float16: [Uint16Array, 2],
  int8: [Int8Array, 1],
  uint8: [Uint8Array, 1],
  int16: [Int16Array, 2],
  uint16: [Uint16Array, 2],
  int32: [Int32Array, 4],
  uint32: [Uint32Array, 4],
  int64: [BigInt64Array, 8],
  uint64: [BigUint64Array, 8],
  bool: [Uint8Array, 1],
};

function parseArgs(argv) {
  const a = { model: null, ins: [], outs: [], outDir: null, genDir: null, seed: 0, shapes: {}, bench: 0, threads: 1, optLevel: 'all' };
  const need = (i, flag) => {
    if (i + 1 >= argv.length) die(`${flag} needs a value`);
    return argv[i + 1];
  };
  const posInt = (s, flag, allowZero) => {
    if (!/^\d+$/.test(s)) die(`${flag} expects a non-negative integer, got '${s}'`);
    const v = parseInt(s, 10);
    if (!allowZero && v === 0) die(`${flag} must be >= 1`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    switch (t) {
      case '--in': a.ins.push(need(i, t)); i++; break;
      case '--out': a.outs.push(need(i, t)); i++; break;
      case '--out-dir': a.outDir = need(i, t); i++; break;
      case '--gen-inputs': a.genDir = need(i, t); i++; break;
      case '--seed': a.seed = posInt(need(i, t), t, true); i++; break;
      case '--bench': a.bench = posInt(need(i, t), t, false); i++; break;
      case '--threads': a.threads = posInt(need(i, t), t, false); i++; break;
      case '--opt-level': {
        a.optLevel = need(i, t); i++;
        if (!['disabled', 'basic', 'extended', 'all'].includes(a.optLevel))
          die(`--opt-level expects disabled, basic, extended or all, got '${a.optLevel}'`);
        break;
      }
      case '--shape': {
        const s = need(i, t); i++;
        const m = /^([^=]+)=(\d+(?:x\d+)*)$/.exec(s);
        if (!m) die(`--shape expects NAME=DxDx... (e.g. input=1x3x32x32), got '${s}'`);
        a.shapes[m[1]] = m[2].split('x').map((d) => parseInt(d, 10));
        break;
      }
      case '-h': case '--help':
        process.stderr.write('usage: node ort_run.js MODEL.onnx [--in IN.bin ...] [--gen-inputs DIR --seed N] ' +
          '[--shape NAME=1x3x32x32] [--out OUT.bin ...] [--out-dir DIR] [--bench N] [--threads T] [--opt-level L]\n');
        process.exit(0);
        break;
      default:
        if (t.startsWith('--')) die(`unknown option '${t}'`);
        if (a.model !== null) die(`unexpected extra argument '${t}' (model already given: '${a.model}')`);
        a.model = t;
    }
  }
  if (a.model === null) die('no model given (usage: node ort_run.js MODEL.onnx [options])');
  if (a.genDir !== null && a.ins.length) die('--in and --gen-inputs are mutually exclusive');
  if (a.outDir !== null && a.outs.length) die('--out and --out-dir are mutually exclusive');
  return a;
}

// ---- deterministic PRNG: splitmix64 seeding + xorshift128 ----
const M64 = (1n << 64n) - 1n;
function splitmix64(state) {
  let z = (state.s = (state.s + 0x9E3779B97F4A7C15n) & M64);
  z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & M64;
  return z ^ (z >> 31n);
}
class Rng {
  constructor(seed, stream) {
    const st = { s: (BigInt(seed) * 0x100000001B3n + BigInt(stream) * 0x9E3779B97F4A7C15n + 1n) & M64 };
    // state: 4 x uint32 from two splitmix64 outputs
    const a = splitmix64(st), b = splitmix64(st);
    this.s = new Uint32Array([Number(a & 0xFFFFFFFFn), Number(a >> 32n), Number(b & 0xFFFFFFFFn), Number(b >> 32n)]);
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }
  // xorshift128 (32-bit word variant, Marsaglia): returns uint32
  nextU32() {
    const s = this.s;
    let t = s[3];
    const x = s[0];
    s[3] = s[2]; s[2] = s[1]; s[1] = x;
    t ^= t << 11; t >>>= 0;
    t ^= t >>> 8;
    s[0] = (t ^ x ^ (x >>> 19)) >>> 0;
    return s[0];
  }
  // uniform double in [0,1) with 24 bits (exactly representable in float32)
  nextUnit24() { return (this.nextU32() >>> 8) / 16777216; }
}

function floatToHalfBits(f) {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, f, true);
  const x = b.getUint32(0, true);
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant = (mant | 0x800000) >> (1 - exp);
    return sign | ((mant + 0x1000) >> 13);
  }
  if (exp >= 31) return sign | 0x7c00;
  return (sign | (exp << 10) | (mant >> 13)) + ((mant >> 12) & 1);
}

function fmtShape(s) { return '[' + s.join(',') + ']'; }

function resolveShape(meta, shapes) {
  if (shapes[meta.name]) {
    const given = shapes[meta.name];
    if (Array.isArray(meta.shape) && meta.shape.length !== given.length)
      die(`--shape ${meta.name}: rank ${given.length} does not match the model's rank ${meta.shape.length} ${fmtShape(meta.shape)}`);
    if (Array.isArray(meta.shape)) {
      meta.shape.forEach((d, i) => {
        if (typeof d === 'number' && d >= 0 && d !== given[i])
          die(`--shape ${meta.name}: dimension ${i} is ${given[i]} but the model fixes it to ${d}`);
      });
    }
    return given;
  }
  if (!Array.isArray(meta.shape)) die(`input '${meta.name}' has no shape in the model; give --shape ${meta.name}=DxDx...`);
  const sym = meta.shape.map((d, i) => [d, i]).filter(([d]) => typeof d !== 'number' || d < 0);
  if (sym.length) {
    die(`input '${meta.name}' has symbolic dimension(s) ${sym.map(([d, i]) => `${i}:'${d}'`).join(', ')} ` +
        `(shape ${fmtShape(meta.shape)}); give --shape ${meta.name}=DxDx...`);
  }
  return meta.shape.slice();
}

function elemCount(shape) { return shape.reduce((p, d) => p * d, 1); }

function genInput(meta, shape, seed, k) {
  const dt = DTYPES[meta.type];
  if (!dt) die(`cannot generate input '${meta.name}' of element type '${meta.type}'`);
  const [Ctor] = dt;
  const n = elemCount(shape);
  const arr = new Ctor(n);
  const rng = new Rng(seed, k);
  switch (meta.type) {
    case 'float32': case 'float64':
      for (let i = 0; i < n; i++) arr[i] = rng.nextUnit24() * 2 - 1;
      break;
    case 'float16':
      for (let i = 0; i < n; i++) arr[i] = floatToHalfBits(rng.nextUnit24() * 2 - 1);
      break;
    case 'bool':
      for (let i = 0; i < n; i++) arr[i] = rng.nextU32() >>> 31;
      break;
    case 'int64': case 'uint64':
      for (let i = 0; i < n; i++) arr[i] = BigInt(rng.nextU32() >>> 29);
      break;
    default:
      for (let i = 0; i < n; i++) arr[i] = rng.nextU32() >>> 29;
  }
  return arr;
}

function readInput(meta, shape, file) {
  const dt = DTYPES[meta.type];
  if (!dt) die(`input '${meta.name}' has unsupported element type '${meta.type}'`);
  const [Ctor, size] = dt;
  let buf;
  try { buf = fs.readFileSync(file); } catch (e) { die(`cannot read input file '${file}': ${e.code || e.message}`); }
  const n = elemCount(shape);
  if (buf.length !== n * size) {
    die(`input file '${file}' has ${buf.length} bytes but input '${meta.name}' (${meta.type} ${fmtShape(shape)}) ` +
        `needs ${n * size}`);
  }
  // copy into an aligned buffer (Buffer slices may be unaligned); host is little-endian (x86-64/arm64)
  const ab = new ArrayBuffer(n * size);
  new Uint8Array(ab).set(buf);
  return new Ctor(ab);
}

function toBytes(data) {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function writeFile(file, data) {
  try {
    fs.writeFileSync(file, data);
  } catch (e) {
    die(`cannot write '${file}': ${e.code || e.message}`);
  }
}

function mkdirp(dir) {
  try { fs.mkdirSync(dir, { recursive: true }); } catch (e) { die(`cannot create directory '${dir}': ${e.code || e.message}`); }
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(a.model)) die(`model file '${a.model}' not found`);

  const opts = {
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: a.optLevel,
    executionProviders: ['cpu'],
    logSeverityLevel: 3,
  };
  let session;
  try {
    session = await ort.InferenceSession.create(path.resolve(a.model), opts);
  } catch (e) {
    die(`ONNX Runtime rejected '${a.model}': ${String(e.message || e).split('\n')[0]}`);
  }

  const inMeta = session.inputMetadata;
  const outNames = session.outputNames;
  for (const m of inMeta) if (!m.isTensor) die(`input '${m.name}' is not a tensor`);

  for (const name of Object.keys(a.shapes)) {
    if (!inMeta.some((m) => m.name === name)) die(`--shape names '${name}', which is not a model input (inputs: ${inMeta.map((m) => m.name).join(', ')})`);
  }
  if (a.genDir === null && a.ins.length !== inMeta.length) {
    die(`model has ${inMeta.length} input(s) (${inMeta.map((m) => m.name).join(', ')}) but ${a.ins.length} --in file(s) given ` +
        '(or use --gen-inputs DIR)');
  }
  if (a.outs.length && a.outs.length !== outNames.length) {
    die(`model has ${outNames.length} output(s) (${outNames.join(', ')}) but ${a.outs.length} --out file(s) given`);
  }

  const feeds = {};
  if (a.genDir !== null) mkdirp(a.genDir);
  inMeta.forEach((m, k) => {
    const shape = resolveShape(m, a.shapes);
    let data;
    if (a.genDir !== null) {
      data = genInput(m, shape, a.seed, k);
      writeFile(path.join(a.genDir, `input${k}.bin`), toBytes(data));
    } else {
      data = readInput(m, shape, a.ins[k]);
    }
    feeds[m.name] = new ort.Tensor(m.type, data, shape);
  });

  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    die(`ONNX Runtime failed to run '${a.model}': ${String(e.message || e).split('\n')[0]}`);
  }

  const outFiles = a.outs.length ? a.outs
    : a.outDir !== null ? outNames.map((_, k) => path.join(a.outDir, `ort_output${k}.bin`)) : [];
  if (a.outDir !== null) mkdirp(a.outDir);
  outFiles.forEach((f, k) => {
    const t = results[outNames[k]];
    if (!t || !(t.data && t.data.buffer)) die(`output '${outNames[k]}' is not a numeric tensor`);
    writeFile(f, toBytes(t.data));
  });
  for (const k of Object.keys(results)) {
    const t = results[k];
    if (t && typeof t.dispose === 'function') t.dispose();
  }

  if (a.bench > 0) {
    const times = [];
    for (let i = 0; i < 3 + a.bench; i++) {
      const t0 = process.hrtime.bigint();
      const r = await session.run(feeds);
      const t1 = process.hrtime.bigint();
      for (const k of Object.keys(r)) if (typeof r[k].dispose === 'function') r[k].dispose();
      if (i >= 3) times.push(Number(t1 - t0) / 1e6);
    }
    times.sort((x, y) => x - y);
    const n = times.length;
    const med = n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    process.stdout.write(`median_ms ${med.toFixed(3)}\n`);
  }
  if (typeof session.release === 'function') await session.release();
}

main().catch((e) => die(String((e && e.message) || e).split('\n')[0]));
