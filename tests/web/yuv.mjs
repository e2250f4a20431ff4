// SPDX-License-Identifier: GPL-3.0-or-later
// The camera's own frames through the WebAssembly module under node
// (bdw_process_yuv, the path VideoFrame.copyTo feeds in the browser): the
// doctor clip's I420 frames given tight as I420, and the same frames as
// NV12 in a layout of the module's choosing (chroma before luma, padded
// rows), give the same masks and the same output byte for byte (exact
// mode, colour effect; the output is in the input's format: NV12's
// interleaved chroma compared with I420's planes); the output's background
// is the colour, in I420's plane order, and the person is there.
// usage: node yuv.mjs BUILD/web FRAMES.i420 W H
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [dir, input, ws, hs] = process.argv.slice(2);
const w = +ws, h = +hs, cw = w / 2, ch = h / 2, size = w * h * 3 / 2;
globalThis.__dirname = path.resolve(dir);
globalThis.require = createRequire(import.meta.url);
const { default: createBackdrop } = await import(pathToFileURL(path.resolve(dir, 'backdrop_wasm.js')));
const M = await createBackdrop({ wasmBinary: fs.readFileSync(path.join(dir, 'backdrop_wasm.wasm')) });
const all = fs.readFileSync(input), frames = all.length / size;
const I420 = 0, NV12 = 1;

function cstr(s) { const n = M.lengthBytesUTF8(s) + 1, p = M._malloc(n); M.stringToUTF8(s, p, n); return p; }
function make() {
    const b = M._bdw_create();
    for (const [k, v] of [['color', '00ff00'], ['effect', 'color']]) {
        const pk = cstr(k), pv = cstr(v);
        if (M._bdw_set(b, pk, pv) !== 0) throw new Error(M.UTF8ToString(M._bdw_last_error()));
        M._free(pk); M._free(pv);
    }
    return b;
}
// one frame: bytes laid out by the caller, layout [off, stride] per plane
function run(b, fmt, bytes, layout) {
    const p = M._malloc(bytes.length), l = M._malloc(24);
    M.HEAPU8.set(bytes, p);
    new Int32Array(M.HEAPU8.buffer, l, 6).set(layout);
    if (M._bdw_process_yuv(b, fmt, p, w, h, l, 0, 0, 1) !== 0) throw new Error(M.UTF8ToString(M._bdw_last_error()));
    const o = M._bdw_output_yuv(b), m = M._bdw_mask(b);
    const r = { out: M.HEAPU8.slice(o, o + size), mask: M.HEAPU8.slice(m, m + w * h) };
    M._free(p); M._free(l);
    return r;
}
// NV12, chroma first: UV rows of stride w + 64 at 0, Y rows of stride w + 32 after
function nv12(f) {
    const su = w + 64, sy = w + 32, yoff = su * ch, buf = new Uint8Array(yoff + sy * h);
    for (let y = 0; y < h; y++) buf.set(f.subarray(y * w, (y + 1) * w), yoff + y * sy);
    for (let y = 0; y < ch; y++)
        for (let x = 0; x < cw; x++) {
            buf[y * su + 2 * x] = f[w * h + y * cw + x];
            buf[y * su + 2 * x + 1] = f[w * h + cw * ch + y * cw + x];
        }
    return { buf, layout: [yoff, sy, 0, su, 0, 0] };
}
const a = make(), c = make();
let bad = '';
let last;
for (let i = 0; i < frames && !bad; i++) {
    const f = all.subarray(i * size, (i + 1) * size);
    const r1 = run(a, I420, f, [0, w, w * h, cw, w * h + cw * ch, cw]);
    const n = nv12(f), r2 = run(c, NV12, n.buf, n.layout);
    const o2 = r2.out.slice(); // NV12 out -> I420 planes
    for (let k = 0; k < cw * ch; k++) {
        o2[w * h + k] = r2.out[w * h + 2 * k];
        o2[w * h + cw * ch + k] = r2.out[w * h + 2 * k + 1];
    }
    if (Buffer.compare(r1.mask, r2.mask)) bad = `frame ${i}: the NV12 layout's mask differs from I420's`;
    else if (Buffer.compare(r1.out, o2)) bad = `frame ${i}: the NV12 layout's output differs from I420's`;
    last = r1;
}
// BT.601 limited #00ff00: Y 145, U 54, V 34
const at = (x, y) => [last.out[y * w + x], last.out[w * h + (y >> 1) * cw + (x >> 1)],
                      last.out[w * h + cw * ch + (y >> 1) * cw + (x >> 1)]];
const corner = at(4, 4), near = (p, q) => p.every((v, k) => Math.abs(v - q[k]) <= 2);
const ones = last.mask.reduce((s, v) => s + (v > 127), 0);
if (!bad && !near(corner, [145, 54, 34])) bad = `the background corner is YUV ${corner}, not the colour's 145,54,34`;
if (!bad && (ones < w * h / 20 || ones > w * h / 2)) bad = `the mask has ${ones} person pixels of ${w * h}`;
if (!bad && near(at(Math.round(w * 0.6), Math.round(h * 0.75)), [145, 54, 34])) bad = "the person's centre is the colour";
if (bad) { console.log(bad); process.exit(1); }
console.log(`${frames} frames ${w}x${h}: I420 tight and NV12 (chroma first, padded rows) give the same masks and output; ` +
            `background ${corner}, ${ones} person pixels`);
