// SPDX-License-Identifier: GPL-3.0-or-later
// The WebAssembly module under node: RGBA frames in (raw, WxH), the masks
// out (raw, one byte a pixel), with the settings given. tests/web/equal.sh
// compares them with tests/web/native_masks (the same C, built natively).
// usage: node masks.mjs BUILD/web FRAMES.rgba W H OUT.mask [name=value...]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [dir, input, w, h, output, ...settings] = process.argv.slice(2);
const W = +w, H = +h;
// Emscripten 3.1.6's ES module reads these CommonJS globals under node.
globalThis.__dirname = path.resolve(dir);
globalThis.require = createRequire(import.meta.url);
const { default: createBackdrop } = await import(pathToFileURL(path.resolve(dir, 'backdrop_wasm.js')));
// the wasm given as bytes: this emscripten's loader fetch()es a file: URL,
// which node's fetch refuses
const M = await createBackdrop({ wasmBinary: fs.readFileSync(path.join(dir, 'backdrop_wasm.wasm')) });
const cstr = (s) => { const n = M.lengthBytesUTF8(s) + 1, p = M._malloc(n); M.stringToUTF8(s, p, n); return p; };
const b = M._bdw_create();
if (!b) throw new Error(M.UTF8ToString(M._bdw_last_error()));
for (const kv of settings) {
    const i = kv.indexOf('=');
    const pn = cstr(kv.slice(0, i)), pv = cstr(kv.slice(i + 1));
    if (M._bdw_set(b, pn, pv) !== 0) throw new Error(M.UTF8ToString(M._bdw_last_error()));
    M._free(pn); M._free(pv);
}
const frames = fs.readFileSync(input), size = W * H * 4, n = frames.length / size;
const inp = M._malloc(size), out = fs.openSync(output, 'w');
for (let f = 0; f < n; f++) {
    M.HEAPU8.set(frames.subarray(f * size, (f + 1) * size), inp);
    if (M._bdw_process(b, inp, W, H, 1) !== 0) throw new Error(M.UTF8ToString(M._bdw_last_error()));
    fs.writeSync(out, M.HEAPU8.subarray(M._bdw_mask(b), M._bdw_mask(b) + W * H));
}
fs.closeSync(out);
M._bdw_destroy(b);
