#!/usr/bin/env node
// bench/ort_profile.js: where ONNX Runtime spends its time, per op type.
//
//   node bench/ort_profile.js MODEL.onnx --in IN.bin [--in ...] [--runs N] [--threads T]
//
// Runs the model with ORT's own profiler on (one thread by default, graph optimizations
// 'all', as tests/ort/ort_run.js does), 3 warm-up runs then N profiled ones, and prints
// one line per op type of the optimized graph: `op_type ms_per_run percent`, sorted by
// time, then `total ms_per_run`. Only kernel ("Node") events of the timed runs count;
// percentages are of their sum. The profile JSON is written to a temporary folder and
// removed. Inputs are raw float32/ints in graph input order (tests/ort/ort_run.js
// --gen-inputs writes them).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

function die(msg) {
  process.stderr.write(`ort_profile: error: ${msg}\n`);
  process.exit(1);
}

const ort = require(path.join(__dirname, '..', 'tests', 'ort', 'node_modules', 'onnxruntime-node'));

const args = process.argv.slice(2);
let model = null, runs = 20, threads = 1;
const ins = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--in') ins.push(args[++i]);
  else if (a === '--runs') runs = parseInt(args[++i], 10);
  else if (a === '--threads') threads = parseInt(args[++i], 10);
  else if (a.startsWith('-')) die(`unknown option ${a}`);
  else model = a;
}
if (!model || !ins.length || !(runs > 0) || !(threads > 0)) die('usage: ort_profile.js MODEL.onnx --in IN.bin [--runs N] [--threads T]');

const TYPED = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array, uint8: Uint8Array, int8: Int8Array };

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
  const common = {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  // A plain session first, to read input metadata and warm the file cache.
  const meta = await ort.InferenceSession.create(model, common);
  const feeds = {};
  meta.inputNames.forEach((name, k) => {
    const m = meta.inputMetadata[k];
    const T = TYPED[m.type];
    if (!T) die(`input '${name}': element type ${m.type} is not handled`);
    const buf = fs.readFileSync(ins[k]);
    const data = new T(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    feeds[name] = new ort.Tensor(m.type, data, m.shape);
  });
  await meta.release();

  const s = await ort.InferenceSession.create(model, { ...common, enableProfiling: true,
    profileFilePrefix: path.join(dir, 'ort') });
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const t0 = Date.now();
  for (let i = 0; i < runs; i++) await s.run(feeds);
  const wall = (Date.now() - t0) / runs;
  s.endProfiling();
  await s.release();
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) die('ONNX Runtime wrote no profile');
  const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });

  // Model-run events mark each run; keep the node events inside the last `runs` of them.
  const spans = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => [e.ts, e.ts + e.dur]);
  const timed = spans.slice(-runs);
  const inTimed = (ts) => timed.some(([a, b]) => ts >= a && ts <= b);
  const byOp = new Map();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args || !inTimed(e.ts)) continue;
    const op = e.args.op_name;
    byOp.set(op, (byOp.get(op) || 0) + e.dur);
    total += e.dur;
  }
  const rows = [...byOp.entries()].sort((a, b) => b[1] - a[1]);
  for (const [op, us] of rows)
    console.log(`${op} ${(us / 1000 / runs).toFixed(3)} ${(100 * us / total).toFixed(1)}`);
  console.log(`total ${(total / 1000 / runs).toFixed(3)} (wall ${wall.toFixed(3)} ms per profiled run)`);
})().catch((e) => die(String(e.message || e).split('\n')[0]));
