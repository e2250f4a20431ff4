#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * tools/tfjsref/run.js - TensorFlow Lite reference runner for large models.
 *
 * Runs a .tflite model with the real TensorFlow Lite interpreter that ships,
 * compiled to WebAssembly, inside the npm package @tensorflow/tfjs-tflite
 * (wasm/tflite_web_api_cc[_simd].{js,wasm}).  The package's own JS loader is
 * browser-only (it injects <script> tags), so this script loads the package's
 * Emscripten module directly in Node and uses the same embind API
 * (TFLiteWebModelRunner) that tfjs-tflite's loadTFLiteModel() wraps.
 * No browser and no network are needed.
 *
 * Usage:
 *   node tools/tfjsref/run.js --model M.tflite --in IN.f32 --out OUT.f32
 *        [--output-index K] [--info] [--variant simd|plain]
 *        [--pkg-dir DIR] [--timeout SEC] [--verbose]
 *
 * See README.md beside this file.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const {Worker, isMainThread, parentPort, workerData} =
    require('worker_threads');

const PINNED_PKG = '@tensorflow/tfjs-tflite';
const PINNED_VERSION = '0.0.1-alpha.10';
const PROG = 'tfjsref';

const USAGE =
    'usage: node tools/tfjsref/run.js --model M.tflite [--in IN.f32 --out OUT.f32]\n' +
    '       [--output-index K] [--info] [--variant simd|plain] [--pkg-dir DIR]\n' +
    '       [--timeout SEC] [--verbose]\n' +
    '  --in        raw little-endian float32 NHWC, exactly the element count of input 0;\n' +
    '              repeat --in/--out pairs to run several inputs on one interpreter\n' +
    '  --out       raw little-endian float32 of output tensor K (default 0)\n' +
    '  --info      print one JSON line with input/output names, shapes, dtypes\n' +
    '  --variant   wasm build to use: simd (default) or plain (no SIMD)\n' +
    '  --pkg-dir   npm install dir made by setup.sh (default: $TFJSREF_DIR or\n' +
    '              <repo>/build/tfjsref)\n' +
    '  --timeout   whole-run limit in seconds (default 120)\n' +
    '  --verbose   timings and interpreter log lines on stderr\n';

class UsageError extends Error {}

function parseArgs(argv) {
  const o = {
    model: null, ins: [], outs: [], outputIndex: 0, info: false,
    variant: 'simd', pkgDir: null, timeout: 120, verbose: false,
  };
  const need = (i, name) => {
    if (i + 1 >= argv.length) throw new UsageError(`${name} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--model': o.model = need(i, a); i++; break;
      case '--in': o.ins.push(need(i, a)); i++; break;
      case '--out': o.outs.push(need(i, a)); i++; break;
      case '--output-index': {
        const v = need(i, a); i++;
        if (!/^\d+$/.test(v)) throw new UsageError(`bad --output-index '${v}'`);
        o.outputIndex = Number(v);
        break;
      }
      case '--info': o.info = true; break;
      case '--variant': {
        o.variant = need(i, a); i++;
        if (o.variant !== 'simd' && o.variant !== 'plain') {
          throw new UsageError(`bad --variant '${o.variant}' (simd|plain)`);
        }
        break;
      }
      case '--pkg-dir': o.pkgDir = need(i, a); i++; break;
      case '--timeout': {
        const v = need(i, a); i++;
        const t = Number(v);
        if (!(t > 0)) throw new UsageError(`bad --timeout '${v}'`);
        o.timeout = t;
        break;
      }
      case '--verbose': o.verbose = true; break;
      case '-h': case '--help': o.help = true; break;
      default: throw new UsageError(`unknown argument '${a}'`);
    }
  }
  if (o.help) return o;
  if (!o.model) throw new UsageError('--model is required');
  if (o.ins.length !== o.outs.length) {
    throw new UsageError('--in and --out must be given together (one --out per --in)');
  }
  if (o.ins.length === 0 && !o.info) {
    throw new UsageError('give --in and --out, or --info');
  }
  return o;
}

function oneLine(s) {
  return String(s).replace(/\s*\n\s*/g, ' | ').trim();
}

/* ------------------------------------------------------------------ */
/* Worker: does all the real work, so the main thread can enforce the   */
/* timeout even while wasm runs synchronously.                          */
/* ------------------------------------------------------------------ */

// Worker output goes through the message port so that the main thread
// writes it synchronously, in order, before it exits.
function emit(stream, s) {
  parentPort.postMessage({stream, s});
}

async function work(o) {
  const t = {start: Date.now()};
  const log = [];  // interpreter log lines (TFLite prints to stderr)
  const vlog = (s) => { if (o.verbose) emit('err', `${PROG}: ${s}\n`); };

  const pkgDir = path.resolve(
      o.pkgDir || process.env.TFJSREF_DIR ||
      path.join(__dirname, '..', '..', 'build', 'tfjsref'));
  const pkgRoot = path.join(pkgDir, 'node_modules', ...PINNED_PKG.split('/'));
  const pkgJson = path.join(pkgRoot, 'package.json');
  if (!fs.existsSync(pkgJson)) {
    throw new Error(`${PINNED_PKG} not found under ${pkgDir} ` +
                    `(run tools/tfjsref/setup.sh ${pkgDir})`);
  }
  const ver = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version;
  if (ver !== PINNED_VERSION) {
    throw new Error(`${PINNED_PKG} in ${pkgDir} is ${ver}, expected ` +
                    `${PINNED_VERSION} (re-run tools/tfjsref/setup.sh)`);
  }
  const base = path.join(pkgRoot, 'wasm',
                         'tflite_web_api_cc' + (o.variant === 'simd' ? '_simd' : ''));

  let modelBuf;
  try {
    modelBuf = fs.readFileSync(o.model);
  } catch (e) {
    throw new Error(`cannot read model ${o.model}: ${e.code || e.message}`);
  }
  if (modelBuf.length < 8 || modelBuf.toString('latin1', 4, 8) !== 'TFL3') {
    throw new Error(`${o.model} is not a TFLite flatbuffer (no TFL3 identifier)`);
  }

  const inBufs = o.ins.map((f) => {
    try {
      return fs.readFileSync(f);
    } catch (e) {
      throw new Error(`cannot read input ${f}: ${e.code || e.message}`);
    }
  });

  const factory = require(base + '.js');
  const Module = await factory({
    wasmBinary: fs.readFileSync(base + '.wasm'),
    print: (s) => { log.push(s); if (o.verbose) emit('err', `[tflite] ${s}\n`); },
    printErr: (s) => { log.push(s); if (o.verbose) emit('err', `[tflite] ${s}\n`); },
    locateFile: (f) => path.join(path.dirname(base), f),
  });
  t.wasm = Date.now();

  const errLog = () => {
    const errs = log.filter((l) => /ERROR/.test(l));
    // de-duplicate (TFLite repeats the same error on retry)
    const uniq = [...new Set(errs.map((l) => l.trim()))];
    return uniq.length ? ' [' + uniq.join('; ') + ']' : '';
  };

  const ptr = Module._malloc(modelBuf.length);
  if (!ptr) throw new Error('out of wasm memory for model buffer');
  Module.HEAPU8.set(modelBuf, ptr);
  // numThreads is ignored by these non-threaded builds; set 1 explicitly.
  const status = Module.TFLiteWebModelRunner.CreateFromBufferAndOptions(
      ptr, modelBuf.length,
      {numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024});
  if (!status.ok()) {
    throw new Error(`cannot create interpreter for ${o.model}: ` +
                    `${status.errorMessage()}${errLog()}`);
  }
  const runner = status.value();
  t.create = Date.now();

  const toArr = (vec) => {
    const a = [];
    for (let i = 0; i < vec.size(); i++) a.push(vec.get(i));
    return a;
  };
  const inputs = toArr(runner.GetInputs());
  const outputs = toArr(runner.GetOutputs());
  const desc = (ti, i) => ({
    index: i,
    name: ti.name,
    shape: String(ti.shape).split(',').filter((s) => s !== '').map(Number),
    dtype: ti.dataType,
  });

  if (o.info) {
    emit('out', JSON.stringify({
      model: o.model,
      engine: `${PINNED_PKG}@${PINNED_VERSION} wasm/${path.basename(base)}.wasm`,
      inputs: inputs.map(desc),
      outputs: outputs.map(desc),
    }) + '\n');
  }
  if (inBufs.length === 0) return;

  if (inputs.length === 0) throw new Error('model has no inputs');
  if (o.outputIndex >= outputs.length) {
    throw new Error(`--output-index ${o.outputIndex} out of range ` +
                    `(model has ${outputs.length} output(s))`);
  }
  const in0 = desc(inputs[0], 0);
  if (in0.dtype !== 'float32') {
    throw new Error(`input 0 '${in0.name}' is ${in0.dtype}, only float32 inputs supported`);
  }
  if (in0.shape.some((d) => !(d > 0))) {
    throw new Error(`input 0 '${in0.name}' has dynamic shape [${in0.shape}]`);
  }
  const count = in0.shape.reduce((a, b) => a * b, 1);
  inBufs.forEach((b, k) => {
    if (b.length !== count * 4) {
      throw new Error(`${o.ins[k]} has ${b.length} bytes, input 0 '${in0.name}' ` +
                      `[${in0.shape}] needs exactly ${count * 4} (${count} float32)`);
    }
  });
  for (let i = 1; i < inputs.length; i++) {
    const d = desc(inputs[i], i);
    inputs[i].data().fill(0);
    emit('err', `${PROG}: warning: input ${i} '${d.name}' [${d.shape}] ` +
                         `left zero-filled\n`);
  }
  t.setIn = Date.now();
  let inferMs = 0;
  // One Infer per --in/--out pair on the one interpreter.
  for (let k = 0; k < inBufs.length; k++) {
    const inBuf = inBufs[k], outFile = o.outs[k];
    // Copy bytes (little-endian on x86/wasm) into the interpreter's tensor.
    const dst = inputs[0].data();  // Float32Array view into wasm heap
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength)
        .set(new Uint8Array(inBuf.buffer, inBuf.byteOffset, inBuf.byteLength));

    const t0 = Date.now();
    if (!runner.Infer()) {
      throw new Error(`inference failed${errLog()}`);
    }
    inferMs += Date.now() - t0;

    const out = outputs[o.outputIndex];
    const od = desc(out, o.outputIndex);
    let data = out.data();  // fresh view after Infer (heap may have grown)
    if (od.dtype !== 'float32') {
      emit('err', `${PROG}: warning: output ${o.outputIndex} '${od.name}' is ` +
                           `${od.dtype}; values converted to float32\n`);
      data = Float32Array.from(data, Number);
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const tmp = `${outFile}.tmp${process.pid}`;
    try {
      fs.writeFileSync(tmp, bytes);
      fs.renameSync(tmp, outFile);
    } catch (e) {
      try { fs.unlinkSync(tmp); } catch (_) { /* ignore */ }
      throw new Error(`cannot write ${outFile}: ${e.code || e.message}`);
    }
    vlog(`output ${o.outputIndex} '${od.name}' [${od.shape}] -> ${outFile} ` +
         `(${data.length} float32)`);
  }
  t.end = Date.now();
  vlog(`timings ms: wasm-init ${t.wasm - t.start}, create ${t.create - t.wasm}, ` +
       `infer ${inferMs}, total ${t.end - t.start}`);
}

if (!isMainThread) {
  work(workerData).then(
      () => parentPort.postMessage({ok: true}),
      (e) => parentPort.postMessage({ok: false, msg: oneLine(e && e.message || e)}));
} else {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${PROG}: error: ${e.message} (see --help)\n`);
      process.exit(2);
    }
    throw e;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  let done = false;
  const fail = (msg, code) => {
    if (done) return;
    done = true;
    process.stderr.write(`${PROG}: error: ${msg}\n`);
    process.exit(code);
  };
  const timer = setTimeout(
      () => fail(`timed out after ${o.timeout} s`, 124), o.timeout * 1000);
  const w = new Worker(__filename, {workerData: o, stdout: false, stderr: false});
  w.on('message', (m) => {
    if (done) return;
    if (m.stream) {
      (m.stream === 'out' ? process.stdout : process.stderr).write(m.s);
    } else if (m.ok) {
      done = true;
      clearTimeout(timer);
      process.exit(0);
    } else {
      fail(m.msg, 1);
    }
  });
  w.on('error', (e) => fail(oneLine(`worker crashed: ${e && e.message || e}`), 1));
  w.on('exit', (code) => {
    if (!done) fail(`worker exited unexpectedly (code ${code})`, 1);
  });
}
