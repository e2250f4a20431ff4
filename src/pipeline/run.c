/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_pipeline_run: the frame loop of a pipeline that reads its own source
 * and writes its own sinks (the camera, files). Platform code: the
 * WebAssembly build leaves this file out, as it leaves out source.c,
 * sink.c and ondemand.c; bd_filter drives bd_pipeline_step itself.
 */
#include "pipeline/pipeline_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"

/* Waking every 50 ms to look at the requests, so STOP is honoured quickly. */
int bd_pipeline_sleep_until(struct bd_pipeline *p, int64_t deadline_ns)
{
    for (;;) {
        if (atomic_load(&p->requests) & BD_REQUEST_STOP)
            return 1;
        int64_t now = bd_now_ns();
        if (now >= deadline_ns)
            return 0;
        int64_t step = deadline_ns - now;
        if (step > 50000000)
            step = 50000000;
        struct timespec ts = {(time_t)(step / 1000000000), (long)(step % 1000000000)};
        nanosleep(&ts, NULL);
    }
}

static int handle_requests(struct bd_pipeline *p)
{
    unsigned req = atomic_exchange(&p->requests, 0u);
    /* live settings (live.c): can only fail on a bug, the frame goes on */
    if (bd_pipeline_live_take(p) != BD_OK)
        fprintf(stderr, "backdrop: a live setting was not applied: %s\n", bd_last_error());
    if (req & BD_REQUEST_TOGGLE)
        bd_pipeline_live_toggle(p);
    if (req & BD_REQUEST_STOP) {
        atomic_fetch_or(&p->requests, (unsigned)BD_REQUEST_STOP); /* stays set */
        return 1;
    }
    return 0;
}

static int frame_limit_reached(struct bd_pipeline *p)
{
    return p->cfg.max_frames > 0 && (int64_t)p->acc.frames_out >= p->cfg.max_frames;
}

enum bd_status bd_pipeline_run(struct bd_pipeline *p, bd_pipeline_status_fn status, void *user)
{
    if (!p)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_pipeline_run: NULL pipeline");
    if (p->running || p->finished)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_pipeline_run: runs once per pipeline");
    int r = bd_pipeline_source_start(p);
    if (r != BD_OK)
        return r;
    r = bd_pipeline_infer_start(p);
    if (r != BD_OK) {
        bd_pipeline_source_stop(p);
        return r;
    }
    p->tick_ns = bd_now_ns();
    p->tick_cpu = bd_cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    p->start_ns = p->tick_ns;

    int result = BD_OK;
    for (;;) {
        if (handle_requests(p) || frame_limit_reached(p))
            break;
        r = bd_pipeline_ondemand_tick(p);
        if (r < 0) {
            result = r;
            break;
        }
        if (r == 1) { /* idle: nobody streams */
            bd_pipeline_tick_status(p, status, user, 0);
            continue;
        }
        int64_t capture_ns = 0, pts_us = 0;
        r = bd_pipeline_source_next(p, &capture_ns, &pts_us);
        if (r == BD_PIPELINE_EOF)
            break;
        if (r == BD_PIPELINE_STALL) {
            /* No new frame within a frame interval: keep the consumers fed.
             * Once the input is lost (unplugged, or silent for a second
             * after its first frame: a camera may take a while to deliver
             * that), what they get is the last frame blurred and marked.
             * Only a camera stalls, so its last-frame time is the one. */
            int unplugged = p->src.kind == SRC_V4L2 && !p->src.cap;
            int silent = p->acc.frames_in > 0 &&
                         bd_now_ns() - p->src.last_frame_ns >= BD_LOST_AFTER_NS;
            if (!p->input_lost && (unplugged || silent)) {
                bd_draw_camera_lost(p->out.y, p->out.stride_y, p->out.u, p->out.stride_u,
                                    p->out.v, p->out.stride_v, p->width, p->height,
                                    p->lost_scratch, p->lost_scratch_size);
                pthread_mutex_lock(&p->stats_lock);
                p->input_lost = 1;
                p->input_losses++;
                pthread_mutex_unlock(&p->stats_lock);
            }
            r = bd_pipeline_sinks_write(p, -1, 1);
            if (r < 0) {
                result = r;
                break;
            }
            bd_pipeline_tick_status(p, status, user, 0);
            continue;
        }
        if (r < 0) {
            result = r;
            break;
        }
        if (p->input_lost) {
            pthread_mutex_lock(&p->stats_lock);
            p->input_lost = 0;
            pthread_mutex_unlock(&p->stats_lock);
        }
        r = bd_pipeline_step(p, capture_ns, pts_us);
        if (r < 0) {
            result = r;
            break;
        }
        if (r == 1) /* preview closed */
            break;
        bd_pipeline_tick_status(p, status, user, 0);
    }

    /* Keep the error message of this thread across the shutdown below. */
    char msg[512];
    snprintf(msg, sizeof msg, "%s", bd_last_error());
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->in_cond);
    pthread_mutex_unlock(&p->lock);
    /* Release the devices before waiting for the inference thread: it may
     * be inside a model run (milliseconds here, most of a second under
     * emulation), and the camera and the virtual camera must be free for
     * the next program at once. A file output is complete only once
     * closed: do it now, so its error is this run's. */
    bd_pipeline_source_close(p);
    int fin = bd_pipeline_sinks_finish(p);
    if (fin != BD_OK && result == BD_OK) {
        result = fin;
        snprintf(msg, sizeof msg, "%s", bd_last_error());
    }
    bd_pipeline_ondemand_close(p);
    bd_pipeline_sinks_release(p);
    pthread_join(p->thread, NULL);
    p->running = 0;
    p->finished = 1;
    bd_pipeline_tick_status(p, status, user, 1);
    if (result == BD_OK && p->infer_status != BD_OK)
        return bd_fail(p->infer_status, "%s", p->infer_error);
    if (result != BD_OK)
        return bd_fail(result, "%s", msg);
    return BD_OK;
}


/* ---- the pipeline's own source and sinks -------------------------------- */

static int open_output(struct bd_pipeline *p)
{
    int r = bd_pipeline_sinks_open(p);
    return r == BD_OK ? bd_pipeline_ondemand_open(p) : r;
}

static void close_io(struct bd_pipeline *p)
{
    bd_pipeline_ondemand_close(p);
    bd_pipeline_sinks_close(p);
    bd_pipeline_source_close(p);
}

static const struct bd_pipeline_io device_io = {
    bd_pipeline_source_open, open_output, bd_pipeline_sinks_write, close_io,
};

enum bd_status bd_pipeline_create(const struct bd_pipeline_config *config,
                                  struct bd_pipeline **out)
{
    return (enum bd_status)bd_pipeline_create_io(config, 0, 0, BD_PACE_AUTO, &device_io, out);
}
