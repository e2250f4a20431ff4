// SPDX-License-Identifier: GPL-3.0-or-later
// RVM reference: runs rvm.json with real TensorFlow.js (@tensorflow/tfjs,
// the WebAssembly backend @tensorflow/tfjs-backend-wasm, or its pure-JS
// "cpu" backend) over a sequence of frames, feeding r1o..r4o back as
// r1i..r4i (scalar 0 on the first frame, as RVM's own examples do).
//
// usage: node run.js PKGDIR MODEL.json BACKEND RATIO H W FRAMES IN.f32 OUTPREFIX
//   PKGDIR: where scripts/fetch-models.sh DIR rvm-ref unpacked the two npm
//           packages (PKGDIR/tfjs/package, PKGDIR/tfjs-backend-wasm/package)
//   IN.f32: FRAMES frames of H*W*3 float32 RGB in [0,1], row-major
// Writes OUTPREFIX.<frame>.<name>.f32 for pha, r1o, r2o, r3o, r4o, and
// prints one line per frame with the shapes. Nothing is fetched.
'use strict';
const fs = require('fs');
const path = require('path');
const Module = require('module');

const [pkgdir, modelPath, backend, ratioS, hS, wS, framesS, inPath, outPrefix] = process.argv.slice(2);
if (!outPrefix) {
    console.error('usage: node run.js PKGDIR MODEL.json wasm|cpu RATIO H W FRAMES IN.f32 OUTPREFIX');
    process.exit(2);
}
const tfjsMain = path.join(pkgdir, 'tfjs/package/dist/tf.js');
const wasmMain = path.join(pkgdir, 'tfjs-backend-wasm/package/dist/tf-backend-wasm.js');
// The backend's bundle requires @tensorflow/tfjs-core; the tfjs bundle is
// a superset of it, so hand it that (no node_modules tree needed).
const origResolve = Module._resolveFilename;
Module._resolveFilename = function (req, ...rest) {
    if (req === '@tensorflow/tfjs-core' || req === '@tensorflow/tfjs')
        return tfjsMain;
    return origResolve.call(this, req, ...rest);
};
const tf = require(tfjsMain);

async function main() {
    if (backend === 'wasm') {
        const wasm = require(wasmMain);
        wasm.setWasmPaths(path.join(pkgdir, 'tfjs-backend-wasm/package/dist') + '/');
    }
    await tf.setBackend(backend);
    await tf.ready();
    const ratio = parseFloat(ratioS), H = parseInt(hS, 10), W = parseInt(wS, 10);
    const frames = parseInt(framesS, 10);
    const dir = path.dirname(modelPath);
    const model = await tf.loadGraphModel({
        load: async () => {
            const j = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
            const specs = [], bufs = [];
            for (const g of j.weightsManifest) {
                specs.push(...g.weights);
                for (const p of g.paths)
                    bufs.push(fs.readFileSync(path.join(dir, p)));
            }
            const all = Buffer.concat(bufs);
            return {
                modelTopology: j.modelTopology, format: j.format, generatedBy: j.generatedBy,
                convertedBy: j.convertedBy, signature: j.signature, userDefinedMetadata: j.userDefinedMetadata,
                weightSpecs: specs,
                weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
            };
        },
    });
    const raw = fs.readFileSync(inPath);
    const per = H * W * 3;
    if (raw.length !== frames * per * 4)
        throw new Error(`${inPath}: ${raw.length} bytes, expected ${frames * per * 4}`);
    const all = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    let rec = [tf.scalar(0), tf.scalar(0), tf.scalar(0), tf.scalar(0)];
    const dr = tf.scalar(ratio);
    const names = ['pha', 'r1o', 'r2o', 'r3o', 'r4o'];
    for (let f = 0; f < frames; f++) {
        const src = tf.tensor4d(all.slice(f * per, (f + 1) * per), [1, H, W, 3]);
        const t0 = Date.now();
        const outs = await model.executeAsync(
            { src, r1i: rec[0], r2i: rec[1], r3i: rec[2], r4i: rec[3], downsample_ratio: dr },
            ['pha', 'r1o', 'r2o', 'r3o', 'r4o', 'fgr']);
        const ms = Date.now() - t0;
        const shapes = [];
        for (let k = 0; k < 5; k++) {
            const d = await outs[k].data();
            fs.writeFileSync(`${outPrefix}.${f}.${names[k]}.f32`, Buffer.from(d.buffer, d.byteOffset, d.byteLength));
            shapes.push(`${names[k]}=${outs[k].shape.join('x')}`);
        }
        rec.forEach(t => t.dispose());
        rec = outs.slice(1, 5);
        outs[5].dispose();
        outs[0].dispose();
        src.dispose();
        console.log(`frame ${f}: ${shapes.join(' ')} ${ms} ms (${tf.getBackend()}, tfjs ${tf.version.tfjs})`);
    }
}
main().catch(e => { console.error('rvmref: ' + (e && e.stack || e)); process.exit(1); });
