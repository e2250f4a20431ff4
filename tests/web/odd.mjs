// SPDX-License-Identifier: GPL-3.0-or-later
// An odd-sized frame through the WebAssembly module under node: 641x361,
// the doctor clip's first 640x360 frame plus a column and a row of noise.
// The filter takes even sizes; the module gives the last column and row
// their neighbour's mask and their own pixels, and the rest exactly what
// a fresh module gives for the 640x360 frame alone (exact mode).
// usage: node odd.mjs BUILD/web FRAMES.rgba (640x360 RGBA frames)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [dir, input] = process.argv.slice(2);
globalThis.__dirname = path.resolve(dir);
globalThis.require = createRequire(import.meta.url);
const { default: createBackdrop } = await import(pathToFileURL(path.resolve(dir, 'backdrop_wasm.js')));
const M = await createBackdrop({ wasmBinary: fs.readFileSync(path.join(dir, 'backdrop_wasm.wasm')) });
const w = 640, h = 360, W = 641, H = 361;
const even = fs.readFileSync(input).subarray(0, w * h * 4);
const odd = new Uint8Array(W * H * 4);
let s = 7;
for (let i = 0; i < odd.length; i++) { s = (s * 1103515245 + 12345) >>> 0; odd[i] = s >>> 24; }
for (let y = 0; y < h; y++) odd.set(even.subarray(y * w * 4, (y + 1) * w * 4), y * W * 4);
function run(px, pw, ph) {
    const b = M._bdw_create(), p = M._malloc(px.length);
    M.HEAPU8.set(px, p);
    if (M._bdw_process(b, p, pw, ph, 0) !== 0) throw new Error(M.UTF8ToString(M._bdw_last_error()));
    const out = M.HEAPU8.slice(M._bdw_output(b), M._bdw_output(b) + pw * ph * 4);
    const mask = M.HEAPU8.slice(M._bdw_mask(b), M._bdw_mask(b) + pw * ph);
    M._free(p);
    M._bdw_destroy(b);
    return { out, mask };
}
const e = run(even, w, h), o = run(odd, W, H);
const bad = [];
for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
        const ey = Math.min(y, h - 1), ex = Math.min(x, w - 1);
        if (o.mask[y * W + x] !== e.mask[ey * w + ex]) { bad.push(`mask (${x},${y})`); break; }
        for (let c = 0; c < 4 && bad.length < 3; c++) {
            const want = x < w && y < h ? e.out[(y * w + x) * 4 + c] : odd[(y * W + x) * 4 + c];
            if (o.out[(y * W + x) * 4 + c] !== want) { bad.push(`output (${x},${y})`); break; }
        }
        if (bad.length >= 3) break;
    }
const ones = e.mask.reduce((a, v) => a + (v > 127), 0);
if (bad.length || ones === 0 || ones === w * h) {
    console.log(`differs at ${bad.join(', ')} (person pixels ${ones})`);
    process.exit(1);
}
console.log(`641x361: the 640x360 part as alone, the last column and row their neighbour's mask and their own pixels`);
