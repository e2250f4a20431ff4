// SPDX-License-Identifier: GPL-3.0-or-later
// backdrop's WebAssembly (in its Worker: inference, refine, composite)
// against MediaPipe's own (the legacy @mediapipe/selfie_segmentation
// solution, SIMD wasm, same general model), on the same frames of the fake
// camera, interleaved frame by frame in one session. Then the sustained
// rate of the whole Worker loop (camera track in, insertable streams,
// output VideoFrame written to a track generator) on the live 720p30 fake
// camera: the module's own path (VideoFrame.copyTo in, I420 VideoFrame
// out) with threads (live mode: the model on its own thread; the page is
// served cross-origin isolated) and without (exact mode), its RGBA path
// (canvas readback in, RGBA out: main's), and, with baseline, another
// build's module (baseline/: e.g. main's), in turns.
// Query: n (frames, default 60), warm (default 5), secs (seconds a turn,
// default 6), turns (default 3), baseline (1: baseline/ is there), report
// (URL to POST the figures to), and backdrop settings (name=value).
import { Backdrop } from '../backdrop.js';

const q = new URLSearchParams(location.search);
const N = +(q.get('n') || 60), WARM = +(q.get('warm') || 5);
const SECS = +(q.get('secs') || 6), TURNS = +(q.get('turns') || 3);
const OWN = ['n', 'warm', 'secs', 'turns', 'baseline', 'kinds', 'report'];
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

// One turn: the Worker loop on the camera track for SECS seconds (the
// first second not counted). Output frames a second, the share of the
// camera's frames that came out (the rest were dropped by the track
// processor while the Worker was busy), and medians of the Worker's own
// ms a frame (read to written) and of the stages.
async function turn(bd, track, opts) {
    const got = [];
    const onFrame = (m) => got.push({ t: performance.now(), ts: m.stats.timestamp, s: m.stats });
    bd.on('frame', onFrame);
    const t0 = performance.now(), mine = track.clone();
    await bd.start(mine, opts);
    await new Promise((r) => setTimeout(r, SECS * 1000));
    bd.stop();
    mine.stop();
    await new Promise((r) => setTimeout(r, 300)); // the last frame in flight
    const f = got.filter((g) => g.t >= t0 + 1000);
    if (f.length < 2) return { frames: f.length, fps: 0 };
    const span = f[f.length - 1].t - f[0].t;
    const r = { frames: f.length, fps: (f.length - 1) * 1000 / span,
                inference_ms: med(f.map((g) => g.s.inference_ms)), refine_ms: med(f.map((g) => g.s.refine_ms)),
                composite_ms: med(f.map((g) => g.s.composite_ms)), input: f[0].s.input || 'RGBA readback',
                output: f[0].s.output || 'RGBA' };
    if (f[0].s.worker_ms !== undefined) r.worker_ms = mean(f.map((g) => g.s.worker_ms));
    // frames the model policy took (a new mask, or the last kept) over the
    // turn's frames: 1 in exact mode; in live mode the rest took the newest
    // mask, made from an earlier frame
    if (f[0].s.inferences !== undefined) {
        const a = f[0].s, z = f[f.length - 1].s;
        r.mode = z.mode;
        r.policy_share = (z.inferences - a.inferences) / Math.max(1, z.frames_total - a.frames_total);
    }
    // the camera's timestamps (µs): frames it made over the span
    if (f[0].ts !== undefined) {
        const made = Math.round((f[f.length - 1].ts - f[0].ts) / 1e6 * 30) + 1;
        r.camera_share = f.length / made;
    }
    return r;
}

async function sustained(settings) {
    const s = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 } });
    const track = s.getVideoTracks()[0];
    // name: module, create options, start options (kinds=a,b picks some)
    const all = {
        live: ['../backdrop.js', { ...settings, mode: 'live' }, {}],
        yuv: ['../backdrop.js', { ...settings, mode: 'exact' }, {}],
        rgba: ['../backdrop.js', { ...settings, mode: 'exact', io: 'rgba' }, {}],
        baseline: ['./baseline/backdrop.js', { ...settings }, {}],
    };
    const names = (q.get('kinds') || (crossOriginIsolated ? 'live,' : '') + 'yuv,rgba' +
                   (q.get('baseline') ? ',baseline' : '')).split(',');
    const kinds = names.map((k) => [k, ...all[k]]);
    const made = [];
    for (const [name, url, opts, start] of kinds) {
        const { Backdrop: B } = await import(url);
        made.push([name, await B.create(opts), start]);
    }
    const res = Object.fromEntries(kinds.map(([k]) => [k, []]));
    for (let i = 0; i < TURNS; i++)
        for (const [name, bd, start] of made) {
            const r = await turn(bd, track, start);
            log(`${name} turn ${i + 1}: ${JSON.stringify(r)}`);
            res[name].push(r);
        }
    for (const [, bd] of made) bd.destroy();
    track.stop();
    // each kind: its turns' median fps, and the stages of the turn nearest it
    const out = {};
    for (const [k, rs] of Object.entries(res)) {
        const m = med(rs.map((r) => r.fps));
        out[k] = { ...rs.find((r) => r.fps === m), fps_turns: rs.map((r) => +r.fps.toFixed(1)) };
    }
    return out;
}

async function main() {
    const frames = await grab(N + WARM);
    const w = frames[0].width, h = frames[0].height;
    log(`${frames.length} frames ${w}x${h}`);
    // any other query parameter is a backdrop setting (e.g. model=general,
    // MediaPipe's model, for the same-model comparison)
    const settings = {};
    for (const [k, v] of q) if (!OWN.includes(k)) settings[k] = v;
    // exact: each frame's own mask, as MediaPipe's segmentation makes
    const bd = await Backdrop.create({ ...settings, mode: 'exact' });
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
    bd.destroy();
    ss.close();
    out.sustained = await sustained(settings);
    log(JSON.stringify(out, null, 1));
    if (q.get('report')) await fetch(q.get('report'), { method: 'POST', body: JSON.stringify(out) });
}

main().catch(async (e) => {
    log('error: ' + e.message);
    if (q.get('report')) await fetch(q.get('report'), { method: 'POST', body: JSON.stringify({ error: e.message }) });
});
