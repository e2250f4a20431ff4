// SPDX-License-Identifier: GPL-3.0-or-later
// backdrop's WebAssembly (in its Worker: inference, refine, composite)
// against MediaPipe's own (the legacy @mediapipe/selfie_segmentation
// solution, SIMD wasm, same general model), on the same frames of the fake
// camera, interleaved frame by frame in one session. Query: n (frames,
// default 60), warm (default 5), report (URL to POST the figures to), and
// backdrop settings (name=value).
import { Backdrop } from '../backdrop.js';

const q = new URLSearchParams(location.search);
const N = +(q.get('n') || 60), WARM = +(q.get('warm') || 5);
const log = (s) => { document.getElementById('log').textContent += s + '\n'; };

async function grab(n) {
    const s = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
    const v = document.createElement('video');
    v.muted = true; v.srcObject = s; await v.play();
    const frames = [];
    let last = -1;
    while (frames.length < n) {
        await new Promise((r) => v.requestVideoFrameCallback ? v.requestVideoFrameCallback(r) : setTimeout(r, 33));
        if (v.currentTime === last) continue;
        last = v.currentTime;
        frames.push(await createImageBitmap(v));
    }
    s.getTracks().forEach((t) => t.stop());
    return frames;
}

const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;

async function main() {
    const frames = await grab(N + WARM);
    const w = frames[0].width, h = frames[0].height;
    log(`${frames.length} frames ${w}x${h}`);
    // any other query parameter is a backdrop setting (e.g. model=general,
    // MediaPipe's model, for the same-model comparison)
    const settings = {};
    for (const [k, v] of q) if (!['n', 'warm', 'report'].includes(k)) settings[k] = v;
    const bd = await Backdrop.create(settings);
    const ss = new SelfieSegmentation({ locateFile: (f) => `mediapipe/${f}` });
    ss.setOptions({ modelSelection: 0, selfieMode: false });
    let done = null;
    ss.onResults(() => done && done());
    await ss.initialize();
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    const c2d = canvas.getContext('2d');
    const ours = { inference: [], refine: [], composite: [], call: [] }, theirs = [];
    for (let i = 0; i < frames.length; i++) {
        // ours: the frame to the Worker and the composited frame back
        let t = performance.now();
        const r = await bd.process(frames[i], { keep: true });
        const call = performance.now() - t;
        // theirs: segmentation alone (send resolves after onResults)
        c2d.drawImage(frames[i], 0, 0);
        t = performance.now();
        await new Promise((res) => { done = res; ss.send({ image: canvas }); });
        const seg = performance.now() - t;
        if (i < WARM) continue;
        ours.inference.push(r.stats.inference_ms); ours.refine.push(r.stats.refine_ms);
        ours.composite.push(r.stats.composite_ms); ours.call.push(call); theirs.push(seg);
    }
    const pipeline = ours.inference.map((x, i) => x + ours.refine[i] + ours.composite[i]);
    const out = {
        width: w, height: h, frames: N, userAgent: navigator.userAgent, settings,
        ours: { inference_ms: med(ours.inference), refine_ms: med(ours.refine), composite_ms: med(ours.composite),
                pipeline_ms: med(pipeline), call_ms: med(ours.call), fps: 1000 / mean(ours.call),
                pipeline_fps: 1000 / mean(pipeline) },
        mediapipe: { segmentation_ms: med(theirs), fps: 1000 / mean(theirs) },
    };
    out.ratio_inference = out.ours.inference_ms / out.mediapipe.segmentation_ms;
    out.ratio_pipeline = out.ours.pipeline_ms / out.mediapipe.segmentation_ms;
    log(JSON.stringify(out, null, 1));
    bd.destroy();
    if (q.get('report')) await fetch(q.get('report'), { method: 'POST', body: JSON.stringify(out) });
}

main().catch(async (e) => {
    log('error: ' + e.message);
    if (q.get('report')) await fetch(q.get('report'), { method: 'POST', body: JSON.stringify({ error: e.message }) });
});
