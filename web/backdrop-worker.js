// SPDX-License-Identifier: GPL-3.0-or-later
// The Worker of backdrop.js: owns the WebAssembly module (backdrop_wasm.js)
// and answers its messages {id, op, args} with {id, result} or {id, error},
// so that the page's main thread never waits on a frame.
import createBackdrop from './backdrop_wasm.js';

let M = null;      // the wasm module
let b = 0;         // its struct bdw *
let inPtr = 0, inSize = 0;
let canvas = null, ctx = null; // for decoding frames to RGBA
let stream = null; // insertable streams: {reader, writer, display}

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

// One frame through the module; the result's buffer is a copy.
function run(frame, maskOnly) {
    const rgba = rgbaOf(frame);
    const n = rgba.width * rgba.height * 4;
    if (n > inSize) {
        if (inPtr) M._free(inPtr);
        inPtr = M._malloc(n);
        inSize = n;
    }
    M.HEAPU8.set(rgba.data, inPtr);
    if (M._bdw_process(b, inPtr, rgba.width, rgba.height, maskOnly ? 1 : 0) !== 0) throw libError();
    const stats = { inference_ms: M._bdw_stat(b, 0), refine_ms: M._bdw_stat(b, 1),
                    composite_ms: M._bdw_stat(b, 2) };
    const out = maskOnly ? M.HEAPU8.slice(M._bdw_mask(b), M._bdw_mask(b) + n / 4)
                         : M.HEAPU8.slice(M._bdw_output(b), M._bdw_output(b) + n);
    return { width: rgba.width, height: rgba.height, out, stats };
}

const ops = {
    async create(options) {
        M = await createBackdrop();
        b = M._bdw_create();
        if (!b) throw libError();
        const { background, ...rest } = options || {};
        for (const [k, v] of Object.entries(rest)) set(k, v);
        if (background) await setBackground(background);
        return true;
    },
    set(settings) {
        for (const [k, v] of Object.entries(settings)) set(k, v);
        return true;
    },
    setBackground,
    process(frame, maskOnly) {
        const r = run(frame, maskOnly);
        if (frame.close) frame.close();
        const data = maskOnly ? r.out : new ImageData(new Uint8ClampedArray(r.out.buffer), r.width, r.height);
        return { result: { data, width: r.width, height: r.height, stats: r.stats }, transfer: [r.out.buffer] };
    },
    // Insertable streams: frames flow from readable to writable here;
    // each output is also posted back as an ImageBitmap when display is set.
    async pipe(readable, writable, display) {
        const reader = readable.getReader(), writer = writable.getWriter();
        stream = { reader, writer };
        for (;;) {
            const { value: frame, done } = await reader.read();
            if (done) break;
            let r;
            try {
                r = run(frame, false);
            } catch (e) {
                frame.close();
                self.postMessage({ event: 'error', message: e.message });
                continue;
            }
            const ts = frame.timestamp;
            frame.close();
            const out = new VideoFrame(r.out, { format: 'RGBA', codedWidth: r.width,
                                               codedHeight: r.height, timestamp: ts });
            let bitmap = null;
            if (display) bitmap = await createImageBitmap(new ImageData(new Uint8ClampedArray(r.out.buffer), r.width, r.height));
            await writer.write(out);
            self.postMessage({ event: 'frame', stats: r.stats, bitmap }, bitmap ? [bitmap] : []);
        }
        return true;
    },
    destroy() {
        if (stream) { stream.reader.cancel().catch(() => {}); stream = null; }
        if (b) M._bdw_destroy(b);
        if (inPtr) M._free(inPtr);
        b = inPtr = inSize = 0;
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
