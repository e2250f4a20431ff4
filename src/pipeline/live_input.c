/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A live camera switch (bd_pipeline_set "input"): the V4L2 side of live.c.
 * Platform code: the WebAssembly build leaves this file out (none/none.c).
 */
#include "pipeline/pipeline_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/v4l2_device.h"

void bd_pipeline_input_close(struct bd_v4l2_capture *cap)
{
    bd_v4l2_capture_close(cap);
}

/* The frame thread's side of a camera switch (src.cap is new_in now). */
void bd_pipeline_input_take(struct bd_pipeline *p, struct bd_v4l2_capture *new_in)
{
    struct bd_source *s = &p->src;
    const struct bd_v4l2_format *f = bd_v4l2_capture_format(new_in);
    if (f->interval.num && f->interval.den) {
        s->fps_num = (int)f->interval.den;
        s->fps_den = (int)f->interval.num;
        s->interval_ns = (int64_t)(1e9 * s->fps_den / s->fps_num);
    }
    s->have_seq = 0;
    s->last_frame_ns = bd_now_ns(); /* its first frame gets the usual grace */
    s->stall_ns = 0;
    s->next_retry_ns = 0;
    pthread_mutex_lock(&p->stats_lock);
    snprintf(s->name, sizeof s->name, "%s", bd_v4l2_capture_path(new_in));
    if (s->fps_num > 0 && s->fps_den > 0)
        s->fps = (double)s->fps_num / s->fps_den;
    pthread_mutex_unlock(&p->stats_lock);
    /* on demand and idle: the webcam stays off (as go_idle leaves it);
     * it opens by its name when a program streams again */
    if (p->od_enabled && p->cfg.on_demand && !p->od.active) {
        bd_v4l2_capture_close(s->cap);
        s->cap = NULL;
    }
}

/* After a camera switch: waits (a few frames at most: the frame loop takes
 * settings every turn, idle or stalled too) until the frame thread has
 * taken the new camera, then closes the one it gave back, so the old
 * webcam's light goes off now rather than at the next change. Not taken
 * within 3 s: the next setter, or destroy, closes it. */
void bd_pipeline_input_wait_closed(struct bd_pipeline *p, const struct bd_v4l2_capture *mine)
{
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&p->live_lock);
        const int taken = p->input_next != mine;
        struct bd_v4l2_capture *old = NULL;
        if (taken) {
            old = p->input_old;
            p->input_old = NULL;
        }
        pthread_mutex_unlock(&p->live_lock);
        if (taken) {
            bd_v4l2_capture_close(old);
            return;
        }
        const struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

/* Another camera for a running camera stream: opened at the stream's size
 * (the frame buffers, the model's and the consumers' format stay) and
 * started here, so the frame thread only swaps it in. Anything wrong (no
 * such device, not a camera, busy, no such size) leaves the one in use. */
int bd_pipeline_input_prepare(struct bd_pipeline *p, const char *v, const char *cur,
                              struct bd_v4l2_capture **out)
{
    const struct bd_source *s = &p->src;
    if (s->kind != SRC_V4L2)
        return bd_fail(BD_ERR_UNSUPPORTED,
                       "input '%s': backdrop reads '%s', not a camera; another input is taken "
                       "at start (restart with it as the input)", v, cur);
    if (strncmp(v, "/dev/", 5) != 0)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "input '%s': not a camera device; give one that 'backdrop devices' lists "
                       "(a file is taken as the input at start); the camera in use ('%s') stays",
                       v, cur);
    if (!strcmp(v, p->sink.name))
        return bd_fail(BD_ERR_INVALID_ARG,
                       "input '%s': that is backdrop's own virtual camera; the camera in use "
                       "('%s') stays", v, cur);
    struct bd_v4l2_request req = s->req;
    req.width = s->width;
    req.height = s->height;
    req.exact_size = true;
    struct bd_v4l2_capture *cap = NULL;
    int r = bd_v4l2_capture_open(v, &req, NULL, &cap);
    if (r >= 0) {
        r = bd_v4l2_capture_start(cap);
        if (r < 0) {
            bd_v4l2_capture_close(cap);
            cap = NULL;
        }
    }
    if (r < 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        return bd_fail(bd_v4l2_status(r), "input '%s': %s; the camera in use ('%s') stays", v,
                       msg, cur);
    }
    *out = cap;
    return BD_OK;
}
