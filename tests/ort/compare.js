#!/usr/bin/env node
// Compare two raw little-endian tensors.
//
// Usage: node tests/ort/compare.js GOT.bin REF.bin [--dtype float32] [--rtol 1e-4]
//        node tests/ort/compare.js GOT.bin REF.bin --rel-l2 MAX --cosine MIN
//
// The second form judges quantized models (docs/int8.md), whose outputs agree with a reference at the
// percent level, not to 1e-4: it prints `rel_l2 X cosine C` (||got - ref|| / ||ref|| and the cosine of the
// two as vectors, in double) and exits 0 iff rel_l2 <= MAX and cosine >= MIN (and no NaN).
//
// Prints `max_abs_err E max_abs_ref R tol T` on stdout, where E = max |got - ref|, R = max |ref| over finite
// reference values and T = rtol * max(1, R). Exits 0 iff the sizes match, E <= T, and every NaN in either
// file is matched by a NaN at the same index in the other (infinities must match exactly). Otherwise exits 1
// with one clear line on stderr (the stdout line is still printed when the sizes match).
// dtypes: float32 (default), float64, int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool.
'use strict';

const fs = require('fs');

function die(msg) {
  process.stderr.write(`compare: error: ${msg}\n`);
  process.exit(1);
}

const DTYPES = {
  float32: [Float32Array, 4], float64: [Float64Array, 8],
  int8: [Int8Array, 1], uint8: [Uint8Array, 1], bool: [Uint8Array, 1],
  int16: [Int16Array, 2], uint16: [Uint16Array, 2],
  int32: [Int32Array, 4], uint32: [Uint32Array, 4],
  int64: [BigInt64Array, 8], uint64: [BigUint64Array, 8],
};

const files = [];
let dtype = 'float32';
let rtol = 1e-4;
let relL2Max = null, cosineMin = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const t = argv[i];
  if (t === '--rel-l2' || t === '--cosine') {
    if (i + 1 >= argv.length) die(`${t} needs a value`);
    const v = Number(argv[++i]);
    if (!isFinite(v)) die(`${t} expects a number`);
    if (t === '--rel-l2') relL2Max = v; else cosineMin = v;
  } else if (t === '--dtype' || t === '--rtol') {
    if (i + 1 >= argv.length) die(`${t} needs a value`);
    const v = argv[++i];
    if (t === '--dtype') {
      if (!DTYPES[v]) die(`unknown --dtype '${v}' (known: ${Object.keys(DTYPES).join(', ')})`);
      dtype = v;
    } else {
      rtol = Number(v);
      if (!(rtol >= 0) || !isFinite(rtol)) die(`--rtol expects a non-negative number, got '${v}'`);
    }
  } else if (t.startsWith('--')) {
    die(`unknown option '${t}'`);
  } else {
    files.push(t);
  }
}
if (files.length !== 2) die('usage: node compare.js GOT.bin REF.bin [--dtype float32] [--rtol 1e-4]');

function load(f) {
  let buf;
  try { buf = fs.readFileSync(f); } catch (e) { die(`cannot read '${f}': ${e.code || e.message}`); }
  const [Ctor, size] = DTYPES[dtype];
  if (buf.length % size) die(`'${f}' has ${buf.length} bytes, not a multiple of ${size} (${dtype})`);
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  return new Ctor(ab);
}

const got = load(files[0]);
const ref = load(files[1]);
if (got.length !== ref.length) {
  die(`size mismatch: '${files[0]}' has ${got.length} ${dtype} elements, '${files[1]}' has ${ref.length}`);
}

if (relL2Max !== null || cosineMin !== null) {
  let dd = 0, rr = 0, gg = 0, gr = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = Number(got[i]), r = Number(ref[i]);
    dd += (g - r) * (g - r); rr += r * r; gg += g * g; gr += g * r;
  }
  const relL2 = Math.sqrt(dd / rr), cosine = gr / Math.sqrt(gg * rr);
  process.stdout.write(`rel_l2 ${relL2.toPrecision(6)} cosine ${cosine.toPrecision(8)}\n`);
  if (!(relL2 <= (relL2Max === null ? Infinity : relL2Max)) || !(cosine >= (cosineMin === null ? -Infinity : cosineMin)))
    die(`rel_l2 ${relL2.toPrecision(6)} (max ${relL2Max}) or cosine ${cosine.toPrecision(8)} (min ${cosineMin}) out of bounds`);
  process.exit(0);
}

let maxErr = 0, maxRef = 0, errAt = -1, bad = null;
const isBig = dtype === 'int64' || dtype === 'uint64';
for (let i = 0; i < ref.length; i++) {
  const g = isBig ? Number(got[i]) : got[i];
  const r = isBig ? Number(ref[i]) : ref[i];
  const gn = Number.isNaN(g), rn = Number.isNaN(r);
  if (gn || rn) {
    if (gn !== rn && bad === null) bad = `NaN mismatch at element ${i}: got ${g}, ref ${r}`;
    continue;
  }
  if (isFinite(r)) maxRef = Math.max(maxRef, Math.abs(r));
  let e;
  if (!isFinite(g) || !isFinite(r)) e = g === r ? 0 : Infinity;
  else if (isBig) { const d = got[i] - ref[i]; e = Number(d < 0n ? -d : d); }
  else e = Math.abs(g - r);
  if (e > maxErr || errAt < 0 && e === maxErr) { maxErr = e; errAt = i; }
}
const tol = rtol * Math.max(1, maxRef);
const fmt = (x) => (isFinite(x) ? Number(x.toPrecision(6)).toString() : String(x));
process.stdout.write(`max_abs_err ${fmt(maxErr)} max_abs_ref ${fmt(maxRef)} tol ${fmt(tol)}\n`);
if (bad !== null) die(bad);
if (!(maxErr <= tol)) {
  die(`max_abs_err ${fmt(maxErr)} at element ${errAt} (got ${got[errAt]}, ref ${ref[errAt]}) ` +
      `exceeds tol ${fmt(tol)} = rtol ${rtol} * max(1, max_abs_ref ${fmt(maxRef)}) over ${ref.length} elements`);
}
