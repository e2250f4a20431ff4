// SPDX-License-Identifier: GPL-3.0-or-later
// backdrop in the browser: the library's segmentation, mask refinement and
// compositing (WebAssembly with SIMD), run in a Web Worker.
//
//   import { Backdrop } from './backdrop.js';
//   const bd = await Backdrop.create({ effect: 'blur', blur: 12 });
//   const out = await bd.process(imageData);          // {data: ImageData, stats}
//   const vf = await bd.process(videoFrame);          // {data: VideoFrame, stats}
//   const mask = await bd.process(bitmap, { mask: true }); // {data: Uint8Array}
//   await bd.set({ color: '00ff00' });                 // live; old value kept on error
//   await bd.setBackground(file);                      // Blob, ImageBitmap or ImageData
//   const stream = await bd.start(cameraTrack, { canvas }); // a MediaStream to send
//   bd.destroy();
//
// Settings are the options table's names (model, effect, blur, color,
// light-wrap, mask-low, ...; see `backdrop --help`); effect is blur, color,
// image or none. Errors are rejected Promises carrying the library's message.
// A camera's VideoFrame (I420 or NV12) is copied into the module as it is
// (VideoFrame.copyTo) and the result comes back as a VideoFrame of the same
// format and colour space: no RGBA conversion on the way (option io: 'rgba'
// forces the RGBA path). On a cross-origin isolated page (COOP same-origin,
// COEP require-corp) the module has threads and runs the model on its own
// (mode 'live': each frame takes the newest mask, which lags the frame by
// one or more while the model is slower than the camera); elsewhere, or
// with mode: 'exact', every frame's mask is made from that frame.

export class Backdrop {
    #worker;
    #next = 1;
    #pending = new Map();
    #listeners = { frame: [], error: [] };
    #stop = null;

    constructor(worker) {
        this.#worker = worker;
        worker.onmessage = (e) => {
            const m = e.data;
            if (m.event) {
                for (const f of this.#listeners[m.event] || []) f(m);
                return;
            }
            const p = this.#pending.get(m.id);
            if (!p) return;
            this.#pending.delete(m.id);
            if (m.error !== undefined) p.reject(new Error(m.error));
            else p.resolve(m.result);
        };
        worker.onerror = (e) => {
            const err = new Error('backdrop: the worker failed: ' + (e.message || 'unknown error'));
            for (const p of this.#pending.values()) p.reject(err);
            this.#pending.clear();
        };
    }

    // options: {model, effect, blur, color, 'light-wrap', background, ...}
    static async create(options = {}) {
        const w = new Worker(new URL('./backdrop-worker.js', import.meta.url), { type: 'module' });
        const bd = new Backdrop(w);
        try {
            await bd.#call('create', [options]);
        } catch (e) {
            w.terminate();
            throw e;
        }
        return bd;
    }

    #call(op, args = [], transfer = []) {
        if (!this.#worker) return Promise.reject(new Error('backdrop: destroyed'));
        const id = this.#next++;
        return new Promise((resolve, reject) => {
            this.#pending.set(id, { resolve, reject });
            this.#worker.postMessage({ id, op, args }, transfer);
        });
    }

    // One frame (VideoFrame, ImageBitmap or ImageData, any size). A
    // VideoFrame or ImageBitmap is transferred (and closed) unless keep.
    // The result's data: a VideoFrame (the input's format; close it) for an
    // I420 or NV12 VideoFrame of even size, else ImageData; with mask, a
    // Uint8Array.
    process(frame, { mask = false, keep = false } = {}) {
        const t = !keep && ((typeof VideoFrame !== 'undefined' && frame instanceof VideoFrame) ||
                            (typeof ImageBitmap !== 'undefined' && frame instanceof ImageBitmap));
        return this.#call('process', [frame, mask], t ? [frame] : []);
    }

    set(settings) { return this.#call('set', [settings]); }
    setBackground(image) { return this.#call('setBackground', [image]); }
    on(event, f) { this.#listeners[event].push(f); }

    // Processes a camera track continuously; resolves to the output
    // MediaStream. Insertable streams (MediaStreamTrackProcessor/Generator)
    // where the browser has them: frames never touch the main thread except
    // for display; else a <video> element, frames as ImageBitmaps, and the
    // canvas's captureStream. canvas (optional, required without insertable
    // streams) shows the output.
    async start(track, { canvas = null, fps = 30 } = {}) {
        this.stop();
        // an ImageBitmap, or a VideoFrame (drawn by the browser's own YUV
        // to RGB, on this thread)
        const draw = canvas && ((img) => {
            const w = img.displayWidth || img.width, h = img.displayHeight || img.height;
            if (canvas.width !== w) canvas.width = w;
            if (canvas.height !== h) canvas.height = h;
            canvas.getContext('2d').drawImage(img, 0, 0);
            img.close();
        });
        if (typeof MediaStreamTrackProcessor !== 'undefined' &&
            typeof MediaStreamTrackGenerator !== 'undefined') {
            const processor = new MediaStreamTrackProcessor({ track });
            const generator = new MediaStreamTrackGenerator({ kind: 'video' });
            const onFrame = (m) => m.frame && (draw ? draw(m.frame) : m.frame.close());
            this.#listeners.frame.push(onFrame);
            this.#call('pipe', [processor.readable, generator.writable, !!draw],
                       [processor.readable, generator.writable])
                .catch((e) => { for (const f of this.#listeners.error) f({ message: e.message }); });
            this.#stop = () => {
                generator.stop();
                this.#listeners.frame = this.#listeners.frame.filter((f) => f !== onFrame);
            };
            return new MediaStream([generator]);
        }
        if (!canvas) throw new Error('backdrop: this browser has no insertable streams; give a canvas');
        const video = document.createElement('video');
        video.muted = true;
        video.playsInline = true;
        video.srcObject = new MediaStream([track]);
        await video.play();
        let running = true;
        const loop = async () => {
            while (running) {
                if (video.readyState >= 2 && video.videoWidth) {
                    try {
                        const frame = await createImageBitmap(video);
                        const r = await this.process(frame);
                        const bitmap = await createImageBitmap(r.data);
                        draw(bitmap);
                        for (const f of this.#listeners.frame) f({ stats: r.stats });
                    } catch (e) {
                        if (!running) break;
                        for (const f of this.#listeners.error) f({ message: e.message });
                        await new Promise((r) => setTimeout(r, 100));
                    }
                } else {
                    await new Promise((r) => setTimeout(r, 10));
                }
            }
        };
        loop();
        this.#stop = () => { running = false; video.srcObject = null; };
        return canvas.captureStream(fps);
    }

    stop() {
        if (this.#stop) this.#stop();
        this.#stop = null;
    }

    destroy() {
        this.stop();
        if (!this.#worker) return;
        this.#worker.postMessage({ id: 0, op: 'destroy' });
        const w = this.#worker;
        setTimeout(() => w.terminate(), 100);
        this.#worker = null;
        for (const p of this.#pending.values()) p.reject(new Error('backdrop: destroyed'));
        this.#pending.clear();
    }
}
