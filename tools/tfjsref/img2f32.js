#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * tools/tfjsref/img2f32.js - turn a JPEG/PNG into a model input for run.js.
 *
 *   node tools/tfjsref/img2f32.js --image IMG.jpg --size 257x257 --norm pm1 --out IN.f32
 *        [--order rgb|bgr] [--pkg-dir DIR]
 *   node tools/tfjsref/img2f32.js --mask ALPHA.png --size 33x33 --out MASK.u8
 *
 * The image is stretched (aspect ratio NOT kept) to WxH with an area-average
 * (box) filter, then written as raw little-endian float32 NHWC (H*W*3 values).
 *   --norm pm1 : v/127.5 - 1   (range [-1,1]; what DeepLab and BodyPix expect)
 *   --norm 01  : v/255         (range [0,1])
 *   --norm 255 : v             (range [0,255])
 * --mask writes the first channel, box-resized, as raw uint8 (H*W bytes).
 * Decoders: npm jpeg-js / pngjs installed by setup.sh (pinned there).
 */
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg, code = 1) {
  process.stderr.write(`img2f32: error: ${msg}\n`);
  process.exit(code);
}

function parse(argv) {
  const o = {norm: null, order: 'rgb', pkgDir: null};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value (see header of img2f32.js)`, 2);
      return argv[++i];
    };
    if (a === '--image') o.image = v();
    else if (a === '--mask') o.mask = v();
    else if (a === '--size') o.size = v();
    else if (a === '--norm') o.norm = v();
    else if (a === '--order') o.order = v();
    else if (a === '--out') o.out = v();
    else if (a === '--pkg-dir') o.pkgDir = v();
    else die(`unknown argument '${a}'`, 2);
  }
  if (!!o.image === !!o.mask) die('give exactly one of --image / --mask', 2);
  if (!o.out) die('--out is required', 2);
  const m = /^(\d+)x(\d+)$/.exec(o.size || '');
  if (!m) die('--size WxH is required (e.g. 257x257)', 2);
  o.w = Number(m[1]); o.h = Number(m[2]);
  if (o.image && !['pm1', '01', '255'].includes(o.norm)) die('--norm pm1|01|255 is required', 2);
  if (!['rgb', 'bgr'].includes(o.order)) die('--order rgb|bgr', 2);
  return o;
}

function load(file, pkgDir) {
  const mod = (n) => {
    try {
      return require(path.join(pkgDir, 'node_modules', n));
    } catch (e) {
      die(`npm package ${n} not found under ${pkgDir} (run tools/tfjsref/setup.sh)`);
    }
  };
  let buf;
  try { buf = fs.readFileSync(file); } catch (e) { die(`cannot read ${file}: ${e.code}`); }
  try {
    if (buf[0] === 0xff && buf[1] === 0xd8) {
      const d = mod('jpeg-js').decode(buf, {useTArray: true, formatAsRGBA: true,
                                             maxMemoryUsageInMB: 1024});
      return {w: d.width, h: d.height, rgba: d.data};
    }
    if (buf.toString('latin1', 1, 4) === 'PNG') {
      const p = mod('pngjs').PNG.sync.read(buf);  // always expanded to RGBA
      return {w: p.width, h: p.height, rgba: p.data};
    }
  } catch (e) {
    die(`cannot decode ${file}: ${e.message}`);
  }
  die(`${file}: not a JPEG or PNG`);
}

// Area-average resize of channels [0,nch) of an RGBA image to dw x dh.
function boxResize(img, nch, dw, dh) {
  const {w: sw, h: sh, rgba} = img;
  const out = new Float64Array(dw * dh * nch);
  const acc = new Float64Array(nch);
  for (let y = 0; y < dh; y++) {
    const y0 = y * sh / dh, y1 = (y + 1) * sh / dh;
    for (let x = 0; x < dw; x++) {
      const x0 = x * sw / dw, x1 = (x + 1) * sw / dw;
      acc.fill(0);
      let wsum = 0;
      for (let sy = Math.floor(y0); sy < Math.ceil(y1); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.ceil(x1); sx++) {
          const wgt = wy * (Math.min(x1, sx + 1) - Math.max(x0, sx));
          const p = (sy * sw + sx) * 4;
          for (let c = 0; c < nch; c++) acc[c] += wgt * rgba[p + c];
          wsum += wgt;
        }
      }
      for (let c = 0; c < nch; c++) out[(y * dw + x) * nch + c] = acc[c] / wsum;
    }
  }
  return out;
}

const o = parse(process.argv.slice(2));
const pkgDir = path.resolve(o.pkgDir || process.env.TFJSREF_DIR ||
                            path.join(__dirname, '..', '..', 'build', 'tfjsref'));
const img = load(o.image || o.mask, pkgDir);
let bytes;
if (o.mask) {
  const r = boxResize(img, 1, o.w, o.h);
  bytes = Buffer.from(Uint8Array.from(r, (v) => Math.round(v)));
} else {
  const r = boxResize(img, 3, o.w, o.h);
  const f = new Float32Array(r.length);
  for (let i = 0; i < r.length; i += 3) {
    for (let c = 0; c < 3; c++) {
      const v = r[i + (o.order === 'bgr' ? 2 - c : c)];
      f[i + c] = o.norm === 'pm1' ? v / 127.5 - 1 : o.norm === '01' ? v / 255 : v;
    }
  }
  bytes = Buffer.from(f.buffer);
}
try { fs.writeFileSync(o.out, bytes); } catch (e) { die(`cannot write ${o.out}: ${e.code}`); }
