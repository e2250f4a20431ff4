// SPDX-License-Identifier: GPL-3.0-or-later
// The Worker of backdrop.js: owns the WebAssembly module (backdrop_wasm.js)
// and answers its messages {id, op, args} with {id, result} or {id, error},
// so that the page's main thread never waits on a frame.
// Two builds of the module: backdrop_wasm_mt.js has threads (Emscripten
// pthreads, SharedArrayBuffer), so only a cross-origin isolated page (COOP
// same-origin, COEP require-corp) can load it; there the model runs on a
// thread of its own (live mode) unless exact is asked for. Elsewhere
// backdrop_wasm.js, one thread, exact mode.
const threaded = self.crossOriginIsolated === true;

let M = null;      // the wasm module
let b = 0;         // its struct bdw *
let inPtr = 0, inSize = 0;
let layoutPtr = 0; // 6 ints: the copied VideoFrame's plane offsets and strides
let canvas = null, ctx = null; // for decoding frames to RGBA
let stream = null; // insertable streams: {reader, writer, display}
// 'yuv': a camera's VideoFrame goes into the wasm heap by copyTo in its own
// format (I420 or NV12) and comes back as a VideoFrame of that format (no
// RGBA on either side);
// 'rgba': every frame through an OffscreenCanvas readback and RGBA out.
let io = 'yuv';
const YUV_FORMATS = { I420: 0, NV12: 1 }; // enum bd_pixel_format

function fail(msg) { throw new Error(msg); }
function libError() { return new Error(M.UTF8ToString(M._bdw_last_error())); }

function cstr(s) {
    const n = M.lengthBytesUTF8(s) + 1, p = M._malloc(n);
    M.stringToUTF8(s, p, n);
    return p;
}

function set(name, value) {
    const pn = cstr(String(name)), pv = cstr(String(value));
    const rc = M._bdw_set(b, pn, pv);
    M._free(pn);
    M._free(pv);
    if (rc !== 0) throw libError();
}

// effect last: {effect: 'color', color: ...} needs its colour first
function setAll(settings) {
    const e = Object.entries(settings);
    for (const [k, v] of [...e.filter(([k]) => k !== 'effect'), ...e.filter(([k]) => k === 'effect')]) set(k, v);
}

// Any frame the browser gives -> RGBA bytes (ImageData's layout).
function rgbaOf(frame) {
    if (typeof ImageData !== 'undefined' && frame instanceof ImageData)
        return { data: frame.data, width: frame.width, height: frame.height };
    let w, h;
    if (typeof VideoFrame !== 'undefined' && frame instanceof VideoFrame) {
        w = frame.displayWidth; h = frame.displayHeight;
    } else if ((typeof ImageBitmap !== 'undefined' && frame instanceof ImageBitmap) ||
               (typeof OffscreenCanvas !== 'undefined' && frame instanceof OffscreenCanvas)) {
        w = frame.width; h = frame.height;
    } else if (frame && frame.data && frame.width && frame.height &&
               frame.data.length === frame.width * frame.height * 4) {
        return frame; // {data, width, height} of RGBA bytes
    } else {
        fail('frame: unsupported input ' + Object.prototype.toString.call(frame) +
             '; give a VideoFrame, ImageBitmap or ImageData');
    }
    if (!canvas || canvas.width !== w || canvas.height !== h) {
        canvas = new OffscreenCanvas(w, h);
        ctx = canvas.getContext('2d', { willReadFrequently: true });
    }
    ctx.drawImage(frame, 0, 0, w, h);
    return ctx.getImageData(0, 0, w, h);
}

async function setBackground(src) {
    let img = src;
    if (typeof Blob !== 'undefined' && src instanceof Blob) {
        try {
            img = await createImageBitmap(src);
        } catch (e) {
            fail(`background: cannot decode ${src.name || 'the image'} (${src.type || 'unknown type'}); ` +
                 'give a JPEG, PNG or WebP picture');
        }
    }
    const rgba = rgbaOf(img);
    const n = rgba.width * rgba.height * 4, p = M._malloc(n);
    M.HEAPU8.set(rgba.data, p);
    const rc = M._bdw_set_background(b, p, rgba.width, rgba.height);
    M._free(p);
    if (rc !== 0) throw libError();
}

function heapFor(n) {
    if (n > inSize) {
        if (inPtr) M._free(inPtr);
        inPtr = M._malloc(n);
        if (!inPtr) { inSize = 0; fail(`frame: out of memory for ${n} bytes`); }
        inSize = n;
    }
    return inPtr;
}

// A VideoFrame the module takes as it is (I420 or NV12, even size).
function yuvCapable(frame) {
    return io === 'yuv' && typeof VideoFrame !== 'undefined' && frame instanceof VideoFrame &&
        frame.format in YUV_FORMATS && !(frame.codedWidth & 1) && !(frame.codedHeight & 1) &&
        frame.visibleRect && frame.visibleRect.x === 0 && frame.visibleRect.y === 0 &&
        frame.visibleRect.width === frame.codedWidth && frame.visibleRect.height === frame.codedHeight &&
        frame.displayWidth === frame.codedWidth && frame.displayHeight === frame.codedHeight;
}

// The camera's frame straight into the wasm heap (copyTo, its own planes),
// the composited frame out as a VideoFrame made from the heap (the
// constructor copies it: nothing else does).
async function runYuv(frame, wantMask) {
    const w = frame.codedWidth, h = frame.codedHeight, n = frame.allocationSize();
    const p = heapFor(n);
    if (!layoutPtr) layoutPtr = M._malloc(6 * 4);
    const planes = await frame.copyTo(M.HEAPU8.subarray(p, p + n));
    const l = new Int32Array(M.HEAPU8.buffer, layoutPtr, 6);
    planes.forEach((pl, i) => { l[2 * i] = pl.offset; l[2 * i + 1] = pl.stride; });
    const cs = frame.colorSpace || {};
    const rc = M._bdw_process_yuv(b, YUV_FORMATS[frame.format], p, w, h, layoutPtr,
                                  cs.matrix === 'bt709' ? 1 : 0, cs.fullRange ? 1 : 0, wantMask ? 1 : 0);
    if (rc !== 0) throw libError();
    // the output: the input's format and colour, tight
    const o = M._bdw_output_yuv(b);
    const out = new VideoFrame(M.HEAPU8.subarray(o, o + w * h * 3 / 2), {
        format: frame.format, codedWidth: w, codedHeight: h, timestamp: frame.timestamp,
        duration: frame.duration ?? undefined, colorSpace: cs.toJSON ? cs.toJSON() : undefined });
    return { width: w, height: h, out, stats: statsOf(`${frame.format} copyTo`, `${frame.format} VideoFrame`),
             mask: wantMask ? M.HEAPU8.slice(M._bdw_mask(b), M._bdw_mask(b) + w * h) : null };
}

// ms per stage; frames and inferences (the model policy's frames: in live
// mode, fewer than the frames, each of which takes the newest mask)
function statsOf(input, output) {
    return { inference_ms: M._bdw_stat(b, 0), refine_ms: M._bdw_stat(b, 1),
             composite_ms: M._bdw_stat(b, 2), frames_total: M._bdw_stat(b, 3),
             inferences: M._bdw_stat(b, 4), mode: M._bdw_stat(b, 5) ? 'live' : 'exact', input, output };
}

// One frame through the module; the result's buffer is a copy.
function run(frame, maskOnly) {
    const rgba = rgbaOf(frame);
    const n = rgba.width * rgba.height * 4;
    M.HEAPU8.set(rgba.data, heapFor(n));
    if (M._bdw_process(b, inPtr, rgba.width, rgba.height, maskOnly ? 1 : 0) !== 0) throw libError();
    const stats = statsOf(rgba === frame || frame instanceof ImageData ? 'RGBA' : 'RGBA readback', 'RGBA');
    const out = maskOnly ? M.HEAPU8.slice(M._bdw_mask(b), M._bdw_mask(b) + n / 4)
                         : M.HEAPU8.slice(M._bdw_output(b), M._bdw_output(b) + n);
    return { width: rgba.width, height: rgba.height, out, stats };
}

const ops = {
    // options: settings, background, io, and mode: 'live' (the default
    // where threads are) or 'exact'
    async create(options) {
        const { background, io: path, mode, ...rest } = options || {};
        if (mode !== undefined && mode !== 'live' && mode !== 'exact')
            fail(`mode: '${mode}' is not live or exact`);
        if (mode === 'live' && !threaded)
            fail("mode: 'live' needs threads, which need a cross-origin isolated page " +
                 '(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)');
        const live = mode ? mode === 'live' : threaded;
        const { default: createBackdrop } = await import(live ? './backdrop_wasm_mt.js' : './backdrop_wasm.js');
        M = await createBackdrop();
        b = M._bdw_create();
        if (!b) throw libError();
        if (live && M._bdw_set_live(b, 1) !== 0) throw libError();
        if (path) ops.io(path);
        setAll(rest);
        if (background) await setBackground(background);
        return true;
    },
    set(settings) {
        setAll(settings);
        return true;
    },
    // 'yuv' (default) or 'rgba' (the frames' path, see io above; for
    // benches and tests)
    io(path) {
        if (path !== 'yuv' && path !== 'rgba') fail(`io: '${path}' is not yuv or rgba`);
        io = path;
        return true;
    },
    setBackground,
    async process(frame, maskOnly) {
        if (!maskOnly && yuvCapable(frame)) {
            let r;
            try {
                r = await runYuv(frame, false);
            } finally {
                frame.close();
            }
            return { result: { data: r.out, width: r.width, height: r.height, stats: r.stats }, transfer: [r.out] };
        }
        const r = run(frame, maskOnly);
        if (frame.close) frame.close();
        const data = maskOnly ? r.out : new ImageData(new Uint8ClampedArray(r.out.buffer), r.width, r.height);
        return { result: { data, width: r.width, height: r.height, stats: r.stats }, transfer: [r.out.buffer] };
    },
    // Insertable streams: frames flow from readable to writable here;
    // each output is also posted back (a VideoFrame, transferred, for the
    // page to draw) when display is set.
    async pipe(readable, writable, display) {
        const reader = readable.getReader(), writer = writable.getWriter();
        stream = { reader, writer };
        for (;;) {
            const { value: frame, done } = await reader.read();
            if (done) break;
            const t0 = performance.now();
            let out, stats;
            try {
                if (yuvCapable(frame)) {
                    ({ out, stats } = await runYuv(frame, false));
                } else {
                    const r = run(frame, false);
                    stats = r.stats;
                    out = new VideoFrame(r.out, { format: 'RGBA', codedWidth: r.width,
                                                  codedHeight: r.height, timestamp: frame.timestamp });
                }
            } catch (e) {
                self.postMessage({ event: 'error', message: e.message });
                continue;
            } finally {
                frame.close();
            }
            const shown = display ? out.clone() : null;
            stats.timestamp = out.timestamp;
            try {
                await writer.write(out);
            } catch (e) { // the generator stopped
                out.close();
                if (shown) shown.close();
                throw e;
            }
            stats.worker_ms = performance.now() - t0; // frame read to frame written
            self.postMessage({ event: 'frame', stats, frame: shown }, shown ? [shown] : []);
        }
        return true;
    },
    destroy() {
        if (stream) { stream.reader.cancel().catch(() => {}); stream = null; }
        if (b) M._bdw_destroy(b);
        if (inPtr) M._free(inPtr);
        if (layoutPtr) M._free(layoutPtr);
        b = inPtr = inSize = layoutPtr = 0;
        return true;
    },
};

self.onmessage = async (e) => {
    const { id, op, args } = e.data;
    try {
        if (!ops[op]) fail(`backdrop: unknown operation ${op}`);
        if (op !== 'create' && !b) fail('backdrop: this processor was destroyed or never created');
        const r = await ops[op](...(args || []));
        if (r && r.transfer) self.postMessage({ id, result: r.result }, r.transfer);
        else self.postMessage({ id, result: r });
    } catch (err) {
        self.postMessage({ id, error: err && err.message ? err.message : String(err) });
    }
};
