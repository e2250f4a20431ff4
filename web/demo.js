// SPDX-License-Identifier: GPL-3.0-or-later
// The demo page: camera -> backdrop (in its Worker) -> <canvas id="output">.
// Query parameters (for tests and links): effect, color (RRGGBB), blur,
// model, mode (live or exact), background (a URL, handed over as an upload is), and report (a
// URL: after `wait` seconds, default 3, the page POSTs its figures and
// probes of the output there, then does so again after each upload).
import { Backdrop } from './backdrop.js';

const $ = (id) => document.getElementById(id);
const q = new URLSearchParams(location.search);
const stats = { fps: 0, inference_ms: 0, refine_ms: 0, composite_ms: 0, frames: 0 };
window.backdropStats = stats;
let bd = null, track = null;
const times = [];

function showError(msg) { $('error').textContent = msg; console.error(msg); }

// The built-in backgrounds, drawn here so that nothing binary ships.
const builtins = {
    sunset(c) {
        const g = c.createLinearGradient(0, 0, 0, 360);
        g.addColorStop(0, '#ff7e5f'); g.addColorStop(1, '#2b1055');
        c.fillStyle = g; c.fillRect(0, 0, 640, 360);
    },
    sea(c) {
        const g = c.createLinearGradient(0, 0, 0, 360);
        g.addColorStop(0, '#9be2fe'); g.addColorStop(0.55, '#67d1fb'); g.addColorStop(0.56, '#1e6ca8'); g.addColorStop(1, '#0b3a60');
        c.fillStyle = g; c.fillRect(0, 0, 640, 360);
    },
    studio(c) {
        const g = c.createRadialGradient(320, 140, 20, 320, 180, 420);
        g.addColorStop(0, '#6b7a8f'); g.addColorStop(1, '#1c2230');
        c.fillStyle = g; c.fillRect(0, 0, 640, 360);
    },
};

async function builtinBitmap(name) {
    const oc = new OffscreenCanvas(640, 360);
    builtins[name](oc.getContext('2d'));
    return createImageBitmap(oc);
}

async function useBackground(image) {
    try {
        await bd.setBackground(image);
        $('effect').value = 'image';
        $('error').textContent = '';
        return true;
    } catch (e) {
        // the old background stays: the worker only replaces it on success
        showError(e.message);
        return false;
    }
}

async function set(settings) {
    try {
        await bd.set(settings);
        $('error').textContent = '';
    } catch (e) {
        showError(e.message);
    }
}

async function openCamera(deviceId) {
    if (track) track.stop();
    const s = await navigator.mediaDevices.getUserMedia({
        video: deviceId ? { deviceId: { exact: deviceId } } : { width: 1280, height: 720 } });
    track = s.getVideoTracks()[0];
    await bd.start(track, { canvas: $('output') });
}

async function listCameras() {
    const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    $('camera').replaceChildren(...devices.map((d, i) => new Option(d.label || `camera ${i + 1}`, d.deviceId)));
    if (track) $('camera').value = track.getSettings().deviceId || '';
}

function onFrame(m) {
    const now = performance.now();
    times.push(now);
    while (times.length > 1 && now - times[0] > 2000) times.shift();
    stats.frames++;
    stats.fps = times.length > 1 ? (times.length - 1) * 1000 / (now - times[0]) : 0;
    Object.assign(stats, m.stats);
    if (stats.frames % 10 === 0)
        $('stats').textContent = `${stats.fps.toFixed(1)} fps · inference ${stats.inference_ms.toFixed(1)} ms · ` +
            `refine ${stats.refine_ms.toFixed(1)} ms · composite ${stats.composite_ms.toFixed(1)} ms · ${stats.frames} frames`;
}

// Pixels of the output at fractions of its size, for tests.
function probe(points) {
    const c = $('output'), ctx = c.getContext('2d');
    return points.map(([fx, fy]) => Array.from(ctx.getImageData(Math.floor(fx * (c.width - 1)),
                                                                Math.floor(fy * (c.height - 1)), 1, 1).data));
}

async function report(tag) {
    const url = q.get('report');
    if (!url) return;
    const points = JSON.parse(q.get('probes') || '[[0.03,0.03],[0.97,0.03],[0.6,0.75],[0.62,0.3]]');
    const body = { tag, stats: { ...stats }, error: $('error').textContent, effect: $('effect').value,
                   probes: probe(points), width: $('output').width, height: $('output').height,
                   png: q.has('screenshot') ? $('output').toDataURL('image/png') : undefined,
                   userAgent: navigator.userAgent };
    await fetch(url, { method: 'POST', body: JSON.stringify(body) });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
    const initial = {};
    // effect last: 'color' needs its colour first
    for (const k of ['model', 'blur', 'color', 'light-wrap', 'effect'])
        if (q.has(k) && !(k === 'effect' && q.get(k) === 'image')) initial[k] = q.get(k);
    // mode: live (the default on a cross-origin isolated page) or exact
    if (q.has('mode')) initial.mode = q.get('mode');
    if (initial.color) $('color').value = '#' + initial.color.replace('#', '');
    if (initial.effect) $('effect').value = initial.effect;
    if (initial.blur) $('blur').value = initial.blur;
    if (initial.model) $('model').value = initial.model;
    bd = await Backdrop.create(initial);
    bd.on('frame', onFrame);
    bd.on('error', (m) => showError(m.message));
    for (const name of Object.keys(builtins)) {
        const img = document.createElement('canvas');
        img.width = 640; img.height = 360; img.className = 'swatch'; img.title = name;
        builtins[name](img.getContext('2d'));
        img.onclick = async () => useBackground(await builtinBitmap(name));
        $('builtins').append(img);
    }
    $('effect').onchange = () => set({ effect: $('effect').value });
    $('blur').oninput = () => set({ blur: $('blur').value });
    $('color').oninput = () => set({ color: $('color').value.slice(1) });
    $('model').onchange = () => set({ model: $('model').value });
    $('upload').onchange = () => $('upload').files[0] && useBackground($('upload').files[0]);
    $('camera').onchange = () => openCamera($('camera').value).catch((e) => showError(e.message));
    await openCamera();
    await listCameras();
    const wait = +(q.get('wait') || 3) * 1000;
    // ?background=URL: fetched and given as an upload is (a Blob)
    const uploads = q.getAll('background');
    if (uploads.length) await useBackground(await (await fetch(uploads[0])).blob());
    await sleep(wait);
    await report('start');
    for (const u of uploads.slice(1)) {
        await useBackground(await (await fetch(u)).blob());
        await sleep(wait);
        await report(u);
    }
}

main().catch((e) => { showError(e.message); report('failed').catch(() => {}); });
