/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The camera pipeline: source → I420 → model input → inference thread →
 * mask → composite → sinks. The contract is in include/backdrop.h; the
 * threads and who owns which buffer are in docs/ARCHITECTURE.md.
 *
 * Two threads:
 *  - run's thread (the "frame thread") reads the source, converts, hands
 *    the model input over, upsamples the newest mask, composites and
 *    writes every sink. It never waits for inference in live mode.
 *  - the inference thread takes the newest model input, runs the engine,
 *    and publishes the probability map.
 * They exchange two small things under one mutex, each triple-buffered by
 * pointer swaps: the model input (RGB at the model's size) and the
 * probability map (floats at the model's output size). Nothing is
 * allocated, no thread is started and no file is opened per frame (a
 * reconnect after an unplug is the exception: an event, not a frame; a
 * background is read again by bd_pipeline_reload_background on its
 * caller's thread).
 */
#include "pipeline/pipeline_internal.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libyuv/convert_from.h>
#include <libyuv/planar_functions.h>
#include <libyuv/scale.h>

#include "common/error.h"
#include "model/zoom.h"

/* ---- time -------------------------------------------------------------- */

int64_t bd_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bd_cpu_ns(clockid_t clk)
{
    struct timespec ts;
    /* A runtime without CPU-time clocks (WebAssembly's, which has one
     * thread here): the monotonic clock, which then counts the same. */
    if (clock_gettime(clk, &ts) != 0)
        clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t thread_cpu_ns(void)
{
    return bd_cpu_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* ---- the inference thread ---------------------------------------------- */

/* bd_segment_options.skip_mirror: a stop need not wait for the second run
 * (on a slow machine, or under emulation, one run can take a second). */
static int stopping(void *opaque)
{
    struct bd_pipeline *p = opaque;
    pthread_mutex_lock(&p->lock);
    int q = p->quit;
    pthread_mutex_unlock(&p->lock);
    return q;
}

/* Runs the model on the pending input and publishes its map. Called with
 * p->lock held (and an input pending); the lock is released during the
 * run and held again on return. BD_OK, or the error, which is also kept in
 * infer_status (quit is then set). The inference thread's loop, and the
 * exact filter's frame itself (no thread: BD_FILTER_EXACT). */
static int infer_pending(struct bd_pipeline *p)
{
    /* the pending input is m's: a model switch drops an older one */
    struct bd_model_bundle *m = p->m;
    p->infer_m = m;
    for (struct bd_model_bundle *b = m; b; b = b->person) {
        uint8_t *t = b->rgb_work;
        b->rgb_work = b->rgb_pending;
        b->rgb_pending = t;
        t = b->zrgb_work;
        b->zrgb_work = b->zrgb_pending;
        b->zrgb_pending = t;
    }
    const struct bd_rect zb = p->zbox_pending;
    const int reset = p->in_reset;
    p->in_reset = 0;
    uint64_t seq = p->in_seq;
    p->in_ready = 0;
    pthread_mutex_unlock(&p->lock);

    /* The runs this frame gets (model/stream.h, the bundle's stream):
     * with the zoom pass, a second look at the box the frame thread
     * cropped (zb), the first look when needed; none when the picture
     * did not change. The box it gives is for the frames that follow. */
    int64_t c0 = thread_cpu_ns();
    if (reset) /* a recurrent model's state belongs to the scene before */
        bd_engine_reset_state(m->engine);
    struct bd_stream_look look;
    int r = bd_stream_segment(m->stream, m->rgb_work, m->model_w * 3,
                              m->zoom ? m->zrgb_work : NULL, m->zmodel_w * 3, &zb, stopping, p,
                              m->prob_work, &look);
    /* the fusion's person mask: the camera's default model on the same
     * frame (its zoom box is the pending one: RVM takes none) */
    struct bd_model_bundle *pm = m->person;
    struct bd_stream_look plook = {0};
    if (r == BD_OK && pm)
        r = bd_stream_segment(pm->stream, pm->rgb_work, pm->model_w * 3,
                              pm->zoom ? pm->zrgb_work : NULL, pm->zmodel_w * 3, &zb, stopping, p,
                              pm->prob_work, &plook);
    int64_t c1 = thread_cpu_ns();

    pthread_mutex_lock(&p->lock);
    /* BACKDROP_INFER_DELAY_MS: hold the result back, in short naps so
     * that a stop is not delayed */
    for (int64_t end = bd_now_ns() + (int64_t)p->infer_delay_ms * 1000000;
         p->infer_delay_ms && !p->quit && bd_now_ns() < end;) {
        pthread_mutex_unlock(&p->lock);
        nanosleep(&(struct timespec){0, 5000000}, NULL);
        pthread_mutex_lock(&p->lock);
    }
    /* off m: a setter may free it once it is replaced (mask_cond) */
    p->infer_m = NULL;
    if (r != BD_OK) {
        snprintf(p->infer_error, sizeof p->infer_error, "inference failed: %s", bd_last_error());
        p->infer_status = r;
        p->quit = 1;
        pthread_cond_broadcast(&p->mask_cond);
        return r;
    }
    if (!look.skipped) {
        float *f = m->prob_latest;
        m->prob_latest = m->prob_work;
        m->prob_work = f;
        p->mask_m = m;
        p->mask_new = 1;
    }
    if (pm && !plook.skipped) {
        float *f = pm->prob_latest;
        pm->prob_latest = pm->prob_work;
        pm->prob_work = f;
        p->mask_m = m;
        p->person_new = 1;
    }
    if (m->zoom)
        m->zbox_next = look.box;
    if (pm && pm->zoom)
        pm->zbox_next = plook.box;
    p->mask_seq = seq;
    p->acc.infer_ns += c1 - c0;
    p->acc.inferences++;
    p->acc.zoomed += look.fused + plook.fused;
    p->acc.model_runs += (uint64_t)look.runs + (uint64_t)plook.runs;
    p->acc.unchanged += (uint64_t)look.skipped;
    pthread_cond_broadcast(&p->mask_cond);
    return BD_OK;
}

static void *inference_main(void *arg)
{
    struct bd_pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->in_ready && !p->quit)
            pthread_cond_wait(&p->in_cond, &p->lock);
        if (p->quit || infer_pending(p) != BD_OK)
            break;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int bd_pipeline_infer_start(struct bd_pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    p->quit = 0;
    p->infer_status = BD_OK;
    pthread_mutex_unlock(&p->lock);
    if (pthread_create(&p->thread, NULL, inference_main, p) != 0)
        return bd_fail(BD_ERR_NOMEM, "cannot start the inference thread");
    p->running = 1;
    return BD_OK;
}

void bd_pipeline_infer_stop(struct bd_pipeline *p)
{
    if (!p->running)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->in_cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->running = 0;
}

void bd_pipeline_forget(struct bd_pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    /* a run in flight would publish the old scene's map after the reset */
    p->in_ready = 0;
    while (p->infer_m)
        pthread_cond_wait(&p->mask_cond, &p->lock);
    struct bd_model_bundle *m = p->m;
    bd_stream_reset(m->stream);
    bd_engine_reset_state(m->engine); /* no run is in flight (infer_m) */
    p->in_reset = 0;
    p->state_reset_next = 0;
    bd_refiner_reset(m->refiner);
    memset(&m->zbox_next, 0, sizeof m->zbox_next);
    if (m->person) {
        bd_stream_reset(m->person->stream);
        bd_refiner_reset(m->person->refiner);
        bd_refiner_reset(m->fuse_smooth);
        memset(&m->person->zbox_next, 0, sizeof m->person->zbox_next);
        p->person_new = 0;
        m->have_alpha = m->person->have_alpha = 0;
    }
    p->mask_new = 0;
    p->have_mask = 0;
    memset(p->mask, 0, (size_t)p->mask_stride * p->height);
    pthread_mutex_unlock(&p->lock);
}

/* ---- per-frame stages -------------------------------------------------- */

/* The model input: the centred crop with the model's aspect, scaled to the
 * model size in I420, then to RGB (R first). Bilinear, not box: it is what
 * MediaPipe's own graph does (GPU texture sampling), and it reads two of
 * every five source rows at 720p instead of all of them. */
/* b's inputs scaled (frame thread, no lock); zb: its zoom box or w = 0 */
static void scale_input(struct bd_model_bundle *b, const struct bd_i420_view *f,
                        const struct bd_rect *zb)
{
    const struct bd_rect *c = &b->crop;
    if (zb->w > 0) {
        /* the zoom pass's crop (the box is in the crop's pixels, even) */
        const int x = c->x + zb->x, y = c->y + zb->y;
        I420Scale(f->y + (size_t)y * f->stride_y + x, f->stride_y,
                  f->u + (size_t)(y / 2) * f->stride_u + x / 2, f->stride_u,
                  f->v + (size_t)(y / 2) * f->stride_v + x / 2, f->stride_v, zb->w, zb->h,
                  b->zsmall.y, b->zsmall.stride_y, b->zsmall.u, b->zsmall.stride_u, b->zsmall.v,
                  b->zsmall.stride_v, b->zmodel_w, b->zmodel_h, kFilterBilinear);
    }
    I420Scale(f->y + (size_t)c->y * f->stride_y + c->x, f->stride_y,
              f->u + (size_t)(c->y / 2) * f->stride_u + c->x / 2, f->stride_u,
              f->v + (size_t)(c->y / 2) * f->stride_v + c->x / 2, f->stride_v, c->w, c->h,
              b->small.y, b->small.stride_y, b->small.u, b->small.stride_u, b->small.v,
              b->small.stride_v, b->model_w, b->model_h, kFilterBilinear);
}

/* b's scaled inputs into its pending RGB buffers (under p->lock). libyuv's
 * "RAW" is R, G, B in memory, which the engine takes. */
static void post_input(struct bd_model_bundle *b, const struct bd_rect *zb)
{
    I420ToRAW(b->small.y, b->small.stride_y, b->small.u, b->small.stride_u, b->small.v,
              b->small.stride_v, b->rgb_pending, b->model_w * 3, b->model_w, b->model_h);
    if (zb->w > 0)
        I420ToRAW(b->zsmall.y, b->zsmall.stride_y, b->zsmall.u, b->zsmall.stride_u, b->zsmall.v,
                  b->zsmall.stride_v, b->zrgb_pending, b->zmodel_w * 3, b->zmodel_w,
                  b->zmodel_h);
}

/* The model input: the centred crop with the model's aspect, scaled to the
 * model size in I420, then to RGB (R first). Bilinear, not box: it is what
 * MediaPipe's own graph does (GPU texture sampling), and it reads two of
 * every five source rows at 720p instead of all of them. With a fused RVM
 * the person bundle's input too (the zoom box is its: RVM takes none). */
static void prepare_model_input(struct bd_pipeline *p, const struct bd_i420_view *f, uint64_t seq)
{
    struct bd_model_bundle *m = p->m;
    struct bd_model_bundle *zm = m->person ? m->person : m; /* whose zoom box */
    struct bd_rect zb = {0, 0, 0, 0}, none = {0, 0, 0, 0};
    if (zm->zoom) {
        pthread_mutex_lock(&p->lock);
        zb = zm->zbox_next;
        pthread_mutex_unlock(&p->lock);
    }
    scale_input(m, f, m->person ? &none : &zb);
    if (m->person)
        scale_input(m->person, f, &zb);
    pthread_mutex_lock(&p->lock);
    post_input(m, m->person ? &none : &zb);
    if (m->person)
        post_input(m->person, &zb);
    p->zbox_pending = zb;
    p->in_reset |= p->state_reset_next;
    p->state_reset_next = 0;
    p->in_seq = seq;
    p->in_ready = 1;
    pthread_cond_signal(&p->in_cond);
    pthread_mutex_unlock(&p->lock);
}

/* b's full-size mask into dst (the frame's geometry; 0 outside b's crop
 * stays as it is): fresh, a new map came (prob_main). */
static int render_mask(struct bd_pipeline *p, struct bd_model_bundle *b, const struct bd_i420_view *f,
                       int fresh, uint8_t *dst0, int dst_stride)
{
    if (fresh) {
        const int n = b->out_w * b->out_h;
        for (int i = 0; i < n; i++) {
            float v = b->prob_main[i];
            v = v < 0.f ? 0.f : v > 1.f ? 1.f : v;
            b->mask_small[i] = (uint8_t)(v * 255.f + 0.5f);
        }
    }
    const struct bd_rect *c = &b->crop;
    uint8_t *dst = dst0 + (size_t)c->y * dst_stride + c->x;
    if (b->refiner) {
        const int color = !p->cfg.guide_luma;
        return bd_refiner_run(b->refiner, b->mask_small, b->out_w,
                              f->y + (size_t)c->y * f->stride_y + c->x, f->stride_y,
                              color ? f->u + (size_t)(c->y / 2) * f->stride_u + c->x / 2 : NULL,
                              color ? f->v + (size_t)(c->y / 2) * f->stride_v + c->x / 2 : NULL,
                              f->stride_u, dst, dst_stride);
    }
    if (!fresh)
        return BD_OK;
    /* libyuv's SIMD bilinear scaler, in two steps: its generic path to
     * half the crop's size (a quarter of the pixels), then its exact 2x
     * path (ScalePlaneUp2_Bilinear, AVX2), which together cost half of
     * the generic path straight to full size. Outside the crop the mask
     * stays 0. */
    ScalePlane(b->mask_small, b->out_w, b->out_w, b->out_h, b->mask_half, b->mask_half_stride,
               c->w / 2, c->h / 2, kFilterBilinear);
    ScalePlane(b->mask_half, b->mask_half_stride, c->w / 2, c->h / 2, dst, dst_stride, c->w, c->h,
               kFilterBilinear);
    return BD_OK;
}

/* Takes the newest probability map if there is one, and makes this
 * frame's full-size mask: refined (edge-aware, guided by this frame, and
 * smoothed over time, so it runs every frame even when the model has not
 * produced a new map), or with raw_mask upsampled bilinearly when a new map
 * came. A fused RVM: its alpha (upsampled when new) and the person
 * bundle's mask (refined every frame), fused every frame. */
static int update_mask(struct bd_pipeline *p, const struct bd_i420_view *f)
{
    struct bd_model_bundle *m = p->m, *pm = m->person;
    pthread_mutex_lock(&p->lock);
    /* a map of the model before a switch is dropped */
    int fresh = p->mask_new && p->mask_m == m;
    int pfresh = pm && p->person_new && p->mask_m == m;
    if (fresh) {
        float *t = m->prob_main;
        m->prob_main = m->prob_latest;
        m->prob_latest = t;
    }
    if (pfresh) {
        float *t = pm->prob_main;
        pm->prob_main = pm->prob_latest;
        pm->prob_latest = t;
    }
    p->mask_new = 0;
    if (pm)
        p->person_new = 0;
    pthread_mutex_unlock(&p->lock);
    if (fresh || pfresh) {
        if (p->mask_reset) /* the last model's crop may reach further */
            memset(p->mask, 0, (size_t)p->mask_stride * p->height);
        p->mask_reset = 0;
        if (pm) { /* both maps are needed before the first fused mask */
            m->have_alpha |= fresh;
            pm->have_alpha |= pfresh;
            if (m->have_alpha && pm->have_alpha)
                p->have_mask = 1;
        } else {
            p->have_mask = 1;
        }
    }
    if (!p->have_mask)
        return BD_OK; /* the mask stays as it is: all background, or the last model's */
    if (!pm)
        return render_mask(p, m, f, fresh, p->mask, p->mask_stride);
    int r = render_mask(p, m, f, fresh, m->alpha, p->mask_stride);
    if (r == BD_OK)
        r = render_mask(p, pm, f, pfresh, m->person_mask, p->mask_stride);
    if (r != BD_OK)
        return r;
    struct bd_fuse_options fo;
    bd_fuse_options_default(p->width, p->height, &fo);
    r = bd_mask_fuse(m->alpha, p->mask_stride, m->person_mask, p->mask_stride, p->width,
                     p->height, &fo, m->fuse_scratch, m->fused, p->mask_stride);
    if (r != BD_OK)
        return r;
    /* smoothed in time, guided by the frame's luma only: plain mode takes
     * no colour */
    return bd_refiner_run(m->fuse_smooth, m->fused, p->mask_stride, f->y, f->stride_y, NULL, NULL,
                          0, p->mask, p->mask_stride);
}

static void record_latency(struct bd_pipeline *p, int64_t capture_ns)
{
    int64_t lat = bd_now_ns() - capture_ns;
    if (lat < 0)
        lat = 0;
    pthread_mutex_lock(&p->stats_lock);
    p->lat[p->lat_pos] = lat;
    p->lat_pos = (p->lat_pos + 1) % BD_LATENCY_RING;
    if (p->lat_count < BD_LATENCY_RING)
        p->lat_count++;
    pthread_mutex_unlock(&p->stats_lock);
}

/* The null sink (bd_filter's): the frame stays in p->out. */
static int null_write(struct bd_pipeline *p)
{
    pthread_mutex_lock(&p->stats_lock);
    p->acc.frames_out++;
    pthread_mutex_unlock(&p->stats_lock);
    return 0;
}

/* Composites (or passes through) the frame in p->frame_view into p->out
 * and writes it to every sink: the one per-frame path, of the camera's
 * loop and of bd_filter_process. */
int bd_pipeline_step(struct bd_pipeline *p, int64_t capture_ns, int64_t pts_us)
{
    struct bd_i420_view f = p->frame_view;
    uint64_t seq = ++p->seq;
    int effect = p->effect_on && p->cfg.effect != BD_EFFECT_NONE;

    int64_t c0 = thread_cpu_ns();
    if (effect)
        prepare_model_input(p, &f, seq);
    int64_t c1 = thread_cpu_ns();

    if (effect && p->pace == BD_PACE_OFFLINE) {
        pthread_mutex_lock(&p->lock);
        if (p->inline_infer) {
            if (p->in_ready && !p->quit)
                infer_pending(p);
        } else {
            while (p->mask_seq < seq && !p->quit)
                pthread_cond_wait(&p->mask_cond, &p->lock);
        }
        pthread_mutex_unlock(&p->lock);
    }
    int r = bd_pipeline_infer_status(p);
    if (r != BD_OK)
        return r;

    int64_t c2 = thread_cpu_ns();
    if (effect) {
        r = update_mask(p, &f);
        if (r != BD_OK)
            return r;
    }
    int64_t c3 = thread_cpu_ns();

    if (p->bg.advance && p->cfg.effect == BD_EFFECT_IMAGE) {
        r = p->bg.advance(p, pts_us);
        if (r != BD_OK)
            return r;
    }

    const struct bd_i420 *dst = &p->out;
    if (effect) {
        if (p->cfg.effect == BD_EFFECT_BLUR) {
            /* the mask makes the blur halo-free: the person's colours stay
             * out of the blurred background */
            r = bd_composite_blur(p->comp, &f, p->mask, p->mask_stride, p->blur);
            if (r != BD_OK)
                return r;
        }
        r = bd_composite_frame(p->comp, &f, p->mask, p->mask_stride, dst, p->cfg.mirror);
        if (r != BD_OK)
            return r;
    } else if (p->cfg.mirror) {
        I420Mirror(f.y, f.stride_y, f.u, f.stride_u, f.v, f.stride_v, dst->y, dst->stride_y,
                   dst->u, dst->stride_u, dst->v, dst->stride_v, p->width, p->height);
    } else {
        I420Copy(f.y, f.stride_y, f.u, f.stride_u, f.v, f.stride_v, dst->y, dst->stride_y,
                 dst->u, dst->stride_u, dst->v, dst->stride_v, p->width, p->height);
    }
    int64_t c4 = thread_cpu_ns();

    r = p->sink_write ? p->sink_write(p, pts_us, 0) : null_write(p);
    int64_t c5 = thread_cpu_ns();
    if (r < 0)
        return r;
    record_latency(p, capture_ns);

    pthread_mutex_lock(&p->stats_lock);
    p->acc.convert_ns += c1 - c0;
    p->acc.mask_ns += c3 - c2;
    p->acc.composite_ns += c4 - c3;
    p->acc.output_ns += c5 - c4;
    p->acc.frames_processed++;
    pthread_mutex_unlock(&p->stats_lock);
    return r; /* 1 = the preview was closed */
}

/* ---- requests and status ----------------------------------------------- */

static void fill_stats(struct bd_pipeline *p, struct bd_pipeline_stats *s)
{
    memset(s, 0, sizeof *s);
    s->width = p->width;
    s->height = p->height;
    snprintf(s->output_name, sizeof s->output_name, "%.127s", p->sink.name);
    pthread_mutex_lock(&p->lock);
    uint64_t inferences = p->acc.inferences, zoomed = p->acc.zoomed;
    s->model_runs = p->acc.model_runs;
    s->unchanged = p->acc.unchanged;
    int64_t infer_ns = p->acc.infer_ns;
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_lock(&p->stats_lock);
    /* a live camera switch writes these under stats_lock (live.c) */
    s->fps = p->src.fps;
    snprintf(s->input_name, sizeof s->input_name, "%.127s", p->src.name);
    struct bd_accum a = p->acc;
    s->frames_in = a.frames_in;
    s->frames_out = a.frames_out;
    s->repeated = a.repeated;
    s->dropped = a.dropped;
    s->inferences = inferences;
    s->zoomed = zoomed;
    s->in_fps = p->rate_in;
    s->out_fps = p->rate_out;
    s->mask_fps = p->rate_masks;
    s->cpu_percent = p->rate_cpu;
    double n = a.frames_processed ? (double)a.frames_processed : 1.0;
    s->convert_ms = a.convert_ns / n / 1e6;
    s->mask_ms = a.mask_ns / n / 1e6;
    s->composite_ms = a.composite_ns / n / 1e6;
    s->output_ms = a.output_ns / n / 1e6;
    s->infer_ms = inferences ? infer_ns / (double)inferences / 1e6 : 0.0;
    int64_t sorted[BD_LATENCY_RING];
    int cnt = p->lat_count;
    memcpy(sorted, p->lat, sizeof(int64_t) * (size_t)cnt);
    s->effect_on = p->effect_on;
    s->input_lost = p->input_lost;
    s->input_losses = p->input_losses;
    s->idle = p->od_idle;
    s->consumers = p->od_consumers;
    snprintf(s->model_name, sizeof s->model_name, "%s", p->model_name);
    pthread_mutex_unlock(&p->stats_lock);
    /* insertion sort of at most 1024 values, once a second */
    for (int i = 1; i < cnt; i++) {
        int64_t v = sorted[i];
        int j = i - 1;
        while (j >= 0 && sorted[j] > v) {
            sorted[j + 1] = sorted[j];
            j--;
        }
        sorted[j + 1] = v;
    }
    if (cnt) {
        s->latency_p50_ms = sorted[(cnt - 1) / 2] / 1e6;
        s->latency_p99_ms = sorted[(int)((cnt - 1) * 0.99 + 0.5)] / 1e6;
    }
}

void bd_pipeline_tick_status(struct bd_pipeline *p, bd_pipeline_status_fn fn, void *user, int force)
{
    int64_t now = bd_now_ns();
    if (!force && now - p->tick_ns < 1000000000)
        return;
    double dt = (now - p->tick_ns) / 1e9;
    int64_t cpu = bd_cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    pthread_mutex_lock(&p->lock); /* the inference thread counts under it */
    const uint64_t masks = p->acc.inferences;
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_lock(&p->stats_lock);
    if (dt > 0) {
        p->rate_masks = (double)(masks - p->tick_masks) / dt;
        p->rate_in = (p->acc.frames_in - p->tick_in) / dt;
        p->rate_out = (p->acc.frames_out - p->tick_out) / dt;
        p->rate_cpu = (cpu - p->tick_cpu) / 1e9 / dt * 100.0;
    }
    p->tick_in = p->acc.frames_in;
    p->tick_out = p->acc.frames_out;
    p->tick_masks = masks;
    pthread_mutex_unlock(&p->stats_lock);
    p->tick_cpu = cpu;
    p->tick_ns = now;
    if (fn) {
        struct bd_pipeline_stats s;
        fill_stats(p, &s);
        fn(&s, user);
    }
}

void bd_pipeline_tick(struct bd_pipeline *p)
{
    bd_pipeline_tick_status(p, NULL, NULL, 0);
}

int bd_pipeline_infer_status(struct bd_pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    int r = p->infer_status;
    pthread_mutex_unlock(&p->lock);
    if (r != BD_OK)
        return bd_fail(r, "%s", p->infer_error);
    return BD_OK;
}

void bd_pipeline_request(struct bd_pipeline *p, enum bd_request request)
{
    if (p)
        atomic_fetch_or(&p->requests, (unsigned)request);
}

void bd_pipeline_get_stats(struct bd_pipeline *p, struct bd_pipeline_stats *stats)
{
    if (!p || !stats)
        return;
    fill_stats(p, stats);
}

