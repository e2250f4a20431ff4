/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pipeline's outputs: one main sink (a v4l2loopback camera, a PipeWire
 * camera, a y4m or video file, stdout, or nothing) plus, optionally, the
 * preview window. All of them get p->out.
 */
#include "pipeline/pipeline_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int bd_pipeline_sinks_open(struct bd_pipeline *p)
{
    struct bd_sink *k = &p->sink;
    const char *o = p->cfg.output;
    int fps_num = p->src.fps_num, fps_den = p->src.fps_den;
    int r;
    if (o && strcmp(o, "/dev/null") == 0)
        o = "null"; /* what the user meant, not a loopback device */
    if (!o || strncmp(o, "/dev/", 5) == 0) {
        k->kind = SINK_LOOPBACK;
        enum bd_loopback_format lf =
            p->cfg.output_format == BD_OUTPUT_I420 ? BD_LOOPBACK_I420 : BD_LOOPBACK_YUYV;
        int fps = (fps_num + fps_den / 2) / fps_den;
        r = bd_v4l2_loopback_open(o, p->width, p->height, lf, fps, NULL, &k->loopback);
        if (r < 0)
            return bd_v4l2_status(r);
        snprintf(k->name, sizeof k->name, "%s", bd_v4l2_loopback_path(k->loopback));
    } else if (strcmp(o, "pipewire") == 0) {
        k->kind = SINK_PIPEWIRE;
        r = bd_pw_output_open(p->pw_name, "backdrop virtual camera", p->width, p->height,
                              fps_num, fps_den, &k->pw);
        if (r != BD_OK)
            return r;
        snprintf(k->name, sizeof k->name, "pipewire:%s", p->pw_name);
    } else if (strcmp(o, "null") == 0) {
        k->kind = SINK_NULL;
        snprintf(k->name, sizeof k->name, "null");
    } else if (strcmp(o, "-") == 0 || has_suffix(o, ".y4m")) {
        k->kind = SINK_Y4M;
        /* A reader that goes away must end the run with an error, not kill
         * the process. */
        if (strcmp(o, "-") == 0)
            signal(SIGPIPE, SIG_IGN);
        r = bd_y4m_writer_open_path(o, p->width, p->height, fps_num, fps_den, &k->y4m);
        if (r != BD_OK)
            return r;
        snprintf(k->name, sizeof k->name, "%s", strcmp(o, "-") == 0 ? "stdout" : o);
    } else {
        k->kind = SINK_VIDEO;
        r = bd_video_writer_open(o, p->width, p->height, fps_num, fps_den, &k->video);
        if (r != BD_OK)
            return r;
        snprintf(k->name, sizeof k->name, "%s", o);
    }
    if (p->cfg.preview) {
        r = bd_preview_open("backdrop", p->width, p->height, &k->preview);
        if (r != BD_OK)
            return r;
    }
    return BD_OK;
}

int bd_pipeline_sinks_write(struct bd_pipeline *p, int64_t pts_us, int repeat)
{
    struct bd_sink *k = &p->sink;
    struct bd_i420_view v = bd_i420_view_of(&p->out);
    int r = BD_OK;
    if (repeat) {
        /* Only a live camera needs feeding while the input stalls: a
         * consumer that gets no frame for a while shows an error. Files
         * and stdout just wait. */
        if (!k->have_frame || (k->kind != SINK_LOOPBACK && k->kind != SINK_PIPEWIRE))
            return 0;
    }
    switch (k->kind) {
    case SINK_LOOPBACK:
        r = bd_v4l2_loopback_write_i420(k->loopback, v.y, v.stride_y, v.u, v.stride_u, v.v,
                                        v.stride_v);
        if (r < 0)
            return bd_v4l2_status(r);
        if (r == BD_LOOPBACK_NOT_TAKEN) {
            pthread_mutex_lock(&p->stats_lock);
            p->acc.dropped++;
            pthread_mutex_unlock(&p->stats_lock);
            return 0;
        }
        break;
    case SINK_PIPEWIRE:
        r = bd_pw_output_write(k->pw, &v);
        break;
    case SINK_Y4M:
        r = bd_y4m_writer_write(k->y4m, &p->out);
        break;
    case SINK_VIDEO:
        r = bd_video_writer_write(k->video, &v, pts_us);
        break;
    case SINK_NULL:
        break;
    }
    if (r != BD_OK)
        return r;
    k->have_frame = 1;
    pthread_mutex_lock(&p->stats_lock);
    p->acc.frames_out++;
    if (repeat)
        p->acc.repeated++;
    pthread_mutex_unlock(&p->stats_lock);
    if (k->preview && !repeat) {
        r = bd_preview_show(k->preview, &v);
        if (r == BD_PREVIEW_CLOSED)
            return 1;
        if (r != BD_OK)
            return r;
    }
    return 0;
}

int bd_pipeline_sinks_finish(struct bd_pipeline *p)
{
    struct bd_sink *k = &p->sink;
    int r = BD_OK;
    if (k->y4m)
        r = bd_y4m_writer_close(k->y4m);
    k->y4m = NULL;
    if (k->video) {
        int v = bd_video_writer_close(k->video);
        if (r == BD_OK)
            r = v;
    }
    k->video = NULL;
    return r;
}

void bd_pipeline_sinks_release(struct bd_pipeline *p)
{
    struct bd_sink *k = &p->sink;
    bd_v4l2_loopback_close(k->loopback);
    k->loopback = NULL;
    bd_pw_output_close(k->pw);
    k->pw = NULL;
}

void bd_pipeline_sinks_close(struct bd_pipeline *p)
{
    struct bd_sink *k = &p->sink;
    bd_pipeline_sinks_release(p);
    bd_pipeline_sinks_finish(p);
    bd_preview_close(k->preview);
    k->preview = NULL;
}
