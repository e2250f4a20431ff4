#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * tools/tfjsref/personstats.js - summarise a segmentation output from run.js.
 *
 *   node tools/tfjsref/personstats.js --kind deeplab|bodypix --size WxH --in OUT.f32
 *        [--mask MASK.u8] [--png VIS.png] [--pkg-dir DIR]
 *
 * deeplab : OUT.f32 is H*W*C logits (C = 21 PASCAL classes); a pixel is
 *           "person" when argmax == 15.
 * bodypix : OUT.f32 is H*W*1 logits (float_segments); "person" when logit > 0
 *           (sigmoid > 0.5).
 * --mask  : H*W uint8 reference mask (e.g. from img2f32.js --mask); >= 128 is
 *           person; adds IoU.  --png writes prediction | mask side by side.
 * Prints one JSON line.
 */
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg, code = 1) {
  process.stderr.write(`personstats: error: ${msg}\n`);
  process.exit(code);
}

const o = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = () => {
    if (i + 1 >= argv.length) die(`${a} needs a value`, 2);
    return argv[++i];
  };
  if (a === '--kind') o.kind = v();
  else if (a === '--size') o.size = v();
  else if (a === '--in') o.in = v();
  else if (a === '--mask') o.mask = v();
  else if (a === '--png') o.png = v();
  else if (a === '--pkg-dir') o.pkgDir = v();
  else die(`unknown argument '${a}'`, 2);
}
if (!['deeplab', 'bodypix'].includes(o.kind)) die('--kind deeplab|bodypix is required', 2);
const m = /^(\d+)x(\d+)$/.exec(o.size || '');
if (!m) die('--size WxH is required', 2);
if (!o.in) die('--in is required', 2);
const W = Number(m[1]), H = Number(m[2]), N = W * H;

const read = (f) => {
  try { return fs.readFileSync(f); } catch (e) { die(`cannot read ${f}: ${e.code}`); }
};
const b = read(o.in);
if (b.length % (4 * N)) die(`${o.in}: ${b.length} bytes is not a multiple of ${W}x${H} float32`);
const x = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
const C = x.length / N;
if (o.kind === 'bodypix' && C !== 1) die(`bodypix output must have 1 channel, got ${C}`);

const PERSON = 15;
const pred = new Uint8Array(N);
const hist = new Array(C).fill(0);
let lo = Infinity, hi = -Infinity;
for (let i = 0; i < N; i++) {
  if (o.kind === 'deeplab') {
    let best = 0;
    for (let c = 1; c < C; c++) if (x[i * C + c] > x[i * C + best]) best = c;
    hist[best]++;
    pred[i] = best === PERSON ? 1 : 0;
  } else {
    pred[i] = x[i] > 0 ? 1 : 0;
  }
}
for (const v of x) { if (v < lo) lo = v; if (v > hi) hi = v; }
const res = {kind: o.kind, size: [W, H], channels: C,
             person_frac: +(pred.reduce((a, v) => a + v, 0) / N).toFixed(4),
             logit_range: [+lo.toFixed(4), +hi.toFixed(4)]};
if (o.kind === 'deeplab') {
  res.top_classes = hist.map((n, c) => [c, +(n / N).toFixed(4)])
      .filter((e) => e[1] > 0).sort((p, q) => q[1] - p[1]).slice(0, 5);
}
let mask = null;
if (o.mask) {
  mask = read(o.mask);
  if (mask.length !== N) die(`${o.mask}: ${mask.length} bytes, expected ${N}`);
  let inter = 0, uni = 0;
  for (let i = 0; i < N; i++) {
    const g = mask[i] >= 128;
    if (pred[i] && g) inter++;
    if (pred[i] || g) uni++;
  }
  res.iou = uni ? +(inter / uni).toFixed(4) : null;
}
if (o.png) {
  const pkgDir = path.resolve(o.pkgDir || process.env.TFJSREF_DIR ||
                              path.join(__dirname, '..', '..', 'build', 'tfjsref'));
  let PNG;
  try {
    ({PNG} = require(path.join(pkgDir, 'node_modules', 'pngjs')));
  } catch (e) {
    die(`npm package pngjs not found under ${pkgDir} (run tools/tfjsref/setup.sh)`);
  }
  const cols = mask ? 2 : 1;
  const png = new PNG({width: W * cols, height: H});
  for (let y = 0; y < H; y++) {
    for (let xx = 0; xx < W; xx++) {
      const i = y * W + xx;
      const vals = [pred[i] ? 255 : 0];
      if (mask) vals.push(mask[i]);
      vals.forEach((v, k) => {
        const q = (y * W * cols + k * W + xx) * 4;
        png.data[q] = png.data[q + 1] = png.data[q + 2] = v;
        png.data[q + 3] = 255;
      });
    }
  }
  try { fs.writeFileSync(o.png, PNG.sync.write(png)); } catch (e) { die(`cannot write ${o.png}: ${e.code}`); }
}
process.stdout.write(JSON.stringify(res) + '\n');
